#!/usr/bin/env python3
"""Check a generated Acme export (tributary-bench generate --shape acme) against its truth/.

Re-parses every file independently of the generator (csv module for the CRM, JSON lines for the
events, '|' rows for the current tills, fixed width for the legacy tills), decides for each record
whether it is valid, invalid or a duplicate copy by the rules of SampleData/acme/README.md, and
compares keys, lines and counts with truth/records.csv, invalid.csv, duplicates.csv and counts.csv.
Also checks the legacy trailers and the shape of the files (names, headers, encodings), and
recomputes the four segments from the parsed valid records (person ids from truth/records.csv)
and compares them with truth/segments.csv. Set ACME_AS_OF=YYYY-MM-DD if generated with --as-of.

Usage: Scripts/check_acme_truth.py DIR      (exit 0 when everything agrees)
"""
import csv
import glob
import gzip
import json
import os
import re
import sys
from collections import Counter, defaultdict
from decimal import Decimal

CRM_HEADER = ["Contact ID", "First Name", "Last Name", "Email", "Phone", "Mobile", "Mailing Street", "Mailing City",
              "Mailing Postal Code", "Mailing Country", "Birthdate", "Lead Source", "Created Date",
              "Last Modified Date", "Opt In Email"]
POS_HEADER = ("store_id|register|txn_id|txn_ts|loyalty_card|customer_name|phone|email_on_receipt|sku|qty|"
              "unit_price|amount_cents|card_last4|tender")


class Found:
    def __init__(self):
        self.valid = {}          # (source, key) -> (file, line)
        self.invalid = set()     # (source, file, line)
        self.spans = []          # (source, file, first, last) of invalid records
        self.duplicates = set()  # (source, key, file, line)
        self.problems = []
        self.crm_rows = {}       # Contact ID -> row, valid rows
        self.web = []            # (messageId, event, timestamp text, properties) of valid first copies
        self.store = []          # (source, key, store id, local 'YYYY-MM-DD HH:MM', qty, amount)

    def problem(self, text):
        self.problems.append(text)


def check_crm(d, f):
    path = os.path.join(d, "crm_contacts.csv")
    raw = open(path, "rb").read()
    if not raw.startswith(b"\xef\xbb\xbf"):
        f.problem("crm: no byte-order mark")
    if b"\r\n" not in raw[:400]:
        f.problem("crm: header not CRLF-terminated")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        if header != CRM_HEADER:
            f.problem("crm: header differs: %r" % header)
        prev = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                f.problem("crm: csv error at line %d: %s" % (reader.line_num, e))
                break
            start, end = prev + 1, reader.line_num
            prev = reader.line_num
            if len(row) == 15:
                key = row[0]
                if ("crm", key) in f.valid:
                    f.problem("crm: Contact ID %s twice" % key)
                f.valid[("crm", key)] = ("crm_contacts.csv", start)
                f.crm_rows[key] = row
            else:
                f.invalid.add(("crm", "crm_contacts.csv", start))
                f.spans.append(("crm", "crm_contacts.csv", start, end))


def event_valid(line):
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None, "invalid_utf8"
    try:
        o = json.loads(text)
    except ValueError:
        return None, "not_json"
    if not isinstance(o, dict):
        return None, "not_json"
    if o.get("type") not in ("identify", "track", "page"):
        return None, "bad_type"
    mid = o.get("messageId")
    if not isinstance(mid, str) or not mid:
        return None, "empty_message_id"
    ts = o.get("timestamp")
    if not isinstance(ts, str) or not ts:
        return None, "empty_timestamp"
    uid, aid = o.get("userId"), o.get("anonymousId")
    if not ((isinstance(uid, str) and uid) or (isinstance(aid, str) and aid)):
        return None, "no_identity"
    if o["type"] == "track" and not (isinstance(o.get("event"), str) and o.get("event")):
        return None, "track_without_event"
    return o, None


def check_events(d, f, reasons):
    names = sorted(os.listdir(os.path.join(d, "events")), key=lambda n: n.split(".")[0])
    plain = [n for n in names if n.endswith(".jsonl")]
    gz = [n for n in names if n.endswith(".jsonl.gz")]
    if len(plain) != 60 or len(gz) != 30 or len(names) != 90:
        f.problem("events: expected 60 .jsonl and 30 .jsonl.gz, found %d and %d" % (len(plain), len(gz)))
    if gz and plain and max(gz) > min(plain):
        f.problem("events: a gzipped file is newer than a plain one")
    for n in names:
        if not re.fullmatch(r"events-\d{4}-\d\d-\d\d\.jsonl(\.gz)?", n):
            f.problem("events: bad file name " + n)
    for n in names:
        path = os.path.join(d, "events", n)
        data = gzip.open(path).read() if n.endswith(".gz") else open(path, "rb").read()
        rel = "events/" + n
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        for i, line in enumerate(lines, 1):
            o, reason = event_valid(line)
            if o is None:
                f.invalid.add(("events", rel, i))
                reasons[("events", rel, i)] = reason
                continue
            key = ("events", o["messageId"])
            if key in f.valid:
                f.duplicates.add(("events", o["messageId"], rel, i))
            else:
                f.valid[key] = (rel, i)
                if o["type"] == "track" and o.get("event") in ("Product Added", "Order Completed"):
                    f.web.append((o["messageId"], o["event"], o["timestamp"], o.get("properties") or {}))


def check_pos(d, f):
    names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(d, "pos", "pos_transactions_*.txt")))
    for n in names:
        if not re.fullmatch(r"pos_transactions_\d{4}-\d\d\.txt", n):
            f.problem("pos: bad file name " + n)
        rel = "pos/" + n
        data = open(os.path.join(d, "pos", n), "rb").read()
        if b"\r" in data:
            f.problem(rel + ": CR in file")
        text = data.decode("latin-1")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if not lines or lines[0] != POS_HEADER:
            f.problem(rel + ": header differs")
        current, count = None, 0
        for i, line in enumerate(lines, 1):
            if line == POS_HEADER:
                current, count = None, 0
                continue
            fields = line.split("|")
            ok = len(fields) == 14 and re.fullmatch(r"-?\d+", fields[11]) is not None
            if ok:
                try:
                    ok = int(fields[11]) == int(Decimal(fields[9]) * Decimal(fields[10]) * 100)
                except Exception:
                    ok = False
            if not ok:
                f.invalid.add(("pos", rel, i))
                current, count = None, 0
                continue
            if fields[2] != current:
                current, count = fields[2], 0
            count += 1
            key = ("pos", "%s:%d" % (current, count))
            if key in f.valid:
                f.duplicates.add(("pos", key[1], rel, i))
            else:
                f.valid[key] = (rel, i)
                m, dd, rest = fields[3][:2], fields[3][3:5], fields[3][6:]
                f.store.append(("pos", key[1], fields[0], "%s-%s-%s" % (rest[:4], m, dd) + rest[4:], int(fields[9]), int(fields[11])))


NUMERIC = [(15, 18), (18, 26), (26, 30), (137, 141), (141, 149), (149, 158)]


def check_legacy(d, f):
    names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(d, "pos", "pos_legacy_*.dat")))
    for n in names:
        if not re.fullmatch(r"pos_legacy_\d{6}\.dat", n):
            f.problem("pos_legacy: bad file name " + n)
        rel = "pos/" + n
        data = open(os.path.join(d, "pos", n), "rb").read()
        if not data.endswith(b"\r\n"):
            f.problem(rel + ": last record without CRLF")
        records = data.split(b"\r\n")[:-1]
        block, count, total = None, 0, 0
        for i, rec in enumerate(records, 1):
            if len(rec) != 164 or b"\x00" in rec or any(b > 0x7E for b in rec):
                f.invalid.add(("pos_legacy", rel, i))
                continue
            kind = rec[:1]
            if kind == b"H":
                block, count, total = (rec[1:5], rec[5:13]), 0, 0
                if rec[13:25] != b"LEGACYPOS2.3":
                    f.problem("%s:%d: H without LEGACYPOS2.3" % (rel, i))
            elif kind == b"T":
                if block != (rec[1:5], rec[5:13]):
                    f.problem("%s:%d: trailer does not close its header" % (rel, i))
                if int(rec[13:20]) != count or int(rec[20:32]) != total:
                    f.problem("%s:%d: trailer %s/%s, valid D records %d/%d" % (rel, i, rec[13:20], rec[20:32], count, total))
                block = None
            elif kind == b"D":
                if any(re.fullmatch(rb"-?\d+", rec[a:b]) is None for a, b in NUMERIC):
                    f.invalid.add(("pos_legacy", rel, i))
                    continue
                if (rec[1:5], rec[18:26]) != block:
                    f.problem("%s:%d: D outside its block" % (rel, i))
                count += 1
                total += int(rec[149:158])
                qty, unit, amount = int(rec[137:141]), int(rec[141:149]), int(rec[149:158])
                if qty * unit != amount:
                    f.problem("%s:%d: amount != qty x unit price" % (rel, i))
                key = ("pos_legacy", "%s-%s:%d" % (rec[1:5].decode(), rec[7:15].decode(), int(rec[15:18])))
                if key in f.valid:
                    f.duplicates.add(("pos_legacy", key[1], rel, i))
                else:
                    f.valid[key] = (rel, i)
                    dt = rec[18:26].decode()
                    tm = rec[26:30].decode()
                    f.store.append(("pos_legacy", key[1], rec[1:5].decode(),
                                    "%s-%s-%s %s:%s" % (dt[:4], dt[4:6], dt[6:], tm[:2], tm[2:]), qty, amount))
            else:
                f.invalid.add(("pos_legacy", rel, i))


def instant(text):
    """A timestamp with Z or an offset -> epoch seconds (float)."""
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def crm_instant(text):
    from datetime import datetime, timezone
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%m/%d/%Y %I:%M %p", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            pass
    raise ValueError(text)


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def recompute_segments(d, f, t_records):
    """The four segments from the parsed valid records, with person ids from truth/records.csv."""
    from datetime import datetime, date
    from zoneinfo import ZoneInfo
    y, m, dd = map(int, os.environ.get("ACME_AS_OF", "2024-11-15").split("-"))
    D = datetime(y, m, dd, tzinfo=ZoneInfo("UTC")).timestamp()
    zones = {r["store_id"]: ZoneInfo(r["timezone"]) for r in read_csv(os.path.join(d, "pos/stores.csv"))}
    spend, last_purchase, last_add, last_order = Counter(), {}, {}, {}
    for src, key, store, local, qty, amount in f.store:
        pid = t_records.get((src, key), "")
        if not pid.startswith("p"):
            continue
        t = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=zones[store]).timestamp()
        spend[pid] += amount
        if qty > 0:
            last_purchase[pid] = max(last_purchase.get(pid, -1e18), t)
    for mid, event, ts, props in f.web:
        pid = t_records.get(("events", mid), "")
        if not pid.startswith("p"):
            continue
        t = instant(ts)
        if event == "Product Added":
            last_add[pid] = max(last_add.get(pid, -1e18), t)
        else:
            spend[pid] += int(Decimal(str(props["revenue"])) * 100)
            last_order[pid] = max(last_order.get(pid, -1e18), t)
            last_purchase[pid] = max(last_purchase.get(pid, -1e18), t)
    optin, has_email = {}, set()
    yes, no = {"true", "TRUE", "Yes", "1"}, {"false", "FALSE", "No", "0"}
    for cid, row in f.crm_rows.items():
        pid = t_records.get(("crm", cid), "")
        if EMAIL.match(row[3].strip().lower()):
            has_email.add(pid)
        if row[14] in yes or row[14] in no:
            t = crm_instant(row[13])
            if pid not in optin or t > optin[pid][0]:
                optin[pid] = (t, row[14] in yes)
    seg = set()
    for pid, t in last_add.items():
        if t >= D - 7 * 86400 and last_order.get(pid, -1e18) <= t:
            seg.add(("cart_abandoners_7d", pid))
    seg |= {("high_value", p) for p, v in spend.items() if v >= 50000}
    seg |= {("lapsed_90d", p) for p, t in last_purchase.items() if t < D - 90 * 86400}
    seg |= {("email_reachable", p) for p, (t, v) in optin.items() if v and p in has_email}
    return seg


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    d = sys.argv[1]
    f = Found()
    reasons = {}
    check_crm(d, f)
    check_events(d, f, reasons)
    check_pos(d, f)
    check_legacy(d, f)
    for extra in ["pos/stores.csv", "pos/pos_legacy_layout.txt"]:
        if not os.path.exists(os.path.join(d, extra)):
            f.problem("missing " + extra)

    t_records = {(r["source"], r["record_key"]): r["person_id"] for r in read_csv(os.path.join(d, "truth/records.csv"))}
    t_invalid_rows = read_csv(os.path.join(d, "truth/invalid.csv"))
    t_dups = {(r["source"], r["record_key"], r["file"], int(r["line"])) for r in read_csv(os.path.join(d, "truth/duplicates.csv"))}
    t_counts = {r["source"]: r for r in read_csv(os.path.join(d, "truth/counts.csv"))}

    # Swallowed CRM rows: the CSV reader sees them inside the record that swallowed them.
    t_invalid = set()
    for r in t_invalid_rows:
        key = (r["source"], r["file"], int(r["line"]))
        if r["reason"] == "swallowed_by_quote":
            if not any(s[0] == key[0] and s[1] == key[1] and s[2] < key[2] <= s[3] for s in f.spans):
                f.problem("swallowed row %r is not inside a broken record" % (key,))
            continue
        t_invalid.add(key)
        if key in reasons and reasons[key] != r["reason"]:
            f.problem("events reason at %s:%d: parsed %s, truth %s" % (key[1], key[2], reasons[key], r["reason"]))

    def compare(name, found, truth):
        missing, extra = truth - found, found - truth
        if missing:
            f.problem("%s: %d in truth but not found, e.g. %s" % (name, len(missing), sorted(missing)[:3]))
        if extra:
            f.problem("%s: %d found but not in truth, e.g. %s" % (name, len(extra), sorted(extra)[:3]))

    compare("valid records", set(f.valid), set(t_records))
    compare("invalid records", f.invalid, t_invalid)
    compare("duplicates", f.duplicates, t_dups)

    sources = ["crm", "events", "pos", "pos_legacy"]
    found_counts = {s: (sum(1 for k in f.valid if k[0] == s),
                        sum(1 for r in t_invalid_rows if r["source"] == s),
                        sum(1 for k in f.duplicates if k[0] == s)) for s in sources}
    parsed_invalid = Counter(k[0] for k in f.invalid)
    for s in sources:
        row = t_counts.get(s)
        if row is None:
            f.problem("counts.csv: no row for " + s)
            continue
        v, i, du = found_counts[s]
        if (int(row["valid"]), int(row["invalid"]), int(row["duplicates"])) != (v, i, du):
            f.problem("counts.csv %s: %s/%s/%s, files %d/%d/%d" % (s, row["valid"], row["invalid"], row["duplicates"], v, i, du))

    # Person ids and the other truth files.
    for (s, k), pid in t_records.items():
        if not (pid == "" or re.fullmatch(r"[pv]\d{7}", pid)):
            f.problem("records.csv: bad person_id %r" % pid)
            break
        if pid.startswith("v") and s != "events":
            f.problem("records.csv: visitor outside events")
            break
    persons = {r["person_id"] for r in read_csv(os.path.join(d, "truth/persons.csv"))}
    for r in read_csv(os.path.join(d, "truth/segments.csv")):
        if r["person_id"] not in persons or r["segment"] not in ("cart_abandoners_7d", "high_value", "lapsed_90d", "email_reachable"):
            f.problem("segments.csv: bad row %r" % r)
            break

    truth_segments = {(r["segment"], r["person_id"]) for r in read_csv(os.path.join(d, "truth/segments.csv"))}
    compare("segments (recomputed from the files)", recompute_segments(d, f, t_records), truth_segments)

    print("%-10s %9s %8s %10s   (parsed invalid records)" % ("source", "valid", "invalid", "duplicates"))
    for s in sources:
        v, i, du = found_counts[s]
        print("%-10s %9d %8d %10d   (%d)" % (s, v, i, du, parsed_invalid[s]))
    seg = Counter(r["segment"] for r in read_csv(os.path.join(d, "truth/segments.csv")))
    print("segments:", dict(sorted(seg.items())), "persons:", len(persons))
    if f.problems:
        print("\n%d problem(s):" % len(f.problems))
        for p in f.problems[:40]:
            print("  " + p)
        return 1
    print("OK: files agree with truth/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
