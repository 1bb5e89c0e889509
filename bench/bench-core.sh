#!/bin/bash
# make bench-core: the core figures of docs/benchmarks.md in one run on this machine.
#   1. HTTP ceiling: nginx (2 workers, `return 200` of a small JSON) under the same wrk load
#   2. storage ceiling: raw SQLite (WAL, synchronous=FULL, batched) writing the rows of one
#      customer message (bench/raw_sqlite.c)
#   3. Parley's store alone: store_submit from concurrent writer threads (bench/store_bench.c)
#   4. Parley over HTTP: customers posting widget messages under wrk (bench/post_message.lua)
#   5. fan-out: 10,000 open live streams, post→event latency (bench/fanout.c)
#   6. idle RSS of the server with the demo data, before any load
# Ends with one `bench-core: …` line. Everything it starts it stops; temp files in one dir.
# Knobs (environment): BENCH_SECONDS (20), BENCH_CONNS (64), BENCH_STORE_SECONDS (5),
# BENCH_TOKENS (1000), FANOUT_STREAMS (10000), FANOUT_STAFF (100), FANOUT_RATE (200),
# BENCH_BATCH (256), FANOUT_SECONDS (10), KEEP_TMP=1 to keep the temp dir, BENCH_ONLY=ingest to
# run only step 4 (Parley over HTTP, with the server's CPU per message). See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
BIN=$B/release/parley
LIB=$B/release/libparley.a
SECONDS_RUN=${BENCH_SECONDS:-20}
CONNS=${BENCH_CONNS:-64}
WRK_THREADS=2
STORE_SECONDS=${BENCH_STORE_SECONDS:-5}
NTOKENS=${BENCH_TOKENS:-1000}
FANOUT_STREAMS=${FANOUT_STREAMS:-10000}
FANOUT_STAFF=${FANOUT_STAFF:-100}
FANOUT_RATE=${FANOUT_RATE:-200}
FANOUT_SECONDS=${FANOUT_SECONDS:-10}
BATCH=${BENCH_BATCH:-256} # the store's default batch_max (store_options, config batch_max)
ONLY=${BENCH_ONLY:-}

for tool in wrk nginx curl; do
    command -v $tool >/dev/null || { echo "bench-core: $tool missing: run make deps" >&2; exit 1; }
done
[ -x "$BIN" ] && [ -f "$LIB" ] || { echo "bench-core: $BIN missing: run make build" >&2; exit 1; }

TMP=$(mktemp -d /tmp/parley-bench.XXXXXX)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ "${KEEP_TMP:-0}" = 1 ]; then echo "bench-core: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stops one process we started (by pid) and forgets it.
stop_pid() {
    local pid=$1 sig=${2:-TERM} i
    kill -"$sig" "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local keep=() p
    for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() { # url, seconds
    local i
    for i in $(seq 1 $(($2 * 20))); do
        curl -fs -o /dev/null "$1" && return 0
        sleep 0.05
    done
    echo "bench-core: $1 did not answer within $2 s" >&2
    return 1
}

# field NAME LINE: value of NAME=… in a key=value line
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | head -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "0.00" }'; }
round() { awk -v a="$1" 'BEGIN { printf "%.0f", a }'; }

# ---- build the bench programs -------------------------------------------------------------
BB=$B/bench
mkdir -p "$BB"
# store_bench links libparley.a, so it needs whatever the Makefile links parley with: read
# the package list and the extra libraries from the Makefile rather than repeat them here.
PKGS=$(sed -n 's/^PKGS *:= *//p' Makefile)
EXTRA_LIBS=$(sed -n 's/^PKG_LIBS *:= .*) *//p' Makefile)
PKG_CFLAGS=$(pkg-config --cflags $PKGS)
PKG_LIBS="$(pkg-config --libs $PKGS) ${EXTRA_LIBS:--lpthread -lm}"
CFLAGS="-std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter"
${CC:-cc} $CFLAGS -o "$BB/fanout" bench/fanout.c bench/httpc.c
${CC:-cc} $CFLAGS -o "$BB/raw_sqlite" bench/raw_sqlite.c $(pkg-config --cflags --libs sqlite3) -lpthread
${CC:-cc} $CFLAGS -DH2O_USE_LIBUV=0 -Isrc $PKG_CFLAGS -o "$BB/store_bench" bench/store_bench.c "$LIB" $PKG_LIBS

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# How busy the machine is before we start (other processes share these 2 cores): CPU time
# not idle over one second, from /proc/stat.
busy_pct() {
    local a b
    a=$(head -n 1 /proc/stat)
    sleep 1
    b=$(head -n 1 /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { n = split(a, x); split(b, y); t = 0; for (i = 2; i <= n; i++) t += y[i] - x[i];
        idle = (y[5] - x[5]) + (y[6] - x[6]); printf "%.0f", (t > 0 ? 100 * (t - idle) / t : 0) }'
}
BUSY0=$(busy_pct)
echo "bench-core: $(nproc) cores, $(uname -r), open files $(ulimit -n), wrk -t$WRK_THREADS -c$CONNS -d${SECONDS_RUN}s, batch $BATCH, machine ${BUSY0}% busy before start"
if [ "$BUSY0" -gt 10 ]; then
    echo "bench-core: warning: other processes keep the machine ${BUSY0}% busy; throughput figures will be low and noisy" >&2
fi

# ---- demo database, made once and copied for each server run --------------------------
"$BIN" migrate --db "$TMP/base.db" >"$TMP/setup.log" 2>&1
"$BIN" seed-demo --db "$TMP/base.db" >>"$TMP/setup.log" 2>&1 || { cat "$TMP/setup.log" >&2; exit 1; }
fresh_db() { # copies the demo database to $1 (the CLI closed it: no WAL left to copy)
    cp "$TMP/base.db" "$1"
}

# ---- 1. HTTP ceiling: nginx ------------------------------------------------------------
NGINX_RPS=0 SQLITE_MPS=0 STORE_MPS=0
if [ "$ONLY" != ingest ]; then
NGX=$TMP/nginx
mkdir -p "$NGX"
NGX_PORT=$(free_port)
sed -e "s#@PREFIX@#$NGX#g" -e "s#@PORT@#$NGX_PORT#g" bench/nginx.conf.in >"$NGX/nginx.conf"
nginx -p "$NGX" -c "$NGX/nginx.conf" 2>"$NGX/stderr" &
NGX_PID=$!
PIDS+=("$NGX_PID")
wait_http "http://127.0.0.1:$NGX_PORT/" 10
wrk -t$WRK_THREADS -c"$CONNS" -d"${SECONDS_RUN}s" --latency -s bench/ceiling.lua \
    "http://127.0.0.1:$NGX_PORT/" >"$TMP/wrk-nginx.txt"
stop_pid "$NGX_PID" QUIT
L=$(grep '^WRK ' "$TMP/wrk-nginx.txt")
NGINX_RPS=$(field rps "$L")
echo "nginx ceiling: rps=$NGINX_RPS p50_ms=$(field p50_ms "$L") p99_ms=$(field p99_ms "$L") non2xx=$(field non2xx "$L") errors=$(field errors "$L")"

# ---- 2. storage ceiling: raw SQLite ---------------------------------------------------------
fresh_db "$TMP/raw.db"
OUT=$("$BB/raw_sqlite" --db "$TMP/raw.db" --batch "$BATCH" --seconds "$STORE_SECONDS")
echo "$OUT"
L=$(grep '^raw_sqlite:' <<<"$OUT" | tail -n 1)
SQLITE_MPS=$(field msgs_per_s "$L")

# ---- 3. Parley's store alone ---------------------------------------------------------------
fresh_db "$TMP/store.db"
OUT=$("$BB/store_bench" --db "$TMP/store.db" --batch "$BATCH" --seconds "$STORE_SECONDS")
echo "$OUT"
L=$(grep '^store_bench: msgs_per_s=' <<<"$OUT" | tail -n 1)
STORE_MPS=$(field msgs_per_s "$L")
echo "store vs raw SQLite: $(ratio "$STORE_MPS" "$SQLITE_MPS")"
fi # BENCH_ONLY

# ---- a Parley server on a fresh copy of the demo database ----------------------------------
start_parley() { # db, log → sets PARLEY_PID, PARLEY_ADDR
    local port
    port=$(free_port)
    PARLEY_ADDR=127.0.0.1:$port
    "$BIN" serve --db "$1" --listen "$PARLEY_ADDR" >"$2" 2>&1 &
    PARLEY_PID=$!
    PIDS+=("$PARLEY_PID")
    wait_http "http://$PARLEY_ADDR/healthz" 20
}
rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
# CPU time (user + system, all threads) a process has used so far, in ms: the server's CPU
# cost per request is steadier than its throughput when other work shares the machine.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.0f", ($12 + $13) * 1000 / hz }' "/proc/$1/stat"; }
# CPU ms per thread name (comm: "route", "bot", "h2o…", …), one "name ms" line each, summed
# over threads of the same name: where the server's CPU per message goes.
threads_cpu_ms() {
    local f
    for f in /proc/"$1"/task/*; do
        awk -v hz="$(getconf CLK_TCK)" -v name="$(cat "$f/comm" 2>/dev/null)" \
            '{ sub(/^.*\) /, ""); printf "%s %.0f\n", name, ($12 + $13) * 1000 / hz }' "$f/stat" 2>/dev/null
    done | awk '{ gsub(/[^A-Za-z_-]/, "", $1); t[$1] += $2 } END { for (n in t) print n, t[n] }' | sort
}
# "name=µs/req …" from two threads_cpu_ms snapshots and a request count
threads_per_req() {
    awk -v n="$3" 'FNR == NR { a[$1] = $2; next } { d = $2 - a[$1]; if (n > 0 && d > 0) printf "%s=%.1f ", $1, d * 1000 / n }' \
        <(echo "$1") <(echo "$2")
}
per_req_us() { awk -v ms="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.0f", ms * 1000 / n; else print 0 }'; }

# ---- 4 + 6. Parley over HTTP, idle RSS first ----------------------------------------------
fresh_db "$TMP/ingest.db"
start_parley "$TMP/ingest.db" "$TMP/parley-ingest.log"
sleep 1
IDLE_RSS=$(rss_mb "$PARLEY_PID")
echo "idle RSS: ${IDLE_RSS} MB (VmRSS after start-up with the demo data, before any load)"
"$BB/fanout" sessions "$PARLEY_ADDR" "$NTOKENS" "$TMP/tokens-ingest.txt"
CPU0=$(cpu_ms "$PARLEY_PID")
TCPU0=$(threads_cpu_ms "$PARLEY_PID")
wrk -t$WRK_THREADS -c"$CONNS" -d"${SECONDS_RUN}s" --latency -s bench/post_message.lua \
    "http://$PARLEY_ADDR" -- "$TMP/tokens-ingest.txt" "$$-$(date +%s)" >"$TMP/wrk-parley.txt" 2>"$TMP/wrk-parley.err" || true
CPU1=$(cpu_ms "$PARLEY_PID")
TCPU1=$(threads_cpu_ms "$PARLEY_PID")
L=$(grep '^WRK ' "$TMP/wrk-parley.txt" || true)
[ -n "$L" ] || { cat "$TMP/wrk-parley.txt" "$TMP/wrk-parley.err" >&2; exit 1; }
INGEST_RPS=$(field rps "$L")
INGEST_P99=$(field p99_ms "$L")
NON2XX=$(field non2xx "$L")
echo "parley ingest: rps=$INGEST_RPS p50_ms=$(field p50_ms "$L") p99_ms=$INGEST_P99 max_ms=$(field max_ms "$L") non2xx=$NON2XX errors=$(field errors "$L") statuses=$(field statuses "$L") tokens=$NTOKENS vs_nginx=$(ratio "$INGEST_RPS" "$NGINX_RPS") server_cpu_us_per_req=$(per_req_us $((CPU1 - CPU0)) "$(field requests "$L")") rss_after_mb=$(rss_mb "$PARLEY_PID")"
echo "parley ingest: server CPU µs per request by thread: $(threads_per_req "$TCPU0" "$TCPU1" "$(field requests "$L")")"
[ -s "$TMP/wrk-parley.err" ] && head -n 5 "$TMP/wrk-parley.err" >&2
stop_pid "$PARLEY_PID"
if command -v sqlite3 >/dev/null; then
    NMSG=$(sqlite3 "$TMP/ingest.db" 'SELECT count(*) FROM messages')
    BYTES=$(cat "$TMP"/ingest.db* | wc -c)
    echo "parley ingest: database $((BYTES / 1048576)) MB for $NMSG messages: $((BYTES / NMSG)) bytes per message (rows, indexes, events, idempotency keys)"
fi

# ---- 5. fan-out ---------------------------------------------------------------------------
FANOUT_RC=0
if [ "$ONLY" != ingest ]; then
fresh_db "$TMP/fanout.db"
start_parley "$TMP/fanout.db" "$TMP/parley-fanout.log"
STAFF_TOKEN=$(curl -fsS "http://$PARLEY_ADDR/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"tenant":"acme","email":"admin@acme.example","password":"parley-demo"}' |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$STAFF_TOKEN" ] || { echo "bench-core: demo admin login failed" >&2; exit 1; }
NVISITORS=$((FANOUT_STREAMS - FANOUT_STAFF))
"$BB/fanout" sessions "$PARLEY_ADDR" "$NVISITORS" "$TMP/tokens-fanout.txt"
CPU0=$(cpu_ms "$PARLEY_PID")
set +e
"$BB/fanout" run "$PARLEY_ADDR" "$TMP/tokens-fanout.txt" "$STAFF_TOKEN" --visitors "$NVISITORS" \
    --staff "$FANOUT_STAFF" --rate "$FANOUT_RATE" --seconds "$FANOUT_SECONDS" | tee "$TMP/fanout.txt"
FANOUT_RC=${PIPESTATUS[0]}
set -e
CPU1=$(cpu_ms "$PARLEY_PID")
echo "fan-out server: rss_mb=$(rss_mb "$PARLEY_PID") with $FANOUT_STREAMS streams open, cpu_ms=$((CPU1 - CPU0)) for the run (conversations, streams, posts)"
L=$(grep '^fanout: streams=' "$TMP/fanout.txt" || true)
FANOUT_P99=$(field visitor_p99_ms "$L")
stop_pid "$PARLEY_PID"
fi # BENCH_ONLY

echo "bench-core: ingest_rps=$(round "$INGEST_RPS") nginx_rps=$(round "$NGINX_RPS") ingest_vs_nginx=$(ratio "$INGEST_RPS" "$NGINX_RPS") ingest_p99_ms=$(round "$INGEST_P99") store_msgs_per_s=$(round "$STORE_MPS") sqlite_msgs_per_s=$(round "$SQLITE_MPS") store_vs_sqlite=$(ratio "$STORE_MPS" "$SQLITE_MPS") fanout_p99_ms=$(round "${FANOUT_P99:-0}") idle_rss_mb=$(round "$IDLE_RSS")"
if [ "${NON2XX:-1}" != 0 ] || [ "$FANOUT_RC" != 0 ]; then
    echo "bench-core: FAILED: non2xx=${NON2XX:-?} fanout_rc=$FANOUT_RC" >&2
    exit 1
fi
