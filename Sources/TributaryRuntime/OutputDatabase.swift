import Foundation
import TributaryComponents
import TributaryConfig

/// Opening a published output for reading (`inspect`, `runs`, `report`, `explain`). A path that
/// is not a Tributary output is the user's mistake, not a bug: each case is an input error (exit 1)
/// with a hint, never an SQLite message reported as an internal error.
enum OutputDatabase {
    /// What to give instead of a path that holds no output.
    static let publishedHint = "give the path of a database that `pipeline run` published (`output.sqlite` of its pipeline)"

    /// The output at `path`, opened read-only, with the names of its tables and views.
    static func open(_ path: String) throws(RunError) -> (db: SQLiteDatabase, tables: Set<String>) {
        if PostgresURL.isURL(path) { return try openPostgres(path) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw mistake("no output database at \(path)", hint: publishedHint)
        }
        if isDirectory.boolValue {
            throw mistake("\(path) is a folder, not an output database", hint: "give the `.sqlite` file that a run published in it")
        }
        let db = try SQLiteDatabase(path: path, readOnly: true)
        var tables = Set<String>()
        do {
            let list = try db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
            while try list.next() { if let name = list.text(0) { tables.insert(name) } }
        } catch {
            throw mistake("\(path) is not an output database (it is not an SQLite file)", hint: hint(forNonDatabase: path))
        }
        guard tables.contains("runs"), tables.contains("run_inputs") else {
            throw mistake("\(path) is an SQLite database but not a Tributary output (it has no run ledger: no `runs` table)",
                          hint: publishedHint)
        }
        return (db, tables)
    }

    /// A PostgreSQL output (`output: postgres:`), read into a temporary SQLite file that is
    /// unlinked once open (it goes with the process).
    static func openPostgres(_ url: String) throws(RunError) -> (db: SQLiteDatabase, tables: Set<String>) {
        // A password in an argument is seen by every user of the machine (ps) and kept in shell history.
        guard !PostgresURL.hasPassword(url) else {
            throw mistake("the PostgreSQL URL holds a password; commands do not take one in their arguments",
                          hint: "leave it out of the URL and set PGPASSWORD or a ~/.pgpass line")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-fetch-\(getpid())-\(UUID().uuidString).sqlite").path
        defer { unlink(path) }  // once open, or when the fetch fails
        try PostgresOutput.fetch(url, into: path)
        return try open(path)
    }

    static func mistake(_ message: String, hint: String) -> RunError {
        .input(message + "\n  hint: " + hint)
    }

    /// For a file that is not SQLite: if it is a pipeline file, where its output is.
    static func hint(forNonDatabase path: String) -> String {
        let lower = path.lowercased()
        if lower.hasSuffix(".yml") || lower.hasSuffix(".yaml") {
            if let output = PipelineLoader(catalog: Registry.standard, mode: .validate).load(path: path).0?.outputPath {
                let missing = FileManager.default.fileExists(atPath: output) ? "" : " (not written yet: `pipeline run \(path)` first)"
                return "this is a pipeline file; its output is \(output)\(missing)"
            }
            return "this looks like a pipeline file; give the `output.sqlite` file its runs publish"
        }
        return publishedHint
    }
}
