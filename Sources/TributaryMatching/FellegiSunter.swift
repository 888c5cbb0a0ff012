import Foundation

/// Probabilistic record linkage (Fellegi-Sunter), the core of it: comparison levels per
/// attribute, blocking into candidate pairs, u-probabilities from random pairs, m-probabilities
/// and the match prior by expectation-maximisation, and scoring of candidate pairs.
///
/// A pair's match weight is log2(prior odds) + Σ log2(m / u) over its comparisons' levels, its
/// match probability 1 / (1 + 2^-weight). The prior is over all pairs of records (not only the
/// candidates), so the weights stay calibrated whichever blocking scores them.
///
/// Training, as Splink does it:
/// - u (how often a level occurs among non-matches) is counted on pairs drawn at random from all
///   records, nearly all of them non-matches (add-one smoothed).
/// - m (how often among matches) by EM, one run per blocking rule over that rule's own pairs,
///   leaving out the comparisons on the attributes the rule blocks on (there they agree by
///   construction); a comparison's m is the mean over the rules that leave it in. Each run is a
///   two-class mixture with independent comparisons that also fits its own non-match
///   distribution (blocking makes candidate non-matches agree more than random pairs do), which
///   is discarded.
/// - the prior by one more EM run over the deduplicated candidate pairs with m held: λ, the
///   share of matches among the candidates, gives prior = λ × candidates / all pairs. (A
///   comparison that every rule blocks on takes its m from this run instead.)
///
/// Deterministic: random pairs come from a seeded SplitMix64, candidate pairs are in a fixed
/// order, and EM starts from fixed values. A pure library: no I/O.
public enum FellegiSunter {

    // MARK: Comparisons

    /// One attribute compared with ordered levels; a pair takes the first level it satisfies (of
    /// records with several values, the best level any pair of their values reaches).
    /// Level indices: 0 is the null level (either side missing: weight 0, no evidence), 1...n
    /// the given levels in order, n + 1 "else" (none satisfied).
    public struct Comparison: Sendable, Codable, Equatable {
        public enum Level: Sendable, Codable, Equatable {
            case exact
            /// Jaro-Winkler similarity ≥ threshold.
            case jaroWinkler(Double)
            /// Edit distance ≤ maxDistance.
            case levenshtein(Int)
            /// Edit distance with adjacent transpositions (optimal string alignment) ≤ maxDistance.
            case damerauLevenshtein(Int)
            /// Crossed with `otherAttribute` (swapped first and last names): a's value against b's
            /// other value and a's other value against b's value both have Jaro-Winkler ≥ the
            /// threshold (1: both exact). Not satisfied when either other value is missing.
            case swapped(Double)
            /// Dates: the digits differ by one edit (changed, inserted or dropped digit, or two
            /// adjacent digits transposed).
            case dateTypo
            /// Dates (`yyyy-MM-dd` or `yyyyMMdd`): same year, day and month swapped.
            case dayMonthSwapped
            /// Dates: both exist and are at most this many days apart.
            case withinDays(Int)
            /// Numbers: |a - b| ≤ the value.
            case absoluteDifference(Double)
            /// Numbers: |a - b| / max(|a|, |b|) ≤ the value (0.05 = 5%).
            case relativeDifference(Double)
            /// Multi-word values: Jaccard similarity of their token sets ≥ threshold.
            case tokenJaccard(Double)
        }

        public var name: String
        public var attribute: Int
        public var levels: [Level]
        /// The second attribute of a two-attribute comparison (`swapped` levels), e.g. the last
        /// name for a first-name comparison.
        public var otherAttribute: Int?

        public init(name: String, attribute: Int, levels: [Level], otherAttribute: Int? = nil) {
            precondition(levels.count < 250, "too many levels")
            self.name = name
            self.attribute = attribute
            self.levels = levels
            self.otherAttribute = otherAttribute
        }

        /// Levels including null (0) and else (last).
        public var levelCount: Int { levels.count + 2 }

        /// A level's name for people: `null` (a value missing), `exact`, `jaro_winkler>=0.92`,
        /// `levenshtein<=1`, `damerau_levenshtein<=1`, `swapped`, `date_typo`, `within_30_days`,
        /// ..., `else` (no level matched).
        public func levelName(_ level: Int) -> String {
            if level <= 0 { return "null" }
            guard level <= levels.count else { return "else" }
            switch levels[level - 1] {
            case .exact: return "exact"
            case .jaroWinkler(let t): return "jaro_winkler>=\(t)"
            case .levenshtein(let k): return "levenshtein<=\(k)"
            case .damerauLevenshtein(let k): return "damerau_levenshtein<=\(k)"
            case .swapped(let t): return t >= 1 ? "swapped" : "swapped(jaro_winkler>=\(t))"
            case .dateTypo: return "date_typo"
            case .dayMonthSwapped: return "day_month_swapped"
            case .withinDays(let d): return "within_\(d)_days"
            case .absoluteDifference(let t): return "difference<=\(t)"
            case .relativeDifference(let t): return "difference<=\(t * 100)%"
            case .tokenJaccard(let t): return "token_jaccard>=\(t)"
            }
        }

        /// The largest edit distance any level asks about (distance computations stop beyond it).
        var maxEdits: Int {
            levels.reduce(0) { r, l in
                switch l {
                case .levenshtein(let k), .damerauLevenshtein(let k): return max(r, k)
                default: return r
                }
            }
        }
    }
}
