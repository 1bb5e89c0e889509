"""Flow HTTP actions run off the bot thread (docs/bot.md, "HTTP actions"): while one
conversation's action waits on a slow system, other conversations are still answered; messages
sent meanwhile to the waiting conversation are answered afterwards, in order; a request for a
person does not wait; a server killed during an action re-runs it after the restart with the same
Idempotency-Key, so the conversation is not stuck.

The organisation's billing system is a local Python HTTP server (a stand-in for a third party we
cannot reach) that can HOLD a request until the test releases it (threading.Event): the tests
decide when an action ends instead of sleeping, and make no timing assertions."""

import http.server
import json
import shutil
import tempfile
import threading
import time
from pathlib import Path

import harness
import test_bot

BACKEND = None
FLOWS_DIR = None


class Billing(http.server.BaseHTTPRequestHandler):
    """POST /readings answers {"reference": "R-<last 4 digits>"} (201). A request for an account
    in `held` waits until that account's event is set. Every request is recorded with its
    Idempotency-Key."""
    lock = threading.Condition()
    calls = []  # (account, idempotency key)
    held = {}   # account -> threading.Event

    def log_message(self, fmt, *args):  # quiet
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n) or b"{}")
        account = body.get("account", "")
        with Billing.lock:
            Billing.calls.append((account, self.headers.get("Idempotency-Key")))
            Billing.lock.notify_all()
            gate = Billing.held.get(account)
        if gate is not None:
            gate.wait(timeout=120)
        data = json.dumps({"reference": "R-" + account[-4:]}).encode()
        try:
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the caller went away (the server was killed)
            pass

    @classmethod
    def hold(cls, account):
        with cls.lock:
            cls.held[account] = threading.Event()

    @classmethod
    def release(cls, account):
        with cls.lock:
            cls.held.pop(account).set()

    @classmethod
    def wait_calls(cls, account, count, timeout=20):
        """The Idempotency-Keys of the first `count` requests for an account, once they came."""
        deadline = time.monotonic() + timeout
        with cls.lock:
            while True:
                keys = [k for a, k in cls.calls if a == account]
                if len(keys) >= count:
                    return keys
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{count} request(s) for account {account} did not "
                                         f"reach the billing system within {timeout}s: {keys}")
                cls.lock.wait(left)


def setUpModule():
    global BACKEND, FLOWS_DIR
    BACKEND = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Billing)
    BACKEND.daemon_threads = True
    threading.Thread(target=BACKEND.serve_forever, daemon=True).start()
    FLOWS_DIR = tempfile.mkdtemp(prefix="parley-flows-")
    test_bot.write_flows(f"http://127.0.0.1:{BACKEND.server_address[1]}", FLOWS_DIR)
    # the longest wait a flow may give one attempt, and no retry: a held request is one request
    path = Path(FLOWS_DIR) / harness.DEMO_TENANT / "meter_reading.json"
    meter = json.loads(path.read_text())
    for step in meter["steps"]:
        if step["type"] == "action":
            step["timeout_ms"], step["retries"] = 10000, 0
    path.write_text(json.dumps(meter, indent=2))
    harness.SERVER = test_bot.start_server({"PARLEY_BOT": "on",
                                            "PARLEY_BOT_FLOWS_DIR": FLOWS_DIR})


def tearDownModule():
    s, harness.SERVER = harness.SERVER, None
    with Billing.lock:
        for gate in Billing.held.values():
            gate.set()
    BACKEND.shutdown()
    shutil.rmtree(FLOWS_DIR, ignore_errors=True)
    if s is not None:
        s.stop()


class BotActionsTest(test_bot.BotCase):
    def setUp(self):
        self.need_nlu()

    def tearDown(self):
        with Billing.lock:  # never leave a request hanging for the next test
            for gate in Billing.held.values():
                gate.set()
            Billing.held.clear()
        super().tearDown()

    def bot_count(self, v, cid):
        return sum(m["sender"] == "bot" for m in self.messages(v, cid))

    def reading_pending(self, account, stream=False):
        """A conversation whose meter reading is at the billing system, held there: the visitor,
        the conversation id, the reading message's seq and the request's Idempotency-Key (and,
        with stream, the visitor's live stream, opened before the reading was sent)."""
        Billing.hold(account)
        v = self.visitor()
        cid, replies = self.say(v, "I want to submit a meter reading")
        self.assertIn("account number", replies[-1])
        self.say(v, account, cid)
        _, replies = self.say(v, "electricity", cid)
        self.assertIn("meter show", replies[-1])
        before = self.bot_count(v, cid)
        live = None
        if stream:
            live = harness.SSE(self.srv, "/api/v1/widget/stream", v["token"])
            self.addCleanup(live.close)
        self.send(v, "04521")
        key = Billing.wait_calls(account, 1)[0]
        seq = max(m["seq"] for m in self.messages(v, cid) if m["sender"] == "customer")
        # the action has not finished, so the reading has no answer yet
        self.assertEqual(self.bot_count(v, cid), before)
        return (v, cid, seq, key, live) if stream else (v, cid, seq, key)

    def other_conversation_answered(self):
        """Another visitor's message gets the bot's reply (the bot thread is free). The bot reads
        events in commit order, so it has also seen everything committed before."""
        v = self.visitor()
        cid, replies = self.say(v, "Hello")
        self.assertTrue(replies)
        return cid

    def test_a_held_action_does_not_hold_up_other_conversations(self):
        v, cid, seq, key, live = self.reading_pending("11110001", stream=True)
        # the customer sees the bot is busy on it
        got = live.collect(until=lambda evs: any(e["event"] == "typing" for e in evs))
        typing = [e["json"] for e in got if e["event"] == "typing"]
        self.assertEqual(typing, [{"conversation_id": cid, "participant": "bot"}])
        before = self.bot_count(v, cid)
        # while A's request is held at the billing system, B is answered
        self.other_conversation_answered()
        self.other_conversation_answered()
        self.assertEqual(self.bot_count(v, cid), before)
        Billing.release("11110001")
        msgs = self.wait_bot(v, cid, before + 1)
        answer = [m["body"] for m in msgs if m["sender"] == "bot" and m["seq"] > seq]
        self.assertIn("reading of 04521 is in, reference R-0001", answer[0])
        self.assertIn("Did that answer your question?", answer[-1])
        self.assertEqual(self.conversation(cid)["status"], "bot")
        # the organisation's system can dedupe on the key (conversation, message, step)
        self.assertEqual(key, f"parley-{cid}-{seq}-submit")

    def test_messages_sent_during_an_action_are_answered_in_order_after_it(self):
        v, cid, seq, _ = self.reading_pending("11110002")
        before = self.bot_count(v, cid)
        self.send(v, "no")   # to "Did that answer your question?", which is still to come
        self.send(v, "yes")  # to "Would you like me to pass you to a person?"
        self.other_conversation_answered()  # so the bot has seen both
        self.assertEqual(self.bot_count(v, cid), before)  # neither answered out of order
        Billing.release("11110002")
        self.assert_handed_off(cid, "unresolved")
        msgs = self.messages(v, cid)
        customer = [m for m in msgs if m["sender"] == "customer" and m["seq"] >= seq]
        self.assertEqual([m["body"] for m in customer], ["04521", "no", "yes"])
        bot = [m for m in msgs if m["sender"] == "bot" and m["seq"] > seq]
        bodies = [m["body"] for m in bot]
        # one reply after another, in the order of the customer's messages
        i_ref = next(i for i, b in enumerate(bodies) if "reference R-0002" in b)
        i_offer = next(i for i, b in enumerate(bodies) if "Sorry that didn't help" in b)
        i_handoff = next(i for i, b in enumerate(bodies) if "passing you to a person" in b)
        self.assertLess(i_ref, i_offer)
        self.assertLess(i_offer, i_handoff)
        self.assertTrue(all(m["seq"] > customer[-1]["seq"] for m in bot))
        self.assertEqual(len(self.events("bot.resolved", cid)), 0)

    def test_a_request_for_a_person_does_not_wait_for_the_action(self):
        v, cid, _, _ = self.reading_pending("11110003")
        self.send(v, "can I talk to a real person please")
        # handed off while the billing system still holds the request
        ev = self.assert_handed_off(cid, "requested")
        self.assertEqual(ev["intent"], "meter_reading")
        note = [m for m in self.staff_messages(cid) if m["internal"]][-1]["body"]
        self.assertIn('step "submit" was still running', note)
        self.assertIn("reading: 04521", note)
        handed = self.messages(v, cid)
        Billing.release("11110003")
        # once the late result is back it is dropped: nothing more is said to the customer
        harness.wait_until(
            lambda: f"event=action_dropped conversation_id={cid}" in self.srv.stderr_text(),
            what="the late action result to come back")
        self.assertEqual(self.messages(v, cid), handed)
        self.assertEqual(self.conversation(cid)["status"], "queued")

    def test_a_restart_during_an_action_re_runs_it_with_the_same_key(self):
        v, cid, seq, key = self.reading_pending("11110004")
        srv = self.srv
        srv.proc.kill()  # SIGKILL while the action is at the billing system
        srv.proc.wait()
        srv._out.close()
        srv._err.close()
        srv.start()
        # the restarted bot answers the reading again: the same request, the same key
        keys = Billing.wait_calls("11110004", 2)
        self.assertEqual(keys, [key, key])
        self.assertEqual(key, f"parley-{cid}-{seq}-submit")
        before = self.bot_count(v, cid)
        Billing.release("11110004")
        msgs = self.wait_bot(v, cid, before + 1)
        answer = [m["body"] for m in msgs if m["sender"] == "bot" and m["seq"] > seq]
        self.assertIn("reference R-0004", answer[0])
        self.assertIn("Did that answer your question?", answer[-1])
        # and the conversation goes on
        self.send(v, "yes thanks")
        self.assertEqual(self.wait_event("bot.resolved", cid)["how"], "confirmed")

    def test_over_the_organisations_limit_the_bot_answers_at_once_and_offers_a_person(self):
        # One organisation may have 16 actions waiting or running, 2 of them running: hold
        # sixteen readings at (or on the way to) the billing system, then ask for a 17th.
        accounts = [f"2222{i:04d}" for i in range(17)]
        convs = []
        for account in accounts:
            Billing.hold(account)
            v = self.visitor()
            cid, _ = self.say(v, "I want to submit a meter reading")
            self.say(v, account, cid)
            self.say(v, "gas", cid)
            convs.append((v, cid))
        counts = [self.bot_count(v, cid) for v, cid in convs]
        for v, cid in convs[:16]:
            self.send(v, "123")
        harness.wait_until(lambda: len(self.calls_for(accounts)) >= 2,
                           what="two readings at the billing system")
        self.other_conversation_answered()  # so the bot has taken all sixteen
        self.assertEqual(len(self.calls_for(accounts)), 2)  # the rest wait their turn
        v, cid = convs[16]
        _, replies = self.say(v, "123", cid)
        self.assertIn("Sorry, I couldn't do that just now.", replies[-1])
        self.assertIn("pass you to a person?", replies[-1])
        self.say(v, "yes please", cid)
        self.assert_handed_off(cid, "action_busy")
        note = [m for m in self.staff_messages(cid) if m["internal"]][-1]["body"]
        self.assertIn(f"account: {accounts[16]}", note)
        for account in accounts[:16]:
            Billing.release(account)
        # every one of the sixteen completes, and the 17th was never sent
        for (v, cid), account, before in zip(convs[:16], accounts, counts):
            msgs = self.wait_bot(v, cid, before + 1)
            self.assertTrue(any(f"reference R-{account[-4:]}" in m["body"] for m in msgs))
        self.assertNotIn(accounts[16], self.calls_for(accounts))

    def calls_for(self, accounts):
        with Billing.lock:
            return [a for a, _ in Billing.calls if a in accounts]
