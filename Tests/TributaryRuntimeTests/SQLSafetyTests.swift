import Foundation
import Testing
import TributaryTestSupport

/// Expressions in pipeline files run as SQL: nothing in them may reach outside the database.
@Suite("SQL in pipeline files")
struct SQLSafetyTests {
    /// A one-record CRM linked by e-mail, then `sections` (from line 8 of `p.yml`).
    static func workspace(name: String, _ sections: String) throws -> Workspace {
        let ws = try Workspace()
        try ws.write("data/crm.csv", "id,email\n1,a@x.com\n")
        try ws.write("p.yml", """
            version: 1
            name: \(name)
            output: { sqlite: out/\(name).sqlite }
            sources:
              crm: { format: csv, path: data/crm.csv, fields: { id: id, email: email } }
            identity:
              identifiers: { email: { from: [crm.email] } }
            \(sections)

            """)
        return ws
    }

    @Test func loadExtensionIsRefusedByValidateAtItsPosition() throws {
        let ws = try Self.workspace(name: "le", """
            segments:
              s: "LOAD_EXTENSION('/tmp/x.so') IS NULL"
            """)
        let validate = try CLI.run(["validate", ws.file("p.yml")])
        #expect(validate.status == 78, "\(validate)")
        #expect(validate.stdout.contains("p.yml:9:7: error[TR204]: segment 's': not authorized to use function: LOAD_EXTENSION"), "\(validate)")
        let run = try CLI.run(["run", ws.file("p.yml"), "--quiet"])
        #expect(run.status == 78, "\(run)")
        #expect(!run.stderr.contains("internal error"), "\(run)")
    }

    /// A `${VAR}` value may be a secret: the output stores segment conditions and descriptions
    /// as written, and an invalid interpolated expression is reported without the database's
    /// message (which quotes it).
    @Test func interpolatedValuesAreNeverStoredOrPrinted() throws {
        let ws = try Self.workspace(name: "sec", """
            profiles:
              email: { from: [crm.email] }
            segments:
              pick:
                description: "for ${CLIENT}"
                where: "${CONDITION}"
            """)
        let bad = try CLI.run(["validate", ws.file("p.yml")], environment: ["CLIENT": "client-zq", "CONDITION": "hunter2pass > 1"])
        #expect(bad.status == 78, "\(bad)")
        #expect(bad.stdout.contains("p.yml:13:12: error[TR204]: segment 'pick': the SQL is not valid once"), "\(bad)")
        #expect(!bad.stdout.contains("hunter2pass") && !bad.stderr.contains("hunter2pass"), "\(bad)")

        let run = try CLI.run(["run", ws.file("p.yml"), "--quiet"],
                              environment: ["CLIENT": "client-zq", "CONDITION": "email <> 'secret-zq'"])
        #expect(run.status == 0, "\(run)")
        let db = try Database(ws.file("out/sec.sqlite"))
        #expect(db.rows("SELECT description, condition FROM segments") == [["for ${CLIENT}", "${CONDITION}"]])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: ws.file("out/sec.sqlite")))
        #expect(bytes.range(of: Data("secret-zq".utf8)) == nil && bytes.range(of: Data("client-zq".utf8)) == nil)
    }

    /// A header column named by a `${VAR}` that the file lacks: the quarantine detail and every
    /// message name it as written, never by the variable's value.
    @Test func aMissingColumnNamedByAVariableIsNamedAsWritten() throws {
        let ws = try Workspace()
        try ws.write("data/crm.csv", "id,email\n1,a@x.com\n")
        try ws.write("data/sales.txt", "id|total\n1|5\n")
        try ws.write("p.yml", """
            version: 1
            name: col
            output: { sqlite: out/col.sqlite }
            sources:
              crm: { format: csv, path: data/crm.csv, fields: { id: id, email: "${EMAIL_COLUMN}" } }
              sales: { format: delimited, delimiter: "|", path: data/sales.txt, fields: { id: id, total: "${TOTAL_COLUMN}" } }

            """)
        let run = try CLI.run(["run", ws.file("p.yml")], environment: ["EMAIL_COLUMN": "s3cr3t-mail", "TOTAL_COLUMN": "s3cr3t-total"])
        #expect(!run.stdout.contains("s3cr3t") && !run.stderr.contains("s3cr3t"), "\(run)")
        let db = try Database(ws.file("out/col.sqlite"))
        let details = db.rows("SELECT detail FROM quarantine ORDER BY source").compactMap { $0.first ?? nil }
        #expect(details == ["the file's header has no column '${EMAIL_COLUMN}'", "the file's header has no column '${TOTAL_COLUMN}'"], "\(details)")
        let stored = db.rows("SELECT * FROM quarantine").flatMap { $0 }.compactMap { $0 }
        #expect(!stored.contains { $0.contains("s3cr3t") })
    }
}
