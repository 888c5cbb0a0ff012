import Foundation
import Testing
import TributaryTestSupport

/// `Pipelines/acme.yml` on exports of the Acme shape it has never seen (generated with other
/// seeds and sizes than the sample), checked against the generator's truth: every valid record
/// loaded under its natural key, every invalid one quarantined at its file and line, every
/// duplicate counted, and people and segments found as the truth has them.
@Suite("Acme export against the generator's truth", .serialized)
struct AcmeTruthTests {
    /// Lines of a truth CSV (header dropped), split on commas (truth values hold none).
    static func truthRows(_ path: String) throws -> [[String]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Generates `persons` customers with `seed` and runs the Acme pipeline on them at D.
    static func run(persons: Int, seed: Int, _ ws: Workspace) throws -> Database {
        try Generated.write(persons: persons, seed: seed, shape: "acme", into: ws.file("export"))
        let pipeline = CLI.packageRoot.appendingPathComponent("Pipelines/acme.yml").path
        let outcome = try CLI.run(["run", pipeline, "--as-of", "2024-11-15", "--quiet"],
                                  environment: ["ACME_DATA": ws.file("export"), "TRIBUTARY_OUT": ws.file("out")])
        #expect(outcome.status == 0, "\(outcome)")
        return try Database(ws.file("out/acme.sqlite"))
    }

    @Test(arguments: [(persons: 1_500, seed: 20_241_202)])
    func everyRecordIsAccountedForAsTheTruthSays(persons: Int, seed: Int) throws {
        let ws = try Workspace()
        let db = try Self.run(persons: persons, seed: seed, ws)
        let truth = ws.file("export/truth")

        // A row swallowed by a quote never closed (`swallowed_by_quote`) is, to a CSV reader, the
        // rest of the broken record before it: one quarantined record spanning both lines.
        let invalidRows = try Self.truthRows(truth + "/invalid.csv").filter { $0[3] != "swallowed_by_quote" }
        var swallowed: [String: Int] = [:]
        for row in try Self.truthRows(truth + "/invalid.csv") where row[3] == "swallowed_by_quote" { swallowed[row[0], default: 0] += 1 }

        // Loaded, quarantined and duplicate counts per source equal the truth's.
        var expected: [String: [String]] = [:]
        for row in try Self.truthRows(truth + "/counts.csv") {
            expected[row[0]] = [row[1], String(Int(row[2])! - swallowed[row[0], default: 0]), row[3]]
        }
        for source in ["crm", "events", "pos", "pos_legacy"] {
            let actual = db.rows("""
                SELECT sum(loaded), sum(quarantined), sum(duplicates) FROM run_inputs
                WHERE source = '\(source)' AND run_id = (SELECT max(run_id) FROM runs)
                """).first.map { $0.map { $0 ?? "0" } }
            #expect(actual == expected[source], "\(source): loaded, quarantined, duplicates")
        }

        // Exactly the valid records, under their natural keys.
        let keys = Set(try Self.truthRows(truth + "/records.csv").map { $0[0] + " " + $0[1] })
        let loaded = db.rows("SELECT source || ' ' || record_key FROM profile_records").map { $0[0] ?? "" }
        #expect(loaded.count == keys.count)
        let loadedKeys = Set(loaded)
        #expect(loadedKeys.subtracting(keys).sorted().prefix(5) == [], "records the truth does not have")
        #expect(keys.subtracting(loadedKeys).sorted().prefix(5) == [], "valid records not loaded")

        // Every invalid record quarantined at its file and line.
        let invalid = Set(invalidRows.map { "\($0[0]) \($0[1]) \($0[2])" })
        let exportFolder = URL(fileURLWithPath: ws.file("export")).resolvingSymlinksInPath().path + "/"
        let quarantined = Set(db.rows("""
            SELECT q.source, i.path, q.line FROM quarantine q
            JOIN run_inputs i ON i.run_id = q.run_id AND i.file_id = q.file_id
            """).map { row -> String in
                let path = URL(fileURLWithPath: row[1] ?? "").resolvingSymlinksInPath().path
                return "\(row[0] ?? "") \(path.replacingOccurrences(of: exportFolder, with: "")) \(row[2] ?? "")"
            })
        #expect(quarantined.subtracting(invalid).sorted().prefix(5) == [], "quarantined but valid")
        #expect(invalid.subtracting(quarantined).sorted().prefix(5) == [], "invalid but not quarantined")
    }

    @Test func peopleAndSegmentsAgreeWithTheTruth() throws {
        let ws = try Workspace()
        let db = try Self.run(persons: 1_500, seed: 7, ws)
        let truth = ws.file("export/truth")
        var person: [String: String] = [:]  // "source key" → person ("" for a walk-in)
        for row in try Self.truthRows(truth + "/records.csv") { person[row[0] + " " + row[1]] = row[2] }

        // Pairwise: two records in one profile should be one person (walk-ins are no one).
        var accuracy = PairwiseAccuracy()
        var profilePeople: [String: [String: Int]] = [:]
        var walkInsInProfiles = 0
        for row in db.rows("SELECT source || ' ' || record_key, profile_id FROM profile_records") {
            let who = try #require(person[row[0] ?? ""], "\(row[0] ?? "") is not in the truth")
            let profile = row[1] ?? ""
            if profile.isEmpty { continue }  // joined no profile: a singleton
            if who.isEmpty { walkInsInProfiles += 1 }
            accuracy.add(profile: profile, person: who.isEmpty ? "walk-in \(row[0] ?? "")" : who)
            profilePeople[profile, default: [:]][who, default: 0] += 1
        }
        #expect(walkInsInProfiles == 0, "walk-in sales joined profiles")
        #expect(accuracy.precision >= 0.97, "pairwise precision \(accuracy.precision)")
        #expect(accuracy.recall >= 0.90, "pairwise recall \(accuracy.recall)")

        // Segments: each member profile stands for the person most of its records belong to; a
        // member that stands for no customer, or for one already counted, is a false positive.
        var standsFor: [String: String] = [:]
        for (profile, people) in profilePeople {
            if let best = people.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }), best.key.hasPrefix("p") {
                standsFor[profile] = best.key
            }
        }
        var truthMembers: [String: Set<String>] = [:]
        for row in try Self.truthRows(truth + "/segments.csv") { truthMembers[row[0], default: []].insert(row[1]) }
        for segment in ["cart_abandoners_7d", "high_value", "lapsed_90d", "email_reachable"] {
            let wanted = truthMembers[segment] ?? []
            var found = Set<String>(), falsePositives = 0
            for row in db.rows("SELECT profile_id FROM segment_membership WHERE segment = '\(segment)'") {
                if let p = standsFor[row[0] ?? ""], wanted.contains(p), !found.contains(p) { found.insert(p) } else { falsePositives += 1 }
            }
            let precision = Double(found.count) / Double(max(1, found.count + falsePositives))
            let recall = Double(found.count) / Double(max(1, wanted.count))
            #expect(!wanted.isEmpty, "\(segment) has no true member at this size")
            #expect(precision >= 0.85 && recall >= 0.85, "\(segment): precision \(precision), recall \(recall)")
        }
    }
}
