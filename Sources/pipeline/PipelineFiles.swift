import Foundation
import TributaryConfig
import TributaryCore
import TributaryRuntime

/// The pipeline files named on `validate`'s command line: files, folders (every `*.yml` and
/// `*.yaml` directly in them, in name order) and `-` (standard input, read once).
struct PipelineFiles {
    /// One pipeline to check: its name in diagnostics, and its text when it was read already
    /// (standard input).
    struct Entry {
        var name: String
        var text: String?
        /// What relative paths inside it are resolved against.
        var baseDirectory: String
    }

    static let stdinName = "<stdin>"

    var entries: [Entry] = []
    /// Problems with the arguments themselves (a folder without pipeline files).
    var diagnostics = DiagnosticBag()

    init(arguments: [String], readStandardInput: () -> Data = { FileHandle.standardInput.readDataToEndOfFile() }) {
        var stdinRead = false
        for argument in arguments {
            if argument == "-" {
                guard !stdinRead else { continue }
                stdinRead = true
                let data = readStandardInput()
                guard let text = String(data: data, encoding: .utf8) else {
                    diagnostics.add(.error(.unreadableFile, at: SourceLocation(file: Self.stdinName, line: 1, column: 1),
                                           "standard input is not UTF-8 text", hint: "pipe a UTF-8 pipeline file"))
                    continue
                }
                entries.append(Entry(name: Self.stdinName, text: text, baseDirectory: FileManager.default.currentDirectoryPath))
                continue
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? [])
                    .filter { ($0.hasSuffix(".yml") || $0.hasSuffix(".yaml")) && !$0.hasPrefix(".") }
                    .sorted()
                let folder = argument.hasSuffix("/") ? String(argument.dropLast()) : argument
                let files = names.map { folder + "/" + $0 }.filter { path in
                    var inner: ObjCBool = false
                    return FileManager.default.fileExists(atPath: path, isDirectory: &inner) && !inner.boolValue
                }
                if files.isEmpty {
                    diagnostics.add(.error(.unreadableFile, at: SourceLocation(file: argument, line: 1, column: 1),
                                           "the folder holds no pipeline file (*.yml, *.yaml)",
                                           hint: "give pipeline files or a folder that holds them; subfolders are not searched"))
                }
                for file in files {
                    entries.append(Entry(name: file, text: nil, baseDirectory: URL(fileURLWithPath: file).deletingLastPathComponent().path))
                }
                continue
            }
            entries.append(Entry(name: argument, text: nil, baseDirectory: URL(fileURLWithPath: argument).deletingLastPathComponent().path))
        }
    }

    /// Loads an entry as `PipelineCheck` does for a file.
    static func load(_ entry: Entry, _ loader: PipelineLoader) -> (PipelineDefinition?, DiagnosticBag) {
        if let text = entry.text {
            return PipelineCheck.load(loader, text: text, file: entry.name, baseDirectory: entry.baseDirectory)
        }
        return PipelineCheck.load(loader, path: entry.name)
    }

    /// The entry's text, for showing the lines of its diagnostics.
    static func text(_ entry: Entry) -> String {
        entry.text ?? (try? String(contentsOfFile: entry.name, encoding: .utf8)) ?? ""
    }
}
