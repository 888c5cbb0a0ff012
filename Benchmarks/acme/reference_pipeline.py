#!/usr/bin/env python3
"""Reference ("anchor") CDP pipeline: Python parsers + DuckDB transforms + Splink 5 matching.

usage: reference_pipeline.py DATA_DIR OUT.sqlite [--threshold 0.99] [--workers 2] [--as-of YYYY-MM-DD]

Copied from ../shared/bench/reference-pipeline/ (see README.md beside this file); the only change
is the --as-of option, which sets T_ASOF (the segment snapshot, 00:00Z of that day).

Phases: load (parse + validate + dedupe all four sources), standardize, deterministic
(union-find over strong identifiers), splink (EM-trained Fellegi-Sunter over person-bearing
records), clustering (combine links -> connected components -> profile ids), segments
(DuckDB SQL), write (SQLite).
"""
import argparse, csv, difflib, glob, gzip, io, json, logging, os, re, sqlite3, sys, time, unicodedata
from collections import Counter, defaultdict
from datetime import datetime, timezone, timedelta
from multiprocessing import Pool
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

T_ASOF = datetime(2024, 11, 15, tzinfo=timezone.utc)
T_MS = int(T_ASOF.timestamp() * 1000)
DAY_MS = 86400_000

TIMES = {}


class Phase:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.t = time.perf_counter()

    def __exit__(self, *a):
        TIMES[self.name] = TIMES.get(self.name, 0) + time.perf_counter() - self.t
        print(f"[phase] {self.name}: {TIMES[self.name]:.2f}s", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- standardizers
EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def std_email(s):
    """Return lower-cased trimmed e-mail if syntactically valid, else None."""
    if not s:
        return None
    s = s.strip().lower()
    return s if EMAIL_RE.match(s) else None


def email_match_key(e):
    """Matching key: gmail ignores dots and +tags in the local part."""
    if not e:
        return None
    local, _, dom = e.partition("@")
    local = local.split("+", 1)[0]
    if dom in ("gmail.com", "googlemail.com"):
        local = local.replace(".", "")
        dom = "gmail.com"
    return local + "@" + dom


COUNTRY = {}
for canon, aliases in {
    "US": ["", "us", "usa", "united states", "united states of america", "u.s.", "u.s.a."],
    "CA": ["ca", "can", "canada"],
    "GB": ["gb", "uk", "united kingdom", "england", "great britain"],
    "DE": ["de", "germany", "deutschland"],
    "MX": ["mx", "mexico", "méxico"],
    "IE": ["ie", "ireland"],
}.items():
    for a in aliases:
        COUNTRY[a] = canon
CC = {"US": "1", "CA": "1", "GB": "44", "DE": "49", "MX": "52", "IE": "353"}
EXT_RE = re.compile(r"\s*(?:x|ext\.?|extension)\s*\d+\s*$", re.I)
NONDIG = re.compile(r"\D")


def std_country(c):
    if c is None:
        return "US"
    return COUNTRY.get(c.strip().lower(), c.strip().upper()[:2] or "US")


def std_phone(s, country="US"):
    """E.164 or None. NANP formats, +international, national formats given a country."""
    if not s:
        return None
    s = EXT_RE.sub("", s.strip())
    if not s:
        return None
    d = NONDIG.sub("", s)
    if s.startswith("+"):
        if d.startswith("1") and len(d) != 11:
            return None
        return "+" + d if 8 <= len(d) <= 15 else None
    if country in ("US", "CA"):
        if len(d) == 11 and d[0] == "1":
            d = d[1:]
        if len(d) == 10 and d[0] in "23456789":
            return "+1" + d
        return None
    cc = CC.get(country)
    if not cc:
        return None
    if country == "MX":
        if len(d) == 10:
            return "+52" + d
        return None
    if d.startswith("00"):
        return "+" + d[2:]
    if d.startswith("0"):
        d = d[1:]
    return "+" + cc + d if 6 <= len(d) <= 12 else None


def fold(s):
    """NFC -> accent-fold -> case-fold; keep letters/digits/space."""
    if not s:
        return ""
    s = unicodedata.normalize("NFKD", s.replace("’", "'"))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = re.sub(r"\s+", " ", s).casefold().replace("ß", "ss").replace("ø", "o").replace("ł", "l").replace("đ", "d")
    return re.sub(r"[^a-z0-9? ]+", "", s.replace("-", " ").replace(".", " ").replace(",", " ")).strip()


SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
NICK = {}
NICKS = defaultdict(set)
for canon, nicks in {
    "robert": "bob bobby rob robbie bert", "william": "bill billy will willy liam",
    "elizabeth": "liz lizzie beth betty eliza libby", "james": "jim jimmy jamie",
    "michael": "mike mikey mick", "david": "dave davey", "daniel": "dan danny",
    "thomas": "tom tommy", "christopher": "chris kit", "matthew": "matt", "joseph": "joe joey",
    "anthony": "tony", "steven": "steve", "stephen": "steve", "katherine": "kate katie kathy kat",
    "catherine": "cathy cate", "jennifer": "jen jenny", "susan": "sue susie", "richard": "rick ricky rich dick",
    "edward": "ed eddie ted", "andrew": "andy drew", "nicholas": "nick nicky", "alexander": "alex",
    "samuel": "sam sammy", "benjamin": "ben benny", "gregory": "greg", "john": "johnny jack jon",
    "charles": "charlie chuck chas", "patricia": "pat patty trish", "patrick": "pat", "margaret": "peggy maggie meg",
    "jessica": "jess jessie", "abigail": "abby", "rebecca": "becky becca", "victoria": "vicky tori",
    "deborah": "debbie deb", "amanda": "mandy", "nathan": "nate", "timothy": "tim timmy",
    "kenneth": "ken kenny", "lawrence": "larry", "gerald": "jerry", "ronald": "ron ronnie",
    "donald": "don donnie", "frederick": "fred freddie", "henry": "hank harry", "joshua": "josh",
    "zachary": "zach zack", "sandra": "sandy", "cynthia": "cindy", "pamela": "pam", "christina": "tina",
    "jose": "pepe", "eduardo": "lalo", "francisco": "paco pancho", "ignacio": "nacho", "jesus": "chuy",
    "guadalupe": "lupe", "guillermo": "memo", "roberto": "beto", "alberto": "beto", "alejandro": "alex",
    "enrique": "kike", "manuel": "manolo", "dorothy": "dot dottie", "barbara": "barb", "kimberly": "kim",
    "anne": "annie", "ann": "annie", "jacob": "jake", "jonathan": "jon", "benedict": "ben",
    "douglas": "doug", "raymond": "ray", "philip": "phil", "phillip": "phil", "eugene": "gene",
    "theodore": "ted teddy theo", "samantha": "sam", "natalie": "nat", "stephanie": "steph",
    "rachel": "rach", "melissa": "mel missy", "emily": "em emmy", "madison": "maddie",
    "olivia": "liv", "isabella": "bella izzy", "sophia": "sophie", "gabriel": "gabe",
    "vincent": "vince", "jeffrey": "jeff", "kevin": "kev", "brian": "bri", "terrence": "terry",
    "leonard": "len lenny leo", "walter": "walt wally", "albert": "al bert", "arthur": "art",
    "ernest": "ernie", "harold": "hal harry", "louis": "lou", "frank": "frankie", "peter": "pete",
    "mark": "marky", "scott": "scotty", "tyler": "ty", "wolfgang": "wolf", "johann": "hans",
}.items():
    for n in nicks.split():
        NICK.setdefault(n, canon)
        NICKS[n].add(canon)
        NICKS[canon].add(canon)


def names_compatible(a, b):
    """Could first names a and b belong to the same person (nickname, prefix, typo)?"""
    if not a or not b or a == b:
        return True
    if (NICKS.get(a, {a}) | {a}) & (NICKS.get(b, {b}) | {b}):
        return True
    if len(a) >= 3 and len(b) >= 3 and (a.startswith(b) or b.startswith(a)):
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.75


def split_name(first, last):
    """-> (first_f, first_canon, last_f, suffix) folded."""
    f = fold(first)
    l = fold(last)
    suffix = ""
    lt = l.split()
    if lt and lt[-1] in SUFFIXES:
        suffix = lt.pop()
    ft = f.split()
    if ft and ft[-1] in SUFFIXES:
        suffix = suffix or ft[-1]
        ft.pop()
    # drop middle initials ("robert j")
    ft = [t for t in ft if len(t) > 1] or ft
    f1 = ft[0] if ft else ""
    last_f = "".join(lt)
    return f1, NICK.get(f1, f1), last_f, suffix


def parse_pos_name(n):
    n = (n or "").strip()
    if not n:
        return "", ""
    if "," in n:
        last, first = n.split(",", 1)
        return first.strip(), last.strip()
    parts = n.split()
    return parts[0], " ".join(parts[1:])


STREET_ABBR = {"street": "st", "avenue": "ave", "av": "ave", "boulevard": "blvd", "road": "rd", "drive": "dr",
               "lane": "ln", "circle": "cir", "court": "ct", "place": "pl", "apartment": "apt", "suite": "ste",
               "north": "n", "south": "s", "east": "e", "west": "w", "strasse": "str", "parkway": "pkwy",
               "terrace": "ter", "highway": "hwy"}


def std_street(s):
    s = fold((s or "").replace("#", " apt "))
    return " ".join(STREET_ABBR.get(t, t) for t in s.split()) or None


def std_zip(z, country):
    z = (z or "").strip().upper()
    if not z:
        return None
    if country in ("US", "MX"):
        d = z.split("-")[0]
        if d.isdigit() and len(d) <= 5:
            return d.zfill(5)
        return None
    return z.replace(" ", "")


def std_dob(s):
    s = (s or "").strip()
    if not s:
        return None
    try:
        if "/" in s:
            m, d, y = s.split("/")
            return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"
        datetime.strptime(s, "%Y-%m-%d")
        return s
    except Exception:
        return None


def parse_crm_dt(s):
    s = (s or "").strip()
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%m/%d/%Y %I:%M %p", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(s, fmt).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            pass
    return None


def opt_in(s):
    s = (s or "").strip().lower()
    if s in ("true", "yes", "y", "1"):
        return 1
    if s in ("false", "no", "n", "0"):
        return 0
    return None


# ----------------------------------------------------------------------------- loaders
CRM_HEADER = ["Contact ID", "First Name", "Last Name", "Email", "Phone", "Mobile", "Mailing Street",
              "Mailing City", "Mailing Postal Code", "Mailing Country", "Birthdate", "Lead Source",
              "Created Date", "Last Modified Date", "Opt In Email"]
CID_RE = re.compile(r"^003[A-Za-z0-9]{15}$")


def load_crm(path, rejects):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8-sig")
    rows = []
    rd = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = None
    while True:
        try:
            r = next(rd)
        except StopIteration:
            break
        except csv.Error:
            rejects["crm_unparseable"] += 1
            continue
        if header is None:
            header = r
            continue
        if len(r) != 15 or not CID_RE.match(r[0]):
            rejects["crm_bad_columns"] += 1
            continue
        rows.append(r)
    return rows


def _parse_event_file(path):
    op = gzip.open if path.endswith(".gz") else open
    out, bad = [], Counter()
    with op(path, "rb") as f:
        for raw in f:
            try:
                o = json.loads(raw.decode("utf-8"))
            except Exception:
                bad["event_bad_json_or_utf8"] += 1
                continue
            if not isinstance(o, dict):
                bad["event_not_object"] += 1
                continue
            typ, mid, ts = o.get("type"), o.get("messageId"), o.get("timestamp")
            uid, aid = o.get("userId"), o.get("anonymousId")
            if (typ not in ("identify", "track", "page") or not mid or not ts or not (uid or aid)
                    or (typ == "track" and not o.get("event"))):
                bad["event_missing_required"] += 1
                continue
            try:
                tms = int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)
            except Exception:
                bad["event_bad_timestamp"] += 1
                continue
            ev = o.get("event") if typ == "track" else None
            rev = None
            tr = o.get("traits") if typ == "identify" else None
            if ev == "Order Completed":
                rv = (o.get("properties") or {}).get("revenue")
                try:
                    rev = int(round(float(rv) * 100))
                except Exception:
                    rev = 0
            t_email = t_phone = t_first = t_last = None
            if isinstance(tr, dict):
                t_email, t_phone = tr.get("email"), tr.get("phone")
                t_first, t_last = tr.get("firstName"), tr.get("lastName")
                if not (t_first or t_last) and tr.get("name"):
                    p = str(tr["name"]).split()
                    t_first, t_last = p[0], " ".join(p[1:])
            out.append((mid, typ, ev, uid or None, aid or None, tms, rev, t_email, t_phone, t_first, t_last))
    return out, bad


def load_events(d, rejects, workers):
    files = sorted(glob.glob(os.path.join(d, "events", "events-*.jsonl*")),
                   key=lambda p: os.path.basename(p).split(".")[0])
    with Pool(workers) as pool:
        parts = pool.map(_parse_event_file, files, chunksize=4)
    seen, rows = set(), []
    for out, bad in parts:
        rejects.update(bad)
        for r in out:
            if r[0] in seen:
                rejects["event_duplicate_messageId"] += 1
                continue
            seen.add(r[0])
            rows.append(r)
    return rows


POS_HEADER = "store_id|register|txn_id|txn_ts|loyalty_card|customer_name|phone|email_on_receipt|sku|qty|unit_price|amount_cents|card_last4|tender"
PRICE_RE = re.compile(r"^-?\d+\.\d\d$")
INT_RE = re.compile(r"^-?\d+$")


def load_stores(d):
    con = duckdb.connect()
    df = con.execute(f"select lpad(store_id::varchar,4,'0') sid, system, timezone from read_csv('{d}/pos/stores.csv', all_varchar=true)").fetchall()
    return {sid: ZoneInfo(tz) for sid, _, tz in df}


def load_pos(d, stores, rejects):
    files = sorted(glob.glob(os.path.join(d, "pos", "pos_transactions_*.txt")))
    seen_txn = set()
    lines, txns = [], {}   # lines: (key, txn_id, amount); txns: txn_id -> info
    tcache = {}
    for p in files:
        with open(p, "rb") as f:
            data = f.read().decode("latin-1")
        cur, cur_dup, n = None, False, 0
        for ln in data.split("\n"):
            if not ln:
                continue
            if ln.rstrip("\r") == POS_HEADER:
                continue
            fs = ln.rstrip("\r").split("|")
            if len(fs) != 14:
                rejects["pos_bad_field_count"] += 1
                continue
            sid, reg, txn, ts, card, name, phone, email, sku, qty, price, amt, l4, tender = fs
            ok = (txn.isdigit() and INT_RE.match(qty) and INT_RE.match(amt) and PRICE_RE.match(price))
            if ok:
                key = (sid, ts)
                if key not in tcache:
                    try:
                        tcache[key] = int(datetime.strptime(ts, "%m/%d/%Y %H:%M").replace(tzinfo=stores[sid]).timestamp() * 1000)
                    except Exception:
                        tcache[key] = None
                ok = tcache[key] is not None and int(amt) == round(int(qty) * float(price) * 100)
            if not ok:
                rejects["pos_invalid_row"] += 1
                continue
            if txn != cur:
                cur, n = txn, 0
                cur_dup = txn in seen_txn
                if not cur_dup:
                    seen_txn.add(txn)
                    txns[txn] = ("pos", sid, tcache[(sid, ts)], card.strip(), name.strip(), phone.strip(), email.strip(), 0)
            if cur_dup:
                rejects["pos_reexported_line"] += 1
                continue
            n += 1
            lines.append(("pos", f"{txn}:{n}", txn, int(amt)))
    return lines, txns


def load_legacy(d, stores, rejects):
    files = sorted(glob.glob(os.path.join(d, "pos", "pos_legacy_*.dat")))
    lines, txns, seen = [], {}, set()
    tcache = {}
    for p in files:
        with open(p, "rb") as f:
            data = f.read()
        for rec in data.split(b"\r\n"):
            if not rec:
                continue
            if len(rec) != 164 or b"\x00" in rec:
                rejects["legacy_bad_record"] += 1
                continue
            if rec[:1] != b"D":
                continue
            s = rec.decode("latin-1")
            sid, txn_no, line_no = s[1:5], s[7:15], s[15:18]
            date, tm, card = s[18:26], s[26:30], s[30:42].strip()
            last, first, phone, email = s[42:62].strip(), s[62:77].strip(), s[77:87].strip(), s[87:127].strip()
            qty, price, amt = s[137:141], s[141:149], s[149:158]
            if not (txn_no.isdigit() and line_no.isdigit() and INT_RE.match(qty.strip()) and price.isdigit()
                    and INT_RE.match(amt.strip()) and date.isdigit() and tm.isdigit()):
                rejects["legacy_non_numeric"] += 1
                continue
            key = f"{sid}-{txn_no}:{int(line_no)}"
            if key in seen:
                rejects["legacy_duplicate"] += 1
                continue
            seen.add(key)
            tk = f"{sid}-{txn_no}"
            if tk not in txns:
                ck = (sid, date, tm)
                if ck not in tcache:
                    tcache[ck] = int(datetime.strptime(date + tm, "%Y%m%d%H%M").replace(tzinfo=stores[sid]).timestamp() * 1000)
                txns[tk] = ("pos_legacy", sid, tcache[ck], card, (last + ", " + first) if (last or first) else "", phone, email, 1)
            lines.append(("pos_legacy", key, tk, int(amt)))
    return lines, txns


# ----------------------------------------------------------------------------- union-find
class UF:
    def __init__(self):
        self.p = {}

    def find(self, x):
        p = self.p
        if x not in p:
            p[x] = x
            return x
        r = x
        while p[r] != r:
            r = p[r]
        while p[x] != r:
            p[x], x = r, p[x]
        return r

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                ra, rb = rb, ra
            self.p[ra] = rb


# ----------------------------------------------------------------------------- main
def main():
    global T_ASOF, T_MS
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--threshold", type=float, default=0.99)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-splink", action="store_true")
    ap.add_argument("--as-of", default=T_ASOF.strftime("%Y-%m-%d"),
                    help="snapshot day D: segments are evaluated at D 00:00Z (default %(default)s)")
    a = ap.parse_args()
    try:
        T_ASOF = datetime.strptime(a.as_of, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        ap.error(f"--as-of wants YYYY-MM-DD, not {a.as_of!r}")
    T_MS = int(T_ASOF.timestamp() * 1000)
    t0 = time.perf_counter()
    rejects = Counter()

    with Phase("load"):
        stores = load_stores(a.data)
        crm = load_crm(os.path.join(a.data, "crm_contacts.csv"), rejects)
        events = load_events(a.data, rejects, a.workers)
        pos_lines, pos_txns = load_pos(a.data, stores, rejects)
        leg_lines, leg_txns = load_legacy(a.data, stores, rejects)
        txns = {**pos_txns, **leg_txns}
        print(f"loaded crm={len(crm)} events={len(events)} pos_lines={len(pos_lines)} legacy_lines={len(leg_lines)} "
              f"rejects={dict(rejects)}", file=sys.stderr)

    # ------------------------------------------------------------------ standardize
    # person-bearing "identity records": (rid, source, first, last, email, phone, zip, street, dob, suffix)
    with Phase("standardize"):
        idrecs = []   # dicts
        crm_info = []  # (cid, email_valid(bool), lastmod, optin)
        for r in crm:
            cid = r[0]
            country = std_country(r[9])
            f1, fc, lf, suf = split_name(r[1], r[2])
            em = std_email(r[3])
            ph = std_phone(r[4], country)
            mob = std_phone(r[5], country)
            idrecs.append(dict(rid="crm:" + cid, src="crm", first=f1, first_c=fc, last=lf, suffix=suf,
                               email=em, phone=mob or ph, phone2=ph if ph != mob else None,
                               zip=std_zip(r[8], country), street=std_street(r[6]), dob=std_dob(r[10]),
                               keys=["cid:" + cid]))
            crm_info.append((cid, em is not None, parse_crm_dt(r[13]), opt_in(r[14])))
        # all full e-mails seen, for resolving legacy e-mails truncated at 40 chars
        full_emails = defaultdict(set)
        for r in idrecs:
            if r["email"] and len(r["email"]) >= 40:
                full_emails[r["email"][:40]].add(r["email"])
        for ev in events:
            if ev[7]:
                e = std_email(ev[7])
                if e and len(e) >= 40:
                    full_emails[e[:40]].add(e)
        for tk, t in txns.items():
            if t[0] == "pos" and t[6]:
                e = std_email(t[6])
                if e and len(e) >= 40:
                    full_emails[e[:40]].add(e)
        # events: link keys
        ev_rows = []  # (messageId, typ, ev, tms, rev, nodekey)
        ev_pairs = set()
        uid_emails = set()
        for (mid, typ, ev, uid, aid, tms, rev, t_email, t_phone, t_first, t_last) in events:
            ukey = None
            if uid:
                u = str(uid).strip()
                if CID_RE.match(u):
                    ukey = "cid:" + u
                elif "@" in u:
                    e = std_email(u)
                    ukey = "em:" + email_match_key(e) if e else "usr:" + u
                    if e and (node_e := (ukey, e)) not in uid_emails:
                        uid_emails.add(node_e)
                        idrecs.append(dict(rid="uid:" + u, src="identify", first="", first_c="", last="", suffix="",
                                           email=e, phone=None, phone2=None, zip=None, street=None, dob=None,
                                           keys=[ukey]))
                else:
                    ukey = "usr:" + u
            akey = "anon:" + aid if aid else None
            node = akey or ukey
            if akey and ukey:
                ev_pairs.add((akey, ukey))
            ev_rows.append((mid, typ, ev, tms, rev, node))
            if typ == "identify":
                e = std_email(t_email)
                ph = std_phone(t_phone, "US") if t_phone else None
                f1, fc, lf, suf = split_name(t_first, t_last)
                if e or ph or f1 or lf:
                    idrecs.append(dict(rid="ev:" + mid, src="identify", first=f1, first_c=fc, last=lf, suffix=suf,
                                       email=e, phone=ph, phone2=None, zip=None, street=None, dob=None, keys=[node]))
        # POS transactions with identity
        for tk, (src, sid, tms, card, name, phone, email, legacy) in txns.items():
            if not (card or name or phone or email):
                continue
            first, last = parse_pos_name(name)
            f1, fc, lf, suf = split_name(first.replace("?", ""), last.replace("?", ""))
            e = None
            if email:
                el = email.strip().lower()
                if legacy and len(el) == 40:
                    cands = full_emails.get(el)
                    e = next(iter(cands)) if cands and len(cands) == 1 else None
                else:
                    e = std_email(el)
            ph = std_phone(phone, "US") if phone else None
            keys = ["txn:" + tk]
            if card:
                keys.append("card:" + card)
            idrecs.append(dict(rid="txn:" + tk, src=src, first=f1, first_c=fc, last=lf, suffix=suf, email=e, phone=ph,
                               phone2=None, zip=None, street=None, dob=None, keys=keys, qname="?" in name))

    # ------------------------------------------------------------------ deterministic
    with Phase("deterministic"):
        uf = UF()
        for k1, k2 in ev_pairs:
            uf.union(k1, k2)
        # phone guard: a phone carried by several distinct first names / birthdates is a shared line
        ph_names, ph_dobs = defaultdict(set), defaultdict(set)
        for r in idrecs:
            for ph in (r["phone"], r.get("phone2")):
                if not ph:
                    continue
                if r["first_c"] and not r.get("qname"):
                    ph_names[ph].add(r["first"])
                if r["dob"]:
                    ph_dobs[ph].add(r["dob"])
        def conflicting(names):
            names = sorted(names)
            return any(not names_compatible(x, y) for i, x in enumerate(names) for y in names[i + 1:])
        shared_phones = {p for p in set(ph_names) | set(ph_dobs) if len(ph_dobs[p]) > 1 or conflicting(ph_names[p])}
        for r in idrecs:
            ks = list(r["keys"])
            if r["email"]:
                ks.append("em:" + email_match_key(r["email"]))
            for ph in (r["phone"], r.get("phone2")):
                if ph and ph not in shared_phones:
                    ks.append("ph:" + ph)
            for k in ks[1:]:
                uf.union(ks[0], k)
            r["node"] = ks[0]
        print(f"phones shared/guarded: {len(shared_phones)}", file=sys.stderr)

    # ------------------------------------------------------------------ splink
    links = []
    with Phase("splink"):
        if not a.no_splink:
            links = run_splink(idrecs, uf, a.threshold)

    # ------------------------------------------------------------------ clustering
    with Phase("clustering"):
        # constrained union: links arrive best-first; refuse a merge that would put two
        # different birthdates or both a 'jr' and a 'sr' into one profile
        cdob, csuf = defaultdict(set), defaultdict(set)
        for r in idrecs:
            root = uf.find(r["node"])
            if r["dob"]:
                cdob[root].add(r["dob"])
            if r["suffix"]:
                csuf[root].add(r["suffix"])
        refused = 0
        for l, r in links:
            ra, rb = uf.find(l), uf.find(r)
            if ra == rb:
                continue
            d, sf = cdob[ra] | cdob[rb], csuf[ra] | csuf[rb]
            if len(d) > 1 or len(sf) > 1:
                refused += 1
                continue
            uf.union(ra, rb)
            nr = uf.find(ra)
            cdob[nr], csuf[nr] = d, sf
        print(f"splink merges refused by constraints: {refused}", file=sys.stderr)
        root2pid = {}

        def pid_of(node):
            r = uf.find(node)
            p = root2pid.get(r)
            if p is None:
                p = root2pid[r] = len(root2pid) + 1
            return p
        rec_rows = []
        for cid, *_ in crm_info:
            rec_rows.append(("crm", cid, pid_of("cid:" + cid)))
        ev_df_rows = []
        for mid, typ, ev, tms, rev, node in ev_rows:
            p = pid_of(node)
            rec_rows.append(("events", mid, p))
            if ev in ("Product Added", "Order Completed"):
                ev_df_rows.append((p, ev, tms, rev))
        txn_pid = {}
        for tk, t in txns.items():
            if t[3] or t[4] or t[5] or t[6]:
                txn_pid[tk] = pid_of("txn:" + tk)
        for src, key, tk, amt in pos_lines:
            rec_rows.append((src, key, txn_pid.get(tk)))
        for src, key, tk, amt in leg_lines:
            rec_rows.append((src, key, txn_pid.get(tk)))
        print(f"profiles={len(root2pid)}", file=sys.stderr)

    # ------------------------------------------------------------------ segments + golden records
    with Phase("segments"):
        con = duckdb.connect()
        con.execute("SET threads=%d" % a.workers)
        evdf = pd.DataFrame(ev_df_rows, columns=["profile_id", "event", "tms", "rev"])
        txdf = pd.DataFrame([(txn_pid[tk], t[2], tk) for tk, t in txns.items() if tk in txn_pid],
                            columns=["profile_id", "tms", "txn"])
        lndf = pd.DataFrame([(tk, amt) for _, _, tk, amt in pos_lines] + [(tk, amt) for _, _, tk, amt in leg_lines],
                            columns=["txn", "amt"])
        crmdf = pd.DataFrame([(pid_of("cid:" + c), ev, lm, oi) for c, ev, lm, oi in crm_info],
                             columns=["profile_id", "email_valid", "lastmod", "optin"])
        con.register("ev", evdf); con.register("tx", txdf); con.register("ln", lndf); con.register("crm", crmdf)
        T, T7, T90 = T_MS, T_MS - 7 * DAY_MS, T_MS - 90 * DAY_MS
        seg = con.execute(f"""
          with txnet as (select tx.profile_id, tx.tms, sum(ln.amt) net from tx join ln using (txn) group by all),
          purchases as (select profile_id, tms from txnet where net > 0
                        union all select profile_id, tms from ev where event='Order Completed'),
          spend as (select profile_id, sum(v) s from (select profile_id, net v from txnet
                        union all select profile_id, rev from ev where event='Order Completed') group by 1),
          adds as (select profile_id, max(tms) last_add from ev where event='Product Added' and tms >= {T7} and tms < {T} group by 1),
          cart as (select a.profile_id from adds a where not exists (select 1 from ev o where o.profile_id=a.profile_id
                        and o.event='Order Completed' and o.tms > a.last_add and o.tms < {T})),
          optl as (select profile_id, arg_max(optin, lastmod) o from crm where optin is not null group by 1),
          reach as (select o.profile_id from optl o where o.o = 1 and exists (select 1 from crm c where c.profile_id=o.profile_id and c.email_valid))
          select 'cart_abandoners_7d', profile_id from cart
          union all select 'high_value', profile_id from spend where s >= 50000
          union all select 'lapsed_90d', profile_id from purchases group by 1,2 having max(tms) < {T90}
          union all select 'email_reachable', profile_id from reach
        """).fetchall()
        # golden record: most frequent valid e-mail / phone, CRM first, then identify, then POS
        prio = {"crm": 0, "identify": 1, "pos": 2, "pos_legacy": 3}
        em_c, ph_c, name_c = defaultdict(Counter), defaultdict(Counter), {}
        for r in idrecs:
            p = pid_of(r["node"])
            w = 10 - prio[r["src"]]
            if r["email"]:
                em_c[p][r["email"]] += w
            if r["phone"]:
                ph_c[p][r["phone"]] += w
            if p not in name_c and r["first"]:
                name_c[p] = (r["first"], r["last"])
        profiles = []
        for p in range(1, len(root2pid) + 1):
            e = em_c[p].most_common(1)[0][0] if em_c.get(p) else None
            ph = ph_c[p].most_common(1)[0][0] if ph_c.get(p) else None
            fn, ln_ = name_c.get(p, (None, None))
            profiles.append((p, e, ph, fn, ln_))

    with Phase("write"):
        if os.path.exists(a.out):
            os.remove(a.out)
        db = sqlite3.connect(a.out)
        db.execute("pragma journal_mode=off"); db.execute("pragma synchronous=off")
        db.execute("create table profile_records(source text, record_key text, profile_id integer)")
        db.execute("create table profiles(profile_id integer primary key, email text, phone_e164 text, first_name_key text, last_name_key text)")
        db.execute("create table segment_membership(segment text, profile_id integer)")
        db.execute("create table rejects(kind text, n integer)")
        db.executemany("insert into profile_records values (?,?,?)", rec_rows)
        db.executemany("insert into profiles values (?,?,?,?,?)", profiles)
        db.executemany("insert into segment_membership values (?,?)", seg)
        db.executemany("insert into rejects values (?,?)", sorted(rejects.items()))
        db.commit()
        db.close()
    TIMES["total"] = time.perf_counter() - t0
    print("TIMES " + json.dumps({k: round(v, 2) for k, v in TIMES.items()}), file=sys.stderr)
    print(f"segments: {dict(Counter(s for s, _ in seg))}", file=sys.stderr)


def run_splink(idrecs, uf, threshold):
    import splink.comparison_library as cl
    import splink.comparison_level_library as cll
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    logging.getLogger("splink").setLevel(logging.WARNING)
    # one row per distinct identity tuple within a deterministic cluster
    seen, rows = set(), []
    for r in idrecs:
        root = uf.find(r["node"])
        sig = (root, r["first"], r["last"], r["email"], r["phone"], r["zip"], r["street"], r["dob"], r["suffix"])
        if sig in seen or not (r["first"] or r["last"]):
            continue
        seen.add(sig)
        el = r["email"].split("@")[0] if r["email"] else None
        rows.append(dict(unique_id=r["node"] + "#" + str(len(rows)), node=r["node"], first_name=r["first"] or None,
                         first_c=r["first_c"] or None, surname=r["last"] or None, suffix=r["suffix"] or None,
                         email=r["email"], email_user=el, email_dom=r["email"].split("@")[1] if r["email"] else None, phone=r["phone"], zip=r["zip"], street=r["street"],
                         dob=r["dob"], name_key=" ".join(sorted([r["first_c"] or "", r["last"] or ""]))))
    df = pd.DataFrame(rows)
    if os.environ.get("ANCHOR_DUMP"):
        df.assign(root=[uf.find(n) for n in df.node]).to_csv(os.environ["ANCHOR_DUMP"] + ".input.csv", index=False)
    print(f"splink input rows: {len(df)}", file=sys.stderr)
    con = duckdb.connect()
    db_api = DuckDBAPI(con)
    sdf = db_api.register(df)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.CustomComparison(output_column_name="first_name", comparison_levels=[
                cll.NullLevel("first_name"),
                cll.ExactMatchLevel("first_name", term_frequency_adjustments=True),
                cll.ExactMatchLevel("first_c"),
                cll.JaroWinklerLevel("first_name", 0.92),
                cll.JaroWinklerLevel("first_name", 0.80),
                cll.ElseLevel()]),
            cl.JaroWinklerAtThresholds("surname", [0.95, 0.88]).configure(term_frequency_adjustments=True),
            cl.ExactMatch("suffix"),
            cl.ExactMatch("dob"),
            # e-mail: exact, or a typo (same user + near domain, or near user + same domain).
            # A bare username match is NOT evidence ("chiara.rossi@" is a common user name).
            cl.CustomComparison(output_column_name="email", comparison_levels=[
                cll.NullLevel("email"),
                cll.ExactMatchLevel("email", term_frequency_adjustments=True),
                {"sql_condition": "email_user_l = email_user_r AND levenshtein(email_dom_l, email_dom_r) <= 2",
                 "label_for_charts": "same user, domain typo"},
                {"sql_condition": "email_dom_l = email_dom_r AND levenshtein(email_user_l, email_user_r) <= 2",
                 "label_for_charts": "same domain, user typo"},
                cll.ElseLevel()]),
            cl.ExactMatch("phone"),
            cl.CustomComparison(output_column_name="address", comparison_levels=[
                {"sql_condition": "zip_l IS NULL OR zip_r IS NULL", "label_for_charts": "null", "is_null_level": True},
                {"sql_condition": "zip_l = zip_r AND jaro_winkler_similarity(street_l, street_r) >= 0.9",
                 "label_for_charts": "zip + street"},
                cll.ExactMatchLevel("zip"),
                cll.ElseLevel()]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_c", "surname"),
            block_on("name_key"),
            block_on("surname", "dob"),
            block_on("dob", "zip"),
            block_on("email_user"),
            block_on("phone"),
            block_on("surname", "zip"),
        ],
        retain_intermediate_calculation_columns=bool(os.environ.get("ANCHOR_DUMP")), retain_matching_columns=True,
    )
    linker = Linker(sdf, settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("first_c", "surname", "dob")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    for br in (block_on("email"), block_on("first_c", "surname", "dob")):
        linker.training.estimate_parameters_using_expectation_maximisation(br, record_sample_proportion=1.0)
    pred = linker.inference.predict(threshold_match_probability=threshold)
    if os.environ.get("ANCHOR_DUMP"):
        con.execute(f"copy (select * from {pred.physical_name}) to '{os.environ['ANCHOR_DUMP']}' (header)")
        print(linker.misc.save_model_to_json() if hasattr(linker, 'misc') else '', file=sys.stderr)
    # business-rule vetoes applied to the model's links: a conflicting birthdate, clearly
    # different first names (not a nickname / swap) or different generational suffixes
    pdf = con.execute(f"""select unique_id_l, unique_id_r, match_weight, first_name_l, first_name_r, surname_l, surname_r
        from {pred.physical_name}
        where not (dob_l is not null and dob_r is not null and dob_l <> dob_r)
          and not (suffix_l is not null and suffix_r is not null and suffix_l <> suffix_r)
          -- two conflicting strong identifiers (e-mail user and phone) need a matching birthdate
          and not (email_user_l <> email_user_r and phone_l <> phone_r and (dob_l is null or dob_r is null))
        order by match_weight desc""").fetchall()
    pdf = [(l, r) for l, r, w, fl, fr, sl, sr in pdf
           if names_compatible(fl, fr) or (fl == sr and fr == sl)]
    node_of = dict(zip(df["unique_id"], df["node"]))
    print(f"splink links >= {threshold}: {len(pdf)}", file=sys.stderr)
    return [(node_of[l], node_of[r]) for l, r in pdf]


if __name__ == "__main__":
    main()
