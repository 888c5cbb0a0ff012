import TributaryCore

/// A validated pipeline file, ready to plan and run.
public struct PipelineDefinition: Sendable {
    public var name: String
    /// The pipeline file, as the user named it.
    public var file: String
    /// The SQLite database the run publishes (absolute).
    public var outputPath: String
    public var sources: [SourceDefinition]
}

/// One source: where its files are, how to read them, and what to do to each batch.
public struct SourceDefinition: Sendable {
    public var name: String
    public var format: String
    public var extractor: any Extractor
    /// Absolute glob patterns, in the order given.
    public var patterns: [String]
    public var transforms: [any Transform]
    /// The fields written to the output, and the batch column of each.
    public var layout: [(name: String, column: Int)]
    /// The data gate on rejected records; nil means no limit.
    public var maxRejected: RejectionLimit?
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

    /// Whether `rejected` of `total` records is over the limit.
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
