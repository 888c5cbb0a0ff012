import Foundation
import Testing
import TributaryTestSupport

/// A person keeps their profile id from run to run; when two profiles merge, one id survives and
/// the change is logged; when a profile splits, the largest part keeps the id.
@Suite("Stable profile ids")
struct StableProfileIDTests {
    /// A CRM source linked by e-mail and phone; `path`, `key`, `fields` and extra identity
    /// settings vary by test.
    static func pipeline(path: String = "crm.csv", key: String? = nil, fields: String = "id: id, email: email, phone: phone",
                         identity extra: String = "") -> String {
        """
        version: 1
        name: ids
        output: { sqlite: out/ids.sqlite }
        sources:
          crm:
            format: csv
            path: \(path)
        \(key.map { "    key: \($0)\n" } ?? "")    fields: { \(fields) }
        identity:
          identifiers:
            email: { from: [crm.email] }
            phone: { from: [crm.phone] }
        \(extra)
        """
    }

    static let pipeline = pipeline()

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

    /// Records are matched across runs by source and natural key (`record_key`), not by path:
    /// the same files copied to another folder keep their profile ids, and a bridging record
    /// that joins two profiles logs the merge (issue 15, item 5).
    @Test func continuityFollowsRecordKeysNotPaths() throws {
        let ws = try Workspace()
        try ws.write("ids.yml", Self.pipeline(path: "${DATA}/crm.csv", key: "[id, region]",
                                              fields: "id: id, region: region, email: email, phone: phone"))
        let csv = "id,region,email,phone\n7,eu,ann@x.com,111\n8,,ann@x.com,\n9,us,bob@x.com,222\n"
        try ws.write("a/crm.csv", csv)
        var outcome = try CLI.run(["run", ws.file("ids.yml"), "--quiet"], environment: ["DATA": ws.file("a")])
        #expect(outcome.status == 0, "\(outcome)")
        let first = ids(try Database(ws.file("out/ids.sqlite")))
        let db1 = try Database(ws.file("out/ids.sqlite"))
        #expect(db1.rows("SELECT record_key FROM profile_records ORDER BY record_id") == [["7:eu"], ["8:"], ["9:us"]])

        // Run 2: the same rows, reordered, in another folder, and a new record bridging Ann and Bob.
        try ws.write("b/crm.csv", "id,region,email,phone\n9,us,bob@x.com,222\n10,eu,ann@x.com,222\n7,eu,ann@x.com,111\n8,,ann@x.com,\n")
        outcome = try CLI.run(["run", ws.file("ids.yml"), "--quiet"], environment: ["DATA": ws.file("b")])
        #expect(outcome.status == 0, "\(outcome)")
        let db2 = try Database(ws.file("out/ids.sqlite"))
        let second = ids(db2)
        let ann = try #require(first["7"]), bob = try #require(first["9"])
        #expect(Set(second.values) == [ann])
        #expect(db2.rows("SELECT profile_id, change, previous_profile_id FROM profile_id_changes") == [[ann, "merged_from", bob]])
    }

    /// Without identifiers (a matcher-only pipeline), a contact with a name is a person even when
    /// nothing links it: it keeps an identified profile; a row with no name and no identifier does not.
    @Test func aNamedRecordWithoutIdentifiersKeepsItsProfile() throws {
        let ws = try Workspace()
        try ws.write("names.yml", """
            version: 1
            name: names
            output: { sqlite: out/names.sqlite }
            sources:
              crm:
                format: csv
                path: crm.csv
                key: id
                fields: { id: id, first: first, last: last }
            identity:
              identifiers: {}
              probabilistic:
                attributes: { first_name: [crm.first], last_name: [crm.last] }
                blocking: [[last_name]]
                comparisons:
                  first_name: { method: exact }
                  last_name: { method: exact }

            """)
        try ws.write("crm.csv", "id,first,last\n1,Ann,Lee\n2,,\n3,Bob,Stone\n4,Cy,\n")
        let outcome = try CLI.run(["run", ws.file("names.yml")])
        #expect(outcome.status == 0, "\(outcome)")
        let db = try Database(ws.file("out/names.sqlite"))
        #expect(db.rows("SELECT r.record_key, r.profile_id IS NULL, p.identified FROM profile_records r LEFT JOIN profiles p USING (profile_id) ORDER BY r.record_key")
                == [["1", "0", "1"], ["2", "1", nil], ["3", "0", "1"], ["4", "0", "1"]])
    }

    /// One till file `sales.csv` (`line`, the given fields, `amount`) with a card identifier,
    /// `identity` lines after it, one purchase per line and a `buyers` segment.
    static func salesPipeline(name: String, fields: String, identity: String = "") -> String {
        """
        version: 1
        name: \(name)
        output: { sqlite: out/\(name).sqlite }
        sources:
          sales:
            format: csv
            path: sales.csv
            key: line
            fields: { line: line, \(fields), amount_cents: { column: amount, type: integer } }
        identity:
          identifiers:
            card: { from: [sales.card] }
        \(identity)activities:
          sales:
            at: "'2024-01-01T00:00:00Z'"
            amount_cents: amount_cents
            kinds: { purchase: "true" }
        segments:
          buyers: lifetime_spend_cents > 0

        """
    }

    /// A record with no identifier value and no link (a walk-in sale) joins no profile: its
    /// `profile_records` row has no profile, its activity is unattributed, and no segment holds it.
    @Test func unidentifiedRecordsJoinNoProfile() throws {
        let ws = try Workspace()
        try ws.write("walkins.yml", Self.salesPipeline(name: "walkins", fields: "card: card"))
        try ws.write("sales.csv", "line,card,amount\n1,77001,500\n2,,700\n3,77001,100\n4,,900\n5,77002,300\n")
        let outcome = try CLI.run(["run", ws.file("walkins.yml"), "--as-of", "2024-02-01"])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdout.contains("2 records with no identifier, no link and no name joined none"), "\(outcome)")
        let db = try Database(ws.file("out/walkins.sqlite"))
        #expect(db.rows("SELECT record_key, profile_id IS NULL FROM profile_records ORDER BY record_key")
                == [["1", "0"], ["2", "1"], ["3", "0"], ["4", "1"], ["5", "0"]])
        #expect(db.value("SELECT count(*) FROM profiles") == "2")
        #expect(db.rows("SELECT record_key, profile_id IS NULL, amount_cents FROM activities ORDER BY record_key")
                == [["1", "0", "500"], ["2", "1", "700"], ["3", "0", "100"], ["4", "1", "900"], ["5", "0", "300"]])
        #expect(db.rows("SELECT lifetime_spend_cents FROM profiles ORDER BY 1") == [["300"], ["600"]])
        #expect(db.value("SELECT count(*) FROM segment_membership") == "2")
        #expect(db.value("SELECT sum(amount_cents) FROM activities") == "2500")   // unattributed sales still count in revenue
    }

    /// `attributes_identify: false`: a till line known only by its printed name keeps a profile,
    /// but one that is not identified and in no segment; with the default it is identified.
    @Test(arguments: [false, true]) func aProfileKnownOnlyByANameIsNotIdentifiedWhenAttributesDoNotIdentify(_ attributesIdentify: Bool) throws {
        let ws = try Workspace()
        try ws.write("names.yml", Self.salesPipeline(name: "names", fields: "card: card, first: first, last: last", identity: """
              attributes_identify: \(attributesIdentify)
              probabilistic:
                attributes: { first_name: [sales.first], last_name: [sales.last] }
                blocking: [[last_name]]
                comparisons:
                  first_name: { method: exact }
                  last_name: { method: exact }

            """))
        try ws.write("sales.csv", "line,card,first,last,amount\n1,77001,Ann,Lee,500\n2,,Bob,Stone,700\n3,77002,Cy,Park,100\n4,,,,900\n")
        let outcome = try CLI.run(["run", ws.file("names.yml"), "--as-of", "2024-02-01"])
        #expect(outcome.status == 0, "\(outcome)")
        #expect(outcome.stdout.contains("1 profile known only by a name, not identified") == !attributesIdentify, "\(outcome)")
        let db = try Database(ws.file("out/names.sqlite"))
        let bob = attributesIdentify ? "1" : "0"
        #expect(db.rows("SELECT r.record_key, r.profile_id IS NULL, p.identified FROM profile_records r LEFT JOIN profiles p USING (profile_id) ORDER BY r.record_key")
                == [["1", "0", "1"], ["2", "0", bob], ["3", "0", "1"], ["4", "1", nil]])
        #expect(db.rows("SELECT p.identified FROM segment_membership m JOIN profiles p USING (profile_id) ORDER BY 1")
                == (attributesIdentify ? [["1"], ["1"], ["1"]] : [["1"], ["1"]]))
        #expect(db.value("SELECT sum(amount_cents) FROM activities") == "2200")   // Bob's sale still counts in revenue
    }

    /// Records whose only identifier is a value shared by too many records (fan-out) stay
    /// apart, and each is its own profile under its own id (their strongest value is the same).
    @Test func profilesKeptApartByAGuardGetDistinctIds() throws {
        let ws = try Workspace()
        try ws.write("ids.yml", Self.pipeline(identity: "  max_records_per_value: 2\n"))
        let db = try run(ws, "id,email,phone\n1,shared@x.com,\n2,shared@x.com,\n3,shared@x.com,\n4,own@x.com,\n5,own@x.com,\n")
        let map = ids(db)
        #expect(Set([map["1"], map["2"], map["3"]]).count == 3, "\(map)")
        #expect(map["4"] == map["5"])
        #expect(db.value("SELECT count(*) FROM profiles") == "4")
        #expect(db.value("SELECT count(*) FROM identity_refusals WHERE reason = 'fan_out'") == "1")

        // A profile split at max_cluster_size: its parts hold the same value (issue 14, item 14).
        try ws.write("ids.yml", Self.pipeline(identity: "  max_cluster_size: 2\n"))
        let split = try run(ws, "id,email,phone\n1,s@x.com,\n2,s@x.com,\n3,s@x.com,\n4,s@x.com,\n5,s@x.com,\n")
        #expect(split.value("SELECT count(*) FROM profiles") == "4")
        #expect(split.value("SELECT count(DISTINCT profile_id) FROM profiles") == "4")
        #expect(split.value("SELECT max(records) FROM profiles") == "2")
    }
}
