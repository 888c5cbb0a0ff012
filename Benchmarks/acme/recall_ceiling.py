#!/usr/bin/env python3
"""The recall an Acme export can support: for each person of the answer key, the groups of their
records that share a value (user id, loyalty card, e-mail, phone, device id, or for CRM rows the
birth date with the postcode, and the street key) are joined; the pairwise recall of exactly
those groups is what any matcher reaches without guessing from names. Also printed: the recall if
the groups whose full name no other person holds were joined too.

usage: recall_ceiling.py OUT.sqlite TRUTH_DIR   (OUT.sqlite: a Tributary output of Pipelines/acme.yml,
for its src_* tables and profile_records.record_key; TRUTH_DIR: the export's truth/)
"""
import csv, sqlite3, sys
from collections import Counter, defaultdict
db, truth = sys.argv[1], sys.argv[2]
person = {}
for r in csv.DictReader(open(truth + '/records.csv')):
    person[(r['source'], r['record_key'])] = r['person_id']
con = sqlite3.connect(db)
rk = {}
for s, i, k in con.execute('select source, record_id, record_key from profile_records'): rk[(s, i)] = k
q = {'crm': "select _record_id, contact_id, null, email_key, phone_e164, mobile_e164, null, first_canon_key, last_key from src_crm",
     'events': "select _record_id, user_id, null, coalesce(email_key, user_email_key), phone_e164, null, anonymous_id, first_canon_key, last_key from src_events",
     'pos': "select _record_id, null, loyalty_card, email_key, phone_e164, null, null, first_canon_key, last_key from src_pos",
     'pos_legacy': "select _record_id, null, loyalty_card, email_key, phone_e164, null, null, first_canon_key, last_key from src_pos_legacy"}
parent = {}
def find(x):
    while parent.setdefault(x, x) != x:
        parent[x] = parent[parent[x]]; x = parent[x]
    return x
def union(a, b): parent[find(a)] = find(b)
names = {}
recs = defaultdict(list)
for s, sql in q.items():
    for row in con.execute(sql):
        i = row[0]; key = (s, rk.get((s, i)))
        p = person.get(key)
        if not p: continue
        node = (s, i); find(node); recs[p].append(node)
        for kind, v in zip(['uid', 'card', 'email', 'phone', 'phone', 'anon'], row[1:7]):
            if v: union(node, (p, kind, v))   # values only join records of the same person
        if row[7] and row[8]: names[node] = (row[7], row[8])
# persons per full name
pname = defaultdict(Counter)
for p, nodes in recs.items():
    for n in nodes:
        if n in names: pname[p][names[n]] += 1
holders = Counter()
for p, c in pname.items():
    for nm in c: holders[nm] += 1
true = sum(len(v)*(len(v)-1)//2 for v in recs.values())
by_value = 0; with_unique_names = 0
for p, nodes in recs.items():
    comps = defaultdict(list)
    for n in nodes: comps[find(n)].append(n)
    by_value += sum(len(c)*(len(c)-1)//2 for c in comps.values())
    # components joinable by a full name held by this person only
    main = max(comps.values(), key=len)
    merged = len(main)
    for c in comps.values():
        if c is main: continue
        nm = {names[n] for n in c if n in names}
        if any(holders[x] == 1 for x in nm): merged += len(c)
    rest = [len(c) for c in comps.values() if c is not main and not any(holders[x] == 1 for x in {names[n] for n in c if n in names})]
    with_unique_names += merged*(merged-1)//2 + sum(k*(k-1)//2 for k in rest)
print(f'true pairs {true}')
print(f'recall if every record sharing a value (id, card, e-mail, phone, device) with another of its person is joined: {by_value/true:.4f}')
print(f'... plus parts whose full name no other person holds: {with_unique_names/true:.4f}')
