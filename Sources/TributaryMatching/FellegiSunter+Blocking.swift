extension FellegiSunter {
    // MARK: Blocking rules and pairs

    /// Records are candidates under a rule when all its attributes are present and equal: some
    /// value of each attribute of one record equals some value of the same attribute of the other
    /// (a record with several values is in the block of each combination of them).
    public struct BlockingRule: Sendable, Codable, Equatable {
        /// Attributes whose values must be equal.
        public var attributes: [Int]
        /// Pairs of attributes compared as unordered pairs of values: (x, y) of one record
        /// against (x, y) or (y, x) of the other, so swapped first and last names share a block.
        public var unordered: [[Int]] = []
        /// A block with more records than this is skipped (nil: no limit).
        public var maxBlockSize: Int?
        public init(_ attributes: [Int], unordered: [[Int]] = [], maxBlockSize: Int? = nil) {
            self.attributes = attributes
            self.unordered = unordered.filter { $0.count == 2 }
            self.maxBlockSize = maxBlockSize
        }
    }

    /// A candidate pair, a < b.
    public struct Pair: Sendable, Equatable, Hashable {
        public var a: Int32
        public var b: Int32
        public init(a: Int32, b: Int32) { self.a = a; self.b = b }
    }

    /// The blocks of one rule each record is in (ascending block ids; none when a blocking
    /// attribute is missing or its block was over the size limit), compressed:
    /// `blocks[start[r]..<start[r + 1]]`.
    struct Membership: Sendable {
        var start: [Int32]
        var blocks: [Int32]

        /// Whether records `a` and `b` share a block.
        @inline(__always)
        func shares(_ a: Int, _ b: Int) -> Bool { firstCommon(a, b) >= 0 }

        /// The first block (smallest id) records `a` and `b` share, -1 when none.
        @inline(__always)
        func firstCommon(_ a: Int, _ b: Int) -> Int32 {
            var i = Int(start[a]), j = Int(start[b])
            let ei = Int(start[a + 1]), ej = Int(start[b + 1])
            while i < ei && j < ej {
                let x = blocks[i], y = blocks[j]
                if x == y { return x }
                if x < y { i += 1 } else { j += 1 }
            }
            return -1
        }
    }

    /// Each record's blocks under each rule (`membership`), numbered in order of first
    /// appearance, and the members of each block in record order (compressed:
    /// `members[rule][start[rule][block]..<start[rule][block + 1]]`).
    ///
    /// A record's keys (one per combination of its values of the rule's attributes, at most
    /// `maxKeys`) are written length-prefixed into one scratch buffer and interned by their bytes:
    /// no key array per record.
    struct Blocks: Sendable {
        var membership: [Membership] = []
        var start: [[Int32]] = []
        var members: [[Int32]] = []

        /// Keys per record and rule at most (combinations beyond it are not blocked on).
        static let maxKeys = 64

        /// The rules are blocked on up to `jobs` threads, one rule at a time each.
        init(records: Records, rules: [BlockingRule], jobs: Int = 1) {
            var perRule = [(membership: Membership, start: [Int32], members: [Int32])](
                repeating: (Membership(start: [], blocks: []), [], []), count: rules.count)
            perRule.withUnsafeMutableBufferPointer { perRule in
                FellegiSunter.forEachChunk(count: rules.count, chunkSize: 1, jobs: jobs) { r, _ in
                    perRule[r] = Self.block(records: records, rule: rules[r])
                }
            }
            membership = perRule.map(\.membership)
            start = perRule.map(\.start)
            members = perRule.map(\.members)
        }

        static func block(records: Records, rule: BlockingRule) -> (membership: Membership, start: [Int32], members: [Int32]) {
            let n = records.count
            var table = Stitcher.Interned.Table()
            var sizes: [Int32] = []
            var recordStart = [Int32](repeating: 0, count: n + 1)
            var recordBlocks: [Int32] = []
            recordBlocks.reserveCapacity(n)
            // The parts of a key: each attribute's values, then each unordered pair's (x, y) values.
            let parts = rule.attributes.count + rule.unordered.count
            var choice = [Int](repeating: 0, count: parts)
            var ranges = [Range<Int>](repeating: 0..<0, count: parts)
            var pairRanges = [Range<Int>](repeating: 0..<0, count: parts)
            var key: [UInt8] = []
            var mine: [Int32] = []
            records.bytes.withUnsafeBufferPointer { bytes in
                @inline(__always) func value(_ v: Int) -> UnsafeBufferPointer<UInt8> {
                    UnsafeBufferPointer(rebasing: bytes[records.offsets[v]..<records.offsets[v] + Int(records.lengths[v])])
                }
                @inline(__always) func append(_ v: Int) {
                    let length = Int(records.lengths[v])
                    for shift in stride(from: 24, through: 0, by: -8) { key.append(UInt8(truncatingIfNeeded: length >> shift)) }
                    key.append(contentsOf: value(v))
                }
                /// Whether value `x` sorts after value `y` (bytes, then length): the order of an unordered pair.
                @inline(__always) func after(_ x: Int, _ y: Int) -> Bool {
                    let vx = value(x), vy = value(y)
                    for i in 0..<min(vx.count, vy.count) where vx[i] != vy[i] { return vx[i] > vy[i] }
                    return vx.count > vy.count
                }
                record: for r in 0..<n {
                    defer { recordStart[r + 1] = Int32(recordBlocks.count) }
                    // A part with no value: the record is in no block of this rule. Parts are
                    // choices: a value index, or for an unordered pair an index into x × y.
                    var combinations = 1
                    for (p, attribute) in rule.attributes.enumerated() {
                        ranges[p] = records.valueRange(attribute, r)
                        if ranges[p].isEmpty { continue record }
                        combinations *= ranges[p].count
                    }
                    for (q, pair) in rule.unordered.enumerated() {
                        let p = rule.attributes.count + q
                        ranges[p] = records.valueRange(pair[0], r)
                        pairRanges[p] = records.valueRange(pair[1], r)
                        if ranges[p].isEmpty || pairRanges[p].isEmpty { continue record }
                        combinations *= ranges[p].count * pairRanges[p].count
                    }
                    mine.removeAll(keepingCapacity: true)
                    for p in 0..<parts { choice[p] = 0 }
                    for _ in 0..<min(combinations, maxKeys) {
                        key.removeAll(keepingCapacity: true)
                        for p in 0..<parts {
                            if p < rule.attributes.count {
                                append(ranges[p].lowerBound + choice[p])
                            } else {
                                let width = pairRanges[p].count
                                let x = ranges[p].lowerBound + choice[p] / width, y = pairRanges[p].lowerBound + choice[p] % width
                                if after(x, y) { append(y); append(x) } else { append(x); append(y) }
                            }
                        }
                        // The next combination (odometer, last part fastest).
                        var p = parts - 1
                        while p >= 0 {
                            choice[p] += 1
                            let limit = p < rule.attributes.count ? ranges[p].count : ranges[p].count * pairRanges[p].count
                            if choice[p] < limit { break }
                            choice[p] = 0
                            p -= 1
                        }
                        let id = key.withUnsafeBufferPointer { table.intern($0) }
                        if id == sizes.count { sizes.append(0) }
                        if !mine.contains(Int32(id)) { mine.append(Int32(id)) }
                    }
                    if mine.count > 1 { mine.sort() }
                    for id in mine { sizes[Int(id)] += 1 }
                    recordBlocks.append(contentsOf: mine)
                }
            }
            // Blocks over the size limit are skipped: their records are not in them.
            if let limit = rule.maxBlockSize, sizes.contains(where: { Int($0) > limit }) {
                var kept: [Int32] = []
                kept.reserveCapacity(recordBlocks.count)
                var from = 0
                for r in 0..<n {
                    let to = Int(recordStart[r + 1])
                    for k in from..<to where Int(sizes[Int(recordBlocks[k])]) <= limit { kept.append(recordBlocks[k]) }
                    from = to
                    recordStart[r + 1] = Int32(kept.count)
                }
                recordBlocks = kept
                for b in sizes.indices where Int(sizes[b]) > limit { sizes[b] = 0 }
            }
            // Members by block, in record order.
            var offsets = [Int32](repeating: 0, count: sizes.count + 1)
            for b in sizes.indices { offsets[b + 1] = offsets[b] + sizes[b] }
            var fill = offsets
            var list = [Int32](repeating: 0, count: Int(offsets.last!))
            for r in 0..<n {
                for k in Int(recordStart[r])..<Int(recordStart[r + 1]) {
                    let b = Int(recordBlocks[k])
                    list[Int(fill[b])] = Int32(r)
                    fill[b] += 1
                }
            }
            return (Membership(start: recordStart, blocks: recordBlocks), offsets, list)
        }

        /// The number of blocks of a rule.
        func blockCount(_ rule: Int) -> Int { start[rule].count - 1 }
    }

    /// Pairs each rule would generate on its own (Σ over its blocks of n(n-1)/2), without
    /// generating them; pairs found by several rules (or in several blocks of one rule) count
    /// once per block.
    public static func countPairs(records: Records, blocking: [BlockingRule]) -> [Int] {
        let blocks = Blocks(records: records, rules: blocking)
        return blocking.indices.map { rule in
            (0..<blocks.blockCount(rule)).reduce(0) { total, b in
                let size = Int(blocks.start[rule][b + 1] - blocks.start[rule][b])
                return total + size * (size - 1) / 2
            }
        }
    }

    /// The size of every block of each rule (blocks of one record included).
    public static func blockSizes(records: Records, blocking: [BlockingRule]) -> [[Int]] {
        let blocks = Blocks(records: records, rules: blocking)
        return blocking.indices.map { rule in
            (0..<blocks.blockCount(rule)).map { Int(blocks.start[rule][$0 + 1] - blocks.start[rule][$0]) }
        }
    }

    /// Candidate pairs of all rules, each once (what `candidatePairs` returns, counted without
    /// storing them); nil when the rules generate more than `limit` pairs between them (Σ of
    /// `countPairs`), so that counting would take as long as scoring.
    public static func countCandidatePairs(records: Records, blocking: [BlockingRule], limit: Int = 50_000_000) -> Int? {
        let blocks = Blocks(records: records, rules: blocking)
        let sizes = blocking.indices.map { rule in
            (0..<blocks.blockCount(rule)).map { Int(blocks.start[rule][$0 + 1] - blocks.start[rule][$0]) }
        }
        guard sizes.reduce(0, { $0 + $1.reduce(0) { $0 + $1 * ($1 - 1) / 2 } }) <= limit else { return nil }
        var count = 0
        forEachCandidatePair(blocks: blocks, ruleCount: blocking.count) { _, _ in count += 1 }
        return count
    }

    /// Candidate pairs of all rules, each once: a pair is kept by the first rule that finds it
    /// (a later rule skips pairs an earlier rule also blocks together), in the first block of that
    /// rule the two share. Ordered by rule, block (first appearance), then record.
    public static func candidatePairs(records: Records, blocking: [BlockingRule]) -> [Pair] {
        candidatePairs(blocks: Blocks(records: records, rules: blocking), ruleCount: blocking.count)
    }

    static func candidatePairs(blocks: Blocks, ruleCount: Int) -> [Pair] {
        candidatePairsPerRule(blocks: blocks, ruleCount: ruleCount).pairs
    }

    /// `candidatePairs`, and how many of them each rule keeps (the pairs are in rule order, so
    /// this is where each rule's pairs start, not a second walk).
    static func candidatePairsPerRule(blocks: Blocks, ruleCount: Int) -> (pairs: [Pair], kept: [Int]) {
        var pairs: [Pair] = []
        var starts: [Int] = []
        forEachCandidatePair(blocks: blocks, ruleCount: ruleCount, rule: { _ in starts.append(pairs.count) },
                             { a, b in pairs.append(Pair(a: Int32(a), b: Int32(b))) })
        starts.append(pairs.count)
        return (pairs, (0..<ruleCount).map { starts[$0 + 1] - starts[$0] })
    }

    /// The pairs each rule generates on its own: Σ over its blocks of n(n-1)/2, as `countPairs`.
    static func generatedPairs(blocks: Blocks, ruleCount: Int) -> [Int] {
        (0..<ruleCount).map { r in
            (0..<blocks.blockCount(r)).reduce(0) { total, b in
                let size = Int(blocks.start[r][b + 1] - blocks.start[r][b])
                return total + size * (size - 1) / 2
            }
        }
    }

    /// Visits the candidate pairs of all rules, each once, in the order of `candidatePairs`.
    /// `rule` is told each rule before its pairs.
    static func forEachCandidatePair(blocks: Blocks, ruleCount: Int, rule ruleStarts: (Int) -> Void = { _ in },
                                     _ body: (Int, Int) -> Void) {
        for rule in 0..<ruleCount {
            ruleStarts(rule)
            let start = blocks.start[rule], members = blocks.members[rule], membership = blocks.membership[rule]
            for b in 0..<blocks.blockCount(rule) {
                let from = Int(start[b]), to = Int(start[b + 1])
                guard to - from > 1 else { continue }
                for i in from..<(to - 1) {
                    let a = Int(members[i])
                    let manyA = membership.start[a + 1] - membership.start[a] > 1
                    pair: for j in (i + 1)..<to {
                        let other = Int(members[j])
                        // Two records in several blocks of this rule: the pair is made in the first.
                        if manyA && membership.firstCommon(a, other) != Int32(b) { continue pair }
                        for earlier in 0..<rule where blocks.membership[earlier].shares(a, other) { continue pair }
                        body(a, other)
                    }
                }
            }
        }
    }
}
