#!/usr/bin/env python3
"""Compare the shape of a generated Acme export with the real sample (SampleData/acme).

For each source it reduces values to shapes (digits -> 9, letters -> a) and compares file-name
patterns, headers, field counts, date/phone/opt-in forms, event keys per type and library,
timestamp forms, encodings and record lengths. Prints what the generated export has that the
sample lacks and the other way round (shapes seen once or twice in the sample are informative only).

Usage: Scripts/compare_acme_shape.py SAMPLE_DIR GENERATED_DIR
"""
import csv
import gzip
import json
import os
import re
import sys
from collections import Counter


def shape(s):
    return re.sub(r"[A-Za-z]", "a", re.sub(r"\d", "9", s))


def names(d):
    out = Counter()
    for root, _, files in os.walk(d):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), d)
            if rel.startswith("truth") or rel.endswith(".md"):
                continue
            out[shape(rel)] += 1
    return out


def crm(d):
    s = {}
    with open(os.path.join(d, "crm_contacts.csv"), encoding="utf-8-sig", newline="") as fh:
        r = csv.reader(fh)
        s["header"] = Counter([tuple(next(r))])
        for k in ["fields", "created", "modified", "birth", "optin", "phone", "country"]:
            s[k] = Counter()
        for row in r:
            s["fields"][len(row)] += 1
            if len(row) != 15:
                continue
            s["created"][shape(row[12])] += 1
            s["modified"][shape(row[13])] += 1
            s["birth"][shape(row[10])] += 1
            s["optin"][row[14]] += 1
            s["phone"][re.sub(r"\d", "9", row[4])] += 1
            s["country"][row[9]] += 1
    return s


def events(d):
    s = {"keys": Counter(), "timestamp": Counter(), "receivedAt": Counter(), "messageId": Counter(), "anonymousId": Counter(), "userId": Counter()}
    for n in sorted(os.listdir(os.path.join(d, "events"))):
        p = os.path.join(d, "events", n)
        data = gzip.open(p).read() if n.endswith(".gz") else open(p, "rb").read()
        for line in data.split(b"\n"):
            try:
                o = json.loads(line)
            except Exception:
                continue
            if not isinstance(o, dict):
                continue
            lib = (o.get("context") or {}).get("library", {}).get("name")
            s["keys"][(o.get("type"), lib, tuple(o.keys()))] += 1
            s["timestamp"][(lib, shape(str(o.get("timestamp"))))] += 1
            s["receivedAt"][shape(str(o.get("receivedAt")))] += 1
            s["messageId"][(lib, shape(str(o.get("messageId"))))] += 1
            s["anonymousId"][(lib, shape(str(o.get("anonymousId"))))] += 1
            u = o.get("userId")
            s["userId"][shape(u) if isinstance(u, str) and "@" not in u else ("email" if u else repr(u))] += 1
    return s


def pos(d):
    s = {"header": Counter(), "fields": Counter(), "txn_ts": Counter(), "encoding": Counter(), "tender": Counter(), "card": Counter(), "legacy": Counter()}
    for n in sorted(os.listdir(os.path.join(d, "pos"))):
        data = open(os.path.join(d, "pos", n), "rb").read()
        if n.startswith("pos_transactions"):
            try:
                data.decode("ascii")
                s["encoding"]["ascii"] += 1
            except UnicodeDecodeError:
                try:
                    data.decode("utf-8")
                    s["encoding"]["utf-8 (not latin-1!)"] += 1
                except UnicodeDecodeError:
                    s["encoding"]["latin-1"] += 1
            lines = data.decode("latin-1").split("\n")
            s["header"][lines[0]] += 1
            for line in lines[1:]:
                if not line or line.startswith("store_id"):
                    continue
                f = line.split("|")
                s["fields"][len(f)] += 1
                if len(f) == 14:
                    s["txn_ts"][shape(f[3])] += 1
                    s["tender"][f[13]] += 1
                    s["card"][shape(f[4])] += 1
        elif n.endswith(".dat"):
            for rec in data.split(b"\r\n")[:-1]:
                s["legacy"][(rec[:1].decode("latin-1"), len(rec))] += 1
    return s


def compare(title, a, b):
    only_b = [k for k in b if k not in a]
    only_a = [k for k in a if k not in b and a[k] > 2]
    status = "same" if not only_b and not only_a else "differs"
    print("%-22s %s (sample %d kinds, generated %d)" % (title, status, len(a), len(b)))
    for k in only_b[:8]:
        print("    generated only: %r x%d" % (k, b[k]))
    for k in only_a[:8]:
        print("    sample only:    %r x%d" % (k, a[k]))


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    sample, gen = sys.argv[1], sys.argv[2]
    compare("file names", names(sample), names(gen))
    for label, fn in [("crm", crm), ("events", events), ("pos", pos)]:
        a, b = fn(sample), fn(gen)
        for k in a:
            compare("%s %s" % (label, k), a[k], b[k])
    return 0


if __name__ == "__main__":
    sys.exit(main())
