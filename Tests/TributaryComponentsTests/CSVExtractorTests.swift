import Testing
@testable import TributaryComponents
import TributaryCore
import TributaryMatching
import TributaryTestSupport

// Every expected value below is written by hand from the CSV text next to it. Physical lines are
// numbered from 1 at the top of the file (the header is line 1 unless blank lines precede it).

/// Piece sizes the plan is cut into: one record per piece, a few records, many, the whole file.
let pieceSizes = [1, 7, 64, 1 << 20]

@Suite("CSV extractor")
struct CSVExtractorTests {

    // MARK: - Header mapping

    @Test(arguments: pieceSizes)
    func columnsAreMappedByHeaderNameNotPosition(pieceSize: Int) {
        let extractor = CSVExtractor(fields: [field("id", "Contact ID"), field("email", "Email"), field("name", "Name")])
        let csv = """
            Name,Notes,Email,Contact ID
            Ann,vip,ann@example.com,1
            Bob,,bob@example.com,2

            """
        let result = extract(extractor, bytes(csv), pieceSize: pieceSize)
        #expect(result.rows == [["1", "ann@example.com", "Ann"], ["2", "bob@example.com", "Bob"]])
        #expect(result.lines == [2, 3])
        #expect(result.rejected.isEmpty)
        #expect(result.counts == counts(physical: 3, recordLines: 2, records: 2, loaded: 2))
    }

    @Test func aHeaderWhoseQuoteNeverClosesLosesNoRecord() {
        // The quote opened in the header swallows the file; before, every line counted as a
        // header line: 0 records, nothing quarantined. Now each line is a quarantined record.
        let extractor = CSVExtractor(fields: [field("id", "id"), field("email", "email")])
        let result = extract(extractor, bytes("id,\"email\n1,a@x.com\n2,b@x.com\n"))
        #expect(result.rows.isEmpty)
        #expect(result.rejected.map(\.line) == [1, 2, 3])
        #expect(result.rejected.map(\.reason) == [.unterminatedQuote, .missingColumn, .missingColumn])
        #expect(result.counts.records == 3 && result.counts.headerLines == 0)
    }

    @Test func headerNamesMatchIgnoringCaseAndSurroundingSpaces() {
        let extractor = CSVExtractor(fields: [field("email", "Email"), field("city", "Mailing City")])
        let csv = " MAILING CITY ,email\nBerlin,a@x.de\n"
        let result = extract(extractor, bytes(csv))
        #expect(result.rows == [["a@x.de", "Berlin"]])
        #expect(result.rejected.isEmpty)
    }

    @Test(arguments: pieceSizes)
    func coalesceTakesFirstNonEmptyInListedOrder(pieceSize: Int) {
        // Mobile comes first in the file, but Phone is listed first: Phone wins when it has a value.
        let extractor = CSVExtractor(fields: [field("name", "Name"), field("phone", "Phone", "Mobile")])
        let csv = """
            Mobile,Name,Phone
            m1,A,p1
            m2,B,
            ,C,p3
            ,D,

            """
        let result = extract(extractor, bytes(csv), pieceSize: pieceSize)
        #expect(result.rows == [["A", "p1"], ["B", "m2"], ["C", "p3"], ["D", nil]])
        #expect(result.lines == [2, 3, 4, 5])
        #expect(result.counts == counts(physical: 5, recordLines: 4, records: 4, loaded: 4))
    }

    @Test func coalesceWithPreferredColumnFirstInFile() {
        let extractor = CSVExtractor(fields: [field("phone", "Phone", "Mobile")])
        let csv = "Phone,Mobile\np1,m1\n,m2\np3,\n"
        let result = extract(extractor, bytes(csv))
        #expect(result.rows == [["p1"], ["m2"], ["p3"]])
    }

    @Test func missingMappedColumnQuarantinesEveryRecord() {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("email", "Email")])
        let csv = """
            id,name
            1,Ann
            2,Bob

            """
        let result = extract(extractor, bytes(csv))
        #expect(result.rows.isEmpty)
        #expect(result.rejected == [Rejected(2, .missingColumn, "1,Ann"), Rejected(3, .missingColumn, "2,Bob")])
        #expect(result.counts == counts(physical: 3, recordLines: 2, records: 2, loaded: 0, quarantined: 2))
    }

    @Test func coalescedFieldIsMissingOnlyWhenNoCandidateExists() {
        let extractor = CSVExtractor(fields: [field("phone", "Phone", "Mobile")])
        let present = extract(extractor, bytes("Mobile\nm1\n"))
        #expect(present.rows == [["m1"]])
        let absent = extract(extractor, bytes("Fax\nf1\n"))
        #expect(absent.rejected == [Rejected(2, .missingColumn, "f1")])
    }

    // MARK: - Encoding and line ends

    @Test(arguments: pieceSizes)
    func bomCRLFAndLFGiveTheSameRecords(pieceSize: Int) {
        let extractor = CSVExtractor(fields: [field("email", "Email"), field("name", "Name")])
        let text = """
            Email,Name
            a@x.com,Ann
            b@x.com,Bob

            """
        let lf = extract(extractor, bytes(text), pieceSize: pieceSize)
        let crlfResult = extract(extractor, crlf(text), pieceSize: pieceSize)
        let bomCRLF = extract(extractor, [0xEF, 0xBB, 0xBF] + crlf(text), pieceSize: pieceSize)
        let bomLF = extract(extractor, [0xEF, 0xBB, 0xBF] + bytes(text), pieceSize: pieceSize)
        let expectedRows: [[String?]] = [["a@x.com", "Ann"], ["b@x.com", "Bob"]]
        for result in [lf, crlfResult, bomCRLF, bomLF] {
            #expect(result.rows == expectedRows)
            #expect(result.lines == [2, 3])
            #expect(result.rejected.isEmpty)
            #expect(result.counts == counts(physical: 3, recordLines: 2, records: 2, loaded: 2))
        }
    }

    @Test func quotedValuesKeepTheirLineEnds() {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("note", "note")])
        let text = "id,note\n1,\"first\nsecond\"\n2,x\n"
        #expect(extract(extractor, bytes(text)).rows == [["1", "first\nsecond"], ["2", "x"]])
        let crlfResult = extract(extractor, crlf(text))
        #expect(crlfResult.rows == [["1", "first\r\nsecond"], ["2", "x"]])
        #expect(crlfResult.counts == counts(physical: 4, recordLines: 3, records: 2, loaded: 2))
    }

    @Test(arguments: pieceSizes)
    func invalidUTF8IsQuarantined(pieceSize: Int) {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("name", "name")])
        // Line 3 has a lone 0xFF; line 5 has 0xC3 followed by '(' (a truncated two-byte sequence);
        // line 6 has an overlong encoding of '/' (0xC0 0xAF); lines 2, 4 and 7 are valid.
        var csv = bytes("id,name\n1,Ann\n2,B")
        csv += [0xFF]
        csv += bytes("b\n3,Müller\n4,")
        csv += [0xC3]
        csv += bytes("(\n5,")
        csv += [0xC0, 0xAF]
        csv += bytes("\n6,\u{1F600}\n")
        let result = extract(extractor, csv, pieceSize: pieceSize)
        #expect(result.rows == [["1", "Ann"], ["3", "Müller"], ["6", "\u{1F600}"]])
        #expect(result.lines == [2, 4, 7])
        #expect(result.rejected.map(\.line) == [3, 5, 6])
        #expect(result.rejected.map(\.reason) == [.invalidUTF8, .invalidUTF8, .invalidUTF8])
        #expect(result.counts == counts(physical: 7, recordLines: 6, records: 6, loaded: 3, quarantined: 3))
    }

    @Test func rawBytesOfAQuarantinedRecordAreKeptExactly() {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("name", "name")])
        var csv = bytes("id,name\r\n2,B")
        csv += [0xFF]
        csv += bytes("b\r\n")
        csv.withUnsafeBytes { raw in
            let file = InputFile(index: 4, source: "s", path: "m.csv", size: raw.count)
            let pieces = extractor.plan(file, bytes: FileBytes(raw), targetPieceSize: 1 << 20)
            let output = extractor.extract(pieces[0], bytes: FileBytes(raw))
            #expect(output.quarantined.count == 1)
            #expect(output.quarantined.first?.raw == bytes("2,B") + [0xFF] + bytes("b"))
            #expect(output.quarantined.first?.fileIndex == 4)
            #expect(output.quarantined.first?.detail.isEmpty == false)
        }
    }

    // MARK: - Quoting

    @Test(arguments: pieceSizes)
    func quotedDelimitersAndDoubledQuotes(pieceSize: Int) {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("note", "note")])
        // Lines 2-5:  1,"Doe, Jane"   2,"say ""hi"""   3,""   4,"""quoted"" start"
        let csv = "id,note\n1,\"Doe, Jane\"\n2,\"say \"\"hi\"\"\"\n3,\"\"\n4,\"\"\"quoted\"\" start\"\n"
        let result = extract(extractor, bytes(csv), pieceSize: pieceSize)
        #expect(result.rows == [["1", "Doe, Jane"], ["2", "say \"hi\""], ["3", nil], ["4", "\"quoted\" start"]])
        #expect(result.counts == counts(physical: 5, recordLines: 4, records: 4, loaded: 4))
    }

    @Test(arguments: pieceSizes)
    func embeddedLineBreaksKeepExactLineNumbers(pieceSize: Int) {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("note", "note")])
        // Record 1 spans lines 2-3; record 3 spans lines 5-7 and holds an empty line (6), which is
        // part of the value, not a blank line.
        let csv = """
            id,note
            1,"first
            second"
            2,plain
            3,"a

            c"
            4,end

            """
        let result = extract(extractor, bytes(csv), pieceSize: pieceSize)
        #expect(result.rows == [["1", "first\nsecond"], ["2", "plain"], ["3", "a\n\nc"], ["4", "end"]])
        #expect(result.lines == [2, 4, 5, 8])
        #expect(result.counts == counts(physical: 8, blank: 0, recordLines: 7, records: 4, loaded: 4))

        let crlfResult = extract(extractor, crlf(csv), pieceSize: pieceSize)
        #expect(crlfResult.rows == [["1", "first\r\nsecond"], ["2", "plain"], ["3", "a\r\n\r\nc"], ["4", "end"]])
        #expect(crlfResult.lines == [2, 4, 5, 8])
        #expect(crlfResult.counts == result.counts)
    }

    @Test(arguments: pieceSizes)
    func blankLinesAreCountedNotLoaded(pieceSize: Int) {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("note", "note")])
        // Line 1 blank, header on line 2, line 4 blank, line 5 only spaces and a tab, line 7 blank.
        let csv = "\nid,note\n1,a\n\n  \t \n2,b\n\n"
        let result = extract(extractor, bytes(csv), pieceSize: pieceSize)
        #expect(result.rows == [["1", "a"], ["2", "b"]])
        #expect(result.lines == [3, 6])
        #expect(result.counts == counts(physical: 7, header: 1, blank: 4, recordLines: 2, records: 2, loaded: 2))
    }

    @Test(arguments: pieceSizes)
    func wrongFieldCountIsQuarantinedWithItsLine(pieceSize: Int) {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("email", "email"), field("name", "name")])
        let csv = """
            id,email,name
            1,a@x,Ann
            2,b@x
            3,c@x,Cy,extra
            4,d@x,Di

            """
        let result = extract(extractor, bytes(csv), pieceSize: pieceSize)
        #expect(result.rows == [["1", "a@x", "Ann"], ["4", "d@x", "Di"]])
        #expect(result.lines == [2, 5])
        #expect(result.rejected == [Rejected(3, .wrongFieldCount, "2,b@x"), Rejected(4, .wrongFieldCount, "3,c@x,Cy,extra")])
        #expect(result.counts == counts(physical: 5, recordLines: 4, records: 4, loaded: 2, quarantined: 2))
    }

    @Test func wrongFieldCountOnAMultiLineRecordKeepsItsFirstLine() {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("note", "note")])
        // Lines 3-4 are one record with three fields; line 5 loads.
        let csv = "id,note\n1,a\n2,\"x\ny\",extra\n3,c\n"
        let result = extract(extractor, bytes(csv))
        #expect(result.rejected == [Rejected(3, .wrongFieldCount, "2,\"x\ny\",extra")])
        #expect(result.lines == [2, 5])
        #expect(result.counts == counts(physical: 5, recordLines: 4, records: 3, loaded: 2, quarantined: 1))
    }

    @Test(arguments: pieceSizes)
    func strayQuoteIsMalformedAndTheNextLineLoads(pieceSize: Int) {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("name", "name")])
        let csv = """
            id,name
            1,Ann
            2,O"Brien
            3,Cy
            4,"Di"x
            5,Ed

            """
        let result = extract(extractor, bytes(csv), pieceSize: pieceSize)
        #expect(result.rows == [["1", "Ann"], ["3", "Cy"], ["5", "Ed"]])
        #expect(result.lines == [2, 4, 6])
        #expect(result.rejected == [Rejected(3, .malformedQuotes, "2,O\"Brien"), Rejected(5, .malformedQuotes, "4,\"Di\"x")])
        #expect(result.counts == counts(physical: 6, recordLines: 5, records: 5, loaded: 3, quarantined: 2))
    }

    @Test func strayQuoteIsTextWhenQuotesAreNotStrict() {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("name", "name")], strictQuotes: false)
        let csv = "id,name\n1,Ann\n2,O\"Brien\n3,Cy\n"
        let result = extract(extractor, bytes(csv))
        #expect(result.rows == [["1", "Ann"], ["2", "O\"Brien"], ["3", "Cy"]])
        #expect(result.rejected.isEmpty)
    }

    @Test(arguments: pieceSizes)
    func unterminatedQuoteAtEndOfFileReparsesTheFollowingLines(pieceSize: Int) {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("name", "name")])
        // The quote opened on line 3 is never closed: line 3 is quarantined, lines 4-5 load.
        let csv = """
            id,name
            1,Ann
            2,"Bob
            3,Cy
            4,Di

            """
        let result = extract(extractor, bytes(csv), pieceSize: pieceSize)
        #expect(result.rows == [["1", "Ann"], ["3", "Cy"], ["4", "Di"]])
        #expect(result.lines == [2, 4, 5])
        #expect(result.rejected.map(\.line) == [3])
        #expect(result.rejected.map(\.reason) == [.unterminatedQuote])
        #expect(result.rejected.first?.raw.hasPrefix("2,\"Bob") == true)
        #expect(result.counts == counts(physical: 5, recordLines: 4, records: 4, loaded: 3, quarantined: 1))
    }

    @Test func unterminatedQuoteOnTheLastLineWithoutLineBreak() {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("name", "name")])
        let result = extract(extractor, bytes("id,name\n1,Ann\n2,\"Bob"))
        #expect(result.rows == [["1", "Ann"]])
        #expect(result.rejected == [Rejected(3, .unterminatedQuote, "2,\"Bob")])
        #expect(result.counts == counts(physical: 3, recordLines: 2, records: 2, loaded: 1, quarantined: 1))
    }

    @Test(arguments: pieceSizes)
    func unterminatedQuoteInTheMiddleGivesUpAfterMaxRecordLines(pieceSize: Int) {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("name", "name")], maxRecordLines: 3)
        // The quote opened on line 3 is still open after 3 lines (3-5): line 3 is quarantined and
        // parsing resumes on line 4. Line 8 holds a legitimate value spanning exactly 3 lines (8-10).
        let csv = """
            id,name
            1,Ann
            2,"Bob
            3,Cy
            4,Di
            5,Ed
            6,Fay
            7,"x
            y
            z"
            8,Gus

            """
        let result = extract(extractor, bytes(csv), pieceSize: pieceSize)
        #expect(result.rows == [["1", "Ann"], ["3", "Cy"], ["4", "Di"], ["5", "Ed"], ["6", "Fay"], ["7", "x\ny\nz"], ["8", "Gus"]])
        #expect(result.lines == [2, 4, 5, 6, 7, 8, 11])
        #expect(result.rejected.map(\.line) == [3])
        #expect(result.rejected.map(\.reason) == [.unterminatedQuote])
        #expect(result.counts == counts(physical: 11, recordLines: 10, records: 8, loaded: 7, quarantined: 1))
    }

    // MARK: - Delimiters, quotes and file edges

    @Test(arguments: pieceSizes)
    func semicolonDelimiter(pieceSize: Int) {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("name", "name"), field("note", "note")],
                                     delimiter: UInt8(ascii: ";"))
        let csv = "id;name;note\n1;Doe, Jane;x\n2;\"a;b\";y\n"
        let result = extract(extractor, bytes(csv), pieceSize: pieceSize)
        #expect(result.rows == [["1", "Doe, Jane", "x"], ["2", "a;b", "y"]])
        #expect(result.counts == counts(physical: 3, recordLines: 2, records: 2, loaded: 2))
    }

    @Test func tabDelimiter() {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("name", "name")], delimiter: 0x09)
        let csv = "id\tname\n1\tAnn Lee\n2\t\"x\ty\"\n3\t\n"
        let result = extract(extractor, bytes(csv))
        #expect(result.rows == [["1", "Ann Lee"], ["2", "x\ty"], ["3", nil]])
        #expect(result.rejected.isEmpty)
        #expect(result.counts == counts(physical: 4, recordLines: 3, records: 3, loaded: 3))
    }

    @Test func customQuoteCharacter() {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("name", "name")], quote: UInt8(ascii: "'"))
        let csv = "id,name\n1,'Doe, Jane'\n2,\"plain\"\n"
        let result = extract(extractor, bytes(csv))
        #expect(result.rows == [["1", "Doe, Jane"], ["2", "\"plain\""]])
        #expect(result.counts == counts(physical: 3, recordLines: 2, records: 2, loaded: 2))
    }

    @Test(arguments: pieceSizes)
    func lastLineWithoutLineBreak(pieceSize: Int) {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("name", "name")])
        let result = extract(extractor, bytes("id,name\n1,Ann\n2,Bob"), pieceSize: pieceSize)
        #expect(result.rows == [["1", "Ann"], ["2", "Bob"]])
        #expect(result.lines == [2, 3])
        #expect(result.counts == counts(physical: 3, recordLines: 2, records: 2, loaded: 2))

        let quoted = extract(extractor, crlf("id,name\n1,Ann\n2,\"Bob\nLee\""), pieceSize: pieceSize)
        #expect(quoted.rows == [["1", "Ann"], ["2", "Bob\r\nLee"]])
        #expect(quoted.counts == counts(physical: 4, recordLines: 3, records: 2, loaded: 2))
    }

    @Test func emptyFile() {
        let extractor = CSVExtractor(fields: [field("id", "id")])
        let result = extract(extractor, [])
        #expect(result.rows.isEmpty)
        #expect(result.rejected.isEmpty)
        #expect(result.counts == RowCounts())
        #expect(result.pieces == 1)
    }

    /// An empty file as the runtime hands it over: `mmap` is not used for 0 bytes, so the buffer
    /// has no base address (see `MappedFile`). This used to trap on a force-unwrap.
    @Test
    func emptyFileWithoutBaseAddress() {
        let extractor = CSVExtractor(fields: [field("id", "id")])
        let result = extract(extractor, FileBytes(UnsafeRawBufferPointer(start: nil, count: 0)), pieceSize: 1 << 20)
        #expect(result.rows.isEmpty)
        #expect(result.counts == RowCounts())
    }

    @Test func headerOnlyFile() {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("name", "name")])
        for text in ["id,name\n", "id,name", "\u{FEFF}id,name\r\n"] {
            let result = extract(extractor, bytes(text))
            #expect(result.rows.isEmpty, "\(text.debugDescription)")
            #expect(result.rejected.isEmpty)
            #expect(result.counts == counts(physical: 1, recordLines: 0, records: 0, loaded: 0), "\(text.debugDescription)")
        }
        let withBlanks = extract(extractor, bytes("\n\nid,name\n\n"))
        #expect(withBlanks.counts == counts(physical: 4, header: 1, blank: 3, recordLines: 0, records: 0, loaded: 0))
    }

    @Test func multiLineHeader() {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("note", "Long\nNote")])
        let result = extract(extractor, bytes("id,\"Long\nNote\"\n1,x\n"))
        #expect(result.rows == [["1", "x"]])
        #expect(result.lines == [3])
        #expect(result.counts == counts(physical: 3, header: 2, recordLines: 1, records: 1, loaded: 1))
    }

    /// Pieces are cut at the first line feed after the target size, even one inside a quoted
    /// field: the piece that ends inside the record hands it on, and the next piece is parsed
    /// again from the record's start.
    @Test func planCutsAtLineFeedsAndCarriesAnOpenRecord() {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("note", "note")])
        // Header: bytes 0-7 ("id,note\n"); records: "1,a\n" (8-11), "2,\"b\nc\"\n" (12-19), "3,d\n" (20-23).
        let csv = bytes("id,note\n1,a\n2,\"b\nc\"\n3,d\n")
        csv.withUnsafeBytes { raw in
            let file = InputFile(index: 0, source: "s", path: "m", size: raw.count)
            let pieces = extractor.plan(file, bytes: FileBytes(raw), targetPieceSize: 1)
            #expect(pieces.map(\.startOffset) == [8, 12, 17, 20])
            #expect(pieces.map(\.endOffset) == [12, 17, 20, 24])
            #expect(pieces.map(\.firstLine) == [2, 3, 4, 5])
            #expect(pieces.map(\.speculativeEnd) == [true, true, true, false])
            // The second piece ends inside record 2 (line 3, byte 12): it carries it, uncounted.
            let second = extractor.extract(pieces[1], bytes: FileBytes(raw))
            #expect(second.carry?.offset == 12 && second.carry?.line == 3)
            #expect(second.batch.count == 0 && second.quarantined.isEmpty)
            #expect(second.counts == RowCounts())
            let whole = extractor.plan(file, bytes: FileBytes(raw), targetPieceSize: 1 << 20)
            #expect(whole.map(\.startOffset) == [8])
            #expect(whole.map(\.endOffset) == [24])
        }
        let result = extract(extractor, csv, pieceSize: 1)
        #expect(result.rows == [["1", "a"], ["2", "b\nc"], ["3", "d"]])
        #expect(result.lines == [2, 3, 5])
    }

    // MARK: - Same result whatever the piece size

    @Test(arguments: [(UInt64(1), "\n", true), (UInt64(2), "\r\n", false), (UInt64(3), "\n", false), (UInt64(4), "\r\n", true)])
    func pieceSizeNeverChangesTheResult(seed: UInt64, eol: String, unterminatedTail: Bool) {
        let generated = GeneratedCSV(seed: seed, rows: 200, eol: eol, unterminatedTail: unterminatedTail, strayQuotes: false)
        let extractor = GeneratedCSV.extractor
        var first: Extraction?
        for size in pieceSizes {
            let result = extract(extractor, generated.bytes, pieceSize: size)
            expectSameSequence(result.rows, generated.expectedRows, "rows at piece size \(size)")
            expectSameSequence(result.lines, generated.expectedLines, "lines at piece size \(size)")
            expectSameSequence(result.rejected.map { "\($0.line) \($0.reason.rawValue)" },
                               generated.expectedRejected.map { "\($0.line) \($0.reason.rawValue)" },
                               "quarantine at piece size \(size)")
            #expect(result.counts == generated.expectedCounts, "piece size \(size)")
            if let first {
                #expect(result.counts == first.counts)
                expectSameSequence(result.rejected, first.rejected, "raw quarantine at piece size \(size) vs \(pieceSizes[0])")
            } else {
                first = result
            }
        }
        #expect(generated.expectedRejected.count >= 5, "the generator should produce broken rows")
        #expect(generated.multiLineRecords >= 5, "the generator should produce multi-line records")
    }

    /// The same, with stray quotes in unquoted fields among the multi-line records: a quarantined
    /// stray quote must not shift the cut points.
    @Test(arguments: [UInt64(11), UInt64(12)])
    func pieceSizeNeverChangesTheResultWithStrayQuotes(seed: UInt64) {
        let generated = GeneratedCSV(seed: seed, rows: 200, eol: "\n", unterminatedTail: false, strayQuotes: true)
        let extractor = GeneratedCSV.extractor
        for size in pieceSizes {
            let result = extract(extractor, generated.bytes, pieceSize: size)
            expectSameSequence(result.rows, generated.expectedRows, "rows at piece size \(size)")
            expectSameSequence(result.lines, generated.expectedLines, "lines at piece size \(size)")
            expectSameSequence(result.rejected.map { "\($0.line) \($0.reason.rawValue)" },
                               generated.expectedRejected.map { "\($0.line) \($0.reason.rawValue)" },
                               "quarantine at piece size \(size)")
            #expect(result.counts == generated.expectedCounts, "piece size \(size)")
        }
    }

    /// The smallest case of the above: a stray quote, then a record whose quoted value spans two lines.
    @Test(arguments: pieceSizes)
    func strayQuoteBeforeAMultiLineRecord(pieceSize: Int) {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("note", "note")])
        let csv = """
            id,note
            1,ab"c
            2,x
            3,"multi
            line"
            4,y

            """
        let result = extract(extractor, bytes(csv), pieceSize: pieceSize)
        #expect(result.rows == [["2", "x"], ["3", "multi\nline"], ["4", "y"]])
        #expect(result.lines == [3, 4, 6])
        #expect(result.rejected == [Rejected(2, .malformedQuotes, "1,ab\"c")])
        #expect(result.counts == counts(physical: 6, recordLines: 5, records: 4, loaded: 3, quarantined: 1))
    }
}

extension CSVExtractorTests {
    /// With `strict_quotes: false` a quote inside an unquoted field is text; the record after it,
    /// whose quoted value spans two lines, must still be one record whatever the piece size.
    @Test(arguments: pieceSizes)
    func lenientStrayQuoteBeforeAMultiLineRecord(pieceSize: Int) {
        let extractor = CSVExtractor(fields: [field("id", "id"), field("note", "note")], strictQuotes: false)
        let csv = "id,note\n1,ab\"c\n2,x\n3,\"multi\nline\"\n4,y\n"
        let result = extract(extractor, bytes(csv), pieceSize: pieceSize)
        #expect(result.rows == [["1", "ab\"c"], ["2", "x"], ["3", "multi\nline"], ["4", "y"]])
        #expect(result.lines == [2, 3, 4, 6])
        #expect(result.rejected.isEmpty)
        #expect(result.counts == counts(physical: 6, recordLines: 5, records: 4, loaded: 4))
    }
}

// MARK: - Generated input

/// A CSV file of `rows` generated rows of known kinds, with what a correct extraction must give,
/// derived from the generator's own knowledge of each row.
struct GeneratedCSV {
    static let extractor = CSVExtractor(fields: [field("id", "ID"), field("name", "Name"), field("note", "Note")])

    var bytes: [UInt8] = []
    var expectedRows: [[String?]] = []
    var expectedLines: [Int] = []
    var expectedRejected: [(line: Int, reason: QuarantineReason)] = []
    var expectedCounts = RowCounts()
    var multiLineRecords = 0

    init(seed: UInt64, rows: Int, eol: String, unterminatedTail: Bool, strayQuotes: Bool) {
        var rng = SplitMix64(seed: seed)
        var line = 1  // the physical line the next appended line will have
        let eolBytes = Array(eol.utf8)

        func emit(_ content: [UInt8], lines: Int, newline: Bool = true) {
            bytes += content
            if newline { bytes += eolBytes }
            line += lines
            expectedCounts.physicalLines += lines
        }
        func loaded(_ values: [String?], lines: Int) {
            expectedRows.append(values)
            expectedLines.append(line)
            expectedCounts.records += 1
            expectedCounts.loaded += 1
            expectedCounts.recordLines += lines
        }
        func rejected(_ reason: QuarantineReason, lines: Int) {
            expectedRejected.append((line, reason))
            expectedCounts.records += 1
            expectedCounts.quarantined += 1
            expectedCounts.recordLines += lines
        }

        emit(Array("ID,Name,Note".utf8), lines: 1)
        expectedCounts.headerLines = 1

        for i in 0..<rows {
            let kind = rng.below(100)
            switch kind {
            case 0..<45:
                loaded(["\(i)", "name\(i)", "note\(i)"], lines: 1)
                emit(Array("\(i),name\(i),note\(i)".utf8), lines: 1)
            case 45..<52:
                loaded(["\(i)", "Doe, \(i)", "n"], lines: 1)
                emit(Array("\(i),\"Doe, \(i)\",n".utf8), lines: 1)
            case 52..<58:
                loaded(["\(i)", "say \"hi\" \(i)", "n"], lines: 1)
                emit(Array("\(i),\"say \"\"hi\"\" \(i)\",n".utf8), lines: 1)
            case 58..<70:
                // A quoted value spanning 2 to 4 physical lines.
                let extra = 1 + rng.below(3)
                var value = "top\(i)"
                for _ in 1..<extra { value += eol + "mid" }
                value += eol + "end"
                loaded(["\(i)", value, "n"], lines: extra + 1)
                multiLineRecords += 1
                emit(Array("\(i),\"\(value)\",n".utf8), lines: extra + 1)
            case 70..<76:
                // A blank line: counted, not a record.
                expectedCounts.blankLines += 1
                emit(rng.below(2) == 0 ? [] : Array(" \t ".utf8), lines: 1)
            case 76..<82:
                rejected(.wrongFieldCount, lines: 1)
                emit(Array("\(i),only".utf8), lines: 1)
            case 82..<86:
                rejected(.invalidUTF8, lines: 1)
                emit(Array("\(i),bad".utf8) + [0xFF] + Array("x,n".utf8), lines: 1)
            case 86..<92:
                loaded(["\(i)", "Müller \(i)", "ñ"], lines: 1)
                emit(Array("\(i),Müller \(i),ñ".utf8), lines: 1)
            case 92..<96 where strayQuotes:
                rejected(.malformedQuotes, lines: 1)
                emit(Array("\(i),O\"Brien\(i),n".utf8), lines: 1)
            default:
                loaded(["\(i)", nil, nil], lines: 1)
                emit(Array("\(i),,".utf8), lines: 1)
            }
        }

        if unterminatedTail {
            // A quote that is never closed, then two records that are parsed again; the file's
            // last line has no line break.
            rejected(.unterminatedQuote, lines: 1)
            emit(Array("\(rows),\"never closed".utf8), lines: 1)
            loaded(["\(rows + 1)", "after", "x"], lines: 1)
            emit(Array("\(rows + 1),after,x".utf8), lines: 1)
            loaded(["\(rows + 2)", "last", "y"], lines: 1)
            emit(Array("\(rows + 2),last,y".utf8), lines: 1, newline: false)
        }
    }
}
