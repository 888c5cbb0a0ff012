import Foundation
import Logging

extension LogSetup {
    /// Text logs for people, JSON lines for schedulers; both on stderr. Every line also carries
    /// the metadata of `context` (`pipeline`, and `run_id` once the run has one).
    static func bootstrap(format: LogFormat, level: Logger.Level, context: LogContext = LogContext()) {
        LoggingSystem.bootstrap({ label, provider in
            var handler: LogHandler = format == .json ? JSONLogHandler(label: label) : TextLogHandler(label: label)
            handler.logLevel = level
            handler.metadataProvider = provider
            return handler
        }, metadataProvider: context.provider)
    }
}

enum LogSetup {}

/// Metadata every log line of a run carries, set as it becomes known (the pipeline's name after
/// loading, the run id when the writer takes one), from any thread.
final class LogContext: @unchecked Sendable {
    private let lock = NSLock()
    private var metadata: Logger.Metadata = [:]

    subscript(key: String) -> Logger.MetadataValue? {
        get { lock.withLock { metadata[key] } }
        set { lock.withLock { metadata[key] = newValue } }
    }

    var provider: Logger.MetadataProvider {
        Logger.MetadataProvider { self.lock.withLock { self.metadata } }
    }
}

extension LogHandler {
    /// The provider's metadata, the handler's, then the call's (later ones win).
    func merged(_ extra: Logger.Metadata?) -> Logger.Metadata {
        (metadataProvider?.get() ?? [:]).merging(metadata) { $1 }.merging(extra ?? [:]) { $1 }
    }
}

struct TextLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        let fields = merged(extra).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        TerminalLine.reporter?.clear()
        FileHandle.standardError.write("\(level): \(message)\(fields.isEmpty ? "" : " " + fields)\n")
    }
}

/// One JSON object a line, sorted keys: `level`, `message`, `time` and the metadata, whose
/// numbers (`.stringConvertible` integers, floating-point numbers and booleans) stay JSON numbers
/// and booleans; everything else is a string (arrays and dictionaries stay arrays and objects).
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        FileHandle.standardError.write(Self.line(level: level, message: message.description, metadata: merged(extra)) + "\n")
    }

    static func line(level: Logger.Level, message: String, metadata: Logger.Metadata, time: Date = Date()) -> String {
        var object: [String: Any] = [:]
        for (key, value) in metadata { object[key] = json(value) }
        object["level"] = level.rawValue
        object["message"] = message
        object["time"] = ISO8601DateFormatter().string(from: time)
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func json(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c):
            switch c {
            case let b as Bool: return b
            case let i as any BinaryInteger: return Int(exactly: i).map { $0 as Any } ?? c.description
            case let d as Double: return d.isFinite ? d : d.description
            case let f as Float: return f.isFinite ? Double(f) : f.description
            default: return c.description
            }
        case .array(let values): return values.map(json)
        case .dictionary(let values): return values.mapValues(json)
        }
    }
}

extension FileHandle {
    func write(_ string: String) { write(Data(string.utf8)) }
}
