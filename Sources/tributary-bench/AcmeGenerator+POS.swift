import Foundation

/// `pos/pos_transactions_YYYY-MM.txt`: the current tills, one ISO-8859-1 `|` file per store-local
/// month for the two years before D. Customers are known by loyalty card (lost cards replaced by a
/// new number), by an e-receipt e-mail only or an SMS phone (the home landline) only; walk-ins carry
/// no customer data. Late registers append a catch-up batch (second header line) to the next
/// month's file that can repeat whole transactions already exported. Bad rows are mixed in.
extension AcmeGenerator {
    static let posHeader = "store_id|register|txn_id|txn_ts|loyalty_card|customer_name|phone|email_on_receipt|sku|qty|unit_price|amount_cents|card_last4|tender"

    /// One store transaction (current or legacy till) before rendering.
    struct StoreTxn {
        var store: Int
        var at: Int64           // UTC epoch seconds
        var person: Int         // -1 walk-in
        var isReturn: Bool
        var seed: Int
    }

    /// One rendered line item of a transaction.
    struct StoreItem {
        var sku: String
        var qty: Int
        var cents: Int
    }

    // MARK: Visits

    /// Every store transaction of the two years before D, current and legacy tills.
    func storeTransactions(_ people: [AcmePerson]) -> [StoreTxn] {
        let from = asOf - 730 * 86400
        let span = Int(asOf - from - 3600)
        var txns: [StoreTxn] = []
        var seed = 0
        for p in people where p.storeVisits > 0 && p.homeStore >= 0 {
            var r = stream(.pos, p.index)
            for _ in 0..<p.storeVisits {
                seed += 1
                let store = r.chance(0.85) ? p.homeStore : r.below(AcmeCatalog.stores.count)
                // Weighted towards recent months (a growing business): in the sample, 65% of the
                // loyalty cards last bought more than 90 days before D, not the 77% of uniform visits.
                let at = from + Int64(pow(r.unit(), 0.6) * Double(span))
                txns.append(StoreTxn(store: store, at: openHours(at, store), person: p.index, isReturn: r.chance(0.06), seed: seed))
            }
        }
        var r = stream(.pos, 1_000_000_000)
        for _ in 0..<(persons / 2) {   // walk-ins: 30% of the sample's transactions
            seed += 1
            let store = r.below(AcmeCatalog.stores.count)
            txns.append(StoreTxn(store: store, at: openHours(from + Int64(r.below(span)), store), person: -1, isReturn: r.chance(0.03), seed: seed))
        }
        return txns
    }

    /// Moves an instant into the store's opening hours (10:00-20:59 local) on the same UTC day.
    func openHours(_ at: Int64, _ store: Int) -> Int64 {
        let day = at / 86400 * 86400
        let offset = Int64(-5 * 3600)   // rough; the exact local time comes from the zone when rendering
        let local = (at - day) % (11 * 3600) + 10 * 3600
        let t = day + local - offset
        return min(t, asOf - 3600 * 4 - Int64(store) * 60) / 60 * 60   // whole minutes, as the tills print
    }

    /// The line items of a transaction.
    func storeItems(_ t: StoreTxn, _ r: inout SplitMix) -> [StoreItem] {
        if t.isReturn {
            let p = r.pick(AcmeCatalog.products)
            return [StoreItem(sku: p.sku, qty: -1, cents: p.cents)]
        }
        let count = [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5, 6][r.below(20)]   // as in the sample's tills
        var items: [StoreItem] = []
        for _ in 0..<count {
            if let last = items.last, r.chance(0.05) { items.append(last); continue }   // scanned twice
            let p = r.pick(AcmeCatalog.products)
            items.append(StoreItem(sku: p.sku, qty: [1, 1, 1, 1, 1, 1, 1, 1, 2, 3][r.below(10)], cents: p.cents))
        }
        return items
    }

    /// The customer fields the till prints: (card, name, phone E.164, e-mail).
    func storeCustomer(_ t: StoreTxn, _ people: [AcmePerson], _ r: inout SplitMix) -> (String, String, String?, String) {
        guard t.person >= 0 else { return ("", "", nil, "") }
        let p = people[t.person]
        switch p.posMode {
        case 0:
            let card = p.cards.count > 1 && t.at >= p.cardSwitch ? p.cards[1] : p.cards[0]
            return (card, tillName(p, &r), r.chance(0.7) ? tillPhone(p, &r) : nil, r.chance(0.4) ? p.email : "")
        case 1:
            return ("", "", nil, r.chance(0.1) ? p.email.uppercased() : p.email)
        case 2:
            return ("", "", tillPhone(p, &r), "")
        default:
            return ("", tillName(p, &r), tillPhone(p, &r), r.chance(0.38) ? p.email : "")
        }
    }

    /// The loyalty or SMS e-receipt phone: mostly the mobile (in the sample, four in five of the till
    /// phones that a CRM contact holds are its Mobile), else the home landline.
    private func tillPhone(_ p: AcmePerson, _ r: inout SplitMix) -> String? {
        r.chance(0.8) ? (p.mobile ?? p.address.landline) : p.homePhone
    }

    /// The loyalty or e-receipt account's name as a till prints it: upper case, usually `LAST, FIRST`.
    private func tillName(_ p: AcmePerson, _ r: inout SplitMix) -> String {
        var last = p.last
        if let s = p.suffix, r.chance(0.5) { last += " " + s.uppercased().replacingOccurrences(of: ".", with: "") }
        let name = r.chance(0.85) ? "\(last), \(p.first)" : "\(p.first) \(last)"
        return AcmeFormat.latin1Upper(name)
    }

    static let tenders = ["CASH", "CASH", "VISA", "VISA", "AMEX", "DEBIT", "MC", "DISC", "GIFT"]

    // MARK: Writing

    func writePOS(_ people: [AcmePerson], _ dir: String, _ truth: AcmeTruth) throws {
        let zones = AcmeZones()
        // Local month of each modern transaction.
        var byMonth: [Int: [StoreTxn]] = [:]
        for t in storeTransactions(people) where !AcmeCatalog.stores[t.store].legacy {
            let c = AcmeFormat.clock(t.at, offset: zones.offset(AcmeCatalog.stores[t.store].zone, at: t.at))
            byMonth[c.y * 12 + c.m - 1, default: []].append(t)
        }
        let months = byMonth.keys.sorted()
        guard let firstMonth = months.first, let lastMonth = months.last else { return }
        var late: [Int: [StoreTxn]] = [:]       // catch-up batch of each file
        var repeats: [Int: [StoreTxn]] = [:]
        var mains: [Int: [StoreTxn]] = [:]
        for m in firstMonth...lastMonth {
            for t in byMonth[m] ?? [] {
                var r = SplitMix.stream(seed, 55, t.seed)
                if m < lastMonth, r.chance(0.03) { late[m + 1, default: []].append(t); continue }
                mains[m, default: []].append(t)
                if m < lastMonth, r.chance(0.015) { repeats[m + 1, default: []].append(t) }
            }
        }
        var txnCounter = 0
        var ids: [Int: String] = [:]   // seed -> txn id, for repeated transactions
        func txnID(_ t: StoreTxn) -> String {
            if let id = ids[t.seed] { return id }
            txnCounter += 1
            let id = AcmeFormat.txnID(txnCounter)
            ids[t.seed] = id
            return id
        }
        let order: (StoreTxn, StoreTxn) -> Bool = { ($0.store, $0.at, $0.seed) < ($1.store, $1.at, $1.seed) }
        let storeOrder = Dictionary(uniqueKeysWithValues: AcmeCatalog.stores.enumerated().map { ($0.offset, Int($0.element.id)!) })
        let byStore: (StoreTxn, StoreTxn) -> Bool = { (storeOrder[$0.store]!, $0.at, $0.seed) < (storeOrder[$1.store]!, $1.at, $1.seed) }
        _ = order

        for m in firstMonth...lastMonth {
            let name = "pos/pos_transactions_\(m / 12)-\(AcmeFormat.pad(m % 12 + 1, 2)).txt"
            var out = FileWriter(path: dir + "/" + name)
            out.text(Self.posHeader + "\n")
            var line = 2
            var repeatSet = Set((repeats[m] ?? []).map(\.seed))
            let main = (mains[m] ?? []).sorted(by: byStore)
            let batch = ((late[m] ?? []) + (repeats[m] ?? [])).sorted(by: byStore)
            for (section, txns) in [main, batch].enumerated() {
                if section == 1 {
                    if txns.isEmpty { break }
                    out.text(Self.posHeader + "\n")
                    line += 1
                }
                for t in txns {
                    let isRepeat = section == 1 && repeatSet.remove(t.seed) != nil
                    let id = txnID(t)
                    let written = renderTxn(t, id: id, people, zones, name: name, firstLine: line, repeat: isRepeat, &out, truth)
                    line += written
                    if section == 0 {
                        var r = SplitMix.stream(seed, 56, t.seed)
                        if corrupt(&r) {
                            txnCounter += 1
                            line += badRow(t, id: AcmeFormat.txnID(txnCounter), people, zones, name: name, line: line, &r, &out, truth)
                        }
                    }
                }
            }
            try out.close()
        }
    }

    /// Writes one transaction's rows; returns the number of lines.
    func renderTxn(_ t: StoreTxn, id: String, _ people: [AcmePerson], _ zones: AcmeZones, name: String, firstLine: Int, repeat isRepeat: Bool,
                   _ out: inout FileWriter, _ truth: AcmeTruth) -> Int {
        var r = SplitMix.stream(seed, 57, t.seed)
        let store = AcmeCatalog.stores[t.store]
        let c = AcmeFormat.clock(t.at, offset: zones.offset(store.zone, at: t.at))
        let ts = "\(AcmeFormat.pad(c.m, 2))/\(AcmeFormat.pad(c.d, 2))/\(c.y) \(AcmeFormat.pad(c.hh, 2)):\(AcmeFormat.pad(c.mm, 2))"
        let (card, cname, phone, email) = storeCustomer(t, people, &r)
        let tender = r.pick(Self.tenders)
        let last4 = tender == "CASH" || (tender == "GIFT" && r.chance(0.5)) ? "" : AcmeFormat.pad(r.below(10000), 4)
        let register = AcmeFormat.pad(1 + r.below(t.store < 3 ? 8 : 5), 2)
        let phoneText = phone.map { storePhone($0, style: store.phoneStyle) } ?? ""
        let items = storeItems(t, &r)
        let owner = t.person >= 0 ? people[t.person].id : ""
        var bytes: [UInt8] = []
        for (i, item) in items.enumerated() {
            let amount = item.qty * item.cents
            let row = "\(store.id)|\(register)|\(id)|\(ts)|\(card)|\(cname)|\(phoneText)|\(email)|\(item.sku)|\(item.qty)|\(AcmeFormat.dollars(cents: item.cents))|\(amount)|\(last4)|\(tender)\n"
            AcmeFormat.latin1Bytes(row, into: &bytes)
            let key = "\(id):\(i + 1)"
            if isRepeat {
                truth.duplicate("pos", key, name, firstLine + i)
            } else {
                truth.record("pos", key, owner)
                if t.person >= 0 {
                    truth.storeLine(t.person, cents: amount, qty: item.qty, at: t.at * 1000)
                    if !email.isEmpty { truth.email(t.person, email) }
                    if let phone { truth.phone(t.person, phone) }
                }
            }
        }
        out.bytes(bytes)
        return items.count
    }

    /// A rejected single-row transaction: wrong field count, non-numeric amount, or amount != qty x price.
    func badRow(_ t: StoreTxn, id: String, _ people: [AcmePerson], _ zones: AcmeZones, name: String, line: Int, _ r: inout SplitMix,
                _ out: inout FileWriter, _ truth: AcmeTruth) -> Int {
        let store = AcmeCatalog.stores[t.store]
        let c = AcmeFormat.clock(t.at, offset: zones.offset(store.zone, at: t.at))
        let ts = "\(AcmeFormat.pad(c.m, 2))/\(AcmeFormat.pad(c.d, 2))/\(c.y) \(AcmeFormat.pad(c.hh, 2)):\(AcmeFormat.pad(c.mm, 2))"
        let p = r.pick(AcmeCatalog.products)
        let amount = p.cents
        var fields = [store.id, "0\(1 + r.below(5))", id, ts, "", "", "", "", p.sku, "1", AcmeFormat.dollars(cents: p.cents), String(amount), "", "CASH"]
        let reason: String
        switch r.below(4) {
        case 0:
            fields[5] = "SMITH | J"
            reason = "field_count"
        case 1:
            fields = Array(fields.prefix(4 + r.below(3)))
            reason = "field_count"
        case 2:
            let s = String(amount)
            fields[11] = String(s.dropLast()) + "O"
            reason = "non_numeric_amount"
        default:
            fields[11] = String(amount + 1 + r.below(99))
            reason = "amount_mismatch"
        }
        out.text(fields.joined(separator: "|") + "\n")
        truth.invalid("pos", name, line, reason)
        return 1
    }

    /// A 10-digit NANP phone in the store's receipt format.
    func storePhone(_ e164: String, style: Int) -> String {
        guard e164.hasPrefix("+1"), e164.count == 12 else { return e164 }
        let d = Array(e164.dropFirst(2))
        let a = String(d[0..<3]), b = String(d[3..<6]), c = String(d[6..<10])
        switch style {
        case 1: return "(\(a)) \(b)-\(c)"
        case 2: return "\(a)-\(b)-\(c)"
        default: return a + b + c
        }
    }
}
