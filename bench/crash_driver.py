#!/usr/bin/python3
"""Crash-test driver: proves the durability contract by killing the server mid-load.

Starts `parley serve` on a fresh demo database, runs several clients posting widget messages
(unique Idempotency-Key and body each; a request that gets no 2xx is retried with the same
key and body, as a real client would), SIGKILLs the server at random moments, restarts it,
and at the end checks in the database that every acknowledged message is there exactly once,
that per-conversation seqs have no gaps, and that PRAGMA integrity_check is ok. Python 3
standard library only. Prints one line per kill and ends with
`crash-test: kills=N acked=N lost=N duplicated=N gaps=N integrity=ok`.
"""
import argparse
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

RETRY_STATUSES = {429, 500, 502, 503, 504}  # overloaded / shutting down: retry later


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """The parley process: start, wait until healthy, SIGKILL, stop cleanly."""

    def __init__(self, binary, db, port, log_path, pid_path):
        self.binary, self.db, self.port, self.pid_path = binary, db, port, pid_path
        self.log = open(log_path, "ab")
        self.proc = None
        self.starts = 0

    def start(self, timeout=15.0):
        self.starts += 1
        self.log.write(f"---- start {self.starts} ----\n".encode())
        self.log.flush()
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--db", self.db, "--listen", f"127.0.0.1:{self.port}"],
            stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        with open(self.pid_path, "w") as f:  # for the shell's trap, should this driver die
            f.write(f"{self.proc.pid}\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode} at start (see log)")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("server did not become healthy in %.0fs" % timeout)

    def forget_pid(self):
        try:
            os.unlink(self.pid_path)
        except FileNotFoundError:
            pass

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.forget_pid()

    def stop(self, timeout=15.0):
        if self.proc is None or self.proc.poll() is not None:
            self.forget_pid()
            return True
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
            clean = True
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            clean = False
        self.forget_pid()
        return clean


def request(port, method, path, body=None, headers=None, timeout=5.0):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


class Client(threading.Thread):
    """Posts messages for its own visitors; each message is retried until acknowledged."""

    def __init__(self, n, port, tokens, run_id, stop, abort):
        super().__init__(daemon=True)
        self.n, self.port, self.tokens, self.run_id = n, port, tokens, run_id
        self.stop, self.abort = stop, abort
        self.acked = []  # (key, body, conversation_id, seq, message_id, attempts, replayed)
        self.retries = 0
        self.errors = []  # unexpected replies (4xx other than 429), never retried
        self.conn = None

    def connect(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)

    def post(self, token, key, body):
        """One attempt: (status, parsed JSON or None, replayed) or None on a network error."""
        payload = json.dumps({"body": body})
        try:
            if self.conn is None:
                self.connect()
            self.conn.request("POST", "/api/v1/widget/messages", body=payload, headers={
                "Content-Type": "application/json",
                "Authorization": "Bearer " + token,
                "Idempotency-Key": key,
            })
            r = self.conn.getresponse()
            data = r.read()
            if r.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            try:
                doc = json.loads(data) if data else None
            except ValueError:
                doc = None
            return r.status, doc, (r.getheader("Idempotent-Replayed", "") == "true")
        except (OSError, http.client.HTTPException):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return None

    def run(self):
        seq_no = 0
        while not self.stop.is_set():
            seq_no += 1
            token = self.tokens[seq_no % len(self.tokens)]
            key = f"crash-{self.run_id}-{self.n}-{seq_no}"
            body = f"crash {self.run_id} client {self.n} message {seq_no}"
            attempts = 0
            while True:  # until acknowledged, however long the server is down
                attempts += 1
                res = self.post(token, key, body)
                if self.abort.is_set():
                    return
                if res is None or res[0] in RETRY_STATUSES:
                    self.retries += 1
                    time.sleep(0.02)
                    continue
                status, doc, replayed = res
                if 200 <= status <= 299:
                    msg = (doc or {}).get("message") or {}
                    self.acked.append((key, body, doc.get("conversation_id"), msg.get("seq"),
                                       msg.get("id"), attempts, replayed))
                else:
                    self.errors.append((key, status, doc))
                break


def check_database(db, acked, run_id):
    """Returns (lost, duplicated, gaps, mismatched, integrity, detail lines)."""
    con = sqlite3.connect(db)
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    rows = con.execute(
        "SELECT body, conversation_id, seq, id FROM messages WHERE body LIKE ?",
        (f"crash {run_id} %",)).fetchall()
    by_body = {}
    for body, conv, seq, mid in rows:
        by_body.setdefault(body, []).append((conv, seq, mid))
    lost = duplicated = mismatched = 0
    detail = []
    acked_bodies = set()
    for key, body, conv, seq, mid, attempts, replayed in acked:
        acked_bodies.add(body)
        found = by_body.get(body, [])
        if not found:
            lost += 1
            if lost <= 5:
                detail.append(f"lost: {body!r} acked as conversation {conv} seq {seq}")
        elif found[0][:2] != (conv, seq) and len(found) == 1:
            mismatched += 1
            if mismatched <= 5:
                detail.append(f"mismatch: {body!r} acked as {conv}/{seq}, stored as "
                              f"{found[0][0]}/{found[0][1]}")
    for body, found in by_body.items():
        if len(found) > 1:
            duplicated += len(found) - 1
            if duplicated <= 5:
                detail.append(f"duplicated: {body!r} stored {len(found)} times: {found}")
    unacked_stored = sum(1 for b in by_body if b not in acked_bodies)
    # seqs: every conversation's messages are numbered 1..n, and last_seq agrees
    gaps = 0
    for conv, n, lo, hi, distinct in con.execute(
            "SELECT conversation_id, count(*), min(seq), max(seq), count(DISTINCT seq) "
            "FROM messages GROUP BY conversation_id"):
        if lo != 1 or hi != n or distinct != n:
            gaps += 1
            if gaps <= 5:
                detail.append(f"gap: conversation {conv}: {n} messages, seq {lo}..{hi}, "
                              f"{distinct} distinct")
    try:
        bad_last = con.execute(
            "SELECT count(*) FROM conversations c WHERE c.last_seq != "
            "(SELECT coalesce(max(seq), 0) FROM messages m WHERE m.conversation_id = c.id)"
        ).fetchone()[0]
    except sqlite3.Error as e:
        bad_last = 0
        detail.append(f"note: could not compare conversations.last_seq: {e}")
    if bad_last:
        gaps += bad_last
        detail.append(f"gap: {bad_last} conversations whose last_seq differs from their newest message")
    # every stored message has exactly one message.created event (live-stream resume needs it)
    created = {}
    for (mid,) in con.execute("SELECT json_extract(data, '$.id') FROM events"
                              " WHERE type = 'message.created'"):
        created[mid] = created.get(mid, 0) + 1
    events_off = sum(1 for found in by_body.values() for (_, _, mid) in found
                     if created.get(mid, 0) != 1)
    if events_off:
        detail.append(f"events: {events_off} messages without exactly one message.created event")
    con.close()
    return lost, duplicated, gaps, mismatched, unacked_stored, events_off, integrity, detail


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--db", required=True, help="a freshly migrated and seeded database")
    ap.add_argument("--log", required=True)
    ap.add_argument("--pidfile", required=True, help="where the server's current pid is kept")
    ap.add_argument("--kills", type=int, default=24)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--visitors", type=int, default=4, help="visitor sessions per client")
    ap.add_argument("--min-gap", type=float, default=0.3, help="least seconds between kills")
    ap.add_argument("--max-gap", type=float, default=1.5, help="most seconds between kills")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()

    seed = args.seed if args.seed is not None else int(time.time())
    rnd = random.Random(seed)
    run_id = "%x" % rnd.getrandbits(32)
    port = free_port()
    server = Server(args.bin, args.db, port, args.log, args.pidfile)
    print(f"crash-test: seed={seed} port={port} clients={args.clients} kills={args.kills}",
          flush=True)
    t0 = time.monotonic()
    server.start()

    clients, stop, abort = [], threading.Event(), threading.Event()
    completed = False
    try:
        for n in range(args.clients):
            tokens = []
            for v in range(args.visitors):
                status, body = request(port, "POST", "/api/v1/widget/sessions",
                                       json.dumps({"tenant": "acme"}),
                                       {"Content-Type": "application/json"})
                if status not in (200, 201):
                    raise RuntimeError(f"widget session: HTTP {status}: {body[:200]!r}")
                tokens.append(json.loads(body)["token"])
            clients.append(Client(n, port, tokens, run_id, stop, abort))
        for c in clients:
            c.start()

        kills = 0
        while kills < args.kills:
            time.sleep(rnd.uniform(args.min_gap, args.max_gap))
            before = sum(len(c.acked) for c in clients)
            server.kill()
            kills += 1
            t_kill = time.monotonic()
            server.start()
            print(f"kill {kills}: at {t_kill - t0:.1f}s acked_so_far={before} "
                  f"restart_ms={(time.monotonic() - t_kill) * 1000:.0f}", flush=True)
        time.sleep(1.0)  # some load after the last restart
        completed = True
    finally:
        stop.set()
        if not completed:
            abort.set()
        for c in clients:
            c.join(timeout=30)
        clean = server.stop()

    acked = [a for c in clients for a in c.acked]
    errors = [e for c in clients for e in c.errors]
    retries = sum(c.retries for c in clients)
    replayed = sum(1 for a in acked if a[6])
    print(f"load: acked={len(acked)} retries={retries} replayed_acks={replayed} "
          f"unexpected_replies={len(errors)} clean_stop={clean} "
          f"seconds={time.monotonic() - t0:.1f}", flush=True)
    for e in errors[:5]:
        print(f"unexpected reply: {e}", flush=True)

    lost, duplicated, gaps, mismatched, unacked_stored, events_off, integrity, detail = \
        check_database(args.db, acked, run_id)
    for line in detail:
        print(line, flush=True)
    print(f"check: mismatched={mismatched} stored_but_never_acked={unacked_stored} "
          f"events_off={events_off}", flush=True)
    print(f"crash-test: kills={kills} acked={len(acked)} lost={lost} duplicated={duplicated} "
          f"gaps={gaps} integrity={integrity}", flush=True)
    ok = (lost == 0 and duplicated == 0 and gaps == 0 and mismatched == 0 and integrity == "ok"
          and events_off == 0
          and not errors and len(acked) > 0 and kills >= 20)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
