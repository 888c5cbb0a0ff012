import Foundation

extension FellegiSunter {
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
}
