import Foundation
import Testing
import TributaryMatching
import TributaryTestSupport

/// `pipeline explain` and `pipeline validate --estimate` on a small run whose links are known:
/// the matching model is pinned (`model:`), so every weight can be computed by hand.
///
/// C1 and C2 share an e-mail (an identifier link); C3 (Annabelle, no e-mail) matches them on last
/// name, birth date and postcode (a probabilistic link, p ≈ 0.985); C4 and C5 (Stone) share a last
/// name and postcode but not a first name or birth date (p ≈ 0.005, not linked); 20 more records
/// have names and postcodes of their own.
@Suite("Explain and estimate")
struct ExplainTests {
    static let model = MatchingFixture.model

    /// Customer values of the data: none may be printed without --show-values.
    static let customerValues = ["Annabel", "Annabelle", "Lee", "annabel.lee@example.org", "Bartholomew", "Stone",
                                 "bart@example.net", "ZQ1", "YK2", "1980-01-02", "1975-05-05"]

    static func pipeline(maxClusterSize: Int = 100) -> String {
        MatchingFixture.pipeline(name: "explain-test", output: "explain", maxClusterSize: maxClusterSize)
    }

    static func data() -> String { MatchingFixture.data() }

    /// Runs the pipeline in a new workspace; returns it and the output path.
    static func run(maxClusterSize: Int = 100) throws -> (Workspace, String) {
        let ws = try Workspace()
        try ws.write("contacts.csv", data())
        try ws.write("model.json", model)
        try ws.write("explain.yml", pipeline(maxClusterSize: maxClusterSize))
        let outcome = try CLI.run(["run", ws.file("explain.yml"), "--quiet"])
        #expect(outcome.status == 0, "\(outcome)")
        return (ws, ws.file("out/explain.sqlite"))
    }

    static func recordID(_ db: Database, _ contact: String) -> String {
        db.value("SELECT _record_id FROM src_crm WHERE contact_id = '\(contact)'") ?? "?"
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    @Test func explainsWhichRecordsAreLinkedAndHow() throws {
        let (ws, out) = try Self.run()
        _ = ws
        let db = try Database(out)
        let c1 = Self.recordID(db, "C1"), c2 = Self.recordID(db, "C2"), c3 = Self.recordID(db, "C3")
        let profile = try #require(db.value("SELECT profile_id FROM profile_records WHERE source = 'crm' AND record_id = \(c1)"))

        let text = try CLI.run(["explain", out, profile])
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.contains("profile \(profile): 3 records from crm"), "\(text)")
        #expect(text.stdout.contains("contacts.csv"), "\(text)")
        // The matcher compares entities: C1 and C2 share an e-mail (one cluster), C3 is alone, so
        // there is one link, named by the cluster's first record: C1 ~ C3.
        #expect(text.stdout.contains("probabilistic links between these records: 1"), "\(text)")
        #expect(text.stdout.contains("prior"), "\(text)")
        #expect(text.stdout.contains("term frequency"), "\(text)")
        #expect(text.stdout.contains("++"), "a bar for positive weights: \(text)")
        #expect(text.stdout.contains("--"), "a bar for negative weights: \(text)")

        let outcome = try CLI.run(["explain", out, profile, "--format", "json"])
        #expect(outcome.status == 0, "\(outcome)")
        let e = try Self.json(outcome.stdout)
        let records = try #require(e["records"] as? [[String: Any]])
        var linkedBy: [String: String] = [:]
        for r in records {
            let ref = try #require(r["record"] as? [String: Any])
            linkedBy["\(ref["record_id"] ?? "")"] = r["linked_by"] as? String ?? "-"
            #expect(r["line"] as? Int != nil && r["file"] as? String != nil, "\(r)")
            #expect(r["values"] == nil)
        }
        #expect(linkedBy == [c1: "-", c2: "email", c3: "probabilistic"])

        // Every waterfall adds up to the stored weight, and the hand-computed one for C1 ~ C3.
        let links = try #require(e["links"] as? [[String: Any]])
        #expect(links.count == 1)
        for link in links {
            let weight = try #require(link["weight"] as? Double), stored = try #require(link["stored_weight"] as? Double)
            #expect(abs(weight - stored) < 1e-9, "\(link)")
            let steps = try #require(link["steps"] as? [[String: Any]])
            let prior = try #require(link["prior_weight"] as? Double)
            let sum = steps.reduce(prior) { $0 + ($1["weight"] as? Double ?? .nan) + ($1["term_frequency_adjustment"] as? Double ?? 0) }
            #expect(abs(sum - stored) < 1e-9, "\(link)")
            #expect(abs((steps.last?["total"] as? Double ?? .nan) - stored) < 1e-9)
            #expect(abs((link["probability"] as? Double ?? .nan) - (link["stored_probability"] as? Double ?? 0)) < 1e-9)
        }
        let c1c3 = try #require(links.first { l in
            let a = l["a"] as? [String: Any], b = l["b"] as? [String: Any]
            return "\(a?["record_id"] ?? "")" == c1 && "\(b?["record_id"] ?? "")" == c3
        })
        let steps = try #require(c1c3["steps"] as? [[String: Any]])
        #expect(steps.map { $0["level_name"] as? String ?? "" } == ["else", "exact", "exact", "exact"])
        // Last name "Lee" is 2 of the 24 entities' last names (the cluster C1+C2 holds it once):
        // the exact weight is log2(0.9 / (2/24)).
        let tf = try #require(steps[1]["term_frequency_adjustment"] as? Double)
        #expect(abs(tf - (log2(0.9 / (2.0 / 24)) - log2(0.9 / 0.05))) < 1e-9)
        let expected = log2(0.001 / 0.999) + log2(0.1 / 0.99) + log2(0.9 / (2.0 / 24)) + log2(0.95 / 0.001) + log2(0.9 / 0.01)
        #expect(abs((c1c3["weight"] as? Double ?? .nan) - expected) < 1e-9)
    }

    @Test func explainSaysWhichRecordsOfAClusterAgreed() throws {
        // C1 and C2 share an e-mail (one cluster, postcodes ZQ1 and ZZ9); C3 has no e-mail and
        // postcode ZZ9. The link is named C1 ~ C3, but its postcode agreement comes from C2.
        let ws = try Workspace()
        var csv = """
            Id,First,Last,Email,Birth,Zip
            C1,Annabel,Lee,annabel.lee@example.org,1980-01-02,ZQ1
            C2,Annabel,Lee,annabel.lee@example.org,1980-01-02,ZZ9
            C3,Annabel,Lee,,1980-01-02,ZZ9

            """
        for i in 6...25 { csv += "C\(i),First\(i),Last\(i),,19\(40 + i)-03-04,P\(i)\n" }
        try ws.write("contacts.csv", csv)
        try ws.write("model.json", Self.model)
        try ws.write("explain.yml", Self.pipeline())
        let run = try CLI.run(["run", ws.file("explain.yml"), "--quiet"])
        #expect(run.status == 0, "\(run)")
        let out = ws.file("out/explain.sqlite")
        let db = try Database(out)
        let c1 = Self.recordID(db, "C1"), c2 = Self.recordID(db, "C2"), c3 = Self.recordID(db, "C3")
        let agreeing = try #require(db.value("SELECT agreeing FROM match_evidence"))
        #expect(agreeing.contains("postcode=crm:\(c2)~crm:\(c3)"), "\(agreeing)")
        #expect(agreeing.contains("first_name=crm:\(c1)~crm:\(c3)"), "\(agreeing)")
        let profile = try #require(db.value("SELECT profile_id FROM profile_records WHERE source = 'crm' AND record_id = \(c1)"))
        let text = try CLI.run(["explain", out, profile])
        #expect(text.stdout.contains("from crm:\(c2) ~ crm:\(c3)"), "\(text)")
        #expect(!text.stdout.contains("ZZ9"), "no value without --show-values: \(text)")
        let shown = try CLI.run(["explain", out, profile, "--show-values"])
        let postcodeLine = try #require(shown.stdout.split(separator: "\n").first { $0.contains("postcode") && $0.contains("exact") })
        #expect(postcodeLine.contains("[ZZ9 | ZZ9]"), "C2's value beside C3's, not C1's ZQ1: \(postcodeLine)")
    }

    @Test func noCustomerValueWithoutShowValues() throws {
        let (ws, out) = try Self.run()
        _ = ws
        let db = try Database(out)
        let c1 = Self.recordID(db, "C1"), c4 = Self.recordID(db, "C4"), c5 = Self.recordID(db, "C5")
        let profile = try #require(db.value("SELECT profile_id FROM profile_records WHERE source = 'crm' AND record_id = \(c1)"))
        let runs = [["explain", out, profile], ["explain", out, profile, "--format", "json"],
                    ["explain", out, "--records", "crm:\(c4)", "crm:\(c5)"],
                    ["explain", out, "--records", "crm:\(c4)", "crm:\(c5)", "--format", "json"]]
        for arguments in runs {
            let outcome = try CLI.run(arguments)
            #expect(outcome.status == 0, "\(outcome)")
            for value in Self.customerValues {
                #expect(!outcome.stdout.contains(value) && !outcome.stderr.contains(value), "\(value) printed by \(arguments): \(outcome)")
            }
        }
        let shown = try CLI.run(["explain", out, profile, "--show-values"])
        #expect(shown.stdout.contains("annabel.lee@example.org") && shown.stdout.contains("Annabelle"), "\(shown)")
        let pair = try CLI.run(["explain", out, "--records", "crm:\(c4)", "crm:\(c5)", "--show-values"])
        #expect(pair.stdout.contains("Bartholomew") && pair.stdout.contains("Stone"), "\(pair)")
    }

    @Test func scoresAPairTheRunDidNotLink() throws {
        let (ws, out) = try Self.run()
        _ = ws
        let db = try Database(out)
        let c4 = Self.recordID(db, "C4"), c5 = Self.recordID(db, "C5"), c6 = Self.recordID(db, "C6")
        let outcome = try CLI.run(["explain", out, "--records", "crm:\(c4)", "crm:\(c5)", "--format", "json"])
        #expect(outcome.status == 0, "\(outcome)")
        let e = try Self.json(outcome.stdout)
        let waterfall = try #require(e["waterfall"] as? [String: Any], "\(outcome)")
        // Stone is 2 of 25 last names; first name and birth date differ; the postcode agrees.
        let expected = log2(0.001 / 0.999) + log2(0.1 / 0.99) + log2(0.9 / (2.0 / 25)) + log2(0.05 / 0.999) + log2(0.9 / 0.01)
        #expect(abs((waterfall["weight"] as? Double ?? .nan) - expected) < 1e-9, "\(waterfall)")
        #expect(waterfall["joined"] as? Bool == false)
        #expect(waterfall["stored_weight"] == nil)
        #expect((waterfall["notes"] as? [String] ?? []).contains { $0.contains("a blocking rule pairs these records") }, "\(waterfall)")

        let apart = try CLI.run(["explain", out, "--records", "crm:\(c4)", "crm:\(c6)"])
        #expect(apart.status == 0, "\(apart)")
        #expect(apart.stdout.contains("no blocking rule pairs these records"), "\(apart)")
        #expect(apart.stdout.contains("same profile: no"), "\(apart)")
    }

    @Test func anUnknownProfileIsAClearError() throws {
        let (ws, out) = try Self.run()
        _ = ws
        let outcome = try CLI.run(["explain", out, "p_0000000000000000"])
        #expect(outcome.status == 1, "\(outcome)")
        #expect(outcome.stderr.contains("no profile 'p_0000000000000000'"), "\(outcome)")
        #expect(outcome.stderr.contains("pipeline inspect"), "\(outcome)")
        let record = try CLI.run(["explain", out, "--records", "crm:1", "crm:9999"])
        #expect(record.status == 1, "\(record)")
        #expect(record.stderr.contains("no record crm:9999"), "\(record)")
        let usage = try CLI.run(["explain", out, "--records", "crm:1"])
        #expect(usage.status == 64, "\(usage)")
    }

    @Test func anOversizedProfileIsSplitOnItsWeakestLinkAndReported() throws {
        // Limit 2: C1 and C2 keep their e-mail link (identifiers are stronger than any match
        // link); the probabilistic link that brought C3 in is cut and reported.
        let (ws, out) = try Self.run(maxClusterSize: 2)
        _ = ws
        let db = try Database(out)
        let c1 = Self.recordID(db, "C1"), c3 = Self.recordID(db, "C3")
        let profile = { (r: String) in db.value("SELECT profile_id FROM profile_records WHERE source = 'crm' AND record_id = \(r)") }
        #expect(profile(c1) == profile(Self.recordID(db, "C2")))
        #expect(profile(c1) != profile(c3))
        let refusals = db.rows("SELECT type, value, records, detail FROM identity_refusals WHERE reason = 'max_cluster_size'")
        #expect(refusals.count == 1, "\(refusals)")
        #expect(refusals.first?[0] == "probabilistic")
        #expect(refusals.first?[1] == "crm:\(c1) crm:\(c3)")
        #expect(refusals.first?[3]?.contains("parts of 2 and 1 records") == true, "\(refusals)")

        let outcome = try CLI.run(["explain", out, profile(c1) ?? "", "--format", "json"])
        let e = try Self.json(outcome.stdout)
        // No match link inside {C1, C2} (one entity); the cut link to C3 is listed as not joined.
        #expect((e["links"] as? [Any])?.count == 0)
        #expect((e["not_joined"] as? [Any])?.count == 1)
    }

    @Test func estimateCountsThePairsEachRuleGenerates() throws {
        let (ws, out) = try Self.run()
        let outcome = try CLI.run(["validate", "--estimate", ws.file("explain.yml"), "--format", "json"])
        #expect(outcome.status == 0, "\(outcome)")
        let e = try Self.json(outcome.stdout)
        let estimate = try #require((e["estimates"] as? [[String: Any]])?.first, "\(outcome)")
        #expect(estimate["records"] as? Int == 25)
        let rules = try #require(estimate["rules"] as? [[String: Any]])

        // The same counts from the pairs FellegiSunter actually generates on the loaded values.
        let db = try Database(out)
        let rows = db.rows("SELECT first_name, last_name, birthdate, postcode FROM src_crm ORDER BY _record_id")
        let columns = (0..<4).map { c in rows.map { $0[c] } }
        let records = FellegiSunter.Records(strings: columns)
        let blocking = [FellegiSunter.BlockingRule([1]), FellegiSunter.BlockingRule([3])]
        for (r, rule) in blocking.enumerated() {
            #expect(rules[r]["pairs"] as? Int == FellegiSunter.candidatePairs(records: records, blocking: [rule]).count)
        }
        #expect(estimate["total"] as? Int == FellegiSunter.candidatePairs(records: records, blocking: blocking).count)
        #expect(rules.map { $0["pairs"] as? Int ?? -1 } == [4, 4])
        #expect(estimate["total"] as? Int == 4)

        let text = try CLI.run(["validate", "--estimate", ws.file("explain.yml")])
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.contains("[last_name]") && text.stdout.contains("25 records"), "\(text)")
    }
}
