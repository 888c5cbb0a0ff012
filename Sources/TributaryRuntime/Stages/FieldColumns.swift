/// The text of several fields of one loaded table, read in one scan and kept in one byte arena:
/// each field's non-empty values in `_record_id` order, as `SELECT _record_id, CAST(field AS TEXT)
/// ... WHERE field IS NOT NULL` would return them one query per field.
///
/// A stage that reads many fields of a wide table (the identifiers of the event log: user id,
/// e-mail, device, phone...) walks every row once instead of once per field; the values are
/// replayed field by field in the same order, so what the stage builds from them is unchanged.
struct FieldColumns {
    /// The fields, in the order given.
    let fields: [String]
    /// Per field: the `_record_id` of each value, and where its bytes start and end in `arena`
    /// (the fields' values interleave there, row by row).
    private var records: [[Int]]
    private var starts: [[Int]]
    private var ends: [[Int]]
    private var arena: [UInt8] = []

    /// Reads `fields` (distinct names) of `table` in one scan.
    init(store: StageStore, table: String, fields: [String]) throws(RunError) {
        self.fields = fields
        records = Array(repeating: [], count: fields.count)
        starts = Array(repeating: [], count: fields.count)
        ends = Array(repeating: [], count: fields.count)
        guard !fields.isEmpty else { return }
        let dialect = store.dialect
        let list = fields.map { dialect.castText(dialect.quote($0)) }.joined(separator: ", ")
        let rows = try store.scan("SELECT _record_id, \(list) FROM \(dialect.quote(table)) ORDER BY _record_id")
        while try rows.next() {
            let id = rows.int(0)
            for f in fields.indices {
                guard let text = rows.textBytes(Int32(f + 1)), !text.isEmpty else { continue }
                records[f].append(id)
                starts[f].append(arena.count)
                arena.append(contentsOf: text)
                ends[f].append(arena.count)
            }
        }
    }

    /// The load's columns in memory instead (`LoadedColumns`): no scan and no copy.
    private var loaded: LoadedColumns.Table?

    /// The same values from the load's columns in memory, read where they are.
    init(loaded: LoadedColumns.Table, fields: [String]) {
        self.fields = fields
        records = []
        starts = []
        ends = []
        self.loaded = loaded
    }

    /// Calls `body` with each non-empty value of `field` and its `_record_id`, in record order.
    func forEach(_ field: String, _ body: (Int, UnsafeBufferPointer<UInt8>) -> Void) {
        guard let f = fields.firstIndex(of: field) else { return }
        if let loaded {
            if let kept = loaded.fields.firstIndex(of: field) { loaded.forEachValue(kept, body) }
            return
        }
        let ids = records[f], from = starts[f], to = ends[f]
        arena.withUnsafeBufferPointer { bytes in
            for i in ids.indices {
                body(ids[i], UnsafeBufferPointer(rebasing: bytes[from[i]..<to[i]]))
            }
        }
    }
}
