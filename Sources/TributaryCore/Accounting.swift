/// Why a record was quarantined. Stable identifiers, stored in the `quarantine.reason` column and
/// listed in `Docs/output-schema.md`.
public enum QuarantineReason: String, Sendable, CaseIterable, Codable {
    case wrongFieldCount = "wrong_field_count"
    case unterminatedQuote = "unterminated_quote"
    case malformedQuotes = "malformed_quotes"
    case missingColumn = "missing_column"
    case invalidUTF8 = "invalid_utf8"
    case recordTooLong = "record_too_long"
    case invalidJSON = "invalid_json"
    case truncatedJSON = "truncated_json"
    case invalidValue = "invalid_value"
    case ruleFailed = "rule_failed"
    case badRecordLength = "bad_record_length"
    case unknownRecordType = "unknown_record_type"

    public var summary: String {
        switch self {
        case .wrongFieldCount: "the row has a different number of fields than the header"
        case .unterminatedQuote: "a quoted field is never closed"
        case .malformedQuotes: "a quote appears where the format does not allow one"
        case .missingColumn: "the file lacks a column that the pipeline maps"
        case .invalidUTF8: "the bytes are not valid UTF-8 text"
        case .recordTooLong: "the record exceeds the maximum record size"
        case .invalidJSON: "the line is not a valid JSON object"
        case .truncatedJSON: "the JSON object ends before it is complete"
        case .invalidValue: "a typed field's value cannot be read as its type"
        case .ruleFailed: "the record breaks one of the source's validity rules"
        case .badRecordLength: "a fixed-width line is shorter or longer than its record length"
        case .unknownRecordType: "a fixed-width line's record type is not declared"
        }
    }
}

/// One rejected input record: where it was, why, and its raw bytes (kept in the output database
/// only; never printed in logs or errors).
public struct QuarantinedRecord: Sendable {
    public var fileIndex: Int
    public var line: Int
    public var reason: QuarantineReason
    /// Details that contain no customer data (e.g. "expected 12 fields, found 11").
    public var detail: String
    public var raw: [UInt8]

    public init(fileIndex: Int, line: Int, reason: QuarantineReason, detail: String, raw: [UInt8]) {
        self.fileIndex = fileIndex
        self.line = line
        self.reason = reason
        self.detail = detail
        self.raw = raw
    }
}

/// Line and record counts of one piece of one file. Pieces add up to the file's totals, which
/// must reconcile: `records == loaded + quarantined + filtered + duplicates` and
/// `physicalLines == headerLines + blankLines + recordLines`.
public struct RowCounts: Sendable, Equatable, Codable {
    public var physicalLines = 0
    /// Header lines, repeated header lines, and header / trailer records of fixed-width blocks.
    public var headerLines = 0
    public var blankLines = 0
    /// Physical lines spanned by records (a quoted field may span several lines).
    public var recordLines = 0
    public var records = 0
    public var loaded = 0
    public var quarantined = 0
    public var filtered = 0
    /// Records dropped because an earlier record had the same key.
    public var duplicates = 0

    public init() {}

    public static func += (a: inout RowCounts, b: RowCounts) {
        a.physicalLines += b.physicalLines
        a.headerLines += b.headerLines
        a.blankLines += b.blankLines
        a.recordLines += b.recordLines
        a.records += b.records
        a.loaded += b.loaded
        a.quarantined += b.quarantined
        a.filtered += b.filtered
        a.duplicates += b.duplicates
    }

    /// The accounting identities; a non-empty result means records were lost or double counted.
    public var violations: [String] {
        var problems: [String] = []
        if records != loaded + quarantined + filtered + duplicates {
            problems.append("records read (\(records)) ≠ loaded (\(loaded)) + quarantined (\(quarantined)) + filtered (\(filtered)) + duplicates (\(duplicates))")
        }
        if physicalLines != headerLines + blankLines + recordLines {
            problems.append("physical lines (\(physicalLines)) ≠ header (\(headerLines)) + blank (\(blankLines)) + record lines (\(recordLines))")
        }
        return problems
    }
}

/// The outcome of a reconciliation inside an input (e.g. a fixed-width trailer's record count
/// and amount total against the block's valid detail records). Stored in `reconciliations`;
/// a source can make a failed check a data gate.
///
/// A check made by an extractor covers the records it loaded; the stages after it (field types,
/// validity rules) may still quarantine some of them. Such a check carries a `tally` of the
/// records it covers, and `ExtractionOutput.settleChecks(quarantinedLines:)` recomputes `actual`
/// over those that remain valid, then drops the tally.
public struct ReconciliationCheck: Sendable {
    public var fileIndex: Int
    /// The line of the record that states the expected value (e.g. the trailer).
    public var line: Int
    /// What was checked, e.g. "trailer record count" or "trailer amount total".
    public var check: String
    public var expected: String
    public var actual: String
    /// The records the check covers, while later stages can still quarantine some of them.
    public var tally: Tally?

    public var passed: Bool { expected == actual }

    public init(fileIndex: Int, line: Int, check: String, expected: String, actual: String, tally: Tally? = nil) {
        self.fileIndex = fileIndex
        self.line = line
        self.check = check
        self.expected = expected
        self.actual = actual
        self.tally = tally
    }

    /// The records a check covers: their lines, and for a total what each adds (nil: a value
    /// that is not a whole number).
    public enum Tally: Sendable, Equatable {
        case count(lines: [Int])
        case total(lines: [Int], amounts: [Int?])

        /// `actual` over the records whose line is not in `excluded`.
        public func actual(excluding excluded: Set<Int>) -> String {
            switch self {
            case .count(let lines):
                return String(lines.count { !excluded.contains($0) })
            case .total(let lines, let amounts):
                var sum = 0
                var overflow = false
                for (line, amount) in zip(lines, amounts) where !excluded.contains(line) {
                    guard let amount else { return "unknown: the amount on line \(line) is not a whole number of cents" }
                    let (total, o) = sum.addingReportingOverflow(amount)
                    sum = total
                    overflow = overflow || o
                }
                return overflow ? "unknown: the sum overflows" : String(sum)
            }
        }
    }
}
