import Foundation
import Testing
@testable import TributaryMatching

@Suite("String similarity")
struct StringSimilarityTests {
    func close(_ x: Double, _ y: Double, _ tolerance: Double = 1e-4) -> Bool { abs(x - y) < tolerance }

    @Test func jaroWinklerHandValues() {
        // MARTHA/MARHTA: 6 matches, 1 transposition: jaro 0.9444, prefix 3 → 0.9611.
        #expect(close(StringSimilarity.jaroWinkler("MARTHA", "MARHTA"), 0.9611))
        // DWAYNE/DUANE: 4 matches, none transposed: jaro 0.8222, prefix 1 → 0.84.
        #expect(close(StringSimilarity.jaroWinkler("DWAYNE", "DUANE"), 0.84))
        // DIXON/DICKSONX: 4 matches: jaro 0.7667, prefix 2 → 0.8133.
        #expect(close(StringSimilarity.jaroWinkler("DIXON", "DICKSONX"), 0.8133))
        #expect(StringSimilarity.jaroWinkler("", "") == 1)
        #expect(StringSimilarity.jaroWinkler("ABC", "") == 0)
        #expect(StringSimilarity.jaroWinkler("ABC", "XYZ") == 0)
        #expect(StringSimilarity.jaroWinkler("SAME", "SAME") == 1)
        // Long inputs (heap scratch) agree with themselves.
        let long = String(repeating: "abcdefghij", count: 30)
        #expect(StringSimilarity.jaroWinkler(long, long) == 1)
    }

    @Test func levenshteinHandValues() {
        #expect(StringSimilarity.levenshtein("kitten", "sitting") == 3)
        #expect(StringSimilarity.levenshtein("flaw", "lawn") == 2)
        #expect(StringSimilarity.levenshtein("", "abc") == 3)
        #expect(StringSimilarity.levenshtein("abc", "abc") == 0)
        // A swap costs 2 edits, or 1 with transpositions.
        #expect(StringSimilarity.levenshtein("ca", "ac") == 2)
        #expect(StringSimilarity.levenshtein("ca", "ac", transpositions: true) == 1)
        #expect(StringSimilarity.levenshtein("1980-03-12", "1980-30-12", transpositions: true) == 1)
        // Early exit: anything above the cap.
        #expect(StringSimilarity.levenshtein("kitten", "sitting", maxDistance: 1) > 1)
        #expect(StringSimilarity.levenshtein("kitten", "sitting", maxDistance: 3) == 3)
        let long = String(repeating: "abcdefghij", count: 30)
        #expect(StringSimilarity.levenshtein(long, long + "x") == 1)
    }
}

@Suite("Fellegi-Sunter matching")
struct FellegiSunterTests {
    typealias FS = FellegiSunter

    @Test func oversizedBlocksAreSkipped() {
        // Surname block "smith" has 4 records, "okafor" 2; with a limit of 3 only Okafor's pair
        // is a candidate under the surname rule, and the postcode rule still pairs records 0 and 4.
        let records = FS.Records(strings: [
            ["smith", "smith", "smith", "smith", "okafor", "okafor"],
            ["10001", "20002", "30003", "40004", "10001", "50005"],
        ])
        let capped = [FS.BlockingRule([0], maxBlockSize: 3), FS.BlockingRule([1], maxBlockSize: 3)]
        #expect(FS.candidatePairs(records: records, blocking: capped) == [.init(a: 4, b: 5), .init(a: 0, b: 4)])
        #expect(FS.countPairs(records: records, blocking: capped) == [1, 1])
        #expect(FS.blockSizes(records: records, blocking: capped)[0].max() == 2)
        // Without the limit the Smiths give their 6 pairs.
        #expect(FS.countPairs(records: records, blocking: [FS.BlockingRule([0])]) == [7])
    }

    @Test func pairCountsEqualTheGeneratedPairs() {
        // Random records over small alphabets (many collisions, some missing values): the counts
        // from block sizes equal what candidatePairs generates, per rule and over all rules.
        var rng = SplitMix64(seed: 7)
        let columns: [[String?]] = (0..<3).map { _ in
            (0..<400).map { _ in rng.next(below: 10) == 0 ? nil : String(rng.next(below: 12)) }
        }
        let records = FS.Records(strings: columns)
        let rules = [FS.BlockingRule([0]), FS.BlockingRule([1, 2]), FS.BlockingRule([2])]
        let perRule = FS.countPairs(records: records, blocking: rules)
        for (r, rule) in rules.enumerated() {
            #expect(perRule[r] == FS.candidatePairs(records: records, blocking: [rule]).count)
        }
        #expect(FS.countCandidatePairs(records: records, blocking: rules) == FS.candidatePairs(records: records, blocking: rules).count)
        #expect(FS.countCandidatePairs(records: records, blocking: rules, limit: 10) == nil)
        #expect(FS.blockSizes(records: records, blocking: rules).map { $0.reduce(0, +) }
                == rules.map { rule in (0..<400).count { r in rule.attributes.allSatisfy { columns[$0][r] != nil } } })
    }

    /// `sorted(a, b)` blocks on the two values as an unordered pair: a record with the names
    /// swapped shares the block, one with another name does not; the pairs are exactly those a
    /// brute-force check over every pair of records finds.
    @Test func unorderedPairBlocksSwappedNamesTogether() {
        let first: [String?] = ["Ann", "Lee", "Ann", "Lee", "Bo", nil, "Ann", "Lee"]
        let last: [String?] = ["Lee", "Ann", "Lee", "Lee", "Lee", "Ann", "Le", "Ann"]
        let records = FS.Records(strings: [first, last])
        let rule = FS.BlockingRule([], unordered: [[0, 1]])
        let pairs = Set(FS.candidatePairs(records: records, blocking: [rule]).map { [Int($0.a), Int($0.b)] })
        var expected = Set<[Int]>()
        for a in 0..<first.count {
            for b in (a + 1)..<first.count {
                guard let fa = first[a], let la = last[a], let fb = first[b], let lb = last[b] else { continue }
                if (fa == fb && la == lb) || (fa == lb && la == fb) { expected.insert([a, b]) }
            }
        }
        #expect(pairs == expected)
        #expect(pairs.contains([0, 1]))          // Ann Lee / Lee Ann: swapped
        #expect(!pairs.contains([0, 6]))         // Ann Lee / Ann Le: another name
        #expect(FS.countPairs(records: records, blocking: [rule]) == [expected.count])
        // With an equal attribute too: both must hold.
        let dob: [String?] = ["1", "1", "2", "1", "1", "1", "1", "1"]
        let withDOB = FS.Records(strings: [first, last, dob])
        let both = Set(FS.candidatePairs(records: withDOB, blocking: [FS.BlockingRule([2], unordered: [[0, 1]])]).map { [Int($0.a), Int($0.b)] })
        #expect(both == expected.filter { dob[$0[0]] == dob[$0[1]] })
    }

    @Test func comparisonLevels() {
        let comparison = FS.Comparison(name: "name", attribute: 0, levels: [.exact, .jaroWinkler(0.9), .levenshtein(2)])
        func level(_ a: String?, _ b: String?) -> Int {
            let records = FS.Records(strings: [[a, b]])
            var result = -1
            FS.forEachVector(records: records, comparisons: [comparison], pairs: [FS.Pair(a: 0, b: 1)]) { _, l in result = l[0] }
            return result
        }
        #expect(level(nil, "x") == 0)
        #expect(level("MARTHA", "MARTHA") == 1)
        #expect(level("MARTHA", "MARHTA") == 2)
        #expect(level("ab", "ba") == 3)        // JW 0, but two edits
        #expect(level("MARTHA", "JOHN") == 4)  // else
        #expect(comparison.levelCount == 5)
    }

    @Test func blockingCountsAndDeduplication() {
        // Attributes: last name, postcode.
        let records = FS.Records(strings: [
            ["smith", "smith", "smith", "jones", "jones", nil, "brown"],
            ["1000", "1000", "2000", "1000", "3000", "1000", "1000"],
        ])
        // last name: smith ×3 → 3 pairs, jones ×2 → 1; nil is not blocked. postcode: 1000 ×5 → 10; 2000, 3000 → 0.
        #expect(FS.countPairs(records: records, blocking: [.init([0]), .init([1])]) == [4, 10])
        #expect(FS.countPairs(records: records, blocking: [.init([0, 1])]) == [1])
        // Union: pairs {01,02,12,34} ∪ the 10 postcode pairs among {0,1,3,5,6}; 01 is in both → 13.
        let pairs = FS.candidatePairs(records: records, blocking: [.init([0]), .init([1])])
        #expect(pairs.count == 13)
        #expect(Set(pairs.map { [$0.a, $0.b] }).count == 13)
        #expect(pairs.allSatisfy { $0.a < $0.b })
    }

    @Test func accuracyOnSyntheticPeople() {
        let data = Synthetic(persons: 2000, seed: 42)
        let records = FS.Records(strings: [data.first, data.last, data.birth, data.postcode, data.birthYear])
        let comparisons: [FS.Comparison] = [
            .init(name: "first_name", attribute: 0, levels: [.exact, .jaroWinkler(0.92), .jaroWinkler(0.8)]),
            .init(name: "last_name", attribute: 1, levels: [.exact, .jaroWinkler(0.92), .jaroWinkler(0.8)]),
            .init(name: "birth_date", attribute: 2, levels: [.exact, .damerauLevenshtein(1), .damerauLevenshtein(2)]),
            .init(name: "postcode", attribute: 3, levels: [.exact, .levenshtein(1)]),
        ]
        let blocking: [FS.BlockingRule] = [.init([1]), .init([3, 4])]
        let model = FS.train(records: records, comparisons: comparisons, blocking: blocking, seed: 7,
                             options: .init(uSamplePairs: 200_000))
        #expect(model.converged)
        // Deterministic under the seed.
        #expect(model == FS.train(records: records, comparisons: comparisons, blocking: blocking, seed: 7,
                                  options: .init(uSamplePairs: 200_000)))
        // Round-trips as JSON.
        let json = try! JSONEncoder().encode(model)
        #expect(try! JSONDecoder().decode(FS.Model.self, from: json) == model)

        let links = FS.score(records: records, model: model, blocking: blocking, threshold: 0.5)
        var truePairs = 0
        for members in Dictionary(grouping: data.person.indices, by: { data.person[$0] }).values {
            truePairs += members.count * (members.count - 1) / 2
        }
        let correct = links.filter { data.person[$0.a] == data.person[$0.b] }.count
        let precision = Double(correct) / Double(links.count)
        let recall = Double(correct) / Double(truePairs)
        print("FS accuracy: records \(data.person.count), true pairs \(truePairs), links \(links.count), "
              + "precision \(precision), recall \(recall), prior \(model.prior), iterations \(model.iterations)")
        #expect(precision >= 0.98)
        #expect(recall >= 0.90)
    }
}

/// People with 1–3 records each, copied with known corruptions: typos, day/month swapped,
/// missing values, a moved postcode. `person[r]` is the truth.
struct Synthetic {
    var first: [String?] = [], last: [String?] = [], birth: [String?] = [], postcode: [String?] = [], birthYear: [String?] = []
    var person: [Int] = []

    static let firstNames = ["james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda", "william",
        "elizabeth", "david", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah", "charles", "karen",
        "christopher", "nancy", "daniel", "lisa", "matthew", "betty", "anthony", "margaret", "mark", "sandra", "donald",
        "ashley", "steven", "kimberly", "paul", "emily", "andrew", "donna", "joshua", "michelle", "kenneth", "dorothy",
        "kevin", "carol", "brian", "amanda", "george", "melissa", "edward", "deborah", "ronald", "stephanie", "timothy",
        "rebecca", "jason", "sharon", "jeffrey", "laura", "ryan", "cynthia", "jacob", "kathleen", "gary", "amy"]
    static let syllables = ["ber", "son", "man", "ley", "ton", "ford", "ward", "kin", "mar", "dal", "wick", "ham",
        "rich", "cal", "bro", "fen", "gar", "hol", "lan", "mor", "nor", "pet", "ros", "stan", "tay", "vel", "win", "ash"]

    /// `swapRate`: the share of copies whose first and last names are swapped (no draws at 0, so
    /// the data for a seed is the same as before the option existed).
    init(persons: Int, seed: UInt64, swapRate: Double = 0) {
        var rng = SplitMix64(seed: seed)
        func chance(_ p: Double) -> Bool { Double(rng.next() >> 11) / Double(1 << 53) < p }
        func pick<T>(_ xs: [T]) -> T { xs[rng.next(below: xs.count)] }
        func typo(_ s: String) -> String {
            var c = Array(s.utf8)
            let i = rng.next(below: c.count)
            let letter = UInt8(ascii: "a") + UInt8(rng.next(below: 26))
            switch rng.next(below: 4) {
            case 0: c[i] = letter
            case 1: if c.count > 2 { c.remove(at: i) }
            case 2: c.insert(letter, at: i)
            default: if i + 1 < c.count { c.swapAt(i, i + 1) }
            }
            return String(decoding: c, as: UTF8.self)
        }
        func digitTypo(_ s: String) -> String {
            var c = Array(s.utf8)
            let digits = c.indices.filter { c[$0] != UInt8(ascii: "-") }
            c[pick(digits)] = UInt8(ascii: "0") + UInt8(rng.next(below: 10))
            return String(decoding: c, as: UTF8.self)
        }
        for p in 0..<persons {
            let firstName = Self.firstNames[rng.next(below: Self.firstNames.count)]
            let lastName = (0..<(2 + rng.next(below: 2))).map { _ in Self.syllables[rng.next(below: Self.syllables.count)] }.joined()
            let (year, month, day) = (1940 + rng.next(below: 66), 1 + rng.next(below: 12), 1 + rng.next(below: 28))
            let code = String(10000 + rng.next(below: 2000))
            let copies = 1 + rng.next(below: 3)
            for copy in 0..<copies {
                var f: String? = firstName, l: String? = lastName, pc: String? = code
                var (y, mo, d) = (year, month, day)
                var b: String?
                if copy > 0 {
                    if chance(0.15) { f = typo(firstName) }
                    if chance(0.05) { f = nil }
                    if chance(0.10) { l = typo(lastName) }
                    if chance(0.03) { l = nil }
                    if swapRate > 0 && chance(swapRate) { (f, l) = (l, f) }
                    if chance(0.05) && d <= 12 { (mo, d) = (d, mo) }
                    if chance(0.10) { pc = String(10000 + rng.next(below: 2000)) } // moved
                    else if chance(0.05) { pc = digitTypo(code) }
                    if chance(0.05) { pc = nil }
                    b = String(format: "%04d-%02d-%02d", y, mo, d)
                    if chance(0.05) { b = digitTypo(b!) }
                    if chance(0.05) { b = nil }
                } else {
                    b = String(format: "%04d-%02d-%02d", y, mo, d)
                }
                y = Int(b.map { String($0.prefix(4)) } ?? "") ?? -1
                first.append(f); last.append(l); birth.append(b); postcode.append(pc)
                birthYear.append(b == nil ? nil : String(y))
                person.append(p)
            }
        }
    }
}

@Suite("Term-frequency adjustment")
struct TermFrequencyTests {
    @Test func aRareSharedValueWeighsMoreThanACommonOne() {
        // Surnames: smith ×4, okonkwo ×2. Exact-match m = 0.9; without adjustment both exact pairs
        // weigh log2(0.9 / 0.1); with it, smith: log2(0.9 / (4/6)), okonkwo: log2(0.9 / (2/6)).
        let records = FellegiSunter.Records(strings: [["smith", "smith", "smith", "smith", "okonkwo", "okonkwo"]])
        let comparison = FellegiSunter.Comparison(name: "surname", attribute: 0, levels: [.exact])
        let model = FellegiSunter.Model(comparisons: [comparison], m: [[0, 0.9, 0.1]], u: [[0, 0.1, 0.9]],
                                        prior: 0.5, iterations: 0, converged: true)
        let pairs = [FellegiSunter.Pair(a: 0, b: 1), FellegiSunter.Pair(a: 4, b: 5)]
        let plain = FellegiSunter.score(records: records, model: model, pairs: pairs, threshold: 0)
        let adjusted = FellegiSunter.score(records: records, model: model, pairs: pairs, threshold: 0, termFrequency: [0])
        #expect(abs(plain[0].weight - log2(9)) < 1e-9 && abs(plain[1].weight - log2(9)) < 1e-9)
        #expect(abs(adjusted[0].weight - log2(0.9 / (4.0 / 6))) < 1e-9)
        #expect(abs(adjusted[1].weight - log2(0.9 / (2.0 / 6))) < 1e-9)
    }
}

@Suite("Weight histogram and pairs per rule")
struct WeightHistogramTests {
    typealias FS = FellegiSunter

    @Test func histogramCountsEveryScoredPairWhateverTheJobs() {
        var rng = SplitMix64(seed: 11)
        let columns: [[String?]] = (0..<3).map { _ in
            (0..<300).map { _ in rng.next(below: 8) == 0 ? nil : String(rng.next(below: 9)) }
        }
        let records = FS.Records(strings: columns)
        let comparisons = (0..<3).map { FS.Comparison(name: "c\($0)", attribute: $0, levels: [.exact]) }
        let rules = [FS.BlockingRule([0]), FS.BlockingRule([1, 2])]
        let compared = FS.compare(records: records, comparisons: comparisons, blocking: rules)
        #expect(compared.pairsKeptPerRule.reduce(0, +) == compared.count)
        #expect(compared.pairsKeptPerRule[0] == FS.candidatePairs(records: records, blocking: [rules[0]]).count)
        #expect(compared.pairsGeneratedPerRule == FS.countPairs(records: records, blocking: rules))
        let model = FS.Model(comparisons: comparisons, m: [[0, 0.9, 0.1], [0, 0.8, 0.2], [0, 0.7, 0.3]],
                             u: [[0, 0.1, 0.9], [0, 0.12, 0.88], [0, 0.2, 0.8]], prior: 0.01, iterations: 0, converged: true)
        for threshold in [0.2, 0.9] {
            let one = FS.scoreCounting(records: records, model: model, compared: compared, threshold: threshold, jobs: 1)
            let four = FS.scoreCounting(records: records, model: model, compared: compared, threshold: threshold, jobs: 4)
            #expect(one.histogram.total == compared.count)
            #expect(one.histogram.totalAboveThreshold == one.links.count)
            #expect(one.histogram == four.histogram)
            #expect(one.links == FS.score(records: records, model: model, compared: compared, threshold: threshold))
            // Each link counts in the bin of its weight.
            var expected = FS.WeightHistogram()
            for link in one.links { expected.aboveThreshold[Int(link.weight.rounded(.down)) - FS.WeightHistogram.lowest] += 1 }
            #expect(expected.aboveThreshold == one.histogram.aboveThreshold)
        }
        #expect(FS.WeightHistogram.bounds(0).low == nil && FS.WeightHistogram.bounds(FS.WeightHistogram.binCount - 1).high == nil)
    }
}
