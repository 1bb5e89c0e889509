"""Swarming (docs/swarming.md): the owner of a conversation invites advisers and crowd experts
(by user or by skill); participants see the thread and internal notes and write notes, but not
to the customer unless the owner allows it, and cannot change the owner or status; crowd
experts read redacted personal data (REST and live stream), only in conversations they
participate in; every participation change and every expert read is audited."""

import json
import time
import urllib.parse

import harness

setUpModule, tearDownModule = harness.module_server(env={"PARLEY_SSE_KEEPALIVE_S": "1"})

PII_BODY = ("Card 4111 1111 1111 1111, account 12345678, mail jane.smith@example.com, "
            "call 07700 900123 or +44 20 7946 0958, post code SW1A 1AA; bill ref v2 ok")
MASKED = ("Card [card], account [number], mail [email], call [phone] or [phone], "
          "post code [postcode]; bill ref v2 ok")
# the originals as written (whole, so that random ids and times cannot match them by chance)
LEAKS = ("4111 1111 1111 1111", "4111111111111111", "12345678", "jane.smith", "example.com",
         "07700 900123", "07700900123", "20 7946 0958", "SW1A 1AA")


class SwarmTest(harness.ParleyCase):
    # ---- fixtures ---------------------------------------------------------------------------
    def uid(self, who):
        return self.srv.user(who)["id"]

    def owned(self, owner="agent", **fields):
        """A conversation owned by the demo user `owner`, with a customer message."""
        conv = self.new_conversation(message="My bill is wrong", **fields)
        self.api("PATCH", f"/api/v1/conversations/{conv['id']}", {"assignees": [self.uid(owner)]},
                 who="admin", expect=200)
        return conv

    def invite(self, conv, body, who="agent", expect=201):
        return self.api("POST", f"/api/v1/conversations/{conv['id']}/invitations", body, who=who,
                        expect=expect)

    def new_user(self, role="agent", skills=()):
        name = harness.unique("u")
        body = {"email": f"{name}@acme.example", "name": f"Swarm {name}", "role": role,
                "password": "swarm-test-password-1", "skills": list(skills)}
        user = self.api("POST", "/api/v1/users", body, who="admin", expect=201).json
        tok = self.srv.login(body["email"], body["password"])["token"]
        return user, tok

    def audit(self, action, conv):
        return self.api("GET", f"/api/v1/audit?action={action}&object=conversation:{conv['id']}",
                        who="admin", expect=200).json["data"]

    def stream(self, token):
        s = harness.SSE(self.srv, "/api/v1/stream", token)
        self.addCleanup(s.close)
        self.assertEqual(s.status, 200)
        time.sleep(0.1)
        return s

    def events(self, s, pred, max_wait=10):
        evs = s.collect(until=lambda e: any(pred(x) for x in e), max_wait=max_wait)
        for e in evs:
            self.assertEqual(harness.check_event(e), [], f"event {e}")
        return evs

    # ---- inviting ---------------------------------------------------------------------------
    def test_owner_invites_by_user(self):
        conv = self.owned("agent")
        p = self.invite(conv, {"user_id": self.uid("agent2")}).json
        self.assertEqual((p["user_id"], p["role"], p["may_write_customer"], p["left_at"]),
                         (self.uid("agent2"), "adviser", False, None))
        self.assertEqual(p["invited_by"], f"user:{self.uid('agent')}")
        listed = self.api("GET", f"/api/v1/conversations/{conv['id']}/participants", who="agent",
                          expect=200).json["data"]
        self.assertEqual([x["user_id"] for x in listed], [self.uid("agent2")])
        got = self.api("GET", f"/api/v1/conversations/{conv['id']}", who="agent", expect=200).json
        self.assertEqual(got["assignees"], [self.uid("agent"), self.uid("agent2")],
                         "owner first, then participants")
        # the participant's "assigned to me" list has it
        mine = self.walk("/api/v1/conversations?assignee=me", who="agent2")
        self.assertIn(conv["id"], [c["id"] for c in mine])
        entries = self.audit("conversation.participant_add", conv)
        self.assertEqual(len(entries), 1)
        self.assertEqual(entries[0]["actor"], f"user:{self.uid('agent')}")
        self.assertEqual(entries[0]["detail"]["user_id"], self.uid("agent2"))

    def test_invite_by_skill_picks_the_least_busy_able_person(self):
        skill = harness.unique("solar")
        low, _ = self.new_user("agent", [f"{skill}:2"])
        busy, _ = self.new_user("agent", [f"{skill}:5"])
        free, _ = self.new_user("agent", [f"{skill}:4"])
        expert, _ = self.new_user("expert", [f"{skill}:5"])
        # `busy` owns two open conversations, `free` none
        for _ in range(2):
            c = self.new_conversation()
            self.api("PATCH", f"/api/v1/conversations/{c['id']}", {"assignees": [busy["id"]]},
                     who="admin", expect=200)
        conv = self.owned("agent")
        p = self.invite(conv, {"skill": skill, "min_level": 4, "role": "agent"}).json
        self.assertEqual(p["user_id"], free["id"], "fewest open conversations among level >= 4")
        p = self.invite(conv, {"skill": skill, "min_level": 4, "role": "agent"}).json
        self.assertEqual(p["user_id"], busy["id"], "the next able one once the first is in")
        r = self.invite(conv, {"skill": skill, "min_level": 4, "role": "agent"}, expect=409)
        self.assertError(r, 409, "conflict", "skill")
        p = self.invite(conv, {"skill": skill, "min_level": 5, "role": "expert"}).json
        self.assertEqual((p["user_id"], p["role"]), (expert["id"], "expert"))
        detail = self.audit("conversation.participant_add", conv)[0]["detail"]
        self.assertEqual((detail["via"], detail["skill"], detail["min_level"]), ("skill", skill, 5))
        self.assertNotIn(low["id"], [x["user_id"] for x in self.api(
            "GET", f"/api/v1/conversations/{conv['id']}/participants", who="agent",
            expect=200).json["data"]])

    def test_invite_by_skill_prefers_online_advisers(self):
        skill = harness.unique("wind")
        online, tok = self.new_user("agent", [f"{skill}:3"])
        offline, _ = self.new_user("agent", [f"{skill}:3"])
        c = self.new_conversation()
        self.api("PATCH", f"/api/v1/conversations/{c['id']}", {"assignees": [online["id"]]},
                 who="admin", expect=200)
        self.api("PUT", "/api/v1/me/presence", {"status": "online"}, token=tok, expect=200)
        self.addCleanup(self.api, "PUT", "/api/v1/me/presence", {"status": "offline"}, token=tok)
        conv = self.owned("agent")
        p = self.invite(conv, {"skill": skill}).json
        self.assertEqual(p["user_id"], online["id"], "online beats fewer conversations")
        p = self.invite(conv, {"skill": skill}).json
        self.assertEqual(p["user_id"], offline["id"])

    def test_only_the_owner_or_a_supervisor_invites(self):
        conv = self.owned("agent")
        before = self.srv.counts()
        self.assertError(self.invite(conv, {"user_id": self.uid("expert")}, who="agent2",
                                     expect=403), 403, "permission_denied")
        self.assertError(self.invite(conv, {"user_id": self.uid("agent2")}, who="expert",
                                     expect=403), 403, "permission_denied")
        self.assertEqual(self.srv.counts(), before)
        self.invite(conv, {"user_id": self.uid("agent2")}, who="supervisor")
        # a participant cannot invite or grant either
        self.assertError(self.invite(conv, {"user_id": self.uid("expert")}, who="agent2",
                                     expect=403), 403, "permission_denied")
        r = self.api("PATCH", f"/api/v1/conversations/{conv['id']}/participants/"
                     f"{self.uid('agent2')}", {"may_write_customer": True}, who="agent2")
        self.assertError(r, 403, "permission_denied")

    # ---- what participants may do -----------------------------------------------------------
    def test_invitee_reads_notes_writes_notes_only_until_allowed(self):
        conv = self.owned("agent")
        path = f"/api/v1/conversations/{conv['id']}"
        self.api("POST", f"{path}/messages", {"body": "Owner's private note", "internal": True},
                 who="agent", expect=201)
        self.invite(conv, {"user_id": self.uid("agent2")})
        bodies = [m["body"] for m in self.walk(f"{path}/messages", who="agent2")]
        self.assertIn("Owner's private note", bodies, "invitees see internal notes")
        note = self.api("POST", f"{path}/messages", {"body": "I can help", "internal": True},
                        who="agent2", expect=201).json
        self.assertEqual(note["author_id"], self.uid("agent2"))
        before = self.srv.counts()
        r = self.api("POST", f"{path}/messages", {"body": "Hello customer"}, who="agent2")
        self.assertError(r, 403, "permission_denied", "internal")
        for body in ({"status": "resolved"}, {"assignees": [self.uid("agent2")]}):
            self.assertError(self.api("PATCH", path, body, who="agent2"), 403,
                             "permission_denied")
        self.assertEqual(self.srv.counts(), before)
        # the owner still changes what they like, and keeps ownership
        self.api("PATCH", path, {"priority": "high"}, who="agent", expect=200)
        g = self.api("PATCH", f"{path}/participants/{self.uid('agent2')}",
                     {"may_write_customer": True}, who="agent", expect=200).json
        self.assertTrue(g["may_write_customer"])
        self.api("POST", f"{path}/messages", {"body": "Hello customer"}, who="agent2", expect=201)
        got = self.api("GET", path, who="agent2", expect=200).json
        self.assertEqual(got["assignees"][0], self.uid("agent"))
        self.assertEqual(len(self.audit("conversation.participant_update", conv)), 1)

    # ---- crowd experts ------------------------------------------------------------------------
    def expert_case(self):
        cust = self.new_customer(name="Jane Smith", needs=["hearing"],
                                 identities=[{"kind": "email",
                                              "value": harness.unique("js") + "@example.com"}])
        conv = self.new_conversation(cust["id"], message=PII_BODY,
                                     subject="Refund to card 4111111111111111")
        self.api("PATCH", f"/api/v1/conversations/{conv['id']}", {"assignees": [self.uid("agent")]},
                 who="admin", expect=200)
        self.api("POST", f"/api/v1/conversations/{conv['id']}/messages",
                 {"body": "Note: customer on 07700900123", "internal": True}, who="agent",
                 expect=201)
        return cust, conv

    def test_expert_reads_redacted_data_and_each_read_is_audited(self):
        cust, conv = self.expert_case()
        path = f"/api/v1/conversations/{conv['id']}"
        self.assertError(self.api("GET", path, who="expert"), 404, "not_found")
        # nor the customer: not by id, not in lists, not by searching an identity
        self.assertError(self.api("GET", f"/api/v1/customers/{cust['id']}", who="expert"), 404,
                         "not_found")
        self.assertNotIn(cust["id"], [x["id"] for x in self.walk("/api/v1/customers",
                                                                 who="expert")])
        q = "/api/v1/customers?q=" + urllib.parse.quote(cust["identities"][0]["value"])
        self.assertEqual([x["id"] for x in self.api("GET", q, who="admin", expect=200).json["data"]],
                         [cust["id"]])
        self.assertEqual(self.api("GET", q, who="expert", expect=200).json["data"], [],
                         "an expert could tell who is a customer by searching identities")
        self.invite(conv, {"user_id": self.uid("expert")})
        c = self.api("GET", f"/api/v1/customers/{cust['id']}", who="expert", expect=200).json
        self.assertIn(cust["id"], [x["id"] for x in self.walk("/api/v1/customers",
                                                              who="expert")])
        self.assertEqual(c["name"], "J. S.")
        self.assertNotIn("needs", c)
        self.assertNotIn("identities", c)
        for sub in ("identities", "consents"):
            self.assertError(self.api("GET", f"/api/v1/customers/{cust['id']}/{sub}",
                                      who="expert"), 403, "permission_denied")
        got = self.api("GET", path, who="expert", expect=200).json
        self.assertEqual(got["subject"], "Refund to card [card]")
        msgs = self.walk(f"{path}/messages", who="expert")
        self.assertEqual([m["body"] for m in msgs], [MASKED, "Note: customer on [phone]"])
        for leak in LEAKS:
            self.assertNotIn(leak, json.dumps(msgs) + json.dumps(got), "a detail leaked")
        listed = [x for x in self.walk("/api/v1/conversations", who="expert")
                  if x["id"] == conv["id"]]
        self.assertEqual([x["subject"] for x in listed], ["Refund to card [card]"])
        # advisers still read the original
        raw = self.walk(f"{path}/messages", who="agent")
        self.assertEqual(raw[0]["body"], PII_BODY)
        views = [e for e in self.audit("conversation.view", conv)
                 if e["actor"] == f"user:{self.uid('expert')}"]
        self.assertEqual(sorted(e["detail"]["read"] for e in views), ["conversation", "messages"])

    def test_expert_stream_is_redacted(self):
        _, conv = self.expert_case()
        expert = self.stream(self.srv.token("expert"))
        admin = self.stream(self.srv.token("admin"))
        self.invite(conv, {"user_id": self.uid("expert")})
        mark = harness.unique("mark ")
        body = f"{mark} card 4111-1111-1111-1111 acct 99887766"
        self.api("POST", f"/api/v1/conversations/{conv['id']}/messages", {"body": body},
                 who="agent", expect=201)
        is_ours = lambda e: e["event"] == "message.created" and mark in (e["json"] or {}).get("body", "")
        e_evs = self.events(expert, is_ours)
        mine = [e for e in e_evs if is_ours(e)]
        self.assertEqual([e["json"]["body"] for e in mine], [f"{mark} card [card] acct [number]"])
        added = [e for e in e_evs if e["event"] == "conversation.participant_added"]
        self.assertEqual([e["json"]["participant"]["user_id"] for e in added], [self.uid("expert")])
        for e in e_evs:
            for leak in ("4111-1111-1111-1111", "99887766"):
                self.assertNotIn(leak, e["data"], f"expert stream leaked {leak}: {e}")
        a_evs = self.events(admin, is_ours)
        self.assertEqual([e["json"]["body"] for e in a_evs if is_ours(e)], [body])
        # a resumed expert stream replays redacted too
        replay = harness.SSE(self.srv, "/api/v1/stream", self.srv.token("expert"),
                             last_event_id=added[0]["id"] - 1)
        self.addCleanup(replay.close)
        r_evs = self.events(replay, is_ours)
        self.assertEqual([e["json"]["body"] for e in r_evs if is_ours(e)],
                         [f"{mark} card [card] acct [number]"])

    def test_expert_cannot_reach_conversations_not_theirs(self):
        _, conv = self.expert_case()
        before = self.srv.counts()
        for method, suffix, body in (("GET", "", None), ("GET", "/messages", None),
                                     ("GET", "/participants", None), ("GET", "/receipts", None),
                                     ("POST", "/messages", {"body": "x", "internal": True})):
            with self.subTest(method=method, suffix=suffix):
                r = self.api(method, f"/api/v1/conversations/{conv['id']}{suffix}", body,
                             who="expert")
                self.assertError(r, 404, "not_found")
        self.assertEqual(self.srv.counts(), before)
        self.assertNotIn(conv["id"], [c["id"] for c in self.walk("/api/v1/conversations",
                                                                 who="expert")])

    def test_expert_writes_to_the_customer_only_when_allowed(self):
        _, conv = self.expert_case()
        path = f"/api/v1/conversations/{conv['id']}"
        self.invite(conv, {"user_id": self.uid("expert")})
        self.assertError(self.api("POST", f"{path}/messages", {"body": "Hi", "internal": False},
                                  who="expert"), 403, "permission_denied")
        self.api("PATCH", f"{path}/participants/{self.uid('expert')}",
                 {"may_write_customer": True}, who="agent", expect=200)
        m = self.api("POST", f"{path}/messages", {"body": "Hi from the meter team"}, who="expert",
                     expect=201).json
        self.assertFalse(m["internal"])
        self.api("PATCH", f"{path}/participants/{self.uid('expert')}",
                 {"may_write_customer": False}, who="supervisor", expect=200)
        self.assertError(self.api("POST", f"{path}/messages", {"body": "Again"}, who="expert"),
                         403, "permission_denied")

    def test_removal_ends_access(self):
        _, conv = self.expert_case()
        path = f"/api/v1/conversations/{conv['id']}"
        self.invite(conv, {"user_id": self.uid("expert")})
        self.invite(conv, {"user_id": self.uid("agent2")})
        self.api("GET", path, who="expert", expect=200)
        # a participant cannot remove another one
        self.assertError(self.api("DELETE", f"{path}/participants/{self.uid('agent2')}",
                                  who="expert"), 403, "permission_denied")
        self.api("DELETE", f"{path}/participants/{self.uid('expert')}", who="agent", expect=204)
        self.assertError(self.api("GET", path, who="expert"), 404, "not_found")
        self.assertError(self.api("GET", f"{path}/messages", who="expert"), 404, "not_found")
        self.assertError(self.api("DELETE", f"{path}/participants/{self.uid('expert')}",
                                  who="agent"), 404, "not_found")
        # a participant may leave on their own
        self.api("DELETE", f"{path}/participants/{self.uid('agent2')}", who="agent2", expect=204)
        got = self.api("GET", path, who="agent", expect=200).json
        self.assertEqual(got["assignees"], [self.uid("agent")])
        self.assertEqual(self.api("GET", f"{path}/participants", who="agent",
                                  expect=200).json["data"], [])
        removed = self.audit("conversation.participant_remove", conv)
        self.assertEqual(sorted((e["detail"]["user_id"], e["detail"]["via"]) for e in removed),
                         sorted([(self.uid("expert"), "removed"), (self.uid("agent2"), "left")]))
        # invited again: access is back
        self.invite(conv, {"user_id": self.uid("expert")})
        self.api("GET", path, who="expert", expect=200)

    # ---- limits and bad input -----------------------------------------------------------------
    def test_limits_and_bad_input(self):
        conv = self.owned("agent")
        path = f"/api/v1/conversations/{conv['id']}"
        before = self.srv.counts()
        other_user = self.api("GET", "/api/v1/me", token=self.srv.token("other"), expect=200).json
        self.assertError(self.invite(conv, {"user_id": 987654}, expect=404), 404, "not_found",
                         "user_id")
        self.assertError(self.invite(conv, {"user_id": other_user["id"]}, expect=404), 404,
                         "not_found", "user_id")
        self.assertError(self.invite(conv, {"user_id": self.uid("agent")}, expect=409), 409,
                         "conflict", "user_id")
        for body, field in (({}, "user_id"), ({"user_id": 1, "skill": "billing"}, "skill"),
                            ({"user_id": 0}, "user_id"), ({"skill": "billing:3"}, "skill"),
                            ({"skill": "billing", "min_level": 11}, "min_level"),
                            ({"skill": "billing", "role": "boss"}, "role"),
                            ({"user_id": self.uid("agent2"), "min_level": 2}, "min_level"),
                            ({"user_id": self.uid("agent2"), "colour": "red"}, "colour")):
            with self.subTest(body=body):
                self.assertError(self.invite(conv, body, expect=400), 400, "invalid_argument",
                                 field)
        r = self.api("PATCH", f"{path}/participants/{self.uid('agent2')}",
                     {"may_write_customer": True}, who="agent")
        self.assertError(r, 404, "not_found")
        self.assertEqual(self.srv.counts(), before)
        # another tenant cannot see the conversation at all
        self.assertError(self.api("POST", f"{path}/invitations", {"user_id": other_user["id"]},
                                  token=self.srv.token("other")), 404, "not_found")
        # an unowned conversation cannot take invitations
        loose = self.new_conversation()
        self.assertError(self.invite(loose, {"user_id": self.uid("agent2")}, who="supervisor",
                                     expect=409), 409, "conflict")
        # at most 7 participants besides the owner
        self.invite(conv, {"user_id": self.uid("agent2")})
        self.assertError(self.invite(conv, {"user_id": self.uid("agent2")}, expect=409), 409,
                         "conflict", "user_id")
        for _ in range(6):
            u, _ = self.new_user("expert")
            self.invite(conv, {"user_id": u["id"]})
        u, _ = self.new_user("expert")
        r = self.invite(conv, {"user_id": u["id"]}, expect=409)
        self.assertError(r, 409, "conflict")
        self.assertIn("7", r.error["message"])
        ids = [self.uid("agent")] + [p["user_id"] for p in self.api(
            "GET", f"{path}/participants", who="agent", expect=200).json["data"]]
        self.assertEqual(self.api("GET", path, who="agent", expect=200).json["assignees"], ids)
        # and the assignees list cannot grow past it either
        self.assertError(self.api("PATCH", path, {"assignees": ids + [u["id"]]}, who="admin"),
                         409, "conflict", "assignees")

    def test_assignees_and_participants_stay_in_step(self):
        conv = self.new_conversation()
        path = f"/api/v1/conversations/{conv['id']}"
        # assigning several people makes the others participants (adviser or expert by role)
        self.api("PATCH", path, {"assignees": [self.uid("agent"), self.uid("expert")]},
                 who="admin", expect=200)
        listed = self.api("GET", f"{path}/participants", who="admin", expect=200).json["data"]
        self.assertEqual([(p["user_id"], p["role"], p["invited_by"]) for p in listed],
                         [(self.uid("expert"), "expert", f"user:{self.uid('admin')}")])
        # a transfer to a participant makes them the owner and no longer a participant
        self.api("PATCH", path, {"assignees": [self.uid("expert"), self.uid("agent")]},
                 who="admin", expect=200)
        listed = self.api("GET", f"{path}/participants", who="admin", expect=200).json["data"]
        self.assertEqual([(p["user_id"], p["role"]) for p in listed],
                         [(self.uid("agent"), "adviser")])
        self.api("PATCH", path, {"assignees": [self.uid("agent2")]}, who="admin", expect=200)
        self.assertEqual(self.api("GET", f"{path}/participants", who="admin",
                                  expect=200).json["data"], [])
        self.assertError(self.api("GET", path, who="expert"), 404, "not_found")
