import Foundation
import Testing
@testable import TributaryRuntime
import TributaryTestSupport

/// Activities, traits, segments and exports on small hand-made inputs whose answers are known.
@Suite("Activities, traits, segments and exports")
struct AudienceTests {
    // MARK: Time windows

    @Test func instantsParseWithOffsetsAndDates() throws {
        #expect(AsOf(parsing: "2024-06-05")?.text == "2024-06-05T00:00:00.000Z")
        #expect(AsOf(parsing: "2024-06-01T04:17:45.500-04:00")?.text == "2024-06-01T08:17:45.500Z")
        #expect(AsOf(parsing: "2024-06-01T01:00:00+02:00")?.text == "2024-05-31T23:00:00.000Z")
        #expect(AsOf(parsing: "2024-02-29T23:59:59Z")?.text == "2024-02-29T23:59:59.000Z")
        #expect(AsOf(parsing: "1969-12-31T23:00:00Z")?.epochSeconds == -3600)
        for bad in ["2024-13-01", "2024-06-01T25:00", "June 1", "2024-06-01T10:00:00Zjunk", ""] {
            #expect(AsOf(parsing: bad) == nil, "\(bad)")
        }
        // Independent reference: Foundation's formatter.
        let iso = ISO8601DateFormatter()
        let date = try #require(iso.date(from: "2031-11-07T13:45:10Z"))
        #expect(AsOf(date).text == "2031-11-07T13:45:10.000Z")
    }

    /// `within_days(ts, n)` holds for as_of - n days < ts <= as_of: the boundaries, in SQL.
    @Test func withinDaysBoundaries() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.registerTimeFunctions(asOf: try #require(AsOf(parsing: "2024-06-08T00:00:00Z")))
        func value(_ sql: String) throws -> String? {
            let s = try db.prepare("SELECT " + sql)
            return try s.next() ? s.text(0) : nil
        }
        #expect(try value("within_days('2024-06-08T00:00:00.000Z', 7)") == "1")     // exactly as_of: in
        #expect(try value("within_days('2024-06-08T00:00:00.001Z', 7)") == "0")     // after as_of: out
        #expect(try value("within_days('2024-06-01T00:00:00.000Z', 7)") == "0")     // exactly 7 days before: out
        #expect(try value("within_days('2024-06-01T00:00:00.001Z', 7)") == "1")     // just inside
        #expect(try value("within_days('2024-06-01T01:00:00+02:00', 7)") == "0")    // 2024-05-31T23:00Z
        #expect(try value("within_days(NULL, 7)") == "0")
        #expect(try value("days_since('2024-06-06')") == "2.0")
        #expect(try value("as_of()") == "2024-06-08T00:00:00.000Z")
        #expect(try value("utc_instant('2024-06-01T04:17:45.5-04:00')") == "2024-06-01T08:17:45.500Z")
        #expect(try value("utc_instant('not a time')") == nil)
    }

    // MARK: Hashing

    /// Expected digests computed independently (`printf '%s' VALUE | sha256sum`).
    @Test func activationHashesMatchKnownSHA256() {
        let email = "e7824da9ecd8c9d3b5c7af9db4876347efd23f0fa94290ea26bdafb98f6fa541"  // ann.lee@gmail.com
        #expect(ActivationHash.normalizedEmail("  Ann.Lee@Gmail.COM ").map(ActivationHash.sha256Hex) == email)
        #expect(ActivationHash.normalizedPhone("+1 415-555-0100").map(ActivationHash.sha256Hex)
                == "40d3f4e02db27d66cf4cfdda506c2c945f115a7955cc8491dda98ce5beabcda0")  // +14155550100
        #expect(ActivationHash.normalizedEmail("not-an-address") == nil)
        #expect(ActivationHash.normalizedEmail("a b@example.com") == nil)
        #expect(ActivationHash.normalizedPhone("415 555 0100") == nil)   // no country: refused, not guessed
        #expect(ActivationHash.normalizedPhone("+1 415 555 0100 ext 2") == nil)
    }

    // MARK: Runs

    static func pipeline(_ ws: Workspace, segments: String = "", extra: String = "") throws -> String {
        try ws.write("p.yml", """
            version: 1
            name: audience
            output: { sqlite: out/audience.sqlite }
            sources:
              crm:
                format: csv
                path: crm.csv
                fields: { contact_id: id, email: email, phone: phone, spend: { column: spend, type: integer }, at: { column: at, type: timestamp } }
            identity:
              identifiers:
                email: { from: [crm.email] }
                phone: { from: [crm.phone] }
            profiles:
              email: { from: [crm.email] }
              phone: { from: [crm.phone] }
            activities:
              crm:
                at: at
                amount_cents: spend
                key: contact_id
                kinds:
                  purchase: spend > 0
                  return: spend < 0
            traits:
              purchases_7d: count(*) FILTER (WHERE kind = 'purchase' AND within_days(at, 7))
              email_length: max(length(p.email))   # a golden attribute: the join to profiles is made
            segments:
              big: lifetime_spend_cents >= 100
              small: lifetime_spend_cents < 100
              recent: purchases_7d > 0
            \(segments)
            \(extra)
            """)
    }

    @Test func traitsAndMembershipFollowAsOfAndMergesAcrossRuns() throws {
        let ws = try Workspace()
        let path = try Self.pipeline(ws, extra: """
            exports:
              big_ads: { segment: big, path: out/big.csv, columns: [], hash_email: email, hash_phone: phone }
              enrichment: { path: out/all.csv, columns: [profile_id, email, lifetime_spend_cents], segments_column: segments }
            """)
        // x and y are two people; a purchase after as_of must not count.
        try ws.write("crm.csv", """
            id,email,phone,spend,at
            1,x@example.com,+14155550100,150,2024-06-01T10:00:00Z
            2,y@example.com,+14155550199,50,2024-06-03T10:00:00Z
            3,y@example.com,,500,2024-06-20T10:00:00Z

            """)
        var outcome = try CLI.run(["run", path, "--quiet", "--as-of", "2024-06-05"])
        try #require(outcome.status == 0, "\(outcome)")
        var db = try Database(ws.file("out/audience.sqlite"))
        #expect(db.value("SELECT count(*) FROM activities") == "3")
        #expect(db.value("SELECT lifetime_spend_cents FROM profiles WHERE email = 'x@example.com'") == "150")
        #expect(db.value("SELECT lifetime_spend_cents FROM profiles WHERE email = 'y@example.com'") == "50")
        #expect(db.value("SELECT orders FROM profiles WHERE email = 'y@example.com'") == "1")
        #expect(db.value("SELECT purchases_7d FROM profiles WHERE email = 'y@example.com'") == "1")
        #expect(db.value("SELECT email_length FROM profiles WHERE email = 'x@example.com'") == "13")
        let x = try #require(db.value("SELECT profile_id FROM profiles WHERE email = 'x@example.com'"))
        let y = try #require(db.value("SELECT profile_id FROM profiles WHERE email = 'y@example.com'"))
        #expect(db.rows("SELECT segment, profile_id FROM segment_membership ORDER BY 1, 2").map { $0.compactMap { $0 } }
                == [["big", x], ["recent", x], ["recent", y], ["small", y]].sorted { $0.joined() < $1.joined() })
        #expect(db.value("SELECT count(*) FROM segment_changes WHERE change = 'entered'") == "4")
        // The export: hashed identifiers of the `big` audience only, and its SHA-256 in the ledger.
        let csv = try String(contentsOfFile: ws.file("out/big.csv"), encoding: .utf8)
        #expect(csv == "email_sha256,phone_sha256\n"
                + ActivationHash.sha256Hex("x@example.com") + "," + ActivationHash.sha256Hex("+14155550100") + "\n")
        #expect(db.value("SELECT sha256 FROM exports WHERE export = 'big_ads'") == ActivationHash.sha256Hex(csv))
        #expect(!csv.contains("example.com"))
        let all = try String(contentsOfFile: ws.file("out/all.csv"), encoding: .utf8)
        #expect(all.contains("\(x),x@example.com,150,big;recent"))

        // A record joins the two people (phone of x, e-mail of y): one profile; x's id survives
        // (it has records of both), nobody "enters" `big` again, y's `small` membership exits.
        try ws.write("crm.csv", """
            id,email,phone,spend,at
            1,x@example.com,+14155550100,150,2024-06-01T10:00:00Z
            2,y@example.com,+14155550199,50,2024-06-03T10:00:00Z
            3,y@example.com,,500,2024-06-20T10:00:00Z
            4,y@example.com,+14155550100,-20,2024-06-04T10:00:00Z

            """)
        outcome = try CLI.run(["run", path, "--quiet", "--as-of", "2024-06-06"])
        try #require(outcome.status == 0, "\(outcome)")
        db = try Database(ws.file("out/audience.sqlite"))
        #expect(db.value("SELECT count(*) FROM profiles") == "1")
        let merged = try #require(db.value("SELECT profile_id FROM profiles"))
        #expect([x, y].contains(merged))
        #expect(db.value("SELECT lifetime_spend_cents FROM profiles") == "180")   // 150 + 50 - 20; the June 20 sale is after as_of
        let run2 = "(SELECT max(run_id) FROM runs)"
        #expect(db.rows("SELECT segment, change FROM segment_changes WHERE run_id = \(run2) ORDER BY 1").map { $0.compactMap { $0 } }
                == [["small", "exited"]])
        #expect(db.value("SELECT previous_profile_id FROM segment_changes WHERE run_id = \(run2)") == y)
        #expect(db.value("SELECT since FROM segment_membership WHERE segment = 'big'") == "2024-06-05T00:00:00.000Z")
        #expect(db.value("SELECT count(*) FROM segment_changes") == "5")   // history carried over
    }

    @Test func validateReportsSQLErrorsAtTheirColumn() throws {
        let ws = try Workspace()
        try ws.write("crm.csv", "id,email,phone,spend,at\n")
        let path = try Self.pipeline(ws, segments: """
              typo: lifetime_spend_centz > 0
              injected: "1; DROP TABLE profiles"
              aggregate: sum(lifetime_spend_cents) > 0
            """)
        let outcome = try CLI.run(["validate", path])
        #expect(outcome.status == 78)
        let lines = outcome.stdout.split(separator: "\n").map(String.init)
        let typo = try #require(lines.first { $0.contains("segment 'typo'") })
        #expect(typo.hasPrefix(path + ":31:9: error[TR204]"), "\(typo)")   // the segment line, the column of the value
        #expect(outcome.stdout.contains("did you mean 'lifetime_spend_cents'?"))
        #expect(lines.contains { $0.contains("segment 'injected'") })
        #expect(lines.contains { $0.contains("segment 'aggregate'") && $0.contains("misuse of aggregate") })
    }

    @Test func activitiesNeedIdentityAndKnownSources() throws {
        let ws = try Workspace()
        try ws.write("crm.csv", "id\n1\n")
        let path = try ws.write("p.yml", """
            version: 1
            name: bad
            output: { sqlite: out/x.sqlite }
            sources:
              crm: { format: csv, path: crm.csv, fields: { id: id } }
            activities:
              crm: { at: id, kinds: { visit: "true" } }
              web: { at: ts, kinds: { visit: "true" } }
            traits:
              records: count(*)
            """)
        let outcome = try CLI.run(["validate", path])
        #expect(outcome.status == 78)
        #expect(outcome.stdout.contains("needs an `identity:` section"))
        #expect(outcome.stdout.contains("unknown source 'web'"))
        #expect(outcome.stdout.contains("trait 'records' has the name of a column of profiles"))
    }
}

/// The shipped sample: a visitor's cart add sent before the device identified belongs to the
/// person it identified as (SampleData/events/README.md: ev-0002 then ev-0003 on one device).
@Suite("Sample activities")
struct SampleActivityTests {
    @Test func anonymousEventsBeforeIdentifyBelongToThePerson() throws {
        let ws = try Workspace()
        let pipeline = CLI.packageRoot.appendingPathComponent("Pipelines/retail-sample.yml").path
        let outcome = try CLI.run(["run", pipeline, "--quiet", "--as-of", "2024-06-03"], environment: ["TRIBUTARY_OUT": ws.path])
        try #require(outcome.status == 0, "\(outcome)")
        let db = try Database(ws.file("retail-sample.sqlite"))
        let person = db.value("""
            SELECT r.profile_id FROM src_crm s JOIN profile_records r ON r.source = 'crm' AND r.record_id = s._record_id
            WHERE s.contact_id = '0035e00000Ab1CdAAJ'
            """)
        #expect(person != nil)
        let cartAdd = db.value("""
            SELECT a.profile_id FROM activities a JOIN src_web w ON a.source = 'web' AND a.record_id = w._record_id
            WHERE w.message_id = 'ev-0002'
            """)
        #expect(cartAdd == person)
        #expect(db.value("SELECT kind FROM activities a JOIN src_web w ON a.source = 'web' AND a.record_id = w._record_id WHERE w.message_id = 'ev-0002'") == "cart_add")
        // Both exports exist beside the database, and the ledger holds their digests.
        #expect(db.value("SELECT count(*) FROM exports") == "2")
        #expect(FileManager.default.fileExists(atPath: ws.file("exports/cart_abandoners.csv")))
    }
}
