"""Bad input, endpoint by endpoint: malformed JSON, wrong types, missing, unknown and null
fields, over-long strings, messages over max_message_bytes, invalid UTF-8, NUL, bodies over
max_body_bytes (413), wrong Content-Type (415), bad query parameters. Each answer is the JSON
error shape with the right 4xx (the harness also refuses any 5xx) and changes nothing in the
database."""

import json

import harness

setUpModule, tearDownModule = harness.module_server()

MAXM = harness.MAX_MESSAGE_BYTES


def wrong_values(v):
    """Values of the wrong JSON type for a field whose valid value is v."""
    if isinstance(v, bool):
        return ["true", 1, []]
    if isinstance(v, int):
        return [str(v), 1.5, True, [v], {"n": v}]
    if isinstance(v, str):
        return [12345, True, [v], {"s": v}]
    if isinstance(v, list):
        return ["x", 7, {"a": 1}]
    if isinstance(v, dict):
        return ["x", [v]]
    return []


class BadInputTest(harness.ParleyCase):
    fixtures = None

    def fx(self):
        if BadInputTest.fixtures is None:
            cust = self.new_customer(name="Bad Input Target")
            conv = self.new_conversation(cust["id"], message="first")
            vis = self.widget_session()
            wm = self.api("POST", "/api/v1/widget/messages", {"body": "hello"},
                          token=vis["token"], expect=201).json
            BadInputTest.fixtures = {"customer": cust["id"], "conversation": conv["id"],
                                     "visitor": vis["token"], "wconv": wm["conversation_id"]}
        return BadInputTest.fixtures

    def endpoints(self):
        f = self.fx()
        admin = self.srv.token("admin")
        return [
            # name, method, path, token, valid body, required fields, {field: over-long value}
            ("login", "POST", "/api/v1/auth/login", None,
             {"tenant": "acme", "email": "admin@acme.example", "password": "parley-demo"},
             ["tenant", "email", "password"], {"email": "a" * 400 + "@x.example"}),
            ("users", "POST", "/api/v1/users", admin,
             {"email": "valid.user@acme.example", "name": "Valid", "role": "agent",
              "password": "long-enough-pw", "skills": ["billing:2"], "languages": ["en"]},
             ["email", "name", "role", "password"],
             {"name": "n" * 201, "email": "e" * 330 + "@x.example"}),
            ("customers", "POST", "/api/v1/customers", admin,
             {"name": "Valid Name", "locale": "en", "time_zone": "Europe/London",
              "preferred_channel": "email", "needs": ["hearing"], "needs_note": "n",
              "prefers_person": False,
              "identities": [{"kind": "email", "value": "valid.customer@example.com"}]},
             [], {"name": "n" * 201, "locale": "l" * 65, "time_zone": "t" * 65,
                  "needs_note": "n" * 2001}),
            ("customer patch", "PATCH", f"/api/v1/customers/{f['customer']}", admin,
             {"name": "Patched Name", "locale": "fr", "prefers_person": True, "needs": []},
             [], {"name": "n" * 201, "needs_note": "n" * 2001}),
            ("identities", "POST", f"/api/v1/customers/{f['customer']}/identities", admin,
             {"kind": "email", "value": "new.identity@example.com"}, ["kind", "value"],
             {"value": "v" * 330 + "@example.com"}),
            ("consents", "POST", f"/api/v1/customers/{f['customer']}/consents", admin,
             {"purpose": "marketing", "channel": "email", "granted": True, "source": "agent"},
             ["purpose", "channel", "granted"], {"source": "s" * 2000}),
            ("conversations", "POST", "/api/v1/conversations", admin,
             {"customer_id": f["customer"], "channel": "web", "subject": "Valid",
              "priority": "low", "contact_reason": "billing", "tags": ["a"],
              "message": "first message"},
             ["customer_id"], {"subject": "s" * 201, "contact_reason": "c" * 201,
                               "message": "m" * (MAXM + 1)}),
            ("conversation patch", "PATCH", f"/api/v1/conversations/{f['conversation']}", admin,
             {"status": "pending_customer", "priority": "high", "tags": ["b"],
              "subject": "Changed", "assignees": []},
             [], {"subject": "s" * 201, "contact_reason": "c" * 201}),
            ("messages", "POST", f"/api/v1/conversations/{f['conversation']}/messages", admin,
             {"body": "A valid reply", "internal": False, "channel": "web"}, ["body"],
             {"body": "b" * (MAXM + 1)}),
            ("receipts", "POST", f"/api/v1/conversations/{f['conversation']}/receipts", admin,
             {"kind": "read", "seq": 1}, ["kind", "seq"], {}),
            ("widget sessions", "POST", "/api/v1/widget/sessions", None,
             {"tenant": "acme", "name": "Widget Visitor"}, ["tenant"], {"name": "n" * 201}),
            ("widget messages", "POST", "/api/v1/widget/messages", f["visitor"],
             {"body": "Visitor says hi", "conversation_id": f["wconv"]}, ["body"],
             {"body": "b" * (MAXM + 1)}),
            ("widget receipts", "POST", f"/api/v1/widget/conversations/{f['wconv']}/receipts",
             f["visitor"], {"kind": "delivered", "seq": 1}, ["kind", "seq"], {}),
        ]

    def refused(self, name, method, path, token, status, *, body=None, raw=None,
                content_type="application/json", field=None, statuses=None):
        """Sends a bad request and checks the error and that nothing changed."""
        before = self.srv.counts()
        r = self.srv.request(method, path, body, raw=raw, token=token, content_type=content_type)
        want = statuses or (status,)
        self.assertIn(r.status, want, f"{name}: {r!r}")
        self.assertTrue(r.error.get("message"), f"{name}: no error message: {r!r}")
        if field is not None and r.status == 400:
            got = r.error.get("field") or ""
            # the field itself, or a part of it ("assignees[0]", "identities[1].value")
            self.assertTrue(got == field or got.startswith((field + "[", field + ".")),
                            f"{name}: error names field {got!r}, want {field!r}: {r!r}")
        after = self.srv.counts()
        self.assertEqual(after, before, f"{name}: a refused request changed the database")
        return r

    def test_malformed_and_non_object_json(self):
        bad = [b"{", b'{"name":', b'{"name": "x",}', b"{'name': 'x'}", b"nul", b"",
               b'{"name": "x"} trailing', b'{"name": "x"}{"name": "y"}', b"[]", b'"x"', b"42",
               b"null", b"true", b'{"name" "x"}', b"[" * 5000 + b"]" * 5000]
        for name, method, path, token, valid, _req, _long in self.endpoints():
            for raw in bad:
                with self.subTest(endpoint=name, body=raw[:30]):
                    self.refused(name, method, path, token, 400, raw=raw)

    def test_unknown_fields(self):
        for name, method, path, token, valid, _req, _long in self.endpoints():
            for extra in ("bogus_field", "Name", "customerId"):
                with self.subTest(endpoint=name, field=extra):
                    body = dict(valid)
                    body[extra] = 1
                    self.refused(name, method, path, token, 400, body=body, field=extra)

    def test_wrong_types(self):
        for name, method, path, token, valid, _req, _long in self.endpoints():
            for key, v in valid.items():
                for wrong in wrong_values(v):
                    with self.subTest(endpoint=name, field=key, value=wrong):
                        body = dict(valid)
                        body[key] = wrong
                        self.refused(name, method, path, token, 400, body=body, field=key)

    def test_nested_wrong_types(self):
        ep = {e[0]: e for e in self.endpoints()}
        name, method, path, token, valid, _r, _l = ep["customers"]
        for ident, field in (([{"kind": "fax", "value": "1"}], "identities[0].kind"),
                             ([{"kind": "email"}], "identities[0].value"),
                             ([{"kind": "email", "value": 5}], "identities[0].value"),
                             ([{"kind": "email", "value": "a@b.example", "x": 1}],
                              "identities[0].x"),
                             (["email:a@b.example"], "identities[0]"),
                             ([{"kind": "email", "value": "not-an-email"}], "identities[0].value"),
                             ([{"kind": "phone", "value": "call me maybe"}],
                              "identities[0].value")):
            with self.subTest(identities=ident):
                body = dict(valid)
                body["identities"] = ident
                self.refused(name, method, path, token, 400, body=body, field=field)
        for key, bad in (("needs", ["telepathy"]), ("needs", [1]), ("preferred_channel", "fax"),
                         ("time_zone", "not a zone!"), ("locale", "not a locale!")):
            with self.subTest(field=key, value=bad):
                body = dict(valid)
                body[key] = bad
                self.refused(name, method, path, token, 400, body=body, field=key)

    def test_bad_enums_and_ids(self):
        ep = {e[0]: e for e in self.endpoints()}
        cases = [
            ("conversations", "channel", "fax"), ("conversations", "priority", "whenever"),
            ("conversations", "customer_id", 0), ("conversations", "customer_id", -4),
            ("conversations", "customer_id", 2**64), ("conversations", "customer_id", 1e300),
            ("conversation patch", "status", "open"), ("conversation patch", "assignees", [0]),
            ("conversation patch", "assignees", ["1"]), ("conversation patch", "priority", ""),
            ("messages", "channel", "pigeon"), ("receipts", "kind", "seen"),
            ("receipts", "seq", -1), ("widget receipts", "kind", "READ"),
            ("consents", "purpose", "spam"), ("consents", "channel", "telegram"),
            ("identities", "kind", "fax"), ("users", "role", "overlord"),
            ("users", "skills", ["billing"]), ("users", "skills", ["billing:99"]),
            ("users", "password", "short"), ("users", "email", "not-an-email"),
            ("widget messages", "conversation_id", 0),
            ("widget sessions", "identifier_hash", "zz"),
            ("messages", "body", ""), ("widget messages", "body", ""),
        ]
        for ep_name, key, bad in cases:
            name, method, path, token, valid, _r, _l = ep[ep_name]
            with self.subTest(endpoint=name, field=key, value=bad):
                body = dict(valid)
                body[key] = bad
                if key == "identifier_hash":
                    body["identifier"] = "email:x@example.com"
                # an integer beyond 64 bits fails in the JSON parser, before any field
                unnamed = key == "identifier_hash" or bad == 2**64
                self.refused(name, method, path, token, 400, body=body,
                             field=None if unnamed else key)

    def test_missing_and_null_required_fields(self):
        for name, method, path, token, valid, required, _long in self.endpoints():
            for key in required:
                with self.subTest(endpoint=name, missing=key):
                    body = {k: v for k, v in valid.items() if k != key}
                    self.refused(name, method, path, token, 400, body=body, field=key)
                with self.subTest(endpoint=name, null=key):
                    body = dict(valid)
                    body[key] = None
                    self.refused(name, method, path, token, 400, body=body, field=key)

    def test_over_long_strings(self):
        for name, method, path, token, valid, _req, long_fields in self.endpoints():
            for key, value in long_fields.items():
                with self.subTest(endpoint=name, field=key, length=len(value)):
                    body = dict(valid)
                    body[key] = value
                    # a message over max_message_bytes may be 400 (field) or 413
                    statuses = (400, 413) if len(value) == MAXM + 1 else (400,)
                    self.refused(name, method, path, token, 400, body=body, field=key,
                                 statuses=statuses)

    def test_message_limit_counts_bytes_and_allows_exactly_the_limit(self):
        f = self.fx()
        path = f"/api/v1/conversations/{f['conversation']}/messages"
        admin = self.srv.token("admin")
        two_byte = "\u00e9" * (MAXM // 2 + 1)  # fewer characters than the limit, more bytes
        self.refused("messages", "POST", path, admin, 400, body={"body": two_byte},
                     field="body", statuses=(400, 413))
        ok = self.api("POST", path, {"body": "\u00e9" * (MAXM // 2)}, token=admin, expect=201)
        self.assertEqual(len(ok.json["body"].encode()), MAXM)
        ok = self.api("POST", "/api/v1/widget/messages", {"body": "x" * MAXM},
                      token=f["visitor"], expect=201)

    def test_invalid_utf8_and_nul(self):
        for name, method, path, token, valid, _req, _long in self.endpoints():
            key = next((k for k, v in valid.items() if isinstance(v, str)), None)
            if key is None:
                continue
            for bad in (b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"caf\xc3", b"\xf4\x90\x80\x80"):
                with self.subTest(endpoint=name, field=key, bytes=bad):
                    body = dict(valid)
                    body[key] = "@@HERE@@"
                    raw = json.dumps(body).encode().replace(b"@@HERE@@", b"ok" + bad)
                    self.refused(name, method, path, token, 400, raw=raw)
            for esc in ("\\u0000", "a\\u0000b", "\\ud800", "\\udc00x"):
                with self.subTest(endpoint=name, field=key, escape=esc):
                    body = dict(valid)
                    body[key] = "@@HERE@@"
                    raw = json.dumps(body).encode().replace(b"@@HERE@@", esc.encode())
                    self.refused(name, method, path, token, 400, raw=raw)

    def test_body_over_max_body_bytes_is_413(self):
        for name, method, path, token, valid, _req, _long in self.endpoints():
            with self.subTest(endpoint=name):
                body = dict(valid)
                key = next(k for k, v in valid.items() if isinstance(v, str))
                body[key] = "x" * (harness.MAX_BODY_BYTES + 100)
                r = self.refused(name, method, path, token, 413, body=body)
                self.assertEqual(r.error["code"], "payload_too_large")

    def test_wrong_content_type_is_415(self):
        for name, method, path, token, valid, _req, _long in self.endpoints():
            for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/xml",
                          "multipart/form-data; boundary=x", None):
                with self.subTest(endpoint=name, content_type=ctype):
                    r = self.refused(name, method, path, token, 415,
                                     raw=json.dumps(valid).encode(), content_type=ctype)
                    self.assertEqual(r.error["code"], "unsupported_media_type")

    def test_charset_parameter_is_accepted(self):
        f = self.fx()
        r = self.api("POST", "/api/v1/customers", raw=b'{"name": "Charset Person"}',
                     content_type="application/json; charset=utf-8", who="admin", expect=201)
        self.assertEqual(r.json["name"], "Charset Person")
        self.api("POST", f"/api/v1/conversations/{f['conversation']}/messages",
                 raw=b'{"body": "x"}', content_type="Application/JSON", who="admin", expect=201)

    def test_bad_query_parameters(self):
        f = self.fx()
        lists = ["/api/v1/customers", "/api/v1/conversations", "/api/v1/users", "/api/v1/audit",
                 f"/api/v1/conversations/{f['conversation']}/messages"]
        bad = ["limit=0", "limit=201", "limit=-1", "limit=abc", "limit=1.5", "limit=",
               "cursor=%21%21%21", "cursor=abc", "cursor=-5"]
        for path in lists:
            for q in bad:
                with self.subTest(path=path, query=q):
                    self.refused(path, "GET", f"{path}?{q}", self.srv.token("admin"), 400)
        for q in ("status=open", "assignee=someone", "assignee=-1", "customer=abc",
                  "updated_since=yesterday", "updated_since=-5"):
            with self.subTest(query=q):
                self.refused("conversations", "GET", f"/api/v1/conversations?{q}",
                             self.srv.token("admin"), 400)
        self.refused("customers", "GET", "/api/v1/customers?updated_since=abc",
                     self.srv.token("admin"), 400)
        for q in ("limit=0", "cursor=%21"):
            self.refused("widget", "GET", f"/api/v1/widget/conversations?{q}", f["visitor"], 400)
        # the edges are fine
        for q in ("limit=1", "limit=200"):
            self.api("GET", f"/api/v1/conversations?{q}", who="admin", expect=200)

    def test_valid_bodies_are_accepted(self):
        """The control: every valid body above really is valid (so the refusals above are for
        the reason the test names)."""
        for name, method, path, token, valid, _req, _long in self.endpoints():
            with self.subTest(endpoint=name):
                r = self.srv.request(method, path, valid, token=token)
                self.assertIn(r.status, (200, 201), f"{name}: {r!r}")
