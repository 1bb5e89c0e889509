#!/bin/sh
# Runs each cmocka unit-test binary given on the command line, prints its per-test results and
# appends "suite=unit passed=N failed=N" to the results file. A binary that crashes, or that
# exits non-zero without reporting a failed test (a sanitizer report at exit), counts as failed.
# Usage: tests/run-unit.sh build/asan/tests/<module>/<name> ...
# Results file: $PARLEY_RESULTS, else ${B:-build}/test-results.
RESULTS="${PARLEY_RESULTS:-${B:-build}/test-results}"
SUITE="${PARLEY_SUITE:-unit}"
mkdir -p "$(dirname "$RESULTS")"

# cmocka writes to stdout by default; make sure nobody redirected it to XML.
CMOCKA_MESSAGE_OUTPUT=STDOUT; export CMOCKA_MESSAGE_OUTPUT
UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"; export UBSAN_OPTIONS
ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}"; export ASAN_OPTIONS

passed=0
failed=0
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT INT TERM

for bin in "$@"; do
    name=$(echo "$bin" | sed 's|.*/tests/||')
    if [ ! -x "$bin" ]; then
        echo "FAIL  $name: not an executable (was it built?)"
        failed=$((failed + 1))
        continue
    fi
    "$bin" >"$tmp" 2>&1
    rc=$?
    # per-test lines, as cmocka prints them
    grep -E '^\[ +(OK|FAILED|ERROR|SKIPPED) +\] [A-Za-z_]' "$tmp" | grep -vE '\] [0-9]+ test\(s\)' |
        awk '!seen[$0]++' | sed "s|^|  $name: |"
    total=$(sed -n 's/^\[==========\] Running \([0-9]*\) test(s)\..*/\1/p' "$tmp" | tail -n 1)
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$tmp" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$tmp" | tail -n 1)
    ok_lines=$(grep -cE '^\[ +OK +\] ' "$tmp")
    [ -n "$total" ] || total=0
    [ -n "$f" ] || f=0
    if [ -z "$p" ]; then
        # no summary line: the binary died part-way; what did not report OK failed
        p=$ok_lines
        f=$((total - p))
        [ "$f" -gt 0 ] || f=1
        echo "FAIL  $name: exited with status $rc before cmocka's summary (crash?); last lines:"
        tail -n 25 "$tmp" | sed 's/^/    /'
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        # every test passed but the process failed afterwards (e.g. LeakSanitizer at exit)
        f=1
        echo "FAIL  $name: all tests passed but the binary exited with status $rc; last lines:"
        tail -n 25 "$tmp" | sed 's/^/    /'
    elif grep -qE 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$tmp"; then
        f=$((f + 1))
        echo "FAIL  $name: sanitizer report:"
        grep -E -A 5 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$tmp" | head -n 30 | sed 's/^/    /'
    fi
    if [ "$f" -gt 0 ]; then
        echo "FAIL  $name: $p passed, $f failed"
    else
        echo "ok    $name: $p passed"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
done

echo "suite=$SUITE passed=$passed failed=$failed" >>"$RESULTS"
echo "suite=$SUITE passed=$passed failed=$failed"
# exit 0 even on failures: `make test` goes on to the other suites and tests/summary.sh decides
exit 0
