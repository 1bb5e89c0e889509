"""The Hand-off contract end to end (issues 3 and 4): with the virtual agent on, a widget
customer who asks for a person is handed off by the bot (status queued, contact reason = the
intent) and the routing service assigns the conversation to an online adviser of the queue
that takes that contact reason, with SLA deadlines counted from the first contact."""

import time

import harness

setUpModule, tearDownModule = harness.module_server(env={"PARLEY_BOT": "on"})


class HandoffRoutingTest(harness.ParleyCase):
    def test_a_bot_handoff_is_routed_to_an_online_adviser(self):
        skill = harness.unique("ho")[:40]
        q = self.api("POST", "/api/v1/queues",
                     {"name": harness.unique("q")[:40], "skills": [f"{skill}:2"],
                      "contact_reasons": ["speak_to_person", "unknown"]},
                     who="supervisor", expect=201).json
        email = f"{harness.unique('adv')}@acme.example"
        user = self.api("POST", "/api/v1/users",
                        {"email": email, "name": "Handoff Adviser", "role": "agent",
                         "password": "route-pass-123", "skills": [f"{skill}:3"]},
                        who="admin", expect=201).json
        token = self.srv.login(email, "route-pass-123")["token"]
        self.api("PUT", "/api/v1/me/presence", {"status": "online"}, token=token, expect=200)
        v = self.widget_session(name="Handoff Visitor")
        sent = self.api("POST", "/api/v1/widget/messages",
                        {"body": "I want to speak to a real person please"},
                        token=v["token"], expect=201).json
        cid = sent["conversation_id"]
        end = time.monotonic() + 15
        conv = None
        while time.monotonic() < end:
            conv = self.api("GET", f"/api/v1/conversations/{cid}", who="admin",
                            expect=200).json
            if conv["status"] == "assigned":
                break
            time.sleep(0.1)
        self.assertEqual((conv["status"], conv["assignees"]), ("assigned", [user["id"]]),
                         f"not routed after the hand-off: {conv}")
        self.assertIn(conv["contact_reason"], ("speak_to_person", "unknown"))
        self.assertEqual(conv["queue"]["id"], q["id"])
        self.assertIsNotNone(conv["sla"])
        self.assertGreater(conv["sla"]["first_response_due"], conv["created_at"])
