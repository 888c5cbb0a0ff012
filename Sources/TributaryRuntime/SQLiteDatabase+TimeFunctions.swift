import CSQLite
import Foundation

/// The instant a run is evaluated at (`--as-of`, default: the run's start), as SQL functions that
/// trait and segment expressions call:
///
///     as_of()                 the instant, `2024-06-05T00:00:00.000Z`
///     days_since(ts)          days (fractional) from ts to as_of; NULL for NULL or unreadable ts
///     within_days(ts, n)      1 when as_of - n days < ts <= as_of, else 0 (NULL ts: 0)
///     days_between(a, b)      days (fractional) from a to b
///     utc_instant(ts)         ts in the stored form (`2024-06-01T06:17:45.500Z`); NULL if unreadable
///
/// Timestamps are the UTC ISO-8601 text timestamp fields are stored as; a `yyyy-MM-dd` date counts
/// as midnight UTC; an explicit offset (`+02:00`) is honoured. The functions exist only while the
/// run (or `pipeline validate`) evaluates expressions: the published database holds their results.
public struct AsOf: Sendable, Equatable {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var epochSeconds: Double

    public init(_ date: Date) { epochSeconds = date.timeIntervalSince1970.rounded(.down) }

    public init?(parsing text: String) {
        guard let seconds = Self.parse(Array(text.utf8)) else { return nil }
        epochSeconds = seconds
    }

    public var date: Date { Date(timeIntervalSince1970: epochSeconds) }

    /// `2024-06-05T00:00:00.000Z`: the form timestamp fields are stored in, so that text
    /// comparisons with `at` order correctly.
    public var text: String { Self.format(epochSeconds) }

    public static func format(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.down))
        let millis = Int(((seconds - Double(whole)) * 1000).rounded())
        var days = whole / 86_400
        var rest = whole % 86_400
        if rest < 0 { rest += 86_400; days -= 1 }
        let (y, m, d) = civil(fromDays: days)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d, rest / 3600, rest / 60 % 60, rest % 60, millis)
    }

    /// Parses `yyyy-MM-dd`, `yyyy-MM-ddTHH:mm[:ss[.fff]]` with `Z`, `±HH:MM`, `±HHMM` or no zone
    /// (UTC), `T` or a space between date and time. Nil for anything else.
    public static func parse(_ b: [UInt8]) -> Double? {
        b.withUnsafeBufferPointer { parse($0) }
    }

    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let y = digits(4), expect(UInt8(ascii: "-")), let m = digits(2), expect(UInt8(ascii: "-")), let d = digits(2),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        var seconds = Double(days(fromCivil: y, m, d)) * 86_400
        if i == b.count { return seconds }
        guard b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: " ") else { return nil }
        i += 1
        guard let hh = digits(2), expect(UInt8(ascii: ":")), let mm = digits(2), hh < 24, mm < 60 else { return nil }
        seconds += Double(hh * 3600 + mm * 60)
        if expect(UInt8(ascii: ":")) {
            guard let ss = digits(2), ss < 61 else { return nil }
            seconds += Double(ss)
            if expect(UInt8(ascii: ".")) {
                var scale = 0.1
                var any = false
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    seconds += Double(b[i] - 48) * scale
                    scale /= 10
                    i += 1
                    any = true
                }
                guard any else { return nil }
            }
        }
        if i == b.count || expect(UInt8(ascii: "Z")) {
            return i == b.count ? seconds : nil
        }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") else { return nil }
        let sign: Double = b[i] == UInt8(ascii: "+") ? 1 : -1
        i += 1
        guard let oh = digits(2) else { return nil }
        _ = expect(UInt8(ascii: ":"))
        guard let om = digits(2), i == b.count, oh < 24, om < 60 else { return nil }
        return seconds - sign * Double(oh * 3600 + om * 60)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(fromCivil y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

/// What the C callbacks read through `sqlite3_user_data`.
private final class AsOfBox {
    let seconds: Double
    let text: [CChar]
    init(_ asOf: AsOf) {
        seconds = asOf.epochSeconds
        text = Array(asOf.text.utf8CString)
    }
}

private func instant(_ value: OpaquePointer?) -> Double? {
    guard let value, sqlite3_value_type(value) != SQLITE_NULL, let text = sqlite3_value_text(value) else { return nil }
    let count = Int(sqlite3_value_bytes(value))
    return AsOf.parse(UnsafeBufferPointer(start: text, count: count))
}

private func box(_ context: OpaquePointer?) -> AsOfBox {
    Unmanaged<AsOfBox>.fromOpaque(sqlite3_user_data(context)!).takeUnretainedValue()
}

extension SQLiteDatabase {
    /// Registers `as_of()`, `days_since`, `within_days` and `days_between` on this connection.
    func registerTimeFunctions(asOf: AsOf) throws(RunError) {
        let flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC
        let destroy: @convention(c) (UnsafeMutableRawPointer?) -> Void = { pointer in
            if let pointer { Unmanaged<AsOfBox>.fromOpaque(pointer).release() }
        }
        func register(_ name: String, _ arguments: Int32,
                      _ body: @escaping @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void) throws(RunError) {
            let data = Unmanaged.passRetained(AsOfBox(asOf)).toOpaque()
            let rc = sqlite3_create_function_v2(handle, name, arguments, flags, data, body, nil, nil, destroy)
            guard rc == SQLITE_OK else { throw failure(rc, lastError) }
        }
        try register("as_of", 0) { context, _, _ in
            box(context).text.withUnsafeBufferPointer { sqlite3_result_text(context, $0.baseAddress, -1, SQLITE_TRANSIENT_DESTRUCTOR) }
        }
        try register("days_since", 1) { context, _, argv in
            guard let t = instant(argv?[0]) else { return sqlite3_result_null(context) }
            sqlite3_result_double(context, (box(context).seconds - t) / 86_400)
        }
        try register("within_days", 2) { context, _, argv in
            guard let t = instant(argv?[0]) else { return sqlite3_result_int(context, 0) }
            let days = sqlite3_value_double(argv?[1])
            let now = box(context).seconds
            sqlite3_result_int(context, t <= now && t > now - days * 86_400 ? 1 : 0)
        }
        try register("utc_instant", 1) { context, _, argv in
            guard let t = instant(argv?[0]) else { return sqlite3_result_null(context) }
            var text = Array(AsOf.format(t).utf8)
            sqlite3_result_text(context, &text, Int32(text.count), SQLITE_TRANSIENT_DESTRUCTOR)
        }
        try register("days_between", 2) { context, _, argv in
            guard let a = instant(argv?[0]), let b = instant(argv?[1]) else { return sqlite3_result_null(context) }
            sqlite3_result_double(context, (b - a) / 86_400)
        }
    }
}
