"""Service endpoints (/healthz, the status page, the served API description) and the
router's answers for unknown routes, wrong methods and malformed ids."""

import re

import yaml

import harness

setUpModule, tearDownModule = harness.module_server()


class ServiceTest(harness.ParleyCase):
    def test_healthz_reports_ok_version_and_schema(self):
        r = self.api("GET", "/healthz", expect=200)
        self.assertEqual(r.json["status"], "ok")
        version = (harness.REPO / "VERSION").read_text().strip()
        self.assertEqual(r.json["version"], version)
        self.assertGreaterEqual(r.json["schema_version"], 1)

    def test_status_page_is_html_with_version_and_links(self):
        r = self.api("GET", "/", expect=200)
        self.assertTrue(r.headers["Content-Type"].startswith("text/html"))
        page = r.body.decode("utf-8")
        self.assertIn((harness.REPO / "VERSION").read_text().strip(), page)
        self.assertIn("/healthz", page)
        self.assertIn("/api/openapi.yaml", page)

    def test_openapi_served_is_the_one_in_docs(self):
        r = self.api("GET", "/api/openapi.yaml", expect=200)
        self.assertEqual(r.body, harness.SPEC_PATH.read_bytes(),
                         "the embedded description differs from docs/openapi.yaml (rebuild?)")
        doc = yaml.safe_load(r.body)
        self.assertEqual(doc["openapi"], "3.0.3")

    def test_unknown_routes_are_404_json(self):
        for path in ("/api/v1/nope", "/api/v2/customers", "/nothing/here", "/api/v1/customers/",
                     "/api/v1/customers/1/nope", "/api/v1//customers"):
            with self.subTest(path=path):
                r = self.api("GET", path, who="admin")
                self.assertError(r, 404, "not_found")

    def test_unknown_routes_are_404_even_without_a_token(self):
        r = self.api("GET", "/api/v1/nope")
        self.assertError(r, 404, "not_found")

    def test_wrong_method_is_405_json(self):
        cases = [("DELETE", "/api/v1/customers"), ("PUT", "/api/v1/me"),
                 ("GET", "/api/v1/auth/login"), ("POST", "/healthz"),
                 ("DELETE", "/api/v1/conversations/1"), ("PUT", "/api/v1/customers/1"),
                 ("GET", "/api/v1/widget/messages"), ("PATCH", "/api/v1/audit")]
        for method, path in cases:
            with self.subTest(method=method, path=path):
                r = self.api(method, path, who="admin")
                self.assertError(r, 405, "method_not_allowed")

    def test_ids_that_are_not_positive_integers_are_404(self):
        for bad in ("abc", "0", "-1", "1.5", "99999999999999999999999", "1e3", "%31"):
            with self.subTest(id=bad):
                r = self.api("GET", f"/api/v1/customers/{bad}", who="admin")
                self.assertError(r, 404, "not_found")

    def test_missing_id_is_404(self):
        r = self.api("GET", "/api/v1/customers/987654321", who="admin")
        self.assertError(r, 404, "not_found")
        r = self.api("GET", "/api/v1/conversations/987654321", who="admin")
        self.assertError(r, 404, "not_found")


class DocumentedRoutesTest(harness.ParleyCase):
    def test_every_documented_operation_refuses_anonymous_callers_as_documented(self):
        """Each operation of docs/openapi.yaml, called with no token and an empty JSON
        object, answers a status documented for it (the harness checks) — 401 wherever the
        description asks for a bearer token."""
        for method, template in harness.SPEC.operations():
            op = harness.SPEC.doc["paths"][template][method.lower()]
            path = re.sub(r"\{[^}]+\}", "1", template)  # {id}, {user_id} …
            body = {} if method in ("POST", "PATCH") and "requestBody" in op else None
            with self.subTest(method=method, path=template):
                r = self.api(method, path, body)
                if op.get("security"):
                    self.assertError(r, 401, "unauthenticated")
                else:
                    self.assertLess(r.status, 500)

    def test_every_server_route_is_documented(self):
        """The server's route table (src/http/routes.c) and docs/openapi.yaml list the same
        /api/v1 operations."""
        import re
        src = (harness.REPO / "src" / "http" / "routes.c").read_text()
        routes = set(re.findall(r'\{"(GET|POST|PATCH|PUT|DELETE)",\s*"(/api/v1/[^"]*)"', src))
        self.assertTrue(routes, "no routes found in src/http/routes.c")
        # routes.c spells every path parameter {id}; the description names them ({user_id})
        documented = {(m, re.sub(r"\{[^}]+\}", "{id}", t)) for m, t in harness.SPEC.operations()
                      if t.startswith("/api/v1/")}
        self.assertEqual(sorted(routes - documented), [], "routes missing from docs/openapi.yaml")
        self.assertEqual(sorted(documented - routes), [], "documented operations with no route")
