"""Quality evaluation on the held-out demo sets (data/demo/README.md): the three `eval`
commands run on the files written apart from the tuning data and end with their summary lines
in exactly the form issue 3 asks for; each held-out file shares no sentence with the file its
method was built or tuned on (scripts/check-split.py).

The floors below are far under the measured figures (docs/benchmarks.md, "Quality figures"):
they catch a broken model, tokenizer or index (a classifier answering one label, a lexicon
that failed to load, a search that finds nothing), not a regression of a point or two —
`make eval` prints the real numbers."""

import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import harness

DEMO = harness.REPO / "data" / "demo"
SERVER = None


def setUpModule():
    global SERVER
    SERVER = harness.Server()  # a migrated and seeded database; no `serve` is needed
    SERVER.prepare()
    SERVER.model = str(SERVER.dir / "intents.model")
    SERVER.cli("nlu", "train", "--csv", str(DEMO / "intents.csv"), "--out", SERVER.model,
               timeout=300)


def tearDownModule():
    shutil.rmtree(SERVER.dir, ignore_errors=True)


def figures(test, stdout, names):
    """The last len(names) lines of stdout, each `name: 0.1234`, as floats."""
    last = stdout.strip().splitlines()[-len(names):]
    out = {}
    for line, name in zip(last, names):
        test.assertRegex(line, r"^%s: [01]\.[0-9]{4}$" % re.escape(name), stdout[-3000:])
        out[name] = float(line.split()[1])
    return out


class HeldOutEvalTest(unittest.TestCase):
    def test_held_out_files_share_no_sentence_with_the_tuning_files(self):
        for train, test, cols in (("intents.csv", "intents_test.csv", ["text", "label"]),
                                  ("sentiment.csv", "sentiment_test.csv", ["text"]),
                                  ("kb_eval.csv", "kb_eval_test.csv", ["query"])):
            p = subprocess.run(["/usr/bin/python3", str(harness.REPO / "scripts" / "check-split.py"),
                                str(DEMO / train), str(DEMO / test), *cols],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertRegex(p.stdout, r"%s: \d+ rows, 0 overlapping" % test)

    def test_checker_finds_a_near_duplicate(self):
        d = Path(tempfile.mkdtemp(prefix="parley-split-"))
        try:
            (d / "a.csv").write_text("text,label\ncan I pay by direct debit,dd\n")
            (d / "b.csv").write_text("text,label\nCan I pay by Direct Debit?,dd\nhello,x\n"
                                     "can I pay monthly by direct debit,dd\n")
            p = subprocess.run(["/usr/bin/python3", str(harness.REPO / "scripts" / "check-split.py"),
                                str(d / "a.csv"), str(d / "b.csv"), "text", "label"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 1, p.stdout)
            self.assertIn("same: 'Can I pay by Direct Debit?'", p.stdout)
            self.assertIn("one word apart: 'can I pay monthly by direct debit'", p.stdout)
            self.assertIn("3 rows, 2 overlapping", p.stdout)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_nlu_eval_on_the_held_out_split(self):
        p = SERVER.cli("nlu", "eval", "--model", SERVER.model, "--csv",
                       str(DEMO / "intents_test.csv"), timeout=120)
        f = figures(self, p.stdout, ["accuracy", "macro_f1", "oos_recall"])
        self.assertRegex(p.stdout, r"(?m)^examples: 374$")
        self.assertGreater(f["accuracy"], 0.6)  # measured 0.86; 29 labels, chance ~0.25 (oos)
        self.assertGreater(f["macro_f1"], 0.5)
        self.assertGreater(f["oos_recall"], 0.5)

    def test_sentiment_eval_on_the_held_out_set(self):
        p = SERVER.cli("sentiment", "eval", "--csv", str(DEMO / "sentiment_test.csv"))
        f = figures(self, p.stdout, ["accuracy", "macro_f1"])
        self.assertRegex(p.stdout, r"(?m)^examples: 325 ")
        self.assertGreater(f["accuracy"], 0.5)  # measured 0.79; three balanced labels
        self.assertGreater(f["macro_f1"], 0.5)

    def test_kb_eval_on_the_held_out_queries(self):
        p = SERVER.cli("kb", "eval", "--db", SERVER.db, "--tenant", "acme", "--csv",
                       str(DEMO / "kb_eval_test.csv"))
        f = figures(self, p.stdout, ["mrr@10", "recall@3"])
        self.assertIn("queries: 146 (0 name a missing article)", p.stdout)
        self.assertGreater(f["mrr@10"], 0.4)  # measured 0.65; 49 articles, chance ~0.09
        self.assertGreater(f["recall@3"], 0.4)

    def test_triage_coverage_counts_each_route_to_a_person(self):
        f = SERVER.dir / "triage.csv"
        f.write_text("text,label\n"
                     "I can't cope with any of this any more,negative\n"
                     "my dad passed away last week,negative\n"
                     "what time do you open on saturday,negative\n"
                     "thank you so much,positive\n")
        p = subprocess.run(["/usr/bin/python3", str(harness.REPO / "scripts" / "triage-coverage.py"),
                            harness.BIN, SERVER.model, str(f), "--show", "5"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIsNone(harness.sanitizer_report(p.stderr), p.stderr)
        self.assertRegex(p.stdout, r"(?m)^distress +2$")
        self.assertRegex(p.stdout, r"(?m)^bot +1$")
        self.assertIn("stays with the bot: intent=opening_hours", p.stdout)
        self.assertEqual(p.stdout.strip().splitlines()[-1],
                         "triage: negative=3 first_message_handoff=2 bot=1")


if __name__ == "__main__":
    unittest.main()
