import TributaryCore

/// `email`: standardizes e-mail addresses: trims, lower-cases and validates them. An invalid
/// address becomes NULL and is counted as `email.invalid.<reason>`; a valid one whose text
/// changed is counted as `email.changed`.
///
/// Rules (deliberately stricter than RFC 5322, which allows things no mailbox provider issues):
/// - exactly one `@` (`missing_at`, `multiple_at`); no white space inside (`whitespace`);
/// - local part: 1-64 bytes of letters, digits, `.` and ``!#$%&'*+/=?^_`{|}~-``; no leading,
///   trailing or consecutive dot; quoted local parts (`"a b"@x.com`) are rejected (`bad_local`);
/// - domain: at least two labels of 1-63 letters, digits or `-`, not starting or ending with `-`;
///   the last label (TLD) has at least 2 letters, or is punycode (`xn--…`); IP literals
///   (`a@[10.0.0.1]`) are rejected (`bad_domain`);
/// - whole address at most 254 bytes (`too_long`);
/// - placeholders (`n/a`, `none`, `test@test.com`, any address at `example.com`, …, plus the
///   configured ones) are rejected (`placeholder`).
/// Internationalized addresses stay in UTF-8 (`anna@müller.de` is not converted to punycode);
/// non-ASCII letters count as letters, and are lower-cased with Unicode case mapping.
///
/// The optional match key removes what providers ignore, for matching only: dots and `+tag` for
/// Gmail (`googlemail.com` becomes `gmail.com`), `+tag` for Outlook/Hotmail/Live, iCloud
/// (`icloud.com`, `me.com`, `mac.com`), Fastmail (`fastmail.com`, `fastmail.fm`) and Proton
/// (`proton.me`, `protonmail.com`, `protonmail.ch`, `pm.me`).
struct Email: Transform, TransformComponent {
    static let spec = ComponentSpec(
        name: "email", kind: .transform,
        summary: """
            Standardizes e-mail addresses: trims, lower-cases and validates them (one `@`; local part without \
            leading, trailing or double dots; domain labels of letters, digits and `-`; a TLD of 2+ letters; \
            internationalized domains stay in UTF-8). Invalid addresses and placeholders (`n/a`, `none`, \
            `test@test.com`, anything `@example.com`, ...) become NULL, counted as `email.invalid.<reason>` \
            (`missing_at`, `multiple_at`, `whitespace`, `bad_local`, `bad_domain`, `too_long`, `placeholder`); \
            rewritten values are counted as `email.changed`. `- email: field` standardizes in place. \
            The optional `match_key` drops dots and `+tag` for Gmail (`googlemail.com` → `gmail.com`) and \
            `+tag` for Outlook, Hotmail, Live, iCloud, me.com, mac.com, Fastmail and Proton.
            """,
        shape: .oneOf([
            .string,
            .object([
                Property("field", .string, required: true, doc: "the field holding the address"),
                Property("into", .string, doc: "a new field for the result; without it the field is standardized in place"),
                Property("match_key", .string,
                         doc: "a new field for a matching key: dots and `+tag` removed where the provider ignores them"),
                Property("placeholders", .list(.string),
                         doc: "more values to treat as missing (compared after trim and lower-case); `@domain` rejects a whole domain"),
            ]),
        ]),
        example: "email: { field: email, into: email_norm, match_key: email_key }")

    enum Reason: Int, CaseIterable {
        case missingAt, multipleAt, whitespace, badLocal, badDomain, tooLong, placeholder

        var counter: String {
            switch self {
            case .missingAt: "email.invalid.missing_at"
            case .multipleAt: "email.invalid.multiple_at"
            case .whitespace: "email.invalid.whitespace"
            case .badLocal: "email.invalid.bad_local"
            case .badDomain: "email.invalid.bad_domain"
            case .tooLong: "email.invalid.too_long"
            case .placeholder: "email.invalid.placeholder"
            }
        }
    }

    static let builtInPlaceholders = [
        "n/a", "na", "n.a.", "none", "null", "nil", "-", "--", "---", ".", "?", "0", "x", "unknown",
        "noemail", "no email", "no-email", "no_email", "test", "test@test.com", "noemail@noemail.com",
        "none@none.com", "no@email.com", "email@email.com", "na@na.com",
        "@example.com", "@example.org", "@example.net",
    ]

    var column: Int
    var into: Int?
    var keyColumn: Int?
    /// Whole values to reject, lower-cased.
    var placeholders: [[UInt8]]
    /// Domains to reject (from `@domain` placeholders), lower-cased.
    var placeholderDomains: [[UInt8]]

    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)? {
        let before = diagnostics.errorCount
        let fieldNode: ConfigNode? = node.scalar != nil ? node : node["field"]
        guard let fieldNode, let column = scope.resolve(fieldNode, diagnostics: &diagnostics) else { return nil }
        var into: Int?
        if let intoNode = node["into"], intoNode.scalar != fieldNode.scalar {
            into = NewField.add(intoNode, scope: &scope, diagnostics: &diagnostics)
        }
        let keyColumn = node["match_key"].flatMap { NewField.add($0, scope: &scope, diagnostics: &diagnostics) }
        var whole: [[UInt8]] = []
        var domains: [[UInt8]] = []
        for text in builtInPlaceholders + (node["placeholders"]?.scalarList ?? []).compactMap(\.scalar) {
            let lowered = text.lowercased().utf8
            if lowered.first == UInt8(ascii: "@") { domains.append(Array(lowered.dropFirst())) } else { whole.append(Array(lowered)) }
        }
        guard diagnostics.errorCount == before else { return nil }
        return Email(column: column, into: into, keyColumn: keyColumn, placeholders: whole, placeholderDomains: domains)
    }

    func apply(to batch: inout RecordBatch, counters: inout TransformCounters) -> Int {
        let rows = batch.count
        var tallies = [Int](repeating: 0, count: Reason.allCases.count)
        var changed = 0
        let sourceBytes = batch.columns[column].bytes.count
        var out = into == nil ? ColumnOutput(rewriting: batch.columns[column])
            : ColumnOutput(newColumnRows: rows, reservingBytes: sourceBytes)
        var keys = ColumnOutput(newColumnRows: keyColumn == nil ? 0 : rows, reservingBytes: keyColumn == nil ? 0 : sourceBytes)
        var norm: [UInt8] = []
        norm.reserveCapacity(256)
        batch.columns[column].withArena { arena, spans in
            for row in 0..<rows {
                let span = spans[row]
                if span.isNull { continue }  // NULL stays NULL (new columns start all NULL)
                let offset = Int(span.offset)
                let value = UnsafeBufferPointer(rebasing: arena[offset..<offset + Int(span.length)])
                let (s, e) = Standardizer.trimmed(value)
                if s == e {
                    out.setNull(row)
                    continue
                }
                let trimmed = UnsafeBufferPointer(rebasing: value[s..<e])
                // 1. Normalize into `norm`: ASCII lower-cased in one pass; the rare non-ASCII
                // value goes through a String for Unicode case mapping.
                norm.removeAll(keepingCapacity: true)
                var ascii = true
                var upper = false
                for b in trimmed {
                    if b >= 0x80 { ascii = false }
                    if b >= 0x41 && b <= 0x5A { upper = true; norm.append(b | 0x20) } else { norm.append(b) }
                }
                if !ascii { norm = Email.unicodeLowercased(trimmed) }
                // 2. Validate.
                let result: (reason: Reason?, at: Int) = norm.withUnsafeBufferPointer { n in
                    if isPlaceholder(n) { return (.placeholder, 0) }
                    return Email.validate(n, placeholderDomains: placeholderDomains)
                }
                if let reason = result.reason {
                    tallies[reason.rawValue] += 1
                    out.setNull(row)
                    continue
                }
                // 3. Write: a value that only lost white space moves its span (in place).
                let same = ascii && !upper
                if same {
                    out.copy(row, value, s, e, sourceOffset: offset)
                    if s != 0 || e != value.count { changed += 1 }
                } else {
                    let mark = out.mark
                    out.bytes.append(contentsOf: norm)
                    out.finish(row, from: mark)
                    if s != 0 || e != value.count || !norm.elementsEqual(trimmed) { changed += 1 }
                }
                if keyColumn != nil {
                    let mark = keys.mark
                    Email.appendMatchKey(norm, at: result.at, to: &keys.bytes)
                    keys.finish(row, from: mark)
                }
            }
        }
        if let into { out.store(into: &batch, column: into) } else { out.store(into: &batch, column: column) }
        if let keyColumn { keys.store(into: &batch, column: keyColumn) }
        for reason in Reason.allCases { counters.add(reason.counter, tallies[reason.rawValue]) }
        counters.add("email.changed", changed)
        return 0
    }

    /// Whether the lower-cased value is one of the whole-value placeholders.
    @inline(__always)
    func isPlaceholder(_ n: UnsafeBufferPointer<UInt8>) -> Bool {
        for p in placeholders where p.count == n.count && p.elementsEqual(n) { return true }
        return false
    }

    /// Lower-cases a value with non-ASCII letters. Cold path (a String per value): only values
    /// with non-ASCII bytes get here, and Unicode case mapping needs the String machinery.
    static func unicodeLowercased(_ value: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        Array(String(decoding: value, as: UTF8.self).lowercased().utf8)
    }

    @inline(__always)
    static func isSpace(_ n: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        switch n[i] {
        case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C: true
        case 0xC2: i + 1 < n.count && n[i + 1] == 0xA0
        default: false
        }
    }

    /// Validates a trimmed, lower-cased address; returns the reason it is invalid, if any, and
    /// the position of its `@`.
    static func validate(_ n: UnsafeBufferPointer<UInt8>, placeholderDomains: [[UInt8]]) -> (reason: Reason?, at: Int) {
        var at = -1
        var ats = 0
        for i in 0..<n.count {
            if n[i] == UInt8(ascii: "@") { ats += 1; at = i } else if isSpace(n, i) { return (.whitespace, 0) }
        }
        if ats == 0 { return (.missingAt, 0) }
        if ats > 1 { return (.multipleAt, 0) }
        let domainStart = at + 1
        for d in placeholderDomains where d.count == n.count - domainStart
            && d.elementsEqual(UnsafeBufferPointer(rebasing: n[domainStart...])) {
            return (.placeholder, at)
        }
        // Local part.
        if at == 0 || at > 64 { return (.badLocal, at) }
        var previousDot = true  // a leading dot is like a dot after a dot
        for i in 0..<at {
            let b = n[i]
            if b == UInt8(ascii: ".") {
                if previousDot { return (.badLocal, at) }
                previousDot = true
                continue
            }
            previousDot = false
            if !isLocalByte(b) { return (.badLocal, at) }
        }
        if previousDot { return (.badLocal, at) }
        // Domain.
        let domainLength = n.count - domainStart
        if domainLength == 0 || domainLength > 253 { return (.badDomain, at) }
        var labelStart = domainStart
        var labels = 0
        var i = domainStart
        while i <= n.count {
            if i == n.count || n[i] == UInt8(ascii: ".") {
                let length = i - labelStart
                if length == 0 || length > 63 { return (.badDomain, at) }
                if n[labelStart] == UInt8(ascii: "-") || n[i - 1] == UInt8(ascii: "-") { return (.badDomain, at) }
                labels += 1
                if i == n.count {
                    // The TLD: 2+ letters (ASCII or not), or punycode.
                    let tld = UnsafeBufferPointer(rebasing: n[labelStart..<i])
                    let punycode = length > 4 && tld.starts(with: [0x78, 0x6E, 0x2D, 0x2D])  // "xn--"
                    if !punycode && (length < 2 || !tld.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || $0 >= 0x80 })) {
                        return (.badDomain, at)
                    }
                }
                labelStart = i + 1
            } else {
                let b = n[i]
                let ok = (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b >= 0x80
                if !ok { return (.badDomain, at) }
            }
            i += 1
        }
        if labels < 2 { return (.badDomain, at) }
        if n.count > 254 { return (.tooLong, at) }
        return (nil, at)
    }

    /// Letters, digits, RFC 5322 `atext` symbols, and non-ASCII (UTF-8) bytes.
    @inline(__always)
    static func isLocalByte(_ b: UInt8) -> Bool {
        if (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b >= 0x80 { return true }
        switch b {
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "/"),
             UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"),
             UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    enum Provider { case dotsAndTags, tags }

    /// Domains whose mailboxes ignore dots and/or `+tag`s, and the domain they stand for.
    static let providers: [(domain: [UInt8], canonical: [UInt8], rule: Provider)] = [
        provider("gmail.com", .dotsAndTags), provider("googlemail.com", .dotsAndTags, as: "gmail.com"),
        provider("outlook.com", .tags), provider("hotmail.com", .tags), provider("live.com", .tags),
        provider("icloud.com", .tags), provider("me.com", .tags), provider("mac.com", .tags),
        provider("fastmail.com", .tags), provider("fastmail.fm", .tags),
        provider("proton.me", .tags), provider("protonmail.com", .tags), provider("protonmail.ch", .tags),
        provider("pm.me", .tags),
    ]

    private static func provider(_ domain: String, _ rule: Provider, as canonical: String? = nil)
        -> (domain: [UInt8], canonical: [UInt8], rule: Provider) {
        (Array(domain.utf8), Array((canonical ?? domain).utf8), rule)
    }

    /// Appends the match key of a valid, normalized address whose `@` is at `at`.
    static func appendMatchKey(_ norm: [UInt8], at: Int, to out: inout [UInt8]) {
        let domainLength = norm.count - at - 1
        let provider = providers.first { $0.domain.count == domainLength && $0.domain.elementsEqual(norm[(at + 1)...]) }
        guard let provider else {
            out.append(contentsOf: norm)
            return
        }
        let start = out.count
        for i in 0..<at {
            let b = norm[i]
            if b == UInt8(ascii: "+") { break }
            if b == UInt8(ascii: "."), provider.rule == .dotsAndTags { continue }
            out.append(b)
        }
        if out.count == start { out.append(contentsOf: norm[0..<at]) }  // `+tag@…` alone: keep it
        out.append(UInt8(ascii: "@"))
        out.append(contentsOf: provider.canonical)
    }
}
