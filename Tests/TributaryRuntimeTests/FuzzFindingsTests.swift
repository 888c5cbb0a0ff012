import Foundation
import Testing
@testable import TributaryRuntime
import TributaryTestSupport

/// What `Scripts/fuzz` found, kept as regression tests: each input in `Tests/Fixtures/fuzz/` once
/// broke an invariant of its target (named in the file name).
@Suite("Fuzz findings")
struct FuzzFindingsTests {
    static let fixtures = CLI.packageRoot.appendingPathComponent("Tests/Fixtures/fuzz").path

    /// A bare CR ended a CSV record inside a line before a quote that stayed open across the piece
    /// cut: the completed record was counted in the piece and again when the next piece re-read
    /// the line (26 records in pieces, 25 in one piece).
    @Test func csvRecordsDoNotDependOnThePieceSize() throws {
        let ws = try Workspace()
        let targets = try Fuzzer.targets(root: CLI.packageRoot.path, workDirectory: ws.path)
        let csv = try #require(targets.first { $0.name == "csv" })
        let inputs = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures)
            .filter { $0.hasPrefix("csv-records-depend-on-piece-size") }.sorted()
        #expect(inputs.count == 6)
        for name in inputs {
            #expect(Fuzzer.replay(csv, path: Self.fixtures + "/" + name) == nil, "\(name)")
        }
    }
}
