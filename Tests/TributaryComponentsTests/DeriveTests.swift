import Testing
@testable import TributaryComponents
import TributaryCore

@Suite("derive")
struct DeriveTests {
    func node(_ pairs: [(String, String)]) -> ConfigNode {
        let at = SourceLocation(file: "t.yml", line: 3, column: 5)
        return ConfigNode(.mapping(pairs.map { ConfigEntry(key: $0.0, keyLocation: at, value: ConfigNode(.scalar($0.1), at: at)) }), at: at)
    }

    func batch(_ rows: [[String?]]) -> RecordBatch {
        var b = RecordBatch(columnCount: rows.first?.count ?? 0)
        for row in rows {
            for (c, v) in row.enumerated() { b.columns[c].append(v) }
            b.lines.append(b.lines.count + 2)
        }
        return b
    }

    @Test func templateJoinsFieldsAndSkipsEmptyOnes() throws {
        var scope = FieldScope(fields: ["first_name", "last_name"])
        var bag = DiagnosticBag()
        let t = try #require(Derive.make(node([("into", "full_name"), ("template", "{first_name} {last_name}!")]),
                                         scope: &scope, diagnostics: &bag))
        var b = batch([["Ann", "Lee"], [nil, "Chen"], [nil, nil]])
        _ = t.apply(to: &b)
        #expect(scope.column(of: "full_name") == 2)
        #expect((0..<3).map { b.columns[2].string($0) } == ["Ann Lee!", " Chen!", nil])
    }

    @Test func expressionComputesExactDecimals() throws {
        var scope = FieldScope(fields: ["qty", "unit_price"])
        var bag = DiagnosticBag()
        let t = try #require(Derive.make(node([("into", "total_cents"), ("expression", "qty * unit_price * 100")]),
                                         scope: &scope, diagnostics: &bag))
        var b = batch([["3", "19.99"], ["2", nil], ["x", "1.00"]])
        var counters = TransformCounters()
        _ = t.apply(to: &b, counters: &counters)
        #expect((0..<3).map { b.columns[2].string($0) } == ["5997", nil, nil])
        #expect(counters.values == ["derive.total_cents.not_a_number": 1])
    }

    @Test func configErrors() {
        var scope = FieldScope(fields: ["qty"])
        var bag = DiagnosticBag()
        #expect(Derive.make(node([("into", "x"), ("template", "{qtty}")]), scope: &scope, diagnostics: &bag) == nil)
        #expect(bag.items.map(\.code) == [.unknownField])
        #expect(bag.items.first?.hint == "did you mean 'qty'?")
        var bag2 = DiagnosticBag()
        #expect(Derive.make(node([("into", "x"), ("expression", "qty > 1")]), scope: &scope, diagnostics: &bag2) == nil)
        #expect(bag2.items.map(\.code) == [.invalidValue])
        var bag3 = DiagnosticBag()
        #expect(Derive.make(node([("into", "qty"), ("expression", "qty * 2")]), scope: &scope, diagnostics: &bag3) == nil)
        #expect(bag3.items.map(\.code) == [.duplicateField])
    }
}
