import Foundation
import Testing
@testable import TributaryRuntime
import TributaryTestSupport

/// Data gates on a run's outcome: each failing gate exits 1, names itself, and leaves the
/// previously published output byte for byte.
@Suite("Data gates")
struct GateTests {
    static func pipeline(_ ws: Workspace, gates: String, sourceGates: String = "") throws -> String {
        try ws.write("p.yml", """
            version: 1
            name: gates
            output: { sqlite: out/gates.sqlite }
            \(gates)
            sources:
              crm:
                format: csv
                path: crm.csv
                fields: { id: id, email: email }
                \(sourceGates)
            identity:
              identifiers:
                email: { from: [crm.email] }
            """)
    }

    @Test func minRecordsPerSource() throws {
        let ws = try Workspace()
        try ws.write("crm.csv", "id,email\n1,a@example.com\n2,b@example.com\n")
        var path = try Self.pipeline(ws, gates: "gates: { min_records: 3 }")
        var outcome = try CLI.run(["run", path, "--quiet"])
        #expect(outcome.status == 1, "\(outcome)")
        #expect(outcome.stderr.contains("source 'crm': 2 records loaded, under the minimum of 3 (gates.min_records)"))
        #expect(!FileManager.default.fileExists(atPath: ws.file("out/gates.sqlite")))
        // A source's own gate overrides the top-level one.
        path = try Self.pipeline(ws, gates: "gates: { min_records: 3 }", sourceGates: "gates: { min_records: 2 }")
        outcome = try CLI.run(["run", path, "--quiet"])
        #expect(outcome.status == 0, "\(outcome)")
    }

    @Test func profileCountChangeAgainstThePublishedOutput() throws {
        let ws = try Workspace()
        try ws.write("crm.csv", "id,email\n1,a@example.com\n2,b@example.com\n3,c@example.com\n4,d@example.com\n")
        let path = try Self.pipeline(ws, gates: "gates: { max_profile_change: 30% }")
        var outcome = try CLI.run(["run", path, "--quiet"])
        #expect(outcome.status == 0, "\(outcome)")   // no previous output: nothing to compare
        let published = try #require(fileBytes(ws.file("out/gates.sqlite")))
        try ws.write("crm.csv", "id,email\n1,a@example.com\n2,b@example.com\n")
        outcome = try CLI.run(["run", path, "--quiet"])
        #expect(outcome.status == 1, "\(outcome)")
        #expect(outcome.stderr.contains("2 profiles against 4 in the published output, a change over the limit of 30.0% (gates.max_profile_change)"))
        #expect(fileBytes(ws.file("out/gates.sqlite")) == published)
        // Within the limit: 3 of 4 is a 25% change.
        try ws.write("crm.csv", "id,email\n1,a@example.com\n2,b@example.com\n3,c@example.com\n")
        outcome = try CLI.run(["run", path, "--quiet"])
        #expect(outcome.status == 0, "\(outcome)")
    }

    @Test func maxClusterSize() throws {
        let ws = try Workspace()
        try ws.write("crm.csv", "id,email\n1,a@example.com\n2,a@example.com\n3,a@example.com\n4,b@example.com\n")
        var path = try Self.pipeline(ws, gates: "gates: { max_cluster_size: 2 }")
        var outcome = try CLI.run(["run", path, "--quiet"])
        #expect(outcome.status == 1, "\(outcome)")
        #expect(outcome.stderr.contains("the largest profile holds 3 records, over the limit of 2 (gates.max_cluster_size)"))
        path = try Self.pipeline(ws, gates: "gates: { max_cluster_size: 3 }")
        outcome = try CLI.run(["run", path, "--quiet"])
        #expect(outcome.status == 0, "\(outcome)")
    }

    @Test func badGateValuesAreConfigErrors() throws {
        let ws = try Workspace()
        try ws.write("crm.csv", "id,email\n")
        let path = try Self.pipeline(ws, gates: "gates: { max_profile_change: lots, min_records: -1, max_clustr_size: 3 }")
        let outcome = try CLI.run(["validate", path])
        #expect(outcome.status == 78)
        #expect(outcome.stdout.contains("max_profile_change must be a count like 5000 or a percentage like 10%"))
        #expect(outcome.stdout.contains("max_clustr_size"))
        #expect(outcome.stdout.contains("min_records"))
    }
}

/// Exports follow the database: a run that fails leaves the published exports as they were and
/// no temporary file beside them.
@Suite("Exports and failed runs")
struct ExportSafetyTests {
    /// Two CRM records, a gate of at least two records, one export of every profile.
    static func workspace() throws -> (Workspace, String) {
        let ws = try Workspace()
        try ws.write("crm.csv", "id,email\n1,a@example.com\n2,b@example.com\n")
        let path = try ws.write("p.yml", """
            version: 1
            name: exports
            output: { sqlite: out/x.sqlite }
            gates: { min_records: 2 }
            sources:
              crm: { format: csv, path: crm.csv, fields: { id: id, email: email } }
            identity:
              identifiers:
                email: { from: [crm.email] }
            profiles:
              email: { from: [crm.email] }
            exports:
              everyone: { path: out/exports/all.csv, columns: [profile_id], hash_email: email }
            """)
        return (ws, path)
    }

    @Test func aFailedGateKeepsThePublishedExports() throws {
        let (ws, path) = try Self.workspace()
        var outcome = try CLI.run(["run", path, "--quiet"])
        try #require(outcome.status == 0, "\(outcome)")
        let published = try #require(fileBytes(ws.file("out/exports/all.csv")))
        #expect(String(decoding: published, as: UTF8.self).split(separator: "\n").count == 3)   // header + 2
        try ws.write("crm.csv", "id,email\n1,a@example.com\n")
        outcome = try CLI.run(["run", path, "--quiet"])
        #expect(outcome.status == 1, "\(outcome)")
        #expect(fileBytes(ws.file("out/exports/all.csv")) == published)
        // Beside it only the published run's own copy, which the database names.
        #expect(Set(ws.contents("out/exports")) == ["all.csv", ".all.csv.run-1"])
        // The published database's ledger still names the file's digest.
        let db = try Database(ws.file("out/x.sqlite"))
        #expect(db.value("SELECT sha256 FROM exports") == ActivationHash.sha256Hex(String(decoding: published, as: UTF8.self)))
        #expect(db.value("SELECT file FROM exports") == ws.file("out/exports/.all.csv.run-1"))
        #expect(fileBytes(ws.file("out/exports/.all.csv.run-1")) == published)
    }

    /// A kill between the database's rename and the exports' leaves the new database beside the
    /// old export files. The database names its run's own copies, so it and they are one unit,
    /// and the next run (even one that fails its gates) points the exports back at them.
    @Test func theNextRunRepairsExportsThatAKillLeftBehind() throws {
        let (ws, path) = try Self.workspace()
        try #require(try CLI.run(["run", path, "--quiet"]).status == 0)
        let published = try #require(fileBytes(ws.file("out/exports/all.csv")))
        // As a kill leaves it: the target still the previous run's file (another inode), and a
        // copy of a run that never published.
        try FileManager.default.removeItem(atPath: ws.file("out/exports/all.csv"))
        try ws.write("out/exports/all.csv", "profile_id,email_sha256\nthe previous run's rows\n")
        try ws.write("out/exports/.all.csv.run-7", "a run killed before it published")
        try ws.write("crm.csv", "id,email\n1,a@example.com\n")   // this run fails its gate
        let failed = try CLI.run(["run", path])
        #expect(failed.status == 1, "\(failed)")
        #expect(fileBytes(ws.file("out/exports/all.csv")) == published, "the export is the published run's again")
        #expect(Set(ws.contents("out/exports")) == ["all.csv", ".all.csv.run-1"])
        #expect(failed.stderr.contains("pointed back at run 1's copy"), "\(failed)")
    }
}
