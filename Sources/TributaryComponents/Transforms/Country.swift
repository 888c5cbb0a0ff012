import TributaryCore

/// `country`: turns country names and codes into ISO 3166-1 alpha-2 codes.
///
/// Values are folded on their UTF-8 bytes (`TextFold.compactKey`: case, diacritics, spaces and
/// punctuation ignored) into a scratch buffer and looked up in `Countries.table`; no `String` is
/// created per value.
struct Country: Transform, TransformComponent {
    static let spec = ComponentSpec(
        name: "country", kind: .transform,
        summary: """
            Converts country names and codes to ISO 3166-1 alpha-2 codes (`USA`, `U.S.A.`, `United States of America`, \
            `Deutschland`, `Österreich`, `Korea, Republic of` …): alpha-2 and alpha-3 codes, English and native names \
            and common variants, ignoring case, accents, spaces and punctuation. Blank values get `default` (counted \
            `country.defaulted`); unknown values become NULL (counted `country.unknown`).
            """,
        shape: .object([
            Property("field", .string, required: true, doc: "the field holding the country"),
            Property("into", .string, doc: "a new field for the code; without it the field itself is replaced"),
            Property("default", .string, doc: "the country (code or name) for blank values; without it they stay NULL"),
        ]),
        example: "country: { field: country, into: country_code, default: US }")

    var source: Int
    var target: Int
    /// The alpha-2 code for blank values, if any.
    var defaultCode: [UInt8]?

    static func make(_ node: ConfigNode, scope: inout FieldScope, diagnostics: inout DiagnosticBag) -> (any Transform)? {
        let before = diagnostics.errorCount
        let source = node["field"].flatMap { scope.resolve($0, diagnostics: &diagnostics) }
        let into = OutputField.check(node["into"], scope: scope, diagnostics: &diagnostics)
        var defaultCode: [UInt8]?
        if let defaultNode = node["default"], let text = defaultNode.scalar {
            if let code = Countries.code(of: text) {
                defaultCode = code
            } else {
                diagnostics.add(.error(.invalidValue, at: defaultNode.location, "unknown country \(defaultNode.safeDescription)",
                                       hint: "use an ISO 3166 code such as US, GB or DE"))
            }
        }
        guard diagnostics.errorCount == before, let source, let into else { return nil }
        let target = into.map { scope.add($0) } ?? source
        return Country(source: source, target: target, defaultCode: defaultCode)
    }

    func apply(to batch: inout RecordBatch, counters: inout TransformCounters) -> Int {
        let input = batch.columns[source]
        var output = TextColumn.output(rows: batch.count, bytesPerRow: 2)
        var defaulted = 0, unknown = 0
        let table = Countries.table
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Countries.maxKeyLength) { scratch in
            for row in 0..<batch.count {
                input.withValue(row) { value in
                    guard let value, let length = TextFold.compactKey(value, into: scratch), length > 0,
                          !Countries.isPlaceholder(value, key: UnsafeBufferPointer(rebasing: scratch[0..<length])) else {
                        if let defaultCode {
                            defaultCode.withUnsafeBufferPointer { output.append(bytes: $0) }
                            defaulted += 1
                        } else {
                            output.appendNull()
                        }
                        return
                    }
                    if let code = table[UnsafeBufferPointer(rebasing: scratch[0..<length])] {
                        withUnsafeBytes(of: code) { output.append($0) }
                    } else {
                        output.appendNull()
                        unknown += 1
                    }
                }
            }
        }
        batch.store(output, at: target)
        counters.add("country.defaulted", defaulted)
        counters.add("country.unknown", unknown)
        return 0
    }
}

/// The country reference data: ISO 3166-1 alpha-2, alpha-3, English and native names, variants.
enum Countries {
    /// Longer folded keys cannot be countries (the longest is 45 bytes).
    static let maxKeyLength = 96

    /// Every folded name and code → the alpha-2 code, as its two bytes in memory order.
    static let table: ByteKeyTable<(UInt8, UInt8)> = {
        var table = ByteKeyTable<(UInt8, UInt8)>()
        for line in data {
            let names = line.split(separator: "|").map(String.init)
            let code = Array(names[0].utf8)
            precondition(code.count == 2 && names[1].utf8.count == 3, "bad country line: \(line)")
            for name in names {
                guard let key = TextFold.compactKey(name), !key.isEmpty, key.count <= maxKeyLength else {
                    preconditionFailure("country name \(name) folds to nothing or too long")
                }
                if let other = table.insert(key, (code[0], code[1])) {
                    precondition(other == (code[0], code[1]), "\(name) is both \(names[0]) and another country")
                }
            }
        }
        return table
    }()

    /// The alpha-2 code for a name or code (cold path: configuration, tests).
    static func code(of text: String) -> [UInt8]? {
        guard let key = TextFold.compactKey(text), let code = table[key] else { return nil }
        return [code.0, code.1]
    }

    /// `N/A` and `n.a.` mean "no value" (as a plain `NA` it is Namibia).
    @inline(__always)
    static func isPlaceholder(_ value: UnsafeBufferPointer<UInt8>, key: UnsafeBufferPointer<UInt8>) -> Bool {
        key.count == 2 && key[0] == 0x6E && key[1] == 0x61 && value.count > 2
    }

    /// `alpha-2|alpha-3|names…`. Names are folded when the table is built, so `Österreich` also
    /// matches `OSTERREICH` and `osterreich`; spaces and punctuation never matter.
    static let data: [String] = [
        "US|USA|United States|United States of America|the United States|America|U.S.|Estados Unidos|États-Unis|Vereinigte Staaten|US of A",
        "GB|GBR|United Kingdom|UK|U.K.|the UK|the United Kingdom|Great Britain|Britain|England|Scotland|Wales|Northern Ireland|United Kingdom of Great Britain and Northern Ireland|Reino Unido|Royaume-Uni|Vereinigtes Königreich",
        "DE|DEU|Germany|Deutschland|Federal Republic of Germany|Bundesrepublik Deutschland|Alemania|Allemagne|Germania",
        "FR|FRA|France|French Republic|République française|Francia|Frankreich",
        "ES|ESP|Spain|España|Espana|Kingdom of Spain|Espagne|Spanien|Spagna",
        "IT|ITA|Italy|Italia|Italie|Italien",
        "PT|PRT|Portugal|Portuguese Republic",
        "NL|NLD|Netherlands|The Netherlands|Nederland|Holland|Niederlande|Pays-Bas|Países Bajos",
        "BE|BEL|Belgium|België|Belgique|Belgien|Bélgica",
        "LU|LUX|Luxembourg|Luxemburg|Lëtzebuerg",
        "CH|CHE|Switzerland|Schweiz|Suisse|Svizzera|Svizra|Helvetia|Confoederatio Helvetica|Suiza",
        "AT|AUT|Austria|Österreich|Autriche",
        "IE|IRL|Ireland|Republic of Ireland|Éire|Eire|Irlanda|Irland",
        "DK|DNK|Denmark|Danmark|Dänemark",
        "SE|SWE|Sweden|Sverige|Schweden|Suecia",
        "NO|NOR|Norway|Norge|Noreg|Norwegen|Noruega",
        "FI|FIN|Finland|Suomi|Finnland",
        "IS|ISL|Iceland|Ísland",
        "PL|POL|Poland|Polska|Polen|Polonia|Pologne",
        "CZ|CZE|Czechia|Czech Republic|The Czech Republic|Česko|Česká republika|Tschechien",
        "SK|SVK|Slovakia|Slovak Republic|Slovensko|Slowakei",
        "HU|HUN|Hungary|Magyarország|Ungarn",
        "RO|ROU|Romania|România|Rumänien",
        "BG|BGR|Bulgaria|България|Bulgarien",
        "GR|GRC|Greece|Hellas|Hellenic Republic|Ελλάδα|Ελλαδα|Ελλάς|Griechenland|Grecia",
        "HR|HRV|Croatia|Hrvatska|Kroatien",
        "SI|SVN|Slovenia|Slovenija|Slowenien",
        "RS|SRB|Serbia|Srbija|Србија",
        "BA|BIH|Bosnia and Herzegovina|Bosnia & Herzegovina|Bosnia|Bosna i Hercegovina",
        "UA|UKR|Ukraine|Україна|Ukraina",
        "RU|RUS|Russia|Russian Federation|Россия|Rossiya|Russland",
        "BY|BLR|Belarus|Беларусь|Byelorussia",
        "LT|LTU|Lithuania|Lietuva|Litauen",
        "LV|LVA|Latvia|Latvija|Lettland",
        "EE|EST|Estonia|Eesti|Estland",
        "TR|TUR|Turkey|Türkiye|Turkiye|Türkei",
        "CY|CYP|Cyprus|Κύπρος|Kıbrıs|Zypern",
        "MT|MLT|Malta",
        "CA|CAN|Canada|Kanada",
        "MX|MEX|Mexico|México|Mejico|Estados Unidos Mexicanos|United Mexican States|Mexiko",
        "BR|BRA|Brazil|Brasil|Brasilien",
        "AR|ARG|Argentina|Argentine Republic|Argentinien",
        "CL|CHL|Chile",
        "CO|COL|Colombia|Kolumbien",
        "PE|PER|Peru|Perú",
        "VE|VEN|Venezuela",
        "EC|ECU|Ecuador",
        "UY|URY|Uruguay",
        "PY|PRY|Paraguay",
        "BO|BOL|Bolivia",
        "CR|CRI|Costa Rica",
        "PA|PAN|Panama|Panamá",
        "GT|GTM|Guatemala",
        "SV|SLV|El Salvador",
        "HN|HND|Honduras",
        "NI|NIC|Nicaragua",
        "DO|DOM|Dominican Republic|República Dominicana",
        "PR|PRI|Puerto Rico",
        "CU|CUB|Cuba",
        "JM|JAM|Jamaica",
        "CN|CHN|China|People's Republic of China|PRC|P.R. China|Mainland China|中国|中國|中华人民共和国",
        "JP|JPN|Japan|日本|日本国|Nippon|Nihon|Japon|Japón",
        "KR|KOR|South Korea|Korea|Korea, Republic of|Republic of Korea|Korea (South)|대한민국|한국|Südkorea",
        "KP|PRK|North Korea|Korea, Democratic People's Republic of|Democratic People's Republic of Korea|DPRK|Korea (North)|조선",
        "IN|IND|India|Bharat|भारत|Republic of India|Indien",
        "PK|PAK|Pakistan",
        "BD|BGD|Bangladesh",
        "LK|LKA|Sri Lanka",
        "NP|NPL|Nepal",
        "ID|IDN|Indonesia|Indonesien",
        "MY|MYS|Malaysia",
        "SG|SGP|Singapore|Singapura|Republic of Singapore",
        "TH|THA|Thailand|ประเทศไทย|Thaïlande",
        "VN|VNM|Vietnam|Viet Nam|Việt Nam",
        "PH|PHL|Philippines|The Philippines|Pilipinas|Filipinas",
        "TW|TWN|Taiwan|台灣|臺灣|台湾|Republic of China|Taiwan, Province of China",
        "HK|HKG|Hong Kong|香港|Hong Kong SAR",
        "AU|AUS|Australia|Commonwealth of Australia|Australien",
        "NZ|NZL|New Zealand|Aotearoa|Neuseeland",
        "ZA|ZAF|South Africa|Suid-Afrika|Republic of South Africa|RSA|Südafrika",
        "NG|NGA|Nigeria",
        "EG|EGY|Egypt|مصر|Ägypten",
        "KE|KEN|Kenya",
        "MA|MAR|Morocco|Maroc|المغرب|Marokko",
        "DZ|DZA|Algeria|Algérie|الجزائر",
        "TN|TUN|Tunisia|Tunisie|تونس",
        "GH|GHA|Ghana",
        "ET|ETH|Ethiopia",
        "IL|ISR|Israel|ישראל",
        "SA|SAU|Saudi Arabia|Kingdom of Saudi Arabia|KSA|السعودية",
        "AE|ARE|United Arab Emirates|UAE|U.A.E.|Emirates|الإمارات",
        "QA|QAT|Qatar",
        "IR|IRN|Iran|Iran, Islamic Republic of|Islamic Republic of Iran|ایران",
        "IQ|IRQ|Iraq|العراق",
        "JO|JOR|Jordan|الأردن",
        "LB|LBN|Lebanon|Liban|لبنان",
        "KZ|KAZ|Kazakhstan|Қазақстан|Казахстан",
    ]
}
