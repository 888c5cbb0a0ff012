import Foundation
import TributaryCore

/// Renders diagnostics for people (`text`), tools (`json`) and GitHub Actions annotations (`github`).
public enum DiagnosticFormat: String, Sendable, CaseIterable {
    case text, json, github
}

public struct DiagnosticFormatter {
    public var format: DiagnosticFormat
    /// File contents by path, to quote the offending line under a text diagnostic.
    public var sources: [String: String]

    public init(format: DiagnosticFormat, sources: [String: String] = [:]) {
        self.format = format
        self.sources = sources
    }

    public func render(_ diagnostics: [Diagnostic], files: Int) -> String {
        switch format {
        case .text: return text(diagnostics, files: files)
        case .json: return json(diagnostics, files: files)
        case .github: return diagnostics.map(github).joined(separator: "\n") + (diagnostics.isEmpty ? "" : "\n")
        }
    }

    func text(_ diagnostics: [Diagnostic], files: Int) -> String {
        var out = ""
        for d in diagnostics {
            out += "\(d.location): \(d.severity.rawValue)[\(d.code.rawValue)]: \(d.message)\n"
            if d.quotesSource, let full = sourceLine(d.location) {
                let number = String(d.location.line)
                let gutter = String(repeating: " ", count: number.count)
                // A long line (a minified or hostile file) is shown as a window around the column.
                let scalars = Array(full.unicodeScalars)
                let column = max(0, d.location.column - 1)
                let window = 120
                let from = scalars.count > window ? max(0, min(column - window / 2, scalars.count - window)) : 0
                let to = min(scalars.count, from + window)
                var line = String(String.UnicodeScalarView(scalars[from..<to]))
                var padScalars = scalars[from..<min(max(from, column), to)].map { $0 == "\t" ? "\t" : " " as Unicode.Scalar }
                if from > 0 { line = "…" + line; padScalars.insert(" ", at: 0) }
                if to < scalars.count { line += "…" }
                let caretPad = String(String.UnicodeScalarView(padScalars))
                out += "\(gutter) |\n\(number) | \(line)\n\(gutter) | \(caretPad)^\n"
            }
            if let hint = d.hint { out += "  = hint: \(hint)\n" }
        }
        let errors = diagnostics.count { $0.severity == .error }
        let warnings = diagnostics.count { $0.severity == .warning }
        out += "\(files) file\(files == 1 ? "" : "s") checked: \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")\n"
        return out
    }

    func json(_ diagnostics: [Diagnostic], files: Int) -> String {
        struct Item: Encodable {
            var file: String, line: Int, column: Int, severity: String, code: String, title: String
            var message: String, hint: String?
        }
        struct Report: Encodable {
            var files: Int, errors: Int, warnings: Int, diagnostics: [Item]
        }
        let report = Report(
            files: files,
            errors: diagnostics.count { $0.severity == .error },
            warnings: diagnostics.count { $0.severity == .warning },
            diagnostics: diagnostics.map {
                Item(file: $0.location.file, line: $0.location.line, column: $0.location.column,
                     severity: $0.severity.rawValue, code: $0.code.rawValue, title: $0.code.title,
                     message: $0.message, hint: $0.hint)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self) + "\n"
    }

    /// `::error file=F,line=L,col=C,title=CODE::message`, escaped as the Actions runner expects.
    func github(_ d: Diagnostic) -> String {
        func data(_ s: String) -> String {
            s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
                .replacingOccurrences(of: "\n", with: "%0A")
        }
        func property(_ s: String) -> String {
            data(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
        }
        let command = d.severity == .error ? "error" : "warning"
        let message = d.message + (d.hint.map { " (hint: \($0))" } ?? "")
        return "::\(command) file=\(property(d.location.file)),line=\(d.location.line),col=\(d.location.column),title=\(property(d.code.rawValue))::\(data(message))"
    }

    private func sourceLine(_ location: SourceLocation) -> String? {
        guard let text = sources[location.file] else { return nil }
        var lineNumber = 1
        // Split on every line end, CRLF included ("\r\n" is one Character in Swift).
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if lineNumber == location.line { return String(line) }
            lineNumber += 1
        }
        return nil
    }
}
