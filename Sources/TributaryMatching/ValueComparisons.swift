/// Comparisons of dates, numbers and multi-word values over UTF-8 bytes, for the comparison
/// levels of the probabilistic matcher (`FellegiSunter`). Like `StringSimilarity`, they read
/// the bytes in place and allocate nothing for short inputs.
public enum ValueComparisons {

    // MARK: Dates

    /// A calendar date read from `yyyy-MM-dd` (or `yyyyMMdd`, as FEBRL writes it).
    public struct CalendarDate: Equatable, Sendable {
        public var year: Int, month: Int, day: Int

        /// Days since 1970-01-01 in the proleptic Gregorian calendar.
        public var dayNumber: Int {
            // Howard Hinnant's days_from_civil.
            let y = month <= 2 ? year - 1 : year
            let era = (y >= 0 ? y : y - 399) / 400
            let yoe = y - era * 400
            let mp = (month + 9) % 12
            let doy = (153 * mp + 2) / 5 + day - 1
            let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
            return era * 146_097 + doe - 719_468
        }

        public var isValid: Bool {
            guard (1...12).contains(month), day >= 1 else { return false }
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
            return day <= days
        }
    }

    /// The date in `bytes` (`yyyy-MM-dd` or `yyyyMMdd`; anything after the day, such as a time,
    /// is ignored), nil when it is not one. Month and day are not range-checked: a typo'd
    /// `1980-13-02` still reads, and `isValid` says whether it exists.
    @inline(__always)
    public static func date(_ bytes: UnsafeBufferPointer<UInt8>) -> CalendarDate? {
        @inline(__always) func digits(_ from: Int, _ count: Int) -> Int? {
            var v = 0
            for i in from..<from + count {
                let d = Int(bytes[i]) - 48
                guard d >= 0 && d <= 9 else { return nil }
                v = v * 10 + d
            }
            return v
        }
        if bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") {
            guard let y = digits(0, 4), let m = digits(5, 2), let d = digits(8, 2) else { return nil }
            return CalendarDate(year: y, month: m, day: d)
        }
        if bytes.count == 8 {
            guard let y = digits(0, 4), let m = digits(4, 2), let d = digits(6, 2) else { return nil }
            return CalendarDate(year: y, month: m, day: d)
        }
        return nil
    }

    /// One typo in the digits: the two values' digits (separators ignored) are within one edit
    /// (a digit changed, inserted or dropped, or two adjacent digits transposed) and not equal.
    @inline(__always)
    public static func dateTypo(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        withDigits(a) { da in withDigits(b) { db in
            StringSimilarity.levenshtein(da, db, transpositions: true, maxDistance: 1) == 1
        } }
    }

    /// Day and month swapped: same year, a's month is b's day and a's day is b's month (not equal).
    @inline(__always)
    public static func dayMonthSwapped(_ a: CalendarDate, _ b: CalendarDate) -> Bool {
        a.year == b.year && a.month == b.day && a.day == b.month && a.month != a.day
    }

    /// Both dates exist and are at most `days` apart.
    @inline(__always)
    public static func within(days: Int, _ a: CalendarDate, _ b: CalendarDate) -> Bool {
        a.isValid && b.isValid && abs(a.dayNumber - b.dayNumber) <= days
    }

    /// The ASCII digits of `bytes`, in a scratch buffer (on the stack for short values).
    @inline(__always)
    static func withDigits<R>(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, bytes.count)) { scratch in
            var n = 0
            for byte in bytes where byte >= 48 && byte <= 57 {
                scratch[n] = byte
                n += 1
            }
            return body(UnsafeBufferPointer(rebasing: scratch[0..<n]))
        }
    }

    // MARK: Numbers

    /// A decimal number (`-12`, `3.50`, `+7`, `1e3`, surrounding spaces allowed), nil otherwise.
    @inline(__always)
    public static func number(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0, end = bytes.count
        while i < end && bytes[i] == 0x20 { i += 1 }
        while end > i && bytes[end - 1] == 0x20 { end -= 1 }
        guard i < end else { return nil }
        var negative = false
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { negative = bytes[i] == UInt8(ascii: "-"); i += 1 }
        var mantissa = 0.0, scale = 0, digits = 0, seenPoint = false
        while i < end {
            let c = bytes[i]
            if c >= 48 && c <= 57 {
                mantissa = mantissa * 10 + Double(c - 48)
                if seenPoint { scale -= 1 }
                digits += 1
            } else if c == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else {
                break
            }
            i += 1
        }
        guard digits > 0 else { return nil }
        if i < end && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            var expNegative = false
            if i < end && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) { expNegative = bytes[i] == UInt8(ascii: "-"); i += 1 }
            var e = 0, expDigits = 0
            while i < end, bytes[i] >= 48 && bytes[i] <= 57 { e = min(e * 10 + Int(bytes[i] - 48), 400); expDigits += 1; i += 1 }
            guard expDigits > 0 else { return nil }
            scale += expNegative ? -e : e
        }
        guard i == end else { return nil }
        var value = mantissa
        if scale != 0 { value *= pow10(scale) }
        return negative ? -value : value
    }

    static func pow10(_ e: Int) -> Double {
        var result = 1.0, base = 10.0, n = abs(e)
        while n > 0 {
            if n & 1 == 1 { result *= base }
            base *= base
            n >>= 1
        }
        return e < 0 ? 1 / result : result
    }

    /// |a - b| / max(|a|, |b|) (0 when both are 0).
    @inline(__always)
    public static func relativeDifference(_ a: Double, _ b: Double) -> Double {
        let scale = max(abs(a), abs(b))
        return scale == 0 ? 0 : abs(a - b) / scale
    }

    // MARK: Token sets

    /// Whether a byte separates tokens: ASCII space, tab, comma, period, hyphen, slash, semicolon.
    @inline(__always)
    static func isSeparator(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x09 || c == UInt8(ascii: ",") || c == UInt8(ascii: ".") || c == UInt8(ascii: "-")
            || c == UInt8(ascii: "/") || c == UInt8(ascii: ";")
    }

    /// Jaccard similarity of the two values' sets of tokens (|A ∩ B| / |A ∪ B|; words in any
    /// order, repeats counted once): `mary jane smith` / `smith mary-jane` → 1. Two values
    /// without tokens: 1 if both have none.
    public static func tokenJaccard(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Double {
        // Token spans (start, end) of both values, a's first; each value has at most count/2+1.
        let capA = a.count / 2 + 1, capB = b.count / 2 + 1
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * (capA + capB)) { spans -> Double in
            @inline(__always) func split(_ v: UnsafeBufferPointer<UInt8>, into base: Int) -> Int {
                var n = 0, i = 0
                while i < v.count {
                    while i < v.count && isSeparator(v[i]) { i += 1 }
                    let start = i
                    while i < v.count && !isSeparator(v[i]) { i += 1 }
                    if i > start {
                        spans[base + 2 * n] = start
                        spans[base + 2 * n + 1] = i
                        n += 1
                    }
                }
                return n
            }
            let na = split(a, into: 0), nb = split(b, into: 2 * capA)
            if na == 0 || nb == 0 { return na == nb ? 1 : 0 }
            @inline(__always) func same(_ x: UnsafeBufferPointer<UInt8>, _ xi: Int, _ y: UnsafeBufferPointer<UInt8>, _ yi: Int) -> Bool {
                let (xs, xe, ys, ye) = (spans[xi], spans[xi + 1], spans[yi], spans[yi + 1])
                guard xe - xs == ye - ys else { return false }
                for k in 0..<(xe - xs) where x[xs + k] != y[ys + k] { return false }
                return true
            }
            // Distinct tokens of each side, and the distinct tokens of a found in b.
            var distinctA = 0, distinctB = 0, shared = 0
            for i in 0..<na {
                var repeated = false
                for j in 0..<i where same(a, 2 * i, a, 2 * j) { repeated = true; break }
                if repeated { continue }
                distinctA += 1
                for j in 0..<nb where same(a, 2 * i, b, 2 * capA + 2 * j) { shared += 1; break }
            }
            for i in 0..<nb {
                var repeated = false
                for j in 0..<i where same(b, 2 * capA + 2 * i, b, 2 * capA + 2 * j) { repeated = true; break }
                if !repeated { distinctB += 1 }
            }
            return Double(shared) / Double(distinctA + distinctB - shared)
        }
    }

    // Conveniences for strings (tests, one-off use).
    public static func date(_ s: String) -> CalendarDate? { Array(s.utf8).withUnsafeBufferPointer { date($0) } }
    public static func number(_ s: String) -> Double? { Array(s.utf8).withUnsafeBufferPointer { number($0) } }
    public static func dateTypo(_ a: String, _ b: String) -> Bool {
        Array(a.utf8).withUnsafeBufferPointer { pa in Array(b.utf8).withUnsafeBufferPointer { pb in dateTypo(pa, pb) } }
    }
    public static func tokenJaccard(_ a: String, _ b: String) -> Double {
        Array(a.utf8).withUnsafeBufferPointer { pa in Array(b.utf8).withUnsafeBufferPointer { pb in tokenJaccard(pa, pb) } }
    }
}
