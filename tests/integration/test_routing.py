"""The routing service through the API (issue 4): each assignment rule, presence and automatic
away, acceptance, transfers, call-backs, SLA deadlines and breaches, and who sees the decisions.

Every test makes its own advisers with a skill no one else has, capacity on the `api` channel
only, and its own queue taking its own contact reason, so the demo's advisers and work never
interfere. The demo's catch-all `general` queue is deleted first (its work would otherwise be
eligible for anyone), and the tenant's calendar is set to 24x7 so that short SLA policies run
on the clock. Nothing sleeps for a fixed time except bounded "nothing happens" checks; every
wait polls with a timeout."""

import time

import harness

GRACE_MS = 400
setUpModule_server, tearDownModule = harness.module_server(
    env={"PARLEY_PRESENCE_GRACE_MS": str(GRACE_MS), "PARLEY_SSE_KEEPALIVE_S": "1"})

CAPACITY_ZERO = {c: 0 for c in ("web", "portal", "email", "sms", "whatsapp", "device", "api")}


def setUpModule():
    setUpModule_server()
    srv = harness.SERVER
    tok = srv.token("supervisor")
    queues = srv.request("GET", "/api/v1/queues", token=tok).json["data"]
    for q in queues:
        if q["default"]:
            r = srv.request("DELETE", f"/api/v1/queues/{q['id']}", token=tok)
            assert r.status == 200, r
    r = srv.request("PUT", "/api/v1/sla/calendar",
                    {"time_zone": "UTC", "weekly": {}, "holidays": []}, token=tok)
    assert r.status == 200, r


class RoutingCase(harness.ParleyCase):
    def setUp(self):
        self.skill = harness.unique("sk")[:40]

    # ---- fixtures --------------------------------------------------------------------
    def adviser(self, level=3, team=None, online=True, api=3, skills=None, **profile):
        email = f"{harness.unique('adv')}@acme.example"
        body = {"email": email, "name": "Routing Adviser", "role": "agent",
                "password": "route-pass-123",
                "skills": skills if skills is not None else [f"{self.skill}:{level}"],
                "languages": ["en"]}
        if team is not None:
            body["team"] = team
        user = self.api("POST", "/api/v1/users", body, who="admin", expect=201).json
        token = self.srv.login(email, "route-pass-123")["token"]
        cap = dict(CAPACITY_ZERO, api=api)
        prof = {"capacity": cap}
        prof.update(profile)
        self.api("PUT", f"/api/v1/users/{user['id']}/routing", prof, who="supervisor",
                 expect=200)
        adv = {"id": user["id"], "token": token, "email": email}
        self.addCleanup(self.presence, adv, "offline")
        if online:
            self.presence(adv, "online")
        return adv

    def presence(self, adv, status):
        return self.api("PUT", "/api/v1/me/presence", {"status": status}, token=adv["token"],
                        expect=200).json

    def queue(self, level=3, **fields):
        self.reason = harness.unique("reason ")
        body = {"name": harness.unique("q")[:40], "skills": [f"{self.skill}:{level}"],
                "contact_reasons": [self.reason]}
        body.update(fields)
        q = self.api("POST", "/api/v1/queues", body, who="supervisor", expect=201).json
        self.addCleanup(lambda: self.api("DELETE", f"/api/v1/queues/{q['id']}", who="admin"))
        return q

    def conv(self, customer_id=None, priority="normal", reason=None):
        c = self.new_conversation(customer_id, channel="api", priority=priority,
                                  contact_reason=reason or self.reason)
        self.addCleanup(self.close_conv, c["id"])
        return c

    def close_conv(self, cid):
        self.api("PATCH", f"/api/v1/conversations/{cid}", {"status": "closed"}, who="admin")

    def get(self, cid):
        return self.api("GET", f"/api/v1/conversations/{cid}", who="admin", expect=200).json

    def wait_assigned(self, cid, to=None, timeout=10.0):
        def check():
            c = self.get(cid)
            if c["status"] == "assigned" and c["assignees"] and (to is None or
                                                                  c["assignees"][0] == to):
                return c
            return None
        return harness.wait_until(check, timeout, f"conversation {cid} assigned to {to}")

    def assert_stays_waiting(self, cid, seconds=1.0):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            c = self.get(cid)
            self.assertEqual((c["status"], c["assignees"]), ("queued", []),
                             f"conversation {cid} should still wait")
            time.sleep(0.1)

    def resolve(self, cid):
        self.api("PATCH", f"/api/v1/conversations/{cid}", {"status": "resolved"}, who="admin",
                 expect=200)

    def stream(self, token):
        s = harness.SSE(self.srv, "/api/v1/stream", token)
        self.addCleanup(s.close)
        self.assertEqual(s.status, 200)
        time.sleep(0.1)  # the subscription is live once the head arrived
        return s

    def decision(self, stream, cid, timeout=10.0):
        evs = stream.collect(until=lambda e: any(x["event"] == "route.decision" and
                                                 x["json"]["conversation_id"] == cid
                                                 for x in e), max_wait=timeout)
        for e in evs:
            self.assertEqual(harness.check_event(e), [], f"event {e}")
        found = [e["json"] for e in evs if e["event"] == "route.decision" and
                 e["json"]["conversation_id"] == cid]
        self.assertTrue(found, f"no route.decision for {cid}: {[e['event'] for e in evs]}")
        return found[-1]


class AssignmentTest(RoutingCase):
    def test_goes_to_an_online_skilled_adviser_never_to_an_offline_one(self):
        skilled = self.adviser(level=4, online=False)
        self.adviser(level=2)  # online but below the queue's level
        self.queue(level=3)
        c = self.conv()
        self.assert_stays_waiting(c["id"])
        self.assertEqual(self.get(c["id"])["queue"]["name"].startswith("q"), True)
        self.presence(skilled, "online")
        got = self.wait_assigned(c["id"], skilled["id"])
        self.assertIsNone(got["accept_due"])

    def test_capacity_is_respected_by_channel_weights(self):
        a = self.adviser(api=2)
        self.queue()
        c1, c2, c3 = self.conv(), self.conv(), self.conv()
        self.wait_assigned(c1["id"], a["id"])
        self.wait_assigned(c2["id"], a["id"])
        self.assert_stays_waiting(c3["id"])
        p = [x for x in self.api("GET", "/api/v1/presence", who="supervisor",
                                 expect=200).json["data"] if x["user_id"] == a["id"]][0]
        self.assertEqual((p["status"], p["load"]["api"], p["capacity"]["api"]), ("online", 2, 2))
        self.assertAlmostEqual(p["occupancy"], 1.0)
        self.resolve(c1["id"])
        self.wait_assigned(c3["id"], a["id"])

    def test_least_occupied_then_sticky_for_a_returning_customer(self):
        a = self.adviser()
        self.queue()
        cust = self.new_customer()["id"]
        first = self.conv(cust)
        self.wait_assigned(first["id"], a["id"])
        busy = self.conv()
        self.wait_assigned(busy["id"], a["id"])
        self.resolve(first["id"])
        b = self.adviser()  # online now, idle: the least occupied
        sup = self.stream(self.srv.token("supervisor"))
        other = self.conv()
        self.wait_assigned(other["id"], b["id"])
        self.assertEqual(self.decision(sup, other["id"])["reason"], "least occupied")
        again = self.conv(cust)  # a has 1, b has 1; the customer's adviser was a
        self.wait_assigned(again["id"], a["id"])
        d = self.decision(sup, again["id"])
        self.assertEqual((d["reason"], d["action"], d["user_id"]), ("sticky", "assign", a["id"]))

    def test_vulnerable_customers_go_to_the_specialist_team_with_a_tighter_sla(self):
        settings = self.api("GET", "/api/v1/routing/settings", who="supervisor",
                            expect=200).json
        self.assertEqual(settings["specialist_team"], "support")
        self.adviser(team="billing")
        specialist = self.adviser(team="support")
        self.queue()
        cust = self.new_customer(needs=["bereavement"])["id"]
        sup = self.stream(self.srv.token("supervisor"))
        c = self.conv(cust)
        got = self.wait_assigned(c["id"], specialist["id"])
        d = self.decision(sup, c["id"])
        self.assertEqual((d["reason"], d["vulnerable"]), ("specialist", True))
        policies = self.api("GET", "/api/v1/sla/policies", who="agent", expect=200).json["data"]
        vulnerable = [p for p in policies if p["priority"] == "normal" and p["vulnerable"]][0]
        plain = [p for p in policies if p["priority"] == "normal" and not p["vulnerable"]][0]
        self.assertEqual(got["sla"]["policy_id"], vulnerable["id"])
        self.assertLess(vulnerable["first_response_minutes"], plain["first_response_minutes"])

    def test_expanding_criteria_relax_the_level_after_waiting(self):
        a = self.adviser(level=2)
        self.queue(level=4, steps=[{"after_s": 1, "relax_levels": 1},
                                   {"after_s": 2, "relax_levels": 2}])
        sup = self.stream(self.srv.token("supervisor"))
        c = self.conv()
        self.assert_stays_waiting(c["id"], 0.6)
        self.wait_assigned(c["id"], a["id"], timeout=10)
        d = self.decision(sup, c["id"])
        self.assertEqual((d["reason"], d["step"]), ("relaxed step 2", 2))
        self.assertGreaterEqual(d["waited_ms"], 2000)

    def test_a_freed_adviser_takes_the_highest_priority_first(self):
        a = self.adviser(api=1)
        q = self.queue()
        busy = self.conv()
        self.wait_assigned(busy["id"], a["id"])
        low = self.conv(priority="low")
        urgent = self.conv(priority="urgent")
        waiting = harness.wait_until(lambda: (lambda w: w if len(w) == 2 else None)(
            self.api("GET", f"/api/v1/queues/{q['id']}/waiting", who="supervisor",
                     expect=200).json["data"]), 10, "both conversations in the queue")
        self.assertEqual([w["conversation_id"] for w in waiting], [low["id"], urgent["id"]])
        self.assertGreater(waiting[1]["effective_priority"], waiting[0]["effective_priority"])
        self.resolve(busy["id"])
        self.wait_assigned(urgent["id"], a["id"])
        self.assertEqual(self.get(low["id"])["status"], "queued")


class AcceptTest(RoutingCase):
    def test_accept_timeout_returns_the_conversation_to_the_head(self):
        slow = self.adviser(accept_required=True, accept_timeout_s=1)
        self.queue()
        sup = self.stream(self.srv.token("supervisor"))
        c = self.conv()
        offered = self.wait_assigned(c["id"], slow["id"])
        self.assertIsNotNone(offered["accept_due"])
        d = None
        end = time.monotonic() + 10
        while time.monotonic() < end:
            d = self.decision(sup, c["id"])
            if d["action"] == "requeue":
                break
        self.assertEqual((d["action"], d["reason"]), ("requeue", "accept timeout"))
        later = self.conv()  # waits behind the returned one
        fast = self.adviser(api=1)
        self.wait_assigned(c["id"], fast["id"])
        self.assertNotEqual(self.get(later["id"])["assignees"], [fast["id"]])

    def test_accept_and_decline(self):
        a = self.adviser(accept_required=True, accept_timeout_s=60)
        self.queue()
        c = self.conv()
        self.wait_assigned(c["id"], a["id"])
        r = self.api("POST", f"/api/v1/conversations/{c['id']}/accept", who="agent")
        self.assertError(r, 409, "conflict")
        got = self.api("POST", f"/api/v1/conversations/{c['id']}/accept", token=a["token"],
                       expect=200).json
        self.assertEqual((got["status"], got["assignees"], got["accept_due"]),
                         ("assigned", [a["id"]], None))
        self.assertError(self.api("POST", f"/api/v1/conversations/{c['id']}/decline",
                                  token=a["token"]), 409, "conflict")
        c2 = self.conv()
        self.wait_assigned(c2["id"], a["id"])
        back = self.api("POST", f"/api/v1/conversations/{c2['id']}/decline", token=a["token"],
                        expect=200).json
        self.assertEqual(back["status"], "queued")
        b = self.adviser()
        self.wait_assigned(c2["id"], b["id"])


class PresenceTest(RoutingCase):
    def presence_of(self, adv):
        rows = self.api("GET", "/api/v1/presence", who="supervisor", expect=200).json["data"]
        return [x for x in rows if x["user_id"] == adv["id"]][0]

    def test_automatic_away_when_the_stream_drops_and_back_when_it_returns(self):
        a = self.adviser()
        s = harness.SSE(self.srv, "/api/v1/stream", a["token"])
        self.assertEqual(s.status, 200)
        time.sleep(0.1)
        s.close()
        p = harness.wait_until(lambda: (lambda x: x if x["status"] == "away" else None)(
            self.presence_of(a)), 10, "automatic away")
        self.assertTrue(p["automatic"])
        self.queue()
        c = self.conv()
        self.assert_stays_waiting(c["id"], 0.5)  # away: no new work
        s2 = self.stream(a["token"])
        p = harness.wait_until(lambda: (lambda x: x if x["status"] == "online" else None)(
            self.presence_of(a)), 10, "back online")
        self.assertFalse(p["automatic"])
        self.wait_assigned(c["id"], a["id"])
        s2.close()

    def test_a_short_drop_within_the_grace_period_keeps_the_adviser_online(self):
        a = self.adviser()
        s = harness.SSE(self.srv, "/api/v1/stream", a["token"])
        self.assertEqual(s.status, 200)
        s2 = self.stream(a["token"])  # a second tab stays open
        s.close()
        time.sleep(GRACE_MS / 1000 + 0.5)  # bounded: long enough for the grace to pass
        self.assertEqual(self.presence_of(a)["status"], "online")
        s2.close()

    def test_presence_input_is_checked_and_the_list_is_for_supervisors(self):
        r = self.api("PUT", "/api/v1/me/presence", {"status": "busy"}, who="agent")
        self.assertError(r, 400, "invalid_argument", "status")
        self.assertError(self.api("GET", "/api/v1/presence", who="agent"), 403)
        self.assertError(self.api("PUT", "/api/v1/me/presence", {"status": "online"},
                                  who="expert"), 403)


class TransferTest(RoutingCase):
    def test_transfer_to_an_adviser_with_a_note_seen_first(self):
        a = self.adviser()
        b = self.adviser(skills=["other:1"])
        self.queue()
        c = self.conv()
        self.wait_assigned(c["id"], a["id"])
        b_stream = self.stream(b["token"])
        note = harness.unique("Customer is moving on Friday; meter photo attached ")
        r = self.api("POST", f"/api/v1/conversations/{c['id']}/transfer",
                     {"to_user": b["id"], "note": note}, token=a["token"], expect=201).json
        self.assertEqual((r["to_user"], r["note"]), (b["id"], note))
        evs = b_stream.collect(until=lambda e: any(x["event"] == "conversation.updated"
                                                   for x in e), max_wait=10)
        mine = [e for e in evs if e["json"].get("conversation_id", e["json"].get("id")) ==
                c["id"] and e["event"] != "message.created"]
        self.assertEqual(mine[0]["event"], "conversation.transferred", [e["event"] for e in mine])
        self.assertEqual(mine[0]["json"]["note"], note)
        for e in evs:
            self.assertEqual(harness.check_event(e), [], f"event {e}")
        self.assertEqual(self.get(c["id"])["assignees"], [b["id"]])
        msgs = self.api("GET", f"/api/v1/conversations/{c['id']}/messages", token=b["token"],
                        expect=200).json["data"]
        self.assertTrue(any(m["internal"] and m["body"] == note for m in msgs))

    def test_transfer_to_a_queue_routes_it_afresh(self):
        a = self.adviser()
        self.queue()
        c = self.conv()
        self.wait_assigned(c["id"], a["id"])
        other_skill = harness.unique("sk2")[:40]
        target = self.api("POST", "/api/v1/queues",
                          {"name": harness.unique("q")[:40], "skills": [f"{other_skill}:1"]},
                          who="supervisor", expect=201).json
        self.addCleanup(lambda: self.api("DELETE", f"/api/v1/queues/{target['id']}",
                                         who="admin"))
        self.assertError(self.api("POST", f"/api/v1/conversations/{c['id']}/transfer",
                                  {"to_queue": target["id"]}, who="agent2"), 403)
        self.assertError(self.api("POST", f"/api/v1/conversations/{c['id']}/transfer",
                                  {"to_queue": target["id"], "to_user": a["id"]},
                                  token=a["token"]), 400, "invalid_argument")
        self.api("POST", f"/api/v1/conversations/{c['id']}/transfer",
                 {"to_queue": target["id"], "note": "needs the other desk"}, token=a["token"],
                 expect=201)
        moved = self.get(c["id"])
        self.assertEqual((moved["status"], moved["assignees"], moved["queue"]["id"]),
                         ("queued", [], target["id"]))
        b = self.adviser(skills=[f"{other_skill}:2"])
        self.wait_assigned(c["id"], b["id"])


class CallbackTest(RoutingCase):
    def test_a_callback_becomes_queued_work_at_its_time(self):
        cust = self.new_customer()["id"]
        at = int(time.time() * 1000) + 800
        cb = self.api("POST", "/api/v1/callbacks",
                      {"customer_id": cust, "at": at, "note": "call about the refund",
                       "channel": "api"}, who="agent", expect=201).json
        self.assertEqual((cb["status"], cb["conversation_id"]), ("scheduled", None))

        def queued():
            items = self.walk(f"/api/v1/callbacks?customer={cust}", who="agent")
            mine = [x for x in items if x["id"] == cb["id"]]
            return mine[0] if mine and mine[0]["status"] == "queued" else None
        done = harness.wait_until(queued, 10, "the call-back to fall due")
        self.assertGreaterEqual(int(time.time() * 1000), at)
        self.addCleanup(self.close_conv, done["conversation_id"])
        conv = self.get(done["conversation_id"])
        self.assertEqual((conv["customer_id"], conv["contact_reason"], conv["channel"]),
                         (cust, "callback", "api"))
        self.assertIn(conv["status"], ("queued", "assigned"))
        notes = self.api("GET", f"/api/v1/conversations/{conv['id']}/messages", who="agent",
                         expect=200).json["data"]
        self.assertTrue(any(m["internal"] and m["body"] == "call about the refund"
                            for m in notes))

    def test_the_customer_books_one_from_the_widget(self):
        v = self.widget_session(name="Callback Visitor")
        mine = harness.SSE(self.srv, "/api/v1/widget/stream", v["token"])
        self.addCleanup(mine.close)
        sup = self.stream(self.srv.token("supervisor"))
        at = int(time.time() * 1000) + 3600_000
        cb = self.api("POST", "/api/v1/widget/callbacks", {"at": at, "note": "after work"},
                      token=v["token"], expect=201).json
        self.assertNotIn("note", cb)  # staff-only
        self.assertEqual((cb["status"], cb["at"]), ("scheduled", at))
        # the staff copy carries the note; the customer's live copy never does
        seen = sup.collect(until=lambda e: any(x["event"] == "callback.created" for x in e))
        staff = [e["json"] for e in seen if e["event"] == "callback.created"]
        self.assertEqual(staff[-1]["note"], "after work")
        got = mine.collect(until=lambda e: any(x["event"] == "callback.created" for x in e))
        own = [e for e in got if e["event"] == "callback.created"]
        self.assertEqual(len(own), 1)
        self.assertEqual(harness.check_event(own[0], customer_view=True), [])
        self.assertNotIn("note", own[0]["json"])
        self.assertNotIn("booked_by", own[0]["json"])
        self.assertError(self.api("POST", "/api/v1/widget/callbacks", {"at": at,
                                                                       "customer_id": 1},
                                  token=v["token"]), 400, "invalid_argument")


    def test_a_scheduled_callback_is_cancelled_once_and_never_falls_due(self):
        cust = self.new_customer()["id"]
        at = int(time.time() * 1000) + 1500
        cb = self.api("POST", "/api/v1/callbacks",
                      {"customer_id": cust, "at": at, "note": "never mind", "channel": "api"},
                      who="agent", expect=201).json
        sup = self.stream(self.srv.token("supervisor"))
        path = f"/api/v1/callbacks/{cb['id']}/cancel"
        # a crowd expert may not; another organisation does not see it at all
        self.assertError(self.api("POST", path, who="expert"), 403)
        self.assertError(self.api("POST", path, token=self.srv.token("other")), 404, "not_found")
        self.assertError(self.api("POST", "/api/v1/callbacks/999999999/cancel", who="agent"),
                         404, "not_found")
        got = self.api("POST", path, who="agent", expect=200).json
        self.assertEqual((got["id"], got["status"], got["conversation_id"]),
                         (cb["id"], "cancelled", None))
        again = self.api("POST", path, who="supervisor", expect=200).json
        self.assertEqual(again, got)
        # audited once, one event
        audits = self.srv.db_query("SELECT count(*) FROM audit WHERE action = 'callback.cancel'"
                                   " AND object = ?", (f"callback:{cb['id']}",))
        self.assertEqual(audits[0][0], 1)
        seen = sup.collect(until=lambda e: any(x["event"] == "callback.cancelled" for x in e))
        mine = [e for e in seen if e["event"] == "callback.cancelled"
                and e["json"]["id"] == cb["id"]]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["json"]["status"], "cancelled")
        # its time passes: no conversation is opened for it
        while int(time.time() * 1000) < at + 1000:
            time.sleep(0.1)
        items = self.walk(f"/api/v1/callbacks?customer={cust}", who="agent")
        self.assertEqual([(x["status"], x["conversation_id"]) for x in items],
                         [("cancelled", None)])
        convs = self.srv.db_query("SELECT count(*) FROM conversations WHERE customer_id = ?",
                                  (cust,))
        self.assertEqual(convs[0][0], 0)

    def test_a_callback_already_queued_cannot_be_cancelled(self):
        cust = self.new_customer()["id"]
        cb = self.api("POST", "/api/v1/callbacks",
                      {"customer_id": cust, "at": int(time.time() * 1000) + 200,
                       "channel": "api"}, who="agent", expect=201).json

        def queued():
            items = self.walk(f"/api/v1/callbacks?customer={cust}", who="agent")
            return items[0] if items and items[0]["status"] == "queued" else None
        done = harness.wait_until(queued, 10, "the call-back to fall due")
        self.addCleanup(self.close_conv, done["conversation_id"])
        self.assertError(self.api("POST", f"/api/v1/callbacks/{cb['id']}/cancel", who="agent"),
                         409, "conflict")
        self.assertEqual(queued()["conversation_id"], done["conversation_id"])

class SlaTest(RoutingCase):
    def test_deadlines_in_the_representation_and_a_breach_event(self):
        before = self.api("GET", "/api/v1/sla/policies", who="supervisor", expect=200).json
        keep = [{k: p[k] for k in ("priority", "vulnerable", "first_response_minutes",
                                   "next_response_minutes", "resolution_minutes",
                                   "warning_pct")}
                for p in before["data"] if p["priority"] != "low"]
        short = {"priority": "low", "first_response_minutes": 0.03,  # 1.8 s
                 "resolution_minutes": 60, "warning_pct": 50}
        self.api("PUT", "/api/v1/sla/policies", {"data": keep + [short]}, who="supervisor",
                 expect=200)
        self.addCleanup(lambda: self.api("PUT", "/api/v1/sla/policies", {"data": keep},
                                         who="supervisor"))
        self.queue()  # nobody online with the skill: it waits and breaches
        sup = self.stream(self.srv.token("supervisor"))
        c = self.conv(priority="low")

        def with_sla():
            got = self.get(c["id"])
            return got if got["sla"] is not None else None
        got = harness.wait_until(with_sla, 10, "SLA deadlines")
        self.assertEqual(got["sla"]["first_response_due"], got["created_at"] + 1800)
        self.assertEqual(got["sla"]["resolution_due"], got["created_at"] + 3600_000)
        self.assertIsNone(got["sla"]["next_response_due"])
        evs = sup.collect(until=lambda e: any(x["event"] == "sla.breached" and
                                              x["json"]["conversation_id"] == c["id"]
                                              for x in e), max_wait=15)
        for e in evs:
            self.assertEqual(harness.check_event(e), [], f"event {e}")
        kinds = [(e["event"], e["json"]["kind"]) for e in evs
                 if e["event"].startswith("sla.") and e["json"]["conversation_id"] == c["id"]]
        self.assertEqual(kinds, [("sla.warning", "first_response"),
                                 ("sla.breached", "first_response")])
        self.assertEqual(self.get(c["id"])["sla"]["breached"], ["first_response"])

    def test_next_response_clock_runs_while_the_customer_waits(self):
        self.queue()
        c = self.conv(priority="high")  # high: first response 30 min, next 120 min (demo)
        got = self.get(c["id"])
        self.assertIsNotNone(got["sla"]["first_response_due"])
        self.assertIsNone(got["sla"]["next_response_due"])
        self.api("POST", f"/api/v1/conversations/{c['id']}/messages", {"body": "On it."},
                 who="agent", expect=201)
        met = harness.wait_until(lambda: (lambda x: x if x["sla"]["first_response_due"] is None
                                  else None)(self.get(c["id"])), 10, "first response met")
        self.assertIsNone(met["sla"]["next_response_due"])
        # the customer writes back (widget): the next-response clock starts from their message
        conv2 = self.widget_conversation_with_reply()
        running = harness.wait_until(lambda: (lambda x: x if x["sla"]["next_response_due"] else None)(
            self.get(conv2["id"])), 10, "next-response clock")
        self.assertGreater(running["sla"]["next_response_due"], running["updated_at"] - 1000)
        self.api("POST", f"/api/v1/conversations/{conv2['id']}/messages", {"body": "Fixed now"},
                 who="agent", expect=201)
        harness.wait_until(lambda: self.get(conv2["id"])["sla"]["next_response_due"] is None, 10,
                   "next-response clock stopped by the reply")

    def widget_conversation_with_reply(self):
        """A widget customer's conversation (normal priority) that an agent answered once and
        the customer wrote to again."""
        v = self.widget_session(name="SLA Visitor")
        first = self.api("POST", "/api/v1/widget/messages", {"body": "Hello?"},
                         token=v["token"], expect=201).json
        cid = first["conversation_id"]
        self.addCleanup(self.close_conv, cid)
        self.api("POST", f"/api/v1/conversations/{cid}/messages",
                 {"body": "checking the account", "internal": True}, who="agent", expect=201)
        self.assertIsNotNone(self.get(cid)["sla"]["first_response_due"])  # notes do not count
        self.api("POST", f"/api/v1/conversations/{cid}/messages", {"body": "Hi, how can I help?"},
                 who="agent", expect=201)
        harness.wait_until(lambda: self.get(cid)["sla"] is not None and
                   self.get(cid)["sla"]["first_response_due"] is None, 10, "first response")
        self.api("POST", "/api/v1/widget/messages", {"body": "My meter is stuck",
                                                     "conversation_id": cid},
                 token=v["token"], expect=201)
        return self.get(cid)

    def test_policies_and_calendar_are_validated(self):
        r = self.api("PUT", "/api/v1/sla/policies",
                     {"data": [{"priority": "low"}, {"priority": "low"}]}, who="supervisor")
        self.assertError(r, 400, "invalid_argument")
        r = self.api("PUT", "/api/v1/sla/policies",
                     {"data": [{"priority": "low", "warning_pct": 100}]}, who="supervisor")
        self.assertError(r, 400, "invalid_argument", "data[0].warning_pct")
        self.assertError(self.api("PUT", "/api/v1/sla/policies", {"data": []}, who="agent"),
                         403)
        r = self.api("PUT", "/api/v1/sla/calendar", {"time_zone": "Mars/Olympus", "weekly": {}},
                     who="supervisor")
        self.assertError(r, 400, "invalid_argument")
        cal = self.api("GET", "/api/v1/sla/calendar", who="agent", expect=200).json
        self.assertEqual(cal["time_zone"], "UTC")


class VisibilityTest(RoutingCase):
    def test_decisions_reach_supervisors_and_not_agents(self):
        a = self.adviser()
        self.queue()
        sup = self.stream(self.srv.token("supervisor"))
        mine = self.stream(a["token"])
        c = self.conv()
        self.wait_assigned(c["id"], a["id"])
        d = self.decision(sup, c["id"])
        self.assertEqual((d["action"], d["user_id"]), ("assign", a["id"]))
        evs = mine.collect(quiet=1.0)
        kinds = [e["event"] for e in evs]
        self.assertIn("conversation.updated", kinds)
        self.assertNotIn("route.decision", kinds)

    def test_queue_management_is_for_supervisors_and_checked(self):
        body = {"name": harness.unique("q")[:40], "skills": ["billing:9"]}
        self.assertError(self.api("POST", "/api/v1/queues", body, who="agent"), 403)
        self.assertError(self.api("POST", "/api/v1/queues", body, who="supervisor"), 400,
                         "invalid_argument", "skills")
        body["skills"] = ["billing:2"]
        q = self.api("POST", "/api/v1/queues", body, who="supervisor", expect=201).json
        self.assertError(self.api("POST", "/api/v1/queues", body, who="supervisor"), 409,
                         "conflict", "name")
        body["steps"] = [{"after_s": 30}, {"after_s": 10}]
        self.assertError(self.api("PUT", f"/api/v1/queues/{q['id']}", body, who="supervisor"),
                         400, "invalid_argument", "steps")
        body["steps"] = [{"after_s": 30, "add_teams": ["support"]}]
        got = self.api("PUT", f"/api/v1/queues/{q['id']}", body, who="supervisor",
                       expect=200).json
        self.assertEqual(got["steps"], [{"after_s": 30, "relax_levels": 0,
                                         "add_teams": ["support"]}])
        self.assertEqual(self.api("GET", f"/api/v1/queues/{q['id']}", who="agent",
                                  expect=200).json, got)
        self.api("DELETE", f"/api/v1/queues/{q['id']}", who="supervisor", expect=200)
        self.assertError(self.api("GET", f"/api/v1/queues/{q['id']}", who="agent"), 404)
        other = self.srv.token("other")
        self.assertEqual(self.api("GET", "/api/v1/queues", token=other, expect=200).json["data"],
                         [])

    def test_routing_settings_keep_what_is_not_given(self):
        got = self.api("PUT", "/api/v1/routing/settings", {"sticky_window_s": 3600},
                       who="supervisor", expect=200).json
        self.addCleanup(lambda: self.api("PUT", "/api/v1/routing/settings",
                                         {"sticky_window_s": 86400}, who="supervisor"))
        self.assertEqual((got["sticky_window_s"], got["specialist_team"]), (3600, "support"))
        self.assertEqual(self.api("GET", "/api/v1/routing/settings", who="admin",
                                  expect=200).json["sticky_window_s"], 3600)
        self.assertError(self.api("PUT", "/api/v1/routing/settings",
                                  {"specialist_team": "nobody"}, who="supervisor"), 400,
                         "invalid_argument", "specialist_team")
        self.assertError(self.api("PUT", "/api/v1/routing/settings", {"sticky_window_s": 1},
                                  who="agent"), 403)

    def test_routing_profiles_are_read_by_their_adviser_and_set_by_supervisors(self):
        me = self.srv.user("agent")["id"]
        other = self.srv.user("agent2")["id"]
        p = self.api("GET", f"/api/v1/users/{me}/routing", who="agent", expect=200).json
        self.assertEqual(p["user_id"], me)
        self.assertError(self.api("GET", f"/api/v1/users/{other}/routing", who="agent"), 403)
        self.assertError(self.api("PUT", f"/api/v1/users/{me}/routing", {"wrap_up_s": 5},
                                  who="agent"), 403)
        r = self.api("PUT", f"/api/v1/users/{other}/routing", {"capacity": {"fax": 1}},
                     who="supervisor")
        self.assertError(r, 400, "invalid_argument")
        expert = self.srv.user("expert")["id"]
        self.assertError(self.api("PUT", f"/api/v1/users/{expert}/routing", {"wrap_up_s": 5},
                                  who="supervisor"), 400, "invalid_argument")
