"""Tests of side_by_side.py: GNU time -v parsing and the ratios of the side-by-side table."""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import side_by_side as sbs  # noqa: E402

TIME_OK = """\tCommand being timed: "pipeline run Pipelines/acme.yml"
\tUser time (seconds): 50.25
\tSystem time (seconds): 1.75
\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02:03.50
\tMaximum resident set size (kbytes): 2097152
\tExit status: 0
"""
TIME_FAILED = """Command exited with non-zero status 3
\tUser time (seconds): 0.00
\tSystem time (seconds): 0.01
\tElapsed (wall clock) time (h:mm:ss or m:ss): 0:00.25
\tMaximum resident set size (kbytes): 3072
\tExit status: 3
"""


class SideBySideTests(unittest.TestCase):
    def test_parse_time_v(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "t")
            open(p, "w").write(TIME_OK)
            self.assertEqual(sbs.parse_time_v(p), {"wall_s": 3723.5, "rss_kib": 2097152, "exit": 0, "cpu_s": 52.0})
            open(p, "w").write(TIME_FAILED)
            t = sbs.parse_time_v(p)
            self.assertEqual((t["wall_s"], t["exit"], t["rss_kib"]), (0.25, 3, 3072))
            self.assertIsNone(sbs.parse_time_v(os.path.join(d, "absent")))

    def test_table_ratios_and_missing_sides(self):
        with tempfile.TemporaryDirectory() as d:
            open(os.path.join(d, "tributary.time"), "w").write(
                TIME_OK.replace("1:02:03.50", "0:10.00").replace("2097152", "524288"))
            open(os.path.join(d, "reference.time"), "w").write(
                TIME_OK.replace("1:02:03.50", "0:45.00").replace("2097152", "2097152"))
            json.dump({"pairwise": {"precision": 1.0, "recall": 0.5, "f1": 2 / 3}}, open(os.path.join(d, "tributary.score.json"), "w"))
            rows = {r[0]: r[1:] for r in sbs.build_rows(d)}
            self.assertEqual(rows["wall time"], ("10.00 s", "45.00 s", "4.50x"))
            self.assertEqual(rows["peak RSS"], ("512 MiB", "2048 MiB", "4.00x"))
            self.assertEqual(rows["pairwise P / R / F1"][:2], ("1.0000 / 0.5000 / 0.6667", "-"))
            os.remove(os.path.join(d, "reference.time"))
            open(os.path.join(d, "reference.status"), "w").write("skipped (--skip-reference)\n")
            rows = {r[0]: r[1:] for r in sbs.build_rows(d)}
            self.assertEqual(rows["run"][:2], ("ok", "skipped (--skip-reference)"))
            self.assertEqual(rows["wall time"], ("10.00 s", "-", "-"))


if __name__ == "__main__":
    unittest.main()
