import CSQLite
import Foundation
import TributaryConfig
import TributaryCore

/// Checks every SQL expression of a pipeline (activity kinds and fields, traits, segments, export
/// columns) without data: it builds the output schema the run would build in an in-memory SQLite
/// database and prepares each expression against it, as the run will. SQLite's error offset
/// points the diagnostic at the exact column of the pipeline file.
public enum AudienceChecker {
    public static func check(_ definition: PipelineDefinition) -> [Diagnostic] {
        let audience = definition.audience
        guard !audience.isEmpty, let db = try? SQLiteDatabase(path: ":memory:") else { return [] }
        var diagnostics: [Diagnostic] = []
        do {
            try db.registerTimeFunctions(asOf: AsOf(Date()))
            // The schema the run builds: the same statements for the source tables and activities.
            for source in definition.sources {
                try db.execute(SQLiteWriter.tableSchema(SourceTable(source: source.name, fields: source.layout.map(\.name),
                                                                    types: source.columnTypes)))
            }
            try db.execute(AudienceStage.activitiesSchema)
            try db.execute("""
                CREATE TABLE profile_records (source TEXT, record_id INTEGER, profile_id TEXT, linked_by TEXT, record_key TEXT);
                CREATE TABLE profiles (profile_id TEXT PRIMARY KEY, records INTEGER, sources TEXT, identified INTEGER);
                CREATE TABLE segment_membership (segment TEXT, profile_id TEXT, since TEXT);
                """)
            for attribute in definition.survivorship?.attributes ?? [] {
                try db.execute("ALTER TABLE profiles ADD COLUMN \(quoteIdentifier(attribute.name)) TEXT")
            }
        } catch {
            return []
        }

        func report(_ what: String, _ expression: SQLExpression, sql: String, prefix: String, columns: () -> [String]) {
            guard let problem = db.problem(preparing: sql) else { return }
            if expression.written != expression.text {
                // The database's message could quote the value of a `${VAR}`: say only where.
                diagnostics.append(.error(.invalidSQL, at: expression.location,
                                          "\(what): the SQL is not valid once `${...}` is filled in (the database's message is not shown: it could print the variable's value)",
                                          hint: "check the variable's value, or validate the expression with the value written out"))
                return
            }
            let offset = problem.offset.map { $0 - prefix.utf8.count }
            var hint: String?
            if let missing = problem.message.split(separator: ": ", maxSplits: 1).last, problem.message.hasPrefix("no such column") {
                hint = Suggestions.didYouMean(String(missing), in: columns())
                    ?? "available: " + columns().joined(separator: ", ")
            } else if problem.message.hasPrefix("misuse of aggregate") {
                hint = "aggregates belong in `traits:`; segments compare the trait columns"
            } else if problem.message == Self.trailingStatement {
                hint = "write a single SQL expression, without `;`"
            }
            diagnostics.append(.error(.invalidSQL, at: expression.location(ofByte: offset), "\(what): \(problem.message)", hint: hint))
        }
        func tableColumns(_ table: String) -> [String] { (try? db.columns(of: table)) ?? [] }

        // Activities: each expression over the source's fields.
        for activity in audience.activities {
            guard let source = definition.sources.first(where: { $0.name == activity.source }) else { continue }
            let from = " FROM (SELECT s.*, r.profile_id AS _profile_id FROM \(quoteIdentifier("src_" + source.name)) s JOIN profile_records r ON r.record_id = s._record_id)"
            var expressions: [(String, SQLExpression)] = [("`at` of activities of '\(activity.source)'", activity.at)]
            if let e = activity.amountCents { expressions.append(("`amount_cents` of activities of '\(activity.source)'", e)) }
            if let e = activity.key, e.location != activity.at.location { expressions.append(("`key` of activities of '\(activity.source)'", e)) }
            if let e = activity.order { expressions.append(("`order` of activities of '\(activity.source)'", e)) }
            for kind in activity.kinds { expressions.append(("activity kind '\(kind.name)' of '\(activity.source)'", kind.when)) }
            for (what, expression) in expressions {
                let prefix = "SELECT ("
                report(what, expression, sql: prefix + expression.text + ")" + from, prefix: prefix) {
                    source.layout.map(\.name)
                }
            }
        }
        // Golden attributes are columns of `profiles`: with a broken `profiles:` section the
        // expressions over profiles would report its attributes missing; they are left out.
        let profilesKnown = !definition.brokenSections.contains("profiles")
        // Traits: aggregates over activities joined to the profile (without other traits).
        for trait in audience.traits where profilesKnown {
            let prefix = "SELECT ("
            report("trait '\(trait.name)'", trait.expression,
                   sql: prefix + trait.expression.text + ") FROM activities a JOIN profiles p USING (profile_id) GROUP BY profile_id",
                   prefix: prefix) { tableColumns("activities") + tableColumns("profiles") }
        }
        if !audience.activities.isEmpty {
            for name in AudienceStage.traitColumns(audience).map(\.name) + AudienceDefinition.rfmTraits {
                try? db.execute("ALTER TABLE profiles ADD COLUMN \(quoteIdentifier(name))")
            }
        }
        // Segments: conditions over profile columns (attributes and traits).
        for segment in audience.segments where profilesKnown {
            let prefix = "SELECT 1 FROM profiles WHERE ("
            report("segment '\(segment.name)'", segment.condition, sql: prefix + segment.condition.text + ")", prefix: prefix) {
                tableColumns("profiles")
            }
        }
        // Exports: plain and hashed columns of profiles.
        let profileColumns = tableColumns("profiles")
        for export in audience.exports where profilesKnown {
            let named = export.columns + [export.hashEmail, export.hashPhone].compactMap { $0 }
            for column in named where !profileColumns.contains(column) {
                diagnostics.append(.error(.unknownField, at: export.location, "export '\(export.name)' names '\(column)', which is not a column of profiles",
                                          hint: Suggestions.didYouMean(column, in: profileColumns) ?? "columns: " + profileColumns.joined(separator: ", ")))
            }
        }
        return diagnostics
    }

    static let trailingStatement = "the expression is followed by another SQL statement"
}

extension SQLiteDatabase {
    /// Why `sql` does not prepare as exactly one statement (nil when it does), with the byte
    /// offset SQLite gives for the error when it gives one.
    func problem(preparing sql: String) -> (message: String, offset: Int?)? {
        var statement: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        return sql.withCString { start -> (String, Int?)? in
            let rc = sqlite3_prepare_v2(handle, start, -1, &statement, &tail)
            defer { sqlite3_finalize(statement) }
            guard rc == SQLITE_OK else {
                let offset = Int(sqlite3_error_offset(handle))
                return (lastError, offset >= 0 ? offset : nil)
            }
            if let tail, tail.pointee != 0 {
                let rest = String(cString: tail).trimmingCharacters(in: .whitespacesAndNewlines)
                if !rest.isEmpty { return (AudienceChecker.trailingStatement, tail - start) }
            }
            return nil
        }
    }

    func columns(of table: String) throws(RunError) -> [String] {
        let info = try prepare("SELECT name FROM pragma_table_info('\(table)')")
        var names: [String] = []
        while try info.next() { if let name = info.text(0) { names.append(name) } }
        return names
    }
}

/// Loading a pipeline file for `run` and `validate`: the loader's structural and reference
/// checks, then the SQL checks that need SQLite (which the config target does not link).
public enum PipelineCheck {
    public static func load(_ loader: PipelineLoader, path: String) -> (PipelineDefinition?, DiagnosticBag) {
        checked(loader.loadPartial(path: path))
    }

    /// The same for a pipeline read already (standard input); relative paths resolve against `baseDirectory`.
    public static func load(_ loader: PipelineLoader, text: String, file: String, baseDirectory: String) -> (PipelineDefinition?, DiagnosticBag) {
        checked(loader.loadPartial(text: text, file: file, baseDirectory: baseDirectory))
    }

    /// The SQL checks run on the definition even when the loader found errors elsewhere (on the
    /// parts without errors), so that one pass reports every problem; the definition is returned
    /// only when there is none.
    private static func checked(_ loaded: (PipelineDefinition?, DiagnosticBag)) -> (PipelineDefinition?, DiagnosticBag) {
        var (definition, diagnostics) = loaded
        if let loaded = definition {
            diagnostics.add(contentsOf: AudienceChecker.check(loaded))
        }
        if diagnostics.hasErrors { definition = nil }
        return (definition, diagnostics)
    }
}
