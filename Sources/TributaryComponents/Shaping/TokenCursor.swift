/// The small lexer both condition languages share (`check:` / `when:` expressions of `rules:`,
/// and the `when:` of a JSON-lines `require.conditional`): a byte position in the text, spaces,
/// symbols and keywords.
protocol TokenCursor {
    var text: [UInt8] { get }
    var i: Int { get set }
}

extension TokenCursor {
    mutating func skipSpaces() { while i < text.count, text[i] == 0x20 || text[i] == 0x09 { i += 1 } }

    /// Consumes `s` (after spaces) when the text continues with it.
    mutating func symbol(_ s: String) -> Bool {
        skipSpaces()
        let bytes = Array(s.utf8)
        guard i + bytes.count <= text.count, Array(text[i..<i + bytes.count]) == bytes else { return false }
        i += bytes.count
        return true
    }

    /// Consumes the keyword `w` (after spaces) when no identifier character follows it.
    mutating func word(_ w: String) -> Bool {
        skipSpaces()
        let bytes = Array(w.utf8)
        guard i + bytes.count <= text.count, Array(text[i..<i + bytes.count]) == bytes else { return false }
        let after = i + bytes.count
        if after < text.count, isIdentifierByte(text[after]) { return false }
        i = after
        return true
    }

    func isIdentifierByte(_ b: UInt8) -> Bool {
        b == UInt8(ascii: "_") || (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A)
    }
}
