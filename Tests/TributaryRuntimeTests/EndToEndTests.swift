import Foundation
import Testing
import TributaryMatching
import TributaryTestSupport
#if canImport(Glibc)
import Glibc
#endif

// These tests run the built `pipeline` binary (see `CLI` in TributaryTestSupport) on files they write to
// a temporary folder, then read the published SQLite database through the C API.

/// The fixture: a UTF-8 BOM, CRLF line ends, a value spanning two lines, two broken rows and one
/// row the pipeline filters out.
///
///     line 1  header
///     line 2  1        loaded
///     line 3  2        loaded, its note spans lines 3-4
///     line 5  3        quarantined: wrong_field_count
///     line 6  4        quarantined: malformed_quotes
///     line 7  5        loaded (email lower-cased)
///     line 8  6        filtered (the CRM's test contact)
let fixtureCSV: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("""
    Contact ID,Email,Note\r
    1,a@x.com,plain\r
    2,b@x.com,"multi\r
    line"\r
    3,c@x.com\r
    4,d@x"y.com,n\r
    5,E@X.COM,last\r
    6,test@example.com,t\r

    """.utf8)

func fixturePipeline(csv: String, output: String, gate: String? = nil, name: String = "e2e") -> String {
    """
    version: 1
    name: \(name)
    output:
      sqlite: \(output)
    \(gate.map { "quarantine: { max_rejected: \($0) }" } ?? "")
    sources:
      contacts:
        format: csv
        path: \(csv)
        fields:
          contact_id: Contact ID
          email: Email
          note: Note
        transforms:
          - trim: all
          - lower: [email]
          - filter: { field: email, not_in: [test@example.com] }

    """
}

@Suite("End to end (the pipeline binary)")
struct EndToEndTests {

    /// Writes the fixture CSV and pipeline into `workspace`; returns (pipeline path, output path).
    func setUp(_ workspace: Workspace, gate: String? = nil, pipelineName: String = "pipeline.yml") throws -> (String, String) {
        let csv = try workspace.write("in/contacts.csv", fixtureCSV)
        let output = workspace.file("out/result.sqlite")
        let pipeline = try workspace.write(pipelineName, fixturePipeline(csv: csv, output: output, gate: gate))
        return (pipeline, output)
    }

    @Test func runPublishesTheDatabase() throws {
        let workspace = try Workspace()
        let (pipeline, output) = try setUp(workspace)
        let csvPath = workspace.file("in/contacts.csv")

        let outcome = try CLI.run(["run", pipeline, "--jobs", "2"])
        try #require(outcome.exited && outcome.status == 0, "\(outcome)")
        #expect(outcome.stdout.contains("run 1 of 'e2e' succeeded"), "\(outcome)")

        let db = try Database(output)
        #expect(db.rows("SELECT _file_id, _line, contact_id, email, note FROM src_contacts ORDER BY _record_id") == [
            ["1", "2", "1", "a@x.com", "plain"],
            ["1", "3", "2", "b@x.com", "multi\r\nline"],
            ["1", "7", "5", "e@x.com", "last"],
        ])
        #expect(db.rows("SELECT run_id, source, file_id, file, line, reason, raw FROM quarantine ORDER BY line") == [
            ["1", "contacts", "1", csvPath, "5", "wrong_field_count", "3,c@x.com"],
            ["1", "contacts", "1", csvPath, "6", "malformed_quotes", "4,d@x\"y.com,n"],
        ])
        #expect(db.rows("""
            SELECT file_id, run_id, source, path, size_bytes, physical_lines, header_lines, blank_lines,
                   records, loaded, quarantined, filtered FROM run_inputs
            """) == [["1", "1", "contacts", csvPath, "\(fixtureCSV.count)", "8", "1", "0", "6", "3", "2", "1"]])
        let sha = db.value("SELECT sha256 FROM run_inputs") ?? ""
        #expect(sha.count == 64 && sha.allSatisfy { $0.isHexDigit })
        #expect(db.rows("""
            SELECT run_id, pipeline, pipeline_file, status, jobs, records_read, records_loaded,
                   records_quarantined, records_filtered, tributary_version, finished_at IS NOT NULL FROM runs
            """) == [["1", "e2e", pipeline, "succeeded", "2", "6", "3", "2", "1", "0.1.0", "1"]])
        // Every record is accounted for.
        #expect(db.value("SELECT count(*) FROM run_inputs WHERE records != loaded + quarantined + filtered") == "0")
        #expect(db.value("PRAGMA integrity_check") == "ok")
        #expect(permissions(output) == 0o600)
        // Only the database and its lock remain: no temporary file.
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.file("out")).sorted()
                == ["result.sqlite", "result.sqlite.lock"])
    }

    @Test func secondRunAppendsToTheRunHistory() throws {
        let workspace = try Workspace()
        let (pipeline, output) = try setUp(workspace)
        let first = try CLI.run(["run", pipeline, "--jobs", "1"])
        try #require(first.exited && first.status == 0, "\(first)")
        let second = try CLI.run(["run", pipeline, "--jobs", "1", "--quiet"])
        try #require(second.exited && second.status == 0, "\(second)")
        #expect(second.stdout.isEmpty, "--quiet prints no summary")

        let db = try Database(output)
        #expect(db.rows("SELECT run_id, status FROM runs ORDER BY run_id") == [["1", "succeeded"], ["2", "succeeded"]])
        #expect(db.rows("SELECT run_id, records, loaded FROM run_inputs ORDER BY run_id") == [["1", "6", "3"], ["2", "6", "3"]])
        // Loaded records and the quarantine are this run's only.
        #expect(db.value("SELECT count(*) FROM src_contacts") == "3")
        #expect(db.rows("SELECT DISTINCT run_id FROM quarantine") == [["2"]])
        #expect(db.value("SELECT count(*) FROM quarantine") == "2")
        #expect(db.value("SELECT count(DISTINCT run_id) FROM run_stages") == "2")
        #expect(db.value("PRAGMA integrity_check") == "ok")
    }

    @Test func failedGateKeepsThePreviousDatabaseByteForByte() throws {
        let workspace = try Workspace()
        let (pipeline, output) = try setUp(workspace)
        let first = try CLI.run(["run", pipeline])
        try #require(first.exited && first.status == 0, "\(first)")
        let before = try #require(fileBytes(output))

        let strict = try workspace.write("strict.yml", fixturePipeline(csv: workspace.file("in/contacts.csv"),
                                                                         output: output, gate: "0"))
        let failed = try CLI.run(["run", strict])
        #expect(failed.exited && failed.status == 1, "\(failed)")
        #expect(failed.stderr.contains("data gate failed"), "\(failed)")
        #expect(failed.stderr.contains("2 of 6 records rejected"), "\(failed)")
        #expect(fileBytes(output) == before, "the published database changed")
        // No temporary file; the failed run is recorded beside the output (ReportTests has the details).
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.file("out")).sorted()
                == ["result.sqlite", "result.sqlite.lock", "result.sqlite.runs.jsonl"], "the failed run left a temporary file")

        // A percentage gate over the limit fails too (2 of 6 is 33%).
        let percent = try workspace.write("percent.yml", fixturePipeline(csv: workspace.file("in/contacts.csv"),
                                                                           output: output, gate: "30%"))
        let failedPercent = try CLI.run(["run", percent])
        #expect(failedPercent.exited && failedPercent.status == 1, "\(failedPercent)")
        #expect(fileBytes(output) == before)

        // ... and one at the limit passes.
        let lenient = try workspace.write("lenient.yml", fixturePipeline(csv: workspace.file("in/contacts.csv"),
                                                                           output: output, gate: "2"))
        let passed = try CLI.run(["run", lenient])
        #expect(passed.exited && passed.status == 0, "\(passed)")
    }

    @Test func invalidPipelineExits78WithPositions() throws {
        let workspace = try Workspace()
        let csv = try workspace.write("in/contacts.csv", fixtureCSV)
        // `delimeter` at 9:5 (line 5 of the fixture pipeline is the empty gate line).
        let text = fixturePipeline(csv: csv, output: workspace.file("out/result.sqlite"))
            .replacingOccurrences(of: "    format: csv\n", with: "    format: csv\n    delimeter: \";\"\n")
        let pipeline = try workspace.write("bad.yml", text)
        let outcome = try CLI.run(["run", pipeline])
        #expect(outcome.exited && outcome.status == 78, "\(outcome)")
        #expect(outcome.stderr.contains("\(pipeline):9:5: error[TR102]: unknown key 'delimeter'"), "\(outcome)")
        #expect(outcome.stderr.contains("did you mean 'delimiter'?"))
        #expect(!FileManager.default.fileExists(atPath: workspace.file("out/result.sqlite")))

        let validate = try CLI.run(["validate", pipeline])
        #expect(validate.exited && validate.status == 78, "\(validate)")
        #expect(validate.stdout.contains("\(pipeline):9:5: error[TR102]:"), "\(validate)")
        #expect(validate.stdout.contains("1 file checked: 1 error, 0 warnings"), "\(validate)")
    }

    @Test func validateGithubFormat() throws {
        let workspace = try Workspace()
        let csv = try workspace.write("in/contacts.csv", fixtureCSV)
        let good = try workspace.write("good.yml", fixturePipeline(csv: csv, output: workspace.file("out/r.sqlite")))
        let bad = try workspace.write("bad.yml", fixturePipeline(csv: csv, output: workspace.file("out/r.sqlite"))
            .replacingOccurrences(of: "lower: [email]", with: "lower: [emal]"))
        let outcome = try CLI.run(["validate", "--format", "github", good, bad])
        #expect(outcome.exited && outcome.status == 78, "\(outcome)")
        // `emal` is on line 16, column 17.
        #expect(outcome.stdout == "::error file=\(bad),line=16,col=17,title=TR201::unknown field 'emal' (hint: did you mean 'email'?)\n",
                "\(outcome)")

        let clean = try CLI.run(["validate", "--format", "github", good])
        #expect(clean.exited && clean.status == 0, "\(clean)")
        #expect(clean.stdout.isEmpty)

        let json = try CLI.run(["validate", "--format", "json", bad])
        #expect(json.status == 78)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["errors"] as? Int == 1)
    }

    @Test func validateAcceptsFoldersAndStandardInput() throws {
        let workspace = try Workspace()
        let csv = try workspace.write("in/contacts.csv", fixtureCSV)
        let goodText = fixturePipeline(csv: csv, output: workspace.file("out/r.sqlite"))
        let badText = goodText.replacingOccurrences(of: "lower: [email]", with: "lower: [emal]")
        let good = try workspace.write("pipelines/a-good.yml", goodText)
        let bad = try workspace.write("pipelines/b-bad.yaml", badText)
        try workspace.write("pipelines/notes.txt", "not a pipeline")
        try workspace.write("pipelines/sub/c.yml", "version: 1\n")  // subfolders are not searched
        for folder in [workspace.file("pipelines"), workspace.file("pipelines") + "/"] {
            let outcome = try CLI.run(["validate", folder])
            #expect(outcome.exited && outcome.status == 78, "\(outcome)")
            #expect(outcome.stdout.contains("\(bad):16:17: error[TR201]: unknown field 'emal'"), "\(outcome)")
            #expect(outcome.stdout.contains("2 files checked: 1 error, 0 warnings"), "\(outcome)")
            #expect(!outcome.stdout.contains("cannot read"), "\(outcome)")
        }
        let github = try CLI.run(["validate", "--format", "github", workspace.file("pipelines")])
        #expect(github.stdout == "::error file=\(bad),line=16,col=17,title=TR201::unknown field 'emal' (hint: did you mean 'email'?)\n", "\(github)")

        // '-': one pipeline from standard input, named <stdin>.
        let piped = try CLI.run(["validate", "-"], standardInput: badText)
        #expect(piped.exited && piped.status == 78, "\(piped)")
        #expect(piped.stdout.contains("<stdin>:16:17: error[TR201]: unknown field 'emal'"), "\(piped)")
        #expect(piped.stdout.contains("1 file checked: 1 error, 0 warnings"), "\(piped)")
        let mixed = try CLI.run(["validate", "-", good], standardInput: goodText)
        #expect(mixed.exited && mixed.status == 0, "\(mixed)")
        #expect(mixed.stdout.contains("2 files checked: 0 errors, 0 warnings"), "\(mixed)")

        // A folder without pipeline files is an error, not silence.
        let empty = try CLI.run(["validate", workspace.file("in")])
        #expect(empty.exited && empty.status == 78, "\(empty)")
        #expect(empty.stdout.contains("\(workspace.file("in")):1:1: error[TR108]: the folder holds no pipeline file (*.yml, *.yaml)"), "\(empty)")
    }

    @Test func versionAndUsageErrors() throws {
        let version = try CLI.run(["--version"])
        #expect(version.exited && version.status == 0, "\(version)")
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")

        let unknownOption = try CLI.run(["run", "--no-such-option", "x.yml"])
        #expect(unknownOption.exited && unknownOption.status == 64, "\(unknownOption)")

        let badJobs = try CLI.run(["run", "x.yml", "--jobs", "0"])
        #expect(badJobs.exited && badJobs.status == 64, "\(badJobs)")

        let missingFile = try CLI.run(["run", "/nonexistent/tributary/p.yml"])
        #expect(missingFile.exited && missingFile.status == 78, "\(missingFile)")
        #expect(missingFile.stderr.contains("error[TR108]"), "\(missingFile)")
    }

    /// A process id no process can have (above the kernel's pid_max).
    static func deadPID() -> Int {
        let max = (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 4_194_304
        return max + 1
    }

    @Test func leftoverTemporaryFileIsRemovedByTheNextRun() throws {
        let workspace = try Workspace()
        let (pipeline, output) = try setUp(workspace)
        let leftover = try workspace.write("out/.result.sqlite.tmp-\(Self.deadPID())-456", "half-written database")
        // Unrelated files are left alone.
        let unrelated = try workspace.write("out/.other.sqlite.tmp-1-2", "not ours")
        let outcome = try CLI.run(["run", pipeline])
        try #require(outcome.exited && outcome.status == 0, "\(outcome)")
        #expect(!FileManager.default.fileExists(atPath: leftover))
        #expect(FileManager.default.fileExists(atPath: unrelated))
        #expect(FileManager.default.fileExists(atPath: output))
    }

    @Test func aRunWhoseLockFileWasDeletedKeepsItsOutputFromTheNextRun() throws {
        // A live process's temporary file in the output folder and no lock held (its lock file was
        // deleted): the next run must not delete that file nor write beside it; it exits 75.
        let workspace = try Workspace()
        let (pipeline, output) = try setUp(workspace)
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sleep")
        writer.arguments = ["30"]
        try writer.run()
        defer { writer.terminate(); writer.waitUntilExit() }
        let working = try workspace.write("out/.result.sqlite.tmp-\(writer.processIdentifier)-1", "a live run's database")
        let blocked = try CLI.run(["run", pipeline])
        #expect(blocked.exited && blocked.status == 75, "\(blocked)")
        #expect(blocked.stderr.contains("pid \(writer.processIdentifier)"), "\(blocked)")
        #expect(FileManager.default.fileExists(atPath: working))
        #expect(!FileManager.default.fileExists(atPath: output))
        // Once that process is gone, its file is a leftover: removed, and the run goes ahead.
        writer.terminate()
        writer.waitUntilExit()
        let next = try CLI.run(["run", pipeline])
        #expect(next.exited && next.status == 0, "\(next)")
        #expect(!FileManager.default.fileExists(atPath: working))
    }

    @Test func heldLockMakesASecondRunExit75() throws {
        let workspace = try Workspace()
        let (pipeline, output) = try setUp(workspace)
        let first = try CLI.run(["run", pipeline])
        try #require(first.exited && first.status == 0, "\(first)")
        let before = try #require(fileBytes(output))

        let fd = open(output + ".lock", O_RDWR | O_CREAT, 0o600)
        try #require(fd >= 0)
        defer { close(fd) }
        try #require(flock(fd, LOCK_EX) == 0)

        let blocked = try CLI.run(["run", pipeline])
        #expect(blocked.exited && blocked.status == 75, "\(blocked)")
        #expect(blocked.stderr.contains("lock"), "\(blocked)")
        #expect(fileBytes(output) == before)

        flock(fd, LOCK_UN)
        let after = try CLI.run(["run", pipeline])
        #expect(after.exited && after.status == 0, "\(after)")
    }

    @Test func emptyInputFileRunsCleanly() throws {
        let workspace = try Workspace()
        let csv = try workspace.write("in/empty.csv", [UInt8]())
        let output = workspace.file("out/result.sqlite")
        let pipeline = try workspace.write("p.yml", fixturePipeline(csv: csv, output: output))
        let outcome = try CLI.run(["run", pipeline])
        #expect(outcome.exited && outcome.status == 0, "\(outcome)")
        if outcome.exited && outcome.status == 0 {
            let db = try Database(output)
            #expect(db.value("SELECT count(*) FROM src_contacts") == "0")
            #expect(db.rows("SELECT physical_lines, records FROM run_inputs") == [["0", "0"]])
        }
    }

    @Test func headerOnlyInputFileRunsCleanly() throws {
        let workspace = try Workspace()
        let csv = try workspace.write("in/header.csv", "Contact ID,Email,Note\n")
        let output = workspace.file("out/result.sqlite")
        let pipeline = try workspace.write("p.yml", fixturePipeline(csv: csv, output: output))
        let outcome = try CLI.run(["run", pipeline])
        try #require(outcome.exited && outcome.status == 0, "\(outcome)")
        let db = try Database(output)
        #expect(db.value("SELECT count(*) FROM src_contacts") == "0")
        #expect(db.rows("SELECT physical_lines, header_lines, records FROM run_inputs") == [["1", "1", "0"]])
    }

    // MARK: - Same output on one job and on two

    /// About 3 MB of contacts with multi-line notes and broken rows, and what a run must load.
    struct BigInput {
        var bytes: [UInt8] = []
        var loaded = 0
        /// The line of each loaded record, in file order.
        var loadedLines: [String?] = []
        /// (line, reason) of each record that must be quarantined, in file order.
        var rejected: [[String]] = []

        init(seed: UInt64, targetBytes: Int) {
            var rng = SplitMix64(seed: seed)
            bytes = Array("id,name,email,note\n".utf8)
            var line = 2
            var i = 0
            while bytes.count < targetBytes {
                let kind = rng.below(1000)
                let row: String
                var lines = 1
                switch kind {
                case 0..<5:
                    row = "\(i),broken \(i)"                       // 2 fields of 4
                    rejected.append(["\(line)", "wrong_field_count"])
                case 5..<60:
                    row = "\(i),Name \(i),user\(i)@example.com,\"first line \(i)\nsecond line, with comma\""
                    lines = 2
                    loaded += 1
                    loadedLines.append("\(line)")
                default:
                    let filler = String(repeating: "x", count: 40 + rng.below(60))
                    row = "\(i),Name \(i),user\(i)@example.com,\(filler)"
                    loaded += 1
                    loadedLines.append("\(line)")
                }
                bytes += Array(row.utf8) + [0x0A]
                line += lines
                i += 1
            }
        }
    }

    @Test func oneJobAndTwoJobsProduceTheSameTables() throws {
        let workspace = try Workspace()
        let input = BigInput(seed: 2024, targetBytes: 3 << 20)
        let csv = try workspace.write("in/big.csv", input.bytes)
        func pipeline(_ output: String) -> String {
            """
            version: 1
            name: big
            output:
              sqlite: \(output)
            sources:
              big:
                format: csv
                path: \(csv)
                fields:
                  id: id
                  name: name
                  email: email
                  note: note
                transforms:
                  - upper: [name]

            """
        }
        let one = try workspace.write("one.yml", pipeline(workspace.file("out/one.sqlite")))
        let two = try workspace.write("two.yml", pipeline(workspace.file("out/two.sqlite")))
        let runOne = try CLI.run(["run", one, "--jobs", "1", "--piece-mib", "1"])
        try #require(runOne.exited && runOne.status == 0, "\(runOne)")
        let runTwo = try CLI.run(["run", two, "--jobs", "2", "--piece-mib", "1"])
        try #require(runTwo.exited && runTwo.status == 0, "\(runTwo)")

        let dbOne = try Database(workspace.file("out/one.sqlite"))
        let dbTwo = try Database(workspace.file("out/two.sqlite"))
        let table = "SELECT _record_id, _file_id, _line, id, name, email, note FROM src_big ORDER BY _record_id"
        let quarantine = "SELECT file_id, line, reason, detail, raw FROM quarantine ORDER BY quarantine_id"
        let counts = "SELECT physical_lines, header_lines, blank_lines, records, loaded, quarantined, filtered FROM run_inputs"
        let tableOne = dbOne.rows(table)
        #expect(tableOne.count == input.loaded)
        #expect(tableOne == dbTwo.rows(table), "the loaded rows differ between --jobs 1 and --jobs 2")
        #expect(dbOne.rows(quarantine) == dbTwo.rows(quarantine))
        #expect(dbOne.rows("SELECT line, reason FROM quarantine ORDER BY quarantine_id") == input.rejected)
        #expect(dbOne.rows(counts) == dbTwo.rows(counts))
        #expect(dbOne.rows("SELECT jobs FROM runs") == [["1"]])
        #expect(dbTwo.rows("SELECT jobs FROM runs") == [["2"]])
        // The generator knows each loaded record's line; names are upper-cased.
        #expect(tableOne.map { $0[2] } == input.loadedLines)
        #expect(tableOne.allSatisfy { $0[4]?.hasPrefix("NAME ") == true })
        // The input was cut into several pieces at 1 MiB (the plan stage counts them).
        #expect(input.bytes.count > 3 << 20)
        let pieces = Int(dbTwo.value("SELECT records_out FROM run_stages WHERE stage = 'plan'") ?? "") ?? 0
        #expect(pieces >= 3, "pieces: \(pieces)")
        #expect(input.rejected.count >= 3)
    }
}
