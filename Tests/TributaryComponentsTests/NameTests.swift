import Testing
@testable import TributaryComponents
import TributaryCore
import TributaryTestSupport

// The `name` transform, built through the registry from config nodes as the loader builds it.
// Every expected value below is written by hand.

private let nodes = ConfigNodes(file: "n.yml", keys: .atValue)

private func make(_ node: ConfigNode, scope: inout FieldScope) -> (transform: (any Transform)?, diagnostics: [Diagnostic]) {
    var diagnostics = DiagnosticBag()
    let transform = Registry.standard.transform("name")!.make(node, scope: &scope, diagnostics: &diagnostics)
    return (transform, diagnostics.items)
}

/// A value's exact scalars: Swift's `==` on strings ignores NFC/NFD, these tests must not.
private func exact(_ value: String?) -> [UInt32]? { value.map { $0.unicodeScalars.map(\.value) } }

/// The split transform used by the table: every output field.
private func splitTransform(pattern: String? = nil) throws -> (any Transform, FieldScope) {
    var scope = FieldScope(fields: ["id", "full_name"])
    var entries: [(String, ConfigNode)] = [("field", nodes.scalar("full_name"))]
    if let pattern { entries.append(("pattern", nodes.scalar(pattern))) }
    entries.append(("into", nodes.mapping(("first", nodes.scalar("first_name")), ("middle", nodes.scalar("middle_name")),
                                    ("last", nodes.scalar("last_name")), ("prefix", nodes.scalar("honorific")),
                                    ("suffix", nodes.scalar("name_suffix")))))
    entries.append(("match_keys", nodes.mapping(("first", nodes.scalar("first_key")), ("last", nodes.scalar("last_key")),
                                          ("first_canonical", nodes.scalar("first_canon_key")))))
    let node = ConfigNode(.mapping(entries.map { ConfigEntry(key: $0.0, keyLocation: nodes.at(1), value: $0.1) }), at: nodes.at(1))
    let (transform, diagnostics) = make(node, scope: &scope)
    #expect(diagnostics.isEmpty, "\(diagnostics)")
    return (try #require(transform), scope)
}

struct NameCase: Sendable, CustomTestStringConvertible {
    var input: String?
    var pattern: String?
    var prefix: String?
    var first: String?
    var middle: String?
    var last: String?
    var suffix: String?
    var firstKey: String?
    var lastKey: String?
    var canonical: String?
    var changed: Bool
    var lossy: Bool
    /// How the name is split: `last_first` or `first_last`.
    var splitAs: String
    var testDescription: String { (input ?? "NULL").debugDescription + (pattern.map { " as \($0)" } ?? "") }

    init(_ input: String?, _ pattern: String? = nil, prefix: String? = nil, first: String? = nil, middle: String? = nil,
         last: String? = nil, suffix: String? = nil, keys: (String?, String?) = (nil, nil), canonical: String? = "=",
         changed: Bool = false, lossy: Bool = false, splitAs: String? = nil) {
        self.input = input
        self.pattern = pattern
        self.prefix = prefix
        self.first = first
        self.middle = middle
        self.last = last
        self.suffix = suffix
        self.firstKey = keys.0
        self.lastKey = keys.1
        // "=" : the canonical key is the plain first key (not a known nickname).
        self.canonical = canonical == "=" ? keys.0 : canonical
        self.changed = changed
        self.lossy = lossy
        self.splitAs = splitAs ?? (pattern == "FIRST LAST" ? "first_last"
            : pattern == "LAST, FIRST" || (input ?? "").contains(",") ? "last_first" : "first_last")
    }
}

@Suite("Name")
struct NameTests {

    static let cases: [NameCase] = [
        // All-caps Latin-1, LAST, FIRST.
        NameCase("MÜLLER, JOSÉ", first: "José", last: "Müller", keys: ("jose", "muller"), changed: true),
        NameCase("NUÑEZ, ÁNGEL", first: "Ángel", last: "Nuñez", keys: ("angel", "nunez"), changed: true),
        NameCase("SCHRÖDER, JÜRGEN", first: "Jürgen", last: "Schröder", keys: ("jurgen", "schroder"), changed: true),
        NameCase("ÅNGSTRÖM, ANDERS", first: "Anders", last: "Ångström", keys: ("anders", "angstrom"), changed: true),
        NameCase("ZOË SALDAÑA", first: "Zoë", last: "Saldaña", keys: ("zoe", "saldana"), changed: true),
        NameCase("NGUYỄN, VĂN AN", first: "Văn", middle: "An", last: "Nguyễn", keys: ("van", "nguyen"), changed: true),
        // NFD input becomes NFC.
        NameCase("Jose\u{301} Garci\u{301}a", first: "Jos\u{E9}", last: "Garc\u{ED}a", keys: ("jose", "garcia"), changed: true),
        NameCase("MU\u{308}LLER, JOSE\u{301}", first: "Jos\u{E9}", last: "M\u{FC}ller", keys: ("jose", "muller"), changed: true),
        NameCase("A\u{30A}sa Lindstro\u{308}m", first: "\u{C5}sa", last: "Lindstr\u{F6}m", keys: ("asa", "lindstrom"), changed: true),
        // Apostrophes, Mc, hyphens, particles.
        NameCase("O'BRIEN, PATRICK", first: "Patrick", last: "O'Brien", keys: ("patrick", "obrien"), changed: true),
        NameCase("patrick o\u{2019}brien", first: "Patrick", last: "O'Brien", keys: ("patrick", "obrien"), changed: true),
        NameCase("Steve O`Malley", first: "Steve", last: "O'Malley", keys: ("steve", "omalley"), canonical: "steven", changed: true),
        NameCase("Sin\u{E9}ad O\u{2BC}Connor", first: "Sinéad", last: "O'Connor", keys: ("sinead", "oconnor"), changed: true),
        NameCase("d'angelo, maria", first: "Maria", last: "D'Angelo", keys: ("maria", "dangelo"), changed: true),
        NameCase("ka'ahumanu, elizabeth", first: "Elizabeth", last: "Ka'ahumanu", keys: ("elizabeth", "kaahumanu"), changed: true),
        NameCase("MCDONALD, RONALD", first: "Ronald", last: "McDonald", keys: ("ronald", "mcdonald"), changed: true),
        NameCase("ronald mcdonald", first: "Ronald", last: "McDonald", keys: ("ronald", "mcdonald"), changed: true),
        NameCase("DeShawn McAllister", first: "DeShawn", last: "McAllister", keys: ("deshawn", "mcallister")),
        NameCase("MacArthur, Douglas", first: "Douglas", last: "MacArthur", keys: ("douglas", "macarthur")),
        NameCase("anne-marie dubois", first: "Anne-Marie", last: "Dubois", keys: ("annemarie", "dubois"), changed: true),
        NameCase("mary-kate o'neil", first: "Mary-Kate", last: "O'Neil", keys: ("marykate", "oneil"), changed: true),
        NameCase("Anna van der Berg", first: "Anna", last: "van der Berg", keys: ("anna", "vanderberg")),
        NameCase("VAN DER BERG, ANNA", first: "Anna", last: "van der Berg", keys: ("anna", "vanderberg"), changed: true),
        NameCase("Ludwig van Beethoven", first: "Ludwig", last: "van Beethoven", keys: ("ludwig", "vanbeethoven")),
        NameCase("maría de la cruz", first: "María", last: "de la Cruz", keys: ("maria", "delacruz"), changed: true),
        // Honorifics, suffixes, middle names and initials.
        NameCase("Robert J. Smith", first: "Robert", middle: "J", last: "Smith", keys: ("robert", "smith"), changed: true),
        NameCase("SMITH, ROBERT J", first: "Robert", middle: "J", last: "Smith", keys: ("robert", "smith"), changed: true),
        NameCase("J. Robert Oppenheimer", first: "J", middle: "Robert", last: "Oppenheimer", keys: ("j", "oppenheimer"), changed: true),
        NameCase("OPPENHEIMER, J. ROBERT", first: "J", middle: "Robert", last: "Oppenheimer", keys: ("j", "oppenheimer"), changed: true),
        NameCase("Dr. Jane Doe", prefix: "Dr", first: "Jane", last: "Doe", keys: ("jane", "doe"), changed: true),
        NameCase("MRS MARGARET THATCHER", prefix: "Mrs", first: "Margaret", last: "Thatcher", keys: ("margaret", "thatcher"), changed: true),
        NameCase("Ms. Jennifer K. Lopez", prefix: "Ms", first: "Jennifer", middle: "K", last: "Lopez", keys: ("jennifer", "lopez"), changed: true),
        NameCase("Prof Jane Goodall PhD", prefix: "Prof", first: "Jane", last: "Goodall", suffix: "PhD", keys: ("jane", "goodall")),
        NameCase("Dr Smith", prefix: "Dr", last: "Smith", keys: (nil, "smith")),
        NameCase("Martin Luther King Jr.", first: "Martin", middle: "Luther", last: "King", suffix: "Jr", keys: ("martin", "king"), changed: true),
        NameCase("KING, MARTIN LUTHER, JR", first: "Martin", middle: "Luther", last: "King", suffix: "Jr", keys: ("martin", "king"), changed: true),
        NameCase("BROWN JR, JAMES", first: "James", last: "Brown", suffix: "Jr", keys: ("james", "brown"), changed: true),
        NameCase("John Smith III", first: "John", last: "Smith", suffix: "III", keys: ("john", "smith")),
        NameCase("Gregory House, MD", first: "Gregory", last: "House", suffix: "MD", keys: ("gregory", "house"), splitAs: "first_last"),
        NameCase("Sammy Davis Jr", first: "Sammy", last: "Davis", suffix: "Jr", keys: ("sammy", "davis"), canonical: "samuel"),
        NameCase("DR. HENRY JEKYLL SR., M.D.", prefix: "Dr", first: "Henry", last: "Jekyll", suffix: "Sr MD", keys: ("henry", "jekyll"), changed: true, splitAs: "first_last"),
        // White space.
        NameCase("  Mary    Smith  ", first: "Mary", last: "Smith", keys: ("mary", "smith"), changed: true),
        NameCase("Jim\tBeam", first: "Jim", last: "Beam", keys: ("jim", "beam"), canonical: "james", changed: true),
        NameCase("Ana\u{A0}Lima", first: "Ana", last: "Lima", keys: ("ana", "lima"), changed: true),
        // Letters without decomposition in keys.
        NameCase("Łukasz Kowalski", first: "Łukasz", last: "Kowalski", keys: ("lukasz", "kowalski")),
        NameCase("Johann Strauß", first: "Johann", last: "Strauß", keys: ("johann", "strauss")),
        NameCase("Søren Kierkegaard", first: "Søren", last: "Kierkegaard", keys: ("soren", "kierkegaard")),
        NameCase("Björk Guðmundsdóttir", first: "Björk", last: "Guðmundsdóttir", keys: ("bjork", "gudmundsdottir")),
        // Lost characters: display kept, key NULL for the part that lost one.
        NameCase("M?LLER, J?RGEN", first: "J?rgen", last: "M?ller", keys: (nil, nil), canonical: nil, changed: true, lossy: true),
        NameCase("M\u{FFFD}LLER, ANNA", first: "Anna", last: "M\u{FFFD}ller", keys: ("anna", nil), changed: true, lossy: true),
        NameCase("Jos? Garcia", first: "Jos?", last: "Garcia", keys: (nil, "garcia"), canonical: nil, lossy: true),
        // Nicknames.
        NameCase("Bob Jones", first: "Bob", last: "Jones", keys: ("bob", "jones"), canonical: "robert"),
        NameCase("BILL GATES", first: "Bill", last: "Gates", keys: ("bill", "gates"), canonical: "william", changed: true),
        NameCase("Alex Turner", first: "Alex", last: "Turner", keys: ("alex", "turner"), canonical: "alexander"),
        NameCase("liz taylor", first: "Liz", last: "Taylor", keys: ("liz", "taylor"), canonical: "elizabeth", changed: true),
        NameCase("Peggy Sue", first: "Peggy", last: "Sue", keys: ("peggy", "sue"), canonical: "margaret"),
        NameCase("CHRIS EVANS", first: "Chris", last: "Evans", keys: ("chris", "evans"), canonical: "christopher", changed: true),
        NameCase("Jenny Lopez", first: "Jenny", last: "Lopez", keys: ("jenny", "lopez"), canonical: "jennifer"),
        NameCase("Ted Danson", first: "Ted", last: "Danson", keys: ("ted", "danson"), canonical: "edward"),
        NameCase("Robert Smith", first: "Robert", last: "Smith", keys: ("robert", "smith")),
        // Explicit patterns, single words.
        NameCase("SMITH JOHN", "LAST, FIRST", first: "John", last: "Smith", keys: ("john", "smith"), changed: true),
        NameCase("VAN DYKE DICK", "LAST, FIRST", first: "Dick", last: "van Dyke", keys: ("dick", "vandyke"), canonical: "richard", changed: true),
        NameCase("Smith, John", "FIRST LAST", first: "Smith", last: "John", keys: ("smith", "john")),
        NameCase("Cher", first: "Cher", keys: ("cher", nil)),
        // Nothing there.
        NameCase(nil),
        NameCase("   "),
        NameCase(" , "),
    ]

    @Test(arguments: cases)
    func splitsAndStandardizes(_ c: NameCase) throws {
        let (transform, scope) = try splitTransform(pattern: c.pattern)
        var b = batch(["1"], [c.input])
        var counters = TransformCounters()
        #expect(transform.apply(to: &b, counters: &counters) == 0)
        func out(_ name: String) -> String? { b.columns[scope.column(of: name)!].string(0) }
        #expect(exact(out("honorific")) == exact(c.prefix), "prefix \(out("honorific") ?? "NULL")")
        #expect(exact(out("first_name")) == exact(c.first), "first \(out("first_name") ?? "NULL")")
        #expect(exact(out("middle_name")) == exact(c.middle), "middle \(out("middle_name") ?? "NULL")")
        #expect(exact(out("last_name")) == exact(c.last), "last \(out("last_name") ?? "NULL")")
        #expect(exact(out("name_suffix")) == exact(c.suffix), "suffix \(out("name_suffix") ?? "NULL")")
        #expect(out("first_key") == c.firstKey)
        #expect(out("last_key") == c.lastKey)
        #expect(out("first_canon_key") == c.canonical)
        // The source is left as it was.
        #expect(exact(b.columns[1].string(0)) == exact(c.input))
        let empty = c.first == nil && c.last == nil
        #expect(counters.values["name.empty"] == (empty ? 1 : nil))
        #expect(counters.values["name.changed"] == (c.changed ? 1 : nil))
        #expect(counters.values["name.lossy"] == (c.lossy ? 1 : nil))
        let splits = counters.values.filter { $0.key.hasPrefix("name.split.") }
        #expect(splits == (empty ? [:] : ["name.split.\(c.splitAs)": 1]))
    }

    @Test func countersOverABatch() throws {
        let (transform, scope) = try splitTransform()
        var b = batch(["1", "2", "3", "4", "5", "6"],
                      ["SMITH, JOHN", "Jane Doe", nil, "M?LLER, ANNA", "Anna Berg", "  "])
        var counters = TransformCounters()
        _ = transform.apply(to: &b, counters: &counters)
        #expect(counters.values == ["name.changed": 2, "name.split.last_first": 2, "name.split.first_last": 2,
                                    "name.lossy": 1, "name.empty": 2])
        #expect(b.columns.count == 10)
        #expect((0..<6).map { b.columns[scope.column(of: "last_name")!].string($0) }
                == ["Smith", "Doe", nil, "M?ller", "Berg", nil])
        #expect(b.lines == Array(10..<16))
        #expect(scope.names == ["id", "full_name", "first_name", "middle_name", "last_name", "honorific", "name_suffix",
                                "first_key", "last_key", "first_canon_key"])
    }

    // MARK: - Separate fields, in place

    struct InPlaceCase: Sendable, CustomTestStringConvertible {
        var first: String?
        var last: String?
        var expectedFirst: String?
        var expectedLast: String?
        var firstKey: String?
        var lastKey: String?
        var canonical: String?
        var testDescription: String { "\(first ?? "NULL") / \(last ?? "NULL")" }
    }

    static let inPlaceCases: [InPlaceCase] = [
        InPlaceCase(first: "JOSÉ", last: "MÜLLER", expectedFirst: "José", expectedLast: "Müller",
                    firstKey: "jose", lastKey: "muller", canonical: "jose"),
        InPlaceCase(first: "anna", last: "van der berg", expectedFirst: "Anna", expectedLast: "van der Berg",
                    firstKey: "anna", lastKey: "vanderberg", canonical: "anna"),
        InPlaceCase(first: "Bill", last: "O’Reilly", expectedFirst: "Bill", expectedLast: "O'Reilly",
                    firstKey: "bill", lastKey: "oreilly", canonical: "william"),
        InPlaceCase(first: " mary  ann ", last: "MCCARTHY", expectedFirst: "Mary Ann", expectedLast: "McCarthy",
                    firstKey: "maryann", lastKey: "mccarthy", canonical: "maryann"),
        InPlaceCase(first: nil, last: "SCHRÖDER", expectedFirst: nil, expectedLast: "Schröder",
                    firstKey: nil, lastKey: "schroder", canonical: nil),
        InPlaceCase(first: "  ", last: "N?Ñez", expectedFirst: nil, expectedLast: "N?Ñez",
                    firstKey: nil, lastKey: nil, canonical: nil),
    ]

    @Test(arguments: inPlaceCases)
    func standardizesSeparateFieldsInPlace(_ c: InPlaceCase) throws {
        var scope = FieldScope(fields: ["given", "family"])
        let node = nodes.mapping(("first", nodes.scalar("given")), ("last", nodes.scalar("family")),
                           ("match_keys", nodes.mapping(("first", nodes.scalar("fk")), ("last", nodes.scalar("lk")),
                                                  ("first_canonical", nodes.scalar("ck")))))
        let (transform, diagnostics) = make(node, scope: &scope)
        #expect(diagnostics.isEmpty)
        var b = batch([c.first], [c.last])
        _ = try #require(transform).apply(to: &b)
        #expect(exact(b.columns[0].string(0)) == exact(c.expectedFirst))
        #expect(exact(b.columns[1].string(0)) == exact(c.expectedLast))
        #expect(b.columns[scope.column(of: "fk")!].string(0) == c.firstKey)
        #expect(b.columns[scope.column(of: "lk")!].string(0) == c.lastKey)
        #expect(b.columns[scope.column(of: "ck")!].string(0) == c.canonical)
    }

    @Test func aSuffixInTheSurnameIsKeptOutOfItsKey() throws {
        // `Johnson Jr` in a last-name field: key johnson, suffix jr; split from a full name, the
        // split's suffix. A Jr and a Sr of one name are told apart by it, not by a different key.
        var scope = FieldScope(fields: ["given", "family"])
        let node = nodes.mapping(("first", nodes.scalar("given")), ("last", nodes.scalar("family")),
                           ("match_keys", nodes.mapping(("last", nodes.scalar("lk")), ("suffix", nodes.scalar("sk")))))
        let transform = try #require(make(node, scope: &scope).transform)
        var b = batch(["Robert", "ROBERT", "Ann", "Li"], ["Johnson Jr", "JOHNSON SR.", "Smith", "Jr"])
        _ = transform.apply(to: &b)
        let lk = scope.column(of: "lk")!, sk = scope.column(of: "sk")!
        #expect((0..<4).map { b.columns[lk].string($0) } == ["johnson", "johnson", "smith", "jr"])
        #expect((0..<4).map { b.columns[sk].string($0) } == ["jr", "sr", nil, nil])
        #expect(b.columns[1].string(0) == "Johnson Jr")   // the field itself keeps its suffix

        var splitScope = FieldScope(fields: ["full"])
        let split = try #require(make(nodes.mapping(("field", nodes.scalar("full")), ("into", nodes.mapping(("last", nodes.scalar("last")))),
                                              ("match_keys", nodes.mapping(("last", nodes.scalar("lk")), ("suffix", nodes.scalar("sk"))))),
                                      scope: &splitScope).transform)
        var c = batch(["MURPHY SR, DANIEL", "Daniel Murphy"])
        _ = split.apply(to: &c)
        #expect((0..<2).map { c.columns[splitScope.column(of: "lk")!].string($0) } == ["murphy", "murphy"])
        #expect((0..<2).map { c.columns[splitScope.column(of: "sk")!].string($0) } == ["sr", nil])
    }

    @Test func inPlaceCounters() throws {
        var scope = FieldScope(fields: ["given", "family"])
        let transform = try #require(make(nodes.mapping(("first", nodes.scalar("given")), ("last", nodes.scalar("family"))), scope: &scope).transform)
        var b = batch(["ANNA", "Anna", nil, "J?rg"], ["SMITH", "Smith", nil, "Meier"])
        var counters = TransformCounters()
        _ = transform.apply(to: &b, counters: &counters)
        #expect(counters.values == ["name.changed": 1, "name.empty": 1, "name.lossy": 1])
        #expect(b.columns.count == 2)
        #expect((0..<4).map { b.columns[0].string($0) } == ["Anna", "Anna", nil, "J?rg"])
    }

    // MARK: - Keys and nicknames

    static let keyCases: [(String, String?)] = [
        ("José", "jose"), ("Jose\u{301}", "jose"), ("Müller", "muller"), ("Ångström", "angstrom"),
        ("Łukasz", "lukasz"), ("Strauß", "strauss"), ("O'Brien", "obrien"), ("van der Berg", "vanderberg"),
        ("Anne-Marie", "annemarie"), ("ØYVIND", "oyvind"), ("Æthelred", "aethelred"), ("'-. ", nil),
    ]

    @Test(arguments: keyCases)
    func matchKeys(_ input: String, _ expected: String?) {
        #expect(NameKey.key(input) == expected)
    }

    static let nicknameCases: [(String, [String])] = [
        ("bob", ["robert"]), ("bill", ["william"]), ("will", ["william"]), ("liz", ["elizabeth"]),
        ("beth", ["elizabeth"]), ("betty", ["elizabeth"]), ("peggy", ["margaret"]), ("jim", ["james"]),
        ("jimmy", ["james"]), ("kate", ["katherine"]), ("katie", ["katherine"]), ("mike", ["michael"]),
        ("jen", ["jennifer"]), ("jenny", ["jennifer"]), ("rick", ["richard"]), ("dick", ["richard"]),
        ("sue", ["susan"]), ("tom", ["thomas"]), ("tony", ["anthony"]), ("dave", ["david"]), ("dan", ["daniel"]),
        ("joe", ["joseph"]), ("alex", ["alexander", "alexandra"]), ("sam", ["samuel", "samantha"]),
        ("nick", ["nicholas"]), ("matt", ["matthew"]), ("pat", ["patrick", "patricia"]),
        ("steve", ["steven", "stephen"]), ("ed", ["edward", "edwin", "edmund"]), ("ted", ["edward", "theodore"]),
        ("chris", ["christopher", "christine", "christina"]), ("robert", []), ("zzz", []),
    ]

    @Test(arguments: nicknameCases)
    func nicknameTable(_ key: String, _ canonical: [String]) {
        #expect(Nicknames.shared.canonical(forKey: key) == canonical)
    }

    @Test func nicknameTableIsTheShippedResource() {
        let table = Nicknames.shared
        #expect(table.loadError == nil)
        #expect(table.pairCount >= 150)
        #expect(table.canonicalNames(for: "ALEX") == ["Alexander", "Alexandra"])
        #expect(table.canonicalNames(for: "Bob") == ["Robert"])
        #expect(table.primaryKey(forKey: "robert") == "robert")
        let custom = Nicknames(csv: "nickname,canonical\n# comment\nBo,Robert\n\nBo,Bob\nBo,Robert\nbad line\n")
        #expect(custom.canonical(forKey: "bo") == ["robert", "bob"])
        #expect(custom.pairCount == 2)
    }

    // MARK: - Configuration errors

    @Test func unknownFieldIsReportedAtItsPosition() {
        var scope = FieldScope(fields: ["full_name"])
        let node = nodes.mapping(("field", nodes.scalar("fullname", line: 7, column: 15)),
                           ("into", nodes.mapping(("first", nodes.scalar("first_name")))))
        let (transform, diagnostics) = make(node, scope: &scope)
        #expect(transform == nil)
        #expect(diagnostics.map(\.code.rawValue) == ["TR201"])
        #expect(diagnostics.first?.location == nodes.at(7, 15))
        #expect(diagnostics.first?.hint == "did you mean 'full_name'?")
        #expect(scope.names == ["full_name"], "nothing is added after an error")

        var separate = FieldScope(fields: ["given", "family"])
        let inPlace = make(nodes.mapping(("first", nodes.scalar("given")), ("last", nodes.scalar("surname", line: 4, column: 9))), scope: &separate)
        #expect(inPlace.transform == nil)
        #expect(inPlace.diagnostics.map(\.code) == [.unknownField])
        #expect(inPlace.diagnostics.first?.location == nodes.at(4, 9))
    }

    @Test func conflictingAndMissingKeys() {
        var scope = FieldScope(fields: ["full_name", "given", "first_name"])
        let both = make(nodes.mapping(("field", nodes.scalar("full_name")), ("first", nodes.scalar("given", line: 3, column: 5))), scope: &scope)
        #expect(both.transform == nil)
        #expect(both.diagnostics.map(\.code) == [.invalidValue])
        #expect(both.diagnostics.first?.location == nodes.at(3, 5))

        let neither = make(nodes.mapping(("pattern", nodes.scalar("auto")), line: 2), scope: &scope)
        #expect(neither.diagnostics.map(\.code) == [.missingKey])
        #expect(neither.diagnostics.first?.location == nodes.at(2))

        let noOutputs = make(nodes.mapping(("field", nodes.scalar("full_name", line: 6, column: 3))), scope: &scope)
        #expect(noOutputs.diagnostics.map(\.code) == [.missingKey])
        #expect(noOutputs.diagnostics.first?.location == nodes.at(6, 3))

        let intoInPlace = make(nodes.mapping(("first", nodes.scalar("given")), ("into", nodes.mapping(("first", nodes.scalar("x")), line: 9))), scope: &scope)
        #expect(intoInPlace.diagnostics.map(\.code) == [.invalidValue])

        let existing = make(nodes.mapping(("field", nodes.scalar("full_name")),
                                    ("into", nodes.mapping(("first", nodes.scalar("first_name", line: 5, column: 20))))), scope: &scope)
        #expect(existing.transform == nil)
        #expect(existing.diagnostics.map(\.code.rawValue) == ["TR202"])
        #expect(existing.diagnostics.first?.location == nodes.at(5, 20))

        let twice = make(nodes.mapping(("field", nodes.scalar("full_name")), ("into", nodes.mapping(("first", nodes.scalar("fn")))),
                                 ("match_keys", nodes.mapping(("first", nodes.scalar("fn", line: 8, column: 2))))), scope: &scope)
        #expect(twice.diagnostics.map(\.code) == [.duplicateField])
        #expect(twice.diagnostics.first?.location == nodes.at(8, 2))
    }
}
