"""Staff authentication: log-in, bad credentials, bearer tokens, log-out, API tokens from the
CLI, and visitor tokens kept apart from staff tokens."""

import time

import harness

setUpModule, tearDownModule = harness.module_server()


class AuthTest(harness.ParleyCase):
    def login(self, tenant, email, password):
        return self.api("POST", "/api/v1/auth/login",
                        {"tenant": tenant, "email": email, "password": password})

    def test_login_returns_token_expiry_and_user(self):
        before = int(time.time() * 1000)
        r = self.login("acme", "admin@acme.example", "parley-demo")
        self.assertEqual(r.status, 200, r)
        self.assertGreater(r.json["expires_at"], before)
        self.assertEqual(r.json["user"]["email"], "admin@acme.example")
        self.assertEqual(r.json["user"]["role"], "admin")
        me = self.api("GET", "/api/v1/me", token=r.json["token"], expect=200).json
        self.assertEqual(me, r.json["user"])

    def test_login_email_is_case_insensitive(self):
        r = self.login("acme", "Admin@ACME.example", "parley-demo")
        self.assertEqual(r.status, 200, r)

    def test_bad_credentials_are_401_with_one_message(self):
        cases = [("acme", "admin@acme.example", "wrong-password"),
                 ("no-such-tenant", "admin@acme.example", "parley-demo"),
                 ("acme", "nobody@acme.example", "parley-demo"),
                 ("globex", "admin@acme.example", "parley-demo")]
        messages = set()
        for tenant, email, password in cases:
            with self.subTest(tenant=tenant, email=email):
                r = self.login(tenant, email, password)
                self.assertError(r, 401, "unauthenticated")
                messages.add(r.error["message"])
                self.assertNotIn("token", r.json)
        self.assertEqual(len(messages), 1, f"messages tell which part was wrong: {messages}")

    def test_missing_or_bad_bearer_is_401(self):
        good = self.srv.token("admin")
        for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer "},
                        {"Authorization": "Bearer not-a-token"},
                        {"Authorization": "Basic YWRtaW46cGFybGV5LWRlbW8="},
                        {"Authorization": good},
                        {"Authorization": "Bearer " + good[:-2]},
                        {"Authorization": "Bearer " + good + "x"}):
            with self.subTest(headers=headers):
                r = self.api("GET", "/api/v1/me", headers=headers)
                self.assertError(r, 401, "unauthenticated")
                r = self.api("GET", "/api/v1/customers", headers=headers)
                self.assertError(r, 401, "unauthenticated")

    def test_bearer_scheme_is_case_insensitive(self):
        good = self.srv.token("admin")
        r = self.api("GET", "/api/v1/me", headers={"Authorization": "bearer " + good})
        self.assertEqual(r.status, 200, r)

    def test_logout_ends_that_session_only(self):
        a = self.login("acme", "admin@acme.example", "parley-demo").json["token"]
        b = self.login("acme", "admin@acme.example", "parley-demo").json["token"]
        self.assertNotEqual(a, b)
        self.api("GET", "/api/v1/me", token=a, expect=200)
        r = self.api("POST", "/api/v1/auth/logout", token=a, expect=204)
        self.assertEqual(r.body, b"")
        self.assertError(self.api("GET", "/api/v1/me", token=a), 401, "unauthenticated")
        self.assertError(self.api("GET", "/api/v1/customers", token=a), 401)
        self.assertError(self.api("POST", "/api/v1/auth/logout", token=a), 401)
        self.api("GET", "/api/v1/me", token=b, expect=200)

    def test_logout_without_token_is_401(self):
        self.assertError(self.api("POST", "/api/v1/auth/logout"), 401, "unauthenticated")

    def test_api_token_from_cli_works(self):
        p = self.srv.cli("token", "create", "--db", self.srv.db, "--tenant", "acme",
                         "--email", harness.DEMO_USERS["supervisor"], "--name", "integration")
        token = [l for l in p.stdout.split() if len(l) >= 20][-1]
        me = self.api("GET", "/api/v1/me", token=token, expect=200).json
        self.assertEqual(me["email"], harness.DEMO_USERS["supervisor"])
        self.assertEqual(me["role"], "supervisor")
        self.api("GET", "/api/v1/users", token=token, expect=200)
        self.assertError(self.api("GET", "/api/v1/audit", token=token), 403, "permission_denied")

    def test_api_token_for_unknown_user_is_refused(self):
        p = self.srv.cli("token", "create", "--db", self.srv.db, "--tenant", "acme",
                         "--email", "ghost@acme.example", "--name", "x", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(p.stderr.strip(), "an error message")

    def test_visitor_token_is_not_a_staff_token_and_back(self):
        v = self.widget_session()["token"]
        self.assertError(self.api("GET", "/api/v1/me", token=v), 401, "unauthenticated")
        self.assertError(self.api("GET", "/api/v1/customers", token=v), 401, "unauthenticated")
        staff = self.srv.token("admin")
        self.assertError(self.api("GET", "/api/v1/widget/conversations", token=staff), 401,
                         "unauthenticated")
        self.assertError(self.api("POST", "/api/v1/widget/messages", {"body": "hi"}, token=staff),
                         401, "unauthenticated")

    def test_tampered_visitor_tokens_are_401(self):
        s = self.widget_session()
        tok = s["token"]
        parts = tok.split(".")
        self.api("GET", "/api/v1/widget/conversations", token=tok, expect=200)
        forged = [
            ".".join(parts[:2] + [str(int(parts[2]) + 1)] + parts[3:]),  # another customer
            ".".join(parts[:3] + [str(int(parts[3]) + 1000)] + parts[4:]),  # later expiry
            ".".join(parts[:4] + ["0" * 64]),  # no signature
            ".".join(parts[:4] + [parts[4][:-1] + ("0" if parts[4][-1] != "0" else "1")]),
            ".".join(["v2"] + parts[1:]),
            ".".join(parts[:3] + [str(int(time.time() * 1000) - 1000)] + parts[4:]),  # expired
            tok + ".x",
        ]
        for f in forged:
            with self.subTest(token=f):
                self.assertError(self.api("GET", "/api/v1/widget/conversations", token=f), 401,
                                 "unauthenticated")

    def test_me_shows_the_callers_role(self):
        for who in ("admin", "supervisor", "agent", "expert"):
            with self.subTest(who=who):
                me = self.api("GET", "/api/v1/me", who=who, expect=200).json
                self.assertEqual(me["role"], "agent" if who == "agent2" else who)
                self.assertEqual(me["email"], harness.DEMO_USERS[who])
