#!/usr/bin/env python3
"""Print Tributary and the reference pipeline side by side (used by Scripts/bench-acme).

usage: side_by_side.py WORK_DIR

Reads from WORK_DIR, each optional (a missing file shows as '-' or 'not run'):
  tributary.time, reference.time     `/usr/bin/time -v -o FILE` of each run
  tributary.score.json, reference.score.json   `score.py OUT TRUTH --json`
  tributary.status, reference.status  why a side did not run (one line)
  tributary.sqlite                    for Tributary's stage times (run_stages of its last run)
  reference.err                       for the reference's phase times (its `TIMES {...}` line)
Ratios are reference / Tributary: above 1 means Tributary is faster / smaller.
"""
import json
import os
import re
import sqlite3
import sys

SEGMENTS = ["cart_abandoners_7d", "high_value", "lapsed_90d", "email_reachable"]


def parse_time_v(path):
    """{'wall_s', 'rss_kib', 'exit', 'cpu_s'} from GNU time -v output, or None when absent."""
    if not os.path.exists(path):
        return None
    text = open(path, errors="replace").read()
    out = {"wall_s": None, "rss_kib": None, "exit": None, "cpu_s": None}
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", text)
    if m:
        h, mi, s = m.groups()
        out["wall_s"] = int(h or 0) * 3600 + int(mi) * 60 + float(s)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if m:
        out["rss_kib"] = int(m.group(1))
    m = re.search(r"Exit status: (\d+)", text)
    if m:
        out["exit"] = int(m.group(1))
    m = re.search(r"Command exited with non-zero status (\d+)", text)
    if m:
        out["exit"] = int(m.group(1))
    m = re.search(r"Command terminated by signal (\d+)", text)
    if m:
        out["exit"] = 128 + int(m.group(1))
    u = re.search(r"User time \(seconds\): ([\d.]+)", text)
    s = re.search(r"System time \(seconds\): ([\d.]+)", text)
    if u and s:
        out["cpu_s"] = float(u.group(1)) + float(s.group(1))
    return out


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def f4(x):
    return "-" if x is None else f"{x:.4f}"


def prf(m):
    if not m:
        return "-"
    return f"{f4(m.get('precision'))} / {f4(m.get('recall'))} / {f4(m.get('f1'))}"


def ratio(a, b, unit="x"):
    return f"{a / b:.2f}{unit}" if a and b else "-"


def stages_tributary(sqlite_path):
    try:
        db = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
        rows = db.execute("SELECT stage, wall_ms FROM run_stages WHERE run_id = (SELECT max(run_id) FROM run_stages)"
                          " ORDER BY rowid").fetchall()
        db.close()
        return ", ".join(f"{s} {w / 1000:.2f}" for s, w in rows) or None
    except sqlite3.Error:
        return None


def phases_reference(err_path):
    try:
        for line in open(err_path, errors="replace"):
            if line.startswith("TIMES "):
                return ", ".join(f"{k} {v:.2f}" for k, v in json.loads(line[6:]).items())
    except (OSError, ValueError):
        pass
    return None


def build_rows(work):
    sides = {}
    for name in ("tributary", "reference"):
        sides[name] = {"time": parse_time_v(os.path.join(work, name + ".time")),
                       "score": load_json(os.path.join(work, name + ".score.json"))}
    rows = [("", "Tributary", "reference", "reference / Tributary")]

    def status(side):
        t = side["time"]
        if t is None:
            return "not run"
        return "ok" if t["exit"] == 0 else f"FAILED (exit {t['exit']})"

    T, R = sides["tributary"], sides["reference"]
    st = []
    for name, side in (("tributary", T), ("reference", R)):
        note = os.path.join(work, name + ".status")
        st.append(open(note).read().strip() if side["time"] is None and os.path.exists(note) else status(side))
    rows.append(("run", st[0], st[1], ""))
    tw = T["time"] and T["time"]["wall_s"]
    rw = R["time"] and R["time"]["wall_s"]
    sec = lambda x: "-" if x is None else f"{x:.2f} s"
    rows.append(("wall time", sec(tw), sec(rw), ratio(rw, tw)))
    tc = T["time"] and T["time"]["cpu_s"]
    rc = R["time"] and R["time"]["cpu_s"]
    rows.append(("CPU time (user + system)", sec(tc), sec(rc), ratio(rc, tc)))
    tm = T["time"] and T["time"]["rss_kib"]
    rm = R["time"] and R["time"]["rss_kib"]
    mib = lambda x: "-" if x is None else f"{x / 1024:.0f} MiB"
    rows.append(("peak RSS", mib(tm), mib(rm), ratio(rm, tm)))
    ts, rs = T["score"] or {}, R["score"] or {}
    rows.append(("pairwise P / R / F1", prf(ts.get("pairwise")), prf(rs.get("pairwise")), ""))
    for seg in SEGMENTS:
        rows.append((f"{seg} P / R / F1", prf((ts.get("segments") or {}).get(seg)),
                     prf((rs.get("segments") or {}).get(seg)), ""))
    for g in ("email", "phone"):
        def gold(s):
            x = (s.get("golden") or {}).get(g)
            return f"{f4(x['accuracy'])} (coverage {f4(x['coverage'])})" if x else "-"
        rows.append((f"golden {g} accuracy", gold(ts), gold(rs), ""))

    def rec(s, k):
        v = (s.get("records") or {}).get(k)
        return "-" if v is None else f"{v:,}"
    rows.append(("truth records missing", rec(ts, "truth_missing_from_output"), rec(rs, "truth_missing_from_output"), ""))
    rows.append(("output records not in truth", rec(ts, "output_not_in_truth"), rec(rs, "output_not_in_truth"), ""))

    def ent(s, k):
        v = (s.get("entities") or {}).get(k)
        return "-" if v is None else f"{v:,}"
    rows.append(("profiles", ent(ts, "output_profiles"), ent(rs, "output_profiles"), ""))
    return rows


def render(rows):
    w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip())
        if j == 0:
            lines.append("  ".join("-" * x for x in w))
    return "\n".join(lines)


def main():
    work = sys.argv[1]
    print(render(build_rows(work)))
    st = stages_tributary(os.path.join(work, "tributary.sqlite"))
    ph = phases_reference(os.path.join(work, "reference.err"))
    if st:
        print(f"\nTributary stages (s): {st}")
    if ph:
        print(f"reference phases (s): {ph}")


if __name__ == "__main__":
    main()
