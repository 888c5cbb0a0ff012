import Foundation
import TributaryConfig
import TributaryCore
import TributaryMatching

/// How many candidate pairs the blocking rules of `identity.probabilistic` generate on the
/// pipeline's inputs, counted from block sizes without generating the pairs (`pipeline validate
/// --estimate`). The inputs are extracted, typed and transformed as a run does, in memory;
/// nothing is written.
public enum PairEstimate {
    public struct Rule: Sendable, Codable, Equatable {
        /// The attributes the rule blocks on.
        public var attributes: [String]
        /// Pairs the rule generates on its own (Σ over its blocks of n(n-1)/2).
        public var pairs: Int
        /// Records with every attribute of the rule present (the others are in no block).
        public var blockedRecords: Int
        /// The size of its largest block.
        public var largestBlock: Int
    }

    public struct Result: Sendable, Codable, Equatable {
        public var pipeline: String
        /// Records the run would load (before `keep:` rules other than `first`, which are applied in SQL).
        public var records: Int
        public var rules: [Rule]
        /// Distinct candidate pairs over all rules (a pair found by several rules counts once);
        /// nil when counting them would take as long as scoring (see `upperBound`).
        public var total: Int?
        /// Σ of the rules' pairs: the total when no pair is found by two rules.
        public var upperBound: Int
        /// Sources whose `keep:` rule is not applied here (so `records` may be an over-count).
        public var keepRulesNotApplied: [String]
    }

    /// Extracts every source of `definition` and counts the candidate pairs of its blocking rules.
    public static func estimate(_ definition: PipelineDefinition, jobs: Int, pieceSize: Int = 4 << 20,
                                exactLimit: Int = 50_000_000) throws(RunError) -> Result {
        guard let probabilistic = definition.identity?.probabilistic else {
            throw RunError.input("no `identity.probabilistic` section, so no blocking rules to estimate")
        }
        var builder = FellegiSunter.Records.Builder(count: 0, attributes: probabilistic.attributes.count)
        var keepNotApplied: [String] = []
        for source in definition.sources {
            // Which batch column feeds which attribute (every field of an attribute, as in the run).
            var feeds: [(attribute: Int, column: Int)] = []
            for (a, attribute) in probabilistic.attributes.enumerated() {
                for f in attribute.fields where f.source == source.name {
                    if let column = source.layout.first(where: { $0.name == f.field })?.column { feeds.append((a, column)) }
                }
            }
            if source.keep != .first { keepNotApplied.append(source.name) }
            for batch in try loadedBatches(source, baseDirectory: definition.baseDirectory, jobs: jobs, pieceSize: pieceSize) {
                let start = builder.count
                builder.reserve(records: start + batch.count)
                for (a, column) in feeds {
                    for row in 0..<batch.count {
                        batch.columns[column].withValue(row) { value in
                            if let value, !value.isEmpty { builder.add(a, start + row, value) }
                        }
                    }
                }
            }
        }
        let records = builder.build()
        let attributeIndex = Dictionary(probabilistic.attributes.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        let blocking = probabilistic.blocking.map { rule in
                FellegiSunter.BlockingRule(rule.compactMap { attributeIndex[$0] },
                                           unordered: rule.compactMap { IdentityDefinition.Probabilistic.sortedPair($0)?.compactMap { attributeIndex[$0] } },
                                           maxBlockSize: probabilistic.maxBlockSize)
            }
        let counts = FellegiSunter.countPairs(records: records, blocking: blocking)
        let sizes = FellegiSunter.blockSizes(records: records, blocking: blocking)
        let rules = probabilistic.blocking.indices.map { r in
            Rule(attributes: probabilistic.blocking[r], pairs: counts[r], blockedRecords: sizes[r].reduce(0, +),
                 largestBlock: sizes[r].max() ?? 0)
        }
        let upper = counts.reduce(0, +)
        let total = blocking.count == 1 ? upper : FellegiSunter.countCandidatePairs(records: records, blocking: blocking, limit: exactLimit)
        return Result(pipeline: definition.name, records: records.count, rules: rules, total: total, upperBound: upper,
                      keepRulesNotApplied: keepNotApplied)
    }

    /// The records of `source` as the run loads them (extraction, typing, rules, transforms,
    /// group numbering, `key:` de-duplication keeping the first), one batch per piece.
    static func loadedBatches(_ source: SourceDefinition, baseDirectory: String, jobs: Int,
                              pieceSize: Int) throws(RunError) -> [RecordBatch] {
        let stages = try SourceStages(source, baseDirectory: baseDirectory)
        var paths: [String] = []
        var seen = Set<String>()
        for pattern in source.patterns {
            let matches = Glob.expand(pattern)
            if matches.isEmpty { throw RunError.input("input path \(pattern) of source '\(source.name)' matches no file") }
            for path in matches where seen.insert(path).inserted { paths.append(path) }
        }
        var continuation = source.groupLine.map { GroupContinuation(into: $0.into) }
        var deduplicator = Deduplicator(keyColumns: source.keyColumns)
        return try DryExtraction.extract(source, stages: stages, paths: paths, jobs: jobs, pieceSize: pieceSize) { batch, processed in
            if let runs = processed.runs { continuation?.fix(&batch, runs: runs) }
            _ = deduplicator.apply(to: &batch)
        }
    }
}

extension PairEstimate {
    /// One line per blocking rule, aligned, then the total.
    public static func text(_ r: Result) -> String {
        var out = "\(r.pipeline): \(r.records) records; candidate pairs per blocking rule (counted from block sizes, not generated):\n"
        let names = r.rules.map { "[" + $0.attributes.joined(separator: ", ") + "]" }
        let totalLabel = r.total == nil ? "all rules" : "all rules, each pair once"
        let width = max(totalLabel.count, names.map(\.count).max() ?? 0)
        let numbers = r.rules.map { String($0.pairs) }
        let numberWidth = max(5, numbers.map(\.count).max() ?? 0, String(r.upperBound).count)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func left(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        out += "  " + pad("rule", width) + "  " + left("pairs", numberWidth) + "  records in blocks  largest block\n"
        for (i, rule) in r.rules.enumerated() {
            out += "  " + pad(names[i], width) + "  " + left(numbers[i], numberWidth) + "  "
                + left(String(rule.blockedRecords), 17) + "  " + left(String(rule.largestBlock), 13) + "\n"
        }
        if let total = r.total {
            out += "  " + pad(totalLabel, width) + "  " + left(String(total), numberWidth)
                + "  (\(r.upperBound - total) found by more than one rule)\n"
        } else {
            out += "  " + pad(totalLabel, width) + "  " + left(String(r.upperBound), numberWidth)
                + "  (an upper bound: a pair found by several rules counts once per rule)\n"
        }
        if !r.keepRulesNotApplied.isEmpty {
            out += "  note: `keep:` of \(r.keepRulesNotApplied.joined(separator: ", ")) is applied by the run in SQL, not here: records may be over-counted\n"
        }
        return out
    }
}
