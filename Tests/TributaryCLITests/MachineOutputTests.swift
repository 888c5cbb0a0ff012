import Foundation
import Testing
import TributaryTestSupport

/// What the CLI prints for machines: `inspect` and `runs` with `--format json`, one snake_case
/// key convention over every JSON it prints, and `--log-format json` lines with typed numbers,
/// `pipeline` and `run_id`.
@Suite("Machine-readable output")
struct MachineOutputTests {
    /// A workspace where the matching fixture has run twice, and its output.
    static func ranTwice() throws -> (Workspace, String) {
        let ws = try Workspace()
        try ws.write("contacts.csv", MatchingFixture.data())
        try ws.write("model.json", MatchingFixture.model)
        try ws.write("machine.yml", MatchingFixture.pipeline(name: "machine", output: "machine"))
        for _ in 0..<2 {
            let outcome = try CLI.run(["run", ws.file("machine.yml"), "--quiet"])
            try #require(outcome.exited && outcome.status == 0, "\(outcome)")
        }
        return (ws, ws.file("out/machine.sqlite"))
    }

    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    /// A JSON number (not a string holding digits, not null).
    static func isNumber(_ value: Any?) -> Bool {
        guard let value, !(value is String), !(value is NSNull) else { return false }
        return (value as? NSNumber) != nil
    }

    /// Every key of every object in `value`, with its path.
    static func keys(_ value: Any, at path: String = "") -> [String] {
        if let object = value as? [String: Any] {
            return object.flatMap { key, child in ["\(path).\(key)"] + keys(child, at: "\(path).\(key)") }
        }
        if let array = value as? [Any] { return array.enumerated().flatMap { keys($1, at: "\(path)[\($0)]") } }
        return []
    }

    @Test func inspectPrintsJSONWithTypedNumbersAndNulls() throws {
        let (ws, output) = try Self.ranTwice()
        _ = ws
        let outcome = try CLI.run(["inspect", output, "--format", "json"])
        #expect(outcome.status == 0, "\(outcome)")
        let s = try #require(try Self.json(outcome.stdout) as? [String: Any], "\(outcome)")
        #expect(Array(s.keys).sorted() == ["exports", "last_run", "output", "profiles", "quarantine", "reconciliations",
                                          "segments", "segments_as_of", "tables"])
        let db = try Database(output)
        let tables = try #require(s["tables"] as? [[String: Any]])
        let names = db.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").compactMap { $0[0] }
        #expect(tables.map { $0["name"] as? String ?? "" } == names)
        let crm = try #require(tables.first { $0["name"] as? String == "src_crm" })
        #expect(Self.isNumber(crm["rows"]) && crm["rows"] as? Int == 25, "\(crm)")
        let profiles = try #require(s["profiles"] as? [String: Any])
        #expect(profiles["profiles"] as? Int == Int(db.value("SELECT count(*) FROM profiles") ?? ""), "\(profiles)")
        #expect(profiles["records"] as? Int == 25 && Self.isNumber(profiles["records"]))
        #expect(profiles["refused"] as? [Any] != nil, "\(profiles)")
        // The fixture has no segments: the key is there, null.
        #expect(s["segments"] is NSNull && s["segments_as_of"] is NSNull, "\(s)")
        #expect((s["quarantine"] as? [Any])?.isEmpty == true)
        let last = try #require(s["last_run"] as? [String: Any])
        #expect(last["run_id"] as? Int == 2 && Self.isNumber(last["run_id"]), "\(last)")
        #expect(last["note"] is NSNull)

        // The text stays the default.
        let text = try CLI.run(["inspect", output])
        #expect(text.stdout.contains("tables:\n") && (try? Self.json(text.stdout)) == nil, "\(text)")
    }

    @Test func runsPrintsJSONNewestFirst() throws {
        let (ws, output) = try Self.ranTwice()
        _ = ws
        let outcome = try CLI.run(["runs", output, "--format", "json"])
        #expect(outcome.status == 0, "\(outcome)")
        let runs = try #require(try Self.json(outcome.stdout) as? [[String: Any]], "\(outcome)")
        #expect(runs.map { $0["run_id"] as? Int ?? -1 } == [2, 1])
        for run in runs {
            #expect(Array(run.keys).sorted() == ["note", "peak_rss_bytes", "records_loaded", "records_quarantined",
                                                "records_read", "run_id", "seconds", "started_at", "status"])
            #expect(run["records_read"] as? Int == 25 && Self.isNumber(run["records_read"]), "\(run)")
            #expect(run["records_quarantined"] as? Int == 0 && Self.isNumber(run["seconds"]), "\(run)")
            #expect(run["status"] as? String == "succeeded")
        }
        let limited = try Self.json(try CLI.run(["runs", output, "--format", "json", "--limit", "1"]).stdout) as? [Any]
        #expect(limited?.count == 1)
    }

    @Test func everyJSONTheCLIPrintsHasSnakeCaseKeys() throws {
        let (ws, output) = try Self.ranTwice()
        let db = try Database(output)
        let c1 = try #require(db.value("SELECT _record_id FROM src_crm WHERE contact_id = 'C1'"))
        let c3 = try #require(db.value("SELECT _record_id FROM src_crm WHERE contact_id = 'C3'"))
        let profile = try #require(db.value("SELECT profile_id FROM profile_records WHERE source = 'crm' AND record_id = \(c1)"))
        let commands = [
            ["inspect", output], ["runs", output], ["diff", output],
            ["explain", output, profile], ["explain", output, "--records", "crm:\(c1)", "crm:\(c3)"],
            ["find", output, "email=annabel.lee@example.org"],
            ["validate", ws.file("machine.yml")], ["validate", "--estimate", ws.file("machine.yml")],
        ]
        let snake = try Regex("^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
        for command in commands {
            let outcome = try CLI.run(command + ["--format", "json"])
            #expect(outcome.status == 0, "\(outcome)")
            let keys = Self.keys(try Self.json(outcome.stdout))
            #expect(!keys.isEmpty, "\(command)")
            let wrong = keys.filter { (try? snake.wholeMatch(in: String($0.split(separator: ".").last ?? ""))) == nil }
            #expect(wrong.isEmpty, "\(command): \(wrong)")
        }
        // The explanation's keys, converted without splitting acronyms.
        let explained = try CLI.run(["explain", output, profile, "--format", "json"]).stdout
        #expect(explained.contains("\"profile_id\"") && explained.contains("\"record_id\""), "\(explained)")
        #expect(!explained.contains("_i_d\""), "\(explained)")
    }

    @Test func jsonLogLinesCarryTypedNumbersThePipelineAndTheRunID() throws {
        let ws = try Workspace()
        try ws.write("contacts.csv", MatchingFixture.data())
        try ws.write("model.json", MatchingFixture.model)
        try ws.write("machine.yml", MatchingFixture.pipeline(name: "machine", output: "machine"))
        let outcome = try CLI.run(["run", ws.file("machine.yml"), "--log-format", "json"])
        #expect(outcome.status == 0, "\(outcome)")
        let lines = try outcome.stderr.split(separator: "\n").map { line in
            try #require(try Self.json(String(line)) as? [String: Any], "not a JSON object: \(line)")
        }
        #expect(lines.count >= 3, "\(outcome.stderr)")
        for line in lines {
            #expect(line["pipeline"] as? String == "machine", "\(line)")
        }
        let loaded = try #require(lines.first { $0["message"] as? String == "loaded" }, "\(outcome.stderr)")
        #expect(loaded["run_id"] as? Int == 1 && Self.isNumber(loaded["run_id"]), "\(loaded)")
        for key in ["records", "loaded", "quarantined", "filtered", "load_seconds"] {
            #expect(Self.isNumber(loaded[key]), "\(key) in \(loaded)")
        }
        #expect(loaded["records"] as? Int == 25)
        let resolved = try #require(lines.first { $0["message"] as? String == "inputs resolved" })
        #expect(Self.isNumber(resolved["files"]) && Self.isNumber(resolved["bytes"]), "\(resolved)")
        // Every line after the writer took the run's id carries it.
        let after = lines.drop { $0["message"] as? String != "loaded" }
        #expect(after.allSatisfy { $0["run_id"] as? Int == 1 }, "\(after)")
        #expect(lines.contains { ($0["message"] as? String)?.hasPrefix("progress identity") == true && $0["run_id"] as? Int == 1 },
                "\(outcome.stderr)")
    }
}
