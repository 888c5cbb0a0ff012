import Foundation

/// How a full name is written.
public enum NamePattern: String, Sendable, CaseIterable {
    /// `Smith, Robert J.`
    case lastFirst = "LAST, FIRST"
    /// `Robert J. Smith`
    case firstLast = "FIRST LAST"

    /// The word used in counters (`name.split.last_first`).
    public var counterName: String { self == .lastFirst ? "last_first" : "first_last" }
}

/// The parts of a person's name, for display.
public struct NameParts: Sendable, Equatable {
    public var prefix: String?
    public var first: String?
    public var middle: String?
    public var last: String?
    public var suffix: String?
    /// The pattern the name was read with.
    public var pattern: NamePattern
    /// Standardizing changed how the name is written (Unicode form, apostrophes, spaces, case,
    /// spelling of honorifics, suffixes and initials).
    public var changed: Bool

    public init(prefix: String? = nil, first: String? = nil, middle: String? = nil, last: String? = nil,
                suffix: String? = nil, pattern: NamePattern, changed: Bool = false) {
        self.prefix = prefix
        self.first = first
        self.middle = middle
        self.last = last
        self.suffix = suffix
        self.pattern = pattern
        self.changed = changed
    }
}

/// Standardizes and splits person names.
///
/// **Allocation.** Names need Unicode processing (NFC, case mapping of any script, diacritic
/// folding), which the byte-level helpers of the other transforms cannot do, so this standardizer
/// deliberately creates a Swift `String` per value (and per token) in its inner loop. The cost is
/// bounded by keeping the common case cheap: for plain ASCII values the cleaning (white space,
/// apostrophes) and the match keys (`NameKey`) work on bytes, and Foundation (NFC, NFD folding)
/// is only called for non-ASCII values.
public enum NameStandardizer {

    // MARK: - Cleaning

    /// NFC, typographic apostrophes and modifier letters (’ ʼ ‘ ` ´ ′) → `'`, runs of white space
    /// (including no-break spaces) → one space, trimmed. Returns nil for a blank value.
    public static func clean(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var ascii = true
        for b in bytes where b >= 0x80 { ascii = false; break }
        if ascii {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var pendingSpace = false
            for b in bytes {
                switch b {
                case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C: pendingSpace = !out.isEmpty
                default:
                    if pendingSpace { out.append(0x20); pendingSpace = false }
                    out.append(b == 0x60 ? 0x27 : b)
                }
            }
            return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
        }
        let text = String(decoding: bytes, as: UTF8.self).precomposedStringWithCanonicalMapping
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace || scalar.value == 0x200B {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out.append(" "); pendingSpace = false }
            switch scalar.value {
            case 0x2019, 0x2018, 0x02BC, 0x0060, 0x00B4, 0x2032, 0x02B9, 0xFF07: out.append("'")
            default: out.append(scalar)
            }
        }
        return out.isEmpty ? nil : String(out)
    }

    public static func clean(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { clean($0) }
    }

    /// The value contains `?` or U+FFFD: a character was lost in some encoding conversion, so the
    /// name must not be compared exactly.
    public static func isLossy(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x3F { return true }
            if b == 0xEF, i + 2 < bytes.count, bytes[i + 1] == 0xBF, bytes[i + 2] == 0xBD { return true }
            i += 1
        }
        return false
    }

    public static func isLossy(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isLossy($0) }
    }

    // MARK: - Whole names

    /// Splits a full name. `pattern` nil means auto: a comma means `LAST, FIRST`. Nil for a blank
    /// value.
    public static func split(_ raw: String, pattern: NamePattern?) -> NameParts? {
        var raw = raw
        return raw.withUTF8 { split(bytes: $0, pattern: pattern) }
    }

    public static func split(bytes: UnsafeBufferPointer<UInt8>, pattern: NamePattern?) -> NameParts? {
        guard let cleaned = clean(bytes) else { return nil }
        guard var parts = split(cleaned: cleaned, pattern: pattern) else { return nil }
        if !cleaned.utf8.elementsEqual(bytes) { parts.changed = true }
        return parts
    }

    /// Splits a name already passed through `clean`; nil when it has no words.
    static func split(cleaned text: String, pattern: NamePattern?) -> NameParts? {
        var casing = Casing(recase: needsRecase(text))
        var segments = text.split(separator: ",").map { $0.split(separator: " ").map(String.init) }
            .filter { !$0.isEmpty }
        guard !segments.isEmpty else { return nil }

        // Suffixes after a comma: "Robert Smith, Jr." / "Smith, Robert, PhD".
        var commaSuffixes: [String] = []
        while segments.count > 1, let last = segments.last, last.allSatisfy({ suffixForm($0) != nil }) {
            commaSuffixes = last.map { casing.canonical($0, suffixForm($0)!) } + commaSuffixes
            segments.removeLast()
        }
        let pattern = pattern ?? (segments.count > 1 ? .lastFirst : .firstLast)
        var prefixes: [String] = []
        var suffixes: [String] = []

        var result = NameParts(pattern: pattern)
        if pattern == .lastFirst {
            var surname: [String]
            var given: [String]
            if segments.count > 1 {
                surname = segments[0]
                given = Array(segments[1...].joined())
            } else {
                // No comma: the surname is the first word, with its particles.
                let tokens = segments.first ?? []
                var end = 0
                while end + 1 < tokens.count, isParticle(tokens[end]) { end += 1 }
                surname = Array(tokens.prefix(end + 1))
                given = Array(tokens.dropFirst(surname.count))
            }
            takeHonorifics(&surname, into: &prefixes, keepOne: true, casing: &casing)
            takeHonorifics(&given, into: &prefixes, keepOne: false, casing: &casing)
            suffixes += takeSuffixes(&surname, keepOne: true, casing: &casing)
            suffixes += takeSuffixes(&given, keepOne: false, casing: &casing)
            result.last = casing.surname(surname)
            if let first = given.first { result.first = casing.given([first]) }
            result.middle = casing.given(Array(given.dropFirst()))
        } else {
            var tokens = Array(segments.joined())
            takeHonorifics(&tokens, into: &prefixes, keepOne: true, casing: &casing)
            suffixes += takeSuffixes(&tokens, keepOne: true, casing: &casing)
            if tokens.count == 1 {
                // A single word: a surname after an honorific ("Dr Smith"), else a given name.
                if prefixes.isEmpty { result.first = casing.given(tokens) } else { result.last = casing.surname(tokens) }
            } else if tokens.count > 1 {
                var start = tokens.count - 1
                while start > 1, isParticle(tokens[start - 1]) { start -= 1 }
                result.first = casing.given([tokens[0]])
                result.middle = casing.given(Array(tokens[1..<start]))
                result.last = casing.surname(Array(tokens[start...]))
            }
        }
        suffixes += commaSuffixes
        result.prefix = prefixes.isEmpty ? nil : prefixes.joined(separator: " ")
        result.suffix = suffixes.isEmpty ? nil : suffixes.joined(separator: " ")
        result.changed = casing.changed
        return result
    }

    // MARK: - Single fields

    /// Standardizes a given name written in its own field (clean, display case, initials).
    /// Nil for a blank value.
    public static func givenName(_ raw: String) -> (value: String, changed: Bool)? {
        var raw = raw
        return raw.withUTF8 { single($0, surname: false) }
    }

    /// Standardizes a surname written in its own field (clean, display case, particles).
    public static func surname(_ raw: String) -> (value: String, changed: Bool)? {
        var raw = raw
        return raw.withUTF8 { single($0, surname: true) }
    }

    static func single(_ bytes: UnsafeBufferPointer<UInt8>, surname: Bool) -> (value: String, changed: Bool)? {
        guard let cleaned = clean(bytes) else { return nil }
        var casing = Casing(recase: needsRecase(cleaned))
        let words = cleaned.split(separator: " ").map(String.init)
        let value = (surname ? casing.surname(words) : casing.given(words)) ?? cleaned
        return (value, casing.changed || !value.utf8.elementsEqual(bytes))
    }

    // MARK: - Words

    static let honorifics: [UInt64: String] = packed([
        "mr": "Mr", "mrs": "Mrs", "ms": "Ms", "miss": "Miss", "mx": "Mx", "dr": "Dr", "prof": "Prof",
    ])
    static let suffixes: [UInt64: String] = packed([
        "jr": "Jr", "sr": "Sr", "ii": "II", "iii": "III", "iv": "IV", "phd": "PhD", "md": "MD",
    ])
    /// Lower-case words that start a surname (`van der Berg`, `de la Cruz`).
    static let particles: Set<UInt64> = Set(packed(Dictionary(uniqueKeysWithValues: [
        "van", "von", "der", "den", "de", "del", "della", "di", "da", "das", "dos", "du", "la", "le",
        "ter", "ten", "bin", "ibn",
    ].map { ($0, $0) })).keys)

    private static func packed(_ words: [String: String]) -> [UInt64: String] {
        Dictionary(uniqueKeysWithValues: words.map { (bare($0.key)!, $0.value) })
    }

    /// The word lower-cased without periods, packed into an integer (ASCII, at most 8 letters):
    /// how honorifics, suffixes and particles are recognized without allocating. Nil otherwise.
    static func bare(_ word: String) -> UInt64? {
        var packed: UInt64 = 0
        var length = 0
        for b in word.utf8 {
            if b == 0x2E { continue }
            guard b < 0x80, length < 8 else { return nil }
            packed = packed << 8 | UInt64(b >= 0x41 && b <= 0x5A ? b | 0x20 : b)
            length += 1
        }
        return length == 0 ? nil : packed
    }

    static func honorificForm(_ word: String) -> String? {
        bare(word).flatMap { honorifics[$0] }
    }

    static func suffixForm(_ word: String) -> String? {
        bare(word).flatMap { suffixes[$0] }
    }

    static func isParticle(_ word: String) -> Bool {
        !word.utf8.contains(0x2E) && bare(word).map { particles.contains($0) } == true
    }

    /// Leading honorifics of `tokens` go to `prefixes` (keeping at least one word if `keepOne`).
    static func takeHonorifics(_ tokens: inout [String], into prefixes: inout [String], keepOne: Bool,
                               casing: inout Casing) {
        while let word = tokens.first, tokens.count > (keepOne ? 1 : 0), let form = honorificForm(word) {
            prefixes.append(casing.canonical(word, form))
            tokens.removeFirst()
        }
    }

    /// Removes the trailing suffixes of `tokens` (keeping at least one word if `keepOne`) and
    /// returns them in their canonical spelling, in order.
    static func takeSuffixes(_ tokens: inout [String], keepOne: Bool, casing: inout Casing) -> [String] {
        var found: [String] = []
        while let word = tokens.last, tokens.count > (keepOne ? 1 : 0), let form = suffixForm(word) {
            found.insert(casing.canonical(word, form), at: 0)
            tokens.removeLast()
        }
        return found
    }

    /// Whether the value is written in one case only (all upper or all lower), so that it gets
    /// display case; mixed-case values are kept as written.
    static func needsRecase(_ text: String) -> Bool {
        var upper = false, lower = false
        for scalar in text.unicodeScalars {
            if scalar.isASCII {
                let v = scalar.value
                if v >= 0x41 && v <= 0x5A { upper = true } else if v >= 0x61 && v <= 0x7A { lower = true }
            } else if scalar.properties.isUppercase {
                upper = true
            } else if scalar.properties.isLowercase {
                lower = true
            }
            if upper && lower { return false }
        }
        return true
    }

    /// Display case of words, and whether anything was rewritten.
    struct Casing {
        var recase: Bool
        var changed = false

        /// A canonical spelling (honorific, suffix) replacing `word`.
        mutating func canonical(_ word: String, _ form: String) -> String {
            if form != word { changed = true }
            return form
        }

        /// Given names: initials (`j.` → `J`) and display case.
        mutating func given(_ words: [String]) -> String? {
            guard !words.isEmpty else { return nil }
            return words.map { word -> String in
                let out = initial(word) ?? (recase ? NameStandardizer.displayCase(word) : word)
                if out != word { changed = true }
                return out
            }.joined(separator: " ")
        }

        /// Surnames: particles stay lower-case before the last word.
        mutating func surname(_ words: [String]) -> String? {
            guard !words.isEmpty else { return nil }
            return words.enumerated().map { index, word -> String in
                guard recase else { return word }
                let out = index < words.count - 1 && NameStandardizer.isParticle(word)
                    ? word.lowercased() : NameStandardizer.displayCase(word)
                if out != word { changed = true }
                return out
            }.joined(separator: " ")
        }

        /// `J` or `J.` → `J`.
        func initial(_ word: String) -> String? {
            var scalars = word.unicodeScalars.makeIterator()
            guard let letter = scalars.next(), letter.properties.isAlphabetic else { return nil }
            let rest = scalars.next()
            guard rest == nil || (rest == "." && scalars.next() == nil) else { return nil }
            return String(letter).uppercased()
        }
    }

    /// `o'brien` → `O'Brien`, `mcdonald` → `McDonald`, `anne-marie` → `Anne-Marie`, `müller` →
    /// `Müller`, `ka'ahumanu` → `Ka'ahumanu` (only a one-letter part before an apostrophe is a prefix).
    static func displayCase(_ word: String) -> String {
        let lower = word.lowercased()
        var out = ""
        out.reserveCapacity(lower.utf8.count)
        var firstSegment = true
        for segment in lower.split(separator: "-", omittingEmptySubsequences: false) {
            if !firstSegment { out.append("-") }
            firstSegment = false
            var previousLength = -1
            for (i, piece) in segment.split(separator: "'", omittingEmptySubsequences: false).enumerated() {
                if i > 0 { out.append("'") }
                if i == 0 || previousLength == 1 {
                    out += capitalized(piece)
                } else {
                    out += piece
                }
                previousLength = piece.count
            }
        }
        return out
    }

    /// First letter upper-case; `mc` + at least two letters → `Mc` + capitalized rest.
    static func capitalized(_ piece: Substring) -> String {
        guard let first = piece.first else { return "" }
        if piece.hasPrefix("mc"), piece.count > 3 {
            return "Mc" + capitalized(piece.dropFirst(2))
        }
        return String(first).uppercased() + piece.dropFirst()
    }
}
