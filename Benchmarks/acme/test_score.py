"""Tests of score.py on hand-made fixtures; every expected number below is worked out by hand.

Run: python3 -m unittest discover -s Benchmarks/acme -p 'test_*.py'

The truth used by every test (9 records):
    p1: crm c1, events e1, pos t1:1      -> C(3,2) = 3 true pairs
    p2: crm c2, events e2                -> 1 true pair
    v1: events e3, events e4 (a visitor) -> 1 true pair
    walk-ins: pos t2:1, pos t3:1         -> pair with nothing
    true pairs = 5
    persons: p1 e-mails ann@x.com, ann.b@y.com, phone +14155550100; p2 e-mail bob@z.com, no phone
    segments: high_value {p1, p2}, lapsed_90d {p2}, email_reachable {p1}, cart_abandoners_7d {}
"""
import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import score  # noqa: E402

TRUTH_RECORDS = [("crm", "c1", "p1"), ("events", "e1", "p1"), ("pos", "t1:1", "p1"),
                 ("crm", "c2", "p2"), ("events", "e2", "p2"),
                 ("events", "e3", "v1"), ("events", "e4", "v1"),
                 ("pos", "t2:1", ""), ("pos", "t3:1", "")]
TRUTH_PERSONS = [("p1", "ann@x.com;ann.b@y.com", "+14155550100"), ("p2", "bob@z.com", "")]
TRUTH_SEGMENTS = [("high_value", "p1"), ("high_value", "p2"), ("lapsed_90d", "p2"), ("email_reachable", "p1")]

# The right answer: one profile per person and visitor, walk-ins without a profile.
PERFECT = {1: ["crm/c1", "events/e1", "pos/t1:1"], 2: ["crm/c2", "events/e2"], 3: ["events/e3", "events/e4"],
           None: ["pos/t2:1", "pos/t3:1"]}
PERFECT_SEGMENTS = {"high_value": [1, 2], "lapsed_90d": [2], "email_reachable": [1]}


class Fixture:
    """A temporary truth folder and output database."""

    def __init__(self, tmp, clusters, segments, golden=None, phone_col="phone"):
        self.truth = os.path.join(tmp, "truth")
        os.makedirs(self.truth)
        self._csv("records.csv", ["source", "record_key", "person_id"], TRUTH_RECORDS)
        self._csv("persons.csv", ["person_id", "emails", "phones"], TRUTH_PERSONS)
        self._csv("segments.csv", ["segment", "person_id"], TRUTH_SEGMENTS)
        self.out = os.path.join(tmp, "out.sqlite")
        db = sqlite3.connect(self.out)
        db.execute("CREATE TABLE profile_records(profile_id INTEGER, source TEXT, record_key TEXT, record_id INTEGER)")
        db.execute(f"CREATE TABLE profiles(profile_id INTEGER PRIMARY KEY, email TEXT, {phone_col} TEXT)")
        db.execute("CREATE TABLE segment_membership(segment TEXT, profile_id INTEGER, since TEXT)")
        for pid, recs in clusters.items():
            for i, r in enumerate(recs):
                src, key = r.split("/", 1)
                db.execute("INSERT INTO profile_records VALUES (?,?,?,?)", (pid, src, key, i))
        golden = golden or {}
        for pid in clusters:
            if pid is not None:
                e, p = golden.get(pid, (None, None))
                db.execute("INSERT INTO profiles VALUES (?,?,?)", (pid, e, p))
        for seg, pids in segments.items():
            for pid in pids:
                db.execute("INSERT INTO segment_membership VALUES (?,?,?)", (seg, pid, "2024-11-15"))
        db.commit()
        db.close()

    def _csv(self, name, header, rows):
        import csv
        with open(os.path.join(self.truth, name), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)


class ScoreTests(unittest.TestCase):
    def run_score(self, clusters, segments, golden=None, phone_col="phone", rename=None):
        with tempfile.TemporaryDirectory() as tmp:
            fx = Fixture(tmp, clusters, segments, golden, phone_col)
            return score.score(fx.out, fx.truth, rename)

    def assertPRF(self, m, tp, predicted, true, p, r, f1):
        self.assertEqual((m["tp"], m["predicted"], m["true"]), (tp, predicted, true))
        for key, want in (("precision", p), ("recall", r), ("f1", f1)):
            if want is None:
                self.assertIsNone(m[key], key)
            else:
                self.assertAlmostEqual(m[key], want, places=12, msg=key)

    def test_perfect_output(self):
        s = self.run_score(PERFECT, PERFECT_SEGMENTS,
                           golden={1: ("ANN@x.com", "+1 (415) 555-0100"), 2: ("bob@z.com", None)})
        self.assertPRF(s["pairwise"], 5, 5, 5, 1.0, 1.0, 1.0)
        self.assertPRF(s["segments"]["high_value"], 2, 2, 2, 1.0, 1.0, 1.0)
        self.assertPRF(s["segments"]["lapsed_90d"], 1, 1, 1, 1.0, 1.0, 1.0)
        self.assertPRF(s["segments"]["email_reachable"], 1, 1, 1, 1.0, 1.0, 1.0)
        # nothing predicted, nothing true: every ratio is 0/0
        self.assertPRF(s["segments"]["cart_abandoners_7d"], 0, 0, 0, None, None, None)
        r = s["records"]
        self.assertEqual((r["truth"], r["output_rows"], r["output_not_in_truth"], r["truth_missing_from_output"],
                          r["output_without_profile"]), (9, 9, 0, 0, 2))
        e = s["entities"]
        self.assertEqual((e["truth_persons"], e["truth_visitors"], e["truth_walk_in_records"], e["output_profiles"],
                          e["profiles_standing_for_a_person"], e["persons_with_several_profiles"]), (2, 1, 2, 3, 2, 0))
        # e-mail: profiles 1 and 2 eligible, both right; phone: only p1 has one, and profile 1 has it
        self.assertEqual({k: s["golden"]["email"][k] for k in ("eligible", "filled", "correct")},
                         {"eligible": 2, "filled": 2, "correct": 2})
        self.assertEqual({k: s["golden"]["phone"][k] for k in ("eligible", "filled", "correct")},
                         {"eligible": 1, "filled": 1, "correct": 1})

    def test_over_merge(self):
        # p1, p2 and walk-in t2:1 in one profile of 6 records: C(6,2) = 15 predicted pairs, of which
        # p1's 3 + p2's 1 are true; plus the visitor's profile: predicted 16, tp 5.
        clusters = {1: ["crm/c1", "events/e1", "pos/t1:1", "crm/c2", "events/e2", "pos/t2:1"],
                    3: ["events/e3", "events/e4"], None: ["pos/t3:1"]}
        # profile 1 stands for p1 (3 records against 2): in high_value it counts once, p2 is missed;
        # in lapsed_90d (truth p2) it is a false positive.
        s = self.run_score(clusters, {"high_value": [1], "lapsed_90d": [1]}, phone_col="phone_e164",
                           golden={1: ("bob@z.com", "+14155550100")})
        self.assertPRF(s["pairwise"], 5, 16, 5, 5 / 16, 1.0, 10 / 21)
        self.assertPRF(s["segments"]["high_value"], 1, 1, 2, 1.0, 0.5, 2 / 3)
        self.assertPRF(s["segments"]["lapsed_90d"], 0, 1, 1, 0.0, 0.0, 0.0)
        # nothing predicted, one true member: precision 0/0, recall 0, F1 0
        self.assertPRF(s["segments"]["email_reachable"], 0, 0, 1, None, 0.0, 0.0)
        # the reference's phone column is found; p2's e-mail as p1's golden e-mail is a miss
        self.assertEqual(s["golden"]["phone"]["column"], "phone_e164")
        self.assertEqual((s["golden"]["phone"]["correct"], s["golden"]["phone"]["eligible"]), (1, 1))
        self.assertEqual((s["golden"]["email"]["correct"], s["golden"]["email"]["filled"]), (0, 1))
        self.assertEqual(s["golden"]["email"]["accuracy"], 0.0)

    def test_under_merge(self):
        # p1 split in two, the visitor split in two: predicted 1 (e1-t1:1) + 1 (c2-e2) = 2, both true
        clusters = {1: ["crm/c1"], 2: ["events/e1", "pos/t1:1"], 3: ["crm/c2", "events/e2"],
                    4: ["events/e3"], 5: ["events/e4"], None: ["pos/t2:1", "pos/t3:1"]}
        s = self.run_score(clusters, {})
        self.assertPRF(s["pairwise"], 2, 2, 5, 1.0, 0.4, 4 / 7)
        self.assertEqual(s["entities"]["persons_with_several_profiles"], 1)   # p1 (profiles 1, 2)
        self.assertEqual(s["entities"]["profiles_standing_for_a_person"], 3)  # 1, 2 -> p1; 3 -> p2

    def test_walk_in_and_visitor_profiles_in_segments(self):
        # the two walk-ins in one profile (a false pair) and that profile in high_value;
        # the visitor's profile in cart_abandoners_7d: both stand for no person
        clusters = {1: ["crm/c1", "events/e1", "pos/t1:1"], 2: ["crm/c2", "events/e2"],
                    9: ["pos/t2:1", "pos/t3:1"], 10: ["events/e3", "events/e4"]}
        s = self.run_score(clusters, {"high_value": [1, 2, 9], "cart_abandoners_7d": [10]})
        self.assertPRF(s["pairwise"], 5, 6, 5, 5 / 6, 1.0, 10 / 11)
        hv = s["segments"]["high_value"]
        self.assertPRF(hv, 2, 3, 2, 2 / 3, 1.0, 0.8)
        self.assertEqual((hv["fp_no_person"], hv["fp_duplicate_profile"]), (1, 0))
        cart = s["segments"]["cart_abandoners_7d"]
        self.assertPRF(cart, 0, 1, 0, 0.0, None, 0.0)
        self.assertEqual(cart["fp_no_person"], 1)

    def test_duplicate_profiles_of_one_person_in_a_segment(self):
        # p1 in two profiles, both in high_value: one true positive, one false positive.
        # Profile 7 {c1, e1, c2} stands for p1 (2 records against 1); profile 8 {e2, t1:1} is a
        # 1-1 tie between p2 and p1 and stands for the smaller id, p1.
        clusters = {1: ["crm/c1", "events/e1"], 4: ["pos/t1:1"], 2: ["crm/c2", "events/e2"],
                    None: ["events/e3", "events/e4", "pos/t2:1", "pos/t3:1"]}
        s = self.run_score(clusters, {"high_value": [1, 4, 2]})
        hv = s["segments"]["high_value"]
        self.assertPRF(hv, 2, 3, 2, 2 / 3, 1.0, 0.8)
        self.assertEqual((hv["fp_no_person"], hv["fp_duplicate_profile"]), (0, 1))
        self.assertPRF(s["pairwise"], 2, 2, 5, 1.0, 0.4, 4 / 7)

        clusters = {7: ["crm/c1", "events/e1", "crm/c2"], 8: ["events/e2", "pos/t1:1"], 3: ["events/e3", "events/e4"],
                    None: ["pos/t2:1", "pos/t3:1"]}
        s = self.run_score(clusters, {"lapsed_90d": [7, 8], "email_reachable": [7], "high_value": [7, 8]})
        self.assertPRF(s["segments"]["lapsed_90d"], 0, 2, 1, 0.0, 0.0, 0.0)
        self.assertPRF(s["segments"]["email_reachable"], 1, 1, 1, 1.0, 1.0, 1.0)
        self.assertPRF(s["segments"]["high_value"], 1, 2, 2, 0.5, 0.5, 0.5)
        self.assertEqual(s["segments"]["high_value"]["fp_duplicate_profile"], 1)
        # pairs: profile 7 C(3,2) = 3 with 1 true (c1-e1); profile 8 1 pair, false; visitor 1 true
        self.assertPRF(s["pairwise"], 2, 5, 5, 0.4, 0.4, 0.4)

    def test_missing_and_unknown_records(self):
        # e2 and t3:1 missing; e99 and e98 unknown to the truth; t2:1 kept without a profile
        clusters = {1: ["crm/c1", "events/e1", "pos/t1:1"], 2: ["crm/c2", "events/e99"],
                    3: ["events/e3", "events/e4"], 5: ["events/e98"], None: ["pos/t2:1"]}
        s = self.run_score(clusters, {"high_value": [1, 2, 5]})
        r = s["records"]
        self.assertEqual((r["output_rows"], r["output_not_in_truth"], r["truth_missing_from_output"],
                          r["output_without_profile"]), (9, 2, 2, 1))
        self.assertEqual(r["truth_missing_by_source"], {"events": 1, "pos": 1})
        # unknown e99 is left out of the pairs: profile 2 has one known record; p2's pair is lost
        self.assertPRF(s["pairwise"], 4, 4, 5, 1.0, 0.8, 8 / 9)
        hv = s["segments"]["high_value"]
        self.assertPRF(hv, 2, 3, 2, 2 / 3, 1.0, 0.8)       # profile 2 still stands for p2
        self.assertEqual(hv["fp_no_person"], 1)            # profile 5: only an unknown record

    def test_golden_hits_and_misses(self):
        # profile 1: p1's second e-mail (hit), phone without its country code (miss: '+4155550100');
        # profile 2: no e-mail (not filled), a phone although p2 has none (not eligible);
        # profile 3, a visitor: never eligible
        s = self.run_score(PERFECT, {}, golden={1: ("Ann.B@Y.com ", "4155550100"), 2: (None, "+19999999999"),
                                                3: ("x@y.com", "+15555555555")})
        em, ph = s["golden"]["email"], s["golden"]["phone"]
        self.assertEqual((em["eligible"], em["filled"], em["correct"]), (2, 1, 1))
        self.assertEqual((em["accuracy"], em["coverage"]), (1.0, 0.5))
        self.assertEqual((ph["eligible"], ph["filled"], ph["correct"]), (1, 1, 0))
        self.assertEqual((ph["accuracy"], ph["coverage"]), (0.0, 1.0))

    def test_rename_source_and_duplicate_keys(self):
        clusters = {1: ["crm/c1", "events/e1", "till/t1:1"], 2: ["crm/c2", "events/e2", "crm/c2"],
                    3: ["events/e3", "events/e4"], None: ["till/t2:1", "till/t3:1"]}
        s = self.run_score(clusters, {})
        self.assertEqual(s["records"]["truth_missing_from_output"], 3)
        self.assertEqual(s["records"]["output_not_in_truth"], 3)
        s = self.run_score(clusters, {}, rename={"till": "pos"})
        self.assertEqual((s["records"]["truth_missing_from_output"], s["records"]["output_not_in_truth"],
                          s["records"]["output_duplicate_keys"]), (0, 0, 1))
        self.assertPRF(s["pairwise"], 5, 5, 5, 1.0, 1.0, 1.0)

    def test_command_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            fx = Fixture(tmp, PERFECT, PERFECT_SEGMENTS)
            here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "score.py")
            out = subprocess.run([sys.executable, here, fx.out, fx.truth, "--json"], capture_output=True,
                                 text=True, check=True).stdout
            self.assertEqual(json.loads(out)["pairwise"]["f1"], 1.0)
            text = subprocess.run([sys.executable, here, fx.out, fx.truth], capture_output=True,
                                  text=True, check=True).stdout
            self.assertRegex(text, r"pairwise\s+1\.0000\s+1\.0000\s+1\.0000\s+5\s+5\s+5")
            self.assertRegex(text, r"cart_abandoners_7d\s+-\s+-\s+-\s+0\s+0\s+0")
            bad = subprocess.run([sys.executable, here, os.path.join(tmp, "nope.sqlite"), fx.truth],
                                 capture_output=True, text=True)
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("no output database", bad.stderr)


if __name__ == "__main__":
    unittest.main()
