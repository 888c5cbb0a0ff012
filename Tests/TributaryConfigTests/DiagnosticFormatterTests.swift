import Foundation
import Testing
@testable import TributaryConfig
import TributaryCore

@Suite("Diagnostic formatting")
struct DiagnosticFormatterTests {
    static let source = "version: 1\nname: t\n    delimeter: x\n\tkey: v\n"

    static let unknownKey = Diagnostic.error(.unknownKey, at: SourceLocation(file: "p.yml", line: 3, column: 5),
                                             "unknown key 'delimeter' in source 'crm'", hint: "did you mean 'delimiter'?")
    static let globWarning = Diagnostic.warning(.globMatchesNothing, at: SourceLocation(file: "p.yml", line: 4, column: 2),
                                                "input path 'x/*.csv' matches no file")

    // MARK: - github

    @Test func githubErrorLine() {
        let out = DiagnosticFormatter(format: .github).render([Self.unknownKey], files: 1)
        #expect(out == "::error file=p.yml,line=3,col=5,title=TR102::unknown key 'delimeter' in source 'crm' (hint: did you mean 'delimiter'?)\n")
    }

    @Test func githubWarningLineWithoutHint() {
        let out = DiagnosticFormatter(format: .github).render([Self.globWarning], files: 1)
        #expect(out == "::warning file=p.yml,line=4,col=2,title=TR301::input path 'x/*.csv' matches no file\n")
    }

    @Test func githubEscapesPropertiesAndMessage() {
        // In properties: % → %25, CR → %0D, LF → %0A, ':' → %3A, ',' → %2C.
        // In the message: only %, CR and LF.
        let d = Diagnostic.error(.yamlSyntax, at: SourceLocation(file: "dir/a,b:c%d.yml", line: 12, column: 1),
                                 "100% wrong:\nsecond, line\r")
        let out = DiagnosticFormatter(format: .github).render([d], files: 1)
        #expect(out == "::error file=dir/a%2Cb%3Ac%25d.yml,line=12,col=1,title=TR100::100%25 wrong:%0Asecond, line%0D\n")
    }

    @Test func githubOneLinePerDiagnosticAndNothingForNone() {
        let out = DiagnosticFormatter(format: .github).render([Self.unknownKey, Self.globWarning], files: 1)
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("::error file=p.yml,line=3,col=5,title=TR102::"))
        #expect(lines[1].hasPrefix("::warning file=p.yml,line=4,col=2,title=TR301::"))
        #expect(lines[2] == "")
        #expect(DiagnosticFormatter(format: .github).render([], files: 3) == "")
    }

    // MARK: - json

    @Test func jsonHasEveryField() throws {
        let out = DiagnosticFormatter(format: .json).render([Self.unknownKey, Self.globWarning], files: 2)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(object["files"] as? Int == 2)
        #expect(object["errors"] as? Int == 1)
        #expect(object["warnings"] as? Int == 1)
        let items = try #require(object["diagnostics"] as? [[String: Any]])
        #expect(items.count == 2)
        let first = items[0]
        #expect(first["file"] as? String == "p.yml")
        #expect(first["line"] as? Int == 3)
        #expect(first["column"] as? Int == 5)
        #expect(first["severity"] as? String == "error")
        #expect(first["code"] as? String == "TR102")
        #expect(first["title"] as? String == "unknown key")
        #expect(first["message"] as? String == "unknown key 'delimeter' in source 'crm'")
        #expect(first["hint"] as? String == "did you mean 'delimiter'?")
        let second = items[1]
        #expect(second["severity"] as? String == "warning")
        #expect(second["code"] as? String == "TR301")
        #expect(second["line"] as? Int == 4)
        #expect(second["column"] as? Int == 2)
        #expect(second["hint"] == nil || second["hint"] is NSNull)
    }

    @Test func jsonForNoDiagnostics() throws {
        let out = DiagnosticFormatter(format: .json).render([], files: 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(object["errors"] as? Int == 0)
        #expect((object["diagnostics"] as? [Any])?.isEmpty == true)
    }

    // MARK: - text

    @Test func textQuotesTheLineWithACaret() {
        let out = DiagnosticFormatter(format: .text, sources: ["p.yml": Self.source]).render([Self.unknownKey], files: 1)
        #expect(out == """
            p.yml:3:5: error[TR102]: unknown key 'delimeter' in source 'crm'
              |
            3 |     delimeter: x
              |     ^
              = hint: did you mean 'delimiter'?
            1 file checked: 1 error, 0 warnings

            """)
    }

    @Test func textCaretKeepsTabsAndCountsWarnings() {
        let out = DiagnosticFormatter(format: .text, sources: ["p.yml": Self.source])
            .render([Self.unknownKey, Self.globWarning], files: 2)
        #expect(out.contains("p.yml:4:2: warning[TR301]: input path 'x/*.csv' matches no file\n  |\n4 | \tkey: v\n  | \t^\n"))
        #expect(out.hasSuffix("2 files checked: 1 error, 1 warning\n"))
    }

    @Test func textWithoutSourceHasNoQuote() {
        let out = DiagnosticFormatter(format: .text).render([Self.globWarning], files: 1)
        #expect(out == "p.yml:4:2: warning[TR301]: input path 'x/*.csv' matches no file\n1 file checked: 0 errors, 1 warning\n")
    }

    @Test func textHandlesCRLFSourcesAndWideLineNumbers() {
        var lines = (1...11).map { "k\($0): v" }
        lines[10] = "bad: [x"
        let source = lines.joined(separator: "\r\n") + "\r\n"
        let d = Diagnostic.error(.yamlSyntax, at: SourceLocation(file: "w.yml", line: 11, column: 6), "YAML syntax: x")
        let out = DiagnosticFormatter(format: .text, sources: ["w.yml": source]).render([d], files: 1)
        #expect(out.contains("w.yml:11:6: error[TR100]: YAML syntax: x\n   |\n11 | bad: [x\n   |      ^\n"))
    }

    @Test func aLongLineIsShownAsAWindowAroundTheColumn() {
        // A 10,000-character line (a hostile or minified file): the snippet keeps 120 characters
        // around column 5,001, marked with ellipses, and the caret stays under the column.
        let line = String(repeating: "[", count: 5_000) + "X" + String(repeating: "]", count: 4_999)
        let d = Diagnostic.error(.yamlSyntax, at: SourceLocation(file: "p.yml", line: 1, column: 5_001), "deep")
        let out = DiagnosticFormatter(format: .text, sources: ["p.yml": line + "\n"]).render([d], files: 1)
        let rows = out.split(separator: "\n").map(String.init)
        let shown = rows[2].dropFirst("1 | ".count), caret = rows[3].dropFirst("  | ".count)
        #expect(shown.hasPrefix("…") && shown.hasSuffix("…"))
        #expect(shown.count == 122)
        #expect(Array(shown)[caret.count - 1] == "X")
        #expect(caret.hasSuffix("^") && caret.dropLast().allSatisfy { $0 == " " })
        // A short line is shown whole.
        let short = DiagnosticFormatter(format: .text, sources: ["p.yml": Self.source]).render([Self.unknownKey], files: 1)
        #expect(short.contains("3 |     delimeter: x\n  |     ^\n"))
    }
}
