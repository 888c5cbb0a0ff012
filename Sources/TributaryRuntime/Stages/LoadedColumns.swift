import TributaryCore

/// Fields of the loaded records kept in memory as the load writes them, for the stages after the
/// load: identity resolution reads its identifiers, keys and matching attributes from here
/// instead of scanning every source table back out of the store (1.3 to 1.9 s of 8 at 100k Acme
/// customers).
///
/// Nothing is copied: each written batch's columns of the kept fields are retained as they are
/// (their byte arenas are shared with the batch), with the batch's first record id, file and
/// lines. The load writes records with ids 1, 2, 3... in batch order, so the n-th kept record is
/// `_record_id` n. A table whose rows change after the load (a `keep:` rule other than `first`
/// deletes duplicates in SQL) is dropped from here, and its stage reads it from the store.
final class LoadedColumns {
    /// One source table's kept fields.
    struct Table {
        /// The kept fields, in the order given, with their declared types.
        let fields: [String]
        let types: [FieldType]
        /// The written batches, in record order.
        fileprivate(set) var chunks: [Chunk] = []
        /// Records kept (the last `_record_id`).
        fileprivate(set) var count = 0
        /// Per field: whether every kept value is the text `CAST(field AS TEXT)` returns (nil: not
        /// checked yet). Text-affinity columns store text as bound; an INTEGER column converts a
        /// canonical integer, which casts back to the same text, and keeps empty text as it is;
        /// other text there (`007`, `3.0`) may come back changed, so the table is scanned.
        fileprivate var exact: [Bool?]

        /// The records of one written batch: ids `firstID ..< firstID + lines.count`.
        struct Chunk {
            let firstID: Int
            let fileID: Int
            let lines: [Int]
            /// One column per kept field, in `fields` order.
            let columns: [TextColumn]
        }

        /// Calls `body(id, file, line, chunk, row)` for each record, in `_record_id` order.
        func forEachRecord(_ body: (Int, Int, Int, Chunk, Int) -> Void) {
            for chunk in chunks {
                for row in chunk.lines.indices {
                    body(chunk.firstID + row, chunk.fileID, chunk.lines[row], chunk, row)
                }
            }
        }

        /// Calls `body(id, text)` for each non-empty value of kept field `f`, in `_record_id` order:
        /// what `SELECT _record_id, CAST(field AS TEXT) ... WHERE field <> ''` returns.
        func forEachValue(_ f: Int, _ body: (Int, UnsafeBufferPointer<UInt8>) -> Void) {
            for chunk in chunks {
                let column = chunk.columns[f]
                column.bytes.withUnsafeBufferPointer { bytes in
                    column.spans.withUnsafeBufferPointer { spans in
                        for row in spans.indices {
                            let span = spans[row]
                            guard !span.isNull, span.length > 0 else { continue }
                            body(chunk.firstID + row, UnsafeBufferPointer(rebasing: bytes[Int(span.offset)..<Int(span.offset + span.length)]))
                        }
                    }
                }
            }
        }
    }

    private var tables: [String: Table] = [:]
    /// Per source: where each kept field is in the source's table layout.
    private var positions: [String: [Int]] = [:]

    /// Keeps `fields` of each source (names of its table's fields; others are ignored).
    init(tables: [SourceTable], fields: [String: [String]]) {
        for table in tables {
            var kept: [String] = [], types: [FieldType] = [], at: [Int] = []
            for field in fields[table.source] ?? [] where !kept.contains(field) {
                guard let i = table.fields.firstIndex(of: field) else { continue }
                kept.append(field)
                types.append(table.types[i])
                at.append(i)
            }
            self.tables[table.source] = Table(fields: kept, types: types, exact: Array(repeating: nil, count: kept.count))
            positions[table.source] = at
        }
    }

    /// Keeps the batch the load just wrote to `source`'s table (`layout[i]`: the batch column of
    /// the table's field i).
    func append(source: String, batch: RecordBatch, layout: [Int], fileID: Int) {
        guard batch.count > 0, let at = positions[source], tables[source] != nil else { return }
        let chunk = Table.Chunk(firstID: tables[source]!.count + 1, fileID: fileID, lines: batch.lines,
                                columns: at.map { Self.compact(batch.columns[layout[$0]]) })
        tables[source]!.chunks.append(chunk)
        tables[source]!.count += batch.count
    }

    /// The column itself, or a copy without the spare capacity an extractor reserved for it (a
    /// mostly empty field of the event log reserves 16 bytes a row): kept columns stay for the
    /// whole load, so they hold what their values take.
    private static func compact(_ column: TextColumn) -> TextColumn {
        var column = column
        if column.bytes.capacity > column.bytes.count + column.bytes.count / 4 + 4096 {
            column.bytes = column.bytes.withUnsafeBufferPointer { Array($0) }
        }
        if column.spans.capacity > column.spans.count + column.spans.count / 4 + 512 {
            column.spans = column.spans.withUnsafeBufferPointer { Array($0) }
        }
        return column
    }

    /// Forgets every table (the stage that read them is done with them).
    func removeAll() {
        tables = [:]
    }

    /// Forgets `source`: its table's rows changed after the load.
    func drop(source: String) {
        tables[source] = nil
    }

    /// The kept table of `source` when it holds `fields` exactly as the store does and `rows`
    /// records (the store's count, a check that nothing was written around the load); else nil.
    func table(_ source: String, fields: [String], rows: Int) -> Table? {
        guard var table = tables[source], table.count == rows else { return nil }
        for field in fields {
            guard let f = table.fields.firstIndex(of: field) else { return nil }
            if table.exact[f] == nil { table.exact[f] = Self.castsBack(table, f) }
            tables[source] = table
            guard table.exact[f] == true else { return nil }
        }
        return table
    }

    /// Whether every value of field `f` reads back from the store as the same text.
    private static func castsBack(_ table: Table, _ f: Int) -> Bool {
        guard table.types[f].sqlType == "INTEGER" else { return true }
        for chunk in table.chunks {
            let column = chunk.columns[f]
            let canonical = column.bytes.withUnsafeBufferPointer { bytes in
                column.spans.allSatisfy { span in
                    span.isNull || span.length == 0 || isCanonicalInteger(UnsafeBufferPointer(rebasing: bytes[Int(span.offset)..<Int(span.offset + span.length)]))
                }
            }
            if !canonical { return false }
        }
        return true
    }

    /// `0` or an optional `-` and up to 18 digits without a leading zero: text an INTEGER column
    /// stores as that integer, and that casts back to itself.
    static func isCanonicalInteger(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var digits = text[...]
        if digits.first == UInt8(ascii: "-") { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        if digits.first == 0x30 { return digits.count == 1 && digits.count == text.count }
        return true
    }
}
