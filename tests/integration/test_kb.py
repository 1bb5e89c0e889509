"""Knowledge base: the demo articles, search for staff and for widget visitors (published
only), articles written by supervisors and admins (audited), roles, tenant isolation, bad
input, and the CLI (`kb import` with errors naming file and line, `kb eval`,
`sentiment score` and `sentiment eval`)."""

import json
import os
import tempfile
import urllib.parse
from pathlib import Path

import harness

setUpModule, tearDownModule = harness.module_server()


def q(text, **more):
    return "?" + urllib.parse.urlencode({"q": text, **more})


class KbSearchTest(harness.ParleyCase):
    def test_demo_articles_are_seeded_and_searchable(self):
        items = self.walk("/api/v1/kb/articles", who="agent", limit=20)
        self.assertGreaterEqual(len(items), 40)
        self.assertTrue(all("body" not in a for a in items), "lists carry no bodies")
        r = self.api("GET", "/api/v1/kb/search" + q("the lights went out in my street"),
                     who="agent", expect=200)
        hits = r.json["data"]
        self.assertEqual(hits[0]["slug"], "power-cut")
        self.assertIn("<mark>", hits[0]["snippet"])
        scores = [h["score"] for h in hits]
        self.assertTrue(all(s > 0 for s in scores))
        # stemming: "bereaved"/"died" find the bereavement articles
        r = self.api("GET", "/api/v1/kb/search" + q("my dad died", limit=3), who="expert",
                     expect=200)
        self.assertIn("bereavement", [h["slug"] for h in r.json["data"]])
        self.assertLessEqual(len(r.json["data"]), 3)

    def test_queries_that_look_like_syntax_are_plain_words(self):
        for text in ['"', 'NEAR(gas', "meter AND", "title:refund", "refund*", "^x", "(((",
                     "-", "é\u2019s", "\u201cdirect debit\u201d", "' OR 1=1 --"]:
            with self.subTest(q=text):
                r = self.api("GET", "/api/v1/kb/search" + q(text), who="agent", expect=200)
                self.assertIsInstance(r.json["data"], list)
        r = self.api("GET", "/api/v1/kb/search" + q("\u201cdirect debit\u201d"), who="agent",
                     expect=200)
        self.assertTrue(r.json["data"])

    def test_bad_search_input_is_400_naming_the_field(self):
        for path, field in [("/api/v1/kb/search", "q"),
                            ("/api/v1/kb/search?q=", "q"),
                            ("/api/v1/kb/search?q=%20%20", "q"),
                            ("/api/v1/kb/search" + q("x" * 501), "q"),
                            ("/api/v1/kb/search?q=%FF%FE", "q"),
                            ("/api/v1/kb/search" + q("gas", limit=0), "limit"),
                            ("/api/v1/kb/search" + q("gas", limit=51), "limit"),
                            ("/api/v1/kb/search" + q("gas", limit="ten"), "limit"),
                            ("/api/v1/kb/articles?status=live", "status")]:
            with self.subTest(path=path[:60]):
                r = self.api("GET", path, who="agent")
                self.assertError(r, 400, "invalid_argument", field)

    def test_widget_search_for_visitors_only_published(self):
        v = self.widget_session()["token"]
        r = self.api("GET", "/api/v1/widget/kb/search" + q("smell gas"), token=v, expect=200)
        self.assertEqual(r.json["data"][0]["slug"], "gas-leak")
        self.assertError(self.api("GET", "/api/v1/widget/kb/search" + q("gas", limit=11),
                                  token=v), 400, "invalid_argument", "limit")
        self.assertError(self.api("GET", "/api/v1/widget/kb/search" + q("gas")), 401,
                         "unauthenticated")
        # a staff token is not a visitor token
        self.assertError(self.api("GET", "/api/v1/widget/kb/search" + q("gas"), who="admin"),
                         401, "unauthenticated")
        # a draft is invisible to visitors and to staff search alike
        slug = harness.unique("draft-")
        self.api("POST", "/api/v1/kb/articles",
                 {"slug": slug, "title": "Quokka tariff", "body": "Quokka quokka.",
                  "status": "draft"}, who="supervisor", expect=201)
        self.assertEqual(self.api("GET", "/api/v1/widget/kb/search" + q("quokka"), token=v,
                                  expect=200).json["data"], [])
        self.assertEqual(self.api("GET", "/api/v1/kb/search" + q("quokka"), who="admin",
                                  expect=200).json["data"], [])
        drafts = self.walk("/api/v1/kb/articles?status=draft", who="agent")
        self.assertIn(slug, [a["slug"] for a in drafts])


class KbArticlesTest(harness.ParleyCase):
    def test_write_lifecycle_is_audited_and_indexed(self):
        slug = harness.unique("art-")
        body = {"slug": slug, "title": "Wombat discount", "tags": ["offers"],
                "body": "Get a **wombat** discount. <script>alert(1)</script> [x](javascript:y)"}
        key = {"Idempotency-Key": harness.unique("k")}
        a = self.api("POST", "/api/v1/kb/articles", body, who="supervisor", headers=key,
                     expect=201).json
        again = self.api("POST", "/api/v1/kb/articles", body, who="supervisor", headers=key,
                         expect=201)
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(again.json["id"], a["id"])
        self.assertIn("<strong>wombat</strong>", a["html"])
        self.assertNotIn("<script", a["html"])
        self.assertNotIn("javascript:", a["html"])
        self.assertEqual(a["status"], "published")
        hits = self.api("GET", "/api/v1/kb/search" + q("wombats"), who="agent",
                        expect=200).json["data"]
        self.assertEqual([h["article_id"] for h in hits], [a["id"]])

        # same slug again: 409 naming the slug
        self.assertError(self.api("POST", "/api/v1/kb/articles", dict(body, title="Other"),
                                  who="admin"), 409, "conflict", "slug")
        # PATCH the body: old words leave the index, new ones arrive, in the same commit
        p = self.api("PATCH", f"/api/v1/kb/articles/{a['id']}",
                     {"body": "Numbat savings only.", "title": "Numbat savings"}, who="admin",
                     expect=200).json
        self.assertEqual(p["title"], "Numbat savings")
        self.assertEqual(p["slug"], slug)
        self.assertEqual(self.api("GET", "/api/v1/kb/search" + q("wombat"), who="agent",
                                  expect=200).json["data"], [])
        self.assertEqual(len(self.api("GET", "/api/v1/kb/search" + q("numbat"), who="agent",
                                      expect=200).json["data"]), 1)
        got = self.api("GET", f"/api/v1/kb/articles/{a['id']}", who="expert", expect=200).json
        self.assertEqual(got["body"], "Numbat savings only.")
        # DELETE: 204, then gone everywhere
        self.api("DELETE", f"/api/v1/kb/articles/{a['id']}", who="supervisor", expect=204)
        self.assertError(self.api("GET", f"/api/v1/kb/articles/{a['id']}", who="admin"), 404,
                         "not_found")
        self.assertEqual(self.api("GET", "/api/v1/kb/search" + q("numbat"), who="agent",
                                  expect=200).json["data"], [])
        actions = [e["action"] for e in self.walk(
            "/api/v1/audit?object=" + urllib.parse.quote(f"kb_article:{a['id']}"), who="admin")]
        self.assertEqual(sorted(actions),
                         ["kb.article.create", "kb.article.delete", "kb.article.update"])

    def test_roles(self):
        slug = harness.unique("role-")
        body = {"slug": slug, "title": "Roles", "body": "Who may write."}
        for who in ("agent", "expert"):
            with self.subTest(who=who):
                self.assertError(self.api("POST", "/api/v1/kb/articles", body, who=who), 403,
                                 "permission_denied")
        a = self.api("POST", "/api/v1/kb/articles", body, who="admin", expect=201).json
        for who in ("agent", "expert"):
            with self.subTest(who=who):
                self.assertError(self.api("PATCH", f"/api/v1/kb/articles/{a['id']}",
                                          {"title": "x"}, who=who), 403, "permission_denied")
                self.assertError(self.api("DELETE", f"/api/v1/kb/articles/{a['id']}", who=who),
                                 403, "permission_denied")
                self.api("GET", f"/api/v1/kb/articles/{a['id']}", who=who, expect=200)

    def test_bad_bodies_are_400_naming_the_field(self):
        ok = {"slug": harness.unique("bad-"), "title": "T", "body": "B"}
        cases = [
            (dict(ok, slug="Bad Slug"), "slug"),
            (dict(ok, slug="-x"), "slug"),
            (dict(ok, slug="a" * 101), "slug"),
            ({"title": "T", "body": "B"}, "slug"),
            (dict(ok, title="   "), "title"),
            (dict(ok, title="t" * 201), "title"),
            (dict(ok, body=""), "body"),
            (dict(ok, body=None), "body"),
            (dict(ok, body="x" * 65537), "body"),
            (dict(ok, tags="billing"), "tags"),
            (dict(ok, tags=["t"] * 17), "tags"),
            (dict(ok, status="live"), "status"),
            (dict(ok, colour="red"), "colour"),
        ]
        for body, field in cases:
            with self.subTest(field=field, body=str(body)[:60]):
                r = self.api("POST", "/api/v1/kb/articles", body, who="admin")
                if r.status == 413:
                    continue  # over max_body_bytes before the decoder sees it
                self.assertError(r, 400, "invalid_argument", field)
        a = self.api("POST", "/api/v1/kb/articles", ok, who="admin", expect=201).json
        self.assertError(self.api("PATCH", f"/api/v1/kb/articles/{a['id']}", {}, who="admin"),
                         400, "invalid_argument")
        self.assertError(self.api("PATCH", f"/api/v1/kb/articles/{a['id']}",
                                  {"slug": "power-cut"}, who="admin"), 409, "conflict", "slug")
        self.assertError(self.api("POST", "/api/v1/kb/articles", raw=b"{not json",
                                  who="admin"), 400, "invalid_argument")

    def test_tenant_isolation(self):
        mine = self.walk("/api/v1/kb/articles", who="admin")[0]
        other = self.srv.token("other")
        for method, body in [("GET", None), ("PATCH", {"title": "Hijacked"}), ("DELETE", None)]:
            with self.subTest(method=method):
                self.assertError(self.api(method, f"/api/v1/kb/articles/{mine['id']}", body,
                                          token=other), 404, "not_found")
        self.assertEqual(self.api("GET", "/api/v1/kb/search" + q("power cut"), token=other,
                                  expect=200).json["data"], [])
        v = self.widget_session(tenant=harness.OTHER_TENANT)["token"]
        self.assertEqual(self.api("GET", "/api/v1/widget/kb/search" + q("power cut"), token=v,
                                  expect=200).json["data"], [])
        # the same slug may exist in another tenant
        self.api("POST", "/api/v1/kb/articles", {"slug": mine["slug"], "title": "Globex",
                                                 "body": "Globex's own article."},
                 token=other, expect=201)
        got = self.api("GET", f"/api/v1/kb/articles/{mine['id']}", who="admin", expect=200).json
        self.assertEqual(got["title"], mine["title"])


class KbCliTest(harness.ParleyCase):
    def test_import_reports_file_and_line_and_updates_on_reimport(self):
        d = Path(tempfile.mkdtemp(prefix="parley-kb-"))
        (d / "loft-insulation.md").write_text(
            "---\ntags: saving\n---\n# Loft insulation\n\nInsulate your loft to save.\n")
        (d / "no-title.md").write_text("Just text\nand more\n")
        (d / "Bad_Name.md").write_text("# T\nB\n")
        (d / "bad-front.md").write_text("---\ncolour: red\n---\n# T\nB\n")
        (d / "notes.txt").write_text("ignored")
        p = self.srv.cli("kb", "import", "--db", self.srv.db, "--tenant", "acme", "--dir",
                         str(d), check=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(f"{d}/no-title.md:2: no title", p.stderr)
        self.assertIn(f"{d}/bad-front.md:2: unknown front matter key", p.stderr)
        self.assertIn("Bad_Name.md: the file name must be the article's slug", p.stderr)
        self.assertIn("1 new, 0 updated, 3 failed", p.stdout)
        hits = self.api("GET", "/api/v1/kb/search" + q("loft"), who="agent",
                        expect=200).json["data"]
        self.assertEqual([h["slug"] for h in hits], ["loft-insulation"])
        (d / "loft-insulation.md").write_text("# Loft and wall insulation\n\nCavity walls too.\n")
        for f in ("no-title.md", "Bad_Name.md", "bad-front.md"):
            (d / f).unlink()
        p = self.srv.cli("kb", "import", "--db", self.srv.db, "--tenant", "acme", "--dir", str(d))
        self.assertIn("0 new, 1 updated, 0 failed", p.stdout)
        hits = self.api("GET", "/api/v1/kb/search" + q("cavity"), who="agent",
                        expect=200).json["data"]
        self.assertEqual(hits[0]["title"], "Loft and wall insulation")
        p = self.srv.cli("kb", "import", "--db", self.srv.db, "--tenant", "nope", "--dir", str(d),
                         check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no tenant 'nope'", p.stderr)

    def test_kb_eval_prints_mrr_and_recall_last(self):
        csv = harness.REPO / "data" / "demo" / "kb_eval.csv"
        p = self.srv.cli("kb", "eval", "--db", self.srv.db, "--tenant", "acme", "--csv", str(csv))
        last = p.stdout.strip().splitlines()[-2:]
        self.assertTrue(last[0].startswith("mrr@10: "), p.stdout)
        self.assertTrue(last[1].startswith("recall@3: "), p.stdout)
        self.assertGreater(float(last[0].split()[1]), 0.5)
        bad = Path(tempfile.mkdtemp(prefix="parley-kb-")) / "bad.csv"
        bad.write_text("query,slug\nx,y\n")
        p = self.srv.cli("kb", "eval", "--db", self.srv.db, "--tenant", "acme", "--csv", str(bad),
                         check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("bad.csv:1: the header must name the columns query and article_slug",
                      p.stderr)

    def test_sentiment_commands(self):
        p = self.srv.cli("sentiment", "score", "I can't cope, this bill is AWFUL!!")
        j = json.loads(p.stdout)
        self.assertLess(j["compound"], -0.05)
        self.assertEqual(j["label"], "negative")
        self.assertTrue(j["distress"])
        self.assertEqual(j["distress_cue"], "cannot_cope")
        csv = harness.REPO / "data" / "demo" / "sentiment.csv"
        p = self.srv.cli("sentiment", "eval", "--csv", str(csv))
        last = p.stdout.strip().splitlines()[-2:]
        self.assertTrue(last[0].startswith("accuracy: "), p.stdout)
        self.assertTrue(last[1].startswith("macro_f1: "), p.stdout)
        bad = Path(tempfile.mkdtemp(prefix="parley-st-")) / "bad.csv"
        bad.write_text("text,label\nfine,positive\nhmm,angry\n")
        p = self.srv.cli("sentiment", "eval", "--csv", str(bad), check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn("bad.csv:3: label 'angry'", p.stderr)
        os.unlink(bad)
