"""Runs the integration suite: every tests/integration/test_*.py module (or the modules and
test ids named on the command line), each in its own Python process (its own `parley`
server), PARLEY_TEST_JOBS at a time (default 2). Prints one line per test, the failures'
details, and writes "passed failed" to the --counts file for tests/run-integration.sh.

    /usr/bin/python3 tests/integration/runner.py [--counts FILE] [test_auth | test_auth.AuthTest.test_logout ...]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent


class LineResult(unittest.TestResult):
    """Collects one outcome per test (set-up/tear-down failures count as failed tests)."""

    def __init__(self):
        super().__init__()
        self.lines = []
        self.passed = 0
        self.failed_count = 0
        self._start = {}

    def startTest(self, test):
        super().startTest(test)
        self._start[test.id()] = time.monotonic()

    def _took(self, test):
        t0 = self._start.get(test.id())
        return f" ({time.monotonic() - t0:.1f}s)" if t0 else ""

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1
        self.lines.append(f"ok    {test.id()}{self._took(test)}")

    def _bad(self, kind, test, err):
        self.failed_count += 1
        self.lines.append(f"FAIL  {getattr(test, 'id', lambda: str(test))()}{self._took(test)}"
                          f" [{kind}]")
        detail = self._exc_info_to_string(err, test).rstrip().splitlines()
        if len(detail) > 70:  # keep where it failed and the message, drop the middle
            detail = detail[:10] + ["..."] + detail[-59:]
        self.lines.extend("      " + l for l in detail)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._bad("failure", test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self._bad("error", test, err)

    def addSubTest(self, test, subtest, err):
        """A failing subTest fails its test (counted once, each failing case shown)."""
        super().addSubTest(test, subtest, err)
        if err is None:
            return
        self._sub_failures = getattr(self, "_sub_failures", {})
        n = self._sub_failures.get(test.id(), 0)
        self._sub_failures[test.id()] = n + 1
        if n == 0:
            self.failed_count += 1
            self.lines.append(f"FAIL  {test.id()}{self._took(test)} [subtest failure]")
        if n >= 8:
            if n == 8:
                self.lines.append("      ... (more failing cases not shown)")
            return
        detail = self._exc_info_to_string(err, subtest).rstrip().splitlines()
        self.lines.append(f"      case {subtest._subDescription()}:")
        self.lines.extend("        " + l for l in detail[-12:])

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.lines.append(f"skip  {test.id()}: {reason}")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.failed_count += 1
        self.lines.append(f"FAIL  {test.id()} [unexpected success]")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.passed += 1
        self.lines.append(f"ok    {test.id()} (expected failure)")


def run_child(names):
    """Runs the named module/tests in this process; prints JSON {passed, failed, lines}."""
    sys.path.insert(0, str(HERE))
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    result = LineResult()
    for n in names:
        try:
            suite.addTests(loader.loadTestsFromName(n))
        except Exception as e:  # an import error is a failed test, not a crash of the runner
            result.failed_count += 1
            result.lines.append(f"FAIL  {n} [cannot load: {e}]")
    t0 = time.monotonic()
    suite.run(result)
    result.lines.append(f"      ({', '.join(names)}: {time.monotonic() - t0:.1f}s)")
    print(json.dumps({"passed": result.passed, "failed": result.failed_count,
                      "lines": result.lines}))


def report_spec_coverage(hits_file, full_run):
    """Prints the documented operations that no test saw answer 2xx (information, not a
    failure: the list shows where the suite is thin)."""
    try:
        lines = hits_file.read_text().splitlines()
    finally:
        hits_file.unlink(missing_ok=True)
    if not full_run:
        return
    sys.path.insert(0, str(HERE))
    import harness  # noqa: E402  (only now: it loads docs/openapi.yaml)
    ok = set()
    for line in lines:
        method, template, status = line.split(" ")
        if status.startswith("2"):
            ok.add((method, template))
    ops = harness.SPEC.operations()
    missing = [f"{m} {t}" for m, t in ops if (m, t) not in ok]
    print(f"== spec coverage: {len(ops) - len(missing)}/{len(ops)} documented operations "
          "answered 2xx in some test" + (": never " + ", ".join(missing) if missing else ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--counts", help="file receiving 'passed failed'")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("PARLEY_TEST_JOBS", "2")))
    ap.add_argument("tests", nargs="*")
    a = ap.parse_args()
    if a.child:
        run_child(a.tests)
        return 0

    if a.tests:
        groups = {}
        for t in a.tests:
            t = t[:-3] if t.endswith(".py") else t
            t = t.split("/")[-1]
            groups.setdefault(t.split(".")[0], []).append(t)
        batches = list(groups.values())
    else:
        # the longest modules first, so two jobs finish together
        slow = ["test_bad_input", "test_streams", "test_cli", "test_auth"]
        names = sorted(p.stem for p in HERE.glob("test_*.py"))
        names.sort(key=lambda n: slow.index(n) if n in slow else len(slow))
        batches = [[n] for n in names]

    suite_name = os.environ.get("PARLEY_SUITE", "integration")
    if os.environ.get("PARLEY_BIN"):
        os.environ["PARLEY_BIN"] = os.path.abspath(os.environ["PARLEY_BIN"])
    hits_file = Path(tempfile.mkstemp(prefix="parley-spec-hits-")[1])
    os.environ["PARLEY_SPEC_HITS"] = str(hits_file)
    print(f"== {suite_name}: {len(batches)} module(s) against {os.environ.get('PARLEY_BIN')}",
          flush=True)
    passed = failed = 0
    pending = list(batches)
    running = []
    t0 = time.monotonic()
    limit = 600  # one module may take at most this long
    while pending or running:
        while pending and len(running) < max(1, a.jobs):
            names = pending.pop(0)
            p = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child", *names],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            running.append((names, p, time.monotonic()))
        done = None
        for item in running:
            names, p, started = item
            if p.poll() is not None or time.monotonic() - started > limit:
                done = item
                break
        if done is None:
            time.sleep(0.05)
            continue
        running.remove(done)
        names, p, started = done
        if p.poll() is None:
            p.kill()
        out = p.communicate()[0].decode("utf-8", "replace")
        last = out.strip().splitlines()[-1] if out.strip() else ""
        try:
            res = json.loads(last)
            noise = out.strip().splitlines()[:-1]
        except ValueError:
            res = {"passed": 0, "failed": 1,
                   "lines": [f"FAIL  {' '.join(names)} [the test process died or timed out "
                             f"(exit {p.returncode})]"]}
            noise = out.strip().splitlines()[-40:]
        for line in res["lines"]:
            print(line)
        for line in noise:
            print("      | " + line)
        sys.stdout.flush()
        passed += res["passed"]
        failed += res["failed"]
    report_spec_coverage(hits_file, full_run=not a.tests)
    print(f"== {suite_name}: {passed} passed, {failed} failed in {time.monotonic() - t0:.0f}s")
    if a.counts:
        Path(a.counts).write_text(f"{passed} {failed}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
