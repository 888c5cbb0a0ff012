import Testing
@testable import TributaryMatching

@Suite("Deterministic stitching")
struct StitchingTests {
    typealias O = Stitcher.Observation
    func o(_ record: Int, _ type: Int, _ value: String) -> O { Stitcher.Observation(record: record, type: type, value: value) }

    @Test func sharedValuesJoinRecordsTransitively() {
        // 0 and 1 share an e-mail; 1 and 2 share a device; 3 shares nothing.
        let result = Stitcher.stitch(records: 4, types: [.init(name: "email"), .init(name: "device")],
                                     observations: [o(0, 0, "a@x.com"), o(1, 0, "a@x.com"), o(1, 1, "d1"), o(2, 1, "d1")])
        #expect(result.profileOf == [0, 0, 0, 1])
        #expect(result.profileCount == 2)
        #expect(result.linkedBy == [nil, 0, 1, nil])
        #expect(result.refusals.isEmpty)
    }

    @Test func mergeProtectionKeepsTwoContactIdsApart() {
        // Records 0 and 1 are two CRM contacts (user ids u1, u2) sharing a household e-mail;
        // with user_id limited to 1 per profile the e-mail must not merge them. Record 2 (u1
        // again) still joins record 0.
        let types: [Stitcher.IdentifierType] = [.init(name: "user_id", maxPerProfile: 1), .init(name: "email")]
        let result = Stitcher.stitch(records: 3, types: types, observations: [
            o(0, 0, "u1"), o(1, 0, "u2"), o(2, 0, "u1"),
            o(0, 1, "home@x.com"), o(1, 1, "home@x.com"),
        ])
        #expect(result.profileOf == [0, 1, 0])
        #expect(result.refusals == [.init(type: 1, value: "home@x.com", reason: .maxPerProfile, records: 2)])
    }

    @Test func attachOnlyValuesAttachButNeverJoinTwoAnchoredProfiles() {
        // A household landline (phone, attach-only): Ann (record 0, e-mail a) and Bob (record 1,
        // e-mail b) both list it; till sales 2 and 3 carry only that landline. The phone must not
        // merge Ann and Bob, nor give the sales to either: it joins the two sales to each other.
        // Cat's mobile (record 4, e-mail c) is on sale 5 alone: the sale joins Cat.
        let types: [Stitcher.IdentifierType] = [.init(name: "email"), .init(name: "phone", attachOnly: true)]
        let result = Stitcher.stitch(records: 7, types: types, observations: [
            o(0, 0, "a"), o(1, 0, "b"), o(4, 0, "c"),
            o(0, 1, "+1415"), o(1, 1, "+1415"), o(2, 1, "+1415"), o(3, 1, "+1415"),
            o(4, 1, "+1212"), o(5, 1, "+1212"),
            o(6, 1, "+1646"),
        ])
        #expect(result.profileOf == [0, 1, 2, 2, 3, 3, 4])
        #expect(result.linkedBy == [nil, nil, nil, 1, nil, 1, nil])
        #expect(result.refusals == [.init(type: 1, value: "+1415", reason: .ambiguous, records: 4)])

        // Attach-only values come after the matcher's links: two contacts of one person (e-mails
        // a and a2) that both list landline L are two anchored profiles until the matcher joins
        // them; then the sale carrying L (record 2) finds the one profile holding it.
        let joined = Stitcher.stitch(records: 3, types: types, observations: [
            o(0, 0, "a"), o(1, 0, "a2"), o(0, 1, "L"), o(1, 1, "L"), o(2, 1, "L"),
        ], links: [.init(a: 0, b: 1, strength: 0.99)])
        #expect(joined.profileOf == [0, 0, 0])
        #expect(joined.refusals.isEmpty)

        // Without attach_only the landline merges the household into one profile.
        let plain = Stitcher.stitch(records: 7, types: [.init(name: "email"), .init(name: "phone")], observations: [
            o(0, 0, "a"), o(1, 0, "b"), o(0, 1, "+1415"), o(1, 1, "+1415"), o(2, 1, "+1415"),
        ])
        #expect(plain.profileOf[0] == plain.profileOf[1])
    }

    @Test func aValueSharedByTooManyRecordsLinksNoOne() {
        let observations = (0..<5).map { o($0, 0, "0000000000") } + [o(0, 1, "e0"), o(1, 1, "e0")]
        let result = Stitcher.stitch(records: 5, types: [.init(name: "phone"), .init(name: "email")],
                                     observations: observations, options: .init(maxRecordsPerValue: 4))
        #expect(result.profileOf == [0, 0, 1, 2, 3])
        #expect(result.refusals.map(\.reason) == [.fanOut])
    }

    @Test func clusterSizeLimitRefusesTheLinkThatWouldExceedIt() {
        let result = Stitcher.stitch(records: 4, types: [.init(name: "email")],
                                     observations: [o(0, 0, "a"), o(1, 0, "a"), o(2, 0, "b"), o(3, 0, "b"), o(1, 0, "b")],
                                     options: .init(maxClusterSize: 3))
        // "a" joins 0,1; "b" joins 1,2,3 one by one: 1+2 -> size 3, then 3 would make 4: refused.
        #expect(result.profileOf.filter { $0 == result.profileOf[0] }.count == 3)
        #expect(result.refusals.map(\.reason) == [.maxClusterSize])
    }

    /// Seeded orders, so that a failure is the same on every run (the seed is in the message).
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func resultDoesNotDependOnObservationOrder(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let base = (0..<200).flatMap { i in [o(i, 0, "e\(i / 3)"), o(i, 1, "d\(i / 5)")] }
        let first = Stitcher.stitch(records: 200, types: [.init(name: "email", maxPerProfile: 2), .init(name: "device")], observations: base)
        let shuffled = Stitcher.stitch(records: 200, types: [.init(name: "email", maxPerProfile: 2), .init(name: "device")],
                                       observations: base.shuffled(using: &random))
        #expect(first.profileOf == shuffled.profileOf, "seed \(seed)")
        #expect(first.refusals == shuffled.refusals, "seed \(seed)")
    }
}

@Suite("Pair links")
struct PairLinkTests {
    @Test func pairLinksJoinUnderTheSameGuards() {
        // Records 0 and 1 have different user ids (limit 1); a probabilistic link between them is
        // refused, while the link 1–2 (record 2 has no user id) is made.
        let types: [Stitcher.IdentifierType] = [.init(name: "user_id", maxPerProfile: 1)]
        let observations = [Stitcher.Observation(record: 0, type: 0, value: "u1"), Stitcher.Observation(record: 1, type: 0, value: "u2")]
        let result = Stitcher.stitch(records: 3, types: types, observations: observations,
                                     links: [.init(a: 0, b: 1, strength: 0.99), .init(a: 1, b: 2, strength: 0.97)])
        #expect(result.profileOf == [0, 1, 1])
        #expect(result.refusedLinks == 1)
        #expect(result.linkedBy == [nil, nil, Stitcher.pairLinkType])
    }

    @Test func anOversizedClusterIsSplitOnItsWeakestLinks() {
        // A chain 0–1 (0.99), 2–3 (0.99), 1–2 (0.90), 3–4 (0.80): one profile of 5 over a limit
        // of 3. Cutting the weakest link (3–4) leaves 0-1-2-3, still 4, so the next weakest (1–2)
        // is cut too: {0,1} {2,3} {4}. (Refusing whichever link first overflows would have kept the
        // weaker 3–4 and cut 1–2 alone: {0,1} {2,3,4}.)
        let links: [Stitcher.PairLink] = [.init(a: 0, b: 1, strength: 0.99), .init(a: 2, b: 3, strength: 0.99),
                                          .init(a: 1, b: 2, strength: 0.90), .init(a: 3, b: 4, strength: 0.80)]
        let result = Stitcher.stitch(records: 5, types: [], observations: [], links: links, options: .init(maxClusterSize: 3))
        #expect(result.profileOf == [0, 0, 1, 1, 2])
        #expect(result.linkedBy == [nil, Stitcher.pairLinkType, nil, Stitcher.pairLinkType, nil])
        #expect(result.refusals.map(\.linked) == [[1, 2], [3, 4]])
        #expect(result.refusals.map(\.parts) == [[2, 2], [4, 1]])
        #expect(result.refusals.allSatisfy { $0.reason == .maxClusterSize && $0.type == Stitcher.pairLinkType })
        #expect(result.refusedLinks == 2)
        // Without the limit, one profile.
        #expect(Stitcher.stitch(records: 5, types: [], observations: [], links: links).profileCount == 1)
    }

    @Test func aWeakerIdentifierTypeIsCutBeforeAStrongerOne() {
        // user_id (strongest) joins 0–1 and 2–3; the weaker email joins 1–2; a probabilistic link
        // (weaker than any identifier) joins 3–4. Limit 4: the pair link goes first (5 → 4 + 1)
        // and no more is needed. Limit 2: the email link is cut as well.
        let types: [Stitcher.IdentifierType] = [.init(name: "user_id"), .init(name: "email")]
        let observations = [Stitcher.Observation(record: 0, type: 0, value: "u1"), Stitcher.Observation(record: 1, type: 0, value: "u1"),
                            Stitcher.Observation(record: 2, type: 0, value: "u2"), Stitcher.Observation(record: 3, type: 0, value: "u2"),
                            Stitcher.Observation(record: 1, type: 1, value: "e@x"), Stitcher.Observation(record: 2, type: 1, value: "e@x")]
        let links = [Stitcher.PairLink(a: 3, b: 4, strength: 0.999)]
        let four = Stitcher.stitch(records: 5, types: types, observations: observations, links: links, options: .init(maxClusterSize: 4))
        #expect(four.profileOf == [0, 0, 0, 0, 1])
        #expect(four.refusals.map(\.type) == [Stitcher.pairLinkType])
        let two = Stitcher.stitch(records: 5, types: types, observations: observations, links: links, options: .init(maxClusterSize: 2))
        #expect(two.profileOf == [0, 0, 1, 1, 2])
        #expect(two.refusals.map(\.type) == [1, Stitcher.pairLinkType])
        #expect(two.refusals.first?.value == "e@x")
        #expect(two.refusals.first?.parts == [2, 2])
        #expect(two.linkedBy == [nil, 0, nil, 0, nil])
    }
}

@Suite("Interned identifier values")
struct InternedValuesTests {
    @Test func valuesAreInternedByTheirBytesAndRankedInByteOrder() {
        var interned = Stitcher.Interned(types: 2)
        func intern(_ type: Int, _ s: String) -> Int { Array(s.utf8).withUnsafeBufferPointer { interned.intern(type: type, $0) } }
        // Enough values to grow the table several times; the same bytes give the same id.
        let values = (0..<5000).map { "user\($0)@example.com" }
        let ids = values.map { intern(0, $0) }
        #expect(ids == Array(0..<5000))
        #expect(values.map { intern(0, $0) } == ids)
        #expect(intern(1, values[7]) == 0)  // types are separate
        #expect(interned.string(type: 0, value: 4321) == values[4321])
        #expect(Array(interned.bytes(type: 0, value: 12)) == Array(values[12].utf8))
        // "é" as one scalar and as e + combining accent are different bytes: different values.
        #expect(intern(1, "caf\u{E9}") != intern(1, "cafe\u{301}"))

        // Stitching interned observations equals stitching the same strings.
        let observations = (0..<300).map { Stitcher.Observation(record: $0, type: $0 % 2, value: "v\($0 % 37)") }
        var built = Stitcher.Interned(types: 2)
        for o in observations {
            let id = Array(o.value.utf8).withUnsafeBufferPointer { built.intern(type: o.type, $0) }
            built.observe(record: o.record, type: o.type, value: id)
        }
        let types: [Stitcher.IdentifierType] = [.init(name: "a", maxPerProfile: 2), .init(name: "b")]
        let fromStrings = Stitcher.stitch(records: 300, types: types, observations: observations)
        let fromBytes = Stitcher.stitch(records: 300, types: types, interned: built)
        #expect(fromStrings.profileOf == fromBytes.profileOf)
        #expect(fromStrings.refusals == fromBytes.refusals)
        #expect(fromStrings.valueRank == fromBytes.valueRank)
        // Ranks follow byte order: "v10" < "v2".
        let r10 = fromBytes.valueRank[observations.firstIndex { $0.value == "v10" && $0.type == 0 }!]
        let r2 = fromBytes.valueRank[observations.firstIndex { $0.value == "v2" && $0.type == 0 }!]
        #expect(r10 < r2)
    }
}

@Suite("Conflicts guard")
struct ConflictGuardTests {
    func o(_ record: Int, _ type: Int, _ value: String) -> Stitcher.Observation { .init(record: record, type: type, value: value) }

    /// First names per record (attribute 0 of the guard).
    func firstNames(_ names: [Int: String]) -> Stitcher.ConflictValues {
        var values = Stitcher.ConflictValues(attributes: 1)
        for (record, name) in names.sorted(by: { $0.key < $1.key }) {
            var text = name
            text.withUTF8 { values.add(attribute: 0, record: record, $0) }
        }
        return values
    }

    @Test func aHouseholdLandlineGoesToTheNamedMember() {
        // Ann (record 0, e-mail a) lists landline L; Bob (record 1, e-mail b) does not. Sale 2 is
        // under BOB with L, sale 3 under ANN with L, sale 4 has L and no name. Without the guard
        // every sale goes to Ann (the one profile holding L); with `conflicts: [first_name]` Bob's
        // sale does not, and is refused as a conflict.
        let types: [Stitcher.IdentifierType] = [.init(name: "email"), .init(name: "phone", attachOnly: true, conflicts: [0])]
        let observations = [o(0, 0, "a"), o(1, 0, "b"), o(0, 1, "L"), o(2, 1, "L"), o(3, 1, "L"), o(4, 1, "L")]
        let names = firstNames([0: "ann", 1: "bob", 2: "bob", 3: "ann"])
        var interned = Stitcher.Interned(types: 2)
        for ob in observations {
            var text = ob.value
            let id = text.withUTF8 { interned.intern(type: ob.type, $0) }
            interned.observe(record: ob.record, type: ob.type, value: id)
        }
        let result = Stitcher.stitch(records: 5, types: types, interned: interned, conflictValues: names)
        #expect(result.profileOf[3] == result.profileOf[0])
        #expect(result.profileOf[4] == result.profileOf[0])
        #expect(result.profileOf[2] != result.profileOf[0])
        #expect(result.refusals.map(\.reason) == [.conflict])
        // Without the guard, Bob's sale joins Ann.
        let plain = Stitcher.stitch(records: 5, types: [.init(name: "email"), .init(name: "phone", attachOnly: true)], interned: interned)
        #expect(plain.profileOf[2] == plain.profileOf[0])
    }

    @Test func aSharedLandlineHeldByBothMembersGoesToTheOneWhoseNameFits() {
        // Ann (0) and Bob (1) both list L: without the guard L is ambiguous and no sale joins
        // either; with it, sale 2 (BOB) joins Bob and sale 3 (ANNE, a typo: no conflict) joins Ann.
        let types: [Stitcher.IdentifierType] = [.init(name: "email"), .init(name: "phone", attachOnly: true, conflicts: [0])]
        var interned = Stitcher.Interned(types: 2)
        for ob in [o(0, 0, "a"), o(1, 0, "b"), o(0, 1, "L"), o(1, 1, "L"), o(2, 1, "L"), o(3, 1, "L")] {
            var text = ob.value
            let id = text.withUTF8 { interned.intern(type: ob.type, $0) }
            interned.observe(record: ob.record, type: ob.type, value: id)
        }
        let result = Stitcher.stitch(records: 4, types: types, interned: interned,
                                     conflictValues: firstNames([0: "anne", 1: "bob", 2: "bob", 3: "ann"]))
        #expect(result.profileOf == [0, 1, 1, 0])
        #expect(result.refusals.isEmpty)
    }

    @Test func twinsSharingAnIdentifierStayApart() {
        // A family e-mail on the records of twins Ann (0, 2) and Amy (1): with `conflicts:
        // [first_name]` the e-mail joins Ann's records and keeps Amy apart; record 3 (no name)
        // joins the first group.
        let types: [Stitcher.IdentifierType] = [.init(name: "email", conflicts: [0])]
        var interned = Stitcher.Interned(types: 1)
        for r in 0..<4 {
            var text = "family@x.com"
            let id = text.withUTF8 { interned.intern(type: 0, $0) }
            interned.observe(record: r, type: 0, value: id)
        }
        let result = Stitcher.stitch(records: 4, types: types, interned: interned,
                                     conflictValues: firstNames([0: "ann", 1: "amy", 2: "ann"]))
        #expect(result.profileOf == [0, 1, 0, 0])
        #expect(result.refusals.map(\.reason) == [.conflict])
    }
}
