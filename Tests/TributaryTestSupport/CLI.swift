import Foundation
import Testing

/// The built `pipeline` executable and a way to run it.
public enum CLI {
    /// The package root.
    public static var packageRoot: URL { TributaryTestSupport.packageRoot }

    /// Where the binary is looked for, in order: `$PIPELINE_BIN`; beside the running test bundle
    /// (the build products folder of whatever scratch path built the tests); the usual scratch folders.
    public static var candidates: [String] {
        var list: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["PIPELINE_BIN"], !explicit.isEmpty { list.append(explicit) }
        var directories: [URL] = [Bundle.main.bundleURL]
        if let executable = Bundle.main.executableURL { directories.append(executable.deletingLastPathComponent()) }
        if let first = CommandLine.arguments.first {
            let url = URL(fileURLWithPath: first)
            directories.append(url.deletingLastPathComponent())
            // On macOS the test bundle is Foo.xctest/Contents/MacOS/Foo.
            directories.append(url.deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent())
        }
        list += directories.map { $0.appendingPathComponent("pipeline").path }
        list += [".build-tests/debug/pipeline", ".build/debug/pipeline"].map { packageRoot.appendingPathComponent($0).path }
        return list
    }

    public static let binary: String? = candidates.first { path in
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }

    public struct Outcome: CustomStringConvertible {
        public var status: Int32
        /// False when the process died of a signal (a crash), in which case `status` is the signal.
        public var exited: Bool
        public var stdout: String
        public var stderr: String

        public var description: String {
            "\(exited ? "exit" : "signal") \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)"
        }
    }

    /// Runs `pipeline` with `arguments`; output goes through files (no pipe can fill up).
    public static func run(_ arguments: [String], environment: [String: String] = [:], standardInput: String? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> Outcome {
        let binary = try #require(binary, "the pipeline binary was not found; tried \(candidates)",
                                  sourceLocation: sourceLocation)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outPath = scratch.appendingPathComponent("stdout").path
        let errPath = scratch.appendingPathComponent("stderr").path
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = out
        process.standardError = err
        if let standardInput {
            let inPath = scratch.appendingPathComponent("stdin").path
            FileManager.default.createFile(atPath: inPath, contents: Data(standardInput.utf8))
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Outcome(status: process.terminationStatus, exited: process.terminationReason == .exit,
                       stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                       stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}
