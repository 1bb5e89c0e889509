#!/bin/bash
# make bench-bot: the virtual agent's figures (docs/benchmarks.md, "Virtual agent").
#   1. NLU: median classification time per message and training time for 10,000 examples
#      (bench/nlu_bench.c, the nlu owner's; built by `make nlu-bench-bin`)
#   2. KB search: p99 of store_kb_search over 100,000 generated articles, and the ratio to the
#      same FTS5 MATCH statements run directly with SQLite in the same run (bench/kb_bench.c)
# Ends with exactly one line:
#   bench-bot: classify_us=N train_10k_s=N kb_p99_ms=N kb_vs_raw_fts=N.NN
# Knobs (environment): KB_ARTICLES (100000), KB_ROUNDS (5), KEEP_TMP=1 keeps the temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
LIB=$B/release/libparley.a
[ -f "$LIB" ] || { echo "bench-bot: $LIB missing: run make build" >&2; exit 1; }
TMP=$(mktemp -d /tmp/parley-bench-bot.XXXXXX)
cleanup() { if [ "${KEEP_TMP:-0}" = 1 ]; then echo "bench-bot: kept $TMP"; else rm -rf "$TMP"; fi; }
trap cleanup EXIT

field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | head -n 1; }

# ---- NLU ----------------------------------------------------------------------------------
CLASSIFY=0
TRAIN=0
if grep -q '^nlu-bench-bin:' Makefile && [ -f bench/nlu_bench.c ]; then
    make --no-print-directory -s B="$B" nlu-bench-bin >/dev/null
    OUT=$("$B/release/nlu_bench" | tail -n 1)
    echo "nlu_bench: $OUT"
    CLASSIFY=$(field classify_us "$OUT")
    TRAIN=$(field train_10k_s "$OUT")
else
    echo "bench-bot: bench/nlu_bench.c is not here yet: classify_us and train_10k_s are 0"
fi

# ---- KB search ----------------------------------------------------------------------------
make --no-print-directory -s B="$B" kb-bench-bin >/dev/null
OUT=$("$B/release/kb_bench" --db "$TMP/kb.db" --articles "${KB_ARTICLES:-100000}" --rounds "${KB_ROUNDS:-5}")
echo "$OUT"
KB_P99=$(field kb_p99_ms "$OUT")
RATIO=$(field kb_vs_raw_fts "$OUT")

echo "bench-bot: classify_us=$CLASSIFY train_10k_s=$TRAIN kb_p99_ms=$KB_P99 kb_vs_raw_fts=$RATIO"
