import Foundation
import Testing
@testable import TributaryComponents
import TributaryCore
import TributaryTestSupport

// `map`, `null_if` and `coalesce`, built from config nodes against a field scope. Expected values
// are written by hand.

private let nodes = ConfigNodes(file: "g.yml", keys: .atValue)

@Suite("Generic transforms")
struct GenericTransformTests {

    // MARK: - map

    struct MapCase: Sendable, CustomTestStringConvertible {
        var fallback: String?
        var expected: [String?]
        var unmapped: Int
        var testDescription: String { "default: \(fallback ?? "(none)")" }
    }

    static let mapCases: [MapCase] = [
        MapCase(fallback: nil, expected: ["active", "lead", "X", nil, "a", ""], unmapped: 3),
        MapCase(fallback: "keep", expected: ["active", "lead", "X", nil, "a", ""], unmapped: 3),
        MapCase(fallback: "null", expected: ["active", "lead", nil, nil, nil, nil], unmapped: 3),
        MapCase(fallback: "other", expected: ["active", "lead", "other", nil, "other", "other"], unmapped: 3),
    ]

    @Test(arguments: mapCases)
    func mapInlineValues(_ c: MapCase) throws {
        var scope = FieldScope(fields: ["status"])
        var node = nodes.mapping(("field", nodes.scalar("status")), ("into", nodes.scalar("state")),
                          ("values", nodes.mapping(("A", nodes.scalar("active")), ("L", nodes.scalar("lead")))))
        if let fallback = c.fallback, case .mapping(var entries) = node.value {
            entries.append(ConfigEntry(key: "default", keyLocation: nodes.at(1), value: nodes.scalar(fallback)))
            node = ConfigNode(.mapping(entries), at: nodes.at(1))
        }
        let (transform, diagnostics) = build(MapValues.self, node, scope: &scope)
        #expect(diagnostics.isEmpty)
        #expect(scope.names == ["status", "state"])
        var b = batch(["A", "L", "X", nil, "a", ""])
        var counters = TransformCounters()
        _ = try #require(transform).apply(to: &b, counters: &counters)
        #expect(column(b, 1) == c.expected)
        #expect(column(b, 0) == ["A", "L", "X", nil, "a", ""])
        #expect(counters.values == ["map.unmapped": c.unmapped])
    }

    @Test func mapReadsItsTableOnFirstUseOnly() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("map-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("stores.csv").path

        var scope = FieldScope(fields: ["store"])
        let node = nodes.mapping(("field", nodes.scalar("store")), ("table", nodes.scalar(path)), ("key_column", nodes.scalar("id")),
                          ("value_column", nodes.scalar("region")), ("default", nodes.scalar("null")))
        // Building must not read the file: it does not exist yet.
        let (built, diagnostics) = build(MapValues.self, node, scope: &scope)
        #expect(diagnostics.isEmpty)
        let transform = try #require(built)
        let csv = "\u{FEFF}id,name,region\r\n17,\"Main St, Boston\",Northeast\r\n42,Downtown,\"West \"\"Coast\"\"\"\r\n\r\n7,Mall,South\n"
        try Data(csv.utf8).write(to: URL(fileURLWithPath: path))

        let results = await withTaskGroup(of: [String?].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var b = batch(["17", "42", "7", "99", nil])
                    _ = transform.apply(to: &b)
                    return column(b, 0)
                }
            }
            var all: [[String?]] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 8)
        for result in results { #expect(result == ["Northeast", "West \"Coast\"", "South", nil, nil]) }
    }

    @Test func mapWithAMissingTableCountsTheProblem() throws {
        var scope = FieldScope(fields: ["store"])
        let node = nodes.mapping(("field", nodes.scalar("store")), ("table", nodes.scalar("/nonexistent/stores.csv")), ("key_column", nodes.scalar("id")),
                          ("value_column", nodes.scalar("region")))
        let transform = try #require(build(MapValues.self, node, scope: &scope).transform)
        var b = batch(["17", "42"])
        var counters = TransformCounters()
        _ = transform.apply(to: &b, counters: &counters)
        #expect(column(b, 0) == ["17", "42"])
        #expect(counters.values == ["map.table_unreadable.missing": 2, "map.unmapped": 2])
    }

    @Test func mapConfigErrors() {
        var scope = FieldScope(fields: ["status"])
        let unknown = build(MapValues.self, nodes.mapping(("field", nodes.scalar("stat", line: 3, column: 17)), ("values", nodes.mapping(("A", nodes.scalar("a"))))),
                            scope: &scope)
        #expect(unknown.diagnostics.map(\.code) == [.unknownField])
        #expect(unknown.diagnostics.first?.location == nodes.at(3, 17))
        let neither = build(MapValues.self, nodes.mapping(("field", nodes.scalar("status"))), scope: &scope)
        #expect(neither.diagnostics.map(\.code) == [.missingKey])
        let noColumns = build(MapValues.self, nodes.mapping(("field", nodes.scalar("status")), ("table", nodes.scalar("/x.csv", line: 4))), scope: &scope)
        #expect(noColumns.diagnostics.map(\.code) == [.missingKey])
        #expect(noColumns.diagnostics.first?.location == nodes.at(4))
        #expect(scope.names == ["status"])
    }

    // MARK: - null_if

    @Test func nullIfPlaceholders() throws {
        var scope = FieldScope(fields: ["email", "phone", "name"])
        let (transform, diagnostics) = build(NullIf.self, nodes.mapping(
            ("fields", nodes.list("email", "phone")),
            ("values", nodes.list("unknown", "n/a", "0000000000", "test@example.com")),
            ("ignore_case", nodes.scalar("true"))), scope: &scope)
        #expect(diagnostics.isEmpty)
        var b = batch(["UNKNOWN", "ann@example.com", "Test@Example.com", nil, "N/A", "unknown "],
                        ["0000000000", "N/a", "555-0100", "000000000", nil, "unknown"],
                        ["unknown", "n/a", "x", "y", "z", "w"])
        var counters = TransformCounters()
        _ = try #require(transform).apply(to: &b, counters: &counters)
        #expect(column(b, 0) == [nil, "ann@example.com", nil, nil, nil, "unknown "])
        #expect(column(b, 1) == [nil, nil, "555-0100", "000000000", nil, nil])
        #expect(column(b, 2) == ["unknown", "n/a", "x", "y", "z", "w"])
        #expect(counters.values == ["null_if.email": 3, "null_if.phone": 3])
    }

    @Test func nullIfIsCaseSensitiveByDefault() throws {
        var scope = FieldScope(fields: ["v"])
        let transform = try #require(build(NullIf.self, nodes.mapping(("fields", nodes.scalar("v")), ("values", nodes.list("n/a"))), scope: &scope).transform)
        var b = batch(["n/a", "N/A", "na"])
        var counters = TransformCounters()
        _ = transform.apply(to: &b, counters: &counters)
        #expect(column(b, 0) == [nil, "N/A", "na"])
        #expect(counters.values == ["null_if.v": 1])

        let unknown = build(NullIf.self, nodes.mapping(("fields", nodes.list("v", "w")), ("values", nodes.list("x"))), scope: &scope)
        #expect(unknown.transform == nil)
        #expect(unknown.diagnostics.map(\.code) == [.unknownField])
    }

    // MARK: - coalesce

    @Test func coalesceTakesTheFirstNonEmptyValue() throws {
        var scope = FieldScope(fields: ["mobile", "phone", "work_phone"])
        let (transform, diagnostics) = build(Coalesce.self, nodes.mapping(
            ("fields", nodes.list("mobile", "phone", "work_phone")), ("into", nodes.scalar("best_phone"))), scope: &scope)
        #expect(diagnostics.isEmpty)
        #expect(scope.names == ["mobile", "phone", "work_phone", "best_phone"])
        var b = batch(["555-0101", nil, "", "  ", nil],
                        ["555-0202", "555-0202", nil, "555-0303", nil],
                        ["555-0909", "555-0909", "555-0909", nil, ""])
        _ = try #require(transform).apply(to: &b)
        #expect(column(b, 3) == ["555-0101", "555-0202", "555-0909", "555-0303", nil])
    }

    @Test func coalesceConfigErrors() {
        var scope = FieldScope(fields: ["mobile", "phone"])
        let unknown = build(Coalesce.self, nodes.mapping(("fields", nodes.list("mobile", "phnoe")), ("into", nodes.scalar("best"))), scope: &scope)
        #expect(unknown.diagnostics.map(\.code) == [.unknownField])
        #expect(unknown.diagnostics.first?.hint == "did you mean 'phone'?")
        let clash = build(Coalesce.self, nodes.mapping(("fields", nodes.list("mobile")), ("into", nodes.scalar("phone"))), scope: &scope)
        #expect(clash.diagnostics.map(\.code) == [.duplicateField])
        #expect(scope.names == ["mobile", "phone"])
    }
}
