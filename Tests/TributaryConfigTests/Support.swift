import Foundation
import Testing
@testable import TributaryComponents
@testable import TributaryConfig
import TributaryCore
import TributaryTestSupport

extension Workspace {
    /// A workspace holding `data/contacts.csv`, so that `path: data/*.csv` matches a file and a
    /// pipeline written against it validates without the "matches no file" warning.
    static func pipelineFolder() -> Workspace {
        let folder = try! Workspace()
        try! folder.write("data/contacts.csv", "Email,Phone,Mobile\na@example.com,1,2\n")
        return folder
    }
}

/// The result of loading one pipeline text.
struct Loaded {
    var definition: PipelineDefinition?
    /// In file order, duplicates removed (what the CLI prints).
    var diagnostics: [Diagnostic]

    var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }

    /// `line:column code` of every diagnostic, the shortest exact summary to compare against.
    var positions: [String] { diagnostics.map { "\($0.location.line):\($0.location.column) \($0.code.rawValue)" } }
}

func load(_ text: String, environment: [String: String] = [:], mode: PipelineLoader.Mode = .validate,
          in folder: Workspace) -> Loaded {
    let loader = PipelineLoader(catalog: Registry.standard, environment: environment, mode: mode)
    let (definition, bag) = loader.load(text: text, file: "p.yml", baseDirectory: folder.path)
    return Loaded(definition: definition, diagnostics: bag.sorted)
}
