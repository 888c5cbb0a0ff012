import Foundation
import Testing
import TributaryTestSupport

/// Segments against the generator's ground truth. The generator writes every activity a valid
/// record stands for (truth/activities.csv, with instants converted to UTC by Foundation's time
/// zone database) and each person's opt-in; this test computes each person's true segments from
/// that alone, at two `--as-of` instants, and compares them, person by person, with what
/// `Pipelines/retail-generated.yml` put in `segment_membership` and `segment_changes`.
@Suite("Segments against the generator's truth")
struct SegmentTruthTests {
    struct Activity { var kind: Substring; var at: Substring; var cents: Int }

    /// The true members of each segment of retail-generated.yml, by person id, at `asOf` (UTC text).
    static func trueSegments(activities: [Int: [Activity]], reachable: Set<Int>, present: Set<Int>, asOf: Date) -> [String: Set<Int>] {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let asOfText = iso.string(from: asOf)
        var segments: [String: Set<Int>] = ["cart_abandoners_7d": [], "high_value": [], "lapsed_14d": [], "email_reachable": []]
        for (person, list) in activities {
            let seen = list.filter { $0.at <= asOfText }
            let lastCart = seen.filter { $0.kind == "cart_add" }.map(\.at).max()
            let lastPurchase = seen.filter { $0.kind == "purchase" }.map(\.at).max()
            if let lastCart, let date = iso.date(from: String(lastCart)), asOf.timeIntervalSince(date) < 7 * 86_400,
               lastPurchase.map({ $0 < lastCart }) ?? true {
                segments["cart_abandoners_7d"]!.insert(person)
            }
            let spend = seen.filter { $0.kind == "purchase" || $0.kind == "return" }.reduce(0) { $0 + $1.cents }
            if spend >= 30_000 { segments["high_value"]!.insert(person) }
            if let lastPurchase, let date = iso.date(from: String(lastPurchase)), asOf.timeIntervalSince(date) >= 14 * 86_400 {
                segments["lapsed_14d"]!.insert(person)
            }
        }
        segments["email_reachable"] = reachable.intersection(present)
        return segments
    }

    @Test func membershipAndChangesMatchTheTruthPerSegment() throws {
        let ws = try Workspace()
        try Generated.write(persons: 4000, seed: 21, into: ws.file("data"))

        // The truth: records → person, each person's activities and opt-in.
        var personOf: [String: Int] = [:]
        for line in try String(contentsOfFile: ws.file("data/truth/records.csv"), encoding: .utf8).split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            if let person = Int(f[3]) { personOf["\(f[0]),\(f[1]),\(f[2])"] = person }
        }
        var activities: [Int: [Activity]] = [:]
        for line in try String(contentsOfFile: ws.file("data/truth/activities.csv"), encoding: .utf8).split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            activities[Int(f[0])!, default: []].append(Activity(kind: f[2], at: f[3], cents: Int(f[4]) ?? 0))
        }
        var reachable = Set<Int>()
        for line in try String(contentsOfFile: ws.file("data/truth/persons.csv"), encoding: .utf8).split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            if f[5] != "", f.last == "true" { reachable.insert(Int(f[0])!) }  // a CRM contact who opted in
        }
        let present = Set(personOf.values)

        let root = CLI.packageRoot.appendingPathComponent("Pipelines/retail-generated.yml").path
        let environment = ["RETAIL_DATA": ws.file("data"), "TRIBUTARY_OUT": ws.file("out")]
        var previous: [String: Set<Int>]?
        for (run, asOfText) in [(1, "2024-06-05T00:00:00Z"), (2, "2024-06-30T12:00:00Z")] {
            let outcome = try CLI.run(["run", root, "--quiet", "--as-of", asOfText], environment: environment)
            try #require(outcome.status == 0, "\(outcome)")
            let asOf = try #require(ISO8601DateFormatter().date(from: asOfText))
            let truth = Self.trueSegments(activities: activities, reachable: reachable, present: present, asOf: asOf)

            // Profile → persons, through each record's file and line.
            let db = try Database(ws.file("out/retail-generated.sqlite"))
            var personsOf: [String: Set<Int>] = [:]
            var accuracy = PairwiseAccuracy()
            for (source, table, name) in [("crm", "src_crm", "crm"), ("web", "src_web", "web"), ("pos", "src_store_sales", "store_sales"),
                                          ("pos_legacy", "src_legacy_pos", "legacy_pos")] {
                for row in db.rows("""
                    SELECT r.profile_id, i.path, s._line FROM \(table) s
                    JOIN latest_run_inputs i ON i.file_id = s._file_id
                    JOIN profile_records r ON r.source = '\(name)' AND r.record_id = s._record_id
                    """) {
                    let relative = (row[1] ?? "").replacingOccurrences(of: ws.file("data") + "/", with: "")
                    if let person = personOf["\(source),\(relative),\(row[2] ?? "")"] {
                        personsOf[row[0]!, default: []].insert(person)
                        accuracy.add(profile: row[0]!, person: String(person))
                    }
                }
            }
            // Identity first: pairwise precision and recall of the profiles against the people.
            let precision = accuracy.precision, recall = accuracy.recall
            print("run \(run): identity pairwise precision \(precision) recall \(recall)")
            #expect(precision >= 0.998, "identity precision \(precision)")
            #expect(accuracy.f1 >= 0.995, "identity F1, recall \(recall)")

            func persons(_ sql: String) -> [String: Set<Int>] {
                var out: [String: Set<Int>] = [:]
                for row in db.rows(sql) { out[row[0]!, default: []].formUnion(personsOf[row[1]!] ?? []) }
                return out
            }
            let predicted = persons("SELECT segment, profile_id FROM segment_membership")
            for segment in truth.keys.sorted() {
                let want = truth[segment]!, got = predicted[segment] ?? []
                let precision = got.isEmpty ? (want.isEmpty ? 1 : 0) : Double(got.intersection(want).count) / Double(got.count)
                let recall = want.isEmpty ? (got.isEmpty ? 1 : 0) : Double(got.intersection(want).count) / Double(want.count)
                print("run \(run) as of \(asOfText): \(segment) true \(want.count) predicted \(got.count) precision \(String(format: "%.4f", precision)) recall \(String(format: "%.4f", recall))")
                #expect(precision >= 0.99, "run \(run) \(segment): precision \(precision) (\(got.subtracting(want).prefix(5)) wrongly in)")
                #expect(recall >= 0.99, "run \(run) \(segment): recall \(recall) (\(want.subtracting(got).prefix(5)) missing)")
            }
            // Both windows have members, or the test would prove little.
            #expect(truth.values.filter { !$0.isEmpty }.count >= 3)

            // Changes: on the second run, who entered and who exited, person by person.
            if let previous {
                let entered = persons("SELECT segment, profile_id FROM segment_changes WHERE run_id = (SELECT max(run_id) FROM runs) AND change = 'entered'")
                let exited = persons("SELECT segment, profile_id FROM segment_changes WHERE run_id = (SELECT max(run_id) FROM runs) AND change = 'exited'")
                for segment in truth.keys.sorted() {
                    let wantIn = truth[segment]!.subtracting(previous[segment]!)
                    let wantOut = previous[segment]!.subtracting(truth[segment]!)
                    let gotIn = entered[segment] ?? [], gotOut = exited[segment] ?? []
                    print("run 2 changes: \(segment) entered true \(wantIn.count) got \(gotIn.count), exited true \(wantOut.count) got \(gotOut.count)")
                    let inMatch = Double(gotIn.intersection(wantIn).count) / Double(max(1, gotIn.union(wantIn).count))
                    let outMatch = Double(gotOut.intersection(wantOut).count) / Double(max(1, gotOut.union(wantOut).count))
                    #expect(gotIn.union(wantIn).isEmpty || inMatch >= 0.98, "\(segment) entered: Jaccard \(inMatch)")
                    #expect(gotOut.union(wantOut).isEmpty || outMatch >= 0.98, "\(segment) exited: Jaccard \(outMatch)")
                }
            }
            previous = truth
        }
    }
}
