import Foundation
import Testing
import TributaryTestSupport

/// `pipeline find` on a generated Acme export, checked against the generator's answer key: the
/// profile found for a person's e-mail or phone (written as a person would type it) holds that
/// person's records, and mostly theirs.
@Suite("pipeline find")
struct FindTests {
    @Test func findsThePersonByEmailAndPhoneAsTyped() throws {
        let ws = try Workspace()
        try Generated.write(persons: 600, seed: 5, shape: "acme", into: ws.file("export"))
        let pipeline = CLI.packageRoot.appendingPathComponent("Pipelines/acme.yml").path
        let run = try CLI.run(["run", pipeline, "--as-of", "2024-11-15"],
                              environment: ["ACME_DATA": ws.file("export"), "TRIBUTARY_OUT": ws.file("out")])
        try #require(run.status == 0, "\(run)")
        let output = ws.file("out/acme.sqlite")

        // The answer key: each record's person, and each person's e-mails and phones.
        var personOf: [String: String] = [:]  // "source|record_key" → person
        for line in try String(contentsOfFile: ws.file("export/truth/records.csv"), encoding: .utf8).split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            personOf[f[0] + "|" + f[1]] = f[2]
        }
        var persons: [(id: String, email: String?, phone: String?)] = []
        for line in try String(contentsOfFile: ws.file("export/truth/persons.csv"), encoding: .utf8).split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            persons.append((f[0], f[1].split(separator: ";").first.map(String.init), f[2].split(separator: ";").first.map(String.init)))
        }
        let db = try Database(output)
        // Only people the output knows by that value can be found by it.
        let emails = Set(db.rows("SELECT value FROM identifiers WHERE type = 'email'").compactMap { $0[0] })
        let phones = Set(db.rows("SELECT value FROM identifiers WHERE type = 'phone'").compactMap { $0[0] })

        var checked = 0, right = 0
        for person in persons.prefix(200) {
            var queries: [String] = []
            if let email = person.email, emails.contains(email) { queries.append("email=  \(email.uppercased()) ") }
            // +14155550100 as a person writes it at home: (415) 555-0100.
            if let phone = person.phone, phones.contains(phone), phone.hasPrefix("+1"), phone.count == 12 {
                let d = Array(phone.dropFirst(2))
                queries.append("phone=(\(String(d[0..<3]))) \(String(d[3..<6]))-\(String(d[6..<10]))")
            }
            for query in queries {
                let found = try CLI.run(["find", output, query, "--format", "json"])
                #expect(found.status == 0, "\(query): \(found)")
                let json = try #require(try JSONSerialization.jsonObject(with: Data(found.stdout.utf8)) as? [String: Any])
                let profiles = (json["profiles"] as? [[String: Any]] ?? []).compactMap { $0["profile_id"] as? String }
                #expect(!profiles.isEmpty, "\(query)")
                checked += 1
                // The profile holds records of this person, and most of its records are theirs.
                for profile in profiles {
                    let owners = db.rows("SELECT source, record_key FROM profile_records WHERE profile_id = '\(profile)'")
                        .compactMap { personOf[($0[0] ?? "") + "|" + ($0[1] ?? "")] }
                    let mine = owners.count { $0 == person.id }
                    if mine > 0 && mine * 2 > owners.count { right += 1 }
                }
            }
        }
        #expect(checked >= 100, "too few people to check: \(checked)")
        // A value shared in a household may rightly lead to the other person's profile too.
        #expect(Double(right) >= 0.97 * Double(checked), "\(right) of \(checked) found the person's own profile")

        // Nothing holds an unknown value: exit 1, and the value is not echoed.
        let none = try CLI.run(["find", output, "email=no.such.person.xyz@gmail.com"])
        #expect(none.status == 1 && none.stdout.contains("no profile holds that email") && !none.stdout.contains("no.such.person"), "\(none)")
        // A key that is no identifier: exit 1 with the identifiers listed.
        let wrong = try CLI.run(["find", output, "emial=x"])
        #expect(wrong.status == 1 && wrong.stderr.contains("did you mean 'email'?"), "\(wrong)")
    }
}
