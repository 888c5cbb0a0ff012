import Testing
import TributaryConfig
import TributaryCore
import TributaryTestSupport

/// A pipeline file is input too: CI runs `pipeline validate` on files anyone can change. Alias
/// bombs and runaway nesting hit a bound and a diagnostic, never unbounded memory or a crash.
@Suite("Hostile pipeline files")
struct HostileYAMLTests {
    static func read(_ text: String) -> (ConfigNode?, [Diagnostic]) {
        var bag = DiagnosticBag()
        let node = YAMLReader.read(text, file: "p.yml", diagnostics: &bag)
        return (node, bag.sorted)
    }

    @Test func billionLaughsStopsAtTheValueBudget() {
        // Nine levels of nine aliases: 9^9 (387 million) strings from about 700 bytes.
        var lines = [#"a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]"#]
        for i in 1...8 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ",") + "]") }
        lines.append("version: *a8")
        let (node, diagnostics) = Self.read(lines.joined(separator: "\n") + "\n")
        #expect(node == nil)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.message.contains("more than \(YAMLReader.maxValues) values") == true, "\(diagnostics)")
    }

    @Test(arguments: [
        "a: " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000) + "\n",
        "a: " + String(repeating: "{b: ", count: 5_000) + "c" + String(repeating: "}", count: 5_000) + "\n",
        "a:\n" + String(repeating: "- ", count: 5_000) + "x\n",
    ])
    func deepNestingIsRefusedBeforeParsing(_ text: String) {
        let (node, diagnostics) = Self.read(text)
        #expect(node == nil)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.message.contains("nested more than \(YAMLReader.maxDepth) levels") == true, "\(diagnostics)")
    }

    @Test func ordinaryNestingAndBracketsInQuotesAndCommentsPass() {
        let text = """
            a: [[1, 2], {b: [3]}]   # a comment with [[[[[[[[
            c: "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
            d: '{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{'
            e:
              - - - x
            """
        let (node, diagnostics) = Self.read(text + "\n")
        #expect(node != nil)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
    }

    @Test func aSourceWithMoreFieldsThanATableHoldsIsRefusedByValidate() {
        // The run would fail in SQLite ("too many columns"); validate says so first.
        let folder = Workspace.pipelineFolder()
        var text = "version: 1\nname: wide\noutput: { sqlite: out/w.sqlite }\nsources:\n  crm:\n    format: csv\n    path: data/contacts.csv\n    fields:\n"
        for i in 0..<2_500 { text += "      f\(i): Email\n" }
        let loaded = load(text, in: folder)
        #expect(loaded.definition == nil)
        #expect(loaded.positions == ["9:7 TR106"])
        #expect(loaded.diagnostics.first?.message.contains("2500 output fields; at most \(PipelineLoader.maxOutputFields)") == true)
    }

    @Test func aMissingTimeZoneTableIsNamedAsWrittenNotByItsValue() {
        // The table's path comes from a variable whose value may be private: the warning names
        // `${DATA}`, never the folder it stands for.
        let folder = Workspace.pipelineFolder()
        let text = """
            version: 1
            name: tz
            output: { sqlite: out/t.sqlite }
            sources:
              crm:
                format: csv
                path: data/contacts.csv
                fields:
                  email: Email
                  at: { column: Phone, type: timestamp, timezone: { lookup: "${DATA}/stores.csv", key: email, key_column: id, zone_column: tz } }

            """
        let loaded = load(text, environment: ["DATA": "/private-folder-zq"], in: folder)
        let warning = loaded.diagnostics.first { $0.message.contains("time zone table") }
        #expect(warning?.message == "time zone table '${DATA}/stores.csv' does not exist", "\(loaded.diagnostics)")
        #expect(!loaded.diagnostics.contains { $0.message.contains("private-folder-zq") || ($0.hint ?? "").contains("private-folder-zq") })
    }
}
