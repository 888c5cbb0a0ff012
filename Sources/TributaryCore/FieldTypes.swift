/// The type a pipeline declares for a field. Extractors deliver text; the typing step parses it
/// and stores a canonical form (documented in Docs/output-schema.md), or quarantines the record.
public enum FieldType: String, Sendable, CaseIterable {
    /// Text as read (UTF-8).
    case string
    /// A whole number: optional sign and digits; also `1,234` thousands separators. Stored as INTEGER.
    case integer
    /// An exact decimal number (`12.50`, `-0.5`); stored as canonical text so no precision is lost.
    case decimal
    /// A money amount converted to integer cents (`12.5` → 1250; `1250` in a `cents` column of
    /// whole cents stays 1250 when `formats: [cents]`). Stored as INTEGER.
    case cents
    /// `true/false`, `yes/no`, `y/n`, `1/0`, `t/f`, `on/off` in any case; blank is NULL. Stored as 1 / 0.
    case boolean
    /// A calendar date; stored as `YYYY-MM-DD`.
    case date
    /// An instant; stored as UTC ISO-8601 text with milliseconds (`2024-03-10T07:30:00.000Z`).
    case timestamp

    /// The SQLite column type of the output table.
    public var sqlType: String {
        switch self {
        case .integer, .cents, .boolean: "INTEGER"
        case .string, .decimal, .date, .timestamp: "TEXT"
        }
    }
}

/// How to read a local wall-clock timestamp (no offset in the text).
public enum TimeZoneRule: Sendable, Equatable {
    /// One IANA zone for every record (`America/New_York`), or `UTC`.
    case fixed(String)
    /// The zone is looked up per record: the value of `keyField` in this record is found in the
    /// CSV reference `table` (column `keyColumn`), whose `zoneColumn` holds an IANA zone name.
    case lookup(table: String, keyField: String, keyColumn: String, zoneColumn: String)
}

/// One output field of a source, as declared in the pipeline file.
public struct FieldDefinition: Sendable {
    public var name: String
    public var type: FieldType
    /// Input formats for `date` and `timestamp` (`yyyy-MM-dd`, `MM/dd/yyyy`, `MM/dd/yyyy HH:mm`,
    /// `iso8601`, `epoch_seconds`, `epoch_millis`); empty means ISO-8601.
    public var formats: [String]
    /// For timestamps without an offset.
    public var timezone: TimeZoneRule?
    /// Where the field is declared, for diagnostics.
    public var location: SourceLocation?

    public init(name: String, type: FieldType = .string, formats: [String] = [], timezone: TimeZoneRule? = nil,
                location: SourceLocation? = nil) {
        self.name = name
        self.type = type
        self.formats = formats
        self.timezone = timezone
        self.location = location
    }
}
