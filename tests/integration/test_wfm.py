"""Staffing maths end to end: `parley wfm staff` (Erlang C / Erlang A, concurrency, shrinkage,
the exact final line), `parley wfm forecast` on the seeded demo history, and
GET /api/v1/wfm/forecast (roles, parameters, shape of the plan, tenant isolation)."""

import re

import harness

setUpModule, tearDownModule = harness.module_server()

STAFF_LINE = re.compile(
    r"^staff: agents=(\d+) scheduled=(\d+) service_level=(0\.\d{3}|1\.000) "
    r"asa_s=(\d+\.\d) occupancy=(0\.\d{3}|1\.000)$")
HALF_HOUR = 30 * 60 * 1000


class WfmStaffCli(harness.ParleyCase):
    def staff(self, *args, code=0):
        p = self.srv.cli("wfm", "staff", *args, check=False)
        self.assertEqual(p.returncode, code, p.stdout + p.stderr)
        if code != 0:
            return p
        last = p.stdout.rstrip("\n").splitlines()[-1]
        m = STAFF_LINE.match(last)
        self.assertIsNotNone(m, f"last line {last!r}")
        return [float(x) for x in m.groups()], p.stdout

    def test_classic_erlang_c_example(self):
        # 360 calls per half hour, 4-minute calls: 55 agents for 80% in 15 s, 54 for 80/20.
        (agents, scheduled, sl, asa, occ), out = self.staff(
            "--calls-per-hour", "720", "--aht", "240", "--target", "80/15")
        self.assertEqual((agents, scheduled), (55, 55))
        self.assertAlmostEqual(sl, 0.846, places=3)
        self.assertAlmostEqual(asa, 8.2, places=1)
        self.assertAlmostEqual(occ, 0.873, places=3)
        self.assertIn("Erlang C", out)
        (agents, _, sl, _, _), _ = self.staff("--calls-per-hour", "720", "--aht", "240",
                                              "--target", "80/20")
        self.assertEqual(agents, 54)
        self.assertGreaterEqual(sl, 0.8)

    def test_shrinkage_patience_and_concurrency(self):
        (agents, scheduled, *_), out = self.staff(
            "--calls-per-hour", "720", "--aht", "240", "--shrinkage", "30")
        self.assertEqual((agents, scheduled), (54, 78))  # ceil(54 / 0.7)
        self.assertIn("Shrinkage 30%", out)
        # Callers who abandon relieve the queue: Erlang A needs fewer agents.
        (a_agents, _, a_sl, *_), out = self.staff(
            "--calls-per-hour", "720", "--aht", "240", "--patience", "60")
        self.assertLess(a_agents, 54)
        self.assertGreaterEqual(a_sl, 0.8)
        self.assertIn("Erlang A", out)
        self.assertRegex(out, r"\d+\.\d% abandon")
        # Three chats at a time: a third of the advisers, rounded up.
        (c_agents, *_), out = self.staff("--calls-per-hour", "120", "--aht", "600",
                                         "--concurrency", "3", "--target", "80/60")
        (single, *_), _ = self.staff("--calls-per-hour", "120", "--aht", "600",
                                     "--target", "80/60")
        self.assertLessEqual(c_agents * 3, single + 2)
        self.assertGreaterEqual(c_agents * 3, single - 2)
        self.assertIn("3 parallel slots", out)

    def test_no_calls_need_no_agents(self):
        (agents, scheduled, sl, asa, occ), _ = self.staff("--calls-per-hour", "0", "--aht", "300")
        self.assertEqual((agents, scheduled, sl, asa, occ), (0, 0, 1.0, 0.0, 0.0))

    def test_bad_input_is_a_usage_error(self):
        for args in (["--aht", "240"],  # missing --calls-per-hour
                     ["--calls-per-hour", "720", "--aht", "0"],
                     ["--calls-per-hour", "-5", "--aht", "240"],
                     ["--calls-per-hour", "720", "--aht", "240", "--target", "80"],
                     ["--calls-per-hour", "720", "--aht", "240", "--target", "100/20"],
                     ["--calls-per-hour", "720", "--aht", "240", "--concurrency", "1.5"],
                     ["--calls-per-hour", "720", "--aht", "240", "--shrinkage", "95"],
                     ["--calls-per-hour", "lots", "--aht", "240"]):
            p = self.staff(*args, code=2)
            self.assertTrue(p.stderr.strip(), args)
            self.assertNotIn("staff:", p.stdout)


class WfmForecastCli(harness.ParleyCase):
    def test_forecast_prints_days_peak_and_summary(self):
        p = self.srv.cli("wfm", "forecast", "--db", self.srv.db, "--tenant", "acme", "--days", "7")
        out = p.stdout
        self.assertIn("Forecast for acme (Europe/London)", out)
        self.assertIn("Holt-Winters", out)
        days = re.findall(r"^(\d{4}-\d\d-\d\d) (Mon|Tue|Wed|Thu|Fri|Sat|Sun) +(\d+) +(\d+) +"
                          r"(\d\d:\d\d) +([\d.]+)$", out, re.M)
        self.assertEqual(len(days), 7, out)
        # The demo history is busy on weekdays and quiet at weekends.
        weekday = [int(d[2]) for d in days if d[1] not in ("Sat", "Sun")]
        weekend = [int(d[2]) for d in days if d[1] in ("Sat", "Sun")]
        self.assertGreater(min(weekday), 1.5 * max(weekend))
        for d in days:  # peaks in office hours
            self.assertTrue("08:00" <= d[4] <= "16:00", d)
        m = re.search(r"^forecast: days=7 contacts=(\d+) peak_agents=(\d+) agent_hours=([\d.]+)$",
                      out, re.M)
        self.assertIsNotNone(m, out)
        self.assertLessEqual(abs(int(m.group(1)) - sum(int(d[2]) for d in days)), 7)  # rounding
        self.assertEqual(int(m.group(2)), max(int(d[3]) for d in days))

    def test_intervals_and_channels(self):
        p = self.srv.cli("wfm", "forecast", "--db", self.srv.db, "--tenant", "acme", "--days",
                         "1", "--channel", "email", "--show", "intervals", "--aht", "600")
        rows = re.findall(r"^\d{4}-\d\d-\d\d (\d\d:\d\d) \w{3} +([\d.]+) +(\d+) +(\d+)$",
                          p.stdout, re.M)
        self.assertIn(len(rows), (46, 48, 50))  # a day has 48 half hours, 46/50 at DST
        self.assertEqual(rows[0][0], "00:00")
        self.assertIn("AHT 600 s (request)", p.stdout)
        self.assertIn("channel email", p.stdout)

    def test_errors(self):
        p = self.srv.cli("wfm", "forecast", "--db", self.srv.db, "--tenant", "nobody",
                         check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no tenant", p.stderr)
        for args in (["--days", "0"], ["--days", "29"], ["--channel", "fax"],
                     ["--show", "weeks"], ["--target", "x/y"]):
            p = self.srv.cli("wfm", "forecast", "--db", self.srv.db, "--tenant", "acme", *args,
                             check=False)
            self.assertEqual(p.returncode, 2, args)


class WfmForecastApi(harness.ParleyCase):
    def forecast(self, query="", who="supervisor", expect=200):
        r = self.srv.request("GET", "/api/v1/wfm/forecast" + query, token=self.srv.token(who))
        self.assertEqual(r.status, expect, r.body[:500])
        return r

    def test_supervisor_gets_a_week_of_half_hours(self):
        j = self.forecast("?days=7").json
        self.assertEqual(j["time_zone"], "Europe/London")
        self.assertEqual(j["channel"], "all")
        self.assertEqual(len(j["daily"]), 7)
        iv = j["intervals"]
        self.assertIn(len(iv), (7 * 48 - 2, 7 * 48, 7 * 48 + 2))
        self.assertEqual(iv[0]["start"], j["from"])
        for a, b in zip(iv, iv[1:]):
            self.assertEqual(b["start"] - a["start"], HALF_HOUR)
        self.assertTrue(all(x["volume"] >= 0 and x["agents"] >= 0 for x in iv))
        # Busy half hours meet the target; the peak is the busiest.
        for x in iv:
            if x["agents"] > 0:
                self.assertGreaterEqual(x["service_level"], 0.8)
        self.assertEqual(j["peak"]["agents"], max(x["agents"] for x in iv))
        # Daily totals add up the intervals.
        self.assertAlmostEqual(sum(d["volume"] for d in j["daily"]),
                               sum(x["volume"] for x in iv), delta=1.0)
        # The history is the seeded eight weeks (plus the demo's conversations).
        seeded = int(re.search(r"Contact history for forecasting: (\d+) contacts",
                               self.srv.seed_out).group(1))
        self.assertGreaterEqual(j["history"]["contacts"], seeded)
        self.assertLessEqual(j["history"]["contacts"], seeded + 50)
        self.assertEqual(j["history"]["to"] - j["history"]["from"], 56 * 48 * HALF_HOUR)
        self.assertEqual(j["staffing"]["aht_source"], "history")
        self.assertEqual(j["staffing"]["model"], "erlang_c")

    def test_parameters_change_the_plan(self):
        base = self.forecast("?days=2&aht=300").json
        slower = self.forecast("?days=2&aht=600").json
        self.assertGreater(slower["peak"]["agents"], base["peak"]["agents"])
        web = self.forecast("?days=2&channel=web&aht=300").json
        self.assertLess(sum(x["volume"] for x in web["intervals"]),
                        sum(x["volume"] for x in base["intervals"]))
        shrunk = self.forecast("?days=2&aht=300&shrinkage=30").json
        for a, b in zip(base["intervals"], shrunk["intervals"]):
            self.assertEqual(b["scheduled"], -(-a["agents"] * 10 // 7))
        patient = self.forecast("?days=2&aht=300&patience=90").json
        self.assertEqual(patient["staffing"]["model"], "erlang_a")
        self.assertLessEqual(patient["peak"]["agents"], base["peak"]["agents"])
        strict = self.forecast("?days=2&aht=300&target=90/10").json
        self.assertGreater(strict["peak"]["agents"], base["peak"]["agents"])

    def test_roles_bad_parameters_and_isolation(self):
        self.forecast(who="admin")
        self.assertEqual(self.forecast(who="agent", expect=403).error["code"],
                         "permission_denied")
        self.forecast(who="expert", expect=403)
        r = self.srv.request("GET", "/api/v1/wfm/forecast")
        self.assertEqual(r.status, 401)
        for query, field in (("?days=0", "days"), ("?days=29", "days"),
                             ("?channel=fax", "channel"), ("?target=abc", "target"),
                             ("?aht=0", "aht"), ("?concurrency=50", "concurrency"),
                             ("?shrinkage=95", "shrinkage")):
            err = self.forecast(query, expect=400).error
            self.assertEqual(err["code"], "invalid_argument")
            self.assertEqual(err["field"], field, query)
        # The other tenant has no history: nothing forecast, nobody needed.
        j = self.forecast("?days=3", who="other").json
        self.assertEqual(j["history"]["contacts"], 0)
        self.assertEqual(j["staffing"]["aht_source"], "default")
        self.assertTrue(all(x["volume"] == 0 and x["agents"] == 0 for x in j["intervals"]))
