import TributaryCore

/// A validated pipeline file, ready to plan and run.
public struct PipelineDefinition: Sendable {
    public var name: String
    /// The pipeline file, as the user named it.
    public var file: String
    /// The SQLite database the run publishes (absolute).
    public var outputPath: String
    /// `output: postgres:`: a PostgreSQL URL the published output is mirrored to (never printed:
    /// its password may come from the environment).
    public var postgresURL: String? = nil
    /// True when `output:` names PostgreSQL alone: `outputPath` is then the run's working copy
    /// (`.tributary/<name>.sqlite` beside the pipeline file), not an output the user reads.
    public var outputIsWorkingCopy = false
    /// `postgres:` as written when it was interpolated (`${PG_URL}`): what messages print
    /// instead of the URL. nil when the URL is written in the file (printed without a password).
    public var postgresLabel: String? = nil
    /// The pipeline file's folder: relative paths in the file are resolved against it.
    public var baseDirectory: String
    public var sources: [SourceDefinition]
    /// `identity:`: how records are linked into profiles; nil when the pipeline has none.
    public var identity: IdentityDefinition? = nil
    /// `profiles:`: the golden record's attributes and survivorship rules.
    public var survivorship: SurvivorshipDefinition? = nil
    /// `activities:`, `traits:`, `segments:` and `exports:`.
    public var audience = AudienceDefinition()
    /// `gates:` on the whole run (per-source ones are in each source).
    public var gates = RunGates()
    /// Parts left out of a partial definition (`PipelineLoader.loadPartial`) because they have
    /// errors: `sources` (one or more), `identity`, `profiles`. Empty in a definition a run uses.
    public var brokenSections: Set<String> = []
}

/// Data gates on the outcome of a run: when one fails, the run exits 1 and the previous output
/// stays published.
public struct RunGates: Sendable, Equatable {
    /// At most this change of the profile count against the previously published output.
    public var maxProfileChange: RejectionLimit?
    /// No profile may hold more records than this.
    public var maxClusterSize: Int?

    public init(maxProfileChange: RejectionLimit? = nil, maxClusterSize: Int? = nil) {
        self.maxProfileChange = maxProfileChange
        self.maxClusterSize = maxClusterSize
    }
}

/// One source: where its files are, how to read them, and what to do to each batch.
public struct SourceDefinition: Sendable {
    public var name: String
    public var format: String
    public var extractor: any Extractor
    /// Absolute glob patterns, in the order given.
    public var patterns: [String]
    /// `group_line`: number the records within runs of equal `groupBy` values into `into`.
    public var groupLine: GroupLine?
    /// `rules:`, applied after typing and before transforms.
    public var rules: (any RecordStep)?
    public var transforms: [any Transform]
    /// `key:`: the columns whose values identify a record; later records with the same key are
    /// dropped as duplicates (across all files of the source). Empty: no deduplication.
    public var keyColumns: [Int]
    /// `key:` as field names, and which of the records sharing a key is kept (`keep:`).
    public var keyFields: [String] = []
    public var keep: KeepRule = .first
    /// The names under `fields:`, as declared (the other output fields come from transforms).
    public var declaredFields: [String] = []
    /// The fields written to the output, the batch column and the SQL type of each.
    public var layout: [(name: String, column: Int)]
    public var columnTypes: [FieldType]
    /// The data gate on rejected records; nil means no limit.
    public var maxRejected: RejectionLimit?
    /// Whether a failed reconciliation (e.g. a fixed-width trailer total) fails the run.
    public var failOnReconciliationMismatch: Bool
    /// The data gate on loaded records: fewer fails the run (`gates.min_records`).
    public var minRecords: Int? = nil

    public struct GroupLine: Sendable {
        public var groupBy: [Int]
        public var into: Int
    }
}

/// Which record of those sharing a key survives deduplication.
public enum KeepRule: Sendable, Equatable, CustomStringConvertible {
    /// The first in file order; decided while loading, in one pass.
    case first
    /// The last in file order.
    case last
    /// The one with the greatest value of a field (ties: the later record).
    case latest(String)
    /// The one with the most non-empty output fields (ties: the later record).
    case mostComplete

    public init?(_ text: String) {
        let t = text.trimmingWhitespace
        switch t {
        case "first": self = .first
        case "last": self = .last
        case "most_complete": self = .mostComplete
        default:
            guard t.hasPrefix("latest("), t.hasSuffix(")") else { return nil }
            let field = String(t.dropFirst(7).dropLast()).trimmingWhitespace
            guard !field.isEmpty else { return nil }
            self = .latest(field)
        }
    }

    public var description: String {
        switch self {
        case .first: "first"
        case .last: "last"
        case .latest(let f): "latest(\(f))"
        case .mostComplete: "most_complete"
        }
    }
}

/// `max_rejected: 250` (records) or `max_rejected: 1.5%` (of records read).
public enum RejectionLimit: Sendable, Equatable, CustomStringConvertible {
    case count(Int)
    case percent(Double)

    public init?(_ text: String) {
        let t = text.trimmingWhitespace
        if t.hasSuffix("%") {
            guard let p = Double(t.dropLast()), p >= 0, p <= 100 else { return nil }
            self = .percent(p)
        } else {
            guard let n = Int(t), n >= 0 else { return nil }
            self = .count(n)
        }
    }

    /// Whether `rejected` of `total` records is over the limit (also: a change of `rejected`
    /// against a previous `total`).
    public func isExceeded(rejected: Int, total: Int) -> Bool {
        switch self {
        case .count(let n): rejected > n
        case .percent(let p): total > 0 && Double(rejected) * 100 > p * Double(total)
        }
    }

    public var description: String {
        switch self {
        case .count(let n): "\(n) records"
        case .percent(let p): "\(p)%"
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
