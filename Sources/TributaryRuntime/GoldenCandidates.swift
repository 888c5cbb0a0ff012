import Foundation
import TributaryConfig

/// The candidate values of one golden attribute, for every profile at once: columns of plain
/// integers over one arena of UTF-8 bytes (no String, no reference count per candidate), grouped
/// by profile with a counting sort and ranked without allocating.
struct GoldenCandidates {
    /// Every candidate's value and dating text, back to back.
    private(set) var bytes: [UInt8] = []
    private(set) var valueStart: [Int] = []
    private(set) var valueEnd: [Int] = []
    /// The dating field's text (ISO-8601 sorts as time); start -1: none, which ranks last.
    private(set) var recencyStart: [Int] = []
    private(set) var recencyEnd: [Int] = []
    /// Rank of the candidate's source in `prefer` (0 is best).
    private(set) var priority: [Int] = []
    private(set) var completeness: [Int] = []
    private(set) var recordID: [Int] = []
    /// Index of the candidate's source among the attribute's.
    private(set) var source: [Int] = []
    private(set) var profile: [Int32] = []

    var count: Int { profile.count }

    /// Where candidate `c`'s value lies in `bytes`.
    func value(_ c: Int) -> (start: Int, end: Int) { (valueStart[c], valueEnd[c]) }

    mutating func append(value: UnsafeBufferPointer<UInt8>, recency: UnsafeBufferPointer<UInt8>?, priority: Int,
                         completeness: Int, recordID: Int, source: Int, profile: Int32) {
        valueStart.append(bytes.count)
        bytes.append(contentsOf: value)
        valueEnd.append(bytes.count)
        if let recency {
            recencyStart.append(bytes.count)
            bytes.append(contentsOf: recency)
            recencyEnd.append(bytes.count)
        } else {
            recencyStart.append(-1)
            recencyEnd.append(-1)
        }
        self.priority.append(priority)
        self.completeness.append(completeness)
        self.recordID.append(recordID)
        self.source.append(source)
        self.profile.append(profile)
    }

    /// The winning candidate of each profile (-1: the profile has none) and how many candidates it
    /// had, under `rules`, then the preferred source, then the later record, then the field listed
    /// first: the order of the SQL this replaced (`ORDER BY <rules>, priority, record_id DESC`, one
    /// query per field in the attribute's order), with SQLite's text semantics
    /// (byte order and byte equality, characters for `length`).
    func winners(profiles: Int, rules: [SurvivorshipDefinition.Rule]) -> (winner: [Int], candidates: [Int]) {
        // Group by profile with a counting sort (profiles are numbered 0..<count).
        var start = [Int](repeating: 0, count: profiles + 1)
        for p in profile { start[Int(p) + 1] += 1 }
        for p in 0..<profiles { start[p + 1] += start[p] }
        var fill = start
        var order = [Int](repeating: 0, count: count)
        for (i, p) in profile.enumerated() {
            order[fill[Int(p)]] = i
            fill[Int(p)] += 1
        }
        var winner = [Int](repeating: -1, count: profiles)
        var candidates = [Int](repeating: 0, count: profiles)
        let frequent = rules.contains(.mostFrequent)
        var frequency: [Int] = []   // by position in the group
        var sorted: [Int] = []      // scratch for large groups
        bytes.withUnsafeBufferPointer { arena in
            for p in 0..<profiles where start[p + 1] > start[p] {
                let group = order[start[p]..<start[p + 1]]
                candidates[p] = group.count
                if frequent { Self.frequencies(of: group, arena: arena, starts: valueStart, ends: valueEnd, into: &frequency, scratch: &sorted) }
                var best = group.startIndex
                for k in group.indices.dropFirst() where ranksBefore(order[k], order[best], rules: rules, arena: arena,
                                                                     frequencyA: frequent ? frequency[k - group.startIndex] : 0,
                                                                     frequencyB: frequent ? frequency[best - group.startIndex] : 0) {
                    best = k
                }
                winner[p] = order[best]
            }
        }
        return (winner, candidates)
    }

    /// For each candidate of a group, how many of the group hold the same value (byte equality).
    private static func frequencies(of group: ArraySlice<Int>, arena: UnsafeBufferPointer<UInt8>, starts: [Int], ends: [Int],
                                    into frequency: inout [Int], scratch sorted: inout [Int]) {
        frequency.removeAll(keepingCapacity: true)
        func equal(_ a: Int, _ b: Int) -> Bool {
            let la = ends[a] - starts[a]
            return la == ends[b] - starts[b] && memcmpEqual(arena, starts[a], starts[b], la)
        }
        if group.count <= 16 {
            for a in group { frequency.append(group.reduce(0) { $0 + (equal(a, $1) ? 1 : 0) }) }
            return
        }
        // Large groups: sort positions by value, count runs.
        sorted.removeAll(keepingCapacity: true)
        sorted.append(contentsOf: 0..<group.count)
        let base = group.startIndex
        sorted.sort { x, y in
            let a = group[base + x], b = group[base + y]
            return UnsafeBufferPointer(rebasing: arena[starts[a]..<ends[a]])
                .lexicographicallyPrecedes(UnsafeBufferPointer(rebasing: arena[starts[b]..<ends[b]]))
        }
        frequency.append(contentsOf: repeatElement(0, count: group.count))
        var runStart = 0
        for i in 1...sorted.count {
            if i == sorted.count || !equal(group[base + sorted[i]], group[base + sorted[runStart]]) {
                for k in runStart..<i { frequency[sorted[k]] = i - runStart }
                runStart = i
            }
        }
    }

    private static func memcmpEqual(_ arena: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int, _ length: Int) -> Bool {
        guard length > 0 else { return true }
        return memcmp(arena.baseAddress! + a, arena.baseAddress! + b, length) == 0
    }

    /// Whether candidate `a` comes before `b`: -1 / 0 / +1 per rule, the first decisive one wins.
    private func ranksBefore(_ a: Int, _ b: Int, rules: [SurvivorshipDefinition.Rule], arena: UnsafeBufferPointer<UInt8>,
                             frequencyA: Int, frequencyB: Int) -> Bool {
        for rule in rules {
            let order: Int
            switch rule {
            case .sourcePriority: order = Self.compare(priority[b], priority[a])
            case .mostRecent:
                switch (recencyStart[a] >= 0, recencyStart[b] >= 0) {
                case (false, false): order = 0
                case (false, true): order = -1
                case (true, false): order = 1
                case (true, true):
                    let x = UnsafeBufferPointer(rebasing: arena[recencyStart[a]..<recencyEnd[a]])
                    let y = UnsafeBufferPointer(rebasing: arena[recencyStart[b]..<recencyEnd[b]])
                    order = x.elementsEqual(y) ? 0 : (y.lexicographicallyPrecedes(x) ? 1 : -1)
                }
            case .mostFrequent: order = Self.compare(frequencyA, frequencyB)
            case .longest: order = Self.compare(characters(a, arena), characters(b, arena))
            case .mostComplete: order = Self.compare(completeness[a], completeness[b])
            }
            if order != 0 { return order > 0 }
        }
        if priority[a] != priority[b] { return priority[a] < priority[b] }
        if recordID[a] != recordID[b] { return recordID[a] > recordID[b] }
        return source[a] < source[b]  // two fields of one record (a mobile and a home phone): the first listed
    }

    /// The value's length in characters as SQLite's `length` counts them: bytes that do not
    /// continue a UTF-8 sequence.
    private func characters(_ c: Int, _ arena: UnsafeBufferPointer<UInt8>) -> Int {
        var n = 0
        for i in valueStart[c]..<valueEnd[c] where arena[i] & 0xC0 != 0x80 { n += 1 }
        return n
    }

    /// +1 when `a` > `b` (a is better for "more is better" rules).
    private static func compare(_ a: Int, _ b: Int) -> Int { a == b ? 0 : (a > b ? 1 : -1) }
}
