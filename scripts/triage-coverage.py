#!/usr/bin/env python3
"""How many negative messages would reach a person on their first message?

usage: scripts/triage-coverage.py PARLEY MODEL SENTIMENT.csv [FLOWS_DIR] [--show N]

For every row labelled `negative` in a sentiment CSV (header text,label), scores the text with
`PARLEY sentiment score` and classifies it with `PARLEY nlu predict --model MODEL`, then applies
the first-message hand-off checks of the bot with the default triage policy
(src/bot/bot_policy.c, docs/bot.md), in the order src/bot/bot_turn.c applies them:

  distress     a distress cue (distress_handoff on)
  sentiment    compound <= -0.6 (sentiment_threshold)
  requested    confident speak_to_person (the bot also spots set phrases: not counted here)
  moment       a confident "moment that matters" intent with no flow bound to it: at once
  moment_flow  the same with a flow bound (FLOWS_DIR, default data/demo/flows/acme): the flow
               asks first, then hands off
  bot          none of these: the bot keeps the conversation for now

"Confident" is top probability >= 0.5 (confidence_threshold) and not out of scope. The
low-confidence-twice and trend checks need a second message and are not simulated. Prints one
count per outcome and a last line `triage: negative=N first_message_handoff=N bot=N`.
An approximation of the policy, for measuring; the bot's own tests are in test_bot.py.
Standard library only.
"""
import csv
import json
import subprocess
import sys
from pathlib import Path

MOMENTS = {"complaint", "bereavement", "fraud", "payment_difficulty", "cancel_contract",
           "gas_leak"}
SENTIMENT_THRESHOLD = -0.6
CONFIDENCE = 0.5


def run_json(*args):
    p = subprocess.run(list(args), capture_output=True, text=True, check=True)
    return json.loads(p.stdout)


def main():
    args = [a for a in sys.argv[1:]]
    show = 0
    if "--show" in args:
        i = args.index("--show")
        show = int(args[i + 1])
        del args[i:i + 2]
    if len(args) < 3:
        sys.exit(__doc__)
    parley, model, path = args[:3]
    flows_dir = Path(args[3] if len(args) > 3 else "data/demo/flows/acme")
    bound = set()
    for f in sorted(flows_dir.glob("*.json")):
        bound.update(json.loads(f.read_text()).get("intents", []))
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if r["label"] == "negative"]
    counts = {k: 0 for k in ("distress", "sentiment", "requested", "moment", "moment_flow", "bot")}
    kept = []
    for r in rows:
        s = run_json(parley, "sentiment", "score", r["text"])
        n = run_json(parley, "nlu", "predict", "--model", model, r["text"])
        top = n["top"][0]
        confident = not n["out_of_scope"] and top["p"] >= CONFIDENCE
        if s["distress"]:
            why = "distress"
        elif s["compound"] <= SENTIMENT_THRESHOLD:
            why = "sentiment"
        elif confident and top["label"] == "speak_to_person":
            why = "requested"
        elif confident and top["label"] in MOMENTS:
            why = "moment_flow" if top["label"] in bound else "moment"
        else:
            why = "bot"
            kept.append((top["label"], top["p"], s["compound"], r["text"]))
        counts[why] += 1
    for k, v in counts.items():
        print(f"{k:12} {v}")
    for label, p, compound, text in kept[:show]:
        print(f"stays with the bot: intent={label} p={p:.2f} compound={compound:+.2f}  {text[:90]}")
    handed = len(rows) - counts["bot"]
    print(f"triage: negative={len(rows)} first_message_handoff={handed} bot={counts['bot']}")


if __name__ == "__main__":
    main()
