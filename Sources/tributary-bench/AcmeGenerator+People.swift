import Foundation

/// The population: households (shared address and landline), couples, Jr/Sr pairs, twins,
/// people who moved, customers abroad; each person's e-mails, phones, CRM contacts, app accounts,
/// devices, loyalty cards and store habits.
extension AcmeGenerator {
    // MARK: Population

    func makePeople() -> [AcmePerson] {
        var rng = stream(.people, 0)
        var people: [AcmePerson] = []
        people.reserveCapacity(persons)
        var usedEmails = Set<String>()
        var usedPhones = Set<String>()
        var contactCounter = 0
        let start = asOf - 6 * 365 * 86400

        func phone(_ area: String, _ rng: inout SplitMix) -> String {
            while true {
                let p = "+1" + area + String(200 + rng.below(800)) + AcmeFormat.pad(rng.below(10000), 4)
                if usedPhones.insert(p).inserted { return p }
            }
        }
        func foreignPhone(_ c: AcmeCatalog.Country, _ rng: inout SplitMix) -> String {
            while true {
                var d = c.code == "CA" ? ["416", "514", "604"][rng.below(3)] : (c.code == "DE" ? "15" : (c.code == "GB" ? "7" : (c.code == "MX" ? "55" : "8")))
                while d.count < c.digits { d += String(rng.below(10)) }
                let p = "+" + c.dial + d
                if usedPhones.insert(p).inserted { return p }
            }
        }
        func address(_ rng: inout SplitMix, store: Int, country: Int) -> AcmePerson.Address {
            let unit: String? = rng.chance(0.25) ? "\(1 + rng.below(40))\(["A", "B", "C", "D", ""][rng.below(5)])" : nil
            if country >= 0 {
                let c = AcmeCatalog.countries[country]
                let cityForms = c.cities[rng.below(c.cities.count)]
                let zip: String
                switch c.code {
                case "CA": zip = "M\(rng.below(10))\(["A", "B", "C", "E"][rng.below(4)]) \(rng.below(10))\(["K", "L", "P"][rng.below(3)])\(rng.below(10))"
                case "GB": zip = "SW\(1 + rng.below(20)) \(rng.below(10))\(["AA", "BD", "QT"][rng.below(3)])"
                case "IE": zip = "D\(AcmeFormat.pad(1 + rng.below(24), 2)) \(["X", "F", "K"][rng.below(3)])\(100 + rng.below(900))"
                default: zip = AcmeFormat.pad(rng.below(99_999), 5)
                }
                return AcmePerson.Address(number: 1 + rng.below(300), street: rng.below(AcmeCatalog.streetNames.count), type: rng.below(AcmeCatalog.streetTypes.count),
                                          unit: unit, city: cityForms[0], state: "", zip: zip, country: country, landline: nil)
            }
            let s = AcmeCatalog.stores[store]
            return AcmePerson.Address(number: 1 + rng.below(999), street: rng.below(AcmeCatalog.streetNames.count), type: rng.below(AcmeCatalog.streetTypes.count),
                                      unit: unit, city: s.city, state: s.state, zip: s.zip3 + AcmeFormat.pad(rng.below(100), 2), country: -1,
                                      landline: rng.chance(0.45) ? phone(rng.pick(s.areas), &rng) : nil)
        }
        func email(_ first: String, _ last: String, _ domain: String, _ rng: inout SplitMix) -> String {
            let f = AcmeFormat.asciiFold(first).lowercased().filter { $0.isLetter }
            let l = AcmeFormat.asciiFold(last).lowercased().filter { $0.isLetter }
            var base: String
            switch rng.below(7) {
            case 0: base = "\(f).\(l)"
            case 1: base = "\(f)\(l)"
            case 2: base = "\(f.prefix(1))\(l)"
            case 3: base = "\(f)_\(l)"
            case 4: base = "\(l).\(f)"
            case 5: base = "\(f)\(l)\(10 + rng.below(90))"
            default: base = "\(f)\(1950 + rng.below(56))"
            }
            // One mailbox, one person: Gmail ignores dots, so `ann.lee@` and `annlee@` are one address.
            func mailbox(_ e: String) -> String { domain == "gmail.com" ? e.replacingOccurrences(of: ".", with: "") : e }
            var e = "\(base)@\(domain)"
            while !usedEmails.insert(mailbox(e)).inserted { e = "\(base)\(rng.below(1000))@\(domain)" }
            return e
        }
        func storeIndex(_ rng: inout SplitMix) -> Int {
            let total = AcmeCatalog.storeWeights.reduce(0, +)
            var r = rng.below(total)
            for (i, w) in AcmeCatalog.storeWeights.enumerated() { if r < w { return i }; r -= w }
            return 0
        }

        while people.count < persons {
            // A household: 1-4 people at one address.
            let abroad = rng.chance(0.04)
            let country = abroad ? rng.below(AcmeCatalog.countries.count) : -1
            let store = abroad ? -1 : storeIndex(&rng)
            let home = address(&rng, store: max(store, 0), country: country)
            // 0-61 single, 62-91 couple, 92 Jr/Sr, 93-94 twins, 95-99 family of 3-4 (the sample: a suffix
            // on 1% of CRM contacts)
            let kind = rng.below(100)
            let culture = AcmeNames.culture(&rng)
            let last = AcmeNames.surname(culture, &rng)
            var members: [(String, String?, String?, (Int, Int, Int)?)] = []   // first, nick, suffix, birth
            func birth(_ from: Int, _ span: Int) -> (Int, Int, Int) { (from + rng.below(span), 1 + rng.below(12), 1 + rng.below(28)) }
            let (f1, n1) = AcmeNames.given(culture, &rng)
            switch kind {
            case 0..<62: members = [(f1, n1, nil, birth(1945, 60))]
            case 62..<92:
                let (f2, n2) = AcmeNames.given(culture, &rng)
                members = [(f1, n1, nil, birth(1950, 50)), (f2, n2, nil, birth(1950, 50))]
            case 92:
                let sr = birth(1945, 25)
                let (fj, nj) = rng.pick(AcmeNames.juniorNames)
                members = [(fj, nj, "Sr.", sr), (fj, nj, "Jr.", (sr.0 + 24 + rng.below(8), 1 + rng.below(12), 1 + rng.below(28)))]
            case 93..<95:
                let (a, b) = rng.pick(AcmeCatalog.twinNames)
                let bd = birth(1975, 30)
                members = [(a, nil, nil, bd), (b, nil, nil, bd)]
            default:
                let (f2, n2) = AcmeNames.given(culture, &rng)
                let (f3, n3) = AcmeNames.given(culture, &rng)
                members = [(f1, n1, nil, birth(1955, 30)), (f2, n2, nil, birth(1955, 30)), (f3, n3, nil, birth(1995, 10))]
            }
            for (first, nick, suffix, bd) in members where people.count < persons {
                let index = people.count
                var r = stream(.people, index + 1)
                let domain = abroad && r.chance(0.5) ? AcmeCatalog.countryDomains[AcmeCatalog.countries[country].code]! : r.pick(AcmeCatalog.personalDomains)
                let personal = email(first, last, domain, &r)
                let work: String? = r.chance(0.2) ? email(first, last, r.pick(AcmeCatalog.workDomains), &r) : nil
                let mobile: String? = r.chance(0.85) ? (abroad ? foreignPhone(AcmeCatalog.countries[country], &r) : phone(r.pick(AcmeCatalog.stores[max(store, 0)].areas), &r)) : nil
                let contacts = r.chance(0.52) ? 0 : [1, 1, 1, 1, 1, 1, 2, 2, 2, 3][r.below(10)]
                let online = abroad || r.chance(0.5)
                let devices = online ? [1, 1, 1, 1, 2, 2, 3][r.below(7)] : 0
                let apps = devices == 0 || !r.chance(0.55) ? 0 : (work != nil && r.chance(0.4) ? 2 : 1)
                let accounts = (0..<apps).map { _ in "usr_" + AcmeFormat.hex(&r, 9) }
                let visits = abroad ? 0 : (r.chance(0.5) ? 0 : 1 + r.geometric(mean: 1.4))   // the sample: a card for 23% of customers
                let hasCard = visits > 0 && r.chance(0.5)
                var cards: [String] = []
                var cardSwitch: Int64 = 0
                if hasCard {
                    cards.append("77" + AcmeFormat.pad(Int(r.next() % 10_000_000_000), 10))
                    if r.chance(0.08) {
                        cards.append("77" + AcmeFormat.pad(Int(r.next() % 10_000_000_000), 10))
                        cardSwitch = asOf - Int64(30 + r.below(600)) * 86400
                    }
                }
                let since = start + Int64(r.below(Int(asOf - start - 86400 * 30)))
                var p = AcmePerson(index: index, first: first, nickname: nick, middle: r.chance(0.1) ? r.pick(AcmeCatalog.middleInitials) : nil,
                                   last: last, suffix: suffix, birth: r.chance(0.7) ? bd : nil, address: home, oldAddress: nil,
                                   email: personal, workEmail: work, mobile: mobile, homeStore: store, crmContacts: contacts,
                                   firstContact: contactCounter, appAccounts: accounts, devices: devices, cards: cards,
                                   cardSwitch: cardSwitch, storeVisits: visits,
                                   posMode: hasCard ? 0 : [1, 1, 1, 1, 1, 2, 2, 2, 3, 3][r.below(10)], customerSince: since)
                if contacts >= 2 && r.chance(0.35) {
                    // Moved: older contacts keep the old address.
                    p.oldAddress = address(&r, store: abroad ? 0 : storeIndex(&r), country: country)
                    p.movedAt = since + Int64(r.below(Int(asOf - since))) / 2
                }
                contactCounter += contacts
                people.append(p)
            }
        }
        return people
    }
}
