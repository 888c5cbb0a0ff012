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
        var value: Int64 = 0
        var scale = 0
        var digits = 0
        var inFraction = false
        var groupDigits = 0
        var grouped = false
        while i < b.count {
            let c = b[i]
            if c >= 0x30, c <= 0x39 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(c - 0x30))
                guard !o1, !o2 else { return nil }
                value = a
                digits += 1
                if inFraction { scale += 1 } else { groupDigits += 1 }
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
        self.init(significand: negative ? -value : value, scale: scale)
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

    /// Division to 10 decimal places (rules compare exactly, so division is rarely needed).
    public static func / (a: ExactDecimal, b: ExactDecimal) -> ExactDecimal? {
        guard b.significand != 0, let x = a.scaled(to: max(a.scale, b.scale) + 10), let y = b.scaled(to: max(a.scale, b.scale)) else {
            return nil
        }
        return ExactDecimal(significand: x / y, scale: 10)
    }

    public static func < (a: ExactDecimal, b: ExactDecimal) -> Bool {
        guard let (x, y, _) = aligned(a, b) else { return Double(a.description)! < Double(b.description)! }
        return x < y
    }

    public static func == (a: ExactDecimal, b: ExactDecimal) -> Bool {
        a.significand == b.significand && a.scale == b.scale
    }
}
