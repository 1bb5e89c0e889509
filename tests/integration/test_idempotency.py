"""Idempotency-Key on creates: a retry with the same key and body returns the original status
and body with Idempotent-Replayed: true and creates nothing; the same key with another body is
409; keys belong to their caller."""

import harness

setUpModule, tearDownModule = harness.module_server()


class IdempotencyTest(harness.ParleyCase):
    def replay_check(self, method, path, body, who=None, token=None, status=201):
        key = harness.unique("key-")
        first = self.api(method, path, body, who=who, token=token,
                         headers={"Idempotency-Key": key})
        self.assertEqual(first.status, status, first)
        self.assertIsNone(first.headers.get("Idempotent-Replayed"))
        before = self.srv.counts()
        again = self.api(method, path, body, who=who, token=token,
                         headers={"Idempotency-Key": key})
        self.assertEqual(again.status, first.status)
        self.assertEqual(again.json, first.json)
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(self.srv.counts(), before, "a replay created something")
        other = dict(body)
        changed = next(k for k in ("body", "name", "subject", "value", "granted", "seq")
                       if k in other)
        other[changed] = (not other[changed] if isinstance(other[changed], bool)
                          else other[changed] + 1 if isinstance(other[changed], int)
                          else other[changed] + " (changed)")
        if changed == "value":
            other["value"] = "changed." + body["value"]
        conflict = self.api(method, path, other, who=who, token=token,
                            headers={"Idempotency-Key": key})
        self.assertError(conflict, 409, "conflict")
        self.assertEqual(self.srv.counts(), before, "a conflicting retry created something")
        return first

    def test_customer_create(self):
        c = self.replay_check("POST", "/api/v1/customers", {"name": "Once Only"}, who="agent")
        n = [x for x in self.walk("/api/v1/customers?q=Once Only".replace(" ", "%20"))]
        self.assertEqual([x["id"] for x in n], [c.json["id"]])

    def test_conversation_and_message_create(self):
        cust = self.new_customer()
        conv = self.replay_check("POST", "/api/v1/conversations",
                                 {"customer_id": cust["id"], "subject": "Once",
                                  "message": "first"}, who="agent").json
        m = self.replay_check("POST", f"/api/v1/conversations/{conv['id']}/messages",
                              {"body": "Exactly one reply"}, who="agent").json
        got = self.api("GET", f"/api/v1/conversations/{conv['id']}", who="agent", expect=200).json
        self.assertEqual(got["last_seq"], 2)
        msgs = self.walk(f"/api/v1/conversations/{conv['id']}/messages")
        self.assertEqual([x["id"] for x in msgs if x["body"] == "Exactly one reply"], [m["id"]])

    def test_identity_consent_user_create(self):
        cust = self.new_customer()
        self.replay_check("POST", f"/api/v1/customers/{cust['id']}/identities",
                          {"kind": "email", "value": "idem@example.com"}, who="agent")
        self.replay_check("POST", f"/api/v1/customers/{cust['id']}/consents",
                          {"purpose": "reminders", "channel": "sms", "granted": True},
                          who="agent")
        self.replay_check("POST", "/api/v1/users",
                          {"email": "idem.user@acme.example", "name": "Idem User",
                           "role": "agent", "password": "long-enough-pass"}, who="admin")

    def test_receipt_update(self):
        conv = self.new_conversation(message="m")
        self.replay_check("POST", f"/api/v1/conversations/{conv['id']}/receipts",
                          {"kind": "read", "seq": 0}, who="agent", status=200)

    def test_widget_message(self):
        v = self.widget_session()["token"]
        first = self.replay_check("POST", "/api/v1/widget/messages", {"body": "Only once please"},
                                  token=v).json
        msgs = self.walk(f"/api/v1/widget/conversations/{first['conversation_id']}/messages",
                         token=v)
        self.assertEqual([m["body"] for m in msgs], ["Only once please"])

    def test_keys_belong_to_their_caller(self):
        key = harness.unique("shared-")
        a = self.api("POST", "/api/v1/customers", {"name": "Shared Key"}, who="admin",
                     headers={"Idempotency-Key": key}, expect=201)
        b = self.api("POST", "/api/v1/customers", {"name": "Shared Key"}, who="agent",
                     headers={"Idempotency-Key": key}, expect=201)
        self.assertNotEqual(a.json["id"], b.json["id"])
        self.assertIsNone(b.headers.get("Idempotent-Replayed"))

    def test_without_key_every_post_creates(self):
        a = self.api("POST", "/api/v1/customers", {"name": "Twin"}, who="admin", expect=201)
        b = self.api("POST", "/api/v1/customers", {"name": "Twin"}, who="admin", expect=201)
        self.assertNotEqual(a.json["id"], b.json["id"])

    def test_failed_request_is_replayed_or_retried_not_stored_as_success(self):
        key = harness.unique("fail-")
        r = self.api("POST", "/api/v1/conversations", {"customer_id": 987654321}, who="admin",
                     headers={"Idempotency-Key": key})
        self.assertError(r, 404, "not_found")
        r = self.api("POST", "/api/v1/conversations", {"customer_id": 987654321}, who="admin",
                     headers={"Idempotency-Key": key})
        self.assertError(r, 404, "not_found")

    def test_bad_keys_are_refused(self):
        before = self.srv.counts()
        for key in ("k" * 129, "tab\there", "caf\u00e9".encode("utf-8").decode("latin-1")):
            with self.subTest(key=key[:20]):
                r = self.api("POST", "/api/v1/customers", {"name": "Bad Key"}, who="admin",
                             headers={"Idempotency-Key": key})
                self.assertError(r, 400, "invalid_argument")
        self.assertEqual(self.srv.counts(), before)
        ok = self.api("POST", "/api/v1/customers", {"name": "Long Key"}, who="admin",
                      headers={"Idempotency-Key": "k" * 128}, expect=201)
        self.assertTrue(ok.json["id"])


class ConcurrentRetryTest(harness.ParleyCase):
    def test_simultaneous_retries_create_once(self):
        """A client that fires the same request several times at once (a flaky network)
        gets one creation: every answer is the original (201, same body) or a 409, never a
        second object."""
        from concurrent.futures import ThreadPoolExecutor
        conv = self.new_conversation(message="race")
        key = harness.unique("race-")
        token = self.srv.token("agent")
        body = {"body": "exactly once, even in a race"}
        before = self.srv.counts()["messages"]

        def post(_):
            return self.srv.request("POST", f"/api/v1/conversations/{conv['id']}/messages",
                                    body, token=token, headers={"Idempotency-Key": key})

        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(post, range(6)))
        created = [r for r in results if r.status == 201]
        self.assertTrue(created, [r.status for r in results])
        for r in results:
            self.assertIn(r.status, (201, 409), r)
        self.assertEqual(len({r.json["id"] for r in created}), 1, "two messages for one key")
        self.assertEqual(self.srv.counts()["messages"], before + 1)
