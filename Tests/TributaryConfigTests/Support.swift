import Foundation
import Testing
@testable import TributaryComponents
@testable import TributaryConfig
import TributaryCore

/// A temporary folder holding `data/contacts.csv`, so that `path: data/*.csv` matches a file and a
/// pipeline written against it validates without the "matches no file" warning.
final class PipelineFolder {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("tributary-config-tests-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path + "/data", withIntermediateDirectories: true)
        try! Data("Email,Phone,Mobile\na@example.com,1,2\n".utf8).write(to: URL(fileURLWithPath: path + "/data/contacts.csv"))
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
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
          in folder: PipelineFolder) -> Loaded {
    let loader = PipelineLoader(catalog: Registry.standard, environment: environment, mode: mode)
    let (definition, bag) = loader.load(text: text, file: "p.yml", baseDirectory: folder.path)
    return Loaded(definition: definition, diagnostics: bag.sorted)
}

/// The root of the package, found from this file's path (Tests/TributaryConfigTests/Support.swift).
func packageRoot(_ file: String = #filePath) -> URL {
    URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
