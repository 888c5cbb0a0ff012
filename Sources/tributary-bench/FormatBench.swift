import ArgumentParser
import Foundation
import TributaryComponents
import TributaryConfig
import TributaryCore
import TributaryRuntime

/// `tributary-bench formats`: extraction of JSON-lines events (plain and gzip) and of a
/// pipe-delimited Latin-1 POS dump, beside DuckDB's read_json / read_csv on the same files.
struct Formats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "JSON lines (plain, gzip) and delimited POS extraction vs DuckDB read_json / read_csv, same files, same threads.")

    @Option(help: "Size of each generated file, in MB.")
    var mb = 256

    @Option(help: "Thread counts to compare, comma-separated.")
    var jobs = "1,2"

    @Option(help: "Repetitions per measurement; the median is reported.")
    var repeats = 3

    @Option(help: "Folder for generated data.")
    var dataDir = "bench-data"

    @Flag(help: "Skip DuckDB.")
    var noDuckdb = false

    /// The sources, declared as a user would, so the benchmark goes through the real config path.
    static let pipeline = """
        version: 1
        name: bench-formats
        output: { sqlite: /dev/null }
        sources:
          events:
            format: jsonl
            path: events.jsonl
            fields:
              message_id: $.messageId
              type: $.type
              event: $.event
              user_id: $.userId
              anonymous_id: $.anonymousId
              email: $.traits.email
              revenue: $.properties.revenue
              sent_at: $.timestamp
            require:
              paths: [$.messageId, $.type]
          pos:
            format: delimited
            path: pos.txt
            delimiter: "|"
            encoding: iso-8859-1
            fields:
              txn_id: TXN_ID
              store_id: STORE_ID
              txn_ts: TXN_TS
              loyalty_card: LOYALTY_CARD
              customer_name: CUSTOMER_NAME
              sku: SKU
              qty: QTY
              unit_price: UNIT_PRICE
              amount_cents: AMOUNT_CENTS
        """

    func run() throws {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let (definition, diagnostics) = PipelineLoader(catalog: Registry.standard, environment: [:], mode: .validate)
            .load(text: Self.pipeline, file: "bench-formats.yml", baseDirectory: dataDir)
        guard let definition else { throw ValidationError("bench pipeline: \(diagnostics.sorted)") }
        let events = "\(dataDir)/events-\(mb)mb.jsonl"
        let pos = "\(dataDir)/pos-\(mb)mb.txt"
        if !FileManager.default.fileExists(atPath: events) { try writeEvents(events, bytes: mb * 1_000_000) }
        if !FileManager.default.fileExists(atPath: events + ".gz") { gzip(events) }
        if !FileManager.default.fileExists(atPath: pos) { try writePOS(pos, bytes: mb * 1_000_000) }
        let threadCounts = jobs.split(separator: ",").compactMap { Int($0) }
        let jsonl = definition.sources.first { $0.name == "events" }!.extractor
        let delimited = definition.sources.first { $0.name == "pos" }!.extractor

        print("Format extraction, median of \(repeats) runs; DuckDB loads the same file into a table")
        print("  format                          jobs   seconds     MB/s    records/s   records")
        let cases: [(String, String, any Extractor, String)] = [
            ("jsonl", events, jsonl,
             "SELECT * FROM read_json('PATH', format='newline_delimited', ignore_errors=true)"),
            ("jsonl.gz", events + ".gz", jsonl,
             "SELECT * FROM read_json('PATH', format='newline_delimited', compression='gzip', ignore_errors=true)"),
            ("delimited latin-1", pos, delimited,
             "SELECT * FROM read_csv('PATH', delim='|', header=true, quote='', encoding='latin-1', all_varchar=true, ignore_errors=true)"),
        ]
        var ratios: [String] = []
        for (label, path, extractor, sql) in cases {
            // MB/s are of the uncompressed text in every row, so gzip rows compare with plain ones.
            let size = Double((try FileManager.default.attributesOfItem(atPath: label == "jsonl.gz" ? events : path)[.size] as? Int) ?? 0)
            for j in threadCounts {
                var times: [Double] = []
                var last = DryExtraction.Result()
                for _ in 0..<repeats {
                    last = try DryExtraction.run(extractor, paths: [path], jobs: j)
                    times.append(last.seconds)
                }
                let t = times.sorted()[times.count / 2]
                let name = label.padding(toLength: 20, withPad: " ", startingAt: 0)
                print(String(format: "  Tributary %@ %3d  %8.3f  %7.1f  %11.0f  %8d", name, j, t, size / 1e6 / t,
                             Double(last.counts.records) / t, last.counts.records))
                if !noDuckdb, let (dt, rows) = duckdb(sql.replacingOccurrences(of: "PATH", with: path), threads: j) {
                    print(String(format: "  DuckDB    %@ %3d  %8.3f  %7.1f  %11.0f  %8d", name, j, dt, size / 1e6 / dt,
                                 Double(rows) / dt, rows))
                    ratios.append(String(format: "%@ at %d job%@: Tributary is %.2fx DuckDB's speed", label, j, j == 1 ? "" : "s", dt / t))
                }
            }
        }
        for r in ratios { print("  " + r) }
    }

    func duckdb(_ query: String, threads: Int) -> (Double, Int)? {
        DuckDB.time(query, threads: threads, repeats: repeats).map { ($0.seconds, $0.rows) }
    }

    func gzip(_ path: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-k", "-6", path]
        try? process.run()
        process.waitUntilExit()
    }

    func writeEvents(_ path: String, bytes target: Int) throws {
        var out = FileWriter(path: path)
        var rng = SplitMix(seed: 11)
        var written = 0
        var n = 0
        let events = ["Product Added", "Order Completed", "Product Viewed", "Checkout Started"]
        while written < target {
            n += 1
            let anon = String(format: "%08x-%04x-4%03x-a%03x-%012llx", UInt32(truncatingIfNeeded: rng.next()), rng.below(65536),
                              rng.below(4096), rng.below(4096), rng.next() & 0xFFFF_FFFF_FFFF)
            let line: String
            switch rng.below(4) {
            case 0:
                line = "{\"type\":\"identify\",\"messageId\":\"m-\(n)\",\"anonymousId\":\"\(anon)\",\"userId\":\"u\(rng.below(1_000_000))\",\"timestamp\":\"2024-06-0\(1 + rng.below(9))T10:\(10 + rng.below(50)):00.000Z\",\"traits\":{\"email\":\"user\(rng.below(1_000_000))@example.com\",\"firstName\":\"Zo\\u00eb\",\"lastName\":\"M\\u00fcller\",\"address\":{\"city\":\"Berlin\",\"postalCode\":\"10117\"}},\"context\":{\"ip\":\"203.0.113.\(rng.below(255))\",\"userAgent\":\"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36\",\"locale\":\"de-DE\"}}"
            default:
                line = "{\"type\":\"track\",\"event\":\"\(events[rng.below(events.count)])\",\"messageId\":\"m-\(n)\",\"anonymousId\":\"\(anon)\",\"timestamp\":\"2024-06-0\(1 + rng.below(9))T\(10 + rng.below(12)):\(10 + rng.below(50)):00.\(100 + rng.below(900))+02:00\",\"properties\":{\"product_id\":\"SKU-\(rng.below(5000))\",\"name\":\"Espresso Machine \\\"Pro\\\"\",\"price\":\(rng.below(500)).\(10 + rng.below(90)),\"revenue\":\(rng.below(900)).\(10 + rng.below(90)),\"currency\":\"EUR\",\"quantity\":\(1 + rng.below(3))},\"context\":{\"page\":{\"path\":\"/products/\(rng.below(5000))\",\"referrer\":\"https://www.example.com/search?q=espresso\"},\"library\":{\"name\":\"analytics.js\",\"version\":\"4.1.0\"}}}"
            }
            out.line(line)
            written += line.utf8.count + 1
        }
        try out.close()
    }

    func writePOS(_ path: String, bytes target: Int) throws {
        var out = FileWriter(path: path)
        var rng = SplitMix(seed: 13)
        let names: [[UInt8]] = ["LEE, ANN", "MÜLLER, JOSÉ", "NUÑEZ, ÁNGEL", "SCHRÖDER, JÜRGEN", "DUBOIS, HÉLÈNE", ""].map {
            $0.unicodeScalars.map { UInt8($0.value) }  // ISO-8859-1
        }
        out.text("TXN_ID|STORE_ID|TXN_TS|LOYALTY_CARD|CUSTOMER_NAME|SKU|QTY|UNIT_PRICE|AMOUNT_CENTS\r\n")
        var written = 0
        var txn = 100_000
        while written < target {
            txn += 1
            let name = names[rng.below(names.count)]
            let head = "\(txn)|S00\(1 + rng.below(5))|06/\(String(format: "%02d", 1 + rng.below(28)))/2024 \(String(format: "%02d:%02d", 7 + rng.below(13), rng.below(60)))|\(name.isEmpty ? "" : "LC-\(4_000_000 + rng.below(999_999))")|"
            for _ in 0..<(1 + rng.below(4)) {
                let qty = 1 + rng.below(3)
                let price = 100 + rng.below(900)
                var line = Array(head.utf8) + name
                line += Array("|SKU-\(rng.below(500))|\(qty)|\(price / 100).\(String(format: "%02d", price % 100))|\(qty * price)\r\n".utf8)
                out.bytes(line)
                written += line.count
            }
        }
        try out.close()
    }
}
