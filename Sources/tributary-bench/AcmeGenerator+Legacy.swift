import Foundation

/// `pos/pos_legacy_YYYYMM.dat`: the six legacy tills, 164-byte fixed-width records plus CRLF,
/// 7-bit ASCII, per `pos/pos_legacy_layout.txt`: for every store and business date an `H` header,
/// the `D` line items in time order and a `T` trailer whose count and total cover the valid `D`
/// records only. Transmission garbage (short, NUL-filled, non-numeric amount) is mixed in.
extension AcmeGenerator {
    // MARK: Writing

    func writeLegacy(_ people: [AcmePerson], _ dir: String, _ truth: AcmeTruth) throws {
        let zones = AcmeZones()
        // (business date, store) blocks.
        struct Key: Hashable, Comparable {
            var day: Int
            var store: String
            static func < (a: Key, b: Key) -> Bool { (a.day, a.store) < (b.day, b.store) }
        }
        var blocks: [Key: [StoreTxn]] = [:]
        for t in storeTransactions(people) where AcmeCatalog.stores[t.store].legacy {
            let local = t.at + Int64(zones.offset(AcmeCatalog.stores[t.store].zone, at: t.at))
            blocks[Key(day: Int(local / 86400), store: AcmeCatalog.stores[t.store].id), default: []].append(t)
        }
        var txnNo: [String: Int] = [:]
        for (i, s) in AcmeCatalog.stores.enumerated() where s.legacy { txnNo[s.id] = 1000 + i * 137 }
        var currentMonth = -1
        var out: FileWriter?
        var name = ""
        var line = 1
        for key in blocks.keys.sorted() {
            let (y, m, d) = AcmeFormat.civil(key.day)
            if y * 12 + m != currentMonth {
                try out?.close()
                currentMonth = y * 12 + m
                name = "pos/pos_legacy_\(y)\(AcmeFormat.pad(m, 2)).dat"
                out = FileWriter(path: dir + "/" + name)
                line = 1
            }
            let date = "\(y)\(AcmeFormat.pad(m, 2))\(AcmeFormat.pad(d, 2))"
            var block: [UInt8] = []
            func record(_ s: String) {
                var b = Array(s.utf8)
                b.append(contentsOf: [UInt8](repeating: 0x20, count: max(0, 164 - b.count)))
                block.append(contentsOf: b.prefix(164))
                block.append(contentsOf: [0x0D, 0x0A])
                line += 1
            }
            record("H\(key.store)\(date)LEGACYPOS2.3")
            var count = 0
            var total = 0
            for t in blocks[key]!.sorted(by: { ($0.at, $0.seed) < ($1.at, $1.seed) }) {
                let storeIndex = t.store
                let store = AcmeCatalog.stores[storeIndex]
                txnNo[store.id]! += 1
                let txn = AcmeFormat.pad(txnNo[store.id]!, 8)
                var r = SplitMix.stream(seed, 58, t.seed)
                let c = AcmeFormat.clock(t.at, offset: zones.offset(store.zone, at: t.at))
                let (card, _, phone, email) = storeCustomer(t, people, &r)
                var lastName = "", firstName = ""
                if t.person >= 0, !card.isEmpty || people[t.person].posMode == 3 {
                    let p = people[t.person]
                    lastName = AcmeFormat.asciiFold(p.last + (p.suffix.map { " " + $0.replacingOccurrences(of: ".", with: "") } ?? "")).uppercased()
                    firstName = AcmeFormat.asciiFold(p.first).uppercased()
                }
                let tender = r.pick(["CA", "CA", "VI", "VI", "DS", "MC", "AX", "DB", "GC"])
                let last4 = tender == "CA" || tender == "GC" ? "    " : AcmeFormat.pad(r.below(10000), 4)
                let register = AcmeFormat.pad(1 + r.below(4), 2)
                let phoneDigits = phone.map { $0.hasPrefix("+1") ? String($0.dropFirst(2)) : "" } ?? ""
                let emailText = email.uppercased()
                let items = storeItems(t, &r)
                for (i, item) in items.enumerated() {
                    let amount = item.qty * item.cents
                    let rec = "D\(store.id)\(register)\(txn)\(AcmeFormat.pad(i + 1, 3))\(date)\(AcmeFormat.pad(c.hh, 2))\(AcmeFormat.pad(c.mm, 2))"
                        + fit(card, 12) + fit(lastName, 20) + fit(firstName, 15) + fit(phoneDigits, 10) + fit(emailText, 40)
                        + fit(item.sku, 10) + signed(item.qty, 4) + AcmeFormat.pad(item.cents, 8) + signed(amount, 9) + fit(last4, 4) + tender
                    let at = line
                    record(rec)
                    count += 1
                    total += amount
                    truth.record("pos_legacy", "\(store.id)-\(txn):\(i + 1)", t.person >= 0 ? people[t.person].id : "")
                    if t.person >= 0 {
                        truth.storeLine(t.person, cents: amount, qty: item.qty, at: t.at * 1000)
                        if !email.isEmpty && email.count <= 40 { truth.email(t.person, email) }
                        if let phone, !phoneDigits.isEmpty { truth.phone(t.person, phone) }
                    }
                    _ = at
                    if corrupt(&r) {
                        switch r.below(3) {
                        case 0:
                            block.append(contentsOf: Array(rec.utf8.prefix(104)) + [0x0D, 0x0A])
                            truth.invalid("pos_legacy", name, line, "short_record")
                            line += 1
                        case 1:
                            block.append(contentsOf: [UInt8](repeating: 0, count: 164) + [0x0D, 0x0A])
                            truth.invalid("pos_legacy", name, line, "nul_filled")
                            line += 1
                        default:
                            var b = Array(rec.utf8)
                            b.replaceSubrange(149..<158, with: Array("00O0#2400".utf8))
                            b[16] = UInt8(ascii: "9")   // line 9xx: not a line of the transaction
                            block.append(contentsOf: b + [0x0D, 0x0A])
                            truth.invalid("pos_legacy", name, line, "non_numeric_amount")
                            line += 1
                        }
                    }
                }
            }
            record("T\(key.store)\(date)\(AcmeFormat.pad(count, 7))\(signed(total, 12))")
            out!.bytes(block)
        }
        try out?.close()
    }

    /// Left-aligned, space padded, truncated.
    func fit(_ s: String, _ width: Int) -> String {
        let a = String(s.prefix(width))
        return a + String(repeating: " ", count: width - a.count)
    }

    /// Zero padded with a leading '-' inside the width when negative.
    func signed(_ v: Int, _ width: Int) -> String {
        v < 0 ? "-" + AcmeFormat.pad(-v, width - 1) : AcmeFormat.pad(v, width)
    }
}
