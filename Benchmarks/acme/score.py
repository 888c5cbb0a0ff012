#!/usr/bin/env python3
"""Score a unification output against the Acme generator's truth.

usage: score.py OUT.sqlite TRUTH_DIR [--json] [--rename-source OUT_NAME=TRUTH_NAME ...]

OUT.sqlite needs three tables (Tributary's and the reference pipeline's outputs both have them):
  profile_records(source, record_key, profile_id)   one row per kept record; profile_id NULL = no profile
  profiles(profile_id, email, phone | phone_e164)   golden e-mail and phone
  segment_membership(segment, profile_id)
TRUTH_DIR is the `truth/` folder of `tributary-bench generate --shape acme`:
  records.csv   source,record_key,person_id   (p... customer, v... anonymous visitor, empty = walk-in sale)
  persons.csv   person_id,emails,phones        (';'-separated, lower-case e-mails, E.164 phones)
  segments.csv  segment,person_id              (the true members)

Figures (all counted, never by enumerating pairs, so a million records score in seconds):

pairwise   Two records are a true pair when they share a non-empty person_id (customers and visitors
           alike); a walk-in record pairs with nothing. Predicted pairs are pairs of records in one
           output profile. With n(c,p) the records of output profile c and person p:
             predicted = sum_c C(n_c, 2)   true = sum_p C(n_p, 2)   tp = sum_{c,p non-empty} C(n(c,p), 2)
           Truth records missing from the output (or with a NULL profile_id) are singletons: they
           lose recall. Output records unknown to the truth are left out of the pairs and counted.
segments   Each output profile stands for the customer (p...) most of its records belong to (ties:
           the smallest person_id); a profile with no customer record (walk-ins, visitors, records
           unknown to the truth) stands for no one. A member that stands for no one, for a person not
           in the true segment, or for a person another member of the segment already stands for,
           is a false positive.
golden     Over profiles that stand for a customer with at least one valid e-mail (phone): coverage
           = share with a golden value, accuracy = share of those values that are one of the
           person's (e-mails compared lower-cased, phones as '+' and digits).
F1 is 2tp / (predicted + true); a ratio with a zero denominator is reported as null ('-').
"""
import argparse
import csv
import json
import os
import sqlite3
import sys
from collections import Counter, defaultdict

SEGMENTS = ["cart_abandoners_7d", "high_value", "lapsed_90d", "email_reachable"]
SEP = "\x1f"  # joins source and record_key into one dictionary key


def ratio(a, b):
    return a / b if b else None


def prf(tp, predicted, true):
    return {"tp": tp, "predicted": predicted, "true": true,
            "precision": ratio(tp, predicted), "recall": ratio(tp, true),
            "f1": ratio(2 * tp, predicted + true)}


def c2(n):
    return n * (n - 1) // 2


def norm_email(e):
    e = (e or "").strip().lower()
    return e or None


def norm_phone(p):
    d = "".join(ch for ch in (p or "") if ch.isdigit())
    return "+" + d if d else None


def is_customer(person):
    return person.startswith("p")


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        yield from csv.DictReader(f)


def columns(db, table):
    return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]


def score(out_path, truth_dir, rename=None):
    rename = rename or {}
    if not os.path.exists(out_path):
        raise SystemExit(f"score.py: no output database at {out_path}")
    db = sqlite3.connect(f"file:{out_path}?mode=ro", uri=True)
    for t in ("profile_records", "profiles", "segment_membership"):
        if not columns(db, t):
            raise SystemExit(f"score.py: {out_path} has no table {t}")

    # ---- truth records: key -> person ('' = walk-in)
    truth = {}
    for r in read_csv(os.path.join(truth_dir, "records.csv")):
        truth[r["source"] + SEP + r["record_key"]] = (r["person_id"] or "").strip()
    true_sizes = Counter(p for p in truth.values() if p)

    # ---- output records
    out_rows = out_unknown = out_null = out_dupes = 0
    seen = set()
    cells = Counter()          # (profile, person) -> records of truth in that cell (non-singleton profiles)
    profile_sizes = Counter()  # profile -> records known to the truth
    for src, key, pid in db.execute("SELECT source, record_key, profile_id FROM profile_records"):
        out_rows += 1
        k = rename.get(src, src) + SEP + str(key)
        if k in seen:
            out_dupes += 1
            continue
        seen.add(k)
        person = truth.get(k)
        if person is None:
            out_unknown += 1
            continue
        if pid is None:
            out_null += 1
            continue
        pid = str(pid)
        profile_sizes[pid] += 1
        cells[(pid, person)] += 1
    missing = sum(1 for k in truth if k not in seen)
    by_source_missing = Counter(k.split(SEP, 1)[0] for k in truth if k not in seen)

    predicted = sum(c2(n) for n in profile_sizes.values())
    true_pairs = sum(c2(n) for n in true_sizes.values())
    tp = sum(c2(n) for (pid, person), n in cells.items() if person)
    pairwise = prf(tp, predicted, true_pairs)

    # ---- profile -> the customer it stands for
    votes = defaultdict(dict)
    for (pid, person), n in cells.items():
        if person and is_customer(person):
            votes[pid][person] = n
    stands_for = {pid: min(v.items(), key=lambda kv: (-kv[1], kv[0]))[0] for pid, v in votes.items()}
    profiles_per_person = Counter(stands_for.values())

    # ---- segments
    true_members = defaultdict(set)
    for r in read_csv(os.path.join(truth_dir, "segments.csv")):
        true_members[r["segment"]].add(r["person_id"])
    out_members = defaultdict(set)
    for seg, pid in db.execute("SELECT segment, profile_id FROM segment_membership"):
        out_members[seg].add(str(pid))
    segments = {}
    for seg in SEGMENTS + sorted((set(true_members) | set(out_members)) - set(SEGMENTS)):
        credited = set()
        no_one = duplicate = 0
        for pid in out_members.get(seg, ()):
            person = stands_for.get(pid)
            if person is None:
                no_one += 1
            elif person in credited:
                duplicate += 1
            elif person in true_members.get(seg, ()):
                credited.add(person)
        s = prf(len(credited), len(out_members.get(seg, ())), len(true_members.get(seg, ())))
        s["fp_no_person"] = no_one
        s["fp_duplicate_profile"] = duplicate
        segments[seg] = s

    # ---- golden e-mail and phone
    pcols = columns(db, "profiles")
    email_col = "email" if "email" in pcols else None
    phone_col = next((c for c in ("phone", "phone_e164") if c in pcols), None)
    person_emails, person_phones = {}, {}
    for r in read_csv(os.path.join(truth_dir, "persons.csv")):
        person_emails[r["person_id"]] = {norm_email(e) for e in (r.get("emails") or "").split(";") if norm_email(e)}
        person_phones[r["person_id"]] = {norm_phone(p) for p in (r.get("phones") or "").split(";") if norm_phone(p)}
    golden = {}
    for name, col, values, norm in (("email", email_col, person_emails, norm_email),
                                    ("phone", phone_col, person_phones, norm_phone)):
        eligible = filled = correct = 0
        if col:
            for pid, value in db.execute(f'SELECT profile_id, "{col}" FROM profiles'):
                person = stands_for.get(str(pid))
                if person is None or not values.get(person):
                    continue
                eligible += 1
                v = norm(value if value is None else str(value))
                if v is None:
                    continue
                filled += 1
                correct += v in values[person]
        golden[name] = {"column": col, "eligible": eligible, "filled": filled, "correct": correct,
                        "coverage": ratio(filled, eligible), "accuracy": ratio(correct, filled)}

    n_profiles = db.execute("SELECT count(*) FROM profiles").fetchone()[0]
    db.close()
    return {
        "output": out_path, "truth": truth_dir,
        "records": {"truth": len(truth), "output_rows": out_rows, "output_duplicate_keys": out_dupes,
                    "output_not_in_truth": out_unknown, "truth_missing_from_output": missing,
                    "truth_missing_by_source": dict(sorted(by_source_missing.items())),
                    "output_without_profile": out_null},
        "entities": {"truth_persons": sum(1 for p in true_sizes if is_customer(p)),
                     "truth_visitors": sum(1 for p in true_sizes if not is_customer(p)),
                     "truth_walk_in_records": sum(1 for p in truth.values() if not p),
                     "output_profiles": n_profiles,
                     "profiles_standing_for_a_person": len(stands_for),
                     "persons_with_several_profiles": sum(1 for n in profiles_per_person.values() if n > 1)},
        "pairwise": pairwise,
        "segments": segments,
        "golden": golden,
    }


def fmt(x, digits=4):
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return f"{x:,}"


def table(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, r in enumerate(rows):
        lines.append("  ".join(str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(r)))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(s):
    r, e, p = s["records"], s["entities"], s["pairwise"]
    out = [f"output {s['output']}  truth {s['truth']}", ""]
    out.append(table([
        ("records", "count"),
        ("in truth", fmt(r["truth"])),
        ("output rows", fmt(r["output_rows"])),
        ("output not in truth", fmt(r["output_not_in_truth"])),
        ("truth missing from output", fmt(r["truth_missing_from_output"])
         + (" (" + ", ".join(f"{k} {v:,}" for k, v in r["truth_missing_by_source"].items()) + ")"
            if r["truth_missing_by_source"] else "")),
        ("output without profile", fmt(r["output_without_profile"])),
        ("output duplicate keys", fmt(r["output_duplicate_keys"])),
        ("true customers / visitors", f"{e['truth_persons']:,} / {e['truth_visitors']:,}"),
        ("output profiles", fmt(e["output_profiles"])),
        ("profiles standing for a customer", fmt(e["profiles_standing_for_a_person"])),
        ("customers with several profiles", fmt(e["persons_with_several_profiles"])),
    ]))
    out.append("")
    rows = [("", "precision", "recall", "F1", "tp", "predicted", "true")]
    rows.append(("pairwise", fmt(p["precision"]), fmt(p["recall"]), fmt(p["f1"]),
                 fmt(p["tp"]), fmt(p["predicted"]), fmt(p["true"])))
    for seg, m in s["segments"].items():
        rows.append((seg, fmt(m["precision"]), fmt(m["recall"]), fmt(m["f1"]),
                     fmt(m["tp"]), fmt(m["predicted"]), fmt(m["true"])))
    out.append(table(rows))
    out.append("")
    rows = [("golden", "accuracy", "coverage", "correct", "filled", "eligible", "column")]
    for name, g in s["golden"].items():
        rows.append((name, fmt(g["accuracy"]), fmt(g["coverage"]), fmt(g["correct"]), fmt(g["filled"]),
                     fmt(g["eligible"]), g["column"] or "(none)"))
    out.append(table(rows))
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="output SQLite (profile_records, profiles, segment_membership)")
    ap.add_argument("truth", help="the generator's truth/ folder")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    ap.add_argument("--rename-source", action="append", default=[], metavar="OUT=TRUTH",
                    help="an output source name that the truth calls otherwise (repeatable)")
    a = ap.parse_args(argv)
    rename = dict(x.split("=", 1) for x in a.rename_source)
    s = score(a.out, a.truth, rename)
    print(json.dumps(s, indent=1) if a.json else report(s))


if __name__ == "__main__":
    main()
