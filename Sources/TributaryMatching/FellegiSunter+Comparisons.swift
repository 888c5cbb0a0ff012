import Foundation

extension FellegiSunter {
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
        /// Per blocking rule, the candidate pairs it kept (found by no earlier rule); their sum
        /// is `count`. Empty for pairs given directly.
        public var pairsKeptPerRule: [Int] = []
        /// Per blocking rule, the pairs it generates on its own (Σ over its blocks of
        /// n(n-1)/2, pairs other rules also find included). Empty for pairs given directly.
        public var pairsGeneratedPerRule: [Int] = []

        public var count: Int { pairs.count }

        /// The levels of pair `p`.
        public func levels(of p: Int) -> [Int] {
            (0..<comparisons.count).map { Int(levels[p * comparisons.count + $0]) }
        }
    }

    /// Compares every candidate pair of `blocking` (see `candidatePairs`) on `comparisons`.
    public static func compare(records: Records, comparisons: [Comparison], blocking: [BlockingRule], jobs: Int = 1) -> ComparedPairs {
        let blocks = Blocks(records: records, rules: blocking, jobs: jobs)
        let (pairs, kept) = candidatePairsPerRule(blocks: blocks, ruleCount: blocking.count)
        var result = compare(records: records, comparisons: comparisons, blocking: blocking, pairs: pairs, blocks: blocks, jobs: jobs)
        result.pairsKeptPerRule = kept
        result.pairsGeneratedPerRule = generatedPairs(blocks: blocks, ruleCount: blocking.count)
        return result
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
}
