import Testing
@testable import TributaryComponents
import TributaryCore
import TributaryTestSupport

// The shaping steps: date/time formats, exact decimals, field typing and validity rules.
// Every expected value below is worked out by hand from its input (calendar arithmetic, DST
// rules of the zone, decimal arithmetic); nothing is computed by the code under test or by
// Foundation's date APIs.

// MARK: - Helpers (private: other test files of this target declare their own)

/// Parses `text` with the format `format`; nil when the format does not compile or the text does not match.
private func parsed(_ format: String, _ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> CivilTime? {
    guard let compiled = DateFormat(format) else {
        Issue.record("format '\(format)' does not compile", sourceLocation: sourceLocation)
        return nil
    }
    var copy = text
    return copy.withUTF8 { compiled.parse($0) }
}

/// A civil time written by hand.
private func civilTime(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0,
                       ms: Int = 0, offset: Int? = nil) -> CivilTime {
    var t = CivilTime()
    t.year = year
    t.month = month
    t.day = day
    t.hour = hour
    t.minute = minute
    t.second = second
    t.millisecond = ms
    t.offset = offset
    return t
}

private func decimal(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> ExactDecimal {
    try #require(ExactDecimal(text), "'\(text)' should parse", sourceLocation: sourceLocation)
}

/// Typing built as the runtime builds it: every field in its own column, in order.
private func typing(_ fields: FieldDefinition..., table: [String: String] = [:]) throws -> FieldTyping {
    try FieldTyping(fields: fields, columns: Array(fields.indices), scope: FieldScope(fields: fields.map(\.name)),
                    referenceTable: { _, _, _ in table })
}

/// Rejections as (row, detail); every one must be `.invalidValue`.
private func invalid(_ rejections: [Rejection], sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [Int] {
    for r in rejections {
        #expect(r.reason == .invalidValue, "row \(r.row): \(r.reason)", sourceLocation: sourceLocation)
    }
    return rejections.map(\.row)
}

/// Expects every rejection's detail to name `field` and not to contain any of `values`.
private func expectDetails(_ rejections: [Rejection], name field: String, notContaining values: [String],
                           sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    for r in rejections {
        #expect(r.detail.contains("'\(field)'"), "detail of row \(r.row) does not name the field: \(r.detail)",
                sourceLocation: sourceLocation)
        for value in values {
            #expect(!r.detail.contains(value), "detail of row \(r.row) echoes the value '\(value)': \(r.detail)",
                    sourceLocation: sourceLocation)
        }
    }
}

private let nodes = ConfigNodes(file: "p.yml", keys: .fixed(line: 1, column: 1))

/// Builds `rules:` from its items against `fields`.
private func rules(_ items: [ConfigNode], fields: [String]) -> (step: (any RecordStep)?, diagnostics: [Diagnostic]) {
    var diagnostics = DiagnosticBag()
    let step = ValidityRules.make(ConfigNode(.sequence(items), at: nodes.at(1, 1)), scope: FieldScope(fields: fields),
                                  diagnostics: &diagnostics)
    return (step, diagnostics.items)
}

/// One `check:` rule over the fields, its expression at line 5, column 14.
private func checkRule(_ expression: String, name: String? = nil, fields: [String]) -> (step: (any RecordStep)?, diagnostics: [Diagnostic]) {
    var entries = [("check", nodes.scalar(expression, line: 5, column: 14))]
    if let name { entries.append(("name", nodes.scalar(name))) }
    let item = ConfigNode(.mapping(entries.map { ConfigEntry(key: $0.0, keyLocation: nodes.at(5, 7), value: $0.1) }), at: nodes.at(5, 7))
    return rules([item], fields: fields)
}

/// The rows a rule step rejects (all `rule_failed`), with their details.
private func failures(_ step: any RecordStep, _ batch: RecordBatch, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [Int: String] {
    var b = batch
    let rejections = step.apply(to: &b)
    var out: [Int: String] = [:]
    for r in rejections {
        #expect(r.reason == .ruleFailed, sourceLocation: sourceLocation)
        #expect(out[r.row] == nil, "row \(r.row) rejected twice", sourceLocation: sourceLocation)
        out[r.row] = r.detail
    }
    #expect(rejections.map(\.row) == rejections.map(\.row).sorted(), "rejections out of order", sourceLocation: sourceLocation)
    return out
}

@Suite("Shaping: formats, decimals, typing, rules")
struct ShapingTests {

    // MARK: - DateFormat patterns

    struct PatternCase: Sendable, CustomTestStringConvertible {
        var format: String
        var text: String
        var expected: CivilTime?
        var testDescription: String { "\(format) ← \(text)" }
    }

    static let patternCases: [PatternCase] = [
        PatternCase(format: "yyyy-MM-dd", text: "2024-03-07", expected: civilTime(2024, 3, 7)),
        PatternCase(format: "yyyy-MM-dd", text: "1999-12-31", expected: civilTime(1999, 12, 31)),
        PatternCase(format: "MM/dd/yyyy", text: "03/07/2024", expected: civilTime(2024, 3, 7)),
        PatternCase(format: "MM/dd/yyyy", text: "3/7/2024", expected: civilTime(2024, 3, 7)),
        PatternCase(format: "MM/dd/yyyy", text: "12/31/2024", expected: civilTime(2024, 12, 31)),
        PatternCase(format: "MM/dd/yyyy", text: "3/17/2024", expected: civilTime(2024, 3, 17)),
        PatternCase(format: "M/d/yyyy", text: "11/30/2024", expected: civilTime(2024, 11, 30)),
        PatternCase(format: "dd.MM.yy", text: "07.03.24", expected: civilTime(2024, 3, 7)),
        PatternCase(format: "dd.MM.yy", text: "31.12.69", expected: civilTime(2069, 12, 31)),
        PatternCase(format: "dd.MM.yy", text: "01.01.70", expected: civilTime(1970, 1, 1)),
        PatternCase(format: "dd.MM.yy", text: "7.3.99", expected: civilTime(1999, 3, 7)),
        PatternCase(format: "MM/dd/yyyy HH:mm", text: "03/10/2024 02:30", expected: civilTime(2024, 3, 10, 2, 30)),
        PatternCase(format: "MM/dd/yyyy HH:mm", text: "3/10/2024 23:59", expected: civilTime(2024, 3, 10, 23, 59)),
        PatternCase(format: "MM/dd/yyyy HH:mm", text: "03/10/2024 0:05", expected: civilTime(2024, 3, 10, 0, 5)),
        // 12-hour clock: 12 AM is midnight, 12 PM is noon.
        PatternCase(format: "MM/dd/yyyy h:mm a", text: "03/10/2024 12:00 AM", expected: civilTime(2024, 3, 10, 0, 0)),
        PatternCase(format: "MM/dd/yyyy h:mm a", text: "03/10/2024 12:59 AM", expected: civilTime(2024, 3, 10, 0, 59)),
        PatternCase(format: "MM/dd/yyyy h:mm a", text: "03/10/2024 1:05 AM", expected: civilTime(2024, 3, 10, 1, 5)),
        PatternCase(format: "MM/dd/yyyy h:mm a", text: "03/10/2024 11:59 AM", expected: civilTime(2024, 3, 10, 11, 59)),
        PatternCase(format: "MM/dd/yyyy h:mm a", text: "03/10/2024 12:00 PM", expected: civilTime(2024, 3, 10, 12, 0)),
        PatternCase(format: "MM/dd/yyyy h:mm a", text: "03/10/2024 12:30 pm", expected: civilTime(2024, 3, 10, 12, 30)),
        PatternCase(format: "MM/dd/yyyy h:mm a", text: "03/10/2024 1:05 pm", expected: civilTime(2024, 3, 10, 13, 5)),
        PatternCase(format: "MM/dd/yyyy h:mm a", text: "03/10/2024 11:59 PM", expected: civilTime(2024, 3, 10, 23, 59)),
        PatternCase(format: "h:mm a", text: "12:00 AM", expected: civilTime(1970, 1, 1, 0, 0)),
        PatternCase(format: "h:mm a", text: "12:00 PM", expected: civilTime(1970, 1, 1, 12, 0)),
        PatternCase(format: "hh:mm a", text: "07:45 PM", expected: civilTime(1970, 1, 1, 19, 45)),
        // Quoted literals and offsets.
        PatternCase(format: "yyyy-MM-dd'T'HH:mm:ss", text: "2024-03-10T02:30:15", expected: civilTime(2024, 3, 10, 2, 30, 15)),
        PatternCase(format: "yyyy-MM-dd'T'HH:mm:ssXXX", text: "2024-03-10T02:30:15Z", expected: civilTime(2024, 3, 10, 2, 30, 15, offset: 0)),
        PatternCase(format: "yyyy-MM-dd'T'HH:mm:ssXXX", text: "2024-03-10T02:30:15+05:30", expected: civilTime(2024, 3, 10, 2, 30, 15, offset: 19_800)),
        PatternCase(format: "yyyy-MM-dd'T'HH:mm:ssXXX", text: "2024-03-10T02:30:15-08:00", expected: civilTime(2024, 3, 10, 2, 30, 15, offset: -28_800)),
        PatternCase(format: "yyyy-MM-dd'T'HH:mm:ssXXX", text: "2024-03-10T02:30:15+0100", expected: civilTime(2024, 3, 10, 2, 30, 15, offset: 3600)),
        PatternCase(format: "'on' dd.MM.yyyy 'at' HH:mm", text: "on 10.03.2024 at 14:05", expected: civilTime(2024, 3, 10, 14, 5)),
        PatternCase(format: "yyyy-MM-dd HH:mm:ss.SSS", text: "2024-03-10 02:30:15.5", expected: civilTime(2024, 3, 10, 2, 30, 15, ms: 500)),
        PatternCase(format: "yyyy-MM-dd HH:mm:ss.SSS", text: "2024-03-10 02:30:15.123456", expected: civilTime(2024, 3, 10, 2, 30, 15, ms: 123)),
        PatternCase(format: "yyyyMMdd", text: "20240307", expected: civilTime(2024, 3, 7)),
        // Does not match.
        PatternCase(format: "MM/dd/yyyy", text: "03/07/24", expected: nil),
        PatternCase(format: "MM/dd/yyyy", text: "03-07-2024", expected: nil),
        PatternCase(format: "MM/dd/yyyy", text: "03/07/2024 ", expected: nil),
        PatternCase(format: "MM/dd/yyyy", text: "/07/2024", expected: nil),
        PatternCase(format: "MM/dd/yyyy", text: "003/07/2024", expected: nil),
        PatternCase(format: "dd.MM.yy", text: "07.03.2024", expected: nil),
        PatternCase(format: "yyyy-MM-dd", text: "2024-03-07T00:00", expected: nil),
        PatternCase(format: "MM/dd/yyyy h:mm a", text: "03/10/2024 1:05", expected: nil),
        PatternCase(format: "MM/dd/yyyy h:mm a", text: "03/10/2024 13:05 PM", expected: nil),
        PatternCase(format: "MM/dd/yyyy h:mm a", text: "03/10/2024 0:30 AM", expected: nil),
        PatternCase(format: "MM/dd/yyyy h:mm a", text: "03/10/2024 1:05 XM", expected: nil),
        PatternCase(format: "yyyy-MM-dd'T'HH:mm:ss", text: "2024-03-10 02:30:15", expected: nil),
        PatternCase(format: "yyyy-MM-dd'T'HH:mm:ssXXX", text: "2024-03-10T02:30:15", expected: nil),
        // Invalid calendar dates and times.
        PatternCase(format: "MM/dd/yyyy", text: "02/30/2024", expected: nil),
        PatternCase(format: "MM/dd/yyyy", text: "02/29/2023", expected: nil),
        PatternCase(format: "MM/dd/yyyy", text: "02/29/2024", expected: civilTime(2024, 2, 29)),
        PatternCase(format: "MM/dd/yyyy", text: "13/01/2024", expected: nil),
        PatternCase(format: "MM/dd/yyyy", text: "00/10/2024", expected: nil),
        PatternCase(format: "MM/dd/yyyy", text: "04/31/2024", expected: nil),
        PatternCase(format: "MM/dd/yyyy", text: "04/00/2024", expected: nil),
        PatternCase(format: "MM/dd/yyyy HH:mm", text: "03/10/2024 24:00", expected: nil),
        PatternCase(format: "MM/dd/yyyy HH:mm", text: "03/10/2024 23:60", expected: nil),
    ]

    @Test(arguments: patternCases)
    func pattern(_ c: PatternCase) {
        #expect(parsed(c.format, c.text) == c.expected)
    }

    @Test func leapYearsFollowTheGregorianRules() {
        #expect(parsed("yyyy-MM-dd", "2023-02-29") == nil, "2023 is not a leap year")
        #expect(parsed("yyyy-MM-dd", "2024-02-29") == civilTime(2024, 2, 29))
        #expect(parsed("yyyy-MM-dd", "1900-02-29") == nil, "1900 is divisible by 100, not by 400")
        #expect(parsed("yyyy-MM-dd", "2000-02-29") == civilTime(2000, 2, 29), "2000 is divisible by 400")
        #expect(parsed("yyyy-MM-dd", "2100-02-29") == nil)
        #expect(parsed("dd.MM.yy", "29.02.23") == nil)
        #expect(parsed("dd.MM.yy", "29.02.24") == civilTime(2024, 2, 29))
        #expect(parsed("iso8601", "2023-02-29") == nil)
        #expect(parsed("iso8601", "2024-02-29T12:00:00Z") == civilTime(2024, 2, 29, 12, 0, 0, offset: 0))
    }

    // MARK: - iso8601

    static let isoCases: [PatternCase] = [
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00Z", expected: civilTime(2024, 3, 10, 7, 30, 0, offset: 0)),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00z", expected: civilTime(2024, 3, 10, 7, 30, 0, offset: 0)),
        PatternCase(format: "iso8601", text: "2024-03-10T09:30:00+02:00", expected: civilTime(2024, 3, 10, 9, 30, 0, offset: 7200)),
        PatternCase(format: "iso8601", text: "2024-03-10T09:30:00+0200", expected: civilTime(2024, 3, 10, 9, 30, 0, offset: 7200)),
        PatternCase(format: "iso8601", text: "2024-03-10T02:30:00-05", expected: civilTime(2024, 3, 10, 2, 30, 0, offset: -18_000)),
        PatternCase(format: "iso8601", text: "2024-03-10T13:15:00+05:45", expected: civilTime(2024, 3, 10, 13, 15, 0, offset: 20_700)),
        PatternCase(format: "iso8601", text: "2024-03-10T02:30:00-09:30", expected: civilTime(2024, 3, 10, 2, 30, 0, offset: -34_200)),
        // Fractions of 1 to 9 digits, truncated (not rounded) to milliseconds.
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00.1Z", expected: civilTime(2024, 3, 10, 7, 30, 0, ms: 100, offset: 0)),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00.12Z", expected: civilTime(2024, 3, 10, 7, 30, 0, ms: 120, offset: 0)),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00.123Z", expected: civilTime(2024, 3, 10, 7, 30, 0, ms: 123, offset: 0)),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00.1239Z", expected: civilTime(2024, 3, 10, 7, 30, 0, ms: 123, offset: 0)),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00.12345Z", expected: civilTime(2024, 3, 10, 7, 30, 0, ms: 123, offset: 0)),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00.123456Z", expected: civilTime(2024, 3, 10, 7, 30, 0, ms: 123, offset: 0)),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00.1234567+01:00", expected: civilTime(2024, 3, 10, 7, 30, 0, ms: 123, offset: 3600)),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00.12345678Z", expected: civilTime(2024, 3, 10, 7, 30, 0, ms: 123, offset: 0)),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00.999999999Z", expected: civilTime(2024, 3, 10, 7, 30, 0, ms: 999, offset: 0)),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00.007Z", expected: civilTime(2024, 3, 10, 7, 30, 0, ms: 7, offset: 0)),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00,5Z", expected: civilTime(2024, 3, 10, 7, 30, 0, ms: 500, offset: 0)),
        // A space instead of T; no seconds; no offset; date only.
        PatternCase(format: "iso8601", text: "2024-03-10 07:30:00Z", expected: civilTime(2024, 3, 10, 7, 30, 0, offset: 0)),
        PatternCase(format: "iso8601", text: "2024-03-10 07:30:00.250", expected: civilTime(2024, 3, 10, 7, 30, 0, ms: 250)),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30", expected: civilTime(2024, 3, 10, 7, 30)),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30+02:00", expected: civilTime(2024, 3, 10, 7, 30, offset: 7200)),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:45", expected: civilTime(2024, 3, 10, 7, 30, 45)),
        PatternCase(format: "iso8601", text: "2024-03-10", expected: civilTime(2024, 3, 10)),
        // Not ISO-8601.
        PatternCase(format: "iso8601", text: "2024-3-10", expected: nil),
        PatternCase(format: "iso8601", text: "03/10/2024", expected: nil),
        PatternCase(format: "iso8601", text: "2024-03-10T7:30:00Z", expected: nil),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00.Z", expected: nil),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00+2", expected: nil),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00+02:60", expected: nil),
        PatternCase(format: "iso8601", text: "2024-03-10T07:30:00 UTC", expected: nil),
        PatternCase(format: "iso8601", text: "2024-03-10T", expected: nil),
        PatternCase(format: "iso8601", text: "2024-03-10T07", expected: nil),
        PatternCase(format: "iso8601", text: "2024-02-30", expected: nil),
        PatternCase(format: "iso8601", text: "2024-13-01", expected: nil),
        PatternCase(format: "iso8601", text: "2024-00-01", expected: nil),
        PatternCase(format: "iso8601", text: "2024-03-10T24:00:00Z", expected: nil),
        PatternCase(format: "iso8601", text: "2024-03-10T23:60:00Z", expected: nil),
        PatternCase(format: "iso8601", text: "", expected: nil),
    ]

    @Test(arguments: isoCases)
    func iso8601(_ c: PatternCase) {
        #expect(parsed(c.format, c.text) == c.expected)
    }

    @Test func namedFormatsAreRecognised() throws {
        for name in ["iso8601", "epoch_seconds", "epoch_millis"] {
            #expect(DateFormat(name) != nil, "\(name)")
            #expect(DateFormat.problem(name, type: .timestamp) == nil, "\(name)")
        }
        let seconds = try #require(parsed("epoch_seconds", "1710055800"))
        #expect(seconds.epochMillis == 1_710_055_800_000)
        #expect(seconds.offset == 0)
        let millis = try #require(parsed("epoch_millis", "-1"))
        #expect(millis.epochMillis == -1)
        #expect(parsed("epoch_seconds", "17100558.5") == nil)
        #expect(parsed("epoch_seconds", "") == nil)
        #expect(parsed("epoch_millis", "12a") == nil)
    }

    @Test func badPatternsDoNotCompile() {
        #expect(DateFormat("yyy-MM-dd") == nil, "three y")
        #expect(DateFormat("y-MM-dd") == nil, "one y")
        #expect(DateFormat("yyyy-MMMMM-dd") == nil, "five M")
        #expect(DateFormat("yyyy-MM-dd QQ") == nil, "unknown letter")
        #expect(DateFormat("yyyy-MM-dd'T") == nil, "unterminated quote")
        #expect(DateFormat("yyyy-MM-dd aa") == nil)
        #expect(DateFormat("yyyy-MM-dd'T'HH:mm") != nil)
    }

    @Test func problemMessagesForBadPatterns() {
        #expect(DateFormat.problem("yyyy-MM-dd", type: .date) == nil)
        #expect(DateFormat.problem("MM/dd/yyyy h:mm a", type: .timestamp) == nil)
        #expect(DateFormat.problem("dd.MM.yy", type: .date) == nil)
        #expect(DateFormat.problem("yyy-MM-dd", type: .date) == "'yyy-MM-dd' is not a date format")
        #expect(DateFormat.problem("yyyy-MM-dd 'at", type: .timestamp) == "'yyyy-MM-dd 'at' is not a date format")
        #expect(DateFormat.problem("MM/yyyy", type: .date)
                == "date format 'MM/yyyy' needs a year (yyyy), a month (MM) and a day (dd)")
        #expect(DateFormat.problem("dd/MM", type: .date)
                == "date format 'dd/MM' needs a year (yyyy), a month (MM) and a day (dd)")
        #expect(DateFormat.problem("yyyy-dd", type: .date)
                == "date format 'yyyy-dd' needs a year (yyyy), a month (MM) and a day (dd)")
        #expect(DateFormat.problem("HH:mm", type: .timestamp)
                == "date format 'HH:mm' needs a year (yyyy), a month (MM) and a day (dd)")
        #expect(DateFormat.problem("MM/dd/yyyy h:mm", type: .timestamp)
                == "format 'MM/dd/yyyy h:mm': 12-hour clocks (h) need an AM/PM marker (a), and `a` needs `h`")
        #expect(DateFormat.problem("MM/dd/yyyy HH:mm a", type: .timestamp)
                == "format 'MM/dd/yyyy HH:mm a': 12-hour clocks (h) need an AM/PM marker (a), and `a` needs `h`")
        // Cents fields take their own two formats.
        #expect(DateFormat.problem("cents", type: .cents) == nil)
        #expect(DateFormat.problem("decimal", type: .cents) == nil)
        #expect(DateFormat.problem("yyyy-MM-dd", type: .cents) == "cents formats are `cents` (already in cents) or `decimal`")
        #expect(DateFormat.problem("cents", type: .date) == "'cents' is not a date format")
    }

    // MARK: - ExactDecimal

    struct DecimalCase: Sendable, CustomTestStringConvertible {
        var text: String
        /// The canonical text, or nil when the text is not a decimal number.
        var canonical: String?
        var testDescription: String { text.debugDescription }
    }

    static let decimalCases: [DecimalCase] = [
        DecimalCase(text: "-1,234.50", canonical: "-1234.5"),
        DecimalCase(text: "+0.5", canonical: "0.5"),
        DecimalCase(text: ".5", canonical: "0.5"),
        DecimalCase(text: "-.5", canonical: "-0.5"),
        DecimalCase(text: "12.", canonical: "12"),
        DecimalCase(text: "12.50", canonical: "12.5"),
        DecimalCase(text: "12.00", canonical: "12"),
        DecimalCase(text: "100", canonical: "100"),
        DecimalCase(text: "1,000", canonical: "1000"),
        DecimalCase(text: "1,234,567.891", canonical: "1234567.891"),
        DecimalCase(text: "1,234.", canonical: "1234"),
        DecimalCase(text: "007", canonical: "7"),
        DecimalCase(text: "0.050", canonical: "0.05"),
        DecimalCase(text: "0.001", canonical: "0.001"),
        DecimalCase(text: "-0.0", canonical: "0"),
        DecimalCase(text: "0", canonical: "0"),
        DecimalCase(text: "1234.5678", canonical: "1234.5678"),
        DecimalCase(text: "9223372036854775807", canonical: "9223372036854775807"),
        DecimalCase(text: "92233720368547758.07", canonical: "92233720368547758.07"),
        // Bad grouping and other non-numbers.
        DecimalCase(text: "1,23", canonical: nil),
        DecimalCase(text: "1,2345", canonical: nil),
        DecimalCase(text: "1234,567", canonical: nil),
        DecimalCase(text: "1,23.5", canonical: nil),
        DecimalCase(text: "1,,234", canonical: nil),
        DecimalCase(text: ",123", canonical: nil),
        DecimalCase(text: "1,234,56", canonical: nil),
        DecimalCase(text: "1.234,5", canonical: nil),
        DecimalCase(text: "1.2.3", canonical: nil),
        DecimalCase(text: "", canonical: nil),
        DecimalCase(text: "-", canonical: nil),
        DecimalCase(text: ".", canonical: nil),
        DecimalCase(text: "+-1", canonical: nil),
        DecimalCase(text: "1e5", canonical: nil),
        DecimalCase(text: "12a", canonical: nil),
        DecimalCase(text: " 12", canonical: nil),
        DecimalCase(text: "$12", canonical: nil),
        // Too large for 64 bits: nil, never a wrapped value.
        DecimalCase(text: "9223372036854775808", canonical: nil),
        DecimalCase(text: "99999999999999999999.5", canonical: nil),
    ]

    @Test(arguments: decimalCases)
    func decimalParsing(_ c: DecimalCase) {
        #expect(ExactDecimal(c.text)?.description == c.canonical)
    }

    @Test func decimalRepresentation() throws {
        let d = try decimal("-1,234.50")
        #expect(d.significand == -12345)
        #expect(d.scale == 1)
        #expect(ExactDecimal(significand: 1500, scale: 3).description == "1.5")
        #expect(ExactDecimal(significand: 5, scale: 3).description == "0.005")
        #expect(ExactDecimal(significand: -5, scale: 2).description == "-0.05")
        #expect(ExactDecimal(significand: 0, scale: 4) == ExactDecimal(significand: 0, scale: 0))
        #expect(try decimal("1.50") == decimal("1.5"))
        #expect(try decimal("2") == decimal("2.000"))
    }

    @Test func cents() throws {
        #expect(try decimal("12.5").cents == 1250)
        #expect(try decimal("12.34").cents == 1234)
        #expect(try decimal("12").cents == 1200)
        #expect(try decimal("0.01").cents == 1)
        #expect(try decimal("-0.01").cents == -1)
        #expect(try decimal("1,000.10").cents == 100_010)
        #expect(try decimal("0.015").cents == nil, "three decimal places are not whole cents")
        #expect(try decimal("0.010").cents == 1, "a trailing zero is not a third place")
        #expect(try decimal("92233720368547758.07").cents == 9_223_372_036_854_775_807)
        #expect(try decimal("92233720368547758.1").cents == nil, "× 10 overflows")
    }

    @Test func arithmeticIsExact() throws {
        let sum = try #require(try decimal("0.1") + decimal("0.2"))
        #expect(try sum == decimal("0.3"))
        #expect(sum.description == "0.3")
        let product = try #require(try decimal("3") * decimal("19.99"))
        #expect(product.description == "59.97")
        let cents = try #require(try product * decimal("100"))
        #expect(try cents == decimal("5997"))
        #expect(cents.description == "5997")
        #expect(try (decimal("1") - decimal("0.01"))?.description == "0.99")
        #expect(try (decimal("0.3") - decimal("0.1"))?.description == "0.2")
        #expect(try (decimal("1.5") * decimal("-1.5"))?.description == "-2.25")
        #expect(try (decimal("10") / decimal("4"))?.description == "2.5")
        #expect(try (decimal("1") / decimal("3"))?.description == "0.3333333333")
        #expect(try (decimal("2") / decimal("3"))?.description == "0.6666666666", "division truncates")
        #expect(try (decimal("0.5") / decimal("0.25"))?.description == "2")
        #expect(try (decimal("1") / decimal("0")) == nil)
        #expect(try decimal("0.5") < decimal("0.75"))
        #expect(try decimal("-1") < decimal("0"))
        #expect(try !(decimal("2.50") < decimal("2.5")))
        #expect(try decimal("19.99") < decimal("20"))
    }

    @Test func overflowIsNil() throws {
        let max = try decimal("9223372036854775807")
        #expect(try max + decimal("1") == nil)
        #expect(try decimal("-9223372036854775807") - decimal("2") == nil)
        #expect(try max * decimal("2") == nil)
        #expect(try max + decimal("0.1") == nil, "aligning to one decimal place overflows")
        #expect(try decimal("4611686018427387904") * decimal("2") == nil)
        #expect(try (decimal("4611686018427387903") * decimal("2"))?.description == "9223372036854775806")
        #expect(try max / decimal("0.5") == nil)
        #expect(try (max - decimal("1"))?.description == "9223372036854775806")
    }

    /// Dividing an amount of ten million (in cents: 1,000,000,000) by 100 is well within 64 bits.
    @Test func divisionOfLargeValues() throws {
        #expect(try (decimal("1000000000") / decimal("100"))?.description == "10000000")
        #expect(try (decimal("5000000000") / decimal("4"))?.description == "1250000000")
        let (step, diagnostics) = checkRule("amount_cents / 100 == unit_price", name: "dollars", fields: Self.orderFields)
        #expect(diagnostics.isEmpty)
        let none: [String?] = [nil, nil]
        let b = batch(none, none, none, ["10000000", "10000001"], ["1000000000", "1000000000"], none, none, firstLine: 2)
        #expect(failures(try #require(step), b) == [1: "rule 'dollars' failed"])
    }

    /// A value with many trailing fraction zeros is still a small exact number.
    @Test func trailingFractionZerosDoNotOverflow() {
        #expect(ExactDecimal("1.0000000000000000000")?.description == "1", "19 zeros after the point")
        #expect(ExactDecimal("0.10000000000000000000")?.description == "0.1")
    }

    // MARK: - FieldTyping: numbers and booleans

    @Test func integers() throws {
        let step = try typing(FieldDefinition(name: "qty", type: .integer))
        let input: [String?] = ["1,234", "-12", "+7", "12a", nil, "0", "1,23", "007", "-0", "1,234,567", "12.0",
                                "9223372036854775807", "9223372036854775808"]
        var b = batch(input, firstLine: 2)
        let rejections = step.apply(to: &b)
        #expect(invalid(rejections) == [3, 6, 10, 12])
        #expect(column(b, 0) == ["1234", "-12", "7", nil, nil, "0", nil, "7", "0", "1234567", nil,
                                 "9223372036854775807", nil])
        #expect(rejections.first?.detail == "field 'qty' is not an integer")
        expectDetails(rejections, name: "qty", notContaining: ["12a", "1,23", "12.0", "9223372036854775808"])
        #expect(b.lines == Array(2..<15), "typing rewrites values; it does not remove rows")
    }

    /// The smallest 64-bit integer is an integer too.
    @Test func smallestInteger() throws {
        let step = try typing(FieldDefinition(name: "n", type: .integer))
        var b = batch(["-9223372036854775808"], firstLine: 2)
        #expect(step.apply(to: &b).isEmpty)
        #expect(column(b, 0) == ["-9223372036854775808"])
    }

    @Test func decimals() throws {
        let step = try typing(FieldDefinition(name: "price", type: .decimal))
        var b = batch(["12.50", "-0.5", "1,234.5", "abc", "1.2.3", ".25", nil, "1,23.0", "0.10"], firstLine: 2)
        let rejections = step.apply(to: &b)
        #expect(invalid(rejections) == [3, 4, 7])
        #expect(column(b, 0) == ["12.5", "-0.5", "1234.5", nil, nil, "0.25", nil, nil, "0.1"])
        #expect(rejections.first?.detail == "field 'price' is not a decimal number")
        expectDetails(rejections, name: "price", notContaining: ["abc", "1.2.3", "1,23.0"])
    }

    @Test func centsFromAmounts() throws {
        let step = try typing(FieldDefinition(name: "amount", type: .cents))
        var b = batch(["12.5", "12.34", "0.015", "7", "-1.05", "1,234.56", "12.3a", nil, ".5", "19.990"], firstLine: 2)
        let rejections = step.apply(to: &b)
        #expect(invalid(rejections) == [2, 6])
        #expect(column(b, 0) == ["1250", "1234", nil, "700", "-105", "123456", nil, nil, "50", "1999"])
        #expect(rejections.first?.detail == "field 'amount' is not an amount with at most 2 decimal places")
        expectDetails(rejections, name: "amount", notContaining: ["0.015", "12.3a"])

        let asDecimal = try typing(FieldDefinition(name: "amount", type: .cents, formats: ["decimal"]))
        var d = batch(["12.5", "1250"], firstLine: 2)
        #expect(asDecimal.apply(to: &d).isEmpty)
        #expect(column(d, 0) == ["1250", "125000"])
    }

    @Test func centsAlreadyInCents() throws {
        let step = try typing(FieldDefinition(name: "amount_cents", type: .cents, formats: ["cents"]))
        var b = batch(["1250", "12.5", "1,250", "-3", "0", "12,50", nil], firstLine: 2)
        let rejections = step.apply(to: &b)
        #expect(invalid(rejections) == [1, 5])
        #expect(column(b, 0) == ["1250", nil, "1250", "-3", "0", nil, nil])
        #expect(rejections.first?.detail == "field 'amount_cents' is not a whole number of cents")
        expectDetails(rejections, name: "amount_cents", notContaining: ["12.5", "12,50"])
    }

    @Test func booleans() throws {
        let step = try typing(FieldDefinition(name: "active", type: .boolean))
        let input: [String?] = ["true", "FALSE", "Yes", "no", "Y", "n", "T", "f", "1", "0", "On", "OFF",
                                nil, "", "   ", "maybe", "2", "yess", "True"]
        var b = batch(input, firstLine: 2)
        let rejections = step.apply(to: &b)
        #expect(invalid(rejections) == [15, 16, 17])
        #expect(column(b, 0) == ["1", "0", "1", "0", "1", "0", "1", "0", "1", "0", "1", "0",
                                 nil, nil, nil, nil, nil, nil, "1"])
        expectDetails(rejections, name: "active", notContaining: ["maybe", "yess"])
    }

    @Test func stringFieldsAreLeftAlone() throws {
        let step = try typing(FieldDefinition(name: "note"), FieldDefinition(name: "n", type: .integer))
        var b = batch(["1,234", " x ", nil], ["1", "2", "3"], firstLine: 2)
        #expect(step.apply(to: &b).isEmpty)
        #expect(column(b, 0) == ["1,234", " x ", nil])
        #expect(column(b, 1) == ["1", "2", "3"])
        #expect(try typing(FieldDefinition(name: "a"), FieldDefinition(name: "b")).isEmpty)
    }

    @Test func aRowRejectedByOneFieldIsRejectedOnce() throws {
        let step = try typing(FieldDefinition(name: "qty", type: .integer), FieldDefinition(name: "price", type: .decimal),
                              FieldDefinition(name: "day", type: .date))
        var b = batch(["1", "x", "3", "4"],
                             ["1.5", "y", "z", "2.25"],
                             ["2024-01-01", "2024-01-02", "2024-01-03", "2024-02-30"], firstLine: 2)
        let rejections = step.apply(to: &b)
        #expect(invalid(rejections) == [1, 2, 3])
        #expect(rejections.map(\.detail) == ["field 'qty' is not an integer",
                                             "field 'price' is not a decimal number",
                                             "field 'day' is not a date in iso8601"])
        #expect(b.columns.map { $0.string(0) } == ["1", "1.5", "2024-01-01"])
        #expect(column(b, 1)[1] == nil && column(b, 2)[1] == nil, "a rejected row is not typed further")
    }

    // MARK: - FieldTyping: dates

    @Test func datesTryTheFormatsInOrder() throws {
        let step = try typing(FieldDefinition(name: "d", type: .date, formats: ["yyyy-MM-dd", "MM/dd/yyyy", "dd.MM.yy"]))
        var b = batch(["2024-03-07", "03/07/2024", "3/7/2024", "07.03.24", "2024-3-7", "02/29/2024",
                              "02/30/2024", "2024/03/07", nil, "31.12.99"], firstLine: 2)
        let rejections = step.apply(to: &b)
        #expect(invalid(rejections) == [6, 7])
        #expect(column(b, 0) == ["2024-03-07", "2024-03-07", "2024-03-07", "2024-03-07", "2024-03-07", "2024-02-29",
                                 nil, nil, nil, "1999-12-31"])
        #expect(rejections.first?.detail == "field 'd' is not a date in yyyy-MM-dd, MM/dd/yyyy, dd.MM.yy")
        expectDetails(rejections, name: "d", notContaining: ["02/30/2024", "2024/03/07"])

        // The first format that matches wins: 01/02/2024 is January 2nd or February 1st.
        let us = try typing(FieldDefinition(name: "d", type: .date, formats: ["MM/dd/yyyy", "dd/MM/yyyy"]))
        let eu = try typing(FieldDefinition(name: "d", type: .date, formats: ["dd/MM/yyyy", "MM/dd/yyyy"]))
        var b1 = batch(["01/02/2024", "13/02/2024"], firstLine: 2)
        var b2 = batch(["01/02/2024", "02/13/2024"], firstLine: 2)
        #expect(us.apply(to: &b1).isEmpty)
        #expect(eu.apply(to: &b2).isEmpty)
        #expect(column(b1, 0) == ["2024-01-02", "2024-02-13"])
        #expect(column(b2, 0) == ["2024-02-01", "2024-02-13"])
    }

    @Test func datesDefaultToISO() throws {
        let step = try typing(FieldDefinition(name: "d", type: .date))
        var b = batch(["2024-03-10", "2024-3-10", "10.03.2024", "2000-02-29"], firstLine: 2)
        #expect(invalid(step.apply(to: &b)) == [1, 2])
        #expect(column(b, 0) == ["2024-03-10", nil, nil, "2000-02-29"])
    }

    @Test func datesFromEpochSeconds() throws {
        // 1704067200 is 2024-01-01T00:00:00Z (day 19723); 1709942400 = 19791 × 86400 is 68 days
        // later: 31 (January) + 29 (February) + 8 → March 9.
        let step = try typing(FieldDefinition(name: "d", type: .date, formats: ["epoch_seconds"]))
        var b = batch(["0", "86399", "86400", "-1", "1704067200", "1709942400", "1709942399", "x"], firstLine: 2)
        #expect(invalid(step.apply(to: &b)) == [7])
        #expect(column(b, 0) == ["1970-01-01", "1970-01-01", "1970-01-02", "1969-12-31", "2024-01-01", "2024-03-09",
                                 "2024-03-08", nil])
    }

    // MARK: - FieldTyping: timestamps

    @Test func timestampsWithOffsetsBecomeUTC() throws {
        let step = try typing(FieldDefinition(name: "ts", type: .timestamp))
        let input: [String?] = [
            "2024-03-10T07:30:00Z",
            "2024-03-10T09:30:00+02:00",
            "2024-03-10T09:30:00+0200",
            "2024-03-10T02:30:00-05",
            "2024-03-10T07:30:00.123456789Z",
            "2024-03-10 07:30:00.5Z",
            "2024-03-10T01:00:00+05:00",       // the previous day in UTC
            "2024-12-31T23:30:00-01:00",       // the next year in UTC
            "2024-02-29T22:00:00-03:00",       // leap day to March 1st
            "2024-03-01T01:00:00+02:00",       // March 1st back to the leap day
            "2024-03-10T07:30",                // no offset, no zone: UTC
            "2024-03-10",                      // midnight UTC
            "2024-03-10T13:15:00+05:45",
            "2024-03-10T07:30:00.000+00:00",
            "yesterday",
            "2024-03-10T25:00:00Z",
        ]
        var b = batch(input, firstLine: 2)
        let rejections = step.apply(to: &b)
        #expect(invalid(rejections) == [14, 15])
        #expect(column(b, 0) == [
            "2024-03-10T07:30:00.000Z",
            "2024-03-10T07:30:00.000Z",
            "2024-03-10T07:30:00.000Z",
            "2024-03-10T07:30:00.000Z",
            "2024-03-10T07:30:00.123Z",
            "2024-03-10T07:30:00.500Z",
            "2024-03-09T20:00:00.000Z",
            "2025-01-01T00:30:00.000Z",
            "2024-03-01T01:00:00.000Z",
            "2024-02-29T23:00:00.000Z",
            "2024-03-10T07:30:00.000Z",
            "2024-03-10T00:00:00.000Z",
            "2024-03-10T07:30:00.000Z",
            "2024-03-10T07:30:00.000Z",
            nil,
            nil,
        ])
        #expect(rejections.first?.detail == "field 'ts' is not a timestamp in iso8601")
        expectDetails(rejections, name: "ts", notContaining: ["yesterday", "25:00"])
    }

    @Test func epochTimestamps() throws {
        // 2024-03-10 is day 19723 + 31 + 29 + 9 = 19792; 19792 × 86400 = 1710028800; + 7:30 (27000 s).
        let seconds = try typing(FieldDefinition(name: "ts", type: .timestamp, formats: ["epoch_seconds"],
                                                 timezone: .fixed("America/New_York")))
        var b = batch(["1710055800", "0", "-1", "1710055800.5"], firstLine: 2)
        #expect(invalid(seconds.apply(to: &b)) == [3])
        // An epoch is an instant: the zone does not shift it.
        #expect(column(b, 0) == ["2024-03-10T07:30:00.000Z", "1970-01-01T00:00:00.000Z", "1969-12-31T23:59:59.000Z", nil])

        let millis = try typing(FieldDefinition(name: "ts", type: .timestamp, formats: ["epoch_millis"]))
        var m = batch(["1710055800123", "-1", "999", "86400000"], firstLine: 2)
        #expect(millis.apply(to: &m).isEmpty)
        #expect(column(m, 0) == ["2024-03-10T07:30:00.123Z", "1969-12-31T23:59:59.999Z", "1970-01-01T00:00:00.999Z",
                                 "1970-01-02T00:00:00.000Z"])
    }

    /// New York: EST is UTC−5, EDT is UTC−4. On 2024-03-10 clocks go from 02:00 EST to 03:00 EDT
    /// (02:00–02:59 do not exist); on 2024-11-03 from 02:00 EDT back to 01:00 EST (01:00–01:59 occur twice).
    @Test func newYorkAcrossDST() throws {
        let step = try typing(FieldDefinition(name: "ts", type: .timestamp, formats: ["yyyy-MM-dd HH:mm"],
                                              timezone: .fixed("America/New_York")))
        let cases: [(String, String)] = [
            ("2024-01-15 12:00", "2024-01-15T17:00:00.000Z"),   // EST
            ("2024-07-04 12:00", "2024-07-04T16:00:00.000Z"),   // EDT
            ("2024-03-10 01:30", "2024-03-10T06:30:00.000Z"),   // EST, before the change
            ("2024-03-10 01:59", "2024-03-10T06:59:00.000Z"),
            ("2024-03-10 02:00", "2024-03-10T07:00:00.000Z"),   // does not exist: read as EST
            ("2024-03-10 02:30", "2024-03-10T07:30:00.000Z"),   // does not exist: read as EST (= 03:30 EDT)
            ("2024-03-10 02:59", "2024-03-10T07:59:00.000Z"),
            ("2024-03-10 03:00", "2024-03-10T07:00:00.000Z"),   // EDT
            ("2024-03-10 03:30", "2024-03-10T07:30:00.000Z"),   // EDT
            ("2024-11-03 00:30", "2024-11-03T04:30:00.000Z"),   // EDT
            ("2024-11-03 01:00", "2024-11-03T05:00:00.000Z"),   // twice: the first (EDT)
            ("2024-11-03 01:30", "2024-11-03T05:30:00.000Z"),   // twice: the first (EDT)
            ("2024-11-03 01:59", "2024-11-03T05:59:00.000Z"),
            ("2024-11-03 02:00", "2024-11-03T07:00:00.000Z"),   // EST
            ("2024-11-03 02:30", "2024-11-03T07:30:00.000Z"),   // EST
            ("2024-11-02 23:30", "2024-11-03T03:30:00.000Z"),   // EDT, the evening before
        ]
        var b = batch(cases.map(\.0), firstLine: 2)
        #expect(step.apply(to: &b).isEmpty)
        #expect(column(b, 0) == cases.map(\.1))

        // The same hour again, in another batch: the per-hour cache gives the same answers.
        var again = batch(["2024-03-10 02:15", "2024-11-03 01:15", "2024-03-10 01:15"], firstLine: 2)
        #expect(step.apply(to: &again).isEmpty)
        #expect(column(again, 0) == ["2024-03-10T07:15:00.000Z", "2024-11-03T05:15:00.000Z", "2024-03-10T06:15:00.000Z"])
    }

    @Test func anOffsetInTheTextWinsOverTheZone() throws {
        let step = try typing(FieldDefinition(name: "ts", type: .timestamp, formats: ["yyyy-MM-dd HH:mmXXX", "yyyy-MM-dd HH:mm"],
                                              timezone: .fixed("America/New_York")))
        var b = batch(["2024-07-04 12:00Z", "2024-07-04 12:00+02:00", "2024-07-04 12:00"], firstLine: 2)
        #expect(step.apply(to: &b).isEmpty)
        #expect(column(b, 0) == ["2024-07-04T12:00:00.000Z", "2024-07-04T10:00:00.000Z", "2024-07-04T16:00:00.000Z"])
    }

    /// Berlin: CET is UTC+1, CEST UTC+2. 2024-03-31: 02:00 CET → 03:00 CEST; 2024-10-27: 03:00 CEST → 02:00 CET.
    @Test func berlinAcrossDST() throws {
        let step = try typing(FieldDefinition(name: "ts", type: .timestamp, formats: ["dd.MM.yyyy HH:mm"],
                                              timezone: .fixed("Europe/Berlin")))
        let cases: [(String, String)] = [
            ("31.03.2024 01:30", "2024-03-31T00:30:00.000Z"),   // CET
            ("31.03.2024 02:30", "2024-03-31T01:30:00.000Z"),   // does not exist: read as CET
            ("31.03.2024 03:30", "2024-03-31T01:30:00.000Z"),   // CEST
            ("27.10.2024 01:30", "2024-10-26T23:30:00.000Z"),   // CEST
            ("27.10.2024 02:30", "2024-10-27T00:30:00.000Z"),   // twice: the first (CEST)
            ("27.10.2024 03:30", "2024-10-27T02:30:00.000Z"),   // CET
            ("15.01.2024 00:15", "2024-01-14T23:15:00.000Z"),   // CET, the previous day in UTC
        ]
        var b = batch(cases.map(\.0), firstLine: 2)
        #expect(step.apply(to: &b).isEmpty)
        #expect(column(b, 0) == cases.map(\.1))
    }

    /// Lord Howe Island changes by half an hour: standard time is UTC+10:30, summer time UTC+11.
    /// 2024-10-06 (first Sunday of October): 02:00 → 02:30, so 02:00–02:29 do not exist.
    /// 2024-04-07 (first Sunday of April): 02:00 → 01:30, so 01:30–01:59 occur twice.
    @Test func lordHoweHalfHourChanges() throws {
        let step = try typing(FieldDefinition(name: "ts", type: .timestamp, formats: ["yyyy-MM-dd HH:mm"],
                                              timezone: .fixed("Australia/Lord_Howe")))
        let cases: [(String, String)] = [
            ("2024-10-06 01:45", "2024-10-05T15:15:00.000Z"),   // +10:30
            ("2024-10-06 02:15", "2024-10-05T15:45:00.000Z"),   // does not exist: read at +10:30 (= 02:45 +11)
            ("2024-10-06 02:45", "2024-10-05T15:45:00.000Z"),   // +11
            ("2024-04-07 01:15", "2024-04-06T14:15:00.000Z"),   // +11
            ("2024-04-07 01:45", "2024-04-06T14:45:00.000Z"),   // twice: the first (+11)
            ("2024-04-07 02:15", "2024-04-06T15:45:00.000Z"),   // +10:30
        ]
        var b = batch(cases.map(\.0), firstLine: 2)
        #expect(step.apply(to: &b).isEmpty)
        #expect(column(b, 0) == cases.map(\.1))
    }

    @Test func perRecordZoneLookup() throws {
        var asked: [[String]] = []
        let store = FieldDefinition(name: "store_id")
        let ts = FieldDefinition(name: "ts", type: .timestamp, formats: ["MM/dd/yyyy HH:mm"],
                                 timezone: .lookup(table: "stores.csv", keyField: "store_id", keyColumn: "Store",
                                                   zoneColumn: "TZ"))
        let qty = FieldDefinition(name: "qty", type: .integer)
        let step = try FieldTyping(
            fields: [qty, ts, store], columns: [0, 1, 2], scope: FieldScope(fields: ["qty", "ts", "store_id"]),
            referenceTable: { table, keyColumn, zoneColumn in
                asked.append([table, keyColumn, zoneColumn])
                return ["S1": "America/New_York", "S2": "Europe/Berlin", "S3": "UTC"]
            })
        #expect(asked == [["stores.csv", "Store", "TZ"]])
        var b = batch(
            ["1", "2", "3", "4", "5", "x", "7", "8"],
            ["03/10/2024 02:30", "03/31/2024 02:30", "03/10/2024 02:30", "03/10/2024 02:30", "03/10/2024 02:30",
             "03/10/2024 02:30", "11/03/2024 01:30", "10/27/2024 02:30"],
            ["S1", "S2", "S3", "S9", nil, "S1", "S1", "S2"], firstLine: 2)
        let rejections = step.apply(to: &b)
        #expect(invalid(rejections) == [3, 4, 5])
        #expect(column(b, 1) == ["2024-03-10T07:30:00.000Z", "2024-03-31T01:30:00.000Z", "2024-03-10T02:30:00.000Z",
                                 nil, nil, nil, "2024-11-03T05:30:00.000Z", "2024-10-27T00:30:00.000Z"])
        #expect(column(b, 2) == ["S1", "S2", "S3", "S9", nil, "S1", "S1", "S2"], "the key field is not typed")
        #expect(rejections.map(\.detail) == ["field 'ts': no time zone for this record's key in stores.csv",
                                             "field 'ts': no time zone for this record's key in stores.csv",
                                             "field 'qty' is not an integer"])
        expectDetails(Array(rejections.prefix(2)), name: "ts", notContaining: ["S9", "02:30"])
    }

    @Test func zoneProblemsStopTheBuild() {
        let badFixed = FieldDefinition(name: "ts", type: .timestamp, timezone: .fixed("America/Nowhere"))
        #expect(throws: (any Error).self) { try typing(badFixed) }
        do {
            _ = try typing(badFixed)
        } catch {
            #expect("\(error)" == "unknown time zone 'America/Nowhere' for field 'ts'")
        }

        let lookup = FieldDefinition(name: "ts", type: .timestamp,
                                     timezone: .lookup(table: "stores.csv", keyField: "store", keyColumn: "id", zoneColumn: "tz"))
        do {
            _ = try typing(FieldDefinition(name: "store_id"), lookup, table: ["S1": "UTC"])
            Issue.record("a key field that is not a field of the source must throw")
        } catch {
            #expect("\(error)" == "field 'ts': the time zone key 'store' is not a field of the source")
        }
        do {
            _ = try typing(FieldDefinition(name: "store"), lookup, table: ["S1": "UTC", "S2": "Mars/Olympus"])
            Issue.record("an unknown zone in the table must throw")
        } catch {
            #expect("\(error)" == "reference table stores.csv: unknown time zone 'Mars/Olympus' for key 'S2'")
        }
    }

    // MARK: - ValidityRules

    static let orderFields = ["txn_id", "kind", "qty", "unit_price", "amount_cents", "email", "phone"]

    @Test func requiredAllowedAndAtLeastOneOf() throws {
        let (step, diagnostics) = rules([
            nodes.mapping(("required", nodes.list("txn_id"))),
            nodes.mapping(("allowed", nodes.mapping(("field", nodes.scalar("kind")), ("values", nodes.list("sale", "return"))))),
            nodes.mapping(("at_least_one_of", nodes.list("email", "phone")), ("name", nodes.scalar("contactable"))),
        ], fields: Self.orderFields)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let rules = try #require(step)
        let b = batch(
            ["T1", nil, "T3", "T4", "T5", "T6", nil],
            ["sale", "sale", "refund", nil, "Sale", "return", "bogus"],
            ["1", "1", "1", "1", "1", "1", "1"],
            ["1", "1", "1", "1", "1", "1", "1"],
            ["100", "100", "100", "100", "100", "100", "100"],
            ["a@x", "a@x", "a@x", nil, "a@x", nil, "a@x"],
            [nil, nil, nil, nil, nil, "555", nil], firstLine: 2)
        #expect(failures(rules, b) == [
            1: "rule 'required #1' failed",
            2: "rule 'allowed #2' failed",
            3: "rule 'contactable' failed",        // kind NULL passes `allowed`; no email or phone
            4: "rule 'allowed #2' failed",         // exact match: 'Sale' is not 'sale'
            6: "rule 'required #1' failed",        // the first rule that fails is reported
        ])
    }

    @Test func conditionalRulesApplyOnlyWhereTheirConditionHolds() throws {
        // `- required: [email]  when: kind == 'sale'` and a check guarded by `kind in (...)`.
        let (step, diagnostics) = rules([
            nodes.mapping(("required", nodes.list("email")), ("when", nodes.scalar("kind == 'sale'"))),
            nodes.mapping(("check", nodes.scalar("qty > 0")), ("when", nodes.scalar("kind not in ('return', 'void')")),
                    ("name", nodes.scalar("positive_qty"))),
        ], fields: Self.orderFields)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let rules = try #require(step)
        let none: [String?] = Array(repeating: nil, count: 6)
        let b = batch(
            none,
            ["sale", "return", "sale", "return", nil, "Sale"],
            ["1", "-1", "2", "1", "-3", "-1"],
            none, none,
            ["a@x", nil, nil, nil, nil, nil],
            none, firstLine: 2)
        #expect(failures(rules, b) == [
            2: "rule 'required #1 when kind == 'sale'' failed",   // a sale without e-mail
            5: "rule 'positive_qty' failed",                        // 'Sale' is not 'sale' (exact), and not a return
        ])
    }

    @Test func badConditionsAreReportedAtTheirPosition() {
        let cases: [(String, String)] = [
            ("kind == ", "in when expression"),
            ("kind == 'sale' and", "in when expression"),
            ("knd == 'sale'", "unknown field 'knd' in when expression"),
            ("qty + 'x' > 1", "in when expression"),
            ("qty", "the condition must be a comparison"),
        ]
        for (text, expected) in cases {
            let item = ConfigNode(.mapping([
                ConfigEntry(key: "required", keyLocation: nodes.at(3, 7), value: nodes.list("email")),
                ConfigEntry(key: "when", keyLocation: nodes.at(4, 7), value: nodes.scalar(text, line: 4, column: 13)),
            ]), at: nodes.at(3, 7))
            let (step, diagnostics) = rules([item], fields: Self.orderFields)
            #expect(step == nil, "\(text)")
            #expect(diagnostics.count == 1, "\(text): \(diagnostics)")
            #expect(diagnostics.first?.message.contains(expected) == true, "\(text): \(diagnostics)")
            #expect(diagnostics.first?.location.line == 4, "\(text)")
            #expect((diagnostics.first?.location.column ?? 0) >= 13, "\(text)")
        }
    }

    @Test func requiredAcceptsASingleName() throws {
        let (step, diagnostics) = rules([nodes.mapping(("required", nodes.scalar("qty")))], fields: Self.orderFields)
        #expect(diagnostics.isEmpty)
        let b = batch([nil, nil], [nil, nil], ["1", nil], [nil, nil], [nil, nil], [nil, nil], [nil, nil], firstLine: 2)
        #expect(failures(try #require(step), b) == [1: "rule 'required #1' failed"])
    }

    @Test func checkWithExactArithmetic() throws {
        let (step, diagnostics) = checkRule("amount_cents == qty * unit_price * 100", name: "amount_matches",
                                            fields: Self.orderFields)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let rule = try #require(step)
        // 3 × 19.99 = 59.97, × 100 = 5997 exactly (in binary floating point 59.97 × 100 is 5996.999…).
        let b = batch(
            ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8"],
            Array(repeating: "sale", count: 8),
            ["3", "3", nil, "3", "three", "3", "1,000", "0.5"],
            ["19.99", "19.99", "19.99", "19.99", "19.99", "19.99x", "0.01", "0.07"],
            ["5997", "5996", "5997", nil, "5997", "5997", "1000", "3.5"],
            Array(repeating: nil, count: 8), Array(repeating: nil, count: 8), firstLine: 2)
        #expect(failures(rule, b) == [
            1: "rule 'amount_matches' failed",   // 5996 ≠ 5997
            // row 2: qty NULL, row 3: amount NULL → pass
            4: "rule 'amount_matches' failed",   // qty not a number
            5: "rule 'amount_matches' failed",   // unit_price not a number
        ])
    }

    @Test func checkWithoutNameIsNamedByItsText() throws {
        let (step, _) = checkRule("qty > 0", fields: Self.orderFields)
        let b = batch(["T1", "T2"], [nil, nil], ["1", "0"], [nil, nil], [nil, nil], [nil, nil], [nil, nil], firstLine: 2)
        #expect(failures(try #require(step), b) == [1: "rule 'check: qty > 0' failed"])
    }

    struct LogicCase: Sendable, CustomTestStringConvertible {
        var expression: String
        /// qty values, one per row (NULL as nil).
        var qty: [String?]
        /// unit_price values, one per row.
        var price: [String?]
        /// Rows that fail.
        var failing: Set<Int>
        var testDescription: String { expression }
    }

    static let logicCases: [LogicCase] = [
        LogicCase(expression: "qty > 0 and qty < 10", qty: ["5", "0", "10", nil], price: [nil, nil, nil, nil], failing: [1, 2]),
        LogicCase(expression: "qty < 1 or qty > 9", qty: ["0", "5", "10", nil], price: [nil, nil, nil, nil], failing: [1]),
        LogicCase(expression: "not (qty == 5)", qty: ["5", "4", nil], price: [nil, nil, nil], failing: [0]),
        LogicCase(expression: "not qty == 5", qty: ["5", "4"], price: [nil, nil], failing: [0]),
        LogicCase(expression: "not not qty == 5", qty: ["5", "4"], price: [nil, nil], failing: [1]),
        // `and` binds tighter than `or`; parentheses change that.
        LogicCase(expression: "qty == 1 or qty == 2 and unit_price > 100", qty: ["1", "2", "2"], price: ["0", "0", "101"], failing: [1]),
        LogicCase(expression: "(qty == 1 or qty == 2) and unit_price > 100", qty: ["1", "2", "2"], price: ["0", "0", "101"], failing: [0, 1]),
        // `*` binds tighter than `+`.
        LogicCase(expression: "qty + 2 * 3 == 7", qty: ["1", "3"], price: [nil, nil], failing: [1]),
        LogicCase(expression: "(qty + 2) * 3 == 9", qty: ["1", "3"], price: [nil, nil], failing: [1]),
        LogicCase(expression: "qty - 1 - 1 == 0", qty: ["2", "0"], price: [nil, nil], failing: [1]),
        LogicCase(expression: "qty >= -100", qty: ["-100", "-101", "0"], price: [nil, nil, nil], failing: [1]),
        LogicCase(expression: "qty / 4 == 2.5", qty: ["10", "9"], price: [nil, nil], failing: [1]),
        LogicCase(expression: "unit_price + 0.2 == 0.3", qty: [nil, nil], price: ["0.1", "0.10000001"], failing: [1]),
        LogicCase(expression: "qty = 2", qty: ["2", "3"], price: [nil, nil], failing: [1]),
        LogicCase(expression: "qty != 2", qty: ["2", "3"], price: [nil, nil], failing: [0]),
        LogicCase(expression: "qty <= 2", qty: ["1", "2", "3"], price: [nil, nil, nil], failing: [2]),
        LogicCase(expression: "qty >= 2", qty: ["1", "2", "3"], price: [nil, nil, nil], failing: [0]),
        LogicCase(expression: "qty < 2", qty: ["1", "2", "3"], price: [nil, nil, nil], failing: [1, 2]),
        LogicCase(expression: "qty > 2", qty: ["1", "2", "3"], price: [nil, nil, nil], failing: [0, 1]),
        LogicCase(expression: "qty > 999", qty: ["1,000", "999.00", "999.01"], price: [nil, nil, nil], failing: [1]),
        LogicCase(expression: "2.50 == qty", qty: ["2.5", "2.500", "2.51"], price: [nil, nil, nil], failing: [2]),
        // Three-valued logic: an empty operand makes a comparison unknown, which passes.
        LogicCase(expression: "qty > 0 and unit_price > 0", qty: [nil, nil, "1"], price: ["-1", "1", nil], failing: [0]),
        LogicCase(expression: "qty > 0 or unit_price > 0", qty: [nil, nil, "-1"], price: ["-1", "1", nil], failing: []),
        LogicCase(expression: "not (qty > 0)", qty: [nil], price: [nil], failing: []),
        LogicCase(expression: "qty * unit_price > 10", qty: [nil, "2", "2", "1"], price: ["100", nil, "6", "5"], failing: [3]),
        // A value that is not a number fails the comparison.
        LogicCase(expression: "qty > 0", qty: ["abc", "1 2", "--1"], price: [nil, nil, nil], failing: [0, 1, 2]),
        LogicCase(expression: "qty + unit_price > 0", qty: ["abc", "1"], price: ["1", "abc"], failing: [0, 1]),
        LogicCase(expression: "qty > 0 and unit_price > 0", qty: ["abc"], price: [nil], failing: [0]),
    ]

    @Test(arguments: logicCases)
    func checkLogic(_ c: LogicCase) throws {
        let (step, diagnostics) = checkRule(c.expression, name: "r", fields: Self.orderFields)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let rule = try #require(step)
        let n = c.qty.count
        let none = [String?](repeating: nil, count: n)
        let b = batch(none, none, c.qty, c.price, none, none, none, firstLine: 2)
        #expect(Set(failures(rule, b).keys) == c.failing)
    }

    @Test func unknownFieldInCheckPointsAtIt() {
        // "amount_cents == qty * " is 22 characters: unit_prise starts at column 14 + 22.
        let (step, diagnostics) = checkRule("amount_cents == qty * unit_prise * 100", fields: Self.orderFields)
        #expect(step == nil)
        #expect(diagnostics.count == 1)
        let d = diagnostics.first
        #expect(d?.code == .unknownField)
        #expect(d?.severity == .error)
        #expect(d?.location == nodes.at(5, 36))
        #expect(d?.message == "unknown field 'unit_prise' in check expression")
        #expect(d?.hint == "did you mean 'unit_price'?")

        // Without a close name the hint lists the fields.
        let far = checkRule("zzzzzzzz > 1", fields: ["qty", "price"])
        #expect(far.diagnostics.first?.location == nodes.at(5, 14))
        #expect(far.diagnostics.first?.hint == "fields: qty, price")
    }

    @Test func missingClosingParenthesis() {
        // "(qty > 1 and unit_price > 0" is 27 characters; the parser stops at its end.
        let (step, diagnostics) = checkRule("(qty > 1 and unit_price > 0", fields: Self.orderFields)
        #expect(step == nil)
        #expect(diagnostics.map(\.code) == [.invalidValue])
        #expect(diagnostics.first?.message == "in check expression: missing ')'")
        #expect(diagnostics.first?.location == nodes.at(5, 14 + 27))
    }

    @Test func checkMustBeAComparison() {
        let (step, diagnostics) = checkRule("qty * unit_price", fields: Self.orderFields)
        #expect(step == nil)
        #expect(diagnostics.map(\.code) == [.invalidValue])
        #expect(diagnostics.first?.message == "in check expression: the check must be a comparison, e.g. `a == b * 100`")
        let column = diagnostics.first?.location.column ?? 0
        #expect((14...(14 + 16)).contains(column), "column \(column) is outside the expression")
        #expect(diagnostics.first?.location.line == 5)
    }

    @Test func otherParseErrors() {
        // Ends too early: "qty >" is 5 characters.
        let early = checkRule("qty >", fields: Self.orderFields)
        #expect(early.step == nil)
        #expect(early.diagnostics.first?.message == "in check expression: the expression ends too early")
        #expect(early.diagnostics.first?.location == nodes.at(5, 19))
        // Trailing text: "qty > 1 " is 8 characters.
        let trailing = checkRule("qty > 1 )", fields: Self.orderFields)
        #expect(trailing.diagnostics.first?.message == "in check expression: unexpected ')'")
        #expect(trailing.diagnostics.first?.location == nodes.at(5, 22))
        let chained = checkRule("qty < 1 < 2", fields: Self.orderFields)
        #expect(chained.step == nil)
        #expect(chained.diagnostics.map(\.code) == [.invalidValue])
        let badNumber = checkRule("qty > 1.2.3", fields: Self.orderFields)
        #expect(badNumber.diagnostics.first?.message == "in check expression: bad number")
        let empty = checkRule("", fields: Self.orderFields)
        #expect(empty.step == nil)
        #expect(empty.diagnostics.map(\.code) == [.invalidValue])
        let symbol = checkRule("qty > $5", fields: Self.orderFields)
        #expect(symbol.diagnostics.first?.message == "in check expression: expected a field name or a number")
        #expect(symbol.diagnostics.first?.location == nodes.at(5, 20))
        // Every parse error carries the syntax hint.
        for d in early.diagnostics + trailing.diagnostics + badNumber.diagnostics + symbol.diagnostics {
            #expect(d.hint == "use field names, numbers, 'quoted text', + - * / ( ), == != < <= > >=, in ('a', 'b'), and, or, not")
        }
    }

    /// `and`, `or` and `not` combine conditions: a bare number as their operand is the same
    /// mistake as a check that is not a comparison.
    @Test func logicalOperandsMustBeConditions() {
        let and = checkRule("qty > 0 and unit_price", fields: Self.orderFields)
        #expect(and.step == nil, "`unit_price` alone is not a condition")
        #expect(and.diagnostics.map(\.code) == [.invalidValue])
        let not = checkRule("not qty", fields: Self.orderFields)
        #expect(not.step == nil, "`not qty` is not a condition")
        #expect(not.diagnostics.map(\.code) == [.invalidValue])
    }

    @Test func ruleShapeProblems() {
        // Two kinds in one item.
        let two = rules([nodes.mapping(("required", nodes.list("qty")), ("at_least_one_of", nodes.list("email", "phone")))],
                        fields: Self.orderFields)
        #expect(two.step == nil)
        #expect(two.diagnostics.map(\.code) == [.invalidValue])
        #expect(two.diagnostics.first?.message == "each rule has exactly one of required, allowed, at_least_one_of, check")
        // Only a name.
        let nameOnly = rules([nodes.mapping(("name", nodes.scalar("x")))], fields: Self.orderFields)
        #expect(nameOnly.step == nil)
        #expect(nameOnly.diagnostics.map(\.code) == [.invalidValue])
        // Unknown fields in every kind of rule.
        let unknown = rules([
            nodes.mapping(("required", nodes.list("txnid"))),
            nodes.mapping(("allowed", nodes.mapping(("field", nodes.scalar("knd")), ("values", nodes.list("sale"))))),
            nodes.mapping(("at_least_one_of", nodes.list("emial", "phone"))),
        ], fields: Self.orderFields)
        #expect(unknown.step == nil)
        #expect(unknown.diagnostics.map(\.code) == [.unknownField, .unknownField, .unknownField])
        #expect(unknown.diagnostics.map(\.hint) == ["did you mean 'txn_id'?", "did you mean 'kind'?", "did you mean 'email'?"])
        // No rules at all is an empty step.
        let none = rules([], fields: Self.orderFields)
        #expect(none.diagnostics.isEmpty)
        #expect((none.step as? ValidityRules)?.isEmpty == true)
    }
}

@Suite("Month names in date formats")
struct MonthNameTests {
    func parse(_ format: String, _ text: String) -> CivilTime? {
        var copy = text
        return copy.withUTF8 { DateFormat(format)!.parse($0) }
    }

    @Test func abbreviatedAndFullNamesInAnyCase() {
        #expect(parse("dd-MMM-yyyy", "15-Jun-2024").map { [$0.year, $0.month, $0.day] } == [2024, 6, 15])
        #expect(parse("dd-MMM-yyyy", "01-SEP-1999").map { [$0.year, $0.month, $0.day] } == [1999, 9, 1])
        #expect(parse("dd-MMM-yyyy", "01-Sept-1999").map { [$0.year, $0.month, $0.day] } == [1999, 9, 1])
        #expect(parse("MMMM d, yyyy", "December 3, 2023").map { [$0.year, $0.month, $0.day] } == [2023, 12, 3])
        #expect(parse("MMM d yyyy h:mm a", "Mar 10 2024 2:05 PM").map { [$0.month, $0.day, $0.hour, $0.minute] } == [3, 10, 14, 5])
    }

    @Test func unknownOrPartialNamesAreRejected() {
        #expect(parse("dd-MMM-yyyy", "15-Ju-2024") == nil)
        #expect(parse("dd-MMM-yyyy", "15-Jux-2024") == nil)
        #expect(parse("dd-MMM-yyyy", "31-Feb-2024") == nil)
        #expect(DateFormat.problem("dd-MMM-yyyy", type: .date) == nil)
    }
}
