import Foundation
import Testing
@testable import TributaryComponents
import TributaryCore

// Every expected value is written by hand from the lines next to it. The detail layout used below:
//
//   col  1      record type (H, D, T)
//   cols 2-5    store_id          cols 24-26  qty
//   cols 6-11   txn_id            cols 27-34  amount_cents
//   cols 12-23  description
//
// Header: business_date at cols 2-9. Trailer: record_count at cols 2-7, amount_total at cols 8-17.
// (The harness, `runDump`, is in DelimitedExtractorTests.swift.)

@Suite("Fixed-width extractor")
struct FixedWidthExtractorTests {
    static let detailLayout: [FixedWidthExtractor.LayoutField] = [
        .init("store_id", start: 2, length: 4), .init("txn_id", start: 6, length: 6),
        .init("description", start: 12, length: 12), .init("qty", start: 24, length: 3),
        .init("amount_cents", start: 27, length: 8),
    ]
    static let layouts = FixedWidthExtractor.Layouts(
        detail: detailLayout,
        header: [.init("business_date", start: 2, length: 8)],
        trailer: [.init("record_count", start: 2, length: 6), .init("amount_total", start: 8, length: 10)])
    static let types = FixedWidthExtractor.RecordTypes(start: 1, length: 1, detail: ["D"], header: ["H"], trailer: ["T"])
    static let fields: [FixedWidthExtractor.Field] = [
        .init(name: "store_id", locators: ["store_id"]), .init(name: "txn_id", locators: ["txn_id"]),
        .init(name: "description", locators: ["description"]), .init(name: "qty", locators: ["qty"]),
        .init(name: "amount_cents", locators: ["amount_cents"]), .init(name: "business_date", locators: ["header.business_date"]),
    ]

    func extractor(layout: FixedWidthExtractor.LayoutSource = .inline(layouts), baseDirectory: String? = nil,
                   encoding: TextEncoding = .latin1, shortLines: FixedWidthExtractor.ShortLines = .quarantine) -> FixedWidthExtractor {
        FixedWidthExtractor(fields: Self.fields, layout: layout, baseDirectory: baseDirectory, encoding: encoding,
                            recordTypes: Self.types,
                            reconciliation: .init(count: "record_count", total: "amount_total", sum: "amount_cents"),
                            shortLines: shortLines)
    }

    /// Three blocks: one that reconciles (with a return), one whose trailer count is wrong, one whose
    /// amount total is wrong (and which holds a short line and a line of an unknown type); line 14 is blank.
    static let blocks = """
        H20240615
        DS001T00001COFFEE      00200000798
        DS001T00001MUFFIN      00100000350
        DS001T00002COFFEE      -01-0000399
        T0000030000000749
        H20240616
        DS002T00003TEA         00100000250
        T0000020000000250
        H20240617
        DS003T00004BAGEL       00200000500
        DS003T00005JUICE
        X GARBAGE LINE
        T0000010000000600


        """

    static let blockRows: [[String?]] = [
        ["S001", "T00001", "COFFEE", "002", "00000798", "20240615"],
        ["S001", "T00001", "MUFFIN", "001", "00000350", "20240615"],
        ["S001", "T00002", "COFFEE", "-01", "-0000399", "20240615"],
        ["S002", "T00003", "TEA", "001", "00000250", "20240616"],
        ["S003", "T00004", "BAGEL", "002", "00000500", "20240617"],
    ]

    static let blockChecks = [
        DumpCheck(5, "trailer record count", expected: "3", actual: "3"),
        DumpCheck(5, "trailer amount total", expected: "749", actual: "749"),
        DumpCheck(8, "trailer record count", expected: "2", actual: "1"),
        DumpCheck(8, "trailer amount total", expected: "250", actual: "250"),
        DumpCheck(13, "trailer record count", expected: "1", actual: "1"),
        DumpCheck(13, "trailer amount total", expected: "600", actual: "500"),
    ]

    @Test(arguments: dumpPieceSizes)
    func blocksAreReconciledWithTheirTrailers(pieceSize: Int) {
        let result = runDump(extractor(), ascii(Self.blocks), pieceSize: pieceSize)
        #expect(result.rows == Self.blockRows)
        #expect(result.lines == [2, 3, 4, 7, 10])
        #expect(result.raws[0] == ascii("DS001T00001COFFEE      00200000798"))
        #expect(result.rejected == [
            DumpRejection(11, .badRecordLength, ascii("DS003T00005JUICE")),
            DumpRejection(12, .unknownRecordType, ascii("X GARBAGE LINE")),
        ])
        #expect(result.details == ["expected 34 characters, found 16",
                                   "the record type code is not declared in record_types"])
        #expect(result.checks == Self.blockChecks)
        #expect(result.checks.map(\.passed) == [true, true, false, true, true, false])
        // 3 headers + 3 trailers; line 14 blank; 7 record lines (5 loaded, 2 quarantined).
        #expect(result.counts == dumpCounts(physical: 14, header: 6, blank: 1, recordLines: 7, records: 7, loaded: 5, quarantined: 2))
    }

    @Test func piecesAreCutOnlyAfterTrailers() {
        let file = ascii(Self.blocks)
        let whole = runDump(extractor(), file)
        for size in [1, 20, 64, 100] {
            let cut = runDump(extractor(), file, pieceSize: size)
            #expect(cut.content == whole.content)
            for range in cut.ranges.dropLast() {
                // The piece's last line is a trailer.
                let lastLine = file[range].dropLast().split(separator: 0x0A, omittingEmptySubsequences: false).last ?? []
                #expect(lastLine.first == UInt8(ascii: "T"), "piece \(range) ends inside a block")
            }
        }
        // One piece per block, and the blank line after the last trailer.
        #expect(runDump(extractor(), file, pieceSize: 1).pieces == 4)
        #expect(whole.pieces == 1)
    }

    @Test func aBlockWithoutTrailerFailsItsCheck() {
        let file = ascii("""
            H20240615
            DS001T00001COFFEE      00200000798
            H20240616
            DS002T00003TEA         00100000250
            T0000010000000250
            H20240617
            DS003T00004BAGEL       00200000500

            """)
        for size in dumpPieceSizes {
            let result = runDump(extractor(), file, pieceSize: size)
            #expect(result.checks == [
                DumpCheck(1, "block trailer", expected: "a trailer line", actual: "a header on line 3"),
                DumpCheck(5, "trailer record count", expected: "1", actual: "1"),
                DumpCheck(5, "trailer amount total", expected: "250", actual: "250"),
                DumpCheck(6, "block trailer", expected: "a trailer line", actual: "the end of the file"),
            ])
            #expect(result.counts == dumpCounts(physical: 7, header: 4, recordLines: 3, records: 3, loaded: 3))
        }
    }

    @Test func unreadableAmountsAndBlankTrailersFailTheirChecks() {
        let file = ascii("""
            DS001T00001COFFEE      002    7.98
            DS001T00001MUFFIN      0010000350-
            T000002
            DS001T00002COFFEE      00100000100
            T000001  00000100

            """)
        let result = runDump(extractor(), file)
        #expect(result.rows.map { $0[4] } == ["7.98", "0000350-", "00000100"])
        #expect(result.checks == [
            DumpCheck(3, "trailer record count", expected: "2", actual: "2"),
            DumpCheck(3, "trailer amount total", expected: "blank", actual: "unknown: the amount on line 1 is not a whole number of cents"),
            DumpCheck(5, "trailer record count", expected: "1", actual: "1"),
            DumpCheck(5, "trailer amount total", expected: "100", actual: "100"),
        ])
    }

    @Test func signedAmountsAreSummedExactly() {
        // A sale of 1000 and a return of -350 written with a trailing minus (COBOL style); then a
        // block holding only a return, whose trailer states a negative total.
        let file = ascii("""
            DS001T00001MUFFIN      00100001000
            DS001T00001MUFFIN      -010000350-
            T0000020000000650
            DS001T00002MUFFIN      -01-0000350
            T000001-000000350

            """)
        let result = runDump(extractor(), file)
        #expect(result.rows.map { $0[4] } == ["00001000", "0000350-", "-0000350"])
        #expect(result.checks == [
            DumpCheck(3, "trailer record count", expected: "2", actual: "2"),
            DumpCheck(3, "trailer amount total", expected: "650", actual: "650"),
            DumpCheck(5, "trailer record count", expected: "1", actual: "1"),
            DumpCheck(5, "trailer amount total", expected: "-350", actual: "-350"),
        ])
    }

    @Test func shortLinesCanBePadded() {
        let file = ascii("DS003T00005JUICE\nDS003T00006\nT0000020000000000\n")
        let result = runDump(extractor(shortLines: .pad), file)
        #expect(result.rows == [["S003", "T00005", "JUICE", nil, nil, nil], ["S003", "T00006", nil, nil, nil, nil]])
        #expect(result.rejected.isEmpty)
        // The amounts are blank, hence not whole numbers: the total cannot be computed.
        #expect(result.checks.map(\.passed) == [true, false])
    }

    // MARK: - Trailers count valid records only

    @Test(arguments: dumpPieceSizes)
    func recordsQuarantinedByLaterStagesAreLeftOutOfTheTrailers(pieceSize: Int) {
        // As if a field type rejected line 3 (MUFFIN, 350) and a rule line 10 (BAGEL, 500): block 1's
        // trailer (3 / 749) now fails on both checks, block 3's (1 / 600) states one record where none
        // is left; block 2 is untouched.
        let result = runDump(extractor(), ascii(Self.blocks), pieceSize: pieceSize, quarantinedLater: [3, 10])
        #expect(result.checks == [
            DumpCheck(5, "trailer record count", expected: "3", actual: "2"),
            DumpCheck(5, "trailer amount total", expected: "749", actual: "399"),
            DumpCheck(8, "trailer record count", expected: "2", actual: "1"),
            DumpCheck(8, "trailer amount total", expected: "250", actual: "250"),
            DumpCheck(13, "trailer record count", expected: "1", actual: "0"),
            DumpCheck(13, "trailer amount total", expected: "600", actual: "0"),
        ])
    }

    @Test func aVendorTrailerThatCountsValidLinesOnlyReconciles() {
        // The issue's case: 5 good lines and one whose amount is not a number. The vendor's trailer
        // states 5 and the sum of the 5; the typed amount field quarantines line 7.
        let file = ascii("""
            H20240615
            DS001T00001COFFEE      00100000100
            DS001T00002COFFEE      00100000200
            DS001T00003COFFEE      00100000300
            DS001T00004COFFEE      00100000400
            DS001T00005COFFEE      00100000500
            DS001T00006COFFEE      0010000O#00
            T0000050000001500

            """)
        let extracted = runDump(extractor(), file)
        #expect(extracted.checks[1].actual == "unknown: the amount on line 7 is not a whole number of cents")
        let settled = runDump(extractor(), file, quarantinedLater: [7])
        #expect(settled.checks == [DumpCheck(8, "trailer record count", expected: "5", actual: "5"),
                                   DumpCheck(8, "trailer amount total", expected: "1500", actual: "1500")])
    }

    // MARK: - Record length

    @Test(arguments: dumpPieceSizes)
    func linesLongerThanTheLayoutAreQuarantined(pieceSize: Int) {
        // Line 3 runs on for 81,920 characters; line 4 has one character too many. Neither counts
        // in the trailer, which states the 2 good lines.
        let long = "DS001T00002COFFEE      00100000200" + String(repeating: "X", count: 81_920 - 34)
        let file = ascii("H20240615\nDS001T00001COFFEE      00100000100\n\(long)\nDS001T00003COFFEE      00100000300 \n"
            + "DS001T00004COFFEE      00100000400\nT0000020000000500\n")
        let result = runDump(extractor(), file, pieceSize: pieceSize)
        #expect(result.lines == [2, 5])
        #expect(result.rejected.map(\.line) == [3, 4])
        #expect(result.rejected.map(\.reason) == [.badRecordLength, .badRecordLength])
        #expect(result.details == ["expected 34 characters, found 81920", "expected 34 characters, found 35"])
        #expect(result.checks.map(\.passed) == [true, true])
        #expect(result.counts == dumpCounts(physical: 6, header: 2, recordLines: 4, records: 4, loaded: 2, quarantined: 2))

        // `long_lines: allow` reads the layout's characters and ignores the rest; short lines are
        // still quarantined, as shorter than "at least" the record length.
        var allowing = extractor()
        allowing.longLines = .allow
        let allowed = runDump(allowing, file + ascii("H20240616\nDS001T00005COF\nT0000000000000000\n"), pieceSize: pieceSize)
        #expect(allowed.lines == [2, 3, 4, 5])
        #expect(allowed.rows[1] == ["S001", "T00002", "COFFEE", "001", "00000200", "20240615"])
        #expect(allowed.details == ["expected at least 34 characters, found 14"])
    }

    @Test func aDeclaredRecordLengthIsExact() {
        // The layout ends at 34; the records are declared 40 characters long (6 of filler).
        var declared = extractor()
        declared.recordLength = 40
        let file = ascii("DS001T00001COFFEE      00100000100      \nDS001T00002COFFEE      00100000200\n"
            + "DS001T00003COFFEE      00100000300       \nT0000010000000100\n")
        let result = runDump(declared, file)
        #expect(result.lines == [1])
        #expect(result.details == ["expected 40 characters, found 34", "expected 40 characters, found 41"])
        #expect(result.checks.map(\.passed) == [true, true])
        // A layout file whose fields run past the declared length cannot be used.
        declared.recordLength = 30
        let unusable = runDump(declared, file)
        #expect(unusable.rejected.map(\.reason) == [.missingColumn, .missingColumn, .missingColumn])
        #expect(unusable.details.first == "the layout field 'amount_cents' ends at character 34, past the record_length 30")
    }

    @Test func aLineEndingBeforeItsTypeCodeIsABadRecordLength() {
        let extractor = FixedWidthExtractor(
            fields: [.init(name: "a", locators: ["a"])], layout: .inline(.init(detail: [.init("a", start: 1, length: 2)])),
            recordTypes: .init(start: 3, length: 2, detail: ["DD"]))
        let result = runDump(extractor, ascii("abDD\nab\nabD\nabXX\n"))
        #expect(result.rows == [["ab"]])
        #expect(result.rejected == [DumpRejection(2, .badRecordLength, ascii("ab")), DumpRejection(3, .badRecordLength, ascii("abD")),
                                    DumpRejection(4, .unknownRecordType, ascii("abXX"))])
        #expect(result.details.first == "the line ends before its record type code")
    }

    // MARK: - Encodings and characters

    @Test(arguments: dumpPieceSizes)
    func windows1252PositionsCountCharactersAndUndefinedBytesAreQuarantined(pieceSize: Int) {
        // Line 2: "GIFT €25" with € = 0x80, then qty and amount at their columns. Line 3: "CRÈME BRÛLÉE"
        // (0xC8 0xDB 0xC9). Line 4: an undefined byte (0x90) in the description.
        var file = ascii("H20240615\n")
        file += ascii("DS001T00009GIFT ") + [0x80] + ascii("25    00100002500\n")
        file += ascii("DS001T00010CR") + [0xC8] + ascii("ME BR") + [0xDB, 0x4C, 0xC9] + ascii("E00100000650\n")
        file += ascii("DS001T00011BAD") + [0x90] + ascii("BYTE    00100000100\n")
        file += ascii("T0000020000003150\n")
        let result = runDump(extractor(encoding: .windows1252), file, pieceSize: pieceSize)
        let gift: [UInt8] = [0x47, 0x49, 0x46, 0x54, 0x20, 0xE2, 0x82, 0xAC, 0x32, 0x35]
        let creme: [UInt8] = [0x43, 0x52, 0xC3, 0x88, 0x4D, 0x45, 0x20, 0x42, 0x52, 0xC3, 0x9B, 0x4C, 0xC3, 0x89, 0x45]
        #expect(result.rows == [["S001", "T00009", text(gift), "001", "00002500", "20240615"],
                                ["S001", "T00010", text(creme), "001", "00000650", "20240615"]])
        #expect(result.columnBytes[2] == [gift, creme])
        #expect(result.raws[0] == ascii("DS001T00009") + gift + ascii("    00100002500"))
        #expect(result.rejected == [DumpRejection(4, .invalidUTF8, ascii("DS001T00011BAD") + [0xEF, 0xBF, 0xBD] + ascii("BYTE    00100000100"))])
        #expect(result.checks == [DumpCheck(5, "trailer record count", expected: "2", actual: "2"),
                                  DumpCheck(5, "trailer amount total", expected: "3150", actual: "3150")])
        #expect(result.counts == dumpCounts(physical: 5, header: 2, recordLines: 3, records: 3, loaded: 2, quarantined: 1))
    }

    @Test func utf8PositionsCountCharactersNotBytes() {
        // "CAFÉ" with É = 0xC3 0x89: one character, two bytes; the qty still starts at column 24.
        let file = ascii("DS001T00001CAF") + [0xC3, 0x89] + ascii("        00200000798\nT0000010000000798\n")
        let result = runDump(extractor(encoding: .utf8), file)
        #expect(result.rows == [["S001", "T00001", text([0x43, 0x41, 0x46, 0xC3, 0x89]), "002", "00000798", nil]])
        #expect(result.checks.map(\.passed) == [true, true])
        // In UTF-8, the same line with a Latin-1 É (0xC9) is not text.
        let latin = ascii("DS001T00001CAF") + [0xC9] + ascii("        00200000798\n")
        #expect(runDump(extractor(encoding: .utf8), latin).rejected.map(\.reason) == [.invalidUTF8])
    }

    @Test func withoutRecordTypesEveryLineIsADetail() {
        let extractor = FixedWidthExtractor(
            fields: [.init(name: "store_id", locators: ["store"]), .init(name: "name", locators: ["name"])],
            layout: .inline(.init(detail: [.init("store", start: 1, length: 4), .init("name", start: 5, length: 14)])),
            encoding: .latin1)
        // "NUÑEZ, ÁNGEL" with Ñ = 0xD1 and Á = 0xC1, padded to 14 characters.
        var file = ascii("S001") + ascii("NU") + [0xD1] + ascii("EZ, ") + [0xC1] + ascii("NGEL  \r\n")
        file += ascii("S002              \r\n\r\nS03\r\n")
        for size in dumpPieceSizes {
            let result = runDump(extractor, file, pieceSize: size)
            let nunez: [UInt8] = [0x4E, 0x55, 0xC3, 0x91, 0x45, 0x5A, 0x2C, 0x20, 0xC3, 0x81, 0x4E, 0x47, 0x45, 0x4C]
            #expect(result.rows == [["S001", text(nunez)], ["S002", nil]])
            #expect(result.lines == [1, 2])
            #expect(result.rejected == [DumpRejection(4, .badRecordLength, ascii("S03"))])
            #expect(result.details == ["expected 18 characters, found 3"])
            #expect(result.counts == dumpCounts(physical: 4, header: 0, blank: 1, recordLines: 3, records: 3, loaded: 2, quarantined: 1))
        }
    }

    // MARK: - Layout files

    static let layoutFile = """
        # legacy POS layout
        field,start,length,record
        store_id,2,4,detail
        txn_id,6,6
        description,12,12,detail
        qty,24,3,detail
        amount_cents,27,8,detail
        business_date,2,8,header
        record_count,2,6,trailer
        amount_total,8,10,trailer

        """

    @Test func layoutFileGivesTheSameResultAsTheInlineLayout() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fixed-width-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(Self.layoutFile.utf8).write(to: folder.appendingPathComponent("legacy.csv"))
        let parsed = try FixedWidthExtractor.LayoutFile.parse(Self.layoutFile).get()
        #expect(parsed == Self.layouts)

        let inline = runDump(extractor(), ascii(Self.blocks))
        let relative = runDump(extractor(layout: .file("legacy.csv"), baseDirectory: folder.path), ascii(Self.blocks))
        let absolute = runDump(extractor(layout: .file(folder.appendingPathComponent("legacy.csv").path)), ascii(Self.blocks))
        #expect(relative == inline)
        #expect(absolute == inline)
    }

    @Test func anUnusableLayoutFileQuarantinesEveryDetailRecord() {
        let result = runDump(extractor(layout: .file("/nonexistent/layout.csv")), ascii(Self.blocks))
        #expect(result.rows.isEmpty)
        #expect(result.checks.isEmpty)
        #expect(result.rejected.map(\.line) == [2, 3, 4, 7, 10, 11, 12])
        #expect(result.rejected.map(\.reason) == [.missingColumn, .missingColumn, .missingColumn, .missingColumn, .missingColumn,
                                                   .missingColumn, .unknownRecordType])
        #expect(result.details.first == "cannot read layout file /nonexistent/layout.csv")
        #expect(result.counts == dumpCounts(physical: 14, header: 6, blank: 1, recordLines: 7, records: 7, loaded: 0, quarantined: 7))
    }

    @Test func layoutFileProblemsAreReported() {
        func problem(_ text: String) -> String? {
            if case .failure(let error) = FixedWidthExtractor.LayoutFile.parse(text) { return error.message }
            return nil
        }
        #expect(problem("field,start\nx,1\n") == "line 1: the header row lacks the column 'length' (expected field,start,length[,record])")
        #expect(problem("field,start,length\nx,0,2\n") == "line 2: start and length must be whole numbers ≥ 1")
        #expect(problem("field,start,length,record\nx,1,2,footer\n") == "line 2: record must be detail, header or trailer")
        #expect(problem("field,start,length\nx,1,2\nx,3,2\n") == "line 3: field 'x' is defined twice")
        #expect(problem("") == "the file is empty")
        // A layout that lacks a mapped field: the detail records say which.
        let lacking = runDump(FixedWidthExtractor(fields: [.init(name: "a", locators: ["a"]), .init(name: "b", locators: ["header.b"])],
                                                  layout: .inline(.init(detail: [.init("z", start: 1, length: 1)]))),
                              ascii("x\n"))
        #expect(lacking.details == ["the layout has no field 'a'; the header layout has no field 'b'"])
    }

    // MARK: - The sample data

    @Test func sampleLegacyDumpExtractsAsItsREADMESays() throws {
        let folder = dumpSampleFolder()
        let file = try [UInt8](Data(contentsOf: folder.appendingPathComponent("legacy_2024-06.dat")))
        let names = ["store_id", "txn_id", "txn_date", "txn_time", "loyalty_card", "sku", "description", "qty", "unit_price", "amount_cents"]
        let extractor = FixedWidthExtractor(
            fields: names.map { .init(name: $0, locators: [$0]) } + [.init(name: "register", locators: ["header.register"])],
            layout: .file("legacy_layout.csv"), baseDirectory: folder.path, encoding: .windows1252,
            recordTypes: .init(start: 1, length: 1, detail: ["D"], header: ["H"], trailer: ["T"]),
            reconciliation: .init(count: "record_count", total: "amount_total", sum: "amount_cents"))
        for size in dumpPieceSizes {
            let result = runDump(extractor, file, pieceSize: size)
            // 20 lines: 4 headers + 4 trailers, 12 records (11 details and a 'V' line).
            #expect(result.counts == dumpCounts(physical: 20, header: 8, recordLines: 12, records: 12, loaded: 10, quarantined: 2))
            #expect(result.rejected.map(\.line) == [10, 14])
            #expect(result.rejected.map(\.reason) == [.badRecordLength, .unknownRecordType])
            #expect(result.details.first == "expected 81 characters, found 57")
            #expect(result.checks == [
                DumpCheck(5, "trailer record count", expected: "3", actual: "3"),
                DumpCheck(5, "trailer amount total", expected: "1268", actual: "1268"),
                DumpCheck(11, "trailer record count", expected: "4", actual: "3"),
                DumpCheck(11, "trailer amount total", expected: "3860", actual: "3500"),
                DumpCheck(16, "trailer record count", expected: "2", actual: "2"),
                DumpCheck(16, "trailer amount total", expected: "54", actual: "54"),
                DumpCheck(20, "trailer record count", expected: "2", actual: "2"),
                DumpCheck(20, "trailer amount total", expected: "650", actual: "560"),
            ])
            // "GUTSCHEIN €25" on line 7: € (0x80 in Windows-1252) is E2 82 AC in UTF-8.
            let voucher: [UInt8] = [0x47, 0x55, 0x54, 0x53, 0x43, 0x48, 0x45, 0x49, 0x4E, 0x20, 0xE2, 0x82, 0xAC, 0x32, 0x35]
            #expect(result.columnBytes[6][3] == voucher)
            #expect(result.rows[3][10] == "002")  // the register, from the block's header
            #expect(result.rows[7][7] == "-001")  // the return on line 15
        }
    }

    // MARK: - Configuration

    @Test func configurationBuildsTheExtractor() {
        var diagnostics = DiagnosticBag()
        let source = configNode([
            ("encoding", .scalar("windows-1252")),
            ("layout", .mapping([("store_id", .sequence([.scalar("2"), .scalar("4")])), ("amount_cents", .sequence([.scalar("27"), .scalar("8")]))])),
            ("record_types", .mapping([
                ("type_field", .sequence([.scalar("1"), .scalar("1")])), ("detail", .sequence([.scalar("D"), .scalar("R")])),
                ("header", .scalar("H")), ("trailer", .scalar("T")),
                ("trailer_layout", .mapping([("record_count", .sequence([.scalar("2"), .scalar("6")])),
                                             ("amount_total", .sequence([.scalar("8"), .scalar("10")]))])),
            ])),
            ("reconcile", .mapping([("count", .scalar("record_count")), ("total", .scalar("amount_total")), ("sum", .scalar("amount_cents"))])),
            ("short_lines", .scalar("pad")),
            ("long_lines", .scalar("allow")),
            ("record_length", .scalar("40")),
            ("fields", .mapping([("store_id", .scalar("store_id")),
                                 ("amount_cents", .mapping([("field", .scalar("amount_cents")), ("type", .scalar("cents"))]))])),
        ])
        let extractor = FixedWidthExtractor.make(source: source, diagnostics: &diagnostics) as? FixedWidthExtractor
        #expect(diagnostics.items.isEmpty, "\(diagnostics.items)")
        #expect(extractor?.recordTypes?.detail == ["D", "R"])
        #expect(extractor?.shortLines == .pad)
        #expect(extractor?.longLines == .allow)
        #expect(extractor?.recordLength == 40)
        #expect(extractor?.encoding == .windows1252)
        #expect(extractor?.fieldDefinitions.map(\.type) == [.string, .cents])
        if case .inline(let layouts) = extractor?.layout {
            #expect(layouts.detail == [.init("store_id", start: 2, length: 4), .init("amount_cents", start: 27, length: 8)])
            #expect(layouts.trailer.map(\.name) == ["record_count", "amount_total"])
        } else {
            Issue.record("expected an inline layout")
        }
    }

    @Test func configurationMistakesAreReportedWithSuggestions() {
        var diagnostics = DiagnosticBag()
        let source = configNode([
            ("layout", .mapping([("store_id", .sequence([.scalar("2"), .scalar("4")])), ("bad", .sequence([.scalar("2")]))])),
            ("record_types", .mapping([("type_field", .sequence([.scalar("1"), .scalar("1")])), ("detail", .scalar("DD"))])),
            ("reconcile", .mapping([("count", .scalar("record_count"))])),
            ("fields", .mapping([("store", .scalar("stor_id")), ("day", .scalar("header.date"))])),
        ])
        #expect(FixedWidthExtractor.make(source: source, diagnostics: &diagnostics) == nil)
        let messages = diagnostics.items.map(\.message)
        #expect(messages == [
            "a position is `[start, length]`, found 1 numbers",
            "record type codes are 1 to 1 ASCII characters (the type_field's length), found 'DD'",
            "`reconcile` needs `record_types` with a `trailer` code",
            "the trailer layout has no field 'record_count'",
            "the layout has no field 'stor_id'",
            "the header layout has no field 'date'",
        ])
        #expect(diagnostics.items.first { $0.message.contains("stor_id") }?.hint == "did you mean 'store_id'?")
    }

    @Test func aRecordLengthShorterThanTheLayoutIsAMistake() {
        var diagnostics = DiagnosticBag()
        let source = configNode([
            ("layout", .mapping([("store_id", .sequence([.scalar("2"), .scalar("4")])), ("amount", .sequence([.scalar("27"), .scalar("8")]))])),
            ("record_length", .scalar("30")),
            ("fields", .mapping([("store_id", .scalar("store_id"))])),
        ])
        #expect(FixedWidthExtractor.make(source: source, diagnostics: &diagnostics) == nil)
        #expect(diagnostics.items.map(\.message) == ["the layout field 'amount' ends at character 34, past the record_length 30"])
        // By default every detail line must be exactly as long as the layout (here 34 characters).
        diagnostics = DiagnosticBag()
        let plain = configNode([("layout", .mapping([("amount", .sequence([.scalar("27"), .scalar("8")]))])),
                                ("fields", .mapping([("amount", .scalar("amount"))]))])
        let built = FixedWidthExtractor.make(source: plain, diagnostics: &diagnostics) as? FixedWidthExtractor
        #expect(built?.recordLength == nil)
        #expect(built?.longLines == .quarantine)
    }

    @Test func layoutAndLayoutFileAreExclusive() {
        var diagnostics = DiagnosticBag()
        let both = configNode([("layout", .mapping([("a", .sequence([.scalar("1"), .scalar("1")]))])),
                               ("layout_file", .scalar("x.csv")), ("fields", .mapping([("a", .scalar("a"))]))])
        #expect(FixedWidthExtractor.make(source: both, diagnostics: &diagnostics) == nil)
        #expect(diagnostics.items.map(\.message) == ["give either `layout` or `layout_file`, not both"])

        diagnostics = DiagnosticBag()
        let neither = configNode([("fields", .mapping([("a", .scalar("a"))]))])
        #expect(FixedWidthExtractor.make(source: neither, diagnostics: &diagnostics) == nil)
        #expect(diagnostics.items.map(\.code) == [.missingKey])

        // The file is read when a run plans its input, not when the pipeline is validated.
        diagnostics = DiagnosticBag()
        let file = configNode([("layout_file", .scalar("/srv/pipelines/layouts/legacy.csv")), ("fields", .mapping([("a", .scalar("a"))]))])
        let built = FixedWidthExtractor.make(source: file, diagnostics: &diagnostics) as? FixedWidthExtractor
        #expect(diagnostics.items.isEmpty)
        if case .file(let path) = built?.layout {
            #expect(path == "/srv/pipelines/layouts/legacy.csv")
        } else {
            Issue.record("expected a layout file")
        }
    }
}
