"""Customers: create, list, get (audited as customer.view), patch, identities, merging when an
identity belongs to someone else, and consents (latest per purpose and channel)."""

import time

import harness

setUpModule, tearDownModule = harness.module_server()


class CustomersTest(harness.ParleyCase):
    def test_create_and_get(self):
        body = {"name": "Ada Lovelace", "locale": "en-GB", "time_zone": "Europe/London",
                "preferred_channel": "email", "needs": ["sight"], "needs_note": "Large print",
                "prefers_person": True,
                "identities": [{"kind": "email", "value": "Ada.Lovelace@Example.COM"},
                               {"kind": "phone", "value": "+44 7700 900001"}]}
        before = int(time.time() * 1000) - 1000
        c = self.api("POST", "/api/v1/customers", body, who="agent", expect=201).json
        for k in ("name", "locale", "time_zone", "preferred_channel", "needs", "needs_note",
                  "prefers_person"):
            self.assertEqual(c[k], body[k], k)
        self.assertGreaterEqual(c["created_at"], before)
        got = self.api("GET", f"/api/v1/customers/{c['id']}", who="agent", expect=200).json
        self.assertEqual({k: got[k] for k in c if k != "identities"},
                         {k: c[k] for k in c if k != "identities"})
        ids = {(i["kind"], i["value"]) for i in got["identities"]}
        self.assertEqual(ids, {("email", "ada.lovelace@example.com"), ("phone", "+447700900001")})
        for i in got["identities"]:
            self.assertEqual(i["customer_id"], c["id"])

    def test_create_with_only_an_identity(self):
        c = self.api("POST", "/api/v1/customers",
                     {"identities": [{"kind": "email", "value": "only.id@example.com"}]},
                     who="admin", expect=201).json
        self.assertIsNone(c["name"])

    def test_create_needs_a_name_or_an_identity(self):
        before = self.srv.counts()
        for body in ({}, {"locale": "en"}, {"identities": []}):
            with self.subTest(body=body):
                self.assertError(self.api("POST", "/api/v1/customers", body, who="admin"), 400,
                                 "invalid_argument")
        self.assertEqual(self.srv.counts(), before)

    def test_list_search_and_updated_since(self):
        tag = harness.unique("Zed")
        made = [self.new_customer(name=f"{tag} {i}") for i in range(3)]
        found = self.walk(f"/api/v1/customers?q={tag}")
        self.assertEqual({c["id"] for c in found}, {c["id"] for c in made})
        for c in found:
            self.assertNotIn("identities", c, "lists carry no identities")
        email = f"{tag.lower()}@example.com"
        withid = self.new_customer(name="By Identity",
                                   identities=[{"kind": "email", "value": email}])
        found = self.walk(f"/api/v1/customers?q={email}")
        self.assertIn(withid["id"], {c["id"] for c in found})
        # updated_since: only what changed at or after the time given
        since = max(c["updated_at"] for c in made + [withid]) + 1
        time.sleep(0.01)
        self.api("PATCH", f"/api/v1/customers/{made[0]['id']}", {"locale": "fr"}, who="admin",
                 expect=200)
        recent = {c["id"] for c in self.walk(f"/api/v1/customers?updated_since={since}")}
        self.assertIn(made[0]["id"], recent)
        self.assertNotIn(made[1]["id"], recent)
        self.assertNotIn(withid["id"], recent)

    def test_list_pagination_walks_everything_once(self):
        for i in range(5):
            self.new_customer(name=f"Page {i}")
        seen = [c["id"] for c in self.walk("/api/v1/customers", limit=2)]
        self.assertEqual(len(seen), len(set(seen)), "a customer appears twice")
        total = self.srv.db_query(
            "SELECT count(*) FROM customers WHERE tenant_id=? AND (merged_into IS NULL OR "
            "merged_into=0)", (self.srv.tenant_id(),))[0][0]
        self.assertEqual(len(seen), total)

    def test_get_is_audited_as_customer_view(self):
        c = self.new_customer(name="Audited Person")
        self.api("GET", f"/api/v1/customers/{c['id']}", who="agent", expect=200)
        agent = self.srv.user("agent")["id"]
        deadline = time.monotonic() + 5
        while True:  # the view is appended without waiting: allow it to commit
            entries = self.walk(f"/api/v1/audit?action=customer.view&object=customer:{c['id']}")
            if entries or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertTrue(entries, "no customer.view audit entry")
        self.assertEqual(entries[0]["actor"], f"user:{agent}")
        self.assertEqual(entries[0]["object"], f"customer:{c['id']}")
        self.assertNotIn("Audited Person", str(entries[0]["detail"]), "no personal data in audit")
        # audit filters
        by_actor = self.walk(f"/api/v1/audit?actor=user:{agent}")
        self.assertTrue(all(e["actor"] == f"user:{agent}" for e in by_actor))
        ats = [e["id"] for e in self.walk("/api/v1/audit", limit=3)]
        self.assertEqual(ats, sorted(ats, reverse=True), "audit is newest first")
        self.assertEqual(len(ats), len(set(ats)))

    def test_patch_changes_only_what_is_given(self):
        c = self.new_customer(name="Patchy", locale="en", needs=["hearing"],
                              preferred_channel="sms")
        time.sleep(0.005)
        p = self.api("PATCH", f"/api/v1/customers/{c['id']}",
                     {"name": "Patched", "needs": ["sight", "dexterity"], "prefers_person": True},
                     who="agent", expect=200).json
        self.assertEqual(p["name"], "Patched")
        self.assertEqual(sorted(p["needs"]), ["dexterity", "sight"])
        self.assertTrue(p["prefers_person"])
        self.assertEqual(p["locale"], "en")
        self.assertEqual(p["preferred_channel"], "sms")
        self.assertGreaterEqual(p["updated_at"], c["updated_at"])
        p = self.api("PATCH", f"/api/v1/customers/{c['id']}", {"preferred_channel": None},
                     who="agent", expect=200).json
        self.assertIsNone(p["preferred_channel"])
        got = self.api("GET", f"/api/v1/customers/{c['id']}", who="agent", expect=200).json
        self.assertEqual(got["name"], "Patched")
        self.assertIsNone(got["preferred_channel"])

    def test_patch_refuses_identities(self):
        c = self.new_customer()
        r = self.api("PATCH", f"/api/v1/customers/{c['id']}",
                     {"identities": [{"kind": "email", "value": "x@example.com"}]}, who="admin")
        self.assertError(r, 400, "invalid_argument", "identities")

    def test_add_identity(self):
        c = self.new_customer(name="Ident")
        i = self.api("POST", f"/api/v1/customers/{c['id']}/identities",
                     {"kind": "email", "value": "IDENT@Example.com"}, who="agent",
                     expect=201).json
        self.assertEqual(i["customer_id"], c["id"])
        self.assertEqual(i["value"], "ident@example.com")
        self.assertEqual(i["kind"], "email")
        lst = self.api("GET", f"/api/v1/customers/{c['id']}/identities", who="agent",
                       expect=200).json["data"]
        self.assertEqual([x["id"] for x in lst], [i["id"]])

    def test_identity_of_another_customer_merges_them(self):
        keep = self.new_customer(name="Keeper",
                                 identities=[{"kind": "email", "value": "keeper@example.com"}])
        gone = self.new_customer(name="Duplicate",
                                 identities=[{"kind": "phone", "value": "+447700900555"},
                                             {"kind": "email", "value": "dup@example.com"}])
        conv = self.new_conversation(gone["id"], message="I wrote from my phone")
        self.api("POST", f"/api/v1/customers/{gone['id']}/consents",
                 {"purpose": "service_alerts", "channel": "sms", "granted": True}, who="admin",
                 expect=201)
        r = self.api("POST", f"/api/v1/customers/{keep['id']}/identities",
                     {"kind": "phone", "value": "+44 7700 900555"}, who="agent", expect=200).json
        self.assertEqual(r["merged_customer_id"], gone["id"])
        self.assertEqual(r["identity"]["customer_id"], keep["id"])
        self.assertEqual(r["identity"]["value"], "+447700900555")
        # identities, conversations and consents follow
        ids = {i["value"] for i in self.api("GET", f"/api/v1/customers/{keep['id']}/identities",
                                            who="admin", expect=200).json["data"]}
        self.assertEqual(ids, {"keeper@example.com", "+447700900555", "dup@example.com"})
        moved = self.api("GET", f"/api/v1/conversations/{conv['id']}", who="admin",
                         expect=200).json
        self.assertEqual(moved["customer_id"], keep["id"])
        listed = {c["id"] for c in self.walk(f"/api/v1/conversations?customer={keep['id']}")}
        self.assertIn(conv["id"], listed)
        consents = self.api("GET", f"/api/v1/customers/{keep['id']}/consents", who="admin",
                            expect=200).json["data"]
        self.assertIn(("service_alerts", "sms", True),
                      {(x["purpose"], x["channel"], x["granted"]) for x in consents})
        # the merged-away record no longer shows up as a separate customer
        self.assertNotIn(gone["id"], {c["id"] for c in self.walk("/api/v1/customers")})
        audit = self.walk("/api/v1/audit?action=customer.merge")
        self.assertTrue(any(str(keep["id"]) in e["object"] + str(e["detail"]) and
                            str(gone["id"]) in e["object"] + str(e["detail"]) for e in audit),
                        f"no customer.merge entry naming both customers: {audit}")

    def test_adding_an_identity_it_already_has_changes_nothing(self):
        c = self.new_customer(identities=[{"kind": "email", "value": "same@example.com"}])
        r = self.api("POST", f"/api/v1/customers/{c['id']}/identities",
                     {"kind": "email", "value": "same@example.com"}, who="admin")
        self.assertIn(r.status, (200, 409), r)
        ids = self.api("GET", f"/api/v1/customers/{c['id']}/identities", who="admin",
                       expect=200).json["data"]
        self.assertEqual(len(ids), 1)
        if r.status == 200:
            self.assertNotIn("merged_customer_id", r.json, "a customer cannot merge with itself")
            self.assertEqual(r.json["id"], ids[0]["id"])

    def test_consents_latest_per_purpose_and_channel(self):
        c = self.new_customer(name="Consenting")
        path = f"/api/v1/customers/{c['id']}/consents"
        first = self.api("POST", path, {"purpose": "marketing", "channel": "email",
                                        "granted": True, "source": "widget"},
                         who="agent", expect=201).json
        self.assertEqual((first["purpose"], first["channel"], first["granted"], first["source"]),
                         ("marketing", "email", True, "widget"))
        self.api("POST", path, {"purpose": "outage_updates", "channel": "sms", "granted": True},
                 who="agent", expect=201)
        time.sleep(0.005)
        last = self.api("POST", path, {"purpose": "marketing", "channel": "email",
                                       "granted": False}, who="agent", expect=201).json
        self.assertFalse(last["granted"])
        self.assertTrue(last["source"], "the handler records who, when no source is given")
        got = self.api("GET", path, who="agent", expect=200).json["data"]
        pairs = sorted((x["purpose"], x["channel"], x["granted"]) for x in got)
        self.assertEqual(pairs, [("marketing", "email", False), ("outage_updates", "sms", True)])
        self.assertEqual({x["id"] for x in got if x["purpose"] == "marketing"}, {last["id"]})
