import TributaryCore

/// Shared helpers of the reference-data transforms (`country`, `postcode`, `address`): folding
/// text into lookup keys on UTF-8 bytes, tables keyed by such byte keys, and `into:` output fields.

/// Folds UTF-8 text into a comparison key: ASCII letters lower-cased, Latin letters with
/// diacritics reduced to their base letters (`é` → `e`, `ß` → `ss`, `Ø` → `o`), Greek and Cyrillic
/// lower-cased, combining marks dropped. Which separators are kept is up to the caller.
enum TextFold {
    /// For scalars U+0080 ..< U+0530: the folded UTF-8 bytes (empty: drop the scalar).
    static let table: [[UInt8]] = {
        var bases: [UInt32: [UInt8]] = [:]
        let groups: [(String, String)] = [
            ("a", "àáâãäåāăąǎ"), ("ae", "æ"), ("c", "çćĉċč"), ("d", "ďđð"), ("e", "èéêëēĕėęě"),
            ("g", "ĝğġģ"), ("h", "ĥħ"), ("i", "ìíîïĩīĭįıǐ"), ("j", "ĵ"), ("k", "ķ"), ("l", "ĺļľŀł"),
            ("n", "ñńņňŉ"), ("o", "òóôõöøōŏőǒ"), ("oe", "œ"), ("r", "ŕŗř"), ("s", "śŝşšș"), ("ss", "ß"),
            ("t", "ţťŧț"), ("th", "þ"), ("u", "ùúûüũūŭůűųǔ"), ("w", "ŵ"), ("y", "ýÿŷ"), ("z", "źżž"),
        ]
        for (base, letters) in groups {
            for character in letters {
                for scalar in character.unicodeScalars {
                    bases[scalar.value] = Array(base.utf8)
                    for upper in scalar.properties.uppercaseMapping.unicodeScalars where upper != scalar {
                        bases[upper.value] = Array(base.utf8)
                    }
                }
            }
        }
        bases[0x130] = Array("i".utf8)  // İ
        bases[0x1E9E] = Array("ss".utf8)
        return (0x80..<0x530).map { value -> [UInt8] in
            if let folded = bases[UInt32(value)] { return folded }
            if (0x300..<0x370).contains(value) || value < 0xC0 { return [] }  // combining marks, Latin-1 punctuation
            guard let scalar = Unicode.Scalar(UInt32(value)) else { return [] }
            let lower = scalar.properties.lowercaseMapping
            return Array((lower.unicodeScalars.count == 1 ? lower : String(scalar)).utf8)
        }
    }()

    /// Decodes one scalar at `i`; returns it and its width (an invalid byte decodes as itself, width 1).
    @inline(__always)
    static func decode(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, end: Int) -> (UInt32, Int) {
        let b0 = UInt32(b[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 & 0xE0 == 0xC0, i + 1 < end { return ((b0 & 0x1F) << 6 | UInt32(b[i + 1] & 0x3F), 2) }
        if b0 & 0xF0 == 0xE0, i + 2 < end {
            return ((b0 & 0x0F) << 12 | UInt32(b[i + 1] & 0x3F) << 6 | UInt32(b[i + 2] & 0x3F), 3)
        }
        if b0 & 0xF8 == 0xF0, i + 3 < end {
            return ((b0 & 0x07) << 18 | UInt32(b[i + 1] & 0x3F) << 12 | UInt32(b[i + 2] & 0x3F) << 6 | UInt32(b[i + 3] & 0x3F), 4)
        }
        return (0xFFFD, 1)
    }

    /// Whether a non-ASCII scalar is punctuation or space that keys ignore (no-break space,
    /// Latin-1 punctuation, General Punctuation: curly quotes, dashes, ...).
    @inline(__always)
    static func isIgnorable(_ scalar: UInt32) -> Bool {
        (scalar >= 0x80 && scalar < 0xC0) || (scalar >= 0x2000 && scalar < 0x2070) || scalar == 0x3000 || scalar == 0xFEFF
            || (scalar >= 0x300 && scalar < 0x370)
    }

    /// Folds `value` into `out` keeping only letters and digits (all separators and punctuation
    /// dropped): `U.S.A.` → `usa`, `Korea, Republic of` → `korearepublicof`, `Österreich` →
    /// `osterreich`. Returns the key length, or nil when it does not fit in `out`.
    static func compactKey(_ value: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int? {
        var n = 0
        var i = 0
        let end = value.count
        while i < end {
            let b = value[i]
            if b < 0x80 {
                i += 1
                let c: UInt8
                switch b {
                case 0x41...0x5A: c = b | 0x20
                case 0x61...0x7A, 0x30...0x39: c = b
                case 0x26:  // '&' reads as "and"
                    guard n + 3 <= out.count else { return nil }
                    out[n] = 0x61; out[n + 1] = 0x6E; out[n + 2] = 0x64; n += 3
                    continue
                default: continue
                }
                guard n < out.count else { return nil }
                out[n] = c; n += 1
                continue
            }
            let (scalar, width) = decode(value, i, end: end)
            if scalar < 0x530 {
                for c in table[Int(scalar) - 0x80] {
                    guard n < out.count else { return nil }
                    out[n] = c; n += 1
                }
            } else if !isIgnorable(scalar) {
                for k in 0..<width {
                    guard n < out.count else { return nil }
                    out[n] = value[i + k]; n += 1
                }
            }
            i += width
        }
        return n
    }

    /// `compactKey` of a Swift string, for building tables and checking configuration.
    static func compactKey(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { value in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { out in
                compactKey(value, into: out).map { Array(out[0..<$0]) }
            }
        }
    }
}

/// A read-only table from byte keys to values, looked up without allocating: keys are hashed
/// with FNV-1a and compared byte for byte, so the hot path never builds an array or a string.
struct ByteKeyTable<Value: Sendable>: Sendable {
    private var slots: [UInt64: [(key: [UInt8], value: Value)]] = [:]
    private(set) var count = 0

    init() {}

    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// Adds a key; returns the value already stored for it, if any (the key is then left as it was).
    @discardableResult
    mutating func insert(_ key: [UInt8], _ value: Value) -> Value? {
        if let existing = self[key] { return existing }
        let h = key.withUnsafeBufferPointer { Self.hash($0) }
        slots[h, default: []].append((key, value))
        count += 1
        return nil
    }

    subscript(key: UnsafeBufferPointer<UInt8>) -> Value? {
        guard let bucket = slots[Self.hash(key)] else { return nil }
        for entry in bucket where entry.key.count == key.count {
            if entry.key.withUnsafeBufferPointer({ $0.elementsEqual(key) }) { return entry.value }
        }
        return nil
    }

    subscript(key: [UInt8]) -> Value? { key.withUnsafeBufferPointer { self[$0] } }
}

/// The `into:` option of transforms that write a result: a new field, or (when omitted) the
/// input field itself.
enum OutputField {
    /// Validates the name in `node` (nil: write into `source`) and adds the field to `scope`
    /// when `commit` is called; returns nil after reporting a problem.
    static func check(_ node: ConfigNode?, scope: FieldScope, diagnostics: inout DiagnosticBag) -> String?? {
        guard let node else { return .some(nil) }
        let hint = "omit `into` to replace the field in place, drop the field first, or choose another name"
        guard let name = NewField.name(node, scope: scope, hint: hint, diagnostics: &diagnostics) else { return nil }
        return .some(name)
    }
}

extension TextColumn {
    /// An empty column for `rows` values, with room for `bytesPerRow` bytes each.
    static func output(rows: Int, bytesPerRow: Int) -> TextColumn {
        TextColumn(reservingBytes: rows * bytesPerRow, rows: rows)
    }

    /// Appends the bytes of a buffer as one value.
    @inline(__always)
    mutating func append(bytes value: UnsafeBufferPointer<UInt8>) {
        append(UnsafeRawBufferPointer(value))
    }
}

extension RecordBatch {
    /// Stores `column` (one value per row) as column `index`, creating it if needed.
    mutating func store(_ column: TextColumn, at index: Int) {
        ensureColumn(index)
        columns[index] = column
    }
}
