import Foundation

/// Writes an export in exactly the shape of the Acme Outfitters sample (`SampleData/acme/`),
/// deterministically from a seed, with the ground truth in `truth/`:
///
///     crm_contacts.csv                     BOM, CRLF, RFC 4180, multi-line streets, broken rows
///     events/events-YYYY-MM-DD.jsonl       60 days before D; the 30 days before that as .jsonl.gz
///     pos/pos_transactions_YYYY-MM.txt     ISO-8859-1 `|` files, catch-up batches with repeats
///     pos/pos_legacy_YYYYMM.dat            164-byte fixed-width H/D/T records, CRLF
///     pos/pos_legacy_layout.txt, pos/stores.csv   verbatim copies of the customer's files
///     truth/                               records, invalid, duplicates, counts, persons, segments
///
/// Each source is written by its own extension (`+CRM`, `+Events`, `+POS`, `+Legacy`) from the
/// shared population (`+People`) with its own seeded stream; `AcmeTruth` collects the answer key.
struct AcmeGenerator {
    var persons: Int
    var seed: UInt64 = 7
    var corruptRate = 0.005
    /// Snapshot day D (00:00Z), as days since 1970-01-01.
    var asOfDay: Int = AcmeFormat.days(2024, 11, 15)

    /// Epoch seconds of D 00:00Z.
    var asOf: Int64 { Int64(asOfDay) * 86400 }

    /// What was written.
    struct Stats {
        var valid: [String: Int] = [:]
        var invalid: [String: Int] = [:]
        var duplicates: [String: Int] = [:]
        var bytes = 0
        var files = 0
        /// Seconds per phase.
        var timings: [(String, Double)] = []
    }

    // MARK: Stream salts

    enum Salt: UInt64 { case people = 1, crm, events, pos, legacy, devices }

    func stream(_ salt: Salt, _ index: Int) -> SplitMix { SplitMix.stream(seed, salt.rawValue, index) }

    // MARK: Writing

    func write(to directory: String) throws -> Stats {
        let fm = FileManager.default
        for sub in ["events", "pos", "truth"] {
            try fm.createDirectory(atPath: directory + "/" + sub, withIntermediateDirectories: true)
        }
        var clock = Date()
        func phase(_ name: String) {
            timings.append((name, Date().timeIntervalSince(clock)))
            clock = Date()
        }
        var timings: [(String, Double)] = []
        let people = makePeople()
        phase("people")
        let truth = try AcmeTruth(directory: directory, persons: people.count, asOf: asOf)
        try writeCRM(people, directory, truth)
        phase("crm")
        let gzips = try writeEvents(people, directory, truth)
        phase("events")
        try writePOS(people, directory, truth)
        phase("pos")
        try writeLegacy(people, directory, truth)
        phase("legacy")
        try FileWriter.write(directory + "/pos/stores.csv", AcmeReferenceFiles.stores)
        try FileWriter.write(directory + "/pos/pos_legacy_layout.txt", AcmeReferenceFiles.legacyLayout)
        try truth.finish(people)
        phase("truth")
        for process in gzips { process.waitUntilExit() }
        phase("gzip wait")
        var stats = Stats()
        stats.timings = timings
        stats.valid = truth.valid
        stats.invalid = truth.invalid
        stats.duplicates = truth.duplicates
        for path in (try? fm.subpathsOfDirectory(atPath: directory)) ?? [] {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: directory + "/" + path, isDirectory: &isDir), !isDir.boolValue {
                stats.files += 1
                stats.bytes += (try? fm.attributesOfItem(atPath: directory + "/" + path)[.size] as? Int) ?? 0
            }
        }
        return stats
    }

    /// True for a record the corrupt rate picks.
    func corrupt(_ rng: inout SplitMix) -> Bool { rng.chance(corruptRate) }
}

/// UTC offsets of the stores' time zones, through Foundation's zone database, cached per hour.
final class AcmeZones {
    private var zones: [String: TimeZone] = [:]
    private var cache: [String: [Int64: Int]] = [:]

    func offset(_ zone: String, at epoch: Int64) -> Int {
        let hour = epoch / 3600
        if let o = cache[zone]?[hour] { return o }
        if zones[zone] == nil { zones[zone] = TimeZone(identifier: zone)! }
        let o = zones[zone]!.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(hour * 3600)))
        cache[zone, default: [:]][hour] = o
        return o
    }
}
