import Foundation

/// `crm_contacts.csv`: the full CRM contact export, in Created Date order. Several contacts per
/// person with nicknames, typos, swapped names, work and personal e-mail, gmail dots, case and NFD
/// variants, old addresses after a move; the phone, date and opt-in forms the README lists; and
/// broken rows (unquoted comma, truncated row, a never-closed quote swallowing the next row, the
/// file ending inside a quoted field).
extension AcmeGenerator {
    static let crmHeader = "Contact ID,First Name,Last Name,Email,Phone,Mobile,Mailing Street,Mailing City,Mailing Postal Code,Mailing Country,Birthdate,Lead Source,Created Date,Last Modified Date,Opt In Email"

    /// One contact to write: the person, which of their contacts, its contact number and times.
    struct CRMContact {
        var person: Int
        var slot: Int
        var number: Int
        var created: Int64
        var modified: Int64
        /// 0 valid, 1 extra_field, 2 too_few_fields, 3 unclosed_quote (+ swallowed row)
        var broken: Int
    }

    // MARK: Writing

    func writeCRM(_ people: [AcmePerson], _ dir: String, _ truth: AcmeTruth) throws {
        var contacts: [CRMContact] = []
        var junk = 0
        for p in people where p.crmContacts > 0 {
            var r = stream(.crm, p.index)
            let slot = (asOf - 86400 - p.customerSince) / Int64(p.crmContacts)
            for j in 0..<p.crmContacts {
                let start = p.customerSince + Int64(j) * slot
                let created = start + Int64(r.unit() * Double(slot) / 4)
                let modified = created + Int64(r.unit() * Double(slot) / 4)
                contacts.append(CRMContact(person: p.index, slot: j, number: p.firstContact + j, created: created, modified: modified, broken: 0))
                if corrupt(&r) {
                    junk += 1
                    contacts.append(CRMContact(person: p.index, slot: j, number: 50_000_000 + junk, created: created + 1, modified: modified + 1,
                                               broken: 1 + r.below(3)))
                }
            }
        }
        contacts.sort { ($0.created, $0.number) < ($1.created, $1.number) }

        let name = "crm_contacts.csv"
        var out = FileWriter(path: dir + "/" + name)
        out.bytes([0xEF, 0xBB, 0xBF])
        out.text(Self.crmHeader + "\r\n")
        var line = 2
        for (n, c) in contacts.enumerated() {
            let p = people[c.person]
            var r = stream(.crm, 1_000_000_000 + c.number)
            var f = crmFields(p, c, &r)
            let last = n == contacts.count - 1 && corruptRate == 0
            switch c.broken {
            case 0:
                let row = f.map(AcmeFormat.csvField).joined(separator: ",")
                out.text(row)
                if !last { out.text("\r\n") }
                truth.record("crm", f[0], p.id)
                let validEmail = AcmeFormat.validEmail(f[3]) != nil
                if validEmail { truth.email(p.index, f[3]) }
                for phone in crmPhones(p, c) { truth.phone(p.index, phone) }
                let answer: Bool? = AcmeCatalog.optInTrue.contains(f[14]) ? true : (AcmeCatalog.optInFalse.contains(f[14]) ? false : nil)
                truth.crmContact(p.index, optIn: answer, modified: c.modified * 1000, validEmail: validEmail)
                line += row.utf8.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } + 1
            case 1:
                f[6] = "\(p.address.number) \(AcmeCatalog.streetNames[p.address.street]) \(AcmeCatalog.streetTypes[p.address.type].1), Apt \(1 + r.below(20))"
                f[3] = f[3].trimmingCharacters(in: .whitespaces)
                out.text(f.enumerated().map { $0.offset == 6 ? $0.element : AcmeFormat.csvField($0.element.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")) }
                    .joined(separator: ",") + "\r\n")
                truth.invalid("crm", name, line, "extra_field")
                line += 1
            case 2:
                out.text(f.prefix(10).map { AcmeFormat.csvField($0.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")) }.joined(separator: ",") + "\r\n")
                truth.invalid("crm", name, line, "too_few_fields")
                line += 1
            default:
                out.text(plain(f.prefix(6)) + ",\"" + plain(f.dropFirst(6).prefix(1)) + "," + plain(f.dropFirst(7)) + "\r\n")
                truth.invalid("crm", name, line, "unclosed_quote")
                var r2 = stream(.crm, 2_000_000_000 + c.number)
                let swallowed = crmFields(p, CRMContact(person: p.index, slot: c.slot, number: c.number + 10_000_000, created: c.created,
                                                        modified: c.modified, broken: 0), &r2)
                out.text(plain(swallowed.prefix(7)) + "," + plain([swallowed[7]]) + "\"\r\n")
                truth.invalid("crm", name, line + 1, "swallowed_by_quote")
                line += 2
            }
        }
        if corruptRate > 0, let p = people.first(where: { $0.crmContacts > 0 }) {
            var r = stream(.crm, 3_000_000_000)
            let f = crmFields(p, CRMContact(person: p.index, slot: 0, number: 60_000_000, created: asOf - 3600, modified: asOf - 3600, broken: 0), &r)
            out.text(plain(f.prefix(6)) + ",\"\(p.address.number) \(AcmeCatalog.streetNames[p.address.street])")
            truth.invalid("crm", name, line, "eof_in_quote")
        }
        try out.close()
    }

    /// Fields joined by commas with no quoting, quotes, commas or line breaks removed (for broken rows).
    private func plain<S: Sequence>(_ fields: S) -> String where S.Element == String {
        fields.map { $0.replacingOccurrences(of: "\"", with: "").replacingOccurrences(of: ",", with: " ")
            .replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces) }
            .joined(separator: ",")
    }

    /// E.164 phones a contact shows (what `crmFields` rendered in Phone and Mobile).
    private func crmPhones(_ p: AcmePerson, _ c: CRMContact) -> [String] {
        var out: [String] = []
        var r = stream(.crm, 1_000_000_000 + c.number)
        let (home, mobile) = crmPhoneChoice(p, &r)
        if let home { out.append(home) }
        if let mobile { out.append(mobile) }
        return out
    }

    /// Which phones a contact fills in: (Phone, Mobile). Drawn first from the contact's stream.
    private func crmPhoneChoice(_ p: AcmePerson, _ r: inout SplitMix) -> (String?, String?) {
        let home = r.chance(0.85) ? p.homePhone : nil
        let mobile = r.chance(0.6) ? p.mobile : nil
        return (home, mobile)
    }

    // MARK: Fields

    /// The 15 fields of one contact (unquoted).
    func crmFields(_ p: AcmePerson, _ c: CRMContact, _ r: inout SplitMix) -> [String] {
        let (home, mobile) = crmPhoneChoice(p, &r)
        let variant = c.slot > 0 || c.number >= 10_000_000
        var first = p.first
        if let nick = p.nickname, variant, r.chance(0.35) { first = nick }
        if let m = p.middle, r.chance(0.4) { first += " \(m)." }
        var last = p.last
        if let suffix = p.suffix, r.chance(0.7) { last += " " + suffix }
        if last.contains("'"), r.chance(0.3) { last = last.replacingOccurrences(of: "'", with: "’") }
        if variant, r.chance(0.06) { first = typo(first, &r) }
        if variant, r.chance(0.05) { last = typo(last, &r) }
        if r.chance(0.12), !first.allSatisfy(\.isASCII) || !last.allSatisfy(\.isASCII) {
            first = AcmeFormat.asciiFold(first); last = AcmeFormat.asciiFold(last)
        } else if r.chance(0.1) {
            first = first.decomposedStringWithCanonicalMapping; last = last.decomposedStringWithCanonicalMapping
        }
        switch r.below(40) {
        case 0: first = first.uppercased(); last = last.uppercased()
        case 1: first = first.lowercased(); last = last.lowercased()
        default: break
        }
        if variant, r.chance(0.05) { swap(&first, &last) }

        var email = p.email
        if variant, let work = p.workEmail, r.chance(0.4) { email = work }
        if email.hasSuffix("@gmail.com"), r.chance(0.3) {
            let local = email.dropLast(10)
            email = (local.contains(".") ? local.replacingOccurrences(of: ".", with: "") : local.prefix(1) + "." + local.dropFirst()) + "@gmail.com"
        }
        switch r.below(100) {
        case 0..<6: email = email.prefix(1).uppercased() + email.dropFirst()
        case 6..<8: email = email.uppercased()
        case 8..<15: email = ""
        case 15..<17: email = String(email.split(separator: ".").dropLast().joined(separator: "."))      // ann@gmail
        case 17..<18: email = email.replacingOccurrences(of: "@", with: "@@")
        case 18..<19: email = "n/a"
        case 19..<21: email = " " + email + " "
        default: break
        }

        let abroad = p.abroad
        let countryFilled: Bool
        var country: String
        if abroad {
            country = r.pick(AcmeCatalog.countries[p.address.country].names)
            countryFilled = r.chance(0.85)
            if !countryFilled { country = "" }
        } else {
            country = r.pick(AcmeCatalog.usCountry)
            countryFilled = true
        }
        func phoneText(_ e164: String?, ext: Bool) -> String {
            guard let e164 else { return "" }
            var s = formatPhone(e164, national: countryFilled, &r)
            if ext, r.chance(0.04) { s += [" x\(100 + r.below(900))", " ext. \(10 + r.below(90))", " x\(r.below(90) + 10)"][r.below(3)] }
            return s
        }
        let phone = phoneText(home, ext: true)
        let mob = phoneText(mobile, ext: false)

        let a = c.created < p.movedAt ? (p.oldAddress ?? p.address) : p.address
        let street = streetText(a, &r)
        var city = a.city
        if let v = AcmeCatalog.cityVariants[city] { city = r.pick(v) } else if !abroad, r.chance(0.03) { city = city.uppercased() }
        if abroad, let forms = AcmeCatalog.countries[a.country].cities.first(where: { $0[0] == a.city }) { city = r.pick(forms) }
        var zip = a.zip
        if !abroad {
            if r.chance(0.25) { zip += "-" + AcmeFormat.pad(r.below(10000), 4) }
            if zip.hasPrefix("0"), r.chance(0.5) { zip = String(zip.dropFirst()) }
        }
        var birth = ""
        if let b = p.birth, r.chance(0.8) {
            switch r.below(3) {
            case 0: birth = "\(AcmeFormat.pad(b.m, 2))/\(AcmeFormat.pad(b.d, 2))/\(b.y)"
            case 1: birth = "\(b.m)/\(b.d)/\(b.y)"
            default: birth = "\(b.y)-\(AcmeFormat.pad(b.m, 2))-\(AcmeFormat.pad(b.d, 2))"
            }
        }
        var mailStream = SplitMix.stream(seed, 99, p.index)
        let wantsMail = mailStream.chance(0.55)
        let optIn = r.chance(0.14) ? "" : (r.chance(0.85) == wantsMail ? r.pick(AcmeCatalog.optInTrue) : r.pick(AcmeCatalog.optInFalse))
        return [AcmeFormat.contactID(c.number), first, last, email, phone, mob, street, city, zip, country, birth,
                r.pick(AcmeCatalog.leadSources), AcmeFormat.crmTimestamp(c.created, style: r.below(4) == 0 ? r.below(4) : 0),
                AcmeFormat.crmTimestamp(c.modified, style: r.below(4) == 0 ? r.below(4) : 0), optIn]
    }

    /// A phone in one of the many North-American forms, or a foreign one national / international.
    func formatPhone(_ e164: String, national: Bool, _ r: inout SplitMix) -> String {
        if e164.hasPrefix("+1") {
            let d = Array(e164.dropFirst(2))
            let a = String(d[0..<3]), b = String(d[3..<6]), c = String(d[6..<10])
            switch r.below(14) {
            case 11: return "\(a) \(b) \(c)"
            case 12: return "1 (\(a)) \(b)-\(c)"
            case 13: return "1" + a + b + c
            case 0, 1: return "(\(a)) \(b)-\(c)"
            case 2: return "\(a).\(b).\(c)"
            case 3: return "1-\(a)-\(b)-\(c)"
            case 4: return e164
            case 5, 6: return "\(a)-\(b)-\(c)"
            case 7, 8: return a + b + c
            case 9: return "+1 (\(a)) \(b)-\(c)"
            default: return "+1 \(a)-\(b)-\(c)"
            }
        }
        guard let country = AcmeCatalog.countries.first(where: { e164.hasPrefix("+" + $0.dial) && $0.dial != "1" }) else { return e164 }
        let digits = Array(String(e164.dropFirst(1 + country.dial.count)))
        let sizes: [Int] = ["MX": [2, 4, 4], "DE": [3, 8], "GB": [4, 6], "IE": [2, 3, 4]][country.code] ?? [3, digits.count - 3]
        var groups: [String] = []
        var at = 0
        for size in sizes where at < digits.count {
            groups.append(String(digits[at..<min(at + size, digits.count)]))
            at += size
        }
        if at < digits.count { groups[groups.count - 1] += String(digits[at...]) }
        if national {
            groups[0] = country.nationalPrefix + groups[0]
            return groups.joined(separator: country.code == "DE" && r.chance(0.4) ? "/" : " ")
        }
        return r.chance(0.4) ? e164 : "+\(country.dial) " + groups.joined(separator: " ")
    }

    /// A street in one or two lines with varying abbreviations.
    func streetText(_ a: AcmePerson.Address, _ r: inout SplitMix) -> String {
        let (long, short) = AcmeCatalog.streetTypes[a.type]
        let name = AcmeCatalog.streetNames[a.street]
        var s: String
        if a.country >= 0 && AcmeCatalog.countries[a.country].code == "DE" {
            s = "\(name)str. \(a.number)"
        } else if a.country >= 0 && AcmeCatalog.countries[a.country].code == "MX" {
            s = "Av. \(name) \(a.number), Col. Centro"
        } else {
            s = "\(a.number) \(name) \(r.chance(0.5) ? long : (r.chance(0.5) ? short : short + "."))"
        }
        if let unit = a.unit {
            let (abbr, full) = AcmeCatalog.units[r.below(AcmeCatalog.units.count)]
            let u = abbr == "#" ? "#\(unit)" : "\(r.chance(0.5) ? abbr : full) \(unit)"
            switch r.below(4) {
            case 0: s += "\n" + u
            case 1: s += "\r\n" + u
            case 2: s += ", " + u
            default: s += " " + u
            }
        }
        if r.chance(0.005) { s = "The \"Arcade\" Building, " + s }
        if r.chance(0.04) { s = s.uppercased() }
        return s
    }

    /// Two neighbouring letters swapped.
    func typo(_ s: String, _ r: inout SplitMix) -> String {
        var chars = Array(s)
        guard chars.count >= 4 else { return s }
        let i = 1 + r.below(chars.count - 2)
        chars.swapAt(i, i + 1)
        return String(chars)
    }
}
