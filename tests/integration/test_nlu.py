"""Intent detection (NLU): the demo model seeded for acme, predictions through the API,
training a new model through the API and seeing it used at once (no restart), roles, tenant
isolation, bad input (400/403/404/413), and the `parley nlu` commands (train, eval with its
summary lines, predict, storing a model for a tenant, CSV errors with file and line)."""

import json
import shutil
import tempfile
import unittest
from pathlib import Path

import harness
from test_cli import run  # runs `parley …`, refusing sanitizer reports

setUpModule, tearDownModule = harness.module_server()

SMALL = [
    ("I can smell gas in the kitchen", "gas_leak"), ("there is a gas leak", "gas_leak"),
    ("gas smell near the meter", "gas_leak"), ("strong smell of gas upstairs", "gas_leak"),
    ("gas leaking from the cooker", "gas_leak"), ("smells like gas outside", "gas_leak"),
    ("my power is off", "power_cut"), ("there is a power cut on my street", "power_cut"),
    ("no electricity in the house", "power_cut"), ("the lights have gone out", "power_cut"),
    ("power outage in my area", "power_cut"), ("electric has gone off", "power_cut"),
    ("tell me a joke", "oos"), ("who won the football", "oos"),
    ("how do I bake bread", "oos"), ("what's the weather tomorrow", "oos"),
    ("recommend a film", "oos"), ("what is the capital of France", "oos"),
]


def examples(rows=SMALL):
    return {"examples": [{"text": t, "label": l} for t, l in rows]}


class NluApiTest(harness.ParleyCase):
    def test_1_demo_model_is_seeded_and_predicts(self):
        self.assertIn("Intent model:", self.srv.seed_out)
        m = self.api("GET", "/api/v1/bot/nlu/model", who="agent", expect=200).json
        self.assertEqual(m["version"], 1)
        for label in ("billing_question", "meter_reading", "power_cut", "bereavement",
                      "speak_to_person", "oos"):
            self.assertIn(label, m["labels"])
        self.assertGreaterEqual(len(m["labels"]), 26)
        self.assertGreater(m["examples"], 1000)
        cases = {
            "There's a horrible smell of gas in my kitchen": "gas_leak",
            "my electricity has gone off, is there an outage?": "power_cut",
            "I'd like to give you my meter reading": "meter_reading",
            "can I talk to a real person please": "speak_to_person",
        }
        for text, want in cases.items():
            p = self.api("POST", "/api/v1/bot/nlu/predict", {"text": text}, who="agent",
                         expect=200).json
            self.assertEqual(p["intent"], want, p)
            self.assertFalse(p["out_of_scope"], p)
            self.assertEqual(len(p["top"]), 3)
            self.assertEqual(p["top"][0]["label"], want)
            self.assertGreaterEqual(p["top"][0]["p"], p["top"][1]["p"])
        p = self.api("POST", "/api/v1/bot/nlu/predict",
                     {"text": "what is the capital of Peru"}, who="expert", expect=200).json
        self.assertTrue(p["out_of_scope"], p)
        self.assertEqual(p["intent"], "oos")

    def test_2_training_swaps_the_model_in_without_restart(self):
        before = self.api("GET", "/api/v1/bot/nlu/model", who="admin", expect=200).json
        r = self.api("POST", "/api/v1/bot/nlu/train", examples(), who="admin", expect=201,
                     headers={"Idempotency-Key": "nlu-train-1"})
        m = r.json
        self.assertEqual(m["version"], before["version"] + 1)
        self.assertEqual(sorted(m["labels"]), ["gas_leak", "oos", "power_cut"])
        self.assertEqual(m["examples"], len(SMALL))
        # the same key and body replays the stored answer instead of a new version
        again = self.api("POST", "/api/v1/bot/nlu/train", examples(), who="admin", expect=201,
                         headers={"Idempotency-Key": "nlu-train-1"})
        self.assertEqual(again.json["version"], m["version"])
        self.assertEqual(again.headers.get("idempotent-replayed"), "true")
        got = self.api("GET", "/api/v1/bot/nlu/model", who="supervisor", expect=200).json
        self.assertEqual(got["version"], m["version"])
        p = self.api("POST", "/api/v1/bot/nlu/predict", {"text": "lights are out, no power"},
                     who="agent", expect=200).json
        self.assertEqual(p["version"], m["version"])
        self.assertEqual(p["intent"], "power_cut")
        self.assertNotIn("billing_question", [t["label"] for t in p["top"]])
        audit = self.api("GET", "/api/v1/audit?action=nlu_model.train", who="admin",
                         expect=200).json["data"]
        self.assertEqual(audit[0]["object"], f"nlu_model:{m['version']}")
        rows = self.srv.db_query("SELECT count(*) FROM nlu_models WHERE tenant_id = ?",
                                 (self.srv.tenant_id(),))
        self.assertEqual(rows[0][0], m["version"])

    def test_roles(self):
        for who in ("supervisor", "agent", "expert"):
            r = self.api("POST", "/api/v1/bot/nlu/train", examples(), who=who)
            self.assertError(r, 403, "permission_denied")
        self.assertError(self.api("GET", "/api/v1/bot/nlu/model"), 401, "unauthenticated")
        self.assertError(self.api("POST", "/api/v1/bot/nlu/predict", {"text": "hi"}), 401)

    def test_other_tenant_has_no_model(self):
        tok = self.srv.token("other")
        self.assertError(self.api("GET", "/api/v1/bot/nlu/model", token=tok), 404, "not_found")
        self.assertError(self.api("POST", "/api/v1/bot/nlu/predict", {"text": "gas leak"},
                                  token=tok), 404, "not_found")

    def test_bad_training_input(self):
        admin = self.srv.token("admin")
        before = self.srv.db_query("SELECT count(*) FROM nlu_models")[0][0]
        bad = [
            ({}, "examples"),
            ({"examples": []}, "examples"),
            ({"examples": "text,label"}, "examples"),
            ({"examples": [{"text": "hi"}]}, "examples[0]"),
            ({"examples": [{"text": "hi", "label": "x", "extra": 1}]}, "examples[0]"),
            ({"examples": [{"text": 5, "label": "x"}]}, "examples[0]"),
            ({"examples": [{"text": "ok", "label": "a"}, {"text": "", "label": "b"}]},
             "examples[1].text"),
            ({"examples": [{"text": "ok", "label": "bad label!"}]}, "examples[0].label"),
            ({"examples": [{"text": "x" * 2001, "label": "a"}]}, "examples[0].text"),
            ({"examples": [{"text": "only", "label": "one"}, {"text": "label", "label": "one"}]},
             "label"),
            ({"examples": [{"text": "a", "label": "b"}], "threshold": 0.5}, "threshold"),
        ]
        for body, field in bad:
            r = self.api("POST", "/api/v1/bot/nlu/train", body, token=admin)
            self.assertError(r, 400, "invalid_argument", field)
        big = {"examples": []}
        while len(json.dumps(big)) <= harness.MAX_BODY_BYTES + 100:  # just over the limit
            i = len(big["examples"])
            big["examples"].append({"text": "padding text %d for the size test" % i,
                                    "label": "l%d" % (i % 3)})
        r = self.api("POST", "/api/v1/bot/nlu/train", big, token=admin)
        self.assertError(r, 413, "payload_too_large")
        self.assertEqual(self.srv.db_query("SELECT count(*) FROM nlu_models")[0][0], before)

    def test_bad_predict_input(self):
        for body, field in [({}, "text"), ({"text": ""}, "text"), ({"text": 7}, "text"),
                            ({"text": "x" * 2001}, "text"), ({"text": "a", "more": 1}, "text")]:
            r = self.api("POST", "/api/v1/bot/nlu/predict", body, who="agent")
            self.assertError(r, 400, "invalid_argument", field)
        r = self.api("POST", "/api/v1/bot/nlu/predict", raw=b'{"text": "unterminated',
                     who="agent")
        self.assertError(r, 400, "invalid_argument", "body")


class NluCliTest(harness.ParleyCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="parley-nlu-"))

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        super().tearDown()

    def write(self, name, text):
        p = self.dir / name
        p.write_bytes(text.encode())
        return str(p)

    def csv(self, name, rows):
        lines = ["text,label"] + ['"%s",%s' % (t.replace('"', '""'), l) for t, l in rows]
        return self.write(name, "\r\n".join(lines) + "\r\n")

    def test_train_eval_predict(self):
        model = str(self.dir / "m.model")
        p = run("nlu", "train", "--csv", self.csv("train.csv", SMALL), "--out", model)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"(?m)^examples: 18$")
        self.assertRegex(p.stdout, r"(?m)^labels: 3$")
        self.assertRegex(p.stdout, r"(?m)^time: [0-9.]+ s$")
        test = [("gas smell in the hall", "gas_leak"), ("no power at home", "power_cut"),
                ("who won the cricket", "oos")]
        p = run("nlu", "eval", "--model", model, "--csv", self.csv("test.csv", test))
        self.assertEqual(p.returncode, 0, p.stderr)
        last = p.stdout.strip().splitlines()[-3:]
        self.assertRegex(last[0], r"^accuracy: [01]\.[0-9]{4}$")
        self.assertRegex(last[1], r"^macro_f1: [01]\.[0-9]{4}$")
        self.assertRegex(last[2], r"^oos_recall: [01]\.[0-9]{4}$")
        self.assertIn("gas_leak", p.stdout)
        # a file of only oos rows is a valid evaluation set
        p = run("nlu", "eval", "--model", model, "--csv",
                self.csv("oos.csv", [("tell me a joke please", "oos"), ("bake a cake", "oos")]))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"(?m)^oos_recall: [01]\.[0-9]{4}$")
        # without oos rows there is no oos_recall line
        p = run("nlu", "eval", "--model", model, "--csv",
                self.csv("in.csv", [("smell of gas", "gas_leak")]))
        self.assertNotIn("oos_recall", p.stdout)
        self.assertRegex(p.stdout.strip().splitlines()[-1], r"^macro_f1: ")
        p = run("nlu", "predict", "--model", model, "there is a smell of gas")
        self.assertEqual(p.returncode, 0, p.stderr)
        j = json.loads(p.stdout)
        self.assertEqual(j["intent"], "gas_leak")
        self.assertEqual(len(j["top"]), 3)
        self.assertEqual(j["top"][0]["label"], "gas_leak")

    def test_rasa_training(self):
        yml = self.write("nlu.yml", "version: \"3.1\"\nnlu:\n"
                         "- intent: gas_leak\n  examples: |\n"
                         + "".join(f"    - {t}\n" for t, l in SMALL if l == "gas_leak")
                         + "- intent: power_cut\n  examples: |\n"
                         + "".join(f"    - {t} in [Leeds](city)\n" for t, l in SMALL
                                   if l == "power_cut"))
        model = str(self.dir / "r.model")
        p = run("nlu", "train", "--rasa", yml, "--out", model)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"(?m)^examples: 12$")
        j = json.loads(run("nlu", "predict", "--model", model, "power cut in Leeds").stdout)
        self.assertEqual(j["intent"], "power_cut")

    def test_bad_files_name_file_and_line(self):
        bad = self.write("bad.csv", "text,label\nfine,a\n\"never closed,b\n")
        p = run("nlu", "train", "--csv", bad, "--out", str(self.dir / "x.model"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("bad.csv:3:", p.stderr)
        yml = self.write("bad.yml", "nlu:\n- intent: ok\n  examples: |\n    - fine\n    oops\n")
        p = run("nlu", "train", "--rasa", yml, "--out", str(self.dir / "x.model"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("bad.yml:5:", p.stderr)
        p = run("nlu", "eval", "--model", bad, "--csv", bad)
        self.assertEqual(p.returncode, 1)
        self.assertIn("not a Parley NLU model", p.stderr)
        p = run("nlu", "train", "--csv", bad)
        self.assertEqual(p.returncode, 2)
        self.assertFalse((self.dir / "x.model").exists())

    def test_train_into_a_tenant(self):
        tok = self.srv.token("other")
        self.api("GET", "/api/v1/bot/nlu/model", token=tok, expect=404)
        p = run("nlu", "train", "--db", self.srv.db, "--tenant", harness.OTHER_TENANT,
                "--csv", self.csv("t.csv", SMALL))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("model version 1", p.stdout)
        m = self.api("GET", "/api/v1/bot/nlu/model", token=tok, expect=200).json
        self.assertEqual(m["version"], 1)
        p = self.api("POST", "/api/v1/bot/nlu/predict", {"text": "the lights went out"},
                     token=tok, expect=200).json
        self.assertEqual(p["intent"], "power_cut")
        p = run("nlu", "train", "--db", self.srv.db, "--tenant", "nosuch",
                "--csv", self.csv("t.csv", SMALL))
        self.assertEqual(p.returncode, 1)
        self.assertIn("no tenant 'nosuch'", p.stderr)


if __name__ == "__main__":
    unittest.main()
