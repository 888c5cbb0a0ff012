"""Generates Tributary's phone numbering plans from libphonenumber's metadata (PyPI `phonenumbers`).

Run through Scripts/generate-phone-metadata, which pins the version. Writes:

* Sources/TributaryComponents/Transforms/PhoneMetadata.swift: for every region (and every
  non-geographic calling code) its calling code, international (IDD) prefixes, national prefix
  for parsing and transform rule, possible lengths, and one minimized DFA over the national
  significant number's digits that answers, at each length, "matches the general pattern",
  "is a valid number of some type (fixed line, mobile, toll free, ...; with the type's possible
  lengths)" and "matches the region's leading digits" -- the questions libphonenumber's
  isValidNumber asks with regular expressions, compiled here once so that Swift walks a table.
* Tests/Fixtures/phonenumbers-differential.tsv: inputs with phonenumbers' verdict.
"""
import base64, itertools, os, re, struct, sys
import re._parser as sre
import re._constants as C
import phonenumbers as pn
from phonenumbers import PhoneMetadata, PhoneNumberFormat as PNF

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_NSN = 17  # libphonenumber's _MAX_LENGTH_FOR_NSN
TYPES = ["premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
         "voicemail", "fixed_line", "mobile"]
DIGITS = range(10)

# ---------------------------------------------------------------- regex -> NFA over digits

class NFA:
    def __init__(self):
        self.eps = []    # state -> [state]
        self.edges = []  # state -> [(frozenset(digits), state)]

    def new(self):
        self.eps.append([]); self.edges.append([])
        return len(self.eps) - 1

    def charset(self, items):
        out, negate = set(), False
        for op, av in items:
            if op is C.NEGATE: negate = True
            elif op is C.LITERAL:
                if 48 <= av <= 57: out.add(av - 48)
            elif op is C.RANGE:
                out |= {c - 48 for c in range(av[0], av[1] + 1) if 48 <= c <= 57}
            elif op is C.CATEGORY and av is C.CATEGORY_DIGIT: out |= set(DIGITS)
            else: raise ValueError(f"charset item {op} {av}")
        return frozenset(set(DIGITS) - out if negate else out)

    def seq(self, items, s):
        for op, av in items:
            s = self.item(op, av, s)
        return s

    def item(self, op, av, s):
        if op is C.LITERAL:
            e = self.new()
            if 48 <= av <= 57: self.edges[s].append((frozenset([av - 48]), e))
            return e
        if op is C.IN:
            e = self.new(); self.edges[s].append((self.charset(av), e)); return e
        if op is C.SUBPATTERN:
            return self.seq(av[3], s)
        if op is C.BRANCH:
            e = self.new()
            for alt in av[1]:
                a = self.new(); self.eps[s].append(a)
                self.eps[self.seq(alt, a)].append(e)
            return e
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, sub = av
            for _ in range(lo): s = self.seq(sub, s)
            if hi is C.MAXREPEAT:
                loop = self.new(); self.eps[s].append(loop)
                self.eps[self.seq(sub, loop)].append(loop)
                return loop
            e = self.new(); self.eps[s].append(e)
            for _ in range(hi - lo):
                s = self.seq(sub, s); self.eps[s].append(e)
            return e
        raise ValueError(f"regex op {op} {av}")

    def add(self, pattern):
        s = self.new()
        return s, self.seq(sre.parse(pattern), s)

    def closure(self, states):
        out, stack = set(states), list(states)
        while stack:
            for t in self.eps[stack.pop()]:
                if t not in out: out.add(t); stack.append(t)
        return frozenset(out)

# ---------------------------------------------------------------- DFA, hash-consed over all regions

GENERAL, VALID, LEADING = 1, 2, 4
dfa_ids = {(0, (0,) * 10): 0}  # (flags, children) -> id; 0 is the dead state
dfa_rows = [(0, (0,) * 10)]

def intern(flags, children):
    key = (flags, tuple(children))
    if key not in dfa_ids:
        dfa_ids[key] = len(dfa_rows); dfa_rows.append(key)
    return dfa_ids[key]

def region_dfa(m):
    nfa = NFA()
    g_start, g_final = nfa.add(m.general_desc.national_number_pattern)
    g_lengths = set(m.general_desc.possible_length)
    types = []
    for t in TYPES:
        d = getattr(m, t)
        if d is None or not d.national_number_pattern: continue
        s, f = nfa.add(d.national_number_pattern)
        types.append((s, f, set(d.possible_length) or None))
    starts = [g_start] + [s for s, _, _ in types]
    l_final = None
    if m.leading_digits:
        l_start, l_final = nfa.add(m.leading_digits); starts.append(l_start)
    memo = {}

    def build(depth, states):
        if not states: return 0
        key = (depth, states)
        if key in memo: return memo[key]
        flags = 0
        if g_final in states:
            flags |= GENERAL
            if depth in g_lengths and any(f in states and (ls is None or depth in ls) for _, f, ls in types):
                flags |= VALID
        if l_final is not None and l_final in states: flags |= LEADING
        children = []
        for d in DIGITS:
            if depth == MAX_NSN: children.append(0); continue
            nxt = {t for s in states for ds, t in nfa.edges[s] if d in ds}
            children.append(build(depth + 1, nfa.closure(nxt)) if nxt else 0)
        memo[key] = r = intern(flags, children)
        return r

    return build(0, nfa.closure(starts))

# ---------------------------------------------------------------- literal enumeration (re.match priority order)

class NotLiteral(Exception): pass

def enum_items(items, limit):
    results = [""]
    for op, av in items:
        opts = enum_item(op, av, limit)
        results = [a + b for a in results for b in opts]
        if len(results) > limit: raise NotLiteral("too many")
    return results

def enum_item(op, av, limit):
    if op is C.LITERAL: return [chr(av)]
    if op is C.IN:
        ds = sorted(NFA().charset(av))
        return [str(d) for d in ds]
    if op is C.SUBPATTERN: return enum_items(av[3], limit)
    if op is C.BRANCH: return [x for alt in av[1] for x in enum_items(alt, limit)]
    if op is C.MAX_REPEAT:
        lo, hi, sub = av
        if hi is C.MAXREPEAT: raise NotLiteral("unbounded")
        out = []
        for n in range(hi, lo - 1, -1):  # greedy: the longest first
            out += enum_items(list(sub) * n, limit)
        return out
    raise NotLiteral(str(op))

def literals(pattern, limit=400):
    """The strings `pattern` can match, in the order Python's re.match tries them, or None."""
    if pattern is None: return []
    try:
        out = enum_items(sre.parse(pattern), limit)
    except NotLiteral:
        return None
    seen, ordered = set(), []
    for s in out:
        if s not in seen: seen.add(s); ordered.append(s)
    return ordered

# ---------------------------------------------------------------- regions

def lengths_mask(ls):
    mask = 0
    for n in ls:
        if 0 <= n <= 31: mask |= 1 << n
    return mask

regions = []  # dicts
for code in sorted(pn.SUPPORTED_REGIONS):
    regions.append((code, PhoneMetadata.metadata_for_region(code)))
for cc in sorted(pn.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
    regions.append(("001", PhoneMetadata.metadata_for_nongeo_region(cc)))

rows = []
for code, m in regions:
    start = region_dfa(m)
    idd = literals(m.international_prefix, limit=50) if m.international_prefix else []
    idd_regex = None
    if idd is None: idd, idd_regex = [], m.international_prefix
    npp, npp_regex, transform = m.national_prefix_for_parsing, None, m.national_prefix_transform_rule
    npp_literals = []
    if npp:
        lit = literals(npp) if not transform and "$" not in npp else None
        if lit is None: npp_regex = npp
        else: npp_literals = lit
    rows.append(dict(code=code, cc=m.country_code, idd=idd, iddRegex=idd_regex, nppLiterals=npp_literals, nppRegex=npp_regex,
                     transform=transform.replace("\\", "$") if transform and npp_regex else None,
                     lengths=lengths_mask(m.general_desc.possible_length),
                     localOnly=lengths_mask(m.general_desc.possible_length_local_only),
                     leading=bool(m.leading_digits), start=start))

index = {}
for i, (code, m) in enumerate(regions):
    index[(code, m.country_code)] = i
by_cc = []
for cc, codes in sorted(pn.COUNTRY_CODE_TO_REGION_CODE.items()):
    by_cc.append((cc, [index[(c, cc)] for c in codes]))

# ---------------------------------------------------------------- Swift

def swift_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

n_states = len(dfa_rows)
wide = n_states > 65535
trans = bytearray(); flags = bytearray()
for f, children in dfa_rows:
    flags.append(f)
    for c in children: trans += struct.pack("<I" if wide else "<H", c)

out = []
w = out.append
w("// GENERATED by Scripts/generate-phone-metadata from libphonenumber's metadata as shipped in")
w(f"// PyPI phonenumbers {pn.__version__}. Do not edit: change the script and run it again.")
w("// swift-format-ignore-file")
w("")
w("enum PhoneMetadata {")
w(f"    static let version = {swift_str(pn.__version__)}")
w(f"    /// DFA states; transitions are {'UInt32' if wide else 'UInt16'} little-endian, 10 per state (digit 0-9), state 0 is dead.")
w(f"    static let stateCount = {n_states}")
w(f"    static let transitionsWide = {'true' if wide else 'false'}")
def b64_chunks(data):
    s = base64.b64encode(bytes(data)).decode()
    return "\n".join(s[i:i + 120] for i in range(0, len(s), 120))
w('    static let transitionsBase64 = """')
w(b64_chunks(trans))
w('"""')
w('    static let flagsBase64 = """')
w(b64_chunks(flags))
w('"""')
w("")
w("    /// Every region (ISO code, or \"001\" for a non-geographic calling code); see `PhoneRegion`.")
w("    static let regions: [PhoneRegion] = [")
for r in rows:
    w("        PhoneRegion(code: {}, callingCode: {}, idd: [{}], iddRegex: {}, nationalPrefixes: [{}], nationalPrefixRegex: {}, "
      "transform: {}, lengths: 0x{:x}, localOnlyLengths: 0x{:x}, hasLeadingDigits: {}, start: {}),".format(
        swift_str(r["code"]), r["cc"], ", ".join(swift_str(x) for x in r["idd"]),
        swift_str(r["iddRegex"]) if r["iddRegex"] else "nil",
        ", ".join(swift_str(x) for x in r["nppLiterals"]),
        swift_str(r["nppRegex"]) if r["nppRegex"] else "nil", swift_str(r["transform"]) if r["transform"] else "nil",
        r["lengths"], r["localOnly"], "true" if r["leading"] else "false", r["start"]))
w("    ]")
w("")
w("    /// Calling code → indices into `regions`, the main region first (libphonenumber's order).")
w("    static let callingCodes: [(Int, [Int])] = [")
for cc, idx in by_cc:
    w(f"        ({cc}, {idx}),")
w("    ]")
w("}")
path = os.path.join(ROOT, "Sources/TributaryComponents/Transforms/PhoneMetadata.swift")
with open(path, "w") as f: f.write("\n".join(out) + "\n")
print(f"{path}: {len(rows)} regions, {len(by_cc)} calling codes, {n_states} DFA states, {len(trans)} bytes of transitions",
      file=sys.stderr)

# ---------------------------------------------------------------- differential fixture

OK_INPUT = re.compile(r"^[+0-9 ()./-]+( ext\. [0-9]+| x[0-9]+)?$")

def verdict(text, region):
    try:
        n = pn.parse(text, region or None)
    except pn.NumberParseException:
        return "invalid"
    if not pn.is_valid_number(n): return "invalid"
    return pn.format_number(n, PNF.E164)

cases = {}
def case(kind, text, region):
    if not OK_INPUT.match(text): return
    cases.setdefault((text, region), kind)

geo = [(c, m) for c, m in regions if c != "001"]
for i, (code, m) in enumerate(regions):
    cc = str(m.country_code)
    idd_mine = literals(m.international_prefix) if code != "001" else []
    for t in TYPES:
        d = getattr(m, t)
        if d is None or not d.example_number: continue
        nsn = d.example_number
        num = pn.parse("+" + cc + nsn)
        case("e164", "+" + cc + nsn, "")
        case("international", pn.format_number(num, PNF.INTERNATIONAL), "")
        case("extension", pn.format_number(num, PNF.INTERNATIONAL) + " ext. 12", "")
        case("extension", "+" + cc + nsn + " x7", "")
        case("trunk_after_cc", "+" + cc + " 0" + nsn, "")
        case("too_long", "+" + cc + nsn + "5", "")
        case("too_long", "+" + cc + nsn + "12", "")
        case("too_short", "+" + cc + nsn[:-1], "")
        case("too_short", "+" + cc + nsn[:-2], "")
        for k in (1, 3, 5, 8):
            case("wrong_prefix", "+" + cc + str((int(nsn[0]) + k) % 10) + nsn[1:], "")
        if len(nsn) > 2:
            case("wrong_prefix", "+" + cc + nsn[0] + str((int(nsn[1]) + 4) % 10) + nsn[2:], "")
        if code == "001": continue
        national = pn.format_number(num, PNF.NATIONAL)
        case("national", national, code)
        case("national", nsn, code)
        digits = re.sub(r"\D", "", national)
        case("national_too_short", digits[:-1], code)
        case("national_too_long", digits + "0", code)
        case("cc_without_plus", cc + nsn, code)
        if m.national_prefix:
            case("cc_without_plus", cc + m.national_prefix + nsn, code)
        # from another region, through that region's international prefix
        other_code, other = geo[(i * 7 + 3) % len(geo)]
        idd = literals(other.international_prefix, limit=50)
        if idd:
            case("idd", idd[0] + " " + cc + " " + nsn, other_code)
        if m.country_code != other.country_code:
            case("other_region_national", nsn, other_code)
# the numbers
for text in ["+48 601 234 567", "+47 412 34 567", "+32 470 12 34 56", "+65 8123 4567", "+351 912 345 678"]:
    case("issue", text, "")

path = os.path.join(ROOT, "Tests/Fixtures/phonenumbers-differential.tsv")
os.makedirs(os.path.dirname(path), exist_ok=True)
valid = 0
with open(path, "w") as f:
    f.write(f"# GENERATED by Scripts/generate-phone-metadata with phonenumbers {pn.__version__}: input, default region, phonenumbers' E.164 or 'invalid', kind\n")
    for (text, region), kind in cases.items():
        v = verdict(text, region)
        valid += v != "invalid"
        f.write(f"{text}\t{region}\t{v}\t{kind}\n")
print(f"{path}: {len(cases)} cases, {valid} valid", file=sys.stderr)
