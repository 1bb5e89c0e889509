"""What each staff role may do (docs/api.md, Roles): agents cannot list users or read the
audit trail, only admins create users, and crowd experts see redacted customers and may only
write internal notes."""

import re

import harness

setUpModule, tearDownModule = harness.module_server()


class RolesTest(harness.ParleyCase):
    @classmethod
    def setUpClass(cls):
        cls.cust = None

    def customer(self):
        if RolesTest.cust is None:
            RolesTest.cust = self.new_customer(
                name="Jane van Smith", needs=["hearing", "financial_difficulty"],
                needs_note="Prefers written contact", preferred_channel="email",
                identities=[{"kind": "email", "value": "jane.roles@example.com"}])
        return RolesTest.cust

    def test_user_listing_is_for_admins_and_supervisors(self):
        for who in ("admin", "supervisor"):
            with self.subTest(who=who):
                users = self.walk("/api/v1/users", who=who)
                emails = {u["email"] for u in users}
                self.assertIn("admin@acme.example", emails)
                self.assertIn(harness.DEMO_USERS["agent"], emails)
                self.assertNotIn(harness.OTHER_ADMIN, emails)
        for who in ("agent", "expert"):
            with self.subTest(who=who):
                self.assertError(self.api("GET", "/api/v1/users", who=who), 403,
                                 "permission_denied")

    def test_audit_is_for_admins_only(self):
        self.api("GET", "/api/v1/audit", who="admin", expect=200)
        for who in ("supervisor", "agent", "expert"):
            with self.subTest(who=who):
                self.assertError(self.api("GET", "/api/v1/audit", who=who), 403,
                                 "permission_denied")

    def test_only_admins_create_users(self):
        body = {"email": "new.agent@acme.example", "name": "New Agent", "role": "agent",
                "password": "correct-horse-battery", "skills": ["billing:3"],
                "languages": ["en", "fr"], "team": None}
        body.pop("team")
        before = self.srv.counts()
        for who in ("supervisor", "agent", "expert"):
            with self.subTest(who=who):
                self.assertError(self.api("POST", "/api/v1/users", body, who=who), 403,
                                 "permission_denied")
        self.assertEqual(self.srv.counts(), before)
        u = self.api("POST", "/api/v1/users", body, who="admin", expect=201).json
        self.assertEqual(u["email"], "new.agent@acme.example")
        self.assertEqual(u["role"], "agent")
        self.assertEqual(u["skills"], ["billing:3"])
        self.assertEqual(u["languages"], ["en", "fr"])
        self.assertTrue(u["active"])
        self.assertNotIn("password", u)
        tok = self.srv.login("new.agent@acme.example", "correct-horse-battery")["token"]
        me = self.api("GET", "/api/v1/me", token=tok, expect=200).json
        self.assertEqual(me["id"], u["id"])
        # the same email twice is a conflict, not a second account
        r = self.api("POST", "/api/v1/users", body, who="admin")
        self.assertIn(r.status, (400, 409), r)

    def test_advisers_see_needs_and_names(self):
        c = self.customer()
        for who in ("admin", "supervisor", "agent"):
            with self.subTest(who=who):
                got = self.api("GET", f"/api/v1/customers/{c['id']}", who=who, expect=200).json
                self.assertEqual(got["name"], "Jane van Smith")
                self.assertEqual(sorted(got["needs"]), ["financial_difficulty", "hearing"])
                self.assertEqual(got["needs_note"], "Prefers written contact")
                self.assertEqual([i["value"] for i in got["identities"]],
                                 ["jane.roles@example.com"])

    def test_expert_sees_initials_and_no_needs_or_identities(self):
        c = self.customer()
        # crowd experts read the customers of conversations they take part in (swarming)
        conv = self.new_conversation(c["id"])
        self.api("PATCH", f"/api/v1/conversations/{conv['id']}",
                 {"assignees": [self.srv.user("agent")["id"], self.srv.user("expert")["id"]]},
                 who="supervisor", expect=200)
        got = self.api("GET", f"/api/v1/customers/{c['id']}", who="expert", expect=200).json
        self.assertEqual(got["name"], "J. V. S.")
        for hidden in ("needs", "needs_note", "identities"):
            self.assertNotIn(hidden, got)
        listed = [x for x in self.walk("/api/v1/customers", who="expert") if x["id"] == c["id"]]
        self.assertEqual(len(listed), 1)
        self.assertEqual(listed[0]["name"], "J. V. S.")
        self.assertNotIn("needs", listed[0])
        self.assertNotIn("needs_note", listed[0])
        # nor through the identities sub-resource
        r = self.api("GET", f"/api/v1/customers/{c['id']}/identities", who="expert")
        if r.status == 200:
            self.assertEqual(r.json["data"], [], "experts never get identities")
        else:
            self.assertError(r, 403, "permission_denied")
        # every customer the expert lists is redacted
        for x in self.walk("/api/v1/customers", who="expert"):
            self.assertNotIn("needs", x)
            if x["name"] is not None:
                self.assertRegex(x["name"], r"^(\S\.)( \S\.)*$|^$")

    def test_expert_posts_internal_notes_only(self):
        conv = self.new_conversation(self.customer()["id"], message="My bill is wrong")
        # experts work the cases they are pulled into (swarming)
        self.api("PATCH", f"/api/v1/conversations/{conv['id']}",
                 {"assignees": [self.srv.user("agent")["id"], self.srv.user("expert")["id"]]},
                 who="supervisor", expect=200)
        self.srv.token("expert")
        before = self.srv.counts()
        r = self.api("POST", f"/api/v1/conversations/{conv['id']}/messages",
                     {"body": "Hello from the expert"}, who="expert")
        self.assertError(r, 403, "permission_denied")
        r = self.api("POST", f"/api/v1/conversations/{conv['id']}/messages",
                     {"body": "Hello from the expert", "internal": False}, who="expert")
        self.assertError(r, 403, "permission_denied")
        self.assertEqual(self.srv.counts(), before)
        note = self.api("POST", f"/api/v1/conversations/{conv['id']}/messages",
                        {"body": "Looks like a tariff error", "internal": True}, who="expert",
                        expect=201).json
        self.assertTrue(note["internal"])
        self.assertEqual(note["sender"], "agent")
        self.assertEqual(note["author_id"], self.srv.user("expert")["id"])

    def test_expert_cannot_change_customers_or_conversations(self):
        c = self.customer()
        conv = self.new_conversation(c["id"])
        before = self.srv.counts()
        cases = [
            ("POST", "/api/v1/customers", {"name": "Someone"}),
            ("PATCH", f"/api/v1/customers/{c['id']}", {"name": "Changed"}),
            ("POST", f"/api/v1/customers/{c['id']}/identities",
             {"kind": "phone", "value": "+447700900123"}),
            ("POST", f"/api/v1/customers/{c['id']}/consents",
             {"purpose": "marketing", "channel": "email", "granted": True}),
            ("POST", "/api/v1/conversations", {"customer_id": c["id"], "channel": "web"}),
            ("PATCH", f"/api/v1/conversations/{conv['id']}", {"status": "resolved"}),
            ("PATCH", f"/api/v1/conversations/{conv['id']}",
             {"assignees": [self.srv.user("expert")["id"]]}),
        ]
        for method, path, body in cases:
            with self.subTest(method=method, path=path):
                self.assertError(self.api(method, path, body, who="expert"), 403,
                                 "permission_denied")
        self.assertEqual(self.srv.counts(), before)

    def test_agent_can_work_a_case(self):
        c = self.new_customer(who="agent", name="Agent Made")
        conv = self.new_conversation(c["id"], who="agent")
        agent_id = self.srv.user("agent")["id"]
        upd = self.api("PATCH", f"/api/v1/conversations/{conv['id']}",
                       {"assignees": [agent_id]}, who="agent", expect=200).json
        self.assertEqual(upd["assignees"], [agent_id])
        self.api("POST", f"/api/v1/conversations/{conv['id']}/messages", {"body": "On it"},
                 who="agent", expect=201)
