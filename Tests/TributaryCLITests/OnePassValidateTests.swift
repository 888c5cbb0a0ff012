import Foundation
import Testing
import TributaryTestSupport

/// `pipeline validate` reports every mistake of a file in one pass: a broken source does not hide
/// the identity, profile and audience checks that reference it, and one mistake is one error.
@Suite("One-pass validate")
struct OnePassValidateTests {
    /// A copy of `Pipelines/retail-sample.yml` with nine mistakes, each on a known line.
    static func nineMistakes() throws -> (text: String, lines: [String: Int]) {
        let path = CLI.packageRoot.appendingPathComponent("Pipelines/retail-sample.yml").path
        var text = try String(contentsOfFile: path, encoding: .utf8)
        let edits = [
            ("    delimiter: \"|\"", "    delimeter: \"|\""),
            ("      qty: { column: QTY, type: integer }", "      qty: { column: QTY, type: integr }"),
            ("  max_cluster_size: 10000", "  max_cluster_size: lots"),
            ("      - upper: [state]", "      - upper: [sate]"),
            ("    keep: latest(updated_at)", "    keep: latest(updatedat)"),
            ("    email: { from: [crm.email_key, web.email_key]", "    email: { from: [crm.emial_key, web.email_key]"),
            ("    where: carts_7d > 0", "    where: carts_7dd > 0"),
            ("    where: lifetime_spend_cents >= 5000", "    where: lifetime_spend >= 5000"),
            ("    segment: cart_abandoners", "    segment: cart_abandoner"),
        ]
        var lines: [String: Int] = [:]
        for (old, new) in edits {
            let range = try #require(text.range(of: old), "the sample changed: '\(old)' is not in it")
            text.replaceSubrange(range, with: new)
            let line = text[..<range.lowerBound].count { $0 == "\n" } + 1
            lines[new.trimmingCharacters(in: .whitespaces)] = line
        }
        return (text, lines)
    }

    @Test func nineMistakesAreNineErrorsInOnePass() throws {
        let (text, lines) = try Self.nineMistakes()
        let ws = try Workspace()
        // The sample's inputs, by absolute path (same lines: one path per line).
        let sample = CLI.packageRoot.appendingPathComponent("SampleData").path
        try ws.write("nine.yml", text.replacingOccurrences(of: "../SampleData", with: sample))
        let outcome = try CLI.run(["validate", ws.file("nine.yml"), "--format", "json"])
        #expect(outcome.status == 78, "\(outcome)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        let diagnostics = try #require(json["diagnostics"] as? [[String: Any]])
        let errors = diagnostics.filter { $0["severity"] as? String == "error" }
        let errorLines = errors.compactMap { $0["line"] as? Int }
        #expect(errors.count == 9, "one error per mistake: \(errors)")
        #expect(Set(errorLines) == Set(lines.values), "errors at \(errorLines.sorted()), mistakes at \(lines.values.sorted())")
        let hints = errors.compactMap { $0["hint"] as? String }
        for expected in ["did you mean 'delimiter'? (a required key)", "did you mean 'email_key'?", "did you mean 'carts_7d'?",
                         "did you mean 'lifetime_spend_cents'?", "did you mean 'updated_at'?", "did you mean 'cart_abandoners'?"] {
            #expect(hints.contains(expected), "\(expected) in \(hints)")
        }
    }
}
