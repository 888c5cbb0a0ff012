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

    // MARK: Comparison vectors

    /// The comparisons flattened for the inner loop (no enum payloads or nested arrays to
    /// retain per pair): one row per level, grouped by comparison.
    struct Plan {
        enum Kind: UInt8 {
            case exact, jaroWinkler, levenshtein, damerau, swapped, dateTypo, dayMonthSwapped, withinDays
            case absoluteDifference, relativeDifference, tokenJaccard
        }
        struct Step { var kind: Kind; var threshold: Double; var maxDistance: Int }
        var steps: [Step] = []
        /// Per comparison: its first step, its attribute, its second attribute (-1: none), the
        /// largest edit distance it asks about.
        var first: [Int] = []
        var attribute: [Int] = []
        var other: [Int] = []
        var maxEdits: [Int] = []

        init(_ comparisons: [Comparison]) {
            for comparison in comparisons {
                first.append(steps.count)
                attribute.append(comparison.attribute)
                other.append(comparison.otherAttribute ?? -1)
                maxEdits.append(comparison.maxEdits)
                for level in comparison.levels {
                    switch level {
                    case .exact: steps.append(Step(kind: .exact, threshold: 0, maxDistance: 0))
                    case .jaroWinkler(let t): steps.append(Step(kind: .jaroWinkler, threshold: t, maxDistance: 0))
                    case .levenshtein(let k): steps.append(Step(kind: .levenshtein, threshold: 0, maxDistance: k))
                    case .damerauLevenshtein(let k): steps.append(Step(kind: .damerau, threshold: 0, maxDistance: k))
                    case .swapped(let t): steps.append(Step(kind: .swapped, threshold: t, maxDistance: 0))
                    case .dateTypo: steps.append(Step(kind: .dateTypo, threshold: 0, maxDistance: 0))
                    case .dayMonthSwapped: steps.append(Step(kind: .dayMonthSwapped, threshold: 0, maxDistance: 0))
                    case .withinDays(let d): steps.append(Step(kind: .withinDays, threshold: 0, maxDistance: d))
                    case .absoluteDifference(let t): steps.append(Step(kind: .absoluteDifference, threshold: t, maxDistance: 0))
                    case .relativeDifference(let t): steps.append(Step(kind: .relativeDifference, threshold: t, maxDistance: 0))
                    case .tokenJaccard(let t): steps.append(Step(kind: .tokenJaccard, threshold: t, maxDistance: 0))
                    }
                }
            }
            first.append(steps.count)
        }

        /// Byte equality; a plain loop beats a memcmp call on short values.
        @inline(__always)
        static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
            guard a.count == b.count else { return false }
            for i in 0..<a.count where a[i] != b[i] { return false }
            return true
        }

        /// Equal, or Jaro-Winkler ≥ threshold when the threshold is below 1.
        @inline(__always)
        static func similar(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, _ threshold: Double) -> Bool {
            equal(a, b) || (threshold < 1 && StringSimilarity.jaroWinkler(a, b) >= threshold)
        }

        /// The level of a pair of values for one comparison's steps (nil = missing); `a2`, `b2`
        /// are the values of the comparison's second attribute.
        @inline(__always)
        static func level(_ steps: UnsafeBufferPointer<Step>, from: Int, to: Int, maxEdits: Int,
                          _ a: UnsafeBufferPointer<UInt8>?, _ b: UnsafeBufferPointer<UInt8>?,
                          _ a2: UnsafeBufferPointer<UInt8>?, _ b2: UnsafeBufferPointer<UInt8>?) -> Int {
            guard let a, let b else { return 0 }
            var jw = -1.0
            var lev = -1, osa = -1
            var dates: (ValueComparisons.CalendarDate?, ValueComparisons.CalendarDate?)?
            var numbers: (Double?, Double?)?
            for index in from..<to {
                let step = steps[index]
                let hit: Bool
                switch step.kind {
                case .exact:
                    hit = equal(a, b)
                case .jaroWinkler:
                    if jw < 0 { jw = StringSimilarity.jaroWinkler(a, b) }
                    hit = jw >= step.threshold
                case .levenshtein:
                    if lev < 0 { lev = StringSimilarity.levenshtein(a, b, maxDistance: maxEdits) }
                    hit = lev <= step.maxDistance
                case .damerau:
                    if osa < 0 { osa = StringSimilarity.levenshtein(a, b, transpositions: true, maxDistance: maxEdits) }
                    hit = osa <= step.maxDistance
                case .swapped:
                    if let a2, let b2 { hit = similar(a, b2, step.threshold) && similar(a2, b, step.threshold) } else { hit = false }
                case .dateTypo:
                    hit = ValueComparisons.dateTypo(a, b)
                case .dayMonthSwapped, .withinDays:
                    if dates == nil { dates = (ValueComparisons.date(a), ValueComparisons.date(b)) }
                    if let x = dates!.0, let y = dates!.1 {
                        hit = step.kind == .dayMonthSwapped ? ValueComparisons.dayMonthSwapped(x, y)
                            : ValueComparisons.within(days: step.maxDistance, x, y)
                    } else {
                        hit = false
                    }
                case .absoluteDifference, .relativeDifference:
                    if numbers == nil { numbers = (ValueComparisons.number(a), ValueComparisons.number(b)) }
                    if let x = numbers!.0, let y = numbers!.1 {
                        hit = step.kind == .absoluteDifference ? abs(x - y) <= step.threshold
                            : ValueComparisons.relativeDifference(x, y) <= step.threshold
                    } else {
                        hit = false
                    }
                case .tokenJaccard:
                    hit = ValueComparisons.tokenJaccard(a, b) >= step.threshold
                }
                if hit { return index - from + 1 }
            }
            return to - from + 1
        }
    }

    /// Calls `body(pairIndex, levels)` with the comparison levels of each pair, in order.
    static func forEachVector(records: Records, comparisons: [Comparison], pairs: some Sequence<Pair>,
                              _ body: (Int, UnsafeMutableBufferPointer<Int>) -> Void) {
        let plan = Plan(comparisons)
        let count = comparisons.count
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, count)) { out in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: max(1, count)) { levels in
                var index = 0
                for pair in pairs {
                    withUnsafeTemporaryAllocation(of: Pair.self, capacity: 1) { one in
                        one[0] = pair
                        computeLevels(records: records, plan: plan, pairs: UnsafeBufferPointer(one), into: out)
                    }
                    for c in 0..<count { levels[c] = Int(out[c]) }
                    body(index, levels)
                    index += 1
                }
            }
        }
    }

    /// The levels of `pairs` into `out` (row-major: pair, then comparison).
    static func computeLevels(records: Records, plan: Plan, pairs: UnsafeBufferPointer<Pair>,
                              into out: UnsafeMutableBufferPointer<UInt8>) {
        let count = plan.attribute.count
        records.bytes.withUnsafeBufferPointer { bytes in
        records.valueStart.withUnsafeBufferPointer { valueStart in
        records.offsets.withUnsafeBufferPointer { offsets in
        records.lengths.withUnsafeBufferPointer { lengths in
        plan.steps.withUnsafeBufferPointer { steps in
        plan.first.withUnsafeBufferPointer { first in
        plan.attribute.withUnsafeBufferPointer { attribute in
        plan.other.withUnsafeBufferPointer { other in
        plan.maxEdits.withUnsafeBufferPointer { maxEdits in
            let width = records.attributeCount
            /// The values of `attribute` on record `r` (indices into offsets and lengths).
            @inline(__always) func range(_ attribute: Int, _ r: Int) -> Range<Int> {
                if attribute < 0 { return 0..<0 }
                let k = r * width + attribute
                return Int(valueStart[k])..<Int(valueStart[k + 1])
            }
            @inline(__always) func value(_ v: Int) -> UnsafeBufferPointer<UInt8> {
                UnsafeBufferPointer(rebasing: bytes[offsets[v]..<offsets[v] + Int(lengths[v])])
            }
            @inline(__always) func only(_ values: Range<Int>) -> UnsafeBufferPointer<UInt8>? {
                values.isEmpty ? nil : value(values.lowerBound)
            }
            var o = 0
            for pair in pairs {
                let a = Int(pair.a), b = Int(pair.b)
                for c in 0..<count {
                    let va = range(attribute[c], a), vb = range(attribute[c], b)
                    let oa = range(other[c], a), ob = range(other[c], b)
                    let level: Int
                    if va.count <= 1 && vb.count <= 1 && oa.count <= 1 && ob.count <= 1 {
                        // One value a side (the usual case).
                        level = Plan.level(steps, from: first[c], to: first[c + 1], maxEdits: maxEdits[c],
                                           only(va), only(vb), only(oa), only(ob))
                    } else if va.isEmpty || vb.isEmpty {
                        level = 0
                    } else {
                        // The best level any pair of values reaches (levels are ordered, best first).
                        // A swapped level crosses the two attributes: some value of a's attribute is
                        // similar to some value of b's other attribute, and some value of a's other
                        // attribute to some value of b's attribute.
                        var best = Int.max
                        values: for i in va {
                            for j in vb {
                                best = min(best, Plan.level(steps, from: first[c], to: first[c + 1], maxEdits: maxEdits[c],
                                                            value(i), value(j), nil, nil))
                                if best == 1 { break values }
                            }
                        }
                        if best > 1, !oa.isEmpty, !ob.isEmpty {
                            for s in first[c]..<min(first[c + 1], first[c] + best - 1) where steps[s].kind == .swapped {
                                let t = steps[s].threshold
                                let crossed = va.contains { i in ob.contains { Plan.similar(value(i), value($0), t) } }
                                    && oa.contains { i in vb.contains { Plan.similar(value(i), value($0), t) } }
                                if crossed { best = s - first[c] + 1 }
                                break
                            }
                        }
                        level = best
                    }
                    out[o] = UInt8(truncatingIfNeeded: level)
                    o += 1
                }
            }
        }}}}}}}}}
    }

    /// Runs `body(chunk, range)` over fixed chunks of `0..<count` on up to `jobs` threads. The
    /// chunks do not depend on `jobs`, so a caller that keeps per-chunk results and merges them in
    /// chunk order gets the same result for any number of jobs.
    static func forEachChunk(count: Int, chunkSize: Int = 1 << 14, jobs: Int, _ body: (Int, Range<Int>) -> Void) {
        let chunks = (count + chunkSize - 1) / chunkSize
        let workers = min(max(1, jobs), chunks)
        if workers <= 1 {
            for c in 0..<chunks { body(c, c * chunkSize..<min(count, (c + 1) * chunkSize)) }
            return
        }
        // Each chunk writes only its own results (callers guarantee it), so sharing the body
        // across the workers is safe even though the compiler cannot prove it.
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var c = w
                while c < chunks {
                    shared.value(c, c * chunkSize..<min(count, (c + 1) * chunkSize))
                    c += workers
                }
            }
        }
    }

    struct UncheckedSendable<T>: @unchecked Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }

    /// Candidate pairs with their comparison vectors, computed once and shared by training and
    /// scoring (each pair is compared once, on `jobs` threads).
    public struct ComparedPairs: Sendable {
        public let comparisons: [Comparison]
        public let blocking: [BlockingRule]
        public let pairs: [Pair]
        /// levels[p × comparisons.count + c]: the level of pair p on comparison c.
        let levels: [UInt8]
        /// Each record's blocks under each rule (see `Blocks`; empty for pairs given directly).
        let membership: [Membership]

        public var count: Int { pairs.count }

        /// The levels of pair `p`.
        public func levels(of p: Int) -> [Int] {
            (0..<comparisons.count).map { Int(levels[p * comparisons.count + $0]) }
        }
    }

    /// Compares every candidate pair of `blocking` (see `candidatePairs`) on `comparisons`.
    public static func compare(records: Records, comparisons: [Comparison], blocking: [BlockingRule], jobs: Int = 1) -> ComparedPairs {
        let blocks = Blocks(records: records, rules: blocking, jobs: jobs)
        let pairs = candidatePairs(blocks: blocks, ruleCount: blocking.count)
        return compare(records: records, comparisons: comparisons, blocking: blocking, pairs: pairs, blocks: blocks, jobs: jobs)
    }

    /// Compares the given pairs (their rule bits are left empty).
    public static func compare(records: Records, comparisons: [Comparison], pairs: [Pair], jobs: Int = 1) -> ComparedPairs {
        compare(records: records, comparisons: comparisons, blocking: [], pairs: pairs, blocks: nil, jobs: jobs)
    }

    static func compare(records: Records, comparisons: [Comparison], blocking: [BlockingRule], pairs: [Pair],
                        blocks: Blocks?, jobs: Int) -> ComparedPairs {
        let plan = Plan(comparisons)
        let width = comparisons.count
        var levels = [UInt8](repeating: 0, count: pairs.count * width)
        pairs.withUnsafeBufferPointer { pairs in
        levels.withUnsafeMutableBufferPointer { levels in
            forEachChunk(count: pairs.count, jobs: jobs) { _, range in
                computeLevels(records: records, plan: plan, pairs: UnsafeBufferPointer(rebasing: pairs[range]),
                              into: UnsafeMutableBufferPointer(rebasing: levels[range.lowerBound * width..<range.upperBound * width]))
            }
        }}
        return ComparedPairs(comparisons: comparisons, blocking: blocking, pairs: pairs, levels: levels,
                             membership: blocks?.membership ?? [])
    }

    // MARK: Model

    public struct Model: Sendable, Codable, Equatable {
        public var comparisons: [Comparison]
        /// m[c][level]: P(level | match); u[c][level]: P(level | non-match). Index 0 (null) is
        /// unused (weight 0).
        public var m: [[Double]]
        public var u: [[Double]]
        /// P(match) for a pair of records drawn at random from all pairs.
        public var prior: Double
        /// The most EM iterations any training run took, and whether every run's largest
        /// parameter change fell below the tolerance.
        public var iterations: Int
        public var converged: Bool

        /// log2(m / u) per comparison and level (0 for the null level).
        public var levelWeights: [[Double]] {
            zip(m, u).map { m, u in m.indices.map { $0 == 0 ? 0 : log2(m[$0] / u[$0]) } }
        }

        public var priorWeight: Double { log2(prior / (1 - prior)) }
    }

    public struct TrainingOptions: Sendable {
        /// Random pairs drawn to count u.
        public var uSamplePairs: Int
        public var maxIterations: Int
        /// EM stops when no m, u or λ moves by more than this.
        public var tolerance: Double

        public init(uSamplePairs: Int = 1_000_000, maxIterations: Int = 100, tolerance: Double = 1e-6) {
            self.uSamplePairs = uSamplePairs
            self.maxIterations = maxIterations
            self.tolerance = tolerance
        }
    }

    /// Smallest probability kept for a level (no level may have weight ±∞).
    static let floor = 1e-6

    static func normalise(_ counts: [Double]) -> [Double] {
        let total = counts.dropFirst().reduce(0, +)
        guard total > 0 else { return counts.indices.map { $0 == 0 ? 0 : 1 / Double(counts.count - 1) } }
        var p = counts.indices.map { $0 == 0 ? 0 : max(counts[$0] / total, floor) }
        let s = p.dropFirst().reduce(0, +)
        for i in 1..<p.count { p[i] /= s }
        return p
    }

    /// Estimates u, m and the prior (see the type's notes) for `comparisons` over the candidate
    /// pairs of `blocking`. The same inputs and seed give the same model.
    public static func train(records: Records, comparisons: [Comparison], blocking: [BlockingRule],
                             seed: UInt64, options: TrainingOptions = TrainingOptions(), jobs: Int = 1) -> Model {
        train(records: records, compared: compare(records: records, comparisons: comparisons, blocking: blocking, jobs: jobs),
              seed: seed, options: options, jobs: jobs)
    }

    /// Trains on pairs already compared (`compare`): the same model as `train(records:comparisons:blocking:…)`
    /// for any `jobs`.
    public static func train(records: Records, compared: ComparedPairs, seed: UInt64,
                             options: TrainingOptions = TrainingOptions(), jobs: Int = 1) -> Model {
        let n = records.count
        precondition(n >= 2, "need at least two records")
        let comparisons = compared.comparisons, blocking = compared.blocking

        // u from random pairs (a != b), drawn in order, compared in parallel.
        var rng = SplitMix64(seed: seed)
        var samples = [Pair]()
        samples.reserveCapacity(options.uSamplePairs)
        for _ in 0..<options.uSamplePairs {
            let a = Int32(rng.next(below: n))
            var b = Int32(rng.next(below: n - 1))
            if b >= a { b += 1 }
            samples.append(Pair(a: min(a, b), b: max(a, b)))
        }
        // Only the counts matter: compare in record order, so the first record's values are read
        // sequentially rather than at random (fewer cache misses on large inputs).
        var keys = samples.map { UInt64(UInt32(bitPattern: $0.a)) << 32 | UInt64(UInt32(bitPattern: $0.b)) }
        keys.sort()
        samples = keys.map { Pair(a: Int32(truncatingIfNeeded: $0 >> 32), b: Int32(truncatingIfNeeded: $0)) }
        keys = []
        let random = compare(records: records, comparisons: comparisons, pairs: samples, jobs: jobs)
        var uCounts = comparisons.map { [Double](repeating: 0, count: $0.levelCount) }
        random.levels.withUnsafeBufferPointer { levels in
            var k = 0
            for _ in 0..<random.count {
                for c in comparisons.indices { uCounts[c][Int(levels[k])] += 1; k += 1 }
            }
        }
        // Add-one smoothing over the non-null levels, so a level unseen at random is rare, not impossible.
        let u = uCounts.map { counts in normalise(counts.indices.map { $0 == 0 ? 0 : counts[$0] + 1 }) }

        // Distinct comparison patterns and, per rule (and for all candidates), how often each occurs.
        let tallies = Tally.build(compared)

        // m, rule by rule: EM over each rule's own pairs, leaving out the comparisons of the
        // attributes it blocks on (their agreement there says nothing); a comparison's m is the
        // mean over the rules that leave it in.
        var mSum = comparisons.map { [Double](repeating: 0, count: $0.levelCount) }
        var mRuns = [Int](repeating: 0, count: comparisons.count)
        var iterations = 0
        var converged = true
        for (r, rule) in blocking.enumerated() {
            let blocked = Set(rule.attributes + rule.unordered.flatMap { $0 })
            let active = comparisons.map { !blocked.contains($0.attribute) }
            let tally = tallies.rules[r]
            guard tally.pairs > 0 else { continue }
            let fit = tally.em(active: active, m: initialM(comparisons), u: u, lambda: 0.1, fixM: false, options: options)
            iterations = max(iterations, fit.iterations)
            converged = converged && fit.converged
            for c in comparisons.indices where active[c] {
                for l in mSum[c].indices { mSum[c][l] += fit.m[c][l] }
                mRuns[c] += 1
            }
        }
        // Then the prior: EM over the deduplicated candidates with m held, all comparisons in
        // (a comparison no rule left in takes its m from this run instead).
        let tally = tallies.all
        let heldAll = !mRuns.contains(0)
        var m = comparisons.indices.map { c in mRuns[c] == 0 ? initialM(comparisons)[c] : mSum[c].map { $0 / Double(mRuns[c]) } }
        var lambda = 0.0
        if tally.pairs > 0 {
            let fit = tally.em(active: comparisons.map { _ in true }, m: m, u: u, lambda: 0.1, fixM: heldAll, options: options)
            iterations = max(iterations, fit.iterations)
            converged = converged && fit.converged
            for c in comparisons.indices where mRuns[c] == 0 { m[c] = fit.m[c] }
            lambda = fit.lambda
        }
        let allPairs = Double(n) * Double(n - 1) / 2
        let prior = min(max(lambda * Double(tally.pairs) / allPairs, 1e-12), 1 - 1e-12)
        return Model(comparisons: comparisons, m: m, u: u, prior: prior, iterations: iterations, converged: converged)
    }

    /// EM's starting m: the first (strictest) levels most likely.
    static func initialM(_ comparisons: [Comparison]) -> [[Double]] {
        comparisons.map { comparison in normalise([0] + (0..<(comparison.levelCount - 1)).map { pow(0.25, Double($0)) }) }
    }

    /// Comparison vectors of a set of pairs, folded into distinct patterns with counts.
    struct Tally {
        var patterns: [[UInt8]] = []
        var counts: [Double] = []
        var pairs = 0
        let comparisons: Int

        /// The tallies of each blocking rule's own pairs (a pair counts for every rule that blocks
        /// it together) and of all the candidates, from one pass over the compared pairs. Patterns
        /// are in order of first appearance.
        static func build(_ compared: ComparedPairs) -> (rules: [Tally], all: Tally) {
            let width = compared.comparisons.count
            let ruleCount = min(compared.blocking.count, compared.membership.count)
            var ids: [[UInt8]: Int] = [:]
            var patterns: [[UInt8]] = []
            var perRule = [[Double]](repeating: [], count: ruleCount)
            var all: [Double] = []
            var rulePairs = [Int](repeating: 0, count: ruleCount)
            var key = [UInt8](repeating: 0, count: width)
            // Patterns are numbered through a direct table of mixed-radix codes when the number of
            // possible patterns is small (the usual case), else through a dictionary.
            var radix: [Int] = [], possible = 1
            for comparison in compared.comparisons {
                radix.append(possible)
                possible = possible.multipliedReportingOverflow(by: comparison.levelCount).overflow ? Int.max : possible * comparison.levelCount
            }
            var direct = [Int32](repeating: -1, count: possible <= 1 << 22 ? possible : 0)
            compared.levels.withUnsafeBufferPointer { levels in
                for p in 0..<compared.count {
                    let row = p * width
                    var code = 0
                    if !direct.isEmpty {
                        for c in 0..<width { code += Int(levels[row + c]) * radix[c] }
                    }
                    var id = direct.isEmpty ? -1 : Int(direct[code])
                    if id < 0 {
                        for c in 0..<width { key[c] = levels[row + c] }
                        if direct.isEmpty, let known = ids[key] { id = known } else {
                            id = patterns.count
                            if direct.isEmpty { ids[key] = id } else { direct[code] = Int32(id) }
                            patterns.append(key)
                            all.append(0)
                            for r in 0..<ruleCount { perRule[r].append(0) }
                        }
                    }
                    all[id] += 1
                    // The pair counts for every rule that blocks it together.
                    let a = Int(compared.pairs[p].a), b = Int(compared.pairs[p].b)
                    for r in 0..<ruleCount {
                        if compared.membership[r].shares(a, b) {
                            perRule[r][id] += 1
                            rulePairs[r] += 1
                        }
                    }
                }
            }
            func tally(_ counts: [Double], pairs: Int) -> Tally {
                var t = Tally(comparisons: width)
                for (id, n) in counts.enumerated() where n > 0 {
                    t.patterns.append(patterns[id])
                    t.counts.append(n)
                }
                t.pairs = pairs
                return t
            }
            return ((0..<ruleCount).map { tally(perRule[$0], pairs: rulePairs[$0]) }, tally(all, pairs: compared.count))
        }

        init(comparisons: Int) { self.comparisons = comparisons }

        init(records: Records, comparisons: [Comparison], pairs: [Pair]) {
            self = Tally.build(compare(records: records, comparisons: comparisons, pairs: pairs)).all
        }

        /// Two-class EM with independent comparisons over the `active` ones: m (held when
        /// `fixM`), the non-match distribution among these pairs, and the match share λ.
        func em(active: [Bool], m: [[Double]], u: [[Double]], lambda: Double, fixM: Bool,
                options: TrainingOptions) -> (m: [[Double]], lambda: Double, iterations: Int, converged: Bool) {
            var (m, uc, lambda) = (m, u, lambda)
            var iterations = 0
            var converged = false
            while !converged && iterations < options.maxIterations {
                iterations += 1
                var mCounts = m.map { [Double](repeating: 0, count: $0.count) }
                var uCounts = mCounts
                var matches = 0.0
                for (p, pattern) in patterns.enumerated() {
                    var lm = lambda, lu = 1 - lambda
                    for c in 0..<comparisons where active[c] && pattern[c] != 0 {
                        lm *= m[c][Int(pattern[c])]
                        lu *= uc[c][Int(pattern[c])]
                    }
                    let w = lm / (lm + lu)
                    let nm = counts[p] * w, nu = counts[p] - nm
                    matches += nm
                    for c in 0..<comparisons {
                        mCounts[c][Int(pattern[c])] += nm
                        uCounts[c][Int(pattern[c])] += nu
                    }
                }
                let newM = fixM ? m : mCounts.map(normalise), newU = uCounts.map(normalise)
                let newLambda = min(max(matches / Double(pairs), floor), 1 - floor)
                var change = abs(newLambda - lambda)
                for c in 0..<comparisons where active[c] {
                    for l in m[c].indices { change = max(change, abs(newM[c][l] - m[c][l]), abs(newU[c][l] - uc[c][l])) }
                }
                (m, uc, lambda) = (newM, newU, newLambda)
                converged = change < options.tolerance
            }
            return (m, lambda, iterations, converged)
        }
    }

    // MARK: Scoring

    public struct Link: Sendable, Equatable {
        public var a: Int
        public var b: Int
        public var weight: Double
        public var probability: Double
        /// The comparison levels of the pair (see `Comparison`).
        public var levels: [Int]
        /// Per comparison, what the term-frequency adjustment added to its level's weight (0 when
        /// none); empty when no comparison is term-frequency adjusted. `weight` is the prior
        /// weight + Σ level weights + Σ adjustments.
        public var adjustments: [Double] = []
    }

    /// The comparison levels of one pair of records (see `Comparison`).
    public static func levels(records: Records, comparisons: [Comparison], a: Int, b: Int) -> [Int] {
        var result: [Int] = []
        forEachVector(records: records, comparisons: comparisons, pairs: [Pair(a: Int32(a), b: Int32(b))]) { _, levels in
            result = Array(levels)
        }
        return result
    }

    /// For each comparison, the pair of values (indices, see `Records.valueIndices`) of records
    /// `a` and `b` that reached the pair's level: the first pair of values at that level; nil at
    /// the null and else levels. A swapped level names a's value and b's value of the attribute
    /// that crossed (b's other attribute).
    public static func agreeingValues(records: Records, comparisons: [Comparison], a: Int, b: Int) -> [(a: Int, b: Int)?] {
        let plan = Plan(comparisons)
        let levels = Self.levels(records: records, comparisons: comparisons, a: a, b: b)
        return plan.steps.withUnsafeBufferPointer { steps in
            records.bytes.withUnsafeBufferPointer { bytes in
                func value(_ v: Int) -> UnsafeBufferPointer<UInt8> {
                    UnsafeBufferPointer(rebasing: bytes[records.offsets[v]..<records.offsets[v] + Int(records.lengths[v])])
                }
                return comparisons.indices.map { c -> (a: Int, b: Int)? in
                    let level = levels[c]
                    guard level > 0, level < comparisons[c].levelCount - 1 else { return nil }
                    let va = records.valueRange(comparisons[c].attribute, a), vb = records.valueRange(comparisons[c].attribute, b)
                    let step = steps[plan.first[c] + level - 1]
                    if step.kind == .swapped, let other = comparisons[c].otherAttribute {
                        let ob = records.valueRange(other, b)
                        for i in va { for k in ob where Plan.similar(value(i), value(k), step.threshold) { return (i, k) } }
                        return nil
                    }
                    for i in va {
                        for j in vb where Plan.level(steps, from: plan.first[c], to: plan.first[c + 1], maxEdits: plan.maxEdits[c],
                                                     value(i), value(j), nil, nil) == level {
                            return (i, j)
                        }
                    }
                    return nil
                }
            }
        }
    }

    /// The weight of an exact match on a value that is `share` of an attribute's values, in a
    /// term-frequency adjusted comparison: log2(m / share), as `score` weighs it.
    public static func termFrequencyWeight(model: Model, comparison: Int, share: Double) -> Double {
        log2(model.m[comparison][1] / share)
    }

    /// Scores the candidate pairs of `blocking` (each once) and returns those with match
    /// probability ≥ `threshold`, in candidate order.
    public static func score(records: Records, model: Model, blocking: [BlockingRule], threshold: Double,
                             termFrequency: Set<Int> = [], jobs: Int = 1) -> [Link] {
        score(records: records, model: model,
              compared: compare(records: records, comparisons: model.comparisons, blocking: blocking, jobs: jobs),
              threshold: threshold, termFrequency: termFrequency, jobs: jobs)
    }

    /// `termFrequency`: comparisons (by index) whose exact level is weighted by how common the
    /// shared value is: an exact match on `Okonkwo` counts for more than one on `Smith`
    /// (weight log2(m / tf), tf = the value's share of the attribute's values, as Splink does).
    public static func score(records: Records, model: Model, pairs: [Pair], threshold: Double,
                             termFrequency: Set<Int> = [], jobs: Int = 1) -> [Link] {
        score(records: records, model: model, compared: compare(records: records, comparisons: model.comparisons, pairs: pairs, jobs: jobs),
              threshold: threshold, termFrequency: termFrequency, jobs: jobs)
    }

    /// Scores pairs already compared on the model's comparisons, on `jobs` threads; the links
    /// are in pair order whatever `jobs` is.
    public static func score(records: Records, model: Model, compared: ComparedPairs, threshold: Double,
                             termFrequency: Set<Int> = [], jobs: Int = 1) -> [Link] {
        precondition(compared.comparisons == model.comparisons, "pairs compared on other comparisons than the model's")
        let weights = model.levelWeights
        let base = model.priorWeight
        // Value shares of the term-frequency attributes (a record holding a value counts once),
        // and the weight of an exact match on each value.
        var exactWeight: [Int: [Double]] = [:]  // comparison → per value (index into records.offsets)
        for c in termFrequency where c < model.comparisons.count {
            let attribute = model.comparisons[c].attribute
            var counts: [[UInt8]: Int] = [:]
            var total = 0
            for r in 0..<records.count {
                for v in records.values(attribute, r) { counts[v, default: 0] += 1; total += 1 }
            }
            let m = model.m[c][1]
            var perValue = [Double](repeating: weights[c][1], count: records.offsets.count)
            for r in 0..<records.count {
                for (i, v) in zip(records.valueRange(attribute, r), records.values(attribute, r)) {
                    if let n = counts[v], total > 0 { perValue[i] = log2(m / (Double(n) / Double(total))) }
                }
            }
            exactWeight[c] = perValue
        }
        /// The weight of the value records `a` and `b` share on term-frequency comparison `c`
        /// (the rarest, when they share several).
        func sharedWeight(_ c: Int, _ perValue: [Double], _ a: Int, _ b: Int) -> Double {
            let attribute = model.comparisons[c].attribute
            let va = records.valueRange(attribute, a), vb = records.valueRange(attribute, b)
            if va.count == 1 && vb.count == 1 { return perValue[va.lowerBound] }
            var best = -Double.infinity
            for i in va {
                for j in vb where records.lengths[i] == records.lengths[j]
                    && records.bytes[records.offsets[i]..<records.offsets[i] + Int(records.lengths[i])]
                        .elementsEqual(records.bytes[records.offsets[j]..<records.offsets[j] + Int(records.lengths[j])]) {
                    best = max(best, perValue[i])
                }
            }
            return best == -Double.infinity ? weights[c][1] : best
        }
        let tf = exactWeight.sorted { $0.key < $1.key }
        // Compare in weight space: probability ≥ t ⇔ weight ≥ log2(t / (1 - t)).
        let minWeight = threshold <= 0 ? -Double.infinity : threshold >= 1 ? Double.infinity : log2(threshold / (1 - threshold))
        // Flat weight table: offset of each comparison's levels.
        var offsets: [Int] = [], table: [Double] = []
        for w in weights { offsets.append(table.count); table += w }
        let width = model.comparisons.count
        let chunkSize = 1 << 14
        var chunks = [[Link]](repeating: [], count: (compared.count + chunkSize - 1) / chunkSize)
        chunks.withUnsafeMutableBufferPointer { chunks in
        compared.levels.withUnsafeBufferPointer { levels in
            forEachChunk(count: compared.count, chunkSize: chunkSize, jobs: jobs) { chunk, range in
                var links: [Link] = []
                for p in range {
                    let row = p * width
                    var w = base
                    for c in 0..<width { w += table[offsets[c] + Int(levels[row + c])] }
                    for (c, perValue) in tf where levels[row + c] == 1 {
                        w += sharedWeight(c, perValue, Int(compared.pairs[p].a), Int(compared.pairs[p].b)) - weights[c][1]
                    }
                    if w >= minWeight {
                        let pair = compared.pairs[p]
                        var adjustments: [Double] = []
                        if !tf.isEmpty {
                            adjustments = [Double](repeating: 0, count: width)
                            for (c, perValue) in tf where levels[row + c] == 1 {
                                adjustments[c] = sharedWeight(c, perValue, Int(pair.a), Int(pair.b)) - weights[c][1]
                            }
                        }
                        links.append(Link(a: Int(pair.a), b: Int(pair.b), weight: w, probability: 1 / (1 + exp2(-w)),
                                          levels: (0..<width).map { Int(levels[row + $0]) }, adjustments: adjustments))
                    }
                }
                chunks[chunk] = links
            }
        }}
        return chunks.flatMap { $0 }
    }
}

/// SplitMix64: small, fast, and the same sequence on every platform for a seed.
struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (multiply-shift; the bias is negligible for bounds far below 2^64).
    mutating func next(below bound: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }
}
