import Foundation
import Testing

/// A person keeps their profile id from run to run; when two profiles merge, one id survives and
/// the change is logged; when a profile splits, the largest part keeps the id.
@Suite("Stable profile ids")
struct StableProfileIDTests {
    static let pipeline = """
        version: 1
        name: ids
        output: { sqlite: out/ids.sqlite }
        sources:
          crm:
            format: csv
            path: crm.csv
            fields: { id: id, email: email, phone: phone }
        identity:
          identifiers:
            email: { from: [crm.email] }
            phone: { from: [crm.phone] }

        """

    func run(_ ws: Workspace, _ csv: String) throws -> Database {
        try ws.write("crm.csv", csv)
        let outcome = try CLI.run(["run", ws.file("ids.yml"), "--quiet"])
        #expect(outcome.status == 0, "\(outcome)")
        return try Database(ws.file("out/ids.sqlite"))
    }

    func ids(_ db: Database) -> [String: String] {
        var map: [String: String] = [:]
        for row in db.rows("SELECT c.id, r.profile_id FROM src_crm c JOIN profile_records r ON r.source = 'crm' AND r.record_id = c._record_id") {
            map[row[0] ?? ""] = row[1] ?? ""
        }
        return map
    }

    @Test func mergeKeepsOneIdAndSplitGivesItToTheLargestPart() throws {
        let ws = try Workspace()
        try ws.write("ids.yml", Self.pipeline)
        // Run 1: Ann (two records sharing an e-mail) and Bob are two people.
        let first = ids(try run(ws, "id,email,phone\n1,ann@x.com,111\n2,ann@x.com,\n3,bob@x.com,222\n"))
        #expect(first["1"] == first["2"] && first["1"] != first["3"])
        let ann = try #require(first["1"]), bob = try #require(first["3"])

        // Run 2: a new record carries Ann's e-mail and Bob's phone: one profile. Ann's profile had
        // more records (2 of 3), so its id survives, and the merge is logged.
        let db2 = try run(ws, "id,email,phone\n1,ann@x.com,111\n2,ann@x.com,\n3,bob@x.com,222\n4,ann@x.com,222\n")
        let second = ids(db2)
        #expect(Set(second.values) == [ann])
        #expect(db2.rows("SELECT profile_id, change, previous_profile_id FROM profile_id_changes") == [[ann, "merged_from", bob]])

        // Run 3: record 4 is gone; Bob's record stands alone again. Ann's part is the larger one
        // (2 records) and keeps the id; Bob's part gets another id, logged as split from it.
        let db3 = try run(ws, "id,email,phone\n1,ann@x.com,111\n2,ann@x.com,\n3,bob@x.com,222\n")
        let third = ids(db3)
        #expect(third["1"] == ann && third["2"] == ann)
        let bobAgain = try #require(third["3"])
        #expect(bobAgain != ann)
        #expect(db3.rows("SELECT profile_id, change, previous_profile_id FROM profile_id_changes WHERE run_id = 3")
                == [[bobAgain, "split_from", ann]])
        // The history of changes is kept across runs.
        #expect(db3.value("SELECT count(*) FROM profile_id_changes") == "2")
    }
}
