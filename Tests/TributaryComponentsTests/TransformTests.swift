import Testing
@testable import TributaryComponents
import TributaryCore
import TributaryTestSupport

// Transforms are built the way the loader builds them: through the registry, from config nodes,
// against a field scope; then applied to batches built by hand.

private let nodes = ConfigNodes(file: "t.yml", keys: .fixed(line: 1, column: 1))

/// Builds transform `name` from `node` against `scope`, returning it and the diagnostics.
private func make(_ name: String, _ node: ConfigNode, scope: inout FieldScope) -> (transform: (any Transform)?, diagnostics: [Diagnostic]) {
    var diagnostics = DiagnosticBag()
    let component = Registry.standard.transform(name)!
    let transform = component.make(node, scope: &scope, diagnostics: &diagnostics)
    return (transform, diagnostics.items)
}

@Suite("Transforms")
struct TransformTests {

    @Test func registryListsEveryComponent() {
        #expect(Registry.standard.extractors.map(\.format).first == "csv")
        let names = Registry.standard.transforms.map(\.name)
        #expect(Array(names.prefix(6)) == ["trim", "lower", "upper", "rename", "drop", "filter"])
        #expect(Set(names).count == names.count, "a transform is registered twice")
        for (name, component) in Registry.standard.transforms {
            #expect(component.spec.name == name)
            #expect(component.spec.kind == .transform)
        }
        #expect(Registry.standard.transform("nope") == nil)
        #expect(Registry.standard.extractor("csv") != nil)
    }

    // MARK: - trim

    @Test func trimRemovesSpacesTabsAndNoBreakSpaces() throws {
        var scope = FieldScope(fields: ["a", "b"])
        let (transform, diagnostics) = make("trim", nodes.scalar("all"), scope: &scope)
        #expect(diagnostics.isEmpty)
        var b = batch(
            [" a ", "\tb\t", "\u{00A0}c\u{00A0}", "  ", "\u{00A0}\t \u{00A0}", nil, "d e", "\r\n x \n", "é\u{00A0}", "\u{00A0}"],
            ["1", "2", "3", "4", "5", "6", "7", "8", "9", " 10 "])
        let removed = try #require(transform).apply(to: &b)
        #expect(removed == 0)
        #expect(column(b, 0) == ["a", "b", "c", nil, nil, nil, "d e", "x", "é", nil])
        #expect(column(b, 1) == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"])
        #expect(b.lines == Array(10..<20))
    }

    @Test func trimOnlyTheNamedFields() throws {
        var scope = FieldScope(fields: ["a", "b", "c"])
        let (transform, diagnostics) = make("trim", nodes.list("a", "c"), scope: &scope)
        #expect(diagnostics.isEmpty)
        var b = batch([" x "], [" y "], [" z "])
        _ = try #require(transform).apply(to: &b)
        #expect(column(b, 0) == ["x"])
        #expect(column(b, 1) == [" y "])
        #expect(column(b, 2) == ["z"])

        var single = FieldScope(fields: ["a", "b"])
        let one = make("trim", nodes.scalar("b"), scope: &single)
        var b2 = batch([" x "], [" y "])
        _ = try #require(one.transform).apply(to: &b2)
        #expect(column(b2, 0) == [" x "])
        #expect(column(b2, 1) == ["y"])
    }

    @Test func trimKeepsInnerNoBreakSpaceAndLookalikeBytes() throws {
        var scope = FieldScope(fields: ["a"])
        let transform = try #require(make("trim", nodes.scalar("all"), scope: &scope).transform)
        // U+00A0 (C2 A0) inside a value stays. U+0080 is C2 80 (starts like NBSP) and "à" is C3 A0
        // (ends like NBSP): neither is white space.
        var b = batch(["a\u{00A0}b", "\u{0080}x", "xà", "à"])
        _ = transform.apply(to: &b)
        #expect(column(b, 0) == ["a\u{00A0}b", "\u{0080}x", "xà", "à"])
    }

    // MARK: - lower / upper

    @Test func lowerASCIIAndUnicode() throws {
        var scope = FieldScope(fields: ["v", "other"])
        let (transform, diagnostics) = make("lower", nodes.list("v"), scope: &scope)
        #expect(diagnostics.isEmpty)
        var b = batch(["MÜLLER", "Ann@Example.COM", "straße", nil, "already", "ÀÉÎ", "123-ABC"],
                      ["KEEP", "KEEP", "KEEP", "KEEP", "KEEP", "KEEP", "KEEP"])
        #expect(try #require(transform).apply(to: &b) == 0)
        #expect(column(b, 0) == ["müller", "ann@example.com", "straße", nil, "already", "àéî", "123-abc"])
        #expect(column(b, 1) == Array(repeating: "KEEP", count: 7))
    }

    @Test func upperASCIIAndUnicode() throws {
        var scope = FieldScope(fields: ["v"])
        let (transform, diagnostics) = make("upper", nodes.scalar("all"), scope: &scope)
        #expect(diagnostics.isEmpty)
        var b = batch(["straße", "de", "Müller", nil, "ALREADY", "àéî", "x1-y2"])
        _ = try #require(transform).apply(to: &b)
        #expect(column(b, 0) == ["STRASSE", "DE", "MÜLLER", nil, "ALREADY", "ÀÉÎ", "X1-Y2"])
    }

    @Test func lowerAfterTrimSeesTheTrimmedValue() throws {
        var scope = FieldScope(fields: ["v"])
        let trim = try #require(make("trim", nodes.scalar("all"), scope: &scope).transform)
        let lower = try #require(make("lower", nodes.scalar("all"), scope: &scope).transform)
        var b = batch(["  ABC  ", "\u{00A0}ÄÖ ", "   "])
        _ = trim.apply(to: &b)
        _ = lower.apply(to: &b)
        #expect(column(b, 0) == ["abc", "äö", nil])
    }

    // MARK: - filter

    static let statuses: [String?] = ["active", "lead", nil, "churned", "active-2", "Active"]

    struct FilterCase: Sendable, CustomTestStringConvertible {
        var label: String
        var key: String
        var value: ConfigNode
        /// The statuses (by index into `statuses`) that are kept.
        var kept: [Int]
        var testDescription: String { label }
    }

    static let filterCases: [FilterCase] = [
        FilterCase(label: "present: true", key: "present", value: nodes.scalar("true"), kept: [0, 1, 3, 4, 5]),
        FilterCase(label: "present: false", key: "present", value: nodes.scalar("false"), kept: [2]),
        FilterCase(label: "equals", key: "equals", value: nodes.scalar("active"), kept: [0]),
        FilterCase(label: "not_equals", key: "not_equals", value: nodes.scalar("active"), kept: [1, 2, 3, 4, 5]),
        FilterCase(label: "in", key: "in", value: nodes.list("active", "lead"), kept: [0, 1]),
        FilterCase(label: "not_in", key: "not_in", value: nodes.list("active", "lead"), kept: [2, 3, 4, 5]),
        FilterCase(label: "prefix", key: "prefix", value: nodes.scalar("act"), kept: [0, 4]),
        FilterCase(label: "prefix longer than values", key: "prefix", value: nodes.scalar("active-2-long"), kept: []),
    ]

    @Test(arguments: filterCases)
    func filterConditions(_ c: FilterCase) throws {
        var scope = FieldScope(fields: ["id", "status"])
        let (transform, diagnostics) = make("filter", nodes.mapping(("field", nodes.scalar("status")), (c.key, c.value)), scope: &scope)
        #expect(diagnostics.isEmpty)
        var b = batch(["1", "2", "3", "4", "5", "6"], Self.statuses)
        let removed = try #require(transform).apply(to: &b)
        #expect(removed == 6 - c.kept.count)
        #expect(b.count == c.kept.count)
        #expect(column(b, 0) == c.kept.map { "\($0 + 1)" })
        #expect(column(b, 1) == c.kept.map { Self.statuses[$0] })
        #expect(b.lines == c.kept.map { 10 + $0 })
        #expect(scope.names == ["id", "status"])
    }

    @Test func filterProblemsAreReported() {
        var scope = FieldScope(fields: ["status"])
        let none = make("filter", nodes.mapping(("field", nodes.scalar("status"))), scope: &scope)
        #expect(none.transform == nil)
        #expect(none.diagnostics.map(\.code) == [.missingKey])

        let two = make("filter", nodes.mapping(("field", nodes.scalar("status")), ("equals", nodes.scalar("a")), ("prefix", nodes.scalar("b"))), scope: &scope)
        #expect(two.transform == nil)
        #expect(two.diagnostics.map(\.code) == [.invalidValue])

        let unknown = make("filter", nodes.mapping(("field", nodes.scalar("stauts")), ("equals", nodes.scalar("a"))), scope: &scope)
        #expect(unknown.transform == nil)
        #expect(unknown.diagnostics.map(\.code) == [.unknownField])
        #expect(unknown.diagnostics.first?.hint == "did you mean 'status'?")
    }

    // MARK: - rename / drop

    @Test func renameChangesTheScopeOnly() throws {
        var scope = FieldScope(fields: ["email", "phone", "notes"])
        let (transform, diagnostics) = make("rename", nodes.mapping(("phone", nodes.scalar("mobile")), ("notes", nodes.scalar("remarks"))), scope: &scope)
        #expect(diagnostics.isEmpty)
        #expect(scope.names == ["email", "mobile", "remarks"])
        #expect(scope.column(of: "mobile") == 1)
        #expect(scope.column(of: "remarks") == 2)
        #expect(scope.column(of: "phone") == nil)
        #expect(scope.layout.map(\.name) == ["email", "mobile", "remarks"])
        #expect(scope.layout.map(\.column) == [0, 1, 2])
        var b = batch(["a"], ["b"], ["c"])
        #expect(try #require(transform).apply(to: &b) == 0)
        #expect(column(b, 1) == ["b"])
    }

    @Test func renameProblems() {
        var scope = FieldScope(fields: ["email", "phone"])
        let clash = make("rename", nodes.mapping(("phone", nodes.scalar("email"))), scope: &scope)
        #expect(clash.transform == nil)
        #expect(clash.diagnostics.map(\.code) == [.duplicateField])

        let unknown = make("rename", nodes.mapping(("fone", nodes.scalar("mobile"))), scope: &scope)
        #expect(unknown.transform == nil)
        #expect(unknown.diagnostics.map(\.code) == [.unknownField])

        let badName = make("rename", nodes.mapping(("phone", nodes.scalar("mobile phone"))), scope: &scope)
        #expect(badName.diagnostics.map(\.code) == [.invalidValue])

        let reserved = make("rename", nodes.mapping(("phone", nodes.scalar("_line"))), scope: &scope)
        #expect(reserved.diagnostics.map(\.code) == [.invalidValue])

        #expect(scope.names == ["email", "phone"], "a failed rename leaves the scope as it was")
    }

    @Test func dropRemovesFieldsFromTheScope() throws {
        var scope = FieldScope(fields: ["email", "phone", "notes", "state"])
        let (transform, diagnostics) = make("drop", nodes.list("notes", "email"), scope: &scope)
        #expect(diagnostics.isEmpty)
        #expect(scope.names == ["phone", "state"])
        #expect(scope.layout.map(\.column) == [1, 3])
        #expect(scope.column(of: "email") == nil)
        var b = batch(["a"], ["b"], ["c"], ["d"])
        #expect(try #require(transform).apply(to: &b) == 0)

        let single = make("drop", nodes.scalar("state"), scope: &scope)
        #expect(single.diagnostics.isEmpty)
        #expect(scope.names == ["phone"])

        let again = make("drop", nodes.scalar("email"), scope: &scope)
        #expect(again.transform == nil)
        #expect(again.diagnostics.map(\.code) == [.unknownField])
    }

    @Test func renameThenTransformUsesTheNewName() throws {
        var scope = FieldScope(fields: ["Email"])
        _ = make("rename", nodes.mapping(("Email", nodes.scalar("email"))), scope: &scope)
        let (lower, diagnostics) = make("lower", nodes.list("email"), scope: &scope)
        #expect(diagnostics.isEmpty)
        var b = batch(["A@B.C"])
        _ = try #require(lower).apply(to: &b)
        #expect(column(b, 0) == ["a@b.c"])
        let old = make("lower", nodes.list("Email"), scope: &scope)
        #expect(old.diagnostics.map(\.code) == [.unknownField])
    }
}
