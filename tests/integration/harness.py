"""Integration-test harness: starts a real `parley` on a free loopback port with a fresh
database per test module, talks HTTP to it, and checks EVERY response against
docs/openapi.yaml (status documented for the path and method, content type, body schema,
error code matching the status). Also checks the server never writes a sanitizer report and
exits cleanly when stopped.

Use from a test module:

    import harness
    setUpModule, tearDownModule = harness.module_server()

    class Something(harness.ParleyCase):
        def test_x(self):
            r = self.api("GET", "/api/v1/me", token=self.token("admin"), expect=200)
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import unittest
import urllib.parse
from pathlib import Path

import jsonschema
import yaml

REPO = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO / "docs" / "openapi.yaml"
BIN = str(Path(os.environ.get("PARLEY_BIN", REPO / "build" / "release" / "parley")).resolve())

# The demo organisation written by `parley seed-demo` (src/cli/seed_demo.c).
DEMO_TENANT = "acme"
DEMO_PASSWORD = "parley-demo"
DEMO_USERS = {
    "admin": "admin@acme.example",
    "supervisor": "sian.morgan@acme.example",
    "agent": "tomasz.nowak@acme.example",
    "agent2": "imran.qureshi@acme.example",
    "expert": "owen.bradley@acme.example",
}
# The second tenant every module gets through `parley tenant create`.
OTHER_TENANT = "globex"
OTHER_ADMIN = "admin@globex.example"
OTHER_PASSWORD = "globex-secret-1"

# Limits the test servers run with (small so the size tests stay cheap).
MAX_BODY_BYTES = 65536
MAX_MESSAGE_BYTES = 4096

ERROR_STATUS = {
    "invalid_argument": 400,
    "unauthenticated": 401,
    "permission_denied": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "rate_limited": 429,
    "unavailable": 503,
    "internal": 500,
}

SANITIZER_MARKS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",
    "SUMMARY: UndefinedBehaviorSanitizer",
    "SUMMARY: AddressSanitizer",
    "ThreadSanitizer",
)


def sanitizer_report(text):
    """The report of the first sanitizer finding in text (from its first line), or None."""
    hits = [i for i in (text.find(m) for m in SANITIZER_MARKS) if i >= 0]
    if not hits:
        return None
    start = text.rfind("\n", 0, min(hits)) + 1
    return text[start:start + 4000]


# ---- the OpenAPI description as a validator --------------------------------------------

def _to_json_schema(node):
    """OpenAPI 3.0 schema objects → JSON Schema (draft 4): `nullable: true` becomes
    anyOf [schema, null]; everything else is already draft-4 compatible."""
    if isinstance(node, dict):
        out = {k: _to_json_schema(v) for k, v in node.items() if k not in ("example",)}
        if out.pop("nullable", False):
            return {"anyOf": [out, {"type": "null"}]}
        return out
    if isinstance(node, list):
        return [_to_json_schema(v) for v in node]
    return node


class Spec:
    """docs/openapi.yaml, loaded once: matches a request to its operation and validates
    a response against it. check() returns a list of problems (empty when conforming)."""

    def __init__(self, path=SPEC_PATH):
        self.text = Path(path).read_bytes()
        self.doc = yaml.safe_load(self.text)
        self.schema_doc = _to_json_schema(self.doc)
        self.resolver = jsonschema.RefResolver.from_schema(self.schema_doc)
        self.paths = []
        for template, item in self.doc["paths"].items():
            names = re.findall(r"{([^}]+)}", template)
            rx = "^" + re.sub(r"\\{[^}]+\\}", "([^/]+)", re.escape(template)) + "$"
            self.paths.append((template, item, names, re.compile(rx)))
        # literal paths first so /a/b wins over /a/{id}
        self.paths.sort(key=lambda p: len(p[2]))

    def resolve(self, node):
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/"), ref
            target = self.doc
            for part in ref[2:].split("/"):
                target = target[part]
            node = target
        return node

    def _param_ok(self, item, name, value):
        for p in item.get("parameters", []):
            p = self.resolve(p)
            if p.get("in") == "path" and p["name"] == name:
                schema = self.resolve(p.get("schema", {}))
                if schema.get("type") == "integer":
                    if not re.fullmatch(r"[0-9]+", value):
                        return False
                    v = int(value)
                    if "minimum" in schema and v < schema["minimum"]:
                        return False
                    return v < 2**63
        return True

    def match(self, path):
        """(template, path item) for a request path, or None when no documented path
        matches (including an {id} that is not a positive integer)."""
        for template, item, names, rx in self.paths:
            m = rx.match(path)
            if m and all(self._param_ok(item, n, v) for n, v in zip(names, m.groups())):
                return template, item
        return None

    def validate(self, schema, instance):
        """Problems found validating instance against an OpenAPI schema object."""
        schema = _to_json_schema(schema)
        v = jsonschema.Draft4Validator(schema, resolver=self.resolver)
        problems = []
        for e in sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in e.absolute_path) or "(root)"
            problems.append(f"{where}: {e.message[:300]}")
        return problems

    def component(self, name):
        return {"$ref": f"#/components/schemas/{name}"}

    def record(self, method, path, status):
        """Notes which documented operation answered what (runner.py reports operations no
        test saw succeed)."""
        out = os.environ.get("PARLEY_SPEC_HITS")
        found = self.match(urllib.parse.urlsplit(path).path)
        if out and found and method.lower() in found[1]:
            with open(out, "a") as f:
                f.write(f"{method} {found[0]} {status}\n")

    def operations(self):
        """Every documented (METHOD, path template)."""
        return [(m.upper(), t) for t, item in self.doc["paths"].items() for m in item
                if m in ("get", "post", "put", "patch", "delete")]

    def check(self, method, path, status, headers, body):
        """Problems with this response (list of strings)."""
        self.record(method, path, status)
        path = urllib.parse.urlsplit(path).path
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        problems = []
        found = self.match(path)
        parsed = None
        if ctype == "application/json" and body:
            try:
                parsed = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                return [f"body is not valid JSON ({e}): {body[:200]!r}"]

        def error_body():
            if ctype != "application/json":
                problems.append(f"error {status} has Content-Type {ctype!r}, not application/json")
                return
            problems.extend(self.validate(self.component("Error"), parsed))

        if found is None:
            if status != 404:
                problems.append(f"{method} {path}: undocumented path answered {status} (want 404)")
            error_body()
        else:
            template, item = found
            op = item.get(method.lower())
            if op is None:
                if status != 405:
                    problems.append(f"{method} {template}: undocumented method answered {status} "
                                    "(want 405)")
                error_body()
            else:
                responses = op["responses"]
                if str(status) not in responses:
                    problems.append(f"{method} {template}: status {status} is not documented "
                                    f"(documented: {', '.join(sorted(responses))})")
                    if status >= 400 and ctype == "application/json":
                        problems.extend(self.validate(self.component("Error"), parsed))
                else:
                    resp = self.resolve(responses[str(status)])
                    content = resp.get("content")
                    if not content:
                        if body:
                            problems.append(f"{status} must have no body, got {body[:120]!r}")
                    elif ctype not in content:
                        problems.append(f"Content-Type {ctype!r} not documented for {status} "
                                        f"(documented: {', '.join(content)})")
                    elif ctype == "application/json":
                        if not body:
                            problems.append(f"{status} has an empty JSON body")
                        else:
                            problems.extend(self.validate(content[ctype].get("schema", {}), parsed))
                    if headers.get("Idempotent-Replayed") is not None:
                        if "Idempotent-Replayed" not in (resp.get("headers") or {}):
                            problems.append("Idempotent-Replayed header on a response that does "
                                            "not document it")
                        elif headers.get("Idempotent-Replayed") != "true":
                            problems.append("Idempotent-Replayed must be 'true'")
        # every JSON error names the code that goes with its status
        if status >= 400 and isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
            code = parsed["error"].get("code")
            if ERROR_STATUS.get(code) != status:
                problems.append(f"error code {code!r} does not go with status {status}")
        if status >= 500:
            problems.append(f"server error {status}")
        return problems


SPEC = Spec()


# ---- HTTP ---------------------------------------------------------------------------------

class Response:
    def __init__(self, method, path, status, headers, body):
        self.method, self.path = method, path
        self.status, self.headers, self.body = status, headers, body
        self._json = None

    @property
    def json(self):
        if self._json is None and self.body:
            self._json = json.loads(self.body.decode("utf-8"))
        return self._json

    @property
    def error(self):
        j = self.json
        return j.get("error", {}) if isinstance(j, dict) else {}

    def __repr__(self):
        return f"<{self.method} {self.path} → {self.status} {self.body[:400]!r}>"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One parley: temp dir, migrated and seeded database, a second tenant, `serve` on a free
    port. stop() fails (AssertionError) on a sanitizer report or a non-zero exit."""

    def __init__(self, env=None, args=()):
        self.dir = Path(tempfile.mkdtemp(prefix="parley-it-"))
        self.db = str(self.dir / "parley.db")
        self.env = dict(os.environ)
        self.env.update({
            "PARLEY_SYNCHRONOUS": "normal",
            "PARLEY_THREADS": "2",
            "PARLEY_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
            "PARLEY_MAX_MESSAGE_BYTES": str(MAX_MESSAGE_BYTES),
            "PARLEY_LOG_LEVEL": "info",
            "PARLEY_DEMO_DIR": str(REPO / "data" / "demo"),  # seed-demo's intent model
            # The virtual agent answers widget conversations; modules that test it switch it on
            # (test_bot.py), the rest see conversations go straight to the queue.
            "PARLEY_BOT": "off",
            "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0",
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
        })
        self.env.update(env or {})
        self.args = list(args)
        self.proc = None
        self.port = None
        self._tokens = {}
        self.stderr_path = self.dir / "serve.stderr"
        self.stdout_path = self.dir / "serve.stdout"

    # -- CLI ------------------------------------------------------------------------
    def cli(self, *args, check=True, timeout=60):
        """Runs `parley args...`; returns CompletedProcess (text). Fails on a sanitizer
        report, and on a non-zero exit when check."""
        p = subprocess.run([BIN, *args], env=self.env, capture_output=True, text=True,
                           timeout=timeout, errors="replace")
        rep = sanitizer_report(p.stderr)
        if rep:
            raise AssertionError(f"parley {' '.join(args)}: sanitizer report:\n{rep}")
        if check and p.returncode != 0:
            raise AssertionError(f"parley {' '.join(args)} exited {p.returncode}:\n"
                                 f"{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
        return p

    def prepare(self):
        self.cli("migrate", "--db", self.db)
        self.seed_out = self.cli("seed-demo", "--db", self.db).stdout
        self.other_out = self.cli("tenant", "create", "--db", self.db, "--slug", OTHER_TENANT,
                                  "--name", "Globex Ltd", "--admin-email", OTHER_ADMIN,
                                  "--admin-password", OTHER_PASSWORD).stdout

    # -- serve ----------------------------------------------------------------------
    def start(self):
        last = None
        for _attempt in range(3):  # a free port can be taken between probe and bind
            self.port = free_port()
            self._out = open(self.stdout_path, "wb")
            self._err = open(self.stderr_path, "wb")
            self.proc = subprocess.Popen(
                [BIN, "serve", "--db", self.db, "--listen", f"127.0.0.1:{self.port}", *self.args],
                env=self.env, stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                    c.request("GET", "/healthz")
                    r = c.getresponse()
                    r.read()
                    c.close()
                    if r.status == 200:
                        return
                except OSError:
                    pass
                time.sleep(0.05)
            last = self.stderr_text()
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self._out.close()
            self._err.close()
            if "in use" not in last.lower():
                break
        raise AssertionError(f"parley serve did not become healthy; stderr:\n{last[-3000:]}")

    def stderr_text(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def alive_problem(self):
        """None while the server runs without a sanitizer report; else what went wrong."""
        rep = sanitizer_report(self.stderr_text())
        if rep:
            return f"the server wrote a sanitizer report:\n{rep}"
        if self.proc is not None and self.proc.poll() is not None:
            return (f"the server exited with status {self.proc.returncode}:\n"
                    f"{self.stderr_text()[-3000:]}")
        return None

    def stop(self):
        problems = []
        if getattr(self, "_ro", None) is not None:
            self._ro.close()
            self._ro = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                    problems.append("the server did not stop within 20 s of SIGTERM")
            self._out.close()
            self._err.close()
            rc = self.proc.returncode
            if rc != 0:
                how = f"signal {signal.Signals(-rc).name}" if rc < 0 else f"status {rc}"
                problems.append(f"the server exited with {how} after SIGTERM (want 0)")
            rep = sanitizer_report(self.stderr_text())
            if rep:
                problems.append("sanitizer report (first lines):\n" +
                                "\n".join(rep.splitlines()[:30]))
            elif problems:
                problems.append("stderr tail:\n" +
                                "\n".join(self.stderr_text().splitlines()[-12:]))
        if problems:
            problems.append(f"(files kept in {self.dir})")
            raise AssertionError("\n".join(problems))
        if not os.environ.get("PARLEY_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- HTTP -----------------------------------------------------------------------
    def request(self, method, path, body=None, *, raw=None, token=None, headers=None,
                content_type="application/json", validate=True, timeout=30):
        """One request on a fresh connection. body: a JSON value (serialised); raw: bytes
        sent as they are. Returns a Response; raises AssertionError when the response does
        not conform to docs/openapi.yaml (unless validate=False)."""
        hdrs = {}
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
        if raw is not None:
            data = raw
        if data is not None and content_type is not None:
            hdrs["Content-Type"] = content_type
        hdrs.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            try:
                conn.request(method, path, body=data, headers=hdrs)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may answer (413) and close before reading a big body
            r = conn.getresponse()
            payload = r.read()
            resp = Response(method, path, r.status, r.headers, payload)
        finally:
            conn.close()
        if validate:
            problems = SPEC.check(method, path, resp.status, resp.headers, resp.body)
            if problems:
                raise AssertionError(f"{method} {path} → {resp.status} does not conform to "
                                     f"docs/openapi.yaml:\n  " + "\n  ".join(problems) +
                                     f"\n  body: {resp.body[:600]!r}")
        return resp

    def login(self, email, password=DEMO_PASSWORD, tenant=DEMO_TENANT):
        r = self.request("POST", "/api/v1/auth/login",
                         {"tenant": tenant, "email": email, "password": password})
        if r.status != 200:
            raise AssertionError(f"login {tenant}/{email} failed: {r!r}")
        return r.json

    def token(self, who):
        """A cached session token for a demo user ('admin', 'agent', …) or 'other' (the
        second tenant's admin)."""
        if who not in self._tokens:
            if who == "other":
                j = self.login(OTHER_ADMIN, OTHER_PASSWORD, OTHER_TENANT)
            else:
                j = self.login(DEMO_USERS[who])
            self._tokens[who] = (j["token"], j["user"])
        return self._tokens[who][0]

    def user(self, who):
        self.token(who)
        return self._tokens[who][1]

    # -- the database, read-only (secrets the API never shows; row counts) ----------
    def db_query(self, sql, params=()):
        """A read-only query on the server's database (a connection kept open: every
        statement sees the latest commit, WAL readers never block the writer)."""
        if getattr(self, "_ro", None) is None:
            self._ro = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10,
                                       check_same_thread=False)
        return self._ro.execute(sql, params).fetchall()

    def tables(self):
        return [r[0] for r in self.db_query(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]

    def counts(self, exclude=("audit", "sessions")):
        """Row count of every table (except those whose name contains an excluded word: the
        audit log, which reads append to, and sessions, which log-ins add)."""
        names = [t for t in self.tables() if not any(x in t for x in exclude)]
        sql = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}")' for t in names)
        return dict(zip(names, self.db_query(sql)[0]))

    def widget_secret(self, slug=DEMO_TENANT):
        cols = [r[1] for r in self.db_query("PRAGMA table_info(tenants)")]
        col = "widget_secret" if "widget_secret" in cols else next(c for c in cols if "widget" in c)
        return self.db_query(f"SELECT {col} FROM tenants WHERE slug=?", (slug,))[0][0]

    def tenant_id(self, slug=DEMO_TENANT):
        return self.db_query("SELECT id FROM tenants WHERE slug=?", (slug,))[0][0]


def sign_identifier(secret, identifier):
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, identifier.encode(), hashlib.sha256).hexdigest()


# ---- live streams: see livestream.py ----------------------------------------------------------

# ---- test cases -----------------------------------------------------------------------------

SERVER = None

from livestream import SSE, EVENT_SCHEMAS, check_event  # noqa: E402,F401  (re-exported)


def module_server(**kwargs):
    """(setUpModule, tearDownModule) that start and stop one server for the module."""

    def set_up():
        global SERVER
        s = Server(**kwargs)
        try:
            s.prepare()
            s.start()
        except BaseException:
            try:
                s.stop()
            except AssertionError:
                pass  # the set-up failure below says more
            raise
        SERVER = s

    def tear_down():
        global SERVER
        s, SERVER = SERVER, None
        if s is not None:
            s.stop()

    return set_up, tear_down


class ParleyCase(unittest.TestCase):
    maxDiff = 4000

    @property
    def srv(self):
        if SERVER is None:
            self.skipTest("no server (module set-up failed)")
        return SERVER

    def tearDown(self):
        if SERVER is not None:
            problem = SERVER.alive_problem()
            if problem:
                self.fail(problem)

    # HTTP shorthands
    def api(self, method, path, body=None, *, expect=None, who=None, **kw):
        """A request; who='admin' etc. authenticates as that demo user; expect asserts the
        status (an int or a tuple of ints)."""
        if who is not None:
            kw["token"] = self.srv.token(who)
        r = self.srv.request(method, path, body, **kw)
        if expect is not None:
            ok = r.status in expect if isinstance(expect, tuple) else r.status == expect
            if not ok:
                self.fail(f"{method} {path}: expected {expect}, got {r.status}: {r.body[:800]!r}")
        return r

    def assertError(self, r, status, code=None, field=None):
        self.assertEqual(r.status, status, f"{r!r}")
        err = r.error
        self.assertTrue(err, f"no error object: {r!r}")
        if code is not None:
            self.assertEqual(err.get("code"), code, f"{r!r}")
        if field is not None:
            self.assertEqual(err.get("field"), field, f"{r!r}")
        self.assertTrue(err.get("message"), "an error message a person can act on")

    def walk(self, path, who="admin", limit=None, token=None, max_pages=500):
        """Every item of a cursor-paginated list, following next_cursor."""
        items, cursor, pages = [], None, 0
        while True:
            q = {}
            if limit is not None:
                q["limit"] = limit
            if cursor is not None:
                q["cursor"] = cursor
            sep = "&" if "?" in path else "?"
            full = path + (sep + urllib.parse.urlencode(q) if q else "")
            r = self.api("GET", full, who=None if token else who, token=token, expect=200)
            items.extend(r.json["data"])
            cursor = r.json["next_cursor"]
            pages += 1
            if cursor is None:
                return items
            self.assertLess(pages, max_pages, "pagination does not end")

    # fixtures
    def new_customer(self, who="admin", **fields):
        body = {"name": "Test Customer"}
        body.update(fields)
        return self.api("POST", "/api/v1/customers", body, who=who, expect=201).json

    def new_conversation(self, customer_id=None, who="admin", **fields):
        if customer_id is None:
            customer_id = self.new_customer()["id"]
        body = {"customer_id": customer_id, "channel": "web", "subject": "Help"}
        body.update(fields)
        return self.api("POST", "/api/v1/conversations", body, who=who, expect=201).json

    def widget_session(self, tenant=DEMO_TENANT, identifier=None, name=None, secret=None):
        body = {"tenant": tenant}
        if name is not None:
            body["name"] = name
        if identifier is not None:
            body["identifier"] = identifier
            body["identifier_hash"] = sign_identifier(
                secret if secret is not None else self.srv.widget_secret(tenant), identifier)
        return self.api("POST", "/api/v1/widget/sessions", body, expect=201).json


def wait_until(fn, timeout=10.0, what="condition"):
    """Polls fn() until it returns a truthy value; fails after timeout seconds."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def unique(prefix="x"):
    return f"{prefix}{time.monotonic_ns() % 10**12}{base64.b32encode(os.urandom(5)).decode().lower()}"
