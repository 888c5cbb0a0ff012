/// An exact decimal number read from text (`-1,234.50`, `+0.5`, `.5`, `12.`): digits are kept as
/// digits, so nothing is lost to binary floating point. Used for `decimal` and `cents` fields and
/// for arithmetic in validity rules.
public struct ExactDecimal: Sendable, Equatable, Comparable, CustomStringConvertible {
    /// value = significand × 10^-scale
    public var significand: Int64
    public var scale: Int

    public init(significand: Int64, scale: Int) {
        self.significand = significand
        self.scale = scale
        normalize()
    }

    public init?(_ text: String) {
        var copy = text
        guard let value = copy.withUTF8({ ExactDecimal($0) }) else { return nil }
        self = value
    }

    public init?(_ b: UnsafeBufferPointer<UInt8>) {
        var i = 0
        var negative = false
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { negative = b[i] == UInt8(ascii: "-"); i += 1 }
        // Accumulated negatively so that Int64.min fits; zeros at the end of the fraction are
        // only applied when a non-zero digit follows them (`1.000…0` never overflows).
        var value: Int64 = 0
        var scale = 0
        var digits = 0
        var pendingZeros = 0
        var inFraction = false
        var groupDigits = 0
        var grouped = false
        while i < b.count {
            let c = b[i]
            if c >= 0x30, c <= 0x39 {
                digits += 1
                if inFraction, c == 0x30 {
                    pendingZeros += 1
                    i += 1
                    continue
                }
                for _ in 0..<(pendingZeros + 1) {
                    let (m, o) = value.multipliedReportingOverflow(by: 10)
                    guard !o else { return nil }
                    value = m
                }
                let (a, o2) = value.subtractingReportingOverflow(Int64(c - 0x30))
                guard !o2 else { return nil }
                value = a
                if inFraction { scale += pendingZeros + 1 } else { groupDigits += 1 }
                pendingZeros = 0
            } else if c == UInt8(ascii: "."), !inFraction {
                if grouped, groupDigits != 3 { return nil }
                inFraction = true
            } else if c == UInt8(ascii: ","), !inFraction, digits > 0, !grouped || groupDigits == 3 {
                if !grouped, groupDigits > 3 { return nil }
                grouped = true
                groupDigits = 0
            } else {
                return nil
            }
            i += 1
        }
        guard digits > 0 else { return nil }
        if grouped, !inFraction, groupDigits != 3 { return nil }
        if !negative {
            guard value != .min else { return nil }
            value = -value
        }
        self.init(significand: value, scale: scale)
    }

    private mutating func normalize() {
        while scale > 0, significand % 10 == 0 {
            significand /= 10
            scale -= 1
        }
        if significand == 0 { scale = 0 }
    }

    /// The value in cents, when it has at most two decimal places and fits.
    public var cents: Int64? {
        guard scale <= 2 else { return nil }
        var v = significand
        for _ in scale..<2 {
            let (m, o) = v.multipliedReportingOverflow(by: 10)
            guard !o else { return nil }
            v = m
        }
        return v
    }

    public var description: String {
        guard scale > 0 else { return String(significand) }
        let negative = significand < 0
        var digits = String(significand.magnitude)
        if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
        let cut = digits.index(digits.endIndex, offsetBy: -scale)
        return (negative ? "-" : "") + digits[..<cut] + "." + digits[cut...]
    }

    static func aligned(_ a: ExactDecimal, _ b: ExactDecimal) -> (Int64, Int64, Int)? {
        let scale = max(a.scale, b.scale)
        guard let x = a.scaled(to: scale), let y = b.scaled(to: scale) else { return nil }
        return (x, y, scale)
    }

    func scaled(to target: Int) -> Int64? {
        var v = significand
        for _ in scale..<max(scale, target) {
            let (m, o) = v.multipliedReportingOverflow(by: 10)
            guard !o else { return nil }
            v = m
        }
        return v
    }

    public static func + (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal? {
        guard let (x, y, s) = aligned(a, b) else { return nil }
        let (r, o) = x.addingReportingOverflow(y)
        return o ? nil : ExactDecimal(significand: r, scale: s)
    }

    public static func - (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal? {
        guard let (x, y, s) = aligned(a, b) else { return nil }
        let (r, o) = x.subtractingReportingOverflow(y)
        return o ? nil : ExactDecimal(significand: r, scale: s)
    }

    public static func * (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal? {
        let (r, o) = a.significand.multipliedReportingOverflow(by: b.significand)
        return o ? nil : ExactDecimal(significand: r, scale: a.scale + b.scale)
    }

    /// Division, exact when the quotient has at most 10 decimal places (or as many as fit in 64
    /// bits), truncated beyond that.
    public static func / (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal? {
        guard b.significand != 0, let (x, y, _) = aligned(a, b) else { return nil }
        var extra = 10
        while extra > 0, x.multipliedReportingOverflow(by: pow10(extra)).overflow { extra -= 1 }
        let (quotient, overflow) = (x * pow10(extra)).dividedReportingOverflow(by: y)
        return overflow ? nil : ExactDecimal(significand: quotient, scale: extra)
    }

    static func pow10(_ n: Int) -> Int64 {
        var v: Int64 = 1
        for _ in 0..<n { v *= 10 }
        return v
    }

    public static func < (a: ExactDecimal, b: ExactDecimal) -> Bool {
        guard let (x, y, _) = aligned(a, b) else { return Double(a.description)! < Double(b.description)! }
        return x < y
    }

    public static func == (a: ExactDecimal, b: ExactDecimal) -> Bool {
        a.significand == b.significand && a.scale == b.scale
    }
}
