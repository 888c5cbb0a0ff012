import Testing
@testable import TributaryMatching

/// Records with several values of an attribute (a contact's phone and mobile; a cluster of
/// records): blocking puts a record in the block of each value, comparisons take the best pair.
@Suite("Multi-valued attributes")
struct MultiValuedTests {
    typealias FS = FellegiSunter

    @Test func valuesAreKeptOnceInTheOrderAdded() {
        var builder = FS.Records.Builder(count: 2, attributes: 2)
        builder.add(0, 1, Array("b".utf8))
        builder.add(0, 0, Array("x".utf8))
        builder.add(0, 1, Array("a".utf8))
        builder.add(0, 1, Array("b".utf8))   // a duplicate: kept once
        builder.add(1, 0, Array("y".utf8))
        let records = builder.build()
        #expect(records.values(0, 0) == [Array("x".utf8)])
        #expect(records.values(0, 1) == [Array("b".utf8), Array("a".utf8)])
        #expect(records.values(1, 1).isEmpty)
        #expect(records.value(0, 1) == Array("b".utf8))
        // At most maxValues per record and attribute.
        var many = FS.Records.Builder(count: 1, attributes: 1)
        for i in 0..<(FS.Records.maxValues + 3) { many.add(0, 0, Array("v\(i)".utf8)) }
        #expect(many.build().values(0, 0).count == FS.Records.maxValues)
    }

    @Test func aRecordIsBlockedUnderEachOfItsValues() {
        // Phones: record 0 has home H and mobile M; record 1 has H; record 2 has M; record 3 has
        // H and M too. Pairs under [phone]: 0-1, 0-3, 1-3 (block H), 0-2, 2-3 (block M); 0-3 share
        // both blocks but is made once.
        let records = FS.Records(stringLists: [[["H", "M"], ["H"], ["M"], ["M", "H"]]])
        let pairs = FS.candidatePairs(records: records, blocking: [.init([0])])
        #expect(Set(pairs.map { [$0.a, $0.b] }) == [[0, 1], [0, 3], [1, 3], [0, 2], [2, 3]])
        #expect(pairs.count == 5)
        // A second rule on the same attribute finds no new pair: every one was made by the first.
        #expect(FS.candidatePairs(records: records, blocking: [.init([0]), .init([0])]).count == 5)
        // Two attributes: each combination of values is a key. (last, phone): 0 = (s, H), (s, M);
        // 1 = (s, H); 2 = (j, M): only 0-1 share a key.
        let two = FS.Records(stringLists: [[["s"], ["s"], ["j"]], [["H", "M"], ["H"], ["M"]]])
        #expect(FS.candidatePairs(records: two, blocking: [.init([0, 1])]).map { [$0.a, $0.b] } == [[0, 1]])
        // The training tallies count a pair for a rule when the two share any of its blocks.
        let compared = FS.compare(records: records, comparisons: [.init(name: "phone", attribute: 0, levels: [.exact])],
                                  blocking: [.init([0])])
        #expect(compared.count == 5)
        #expect(FS.Tally.build(compared).rules[0].pairs == 5)
    }

    @Test func theBestPairOfValuesSetsTheLevel() {
        let comparison = FS.Comparison(name: "phone", attribute: 0, levels: [.exact, .levenshtein(1)])
        // {H, M} against {M}: exact (level 1) though H differs.
        let records = FS.Records(stringLists: [[["5550100", "5550199"], ["5550199"], ["5550198"], [], ["1234567", "7654321"]]])
        #expect(FS.levels(records: records, comparisons: [comparison], a: 0, b: 1) == [1])
        // {H, M} against a value one edit from M: level 2.
        #expect(FS.levels(records: records, comparisons: [comparison], a: 0, b: 2) == [2])
        // Missing on one side: the null level.
        #expect(FS.levels(records: records, comparisons: [comparison], a: 0, b: 3) == [0])
        // No pair agrees: else (3).
        #expect(FS.levels(records: records, comparisons: [comparison], a: 0, b: 4) == [3])
    }

    @Test func swappedNamesAcrossSeveralValues() {
        // first = attribute 0, last = attribute 1. Record 0: first {ann, anna}, last {lee}; record 1:
        // first {lee}, last {smith, anna}: lee = lee crossed, anna = anna crossed → swapped (level 2).
        let first = FS.Comparison(name: "first", attribute: 0, levels: [.exact, .swapped(1), .jaroWinkler(0.9)], otherAttribute: 1)
        let records = FS.Records(stringLists: [[["ann", "anna"], ["lee"], ["bob"]], [["lee"], ["smith", "anna"], ["lee", "x"]]])
        #expect(FS.levels(records: records, comparisons: [first], a: 0, b: 1) == [2])
        // Record 2: first {bob}, last {lee, x}: lee crosses, but no last of 0 is like bob → else.
        #expect(FS.levels(records: records, comparisons: [first], a: 0, b: 2) == [4])
    }

    @Test func aSecondPhoneRaisesRecallAgainstTheTruth() {
        // 400 people, each as a CRM row (name, home phone, mobile) and a till sale (name and one
        // of the two phones at random). Truth: row i and sale i are one person. With the CRM's two
        // phones as one multi-valued attribute every sale is found; with the mobile alone the
        // sales by home phone are lost.
        var rng = SplitMix64(seed: 11)
        let n = 400
        var first: [[String]] = [], last: [[String]] = [], both: [[String]] = [], mobileOnly: [[String]] = []
        let firstNames = ["ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal"]
        for i in 0..<n {
            let home = "+1415\(1_000_000 + i)", mobile = "+1628\(2_000_000 + i)"
            let f = firstNames[rng.next(below: firstNames.count)], l = "name\(rng.next(below: 60))"
            first.append([f]); last.append([l])
            both.append([mobile, home]); mobileOnly.append([mobile])
            let sale = rng.next(below: 2) == 0 ? home : mobile
            first.append([f]); last.append([l]); both.append([sale]); mobileOnly.append([sale])
        }
        let comparisons: [FS.Comparison] = [
            .init(name: "first", attribute: 0, levels: [.exact]),
            .init(name: "last", attribute: 1, levels: [.exact]),
            .init(name: "phone", attribute: 2, levels: [.exact]),
        ]
        func found(_ phones: [[String]]) -> Int {
            let records = FS.Records(stringLists: [first, last, phones])
            let blocking: [FS.BlockingRule] = [.init([2]), .init([0, 1])]
            let model = FS.train(records: records, comparisons: comparisons, blocking: blocking, seed: 3,
                                 options: .init(uSamplePairs: 50_000))
            let links = FS.score(records: records, model: model, blocking: blocking, threshold: 0.9)
            return links.count { $0.a / 2 == $0.b / 2 }
        }
        let multi = found(both), single = found(mobileOnly)
        #expect(multi == n)
        #expect(single < n * 3 / 4)
    }
}
