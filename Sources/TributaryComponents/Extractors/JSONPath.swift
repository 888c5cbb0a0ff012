/// A path to one value inside a JSON object, as written in a pipeline file.
///
/// Supported syntax (a subset of JSONPath, enough to address Segment-style events):
///
/// - `$` alone: the whole object (stored as its JSON text);
/// - `.name`: a member; the name is any text without `.`, `[`, `]`, quotes or white space;
/// - `["name"]` or `['name']`: a member with any name (spaces, dots…); `\"`, `\'` and `\\` escape
///   the quote and the backslash;
/// - `[N]`: element N (from 0) of an array.
///
/// Wildcards (`*`), recursive descent (`..`), slices and filters are not supported: a mapped path
/// names exactly one value. In a YAML flow collection (`[ ... ]`, `{ ... }`), quote a path that
/// contains brackets: `{ path: '$.items[0].sku' }`.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    public enum Segment: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public var segments: [Segment]
    /// The path as written, for diagnostics and quarantine details.
    public var text: String

    public var description: String { text }

    public init(segments: [Segment], text: String) {
        self.segments = segments
        self.text = text
    }

    /// For code and tests; pipeline files go through `parse`, which reports problems.
    public init(stringLiteral value: String) {
        switch JSONPath.parse(value) {
        case .success(let path): self = path
        case .failure(let problem): preconditionFailure("invalid JSON path '\(value)': \(problem.message)")
        }
    }

    public struct Problem: Error, Sendable, Equatable {
        public var message: String
        public var hint: String
    }

    static let syntaxHint = "write `$.traits.email`, `$.context.device.id`, `$.products[0].sku` or `$[\"key with spaces\"]`"

    /// Parses the supported syntax; the problem names the character position (1-based).
    public static func parse(_ text: String) -> Result<JSONPath, Problem> {
        let chars = Array(text.unicodeScalars)
        func problem(_ message: String, hint: String = syntaxHint) -> Result<JSONPath, Problem> {
            .failure(Problem(message: message, hint: hint))
        }
        guard chars.first == "$" else {
            return problem("JSON path '\(text)' must start with `$`",
                           hint: "paths start at the event's top level: `$.\(text.hasPrefix(".") ? String(text.dropFirst()) : text)`")
        }
        var segments: [Segment] = []
        var i = 1
        while i < chars.count {
            let c = chars[i]
            if c == "." {
                i += 1
                var name = ""
                while i < chars.count, !".[]\"' \t".unicodeScalars.contains(chars[i]) {
                    name.unicodeScalars.append(chars[i])
                    i += 1
                }
                if name.isEmpty {
                    if i < chars.count, chars[i] == "." {
                        return problem("JSON path '\(text)': recursive descent `..` is not supported (character \(i + 1))")
                    }
                    return problem("JSON path '\(text)' has an empty member name at character \(i + 1)")
                }
                if name == "*" {
                    return problem("JSON path '\(text)': wildcards are not supported; a path names exactly one value")
                }
                if i < chars.count, " \t\"'".unicodeScalars.contains(chars[i]) {
                    return problem("JSON path '\(text)': unexpected character at \(i + 1) in a member name",
                                   hint: "write a name with spaces or quotes in brackets: `$[\"first name\"]`")
                }
                segments.append(.key(name))
            } else if c == "[" {
                i += 1
                guard i < chars.count else { return problem("JSON path '\(text)': `[` is not closed") }
                let open = chars[i]
                if open == "\"" || open == "'" {
                    i += 1
                    var name = ""
                    var closed = false
                    while i < chars.count {
                        let d = chars[i]
                        if d == "\\", i + 1 < chars.count, chars[i + 1] == open || chars[i + 1] == "\\" {
                            name.unicodeScalars.append(chars[i + 1])
                            i += 2
                            continue
                        }
                        if d == open { closed = true; i += 1; break }
                        name.unicodeScalars.append(d)
                        i += 1
                    }
                    guard closed else { return problem("JSON path '\(text)': a quoted member name is not closed") }
                    guard i < chars.count, chars[i] == "]" else {
                        return problem("JSON path '\(text)': expected `]` at character \(i + 1)")
                    }
                    i += 1
                    segments.append(.key(name))
                } else {
                    var digits = ""
                    while i < chars.count, ("0"..."9").contains(chars[i]) {
                        digits.unicodeScalars.append(chars[i])
                        i += 1
                    }
                    guard i < chars.count, chars[i] == "]", !digits.isEmpty else {
                        return problem("JSON path '\(text)': `[` must hold an array index (`[0]`) or a quoted name (`[\"name\"]`)",
                                       hint: "wildcards, slices, negative indices and filters are not supported")
                    }
                    guard digits.count <= 9, let index = Int(digits) else {
                        return problem("JSON path '\(text)': array index \(digits) is too large")
                    }
                    i += 1
                    segments.append(.index(index))
                }
            } else {
                return problem("JSON path '\(text)': expected `.` or `[` at character \(i + 1)")
            }
        }
        return .success(JSONPath(segments: segments, text: text))
    }
}
