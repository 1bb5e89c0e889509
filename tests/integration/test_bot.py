"""The virtual agent, whole conversations through the widget API: the disclosure in its first
message, a flow completing with an HTTP action, a knowledge-base answer, every hand-off trigger
(explicit request, low confidence twice, negative sentiment and distress, a moment that matters
with raised priority, vulnerable and prefers-a-person customers bypassing the bot), cancel and
start again, bot.resolved on confirmation and after the confirmation window, the first human
reply after a hand-off, the policy and stats endpoints and `parley bot check-flows`.

The organisation's back office that the flows call is a local Python HTTP server (a stand-in
for a third party we cannot reach: the organisation's own systems). Intents come from a model
trained on data/demo/intents.csv by `parley seed-demo`; sentiment and the knowledge base are
the kb helper's. Tests never sleep for a fixed time: they wait for a message or an event, with
a timeout."""

import http.server
import json
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import harness

REPO = harness.REPO
BACKEND = None
FLOWS_DIR = None
HELP = ""


class Backend(http.server.BaseHTTPRequestHandler):
    """The organisation's billing system: POST /readings takes a meter reading (account 99999999
    is down: 503), every request is recorded."""
    calls = []

    def log_message(self, fmt, *args):  # quiet
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n) or b"{}")
        Backend.calls.append((self.path, body))
        if self.path == "/readings" and body.get("account") != "99999999":
            out, status = {"reference": "R-" + body.get("account", "")[-4:]}, 201
        else:
            out, status = {"error": "unavailable"}, 503
        data = json.dumps(out).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def write_flows(backend_url, flows_dir=None):
    """The demo flows, with the meter-reading flow pointed at the local back office."""
    d = Path(flows_dir or FLOWS_DIR) / harness.DEMO_TENANT
    d.mkdir(parents=True)
    for f in (REPO / "data" / "demo" / "flows" / harness.DEMO_TENANT).glob("*.json"):
        shutil.copy(f, d / f.name)
    meter = json.loads((d / "meter_reading.json").read_text())
    for step in meter["steps"]:
        if step["type"] == "action":
            step["url"] = backend_url + "/readings"
            step["retries"] = 1
            step["timeout_ms"] = 2000
    (d / "meter_reading.json").write_text(json.dumps(meter, indent=2))


def setUpModule():
    global BACKEND, FLOWS_DIR
    BACKEND = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Backend)
    threading.Thread(target=BACKEND.serve_forever, daemon=True).start()
    FLOWS_DIR = tempfile.mkdtemp(prefix="parley-flows-")
    write_flows(f"http://127.0.0.1:{BACKEND.server_address[1]}")

    def import_articles(s):
        if "kb import" in HELP:
            kb = Path(FLOWS_DIR) / "kb"
            kb.mkdir()
            for slug, text in ARTICLES.items():
                (kb / f"{slug}.md").write_text(text)
            s.cli("kb", "import", "--db", s.db, "--tenant", harness.DEMO_TENANT, "--dir", str(kb))

    harness.SERVER = start_server({"PARLEY_BOT": "on", "PARLEY_BOT_FLOWS_DIR": FLOWS_DIR,
                                   "PARLEY_BOT_SWEEP_S": "1"}, import_articles)


def start_server(env, before_start=None):
    """A prepared and started server with the bot on; HELP says what this build can do;
    before_start(server) runs between preparing and starting."""
    global HELP
    s = harness.Server(env=env)
    try:
        s.prepare()
        HELP = s.cli("help").stdout
        if before_start is not None:
            before_start(s)
        s.start()
    except BaseException:
        try:
            s.stop()
        except AssertionError:
            pass
        raise
    return s


def tearDownModule():
    s, harness.SERVER = harness.SERVER, None
    BACKEND.shutdown()
    shutil.rmtree(FLOWS_DIR, ignore_errors=True)
    if s is not None:
        s.stop()


ARTICLES = {
    "opening-hours-test": "# When our advisers are available\n\nOur advisers answer phone calls "
                          "and chat from 8am to 8pm Monday to Friday, and 9am to 1pm on "
                          "Saturdays. The office is closed on Sundays and bank holidays.\n",
    "warm-home-discount-test": "# Warm Home Discount\n\nThe Warm Home Discount is a one-off "
                               "payment off your electricity bill in winter, for people on "
                               "certain benefits.\n",
    "solar-export-test": "# Selling solar electricity\n\nIf you have solar panels you can be "
                         "paid for the electricity you export to the grid.\n",
}


def have(what):
    return what in HELP


class BotCase(harness.ParleyCase):
    """Helpers for whole bot conversations (test_bot_actions.py uses them too)."""
    def visitor(self, name=None):
        return self.widget_session(name=name)

    def send(self, visitor, body):
        r = self.api("POST", "/api/v1/widget/messages", {"body": body}, token=visitor["token"],
                     expect=201).json
        return r["conversation_id"]

    def messages(self, visitor, cid):
        return self.walk(f"/api/v1/widget/conversations/{cid}/messages", token=visitor["token"])

    def wait_bot(self, visitor, cid, count, timeout=15):
        """The widget's messages once the bot has written `count` messages in all."""
        deadline = time.monotonic() + timeout
        while True:
            msgs = self.messages(visitor, cid)
            if sum(m["sender"] == "bot" for m in msgs) >= count:
                return msgs
            if time.monotonic() > deadline:
                self.fail(f"the bot wrote fewer than {count} messages in {timeout}s: "
                          f"{[(m['sender'], m['body'][:80]) for m in msgs]}")
            time.sleep(0.05)

    def say(self, visitor, body, cid=None):
        """Sends body and returns (conversation id, the bot's replies to it)."""
        before = 0
        if cid is not None:
            before = sum(m["sender"] == "bot" for m in self.messages(visitor, cid))
        cid = self.send(visitor, body)
        msgs = self.wait_bot(visitor, cid, before + 1)
        last_customer = max(m["seq"] for m in msgs if m["sender"] == "customer")
        # the bot's turn is one commit: wait until it is all there (a turn has 1-4 messages)
        return cid, [m["body"] for m in msgs if m["sender"] == "bot" and m["seq"] > last_customer]

    def events(self, type_, cid):
        rows = self.srv.db_query("SELECT data FROM events WHERE type = ? AND conversation_id = ?"
                                 " ORDER BY id", (type_, cid))
        return [json.loads(r[0]) for r in rows]

    def wait_event(self, type_, cid, timeout=15):
        deadline = time.monotonic() + timeout
        while True:
            ev = self.events(type_, cid)
            if ev:
                return ev[0]
            if time.monotonic() > deadline:
                self.fail(f"no {type_} event for conversation {cid} within {timeout}s")
            time.sleep(0.05)

    def conversation(self, cid):
        return self.api("GET", f"/api/v1/conversations/{cid}", who="agent", expect=200).json

    def staff_messages(self, cid):
        return self.walk(f"/api/v1/conversations/{cid}/messages", who="agent")

    def assert_handed_off(self, cid, reason, priority=None, intent=None):
        ev = self.wait_event("bot.handoff", cid)
        self.assertEqual(ev["reason"], reason, ev)
        c = self.conversation(cid)
        self.assertEqual(c["status"], "queued")
        self.assertEqual(ev["priority"], c["priority"])
        if priority is not None:
            self.assertEqual(c["priority"], priority)
        if intent is not None:
            self.assertEqual(ev["intent"], intent)
            self.assertEqual(c["contact_reason"], intent)
        return ev

    def set_policy(self, **fields):
        return self.api("PUT", "/api/v1/bot/policy", fields, who="admin", expect=200).json

    def need_nlu(self):
        if not have("nlu train"):
            self.skipTest("needs the NLU (parley nlu train)")


class BotTest(BotCase):

    # ---- disclosure, explicit requests, low confidence (no model needed) -------------------
    def test_first_message_says_it_is_a_bot(self):
        v = self.visitor()
        cid, replies = self.say(v, "Hello")
        policy = self.api("GET", "/api/v1/bot/policy", who="supervisor", expect=200).json
        self.assertEqual(replies[0], policy["disclosure"])
        self.assertIn("bot", replies[0])
        self.assertEqual(self.conversation(cid)["status"], "bot")
        # the second reply does not repeat it
        _, again = self.say(v, "what can you do", cid)
        self.assertNotIn(policy["disclosure"], again)

    def test_explicit_requests_for_a_person_hand_off(self):
        for phrase in ("human please", "can I talk to someone", "this bot is useless",
                       "Operator!"):
            v = self.visitor()
            cid, replies = self.say(v, phrase)
            self.assertIn("passing you to a person", replies[-1])
            self.assert_handed_off(cid, "requested", priority="normal")
            # the adviser gets a summary as an internal note the customer never sees
            notes = [m for m in self.staff_messages(cid) if m["internal"]]
            self.assertEqual(len(notes), 1)
            self.assertIn("Reason: requested", notes[0]["body"])
            self.assertFalse(any(m["internal"] for m in self.messages(v, cid)))

    def test_a_request_mid_flow_still_hands_off(self):
        if not have("nlu train"):
            self.skipTest("needs the NLU (parley nlu train)")
        v = self.visitor()
        cid, _ = self.say(v, "I want to submit a meter reading")
        _, replies = self.say(v, "actually I want to speak to a real person", cid)
        self.assert_handed_off(cid, "requested")

    def test_low_confidence_twice_hands_off(self):
        v = self.visitor()
        cid, replies = self.say(v, "zxqv blorp wibble")
        self.assertIn("say that another way", replies[-1])
        self.assertEqual(self.conversation(cid)["status"], "bot")
        self.say(v, "flarn quux", cid)
        self.assert_handed_off(cid, "low_confidence")

    # ---- flows ------------------------------------------------------------------------------
    def test_meter_reading_flow_calls_the_back_office_and_resolves_on_yes(self):
        self.need_nlu()
        v = self.visitor()
        cid, replies = self.say(v, "I want to submit a meter reading")
        self.assertIn("account number", replies[-1])
        _, replies = self.say(v, "it's 12345678", cid)
        self.assertIn("electricity or gas", replies[-1])
        _, replies = self.say(v, "the electric one", cid)
        self.assertIn("electricity meter", replies[-1])
        Backend.calls.clear()
        _, replies = self.say(v, "04521", cid)
        self.assertEqual(Backend.calls, [("/readings", {"account": "12345678",
                                                        "fuel": "electricity",
                                                        "reading": "04521"})])
        self.assertIn("reference R-5678", replies[0])
        self.assertIn("Did that answer your question?", replies[-1])
        _, replies = self.say(v, "yes, thanks", cid)
        ev = self.wait_event("bot.resolved", cid)
        self.assertEqual(ev["how"], "confirmed")
        self.assertEqual(self.conversation(cid)["status"], "resolved")

    def test_a_failing_action_hands_off_with_the_answers(self):
        self.need_nlu()
        v = self.visitor()
        cid, _ = self.say(v, "I'd like to give you my meter reading")
        self.say(v, "99999999", cid)
        self.say(v, "gas", cid)
        _, replies = self.say(v, "1234", cid)
        self.assertIn("couldn't submit", replies[-1])
        self.assert_handed_off(cid, "action_failed", intent="meter_reading")
        note = [m for m in self.staff_messages(cid) if m["internal"]][-1]["body"]
        self.assertIn("account: 99999999", note)
        self.assertIn("reading: 1234", note)

    def test_power_cut_flow_uses_the_demo_back_office(self):
        self.need_nlu()
        v = self.visitor()
        cid, replies = self.say(v, "there is a power cut in my street")
        self.assertIn("postcode", replies[-1])
        _, replies = self.say(v, "cf10 1aa", cid)
        self.assertIn("power cut affecting CF10 1AA", replies[0])

    def test_moving_home_hands_off_with_a_summary(self):
        self.need_nlu()
        v = self.visitor()
        cid, replies = self.say(v, "I'm moving house next month")
        self.assertIn("moving out", replies[-1])
        _, replies = self.say(v, "the 14th of January 2027", cid)
        self.assertIn("postcode", replies[-1])
        _, replies = self.say(v, "not sure yet", cid)  # does not validate: asked again
        self.assertIn("UK postcode", replies[-1])
        self.say(v, "SW1A1AA", cid)
        self.say(v, "jo@example.com", cid)
        self.assert_handed_off(cid, "flow", intent="moving_home")
        note = [m for m in self.staff_messages(cid) if m["internal"]][-1]["body"]
        self.assertIn("Moving out on 2027-01-14 to SW1A 1AA; final bill to jo@example.com.", note)

    def test_invalid_answers_twice_then_a_person_is_offered(self):
        self.need_nlu()
        v = self.visitor()
        cid, _ = self.say(v, "I'm moving home")
        self.say(v, "dunno", cid)
        self.say(v, "no idea", cid)
        _, replies = self.say(v, "whenever", cid)
        self.assertIn("pass you to a person?", replies[-1])
        self.say(v, "yes please", cid)
        self.assert_handed_off(cid, "not_understood")

    def test_cancel_and_start_again(self):
        self.need_nlu()
        v = self.visitor()
        cid, _ = self.say(v, "submit a meter reading")
        self.say(v, "12345678", cid)
        _, replies = self.say(v, "start again", cid)
        self.assertIn("start again", replies[0])
        self.assertIn("account number", replies[-1])
        _, replies = self.say(v, "cancel", cid)
        self.assertIn("stopped", replies[-1])
        state = json.loads(self.srv.db_query(
            "SELECT state FROM bot_conversations WHERE conversation_id = ?", (cid,))[0][0])
        self.assertEqual(state["flow"], "")
        self.assertEqual(self.conversation(cid)["status"], "bot")

    def test_a_restart_loses_nothing(self):
        self.need_nlu()
        v = self.visitor()
        cid, _ = self.say(v, "I'm moving house soon")
        _, replies = self.say(v, "1st of March 2027", cid)
        self.assertIn("postcode", replies[-1])
        srv = self.srv
        srv.proc.send_signal(signal.SIGTERM)
        self.assertEqual(srv.proc.wait(timeout=20), 0)
        srv._out.close()
        srv._err.close()
        srv.start()
        _, replies = self.say(v, "M1 1AE", cid)
        self.assertIn("email", replies[-1])
        state = json.loads(srv.db_query(
            "SELECT state FROM bot_conversations WHERE conversation_id = ?", (cid,))[0][0])
        self.assertEqual(state["slots"], {"move_date": "2027-03-01", "new_postcode": "M1 1AE"})

    # ---- moments that matter, sentiment, distress ------------------------------------------
    def test_a_moment_that_matters_hands_off_at_once_with_raised_priority(self):
        self.need_nlu()
        v = self.visitor()
        cid, replies = self.say(v, "I want to make a formal complaint about how I was treated")
        self.assert_handed_off(cid, "moment_that_matters", priority="high", intent="complaint")
        self.assertEqual(len(replies), 2)  # the disclosure, then straight to a person

    def test_bereavement_gets_a_person_at_once(self):
        if not (have("nlu train") or have("sentiment eval")):
            self.skipTest("needs the NLU or sentiment")
        v = self.visitor()
        cid, replies = self.say(v, "my dad passed away")
        ev = self.wait_event("bot.handoff", cid)
        self.assertIn(ev["reason"], ("moment_that_matters", "distress"))
        self.assertEqual(ev["priority"], "high")
        self.assertIn("sorry", replies[-1])
        self.assertEqual(self.conversation(cid)["status"], "queued")

    def test_negative_sentiment_hands_off(self):
        if not have("sentiment eval"):
            self.skipTest("needs sentiment (parley sentiment eval)")
        v = self.visitor()
        cid, _ = self.say(v, "This is absolutely terrible, awful, disgusting service. I hate it!")
        self.assert_handed_off(cid, "sentiment")

    def test_distress_hands_off_with_high_priority(self):
        if not have("sentiment eval"):
            self.skipTest("needs sentiment (parley sentiment eval)")
        v = self.visitor()
        cid, _ = self.say(v, "I can't cope any more, I'm desperate")
        self.assert_handed_off(cid, "distress", priority="high")

    # ---- bypass -------------------------------------------------------------------------------
    def test_vulnerable_and_prefers_person_customers_bypass_the_bot(self):
        for fields, reason, priority in (({"needs": ["mental_health"]}, "vulnerable", "high"),
                                         ({"prefers_person": True}, "prefers_person", "normal")):
            v = self.visitor()
            self.api("PATCH", f"/api/v1/customers/{v['customer_id']}", fields, who="agent",
                     expect=200)
            cid = self.send(v, "Hello, I need help with my bill")
            ev = self.assert_handed_off(cid, reason, priority=priority)
            self.assertEqual(ev["intent"], "unknown")
            # the bot never spoke, and never will in this conversation
            self.send(v, "anyone there?")
            self.assertEqual([m["sender"] for m in self.messages(v, cid)],
                             ["customer", "customer"])
            self.assertEqual(self.events("message.created", cid)[-1]["sender"], "customer")

    # ---- knowledge base -------------------------------------------------------------------------
    def test_a_knowledge_answer_then_no_offers_a_person(self):
        if not have("kb import"):
            self.skipTest("needs the knowledge base (parley kb import)")
        self.set_policy(kb_min_score=0.01)
        try:
            v = self.visitor()
            cid, replies = self.say(v, "when are your advisers available on saturdays")
            self.assertTrue(any("When our advisers are available" in r for r in replies), replies)
            self.assertTrue(any("/help/opening-hours-test" in r for r in replies), replies)
            self.assertIn("Did that answer your question?", replies[-1])
            _, replies = self.say(v, "no", cid)
            self.assertIn("pass you to a person?", replies[-1])
            self.say(v, "yes", cid)
            self.assert_handed_off(cid, "unresolved")
        finally:
            self.set_policy()

    def test_no_reply_after_an_answer_resolves_by_timeout(self):
        self.need_nlu()
        self.set_policy(resolve_after_s=1)
        try:
            v = self.visitor()
            cid, _ = self.say(v, "there's a power cut")
            _, replies = self.say(v, "LS1 4AP", cid)
            self.assertIn("Did that answer your question?", replies[-1])
            ev = self.wait_event("bot.resolved", cid)
            self.assertEqual(ev["how"], "timeout")
            self.assertEqual(self.conversation(cid)["status"], "resolved")
        finally:
            self.set_policy()

    # ---- after the hand-off -----------------------------------------------------------------
    def test_first_human_reply_is_timed_once(self):
        v = self.visitor()
        cid, _ = self.say(v, "agent please")
        handoff = self.wait_event("bot.handoff", cid)
        self.assertEqual(handoff["reason"], "requested")
        stream = harness.SSE(self.srv, "/api/v1/stream", self.srv.token("supervisor"))
        try:
            self.api("POST", f"/api/v1/conversations/{cid}/messages",
                     {"body": "internal: checking", "internal": True}, who="agent", expect=201)
            msg = self.api("POST", f"/api/v1/conversations/{cid}/messages",
                           {"body": "Hi, I'm Tomasz. How can I help?"}, who="agent",
                           expect=201).json
            ev = self.wait_event("handoff.first_human_reply", cid)
            got = stream.collect(until=lambda evs: any(
                e["event"] == "handoff.first_human_reply" for e in evs))
        finally:
            stream.close()
        self.assertEqual(ev["message_id"], msg["id"])
        self.assertEqual(ev["user_id"], self.srv.user("agent")["id"])
        self.assertEqual(ev["reason"], "requested")
        self.assertEqual(ev["elapsed_ms"], ev["replied_at"] - ev["handoff_at"])
        self.assertGreaterEqual(ev["elapsed_ms"], 0)
        live = [e for e in got if e["event"] == "handoff.first_human_reply"]
        self.assertEqual(len(live), 1)
        self.assertEqual(harness.check_event(live[0]), [])
        self.api("POST", f"/api/v1/conversations/{cid}/messages", {"body": "Still there?"},
                 who="agent", expect=201)
        # The bot reads events in order: once it has answered a later customer elsewhere, it
        # has seen the second agent reply, which must not count as a first reply.
        self.say(self.visitor(), "hello")
        self.assertEqual(len(self.events("handoff.first_human_reply", cid)), 1)

    # ---- policy and stats -------------------------------------------------------------------------
    def test_policy_defaults_validation_and_roles(self):
        p = self.api("GET", "/api/v1/bot/policy", who="admin", expect=200).json
        self.assertTrue(p["enabled"])
        self.assertEqual(p["low_confidence_handoff"], 2)
        self.assertEqual(p["resolve_after_s"], 72 * 3600)
        for m in ("complaint", "bereavement", "fraud", "payment_difficulty", "cancel_contract"):
            self.assertIn(p["moments_that_matter"][m], ("high", "urgent"))
        r = self.api("PUT", "/api/v1/bot/policy", {"confidence_threshold": 3}, who="admin",
                     expect=400)
        self.assertError(r, 400, "invalid_argument", "confidence_threshold")
        r = self.api("PUT", "/api/v1/bot/policy", {"colour": "red"}, who="admin", expect=400)
        self.assertError(r, 400, "invalid_argument", "colour")
        self.api("PUT", "/api/v1/bot/policy", {}, who="agent", expect=403)
        self.api("GET", "/api/v1/bot/policy", who="agent", expect=403)
        # the other organisation has its own policy
        other = self.api("PUT", "/api/v1/bot/policy", {"enabled": False},
                         token=self.srv.token("other"), expect=200).json
        self.assertFalse(other["enabled"])
        self.assertTrue(self.api("GET", "/api/v1/bot/policy", who="admin", expect=200).json[
            "enabled"])

    def test_a_disabled_bot_sends_conversations_to_the_queue(self):
        self.set_policy(enabled=False, disclosure="Bot here.")
        try:
            v = self.visitor()
            cid = self.send(v, "hello")
            self.assertEqual(self.conversation(cid)["status"], "queued")
            self.assertEqual(self.events("bot.handoff", cid), [])
        finally:
            p = self.set_policy()
        self.assertTrue(p["enabled"])
        self.assertNotEqual(p["disclosure"], "Bot here.")

    def test_stats_count_handoffs_by_reason(self):
        v = self.visitor()
        cid, _ = self.say(v, "real person please")
        self.wait_event("bot.handoff", cid)
        st = self.api("GET", "/api/v1/bot/stats", who="supervisor", expect=200).json
        self.assertGreaterEqual(st["handoffs_by_reason"].get("requested", 0), 1)
        self.assertEqual(st["handoffs"], sum(st["handoffs_by_reason"].values()))
        self.assertGreaterEqual(st["conversations"], st["handoffs"])
        self.assertTrue(0.0 <= st["containment"] <= 1.0)
        self.api("GET", "/api/v1/bot/stats", who="agent", expect=403)
        other = self.api("GET", "/api/v1/bot/stats", token=self.srv.token("other"),
                         expect=200).json
        self.assertEqual(other["handoffs"], 0)

    def test_demo_actions_exist_for_the_demo_organisation_only(self):
        r = self.api("POST", "/demo/actions/power-cuts?tenant=acme", {"postcode": "m1 1ae"},
                     expect=200).json
        self.assertTrue(r["outage"])
        self.assertEqual(r["postcode"], "M1 1AE")
        r = self.api("POST", "/demo/actions/meter-readings?tenant=acme",
                     {"account": "12345678", "reading": "100"}, expect=201).json
        self.assertTrue(r["reference"].startswith("MR-"))
        self.api("POST", "/demo/actions/meter-readings?tenant=globex",
                 {"account": "12345678", "reading": "100"}, expect=404)
        self.api("POST", "/demo/actions/power-cuts?tenant=acme", {"postcode": "nowhere"},
                 expect=400)

    # ---- the command line ----------------------------------------------------------------------
    def test_check_flows_accepts_the_demo_and_names_file_and_line(self):
        ok = self.srv.cli("bot", "check-flows", "--dir", str(REPO / "data" / "demo" / "flows"))
        self.assertIn("flows: 6 valid, 0 with errors", ok.stdout)
        bad = Path(self.srv.dir) / "badflows"
        bad.mkdir()
        (bad / "loop.json").write_text(
            '{\n "flow": "loop",\n "intents": ["x"],\n "steps": [\n'
            '  {"id": "a", "type": "say", "say": "hi", "next": "b"},\n'
            '  {"id": "b", "type": "say", "say": "again", "next": "a"}\n ]\n}\n')
        (bad / "typo.json").write_text(
            '{\n "flow": "typo",\n "intents": ["y"],\n "steps": [\n'
            '  {"id": "a", "type": "answer",\n   "sya": "hi"}\n ]\n}\n')
        r = self.srv.cli("bot", "check-flows", "--dir", str(bad), check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("loop.json:5: steps", r.stdout)
        self.assertIn("typo.json:6: step \"a\" (answer) has an unknown field \"sya\"", r.stdout)
