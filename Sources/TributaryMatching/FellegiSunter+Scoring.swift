import Foundation

extension FellegiSunter {
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

    /// For each comparison, the pair of values (indices, for `Records.origin(ofValue:)`) of records
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
        scoreCounting(records: records, model: model, compared: compared, threshold: threshold,
                      termFrequency: termFrequency, jobs: jobs).links
    }

    /// `score`, and the histogram of every scored pair's weight (`WeightHistogram`): its total
    /// is `compared.count`, its `totalAboveThreshold` the number of links.
    public static func scoreCounting(records: Records, model: Model, compared: ComparedPairs, threshold: Double,
                                     termFrequency: Set<Int> = [], jobs: Int = 1) -> (links: [Link], histogram: WeightHistogram) {
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
        // One histogram per chunk (allocated per chunk, not per pair), added up in chunk order.
        var histograms = [WeightHistogram](repeating: WeightHistogram(), count: chunks.count)
        histograms.withUnsafeMutableBufferPointer { histograms in
        chunks.withUnsafeMutableBufferPointer { chunks in
        compared.levels.withUnsafeBufferPointer { levels in
            forEachChunk(count: compared.count, chunkSize: chunkSize, jobs: jobs) { chunk, range in
                var links: [Link] = []
                var counts = [Int](repeating: 0, count: WeightHistogram.binCount)
                var above = counts
                for p in range {
                    let row = p * width
                    var w = base
                    for c in 0..<width { w += table[offsets[c] + Int(levels[row + c])] }
                    for (c, perValue) in tf where levels[row + c] == 1 {
                        w += sharedWeight(c, perValue, Int(compared.pairs[p].a), Int(compared.pairs[p].b)) - weights[c][1]
                    }
                    let bin = WeightHistogram.bin(w)
                    counts[bin] &+= 1
                    if w >= minWeight {
                        above[bin] &+= 1
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
                histograms[chunk].pairs = counts
                histograms[chunk].aboveThreshold = above
            }
        }}}
        var histogram = WeightHistogram()
        for chunk in histograms { histogram.add(chunk) }
        return (chunks.flatMap { $0 }, histogram)
    }
}
