import Foundation
import TributaryConfig

extension RunReport {
    /// The null (or empty) rate of one column of a source table.
    public struct ColumnHealth: Sendable, Equatable {
        public var source: String
        public var column: String
        public var rows: Int
        public var nulls: Int
        public var rate: Double { rows > 0 ? Double(nulls) / Double(rows) : 0 }
    }

    /// How many profiles have a golden value of one field.
    public struct GoldenFill: Sendable, Equatable {
        public var field: String
        public var filled: Int
        public var profiles: Int
        public var rate: Double { profiles > 0 ? Double(filled) / Double(profiles) : 0 }
    }

    /// Data health: null rates of the loaded records' fields, golden fill per field.
    public struct Health: Sendable, Equatable {
        public var columns: [ColumnHealth] = []
        public var golden: [GoldenFill] = []

        /// Reads every `src_*` table's own fields (not the `_` bookkeeping columns) and the
        /// `profiles` columns that hold golden values.
        static func read(_ db: Reader) throws(RunError) -> Health {
            var health = Health()
            for table in db.tables.filter({ $0.hasPrefix("src_") }).sorted() {
                let columns = try db.rows("SELECT name FROM pragma_table_info('\(table)') ORDER BY cid")
                    .compactMap { $0[0].text }.filter { !$0.hasPrefix("_") }
                guard !columns.isEmpty else { continue }
                let counts = columns.map { "sum(\(quoteIdentifier($0)) IS NULL OR \(quoteIdentifier($0)) = '')" }
                let row = try db.rows("SELECT count(*), \(counts.joined(separator: ", ")) FROM \(quoteIdentifier(table))")[0]
                let source = String(table.dropFirst(4))
                for (i, column) in columns.enumerated() {
                    health.columns.append(ColumnHealth(source: source, column: column, rows: row[0].int ?? 0, nulls: row[i + 1].int ?? 0))
                }
            }
            guard db.has("profiles"), db.has("golden_values") else { return health }
            // Golden fields follow the bookkeeping columns, before the traits: up to the last
            // column `golden_values` names (a trailing field no profile has is not told apart).
            let fields = Set(try db.rows("SELECT DISTINCT attribute FROM golden_values").compactMap { $0[0].text })
            let bookkeeping: Set<String> = ["profile_id", "records", "sources", "identified"]
            let all = try db.rows("SELECT name FROM pragma_table_info('profiles') ORDER BY cid").compactMap { $0[0].text }
                .filter { !bookkeeping.contains($0) }
            let columns = all.lastIndex(where: fields.contains).map { Array(all[...$0]) } ?? []
            guard !columns.isEmpty else { return health }
            let counts = columns.map { "count(nullif(\(quoteIdentifier($0)), ''))" }
            let row = try db.rows("SELECT count(*), \(counts.joined(separator: ", ")) FROM profiles")[0]
            health.golden = columns.enumerated().map { i, field in
                GoldenFill(field: field, filled: row[i + 1].int ?? 0, profiles: row[0].int ?? 0)
            }
            return health
        }
    }

    // MARK: - HTML

    /// Null rates per source column, golden fill, and the trend over the recent runs.
    func healthSection() -> String {
        var out = "<section id=\"health\">\n<h2>Data health</h2>\n"
        if let health {
            out += "<h3>Empty values per source field</h3>\n"
            out += "<p class=\"hint\">The share of loaded records whose field is NULL or empty, after the pipeline's transforms.</p>\n"
            out += Chart.rateBars(id: "null-rate-chart", title: "Null rate per field (%)",
                                  rows: health.columns.map { ($0.source, $0.column, $0.rate, "\(ProgressReporter.grouped($0.nulls)) of \(ProgressReporter.grouped($0.rows))") })
            out += "<h3>Golden record fill</h3>\n"
            out += Chart.rateBars(id: "golden-fill-chart", title: "Profiles with a golden value (%)",
                                  rows: health.golden.map { ("profiles", $0.field, $0.rate, "\(ProgressReporter.grouped($0.filled)) of \(ProgressReporter.grouped($0.profiles))") })
        } else {
            out += "<p class=\"empty\">Not read: the run stopped before publishing.</p>\n"
        }
        out += "<h3>Trend over the recent runs</h3>\n"
        let runs = history.reversed().filter { $0.records != nil || $0.loaded != nil }
        if runs.count >= 1 {
            out += Chart.lines(id: "trend-chart", title: "Records loaded, quarantined and profiles per run",
                               xLabels: runs.map { "run \($0.runID)" },
                               series: [("loaded", runs.map { $0.loaded }), ("quarantined", runs.map { $0.quarantined }),
                                        ("profiles", runs.map { $0.profiles })])
        } else {
            out += "<p class=\"empty\" id=\"trend-chart\">No run with counts yet.</p>\n"
        }
        return out + "</section>\n"
    }
}
