import Foundation
import Testing
import TributaryMatching
import TributaryTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Runs killed at random moments, interrupted by signals, or unable to write: the published
/// output must always be the previous complete database or a new complete one, never half.
@Suite("Crash safety", .serialized)
struct CrashSafetyTests {
    /// A CSV big enough that a run takes a while, and a pipeline over it.
    static func fixture(rows: Int) throws -> (Workspace, pipeline: String, output: String) {
        let ws = try Workspace()
        var text = "id,name,email,city,amount\n"
        text.reserveCapacity(rows * 60)
        for i in 0..<rows {
            text += "\(i),Name \(i % 977),user\(i)@example.com,\"City, \(i % 131)\",\(i % 10_000).\(i % 100)\n"
        }
        try ws.write("in/data.csv", text)
        let pipeline = try ws.write("crash.yml", """
            version: 1
            name: crash
            output: { sqlite: out/crash.sqlite }
            sources:
              data:
                format: csv
                path: in/data.csv
                fields:
                  id: { column: id, type: integer }
                  name: name
                  email: email
                  city: city
                  amount: { column: amount, type: decimal }
                transforms:
                  - lower: [email]
            """)
        return (ws, pipeline, ws.file("out/crash.sqlite"))
    }

    /// Starts `pipeline run`, kills it with `signal` after `delay` seconds (if still running).
    static func runAndKill(_ arguments: [String], after delay: Double, signal: Int32) throws -> (status: Int32, exited: Bool) {
        let binary = try #require(CLI.binary)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(useconds_t(delay * 1_000_000))
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason == .exit)
    }

    static func check(_ output: String, rows: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let db = try Database(output, sourceLocation: sourceLocation)
        #expect(db.value("PRAGMA integrity_check") == "ok", sourceLocation: sourceLocation)
        #expect(db.value("SELECT count(*) FROM src_data") == String(rows), sourceLocation: sourceLocation)
        #expect(db.value("SELECT count(*) FROM runs WHERE status = 'succeeded'") == db.value("SELECT count(*) FROM runs"),
                sourceLocation: sourceLocation)
    }

    @Test func killMinus9AtRandomMomentsNeverBreaksThePublishedDatabase() throws {
        let rows = 150_000
        let (ws, pipeline, output) = try Self.fixture(rows: rows)
        let first = try CLI.run(["run", pipeline, "--jobs", "1", "--quiet"])
        #expect(first.status == 0, "\(first)")
        try Self.check(output, rows: rows)

        // How long a run takes here, to spread the kills over its whole length.
        let started = Date()
        _ = try CLI.run(["run", pipeline, "--jobs", "1", "--quiet"])
        let duration = max(0.2, Date().timeIntervalSince(started))

        var random = SplitMix64(seed: 2024)
        var killedMidway = 0
        for _ in 0..<8 {
            let before = fileBytes(output)
            let runsBefore = try Database(output).value("SELECT count(*) FROM runs").flatMap { Int($0) } ?? -1
            let delay = duration * Double(random.below(1000)) / 1000
            let outcome = try Self.runAndKill(["run", pipeline, "--jobs", "2", "--quiet"], after: delay, signal: SIGKILL)
            if !outcome.exited { killedMidway += 1 }
            // Old or new, never half: the file opens, is intact and complete.
            try Self.check(output, rows: rows)
            // Killed before its rename: byte for byte the previous file; after it: the new one,
            // with one more run in its ledger.
            let runsAfter = try Database(output).value("SELECT count(*) FROM runs").flatMap { Int($0) } ?? -1
            #expect(fileBytes(output) == before || runsAfter == runsBefore + 1,
                    "the published file changed without a new complete run")
        }
        #expect(killedMidway > 0, "no run was killed while running; the fixture is too small for this machine")

        // The next run cleans what the killed runs left and succeeds.
        let next = try CLI.run(["run", pipeline, "--quiet"])
        #expect(next.status == 0, "\(next)")
        #expect(ws.contents("out").filter { $0.contains(".tmp-") }.isEmpty, "leftovers: \(ws.contents("out"))")
        try Self.check(output, rows: rows)
    }

    @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func signalsAbortCleanly(signal: Int32, expected: Int32) throws {
        let rows = 150_000
        let (ws, pipeline, output) = try Self.fixture(rows: rows)
        #expect(try CLI.run(["run", pipeline, "--quiet"]).status == 0)
        let before = fileBytes(output)
        let outcome = try Self.runAndKill(["run", pipeline, "--jobs", "1", "--quiet"], after: 0.15, signal: signal)
        if outcome.exited, outcome.status == 0 { return }  // finished before the signal: nothing to check
        #expect(outcome.exited && outcome.status == expected, "status \(outcome.status), exited \(outcome.exited)")
        #expect(fileBytes(output) == before, "the published database changed")
        #expect(ws.contents("out").filter { $0.contains(".tmp-") }.isEmpty, "temporary files left: \(ws.contents("out"))")
    }

    /// SIGTERM at moments spread over a whole run (report included): the exit status says which
    /// output is in place. 143: the previous one, byte for byte; 0: the new one, one more run in
    /// its ledger (the signal arrived while or after it was published).
    @Test func aSignalsExitStatusSaysWhichOutputIsInPlace() throws {
        let rows = 150_000
        let (ws, pipeline, output) = try Self.fixture(rows: rows)
        #expect(try CLI.run(["run", pipeline, "--quiet"]).status == 0)
        let report = ws.file("out/report.html")
        let started = Date()
        _ = try CLI.run(["run", pipeline, "--quiet", "--report", report])
        let duration = max(0.2, Date().timeIntervalSince(started))
        var random = SplitMix64(seed: 143)
        var statuses: [Int32] = []
        for _ in 0..<8 {
            let before = fileBytes(output)
            let runsBefore = try Database(output).value("SELECT count(*) FROM runs").flatMap { Int($0) } ?? -1
            let delay = duration * Double(500 + random.below(600)) / 1000
            let outcome = try Self.runAndKill(["run", pipeline, "--jobs", "2", "--quiet", "--report", report], after: delay, signal: SIGTERM)
            #expect(outcome.exited, "the handler exits; it is not killed")
            statuses.append(outcome.status)
            let runsAfter = try Database(output).value("SELECT count(*) FROM runs").flatMap { Int($0) } ?? -1
            switch outcome.status {
            case 143: #expect(fileBytes(output) == before && runsAfter == runsBefore, "143, but the output changed")
            case 0: #expect(runsAfter == runsBefore + 1, "0, but no new run is published")
            default: Issue.record("unexpected status \(outcome.status)")
            }
            #expect(ws.contents("out").filter { $0.contains(".tmp-") }.isEmpty, "temporary files left: \(ws.contents("out"))")
        }
        #expect(statuses.contains(143), "no signal arrived before the publish: \(statuses)")
    }

    @Test func anUnwritableReportAfterAPublishedRunIsAWarning() throws {
        let (ws, pipeline, output) = try Self.fixture(rows: 100)
        // Under a regular file: no folder can be made there, whoever runs the test.
        let outcome = try CLI.run(["run", pipeline, "--quiet", "--report", pipeline + "/report.html"])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stderr.contains("warning:") && outcome.stderr.contains("run 1 succeeded and its output is published, only the report is missing"),
                "\(outcome)")
        try Self.check(output, rows: 100)
    }

    @Test func unwritableOutputFolderFailsClearlyAndKeepsTheOldOutput() throws {
        guard getuid() != 0 else {
            // root ignores directory permissions; use a path under a regular file instead.
            let (ws, pipeline, _) = try Self.fixture(rows: 10)
            try ws.write("blocker", "not a folder")
            let text = try String(contentsOfFile: pipeline, encoding: .utf8)
                .replacingOccurrences(of: "out/crash.sqlite", with: "blocker/crash.sqlite")
            try ws.write("crash.yml", text)
            let outcome = try CLI.run(["run", pipeline])
            #expect(outcome.status == 1, "\(outcome)")
            #expect(outcome.stderr.contains("cannot create the output folder"), "\(outcome)")
            return
        }
        let (ws, pipeline, output) = try Self.fixture(rows: 10)
        #expect(try CLI.run(["run", pipeline, "--quiet"]).status == 0)
        let before = fileBytes(output)
        chmod(ws.file("out"), 0o500)
        defer { chmod(ws.file("out"), 0o700) }
        let outcome = try CLI.run(["run", pipeline])
        #expect(outcome.status == 1, "\(outcome)")
        #expect(outcome.stderr.contains("not writable"), "\(outcome)")
        #expect(fileBytes(output) == before)
    }

    /// Whether this process may mount a small tmpfs (root on Linux); the full-disk test needs one.
    static let canMountTmpfs: Bool = {
        #if os(Linux)
        guard getuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-mount-probe-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        defer { rmdir(probe) }
        guard mount("tmpfs", probe, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount(probe)
        return true
        #else
        return false
        #endif
    }()

    @Test(.enabled(if: canMountTmpfs, "needs root to mount a small tmpfs"))
    func fullDiskFailsClearlyAndKeepsTheOldOutput() throws {
        #if os(Linux)
        let (ws, pipeline, _) = try Self.fixture(rows: 2_000)
        let disk = ws.file("disk")
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        #expect(mount("tmpfs", disk, "tmpfs", 0, "size=1m") == 0)
        defer { umount(disk) }
        let text = try String(contentsOfFile: pipeline, encoding: .utf8)
            .replacingOccurrences(of: "out/crash.sqlite", with: "disk/crash.sqlite")
        try ws.write("crash.yml", text)
        #expect(try CLI.run(["run", pipeline, "--quiet"]).status == 0)
        let output = disk + "/crash.sqlite"
        let before = fileBytes(output)
        // Leave less room than a second database needs.
        let room = 1_048_576 - (before?.count ?? 0) - 64 * 1024
        try ws.write("disk/filler", [UInt8](repeating: 0, count: max(0, room)))
        let outcome = try CLI.run(["run", pipeline])
        #expect(outcome.status == 1, "\(outcome)")
        #expect(outcome.stderr.contains("is full"), "\(outcome)")
        #expect(fileBytes(output) == before, "the published database changed")
        #expect(ws.contents("disk").filter { $0.contains(".tmp-") }.isEmpty)
        try Self.check(output, rows: 2_000)
        #endif
    }
}
