#!/bin/sh
# Runs the Python integration suite (tests/integration/test_*.py) against the binary in
# $PARLEY_BIN (default build/release/parley) with Debian's /usr/bin/python3, prints one line per
# test and appends "suite=$PARLEY_SUITE passed=N failed=N" to the results file
# ($PARLEY_RESULTS, else ${B:-build}/test-results).
# One module or test:  tests/run-integration.sh test_auth  |  test_auth.AuthTest.test_logout
BUILD="${B:-build}"
RESULTS="${PARLEY_RESULTS:-$BUILD/test-results}"
PARLEY_SUITE="${PARLEY_SUITE:-integration}"
PARLEY_BIN="${PARLEY_BIN:-$BUILD/release/parley}"
case "$PARLEY_BIN" in /*) ;; *) PARLEY_BIN="$(pwd)/$PARLEY_BIN" ;; esac
export PARLEY_SUITE PARLEY_BIN
mkdir -p "$(dirname "$RESULTS")"
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -x "$PARLEY_BIN" ]; then
    echo "FAIL  $PARLEY_SUITE: no parley binary at $PARLEY_BIN"
    echo "suite=$PARLEY_SUITE passed=0 failed=1" >>"$RESULTS"
    exit 0
fi

counts=$(mktemp) || exit 1
trap 'rm -f "$counts"' EXIT INT TERM
/usr/bin/python3 "$here/integration/runner.py" --counts "$counts" "$@"
rc=$?
if [ -s "$counts" ]; then
    read -r passed failed <"$counts"
else
    echo "FAIL  $PARLEY_SUITE: the Python runner stopped early (exit $rc)"
    passed=0
    failed=1
fi
echo "suite=$PARLEY_SUITE passed=$passed failed=$failed" >>"$RESULTS"
echo "suite=$PARLEY_SUITE passed=$passed failed=$failed"
exit 0
