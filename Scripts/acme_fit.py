#!/usr/bin/env python3
"""The figures the Acme generator is fitted to, for the real sample and a generated export side
by side (Docs/generator.md, "Fitted to the sample"): name sharing, suffixes, till customer data,
till phones, prices, loyalty-card recency, e-mail connectivity.

usage: Scripts/acme_fit.py SAMPLE_DIR GENERATED_DIR   (e.g. SampleData/acme and a 2,000-person export)
Standard library only.
"""
import collections, csv, datetime, glob, gzip, json, os, re, sys, unicodedata


def norm(s):
    return ''.join(c for c in unicodedata.normalize('NFD', s.lower()) if c.isalpha())


def crm_rows(d):
    rows = list(csv.reader(open(os.path.join(d, 'crm_contacts.csv'), encoding='utf-8-sig', newline='')))[1:]
    return [r for r in rows if len(r) == 15]


def pos_rows(d):
    for f in sorted(glob.glob(os.path.join(d, 'pos', 'pos_transactions_*.txt'))):
        for line in open(f, encoding='latin-1'):
            p = line.rstrip('\n').split('|')
            if len(p) == 14 and p[0] != 'store_id':
                yield p


def phone10(p):
    x = re.sub(r'\D', '', re.split(r'x|ext', p)[0])
    if len(x) == 11 and x[0] == '1':
        x = x[1:]
    return x[-10:] if len(x) >= 10 else None


def email_key(e):
    e = (e or '').strip().lower()
    if '@' not in e:
        return None
    u, _, dom = e.partition('@')
    return (u.replace('.', '') if dom == 'gmail.com' else u) + '@' + dom


def figures(d):
    out = {}
    rows = crm_rows(d)
    first, last, seen = collections.Counter(), collections.Counter(), set()
    for r in rows:
        f = norm(r[1].split()[0]) if r[1].strip() else ''
        l = norm(r[2].split()[0]) if r[2].strip() else ''
        if not f or not l or (f, l, r[10]) in seen:
            continue
        seen.add((f, l, r[10])); first[f] += 1; last[l] += 1
    n = len(seen)
    share = lambda c: sum(v * (v - 1) for v in c.values()) / (n * (n - 1))
    out['given name / surname sharing'] = '%.4f / %.4f' % (share(first), share(last))
    out['distinct given names / surnames'] = '%d / %d' % (len(first), len(last))
    suffix = sum(1 for r in rows if re.search(r'\b(jr|sr)\b', (r[1] + ' ' + r[2]).lower()))
    out['CRM contacts with a Jr./Sr. suffix'] = '%.2f%%' % (100 * suffix / len(rows))
    phone_field, mobile_field = set(), set()
    for r in rows:
        if phone10(r[4]): phone_field.add(phone10(r[4]))
        if phone10(r[5]): mobile_field.add(phone10(r[5]))
    kinds, txns, prices, phones = collections.Counter(), set(), [], collections.Counter()
    last_sale, D = {}, datetime.datetime(2024, 11, 15)
    for p in pos_rows(d):
        try:
            prices.append(float(p[10]))
        except ValueError:
            pass
        if p[2] in txns:
            continue
        txns.add(p[2])
        card, name, phone, email = bool(p[4]), bool(p[5]), bool(p[6]), bool(p[7])
        kinds['walk-in' if not (card or name or phone or email) else 'card' if card else 'name and phone' if name
              else 'phone only' if phone and not email else 'e-mail only' if email and not phone else 'other'] += 1
        if phone and not card and not name and not email:
            x = phone10(p[6])
            phones['CRM Mobile' if x in mobile_field else 'only CRM Phone' if x in phone_field else 'nowhere'] += 1
        if card:
            try:
                t = datetime.datetime.strptime(p[3], '%m/%d/%Y %H:%M')
                last_sale[p[4]] = max(last_sale.get(p[4], t), t)
            except ValueError:
                pass
    t = len(txns)
    out['till transactions: ' + ' / '.join(k for k in ['walk-in', 'card', 'e-mail only', 'phone only', 'name and phone'])] = \
        ' / '.join('%.0f%%' % (100 * kinds[k] / t) for k in ['walk-in', 'card', 'e-mail only', 'phone only', 'name and phone'])
    pt = sum(phones.values()) or 1
    out['phone-only till phones: CRM Mobile / only CRM Phone / nowhere'] = \
        ' / '.join('%.0f%%' % (100 * phones[k] / pt) for k in ['CRM Mobile', 'only CRM Phone', 'nowhere'])
    prices.sort()
    out['till unit price: median / mean / p90'] = '$%.2f / $%.0f / $%.0f' % (
        prices[len(prices) // 2], sum(prices) / len(prices), prices[int(len(prices) * 0.9)])
    lapsed = sum(1 for v in last_sale.values() if (D - v).days >= 90)
    out['loyalty cards; last sale 90+ days before D'] = '%d; %.0f%%' % (len(last_sale), 100 * lapsed / max(len(last_sale), 1))
    crm_emails = {email_key(r[3]) for r in rows} - {None}
    pos_emails = {email_key(p[7]) for p in pos_rows(d)} - {None}
    ev = set()
    for f in glob.glob(os.path.join(d, 'events', '*')):
        data = gzip.open(f).read() if f.endswith('.gz') else open(f, 'rb').read()
        for line in data.split(b'\n'):
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if isinstance(e, dict) and e.get('type') == 'identify' and isinstance(e.get('traits'), dict):
                k = email_key(e['traits'].get('email'))
                if k: ev.add(k)
    out['identify e-mails also in the CRM or on a receipt'] = '%.0f%%' % (100 * len(ev & (crm_emails | pos_emails)) / max(len(ev), 1))
    return out


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a, b = figures(sys.argv[1]), figures(sys.argv[2])
    w = max(len(k) for k in a)
    print('%-*s  %-22s %s' % (w, 'figure', os.path.basename(sys.argv[1].rstrip('/')), os.path.basename(sys.argv[2].rstrip('/'))))
    for k in a:
        print('%-*s  %-22s %s' % (w, k, a[k], b.get(k, '')))
