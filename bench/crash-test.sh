#!/bin/sh
# make crash-test: SIGKILLs a loaded parley at least 20 times and checks that no acknowledged
# message was lost or duplicated, that seqs have no gaps and that the database is intact.
# The driver (bench/crash_driver.py, Python 3 stdlib) does the work; this sets up the temp
# dir and a fresh demo database and makes sure nothing is left running.
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
BIN=$B/release/parley
[ -x "$BIN" ] || { echo "crash-test: $BIN missing: run make build" >&2; exit 1; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

TMP=$(mktemp -d /tmp/parley-crash.XXXXXX)
cleanup() {
    # the driver stops its server; this is for when the driver itself was killed
    if [ -f "$TMP/driver.pid" ]; then kill "$(cat "$TMP/driver.pid")" 2>/dev/null || true; fi
    if [ -f "$TMP/server.pid" ]; then kill -KILL "$(cat "$TMP/server.pid")" 2>/dev/null || true; fi
    if [ "${KEEP_TMP:-0}" = 1 ]; then echo "crash-test: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT INT TERM

DB=$TMP/crash.db
"$BIN" migrate --db "$DB" >"$TMP/setup.log" 2>&1
"$BIN" seed-demo --db "$DB" >>"$TMP/setup.log" 2>&1 || { cat "$TMP/setup.log" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

set +e
"$PY" bench/crash_driver.py --bin "$BIN" --db "$DB" --log "$TMP/server.log" --pidfile "$TMP/server.pid" \
    --kills "${CRASH_KILLS:-24}" --clients "${CRASH_CLIENTS:-8}" ${CRASH_SEED:+--seed "$CRASH_SEED"} &
echo $! >"$TMP/driver.pid"
wait $!
rc=$?
rm -f "$TMP/driver.pid"
set -e
if [ $rc -ne 0 ]; then
    echo "crash-test: FAILED (server log tail below)" >&2
    tail -n 30 "$TMP/server.log" >&2 || true
fi
exit $rc
