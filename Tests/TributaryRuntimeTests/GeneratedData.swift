import Foundation
import Testing
import TributaryTestSupport

/// The data generator (`tributary-bench generate`) as the tests run it, and the pairwise
/// accuracy of profiles against the truth it writes.
enum Generated {
    /// Writes `persons` people of `shape` (`retail`, `acme`) into `folder`; returns the
    /// generator's summary line ("3000 persons: N records (+C corrupt lines), ..."). The exit
    /// status is expected to be 0.
    @discardableResult
    static func write(persons: Int, seed: Int, shape: String = "retail", corruptRate: String? = nil, into folder: String,
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let binary = try #require(GeneratorTruthTests.generator, "tributary-bench was not built beside pipeline",
                                  sourceLocation: sourceLocation)
        let generate = Process()
        generate.executableURL = URL(fileURLWithPath: binary)
        generate.arguments = ["generate", "--shape", shape, "--persons", String(persons), "--seed", String(seed)]
            + (corruptRate.map { ["--corrupt-rate", $0] } ?? []) + ["--out", folder]
        let pipe = Pipe()
        generate.standardOutput = pipe
        try generate.run()
        let summary = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        generate.waitUntilExit()
        #expect(generate.terminationStatus == 0, sourceLocation: sourceLocation)
        return summary
    }

    /// Pairwise accuracy of the CRM records' profiles in `db` against `truth/records.csv`.
    static func crmAccuracy(_ db: Database, truthFile: String) throws -> PairwiseAccuracy {
        var personOfLine: [Int: String] = [:]
        let truth = try String(contentsOfFile: truthFile, encoding: .utf8)
        for line in truth.split(separator: "\n").dropFirst() where line.hasPrefix("crm,") {
            let parts = line.split(separator: ",", omittingEmptySubsequences: false)
            personOfLine[Int(parts[2])!] = String(parts[3])
        }
        var accuracy = PairwiseAccuracy()
        for row in db.rows("SELECT s._line, r.profile_id FROM src_crm s JOIN profile_records r ON r.source = 'crm' AND r.record_id = s._record_id") {
            let person = try #require(personOfLine[Int(row[0] ?? "") ?? -1])
            accuracy.add(profile: row[1] ?? "", person: person)
        }
        return accuracy
    }
}

/// Pairwise precision and recall of clusters: pairs of records in one profile against pairs of
/// records of one person.
struct PairwiseAccuracy {
    private var together: [String: Int] = [:], person: [String: Int] = [:], both: [String: Int] = [:]

    mutating func add(profile: String, person: String) {
        together[profile, default: 0] += 1
        self.person[person, default: 0] += 1
        both[profile + "|" + person, default: 0] += 1
    }

    private static func pairs(_ counts: [String: Int]) -> Double { counts.values.reduce(0) { $0 + Double($1 * ($1 - 1) / 2) } }

    /// Pairs of records that belong to one person.
    var truePairs: Double { Self.pairs(person) }
    var precision: Double { Self.pairs(both) / max(1, Self.pairs(together)) }
    var recall: Double { Self.pairs(both) / max(1, truePairs) }
    var f1: Double { 2 * precision * recall / (precision + recall) }
}
