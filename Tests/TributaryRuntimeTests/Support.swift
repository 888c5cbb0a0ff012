import CSQLite
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The built `pipeline` executable and a way to run it.
enum CLI {
    /// The package root, from this file's path (Tests/TributaryRuntimeTests/Support.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where the binary is looked for, in order: `$PIPELINE_BIN`; beside the running test bundle
    /// (the build products folder of whatever scratch path built the tests); the usual scratch folders.
    static var candidates: [String] {
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

    static let binary: String? = candidates.first { path in
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }

    struct Outcome: CustomStringConvertible {
        var status: Int32
        /// False when the process died of a signal (a crash), in which case `status` is the signal.
        var exited: Bool
        var stdout: String
        var stderr: String

        var description: String {
            "\(exited ? "exit" : "signal") \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)"
        }
    }

    /// Runs `pipeline` with `arguments`; output goes through files (no pipe can fill up).
    static func run(_ arguments: [String], environment: [String: String] = [:], standardInput: String? = nil,
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

/// A temporary folder for one test; removed when the value is released.
final class Workspace {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tributary-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = file(name)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    /// The names in the folder `name` of the workspace.
    func contents(_ name: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: file(name))) ?? []).sorted()
    }
}

/// Read-only access to an output database through the SQLite C API.
final class Database {
    private var handle: OpaquePointer?

    init(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY, nil)
        try #require(rc == SQLITE_OK, "cannot open \(path): \(rc)", sourceLocation: sourceLocation)
    }

    deinit { sqlite3_close_v2(handle) }

    /// Every row of `sql`, each value as text (NULL as nil; blobs as their bytes, lossily decoded).
    func rows(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) -> [[String?]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else {
            Issue.record("SQL error in \(sql): \(String(cString: sqlite3_errmsg(handle)))", sourceLocation: sourceLocation)
            return []
        }
        defer { sqlite3_finalize(statement) }
        var result: [[String?]] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            let count = sqlite3_column_count(statement)
            result.append((0..<count).map { i -> String? in
                switch sqlite3_column_type(statement, i) {
                case SQLITE_NULL:
                    return nil
                case SQLITE_BLOB:
                    let n = Int(sqlite3_column_bytes(statement, i))
                    guard n > 0, let blob = sqlite3_column_blob(statement, i) else { return "" }
                    return String(decoding: UnsafeRawBufferPointer(start: blob, count: n), as: UTF8.self)
                default:
                    return sqlite3_column_text(statement, i).map { String(cString: $0) }
                }
            })
        }
        return result
    }

    /// The single value of a one-row, one-column query.
    func value(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        let all = rows(sql, sourceLocation: sourceLocation)
        #expect(all.count == 1 && all.first?.count == 1, "\(sql) → \(all)", sourceLocation: sourceLocation)
        return all.first?.first ?? nil
    }

    func blobBytes(_ sql: String) -> [[UInt8]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else { return [] }
        defer { sqlite3_finalize(statement) }
        var result: [[UInt8]] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            let n = Int(sqlite3_column_bytes(statement, 0))
            if n > 0, let blob = sqlite3_column_blob(statement, 0) {
                result.append(Array(UnsafeRawBufferPointer(start: blob, count: n)))
            } else {
                result.append([])
            }
        }
        return result
    }
}

/// The permission bits of a file (e.g. 0o600).
func permissions(_ path: String) -> Int? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return Int(info.st_mode & 0o777)
}

func fileBytes(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { Array($0) }
}

/// A small deterministic PRNG (SplitMix64).
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
