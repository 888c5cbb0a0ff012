import Foundation
import Testing
@testable import TributaryComponents
import TributaryConfig
import TributaryTestSupport

/// Docs/components.md is generated from the component specs; it must not drift from them.
@Suite("Generated reference")
struct ReferenceDocsTests {
    @Test func componentsReferenceIsUpToDate() throws {
        let root = packageRoot
        let committed = try String(contentsOf: root.appendingPathComponent("Docs/components.md"), encoding: .utf8)
        #expect(committed == ReferenceDocs.markdown(Registry.standard),
                "Docs/components.md is stale: run `pipeline docs > Docs/components.md`")
    }

    @Test func everyComponentIsDocumented() throws {
        let text = ReferenceDocs.markdown(Registry.standard)
        for (format, _) in Registry.standard.extractors { #expect(text.contains("### `format: \(format)`")) }
        for (name, _) in Registry.standard.transforms { #expect(text.contains("### `\(name)`")) }
    }
}
