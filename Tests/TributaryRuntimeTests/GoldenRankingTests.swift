import Foundation
import Testing
import TributaryConfig
import TributaryMatching
@testable import TributaryRuntime

/// The golden record's ranking, done in Swift over a byte arena, against SQLite ranking the same
/// candidates with `ORDER BY <rules>, priority, record_id DESC` (the SQL it replaced): random
/// candidates with ties, missing dates, repeated and multi-byte values, every rule order.
@Suite("Golden record ranking")
struct GoldenRankingTests {
    /// The SQL ordering term of each rule, best first.
    static func sql(_ rule: SurvivorshipDefinition.Rule) -> String {
        switch rule {
        case .sourcePriority: return "priority"
        case .mostRecent: return "recency IS NULL, recency DESC"
        case .mostFrequent: return "frequency DESC"
        case .longest: return "length(value) DESC"
        case .mostComplete: return "completeness DESC"
        }
    }

    @Test(arguments: 0..<12)
    func swiftRankingMatchesSQLite(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &+ 1)
        let values = ["Ann", "Anne", "Åsa", "ann", "Zoë", "Zoe", "Bo", "Joséphine", "J", "Anne "]
        let dates = ["2024-01-01T00:00:00.000Z", "2024-01-02T00:00:00.000Z", "2023-12-31T23:59:59.000Z"]
        let profiles = 60
        var rules = SurvivorshipDefinition.Rule.allCases.shuffled(using: &rng)
        rules.removeLast(Int.random(in: 0..<3, using: &rng))

        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("""
            CREATE TABLE c (id INTEGER, profile INTEGER, value TEXT, recency TEXT, priority INTEGER,
                            completeness INTEGER, record_id INTEGER, source INTEGER)
            """)
        let insert = try db.prepare("INSERT INTO c VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        var candidates = GoldenCandidates()
        var recordIDs = Array(1...2000).shuffled(using: &rng)
        for id in 0..<Int.random(in: 50..<400, using: &rng) {
            // Large groups now and then: the frequency count sorts instead of comparing pairs.
            let profile = Int.random(in: 0..<10, using: &rng) == 0 ? 0 : Int.random(in: 0..<profiles, using: &rng)
            let value = values.randomElement(using: &rng)!
            let recency = Bool.random(using: &rng) ? dates.randomElement(using: &rng) : nil
            let priority = Int.random(in: 0..<3, using: &rng)
            let completeness = Int.random(in: 0..<4, using: &rng)
            let record = recordIDs.removeLast()
            var v = value, r = recency ?? ""
            v.withUTF8 { valueBytes in
                r.withUTF8 { recencyBytes in
                    candidates.append(value: valueBytes, recency: recency == nil ? nil : recencyBytes, priority: priority,
                                      completeness: completeness, recordID: record, source: priority, profile: Int32(profile))
                }
            }
            insert.bind(1, id)
            insert.bind(2, profile)
            insert.bind(3, value)
            insert.bind(4, recency)
            insert.bind(5, priority)
            insert.bind(6, completeness)
            insert.bind(7, record)
            insert.bind(8, priority)
            try insert.run()
        }
        let (winner, counts) = candidates.winners(profiles: profiles, rules: rules)

        let order = (rules.map(Self.sql) + ["priority", "record_id DESC"]).joined(separator: ", ")
        let query = try db.prepare("""
            SELECT profile, id, n FROM (SELECT profile, id, count(*) OVER (PARTITION BY profile) AS n,
                                               row_number() OVER (PARTITION BY profile ORDER BY \(order)) AS k
                                        FROM (SELECT *, count(*) OVER (PARTITION BY profile, value) AS frequency FROM c))
            WHERE k = 1
            """)
        var expected = [Int](repeating: -1, count: profiles)
        var expectedCounts = [Int](repeating: 0, count: profiles)
        while try query.next() {
            expected[query.int(0)] = query.int(1)
            expectedCounts[query.int(0)] = query.int(2)
        }
        #expect(winner == expected, "rules \(rules.map(\.rawValue))")
        #expect(counts == expectedCounts)
    }

    /// Two fields of one record tie on every rule, the priority and the record (a contact's mobile
    /// and home phone, each seen once): the field the attribute lists first wins, whatever order
    /// the candidates were read in (one scan per table reads a record's fields together).
    @Test func aTieWithinOneRecordGoesToTheFieldListedFirst() {
        for reversed in [false, true] {
            var candidates = GoldenCandidates()
            var fields = [(value: "+15550001111", source: 0), (value: "+15550002222", source: 1)]
            if reversed { fields.reverse() }
            for field in fields {
                var text = field.value
                text.withUTF8 { value in
                    candidates.append(value: value, recency: nil, priority: 0, completeness: 0, recordID: 7,
                                      source: field.source, profile: 0)
                }
            }
            let (winner, _) = candidates.winners(profiles: 1, rules: [.sourcePriority, .mostFrequent, .mostRecent])
            #expect(candidates.source[winner[0]] == 0, "read in \(reversed ? "reverse" : "field") order")
        }
    }
}
