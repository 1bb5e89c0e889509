"""Conversations: create (with a first message), list filters, cursor pagination, status and
assignee changes, messages with contiguous seq, internal notes, receipts that only move
forward, typing."""

import re
import time

import harness

setUpModule, tearDownModule = harness.module_server()


class ConversationsTest(harness.ParleyCase):
    def test_create_with_first_message(self):
        c = self.new_customer(name="Opening")
        conv = self.api("POST", "/api/v1/conversations",
                        {"customer_id": c["id"], "channel": "email", "subject": "Broken boiler",
                         "priority": "high", "contact_reason": "fault", "tags": ["boiler", "gas"],
                         "message": "My boiler stopped working"}, who="agent", expect=201).json
        self.assertRegex(conv["reference"], r"^ACME-\d+$")
        self.assertEqual(conv["customer_id"], c["id"])
        self.assertEqual(conv["channel"], "email")
        self.assertEqual(conv["subject"], "Broken boiler")
        self.assertEqual(conv["priority"], "high")
        self.assertEqual(conv["contact_reason"], "fault")
        self.assertEqual(sorted(conv["tags"]), ["boiler", "gas"])
        self.assertEqual(conv["last_seq"], 1)
        self.assertEqual(conv["assignees"], [])
        self.assertIsNone(conv["resolved_at"])
        msgs = self.api("GET", f"/api/v1/conversations/{conv['id']}/messages", who="agent",
                        expect=200).json["data"]
        self.assertEqual(len(msgs), 1)
        self.assertEqual(msgs[0]["seq"], 1)
        self.assertEqual(msgs[0]["sender"], "customer")
        self.assertEqual(msgs[0]["body"], "My boiler stopped working")
        self.assertFalse(msgs[0]["internal"])
        got = self.api("GET", f"/api/v1/conversations/{conv['id']}", who="agent", expect=200).json
        self.assertEqual(got, conv)

    def test_references_are_unique(self):
        refs = [self.new_conversation()["reference"] for _ in range(3)]
        self.assertEqual(len(set(refs)), 3)

    def test_create_without_message_has_no_messages(self):
        conv = self.new_conversation()
        self.assertEqual(conv["last_seq"], 0)
        self.assertEqual(conv["priority"], "normal")
        r = self.api("GET", f"/api/v1/conversations/{conv['id']}/messages", who="agent",
                     expect=200).json
        self.assertEqual(r["data"], [])
        self.assertIsNone(r["next_cursor"])

    def test_create_for_unknown_customer_is_404(self):
        before = self.srv.counts()
        r = self.api("POST", "/api/v1/conversations", {"customer_id": 987654321}, who="admin")
        self.assertError(r, 404, "not_found")
        self.assertEqual(self.srv.counts(), before)

    def test_messages_have_contiguous_seq(self):
        conv = self.new_conversation(message="first")
        agent = self.srv.user("agent")
        made = []
        for i in range(6):
            m = self.api("POST", f"/api/v1/conversations/{conv['id']}/messages",
                         {"body": f"reply {i}", "internal": i == 3}, who="agent", expect=201).json
            self.assertEqual(m["sender"], "agent")
            self.assertEqual(m["author_id"], agent["id"])
            self.assertEqual(m["conversation_id"], conv["id"])
            self.assertEqual(m["internal"], i == 3)
            self.assertEqual(m["channel"], "web", "a message defaults to the conversation's channel")
            made.append(m)
        self.assertEqual([m["seq"] for m in made], list(range(2, 8)))
        got = self.api("GET", f"/api/v1/conversations/{conv['id']}", who="agent", expect=200).json
        self.assertEqual(got["last_seq"], 7)
        all_msgs = self.walk(f"/api/v1/conversations/{conv['id']}/messages", limit=2)
        self.assertEqual([m["seq"] for m in all_msgs], list(range(1, 8)))
        self.assertEqual([m["id"] for m in all_msgs[1:]], [m["id"] for m in made])
        self.assertTrue(all_msgs[4]["internal"], "staff see internal notes")

    def test_first_response_is_recorded(self):
        conv = self.new_conversation(message="hello?")
        self.assertIsNone(conv["first_response_at"])
        self.api("POST", f"/api/v1/conversations/{conv['id']}/messages",
                 {"body": "note", "internal": True}, who="agent", expect=201)
        self.api("POST", f"/api/v1/conversations/{conv['id']}/messages", {"body": "Hi!"},
                 who="agent", expect=201)
        got = self.api("GET", f"/api/v1/conversations/{conv['id']}", who="agent", expect=200).json
        self.assertIsNotNone(got["first_response_at"])

    def test_patch_status_priority_tags_subject(self):
        conv = self.new_conversation()
        time.sleep(0.005)
        p = self.api("PATCH", f"/api/v1/conversations/{conv['id']}",
                     {"status": "pending_customer", "priority": "urgent", "tags": ["x"],
                      "subject": "New subject", "contact_reason": "billing"},
                     who="agent", expect=200).json
        self.assertEqual((p["status"], p["priority"], p["tags"], p["subject"],
                          p["contact_reason"]),
                         ("pending_customer", "urgent", ["x"], "New subject", "billing"))
        self.assertGreaterEqual(p["updated_at"], conv["updated_at"])
        p = self.api("PATCH", f"/api/v1/conversations/{conv['id']}", {"status": "resolved"},
                     who="agent", expect=200).json
        self.assertIsNotNone(p["resolved_at"])
        p = self.api("PATCH", f"/api/v1/conversations/{conv['id']}", {"status": "closed"},
                     who="agent", expect=200).json
        self.assertIsNotNone(p["closed_at"])
        got = self.api("GET", f"/api/v1/conversations/{conv['id']}", who="agent", expect=200).json
        self.assertEqual(got["status"], "closed")

    def test_assigning_a_queued_conversation_makes_it_assigned(self):
        conv = self.new_conversation()
        p = self.api("PATCH", f"/api/v1/conversations/{conv['id']}", {"status": "queued"},
                     who="admin", expect=200).json
        self.assertEqual(p["status"], "queued")
        agent, agent2 = self.srv.user("agent")["id"], self.srv.user("agent2")["id"]
        p = self.api("PATCH", f"/api/v1/conversations/{conv['id']}",
                     {"assignees": [agent, agent2]}, who="supervisor", expect=200).json
        self.assertEqual(p["assignees"], [agent, agent2])
        self.assertEqual(p["status"], "assigned")
        p = self.api("PATCH", f"/api/v1/conversations/{conv['id']}",
                     {"status": "pending_customer"}, who="agent", expect=200).json
        p = self.api("PATCH", f"/api/v1/conversations/{conv['id']}", {"assignees": [agent2]},
                     who="agent", expect=200).json
        self.assertEqual(p["assignees"], [agent2])
        self.assertEqual(p["status"], "pending_customer", "only bot/queued become assigned")

    def test_assigning_an_unknown_user_is_refused(self):
        conv = self.new_conversation()
        before = self.srv.counts()
        r = self.api("PATCH", f"/api/v1/conversations/{conv['id']}", {"assignees": [987654]},
                     who="admin")
        self.assertIn(r.status, (400, 404), r)
        self.assertEqual(self.srv.counts(), before)

    def test_list_filters(self):
        cust = self.new_customer(name="Filter Person")
        a = self.new_conversation(cust["id"])
        b = self.new_conversation(cust["id"])
        c = self.new_conversation(cust["id"])
        agent = self.srv.user("agent")["id"]
        self.api("PATCH", f"/api/v1/conversations/{a['id']}", {"status": "queued"}, who="admin",
                 expect=200)
        self.api("PATCH", f"/api/v1/conversations/{b['id']}", {"assignees": [agent]},
                 who="admin", expect=200)
        self.api("PATCH", f"/api/v1/conversations/{c['id']}", {"status": "resolved"},
                 who="admin", expect=200)
        mine = {x["id"] for x in self.walk(f"/api/v1/conversations?customer={cust['id']}")}
        self.assertEqual(mine, {a["id"], b["id"], c["id"]})
        resolved = self.walk(f"/api/v1/conversations?status=resolved&customer={cust['id']}")
        self.assertEqual([x["id"] for x in resolved], [c["id"]])
        for x in self.walk("/api/v1/conversations?status=queued"):
            self.assertEqual(x["status"], "queued")
        assigned_me = {x["id"] for x in self.walk("/api/v1/conversations?assignee=me",
                                                  who="agent")}
        self.assertIn(b["id"], assigned_me)
        self.assertNotIn(a["id"], assigned_me)
        by_id = {x["id"] for x in self.walk(f"/api/v1/conversations?assignee={agent}")}
        self.assertEqual(by_id, assigned_me)
        for x in self.walk(f"/api/v1/conversations?assignee=me", who="agent"):
            self.assertIn(agent, x["assignees"])
        none = self.walk(f"/api/v1/conversations?assignee=none&customer={cust['id']}")
        self.assertEqual({x["id"] for x in none}, {a["id"], c["id"]})
        for x in self.walk("/api/v1/conversations?assignee=none"):
            self.assertEqual(x["assignees"], [])
        # updated_since
        since = int(time.time() * 1000)
        time.sleep(0.01)
        self.api("PATCH", f"/api/v1/conversations/{a['id']}", {"priority": "high"}, who="admin",
                 expect=200)
        recent = {x["id"] for x in self.walk(f"/api/v1/conversations?updated_since={since}")}
        self.assertIn(a["id"], recent)
        self.assertNotIn(c["id"], recent)

    def test_cursor_pagination_walks_all_pages_once_newest_first(self):
        cust = self.new_customer(name="Many Conversations")
        made = [self.new_conversation(cust["id"])["id"] for _ in range(7)]
        for limit in (1, 2, 3, 7, 50):
            with self.subTest(limit=limit):
                got = [x["id"] for x in
                       self.walk(f"/api/v1/conversations?customer={cust['id']}", limit=limit)]
                self.assertEqual(got, list(reversed(made)))
        everything = [x["id"] for x in self.walk("/api/v1/conversations", limit=4)]
        self.assertEqual(len(everything), len(set(everything)), "a conversation appears twice")
        total = self.srv.db_query("SELECT count(*) FROM conversations WHERE tenant_id=?",
                                  (self.srv.tenant_id(),))[0][0]
        self.assertEqual(len(everything), total)
        # a page of exactly `limit` items that ends the list
        r = self.api("GET", f"/api/v1/conversations?customer={cust['id']}&limit=7", who="admin",
                     expect=200).json
        self.assertEqual(len(r["data"]), 7)
        if r["next_cursor"] is not None:
            r2 = self.api("GET", f"/api/v1/conversations?customer={cust['id']}&limit=7&cursor="
                          f"{r['next_cursor']}", who="admin", expect=200).json
            self.assertEqual(r2["data"], [])
            self.assertIsNone(r2["next_cursor"])

    def test_default_page_is_50(self):
        total = self.srv.db_query("SELECT count(*) FROM conversations WHERE tenant_id=?",
                                  (self.srv.tenant_id(),))[0][0]
        while total <= 50:  # the demo data may be smaller than a page: top it up
            self.new_conversation()
            total += 1
        r = self.api("GET", "/api/v1/conversations", who="admin", expect=200).json
        self.assertEqual(len(r["data"]), 50)
        self.assertIsNotNone(r["next_cursor"])
        r = self.api("GET", "/api/v1/conversations?limit=200", who="admin", expect=200).json
        self.assertEqual(len(r["data"]), min(200, total))

    def test_pagination_is_stable_while_new_items_arrive(self):
        cust = self.new_customer(name="Moving Target")
        made = [self.new_conversation(cust["id"])["id"] for _ in range(4)]
        r = self.api("GET", f"/api/v1/conversations?customer={cust['id']}&limit=2", who="admin",
                     expect=200).json
        self.new_conversation(cust["id"])  # newer than the first page: must not shift the walk
        r2 = self.api("GET", f"/api/v1/conversations?customer={cust['id']}&limit=2&cursor="
                      f"{r['next_cursor']}", who="admin", expect=200).json
        self.assertEqual([x["id"] for x in r["data"] + r2["data"]], list(reversed(made)))

    def test_receipts_only_move_forward(self):
        conv = self.new_conversation(message="one")
        for i in range(4):
            self.api("POST", f"/api/v1/conversations/{conv['id']}/messages", {"body": f"m{i}"},
                     who="agent", expect=201)
        path = f"/api/v1/conversations/{conv['id']}/receipts"
        agent = self.srv.user("agent")["id"]
        r = self.api("POST", path, {"kind": "read", "seq": 3}, who="agent", expect=200).json
        self.assertEqual(r["participant"], f"user:{agent}")
        self.assertEqual(r["read_seq"], 3)
        r = self.api("POST", path, {"kind": "read", "seq": 1}, who="agent", expect=200).json
        self.assertEqual(r["read_seq"], 3, "a lower seq leaves the cursor unchanged")
        r = self.api("POST", path, {"kind": "delivered", "seq": 5}, who="agent", expect=200).json
        self.assertEqual((r["delivered_seq"], r["read_seq"]), (5, 3))
        r = self.api("POST", path, {"kind": "delivered", "seq": 2}, who="agent", expect=200).json
        self.assertEqual(r["delivered_seq"], 5)
        got = self.api("GET", path, who="agent", expect=200).json
        self.assertEqual(got["accepted_seq"], 5)
        mine = [x for x in got["data"] if x["participant"] == f"user:{agent}"]
        self.assertEqual(len(mine), 1)
        self.assertEqual((mine[0]["delivered_seq"], mine[0]["read_seq"]), (5, 3))

    def test_receipt_beyond_last_seq_is_refused(self):
        conv = self.new_conversation(message="one")
        r = self.api("POST", f"/api/v1/conversations/{conv['id']}/receipts",
                     {"kind": "read", "seq": 99}, who="agent")
        if r.status == 200:  # tolerated only when clamped to what exists
            self.assertLessEqual(r.json["read_seq"], 1)
        else:
            self.assertError(r, 400, "invalid_argument")

    def test_typing_is_204(self):
        conv = self.new_conversation()
        r = self.api("POST", f"/api/v1/conversations/{conv['id']}/typing", who="agent",
                     expect=204)
        self.assertEqual(r.body, b"")
        self.assertError(self.api("POST", "/api/v1/conversations/987654321/typing",
                                  who="agent"), 404, "not_found")


class ConcurrencyTest(harness.ParleyCase):
    def test_concurrent_messages_get_contiguous_unique_seq(self):
        """Customer and advisers writing at once: every message is acknowledged, seq runs
        1..N with no gap and no duplicate, and last_seq agrees (the single writer's batches)."""
        from concurrent.futures import ThreadPoolExecutor
        v = self.widget_session()
        first = self.api("POST", "/api/v1/widget/messages", {"body": "start"}, token=v["token"],
                         expect=201).json
        cid = first["conversation_id"]
        for who in ("agent", "agent2", "supervisor"):
            self.srv.token(who)

        def post(i):
            if i % 4 == 0:
                return self.srv.request("POST", "/api/v1/widget/messages",
                                        {"body": f"c{i}"}, token=v["token"])
            who = ("agent", "agent2", "supervisor")[i % 3]
            return self.srv.request("POST", f"/api/v1/conversations/{cid}/messages",
                                    {"body": f"s{i}", "internal": i % 5 == 0},
                                    token=self.srv.token(who))

        with ThreadPoolExecutor(max_workers=12) as pool:
            results = list(pool.map(post, range(48)))
        for r in results:
            self.assertEqual(r.status, 201, r)
        seqs = sorted(r.json["message"]["seq"] if "message" in r.json else r.json["seq"]
                      for r in results)
        self.assertEqual(seqs, list(range(2, 50)))
        conv = self.api("GET", f"/api/v1/conversations/{cid}", who="agent", expect=200).json
        self.assertEqual(conv["last_seq"], 49)
        listed = self.walk(f"/api/v1/conversations/{cid}/messages", limit=200)
        self.assertEqual([m["seq"] for m in listed], list(range(1, 50)))

    def test_text_round_trips_exactly(self):
        text = "Gr\u00fc\u00dfe \U0001F44B \u0645\u0631\u062d\u0628\u0627 \u4f60\u597d \"quoted\" \\ back\nslash\ttab"
        c = self.new_customer(name="Zo\u00eb \u00c5str\u00f6m \U0001F600")
        got = self.api("GET", f"/api/v1/customers/{c['id']}", who="agent", expect=200).json
        self.assertEqual(got["name"], "Zo\u00eb \u00c5str\u00f6m \U0001F600")
        v = self.widget_session()
        sent = self.api("POST", "/api/v1/widget/messages", {"body": text}, token=v["token"],
                        expect=201).json
        self.assertEqual(sent["message"]["body"], text)
        staff = self.walk(f"/api/v1/conversations/{sent['conversation_id']}/messages")
        self.assertEqual(staff[0]["body"], text)
        mine = self.walk(f"/api/v1/widget/conversations/{sent['conversation_id']}/messages",
                         token=v["token"])
        self.assertEqual(mine[0]["body"], text)
