import TributaryCore

/// `rename`: gives fields new names. Costs nothing at run time: only the field scope changes.
struct Rename: TransformComponent {
    static let spec = ComponentSpec(
        name: "rename", kind: .transform,
        summary: "Renames fields: `{ old_name: new_name }`. Later steps and the output use the new names.",
        shape: .map(.string),
        example: "rename: { mobile: phone_mobile }")

    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)? {
        let before = diagnostics.errorCount
        for entry in node.entries ?? [] {
            guard let newName = entry.value.scalar else { continue }
            guard scope.resolve(ConfigNode(.scalar(entry.key), at: entry.keyLocation), diagnostics: &diagnostics) != nil else {
                continue
            }
            let secret = !entry.value.interpolatedFrom.isEmpty
            let problems = FieldNames.check(ConfigEntry(key: newName, keyLocation: entry.value.location, value: entry.value),
                                            interpolated: secret)
            diagnostics.add(contentsOf: problems)
            if scope.column(of: newName) != nil, newName != entry.key {
                diagnostics.add(.error(.duplicateField, at: entry.value.location,
                                       "a field named \(secret ? entry.value.safeDescription : "'\(newName)'") already exists",
                                       hint: "drop it first, or choose another name"))
            } else if problems.isEmpty {
                scope.rename(entry.key, to: newName)
            }
        }
        return diagnostics.errorCount == before ? NoOp() : nil
    }
}

/// `drop`: removes fields from the output.
struct Drop: TransformComponent {
    static let spec = ComponentSpec(
        name: "drop", kind: .transform,
        summary: "Removes fields: they are not written to the output, and later steps cannot use them.",
        shape: FieldSelection.shape,
        example: "drop: [internal_notes]")

    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)? {
        let before = diagnostics.errorCount
        for name in node.scalarList ?? [] where scope.resolve(name, diagnostics: &diagnostics) != nil {
            scope.drop(name.scalar!)
        }
        return diagnostics.errorCount == before ? NoOp() : nil
    }
}

/// A step that only changed the field scope.
struct NoOp: Transform {
    func apply(to batch: inout RecordBatch, counters: inout TransformCounters) -> Int { 0 }
}
