import Testing
@testable import TributaryComponents
import TributaryCore
import TributaryTestSupport

// `country`, `postcode` and `address`, built from config nodes against a field scope as the
// loader builds them. Every expected value below is written by hand.

private let nodes = ConfigNodes(file: "p.yml", keys: .atValue)

@Suite("Places")
struct PlaceTests {

    // MARK: - country

    struct CountryCase: Sendable, CustomTestStringConvertible {
        var input: String?
        var code: String?
        init(_ input: String?, _ code: String?) { self.input = input; self.code = code }
        var testDescription: String { "\(input.map { "'\($0)'" } ?? "NULL") → \(code ?? "NULL")" }
    }

    static let countryCases: [CountryCase] = [
        CountryCase("USA", "US"), CountryCase("U.S.A.", "US"), CountryCase("United States", "US"),
        CountryCase("united states of america", "US"), CountryCase("America", "US"), CountryCase("  us  ", "US"),
        CountryCase("U. S.", "US"), CountryCase("UK", "GB"), CountryCase("Great Britain", "GB"),
        CountryCase("England", "GB"), CountryCase("SCOTLAND", "GB"), CountryCase("Wales", "GB"), CountryCase("gbr", "GB"),
        CountryCase("United\u{00A0}Kingdom", "GB"), CountryCase("Deutschland", "DE"), CountryCase("GERMANY", "DE"),
        CountryCase("DEU", "DE"), CountryCase("México", "MX"), CountryCase("Mexico", "MX"), CountryCase("MÉXICO", "MX"),
        CountryCase("Me\u{0301}xico", "MX"), CountryCase("España", "ES"), CountryCase("ESPAÑA", "ES"),
        CountryCase("espana", "ES"), CountryCase("Schweiz", "CH"), CountryCase("Suisse", "CH"),
        CountryCase("Österreich", "AT"), CountryCase("OSTERREICH", "AT"), CountryCase("Sverige", "SE"),
        CountryCase("Czechia", "CZ"), CountryCase("Czech Republic", "CZ"), CountryCase("Česká republika", "CZ"),
        CountryCase("Holland", "NL"), CountryCase("The Netherlands", "NL"), CountryCase("the-netherlands", "NL"),
        CountryCase("South Korea", "KR"), CountryCase("Korea, Republic of", "KR"), CountryCase("Korea (South)", "KR"),
        CountryCase("대한민국", "KR"), CountryCase("日本", "JP"), CountryCase("Россия", "RU"), CountryCase("РОССИЯ", "RU"),
        CountryCase("Türkiye", "TR"), CountryCase("Việt Nam", "VN"), CountryCase("fr", "FR"), CountryCase("FRA", "FR"),
        CountryCase("Brasil", "BR"), CountryCase("Perú", "PE"), CountryCase("Éire", "IE"), CountryCase("Ísland", "IS"),
        CountryCase("Bosnia & Herzegovina", "BA"), CountryCase("People\u{2019}s Republic of China", "CN"),
        CountryCase("U.A.E.", "AE"), CountryCase("Eesti", "EE"), CountryCase("Kıbrıs", "CY"), CountryCase("ca", "CA"),
        CountryCase("Narnia", nil), CountryCase("XX", nil), CountryCase("U", nil), CountryCase("12345", nil),
        CountryCase("United Statez", nil), CountryCase("Korea, Republic", nil),
    ]

    @Test(arguments: countryCases)
    func country(_ c: CountryCase) throws {
        var scope = FieldScope(fields: ["id", "country"])
        let (transform, diagnostics) = build(Country.self, nodes.mapping(("field", nodes.scalar("country")), ("into", nodes.scalar("country_code"))),
                                             scope: &scope)
        #expect(diagnostics.isEmpty)
        var b = batch(["1"], [c.input])
        var counters = TransformCounters()
        _ = try #require(transform).apply(to: &b, counters: &counters)
        #expect(column(b, 2) == [c.code])
        #expect(column(b, 1) == [c.input], "the input field is left as it was")
        #expect(counters.values == (c.code == nil ? ["country.unknown": 1] : [:]))
    }

    @Test func countryBlankValuesGetTheDefault() throws {
        var scope = FieldScope(fields: ["country"])
        let (transform, diagnostics) = build(Country.self, nodes.mapping(("field", nodes.scalar("country")), ("default", nodes.scalar("Deutschland"))),
                                             scope: &scope)
        #expect(diagnostics.isEmpty)
        #expect(scope.names == ["country"], "without `into` the field is replaced in place")
        var b = batch(["", "  ", nil, "N/A", "n.a.", "fr", "Atlantis", "\u{00A0}"])
        var counters = TransformCounters()
        _ = try #require(transform).apply(to: &b, counters: &counters)
        #expect(column(b, 0) == ["DE", "DE", "DE", "DE", "DE", "FR", nil, "DE"])
        #expect(counters.values == ["country.defaulted": 6, "country.unknown": 1])

        var plain = FieldScope(fields: ["country"])
        let noDefault = try #require(build(Country.self, nodes.mapping(("field", nodes.scalar("country"))), scope: &plain).transform)
        var b2 = batch(["", nil, "usa"])
        var counters2 = TransformCounters()
        _ = noDefault.apply(to: &b2, counters: &counters2)
        #expect(column(b2, 0) == [nil, nil, "US"])
        #expect(counters2.values.isEmpty)
    }

    @Test func countryOutputColumnIsAddedToTheScope() throws {
        var scope = FieldScope(fields: ["name", "country"])
        let (transform, _) = build(Country.self, nodes.mapping(("field", nodes.scalar("country")), ("into", nodes.scalar("country_code"))), scope: &scope)
        #expect(scope.names == ["name", "country", "country_code"])
        #expect(scope.column(of: "country_code") == 2)
        var b = batch(["Ann", "Bob", "Cy"], ["Schweiz", nil, "Holland"])
        _ = try #require(transform).apply(to: &b)
        #expect(b.columns.count == 3)
        #expect(column(b, 2) == ["CH", nil, "NL"])
    }

    @Test func countryTableIsConsistent() {
        // Building the table checks that no name means two countries; every code maps to itself.
        #expect(Countries.table.count > 300)
        #expect(Countries.data.count >= 60)
        for line in Countries.data {
            let parts = line.split(separator: "|").map(String.init)
            #expect(Countries.code(of: parts[0]) == Array(parts[0].utf8))
            #expect(Countries.code(of: parts[1]) == Array(parts[0].utf8), "\(parts[1])")
        }
    }

    @Test func countryConfigErrors() {
        var scope = FieldScope(fields: ["country", "country_code"])
        let unknown = build(Country.self, nodes.mapping(("field", nodes.scalar("contry", line: 4, column: 21))), scope: &scope)
        #expect(unknown.transform == nil)
        #expect(unknown.diagnostics.map(\.code) == [.unknownField])
        #expect(unknown.diagnostics.first?.code.rawValue == "TR201")
        #expect(unknown.diagnostics.first?.location == nodes.at(4, 21))
        #expect(unknown.diagnostics.first?.hint == "did you mean 'country'?")

        let clash = build(Country.self, nodes.mapping(("field", nodes.scalar("country")), ("into", nodes.scalar("country_code", line: 5, column: 30))),
                          scope: &scope)
        #expect(clash.transform == nil)
        #expect(clash.diagnostics.map(\.code) == [.duplicateField])
        #expect(clash.diagnostics.first?.location == nodes.at(5, 30))

        let badDefault = build(Country.self, nodes.mapping(("field", nodes.scalar("country")), ("default", nodes.scalar("Narnia", line: 6, column: 40))),
                               scope: &scope)
        #expect(badDefault.transform == nil)
        #expect(badDefault.diagnostics.map(\.code) == [.invalidValue])
        #expect(badDefault.diagnostics.first?.location == nodes.at(6, 40))

        let badName = build(Country.self, nodes.mapping(("field", nodes.scalar("country")), ("into", nodes.scalar("country code", line: 7))), scope: &scope)
        #expect(badName.diagnostics.map(\.code) == [.invalidValue])
        #expect(scope.names == ["country", "country_code"], "failed steps add no field")
    }

    // MARK: - postcode

    struct PostcodeCase: Sendable, CustomTestStringConvertible {
        var country: String?
        var input: String?
        var postcode: String?
        var plus4: String?
        /// The counter the value adds, if any.
        var counter: String?
        init(_ country: String?, _ input: String?, _ postcode: String?, plus4: String? = nil, _ counter: String? = nil) {
            self.country = country; self.input = input; self.postcode = postcode; self.plus4 = plus4; self.counter = counter
        }
        var testDescription: String { "\(country ?? "NULL") '\(input ?? "NULL")' → \(postcode ?? "NULL") \(plus4 ?? "")" }
    }

    static let postcodeCases: [PostcodeCase] = [
        PostcodeCase("US", "02134", "02134"),
        PostcodeCase("US", "2134", "02134"),
        PostcodeCase("US", "501", "00501"),
        PostcodeCase("US", " 94105 ", "94105"),
        PostcodeCase("US", "02134-1234", "02134", plus4: "1234"),
        PostcodeCase("US", "021341234", "02134", plus4: "1234"),
        PostcodeCase("US", "2134-1234", "02134", plus4: "1234"),
        PostcodeCase("US", "21341234", "02134", plus4: "1234"),
        PostcodeCase("US", "94105 1234", "94105", plus4: "1234"),
        PostcodeCase("US", "94105-", "94105"),
        PostcodeCase("USA", "10001", "10001"),
        PostcodeCase("United States", "601", "00601"),
        PostcodeCase("US", "12", nil, "postcode.invalid.US"),
        PostcodeCase("US", "123456", nil, "postcode.invalid.US"),
        PostcodeCase("US", "ABCDE", nil, "postcode.invalid.US"),
        PostcodeCase("US", "00000", nil, "postcode.invalid.US"),
        PostcodeCase("US", "94105-12", nil, "postcode.invalid.US"),
        PostcodeCase("US", "94105#", nil, "postcode.invalid.US"),
        PostcodeCase("CA", "k1a0b1", "K1A 0B1"),
        PostcodeCase("CA", "K1A 0B1", "K1A 0B1"),
        PostcodeCase("Canada", "m5v-3l9", "M5V 3L9"),
        PostcodeCase("CA", "K1A0B", nil, "postcode.invalid.CA"),
        PostcodeCase("CA", "D1A 0B1", nil, "postcode.invalid.CA"),
        PostcodeCase("CA", "W1A 0B1", nil, "postcode.invalid.CA"),
        PostcodeCase("CA", "123456", nil, "postcode.invalid.CA"),
        PostcodeCase("GB", "sw1a2aa", "SW1A 2AA"),
        PostcodeCase("UK", "SW1A 2AA", "SW1A 2AA"),
        PostcodeCase("GB", "m11ae", "M1 1AE"),
        PostcodeCase("GB", "B33 8TH", "B33 8TH"),
        PostcodeCase("GB", "cr2 6xh", "CR2 6XH"),
        PostcodeCase("GB", "DN551PT", "DN55 1PT"),
        PostcodeCase("GB", "W1A 0AX", "W1A 0AX"),
        PostcodeCase("GB", "ec1a 1bb", "EC1A 1BB"),
        PostcodeCase("GB", "GIR 0AA", "GIR 0AA"),
        PostcodeCase("GB", "SW1A 2CA", nil, "postcode.invalid.GB"),
        PostcodeCase("GB", "QA1 1AA", nil, "postcode.invalid.GB"),
        PostcodeCase("GB", "SW1A", nil, "postcode.invalid.GB"),
        PostcodeCase("GB", "12345", nil, "postcode.invalid.GB"),
        PostcodeCase("IE", "d02x285", "D02 X285"),
        PostcodeCase("Ireland", "D02 X285", "D02 X285"),
        PostcodeCase("IE", "a65 f4e2", "A65 F4E2"),
        PostcodeCase("IE", "D6W XY12", "D6W XY12"),
        PostcodeCase("IE", "B02 X285", nil, "postcode.invalid.IE"),
        PostcodeCase("IE", "D02 X28", nil, "postcode.invalid.IE"),
        PostcodeCase("DE", "10115", "10115"),
        PostcodeCase("Deutschland", "01067", "01067"),
        PostcodeCase("DE", "1067", "01067"),
        PostcodeCase("DE", "123", nil, "postcode.invalid.DE"),
        PostcodeCase("DE", "00123", nil, "postcode.invalid.DE"),
        PostcodeCase("MX", "06600", "06600"),
        PostcodeCase("México", "6600", "06600"),
        PostcodeCase("MX", "ABCDE", nil, "postcode.invalid.MX"),
        PostcodeCase("FR", " 75008 ", "75008", "postcode.unchecked"),
        PostcodeCase("nl", "1012 ab", "1012 AB", "postcode.unchecked"),
        PostcodeCase(nil, " sw1a 2aa ", "SW1A 2AA", "postcode.unchecked"),
        PostcodeCase("Narnia", "abc", "ABC", "postcode.unchecked"),
        PostcodeCase("US", "  ", nil),
        PostcodeCase("GB", nil, nil),
    ]

    @Test(arguments: postcodeCases)
    func postcode(_ c: PostcodeCase) throws {
        var scope = FieldScope(fields: ["postcode", "country"])
        let (transform, diagnostics) = build(Postcode.self, nodes.mapping(
            ("field", nodes.scalar("postcode")), ("country_field", nodes.scalar("country")),
            ("into", nodes.scalar("postcode_norm")), ("plus4_into", nodes.scalar("zip4"))), scope: &scope)
        #expect(diagnostics.isEmpty)
        #expect(scope.names == ["postcode", "country", "postcode_norm", "zip4"])
        var b = batch([c.input], [c.country])
        var counters = TransformCounters()
        _ = try #require(transform).apply(to: &b, counters: &counters)
        #expect(column(b, 2) == [c.postcode])
        #expect(column(b, 3) == [c.plus4])
        #expect(column(b, 0) == [c.input])
        #expect(counters.values == (c.counter.map { [$0: 1] } ?? [:]))
    }

    @Test func postcodeWithAFixedCountryInPlace() throws {
        var scope = FieldScope(fields: ["zip"])
        let (transform, diagnostics) = build(Postcode.self, nodes.mapping(("field", nodes.scalar("zip")), ("country", nodes.scalar("US"))), scope: &scope)
        #expect(diagnostics.isEmpty)
        #expect(scope.names == ["zip"])
        var b = batch(["2134", "02134-1234", "x", nil, "90210"])
        var counters = TransformCounters()
        _ = try #require(transform).apply(to: &b, counters: &counters)
        #expect(column(b, 0) == ["02134", "02134", nil, nil, "90210"], "without plus4_into the extension is dropped")
        #expect(counters.values == ["postcode.invalid.US": 1])

        var fr = FieldScope(fields: ["zip"])
        let unchecked = try #require(build(Postcode.self, nodes.mapping(("field", nodes.scalar("zip")), ("country", nodes.scalar("France"))), scope: &fr).transform)
        var b2 = batch(["75008", "f-75008"])
        var counters2 = TransformCounters()
        _ = unchecked.apply(to: &b2, counters: &counters2)
        #expect(column(b2, 0) == ["75008", "F-75008"])
        #expect(counters2.values == ["postcode.unchecked": 2])
    }

    @Test func postcodeConfigErrors() {
        var scope = FieldScope(fields: ["zip", "country_code"])
        let neither = build(Postcode.self, nodes.mapping(("field", nodes.scalar("zip"))), scope: &scope)
        #expect(neither.transform == nil)
        #expect(neither.diagnostics.map(\.code) == [.missingKey])

        let both = build(Postcode.self, nodes.mapping(("field", nodes.scalar("zip")), ("country", nodes.scalar("US")), ("country_field", nodes.scalar("country_code"))),
                         scope: &scope)
        #expect(both.diagnostics.map(\.code) == [.invalidValue])

        let unknownField = build(Postcode.self, nodes.mapping(("field", nodes.scalar("zip")), ("country_field", nodes.scalar("country", line: 8, column: 44))),
                                 scope: &scope)
        #expect(unknownField.diagnostics.map(\.code) == [.unknownField])
        #expect(unknownField.diagnostics.first?.location == nodes.at(8, 44))

        let unknownPostcode = build(Postcode.self, nodes.mapping(("field", nodes.scalar("zipp", line: 9, column: 22)), ("country", nodes.scalar("US"))),
                                    scope: &scope)
        #expect(unknownPostcode.diagnostics.map(\.code) == [.unknownField])
        #expect(unknownPostcode.diagnostics.first?.location == nodes.at(9, 22))

        let badCountry = build(Postcode.self, nodes.mapping(("field", nodes.scalar("zip")), ("country", nodes.scalar("Atlantis", line: 3, column: 5))),
                               scope: &scope)
        #expect(badCountry.diagnostics.map(\.code) == [.invalidValue])
        #expect(badCountry.diagnostics.first?.location == nodes.at(3, 5))

        let same = build(Postcode.self, nodes.mapping(("field", nodes.scalar("zip")), ("country", nodes.scalar("US")), ("into", nodes.scalar("z")),
                                               ("plus4_into", nodes.scalar("z", line: 2))), scope: &scope)
        #expect(same.diagnostics.map(\.code) == [.duplicateField])
        #expect(scope.names == ["zip", "country_code"])
    }

    // MARK: - address

    struct AddressCase: Sendable, CustomTestStringConvertible {
        var input: String?
        var street: String?
        var key: String?
        init(_ input: String?, _ street: String?, key: String? = nil) {
            self.input = input; self.street = street; self.key = key ?? street
        }
        var testDescription: String { (input ?? "NULL").debugDescription }
    }

    static let addressCases: [AddressCase] = [
        AddressCase("1200 Market Street", "1200 MARKET ST"),
        AddressCase("Apt 4B\n1200 Market Street", "APT 4B, 1200 MARKET ST", key: "1200 MARKET ST APT 4B"),
        AddressCase("1200 MARKET ST APT 4B", "1200 MARKET ST APT 4B"),
        AddressCase("1200 Market St., Apt. #4B", "1200 MARKET ST, APT 4B", key: "1200 MARKET ST APT 4B"),
        AddressCase("1200 Market St #4B", "1200 MARKET ST APT 4B"),
        AddressCase("350 Fifth Avenue, Suite 3300", "350 FIFTH AVE, STE 3300", key: "350 FIFTH AVE STE 3300"),
        AddressCase("1600 Pennsylvania Ave. N.W.", "1600 PENNSYLVANIA AVE NW"),
        AddressCase("  742   Evergreen\tTerrace  ", "742 EVERGREEN TER"),
        AddressCase("100 North Main Street", "100 N MAIN ST"),
        AddressCase("25 North Avenue", "25 NORTH AVE"),
        AddressCase("12 Court Street", "12 COURT ST"),
        AddressCase("1 Infinite Loop", "1 INFINITE LOOP"),
        AddressCase("500 W. 42nd St.", "500 W 42ND ST"),
        AddressCase("221B Baker Street", "221B BAKER ST"),
        AddressCase("9 Elm Rd\r\nUnit 5", "9 ELM RD, UNIT 5", key: "9 ELM RD UNIT 5"),
        AddressCase("P.O. Box 123", "PO BOX 123"),
        AddressCase("4 Privet Drive - Apartment 2", "4 PRIVET DR APT 2"),
        AddressCase("77 Sunset Blvd., Ste. 200", "77 SUNSET BLVD, STE 200", key: "77 SUNSET BLVD STE 200"),
        AddressCase("8 Ocean Lane, Floor 3", "8 OCEAN LN, FL 3", key: "8 OCEAN LN FL 3"),
        AddressCase("1 Sesame Pl", "1 SESAME PL"),
        AddressCase("15 Rue de la Paix", "15 RUE DE LA PAIX"),
        AddressCase("Königstraße 5", "KÖNIGSTRASSE 5", key: "KONIGSTRASSE 5"),
        AddressCase("10 Downing St,, ", "10 DOWNING ST"),
        AddressCase("2 Oak Blvd Suite 100 ", "2 OAK BLVD STE 100"),
        AddressCase("Suite 100, 2 Oak Boulevard", "STE 100, 2 OAK BLVD", key: "2 OAK BLVD STE 100"),
        AddressCase("31 Spooner St.\u{00A0}Apt 2", "31 SPOONER ST APT 2"),
        AddressCase("   ", nil),
        AddressCase(" , ", nil),
        AddressCase(nil, nil),
    ]

    @Test(arguments: addressCases)
    func address(_ c: AddressCase) throws {
        var scope = FieldScope(fields: ["street"])
        let (transform, diagnostics) = build(Address.self, nodes.mapping(
            ("field", nodes.scalar("street")), ("into", nodes.scalar("street_norm")), ("key_into", nodes.scalar("street_key"))), scope: &scope)
        #expect(diagnostics.isEmpty)
        #expect(scope.names == ["street", "street_norm", "street_key"])
        var b = batch([c.input])
        _ = try #require(transform).apply(to: &b)
        #expect(column(b, 1) == [c.street])
        #expect(column(b, 2) == [c.key])
        #expect(column(b, 0) == [c.input])
    }

    static let titleCases: [(String, String)] = [
        ("1200 MARKET STREET APT 4B", "1200 Market St Apt 4B"),
        ("500 west 42nd street", "500 W 42nd St"),
        ("100 NORTH MAIN ST", "100 N Main St"),
        ("apt #12c\n7 o'neil ave", "Apt 12C, 7 O'neil Ave"),
        ("KÖNIGSALLEE 1", "Königsallee 1"),
    ]

    @Test(arguments: titleCases)
    func addressTitleCase(_ c: (String, String)) throws {
        var scope = FieldScope(fields: ["street"])
        let (transform, diagnostics) = build(Address.self, nodes.mapping(("field", nodes.scalar("street")), ("case", nodes.scalar("title"))), scope: &scope)
        #expect(diagnostics.isEmpty)
        #expect(scope.names == ["street"])
        var b = batch([c.0])
        _ = try #require(transform).apply(to: &b)
        #expect(column(b, 0) == [c.1])
    }

    @Test func addressKeysMatchAcrossSpellings() throws {
        var scope = FieldScope(fields: ["street"])
        let transform = try #require(build(Address.self, nodes.mapping(("field", nodes.scalar("street")), ("key_into", nodes.scalar("k"))), scope: &scope).transform)
        var b = batch(["Apt 4B\n1200 Market Street", "1200 MARKET ST APT 4B", "1200 market st. #4b", "1200 Market St, Apartment 4B"])
        _ = transform.apply(to: &b)
        #expect(column(b, 1) == Array(repeating: "1200 MARKET ST APT 4B", count: 4))
    }

    @Test func addressConfigErrors() {
        var scope = FieldScope(fields: ["street"])
        let unknown = build(Address.self, nodes.mapping(("field", nodes.scalar("stret", line: 12, column: 20))), scope: &scope)
        #expect(unknown.diagnostics.map(\.code) == [.unknownField])
        #expect(unknown.diagnostics.first?.location == nodes.at(12, 20))
        let same = build(Address.self, nodes.mapping(("field", nodes.scalar("street")), ("into", nodes.scalar("s")), ("key_into", nodes.scalar("s", line: 13))),
                         scope: &scope)
        #expect(same.diagnostics.map(\.code) == [.duplicateField])
        #expect(same.diagnostics.first?.location == nodes.at(13))
        #expect(scope.names == ["street"])
    }
}
