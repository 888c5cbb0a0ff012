import Foundation
import Testing
import TributaryTestSupport

/// `pipeline diff` of two runs of the Acme sample with known changes made between them: one file
/// removed, one line of another deleted, one file added; the diff lists exactly those.
@Suite("pipeline diff")
struct DiffTests {
    @Test func aDiffListsExactlyTheChangesMadeBetweenTwoRuns() throws {
        let ws = try Workspace()
        let export = ws.file("export")
        try FileManager.default.copyItem(atPath: CLI.packageRoot.appendingPathComponent("SampleData/acme").path, toPath: export)
        let pipeline = CLI.packageRoot.appendingPathComponent("Pipelines/acme.yml").path
        let environment = ["ACME_DATA": export, "TRIBUTARY_OUT": ws.file("out")]
        let output = ws.file("out/acme.sqlite")

        let first = try CLI.run(["run", pipeline, "--as-of", "2024-11-15"], environment: environment)
        try #require(first.status == 0, "\(first)")
        let firstRun = try Database(output)
        // What run 1 loaded from the file that goes away, and the CRM's loaded count.
        let legacy = try FileManager.default.contentsOfDirectory(atPath: export + "/pos").filter { $0.hasPrefix("pos_legacy_") }.sorted()
        let removed = export + "/pos/" + legacy[0]
        let removedLoaded = Int(firstRun.value("SELECT loaded FROM run_inputs WHERE path = '\(removed)'") ?? "") ?? -1
        let crmBefore = Int(firstRun.value("SELECT sum(loaded) FROM run_inputs WHERE source = 'crm'") ?? "") ?? -1
        let legacyBefore = Int(firstRun.value("SELECT sum(loaded) FROM run_inputs WHERE source = 'pos_legacy'") ?? "") ?? -1
        #expect(removedLoaded > 0)

        // The changes: a legacy till file removed, one contact deleted from the CRM export (a
        // plain line, no quoted line break), a copy of an event file under a new name added.
        try FileManager.default.removeItem(atPath: removed)
        let crmPath = export + "/crm_contacts.csv"
        // By bytes: the export's lines end in CR LF, one grapheme to Swift's String.
        var lines = try #require(fileBytes(crmPath)).split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        let plain = try #require(lines.indices.dropFirst().first { !lines[$0].contains(0x22) && lines[$0].count { $0 == 0x2C } > 10 })
        lines.remove(at: plain)
        try Data(Array(lines.joined(separator: [0x0A]))).write(to: URL(fileURLWithPath: crmPath))
        let events = try FileManager.default.contentsOfDirectory(atPath: export + "/events").filter { $0.hasSuffix(".jsonl") }.sorted()
        let added = export + "/events/" + events[0].replacingOccurrences(of: ".jsonl", with: "-replay.jsonl")
        try FileManager.default.copyItem(atPath: export + "/events/" + events[0], toPath: added)

        let second = try CLI.run(["run", pipeline, "--as-of", "2024-11-16"], environment: environment)
        try #require(second.status == 0, "\(second)")
        let diff = try CLI.run(["diff", output, "--format", "json"])
        try #require(diff.status == 0, "\(diff)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as? [String: Any])
        func paths(_ key: String) -> [String] { (json[key] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String } }
        #expect(paths("removed") == [removed])
        #expect(paths("changed") == [crmPath])
        #expect(paths("added") == [added])
        #expect(json["unchanged_files"] as? Int == Int(firstRun.value("SELECT count(*) FROM run_inputs") ?? "")! - 2)
        let loaded = Dictionary(uniqueKeysWithValues: (json["loaded"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0) })
        #expect(loaded["crm"]?["before"] as? Int == crmBefore && loaded["crm"]?["after"] as? Int == crmBefore - 1)
        #expect(loaded["pos_legacy"]?["after"] as? Int == legacyBefore - removedLoaded)
        // The replayed events are duplicates of loaded ones (same message ids): nothing new loads.
        let eventsLoaded = loaded["events"]
        #expect(eventsLoaded?["before"] as? Int == eventsLoaded?["after"] as? Int)
        // Segment changes are those run 2 recorded, per segment.
        let secondRun = try Database(output)
        for segment in json["segments"] as? [[String: Any]] ?? [] {
            let name = segment["segment"] as? String ?? ""
            #expect(segment["entered"] as? Int == Int(secondRun.value("SELECT count(*) FROM segment_changes WHERE run_id = 2 AND segment = '\(name)' AND change = 'entered'") ?? ""))
            #expect(segment["exited"] as? Int == Int(secondRun.value("SELECT count(*) FROM segment_changes WHERE run_id = 2 AND segment = '\(name)' AND change = 'exited'") ?? ""))
        }
        // The text form says the same, in one line per file.
        let text = try CLI.run(["diff", output])
        #expect(text.stdout.contains("inputs: 1 added, 1 removed, 1 changed"), "\(text)")
        #expect(text.stdout.contains("  - pos_legacy  \(removed)"), "\(text)")

        // One run only: nothing to compare, exit 1 with a hint.
        let ws2 = try Workspace()
        let only = try CLI.run(["run", pipeline], environment: ["ACME_DATA": export, "TRIBUTARY_OUT": ws2.file("out")])
        try #require(only.status == 0)
        let single = try CLI.run(["diff", ws2.file("out/acme.sqlite")])
        #expect(single.status == 1 && single.stderr.contains("is the first run"), "\(single)")
    }
}
