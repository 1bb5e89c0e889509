#!/bin/sh
# Sums the "suite=<name> passed=N failed=N" lines of a results file and prints one final line
# "N passed, N failed". Exits non-zero when anything failed, or when the file is missing or
# holds no result line (a suite that never reported is not a pass).
# Usage: tests/summary.sh build/test-results
f="$1"
if [ -z "$f" ] || [ ! -s "$f" ]; then
    echo "no test results in '${f:-}' (did the suites run?)" >&2
    echo "0 passed, 0 failed"
    exit 1
fi
awk '
    /^suite=/ {
        lines++
        for (i = 1; i <= NF; i++) {
            if ($i ~ /^passed=[0-9]+$/) { sub(/^passed=/, "", $i); p += $i }
            else if ($i ~ /^failed=[0-9]+$/) { sub(/^failed=/, "", $i); fl += $i }
        }
        if ($0 ~ / failed=[1-9]/) bad = bad " " substr($1, 7)
    }
    END {
        if (bad != "") printf "failing suites:%s\n", bad > "/dev/stderr"
        printf "%d passed, %d failed\n", p, fl
        if (lines == 0 || fl > 0) exit 1
    }' "$f"
