import CSQLite
import Foundation
import Testing
import TributaryRuntime
import TributaryTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Debian's Chromium, which `Scripts/bootstrap --test` installs (Scripts/test and CI run it).
enum Chromium {
    static let binary: String? = ["chromium", "chromium-browser", "google-chrome"].lazy.compactMap { name -> String? in
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }.first

    /// Runs headless Chromium on `url` with `arguments`; returns its stdout.
    static func run(_ arguments: [String], url: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let binary = try #require(binary, "Chromium is needed to render the HTML report: run Scripts/bootstrap --test (apt-get install chromium)",
                                  sourceLocation: sourceLocation)
        let profile = try Workspace()
        let out = profile.file("stdout")
        FileManager.default.createFile(atPath: out, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--user-data-dir=\(profile.file("profile"))"] + arguments + [url]
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        #expect(process.terminationStatus == 0, "chromium exited \(process.terminationStatus)", sourceLocation: sourceLocation)
        return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }

    /// The markup of the element `<tag id="id" …>…</tag>` in `dom` (not nested in itself).
    static func element(_ tag: String, id: String, in dom: String) -> String? {
        guard let start = dom.range(of: "<\(tag) id=\"\(id)\"") else { return nil }
        guard let end = dom.range(of: "</\(tag)>", range: start.upperBound..<dom.endIndex) else { return nil }
        return String(dom[start.lowerBound..<end.upperBound])
    }

    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }
}

@Suite("HTML run report", .serialized)
struct ReportTests {
    static let samplePipeline = CLI.packageRoot.appendingPathComponent("Pipelines/retail-sample.yml").path
    static let matchingPipeline = CLI.packageRoot.appendingPathComponent("Pipelines/crm-matching.yml").path

    @Test func reportOfTheSampleRunRendersInChromiumWithItsCharts() throws {
        let ws = try Workspace()
        let report = ws.file("reports/report.html")
        let outcome = try CLI.run(["run", Self.samplePipeline, "--quiet", "--report", report], environment: ["TRIBUTARY_OUT": ws.path])
        try #require(outcome.status == 0, "\(outcome)")
        let db = try Database(ws.file("retail-sample.sqlite"))
        let stages = Int(db.value("SELECT count(*) FROM run_stages WHERE run_id = 1") ?? "") ?? 0
        #expect(stages >= 4)

        let dom = try Chromium.run(["--dump-dom"], url: "file://" + report)
        #expect(dom.contains("<h1><span class=\"pipeline\">retail-sample</span> <span class=\"badge\">succeeded</span></h1>"), "\(dom.prefix(2000))")
        // One bar per stage, one stacked bar part per non-zero count, one histogram bar per cluster-size bin.
        let stageChart = try #require(Chromium.element("svg", id: "stages-chart", in: dom), "no stage chart in \(dom.prefix(3000))")
        #expect(Chromium.count("<rect class=\"bar\"", in: stageChart) == stages)
        let accounting = try #require(Chromium.element("svg", id: "accounting-chart", in: dom))
        // crm 16/4/1/1, legacy_pos 10/2, store_sales 17/2/0/2, web 11/5/0/1 (SampleDataTests), plus the legend.
        #expect(Chromium.count("<rect class=\"part-", in: accounting) == 4 + 2 + 3 + 3 + 4)
        let clusters = try #require(Chromium.element("svg", id: "cluster-chart", in: dom))
        #expect(Chromium.count("<rect class=\"bar\"", in: clusters) >= 2)
        #expect(clusters.contains("data-value=\""))
        // Row accounting, the input fingerprints, quarantine reasons, the history.
        let files = try #require(Chromium.element("table", id: "accounting-files", in: dom))
        #expect(Chromium.count("<tr>", in: files) == 1 + (Int(db.value("SELECT count(*) FROM run_inputs") ?? "") ?? 0))
        let inputs = try #require(Chromium.element("table", id: "inputs", in: dom))
        for sha in db.rows("SELECT sha256 FROM run_inputs").compactMap({ $0[0] }) { #expect(inputs.contains(sha)) }
        #expect(Chromium.element("table", id: "quarantine-reasons", in: dom)?.contains("truncated_json") == true)
        #expect(Chromium.element("table", id: "counters-table", in: dom) != nil)
        // The sample's segments (Pipelines/retail-sample.yml), the empty one too.
        let segments = try #require(Chromium.element("svg", id: "segments-chart", in: dom))
        #expect(Chromium.count("<rect class=\"bar\"", in: segments) == Int(db.value("SELECT count(*) FROM segments") ?? "") ?? -1)
        // No customer value: the e-mails, names and phones of the sample are nowhere in the page.
        let html = try String(contentsOfFile: report, encoding: .utf8)
        for value in ["hannah.schmidt@web.de", "Schmidt", "annlee@gmail.com", "+4930123456", "0035e00000Ab1CrAAJ"] {
            #expect(!html.contains(value), "the report shows the customer value \(value)")
        }
        #expect(!html.contains("<script"), "the report needs no script")
        #expect(!html.contains("http://") || !html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"))

        // A screenshot: the page paints (a PNG of a real size).
        let png = ws.file("report.png")
        _ = try Chromium.run(["--screenshot=\(png)", "--window-size=1200,2400", "--hide-scrollbars"], url: "file://" + report)
        let bytes = try #require(fileBytes(png), "no screenshot")
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(bytes.count > 50_000, "the screenshot is nearly empty (\(bytes.count) bytes)")
    }

    @Test func reportShowsTheMatchWeightHistogram() throws {
        let ws = try Workspace()
        #expect(try CLI.run(["run", Self.matchingPipeline, "--quiet"], environment: ["TRIBUTARY_OUT": ws.path]).status == 0)
        let output = ws.file("crm-matching.sqlite")
        let pairs = Int(try Database(output).value("SELECT count(*) FROM match_evidence") ?? "") ?? 0
        #expect(pairs > 0)
        let outcome = try CLI.run(["report", output, "-o", ws.file("m.html")])
        try #require(outcome.status == 0, "\(outcome)")
        let dom = try Chromium.run(["--dump-dom"], url: "file://" + ws.file("m.html"))
        let weights = try #require(Chromium.element("svg", id: "weight-chart", in: dom))
        let values = weights.components(separatedBy: "data-value=\"").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        #expect(values.reduce(0, +) == pairs, "every linked pair is in one weight bin")
        let probabilities = try #require(Chromium.element("svg", id: "probability-chart", in: dom))
        #expect(Chromium.count("<rect class=\"bar\"", in: probabilities) >= 1)
    }

    @Test func segmentSizesAndChangesAreShownWhenTheTablesExist() throws {
        let ws = try Workspace()
        #expect(try CLI.run(["run", Self.samplePipeline, "--quiet"], environment: ["TRIBUTARY_OUT": ws.path]).status == 0)
        let output = ws.file("retail-sample.sqlite")
        // A segment whose name needs escaping, with members who entered and one who left.
        var handle: OpaquePointer?
        #expect(sqlite3_open(output, &handle) == SQLITE_OK)
        let sql = """
            INSERT INTO segment_membership SELECT 'vip <gold>', profile_id, '2024-06-01' FROM profiles LIMIT 3;
            INSERT INTO segment_changes (run_id, segment, profile_id, change, at)
              SELECT 1, 'vip <gold>', profile_id, 'entered', '2024-06-01' FROM profiles LIMIT 3;
            INSERT INTO segment_changes (run_id, segment, profile_id, change, at) VALUES (1, 'vip <gold>', 'p_x', 'exited', '2024-06-01');
            """
        #expect(sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK)
        sqlite3_close(handle)
        let outcome = try CLI.run(["report", output, "-o", ws.file("s.html")])
        try #require(outcome.status == 0, "\(outcome)")
        let dom = try Chromium.run(["--dump-dom"], url: "file://" + ws.file("s.html"))
        let db = try Database(output)
        let expected = db.rows("""
            SELECT s.segment, (SELECT count(*) FROM segment_membership m WHERE m.segment = s.segment),
                   (SELECT count(*) FROM segment_changes c WHERE c.segment = s.segment AND c.run_id = 1 AND c.change = 'entered'),
                   (SELECT count(*) FROM segment_changes c WHERE c.segment = s.segment AND c.run_id = 1 AND c.change = 'exited')
            FROM (SELECT segment FROM segments UNION SELECT segment FROM segment_membership) s ORDER BY s.segment
            """)
        #expect(expected.count == 5)
        let chart = try #require(Chromium.element("svg", id: "segments-chart", in: dom), "\(dom.prefix(2000))")
        #expect(Chromium.count("<rect class=\"bar\"", in: chart) == expected.count)
        let table = try #require(Chromium.element("table", id: "segments-table", in: dom))
        for row in expected {
            let name = RunReport.escapeHTML(row[0] ?? "")
            #expect(table.contains("<td>\(name)</td><td class=\"num\">\(row[1] ?? "")</td><td class=\"num\">+\(row[2] ?? "")</td><td class=\"num\">−\(row[3] ?? "")</td>"),
                    "\(row) in \(table)")
        }
        #expect(table.contains("<td>vip &lt;gold&gt;</td><td class=\"num\">3</td><td class=\"num\">+3</td><td class=\"num\">−1</td>"), "\(table)")

        // An output without segment tables says so.
        let csv = try ws.write("in/contacts.csv", fixtureCSV)
        let plain = try ws.write("plain.yml", fixturePipeline(csv: csv, output: ws.file("plain.sqlite")))
        #expect(try CLI.run(["run", plain, "--quiet", "--report", ws.file("plain.html")]).status == 0)
        let plainDOM = try Chromium.run(["--dump-dom"], url: "file://" + ws.file("plain.html"))
        #expect(plainDOM.contains("This output has no segments."))
        #expect(Chromium.element("svg", id: "stages-chart", in: plainDOM) != nil)
    }

    @Test func failedRunIsRecordedAndReported() throws {
        let ws = try Workspace()
        let csv = try ws.write("in/contacts.csv", fixtureCSV)
        let output = ws.file("out/result.sqlite")
        let good = try ws.write("good.yml", fixturePipeline(csv: csv, output: output))
        #expect(try CLI.run(["run", good, "--quiet"]).status == 0)
        let before = try #require(fileBytes(output))

        let strict = try ws.write("strict.yml", fixturePipeline(csv: csv, output: output, gate: "0"))
        let report = ws.file("failed.html")
        let failed = try CLI.run(["run", strict, "--report", report])
        #expect(failed.status == 1, "\(failed)")
        #expect(fileBytes(output) == before, "the published database changed")
        #expect(ws.contents("out") == ["result.sqlite", "result.sqlite.lock", "result.sqlite.runs.jsonl"])

        // The ledger line: run 2, failed at the gate, with its counts and reasons.
        let lines = try String(contentsOfFile: output + ".runs.jsonl", encoding: .utf8).split(separator: "\n")
        try #require(lines.count == 1)
        let entry = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(entry["run_id"] as? Int == 2)
        #expect(entry["status"] as? String == "failed")
        #expect(entry["failure"] as? String == "gate_failed")
        #expect(entry["exit_code"] as? Int == 1)
        #expect(entry["records_read"] as? Int == 6 && entry["records_quarantined"] as? Int == 2)
        #expect((entry["reasons"] as? [String])?.first?.contains("2 of 6 records rejected") == true, "\(entry)")
        #expect(permissions(output + ".runs.jsonl") == 0o600)

        // `pipeline runs` lists it beside the published run.
        let runs = try CLI.run(["runs", output])
        #expect(runs.status == 0, "\(runs)")
        let listed = runs.stdout.split(separator: "\n").dropFirst()
        #expect(listed.count == 2, "\(runs.stdout)")
        #expect(listed.first?.hasPrefix("2 ") == true && listed.first?.contains("failed") == true
                && listed.first?.contains("gate_failed: source 'contacts': 2 of 6 records rejected") == true, "\(runs.stdout)")
        #expect(listed.last?.hasPrefix("1 ") == true && listed.last?.contains("succeeded") == true, "\(runs.stdout)")

        // The report says why it failed, and renders.
        let dom = try Chromium.run(["--dump-dom"], url: "file://" + report)
        let why = try #require(Chromium.element("section", id: "failure", in: dom), "\(dom.prefix(2000))")
        #expect(why.contains("A data gate failed"))
        #expect(why.contains("2 of 6 records rejected, over the limit of 0 records (quarantine.max_rejected)"), "\(why)")
        #expect(dom.contains("<span class=\"badge\">failed</span>"))
        let stageChart = try #require(Chromium.element("svg", id: "stages-chart", in: dom))
        #expect(Chromium.count("<rect class=\"bar\"", in: stageChart) == 2)  // plan, extract+transform+load; the gate stopped it there
        // `pipeline report --run 2` gives the same page from the ledger line.
        let again = try CLI.run(["report", output, "--run", "2"])
        #expect(again.status == 0 && again.stdout.contains("A data gate failed"), "\(again)")

        // The next run takes the next id, after the failed one.
        #expect(try CLI.run(["run", good, "--quiet"]).status == 0)
        #expect(try Database(output).rows("SELECT run_id, status FROM runs ORDER BY run_id") == [["1", "succeeded"], ["3", "succeeded"]])
        let history = try CLI.run(["runs", output]).stdout.split(separator: "\n").dropFirst().map { $0.prefix(2) }
        #expect(history == ["3 ", "2 ", "1 "])
    }

    @Test func firstRunFailingIsRecordedWithoutAnOutput() throws {
        let ws = try Workspace()
        let csv = try ws.write("in/contacts.csv", fixtureCSV)
        let output = ws.file("out/result.sqlite")
        let pipeline = try ws.write("p.yml", fixturePipeline(csv: csv, output: output, gate: "1"))
        let failed = try CLI.run(["run", pipeline, "--report", ws.file("r.html")])
        #expect(failed.status == 1, "\(failed)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let runs = try CLI.run(["runs", output])
        #expect(runs.status == 0 && runs.stdout.contains("\n1    ") && runs.stdout.contains("gate_failed: source"), "\(runs)")
        let html = try String(contentsOfFile: ws.file("r.html"), encoding: .utf8)
        #expect(html.contains("A data gate failed") && html.contains("over the limit of 1 record"), "\(html)")
        let report = try CLI.run(["report", output, "--run", "1"])
        #expect(report.status == 0 && report.stdout.contains("A data gate failed"), "\(report)")
        // Without --run there is no published run to report.
        let latest = try CLI.run(["report", output])
        #expect(latest.status == 1 && latest.stderr.contains("no output database"), "\(latest)")
    }

    @Test func stagesRecordTheirPeakMemory() throws {
        let ws = try Workspace()
        #expect(try CLI.run(["run", Self.samplePipeline, "--quiet"], environment: ["TRIBUTARY_OUT": ws.path]).status == 0)
        let db = try Database(ws.file("retail-sample.sqlite"))
        let peaks = db.rows("SELECT stage, peak_rss_bytes FROM run_stages ORDER BY rowid")
        #expect(peaks.count >= 4)
        for row in peaks {
            // More than a megabyte and less than the machine: a resident size in bytes.
            let bytes = Int(row[1] ?? "") ?? 0
            #expect(bytes > 1 << 20 && bytes < 64 << 30, "stage \(row[0] ?? ""): \(bytes)")
        }
        let runs = try CLI.run(["runs", ws.file("retail-sample.sqlite")])
        let line = try #require(runs.stdout.split(separator: "\n").dropFirst().first)
        let columns = line.split(separator: " ", omittingEmptySubsequences: true)
        #expect(runs.stdout.contains("peak_mib"))
        #expect((Double(columns.count > 7 ? columns[7] : "") ?? 0) > 1, "\(runs.stdout)")
    }

    @Test func textIsEscaped() {
        #expect(RunReport.escapeHTML("<b>\"Tom\" & 'Jerry'</b>") == "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;")
        var report = RunReport(database: "/tmp/<x>.sqlite")
        report.pipeline = "<script>alert(1)</script>"
        report.status = "succeeded"
        report.stages = [.init(name: "a&b", wallMs: 10, cpuMs: 5, peakRSSBytes: 1 << 20, recordsIn: 1, recordsOut: 1)]
        let html = report.html()
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("a&amp;b"))
    }
}

@Suite("Progress")
struct ProgressTests {
    @Test func linesOnStderrWhenItIsNotATerminal() throws {
        let ws = try Workspace()
        let pipeline = ReportTests.samplePipeline
        // Stage ends always print a line; --progress-interval 0 prints one per loaded piece too.
        let outcome = try CLI.run(["run", pipeline, "--jobs", "2", "--progress-interval", "0", "--piece-mib", "1"],
                                  environment: ["TRIBUTARY_OUT": ws.path])
        #expect(outcome.status == 0, "\(outcome)")
        let lines = outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("info: progress ") }
        #expect(lines.contains { $0.hasPrefix("info: progress extract done: 72 records, ") && $0.contains("(100%)") }, "\(outcome.stderr)")
        #expect(lines.contains { $0.hasPrefix("info: progress extract: ") && $0.contains("MB/s") }, "\(outcome.stderr)")
        #expect(lines.contains { $0.hasPrefix("info: progress identity done:") }, "\(outcome.stderr)")
        #expect(!outcome.stderr.contains("\r"), "no terminal redraws in a file")

        // The default (every 5 s) on a short run: the stage ends only. JSON logs get JSON progress.
        let json = try CLI.run(["run", pipeline, "--log-format", "json"], environment: ["TRIBUTARY_OUT": ws.path])
        #expect(json.status == 0, "\(json)")
        #expect(json.stderr.contains("\"message\":\"progress extract done: 72 records"), "\(json.stderr)")

        let quiet = try CLI.run(["run", pipeline, "--quiet"], environment: ["TRIBUTARY_OUT": ws.path])
        #expect(quiet.status == 0 && !quiet.stderr.contains("progress"), "\(quiet)")
    }

    @Test func terminalLineIsRedrawnInPlaceWithAnETA() {
        final class Sink: @unchecked Sendable { var text = "" }
        let sink = Sink()
        let reporter = ProgressReporter(mode: .terminal, interval: 0) { sink.text += $0 }
        let start = Date(timeIntervalSinceNow: -2)
        reporter.update(RunProgress(event: .started, stage: "extract", bytesTotal: 40_000_000, piecesTotal: 10, startedAt: start))
        reporter.update(RunProgress(event: .advanced, stage: "extract", records: 1234, bytesDone: 10_000_000, bytesTotal: 40_000_000,
                                    piecesDone: 1, piecesTotal: 10, startedAt: start))
        #expect(sink.text.hasSuffix("\r\u{1B}[Kextract: 1,234 records, 10.0 of 40.0 MB (25%), 5.0 MB/s, 2.0 s, ETA 0:06"), "\(sink.text.debugDescription)")
        reporter.update(RunProgress(event: .finished, stage: "extract", records: 5000, bytesDone: 40_000_000, bytesTotal: 40_000_000,
                                    piecesDone: 10, piecesTotal: 10, startedAt: start))
        #expect(sink.text.hasSuffix("\r\u{1B}[Kextract done: 5,000 records, 40.0 of 40.0 MB (100%), 20.0 MB/s, 2.0 s\n"), "\(sink.text.debugDescription)")
    }
}
