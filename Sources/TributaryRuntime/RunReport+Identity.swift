import Foundation
import TributaryMatching

extension RunReport {
    /// One level of a comparison of the match model: how often it occurs among matches (m) and
    /// among non-matches (u), and its match weight log2(m / u).
    public struct ModelLevel: Sendable, Equatable {
        public var name: String
        public var m: Double
        public var u: Double
        public var weight: Double
    }

    /// A comparison of the match model with its levels, null level (weight 0) left out.
    public struct ModelComparison: Sendable, Equatable {
        public var name: String
        public var levels: [ModelLevel]
    }

    /// A bin of `match_weight_histogram`: scored pairs with weight in [low, high) (nil: open).
    public struct WeightBin: Sendable, Equatable {
        public var low: Int?
        public var high: Int?
        public var pairs: Int
        public var aboveThreshold: Int
    }

    /// A row of `match_blocking_rules`.
    public struct BlockingRuleCount: Sendable, Equatable {
        public var rule: String
        /// Pairs the rule generates on its own; pairs it keeps (found by no earlier rule).
        public var generated: Int
        public var kept: Int
    }

    /// One of the largest profiles: its id and counts, no value.
    public struct LargeProfile: Sendable, Equatable {
        public var profileID: String
        public var records: Int
        public var sources: String
    }

    /// What the identity section shows beyond the profile counts.
    public struct IdentityDetails: Sendable, Equatable {
        public var priorWeight: Double?
        public var threshold: Double?
        public var comparisons: [ModelComparison] = []
        /// nil: the output predates the table (not recorded).
        public var weightHistogram: [WeightBin]?
        public var blockingRules: [BlockingRuleCount]?
        public var largest: [LargeProfile] = []

        /// The threshold as a match weight: probability ≥ t ⇔ weight ≥ log2(t / (1 - t)).
        public var thresholdWeight: Double? {
            threshold.flatMap { $0 > 0 && $0 < 1 ? log2($0 / (1 - $0)) : nil }
        }

        /// Reads the match model (`match_model`), the weight histogram, the blocking counts and
        /// the ten largest profiles; nil without a `profiles` table.
        static func read(_ db: Reader) throws(RunError) -> IdentityDetails? {
            guard db.has("profiles") else { return nil }
            var details = IdentityDetails()
            details.largest = try db.rows("""
                SELECT profile_id, records, sources FROM profiles ORDER BY records DESC, profile_id LIMIT 10
                """).map { LargeProfile(profileID: $0[0].text ?? "", records: $0[1].int ?? 0, sources: $0[2].text ?? "") }
            if db.has("match_model"), let row = try db.rows("SELECT model, threshold FROM match_model LIMIT 1").first,
               let json = row[0].text,
               let model = try? JSONDecoder().decode(FellegiSunter.Model.self, from: Data(json.utf8)) {
                details.threshold = row[1].double
                details.priorWeight = model.priorWeight
                details.comparisons = model.comparisons.indices.map { c in
                    let comparison = model.comparisons[c]
                    let levels = (1..<comparison.levelCount).compactMap { l -> ModelLevel? in
                        guard c < model.m.count, l < model.m[c].count, l < model.u[c].count else { return nil }
                        let m = model.m[c][l], u = model.u[c][l]
                        return ModelLevel(name: comparison.levelName(l), m: m, u: u, weight: log2(m / u))
                    }
                    return ModelComparison(name: comparison.name, levels: levels)
                }
            }
            if db.has("match_weight_histogram") {
                details.weightHistogram = try db.rows("""
                    SELECT bin_low, bin_high, pairs, above_threshold FROM match_weight_histogram
                    ORDER BY coalesce(bin_low, -1000000)
                    """).map { WeightBin(low: $0[0].int, high: $0[1].int, pairs: $0[2].int ?? 0, aboveThreshold: $0[3].int ?? 0) }
            }
            if db.has("match_blocking_rules") {
                details.blockingRules = try db.rows("""
                    SELECT rule, pairs_generated, pairs_kept FROM match_blocking_rules ORDER BY position
                    """).map { BlockingRuleCount(rule: $0[0].text ?? "", generated: $0[1].int ?? 0, kept: $0[2].int ?? 0) }
            }
            return details
        }
    }

    // MARK: - HTML

    /// The match model, every scored pair's weight, pairs per blocking rule and the largest
    /// profiles.
    func identityDetailsSection() -> String {
        guard let details = identityDetails else { return "" }
        var out = "<section id=\"identity-details\">\n<h2>Identity resolution in detail</h2>\n"
        out += "<h3>Largest profiles</h3>\n"
        out += RunReport.htmlTable(id: "largest-profiles", ["profile id", "records", "sources"], numeric: [1],
                                   details.largest.map { [$0.profileID, ProgressReporter.grouped($0.records), $0.sources] },
                                   mono: [0], empty: "No profile.")
        guard !details.comparisons.isEmpty else {
            return out + "<p class=\"empty\" id=\"match-model\">No probabilistic matcher in this pipeline (no <code>match_model</code>).</p>\n</section>\n"
        }
        out += "<h3>Match model: m and u per comparison level</h3>\n"
        out += "<p class=\"hint\">m: how often the level occurs among matching pairs; u: among non-matching pairs. A level's match weight is log₂(m/u): positive is evidence for a match, negative against. The null level (a value missing) weighs 0 and is not shown.</p>\n"
        let rows = details.comparisons.flatMap { c in c.levels.map { (group: c.name, level: $0) } }
        out += Chart.pairedBars(id: "m-u-chart", title: "m and u probability per comparison level",
                                rows: rows.map { ($0.group, $0.level.name, $0.level.m, $0.level.u) })
        var weightRows = rows.map { ($0.group, $0.level.name, $0.level.weight) }
        if let prior = details.priorWeight { weightRows.insert(("prior", "prior (log₂ odds)", prior), at: 0) }
        out += Chart.signedBars(id: "match-weights-chart", title: "Match weight log₂(m/u) per comparison level", rows: weightRows)
        out += RunReport.htmlTable(id: "match-model", ["comparison", "level", "m", "u", "weight"], numeric: [2, 3, 4],
                                   rows.map { [$0.group, $0.level.name, Self.probability($0.level.m), Self.probability($0.level.u),
                                               String(format: "%+.2f", $0.level.weight)] })
        out += "<h3>Every scored pair by match weight</h3>\n"
        if let histogram = details.weightHistogram {
            let total = histogram.reduce(0) { $0 + $1.pairs }, above = histogram.reduce(0) { $0 + $1.aboveThreshold }
            let threshold = details.threshold.map { String(format: "%.3g", $0) } ?? "—"
            out += "<p id=\"scored-pairs\">\(ProgressReporter.grouped(total)) candidate pairs scored; \(ProgressReporter.grouped(above)) at or above the threshold (match probability \(threshold)\(details.thresholdWeight.map { String(format: ", weight %.2f", $0) } ?? "")). Linked pairs a vetoing comparison refused are counted above the threshold but are not in <code>match_evidence</code>.</p>\n"
            out += Chart.weightHistogram(id: "scored-weight-chart", title: "Scored pairs by match weight (bins of 1)",
                                         bins: histogram, thresholdWeight: details.thresholdWeight)
        } else {
            out += "<p class=\"empty\" id=\"scored-pairs\">Not recorded: this output predates <code>match_weight_histogram</code> (run the pipeline again).</p>\n"
        }
        out += "<h3>Candidate pairs per blocking rule</h3>\n"
        if let rules = details.blockingRules {
            out += Chart.horizontalBars(id: "blocking-chart", title: "Candidate pairs each rule keeps (found by no earlier rule)",
                                        rows: rules.map { ($0.rule, Double($0.kept), ProgressReporter.grouped($0.kept)) })
            out += RunReport.htmlTable(id: "blocking-rules", ["rule", "pairs on its own", "pairs kept"], numeric: [1, 2],
                                       rules.map { [$0.rule, ProgressReporter.grouped($0.generated), ProgressReporter.grouped($0.kept)] },
                                       mono: [0], empty: "No blocking rule.")
        } else {
            out += "<p class=\"empty\" id=\"blocking-rules\">Not recorded: this output predates <code>match_blocking_rules</code>.</p>\n"
        }
        return out + "</section>\n"
    }

    static func probability(_ p: Double) -> String {
        p >= 0.001 ? String(format: "%.3f", p) : String(format: "%.2e", p)
    }
}
