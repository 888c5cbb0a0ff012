import Foundation

/// `events/events-YYYY-MM-DD.jsonl(.gz)`: the Segment-spec event log, one file per UTC day of
/// receipt for the 90 days before D (the oldest 30 gzipped). Customers' devices (web, iOS,
/// Android) browse anonymously and identify once (app account, CRM Contact ID, the e-mail itself
/// from an old app build, or an e-mail-only identify); the e-mail service sends `Email Opened` with
/// a Contact ID; casual visitors never identify. Mobile batches arrive 1-3 days late, some events
/// are re-sent (same messageId, later receivedAt, maybe a later file), and a share of lines is broken.
extension AcmeGenerator {
    /// The sending library.
    enum EventLibrary: Int { case web, ios, android, node }

    /// One session (or one e-mail open) to render on its day of receipt.
    struct EventSession {
        var owner: Int          // person index, or -(visitor + 1)
        var device: Int         // device number of the owner; -1 for an e-mail open
        var start: Int64        // ms of the first event's timestamp
        var receiveBase: Int64  // ms: 0 = on time, else the late batch's first receivedAt
        var identifies: Bool    // the device's first session: it identifies here
        var identified: Bool    // the device has identified before
        var seed: Int
    }

    /// One rendered event waiting for its place in the day's file.
    struct PendingEvent {
        var received: Int64
        var order: Int
        var bytes: [UInt8]
        var messageId: String
        var owner: String
        var copy: Bool
        var invalidReason: String?
    }

    /// A device of a customer or visitor: its ids and the library-specific context.
    struct Device {
        var library: EventLibrary
        var anonymousId: String
        var context: String
        var zone: String
        var localWebTime: Bool
        var userId: String?
        var identifyEmail: String
    }

    // MARK: Sessions

    func writeEvents(_ people: [AcmePerson], _ dir: String, _ truth: AcmeTruth) throws -> [Process] {
        let firstDay = asOfDay - 90
        var days = Array(repeating: [EventSession](), count: 90)
        var seedCounter = 0
        func add(_ s: EventSession, day: Int) {
            guard day >= 0 && day < 90 else { return }
            days[day].append(s)
        }
        for p in people {
            for k in 0..<p.devices {
                var r = stream(.devices, p.index * 8 + k)
                let device = makeDevice(p, k, &r)
                let count = 1 + r.geometric(mean: 0.15)
                var starts: [(Int64, Int, Int64)] = []   // timestamp ms, receipt day, late receive base
                for _ in 0..<count {
                    let day = r.below(90)
                    let within = Int64(r.below(86400 - 3600)) * 1000 + Int64(r.below(1000))
                    if device.library != .web, r.chance(0.1) {
                        let late = 1 + r.below(3)
                        let ts = Int64(firstDay + day - late) * 86_400_000 + within
                        starts.append((ts, day, Int64(firstDay + day) * 86_400_000 + Int64(r.below(86400 - 3600)) * 1000))
                    } else {
                        starts.append((Int64(firstDay + day) * 86_400_000 + within, day, 0))
                    }
                }
                starts.sort { $0.0 < $1.0 }
                for (i, s) in starts.enumerated() {
                    seedCounter += 1
                    add(EventSession(owner: p.index, device: k, start: s.0, receiveBase: s.2, identifies: i == 0, identified: i > 0,
                                     seed: seedCounter), day: s.1)
                }
            }
            if p.crmContacts > 0 {
                var r = stream(.events, p.index)
                for _ in 0..<r.geometric(mean: 0.9) {
                    seedCounter += 1
                    let day = r.below(90)
                    add(EventSession(owner: p.index, device: -1, start: Int64(firstDay + day) * 86_400_000 + Int64(r.below(86400 - 600)) * 1000,
                                     receiveBase: 0, identifies: false, identified: true, seed: seedCounter), day: day)
                }
            }
        }
        let visitors = persons * 2 / 10
        for v in 0..<visitors {
            var r = stream(.devices, 1_000_000_000 + v)
            for _ in 0..<(1 + r.geometric(mean: 0.25)) {
                seedCounter += 1
                let day = r.below(90)
                add(EventSession(owner: -(v + 1), device: 0, start: Int64(firstDay + day) * 86_400_000 + Int64(r.below(86400 - 3600)) * 1000,
                                 receiveBase: 0, identifies: false, identified: false, seed: seedCounter), day: day)
            }
        }

        // MARK: Files
        let zones = AcmeZones()
        var carried: [Int: [PendingEvent]] = [:]
        var gzips: [Process] = []
        for day in 0..<90 {
            var pending = carried.removeValue(forKey: day) ?? []
            var order = pending.count
            for s in days[day] {
                var r = SplitMix.stream(seed, 77, s.seed)
                let owner = s.owner >= 0 ? people[s.owner].id : "v" + AcmeFormat.pad(-s.owner, 7)
                for e in renderSession(s, people, zones, &r, truth) {
                    pending.append(PendingEvent(received: e.received, order: order, bytes: e.bytes, messageId: e.messageId, owner: owner, copy: false))
                    order += 1
                    if r.chance(0.01) {
                        // Re-sent: same event, later sentAt/receivedAt, maybe in a later file.
                        let later = e.received + Int64(60_000 + r.below(30 * 3_600_000))
                        let copy = PendingEvent(received: later, order: order, bytes: e.resend(later), messageId: e.messageId, owner: owner, copy: true)
                        order += 1
                        let laterDay = Int(later / 86_400_000) - firstDay
                        if laterDay == day { pending.append(copy) } else if laterDay < 90 { carried[laterDay, default: []].append(copy) }
                    }
                    if corrupt(&r) {
                        let (bytes, reason) = e.corrupted(&r)
                        pending.append(PendingEvent(received: e.received + 1, order: order, bytes: bytes, messageId: "", owner: owner, copy: false,
                                                    invalidReason: reason))
                        order += 1
                    }
                }
            }
            pending.sort { ($0.received, $0.order) < ($1.received, $1.order) }
            let (y, m, d) = AcmeFormat.civil(firstDay + day)
            let base = "events/events-\(y)-\(AcmeFormat.pad(m, 2))-\(AcmeFormat.pad(d, 2)).jsonl"
            let gzip = day < 30
            let name = gzip ? base + ".gz" : base
            var out = FileWriter(path: dir + "/" + base)
            for (i, e) in pending.enumerated() {
                out.bytes(e.bytes)
                out.bytes([0x0A])
                if let reason = e.invalidReason {
                    truth.invalid("events", name, i + 1, reason)
                } else if e.copy {
                    truth.duplicate("events", e.messageId, name, i + 1)
                } else {
                    truth.record("events", e.messageId, e.owner)
                }
            }
            try out.close()
            if gzip {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["gzip", "-n", "-f", "-6", dir + "/" + base]
                try process.run()
                gzips.append(process)
            }
        }
        return gzips
    }

    // MARK: Devices

    func makeDevice(_ p: AcmePerson, _ k: Int, _ r: inout SplitMix) -> Device {
        let roll = r.below(100)
        let library: EventLibrary = roll < 58 ? .web : (roll < 80 ? .ios : .android)
        let zone = p.homeStore >= 0 ? AcmeCatalog.stores[p.homeStore].zone
            : ["CA": "America/Toronto", "GB": "Europe/London", "DE": "Europe/Berlin", "MX": "America/Mexico_City", "IE": "Europe/Dublin"][AcmeCatalog.countries[p.address.country].code]!
        let ip = "\(r.pick([24, 45, 67, 98, 107, 172, 184])).\(r.below(256)).\(r.below(256)).\(1 + r.below(254))"
        let email = k == 1 && p.workEmail != nil ? p.workEmail! : p.email
        var userId: String?
        switch library {
        case .web:
            if p.crmContacts > 0, r.chance(0.6) { userId = AcmeFormat.contactID(p.firstContact + r.below(p.crmContacts)) }
            else if !p.appAccounts.isEmpty, r.chance(0.7) { userId = p.appAccounts[k % p.appAccounts.count] }
        default:
            if !p.appAccounts.isEmpty { userId = p.appAccounts[k % p.appAccounts.count] }
            else if r.chance(0.5) { userId = email }
        }
        return makeContext(library, zone: zone, ip: ip, userId: userId, email: email, &r)
    }

    func makeContext(_ library: EventLibrary, zone: String, ip: String, userId: String?, email: String, _ r: inout SplitMix) -> Device {
        switch library {
        case .web:
            let ctx = "\"ip\":\"\(ip)\",\"userAgent\":\"\(r.pick(AcmeCatalog.webAgents))\",\"library\":{\"name\":\"analytics.js\",\"version\":\"\(r.pick(AcmeCatalog.webLibraries))\"},\"locale\":\"en-US\""
            return Device(library: .web, anonymousId: AcmeFormat.uuid(&r), context: ctx, zone: zone, localWebTime: r.chance(0.15), userId: userId, identifyEmail: email)
        case .ios:
            let version = r.pick(["5.2.1", "5.4.0", "4.9.0"])
            let ctx = "\"ip\":\"\(ip)\",\"app\":{\"name\":\"Acme Outfitters\",\"version\":\"\(version)\",\"build\":\"\(build(version))\",\"namespace\":\"com.acme.outfitters\"},\"device\":{\"id\":\"\(AcmeFormat.uuid(&r, upper: true))\",\"manufacturer\":\"Apple\",\"model\":\"\(r.pick(AcmeCatalog.iosModels))\",\"type\":\"ios\"},\"os\":{\"name\":\"iOS\",\"version\":\"\(r.pick(["17.5", "18.0.1", "17.4.1"]))\"},\"library\":{\"name\":\"analytics-ios\",\"version\":\"4.1.8\"},\"timezone\":\"\(zone)\",\"locale\":\"en-US\""
            return Device(library: .ios, anonymousId: AcmeFormat.uuid(&r, upper: true), context: ctx, zone: zone, localWebTime: false, userId: userId, identifyEmail: email)
        default:
            let version = r.pick(["5.2.1", "5.3.2"])
            let (maker, model) = r.pick(AcmeCatalog.androidModels)
            let ctx = "\"ip\":\"\(ip)\",\"app\":{\"name\":\"Acme Outfitters\",\"version\":\"\(version)\",\"build\":\"\(build(version))\",\"namespace\":\"com.acme.outfitters\"},\"device\":{\"id\":\"\(AcmeFormat.hex(&r, 16))\",\"manufacturer\":\"\(maker)\",\"model\":\"\(model)\",\"type\":\"android\"},\"os\":{\"name\":\"Android\",\"version\":\"\(r.pick(["12", "13", "14"]))\"},\"library\":{\"name\":\"analytics-android\",\"version\":\"4.11.3\"},\"timezone\":\"\(zone)\",\"locale\":\"en-US\""
            return Device(library: .android, anonymousId: AcmeFormat.uuid(&r), context: ctx, zone: zone, localWebTime: false, userId: userId, identifyEmail: email)
        }
    }

    /// App build number of a version: 5.2.1 -> 5201.
    func build(_ version: String) -> String {
        let v = version.split(separator: ".")
        return "\(v[0])\(v[1])0\(v[2])"
    }

    // MARK: Rendering

    /// Renders one session's events, reporting the customer facts of each (first copies are valid by construction).
    func renderSession(_ s: EventSession, _ people: [AcmePerson], _ zones: AcmeZones, _ r: inout SplitMix, _ truth: AcmeTruth) -> [AcmeEvent] {
        var events: [AcmeEvent] = []
        let person: AcmePerson? = s.owner >= 0 ? people[s.owner] : nil
        var ts = s.start
        var received = s.receiveBase
        func stamp(_ e: inout AcmeEvent, _ library: EventLibrary, _ zone: String, localWeb: Bool) {
            let offset = zones.offset(zone, at: ts / 1000)
            switch library {
            case .web: e.timestamp = localWeb ? AcmeFormat.isoLocal(millis: ts, offset: offset, withMillis: true) : AcmeFormat.isoUTC(millis: ts)
            case .ios: e.timestamp = AcmeFormat.isoLocal(millis: ts, offset: offset, withMillis: true)
            case .android: e.timestamp = AcmeFormat.isoLocal(millis: ts, offset: offset, withMillis: false)
            case .node: e.timestamp = AcmeFormat.isoLocal(millis: ts / 1000 * 1000, offset: 0, withMillis: false)
            }
            if received == 0 {
                e.sent = ts + Int64(library == .web ? 5 + r.below(1500) : 200 + r.below(30_000))
                e.received = e.sent + Int64(20 + r.below(1800))
            } else {
                received += Int64(40 + r.below(400))
                e.received = received
                e.sent = received - Int64(100 + r.below(1500))
            }
        }
        func messageId(_ library: EventLibrary) -> String {
            switch library {
            case .web: return "ajs-next-" + AcmeFormat.hex(&r, 32)
            case .ios: return AcmeFormat.uuid(&r, upper: true)
            case .android: return AcmeFormat.uuid(&r)
            case .node: return "node-" + AcmeFormat.hex(&r, 32)
            }
        }

        if s.device < 0, let p = person {
            // Email Opened, server side, userId = a CRM Contact ID.
            let (campaign, subject) = r.pick(AcmeCatalog.campaigns)
            var e = AcmeEvent(type: "track", library: .node, messageId: messageId(.node), anonymousId: nil,
                              userId: AcmeFormat.contactID(p.firstContact + r.below(p.crmContacts)), webNullUser: false,
                              name: "Email Opened", body: "\"properties\":{\"email_id\":\"em_\(AcmeFormat.hex(&r, 12))\",\"campaign_id\":\"cmp_\(AcmeFormat.pad(r.below(400), 4))\",\"campaign_name\":\"\(campaign)\",\"email_subject\":\(AcmeFormat.json(subject))}",
                              context: "\"library\":{\"name\":\"analytics-node\",\"version\":\"1.3.0\"}")
            stamp(&e, .node, "UTC", localWeb: false)
            events.append(e)
            return events
        }

        var device: Device
        if let p = person {
            var dr = stream(.devices, p.index * 8 + s.device)
            device = makeDevice(p, s.device, &dr)
        } else {
            var dr = stream(.devices, 1_000_000_000 - s.owner)
            let roll = dr.below(100)
            device = makeContext(roll < 75 ? .web : (roll < 88 ? .ios : .android), zone: AcmeCatalog.stores[dr.below(30)].zone,
                                 ip: "\(dr.pick([24, 45, 67, 98])).\(dr.below(256)).\(dr.below(256)).\(1 + dr.below(254))", userId: nil, email: "", &dr)
        }
        let lib = device.library
        /// Android timestamps have whole seconds: keep the instant the truth uses equal to the text.
        func tick(_ delta: Int64) {
            ts += delta
            if lib == .android { ts -= ts % 1000 }
        }
        tick(0)
        let ascii = lib == .ios
        var identified = s.identified
        var products: [AcmeCatalog.Product] = []
        var cart: String?
        var steps: [Int] = []    // 0 page, 1 viewed, 2 added, 3 checkout+order
        if lib == .web { steps.append(0) }
        for _ in 0..<(1 + r.below(3)) {
            if lib == .web, r.chance(0.4) { steps.append(0) }
            steps.append(1)
        }
        if r.chance(person == nil ? 0.15 : 0.3) {
            steps.append(2)
            if r.chance(0.3) { steps.append(2) }
            if person != nil, r.chance(0.4) { steps.append(3) }
        }
        let identifyAt = s.identifies ? min(r.below(3), steps.count - 1) : -1
        var stepIndex = 0
        for step in steps {
            if stepIndex == identifyAt, let p = person {
                // identify: app account / Contact ID / e-mail userId, or e-mail only (no userId).
                var traits = "\"email\":" + AcmeFormat.json(r.chance(0.05) ? " \(device.identifyEmail) " : (r.chance(0.08) ? device.identifyEmail.prefix(1).uppercased() + device.identifyEmail.dropFirst() : device.identifyEmail), asciiOnly: ascii)
                truth.email(p.index, device.identifyEmail)
                if let mobile = p.mobile, r.chance(0.3) {
                    traits += ",\"phone\":\(AcmeFormat.json(formatPhone(mobile, national: !p.abroad, &r)))"
                    truth.phone(p.index, mobile)
                }
                let first = p.nickname != nil && r.chance(0.3) ? p.nickname! : p.first
                traits += r.chance(0.3) ? ",\"name\":" + AcmeFormat.json("\(first) \(p.last)", asciiOnly: ascii)
                    : ",\"firstName\":" + AcmeFormat.json(first, asciiOnly: ascii) + ",\"lastName\":" + AcmeFormat.json(p.last, asciiOnly: ascii)
                identified = true
                if let u = device.userId, u.contains("@") { truth.email(p.index, u) }
                var e = AcmeEvent(type: "identify", library: lib, messageId: messageId(lib), anonymousId: device.anonymousId,
                                  userId: device.userId, webNullUser: lib == .web, name: nil, body: "\"traits\":{\(traits)}", context: device.context)
                stamp(&e, lib, device.zone, localWeb: device.localWebTime)
                events.append(e)
                tick(Int64(2000 + r.below(60_000)))
            }
            stepIndex += 1
            let userId = identified ? device.userId : nil
            if identified, let u = userId, u.contains("@"), let p = person { truth.email(p.index, u) }
            var e: AcmeEvent
            switch step {
            case 0:
                let (name, path, title) = r.pick(AcmeCatalog.pages)
                let url = "https://www.acme-outfitters.example" + path
                let props = "{\"path\":\"\(path)\",\"url\":\"\(url)\",\"title\":\"\(title)\",\"referrer\":\"\(r.pick(AcmeCatalog.referrers))\"}"
                e = AcmeEvent(type: "page", library: lib, messageId: messageId(lib), anonymousId: device.anonymousId, userId: userId,
                              webNullUser: lib == .web, name: nil, body: "\"name\":\"\(name)\",\"properties\":\(props)",
                              context: device.context + ",\"page\":\(props)")
            case 1:
                let p = r.pick(AcmeCatalog.products)
                products.append(p)
                e = AcmeEvent(type: "track", library: lib, messageId: messageId(lib), anonymousId: device.anonymousId, userId: userId,
                              webNullUser: lib == .web, name: "Product Viewed",
                              body: "\"properties\":{\"product_id\":\"\(p.id)\",\"sku\":\"\(p.sku)\",\"name\":\(AcmeFormat.json(p.name)),\"category\":\"\(p.category)\",\"price\":\(AcmeFormat.jsNumber(cents: p.cents)),\"currency\":\"USD\"}",
                              context: device.context)
            case 2:
                let p = products.isEmpty ? r.pick(AcmeCatalog.products) : r.pick(products)
                if cart == nil { cart = "cart_" + AcmeFormat.hex(&r, 16) }
                let qty = r.chance(0.85) ? 1 : 2
                if !products.contains(where: { $0.id == p.id }) { products.append(p) }
                e = AcmeEvent(type: "track", library: lib, messageId: messageId(lib), anonymousId: device.anonymousId, userId: userId,
                              webNullUser: lib == .web, name: "Product Added",
                              body: "\"properties\":{\"cart_id\":\"\(cart!)\",\"product_id\":\"\(p.id)\",\"sku\":\"\(p.sku)\",\"name\":\(AcmeFormat.json(p.name)),\"price\":\(AcmeFormat.jsNumber(cents: p.cents)),\"quantity\":\(qty),\"currency\":\"USD\"}",
                              context: device.context)
                if let person { truth.productAdded(person.index, at: ts) }
            default:
                let item = products.last ?? r.pick(AcmeCatalog.products)
                let qty = r.chance(0.85) ? 1 : 2
                let revenue = item.cents * qty
                let shipping = revenue >= 7500 ? 0 : 795
                let tax = revenue * 825 / 10000
                let list = "[{\"product_id\":\"\(item.id)\",\"sku\":\"\(item.sku)\",\"price\":\(AcmeFormat.jsNumber(cents: item.cents)),\"quantity\":\(qty)}]"
                var c = AcmeEvent(type: "track", library: lib, messageId: messageId(lib), anonymousId: device.anonymousId, userId: userId,
                                  webNullUser: lib == .web, name: "Checkout Started",
                                  body: "\"properties\":{\"cart_id\":\"\(cart ?? "cart_" + AcmeFormat.hex(&r, 16))\",\"value\":\(AcmeFormat.jsNumber(cents: revenue)),\"currency\":\"USD\",\"products\":\(list)}",
                                  context: device.context)
                stamp(&c, lib, device.zone, localWeb: device.localWebTime)
                events.append(c)
                tick(Int64(5000 + r.below(120_000)))
                let currency = [",\"currency\":\"USD\"", ",\"currency\":\"USD\"", ",\"currency\":\"usd\"", ""][r.below(4)]
                let revenueText = r.chance(0.1) ? "\"\(AcmeFormat.dollars(cents: revenue))\"" : AcmeFormat.jsNumber(cents: revenue)
                e = AcmeEvent(type: "track", library: lib, messageId: messageId(lib), anonymousId: device.anonymousId, userId: userId,
                              webNullUser: lib == .web, name: "Order Completed",
                              body: "\"properties\":{\"order_id\":\"W\(1_000_000_000 + r.below(2_000_000_000))\",\"cart_id\":\"\(cart ?? "")\",\"total\":\(AcmeFormat.jsNumber(cents: revenue + shipping + tax)),\"revenue\":\(revenueText),\"shipping\":\(AcmeFormat.jsNumber(cents: shipping)),\"tax\":\(AcmeFormat.jsNumber(cents: tax))\(currency),\"products\":\(list)}",
                              context: device.context)
                if let person { truth.onlineOrder(person.index, cents: revenue, at: ts) }
            }
            stamp(&e, lib, device.zone, localWeb: device.localWebTime)
            events.append(e)
            tick(Int64(3000 + r.below(110_000)))
        }
        return events
    }
}
