"""Tenant isolation: every kind of id that belongs to tenant B, used with tenant A's
credentials, is 404 exactly like an id that does not exist, and changes nothing."""

import harness

setUpModule, tearDownModule = harness.module_server()


class IsolationTest(harness.ParleyCase):
    @classmethod
    def setUpClass(cls):
        cls.b = None

    def other(self):
        """Objects of tenant B (globex), made with B's admin token."""
        if IsolationTest.b is None:
            t = self.srv.token("other")
            cust = self.api("POST", "/api/v1/customers",
                            {"name": "Globex Customer",
                             "identities": [{"kind": "email", "value": "g@globex-cust.example"}]},
                            token=t, expect=201).json
            conv = self.api("POST", "/api/v1/conversations",
                            {"customer_id": cust["id"], "channel": "web", "message": "hi B"},
                            token=t, expect=201).json
            self.api("POST", f"/api/v1/customers/{cust['id']}/consents",
                     {"purpose": "marketing", "channel": "email", "granted": True}, token=t,
                     expect=201)
            user = self.api("GET", "/api/v1/me", token=t, expect=200).json
            visitor = self.widget_session(tenant=harness.OTHER_TENANT)
            wmsg = self.api("POST", "/api/v1/widget/messages", {"body": "B visitor"},
                            token=visitor["token"], expect=201).json
            IsolationTest.b = {"customer": cust, "conversation": conv, "user": user,
                               "widget_conversation": wmsg["conversation_id"],
                               "visitor": visitor}
        return IsolationTest.b

    def test_every_id_of_tenant_b_is_404_for_tenant_a(self):
        b = self.other()
        cid, vid = b["customer"]["id"], b["conversation"]["id"]
        cases = [
            ("GET", "/api/v1/customers/{c}", None),
            ("PATCH", "/api/v1/customers/{c}", {"name": "Hijacked"}),
            ("GET", "/api/v1/customers/{c}/identities", None),
            ("POST", "/api/v1/customers/{c}/identities", {"kind": "email",
                                                          "value": "new@a.example"}),
            ("GET", "/api/v1/customers/{c}/consents", None),
            ("POST", "/api/v1/customers/{c}/consents",
             {"purpose": "marketing", "channel": "email", "granted": False}),
            ("GET", "/api/v1/conversations/{v}", None),
            ("PATCH", "/api/v1/conversations/{v}", {"status": "closed"}),
            ("GET", "/api/v1/conversations/{v}/messages", None),
            ("POST", "/api/v1/conversations/{v}/messages", {"body": "from A"}),
            ("GET", "/api/v1/conversations/{v}/receipts", None),
            ("POST", "/api/v1/conversations/{v}/receipts", {"kind": "read", "seq": 1}),
            ("POST", "/api/v1/conversations/{v}/typing", None),
            ("POST", "/api/v1/conversations", {"customer_id": "{c}", "channel": "web"}),
        ]

        def fill(template, body, c, v):
            b2 = None
            if body is not None:
                b2 = {k: (c if val == "{c}" else val) for k, val in body.items()}
            return template.format(c=c, v=v), b2

        before = self.srv.counts()
        for who in ("admin", "agent"):
            for method, template, body in cases:
                path, real_body = fill(template, body, cid, vid)
                with self.subTest(who=who, method=method, path=path):
                    r = self.api(method, path, real_body, who=who)
                    self.assertError(r, 404, "not_found")
                    # the same answer as for ids that do not exist at all
                    gpath, gbody = fill(template, body, 987654321, 987654322)
                    g = self.api(method, gpath, gbody, who=who)
                    msg = r.error.get("message", "")
                    msg = msg.replace(str(cid), "987654321").replace(str(vid), "987654322")
                    self.assertEqual((g.status, g.error.get("code"), g.error.get("message")),
                                     (r.status, r.error.get("code"), msg))
        self.assertEqual(self.srv.counts(), before)

    def test_user_of_tenant_b_cannot_be_assigned_in_a(self):
        b = self.other()
        conv = self.new_conversation()
        before = self.srv.counts()
        r = self.api("PATCH", f"/api/v1/conversations/{conv['id']}",
                     {"assignees": [b["user"]["id"]]}, who="admin")
        g = self.api("PATCH", f"/api/v1/conversations/{conv['id']}",
                     {"assignees": [987654321]}, who="admin")
        self.assertIn(r.status, (400, 404), r)
        self.assertEqual((r.status, r.error["code"]), (g.status, g.error["code"]))
        self.assertEqual(self.srv.counts(), before)

    def test_lists_and_filters_show_nothing_of_b(self):
        b = self.other()
        custs = {c["id"] for c in self.walk("/api/v1/customers")}
        self.assertNotIn(b["customer"]["id"], custs)
        self.assertEqual(self.walk("/api/v1/customers?q=Globex"), [])
        found = {c["id"] for c in self.walk("/api/v1/customers?q=g@globex-cust.example")}
        self.assertNotIn(b["customer"]["id"], found)
        convs = {c["id"] for c in self.walk("/api/v1/conversations")}
        self.assertNotIn(b["conversation"]["id"], convs)
        self.assertNotIn(b["widget_conversation"], convs)
        self.assertEqual(self.walk(f"/api/v1/conversations?customer={b['customer']['id']}"), [])
        self.assertEqual(self.walk(f"/api/v1/conversations?assignee={b['user']['id']}"), [])
        users = {u["id"] for u in self.walk("/api/v1/users")}
        self.assertNotIn(b["user"]["id"], users)
        for e in self.walk("/api/v1/audit"):
            self.assertNotIn(f"user:{b['user']['id']}", e["actor"])

    def test_identity_of_b_does_not_merge_into_a(self):
        b = self.other()
        a = self.new_customer(name="A Customer")
        r = self.api("POST", f"/api/v1/customers/{a['id']}/identities",
                     {"kind": "email", "value": "g@globex-cust.example"}, who="admin",
                     expect=201).json
        self.assertEqual(r["customer_id"], a["id"])
        still = self.api("GET", f"/api/v1/customers/{b['customer']['id']}/identities",
                         token=self.srv.token("other"), expect=200).json["data"]
        self.assertEqual([i["value"] for i in still], ["g@globex-cust.example"])

    def test_visitors_stay_in_their_tenant(self):
        b = self.other()
        a_visitor = self.widget_session()
        wc = b["widget_conversation"]
        self.assertError(self.api("GET", f"/api/v1/widget/conversations/{wc}/messages",
                                  token=a_visitor["token"]), 404, "not_found")
        self.assertError(self.api("POST", "/api/v1/widget/messages",
                                  {"body": "x", "conversation_id": wc},
                                  token=a_visitor["token"]), 404, "not_found")
        self.assertError(self.api("POST", f"/api/v1/widget/conversations/{wc}/receipts",
                                  {"kind": "read", "seq": 1}, token=a_visitor["token"]), 404,
                         "not_found")
        # a visitor token re-labelled with tenant A's id is not valid
        parts = b["visitor"]["token"].split(".")
        parts[1] = str(self.srv.tenant_id())
        self.assertError(self.api("GET", "/api/v1/widget/conversations", token=".".join(parts)),
                         401, "unauthenticated")

    def test_staff_of_b_cannot_log_in_to_a(self):
        r = self.api("POST", "/api/v1/auth/login",
                     {"tenant": "acme", "email": harness.OTHER_ADMIN,
                      "password": harness.OTHER_PASSWORD})
        self.assertError(r, 401, "unauthenticated")
