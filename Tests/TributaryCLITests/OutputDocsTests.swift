import Foundation
import Testing
import TributaryTestSupport

/// The `docs` table of real outputs: a row for every table and column, and no row naming a
/// table or column the output does not have.
@Suite("The docs table")
struct OutputDocsTests {
    /// Runs a pipeline of Pipelines/ into a new workspace; returns the workspace and the output.
    static func run(_ name: String) throws -> (Workspace, Database) {
        let ws = try Workspace()
        let pipeline = CLI.packageRoot.appendingPathComponent("Pipelines/\(name).yml").path
        let outcome = try CLI.run(["run", pipeline, "--quiet"], environment: ["TRIBUTARY_OUT": ws.path])
        try #require(outcome.status == 0, "\(outcome)")
        return (ws, try Database(ws.file("\(name).sqlite")))
    }

    @Test(arguments: ["retail-sample", "crm-matching"])
    func everyTableAndColumnIsDescribedAndNothingElse(pipeline: String) throws {
        let (ws, db) = try Self.run(pipeline)
        _ = ws
        let actual = Set(db.rows("""
            SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
            WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
            UNION ALL SELECT name, NULL FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
            """).map { "\($0[0] ?? "").\($0[1] ?? "")" })
        let rows = db.rows("SELECT table_name, column_name, description FROM docs")
        let documented = rows.map { "\($0[0] ?? "").\($0[1] ?? "")" }
        #expect(actual.contains("docs.") && actual.contains("profiles.profile_id"), "\(actual.sorted())")
        #expect(actual.count > 100, "\(actual.count)")
        #expect(actual.subtracting(documented).sorted() == [], "tables and columns without a docs row")
        #expect(Set(documented).subtracting(actual).sorted() == [], "docs rows naming no table or column")
        #expect(documented.count == Set(documented).count, "one row each: \(documented.sorted())")
        #expect(rows.allSatisfy { ($0[2] ?? "").count >= 5 }, "an empty description")
    }

    @Test func sourceColumnsAreDescribedFromThePipelinesFields() throws {
        let (ws, db) = try Self.run("retail-sample")
        _ = ws
        func description(_ table: String, _ column: String?) -> String {
            db.value("SELECT description FROM docs WHERE table_name = '\(table)' AND column_name IS \(column.map { "'\($0)'" } ?? "NULL")") ?? ""
        }
        // `email` is under the crm source's `fields:`; `email_key` is an output of its transforms.
        #expect(description("src_crm", "email").contains("declared in `fields:`"), "\(description("src_crm", "email"))")
        #expect(description("src_crm", "email_key").contains("not under `fields:`"), "\(description("src_crm", "email_key"))")
        #expect(description("src_crm", nil).contains("source `crm`"))
        #expect(description("src_crm", "_record_id").contains("profile_records.record_id"))
        // The golden attributes and traits of `profiles`, from the pipeline.
        #expect(description("profiles", "email").hasPrefix("Golden attribute"), "\(description("profiles", "email"))")
        #expect(description("profiles", "carts_7d").hasPrefix("Trait"), "\(description("profiles", "carts_7d"))")
        #expect(description("profiles", "rfm_score").hasPrefix("Built-in trait"))
        #expect(db.value("PRAGMA user_version") == "2")
    }
}
