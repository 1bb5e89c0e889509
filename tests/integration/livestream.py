"""Live-stream (Server-Sent Events) client for the integration tests, and the schemas the
event payloads are checked against. Re-exported by harness (harness.SSE, harness.check_event)."""

import http.client
import io
import json
import select
import socket
import time

import harness

class SSE:
    """A Server-Sent Events reader on a raw socket (http.client cannot go on reading after a
    read timeout). next_event(timeout) returns one parsed event or None; comment lines
    (keep-alives) are collected in .comments."""

    def __init__(self, server, path, token, last_event_id=None, validate=True):
        self.path = path
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}",
                 "Accept: text/event-stream", "Cache-Control: no-cache"]
        if token is not None:
            lines.append(f"Authorization: Bearer {token}")
        if last_event_id is not None:
            lines.append(f"Last-Event-ID: {last_event_id}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.raw = b""      # bytes from the socket not yet de-chunked
        self.data = b""     # stream body bytes not yet parsed into lines
        self.eof = False
        self.comments = []
        deadline = time.monotonic() + 10
        while b"\r\n\r\n" not in self.raw:
            if not self._recv(deadline):
                raise AssertionError(f"GET {path}: no response head within 10 s")
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        status_line, _, rest = head.partition(b"\r\n")
        self.status = int(status_line.split()[1])
        self.headers = http.client.parse_headers(io.BytesIO(rest + b"\r\n\r\n"))
        self.chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        if self.status != 200:
            length = self.headers.get("Content-Length")
            while not self.eof and time.monotonic() < deadline:
                self._dechunk()
                if length is not None and len(self.data) >= int(length):
                    break
                if self.chunked and self._chunks_done:
                    break
                self._recv(deadline)
            self._dechunk()
            self.body = self.data
            self.close()
            if validate:
                problems = harness.SPEC.check("GET", path, self.status, self.headers, self.body)
                if problems:
                    raise AssertionError(f"GET {path} → {self.status}: " + "; ".join(problems))
        elif validate:
            problems = harness.SPEC.check("GET", path, 200, self.headers, b"")
            if problems:
                raise AssertionError(f"GET {path} → 200: " + "; ".join(problems))

    _chunks_done = False
    _partial = None

    def _recv(self, deadline):
        """Reads what is available before deadline; False on timeout or end of stream."""
        left = deadline - time.monotonic()
        if left <= 0 or self.eof:
            return False
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            return False
        chunk = self.sock.recv(65536)
        if not chunk:
            self.eof = True
            return False
        self.raw += chunk
        return True

    def _dechunk(self):
        if not self.chunked:
            self.data += self.raw
            self.raw = b""
            return
        while True:
            line_end = self.raw.find(b"\r\n")
            if line_end < 0:
                return
            size = int(self.raw[:line_end].split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self._chunks_done = True
                self.raw = b""
                return
            if len(self.raw) < line_end + 2 + size + 2:
                return
            self.data += self.raw[line_end + 2:line_end + 2 + size]
            self.raw = self.raw[line_end + 2 + size + 2:]

    def _line(self, deadline):
        while True:
            self._dechunk()
            i = self.data.find(b"\n")
            if i >= 0:
                line, self.data = self.data[:i], self.data[i + 1:]
                return line.decode("utf-8").rstrip("\r")
            if self.eof or self._chunks_done:
                raise AssertionError(f"the event stream {self.path} ended")
            if not self._recv(deadline):
                if self.eof:
                    raise AssertionError(f"the event stream {self.path} ended")
                return None

    def next_event(self, timeout=5.0):
        """The next complete event (dict: id, event, data, json) or None when none completes
        within timeout seconds."""
        deadline = time.monotonic() + timeout
        ev = self._partial or {"id": None, "event": "message", "data": []}
        self._partial = None
        while True:
            line = self._line(deadline)
            if line is None:
                # keep a partial event for the next call
                self._partial = ev
                return None
            if line == "":
                if ev["data"] or ev["id"] is not None:
                    ev["data"] = "\n".join(ev["data"])
                    ev["json"] = json.loads(ev["data"]) if ev["data"] else None
                    return ev
                continue
            if line.startswith(":"):
                self.comments.append(line)
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "id":
                ev["id"] = int(value)
            elif field == "event":
                ev["event"] = value
            elif field == "data":
                ev["data"].append(value)

    def collect(self, until=None, quiet=1.5, max_wait=15.0):
        """Events until until(events) is true, or (without until) until none arrives for
        `quiet` seconds; never longer than max_wait."""
        out = []
        end = time.monotonic() + max_wait
        while time.monotonic() < end:
            ev = self.next_event(quiet if until is None else min(1.0, end - time.monotonic()))
            if ev is None:
                if until is None:
                    break
                continue
            out.append(ev)
            if until is not None and until(out):
                break
        return out

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


EVENT_SCHEMAS = {
    "message.created": "Message",
    "conversation.created": "Conversation",
    "conversation.updated": "Conversation",
    "receipt.updated": "Receipt",
    "typing": "TypingEvent",
    "bot.handoff": "BotHandoffEvent",
    "bot.resolved": "BotResolvedEvent",
    "handoff.first_human_reply": "FirstHumanReplyEvent",
    # swarming
    "conversation.participant_added": "ParticipantEvent",
    "conversation.participant_removed": "ParticipantEvent",
    "conversation.participant_updated": "ParticipantEvent",
    # routing (issue 4)
    "route.decision": "RouteDecisionEvent",
    "sla.warning": "SlaEvent",
    "sla.breached": "SlaEvent",
    "presence.updated": "Presence",
    "queue.updated": "Queue",
    "queue.deleted": "Deleted",
    "routing_profile.updated": "RoutingProfile",
    "sla.policies.updated": "SlaPolicyList",
    "route.settings.updated": "SettingsUpdatedEvent",
    "callback.created": "Callback",
    "transfer.requested": "Transfer",
    "conversation.transferred": "Transfer",
}


def check_event(ev, customer_view=False):
    """Problems with an event payload, checked against the schema of its type."""
    name = EVENT_SCHEMAS.get(ev["event"])
    if name is None:
        return [] if ev["event"] in ("customer.merged",) else [f"unknown event type {ev['event']!r}"]
    if customer_view and name == "Conversation":
        name = "WidgetConversation"
    return harness.SPEC.validate(harness.SPEC.component(name), ev["json"])
