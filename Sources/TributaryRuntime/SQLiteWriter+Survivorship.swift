import TributaryConfig
import TributaryCore

extension SQLiteWriter {
    /// Builds the golden record: for each profile and attribute, the candidate values of its
    /// records are ranked by the attribute's rules, the best one becomes a column of `profiles`,
    /// and `golden_values` keeps where it came from (source and record), for lineage.
    func buildGoldenRecords(_ survivorship: SurvivorshipDefinition, tables: [SourceTable]) throws(RunError) -> Int {
        let tableBySource = Dictionary(uniqueKeysWithValues: tables.map { ($0.source, $0) })
        try db.execute("""
            CREATE TEMP TABLE candidates (profile_id TEXT, attribute TEXT, value TEXT, source TEXT, record_id INTEGER,
                                          priority INTEGER, recency TEXT, completeness INTEGER);
            CREATE TABLE golden_values (profile_id TEXT NOT NULL, attribute TEXT NOT NULL, value TEXT NOT NULL,
                                        source TEXT NOT NULL, record_id INTEGER NOT NULL, candidates INTEGER NOT NULL,
                                        PRIMARY KEY (profile_id, attribute));
            """)
        defer { try? db.execute("DROP TABLE temp.candidates") }
        for attribute in survivorship.attributes {
            for (source, field) in attribute.fields {
                guard let table = tableBySource[source] else { continue }
                let priority = attribute.prefer.firstIndex(of: source) ?? attribute.prefer.count
                let recency = attribute.recency[source].map { "CAST(s.\(Self.quote($0)) AS TEXT)" } ?? "NULL"
                let completeness = table.fields.isEmpty ? "0"
                    : table.fields.map { "(s.\(Self.quote($0)) IS NOT NULL)" }.joined(separator: " + ")
                try db.execute("""
                    INSERT INTO temp.candidates
                    SELECT r.profile_id, '\(attribute.name)', CAST(s.\(Self.quote(field)) AS TEXT), '\(source)', s._record_id,
                           \(priority), \(recency), \(completeness)
                    FROM \(Self.quote(table.tableName)) s
                    JOIN profile_records r ON r.source = '\(source)' AND r.record_id = s._record_id
                    WHERE s.\(Self.quote(field)) IS NOT NULL AND CAST(s.\(Self.quote(field)) AS TEXT) <> ''
                    """)
            }
            let order = attribute.rules.map { rule -> String in
                switch rule {
                case .sourcePriority: "priority"
                case .mostRecent: "recency IS NULL, recency DESC"
                case .mostFrequent: "frequency DESC"
                case .longest: "length(value) DESC"
                case .mostComplete: "completeness DESC"
                }
            } + ["priority", "record_id DESC"]
            try db.execute("""
                INSERT INTO golden_values
                SELECT profile_id, attribute, value, source, record_id, candidates FROM (
                  SELECT *, row_number() OVER (PARTITION BY profile_id ORDER BY \(order.joined(separator: ", "))) AS rank
                  FROM (SELECT *, count(*) OVER (PARTITION BY profile_id, value) AS frequency,
                               count(*) OVER (PARTITION BY profile_id) AS candidates
                        FROM temp.candidates WHERE attribute = '\(attribute.name)'))
                WHERE rank = 1
                """)
            try db.execute("""
                ALTER TABLE profiles ADD COLUMN \(Self.quote(attribute.name)) TEXT;
                UPDATE profiles SET \(Self.quote(attribute.name)) =
                  (SELECT value FROM golden_values g WHERE g.profile_id = profiles.profile_id AND g.attribute = '\(attribute.name)');
                DELETE FROM temp.candidates;
                """)
        }
        let count = try db.prepare("SELECT count(*) FROM golden_values")
        return try count.next() ? count.int(0) : 0
    }
}
