import Foundation
import Testing

/// Expressions in pipeline files run as SQL: nothing in them may reach outside the database.
@Suite("SQL in pipeline files")
struct SQLSafetyTests {
    @Test func loadExtensionIsRefusedByValidateAtItsPosition() throws {
        let ws = try Workspace()
        try ws.write("data/crm.csv", "id,email\n1,a@x.com\n")
        try ws.write("p.yml", """
            version: 1
            name: le
            output: { sqlite: out/le.sqlite }
            sources:
              crm: { format: csv, path: data/crm.csv, fields: { id: id, email: email } }
            identity:
              identifiers: { email: { from: [crm.email] } }
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
}
