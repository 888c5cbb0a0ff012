import TributaryCore

/// A batch with one column per list (every list the same length); its rows' lines are
/// `firstLine`, `firstLine + 1`, ...
public func batch(_ columns: [String?]..., firstLine: Int = 10) -> RecordBatch {
    var batch = RecordBatch(columnCount: columns.count)
    for (c, values) in columns.enumerated() {
        for value in values { batch.columns[c].append(value) }
    }
    batch.lines = (0..<(columns.first?.count ?? 0)).map { firstLine + $0 }
    return batch
}

/// The values of column `index`, as text.
public func column(_ batch: RecordBatch, _ index: Int) -> [String?] {
    (0..<batch.count).map { batch.columns[index].string($0) }
}

/// Builds a transform from `node` against `scope`, as the loader does; returns it and the diagnostics.
public func build(_ component: any TransformComponent.Type, _ node: ConfigNode,
                  scope: inout FieldScope) -> (transform: (any Transform)?, diagnostics: [Diagnostic]) {
    var diagnostics = DiagnosticBag()
    let transform = component.make(node, scope: &scope, diagnostics: &diagnostics)
    return (transform, diagnostics.items)
}
