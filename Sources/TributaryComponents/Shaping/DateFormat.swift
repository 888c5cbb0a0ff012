import TributaryCore

/// Civil date and time parsed from text, before any time zone is applied.
public struct CivilTime: Sendable, Equatable {
    public var year = 1970, month = 1, day = 1
    public var hour = 0, minute = 0, second = 0, millisecond = 0
    /// The offset written in the text (`Z`, `+02:00`), in seconds east of UTC; nil when absent.
    public var offset: Int?
    /// Set when the text was an epoch number: the instant, in milliseconds.
    public var epochMillis: Int64?

    /// Days since 1970-01-01 of the civil date (proleptic Gregorian; Howard Hinnant's algorithm).
    public var daysSinceEpoch: Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Milliseconds since the epoch of the wall-clock reading, as if it were UTC.
    public var wallMillis: Int64 {
        if let epochMillis { return epochMillis }
        return ((daysSinceEpoch * 24 + Int64(hour)) * 60 + Int64(minute)) * 60_000 + Int64(second) * 1000 + Int64(millisecond)
    }

    public var isValid: Bool {
        guard epochMillis == nil else { return true }
        guard (1...12).contains(month), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
              (0...9999).contains(year) else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }
}

/// A compiled input format for dates and timestamps: `yyyy-MM-dd`, `MM/dd/yyyy HH:mm`, `dd.MM.yy`,
/// `h:mm a`, `XXX` offsets, or the named formats `iso8601`, `epoch_seconds`, `epoch_millis`.
/// Numeric fields other than `yyyy` accept one or two digits (`3/7/2024` and `03/07/2024`).
public struct DateFormat: Sendable {
    enum Token: Sendable, Equatable {
        case year4, year2, month, monthName, day, hour24, hour12, minute, second, fraction, ampm, offset
        case literal(UInt8)
    }

    enum Kind: Sendable, Equatable { case pattern([Token]), iso8601, epochSeconds, epochMillis }

    let kind: Kind
    public let text: String

    public init?(_ text: String) {
        self.text = text
        switch text {
        case "iso8601", "ISO8601", "iso": kind = .iso8601
        case "epoch_seconds", "epoch": kind = .epochSeconds
        case "epoch_millis": kind = .epochMillis
        default:
            guard let tokens = Self.compile(text) else { return nil }
            kind = .pattern(tokens)
        }
    }

    static func compile(_ text: String) -> [Token]? {
        let bytes = Array(text.utf8)
        var tokens: [Token] = []
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            var run = 1
            while i + run < bytes.count, bytes[i + run] == c { run += 1 }
            switch (c, run) {
            case (UInt8(ascii: "y"), 4): tokens.append(.year4)
            case (UInt8(ascii: "y"), 2): tokens.append(.year2)
            case (UInt8(ascii: "M"), 1...2): tokens.append(.month)
            case (UInt8(ascii: "M"), 3...4): tokens.append(.monthName)
            case (UInt8(ascii: "d"), 1...2): tokens.append(.day)
            case (UInt8(ascii: "H"), 1...2): tokens.append(.hour24)
            case (UInt8(ascii: "h"), 1...2): tokens.append(.hour12)
            case (UInt8(ascii: "m"), 1...2): tokens.append(.minute)
            case (UInt8(ascii: "s"), 1...2): tokens.append(.second)
            case (UInt8(ascii: "S"), 1...9): tokens.append(.fraction)
            case (UInt8(ascii: "a"), 1): tokens.append(.ampm)
            case (UInt8(ascii: "X"), 1...3), (UInt8(ascii: "Z"), 1...3): tokens.append(.offset)
            case (UInt8(ascii: "'"), _):
                // 'quoted literal'
                var j = i + 1
                while j < bytes.count, bytes[j] != UInt8(ascii: "'") { tokens.append(.literal(bytes[j])); j += 1 }
                guard j < bytes.count else { return nil }
                i = j + 1
                continue
            default:
                if (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) { return nil }  // unknown letter
                for _ in 0..<run { tokens.append(.literal(c)) }
            }
            i += run
        }
        return tokens
    }

    /// Why `text` is not a usable format for `type`, or nil.
    public static func problem(_ text: String, type: FieldType) -> String? {
        if type == .cents { return text == "cents" || text == "decimal" ? nil : "cents formats are `cents` (already in cents) or `decimal`" }
        guard let format = DateFormat(text) else { return "'\(text)' is not a date format" }
        if case .pattern(let tokens) = format.kind {
            if !tokens.contains(.year4) && !tokens.contains(.year2) || !tokens.contains(.month) && !tokens.contains(.monthName)
                || !tokens.contains(.day) {
                return "date format '\(text)' needs a year (yyyy), a month (MM) and a day (dd)"
            }
            if tokens.contains(.hour12) != tokens.contains(.ampm) {
                return "format '\(text)': 12-hour clocks (h) need an AM/PM marker (a), and `a` needs `h`"
            }
        }
        return nil
    }

    /// Parses `bytes` entirely; nil when they do not match.
    public func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> CivilTime? {
        switch kind {
        case .iso8601: return Self.parseISO(bytes)
        case .epochSeconds, .epochMillis:
            guard let n = parseInteger(bytes) else { return nil }
            var t = CivilTime()
            t.epochMillis = kind == .epochSeconds ? n * 1000 : n
            t.offset = 0
            return t
        case .pattern(let tokens): return Self.parse(bytes, tokens)
        }
    }

    static func parse(_ b: UnsafeBufferPointer<UInt8>, _ tokens: [Token]) -> CivilTime? {
        var t = CivilTime()
        var i = 0
        var pm: Bool?
        var hour12 = false
        for token in tokens {
            switch token {
            case .literal(let c):
                guard i < b.count, b[i] == c else { return nil }
                i += 1
            case .year4:
                guard let v = digits(b, &i, min: 4, max: 4) else { return nil }
                t.year = v
            case .year2:
                guard let v = digits(b, &i, min: 2, max: 2) else { return nil }
                t.year = v < 70 ? 2000 + v : 1900 + v
            case .month: guard let v = digits(b, &i, min: 1, max: 2) else { return nil }; t.month = v
            case .monthName: guard let v = monthName(b, &i) else { return nil }; t.month = v
            case .day: guard let v = digits(b, &i, min: 1, max: 2) else { return nil }; t.day = v
            case .hour24: guard let v = digits(b, &i, min: 1, max: 2) else { return nil }; t.hour = v
            case .hour12:
                guard let v = digits(b, &i, min: 1, max: 2), (1...12).contains(v) else { return nil }
                t.hour = v
                hour12 = true
            case .minute: guard let v = digits(b, &i, min: 1, max: 2) else { return nil }; t.minute = v
            case .second: guard let v = digits(b, &i, min: 1, max: 2) else { return nil }; t.second = v
            case .fraction:
                guard let ms = fraction(b, &i) else { return nil }
                t.millisecond = ms
            case .ampm:
                guard i + 1 < b.count else { return nil }
                let c0 = b[i] | 0x20, c1 = b[i + 1] | 0x20
                guard c1 == UInt8(ascii: "m"), c0 == UInt8(ascii: "a") || c0 == UInt8(ascii: "p") else { return nil }
                pm = c0 == UInt8(ascii: "p")
                i += 2
            case .offset:
                guard let o = offset(b, &i) else { return nil }
                t.offset = o
            }
        }
        guard i == b.count else { return nil }
        if hour12, let pm { t.hour = t.hour % 12 + (pm ? 12 : 0) }
        return t.isValid ? t : nil
    }

    /// ISO-8601 / RFC 3339: `2024-03-10`, `2024-03-10T07:30`, `2024-03-10 07:30:00.123456+01:00`, `...Z`.
    static func parseISO(_ b: UnsafeBufferPointer<UInt8>) -> CivilTime? {
        var t = CivilTime()
        var i = 0
        guard let y = digits(b, &i, min: 4, max: 4), expect(b, &i, UInt8(ascii: "-")),
              let mo = digits(b, &i, min: 2, max: 2), expect(b, &i, UInt8(ascii: "-")),
              let d = digits(b, &i, min: 2, max: 2) else { return nil }
        (t.year, t.month, t.day) = (y, mo, d)
        if i < b.count, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == UInt8(ascii: " ") {
            i += 1
            guard let h = digits(b, &i, min: 2, max: 2), expect(b, &i, UInt8(ascii: ":")),
                  let mi = digits(b, &i, min: 2, max: 2) else { return nil }
            (t.hour, t.minute) = (h, mi)
            if i < b.count, b[i] == UInt8(ascii: ":") {
                i += 1
                guard let s = digits(b, &i, min: 2, max: 2) else { return nil }
                t.second = s
                if i < b.count, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                    i += 1
                    guard let ms = fraction(b, &i) else { return nil }
                    t.millisecond = ms
                }
            }
            if i < b.count {
                guard let o = offset(b, &i) else { return nil }
                t.offset = o
            }
        }
        guard i == b.count, t.isValid else { return nil }
        return t
    }

    static let monthNames: [[UInt8]] = ["january", "february", "march", "april", "may", "june", "july", "august",
                                        "september", "october", "november", "december"].map { Array($0.utf8) }

    /// An English month name, full (`June`) or abbreviated to three letters (`Jun`, also `Sept`), any case.
    static func monthName(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Int? {
        var word: [UInt8] = []
        while i < b.count, (b[i] | 0x20) >= 0x61, (b[i] | 0x20) <= 0x7A { word.append(b[i] | 0x20); i += 1 }
        guard word.count >= 3 else { return nil }
        for (index, name) in monthNames.enumerated() where word == name || word == Array(name.prefix(3))
            || (index == 8 && word == Array("sept".utf8)) {
            return index + 1
        }
        return nil
    }

    @inline(__always)
    static func expect(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ c: UInt8) -> Bool {
        guard i < b.count, b[i] == c else { return false }
        i += 1
        return true
    }

    @inline(__always)
    static func digits(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, min: Int, max: Int) -> Int? {
        var v = 0
        var n = 0
        while n < max, i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
            v = v * 10 + Int(b[i] - 0x30)
            i += 1
            n += 1
        }
        return n >= min ? v : nil
    }

    /// Fractional seconds of any length, truncated to milliseconds.
    static func fraction(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Int? {
        var ms = 0
        var n = 0
        while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
            if n < 3 { ms = ms * 10 + Int(b[i] - 0x30) }
            i += 1
            n += 1
        }
        guard n > 0 else { return nil }
        for _ in n..<max(n, 3) { ms *= 10 }
        return ms
    }

    /// `Z`, `+hh`, `+hhmm`, `+hh:mm` (also `-`, and a leading space): seconds east of UTC.
    static func offset(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Int? {
        if i < b.count, b[i] == UInt8(ascii: " ") { i += 1 }
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") { i += 1; return 0 }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") else { return nil }
        let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
        i += 1
        guard let h = digits(b, &i, min: 2, max: 2), h <= 18 else { return nil }
        var m = 0
        if i < b.count, b[i] == UInt8(ascii: ":") { i += 1 }
        if i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
            guard let mm = digits(b, &i, min: 2, max: 2), mm < 60 else { return nil }
            m = mm
        }
        return sign * (h * 3600 + m * 60)
    }
}

/// An optionally signed whole number with optional `,` thousands separators.
func parseInteger(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
    var i = 0
    var negative = false
    if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { negative = b[i] == UInt8(ascii: "-"); i += 1 }
    guard i < b.count else { return nil }
    var value: Int64 = 0
    var digitsSinceSeparator = 0
    var sawSeparator = false
    var any = false
    while i < b.count {
        let c = b[i]
        if c >= 0x30 && c <= 0x39 {
            // Accumulated negatively, so that Int64.min fits.
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.subtractingReportingOverflow(Int64(c - 0x30))
            guard !o1, !o2 else { return nil }
            value = a
            digitsSinceSeparator += 1
            any = true
        } else if c == UInt8(ascii: ","), any, !sawSeparator || digitsSinceSeparator == 3 {
            guard sawSeparator || digitsSinceSeparator <= 3 else { return nil }
            sawSeparator = true
            digitsSinceSeparator = 0
        } else {
            return nil
        }
        i += 1
    }
    if sawSeparator, digitsSinceSeparator != 3 { return nil }
    if negative { return value }
    return value == .min ? nil : -value
}
