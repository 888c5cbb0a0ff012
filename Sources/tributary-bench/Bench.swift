import ArgumentParser
import Foundation
import TributaryComponents
import TributaryRuntime

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tributary-bench",
        abstract: "Benchmarks Tributary side by side with its peers on generated data.",
        subcommands: [CSV.self, Formats.self, Transforms.self, Generate.self, Fuzz.self])
}

struct CSV: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "CSV extraction into columnar batches vs DuckDB read_csv into a table, same file, same threads.")

    @Option(help: "Size of the generated CRM export, in MB.")
    var mb = 512

    @Option(help: "Thread counts to compare, comma-separated.")
    var jobs = "1,2"

    @Option(help: "Repetitions per measurement; the median is reported.")
    var repeats = 3

    @Option(help: "Folder for generated data.")
    var dataDir = "bench-data"

    @Option(help: "The `pipeline` binary, for the full run to SQLite (skipped if absent).")
    var pipeline: String?

    @Flag(help: "Skip DuckDB.")
    var noDuckdb = false

    func run() throws {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let path = "\(dataDir)/crm-\(mb)mb.csv"
        if !FileManager.default.fileExists(atPath: path) {
            FileHandle.standardError.write(Data("generating \(path)...\n".utf8))
            let stats = try CRMGenerator().write(to: path, targetBytes: mb * 1_000_000)
            FileHandle.standardError.write(Data("  \(stats.rows) rows, \(stats.broken) broken, \(stats.bytes) bytes\n".utf8))
        }
        let size = Double((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        let extractor = CSVExtractor(fields: CRMGenerator.header.enumerated().map {
            CSVExtractor.Field(name: "f\($0.offset)", columns: [$0.element])
        })
        let threadCounts = jobs.split(separator: ",").compactMap { Int($0) }

        print(String(format: "CSV extraction: %@ (%.1f MB), median of %d runs, %@",
                     path, size / 1e6, repeats, ProcessInfo.processInfo.activeProcessorCount == 1 ? "1 core" : "\(ProcessInfo.processInfo.activeProcessorCount) cores"))
        print("  engine                     jobs   seconds     MB/s      rows/s   records  loaded  quarantined")
        var ours: [Int: Double] = [:]
        var theirs: [Int: Double] = [:]
        for j in threadCounts {
            var times: [Double] = []
            var last = DryExtraction.Result()
            for _ in 0..<repeats {
                last = try DryExtraction.run(extractor, paths: [path], jobs: j)
                times.append(last.seconds)
            }
            let t = median(times)
            ours[j] = t
            print(String(format: "  Tributary (libcsv)          %3d  %8.3f  %7.1f  %10.0f  %8d  %6d  %6d", j, t, size / 1e6 / t,
                         Double(last.counts.records) / t, last.counts.records, last.counts.loaded, last.counts.quarantined))
            if !noDuckdb, let (dt, rows) = duckdb(path, threads: j) {
                theirs[j] = dt
                print(String(format: "  DuckDB read_csv → table     %3d  %8.3f  %7.1f  %10.0f  %8d", j, dt, size / 1e6 / dt,
                             Double(rows) / dt, rows))
            }
        }
        for j in threadCounts {
            if let a = ours[j], let b = theirs[j] {
                print(String(format: "  ratio at %d job%@: Tributary is %.2fx DuckDB's speed", j, j == 1 ? "" : "s", b / a))
            }
        }
        if let pipeline { fullRun(pipeline, path: path, size: size) }
    }

    func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s[s.count / 2]
    }

    /// Times DuckDB loading the same file with all columns as text (what our extractor produces).
    func duckdb(_ path: String, threads: Int) -> (Double, Int)? {
        DuckDB.time("SELECT * FROM read_csv('\(path)', header=true, all_varchar=true, delim=',', quote='\"', escape='\"', ignore_errors=true)",
                    threads: threads, repeats: repeats).map { ($0.seconds, $0.rows) }
    }

    /// Times `pipeline run` on the same file: extraction, transforms and the SQLite load together.
    func fullRun(_ binary: String, path: String, size: Double) {
        let dir = URL(fileURLWithPath: dataDir).standardizedFileURL.path
        let yaml = """
            version: 1
            name: bench-csv
            output: { sqlite: \(dir)/out/bench.sqlite }
            sources:
              crm:
                format: csv
                path: \(URL(fileURLWithPath: path).standardizedFileURL.path)
                fields:
            \(CRMGenerator.header.enumerated().map { "      f\($0.offset): \"\($0.element)\"" }.joined(separator: "\n"))
            """
        let file = "\(dir)/bench-csv.yml"
        try? yaml.write(toFile: file, atomically: true, encoding: .utf8)
        for j in jobs.split(separator: ",").compactMap({ Int($0) }) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["run", file, "--jobs", "\(j)", "--quiet"]
            let started = Date()
            do { try process.run() } catch { print("  cannot run \(binary)"); return }
            process.waitUntilExit()
            let t = Date().timeIntervalSince(started)
            print(String(format: "  full run to SQLite (pipeline run), %d job%@: %.2f s, %.1f MB/s (exit %d)", j, j == 1 ? "" : "s",
                         t, size / 1e6 / t, process.terminationStatus))
        }
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a retailer's CRM, web events and POS data with ground truth, deterministically from a seed.",
        discussion: "See Docs/generator.md for the files and what is deliberately broken in them. "
            + "--shape acme writes the exact shape of SampleData/acme (the Acme Outfitters export).")

    @Option(help: "Data shape: retail (the bench generator) or acme (the Acme Outfitters export).")
    var shape = "retail"

    @Option(help: "Number of people.")
    var persons = 10_000

    @Option(help: "Random seed: the same seed and size give the same files.")
    var seed: UInt64 = 7

    @Option(help: "Share of lines corrupted in the ways each format goes wrong (default 0.002 retail, 0.005 acme).")
    var corruptRate: Double?

    @Option(help: "Days of web events (retail shape).")
    var days = 4

    @Option(help: "Snapshot day D, YYYY-MM-DD (acme shape): everything happens before D 00:00Z.")
    var asOf = "2024-11-15"

    @Option(help: "Output folder.")
    var out: String

    func run() throws {
        let started = Date()
        switch shape {
        case "acme":
            let parts = asOf.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 3 else { throw ValidationError("--as-of must be YYYY-MM-DD") }
            var generator = AcmeGenerator(persons: persons, seed: seed, corruptRate: corruptRate ?? 0.005)
            generator.asOfDay = AcmeFormat.days(parts[0], parts[1], parts[2])
            let stats = try generator.write(to: out)
            let sources = ["crm", "events", "pos", "pos_legacy"]
            let detail = sources.map { "\($0) \(stats.valid[$0] ?? 0)/\(stats.invalid[$0] ?? 0)/\(stats.duplicates[$0] ?? 0)" }.joined(separator: ", ")
            print(String(format: "%d persons: %d valid records (%@ valid/invalid/duplicates), %d files, %.1f MB in %@ (%.1f s)",
                         persons, stats.valid.values.reduce(0, +), detail, stats.files, Double(stats.bytes) / 1e6, out,
                         Date().timeIntervalSince(started)))
            print("  phases: " + stats.timings.map { String(format: "%@ %.1f s", $0.0, $0.1) }.joined(separator: ", "))
        case "retail":
            let stats = try DataGenerator(persons: persons, seed: seed, corruptRate: corruptRate ?? 0.002, days: days).write(to: out)
            print(String(format: "%d persons: %d records (+%d corrupt lines), %.1f MB in %@ (%.1f s)",
                         persons, stats.records, stats.corrupt, Double(stats.bytes) / 1e6, out, Date().timeIntervalSince(started)))
        default:
            throw ValidationError("--shape must be retail or acme")
        }
    }
}
