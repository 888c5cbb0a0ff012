import Foundation

/// Writes a retailer's customer data at any scale, deterministically from a seed, with the ground
/// truth of which records belong to which person:
///
///     crm/contacts_<n>.csv        Salesforce-style contact exports (BOM, CRLF, every field quoted)
///     events/events_<day>.jsonl   Segment-style web events; every other day gzipped (.jsonl.gz)
///     pos/store_sales_<n>.txt     pipe-delimited till exports, ISO-8859-1, one line per item
///     pos/legacy_<n>.dat          fixed-width register dumps, Windows-1252, header/detail/trailer
///     pos/stores.csv, pos/legacy_layout.csv
///     truth/records.csv           source,file,line,person_id — for every loadable record
///     truth/persons.csv           person_id and the person's true attributes
///     truth/activities.csv        person_id,source,kind,at (UTC),amount_cents — every activity a
///                                 loadable record stands for (page_view, cart_add, purchase, return)
///
/// People differ across sources the way real data does: nicknames (Bob for Robert), upper-cased
/// POS names as `LAST, FIRST`, e-mail case and `+tags`, phone formats, some people only ever seen
/// as an anonymous web visitor, duplicate CRM contacts. A small share of lines is corrupt in the
/// ways each format goes wrong; corrupt lines are not in the truth (they must be quarantined).
struct DataGenerator {
    var persons: Int
    var seed: UInt64 = 7
    var corruptRate = 0.002
    var days = 4

    struct Person {
        var id: Int
        var first: String
        var nickname: String?
        var last: String
        var email: String
        var phoneDigits: String      // 10 digits, NANP
        var birthdate: (Int, Int, Int)
        var street: String
        var city: (String, String, String)
        var contactID: String?
        var loyaltyCard: String?
        var anonymousIDs: [String]
        var store: Int
        var optIn: Bool
    }

    static let firstNames: [(String, String?)] = [
        ("Robert", "Bob"), ("Elizabeth", "Liz"), ("William", "Bill"), ("Margaret", "Peggy"), ("James", "Jim"),
        ("Katherine", "Kate"), ("Michael", "Mike"), ("Jennifer", "Jen"), ("Richard", "Rick"), ("Susan", "Sue"),
        ("José", nil), ("María", nil), ("Zoë", nil), ("Ángel", nil), ("Jürgen", nil), ("Hélène", nil), ("Søren", nil),
        ("Ann", nil), ("Priya", nil), ("Wei", nil), ("Okonkwo", nil), ("Fatima", nil), ("Noah", nil), ("Emma", nil),
        ("Liam", nil), ("Olivia", nil), ("Lucas", nil), ("Aiko", nil), ("Siobhán", nil), ("Łukasz", nil),
    ]
    static let lastNames = ["Smith", "Johnson", "Lee", "Müller", "O'Brien", "Chen", "García", "Núñez", "Schröder",
                            "Dubois", "Patel", "Zhang", "Okafor", "Kowalski", "Nguyen", "Tanaka", "Rossi", "Brown",
                            "Williams", "Jones", "Okonkwo", "Ångström", "Yılmaz", "Kim", "Hassan", "Berg", "Novák",
                            "Taylor", "Martin", "Moreau", "Fischer", "Weber", "Santos", "Silva", "Ivanova", "Haddad"]
    static let cities = [("New York", "NY", "100"), ("Los Angeles", "CA", "900"), ("Chicago", "IL", "606"),
                         ("Boston", "MA", "021"), ("Seattle", "WA", "981"), ("Austin", "TX", "787")]
    static let streets = ["Main St", "Broadway", "Oak Ave", "Elm St", "Market St", "Pine Rd", "Maple Dr", "Cedar Ln"]
    static let domains = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me"]
    static let stores = [("S001", "New York 5th Avenue", "America/New_York"), ("S002", "Los Angeles Venice Blvd", "America/Los_Angeles"),
                         ("S003", "Berlin Friedrichstraße", "Europe/Berlin"), ("S004", "Chicago Loop", "America/Chicago"),
                         ("S005", "München Marienplatz", "Europe/Berlin")]
    static let skus = [("COF-12OZ", "COFFEE 12OZ", 349), ("MUF-BLU", "BLUEBERRY MUFFIN", 295), ("TEA-GRN", "GREEN TEA", 275),
                       ("BRZ-LG", "BREZEL GROSS", 120), ("CRO-BUT", "CROISSANT", 325), ("BAG-SES", "SESAME BAGEL", 250),
                       ("GUT-25", "GUTSCHEIN €25", 2500)]
    static let products = [("Espresso Machine", 24999), ("Coffee Beans 1kg", 2499), ("Mug", 1299), ("Grinder", 8999)]

    struct Stats { var records = 0; var corrupt = 0; var bytes = 0 }

    func write(to directory: String) throws -> Stats {
        let fm = FileManager.default
        for sub in ["crm", "events", "pos", "truth"] {
            try fm.createDirectory(atPath: directory + "/" + sub, withIntermediateDirectories: true)
        }
        var rng = SplitMix(seed: seed)
        let people = (0..<persons).map { makePerson($0, &rng) }
        var truth = FileWriter(path: directory + "/truth/records.csv")
        truth.line("source,file,line,person_id")
        var activities = FileWriter(path: directory + "/truth/activities.csv")
        let clock = TruthClock()
        activities.line("person_id,source,kind,at,amount_cents")
        var stats = Stats()

        try writePersons(people, to: directory + "/truth/persons.csv")
        try writeCRM(people, directory, &rng, &truth, &stats)
        try writeEvents(people, directory, &rng, &truth, &stats, &activities, clock)
        try writeStoreSales(people, directory, &rng, &truth, &stats, &activities, clock)
        try writeLegacy(people, directory, &rng, &truth, &stats, &activities)
        var stores = FileWriter(path: directory + "/pos/stores.csv")
        stores.line("store_id,name,timezone")
        for s in Self.stores { stores.line("\(s.0),\(s.1),\(s.2)") }
        try stores.close()
        var layout = FileWriter(path: directory + "/pos/legacy_layout.csv")
        layout.text(Self.legacyLayout)
        try layout.close()
        try truth.close()
        try activities.close()
        stats.bytes = (try? fm.subpathsOfDirectory(atPath: directory))?.reduce(0) { total, path in
            total + ((try? fm.attributesOfItem(atPath: directory + "/" + path)[.size] as? Int) ?? 0)
        } ?? 0
        return stats
    }

    func makePerson(_ id: Int, _ rng: inout SplitMix) -> Person {
        let (first, nick) = Self.firstNames[rng.below(Self.firstNames.count)]
        let last = Self.lastNames[rng.below(Self.lastNames.count)]
        let local = "\(ascii(first).lowercased()).\(ascii(last).lowercased().filter { $0.isLetter })\(id)"
        let city = Self.cities[rng.below(Self.cities.count)]
        return Person(
            id: id, first: first, nickname: nick, last: last,
            email: "\(local)@\(Self.domains[rng.below(Self.domains.count)])",
            phoneDigits: "\(200 + rng.below(700))555\(String(format: "%04d", rng.below(10_000)))",
            birthdate: (1940 + rng.below(65), 1 + rng.below(12), 1 + rng.below(28)),
            street: "\(1 + rng.below(9999)) \(Self.streets[rng.below(Self.streets.count)])",
            city: city,
            contactID: rng.below(100) < 70 ? String(format: "0035e%010dAAJ", id) : nil,
            loyaltyCard: rng.below(100) < 45 ? String(format: "LC-%07d", id) : nil,
            anonymousIDs: rng.below(100) < 60 ? (0..<(1 + rng.below(2))).map { _ in uuid(&rng) } : [],
            store: rng.below(Self.stores.count),
            optIn: rng.below(100) < 55)
    }

    func uuid(_ rng: inout SplitMix) -> String {
        let a = rng.next(), b = rng.next()
        return String(format: "%08x-%04x-4%03x-a%03x-%012llx", UInt32(truncatingIfNeeded: a >> 32), UInt16(truncatingIfNeeded: a >> 16),
                      UInt16(truncatingIfNeeded: a) & 0xFFF, UInt16(truncatingIfNeeded: b >> 48) & 0xFFF, b & 0xFFFF_FFFF_FFFF)
    }

    /// ASCII folding for e-mail local parts (José → Jose, Łukasz → Lukasz).
    func ascii(_ s: String) -> String {
        let special: [Character: String] = ["ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ı": "i", "ß": "ss", "'": ""]
        var out = ""
        for ch in s.decomposedStringWithCanonicalMapping {
            if let replacement = special[ch] { out += replacement } else if ch.isASCII { out.append(ch) }
        }
        return out
    }

    func corrupt(_ rng: inout SplitMix) -> Bool { Double(rng.below(1_000_000)) < corruptRate * 1_000_000 }

    // MARK: CRM

    func writeCRM(_ people: [Person], _ dir: String, _ rng: inout SplitMix, _ truth: inout FileWriter, _ stats: inout Stats) throws {
        let name = "crm/contacts_1.csv"
        var out = FileWriter(path: dir + "/" + name)
        out.bytes([0xEF, 0xBB, 0xBF])
        func q(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        let header = ["Contact ID", "First Name", "Last Name", "Email", "Phone", "Mobile", "Mailing Street", "Mailing City",
                      "Mailing State/Province", "Mailing Zip/Postal Code", "Mailing Country", "Birthdate", "Opt In Email",
                      "Created Date", "Last Modified Date", "Loyalty Card"]
        out.text(header.map(q).joined(separator: ",") + "\r\n")
        var line = 2
        for p in people {
            guard let contact = p.contactID else { continue }
            let copies = rng.below(100) < 10 ? 2 : 1   // a duplicate contact with another id
            for copy in 0..<copies {
                let id = copy == 0 ? contact : contact.replacingOccurrences(of: "AAJ", with: "AAK")
                let first = copy == 1 && p.nickname != nil ? p.nickname! : p.first
                let email = copy == 1 ? p.email.uppercased() : p.email
                let phone = phoneFormat(p.phoneDigits, &rng)
                let (y, m, d) = p.birthdate
                let birth = rng.below(2) == 0 ? String(format: "%04d-%02d-%02d", y, m, d) : String(format: "%d/%d/%04d", m, d, y)
                let street = rng.below(50) == 0 ? "Apt \(1 + rng.below(20))\n" + p.street : p.street
                var fields = [id, first, p.last, email, phone, "", street, p.city.0, p.city.1, p.city.2 + String(format: "%02d", p.id % 100),
                              "USA", birth, (p.optIn ? ["Yes", "true", "1"] : ["No", "false", "0"])[rng.below(3)],
                              String(format: "2023-%02d-%02dT10:00:00.000Z", 1 + rng.below(12), 1 + rng.below(28)),
                              String(format: "2024-%02d-%02dT08:30:00.000Z", 1 + rng.below(6), 1 + rng.below(28)),
                              p.loyaltyCard ?? ""]
                let lines = street.filter { $0 == "\n" }.count + 1
                if corrupt(&rng) {
                    fields.removeLast(4)   // a truncated row: wrong field count
                    stats.corrupt += 1
                } else {
                    truth.line("crm,\(name),\(line),\(p.id)")
                    stats.records += 1
                }
                out.text(fields.map(q).joined(separator: ",").replacingOccurrences(of: "\n", with: "\r\n") + "\r\n")
                line += lines
            }
        }
        try out.close()
    }

    func phoneFormat(_ d: String, _ rng: inout SplitMix) -> String {
        let a = d.prefix(3), b = d.dropFirst(3).prefix(3), c = d.suffix(4)
        switch rng.below(4) {
        case 0: return "(\(a)) \(b)-\(c)"
        case 1: return "\(a).\(b).\(c)"
        case 2: return "+1 \(a) \(b) \(c)"
        default: return "1-\(a)-\(b)-\(c)"
        }
    }

    // MARK: Events

    func writeEvents(_ people: [Person], _ dir: String, _ rng: inout SplitMix, _ truth: inout FileWriter, _ stats: inout Stats,
                     _ activities: inout FileWriter, _ clock: TruthClock) throws {
        var files: [(name: String, writer: FileWriter, line: Int, gzip: Bool)] = (0..<days).map { day in
            let name = String(format: "events/events_2024-06-%02d.jsonl", day + 1)
            return (name, FileWriter(path: dir + "/" + name), 1, day % 2 == 1)
        }
        var messageCounter = 0
        let offsets = ["Z", "+02:00", "-07:00", "-04:00"]
        let offsetSeconds = [0, 7200, -25200, -14400]
        for p in people where !p.anonymousIDs.isEmpty {
            // Loyalty members and CRM contacts log in (on every device they use); other visitors
            // may never identify, and then use one device: two unidentified devices are two
            // people to any tool, so the truth would be unknowable.
            let identified = p.contactID != nil || p.loyaltyCard != nil || rng.below(100) < 50
            let devices = identified ? p.anonymousIDs : [p.anonymousIDs[0]]
            let events = 2 + rng.below(8)
            for e in 0..<events {
                let day = rng.below(days)
                messageCounter += 1
                let identifying = identified && e >= events - devices.count
                let anon = identifying ? devices[e - (events - devices.count)] : devices[rng.below(devices.count)]
                let (hour, minute, second, millis) = (rng.below(24), rng.below(60), rng.below(60), rng.below(1000))
                let zone = rng.below(offsets.count)
                let ts = String(format: "2024-06-%02dT%02d:%02d:%02d.%03d", day + 1, hour, minute, second, millis) + offsets[zone]
                var activity: (kind: String, cents: Int?)?
                var json: String
                let message = "\"messageId\":\"m-\(seed)-\(messageCounter)\",\"anonymousId\":\"\(anon)\",\"timestamp\":\"\(ts)\""
                if identifying {
                    let user = p.contactID.map { "\"userId\":\"\($0)\"," } ?? ""
                    json = "{\"type\":\"identify\",\(user)\(message),\"traits\":{\"email\":\"\(p.email)\",\"firstName\":\"\(jsonEscape(p.first))\",\"lastName\":\"\(jsonEscape(p.last))\",\"phone\":\"+1\(p.phoneDigits)\"\(p.loyaltyCard.map { ",\"loyaltyCard\":\"\($0)\"" } ?? "")}}"
                } else {
                    switch rng.below(3) {
                    case 0:
                        activity = ("page_view", nil)
                        json = "{\"type\":\"page\",\(message),\"properties\":{\"path\":\"/products/\(rng.below(50))\"},\"context\":{\"device\":{\"id\":\"\(anon)\"}}}"
                    case 1:
                        let (product, price) = Self.products[rng.below(Self.products.count)]
                        activity = ("cart_add", nil)
                        json = "{\"type\":\"track\",\"event\":\"Product Added\",\(message),\"properties\":{\"product\":\"\(product)\",\"price\":\(price / 100).\(String(format: "%02d", price % 100))}}"
                    default:
                        let (product, price) = Self.products[rng.below(Self.products.count)]
                        activity = ("purchase", price)
                        json = "{\"type\":\"track\",\"event\":\"Order Completed\",\(message),\"properties\":{\"order_id\":\"o-\(messageCounter)\",\"revenue\":\"\(price / 100).\(String(format: "%02d", price % 100))\",\"products\":[{\"name\":\"\(product)\"}]}}"
                    }
                }
                if corrupt(&rng) {
                    json = String(json.prefix(json.count / 2))  // truncated by a crashed writer
                    stats.corrupt += 1
                } else {
                    truth.line("web,\(files[day].name)\(files[day].gzip ? ".gz" : ""),\(files[day].line),\(p.id)")
                    stats.records += 1
                    if let activity {
                        let at = clock.utc(year: 2024, month: 6, day: day + 1, hour: hour, minute: minute, second: second,
                                           millis: millis, zone: TimeZone(secondsFromGMT: offsetSeconds[zone])!)
                        activities.line("\(p.id),web,\(activity.kind),\(at),\(activity.cents.map(String.init) ?? "")")
                    }
                }
                files[day].writer.line(json)
                files[day].line += 1
                // Pipelines re-send: about 1% of events appear again in a later day's file.
                if rng.below(100) == 0, day + 1 < days, json.hasSuffix("}") {
                    files[day + 1].writer.line(json)
                    files[day + 1].line += 1
                }
            }
        }
        for i in files.indices {
            try files[i].writer.close()
            if files[i].gzip {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["gzip", "-f", "-6", dir + "/" + files[i].name]
                try process.run()
                process.waitUntilExit()
            }
        }
    }

    func jsonEscape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    // MARK: POS

    /// ISO-8859-1 / Windows-1252 bytes of `s`; characters those code pages lack become `?`.
    func legacyBytes(_ s: String, windows1252: Bool) -> [UInt8] {
        s.unicodeScalars.map { u in
            if u.value < 0x80 || (u.value >= 0xA0 && u.value <= 0xFF) { return UInt8(u.value) }
            if windows1252, u == "€" { return 0x80 }
            return UInt8(ascii: "?")
        }
    }

    func writeStoreSales(_ people: [Person], _ dir: String, _ rng: inout SplitMix, _ truth: inout FileWriter, _ stats: inout Stats,
                         _ activities: inout FileWriter, _ clock: TruthClock) throws {
        let name = "pos/store_sales_1.txt"
        var out = FileWriter(path: dir + "/" + name)
        let header = "TXN_ID|STORE_ID|TXN_TS|LOYALTY_CARD|CUSTOMER_NAME|SKU|QTY|UNIT_PRICE|AMOUNT_CENTS\r\n"
        out.text(header)
        var line = 2
        var txn = 100_000
        for p in people where p.loyaltyCard != nil || rng.below(100) < 20 {
            for _ in 0..<(1 + rng.below(3)) {
                txn += 1
                let store = Self.stores[rng.below(100) < 80 ? p.store : rng.below(Self.stores.count)]
                let (day, hour, minute) = (1 + rng.below(28), 7 + rng.below(13), rng.below(60))
                let ts = String(format: "%02d/%02d/2024 %02d:%02d", 6, day, hour, minute)
                let at = clock.utc(year: 2024, month: 6, day: day, hour: hour, minute: minute, second: 0, millis: 0,
                                   zone: TimeZone(identifier: store.2)!)
                let card = p.loyaltyCard ?? ""
                let customer = p.loyaltyCard == nil ? "" : "\(p.last.uppercased()), \(p.first.uppercased())"
                var lines: [String] = []
                var items: [(kind: String, cents: Int)] = []
                for _ in 0..<(1 + rng.below(4)) {
                    let (sku, _, price) = Self.skus[rng.below(Self.skus.count - 1)]
                    let qty = rng.below(20) == 0 ? -1 : 1 + rng.below(3)
                    lines.append("\(txn)|\(store.0)|\(ts)|\(card)|\(customer)|\(sku)|\(qty)|\(price / 100).\(String(format: "%02d", price % 100))|\(qty * price)")
                    items.append((qty < 0 ? "return" : "purchase", qty * price))
                }
                for (l, item) in zip(lines, items) {
                    var text = l
                    if corrupt(&rng) {
                        text = String(text[..<text.lastIndex(of: "|")!])  // the amount is missing
                        stats.corrupt += 1
                    } else {
                        truth.line("pos,\(name),\(line),\(p.loyaltyCard == nil ? "" : String(p.id))")
                        stats.records += 1
                        if p.loyaltyCard != nil { activities.line("\(p.id),store_sales,\(item.kind),\(at),\(item.cents)") }
                    }
                    out.bytes(legacyBytes(text + "\r\n", windows1252: false))
                    line += 1
                }
            }
        }
        try out.close()
    }

    static let legacyLayout = """
        field,start,length,record
        store_id,2,4,detail
        txn_id,6,6,detail
        txn_date,12,8,detail
        txn_time,20,4,detail
        loyalty_card,24,10,detail
        sku,34,8,detail
        description,42,20,detail
        qty,62,4,detail
        unit_price,66,7,detail
        amount_cents,73,9,detail
        store_id,2,4,header
        business_date,6,8,header
        register,14,3,header
        record_count,2,6,trailer
        amount_total,8,11,trailer

        """

    func writeLegacy(_ people: [Person], _ dir: String, _ rng: inout SplitMix, _ truth: inout FileWriter, _ stats: inout Stats,
                     _ activities: inout FileWriter) throws {
        let name = "pos/legacy_1.dat"
        var out = FileWriter(path: dir + "/" + name)
        var line = 1
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? String(s.prefix(n)) : s + String(repeating: " ", count: n - s.count) }
        func num(_ v: Int, _ n: Int) -> String {
            v < 0 ? "-" + String(format: "%0\(n - 1)d", -v) : String(format: "%0\(n)d", v)
        }
        var txn = 200_000
        let buyers = people.filter { $0.loyaltyCard != nil && $0.id % 3 == 0 }
        var index = 0
        while index < buyers.count {
            let store = Self.stores[rng.below(Self.stores.count)].0
            let day = 1 + rng.below(28)
            out.bytes(legacyBytes("H\(store)2024060\(min(day, 9))\(String(format: "%03d", 1 + rng.below(9)))\r\n", windows1252: true))
            line += 1
            var count = 0
            var total = 0
            for p in buyers[index..<min(buyers.count, index + 20)] {
                txn += 1
                let (sku, description, price) = Self.skus[rng.below(Self.skus.count)]
                let qty = 1 + rng.below(2)
                let text = "D\(store)\(num(txn % 1_000_000, 6))2024060\(min(day, 9))\(String(format: "%02d%02d", 8 + rng.below(10), rng.below(60)))"
                    + pad(p.loyaltyCard!, 10) + pad(sku, 8) + pad(description, 20) + num(qty, 4)
                    + String(repeating: " ", count: max(0, 7 - String(format: "%.2f", Double(price) / 100).count)) + String(format: "%.2f", Double(price) / 100)
                    + num(qty * price, 9)
                if corrupt(&rng) {
                    out.bytes(legacyBytes(String(text.prefix(40)) + "\r\n", windows1252: true))  // a short line
                    stats.corrupt += 1
                } else {
                    out.bytes(legacyBytes(text + "\r\n", windows1252: true))
                    truth.line("pos_legacy,\(name),\(line),\(p.id)")
                    activities.line("\(p.id),legacy_pos,purchase,2024-06-0\(min(day, 9))T00:00:00.000Z,\(qty * price)")
                    stats.records += 1
                    count += 1
                    total += qty * price
                }
                line += 1
            }
            out.bytes(legacyBytes("T\(num(count, 6))\(num(total, 11))\r\n", windows1252: true))
            line += 1
            index += 20
        }
        try out.close()
    }

    func writePersons(_ people: [Person], to path: String) throws {
        var out = FileWriter(path: path)
        out.line("person_id,first_name,last_name,email,phone,contact_id,loyalty_card,anonymous_ids,opt_in")
        for p in people {
            out.line("\(p.id),\(p.first),\"\(p.last)\",\(p.email),+1\(p.phoneDigits),\(p.contactID ?? ""),\(p.loyaltyCard ?? ""),\(p.anonymousIDs.joined(separator: " ")),\(p.optIn)")
        }
        try out.close()
    }
}

/// Buffered file output.
struct FileWriter {
    let handle: FileHandle?
    var buffer: [UInt8] = []

    init(path: String) {
        FileManager.default.createFile(atPath: path, contents: nil)
        handle = FileHandle(forWritingAtPath: path)
        buffer.reserveCapacity(1 << 20)
    }

    mutating func bytes(_ b: [UInt8]) {
        buffer.append(contentsOf: b)
        if buffer.count >= 1 << 20 { flush() }
    }

    mutating func text(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 20 { flush() }
    }

    /// A small file in one go.
    static func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
    mutating func line(_ s: String) { text(s + "\n") }

    mutating func flush() {
        handle?.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func close() throws {
        flush()
        try handle?.close()
    }
}

/// Local wall-clock times to UTC text (`2024-06-01T06:17:45.500Z`) through Foundation's calendar
/// and time-zone database: independent of the pipeline's own zone arithmetic, which the truth checks.
final class TruthClock {
    private var calendars: [Int: Calendar] = [:]
    private var zones: [TimeZone] = []

    func utc(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millis: Int, zone: TimeZone) -> String {
        var index = zones.firstIndex(of: zone)
        if index == nil {
            zones.append(zone)
            index = zones.count - 1
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            calendars[index!] = calendar
        }
        let date = calendars[index!]!.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))!
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let c = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!, millis)
    }
}
