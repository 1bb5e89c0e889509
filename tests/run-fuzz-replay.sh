#!/bin/sh
# Replays every fuzz corpus as a regression test: for each ${B:-build}/fuzz/replay_fuzz_<x>
# binary (the fuzz target linked with fuzz/replay_main.c under ASan/UBSan, no libFuzzer), runs
# it once over fuzz/corpus/fuzz_<x>/. One test per target: it fails on a crash, a sanitizer
# report or a non-zero exit. Appends "suite=fuzz-replay passed=N failed=N" to the results file
# ($PARLEY_RESULTS, else ${B:-build}/test-results).
BUILD="${B:-build}"
RESULTS="${PARLEY_RESULTS:-$BUILD/test-results}"
SUITE="${PARLEY_SUITE:-fuzz-replay}"
mkdir -p "$(dirname "$RESULTS")"

UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"; export UBSAN_OPTIONS
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"; export ASAN_OPTIONS

passed=0
failed=0
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT INT TERM

for bin in "$BUILD"/fuzz/replay_fuzz_*; do
    [ -e "$bin" ] || continue # no targets built: the glob stayed literal
    target=$(basename "$bin" | sed 's/^replay_//')
    corpus="fuzz/corpus/$target"
    if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
        # nothing to replay yet: still run the target once on an empty input
        mkdir -p "$tmp.d" && : >"$tmp.d/empty"
        corpus="$tmp.d"
    fi
    "$bin" "$corpus" >"$tmp" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ] && ! grep -qE 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$tmp"; then
        echo "ok    fuzz-replay $target: $(tail -n 1 "$tmp")"
        passed=$((passed + 1))
    else
        echo "FAIL  fuzz-replay $target (exit $rc), $(grep '^replay: input ' "$tmp" | tail -n 1 |
            sed 's/^replay: input /last input: /'):"
        grep -v '^replay: input ' "$tmp" | grep -E -B 2 -A 12 'runtime error:|ERROR: (Address|Leak)Sanitizer|^replay:' |
            head -n 40 | sed 's/^/    /'
        failed=$((failed + 1))
    fi
    rm -rf "$tmp.d"
done

echo "suite=$SUITE passed=$passed failed=$failed" >>"$RESULTS"
echo "suite=$SUITE passed=$passed failed=$failed"
exit 0
