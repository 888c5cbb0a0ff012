import TributaryMatching

extension IdentityStage {
    /// Writes `match_weight_histogram` (every scored pair by match weight, one row per bin from
    /// the first to the last non-empty one) and `match_blocking_rules` (candidate pairs per
    /// blocking rule): counts only, for the run report. Both tables are created even when no
    /// pair was scored, so a reader can tell "none" from "not recorded" (an older output).
    func writeMatchingCounts(_ store: StageStore, histogram: FellegiSunter.WeightHistogram?,
                             kept: [Int], generated: [Int]) throws(RunError) {
        try store.execute("""
            CREATE TABLE match_weight_histogram (bin_low INTEGER, bin_high INTEGER, pairs INTEGER NOT NULL,
                                                 above_threshold INTEGER NOT NULL);
            CREATE TABLE match_blocking_rules (position INTEGER NOT NULL, rule TEXT NOT NULL,
                                               pairs_generated INTEGER NOT NULL, pairs_kept INTEGER NOT NULL);
            """)
        if let histogram, let first = histogram.pairs.firstIndex(where: { $0 > 0 }),
           let last = histogram.pairs.lastIndex(where: { $0 > 0 }) {
            let row = try store.appender(table: "match_weight_histogram", width: 4)
            try row.append(count: last - first + 1) { statement, i, base in
                let bin = first + i
                let bounds = FellegiSunter.WeightHistogram.bounds(bin)
                statement.bind(base + 1, bounds.low)
                statement.bind(base + 2, bounds.high)
                statement.bind(base + 3, histogram.pairs[bin])
                statement.bind(base + 4, histogram.aboveThreshold[bin])
            }
        }
        let rules = identity.probabilistic?.blocking.map { $0.joined(separator: "+") } ?? []
        guard !rules.isEmpty, kept.count == rules.count, generated.count == rules.count else { return }
        let row = try store.appender(table: "match_blocking_rules", width: 4)
        try row.append(count: rules.count) { statement, i, base in
            statement.bind(base + 1, i + 1)
            statement.bind(base + 2, rules[i])
            statement.bind(base + 3, generated[i])
            statement.bind(base + 4, kept[i])
        }
    }
}
