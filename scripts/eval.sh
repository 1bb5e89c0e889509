#!/bin/bash
# make eval: the virtual agent's quality figures on the demo data, each on the set it was built
# or tuned on AND on a held-out set written separately and never tuned on (data/demo/README.md
# says which is which; docs/benchmarks.md "Quality figures" has the latest numbers).
#   1. the held-out files must share no sentence with their tuning files (scripts/check-split.py)
#   2. NLU: a model trained on intents.csv, evaluated on intents.csv (the rows it was trained
#      on) and on intents_test.csv
#   3. sentiment: sentiment.csv (the domain word table was written against it) and
#      sentiment_test.csv
#   4. KB search: a fresh demo database (migrate + seed-demo imports the 49 articles), then
#      kb_eval.csv (stop words and tags were tuned against it) and kb_eval_test.csv
#   5. triage: of the negative messages of each sentiment set, how many the bot would hand to a
#      person on the first message (distress, sentiment, a moment that matters; an
#      approximation of the policy, scripts/triage-coverage.py)
# Each command's own report is printed in full; a summary with one labelled line per set ends
# the output. Timings are not measured here (see make bench-bot). KEEP_TMP=1 keeps the temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
PARLEY=$B/release/parley
D=data/demo
[ -x "$PARLEY" ] || { echo "eval: $PARLEY missing: run make build" >&2; exit 1; }
TMP=$(mktemp -d /tmp/parley-eval.XXXXXX)
cleanup() { if [ "${KEEP_TMP:-0}" = 1 ]; then echo "eval: kept $TMP"; else rm -rf "$TMP"; fi; }
trap cleanup EXIT

SUMMARY=()
# last_value KEY FILE: the number on the report's "KEY: N" line.
last_value() { sed -n "s/^$1: \\([0-9.]*\\)\$/\\1/p" "$2" | tail -n 1; }
section() { printf '\n==== %s\n' "$1"; }

section "held-out files share no sentence with their tuning files"
/usr/bin/python3 scripts/check-split.py $D/intents.csv $D/intents_test.csv text label
/usr/bin/python3 scripts/check-split.py $D/sentiment.csv $D/sentiment_test.csv text
/usr/bin/python3 scripts/check-split.py $D/kb_eval.csv $D/kb_eval_test.csv query

section "NLU: train on $D/intents.csv"
"$PARLEY" nlu train --csv $D/intents.csv --out "$TMP/intents.model"
for set in "training:intents.csv" "held-out:intents_test.csv"; do
    label=${set%%:*} file=${set#*:}
    section "NLU, $label set: parley nlu eval --model … --csv $D/$file"
    "$PARLEY" nlu eval --model "$TMP/intents.model" --csv "$D/$file" | tee "$TMP/nlu-$label.txt"
    SUMMARY+=("$(printf '%-10s %-9s %-20s accuracy=%s macro_f1=%s oos_recall=%s' nlu "$label" \
        "$file" "$(last_value accuracy "$TMP/nlu-$label.txt")" \
        "$(last_value macro_f1 "$TMP/nlu-$label.txt")" \
        "$(last_value oos_recall "$TMP/nlu-$label.txt")")")
done

for set in "tuning:sentiment.csv" "held-out:sentiment_test.csv"; do
    label=${set%%:*} file=${set#*:}
    section "sentiment, $label set: parley sentiment eval --csv $D/$file"
    "$PARLEY" sentiment eval --csv "$D/$file" | tee "$TMP/sent-$label.txt"
    SUMMARY+=("$(printf '%-10s %-9s %-20s accuracy=%s macro_f1=%s' sentiment "$label" "$file" \
        "$(last_value accuracy "$TMP/sent-$label.txt")" \
        "$(last_value macro_f1 "$TMP/sent-$label.txt")")")
done

section "KB: a fresh demo database (migrate + seed-demo)"
"$PARLEY" migrate --db "$TMP/kb.db" 2>/dev/null | tail -n 1
"$PARLEY" seed-demo --db "$TMP/kb.db" >/dev/null 2>&1
for set in "tuning:kb_eval.csv" "held-out:kb_eval_test.csv"; do
    label=${set%%:*} file=${set#*:}
    section "KB, $label set: parley kb eval --tenant acme --csv $D/$file"
    "$PARLEY" kb eval --db "$TMP/kb.db" --tenant acme --csv "$D/$file" | tee "$TMP/kb-$label.txt"
    SUMMARY+=("$(printf '%-10s %-9s %-20s mrr@10=%s recall@3=%s' kb "$label" "$file" \
        "$(last_value 'mrr@10' "$TMP/kb-$label.txt")" \
        "$(last_value 'recall@3' "$TMP/kb-$label.txt")")")
done

for set in "tuning:sentiment.csv" "held-out:sentiment_test.csv"; do
    label=${set%%:*} file=${set#*:}
    section "triage, $label set: negative messages that reach a person on the first message"
    echo "(scripts/triage-coverage.py: the bot's first-message checks with the default policy)"
    /usr/bin/python3 scripts/triage-coverage.py "$PARLEY" "$TMP/intents.model" "$D/$file" \
        | tee "$TMP/triage-$label.txt"
    SUMMARY+=("$(printf '%-10s %-9s %-20s %s' triage "$label" "$file" \
        "$(sed -n 's/^triage: //p' "$TMP/triage-$label.txt")")")
done

section "summary (tuning/training: the set the method was built or tuned on, so optimistic;"
echo "held-out: written separately and never tuned on, the figures to quote)"
printf '%s\n' "${SUMMARY[@]}"
