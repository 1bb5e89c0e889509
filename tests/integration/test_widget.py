"""The customer side: anonymous widget sessions, messages opening and continuing a
conversation, signed identities linking devices to one customer and history, internal notes
hidden, and visitors kept to their own conversations."""

import harness

setUpModule, tearDownModule = harness.module_server()


class WidgetTest(harness.ParleyCase):
    def send(self, token, body, conversation_id=None, expect=201):
        b = {"body": body}
        if conversation_id is not None:
            b["conversation_id"] = conversation_id
        return self.api("POST", "/api/v1/widget/messages", b, token=token, expect=expect).json

    def test_anonymous_session_and_conversation(self):
        s = self.widget_session(name="Visitor Vera")
        self.assertGreater(s["expires_at"], 0)
        parts = s["token"].split(".")
        self.assertEqual(parts[0], "v1")
        self.assertEqual(int(parts[1]), self.srv.tenant_id())
        self.assertEqual(int(parts[2]), s["customer_id"])
        first = self.send(s["token"], "Hello, is anyone there?")
        self.assertEqual(first["message"]["seq"], 1)
        self.assertEqual(first["message"]["sender"], "customer")
        self.assertEqual(first["message"]["channel"], "web")
        self.assertFalse(first["message"]["internal"])
        self.assertEqual(first["message"]["conversation_id"], first["conversation_id"])
        conv = self.api("GET", f"/api/v1/conversations/{first['conversation_id']}", who="agent",
                        expect=200).json
        self.assertEqual(conv["status"], "queued")
        self.assertEqual(conv["channel"], "web")
        self.assertEqual(conv["customer_id"], s["customer_id"])
        second = self.send(s["token"], "Still here")
        self.assertEqual(second["conversation_id"], first["conversation_id"])
        self.assertEqual(second["message"]["seq"], 2)
        convs = self.walk("/api/v1/widget/conversations", token=s["token"])
        self.assertEqual([c["id"] for c in convs], [first["conversation_id"]])
        for staff_only in ("assignees", "contact_reason", "tags", "priority"):
            self.assertNotIn(staff_only, convs[0], "customer view has no staff fields")
        cust = self.api("GET", f"/api/v1/customers/{s['customer_id']}", who="agent",
                        expect=200).json
        self.assertEqual(cust["name"], "Visitor Vera")

    def test_internal_notes_are_hidden_from_the_widget(self):
        s = self.widget_session()
        first = self.send(s["token"], "My order is late")
        cid = first["conversation_id"]
        self.api("POST", f"/api/v1/conversations/{cid}/messages",
                 {"body": "SECRET-NOTE customer sounds upset", "internal": True}, who="agent",
                 expect=201)
        reply = self.api("POST", f"/api/v1/conversations/{cid}/messages",
                         {"body": "Sorry, checking now"}, who="agent", expect=201).json
        msgs = self.walk(f"/api/v1/widget/conversations/{cid}/messages", token=s["token"])
        self.assertEqual([m["body"] for m in msgs], ["My order is late", "Sorry, checking now"])
        self.assertEqual([m["seq"] for m in msgs], [1, 3])
        self.assertTrue(all(not m["internal"] for m in msgs))
        self.assertEqual(msgs[1]["id"], reply["id"])
        # pages of one: still no note, no duplicate
        paged = self.walk(f"/api/v1/widget/conversations/{cid}/messages", token=s["token"],
                          limit=1)
        self.assertEqual([m["id"] for m in paged], [m["id"] for m in msgs])
        staff = self.walk(f"/api/v1/conversations/{cid}/messages")
        self.assertEqual(len(staff), 3)

    def test_a_resolved_conversation_is_not_reused(self):
        s = self.widget_session()
        first = self.send(s["token"], "Question one")
        self.api("PATCH", f"/api/v1/conversations/{first['conversation_id']}",
                 {"status": "closed"}, who="agent", expect=200)
        again = self.send(s["token"], "A new question")
        self.assertNotEqual(again["conversation_id"], first["conversation_id"])
        self.assertEqual(again["message"]["seq"], 1)
        convs = {c["id"] for c in self.walk("/api/v1/widget/conversations", token=s["token"])}
        self.assertEqual(convs, {first["conversation_id"], again["conversation_id"]})

    def test_signed_identity_links_devices(self):
        ident = "email:jane.devices@example.com"
        laptop = self.widget_session(identifier=ident)
        phone = self.widget_session(identifier=ident)
        self.assertEqual(laptop["customer_id"], phone["customer_id"])
        first = self.send(laptop["token"], "Sent from my laptop")
        second = self.send(phone["token"], "And now from my phone")
        self.assertEqual(first["conversation_id"], second["conversation_id"])
        history = self.walk(f"/api/v1/widget/conversations/{first['conversation_id']}/messages",
                            token=phone["token"])
        self.assertEqual([m["body"] for m in history],
                         ["Sent from my laptop", "And now from my phone"])
        # the identity is on the customer record, normalised
        ids = self.api("GET", f"/api/v1/customers/{laptop['customer_id']}/identities",
                       who="agent", expect=200).json["data"]
        self.assertIn(("email", "jane.devices@example.com"), {(i["kind"], i["value"]) for i in ids})

    def test_signed_identity_finds_an_existing_customer(self):
        cust = self.new_customer(name="Known Kim",
                                 identities=[{"kind": "email", "value": "kim@example.com"}])
        s = self.widget_session(identifier="email:kim@example.com")
        self.assertEqual(s["customer_id"], cust["id"])
        ext = self.widget_session(identifier="external:C-1042")
        ext2 = self.widget_session(identifier="external:C-1042")
        self.assertEqual(ext["customer_id"], ext2["customer_id"])
        self.assertNotEqual(ext["customer_id"], cust["id"])

    def test_bad_identifier_hash_is_401(self):
        secret = self.srv.widget_secret()
        ident = "email:mallory@example.com"
        before = self.srv.counts()
        cases = [
            harness.sign_identifier(secret, "email:someone.else@example.com"),
            harness.sign_identifier("not-the-secret", ident),
            "0" * 64,
            harness.sign_identifier(self.srv.widget_secret(harness.OTHER_TENANT), ident),
        ]
        for h in cases:
            with self.subTest(hash=h[:12]):
                r = self.api("POST", "/api/v1/widget/sessions",
                             {"tenant": "acme", "identifier": ident, "identifier_hash": h})
                self.assertError(r, 401, "unauthenticated")
        r = self.api("POST", "/api/v1/widget/sessions", {"tenant": "acme", "identifier": ident})
        self.assertIn(r.status, (400, 401), r)
        self.assertEqual(self.srv.counts(), before, "a refused session created something")

    def test_hash_is_case_insensitive_hex(self):
        ident = "email:upper.hex@example.com"
        h = harness.sign_identifier(self.srv.widget_secret(), ident).upper()
        self.api("POST", "/api/v1/widget/sessions",
                 {"tenant": "acme", "identifier": ident, "identifier_hash": h}, expect=201)

    def test_unknown_tenant_is_refused(self):
        before = self.srv.counts()
        r = self.api("POST", "/api/v1/widget/sessions", {"tenant": "no-such-tenant"})
        # the contract does not say which: 400 (field tenant), 401 or 404 are all fair
        self.assertIn(r.status, (400, 401, 404), r)
        self.assertEqual(self.srv.counts(), before)

    def test_visitor_cannot_reach_another_customers_conversation(self):
        alice = self.widget_session()
        bob = self.widget_session()
        a = self.send(alice["token"], "Alice's private question")
        cid = a["conversation_id"]
        before = self.srv.counts()
        self.assertError(self.api("GET", f"/api/v1/widget/conversations/{cid}/messages",
                                  token=bob["token"]), 404, "not_found")
        self.assertError(self.api("POST", "/api/v1/widget/messages",
                                  {"body": "let me in", "conversation_id": cid},
                                  token=bob["token"]), 404, "not_found")
        self.assertError(self.api("POST", f"/api/v1/widget/conversations/{cid}/receipts",
                                  {"kind": "read", "seq": 1}, token=bob["token"]), 404,
                         "not_found")
        self.assertEqual(self.srv.counts(), before)
        self.assertEqual(self.walk("/api/v1/widget/conversations", token=bob["token"]), [])
        # a conversation opened by staff for someone else is just as invisible
        staff_conv = self.new_conversation(message="staff-side")
        self.assertError(self.api("GET",
                                  f"/api/v1/widget/conversations/{staff_conv['id']}/messages",
                                  token=alice["token"]), 404, "not_found")

    def test_explicit_conversation_id(self):
        s = self.widget_session()
        a = self.send(s["token"], "first")
        b = self.send(s["token"], "second", conversation_id=a["conversation_id"])
        self.assertEqual(b["conversation_id"], a["conversation_id"])
        self.assertError(self.api("POST", "/api/v1/widget/messages",
                                  {"body": "x", "conversation_id": 987654321},
                                  token=s["token"]), 404, "not_found")

    def test_widget_receipts_only_move_forward(self):
        s = self.widget_session()
        a = self.send(s["token"], "one")
        cid = a["conversation_id"]
        for i in range(3):
            self.api("POST", f"/api/v1/conversations/{cid}/messages", {"body": f"r{i}"},
                     who="agent", expect=201)
        path = f"/api/v1/widget/conversations/{cid}/receipts"
        r = self.api("POST", path, {"kind": "read", "seq": 3}, token=s["token"], expect=200).json
        self.assertEqual(r["participant"], f"customer:{s['customer_id']}")
        self.assertEqual(r["read_seq"], 3)
        r = self.api("POST", path, {"kind": "read", "seq": 2}, token=s["token"], expect=200).json
        self.assertEqual(r["read_seq"], 3)
        r = self.api("POST", path, {"kind": "delivered", "seq": 4}, token=s["token"],
                     expect=200).json
        self.assertEqual((r["delivered_seq"], r["read_seq"]), (4, 3))
        staff = self.api("GET", f"/api/v1/conversations/{cid}/receipts", who="agent",
                         expect=200).json
        cust = [x for x in staff["data"] if x["participant"] == f"customer:{s['customer_id']}"]
        self.assertEqual((cust[0]["delivered_seq"], cust[0]["read_seq"]), (4, 3))
        self.assertEqual(staff["accepted_seq"], 4)

    def test_visitor_token_of_another_tenant_sees_nothing_here(self):
        g = self.widget_session(tenant=harness.OTHER_TENANT)
        a = self.widget_session()
        msg = self.send(a["token"], "acme only")
        self.assertError(self.api("GET",
                                  f"/api/v1/widget/conversations/{msg['conversation_id']}/messages",
                                  token=g["token"]), 404, "not_found")
