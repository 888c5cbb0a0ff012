import Foundation

/// Writes a Salesforce-style contact export of a given size, deterministically from a seed:
/// every field quoted, CRLF line ends, a byte-order mark, ~1% multi-line street addresses,
/// doubled quotes, non-ASCII names, and a few broken rows (wrong field count).
struct CRMGenerator {
    var seed: UInt64 = 42

    static let header = ["Contact ID", "Salutation", "First Name", "Last Name", "Email", "Phone", "Mobile",
                         "Mailing Street", "Mailing City", "Mailing State/Province", "Mailing Zip/Postal Code",
                         "Mailing Country", "Lead Source", "Opt In Email", "Birthdate", "Created Date",
                         "Last Modified Date"]
    static let first = ["Ann", "José", "Robert", "Liz", "Mary", "Okonkwo", "Zoë", "Priya", "Wei", "Sofía", "Tom",
                        "Hannah", "Grace", "Ahmed", "Nora", "Carlos", "Eva", "Sam", "Müge", "Łukasz", "Siobhán",
                        "Jean-Luc", "Aiko", "Olu", "Fatima", "Noah", "Emma", "Liam", "Olivia", "Lucas"]
    static let last = ["Lee", "Müller", "O'Brien", "Chen", "Smith", "Adebayo", "Ångström", "Patel", "Zhang", "García",
                       "Baker", "Schmidt", "Kim", "Hassan", "Berg", "Ruiz", "Novák", "Jones", "Yılmaz", "Kowalski",
                       "Nguyen", "Dubois", "Tanaka", "Okafor", "Rahman", "Johnson", "Williams", "Brown", "Taylor", "Rossi"]
    static let cities = [("San Francisco", "CA", "941"), ("New York", "NY", "100"), ("Cambridge", "MA", "021"),
                         ("Seattle", "WA", "981"), ("Chicago", "IL", "606"), ("Austin", "TX", "787"),
                         ("Miami", "FL", "331"), ("Denver", "CO", "802")]
    static let domains = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me", "example.org"]
    static let streets = ["Market St", "Broadway", "Main Street", "Oak Ave", "Elm St", "Pine Rd", "Maple Dr", "Cedar Ln"]
    static let sources = ["Web", "Trade Show", "Partner", "Referral", "Email", "Webinar"]

    struct Stats { var rows = 0; var broken = 0; var bytes = 0 }

    func write(to path: String, targetBytes: Int) throws -> Stats {
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileWriteUnknown) }
        defer { try? handle.close() }
        var rng = SplitMix(seed: seed)
        var buffer: [UInt8] = [0xEF, 0xBB, 0xBF]
        buffer.reserveCapacity(1 << 22)
        var stats = Stats()
        func field(_ s: String, _ last: Bool = false) {
            buffer.append(0x22)
            for b in s.utf8 {
                if b == 0x22 { buffer.append(0x22) }
                buffer.append(b)
            }
            buffer.append(0x22)
            if !last { buffer.append(0x2C) }
        }
        for (i, h) in Self.header.enumerated() { field(h, i == Self.header.count - 1) }
        buffer.append(contentsOf: [0x0D, 0x0A])
        var id = 0
        while stats.bytes + buffer.count < targetBytes {
            id += 1
            let f = Self.first[rng.below(Self.first.count)]
            let l = Self.last[rng.below(Self.last.count)]
            let (city, state, zip) = Self.cities[rng.below(Self.cities.count)]
            let number = 1 + rng.below(9999)
            var street = "\(number) \(Self.streets[rng.below(Self.streets.count)])"
            if rng.below(100) == 0 { street = "Apt \(1 + rng.below(40))B\r\n" + street }
            if rng.below(200) == 0 { street = "\"The Old Rectory\", " + street }
            let email = "\(f.lowercased()).\(l.lowercased())\(rng.below(100))@\(Self.domains[rng.below(Self.domains.count)])"
            let phone = "(\(200 + rng.below(800))) 555-\(String(format: "%04d", rng.below(10000)))"
            let broken = rng.below(10_000) == 0
            let values = [
                String(format: "0035e%08dAAJ", id), ["Mr.", "Ms.", "Dr.", ""][rng.below(4)], f, l, email,
                rng.below(3) == 0 ? "" : phone, rng.below(2) == 0 ? "" : phone, street, city, state,
                zip + String(format: "%02d", rng.below(100)), ["USA", "US", "United States"][rng.below(3)],
                Self.sources[rng.below(Self.sources.count)], ["Yes", "No", "true", "0"][rng.below(4)],
                String(format: "%04d-%02d-%02d", 1940 + rng.below(65), 1 + rng.below(12), 1 + rng.below(28)),
                String(format: "2023-%02d-%02dT10:%02d:00.000Z", 1 + rng.below(12), 1 + rng.below(28), rng.below(60)),
                String(format: "2024-%02d-%02dT08:%02d:00.000Z", 1 + rng.below(12), 1 + rng.below(28), rng.below(60)),
            ]
            let count = broken ? values.count - 3 : values.count
            for i in 0..<count { field(values[i], i == count - 1) }
            buffer.append(contentsOf: [0x0D, 0x0A])
            stats.rows += 1
            if broken { stats.broken += 1 }
            if buffer.count >= 1 << 22 {
                handle.write(Data(buffer))
                stats.bytes += buffer.count
                buffer.removeAll(keepingCapacity: true)
            }
        }
        handle.write(Data(buffer))
        stats.bytes += buffer.count
        return stats
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
