import Foundation
import Testing
import TributaryTestSupport

/// The generator knows which lines of its files are valid records (truth/records.csv) and how many
/// lines it corrupted. A run of the retail pipeline over its output must load exactly those
/// records, by file and line, and quarantine exactly the corrupt lines.
@Suite("Generated data against its ground truth")
struct GeneratorTruthTests {
    static var generator: String? {
        CLI.binary.map { URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("tributary-bench").path }
            .flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil }
    }

    @Test func everyValidRecordLoadsAndEveryCorruptLineIsQuarantined() throws {
        let ws = try Workspace()
        let summary = try Generated.write(persons: 3000, seed: 99, corruptRate: "0.01", into: ws.file("data"))
        // "3000 persons: N records (+C corrupt lines), ..."
        let corrupt = try #require(summary.split(separator: "+").dropFirst().first?.split(separator: " ").first.flatMap { Int($0) },
                                   "\(summary)")

        let sample = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Pipelines/retail-sample.yml"), encoding: .utf8)
        let yaml = sample
            .replacingOccurrences(of: "${TRIBUTARY_OUT:-../out}/retail-sample.sqlite", with: ws.file("out/retail.sqlite"))
            .replacingOccurrences(of: "../SampleData/", with: "")
            .replacingOccurrences(of: "max_rejected: 25%", with: "max_rejected: 5%")
        let pipeline = try ws.write("data/retail.yml", yaml)
        let outcome = try CLI.run(["run", pipeline, "--quiet", "--jobs", "2"])
        #expect(outcome.status == 0, "\(outcome)")

        let db = try Database(ws.file("out/retail.sqlite"))
        var loaded = Set<String>()
        for (source, table) in [("crm", "src_crm"), ("web", "src_web"), ("pos", "src_store_sales"), ("pos_legacy", "src_legacy_pos")] {
            for row in db.rows("SELECT i.path, s._line FROM \(table) s JOIN latest_run_inputs i ON i.file_id = s._file_id") {
                let path = row[0] ?? ""
                let relative = path.replacingOccurrences(of: ws.file("data") + "/", with: "")
                loaded.insert("\(source),\(relative),\(row[1] ?? "")")
            }
        }
        let truthText = try String(contentsOfFile: ws.file("data/truth/records.csv"), encoding: .utf8)
        let truth = Set(truthText.split(separator: "\n").dropFirst().map { line in
            line.split(separator: ",", omittingEmptySubsequences: false).prefix(3).joined(separator: ",")
        })
        #expect(truth.count > 10_000)
        #expect(loaded.subtracting(truth).isEmpty, "loaded but not in the truth: \(loaded.subtracting(truth).prefix(5))")
        #expect(truth.subtracting(loaded).isEmpty, "in the truth but not loaded: \(truth.subtracting(loaded).prefix(5))")
        #expect(db.value("SELECT count(*) FROM quarantine") == String(corrupt))

        // Deterministic stitching (the sample's `identity:`) against the truth: it may miss links
        // (recall), but a link it makes must be right (precision).
        var personOf: [String: String] = [:]
        for line in truthText.split(separator: "\n").dropFirst() {
            let parts = line.split(separator: ",", omittingEmptySubsequences: false)
            if parts.count == 4, !parts[3].isEmpty { personOf[parts.prefix(3).joined(separator: ",")] = String(parts[3]) }
        }
        var profileOf: [String: String] = [:]
        for (source, table) in [("crm", "src_crm"), ("web", "src_web"), ("pos", "src_store_sales"), ("pos_legacy", "src_legacy_pos")] {
            let name = String(table.dropFirst(4))
            for row in db.rows("""
                SELECT i.path, s._line, r.profile_id FROM \(table) s
                JOIN latest_run_inputs i ON i.file_id = s._file_id
                JOIN profile_records r ON r.source = '\(name)' AND r.record_id = s._record_id
                """) {
                let relative = (row[0] ?? "").replacingOccurrences(of: ws.file("data") + "/", with: "")
                profileOf["\(source),\(relative),\(row[1] ?? "")"] = row[2] ?? ""
            }
        }
        var accuracy = PairwiseAccuracy()
        for (record, person) in personOf {
            accuracy.add(profile: try #require(profileOf[record], "no profile for \(record)"), person: person)
        }
        let precision = accuracy.precision, recall = accuracy.recall
        #expect(precision >= 0.999, "pairwise precision \(precision), recall \(recall)")
        #expect(recall > 0.3, "pairwise recall \(recall)")
    }
}

@Suite("Probabilistic matching against the generator's truth")
struct MatchingTruthTests {
    @Test func crmDuplicatesAreFoundWithoutFalseMerges() throws {
        let ws = try Workspace()
        try Generated.write(persons: 3000, seed: 5, corruptRate: "0", into: ws.file("data"))
        let pipeline = CLI.packageRoot.appendingPathComponent("Pipelines/crm-matching.yml").path
        let outcome = try CLI.run(["run", pipeline, "--quiet"],
                                  environment: ["TRIBUTARY_OUT": ws.path, "CRM_PATH": ws.file("data/crm/contacts_*.csv")])
        #expect(outcome.status == 0, "\(outcome)")
        let db = try Database(ws.file("crm-matching.sqlite"))
        let accuracy = try Generated.crmAccuracy(db, truthFile: ws.file("data/truth/records.csv"))
        #expect(accuracy.truePairs > 100, "the generator wrote duplicate contacts")
        let precision = accuracy.precision, recall = accuracy.recall
        #expect(precision >= 0.99, "precision \(precision), recall \(recall)")
        #expect(recall >= 0.95, "precision \(precision), recall \(recall)")
        #expect(Int(db.value("SELECT count(*) FROM match_model") ?? "") == 1)
    }
}

@Suite("Matching on several jobs")
struct MatchingJobsTests {
    /// `--jobs` reaches the matcher, and the links, model and profiles do not depend on it; with
    /// the new comparison methods in the file, the links are still right against the truth.
    @Test func oneAndThreeJobsWriteTheSameProfiles() throws {
        let ws = try Workspace()
        try Generated.write(persons: 2000, seed: 8, corruptRate: "0", into: ws.file("data"))
        let yaml = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Pipelines/crm-matching.yml"), encoding: .utf8)
            .replacingOccurrences(of: "first_name: { method: jaro_winkler, levels: [0.92, 0.80] }",
                                  with: "first_name: { method: name_swap, with: last_name, levels: [0.92, 0.80] }")
            .replacingOccurrences(of: "last_name: { method: jaro_winkler, levels: [0.92, 0.80] }",
                                  with: "last_name: { method: name_swap, with: first_name, levels: [0.92, 0.80] }")
            .replacingOccurrences(of: "birthdate: { method: levenshtein, levels: [1] }",
                                  with: "birthdate: { method: date, levels: [typo, day_month_swap, 30 days] }")
        #expect(yaml.contains("method: date") && yaml.components(separatedBy: "name_swap").count == 3)
        let pipeline = try ws.write("crm-matching.yml", yaml)
        var results: [[String]] = []
        for jobs in ["1", "3"] {
            let outcome = try CLI.run(["run", pipeline, "--quiet", "--jobs", jobs],
                                      environment: ["TRIBUTARY_OUT": ws.file("out-\(jobs)"), "CRM_PATH": ws.file("data/crm/contacts_*.csv")])
            #expect(outcome.status == 0, "\(outcome)")
            let db = try Database(ws.file("out-\(jobs)/crm-matching.sqlite"))
            results.append(db.rows("SELECT a_record_id, b_record_id, probability, levels FROM match_evidence").map { $0.map { $0 ?? "" }.joined(separator: "|") }
                           + db.rows("SELECT record_id, profile_id, linked_by FROM profile_records ORDER BY record_id").map { $0.map { $0 ?? "" }.joined(separator: "|") }
                           + [db.value("SELECT model FROM match_model") ?? ""])
        }
        #expect(results[0].count > 1000)
        #expect(results[0] == results[1])

        // Against the generator's truth.
        let db = try Database(ws.file("out-3/crm-matching.sqlite"))
        let accuracy = try Generated.crmAccuracy(db, truthFile: ws.file("data/truth/records.csv"))
        let precision = accuracy.precision, recall = accuracy.recall
        #expect(precision >= 0.99, "precision \(precision), recall \(recall)")
        #expect(recall >= 0.95, "precision \(precision), recall \(recall)")
    }
}

@Suite("Pinned matching model")
struct PinnedModelTests {
    @Test func aSavedModelIsUsedInsteadOfTraining() throws {
        let ws = try Workspace()
        let original = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Pipelines/crm-matching.yml"), encoding: .utf8)
            .replacingOccurrences(of: "${CRM_PATH:-../SampleData/crm/contacts_*.csv}",
                                  with: CLI.packageRoot.appendingPathComponent("SampleData/crm").path + "/contacts_*.csv")
            .replacingOccurrences(of: "${TRIBUTARY_OUT:-../out}", with: ws.file("out"))
        try ws.write("train.yml", original)
        #expect(try CLI.run(["run", ws.file("train.yml"), "--quiet"]).status == 0)
        let trained = try Database(ws.file("out/crm-matching.sqlite"))
        let model = try #require(trained.value("SELECT model FROM match_model"))
        let links = trained.value("SELECT count(*) FROM match_evidence")
        try ws.write("model.json", model)

        // Pinned: the run scores with the saved parameters (the stored model is the same JSON).
        try ws.write("pinned.yml", original.replacingOccurrences(of: "    threshold: 0.95", with: "    threshold: 0.95\n    model: model.json"))
        let pinned = try CLI.run(["run", ws.file("pinned.yml"), "--quiet"])
        #expect(pinned.status == 0, "\(pinned)")
        let again = try Database(ws.file("out/crm-matching.sqlite"))
        #expect(again.value("SELECT model FROM match_model") == model)
        #expect(again.value("SELECT count(*) FROM match_evidence") == links)

        // A model trained for other comparisons is refused with a clear message.
        try ws.write("other.yml", original
            .replacingOccurrences(of: "    threshold: 0.95", with: "    threshold: 0.95\n    model: model.json")
            .replacingOccurrences(of: "levels: [0.92, 0.80] }\n      last_name", with: "levels: [0.90] }\n      last_name"))
        let refused = try CLI.run(["run", ws.file("other.yml"), "--quiet"])
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("was trained for other comparisons"), "\(refused)")
    }
}
