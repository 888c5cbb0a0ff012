import CSQLite
import Foundation
import Testing
import TributaryRuntime
import TributaryTestSupport

@Suite("HTML run report: identity, data health, changes", .serialized)
struct ReportIdentityTests {
    /// The matching fixture (a pinned model): blocking on last name finds Lee (C1+C2 against C3)
    /// and Stone (C4 against C5); blocking on postcode finds the same two pairs again. So two
    /// pairs are scored, the first rule keeps both, and only the Lee pair is above the
    /// threshold (the Stones agree on last name and postcode only: weight ≈ -7).
    @Test func histogramCountsEveryScoredPairAndTheReportShowsEachSection() throws {
        let ws = try Workspace()
        try ws.write("contacts.csv", MatchingFixture.data())
        try ws.write("model.json", MatchingFixture.model)
        try ws.write("m.yml", MatchingFixture.pipeline(name: "report-identity", output: "m"))
        let first = try CLI.run(["run", ws.file("m.yml"), "--quiet", "--report", ws.file("first.html")])
        try #require(first.status == 0, "\(first)")
        let output = ws.file("out/m.sqlite")
        let db = try Database(output)
        #expect(db.value("SELECT sum(pairs) FROM match_weight_histogram") == "2")
        #expect(db.value("SELECT sum(above_threshold) FROM match_weight_histogram") == db.value("SELECT count(*) FROM match_evidence"))
        #expect(db.value("SELECT count(*) FROM match_evidence") == "1")
        // The linked pair's weight is in the bin that counts it above the threshold.
        #expect(db.value("""
            SELECT count(*) FROM match_evidence e JOIN match_weight_histogram h
            ON e.weight >= coalesce(h.bin_low, -1e9) AND e.weight < coalesce(h.bin_high, 1e9) WHERE h.above_threshold > 0
            """) == "1")
        #expect(db.rows("SELECT rule, pairs_generated, pairs_kept FROM match_blocking_rules ORDER BY position")
                == [["last_name", "2", "2"], ["postcode", "2", "0"]])
        #expect(db.value("SELECT sum(pairs_kept) FROM match_blocking_rules") == db.value("SELECT sum(pairs) FROM match_weight_histogram"))

        let dom = try Chromium.run(["--dump-dom"], url: "file://" + ws.file("first.html"))
        #expect(dom.contains("This is the first run of this output"), "\(dom.prefix(2000))")
        // m and u: two bars per level shown (null left out): first_name 2, last_name 3, birthdate 2, postcode 2.
        let mu = try #require(Chromium.element("svg", id: "m-u-chart", in: dom))
        #expect(Chromium.count("<rect class=\"bar-m\" x", in: mu) == 1 + 9 && Chromium.count("<rect class=\"bar-u\" x", in: mu) == 1 + 9)
        let weights = try #require(Chromium.element("svg", id: "match-weights-chart", in: dom))
        #expect(Chromium.count("data-value=", in: weights) == 9 + 1, "nine levels and the prior")
        // log2(0.9 / 0.01) for an exact first name.
        #expect(Chromium.element("table", id: "match-model", in: dom)?.contains(String(format: "%+.2f", log2(0.9 / 0.01))) == true)
        let scored = try #require(Chromium.element("svg", id: "scored-weight-chart", in: dom))
        let values = scored.components(separatedBy: "data-value=\"").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        #expect(values.reduce(0, +) == 2, "every scored pair is in one bar")
        #expect(scored.contains("<line class=\"threshold\""))
        #expect(Chromium.element("table", id: "blocking-rules", in: dom) != nil)
        let largest = try #require(Chromium.element("table", id: "largest-profiles", in: dom))
        let top = try #require(db.value("SELECT profile_id FROM profiles ORDER BY records DESC, profile_id LIMIT 1"))
        #expect(largest.contains(top))
        #expect(Chromium.count("<tr>", in: largest) == 1 + 10)
        for id in ["null-rate-chart", "golden-fill-chart", "trend-chart"] {
            #expect(Chromium.element("svg", id: id, in: dom) != nil, "no \(id)")
        }
        // crm.email is empty on C3 and the 20 others: 21 of 25.
        #expect(Chromium.element("svg", id: "null-rate-chart", in: dom)?.contains("84.0% · 21 of 25") == true)

        // A second run over a changed input: the changes section compares the two runs.
        try ws.write("contacts.csv", MatchingFixture.data() + "C26,New,Person,,1999-01-01,P26\n")
        let second = try CLI.run(["run", ws.file("m.yml"), "--quiet", "--report", ws.file("second.html")])
        try #require(second.status == 0, "\(second)")
        let again = try Chromium.run(["--dump-dom"], url: "file://" + ws.file("second.html"))
        let files = try #require(Chromium.element("table", id: "changes-files", in: again), "\(again.prefix(3000))")
        #expect(files.contains("<td>changed</td><td>crm</td>"))
        #expect(Chromium.element("table", id: "changes-records", in: again)?.contains("+1") == true)
        let trend = try #require(Chromium.element("svg", id: "trend-chart", in: again))
        #expect(Chromium.count("<polyline", in: trend) == 3)

        // No customer value anywhere (the names, e-mails, dates and postcodes of the fixture).
        for report in ["first.html", "second.html"] {
            let html = try String(contentsOfFile: ws.file(report), encoding: .utf8)
            for value in ExplainTests.customerValues + ["First6", "Last6", "P26", "Person"] {
                #expect(!html.contains(value), "\(report) shows the customer value \(value)")
            }
            #expect(!html.contains("<script"))
        }
    }

    /// An output written before the tables existed still renders, and says "not recorded".
    @Test func outputWithoutTheNewTablesSaysNotRecorded() throws {
        let ws = try Workspace()
        try ws.write("contacts.csv", MatchingFixture.data())
        try ws.write("model.json", MatchingFixture.model)
        try ws.write("m.yml", MatchingFixture.pipeline(name: "report-old", output: "m"))
        #expect(try CLI.run(["run", ws.file("m.yml"), "--quiet"]).status == 0)
        let output = ws.file("out/m.sqlite")
        var handle: OpaquePointer?
        #expect(sqlite3_open(output, &handle) == SQLITE_OK)
        #expect(sqlite3_exec(handle, "DROP TABLE match_weight_histogram; DROP TABLE match_blocking_rules", nil, nil, nil) == SQLITE_OK)
        sqlite3_close(handle)
        let outcome = try CLI.run(["report", output, "-o", ws.file("old.html")])
        try #require(outcome.status == 0, "\(outcome)")
        let html = try String(contentsOfFile: ws.file("old.html"), encoding: .utf8)
        #expect(html.contains("<p class=\"empty\" id=\"scored-pairs\">Not recorded"))
        #expect(html.contains("<p class=\"empty\" id=\"blocking-rules\">Not recorded"))
        #expect(html.contains("id=\"m-u-chart\""))
    }
}
