"""The command line: --help for every command, --version, configuration errors naming the
key, unknown commands and flags (exit 2), and the write commands against a fresh database."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import harness

# every command and flags its --help must mention
COMMANDS = {
    "serve": ["--config", "--db", "--listen", "--threads", "max_body_bytes"],
    "config": ["--config", "--markdown"],
    "migrate": ["--db", "--config"],
    "seed-demo": ["--db"],
    "tenant create": ["--db", "--slug", "--name", "--admin-email", "--admin-password"],
    "user add": ["--db", "--tenant", "--email", "--name", "--role", "--password"],
    "token create": ["--db", "--tenant", "--email", "--name", "--expires-days"],
    # NLU
    "nlu train": ["--csv", "--rasa", "--out", "--tenant", "--db"],
    "nlu eval": ["--model", "--csv", "accuracy"],
    "nlu predict": ["--model", "TEXT"],
    # staffing (wfm)
    "wfm staff": ["--calls-per-hour", "--aht", "--target", "--patience", "--concurrency",
                  "--shrinkage"],
    "wfm forecast": ["--db", "--tenant", "--days", "--channel", "--aht", "--target", "--show"],
}


def run(*args, env=None, timeout=60):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([harness.BIN, *args], capture_output=True, text=True, timeout=timeout,
                       env=e, errors="replace")
    rep = harness.sanitizer_report(p.stderr)
    if rep:
        raise AssertionError(f"parley {' '.join(args)}: sanitizer report:\n{rep}")
    return p


class CliTest(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="parley-cli-"))
        self.db = str(self.dir / "t.db")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_version(self):
        p = run("--version")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn((harness.REPO / "VERSION").read_text().strip(), p.stdout)

    def test_main_help_lists_every_command(self):
        for args in (["--help"], ["help"]):
            with self.subTest(args=args):
                p = run(*args)
                self.assertEqual(p.returncode, 0, p.stderr)
                for name in COMMANDS:
                    self.assertIn(name, p.stdout)

    def test_every_command_help(self):
        for name, flags in COMMANDS.items():
            with self.subTest(command=name):
                p = run(*name.split(), "--help")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn(name, p.stdout)
                for f in flags:
                    self.assertIn(f, p.stdout, f"'parley {name} --help' does not mention {f}")
                h = run("help", *name.split())
                self.assertEqual(h.returncode, 0, h.stderr)
                self.assertIn(flags[0], h.stdout)

    def test_unknown_command_is_exit_2(self):
        for args in (["frobnicate"], ["tenant", "explode"], ["tenant"], []):
            with self.subTest(args=args):
                p = run(*args)
                if args == []:
                    self.assertIn(p.returncode, (0, 2))  # bare `parley`: help or usage
                    continue
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertTrue(p.stderr.strip(), "says what was wrong on stderr")
                if args == ["frobnicate"]:
                    self.assertIn("frobnicate", p.stderr)

    def test_unknown_flag_is_exit_2_and_named(self):
        for args in (["migrate", "--db", self.db, "--bogus", "1"],
                     ["serve", "--bogus-option", "1"], ["tenant", "create", "--sluggish", "x"]):
            with self.subTest(args=args):
                p = run(*args)
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertRegex(p.stderr, r"bogus|sluggish")
        self.assertFalse(os.path.exists(self.db), "a refused command touched the database")

    def test_invalid_config_key_in_file_is_refused_with_its_name(self):
        ini = self.dir / "parley.ini"
        ini.write_text("listen = 127.0.0.1:0\nno_such_setting = 5\n")
        for cmd in ("config", "serve"):
            with self.subTest(command=cmd):
                p = run(cmd, "--config", str(ini), "--db", self.db, timeout=20)
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertIn("no_such_setting", p.stderr)

    def test_invalid_config_values_are_refused_with_the_key(self):
        ini = self.dir / "bad-value.ini"
        ini.write_text("max_body_bytes = lots\n")
        p = run("config", "--config", str(ini))
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("max_body_bytes", p.stderr)
        p = run("config", "--threads", "1000")
        self.assertEqual(p.returncode, 2)
        self.assertIn("threads", p.stderr)
        p = run("config", env={"PARLEY_LOG_LEVEL": "chatty"})
        self.assertEqual(p.returncode, 2)
        self.assertRegex(p.stderr, r"(?i)log_level")
        p = run("serve", "--db", self.db, "--listen", "nowhere", timeout=20)
        self.assertEqual(p.returncode, 2)
        self.assertIn("listen", p.stderr)

    def test_config_prints_resolved_values(self):
        ini = self.dir / "ok.ini"
        ini.write_text("max_message_bytes = 2048\n")
        p = run("config", "--config", str(ini), "--threads", "3",
                env={"PARLEY_SSE_KEEPALIVE_S": "7"})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"max_message_bytes\s*=?\s*2048")
        self.assertRegex(p.stdout, r"threads\s*=?\s*3")
        self.assertRegex(p.stdout, r"sse_keepalive_s\s*=?\s*7")

    def test_write_commands_on_a_fresh_database(self):
        p = run("migrate", "--db", self.db)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run("migrate", "--db", self.db)
        self.assertEqual(p.returncode, 0, "migrate twice is harmless: " + p.stderr)
        p = run("tenant", "create", "--db", self.db, "--slug", "initech", "--name", "Initech",
                "--admin-email", "Boss@Initech.example", "--admin-password", "tps-reports-1")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run("tenant", "create", "--db", self.db, "--slug", "initech", "--name", "Again",
                "--admin-email", "x@initech.example", "--admin-password", "tps-reports-1")
        self.assertEqual(p.returncode, 1, "a duplicate slug fails: " + p.stdout + p.stderr)
        p = run("tenant", "create", "--db", self.db, "--slug", "Bad Slug!", "--name", "X",
                "--admin-email", "x@x.example", "--admin-password", "long-enough")
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("slug", p.stderr)
        p = run("tenant", "create", "--db", self.db, "--slug", "shorty", "--name", "X",
                "--admin-email", "x@x.example", "--admin-password", "short")
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("password", p.stderr)
        p = run("user", "add", "--db", self.db, "--tenant", "initech", "--email",
                "milton@initech.example", "--name", "Milton", "--role", "agent", "--password",
                "red-stapler-1", "--skills", "billing:3", "--languages", "en")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run("user", "add", "--db", self.db, "--tenant", "initech", "--email",
                "bob@initech.example", "--name", "Bob", "--role", "consultant", "--password",
                "long-enough-1")
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("role", p.stderr)
        p = run("user", "add", "--db", self.db, "--tenant", "nosuch", "--email",
                "bob@initech.example", "--name", "Bob", "--role", "agent", "--password",
                "long-enough-1")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("nosuch", p.stderr)
        p = run("token", "create", "--db", self.db, "--tenant", "initech", "--email",
                "milton@initech.example", "--name", "ci")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(re.search(r"\S{20,}", p.stdout), "prints the token")
        p = run("token", "create", "--db", self.db, "--tenant", "initech", "--email",
                "milton@initech.example", "--expires-days", "0")
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("expires-days", p.stderr)

    def test_missing_required_flag_is_exit_2(self):
        p = run("tenant", "create", "--db", self.db, "--slug", "abc")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--", p.stderr)

    def test_seed_demo_refuses_twice(self):
        self.assertEqual(run("migrate", "--db", self.db).returncode, 0)
        p = run("seed-demo", "--db", self.db)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("admin@acme.example", p.stdout)
        p = run("seed-demo", "--db", self.db)
        self.assertNotEqual(p.returncode, 0, "seeding twice must refuse, not duplicate")
