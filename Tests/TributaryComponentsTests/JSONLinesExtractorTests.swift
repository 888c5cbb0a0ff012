import CZlib
import Foundation
import Testing
@testable import TributaryComponents
import TributaryCore
import TributaryTestSupport

// Every expected value below is written by hand from the JSON text next to it (UTF-8 bytes of
// decoded escapes are spelled out in hex). Physical lines are numbered from 1.

@Suite("JSON-lines extractor")
struct JSONLinesExtractorTests {

    /// Piece sizes: one line per piece, a few lines, the whole file.
    static let pieceSizes = [1, 50, 1 << 20]

    // MARK: - Helpers (nested, so they do not collide with the other test files' helpers)

    struct Rejected: Equatable, CustomStringConvertible {
        var line: Int
        var reason: QuarantineReason
        var raw: String

        init(_ line: Int, _ reason: QuarantineReason, _ raw: String) {
            self.line = line
            self.reason = reason
            self.raw = raw
        }

        var description: String { "\(line) \(reason.rawValue) \(raw.debugDescription)" }
    }

    struct Result: Equatable {
        var rows: [[String?]] = []
        var lines: [Int] = []
        /// The raw text of each loaded record, through `rawRanges` and `raw`.
        var raws: [String] = []
        var rejected: [Rejected] = []
        var details: [String] = []
        var counts = RowCounts()
        var pieces = 0

        var content: Result { var c = self; c.pieces = 0; return c }
    }

    /// Stages the bytes as the runtime does (gzip inflated as a stream, fed `feedSize` bytes at a
    /// time; lines over the limit left out), then plans them into pieces of `pieceSize`, extracts
    /// every piece and accounts the long lines in it.
    static func run(_ extractor: JSONLinesExtractor, _ bytes: [UInt8], pieceSize: Int = 1 << 20,
                    feedSize: Int = 4096, limits: InputLimits = InputLimits(),
                    sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Result {
        let staged: StagedInput
        do {
            staged = try stage(bytes, feedSize: feedSize, limits: limits)
        } catch {
            Issue.record("staging failed: \(error)", sourceLocation: sourceLocation)
            return Result()
        }
        let data = staged.bytes
        let file = InputFile(index: 3, source: "events", path: "memory.jsonl", size: data.count)
        let pieces = extractor.plan(file, bytes: data, targetPieceSize: pieceSize)
        var result = Result()
        result.pieces = pieces.count
        var previousEnd = 0
        for (i, piece) in pieces.enumerated() {
            #expect(piece.ordinal == i, sourceLocation: sourceLocation)
            #expect(piece.startOffset == previousEnd, "pieces must be contiguous", sourceLocation: sourceLocation)
            previousEnd = piece.endOffset
            var output = extractor.extract(piece, bytes: data)
            let range = piece.startOffset..<piece.endOffset
            var rejections = output.accountLongLines(staged.longLines(in: range), fileIndex: 3)
            rejections += output.accountBlankRuns(staged.blankRuns(in: range), maxRun: staged.maxBlankRunLines)
            output.renumberLines(staged.fileLine)
            #expect(rejections.isEmpty, "a JSON-lines record spans one line", sourceLocation: sourceLocation)
            #expect(output.batch.columns.count == extractor.fields.count, sourceLocation: sourceLocation)
            #expect(output.batch.rawRanges.count == output.batch.count, sourceLocation: sourceLocation)
            for row in 0..<output.batch.count {
                result.rows.append(output.batch.columns.map { $0.string(row) })
                result.raws.append(String(decoding: output.rawBytes(row: row), as: UTF8.self))
            }
            result.lines += output.batch.lines
            for record in output.quarantined.sorted(by: { $0.line < $1.line }) {
                #expect(record.fileIndex == 3, sourceLocation: sourceLocation)
                result.rejected.append(Rejected(record.line, record.reason, String(decoding: record.raw, as: UTF8.self)))
                result.details.append(record.detail)
            }
            #expect(output.counts.violations.isEmpty, "piece \(i): \(output.counts.violations)", sourceLocation: sourceLocation)
            #expect(output.counts.loaded == output.batch.count, sourceLocation: sourceLocation)
            #expect(output.counts.quarantined == output.quarantined.count, sourceLocation: sourceLocation)
            result.counts += output.counts
        }
        #expect(result.counts.violations.isEmpty, "\(result.counts.violations)", sourceLocation: sourceLocation)
        return result
    }

    /// The staged copy of `bytes`, fed to the stager `feedSize` bytes at a time.
    static func stage(_ bytes: [UInt8], feedSize: Int = 4096, limits: InputLimits = InputLimits()) throws -> StagedInput {
        let stager = try InputStager(directory: NSTemporaryDirectory(), name: "memory.jsonl", inflateGzip: true,
                                     limits: limits, expectedSize: bytes.count)
        try bytes.withUnsafeBytes { raw in
            var from = 0
            while from < raw.count {
                let to = min(raw.count, from + max(1, feedSize))
                try stager.feed(UnsafeRawBufferPointer(rebasing: raw[from..<to]))
                from = to
            }
        }
        return try stager.finish()
    }

    static func run(_ extractor: JSONLinesExtractor, _ text: String, pieceSize: Int = 1 << 20,
                    sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Result {
        run(extractor, Array(text.utf8), pieceSize: pieceSize, sourceLocation: sourceLocation)
    }

    static func field(_ name: String, _ paths: JSONPath...) -> JSONLinesExtractor.Field {
        JSONLinesExtractor.Field(name: name, paths: paths)
    }

    static func counts(physical: Int, blank: Int = 0, records: Int, loaded: Int, quarantined: Int = 0) -> RowCounts {
        var c = RowCounts()
        c.physicalLines = physical
        c.blankLines = blank
        c.recordLines = records  // one physical line per JSON-lines record
        c.records = records
        c.loaded = loaded
        c.quarantined = quarantined
        return c
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    // MARK: - Paths

    @Test(arguments: pieceSizes)
    func pathsAtSeveralDepths(pieceSize: Int) {
        let extractor = JSONLinesExtractor(fields: [
            Self.field("type", "$.type"),
            Self.field("email", "$.traits.email"),
            Self.field("device", "$.context.device.id"),
            Self.field("spaced", #"$.properties["order id"]"#),
            Self.field("second_sku", "$.properties.products[1].sku"),
            Self.field("quoted", "$['odd.key']"),
        ])
        let jsonl = #"""
            {"type":"track","traits":{"email":"ann@example.com"},"context":{"device":{"id":"d-1","os":"ios"}},"properties":{"order id":"o 7","products":[{"sku":"A"},{"sku":"B"}]},"odd.key":"dot"}
            {"context":{"device":{"os":"android"}},"type":"identify","traits":{"name":"Bob","email":"bob@example.com"}}
            { "properties" : { "products" : [ { "sku" : "only" } ] } , "type" : "page" }

            """#
        let result = Self.run(extractor, jsonl, pieceSize: pieceSize)
        #expect(result.rows == [
            ["track", "ann@example.com", "d-1", "o 7", "B", "dot"],
            ["identify", "bob@example.com", nil, nil, nil, nil],
            ["page", nil, nil, nil, nil, nil],
        ])
        #expect(result.lines == [1, 2, 3])
        #expect(result.rejected.isEmpty)
        #expect(result.counts == Self.counts(physical: 3, records: 3, loaded: 3))
        #expect(result.raws[1] == #"{"context":{"device":{"os":"android"}},"type":"identify","traits":{"name":"Bob","email":"bob@example.com"}}"#)
    }

    @Test func keysAreComparedExactlyIncludingEscapedKeys() {
        // "em\u0061il" is the key "email"; "Email" is another key.
        let extractor = JSONLinesExtractor(fields: [Self.field("email", "$.email")])
        let result = Self.run(extractor, #"""
            {"Email":"upper@x.io"}
            {"em\u0061il":"escaped@x.io"}
            {"emai":"short@x.io","emails":"long@x.io"}

            """#)
        #expect(result.rows == [[nil], ["escaped@x.io"], [nil]])
    }

    @Test func repeatedKeyLastValueWins() {
        let extractor = JSONLinesExtractor(fields: [Self.field("a", "$.a"), Self.field("b", "$.o.b"), Self.field("c", "$.o.c")])
        let result = Self.run(extractor, #"""
            {"a":"first","a":"second","o":{"b":"1","c":"2"},"o":{"b":"3"}}

            """#)
        // The second "o" replaces the first one entirely, as JSON.parse does: $.o.c is absent.
        #expect(result.rows == [["second", "3", nil]])
    }

    @Test func wholeEventWithDollar() {
        let extractor = JSONLinesExtractor(fields: [Self.field("event", "$"), Self.field("id", "$.id")])
        let result = Self.run(extractor, " {\"id\": 1, \"x\": [true]} \r\n")
        #expect(result.rows == [[#"{"id": 1, "x": [true]}"#, "1"]])
    }

    @Test(arguments: pieceSizes)
    func coalesceTakesFirstNonEmptyPath(pieceSize: Int) {
        let extractor = JSONLinesExtractor(fields: [Self.field("user", "$.userId", "$.anonymousId")])
        let jsonl = #"""
            {"userId":"u1","anonymousId":"a1"}
            {"userId":null,"anonymousId":"a2"}
            {"userId":"","anonymousId":"a3"}
            {"anonymousId":"a4"}
            {"userId":"u5"}
            {"other":1}
            {"anonymousId":"a7","userId":"u7"}

            """#
        let result = Self.run(extractor, jsonl, pieceSize: pieceSize)
        #expect(result.rows == [["u1"], ["a2"], ["a3"], ["a4"], ["u5"], [nil], ["u7"]])
        #expect(result.lines == [1, 2, 3, 4, 5, 6, 7])
    }

    // MARK: - Values

    @Test func escapesAreDecodedToUTF8() {
        let extractor = JSONLinesExtractor(fields: [Self.field("s", "$.s")])
        let jsonl = #"""
            {"s":"q\"b\\s\/n\nr\rt\tb\bf\f"}
            {"s":"caf\u00e9 \u20AC \ud83d\ude00 \u0041"}
            {"s":"M\u00FCller"}
            {"s":"Müller ✓"}

            """#
        let result = Self.run(extractor, jsonl)
        #expect(result.rejected.isEmpty)
        #expect(result.rows.count == 4)
        // q " b \ s / n LF r CR t TAB b BS f FF
        #expect(Array(result.rows[0][0]!.utf8) == [0x71, 0x22, 0x62, 0x5C, 0x73, 0x2F, 0x6E, 0x0A, 0x72, 0x0D,
                                                    0x74, 0x09, 0x62, 0x08, 0x66, 0x0C])
        // c a f é(C3 A9) space €(E2 82 AC) space 😀(F0 9F 98 80) space A
        #expect(Array(result.rows[1][0]!.utf8) == [0x63, 0x61, 0x66, 0xC3, 0xA9, 0x20, 0xE2, 0x82, 0xAC, 0x20,
                                                    0xF0, 0x9F, 0x98, 0x80, 0x20, 0x41])
        #expect(Array(result.rows[2][0]!.utf8) == [0x4D, 0xC3, 0xBC, 0x6C, 0x6C, 0x65, 0x72])
        #expect(Array(result.rows[3][0]!.utf8) == [0x4D, 0xC3, 0xBC, 0x6C, 0x6C, 0x65, 0x72, 0x20, 0xE2, 0x9C, 0x93])
    }

    @Test func allowedValuesCompareDecodedStrings() {
        let extractor = JSONLinesExtractor(fields: [Self.field("t", "$.t")], requirements: .init(allowed: [
            .init(path: "$.t", values: ["café", "1", "true"]),
        ]))
        let result = Self.run(extractor, #"""
            {"t":"caf\u00e9"}
            {"t":1}
            {"t":true}
            {"t":"cafe"}
            {"t":1.0}

            """#)
        #expect(result.rows == [["café"], ["1"], ["true"]])
        #expect(result.rejected == [Rejected(4, .ruleFailed, #"{"t":"cafe"}"#), Rejected(5, .ruleFailed, #"{"t":1.0}"#)])
    }

    @Test func unpairedSurrogatesAreInvalidJSON() {
        let extractor = JSONLinesExtractor(fields: [Self.field("s", "$.s")])
        let jsonl = #"""
            {"s":"\ud83d"}
            {"s":"\ude00x"}
            {"s":"\ud83d\u0041"}
            {"s":"\ud83dx"}
            {"s":"ok \ud83d\ude00"}

            """#
        let result = Self.run(extractor, jsonl)
        #expect(result.rejected == [
            Rejected(1, .invalidJSON, #"{"s":"\ud83d"}"#),
            Rejected(2, .invalidJSON, #"{"s":"\ude00x"}"#),
            Rejected(3, .invalidJSON, #"{"s":"\ud83d\u0041"}"#),
            Rejected(4, .invalidJSON, #"{"s":"\ud83dx"}"#),
        ])
        #expect(result.rows == [["ok 😀"]])
        #expect(result.details.allSatisfy { $0.contains("surrogate") })
    }

    @Test func numbersBooleansAndNull() {
        let extractor = JSONLinesExtractor(fields: [
            Self.field("price", "$.price"), Self.field("neg", "$.neg"), Self.field("exp", "$.exp"),
            Self.field("zero", "$.zero"), Self.field("yes", "$.yes"), Self.field("no", "$.no"), Self.field("none", "$.none"),
        ])
        let jsonl = #"""
            {"price":19.99,"neg":-0.50,"exp":1.5e+10,"zero":0,"yes":true,"no":false,"none":null}

            """#
        let result = Self.run(extractor, jsonl)
        #expect(result.rows == [["19.99", "-0.50", "1.5e+10", "0", "true", "false", nil]])
    }

    @Test func malformedNumbersAndLiterals() {
        let extractor = JSONLinesExtractor(fields: [Self.field("n", "$.n")])
        let jsonl = #"""
            {"n":01}
            {"n":1.}
            {"n":.5}
            {"n":+1}
            {"n":1e}
            {"n":TRUE}
            {"n":nul}
            {"n":-}
            {"n":2E-3}

            """#
        let result = Self.run(extractor, jsonl)
        #expect(result.rejected.map(\.line) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(result.rejected.allSatisfy { $0.reason == .invalidJSON })
        #expect(result.rows == [["2E-3"]])
    }

    @Test func nestedValuesAreTheirJSONText() {
        let extractor = JSONLinesExtractor(fields: [
            Self.field("props", "$.properties"), Self.field("c", "$.properties.b.c"),
            Self.field("items", "$.items"), Self.field("first", "$.items[0]"), Self.field("empty", "$.empty"),
        ])
        let jsonl = #"""
            {"properties":{"a":[1, 2],"b":{"c":"x\"y"}},"items":[{"sku":"A"}, 3],"empty":{}}

            """#
        let result = Self.run(extractor, jsonl)
        #expect(result.rows == [[#"{"a":[1, 2],"b":{"c":"x\"y"}}"#, #"x"y"#, #"[{"sku":"A"}, 3]"#, #"{"sku":"A"}"#, "{}"]])
    }

    // MARK: - Absent, null and "" with the rules

    static let presence = #"""
        {"a":"x"}
        {"a":null}
        {"a":""}
        {"b":"x"}

        """#

    @Test func absentNullAndEmptyAreAllNull() {
        let extractor = JSONLinesExtractor(fields: [Self.field("a", "$.a")])
        let result = Self.run(extractor, Self.presence)
        #expect(result.rows == [["x"], [nil], [nil], [nil]])
    }

    @Test func requiredPathFailsOnlyWhenAbsent() {
        let extractor = JSONLinesExtractor(fields: [Self.field("a", "$.a")], requirements: .init(present: ["$.a"]))
        let result = Self.run(extractor, Self.presence)
        #expect(result.rows == [["x"], [nil], [nil]])
        #expect(result.lines == [1, 2, 3])
        #expect(result.rejected == [Rejected(4, .ruleFailed, #"{"b":"x"}"#)])
        #expect(result.details == ["rule require.paths failed: $.a is absent"])
        #expect(result.counts == Self.counts(physical: 4, records: 4, loaded: 3, quarantined: 1))
    }

    @Test func notNullFailsOnAbsentAndNull() {
        let extractor = JSONLinesExtractor(fields: [Self.field("a", "$.a")], requirements: .init(notNull: ["$.a"]))
        let result = Self.run(extractor, Self.presence)
        #expect(result.lines == [1, 3])
        #expect(result.rejected.map(\.line) == [2, 4])
        #expect(result.details == ["rule require.not_null failed: $.a is absent or null",
                                   "rule require.not_null failed: $.a is absent or null"])
    }

    @Test func notEmptyFailsOnAbsentNullAndEmptyString() {
        let extractor = JSONLinesExtractor(fields: [Self.field("a", "$.a")], requirements: .init(notEmpty: ["$.a"]))
        let result = Self.run(extractor, Self.presence)
        #expect(result.lines == [1])
        #expect(result.rejected.map(\.line) == [2, 3, 4])
        #expect(result.rejected.allSatisfy { $0.reason == .ruleFailed })
    }

    @Test func allowedAndAtLeastOneOfRulesNeverPrintValues() {
        let extractor = JSONLinesExtractor(
            fields: [Self.field("type", "$.type"), Self.field("user", "$.userId", "$.anonymousId")],
            requirements: .init(present: ["$.type"], allowed: [.init(path: "$.type", values: ["track", "page"])],
                                atLeastOneOf: [["$.userId", "$.anonymousId"]]))
        let jsonl = #"""
            {"type":"track","userId":"u1"}
            {"type":"identify-secret","userId":"u2"}
            {"type":null,"anonymousId":"a3"}
            {"type":"page","userId":"","anonymousId":null}
            {"userId":"u5"}
            {"type":"page","anonymousId":"a6"}

            """#
        let result = Self.run(extractor, jsonl)
        // A null type passes `allowed` (add it to not_null to require it); an absent one breaks `paths`.
        #expect(result.rows == [["track", "u1"], [nil, "a3"], ["page", "a6"]])
        #expect(result.lines == [1, 3, 6])
        #expect(result.rejected.map(\.line) == [2, 4, 5])
        #expect(result.details == [
            "rule require.allowed failed: $.type is not one of the 2 allowed values",
            "rule require.at_least_one_of failed: none of $.userId, $.anonymousId has a value",
            "rule require.paths failed: $.type is absent",
        ])
        #expect(!result.details.joined().contains("secret"))
    }

    @Test func conditionalRulesApplyWhereTheirConditionHolds() throws {
        // The export spec's rule: a `track` line needs a non-empty `event`; other types need none.
        var bag = DiagnosticBag()
        let track = try #require(JSONCondition.parse(ConfigNode(.scalar("$.type == 'track'"), at: .init(file: "p.yml", line: 1, column: 1)),
                                                     diagnostics: &bag))
        let notPage = try #require(JSONCondition.parse(ConfigNode(.scalar("$.type not in ('page', \"identify\")"), at: .init(file: "p.yml", line: 1, column: 1)),
                                                       diagnostics: &bag))
        #expect(bag.items.isEmpty)
        let extractor = JSONLinesExtractor(
            fields: [Self.field("type", "$.type"), Self.field("event", "$.event")],
            requirements: .init(conditional: [.init(condition: track, rules: .init(notEmpty: ["$.event"])),
                                              .init(condition: notPage, rules: .init(present: ["$.userId"]))]))
        let jsonl = #"""
            {"type":"track","event":"Order Completed","userId":"u"}
            {"type":"track","event":"","userId":"u"}
            {"type":"page","userId":"u"}
            {"type":"identify","userId":"u"}
            {"type":"tr\u0061ck","userId":"u"}
            {"type":"Track","userId":"u"}
            {"event":"x"}
            {"type":"page"}
            {"type":"Track"}

            """#
        let result = Self.run(extractor, jsonl)
        #expect(result.lines == [1, 3, 4, 6, 7, 8])
        #expect(result.rejected.map(\.line) == [2, 5, 9])
        #expect(result.details == [
            "rule require.not_empty (when $.type == 'track') failed: $.event is absent, null or empty",
            "rule require.not_empty (when $.type == 'track') failed: $.event is absent, null or empty",  // escapes decoded
            "rule require.paths (when $.type not in ('page', \"identify\")) failed: $.userId is absent",
        ])
    }

    @Test func badConditionsAreReportedAtTheirColumn() {
        let cases: [(String, Int, String)] = [
            ("$.type = 'track'", 7, "expected `==`, `!=`, `in` or `not in`"),
            ("$.type == track", 10, "expected a value"),
            ("type == 'track'", 0, "the JSON path is invalid"),
            ("$.type in ('a', 'b'", 19, "expected `,` or `)`"),
            ("$.type == 'a' and $.x == 'b'", 14, "one comparison per condition"),
            ("$.type == 'unclosed", 10, "expected a value"),
        ]
        for (text, offset, expected) in cases {
            var bag = DiagnosticBag()
            let parsed = JSONCondition.parse(ConfigNode(.scalar(text), at: .init(file: "p.yml", line: 9, column: 15)), diagnostics: &bag)
            #expect(parsed == nil, "\(text)")
            #expect(bag.items.count == 1, "\(text)")
            #expect(bag.items.first?.message.contains(expected) == true, "\(text): \(bag.items)")
            #expect(bag.items.first?.location == .init(file: "p.yml", line: 9, column: 15 + offset), "\(text): \(bag.items)")
        }
    }

    // MARK: - Quarantine

    @Test(arguments: pieceSizes)
    func eachQuarantineReasonWithItsLine(pieceSize: Int) {
        let extractor = JSONLinesExtractor(fields: [Self.field("a", "$.a")])
        var bytes = Array(#"{"a":"ok1"}"#.utf8) + [0x0A]
        bytes += Array(#"[1,2]"#.utf8) + [0x0A]                          // 2: not an object
        bytes += Array(#"{"a":"x"} {"#.utf8) + [0x0A]                     // 3: trailing data
        bytes += Array(#"{"a":""#.utf8) + [0xFF] + Array(#""}"#.utf8) + [0x0A]  // 4: invalid UTF-8
        bytes += Array(#"{"a":1,}"#.utf8) + [0x0A]                        // 5: trailing comma
        bytes += Array("{\"a\":\"tab\there\"}".utf8) + [0x0A]             // 6: raw control character
        bytes += Array(#"not json"#.utf8) + [0x0A]                        // 7
        bytes += Array(#"{"a" "b"}"#.utf8) + [0x0A]                       // 8: missing colon
        bytes += Array(#"{"a":"ok9"}"#.utf8) + [0x0A]
        bytes += Array(#"{a:1}"#.utf8) + [0x0A]                           // 10: unquoted key
        bytes += Array(#"{"a":[1 2]}"#.utf8) + [0x0A]                     // 11
        bytes += [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D, 0x0A]  // 12: bad continuation byte
        bytes += [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D, 0x0A]  // 13: UTF-8 surrogate
        bytes += Array(#"{"a":"x"}}"#.utf8) + [0x0A]                      // 14: trailing data
        bytes += Array(#"{"a":"cut"#.utf8)                                // 15: truncated, no line feed
        let result = Self.run(extractor, bytes, pieceSize: pieceSize)
        #expect(result.rows == [["ok1"], ["ok9"]])
        #expect(result.lines == [1, 9])
        #expect(result.rejected == [
            Rejected(2, .invalidJSON, "[1,2]"),
            Rejected(3, .invalidJSON, #"{"a":"x"} {"#),
            Rejected(4, .invalidUTF8, Self.text(Array(#"{"a":""#.utf8) + [0xFF] + Array(#""}"#.utf8))),
            Rejected(5, .invalidJSON, #"{"a":1,}"#),
            Rejected(6, .invalidJSON, "{\"a\":\"tab\there\"}"),
            Rejected(7, .invalidJSON, "not json"),
            Rejected(8, .invalidJSON, #"{"a" "b"}"#),
            Rejected(10, .invalidJSON, "{a:1}"),
            Rejected(11, .invalidJSON, #"{"a":[1 2]}"#),
            Rejected(12, .invalidUTF8, Self.text([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D])),
            Rejected(13, .invalidUTF8, Self.text([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D])),
            Rejected(14, .invalidJSON, #"{"a":"x"}}"#),
            Rejected(15, .truncatedJSON, #"{"a":"cut"#),
        ])
        #expect(result.counts == Self.counts(physical: 15, records: 15, loaded: 2, quarantined: 13))
        if pieceSize == 1 << 20 {
            #expect(result.details[0] == "the line is not a JSON object (it does not start with '{')")
            #expect(result.details[1] == "invalid JSON at byte 11: unexpected data after the JSON object")
            #expect(result.details[2] == "invalid UTF-8 at byte 7 of the line")
            #expect(result.details[3] == "invalid JSON at byte 8: expected a quoted object key")
            #expect(result.details[12] == "the line ends after 9 bytes, before the JSON object is complete")
        }
    }

    @Test func truncatedObjectsAtEveryCut() {
        // Every proper prefix of a valid object is truncated, never "invalid".
        let full = #"{"a":{"b":[1,-2.5e3,true,false,null,"x\u00e9\n"]},"c":"é"}"#
        let bytes = Array(full.utf8)
        let extractor = JSONLinesExtractor(fields: [Self.field("c", "$.c")])
        for cut in 1..<bytes.count {
            let result = Self.run(extractor, Array(bytes[0..<cut]) + [0x0D, 0x0A])
            #expect(result.rejected.map(\.reason) == [.truncatedJSON], "cut at \(cut)")
        }
        #expect(Self.run(extractor, bytes).rows == [["é"]])
    }

    @Test func blankLinesAreCountedNotRecords() {
        let extractor = JSONLinesExtractor(fields: [Self.field("a", "$.a")])
        let jsonl = "\n   \n{\"a\":\"1\"}\n\t\r\n\n{\"a\":\"2\"}\n\n"
        let result = Self.run(extractor, jsonl)
        #expect(result.rows == [["1"], ["2"]])
        #expect(result.lines == [3, 6])
        #expect(result.counts == Self.counts(physical: 7, blank: 5, records: 2, loaded: 2))
    }

    @Test func emptyFile() {
        let extractor = JSONLinesExtractor(fields: [Self.field("a", "$.a")])
        let result = Self.run(extractor, [UInt8]())
        #expect(result.rows.isEmpty)
        #expect(result.counts == RowCounts())
    }

    @Test(arguments: pieceSizes)
    func crlfLineEndsAndByteOrderMark(pieceSize: Int) {
        let extractor = JSONLinesExtractor(fields: [Self.field("a", "$.a")])
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("{\"a\":\"1\"}\r\n\r\n{\"a\":\"2\"}\r\n{\"a\":\"3\r\n{\"a\":\"4\"}\r\n".utf8)
        let result = Self.run(extractor, bytes, pieceSize: pieceSize)
        #expect(result.rows == [["1"], ["2"], ["4"]])
        #expect(result.lines == [1, 3, 5])
        #expect(result.raws == [#"{"a":"1"}"#, #"{"a":"2"}"#, #"{"a":"4"}"#])
        #expect(result.rejected == [Rejected(4, .truncatedJSON, #"{"a":"3"#)])
        #expect(result.counts == Self.counts(physical: 5, blank: 1, records: 4, loaded: 3, quarantined: 1))
    }

    @Test(arguments: pieceSizes)
    func lastLineWithoutLineFeed(pieceSize: Int) {
        let extractor = JSONLinesExtractor(fields: [Self.field("a", "$.a")])
        let result = Self.run(extractor, "{\"a\":\"1\"}\n{\"a\":\"2\"}", pieceSize: pieceSize)
        #expect(result.rows == [["1"], ["2"]])
        #expect(result.lines == [1, 2])
        #expect(result.raws == [#"{"a":"1"}"#, #"{"a":"2"}"#])
        #expect(result.counts == Self.counts(physical: 2, records: 2, loaded: 2))
    }

    @Test func tooDeepNestingIsInvalid() {
        let extractor = JSONLinesExtractor(fields: [Self.field("a", "$.a")])
        let deep = "{\"a\":" + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}\n"
        let result = Self.run(extractor, deep)
        #expect(result.rejected.map(\.reason) == [.invalidJSON])
        #expect(result.details.first?.contains("nested deeper") == true)
    }

    // MARK: - Piece sizes

    static let mixed = #"""
        {"id":1,"user":{"email":"a@x.io"},"tags":["a","b"]}

        {"id":2,"user":{"email":"b\u0040x.io"}}
        [2]
        {"id":3,"user":null}
          {"id":4,"user":{"email":""},"x":{"deep":[{"y":1}]}}
        {"id":5,"user":{"email":"e@x.io"

        {"id":6,"user":{"email":"f@x.io"}}
        """#

    @Test func resultsAreIdenticalForEveryPieceSize() {
        let extractor = JSONLinesExtractor(fields: [Self.field("id", "$.id"), Self.field("email", "$.user.email"),
                                                    Self.field("tag", "$.tags[1]")])
        let results = [1, 50, 1 << 20].map { Self.run(extractor, Self.mixed, pieceSize: $0) }
        #expect(results[0].pieces == 9)
        #expect(results[2].pieces == 1)
        #expect(results[0].content == results[2].content)
        #expect(results[1].content == results[2].content)
        #expect(results[2].rows == [["1", "a@x.io", "b"], ["2", "b@x.io", nil], ["3", nil, nil], ["4", nil, nil],
                                    ["6", "f@x.io", nil]])
        #expect(results[2].lines == [1, 3, 5, 6, 9])
        #expect(results[2].rejected == [Rejected(4, .invalidJSON, "[2]"),
                                        Rejected(7, .truncatedJSON, #"{"id":5,"user":{"email":"e@x.io""#)])
        #expect(results[2].counts == Self.counts(physical: 9, blank: 2, records: 7, loaded: 5, quarantined: 2))
    }

    // MARK: - gzip

    /// gzip bytes made with zlib's deflate (`level` 0 stores the data uncompressed).
    static func gzip(_ text: String, level: Int32 = Z_DEFAULT_COMPRESSION) -> [UInt8] {
        var input = Array(text.utf8)
        var stream = z_stream()
        let initialized = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                                        Int32(MemoryLayout<z_stream>.size))
        precondition(initialized == Z_OK)
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
        let produced = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END)
                return target.count - Int(stream.avail_out)
            }
        }
        deflateEnd(&stream)
        return Array(output[0..<produced])
    }

    static let events = #"""
        {"type":"track","userId":"u1","properties":{"revenue":19.99}}
        {"type":"page","anonymousId":"a2"}

        {"type":"identify","userId":"u4","properties":{"revenue":"7"}}

        """#

    static var eventFields: [JSONLinesExtractor.Field] {
        [field("type", "$.type"), field("user", "$.userId", "$.anonymousId"), field("revenue", "$.properties.revenue")]
    }

    static let eventRows: [[String?]] = [["track", "u1", "19.99"], ["page", "a2", nil], ["identify", "u4", "7"]]

    @Test(arguments: pieceSizes)
    func gzipIsDetectedByMagicBytes(pieceSize: Int) {
        let extractor = JSONLinesExtractor(fields: Self.eventFields)
        let compressed = Self.gzip(Self.events)
        #expect(compressed[0] == 0x1F && compressed[1] == 0x8B)
        let result = Self.run(extractor, compressed, pieceSize: pieceSize)
        #expect(result.rows == Self.eventRows)
        #expect(result.lines == [1, 2, 4])
        #expect(result.raws == [#"{"type":"track","userId":"u1","properties":{"revenue":19.99}}"#,
                                #"{"type":"page","anonymousId":"a2"}"#,
                                #"{"type":"identify","userId":"u4","properties":{"revenue":"7"}}"#])
        #expect(result.counts == Self.counts(physical: 4, blank: 1, records: 3, loaded: 3))
        #expect(result.content == Self.run(extractor, Self.events, pieceSize: pieceSize).content)
    }

    @Test func gzipQuarantineKeepsRawLines() {
        let extractor = JSONLinesExtractor(fields: Self.eventFields)
        let result = Self.run(extractor, Self.gzip("{\"type\":\"track\"}\n{\"type\":\n"))
        #expect(result.rows == [["track", nil, nil]])
        #expect(result.rejected == [Rejected(2, .truncatedJSON, #"{"type":"#)])
    }

    @Test func concatenatedGzipMembers() {
        let extractor = JSONLinesExtractor(fields: Self.eventFields)
        // The first member ends in the middle of line 2: members are one stream of bytes.
        let bytes = Self.gzip("{\"type\":\"track\",\"userId\":\"u1\"}\n{\"type\":\"pa")
            + Self.gzip("ge\",\"userId\":\"u2\"}\n")
            + Self.gzip("")
            + Self.gzip("{\"type\":\"identify\",\"userId\":\"u3\"}\n")
        let result = Self.run(extractor, bytes, pieceSize: 1)
        #expect(result.rows == [["track", "u1", nil], ["page", "u2", nil], ["identify", "u3", nil]])
        #expect(result.lines == [1, 2, 3])
        #expect(result.counts == Self.counts(physical: 3, records: 3, loaded: 3))
    }

    @Test(arguments: pieceSizes)
    func truncatedGzipKeepsCompleteLinesAndQuarantinesTheRest(pieceSize: Int) {
        let extractor = JSONLinesExtractor(fields: Self.eventFields)
        // A complete member, then a member cut after its 10-byte header.
        let second = Self.gzip("{\"type\":\"page\",\"userId\":\"u3\"}\n")
        let bytes = Self.gzip("{\"type\":\"track\",\"userId\":\"u1\"}\n\n") + Array(second[0..<10])
        let result = Self.run(extractor, bytes, pieceSize: pieceSize)
        #expect(result.rows == [["track", "u1", nil]])
        #expect(result.lines == [1])
        #expect(result.rejected == [Rejected(3, .truncatedJSON, "")])
        #expect(result.details.count == 1)
        #expect(result.details.first?.hasPrefix("gzip stream ends early") == true)
        #expect(result.counts == Self.counts(physical: 3, blank: 1, records: 2, loaded: 1, quarantined: 1))
    }

    @Test func truncatedGzipInsideALine() {
        let extractor = JSONLinesExtractor(fields: Self.eventFields)
        // Stored (level 0) data comes out byte for byte: 10 bytes of gzip header, 5 of block header,
        // then the text. Cut after 34 bytes of text: line 1 (30 bytes + LF) and 3 bytes of line 2.
        let text = "{\"type\":\"track\",\"userId\":\"u1\"}\n{\"type\":\"page\"}\n"
        let stored = Self.gzip(text, level: 0)
        let result = Self.run(extractor, Array(stored[0..<(10 + 5 + 34)]))
        #expect(result.rows == [["track", "u1", nil]])
        #expect(result.rejected == [Rejected(2, .truncatedJSON, #"{"t"#)])
        #expect(result.counts == Self.counts(physical: 2, records: 2, loaded: 1, quarantined: 1))
    }

    @Test func corruptGzipTail() {
        let extractor = JSONLinesExtractor(fields: Self.eventFields)
        let first = Self.gzip("{\"type\":\"track\",\"userId\":\"u1\"}\n{\"type\":\"page\",")
        let bytes = first + Array("this is not gzip".utf8)
        let result = Self.run(extractor, bytes, pieceSize: 1)
        #expect(result.rows == [["track", "u1", nil]])
        #expect(result.rejected == [Rejected(2, .truncatedJSON, #"{"type":"page","#)])
        #expect(result.details.first?.hasPrefix("gzip stream is corrupt: zlib stops at compressed byte") == true)
        #expect(result.counts == Self.counts(physical: 2, records: 2, loaded: 1, quarantined: 1))
    }

    @Test func gzipWithNothingReadable() {
        let extractor = JSONLinesExtractor(fields: Self.eventFields)
        let result = Self.run(extractor, [0x1F, 0x8B, 0x08])
        #expect(result.rows.isEmpty)
        #expect(result.rejected == [Rejected(1, .truncatedJSON, "")])
        #expect(result.counts == Self.counts(physical: 1, records: 1, loaded: 0, quarantined: 1))
    }

    // MARK: - Paths and configuration

    @Test func pathSyntax() throws {
        let parsed = try #require(try? JSONPath.parse(#"$.a["b c"][2]['d\'e'].f"#).get())
        #expect(parsed.segments == [.key("a"), .key("b c"), .index(2), .key("d'e"), .key("f")])
        #expect(try JSONPath.parse("$").get().segments.isEmpty)
        for bad in ["a.b", "$.", "$..a", "$.a.*", "$[*]", "$.a[-1]", "$.a[", "$.a[\"b]", "$a", "$.a b", "$.a[1:2]"] {
            #expect((try? JSONPath.parse(bad).get()) == nil, "\(bad) should be rejected")
        }
    }

    static let nodes = ConfigNodes(file: "p.yml", keys: .onValueLine(column: 3))

    @Test func makeBuildsFieldsAndRules() throws {
        let source = Self.nodes.mapping(line: 1, [
            ("format", Self.nodes.scalar("jsonl", line: 2, column: 9)),
            ("fields", Self.nodes.mapping(line: 3, [
                ("email", Self.nodes.scalar("$.traits.email", line: 4, column: 12)),
                ("user", Self.nodes.sequence([Self.nodes.scalar("$.userId", line: 5, column: 12), Self.nodes.scalar("$.anonymousId", line: 5, column: 22)])),
                ("revenue", Self.nodes.mapping(line: 6, [("path", Self.nodes.scalar("$.properties.revenue", line: 6, column: 20)),
                                             ("type", Self.nodes.scalar("decimal", line: 6, column: 48))])),
            ])),
            ("require", Self.nodes.mapping(line: 7, [
                ("paths", Self.nodes.sequence([Self.nodes.scalar("$.messageId", line: 8, column: 13)])),
                ("allowed", Self.nodes.mapping(line: 9, [("$.type", Self.nodes.sequence([Self.nodes.scalar("track", line: 10, column: 15)]))])),
                ("at_least_one_of", Self.nodes.sequence([Self.nodes.sequence([Self.nodes.scalar("$.userId", line: 11, column: 8), Self.nodes.scalar("$.anonymousId", line: 11, column: 18)])])),
            ])),
        ])
        var bag = DiagnosticBag()
        let made = JSONLinesExtractor.make(source: source, diagnostics: &bag)
        #expect(bag.items.isEmpty, "\(bag.items)")
        let extractor = try #require(made as? JSONLinesExtractor)
        #expect(extractor.fieldNames == ["email", "user", "revenue"])
        #expect(extractor.fieldDefinitions.map(\.type) == [.string, .string, .decimal])
        #expect(extractor.fields[1].paths == ["$.userId", "$.anonymousId"])
        #expect(extractor.requirements.present == ["$.messageId"])
        #expect(extractor.requirements.allowed.map(\.values) == [["track"]])
        #expect(extractor.requirements.atLeastOneOf == [["$.userId", "$.anonymousId"]])

        let result = Self.run(extractor, #"""
            {"messageId":"m1","type":"track","userId":"u","traits":{"email":"e"},"properties":{"revenue":1.50}}
            {"messageId":"m2","type":"page","userId":"u"}

            """#)
        #expect(result.rows == [["e", "u", "1.50"]])
        #expect(result.rejected.map(\.line) == [2])
    }

    @Test func makeReportsBadPathsWhereTheyAre() {
        let source = Self.nodes.mapping(line: 1, [
            ("fields", Self.nodes.mapping(line: 2, [
                ("email", Self.nodes.scalar("traits.email", line: 3, column: 12)),
                ("user", Self.nodes.sequence([Self.nodes.scalar("$.userId", line: 4, column: 12), Self.nodes.scalar("$..id", line: 4, column: 24)])),
                ("sku", Self.nodes.mapping(line: 5, [("path", Self.nodes.scalar("$.items[*]", line: 5, column: 18))])),
            ])),
            ("require", Self.nodes.mapping(line: 6, [
                ("not_null", Self.nodes.sequence([Self.nodes.scalar("$.", line: 7, column: 16)])),
                ("allowed", Self.nodes.mapping(line: 8, [("type", Self.nodes.sequence([Self.nodes.scalar("track", line: 8, column: 15)]))])),
            ])),
        ])
        var bag = DiagnosticBag()
        let made = JSONLinesExtractor.make(source: source, diagnostics: &bag)
        #expect(made == nil)
        let found = bag.sorted.map { "\($0.location.line):\($0.location.column) \($0.code.rawValue)" }
        #expect(found == ["3:12 TR106", "4:24 TR106", "5:18 TR106", "7:16 TR106", "8:3 TR106"])
        #expect(bag.sorted.first?.hint?.contains("$.traits.email") == true)
    }

    @Test func specShapeChecksRequirePaths() {
        guard case .object(let properties) = JSONLinesExtractor.spec.shape,
              let require = properties.first(where: { $0.name == "require" }),
              case .object(let rules) = require.shape,
              let paths = rules.first(where: { $0.name == "paths" }),
              case .oneOf(let alternatives) = paths.shape,
              case .custom(_, let check) = alternatives[0] else {
            Issue.record("unexpected spec shape")
            return
        }
        #expect(check(Self.nodes.scalar("$.messageId", line: 1, column: 1)).isEmpty)
        #expect(check(Self.nodes.scalar("messageId", line: 1, column: 1)).map(\.code) == [.invalidValue])
        #expect(JSONLinesExtractor.spec.name == "jsonl")
        #expect(JSONLinesExtractor.spec.kind == .extractor)
        #expect(Registry.standard.extractor("jsonl") != nil)
    }
}
