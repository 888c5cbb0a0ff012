import TributaryCore

/// `lower` and `upper`: change the case of values. ASCII is changed in place; other text goes
/// through Unicode case mapping (`MÜLLER` → `müller`, `straße` → `STRASSE`).
struct ChangeCase: Transform {
    enum Direction: Sendable { case lower, upper }

    var columns: [Int]
    var direction: Direction

    func apply(to batch: inout RecordBatch, counters: inout TransformCounters) -> Int {
        let direction = direction
        for c in columns {
            batch.columns[c].rewrite { value in
                var ascii = true
                var changes = false
                for b in value {
                    if b >= 0x80 { ascii = false; break }
                    if direction == .lower ? (b >= 0x41 && b <= 0x5A) : (b >= 0x61 && b <= 0x7A) { changes = true }
                }
                if ascii {
                    guard changes else { return nil }
                    return value.map { b in
                        direction == .lower ? (b >= 0x41 && b <= 0x5A ? b | 0x20 : b) : (b >= 0x61 && b <= 0x7A ? b & ~0x20 : b)
                    }
                }
                let text = String(decoding: value, as: UTF8.self)
                let changed = direction == .lower ? text.lowercased() : text.uppercased()
                return changed == text ? nil : Array(changed.utf8)
            }
        }
        return 0
    }
}

struct Lower: TransformComponent {
    static let spec = ComponentSpec(
        name: "lower", kind: .transform,
        summary: "Lower-cases values (Unicode-aware).",
        shape: FieldSelection.shape,
        example: "lower: [email]")

    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)? {
        FieldSelection.columns(node, scope: scope, diagnostics: &diagnostics).map { ChangeCase(columns: $0, direction: .lower) }
    }
}

struct Upper: TransformComponent {
    static let spec = ComponentSpec(
        name: "upper", kind: .transform,
        summary: "Upper-cases values (Unicode-aware).",
        shape: FieldSelection.shape,
        example: "upper: [state, country]")

    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)? {
        FieldSelection.columns(node, scope: scope, diagnostics: &diagnostics).map { ChangeCase(columns: $0, direction: .upper) }
    }
}
