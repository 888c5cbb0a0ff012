import Foundation
import Testing
import TributaryTestSupport

/// `output: postgres:` against a real PostgreSQL server: the throwaway cluster `Scripts/test`
/// starts with `Scripts/postgres` (it exports TRIBUTARY_TEST_POSTGRES_URL and PGPASSWORD). The
/// server's side is read with `psql`, not with Tributary's code.
@Suite("PostgreSQL output", .serialized, .enabled(if: PostgresServer.url != nil))
struct PostgresOutputTests {
    /// The Acme pipeline on the Acme sample, under a name of its own (its schema), to both outputs.
    static func pipeline(in ws: Workspace, name: String) throws -> String {
        var text = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Pipelines/acme.yml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "name: acme\n", with: "name: \(name)\n")
        text = text.replacingOccurrences(of: "  sqlite: ${TRIBUTARY_OUT:-../out}/acme.sqlite\n",
                                         with: "  sqlite: ${TRIBUTARY_OUT:-../out}/acme.sqlite\n  postgres: ${PG_URL}\n")
        return try ws.write("acme.yml", text)
    }

    static func environment(_ ws: Workspace, url: String? = PostgresServer.url) -> [String: String] {
        ["ACME_DATA": CLI.packageRoot.appendingPathComponent("SampleData/acme").path, "PG_URL": url ?? "",
         "TRIBUTARY_OUT": ws.file("out")]
    }

    static func uniqueName() -> String { "acme_pg_" + UUID().uuidString.prefix(8).lowercased() }

    @Test func bothOutputsHoldTheSameRowsRunAfterRun() throws {
        let ws = try Workspace()
        let name = Self.uniqueName()
        let file = try Self.pipeline(in: ws, name: name)
        defer { PostgresServer.dropSchema(name) }
        for (run, day) in ["2024-11-15", "2024-11-16"].enumerated() {
            let outcome = try CLI.run(["run", file, "--as-of", day], environment: Self.environment(ws))
            try #require(outcome.exited && outcome.status == 0, "\(outcome)")
            let db = try Database(ws.file("out/acme.sqlite"))
            let tables = db.rows("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name").compactMap { $0[0] }
            #expect(tables.count > 20)
            let pgTables = try PostgresServer.lines("SELECT table_name FROM information_schema.tables WHERE table_schema = '\(name)' ORDER BY table_name")
            #expect(pgTables == tables.sorted())
            for table in tables {
                let columns = try PostgresServer.lines("""
                    SELECT column_name || ' ' || data_type FROM information_schema.columns
                    WHERE table_schema = '\(name)' AND table_name = '\(table)' ORDER BY ordinal_position
                    """).map { $0.split(separator: " ", maxSplits: 1).map(String.init) }
                let sqliteColumns = db.rows("SELECT name FROM pragma_table_info('\(table)') ORDER BY cid").compactMap { $0[0] }
                #expect(columns.map { $0[0] } == sqliteColumns, "\(table)")
                // Each value as text on both sides: bytes as hex, floating point to 9 decimals.
                let lists = columns.map { c -> (sqlite: String, postgres: String) in
                    let q = "\"\(c[0])\""
                    switch c[1] {
                    case "bytea": return ("lower(hex(\(q)))", "encode(\(q), 'hex')")
                    case "double precision": return ("CASE WHEN \(q) IS NOT NULL THEN printf('%.9f', \(q)) END", "to_char(\(q), 'FM999999999990.000000000')")
                    default: return ("CAST(\(q) AS TEXT)", "\(q)::text")
                    }
                }
                let sqliteList = lists.map(\.sqlite).joined(separator: ", ")
                let pgList = lists.map(\.postgres).joined(separator: ", ")
                let expected = db.rows("SELECT \(sqliteList) FROM \"\(table)\"").map { $0.map { $0 ?? "\\N" }.joined(separator: "\u{1F}") }.sorted()
                let actual = try PostgresServer.copyRows("SELECT \(pgList) FROM \"\(name)\".\"\(table)\"").sorted()
                #expect(actual.count == expected.count, "\(table) after run \(run + 1)")
                #expect(actual == expected, "\(table) after run \(run + 1): first difference \(zip(actual, expected).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "in the count")")
            }
            #expect(try PostgresServer.lines("SELECT count(*) FROM \"\(name)\".runs") == ["\(run + 1)"])
            // The same indexes (SQLite's own key indexes aside), and a primary key where SQLite has one.
            let sqliteIndexes = db.rows("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").compactMap { $0[0] }
            let pgIndexes = try PostgresServer.lines("SELECT indexname FROM pg_indexes WHERE schemaname = '\(name)' AND indexname NOT LIKE '%\\_pkey' ORDER BY indexname")
            #expect(pgIndexes == sqliteIndexes)
            #expect(try PostgresServer.lines("SELECT count(*) FROM pg_indexes WHERE schemaname = '\(name)' AND indexname = 'profiles_pkey'") == ["1"])
        }
        // The commands that read an output read the PostgreSQL one by URL, and say the same.
        let url = try #require(PostgresServer.url) + "#" + name
        let sqlitePath = ws.file("out/acme.sqlite")
        let profile = try #require(try Database(sqlitePath).value("SELECT profile_id FROM profiles ORDER BY records DESC, profile_id LIMIT 1"))
        for command in [["inspect"], ["runs"], ["explain"]] {
            let arguments = { (output: String) in command[0] == "explain" ? ["explain", output, profile] : command + [output] }
            let fromFile = try CLI.run(arguments(sqlitePath))
            let fromServer = try CLI.run(arguments(url))
            #expect(fromFile.status == 0 && fromServer.status == 0, "\(command): \(fromServer)")
            // Only the line naming the output differs.
            let strip = { (text: String, output: String) in text.replacingOccurrences(of: output, with: "OUTPUT") }
            #expect(strip(fromServer.stdout, url) == strip(fromFile.stdout, sqlitePath), "\(command)")
        }
        let withPassword = url.replacingOccurrences(of: "postgresql://tributary@", with: "postgresql://tributary:s3cret-x@")
        let refused = try CLI.run(["inspect", withPassword])
        #expect(refused.status == 1 && refused.stderr.contains("holds a password") && !refused.stderr.contains("s3cret-x"), "\(refused)")
        // No staging or old schema is left.
        #expect(try PostgresServer.lines("SELECT nspname FROM pg_namespace WHERE nspname LIKE '\(name)%' ORDER BY 1") == [name])
    }

    @Test func aSecondRunWhileOneHoldsTheLockExits75() throws {
        let ws = try Workspace()
        let name = Self.uniqueName()
        let file = try Self.pipeline(in: ws, name: name)
        // Another session holds the pipeline's advisory lock, as a running run does.
        let holder = try PostgresServer.background("SELECT pg_advisory_lock(hashtext('tributary:\(name)')); SELECT pg_sleep(30);")
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
        var held = false
        for _ in 0..<100 where !held {
            held = try PostgresServer.lines("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted") != ["0"]
            if !held { usleep(50_000) }
        }
        try #require(held)
        let outcome = try CLI.run(["run", file], environment: Self.environment(ws))
        #expect(outcome.exited && outcome.status == 75, "\(outcome)")
        #expect(outcome.stderr.contains("another run of '\(name)' is writing the PostgreSQL output"), "\(outcome)")
        #expect(!FileManager.default.fileExists(atPath: ws.file("out/acme.sqlite")), "the run stopped before any work")
    }

    @Test func aWrongPasswordOrServerIsAClearErrorWithoutTheSecret() throws {
        let ws = try Workspace()
        let file = try Self.pipeline(in: ws, name: Self.uniqueName())
        let url = try #require(PostgresServer.url)
        let secret = "n0t-the-Passw0rd"
        let wrong = url.replacingOccurrences(of: "postgresql://tributary@", with: "postgresql://tributary:\(secret)@")
        let outcome = try CLI.run(["run", file], environment: Self.environment(ws, url: wrong))
        #expect(outcome.exited && outcome.status == 1, "\(outcome)")
        // The server is named as the pipeline file names it, never by the variable's value.
        #expect(outcome.stderr.contains("cannot connect to the PostgreSQL output ${PG_URL}: "), "\(outcome)")
        #expect(outcome.stderr.contains("password authentication failed"), "\(outcome)")
        #expect(!outcome.stderr.contains(secret) && !outcome.stdout.contains(secret))

        let unreachable = url.replacingOccurrences(of: #":\d+/"#, with: ":1/", options: .regularExpression)
        let refused = try CLI.run(["run", file], environment: Self.environment(ws, url: unreachable))
        #expect(refused.exited && refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("cannot connect to the PostgreSQL output"), "\(refused)")

        // A password written in the pipeline file itself is refused by validation, unquoted.
        let literal = try ws.write("literal.yml", try String(contentsOfFile: file, encoding: .utf8)
            .replacingOccurrences(of: "${PG_URL}", with: "postgresql://tributary:\(secret)@localhost/x"))
        let validate = try CLI.run(["validate", literal], environment: Self.environment(ws))
        #expect(validate.exited && validate.status != 0, "\(validate)")
        #expect((validate.stdout + validate.stderr).contains("holds a password written in the pipeline file"), "\(validate)")
        #expect(!validate.stderr.contains(secret) && !validate.stdout.contains(secret), "\(validate)")
    }

    @Test func postgresAloneKeepsItsHistoryOnAFreshMachine() throws {
        let ws = try Workspace()
        let name = Self.uniqueName()
        var text = try String(contentsOfFile: try Self.pipeline(in: ws, name: name), encoding: .utf8)
        text = text.replacingOccurrences(of: "  sqlite: ${TRIBUTARY_OUT:-../out}/acme.sqlite\n", with: "")
        let file = try ws.write("alone.yml", text)
        defer { PostgresServer.dropSchema(name) }
        var ids: [[String]] = []
        for run in 1...3 {
            // A fresh machine each time: no working copy; the history comes from the server.
            try? FileManager.default.removeItem(atPath: ws.file(".tributary"))
            let outcome = try CLI.run(["run", file, "--as-of", "2024-11-15"], environment: Self.environment(ws))
            try #require(outcome.exited && outcome.status == 0, "\(outcome)")
            #expect(outcome.stdout.contains("output: PostgreSQL ${PG_URL}, schema \(name)"), "\(outcome)")
            if run > 1 { #expect(outcome.stderr.contains("fetched the published output (run \(run - 1))"), "\(outcome)") }
            #expect(FileManager.default.fileExists(atPath: ws.file(".tributary/\(name).sqlite")))
            ids.append(try PostgresServer.lines("SELECT profile_id FROM \"\(name)\".profiles ORDER BY 1"))
        }
        #expect(try PostgresServer.lines("SELECT run_id FROM \"\(name)\".runs ORDER BY 1") == ["1", "2", "3"])
        // Stable ids and no segment churn: runs 2 and 3 saw the same data as run 1.
        #expect(ids[0].count > 1000 && ids[1] == ids[0] && ids[2] == ids[0])
        #expect(try PostgresServer.lines("SELECT count(*) FROM \"\(name)\".segment_changes WHERE run_id > 1") == ["0"])
        #expect(try PostgresServer.lines("SELECT count(*) FROM \"\(name)\".profile_id_changes") == ["0"])
    }

    @Test func aKilledRunLeavesThePublishedSchemaAndTheNextRunCleansUp() throws {
        let ws = try Workspace()
        let name = Self.uniqueName()
        let file = try Self.pipeline(in: ws, name: name)
        defer { PostgresServer.dropSchema(name) }
        let first = try CLI.run(["run", file, "--as-of", "2024-11-15"], environment: Self.environment(ws))
        try #require(first.exited && first.status == 0, "\(first)")
        // A whole output: the profiles its last run says it made are the rows of `profiles`.
        func expectWhole(_ context: String) throws {
            let recorded = try PostgresServer.lines("""
                SELECT records_out FROM "\(name)".run_stages
                WHERE stage = 'identity' AND run_id = (SELECT max(run_id) FROM "\(name)".runs)
                """)
            #expect(recorded == (try PostgresServer.lines("SELECT count(*) FROM \"\(name)\".profiles")), "\(context)")
        }
        func start() throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try #require(CLI.binary))
            process.arguments = ["run", file, "--as-of", "2024-11-16"]
            process.environment = ProcessInfo.processInfo.environment.merging(Self.environment(ws)) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        func publishedRuns() throws -> Int { Int(try PostgresServer.lines("SELECT count(*) FROM \"\(name)\".runs").first ?? "") ?? -1 }
        // kill -9 at moments spread over a run (the load, identity, the copy into PostgreSQL).
        var sawStaging = false
        var runs = try publishedRuns()
        for delay in [300_000, 900_000, 1_500_000, 2_500_000, 4_000_000] as [useconds_t] {
            let process = try start()
            usleep(delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let staging = try PostgresServer.lines("SELECT count(*) FROM pg_namespace WHERE nspname LIKE '\(name)\\_\\_run\\_%'")
            if staging != ["0"] { sawStaging = true }
            // Readers see a whole output, the one before or a finished later one, never half.
            let now = try publishedRuns()
            #expect(now >= runs, "after kill -9 at \(delay) µs")
            runs = now
            try expectWhole("after kill -9 at \(delay) µs")
        }
        // Once more, killed as soon as its staging schema appears: during the copy into PostgreSQL.
        let before = try publishedRuns()
        let process = try start()
        var killedDuringCopy = false
        while process.isRunning {
            let staging = try PostgresServer.lines("SELECT count(*) FROM pg_namespace WHERE nspname LIKE '\(name)\\_\\_run\\_%'")
            if staging != ["0"] {
                kill(process.processIdentifier, SIGKILL)
                killedDuringCopy = true
                break
            }
            usleep(10_000)
        }
        process.waitUntilExit()
        if killedDuringCopy {
            sawStaging = true
            #expect(try publishedRuns() == before, "the published schema is the one before")
            try expectWhole("after kill -9 during the copy")
        }
        let last = try CLI.run(["run", file, "--as-of", "2024-11-17"], environment: Self.environment(ws))
        #expect(last.exited && last.status == 0, "\(last)")
        #expect(try PostgresServer.lines("SELECT nspname FROM pg_namespace WHERE nspname LIKE '\(name)%' ORDER BY 1") == [name])
        #expect(sawStaging, "a kill -9 landed during the copy into PostgreSQL")
    }
}

/// The test server, through `psql`.
enum PostgresServer {
    static let url: String? = {
        let value = ProcessInfo.processInfo.environment["TRIBUTARY_TEST_POSTGRES_URL"] ?? ""
        return value.isEmpty ? nil : value
    }()

    static func psql(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url ?? "", "-X", "-q", "-v", "ON_ERROR_STOP=1"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The rows of a one-column query.
    static func lines(_ sql: String) throws -> [String] {
        let (status, output) = try psql(["-At", "-c", sql])
        try #require(status == 0, "psql failed on \(sql)")
        return output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// Rows through COPY text format, columns joined by U+001F (NULL is \N, as in SQLite's side).
    static func copyRows(_ sql: String) throws -> [String] {
        let (status, output) = try psql(["-c", "COPY (\(sql)) TO STDOUT"])
        try #require(status == 0, "psql failed on \(sql)")
        return output.split(separator: "\n").map { line in
            line.split(separator: "\t", omittingEmptySubsequences: false).map { field in
                field == "\\N" ? "\\N" : field.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\t", with: "\t")
                    .replacingOccurrences(of: "\\r", with: "\r").replacingOccurrences(of: "\\\\", with: "\\")
            }.joined(separator: "\u{1F}")
        }
    }

    static func background(_ sql: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url ?? "", "-X", "-q", "-c", sql]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func dropSchema(_ name: String) {
        _ = try? psql(["-c", "DROP SCHEMA IF EXISTS \"\(name)\" CASCADE"])
    }
}

/// With TRIBUTARY_REQUIRE_POSTGRES=1 (Scripts/test, CI) a missing server is a failure, not a skip.
@Test func thePostgresServerIsThereWhenRequired() {
    if ProcessInfo.processInfo.environment["TRIBUTARY_REQUIRE_POSTGRES"] == "1" {
        #expect(PostgresServer.url != nil, "Scripts/test starts a server with Scripts/postgres and exports its URL")
    }
}
