import Foundation

/// The peer: DuckDB, driven through its Python package, timing `CREATE TABLE t AS <query>`.
enum DuckDB {
    /// The median seconds of `repeats` runs of the query at `threads` threads, and the row count;
    /// nil (with a line saying so) when DuckDB is not installed or the query fails.
    static func time(_ query: String, threads: Int, repeats: Int) -> (seconds: Double, rows: Int)? {
        let script = """
            import duckdb, sys, time
            query, threads, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
            times = []
            for _ in range(repeats):
                con = duckdb.connect()
                con.execute(f"SET threads={threads}")
                con.execute("SET enable_progress_bar = false")
                t = time.perf_counter()
                con.execute("CREATE TABLE t AS " + query)
                times.append(time.perf_counter() - t)
                n = con.execute("SELECT count(*) FROM t").fetchone()[0]
                con.close()
            times.sort()
            print(times[len(times) // 2], n)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, query, "\(threads)", "\(repeats)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let parts = String(decoding: data, as: UTF8.self).split(separator: " ")
        guard process.terminationStatus == 0, parts.count == 2, let t = Double(parts[0]),
              let n = Int(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)) else {
            print("  DuckDB: not available for this case (pip install duckdb)")
            return nil
        }
        return (t, n)
    }
}
