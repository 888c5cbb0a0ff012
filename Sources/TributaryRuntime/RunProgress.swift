import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One progress update of a run, for a live display (`RunOptions.progress`).
///
/// The runner sends `.started` and `.finished` for each stage and `.advanced` after every piece it
/// loads. Byte counts are known for extraction only (the planned pieces' bytes), so only
/// extraction has an ETA.
public struct RunProgress: Sendable {
    public enum Event: Sendable { case started, advanced, finished }
    public var event: Event
    public var stage: String
    /// Records handled in this stage so far.
    public var records = 0
    public var bytesDone = 0
    /// Bytes the stage will read in all, or 0 when not known.
    public var bytesTotal = 0
    public var piecesDone = 0
    public var piecesTotal = 0
    /// When the stage started.
    public var startedAt = Date()

    public init(event: Event, stage: String, records: Int = 0, bytesDone: Int = 0, bytesTotal: Int = 0,
                piecesDone: Int = 0, piecesTotal: Int = 0, startedAt: Date = Date()) {
        self.event = event
        self.stage = stage
        self.records = records
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.piecesDone = piecesDone
        self.piecesTotal = piecesTotal
        self.startedAt = startedAt
    }
}

/// Sends progress updates to an optional sink; one value lives in the runner's loop.
struct ProgressFeed {
    let sink: (@Sendable (RunProgress) -> Void)?
    private var current = RunProgress(event: .started, stage: "")

    init(_ sink: (@Sendable (RunProgress) -> Void)?) { self.sink = sink }

    mutating func start(_ stage: String, bytesTotal: Int = 0, piecesTotal: Int = 0) {
        guard let sink else { return }
        current = RunProgress(event: .started, stage: stage, bytesTotal: bytesTotal, piecesTotal: piecesTotal)
        sink(current)
    }

    mutating func advance(bytes: Int, records: Int) {
        guard let sink else { return }
        current.event = .advanced
        current.bytesDone += bytes
        current.records += records
        current.piecesDone += 1
        sink(current)
    }

    mutating func finish(records: Int? = nil) {
        guard let sink, !current.stage.isEmpty else { return }
        current.event = .finished
        if let records { current.records = records }
        sink(current)
    }
}

/// Shows run progress on stderr: redrawn in place on a terminal, or a plain line every
/// `interval` seconds (and at the end of each stage) when stderr is a file or a pipe.
///
/// Updates come from the runner's loading thread, one at a time; the lock only guards against a
/// log line written from elsewhere.
public final class ProgressReporter: @unchecked Sendable {
    public enum Mode: Sendable { case terminal, lines }

    public let mode: Mode
    let interval: TimeInterval
    let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private var lastDrawn = Date.distantPast
    private var drawnWidth = 0

    /// `write` receives finished text: with `\r` and an erase sequence on a terminal, whole
    /// lines otherwise.
    public init(mode: Mode, interval: TimeInterval, write: @escaping @Sendable (String) -> Void) {
        self.mode = mode
        self.interval = interval
        self.write = write
    }

    /// Whether stderr is a terminal.
    public static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    public func update(_ progress: RunProgress) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        switch mode {
        case .terminal:
            let due = now.timeIntervalSince(lastDrawn) >= interval
            guard progress.event != .advanced || due else { return }
            lastDrawn = now
            let text = Self.describe(progress, now: now)
            if progress.event == .finished {
                write("\r\u{1B}[K" + text + "\n")
                drawnWidth = 0
            } else {
                write("\r\u{1B}[K" + text)
                drawnWidth = text.count
            }
        case .lines:
            if progress.event == .started { lastDrawn = now; return }
            guard progress.event == .finished || now.timeIntervalSince(lastDrawn) >= interval else { return }
            lastDrawn = now
            write("progress: " + Self.describe(progress, now: now) + "\n")
        }
    }

    /// Erases a progress line drawn on the terminal (call before printing something else).
    public func clear() {
        lock.lock()
        defer { lock.unlock() }
        if mode == .terminal, drawnWidth > 0 {
            write("\r\u{1B}[K")
            drawnWidth = 0
        }
    }

    /// `extract: 12,345 records, 40.0 of 120.0 MB (33%), 85.2 MB/s, 7.1 s, ETA 0:02` and the like.
    static func describe(_ p: RunProgress, now: Date) -> String {
        let elapsed = max(0.001, now.timeIntervalSince(p.startedAt))
        let head = "\(p.stage)\(p.event == .finished ? " done" : ""):"
        var parts = ["\(grouped(p.records)) records"]
        if p.bytesTotal > 0 {
            let mb = Double(p.bytesDone) / 1_000_000
            let total = Double(p.bytesTotal) / 1_000_000
            let share = Int((Double(p.bytesDone) / Double(p.bytesTotal) * 100).rounded(.down))
            parts.append(p.bytesTotal < 1_000_000
                ? String(format: "%.1f of %.1f kB (%d%%)", mb * 1000, total * 1000, share)
                : String(format: "%.1f of %.1f MB (%d%%)", mb, total, share))
            parts.append(String(format: "%.1f MB/s", mb / elapsed))
        } else if p.records > 0 {
            parts.append(String(format: "%.0f records/s", Double(p.records) / elapsed))
        }
        parts.append(String(format: "%.1f s", elapsed))
        if p.event != .finished, p.bytesTotal > 0, p.bytesDone > 0, p.bytesDone < p.bytesTotal {
            let remaining = elapsed * Double(p.bytesTotal - p.bytesDone) / Double(p.bytesDone)
            parts.append("ETA " + clock(remaining))
        }
        return head + " " + parts.joined(separator: ", ")
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}
