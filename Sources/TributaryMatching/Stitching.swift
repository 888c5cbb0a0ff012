import Foundation

/// Deterministic identity stitching, as customer-data platforms do it: records that share an
/// identifier value (an e-mail, a user id, a device id, a loyalty card) join one profile, and so
/// on transitively, over the graph of records and identifier values (union-find).
///
/// One bad link merges two people, so links are guarded:
/// - `maxPerProfile` (merge protection): a profile never holds more distinct values of a type
///   than this (e.g. two CRM contact ids or two loyalty cards when the limit is 1); a link that
///   would break it is refused and reported.
/// - `maxRecordsPerValue` (fan-out): a value shared by more records than this (a household
///   phone, a shared test address) links no one on its own, and is reported.
/// - `maxClusterSize`: a profile that would be larger than this is split on its weakest links,
///   and every link cut is reported (see `split`).
/// - `attachOnly` (a weak, shared value such as a household landline): applied last, after the
///   pair links, a value of such a type attaches records that hold no other identifier
///   ("unanchored") to the one profile anchored by other identifiers that holds it; when two or
///   more anchored profiles hold it, it joins only the unanchored records among themselves and is
///   reported as `ambiguous`.
///
/// Identifier types are applied in the order given (strongest first), values in byte order, so
/// the result is deterministic and the strongest evidence is used before weaker evidence can
/// exhaust a limit. A pure library: no I/O, benchmarkable on its own.
public enum Stitcher {
    public struct IdentifierType: Sendable {
        public var name: String
        public var maxPerProfile: Int?
        public var attachOnly: Bool
        /// Conflict attributes (indices into `ConflictValues`): a value of this type joins two
        /// groups of records only when they do not conflict on any of them (see `ConflictValues`).
        public var conflicts: [Int]

        public init(name: String, maxPerProfile: Int? = nil, attachOnly: Bool = false, conflicts: [Int] = []) {
            self.name = name
            self.maxPerProfile = maxPerProfile
            self.attachOnly = attachOnly
            self.conflicts = conflicts
        }
    }

    /// Values of the attributes that tell two people apart (a first name, a birth date) per
    /// record, for the `conflicts` guard: two groups of records conflict on an attribute when
    /// both hold values of it and no value of one is similar to a value of the other (equal, or
    /// Jaro-Winkler ≥ `similarity`, so a typo is no conflict). A household landline then joins a
    /// customer's own records, not the spouse's; twins and a Jr and Sr stay apart.
    public struct ConflictValues: Sendable {
        var tables: [Interned.Table]
        /// Per attribute: (record, value id) pairs, as added.
        var entries: [[(record: Int32, value: Int32)]]
        public var similarity: Double

        public init(attributes: Int, similarity: Double = 0.88) {
            tables = Array(repeating: Interned.Table(), count: attributes)
            entries = Array(repeating: [], count: attributes)
            self.similarity = similarity
        }

        public var attributeCount: Int { tables.count }

        /// Records that `record` holds `value` of `attribute`.
        public mutating func add(attribute: Int, record: Int, _ value: UnsafeBufferPointer<UInt8>) {
            let id = tables[attribute].intern(value)
            entries[attribute].append((Int32(record), Int32(id)))
        }

        /// Whether value ids `x` and `y` of `attribute` are similar.
        func similar(_ attribute: Int, _ x: Int32, _ y: Int32) -> Bool {
            if x == y { return true }
            let table = tables[attribute]
            return table.arena.withUnsafeBufferPointer { arena in
                let a = UnsafeBufferPointer(rebasing: arena[table.start[Int(x)]..<table.start[Int(x) + 1]])
                let b = UnsafeBufferPointer(rebasing: arena[table.start[Int(y)]..<table.start[Int(y) + 1]])
                return StringSimilarity.jaroWinkler(a, b) >= similarity
            }
        }
    }

    /// One identifier value seen on one record.
    public struct Observation: Sendable {
        public var record: Int
        public var type: Int
        public var value: String

        public init(record: Int, type: Int, value: String) {
            self.record = record
            self.type = type
            self.value = value
        }
    }

    public struct Options: Sendable {
        public var maxRecordsPerValue: Int?
        public var maxClusterSize: Int?

        public init(maxRecordsPerValue: Int? = nil, maxClusterSize: Int? = nil) {
            self.maxRecordsPerValue = maxRecordsPerValue
            self.maxClusterSize = maxClusterSize
        }
    }

    /// A link or group of links not made, and why.
    public struct Refusal: Sendable, Equatable {
        public enum Reason: String, Sendable { case maxPerProfile = "max_per_profile", fanOut = "fan_out", maxClusterSize = "max_cluster_size", ambiguous, conflict }
        public var type: Int
        public var value: String
        public var reason: Reason
        /// The records the refused value was seen on (2 for a pair link).
        public var records: Int
        /// `maxClusterSize`: the two records of the link that was cut (for an identifier value, the
        /// record it would have joined and the record it would have joined to).
        public var linked: [Int] = []
        /// `maxClusterSize`: the sizes of the two parts the cut link would have joined.
        public var parts: [Int] = []
    }

    public struct Result: Sendable {
        /// The profile (0-based, numbered by each profile's smallest record) of every record.
        public var profileOf: [Int]
        public var profileCount: Int
        /// The identifier type that joined each record to its profile; nil when it was linked by
        /// nothing (it founded the profile, or stands alone).
        public var linkedBy: [Int?]
        public var refusals: [Refusal]
        /// Pair links refused by the guards (merge protection, cluster size).
        public var refusedLinks = 0
        /// For each observation (in the order given), the rank of its value among its type's
        /// distinct values in byte order: equal ranks are equal values, a smaller rank is a
        /// value that sorts first.
        public var valueRank: [Int32] = []
    }

    /// A link between two records found by other evidence (e.g. a probabilistic matcher),
    /// applied after the identifiers, under the same guards, strongest first.
    public struct PairLink: Sendable {
        public var a: Int
        public var b: Int
        /// Orders the links: higher first (e.g. a match probability).
        public var strength: Double

        public init(a: Int, b: Int, strength: Double) {
            self.a = a
            self.b = b
            self.strength = strength
        }
    }

    /// `linkedBy` of records joined through a `PairLink`.
    public static let pairLinkType = -1

    /// Identifier values interned per type as bytes (each distinct value stored once, in an
    /// arena, found again through a hash of its bytes: no `String` per observation), and one
    /// (type, value, record) entry per observation, in the order observed.
    public struct Interned: Sendable {
        struct Table: Sendable {
            var arena: [UInt8] = []
            var start: [Int] = [0]
            var hashes: [UInt64] = []
            var slots = [Int32](repeating: -1, count: 64)

            var count: Int { start.count - 1 }

            @inline(__always)
            static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
                var h: UInt64 = 0xcbf2_9ce4_8422_2325
                for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
                return h ^ (h >> 32)
            }

            mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
                let h = Self.hash(bytes)
                var mask = slots.count - 1
                var slot = Int(truncatingIfNeeded: h) & mask
                while true {
                    let id = Int(slots[slot])
                    if id < 0 { break }
                    if hashes[id] == h {
                        let from = start[id], length = start[id + 1] - from
                        if length == bytes.count && arena.withUnsafeBufferPointer({ a in
                            (0..<length).allSatisfy { a[from + $0] == bytes[$0] }
                        }) { return id }
                    }
                    slot = (slot + 1) & mask
                }
                let id = count
                arena.append(contentsOf: bytes)
                start.append(arena.count)
                hashes.append(h)
                if 2 * (id + 1) > slots.count {
                    slots = [Int32](repeating: -1, count: slots.count * 2)
                    mask = slots.count - 1
                    for (other, oh) in hashes.enumerated() {
                        var s = Int(truncatingIfNeeded: oh) & mask
                        while slots[s] >= 0 { s = (s + 1) & mask }
                        slots[s] = Int32(other)
                    }
                } else {
                    slots[slot] = Int32(id)
                }
                return id
            }

            func string(_ id: Int) -> String { String(decoding: arena[start[id]..<start[id + 1]], as: UTF8.self) }
        }

        var tables: [Table]
        public private(set) var type: [Int32] = []
        public private(set) var value: [Int32] = []
        public private(set) var record: [Int32] = []

        public init(types: Int) { tables = Array(repeating: Table(), count: types) }

        /// The id of `bytes` among the values of `type` (new values get the next id).
        public mutating func intern(type: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Int { tables[type].intern(bytes) }

        /// Records that `record` holds value `value` (an id from `intern`) of `type`.
        public mutating func observe(record: Int, type: Int, value: Int) {
            self.type.append(Int32(type))
            self.value.append(Int32(value))
            self.record.append(Int32(record))
        }

        public var count: Int { record.count }

        /// A value as text.
        public func string(type: Int, value: Int) -> String { tables[type].string(value) }

        /// A value's bytes.
        public func bytes(type: Int, value: Int) -> ArraySlice<UInt8> {
            tables[type].arena[tables[type].start[value]..<tables[type].start[value + 1]]
        }
    }

    public static func stitch(records: Int, types: [IdentifierType], observations: [Observation],
                              links: [PairLink] = [], options: Options = Options()) -> Result {
        var interned = Interned(types: types.count)
        for o in observations {
            var text = o.value
            let id = text.withUTF8 { interned.intern(type: o.type, $0) }
            interned.observe(record: o.record, type: o.type, value: id)
        }
        return stitch(records: records, types: types, interned: interned, links: links, options: options)
    }

    public static func stitch(records: Int, types: [IdentifierType], interned: Interned,
                              links: [PairLink] = [], conflictValues: ConflictValues? = nil, options: Options = Options()) -> Result {
        stitch(records: records, types: types, interned: interned, conflictValues: conflictValues, options: options) { _ in links }
    }

    /// Stitches in two steps: the identifiers (but attach-only ones) first; then `linker` is given
    /// the cluster they built of each record (`clusterOf[r]`: a record of the same cluster, the
    /// same for all of them) and returns the pair links to apply, e.g. from a matcher comparing
    /// the clusters rather than the records; then the links and the attach-only values.
    public static func stitch<E: Error>(records: Int, types: [IdentifierType], interned: Interned,
                                        conflictValues: ConflictValues? = nil, options: Options = Options(),
                                        linker: (_ clusterOf: [Int]) throws(E) -> [PairLink]) throws(E) -> Result {
        var forest = Forest(count: records, limitedTypes: types.map { $0.maxPerProfile })
        let guarded = conflictValues.map { values in types.map { $0.conflicts.filter { $0 < values.attributeCount } } } ?? types.map { _ in [] }
        if let conflictValues, guarded.contains(where: { !$0.isEmpty }) {
            for (attribute, entries) in conflictValues.entries.enumerated() {
                for (record, value) in entries where !forest.traits[Int(record)].contains(where: { $0 == (Int32(attribute), value) }) {
                    forest.traits[Int(record)].append((Int32(attribute), value))
                }
            }
        }
        /// Whether the groups of records `x` and `y` conflict on an attribute of `attributes`.
        func conflict(_ x: Int, _ y: Int, on attributes: [Int]) -> Bool {
            guard let conflictValues, !attributes.isEmpty else { return false }
            let tx = forest.traits[forest.find(x)], ty = forest.traits[forest.find(y)]
            if tx.isEmpty || ty.isEmpty { return false }
            for attribute in attributes {
                let a = Int32(attribute)
                var heldX = false, heldY = false, similar = false
                for (ax, vx) in tx where ax == a {
                    heldX = true
                    for (ay, vy) in ty where ay == a {
                        heldY = true
                        if conflictValues.similar(attribute, vx, vy) { similar = true; break }
                    }
                    if similar { break }
                }
                if !heldY { heldY = ty.contains { $0.attribute == a } }
                if heldX && heldY && !similar { return true }
            }
            return false
        }
        // A record holding a value of a type that is not attach-only anchors its profile.
        if types.contains(where: \.attachOnly) {
            for i in 0..<interned.count where !types[Int(interned.type[i])].attachOnly { forest.anchored[Int(interned.record[i])] = true }
        }
        var linkedBy = [Int?](repeating: nil, count: records)
        var refusals: [Refusal] = []
        // The links made, in the order made (strongest first): the spanning forest of the profiles,
        // from which oversized ones are split afterwards.
        var made: [Edge] = []

        // Group records by (type, value): rank each type's values in byte order (so the result is
        // the same on every machine), then sort (rank, record) keys and walk the runs.
        var byType = [[(value: Int32, record: Int32)]](repeating: [], count: types.count)
        for i in 0..<interned.count {
            byType[Int(interned.type[i])].append((interned.value[i], interned.record[i]))
        }

        var ranks = [[Int32]](repeating: [], count: types.count)
        /// Links the records sharing each value of `type`, under the guards.
        func linkType(_ type: Int) {
            // Byte order, compared with memcmp over the type's arena.
            let table = interned.tables[type]
            var order = Array(0..<table.count)
            table.arena.withUnsafeBufferPointer { bytes in
                let base = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
                let valueStart = table.start
                order.sort { x, y in
                    let lx = valueStart[x + 1] - valueStart[x], ly = valueStart[y + 1] - valueStart[y]
                    let c = memcmp(base + valueStart[x], base + valueStart[y], min(lx, ly))
                    return c != 0 ? c < 0 : lx < ly
                }
            }
            var rank = [Int32](repeating: 0, count: order.count)
            for (r, id) in order.enumerated() { rank[id] = Int32(r) }
            ranks[type] = rank
            // (rank, record) as one integer key: a plain integer sort.
            var keys = byType[type].map { UInt64(UInt32(bitPattern: rank[Int($0.value)])) << 32 | UInt64(UInt32(bitPattern: $0.record)) }
            byType[type] = []
            keys.sort()
            var start = 0
            var members: [Int] = []
            while start < keys.count {
                let valueRank = Int(keys[start] >> 32)
                var end = start + 1
                while end < keys.count, keys[end] >> 32 == keys[start] >> 32 { end += 1 }
                members.removeAll(keepingCapacity: true)
                for k in start..<end where k == start || keys[k] != keys[k - 1] { members.append(Int(UInt32(truncatingIfNeeded: keys[k]))) }
                var value: String { interned.string(type: type, value: order[valueRank]) }
                start = end
                if let limit = options.maxRecordsPerValue, members.count > limit {
                    refusals.append(Refusal(type: type, value: value, reason: .fanOut, records: members.count))
                    continue
                }
                let guards = guarded[type]
                if types[type].attachOnly && !guards.isEmpty {
                    // Each record without other identifiers goes to the one anchored profile holding
                    // the value that it does not conflict with; with none or several, it stays
                    // with the other such records.
                    var anchors: [Int] = []
                    for record in members where forest.anchored[forest.find(record)] {
                        let root = forest.find(record)
                        if !anchors.contains(where: { forest.find($0) == root }) { anchors.append(record) }
                    }
                    var leftover: [Int] = []
                    var reason: Refusal.Reason?
                    for record in members where !forest.anchored[forest.find(record)] {
                        let fits = anchors.filter { !conflict($0, record, on: guards) }
                        guard fits.count == 1 else {
                            if fits.count > 1 { reason = .ambiguous } else if !anchors.isEmpty { reason = reason ?? .conflict }
                            leftover.append(record)
                            continue
                        }
                        switch forest.union(fits[0], record) {
                        case .joined:
                            if linkedBy[record] == nil { linkedBy[record] = type }
                            made.append(Edge(a: Int32(fits[0]), b: Int32(record), type: Int32(type), value: Int32(order[valueRank]),
                                             records: Int32(members.count)))
                        case .alreadyTogether:
                            break
                        case .refused(let refusal):
                            reason = reason ?? refusal
                            leftover.append(record)
                        }
                    }
                    if let reason { refusals.append(Refusal(type: type, value: value, reason: reason, records: members.count)) }
                    members = leftover
                    if members.count < 2 { continue }
                } else if types[type].attachOnly {
                    var anchoredRoot = -1
                    var ambiguous = false
                    for record in members {
                        let root = forest.find(record)
                        guard forest.anchored[root] else { continue }
                        if anchoredRoot < 0 { anchoredRoot = root } else if root != anchoredRoot { ambiguous = true; break }
                    }
                    if ambiguous {
                        refusals.append(Refusal(type: type, value: value, reason: .ambiguous, records: members.count))
                        members = members.filter { !forest.anchored[forest.find($0)] }
                        if members.count < 2 { continue }
                    }
                }
                // Within a type, the value's rank identifies it.
                let valueID = types[type].maxPerProfile != nil ? valueRank : -1
                // The members whose profile can hold the value take it; then they join the first
                // one's profile. A member whose profile already holds its limit of other values of
                // this type is left out (refused).
                var refused: Refusal.Reason?
                var accepting: [Int] = []
                for record in members {
                    if valueID < 0 || forest.add(value: valueID, type: type, to: record, limit: types[type].maxPerProfile!) {
                        accepting.append(record)
                    } else {
                        refused = .maxPerProfile
                    }
                }
                guard let first = accepting.first else {
                    refusals.append(Refusal(type: type, value: value, reason: .maxPerProfile, records: members.count))
                    continue
                }
                // With a conflicts guard, each record joins the first group it does not conflict
                // with (a group per person holding the value); else all join the first record.
                var groups = [first]
                for record in accepting.dropFirst() {
                    var anchor = first
                    if !guards.isEmpty {
                        guard let fit = groups.first(where: { !conflict($0, record, on: guards) }) else {
                            groups.append(record)
                            refused = refused ?? .conflict
                            continue
                        }
                        anchor = fit
                    }
                    switch forest.union(anchor, record) {
                    case .joined:
                        if linkedBy[record] == nil { linkedBy[record] = type }
                        made.append(Edge(a: Int32(anchor), b: Int32(record), type: Int32(type), value: Int32(order[valueRank]),
                                         records: Int32(members.count)))
                    case .alreadyTogether:
                        break
                    case .refused(let reason):
                        refused = refused ?? reason
                    }
                }
                if let refused { refusals.append(Refusal(type: type, value: value, reason: refused, records: members.count)) }
            }
        }
        for type in types.indices where !types[type].attachOnly { linkType(type) }
        let links = try linker((0..<records).map { forest.find($0) })

        // Links from other evidence, strongest first; ties in record order, for determinism.
        var refusedLinks = 0
        for link in links.sorted(by: { ($0.strength, $1.a, $1.b) > ($1.strength, $0.a, $0.b) }) {
            switch forest.union(link.a, link.b) {
            case .joined:
                let later = max(link.a, link.b)
                if linkedBy[later] == nil { linkedBy[later] = pairLinkType }
                made.append(Edge(a: Int32(min(link.a, link.b)), b: Int32(later), type: Int32(pairLinkType), value: -1, records: 2))
            case .alreadyTogether:
                break
            case .refused:
                refusedLinks += 1
            }
        }

        // Attach-only values last, the weakest evidence: after the matcher has joined a person's
        // records, a shared landline finds the one profile that holds it.
        for type in types.indices where types[type].attachOnly { linkType(type) }

        // Profiles over the size limit are split on their weakest links.
        if let maxSize = options.maxClusterSize, forest.size.contains(where: { $0 > maxSize }) {
            let cut = split(records: records, made: made, value: { interned.string(type: $0, value: $1) }, maxSize: maxSize)
            forest = cut.forest
            linkedBy = cut.linkedBy
            refusals += cut.refusals
            refusedLinks += cut.refusals.count { $0.type == pairLinkType }
        }

        // Number profiles by their smallest record.
        var number = [Int: Int]()
        var profileOf = [Int](repeating: 0, count: records)
        for record in 0..<records {
            let root = forest.find(record)
            if let n = number[root] { profileOf[record] = n } else {
                number[root] = number.count
                profileOf[record] = number.count - 1
            }
        }
        var valueRank = [Int32](repeating: 0, count: interned.count)
        for i in 0..<interned.count { valueRank[i] = ranks[Int(interned.type[i])][Int(interned.value[i])] }
        return Result(profileOf: profileOf, profileCount: number.count, linkedBy: linkedBy, refusals: refusals,
                      refusedLinks: refusedLinks, valueRank: valueRank)
    }

    /// A link made: `b` joined `a`'s profile through an identifier value of `type` (`value`: its
    /// index among the type's values), or through a pair link (`pairLinkType`, value -1). Compact:
    /// there is one per record joined.
    struct Edge {
        var a: Int32
        var b: Int32
        var type: Int32
        var value: Int32
        /// The records the value was seen on (2 for a pair link).
        var records: Int32
    }

    /// Splits the profiles larger than `maxSize` on their weakest links, top-down: the weakest
    /// link of an oversized profile is cut, then the weakest of each part still oversized, and so
    /// on. `made` is the spanning forest in the order links were made, strongest first (identifier
    /// types in declared order, then pair links by strength), so it is a maximum spanning forest
    /// and cutting its weakest link is cutting the profile's weakest connection.
    ///
    /// Computed bottom-up in one pass: replaying the links strongest first, a link is kept when
    /// the part it makes holds at most `maxSize` records (a part of the single-linkage tree small
    /// enough is never cut, and any part containing it is larger). Profiles within the limit keep
    /// every link, and the same `linkedBy`.
    static func split(records: Int, made: [Edge], value valueOf: (Int, Int) -> String, maxSize: Int) -> (forest: Forest, linkedBy: [Int?], refusals: [Refusal]) {
        var whole = Forest(count: records, limitedTypes: [])
        var kept = Forest(count: records, limitedTypes: [])
        var linkedBy = [Int?](repeating: nil, count: records)
        var refusals: [Refusal] = []
        for edge in made {
            let (a, b, type) = (Int(edge.a), Int(edge.b), Int(edge.type))
            let sa = whole.size[whole.find(a)], sb = whole.size[whole.find(b)]
            _ = whole.union(a, b)
            if sa + sb > maxSize {
                let value = type >= 0 && edge.value >= 0 ? valueOf(type, Int(edge.value)) : ""
                refusals.append(Refusal(type: type, value: value, reason: .maxClusterSize, records: Int(edge.records),
                                        linked: [a, b], parts: [sa, sb]))
            } else {
                _ = kept.union(a, b)
                if linkedBy[b] == nil { linkedBy[b] = type }
            }
        }
        return (kept, linkedBy, refusals)
    }

    /// Union-find with sizes and, per root, the (type, value) pairs of limited identifier types
    /// it holds: a short array per profile, so the guards cost no dictionary or set per record.
    struct Forest {
        var parent: [Int]
        var size: [Int]
        var held: [[(type: Int32, value: Int32)]]
        let limited: [Int?]
        /// By root: the profile holds a value of a type that is not attach-only.
        var anchored: [Bool]
        /// By root: the (conflict attribute, value) pairs its records hold (see `ConflictValues`).
        var traits: [[(attribute: Int32, value: Int32)]]

        init(count: Int, limitedTypes: [Int?]) {
            traits = Array(repeating: [], count: count)
            anchored = Array(repeating: false, count: count)
            parent = Array(0..<count)
            size = Array(repeating: 1, count: count)
            held = Array(repeating: [], count: count)
            limited = limitedTypes
        }

        mutating func find(_ x: Int) -> Int {
            var root = x
            while parent[root] != root { root = parent[root] }
            var node = x
            while parent[node] != root { (parent[node], node) = (root, parent[node]) }
            return root
        }

        /// Records that `record`'s profile holds `value`; false if that breaks the type's limit
        /// (the value is then not recorded, and the record will not be joined through it).
        mutating func add(value: Int, type: Int, to record: Int, limit: Int) -> Bool {
            let root = find(record)
            var count = 0
            for pair in held[root] where pair.type == Int32(type) {
                if pair.value == Int32(value) { return true }
                count += 1
            }
            guard count < limit else { return false }
            held[root].append((Int32(type), Int32(value)))
            return true
        }

        enum UnionResult { case joined, alreadyTogether, refused(Refusal.Reason) }

        mutating func union(_ a: Int, _ b: Int) -> UnionResult {
            var ra = find(a), rb = find(b)
            if ra == rb { return .alreadyTogether }
            // The distinct values of each limited type, after the merge, within their limits?
            var merged = held[ra]
            for pair in held[rb] where !merged.contains(where: { $0 == pair }) { merged.append(pair) }
            for (type, limit) in limited.enumerated() {
                guard let limit else { continue }
                if merged.count(where: { $0.type == Int32(type) }) > limit { return .refused(.maxPerProfile) }
            }
            if size[ra] < size[rb] { swap(&ra, &rb) }
            parent[rb] = ra
            size[ra] += size[rb]
            if anchored[rb] { anchored[ra] = true }
            held[ra] = merged
            held[rb] = []
            if !traits[rb].isEmpty {
                for pair in traits[rb] where !traits[ra].contains(where: { $0 == pair }) { traits[ra].append(pair) }
                traits[rb] = []
            }
            return .joined
        }
    }
}
