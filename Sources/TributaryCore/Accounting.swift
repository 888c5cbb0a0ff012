/// Why a record was quarantined. Stable identifiers, stored in the `quarantine.reason` column and
/// listed in `Docs/output-schema.md`.
public enum QuarantineReason: String, Sendable, CaseIterable, Codable {
    case wrongFieldCount = "wrong_field_count"
    case unterminatedQuote = "unterminated_quote"
    case malformedQuotes = "malformed_quotes"
    case missingColumn = "missing_column"
    case invalidUTF8 = "invalid_utf8"
    case recordTooLong = "record_too_long"

    public var summary: String {
        switch self {
        case .wrongFieldCount: "the row has a different number of fields than the header"
        case .unterminatedQuote: "a quoted field is never closed"
        case .malformedQuotes: "a quote appears where the format does not allow one"
        case .missingColumn: "the file lacks a column that the pipeline maps"
        case .invalidUTF8: "the bytes are not valid UTF-8 text"
        case .recordTooLong: "the record exceeds the maximum record size"
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
/// must reconcile: `records == loaded + quarantined + filtered` and
/// `physicalLines == headerLines + blankLines + recordLines`.
public struct RowCounts: Sendable, Equatable, Codable {
    public var physicalLines = 0
    public var headerLines = 0
    public var blankLines = 0
    /// Physical lines spanned by records (a quoted field may span several lines).
    public var recordLines = 0
    public var records = 0
    public var loaded = 0
    public var quarantined = 0
    public var filtered = 0

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
    }

    /// The accounting identities; a non-empty result means records were lost or double counted.
    public var violations: [String] {
        var problems: [String] = []
        if records != loaded + quarantined + filtered {
            problems.append("records read (\(records)) ≠ loaded (\(loaded)) + quarantined (\(quarantined)) + filtered (\(filtered))")
        }
        if physicalLines != headerLines + blankLines + recordLines {
            problems.append("physical lines (\(physicalLines)) ≠ header (\(headerLines)) + blank (\(blankLines)) + record lines (\(recordLines))")
        }
        return problems
    }
}
