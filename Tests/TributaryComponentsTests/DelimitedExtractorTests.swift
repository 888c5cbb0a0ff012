import Foundation
import Testing
@testable import TributaryComponents
import TributaryCore
import TributaryTestSupport

// Every expected value below is written by hand next to the input it comes from. Non-ASCII text is
// spelled out as bytes: the input in its encoding (e.g. ISO-8859-1 0xDC for Ü) and the expected
// output in UTF-8 (0xC3 0x9C). Physical lines are numbered from 1 at the top of the file.

/// Piece sizes the plan is cut into: one line per piece, a few lines, the whole file.
let dumpPieceSizes = [1, 64, 1 << 20]

@Suite("Delimited extractor")
struct DelimitedExtractorTests {
    static let posHeader = "TXN_ID|STORE_ID|CUSTOMER_NAME|QTY"

    func posExtractor(encoding: TextEncoding = .latin1) -> DelimitedExtractor {
        DelimitedExtractor(fields: [.init(name: "txn_id", columns: ["TXN_ID"]), .init(name: "store_id", columns: ["STORE_ID"]),
                                    .init(name: "customer_name", columns: ["CUSTOMER_NAME"]), .init(name: "qty", columns: ["QTY"])],
                           delimiter: UInt8(ascii: "|"), encoding: encoding)
    }

    // "MÜLLER, JOSÉ", "NUÑEZ, ÁNGEL" and "STRAßE" in ISO-8859-1 and in UTF-8.
    static let mullerLatin1 = ascii("M") + [0xDC] + ascii("LLER, JOS") + [0xC9]
    static let mullerUTF8: [UInt8] = [0x4D, 0xC3, 0x9C, 0x4C, 0x4C, 0x45, 0x52, 0x2C, 0x20, 0x4A, 0x4F, 0x53, 0xC3, 0x89]
    static let nunezLatin1 = ascii("NU") + [0xD1] + ascii("EZ, ") + [0xC1] + ascii("NGEL")
    static let nunezUTF8: [UInt8] = [0x4E, 0x55, 0xC3, 0x91, 0x45, 0x5A, 0x2C, 0x20, 0xC3, 0x81, 0x4E, 0x47, 0x45, 0x4C]
    static let strasseLatin1 = ascii("STRA") + [0xDF] + ascii("E")
    static let strasseUTF8: [UInt8] = [0x53, 0x54, 0x52, 0x41, 0xC3, 0x9F, 0x45]

    /// Lines 1-8: header, two items, a blank line, the header again (a catch-up batch), a sale,
    /// a row with five fields, a row with an empty name.
    static var posFile: [UInt8] {
        var file = ascii(posHeader + "\n")
        file += ascii("T100|S01|") + mullerLatin1 + ascii("|2\n")
        file += ascii("T100|S01|") + mullerLatin1 + ascii("|-1\n")
        file += ascii("\n")
        file += ascii(posHeader + "\n")
        file += ascii("T101|S02|") + nunezLatin1 + ascii("|1\n")
        file += ascii("T102|S02|") + strasseLatin1 + ascii("|3|EXTRA\n")
        file += ascii("T103|S03||4\n")
        return file
    }

    // MARK: - Mapping, encodings, repeated headers

    @Test(arguments: dumpPieceSizes)
    func pipeDelimitedLatin1WithRepeatedHeader(pieceSize: Int) {
        let result = runDump(posExtractor(), Self.posFile, pieceSize: pieceSize)
        #expect(result.rows == [
            ["T100", "S01", text(Self.mullerUTF8), "2"],
            ["T100", "S01", text(Self.mullerUTF8), "-1"],
            ["T101", "S02", text(Self.nunezUTF8), "1"],
            ["T103", "S03", nil, "4"],
        ])
        #expect(result.lines == [2, 3, 6, 8])
        #expect(result.raws == [
            ascii("T100|S01|") + Self.mullerUTF8 + ascii("|2"),
            ascii("T100|S01|") + Self.mullerUTF8 + ascii("|-1"),
            ascii("T101|S02|") + Self.nunezUTF8 + ascii("|1"),
            ascii("T103|S03||4"),
        ])
        #expect(result.rejected == [DumpRejection(7, .wrongFieldCount, ascii("T102|S02|") + Self.strasseUTF8 + ascii("|3|EXTRA"))])
        #expect(result.details == ["expected 4 fields, found 5"])
        #expect(result.counts == dumpCounts(physical: 8, header: 2, blank: 1, recordLines: 5, records: 5, loaded: 4, quarantined: 1))
    }

    @Test func columnBytesAreUTF8() throws {
        let result = runDump(posExtractor(), Self.posFile)
        #expect(result.columnBytes[2].first == Self.mullerUTF8)
        #expect(result.columnBytes[2].dropFirst(2).first == Self.nunezUTF8)
    }

    @Test(arguments: dumpPieceSizes)
    func resultsDoNotDependOnThePieceSize(pieceSize: Int) {
        var file = Self.posFile
        for i in 0..<40 {  // enough lines for many pieces, with headers and bad rows among them
            file += ascii("T\(200 + i)|S0\(i % 3)|") + Self.nunezLatin1 + ascii("|\(i)\n")
            if i % 9 == 4 { file += ascii(Self.posHeader + "\n") }
            if i % 13 == 6 { file += ascii("T\(200 + i)|bad\n\n") }
        }
        let whole = runDump(posExtractor(), file, pieceSize: 1 << 20)
        let cut = runDump(posExtractor(), file, pieceSize: pieceSize)
        #expect(cut.content == whole.content)
        #expect(whole.pieces == 1)
        if pieceSize == 1 { #expect(cut.pieces == whole.counts.physicalLines - 1) }  // one per line after the header
        // 8 lines of posFile, 40 rows, 4 repeated headers, 3 two-field rows each followed by a blank line.
        #expect(whole.counts == dumpCounts(physical: 8 + 40 + 4 + 6, header: 2 + 4, blank: 1 + 3, recordLines: 5 + 40 + 3,
                                           records: 48, loaded: 44, quarantined: 4))
    }

    @Test func crlfAndLFGiveTheSameRecords() {
        let lf = runDump(posExtractor(), Self.posFile)
        var crlf: [UInt8] = []
        for b in Self.posFile { if b == 0x0A { crlf.append(0x0D) }; crlf.append(b) }
        let result = runDump(posExtractor(), crlf)
        #expect(result.rows == lf.rows)
        #expect(result.lines == lf.lines)
        #expect(result.raws == lf.raws)  // the raw text excludes the line end
        #expect(result.rejected == lf.rejected)
        #expect(result.counts == lf.counts)
    }

    @Test func aRepeatedHeaderMatchesWhateverItsLineEnd() {
        // The header ends in CRLF, its repetition on line 3 in LF; line 5 has a trailing space.
        let extractor = DelimitedExtractor(fields: [.init(name: "a", columns: ["A"])], delimiter: UInt8(ascii: "|"))
        let result = runDump(extractor, ascii("A|B\r\n1|x\nA|B\n2|y\r\nA|B \n"))
        #expect(result.rows == [["1"], ["2"], ["A"]])
        #expect(result.lines == [2, 4, 5])
        #expect(result.counts == dumpCounts(physical: 5, header: 2, recordLines: 3, records: 3, loaded: 3))
    }

    @Test func lastLineWithoutLineFeed() {
        let file = ascii("A|B\n1|x\n2|y")
        let extractor = DelimitedExtractor(fields: [.init(name: "a", columns: ["A"]), .init(name: "b", columns: ["B"])],
                                           delimiter: UInt8(ascii: "|"))
        let result = runDump(extractor, file)
        #expect(result.rows == [["1", "x"], ["2", "y"]])
        #expect(result.counts == dumpCounts(physical: 3, header: 1, recordLines: 2, records: 2, loaded: 2))
    }

    @Test func headerOnlyAndEmptyFiles() {
        let headerOnly = runDump(posExtractor(), ascii("\n" + Self.posHeader + "\n\n"))
        #expect(headerOnly.rows.isEmpty)
        #expect(headerOnly.counts == dumpCounts(physical: 3, header: 1, blank: 2, recordLines: 0, records: 0, loaded: 0))
        let empty = runDump(posExtractor(), [])
        #expect(empty.counts == RowCounts())
    }

    @Test func columnsAreMappedByNameIgnoringCaseAndSpaces() {
        let extractor = DelimitedExtractor(fields: [.init(name: "qty", columns: ["qty"]), .init(name: "sku", columns: ["Sku"])],
                                           delimiter: UInt8(ascii: ";"))
        let result = runDump(extractor, ascii(" SKU ;Note;QTY\nA-1;x;2\n"))
        #expect(result.rows == [["2", "A-1"]])
    }

    @Test func missingColumnQuarantinesEveryRecord() {
        let extractor = DelimitedExtractor(fields: [.init(name: "txn_id", columns: ["TXN_ID"]), .init(name: "sku", columns: ["SKU"])],
                                           delimiter: UInt8(ascii: "|"))
        let result = runDump(extractor, ascii("TXN_ID|QTY\nT1|2\nT2|3\n"))
        #expect(result.rows.isEmpty)
        #expect(result.rejected == [DumpRejection(2, .missingColumn, ascii("T1|2")), DumpRejection(3, .missingColumn, ascii("T2|3"))])
        #expect(result.details == ["the file's header has no column 'SKU'", "the file's header has no column 'SKU'"])
        #expect(result.counts == dumpCounts(physical: 3, header: 1, recordLines: 2, records: 2, loaded: 0, quarantined: 2))
    }

    @Test func coalescedColumnsTakeTheFirstNonEmpty() {
        let extractor = DelimitedExtractor(fields: [.init(name: "card", columns: ["LOYALTY_CARD", "CARD_ALT"])],
                                           delimiter: UInt8(ascii: "|"))
        let result = runDump(extractor, ascii("CARD_ALT|LOYALTY_CARD\nA1|L1\nA2|\n|\n"))
        #expect(result.rows == [["L1"], ["A2"], [nil]])
    }

    // MARK: - Explicit columns, tabs, quoting

    @Test(arguments: dumpPieceSizes)
    func explicitColumnsWithoutHeaderTabDelimited(pieceSize: Int) {
        let extractor = DelimitedExtractor(
            fields: [.init(name: "txn_id", columns: ["txn_id"]), .init(name: "sku", columns: ["sku"]), .init(name: "qty", columns: ["qty"])],
            delimiter: 0x09, header: false, columns: ["txn_id", "store_id", "sku", "qty"])
        // Line 3 is a record of four empty fields (tabs are the delimiter, so it is not blank);
        // line 4 is blank (spaces only); line 5 has three fields.
        let file = ascii("T1\tS1\tSKU-1\t2\nT2\tS1\tSKU-2\t1\n\t\t\t\n   \nT3\tS1\t5\n")
        let result = runDump(extractor, file, pieceSize: pieceSize)
        #expect(result.rows == [["T1", "SKU-1", "2"], ["T2", "SKU-2", "1"], [nil, nil, nil]])
        #expect(result.lines == [1, 2, 3])
        #expect(result.rejected == [DumpRejection(5, .wrongFieldCount, ascii("T3\tS1\t5"))])
        #expect(result.details == ["expected 4 fields, found 3"])
        #expect(result.counts == dumpCounts(physical: 5, header: 0, blank: 1, recordLines: 4, records: 4, loaded: 3, quarantined: 1))
    }

    @Test func explicitColumnsReplaceTheHeaderNamesAndTheHeaderStillRepeats() {
        let extractor = DelimitedExtractor(fields: [.init(name: "txn_id", columns: ["txn_id"]), .init(name: "qty", columns: ["qty"])],
                                           delimiter: UInt8(ascii: "|"), header: true, columns: ["txn_id", "qty"])
        let result = runDump(extractor, ascii("Transaktion|Menge\nT1|2\nTransaktion|Menge\nT2|3\n"))
        #expect(result.rows == [["T1", "2"], ["T2", "3"]])
        #expect(result.lines == [2, 4])
        #expect(result.counts == dumpCounts(physical: 4, header: 2, recordLines: 2, records: 2, loaded: 2))
    }

    @Test func quoteNoneKeepsQuotesAsText() {
        let extractor = DelimitedExtractor(fields: [.init(name: "sku", columns: ["SKU"]), .init(name: "description", columns: ["DESCRIPTION"])],
                                           delimiter: UInt8(ascii: "|"))
        let result = runDump(extractor, ascii("SKU|DESCRIPTION\nP-12|12\" PIZZA \"MARGHERITA\nP-13|\"\n"))
        #expect(result.rows == [["P-12", "12\" PIZZA \"MARGHERITA"], ["P-13", "\""]])
        #expect(result.rejected.isEmpty)
    }

    @Test(arguments: dumpPieceSizes)
    func quotedSemicolonFileWithLatin1AndRepeatedHeader(pieceSize: Int) {
        let extractor = DelimitedExtractor(fields: [.init(name: "id", columns: ["ID"]), .init(name: "note", columns: ["NOTE"])],
                                           delimiter: UInt8(ascii: ";"), quote: UInt8(ascii: "\""), encoding: .latin1)
        // Line 2: a quoted delimiter and an é (0xE9); lines 3-4: one record with a quoted line break;
        // line 5: the header again; line 6: a stray quote; line 7: a doubled quote.
        var file = ascii("ID;NOTE\n1;\"caf") + [0xE9] + ascii("; cr") + [0xE8] + ascii("me\"\n")
        file += ascii("2;\"two\nlines\"\nID;NOTE\n3;a\"b\n4;\"say \"\"hi\"\"\"\n")
        let result = runDump(extractor, file, pieceSize: pieceSize)
        let cafe: [UInt8] = [0x63, 0x61, 0x66, 0xC3, 0xA9, 0x3B, 0x20, 0x63, 0x72, 0xC3, 0xA8, 0x6D, 0x65]  // café; crème
        #expect(result.rows == [["1", text(cafe)], ["2", "two\nlines"], ["4", "say \"hi\""]])
        #expect(result.lines == [2, 3, 7])
        #expect(result.raws[0] == ascii("1;\"") + cafe + ascii("\""))
        #expect(result.raws[1] == ascii("2;\"two\nlines\""))
        #expect(result.rejected == [DumpRejection(6, .malformedQuotes, ascii("3;a\"b"))])
        #expect(result.counts == dumpCounts(physical: 7, header: 2, recordLines: 5, records: 4, loaded: 3, quarantined: 1))
    }

    @Test(arguments: dumpPieceSizes)
    func quotedModeUnterminatedQuote(pieceSize: Int) {
        let extractor = DelimitedExtractor(fields: [.init(name: "id", columns: ["ID"]), .init(name: "note", columns: ["NOTE"])],
                                           delimiter: UInt8(ascii: "|"), quote: UInt8(ascii: "\""), maxRecordLines: 3)
        // Line 3 opens a quote that is never closed: after 3 lines it is quarantined (its raw text
        // is its first line, as in `format: csv`) and parsing resumes on line 4.
        let result = runDump(extractor, ascii("ID|NOTE\n1|a\n2|\"open\n3|b\n4|c\n5|d\n"), pieceSize: pieceSize)
        #expect(result.rows == [["1", "a"], ["3", "b"], ["4", "c"], ["5", "d"]])
        #expect(result.lines == [2, 4, 5, 6])
        #expect(result.rejected == [DumpRejection(3, .unterminatedQuote, ascii("2|\"open"))])
        #expect(result.counts == dumpCounts(physical: 6, header: 1, recordLines: 5, records: 5, loaded: 4, quarantined: 1))
    }

    @Test func quotedModeRepeatedHeaderWithWrongFieldCountIsStillAHeader() {
        // The explicit columns (three) disagree with the file's header (two fields): every record has
        // the wrong field count, but the repeated header on line 3 is still a header line.
        let extractor = DelimitedExtractor(fields: [.init(name: "a", columns: ["a"])], delimiter: UInt8(ascii: ","),
                                           quote: UInt8(ascii: "\""), header: true, columns: ["a", "b", "c"])
        let result = runDump(extractor, ascii("A,B\n1,2\nA,B\n"))
        #expect(result.rejected == [DumpRejection(2, .wrongFieldCount, ascii("1,2"))])
        #expect(result.counts == dumpCounts(physical: 3, header: 2, recordLines: 1, records: 1, loaded: 0, quarantined: 1))
    }

    // MARK: - Windows-1252 and UTF-8

    @Test(arguments: dumpPieceSizes)
    func windows1252EuroSmartQuotesAndUndefinedBytes(pieceSize: Int) {
        let extractor = DelimitedExtractor(fields: [.init(name: "sku", columns: ["SKU"]), .init(name: "description", columns: ["DESC"])],
                                           delimiter: UInt8(ascii: "|"), encoding: .windows1252)
        // Line 2: “Gift card” – €25 (0x93 0x94 0x96 0x80); line 3: an undefined byte 0x81;
        // line 4: ‘Caf’é’ with 0x91 0x92 and é 0xE9; line 5: 0x9D, also undefined.
        var file = ascii("SKU|DESC\nG-25|") + [0x93] + ascii("Gift card") + [0x94, 0x20, 0x96, 0x20, 0x80] + ascii("25\n")
        file += ascii("X-1|bad") + [0x81] + ascii("byte\n")
        file += ascii("C-1|") + [0x91] + ascii("Caf") + [0xE9, 0x92] + ascii("\n")
        file += ascii("X-2|") + [0x9D] + ascii("\n")
        let result = runDump(extractor, file, pieceSize: pieceSize)
        let gift: [UInt8] = [0xE2, 0x80, 0x9C] + ascii("Gift card") + [0xE2, 0x80, 0x9D, 0x20, 0xE2, 0x80, 0x93, 0x20, 0xE2, 0x82, 0xAC] + ascii("25")
        let cafe: [UInt8] = [0xE2, 0x80, 0x98, 0x43, 0x61, 0x66, 0xC3, 0xA9, 0xE2, 0x80, 0x99]
        #expect(result.rows == [["G-25", text(gift)], ["C-1", text(cafe)]])
        #expect(result.lines == [2, 4])
        #expect(result.raws == [ascii("G-25|") + gift, ascii("C-1|") + cafe])
        // The quarantined raw text is UTF-8, with U+FFFD (EF BF BD) in place of the undefined byte.
        #expect(result.rejected == [
            DumpRejection(3, .invalidUTF8, ascii("X-1|bad") + [0xEF, 0xBF, 0xBD] + ascii("byte")),
            DumpRejection(5, .invalidUTF8, ascii("X-2|") + [0xEF, 0xBF, 0xBD]),
        ])
        #expect(result.details == [
            "byte 0x81 is not a character in windows-1252 (shown as U+FFFD at byte 8 of the record)",
            "byte 0x9D is not a character in windows-1252 (shown as U+FFFD at byte 5 of the record)",
        ])
        #expect(result.counts == dumpCounts(physical: 5, header: 1, recordLines: 4, records: 4, loaded: 2, quarantined: 2))
    }

    @Test func windows1252UndefinedByteInQuotedMode() {
        let extractor = DelimitedExtractor(fields: [.init(name: "a", columns: ["A"])], delimiter: UInt8(ascii: ";"),
                                           quote: UInt8(ascii: "\""), encoding: .windows1252)
        let file = ascii("A;B\n\"x") + [0x8D] + ascii("\";1\n\"ok\";2\n")
        let result = runDump(extractor, file)
        #expect(result.rows == [["ok"]])
        #expect(result.rejected == [DumpRejection(2, .invalidUTF8, ascii("\"x") + [0xEF, 0xBF, 0xBD] + ascii("\";1"))])
        #expect(result.counts == dumpCounts(physical: 3, header: 1, recordLines: 2, records: 2, loaded: 1, quarantined: 1))
    }

    @Test(arguments: dumpPieceSizes)
    func invalidUTF8IsQuarantinedAndTheBOMIgnored(pieceSize: Int) {
        let extractor = DelimitedExtractor(fields: [.init(name: "id", columns: ["ID"]), .init(name: "name", columns: ["NAME"])],
                                           delimiter: UInt8(ascii: "|"), encoding: .utf8)
        // Line 2: valid "Müller" (0xC3 0xBC); line 3: a Latin-1 ü (0xFC) in a UTF-8 file;
        // line 4: an unmapped column with a truncated sequence (0xE2 0x82) — the record is still rejected.
        var file: [UInt8] = [0xEF, 0xBB, 0xBF] + ascii("ID|NAME|NOTE\n1|M") + [0xC3, 0xBC] + ascii("ller|\n")
        file += ascii("2|M") + [0xFC] + ascii("ller|\n")
        file += ascii("3|Ann|") + [0xE2, 0x82] + ascii("\n")
        let result = runDump(extractor, file, pieceSize: pieceSize)
        #expect(result.rows == [["1", text([0x4D, 0xC3, 0xBC, 0x6C, 0x6C, 0x65, 0x72])]])
        #expect(result.rejected == [
            DumpRejection(3, .invalidUTF8, ascii("2|M") + [0xFC] + ascii("ller|")),
            DumpRejection(4, .invalidUTF8, ascii("3|Ann|") + [0xE2, 0x82]),
        ])
        #expect(result.details == [
            "invalid UTF-8 sequence starting with byte 0xFC at byte 4 of the record",
            "invalid UTF-8 sequence starting with byte 0xE2 at byte 7 of the record",
        ])
        #expect(result.counts == dumpCounts(physical: 4, header: 1, recordLines: 3, records: 3, loaded: 1, quarantined: 2))
    }

    @Test func latin1HeaderNamesAreDecoded() {
        // The header names "STRAßE" (0xDF) and "NR": mapped by their UTF-8 names.
        let extractor = DelimitedExtractor(fields: [.init(name: "street", columns: [text(Self.strasseUTF8)])],
                                           delimiter: UInt8(ascii: ";"), encoding: .latin1)
        let result = runDump(extractor, Self.strasseLatin1 + ascii(";NR\nHauptweg;1\n"))
        #expect(result.rows == [["Hauptweg"]])
    }

    // MARK: - The sample data

    @Test func sampleStoreSalesFileExtractsAsItsREADMESays() throws {
        let url = dumpSampleFolder().appendingPathComponent("store_sales_2024-06.txt")
        let file = try [UInt8](Data(contentsOf: url))
        let columns = ["TXN_ID", "STORE_ID", "TXN_TS", "LOYALTY_CARD", "CUSTOMER_NAME", "SKU", "QTY", "UNIT_PRICE", "AMOUNT_CENTS"]
        let extractor = DelimitedExtractor(fields: columns.map { .init(name: $0.lowercased(), columns: [$0]) },
                                           delimiter: UInt8(ascii: "|"), encoding: .latin1)
        for size in dumpPieceSizes {
            let result = runDump(extractor, file, pieceSize: size)
            // 23 lines: the header (1), the header again (17), 21 records; line 16 has 8 fields.
            #expect(result.counts == dumpCounts(physical: 23, header: 2, recordLines: 21, records: 21, loaded: 20, quarantined: 1))
            #expect(result.rejected.map(\.line) == [16])
            #expect(result.rejected.map(\.reason) == [.wrongFieldCount])
            #expect(result.details == ["expected 9 fields, found 8"])
            // "MÜLLER, JOSÉ" (line 4) and "NUÑEZ, ÁNGEL" (line 7) arrive as UTF-8.
            #expect(result.columnBytes[4][2] == Self.mullerUTF8)
            #expect(result.columnBytes[4][5] == Self.nunezUTF8)
            // The non-numeric quantity (line 15) and the return (line 12) pass extraction.
            #expect(result.rows[13][6] == "two")
            #expect(result.rows[10][6] == "-1")
            // Transaction 100007 (lines 13-14) is exported again on lines 18-19.
            #expect(result.rows.filter { $0[0] == "100007" }.count == 4)
        }
    }

    // MARK: - Configuration

    @Test func specExampleBuilds() {
        var diagnostics = DiagnosticBag()
        let source = configNode([
            ("format", .scalar("delimited")), ("delimiter", .scalar("tab")), ("encoding", .scalar("windows-1252")),
            ("header", .scalar("false")), ("columns", .sequence([.scalar("txn_id"), .scalar("qty")])),
            ("fields", .mapping([("txn_id", .scalar("txn_id")), ("qty", .mapping([("column", .scalar("qty")), ("type", .scalar("integer"))]))])),
        ])
        let extractor = DelimitedExtractor.make(source: source, diagnostics: &diagnostics) as? DelimitedExtractor
        #expect(diagnostics.items.isEmpty)
        #expect(extractor?.delimiter == 0x09)
        #expect(extractor?.quote == nil)
        #expect(extractor?.encoding == .windows1252)
        #expect(extractor?.columns == ["txn_id", "qty"])
        #expect(extractor?.fieldDefinitions.map(\.type) == [.string, .integer])
    }

    @Test func headerFalseNeedsColumnsAndColumnsCatchTypos() {
        var diagnostics = DiagnosticBag()
        let noColumns = configNode([
            ("delimiter", .scalar("|")), ("header", .scalar("false")), ("fields", .mapping([("a", .scalar("a"))])),
        ])
        #expect(DelimitedExtractor.make(source: noColumns, diagnostics: &diagnostics) == nil)
        #expect(diagnostics.items.map(\.code) == [.missingKey])

        diagnostics = DiagnosticBag()
        let typo = configNode([
            ("delimiter", .scalar("|")), ("header", .scalar("false")),
            ("columns", .sequence([.scalar("txn_id"), .scalar("store_id"), .scalar("txn_id")])),
            ("fields", .mapping([("store", .scalar("stor_id"))])),
        ])
        #expect(DelimitedExtractor.make(source: typo, diagnostics: &diagnostics) == nil)
        #expect(diagnostics.items.map(\.code) == [.duplicateField, .unknownField])
        #expect(diagnostics.items.last?.hint == "did you mean 'store_id'?")
    }

    @Test func quoteMustDifferFromTheDelimiter() {
        var diagnostics = DiagnosticBag()
        let source = configNode([("delimiter", .scalar("|")), ("quote", .scalar("|")), ("fields", .mapping([("a", .scalar("A"))]))])
        #expect(DelimitedExtractor.make(source: source, diagnostics: &diagnostics) == nil)
        #expect(diagnostics.items.map(\.code) == [.invalidValue])
    }
}

// MARK: - Harness shared with FixedWidthExtractorTests

/// A quarantined record as the tests compare it: its line, reason and raw bytes.
struct DumpRejection: Equatable, CustomStringConvertible {
    var line: Int
    var reason: QuarantineReason
    var raw: [UInt8]

    init(_ line: Int, _ reason: QuarantineReason, _ raw: [UInt8]) {
        self.line = line
        self.reason = reason
        self.raw = raw
    }

    var description: String { "\(line) \(reason.rawValue) \(String(decoding: raw, as: UTF8.self).debugDescription)" }
}

/// A reconciliation check as the tests compare it.
struct DumpCheck: Equatable, CustomStringConvertible {
    var line: Int
    var check: String
    var expected: String
    var actual: String

    init(_ line: Int, _ check: String, expected: String, actual: String) {
        self.line = line
        self.check = check
        self.expected = expected
        self.actual = actual
    }

    /// As `ReconciliationCheck.passed`.
    var passed: Bool { expected == actual }

    var description: String { "\(line) \(check): expected \(expected), actual \(actual)" }
}

/// Everything extracting one file produced, merged over its pieces in order.
struct DumpResult: Equatable {
    var rows: [[String?]] = []
    /// The bytes of every column's values (nil for NULL), by column.
    var columnBytes: [[[UInt8]?]] = []
    var lines: [Int] = []
    /// Each loaded record's raw text, read through `rawRanges` as the rules step will.
    var raws: [[UInt8]] = []
    var rejected: [DumpRejection] = []
    var details: [String] = []
    var checks: [DumpCheck] = []
    var counts = RowCounts()
    var pieces = 0
    /// Each piece's byte range.
    var ranges: [Range<Int>] = []

    /// The same result without the piece layout, to compare runs with different piece sizes.
    var content: DumpResult {
        var c = self
        c.pieces = 0
        c.ranges = []
        return c
    }
}

/// Plans `bytes` into pieces of `pieceSize` and extracts every piece, as the runtime does, checking
/// what must hold for any extractor (contiguous pieces, reconciled counts, one raw range per row).
/// `quarantinedLater`: the lines of records a later stage (field types, rules) quarantines; the
/// checks are settled without them, as the runtime does (the rows stay in the result).
func runDump(_ extractor: any Extractor, _ bytes: [UInt8], pieceSize: Int = 1 << 20, fileIndex: Int = 0,
             quarantinedLater: Set<Int> = [], sourceLocation: Testing.SourceLocation = #_sourceLocation) -> DumpResult {
    bytes.withUnsafeBytes { raw in
        let file = InputFile(index: fileIndex, source: "s", path: "memory.txt", size: raw.count)
        let fileBytes = FileBytes(raw)
        let pieces = extractor.plan(file, bytes: fileBytes, targetPieceSize: pieceSize)
        var result = DumpResult()
        result.pieces = pieces.count
        result.columnBytes = extractor.fieldDefinitions.map { _ in [] }
        var previousEnd: Int?
        for (i, piece) in pieces.enumerated() {
            #expect(piece.ordinal == i, sourceLocation: sourceLocation)
            if let previousEnd {
                #expect(piece.startOffset == previousEnd, "pieces must be contiguous", sourceLocation: sourceLocation)
            }
            previousEnd = piece.endOffset
            result.ranges.append(piece.startOffset..<piece.endOffset)
            var output = extractor.extract(piece, bytes: fileBytes)
            output.settleChecks(quarantinedLines: quarantinedLater)
            #expect(output.checks.allSatisfy { $0.tally == nil }, "settled checks keep no tally", sourceLocation: sourceLocation)
            let batch = output.batch
            #expect(batch.columns.count == extractor.fieldDefinitions.count, sourceLocation: sourceLocation)
            #expect(batch.rawRanges.count == batch.count, "one raw range per record", sourceLocation: sourceLocation)
            for row in 0..<batch.count {
                result.rows.append(batch.columns.map { $0.string(row) })
                for c in batch.columns.indices {
                    result.columnBytes[c].append(batch.columns[c].withValue(row) { $0.map(Array.init) })
                }
                result.raws.append(output.rawBytes(row: row))
            }
            result.lines += batch.lines
            result.rejected += output.quarantined.map { DumpRejection($0.line, $0.reason, $0.raw) }
            result.details += output.quarantined.map(\.detail)
            #expect(output.quarantined.allSatisfy { $0.fileIndex == fileIndex }, sourceLocation: sourceLocation)
            result.checks += output.checks.map { DumpCheck($0.line, $0.check, expected: $0.expected, actual: $0.actual) }
            #expect(output.checks.allSatisfy { $0.fileIndex == fileIndex }, sourceLocation: sourceLocation)
            #expect(output.counts.violations.isEmpty, "piece \(i): \(output.counts.violations)", sourceLocation: sourceLocation)
            #expect(output.counts.loaded == batch.count, sourceLocation: sourceLocation)
            #expect(output.counts.quarantined == output.quarantined.count, sourceLocation: sourceLocation)
            result.counts += output.counts
        }
        if let previousEnd { #expect(previousEnd == raw.count, "pieces must cover the file", sourceLocation: sourceLocation) }
        #expect(result.counts.violations.isEmpty, "\(result.counts.violations)", sourceLocation: sourceLocation)
        #expect(result.counts.records == result.counts.loaded + result.counts.quarantined, sourceLocation: sourceLocation)
        return result
    }
}

/// Builds expected `RowCounts` by hand.
func dumpCounts(physical: Int, header: Int = 1, blank: Int = 0, recordLines: Int, records: Int, loaded: Int,
                quarantined: Int = 0) -> RowCounts {
    var c = RowCounts()
    c.physicalLines = physical
    c.headerLines = header
    c.blankLines = blank
    c.recordLines = recordLines
    c.records = records
    c.loaded = loaded
    c.quarantined = quarantined
    return c
}

/// The bytes of ASCII text (the test's non-ASCII bytes are always spelled out).
func ascii(_ text: String) -> [UInt8] {
    precondition(text.utf8.allSatisfy { $0 < 0x80 }, "spell non-ASCII bytes out")
    return Array(text.utf8)
}

/// The product's sample point-of-sale dumps.
func dumpSampleFolder() -> URL {
    packageRoot.appendingPathComponent("SampleData/pos")
}

/// A string from hand-written UTF-8 bytes.
func text(_ utf8: [UInt8]) -> String { String(decoding: utf8, as: UTF8.self) }

/// A hand-built configuration value.
indirect enum ConfigValue {
    case scalar(String)
    case sequence([ConfigValue])
    case mapping([(String, ConfigValue)])

    func node(_ line: inout Int) -> ConfigNode {
        line += 1
        let location = TributaryCore.SourceLocation(file: "test.yml", line: line, column: 1)
        switch self {
        case .scalar(let s): return ConfigNode(.scalar(s), at: location)
        case .sequence(let items): return ConfigNode(.sequence(items.map { $0.node(&line) }), at: location)
        case .mapping(let pairs):
            return ConfigNode(.mapping(pairs.map { key, value in
                let keyLocation = TributaryCore.SourceLocation(file: "test.yml", line: line + 1, column: 1)
                return ConfigEntry(key: key, keyLocation: keyLocation, value: value.node(&line))
            }), at: location)
        }
    }
}

/// A source mapping built from key / value pairs.
func configNode(_ pairs: [(String, ConfigValue)]) -> ConfigNode {
    var line = 0
    return ConfigValue.mapping(pairs).node(&line)
}
