import Foundation
import TributaryCore

/// `map`: replaces values through a mapping written in the pipeline (`values:`) or read from a
/// CSV reference file (`table:`). The file is read on first use, never by `validate`, once per
/// run, under a lock shared by the worker threads.
struct MapValues: Transform, TransformComponent {
    static let spec = ComponentSpec(
        name: "map", kind: .transform,
        summary: """
            Replaces values through `values: { from: to }`, or through a CSV file (`table`, with `key_column` and \
            `value_column`; read on first use). Values not found follow `default`: `keep` them, make them `null`, \
            or use the given text; counted `map.unmapped`. Comparisons are exact.
            """,
        shape: .object([
            Property("field", .string, required: true, doc: "the field to map"),
            Property("into", .string, doc: "a new field for the result; without it the field itself is replaced"),
            Property("values", .map(.string), doc: "the mapping, `{ from: to }`"),
            Property("table", .path, doc: "a CSV file with a header row holding the mapping"),
            Property("key_column", .string, doc: "the table's column holding the values to replace"),
            Property("value_column", .string, doc: "the table's column holding the replacements"),
            Property("default", .string, default: "keep", doc: "for values not found: `keep`, `null`, or a replacement text"),
        ]),
        example: "map: { field: status, values: { A: active, L: lead }, default: keep }")

    enum Fallback: Sendable { case keep, null, value([UInt8]) }

    var source: Int
    var target: Int
    var mapping: MappingSource
    var fallback: Fallback

    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)? {
        let before = diagnostics.errorCount
        let source = node["field"].flatMap { scope.resolve($0, diagnostics: &diagnostics) }
        let into = OutputField.check(node["into"], scope: scope, diagnostics: &diagnostics)
        var mapping: MappingSource?
        switch (node["values"], node["table"]) {
        case (let values?, nil):
            var table = ByteKeyTable<[UInt8]>()
            for entry in values.entries ?? [] { table.insert(Array(entry.key.utf8), Array((entry.value.scalar ?? "").utf8)) }
            mapping = .inline(table)
        case (nil, let path?):
            let key = node["key_column"], value = node["value_column"]
            if key == nil || value == nil {
                diagnostics.add(.error(.missingKey, at: path.location, "a `table` needs `key_column` and `value_column`",
                                       hint: "name the CSV columns to map from and to"))
            } else if let file = path.scalar, let k = key?.scalar, let v = value?.scalar {
                mapping = .file(LazyCSVMapping(path: file, keyColumn: k, valueColumn: v))
            }
        case (.some, .some):
            diagnostics.add(.error(.invalidValue, at: node.location, "map takes `values` or `table`, not both"))
        case (nil, nil):
            diagnostics.add(.error(.missingKey, at: node.location, "map needs `values` or `table`",
                                   hint: "e.g. `values: { A: active }`, or `table: ref/stores.csv`"))
        }
        let fallback: Fallback = switch node["default"]?.scalar {
        case nil, "keep": .keep
        case "null": .null
        case let text?: .value(Array(text.utf8))
        }
        guard diagnostics.errorCount == before, let source, let into, let mapping else { return nil }
        let target = into.map { scope.add($0) } ?? source
        return MapValues(source: source, target: target, mapping: mapping, fallback: fallback)
    }

    func apply(to batch: inout RecordBatch, counters: inout TransformCounters) -> Int {
        let table: ByteKeyTable<[UInt8]>
        switch mapping {
        case .inline(let t): table = t
        case .file(let lazy):
            switch lazy.table() {
            case .success(let t): table = t
            case .failure(let problem):
                // A transform cannot fail a run: every value is left unmapped, and the problem counted.
                counters.add("map.table_unreadable." + problem.reason, batch.count)
                table = ByteKeyTable()
            }
        }
        let input = batch.columns[source]
        var output = TextColumn.output(rows: batch.count, bytesPerRow: 8)
        var unmapped = 0
        for row in 0..<batch.count {
            input.withValue(row) { value in
                guard let value else { output.appendNull(); return }
                if let mapped = table[value] {
                    mapped.withUnsafeBufferPointer { output.append(bytes: $0) }
                    return
                }
                unmapped += 1
                switch fallback {
                case .keep: output.append(bytes: value)
                case .null: output.appendNull()
                case .value(let text): text.withUnsafeBufferPointer { output.append(bytes: $0) }
                }
            }
        }
        batch.store(output, at: target)
        counters.add("map.unmapped", unmapped)
        return 0
    }
}

enum MappingSource: Sendable {
    case inline(ByteKeyTable<[UInt8]>)
    case file(LazyCSVMapping)
}

struct MappingProblem: Error, Sendable { var reason: String }

/// A CSV mapping read on first use, once, whichever worker thread asks first.
final class LazyCSVMapping: @unchecked Sendable {   // state guarded by `lock`
    let path: String
    let keyColumn: String
    let valueColumn: String
    private let lock = NSLock()
    private var loaded: Result<ByteKeyTable<[UInt8]>, MappingProblem>?

    init(path: String, keyColumn: String, valueColumn: String) {
        self.path = path
        self.keyColumn = keyColumn
        self.valueColumn = valueColumn
    }

    func table() -> Result<ByteKeyTable<[UInt8]>, MappingProblem> {
        lock.lock()
        defer { lock.unlock() }
        if let loaded { return loaded }
        let result = load()
        loaded = result
        return result
    }

    private func load() -> Result<ByteKeyTable<[UInt8]>, MappingProblem> {
        guard let data = FileManager.default.contents(atPath: path) else { return .failure(MappingProblem(reason: "missing")) }
        var rows = LazyCSVMapping.parse(Array(data))
        guard !rows.isEmpty else { return .failure(MappingProblem(reason: "empty")) }
        let header = rows.removeFirst().map { String(decoding: $0, as: UTF8.self) }
        guard let k = header.firstIndex(of: keyColumn), let v = header.firstIndex(of: valueColumn) else {
            return .failure(MappingProblem(reason: "no_such_column"))
        }
        var table = ByteKeyTable<[UInt8]>()
        for row in rows where row.count > max(k, v) { table.insert(row[k], row[v]) }
        return .success(table)
    }

    /// RFC 4180 CSV: commas, double quotes (`""` inside), CRLF or LF; a leading BOM is skipped.
    static func parse(_ bytes: [UInt8]) -> [[[UInt8]]] {
        var rows: [[[UInt8]]] = []
        var row: [[UInt8]] = []
        var field: [UInt8] = []
        var quoted = false
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var fieldStarted = false
        while i < bytes.count {
            let b = bytes[i]
            if quoted {
                if b == 0x22 {
                    if i + 1 < bytes.count && bytes[i + 1] == 0x22 { field.append(0x22); i += 1 } else { quoted = false }
                } else {
                    field.append(b)
                }
            } else {
                switch b {
                case 0x22 where field.isEmpty: quoted = true; fieldStarted = true
                case 0x2C: row.append(field); field = []; fieldStarted = false
                case 0x0A, 0x0D:
                    if b == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A { i += 1 }
                    if !row.isEmpty || !field.isEmpty || fieldStarted { row.append(field); rows.append(row) }
                    row = []; field = []; fieldStarted = false
                default: field.append(b)
                }
            }
            i += 1
        }
        if !row.isEmpty || !field.isEmpty || fieldStarted { row.append(field); rows.append(row) }
        return rows
    }
}
