"""Live streams (Server-Sent Events): who receives which events, internal notes never reach
visitors, and resuming with Last-Event-ID (header or query) gives exactly the missed events:
no gap, no duplicate. Event payloads are checked against docs/openapi.yaml's schemas."""

import time

import harness

setUpModule, tearDownModule = harness.module_server(env={"PARLEY_SSE_KEEPALIVE_S": "1"})


def is_msg(ev, body):
    return ev["event"] == "message.created" and (ev["json"] or {}).get("body") == body


class StreamsTest(harness.ParleyCase):
    def open(self, path, token, **kw):
        s = harness.SSE(self.srv, path, token, **kw)
        self.addCleanup(s.close)
        if s.status == 200:
            # the stream is live once the head arrived; give the subscription a moment
            time.sleep(0.1)
        return s

    def staff_stream(self, who="admin", **kw):
        s = self.open("/api/v1/stream", self.srv.token(who), **kw)
        self.assertEqual(s.status, 200)
        return s

    def wait_for(self, stream, body, customer_view=False, max_wait=10):
        evs = stream.collect(until=lambda e: any(is_msg(x, body) for x in e), max_wait=max_wait)
        self.assertTrue(any(is_msg(x, body) for x in evs),
                        f"{stream.path}: no message.created for {body!r}; got "
                        f"{[(e['event'], (e['json'] or {}).get('body')) for e in evs]}")
        for e in evs:
            self.assertEqual(harness.check_event(e, customer_view), [], f"event {e}")
            if e["event"] != "typing":
                self.assertIsNotNone(e["id"], f"durable event without id: {e}")
        return evs

    def test_staff_streams_receive_a_widget_message(self):
        admin = self.staff_stream("admin")
        sup = self.staff_stream("supervisor")
        agent = self.staff_stream("agent")
        self.assertTrue(admin.headers["Content-Type"].startswith("text/event-stream"))
        v = self.widget_session()
        body = harness.unique("widget says ")
        sent = self.api("POST", "/api/v1/widget/messages", {"body": body}, token=v["token"],
                        expect=201).json
        for s in (admin, sup, agent):
            evs = self.wait_for(s, body)
            m = next(e for e in evs if is_msg(e, body))
            self.assertEqual(m["json"], sent["message"])
            opened = [e for e in evs if e["event"] == "conversation.created"]
            self.assertEqual([e["json"]["id"] for e in opened], [sent["conversation_id"]],
                             f"{s.path}: the new conversation was not announced first")
            self.assertLess(opened[0]["id"], m["id"])
        ids = [e["id"] for e in evs if e["id"] is not None]
        self.assertEqual(ids, sorted(ids))

    def test_visitor_stream_gets_own_messages_only_without_notes(self):
        x = self.widget_session()
        y = self.widget_session()
        first = self.api("POST", "/api/v1/widget/messages", {"body": "x opens"},
                         token=x["token"], expect=201).json
        cid = first["conversation_id"]
        s = self.open("/api/v1/widget/stream", x["token"])
        self.assertEqual(s.status, 200)
        note = harness.unique("INTERNAL-NOTE ")
        other = harness.unique("y-private ")
        own = harness.unique("x again ")
        reply = harness.unique("agent reply ")
        self.api("POST", f"/api/v1/conversations/{cid}/messages",
                 {"body": note, "internal": True}, who="agent", expect=201)
        self.api("POST", "/api/v1/widget/messages", {"body": other}, token=y["token"],
                 expect=201)
        self.api("POST", "/api/v1/widget/messages", {"body": own}, token=x["token"], expect=201)
        self.api("POST", f"/api/v1/conversations/{cid}/messages", {"body": reply}, who="agent",
                 expect=201)
        evs = self.wait_for(s, reply, customer_view=True)
        bodies = [(e["json"] or {}).get("body") for e in evs if e["event"] == "message.created"]
        self.assertIn(own, bodies)
        self.assertNotIn(note, str([e["data"] for e in evs]), "an internal note reached a visitor")
        self.assertNotIn(other, str([e["data"] for e in evs]), "another customer's message leaked")
        for e in evs:
            if e["event"] == "message.created":
                self.assertEqual(e["json"]["conversation_id"], cid)
                self.assertFalse(e["json"]["internal"])
            if e["event"].startswith("conversation."):
                self.assertEqual(e["json"]["customer_id"], x["customer_id"])
                self.assertNotIn("assignees", e["json"])
        # and nothing more arrives afterwards (the note was not just late)
        late = s.collect(quiet=1.0)
        self.assertNotIn(note, str([e["data"] for e in late]))

    def test_resume_with_last_event_id_has_no_gap_and_no_duplicate(self):
        conv = self.new_conversation(message="resume test")
        s = self.staff_stream("admin")
        mark = harness.unique("before ")
        self.api("POST", f"/api/v1/conversations/{conv['id']}/messages", {"body": mark},
                 who="agent", expect=201)
        evs = self.wait_for(s, mark)
        last = next(e for e in evs if is_msg(e, mark))["id"]
        s.close()
        missed = [harness.unique(f"missed{i} ") for i in range(3)]
        for b in missed:
            self.api("POST", f"/api/v1/conversations/{conv['id']}/messages", {"body": b},
                     who="agent", expect=201)
        self.api("PATCH", f"/api/v1/conversations/{conv['id']}", {"priority": "high"},
                 who="agent", expect=200)
        tid = self.srv.tenant_id()
        for how in ("header", "query"):
            with self.subTest(how=how):
                if how == "header":
                    r = self.staff_stream("admin", last_event_id=last)
                else:
                    r = self.open(f"/api/v1/stream?last_event_id={last}", self.srv.token("admin"))
                    self.assertEqual(r.status, 200)
                got = self.wait_for(r, missed[-1])
                got += r.collect(quiet=1.0)
                ids = [e["id"] for e in got if e["id"] is not None]
                self.assertEqual(len(ids), len(set(ids)), f"duplicate events: {ids}")
                self.assertEqual(ids, sorted(ids))
                self.assertGreater(ids[0], last, "an event before Last-Event-ID was replayed")
                expected = [row[0] for row in self.srv.db_query(
                    "SELECT id FROM events WHERE tenant_id=? AND id>? AND id<=? ORDER BY id",
                    (tid, last, ids[-1]))]
                self.assertEqual(ids, expected, "gap in the resumed stream")
                bodies = [(e["json"] or {}).get("body") for e in got
                          if e["event"] == "message.created"]
                self.assertEqual([b for b in bodies if b in missed], missed)
                self.assertIn("conversation.updated", [e["event"] for e in got])
                r.close()

    def test_visitor_resume_skips_internal_notes(self):
        v = self.widget_session()
        first = self.api("POST", "/api/v1/widget/messages", {"body": "resume me"},
                         token=v["token"], expect=201).json
        cid = first["conversation_id"]
        s = self.open("/api/v1/widget/stream", v["token"])
        mark = harness.unique("mark ")
        self.api("POST", f"/api/v1/conversations/{cid}/messages", {"body": mark}, who="agent",
                 expect=201)
        last = next(e for e in self.wait_for(s, mark, customer_view=True) if is_msg(e, mark))["id"]
        s.close()
        note = harness.unique("NOTE ")
        reply = harness.unique("reply ")
        self.api("POST", f"/api/v1/conversations/{cid}/messages", {"body": note,
                                                                    "internal": True},
                 who="agent", expect=201)
        self.api("POST", f"/api/v1/conversations/{cid}/messages", {"body": reply}, who="agent",
                 expect=201)
        r = self.open("/api/v1/widget/stream", v["token"], last_event_id=last)
        self.assertEqual(r.status, 200)
        got = self.wait_for(r, reply, customer_view=True) + r.collect(quiet=1.0)
        self.assertNotIn(note, str([e["data"] for e in got]))
        ids = [e["id"] for e in got if e["id"] is not None]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertTrue(all(i > last for i in ids))
        # exactly the customer-audience events of this customer since `last` (audience bit 2)
        expected = [row[0] for row in self.srv.db_query(
            "SELECT id FROM events WHERE tenant_id=? AND customer_id=? AND (audience & 2) != 0 "
            "AND id>? AND id<=? ORDER BY id",
            (self.srv.tenant_id(), v["customer_id"], last, ids[-1]))]
        self.assertEqual(ids, expected, "gap or extra event in the visitor's resumed stream")
        self.assertNotIn(mark, [(e["json"] or {}).get("body") for e in got], "replayed twice")

    def test_agent_and_expert_see_only_their_share(self):
        agent = self.staff_stream("agent")
        expert = self.staff_stream("expert")
        other_agent_id = self.srv.user("agent2")["id"]
        expert_id = self.srv.user("expert")["id"]
        theirs = self.new_conversation()
        self.api("PATCH", f"/api/v1/conversations/{theirs['id']}",
                 {"assignees": [other_agent_id]}, who="admin", expect=200)
        swarm = self.new_conversation()
        self.api("PATCH", f"/api/v1/conversations/{swarm['id']}", {"assignees": [expert_id]},
                 who="admin", expect=200)
        open_conv = self.new_conversation()
        self.api("PATCH", f"/api/v1/conversations/{open_conv['id']}", {"status": "queued"},
                 who="admin", expect=200)
        b_theirs = harness.unique("for agent2 ")
        b_open = harness.unique("unassigned ")
        b_swarm = harness.unique("for the expert ")
        self.api("POST", f"/api/v1/conversations/{theirs['id']}/messages", {"body": b_theirs},
                 who="agent2", expect=201)
        self.api("POST", f"/api/v1/conversations/{open_conv['id']}/messages", {"body": b_open},
                 who="admin", expect=201)
        self.api("POST", f"/api/v1/conversations/{swarm['id']}/messages", {"body": b_swarm},
                 who="admin", expect=201)
        a_evs = self.wait_for(agent, b_open)
        a_evs += agent.collect(quiet=1.0)
        e_evs = self.wait_for(expert, b_swarm)
        a_bodies = [(e["json"] or {}).get("body") for e in a_evs]
        e_bodies = [(e["json"] or {}).get("body") for e in e_evs]
        self.assertNotIn(b_theirs, a_bodies, "an agent got another agent's conversation")
        self.assertNotIn(b_swarm, a_bodies, "an agent got a conversation assigned to someone else")
        self.assertNotIn(b_theirs, e_bodies)
        self.assertNotIn(b_open, e_bodies, "an expert got an unassigned conversation")

    def test_receipt_and_typing_events(self):
        conv = self.new_conversation(message="events")
        s = self.staff_stream("admin")
        self.api("POST", f"/api/v1/conversations/{conv['id']}/typing", who="agent", expect=204)
        self.api("POST", f"/api/v1/conversations/{conv['id']}/receipts",
                 {"kind": "read", "seq": 1}, who="agent", expect=200)
        evs = s.collect(until=lambda e: any(x["event"] == "receipt.updated" for x in e))
        kinds = [e["event"] for e in evs]
        self.assertIn("typing", kinds)
        self.assertIn("receipt.updated", kinds)
        agent_id = self.srv.user("agent")["id"]
        for e in evs:
            self.assertEqual(harness.check_event(e), [], f"event {e}")
            if e["event"] == "typing":
                self.assertIsNone(e["id"], "ephemeral events carry no id")
                self.assertEqual(e["json"], {"conversation_id": conv["id"],
                                             "participant": f"user:{agent_id}"})
            if e["event"] == "receipt.updated":
                self.assertIsNotNone(e["id"])
                self.assertEqual(e["json"]["read_seq"], 1)

    def test_keep_alive_comments(self):
        s = self.staff_stream("supervisor")
        s.collect(quiet=3.5, max_wait=3.5)
        self.assertTrue(any("keep-alive" in c for c in s.comments),
                        f"no ': keep-alive' comment within 3.5 s at sse_keepalive_s=1: {s.comments}")

    def test_streams_need_the_right_token(self):
        visitor = self.widget_session()["token"]
        for path, token in (("/api/v1/stream", None), ("/api/v1/stream", "junk"),
                            ("/api/v1/stream", visitor), ("/api/v1/widget/stream", None),
                            ("/api/v1/widget/stream", self.srv.token("admin"))):
            with self.subTest(path=path, token=(token or "")[:10]):
                s = harness.SSE(self.srv, path, token)
                self.assertEqual(s.status, 401)

    def test_bad_last_event_id_is_400(self):
        for bad in ("abc", "-1", "1.5"):
            with self.subTest(value=bad):
                s = harness.SSE(self.srv, "/api/v1/stream", self.srv.token("admin"),
                                last_event_id=bad)
                s.close()
                self.assertIn(s.status, (200, 400))  # ignoring it is tolerated; never a 5xx

    def test_visitor_sees_read_receipts_and_typing_of_the_adviser(self):
        """The "two ticks": the customer's stream shows the adviser reading and typing."""
        v = self.widget_session()
        sent = self.api("POST", "/api/v1/widget/messages", {"body": "did you see this?"},
                        token=v["token"], expect=201).json
        cid = sent["conversation_id"]
        s = self.open("/api/v1/widget/stream", v["token"])
        self.assertEqual(s.status, 200)
        self.api("POST", f"/api/v1/conversations/{cid}/typing", who="agent", expect=204)
        self.api("POST", f"/api/v1/conversations/{cid}/receipts", {"kind": "read", "seq": 1},
                 who="agent", expect=200)
        evs = s.collect(until=lambda e: any(x["event"] == "receipt.updated" for x in e))
        agent = self.srv.user("agent")["id"]
        receipts = [e for e in evs if e["event"] == "receipt.updated"]
        self.assertTrue(receipts, f"no receipt.updated on the visitor stream: {evs}")
        self.assertEqual((receipts[0]["json"]["participant"], receipts[0]["json"]["read_seq"]),
                         (f"user:{agent}", 1))
        self.assertIn("typing", [e["event"] for e in evs])
        for e in evs:
            self.assertEqual(harness.check_event(e, customer_view=True), [], f"event {e}")

    def test_merge_is_announced_to_staff(self):
        keep = self.new_customer(name="Stream Keeper")
        gone = self.new_customer(name="Stream Dup",
                                 identities=[{"kind": "email", "value": "stream.dup@example.com"}])
        s = self.staff_stream("admin")
        self.api("POST", f"/api/v1/customers/{keep['id']}/identities",
                 {"kind": "email", "value": "stream.dup@example.com"}, who="admin", expect=200)
        evs = s.collect(until=lambda e: any(x["event"] == "customer.merged" for x in e))
        merged = [e for e in evs if e["event"] == "customer.merged"]
        self.assertTrue(merged, f"no customer.merged event: {[e['event'] for e in evs]}")
        self.assertIsNotNone(merged[0]["id"])
        self.assertIn(str(gone["id"]), merged[0]["data"])
        self.assertIn(str(keep["id"]), merged[0]["data"])
