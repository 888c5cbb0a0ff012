import Foundation
import Testing
@testable import TributaryComponents
@testable import TributaryConfig
import TributaryCore
import TributaryTestSupport

// Line and column numbers in these tests are counted by hand from the YAML text written next to
// them (1-based; a column counts Unicode scalars). Each YAML literal is shown with its line numbers
// in a comment where positions matter.

@Suite("Pipeline validation")
struct ValidationTests {
    let folder = Workspace.pipelineFolder()

    // MARK: - A valid file

    @Test func validPipelineLoadsWithoutDiagnostics() throws {
        let result = load("""
            version: 1
            name: crm-test
            output:
              sqlite: out/result.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  email: Email
                  phone: [Phone, Mobile]
                transforms:
                  - trim: all
                  - lower: [email]
                  - rename: { phone: phone_number }
            """, in: folder)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let definition = try #require(result.definition)
        #expect(definition.name == "crm-test")
        #expect(definition.file == "p.yml")
        #expect(definition.outputPath == folder.path + "/out/result.sqlite")
        #expect(definition.sources.count == 1)
        let source = try #require(definition.sources.first)
        #expect(source.name == "crm")
        #expect(source.format == "csv")
        #expect(source.patterns == [folder.path + "/data/*.csv"])
        #expect(source.transforms.count == 3)
        #expect(source.layout.map(\.name) == ["email", "phone_number"])
        #expect(source.layout.map(\.column) == [0, 1])
        #expect(source.extractor.fieldNames == ["email", "phone"])
        #expect(source.maxRejected == nil)
    }

    @Test func quarantineGateIsInheritedAndOverridden() throws {
        let result = load("""
            version: 1
            name: gates
            output:
              sqlite: out.sqlite
            quarantine:
              max_rejected: 2.5%
            sources:
              a:
                format: csv
                path: data/*.csv
                fields: { email: Email }
              b:
                format: csv
                path: data/*.csv
                fields: { email: Email }
                quarantine: { max_rejected: 7 }
            """, in: folder)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let definition = try #require(result.definition)
        #expect(definition.sources.map(\.maxRejected) == [.percent(2.5), .count(7)])
    }

    // MARK: - Unknown, missing and mistyped keys

    @Test func unknownKeyWithDidYouMeanHint() throws {
        // 9:5 is the key `delimeter`.
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                delimeter: ";"
                fields:
                  email: Email
            """, in: folder)
        #expect(result.positions == ["9:5 TR102"])
        let d = try #require(result.diagnostics.first)
        #expect(d.severity == .error)
        #expect(d.location.file == "p.yml")
        #expect(d.message.contains("'delimeter'"))
        #expect(d.message.contains("source 'crm'"))
        #expect(d.hint == "did you mean 'delimiter'?")
        #expect(result.definition == nil)
    }

    @Test func unknownTopLevelKeyWithHint() throws {
        // `outptu` at 3:1; `output` is then also missing (reported at the mapping's start, 1:1).
        let result = load("""
            version: 1
            name: t
            outptu:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  email: Email
            """, in: folder)
        // One mistake, one error: the misspelt required key is not reported again as missing.
        #expect(result.positions == ["3:1 TR102"])
        #expect(result.diagnostics[0].hint == "did you mean 'output'? (a required key)")
    }

    @Test func unknownKeyFarFromAnyNameListsTheAllowedKeys() throws {
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
              compression: zstd
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  email: Email
            """, in: folder)
        #expect(result.positions == ["5:3 TR102"])
        #expect(result.diagnostics.first?.hint == "allowed keys here: postgres, sqlite")
    }

    @Test func missingVersion() throws {
        let result = load("""
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  email: Email
            """, in: folder)
        #expect(result.positions == ["1:1 TR103"])
        let d = try #require(result.diagnostics.first)
        #expect(d.message == "the pipeline is missing the required key 'version'")
        #expect(result.definition == nil)
    }

    @Test func missingOutputAndMissingOutputSqlite() throws {
        let noOutput = load("""
            version: 1
            name: t
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  email: Email
            """, in: folder)
        #expect(noOutput.positions == ["1:1 TR103"])
        #expect(noOutput.diagnostics.first?.message.contains("'output'") == true)

        // The `output` mapping starts at 4:3 (its first key).
        let noSqlite = load("""
            version: 1
            name: t
            output:
              sqlit: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  email: Email
            """, in: folder)
        // A misspelt required key is one error, at the misspelling.
        #expect(noSqlite.positions == ["4:3 TR102"])
        #expect(noSqlite.diagnostics[0].hint == "did you mean 'sqlite'?")
        #expect(noSqlite.diagnostics[0].message == "unknown key 'sqlit' in 'output'")

        // An empty `output:` names no database: one error, with both ways to name one.
        let empty = load("""
            version: 1
            name: t
            output: {}
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  email: Email
            """, in: folder)
        #expect(empty.positions == ["3:1 TR103"])
        #expect(empty.diagnostics.first?.hint?.contains("postgres: ${PG_URL}") == true)
    }

    @Test func missingSourcePath() throws {
        // The source's mapping starts at its first key, `format` at 7:5.
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                fields:
                  email: Email
            """, in: folder)
        #expect(result.positions == ["7:5 TR103"])
        let d = try #require(result.diagnostics.first)
        #expect(d.message == "source 'crm' is missing the required key 'path'")
        #expect(d.hint?.contains("path:") == true)
    }

    @Test func fieldsGivenAsAListIsWrongType() throws {
        // The list under `fields:` starts at its first `-`, 10:7.
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  - Email
                  - Phone
            """, in: folder)
        #expect(result.positions == ["10:7 TR104"])
        let d = try #require(result.diagnostics.first)
        #expect(d.message.hasPrefix("'fields' must be a mapping"))
        #expect(d.message.hasSuffix("found a list"))
    }

    @Test func scalarWhereAMappingIsExpected() throws {
        let result = load("""
            version: 1
            name: t
            output: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields: { email: Email }
            """, in: folder)
        #expect(result.positions == ["3:9 TR104"])
        #expect(result.diagnostics.first?.message == "'output' must be a mapping, found a scalar")
    }

    @Test func badIntegerAndBoolean() throws {
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                strict_quotes: yes
                max_record_lines: 0
                fields:
                  email: Email
            """, in: folder)
        #expect(result.positions == ["9:20 TR104", "10:23 TR106"])
        #expect(result.diagnostics[0].message == "'strict_quotes' must be true or false, found 'yes'")
        #expect(result.diagnostics[1].message == "'max_record_lines' must be at least 1, found '0'")
    }

    // MARK: - Choices

    @Test func misspelledFormatIsInvalidChoiceWithHint() throws {
        // `cvs` at 7:13.
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: cvs
                path: data/*.csv
                fields:
                  email: Email
            """, in: folder)
        #expect(result.positions == ["7:13 TR105"])
        let d = try #require(result.diagnostics.first)
        #expect(d.message.contains("'cvs'"))
        #expect(d.hint == "did you mean 'csv'?")
    }

    @Test func unsupportedVersionIsInvalidChoice() throws {
        let result = load("""
            version: 2
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  email: Email
            """, in: folder)
        #expect(result.positions == ["1:10 TR105"])
        let d = try #require(result.diagnostics.first)
        #expect(d.code.title == "invalid choice")
        #expect(d.message.contains("'2'"))
        #expect(d.message.contains("1"))
    }

    @Test func yamlLooksLikeABooleanButStaysText() throws {
        // The failsafe schema: `name: yes` is the text "yes", a valid pipeline name.
        let result = load("""
            version: 1
            name: yes
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields: { email: Email }
            """, in: folder)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.definition?.name == "yes")
    }

    // MARK: - Duplicates

    @Test func duplicateKeyPointsAtSecondOccurrenceAndNamesTheFirst() throws {
        // `name` at 2:1 and again at 5:1.
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            name: u
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  email: Email
            """, in: folder)
        #expect(result.positions == ["5:1 TR101"])
        let d = try #require(result.diagnostics.first)
        #expect(d.message.contains("'name'"))
        #expect(d.message.contains("line 2"))
        #expect(result.definition == nil)
    }

    @Test func duplicateFieldKeyInsideSource() throws {
        // `email` at 10:7 and again at 12:7.
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  email: Email
                  phone: Phone
                  email: Mobile
            """, in: folder)
        #expect(result.positions == ["12:7 TR101"])
        #expect(result.diagnostics.first?.message.contains("line 10") == true)
    }

    @Test func renameOntoAnExistingFieldIsDuplicateField() throws {
        // The value `email` of the rename at 13:26.
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  email: Email
                  phone: Phone
                transforms:
                  - rename: { phone: email }
            """, in: folder)
        #expect(result.positions == ["13:26 TR202"])
    }

    // MARK: - References

    @Test func unknownFieldInTransformHasHintNamingTheField() throws {
        // `emial` at 13:17.
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  email: Email
                  phone: Phone
                transforms:
                  - lower: [emial]
            """, in: folder)
        #expect(result.positions == ["13:17 TR201"])
        let d = try #require(result.diagnostics.first)
        #expect(d.message == "unknown field 'emial'")
        #expect(d.hint?.contains("'email'") == true)
    }

    /// `emial` is `email` with two letters swapped, the commonest typo; the hint should say
    /// "did you mean 'email'?" (not only list the fields).
    @Test func transposedFieldNameGetsDidYouMean() throws {
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  email: Email
                  phone: Phone
                transforms:
                  - lower: [emial]
            """, in: folder)
        #expect(result.diagnostics.first?.hint == "did you mean 'email'?")
    }

    @Test func unknownFieldOneEditAwayGetsDidYouMean() throws {
        // `emal` at 13:17.
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  email: Email
                  phone: Phone
                transforms:
                  - lower: [emal]
            """, in: folder)
        #expect(result.positions == ["13:17 TR201"])
        #expect(result.diagnostics.first?.hint == "did you mean 'email'?")
    }

    @Test func fieldRenamedEarlierIsUnknownByItsOldName() throws {
        // After the rename, `phone` no longer exists: `upper: [phone]` at 14:17 is an error.
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields:
                  email: Email
                  phone: Phone
                transforms:
                  - rename: { phone: mobile }
                  - upper: [phone]
                  - drop: [email]
                  - lower: [email]
            """, in: folder)
        // `email` was dropped on line 15, so line 16 refers to an unknown field too (16:17).
        #expect(result.positions == ["14:17 TR201", "16:17 TR201"])
    }

    @Test func unknownTransformName() throws {
        // `trimm` at 11:9.
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields: { email: Email }
                transforms:
                  - trimm: all
                  - normalize_phone: all
            """, in: folder)
        #expect(result.positions == ["11:9 TR203", "12:9 TR203"])
        #expect(result.diagnostics[0].hint == "did you mean 'trim'?")
        #expect(result.diagnostics[0].message == "unknown transform 'trimm'")
        let hint = result.diagnostics[1].hint ?? ""
        #expect(hint.hasPrefix("transforms: "))
        #expect(["trim", "lower", "upper", "rename", "drop", "filter"].allSatisfy { hint.contains($0) }, "\(hint)")
    }

    @Test func filterWithTwoConditions() throws {
        // The filter's flow mapping starts at its `{`, 11:17.
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields: { email: Email }
                transforms:
                  - filter: { field: email, equals: a, prefix: b }
            """, in: folder)
        #expect(result.positions == ["11:17 TR106"])
        #expect(result.diagnostics.first?.message == "filter takes exactly one condition")
    }

    // MARK: - Interpolation

    @Test func unsetVariableWithoutDefault() throws {
        // The scalar `${OUT_DIR}/out.sqlite` at 4:11.
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: ${OUT_DIR}/out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields: { email: Email }
            """, environment: [:], in: folder)
        #expect(result.positions == ["4:11 TR300"])
        let d = try #require(result.diagnostics.first)
        #expect(d.message == "environment variable 'OUT_DIR' is not set")
        #expect(d.hint?.contains("${OUT_DIR:-") == true)
        #expect(result.definition == nil)
    }

    @Test func variableDefaultIsUsedWhenUnsetOrEmpty() throws {
        let text = """
            version: 1
            name: t
            output:
              sqlite: ${OUT_DIR:-/srv/tributary}/out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields: { email: Email }
            """
        let unset = load(text, environment: [:], in: folder)
        #expect(unset.diagnostics.isEmpty, "\(unset.diagnostics)")
        #expect(unset.definition?.outputPath == "/srv/tributary/out.sqlite")

        let empty = load(text, environment: ["OUT_DIR": ""], in: folder)
        #expect(empty.definition?.outputPath == "/srv/tributary/out.sqlite")

        let set = load(text, environment: ["OUT_DIR": "/data/run"], in: folder)
        #expect(set.diagnostics.isEmpty)
        #expect(set.definition?.outputPath == "/data/run/out.sqlite")
    }

    @Test func escapedDollarBraceIsLiteral() throws {
        let result = load("""
            version: 1
            name: t
            description: costs $$5 and $${NOT_A_VAR}
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields: { email: Email }
            """, in: folder)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
    }

    @Test func malformedVariableReferences() throws {
        // 3:14 `${BAD-NAME}`; 5:11 `${UNCLOSED`.
        let result = load("""
            version: 1
            name: t
            description: ${BAD-NAME}
            output:
              sqlite: ${UNCLOSED/out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                fields: { email: Email }
            """, in: folder)
        #expect(result.positions == ["3:14 TR302", "5:11 TR302"])
    }

    @Test func invalidInterpolatedDelimiterIsNotEchoed() throws {
        // `${SECRET}` at 9:16.
        let text = """
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                delimiter: ${SECRET}
                fields: { email: Email }
            """
        let result = load(text, environment: ["SECRET": "hunter2"], in: folder)
        #expect(result.positions == ["9:16 TR106"])
        let d = try #require(result.diagnostics.first)
        #expect(d.message.contains("${SECRET}"))
        #expect(!d.message.contains("hunter2"))
        #expect(!(d.hint ?? "").contains("hunter2"))
        // Nor in any rendering: the text format quotes the file's line, which has `${SECRET}`.
        for format in DiagnosticFormat.allCases {
            let rendered = DiagnosticFormatter(format: format, sources: ["p.yml": text]).render(result.diagnostics, files: 1)
            #expect(!rendered.contains("hunter2"), "\(format)")
        }
    }

    struct LeakCase: Sendable, CustomTestStringConvertible {
        var label: String
        var top = ["version: 1", "name: t"]
        var format = "csv"
        var sourceLine = "delimiter: \",\""
        var transform = "lower: [email]"
        /// A value that is wrong where it is used.
        var secret = "Pa55 w0rd!x"
        var testDescription: String { label }
    }

    static let leakCases: [LeakCase] = [
        LeakCase(label: "version", top: ["version: ${V}", "name: t"]),
        LeakCase(label: "pipeline name", top: ["version: 1", "name: ${V}"]),
        LeakCase(label: "delimiter", sourceLine: "delimiter: ${V}"),
        LeakCase(label: "max_record_lines not a number", sourceLine: "max_record_lines: ${V}"),
        LeakCase(label: "max_record_lines out of range", sourceLine: "max_record_lines: ${V}", secret: "73196452"),
        LeakCase(label: "strict_quotes", sourceLine: "strict_quotes: ${V}"),
        LeakCase(label: "format", format: "${V}"),
        LeakCase(label: "max_rejected", sourceLine: "quarantine: { max_rejected: \"${V}\" }"),
        LeakCase(label: "field reference in lower", transform: "lower: [\"${V}\"]"),
        LeakCase(label: "field reference in filter", transform: "filter: { field: \"${V}\", present: true }"),
        LeakCase(label: "new name in rename", transform: "rename: { email: \"${V}\" }"),
    ]

    /// Every place that can reject a value taken from `${VAR}` must describe it (`the value of
    /// ${V}`), never print it: it may be a password or customer data.
    @Test(arguments: leakCases)
    func interpolatedValuesAreNeverEchoed(_ c: LeakCase) throws {
        let text = """
            \(c.top[0])
            \(c.top[1])
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: \(c.format)
                path: data/*.csv
                \(c.sourceLine)
                fields: { email: Email }
                transforms:
                  - \(c.transform)
            """
        let result = load(text, environment: ["V": c.secret], in: folder)
        // (In flow collections `${V}` must be quoted, or it is not YAML; quoted scalars are interpolated too.)
        #expect(!result.diagnostics.contains { $0.code == .yamlSyntax }, "\(result.diagnostics)")
        #expect(result.errors.count >= 1, "the value should be rejected")
        let lowered = c.secret.lowercased()
        let fragments = [c.secret, lowered, String(lowered.prefix(4))]
        for d in result.diagnostics {
            let shown = (d.message + " " + (d.hint ?? "")).lowercased()
            #expect(!fragments.contains { shown.contains($0.lowercased()) },
                    "\(d.location) \(d.code.rawValue) prints the value: \(d.message) / hint: \(d.hint ?? "-")")
        }
    }

    // MARK: - Input paths

    @Test func globMatchingNothingIsAWarningInValidateMode() throws {
        // `missing/*.csv` at 8:11.
        let text = """
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: missing/*.csv
                fields: { email: Email }
            """
        let validate = load(text, mode: .validate, in: folder)
        #expect(validate.positions == ["8:11 TR301"])
        #expect(validate.diagnostics.first?.severity == .warning)
        #expect(validate.errors.isEmpty)
        #expect(validate.definition != nil)
        #expect(validate.diagnostics.first?.message.contains("'missing/*.csv'") == true)

        let run = load(text, mode: .run, in: folder)
        #expect(run.positions == ["8:11 TR301"])
        #expect(run.diagnostics.first?.severity == .error)
        #expect(run.definition == nil)
    }

    @Test func globInAListIsCheckedItemByItem() throws {
        // The second item, `none/*.csv`, at 10:9.
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path:
                  - data/*.csv
                  - none/*.csv
                fields: { email: Email }
            """, mode: .run, in: folder)
        #expect(result.positions == ["10:9 TR301"])
        #expect(result.definition == nil)
    }

    // MARK: - Everything at once

    @Test func everyMistakeOfAFileIsReportedInOneLoad() throws {
        let text = """
            version: 1
            name: t
            description: ${UNSET_VAR}
            outptu:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                path: data/*.csv
                delimeter: ";"
                fields:
                  email: Email
                transforms:
                  - trimm: all
              web:
                format: cvs
                path: data/*.csv
                fields: { email: Email }
              shop:
                format: csv
                path: data/*.csv
                fields: { email: Email }
                transforms:
                  - lower: [emal]
            """
        let result = load(text, in: folder)
        // 3:14 unset variable; 4:1 `outptu` (one error: not also "missing `output`"); 10:5
        // `delimeter`; 14:9 `trimm`; 16:13 `cvs`; 24:17 `emal`.
        #expect(result.positions == [
            "3:14 TR300", "4:1 TR102", "10:5 TR102", "14:9 TR203", "16:13 TR105", "24:17 TR201",
        ])
        #expect(result.errors.count == 6)
        #expect(result.definition == nil)
    }

    // MARK: - Files that are not pipelines

    @Test func yamlSyntaxError() throws {
        // Line 5 is indented under a scalar value and holds `key: value`: not valid YAML.
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
                extra: x
            sources: {}
            """, in: folder)
        #expect(result.diagnostics.count == 1)
        let d = try #require(result.diagnostics.first)
        #expect(d.code == .yamlSyntax)
        #expect(d.location.line == 5)
        #expect(d.message.hasPrefix("YAML syntax: "))
    }

    @Test func unclosedFlowMappingIsSyntaxErrorNearItsLine() throws {
        let result = load("""
            version: 1
            name: t
            output: { sqlite: out.sqlite
            sources:
              crm: {}
            """, in: folder)
        let d = try #require(result.diagnostics.first)
        #expect(result.diagnostics.count == 1)
        #expect(d.code == .yamlSyntax)
        #expect((3...5).contains(d.location.line), "\(d.location)")
    }

    @Test func emptyFileAndNonMappingRoot() throws {
        let empty = load("", in: folder)
        #expect(empty.positions == ["1:1 TR103"])

        let list = load("- version: 1\n", in: folder)
        #expect(list.positions == ["1:1 TR104"])
    }

    @Test func emptySourcesAndInvalidNames() throws {
        // `sources: {}` at 5:10; source name `2crm` at 7:3 and pipeline name at 2:7.
        let noSources = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources: {}
            """, in: folder)
        #expect(noSources.positions == ["5:10 TR103"])

        let badNames = load("""
            version: 1
            name: my pipeline
            output:
              sqlite: out.sqlite
            sources:
              ok:
                format: csv
                path: data/*.csv
                fields: { "e-mail": Email }
              2crm:
                format: csv
                path: data/*.csv
                fields: { email: Email }
            """, in: folder)
        // 2:7 pipeline name; 9:15 field name `e-mail` (the quoted key); 10:3 source name.
        #expect(badNames.positions == ["2:7 TR106", "9:15 TR106", "10:3 TR106"])
    }

    /// A mistake in a source's keys must not hide a bad field name of the same source: one load
    /// reports every problem.
    @Test func badFieldNameIsReportedBesideAnotherErrorOfItsSource() throws {
        // `delimeter` at 8:5; field name `e-mail` at 9:15.
        let result = load("""
            version: 1
            name: t
            output:
              sqlite: out.sqlite
            sources:
              crm:
                format: csv
                delimeter: ";"
                fields: { "e-mail": Email }
                path: data/*.csv
            """, in: folder)
        #expect(result.positions == ["8:5 TR102", "9:15 TR106"])
    }

    // MARK: - Shipped pipelines and component examples

    @Test func everyShippedPipelineValidates() throws {
        let directory = packageRoot.appendingPathComponent("Pipelines")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".yml") }.sorted()
        #expect(!files.isEmpty)
        let loader = PipelineLoader(catalog: Registry.standard, environment: [:], mode: .validate)
        for name in files {
            let (definition, bag) = loader.load(path: directory.appendingPathComponent(name).path)
            #expect(!bag.hasErrors, "\(name): \(bag.sorted)")
            #expect(definition != nil, "\(name)")
        }
    }

    @Test func everyExtractorExampleValidates() throws {
        #expect(!Registry.standard.extractors.isEmpty)
        for (format, component) in Registry.standard.extractors {
            let spec = component.spec
            #expect(spec.kind == .extractor)
            #expect(spec.name == format)
            let body = spec.example.split(separator: "\n", omittingEmptySubsequences: false)
                .map { "    " + $0 }.joined(separator: "\n")
            let text = "version: 1\nname: example\noutput:\n  sqlite: out.sqlite\nsources:\n  example:\n" + body + "\n"
            let result = load(text, in: folder)
            // The example's paths are illustrative, so only "matches no file" warnings may remain.
            #expect(result.errors.isEmpty, "\(format): \(result.errors)")
            #expect(result.warnings.allSatisfy { $0.code == .globMatchesNothing })
            #expect(result.definition?.sources.first?.format == format)
        }
    }

    @Test func everyTransformExampleValidates() throws {
        #expect(Registry.standard.transforms.count >= 6)
        for (name, component) in Registry.standard.transforms {
            let spec = component.spec
            #expect(spec.kind == .transform)
            // The example is `name: argument`.
            var bag = DiagnosticBag()
            let node = try #require(YAMLReader.read(spec.example, file: "example", diagnostics: &bag))
            #expect(!bag.hasErrors)
            let entry = try #require(node.entries?.first)
            #expect(node.entries?.count == 1)
            #expect(entry.key == name)
            ShapeValidator.validate(entry.value, against: spec.shape, context: name, diagnostics: &bag)
            #expect(!bag.hasErrors, "\(name): \(bag.items)")

            // Find the fields the example refers to: build it against a scope, and add every field
            // reported unknown until it builds.
            var fields: [String] = []
            var transform: (any Transform)?
            for _ in 0..<10 {
                var scope = FieldScope(fields: fields)
                var d = DiagnosticBag()
                transform = component.make(entry.value, scope: &scope, diagnostics: &d)
                let unknown = d.items.filter { $0.code == .unknownField }.compactMap { diagnostic -> String? in
                    let parts = diagnostic.message.split(separator: "'")
                    return parts.count >= 2 ? String(parts[1]) : nil
                }
                if unknown.isEmpty {
                    #expect(!d.hasErrors, "\(name): \(d.items)")
                    break
                }
                fields += unknown
            }
            #expect(transform != nil, "\(name) example does not build")

            // And in a whole pipeline whose source has those fields.
            let columns = (fields.isEmpty ? ["email"] : fields).map { "      \($0): \($0.capitalized)" }
            let text = """
                version: 1
                name: example
                output:
                  sqlite: out.sqlite
                sources:
                  s:
                    format: csv
                    path: data/*.csv
                    fields:
                \(columns.joined(separator: "\n"))
                    transforms:
                      - \(spec.example)
                """
            let result = load(text, in: folder)
            #expect(result.diagnostics.isEmpty, "\(name): \(result.diagnostics)")
        }
    }

    @Test func diagnosticCodesAreStable() {
        // The codes are printed and documented: a code may be added, never renumbered.
        let expected: [(DiagnosticCode, String)] = [
            (.yamlSyntax, "TR100"), (.duplicateKey, "TR101"), (.unknownKey, "TR102"), (.missingKey, "TR103"),
            (.wrongType, "TR104"), (.invalidEnumValue, "TR105"), (.invalidValue, "TR106"),
            (.unsupportedVersion, "TR107"), (.unreadableFile, "TR108"), (.unknownSource, "TR200"),
            (.unknownField, "TR201"), (.duplicateField, "TR202"), (.unknownComponent, "TR203"),
            (.unsetVariable, "TR300"), (.globMatchesNothing, "TR301"), (.badVariableSyntax, "TR302"),
        ]
        for (code, raw) in expected {
            #expect(code.rawValue == raw)
        }
        let all = DiagnosticCode.allCases
        #expect(Set(all.map(\.rawValue)).count == all.count, "two cases share a code")
        #expect(Set(all.map(\.title)).count == all.count, "two cases share a title")
        #expect(all.allSatisfy { $0.rawValue.hasPrefix("TR") && $0.rawValue.count == 5 })
    }

    @Test func unreadablePipelineFile() {
        let loader = PipelineLoader(catalog: Registry.standard, environment: [:], mode: .validate)
        let (definition, bag) = loader.load(path: folder.path + "/does-not-exist.yml")
        #expect(definition == nil)
        #expect(bag.sorted.map(\.code) == [.unreadableFile])
    }
}

@Suite("Identity section")
struct IdentityValidationTests {
    @Test func referencesAreCheckedAgainstTheSources() {
        let yaml = """
            version: 1
            name: ids
            output: { sqlite: out.sqlite }
            sources:
              crm:
                format: csv
                path: "*.csv"
                fields: { email: Email, contact_id: Id }
            identity:
              identifiers:
                email: { from: [crm.email, crn.email, crm.emial, web] }
                user_id: { from: crm.contact_id, max_per_profile: 0 }

            """
        let (definition, bag) = PipelineLoader(catalog: Registry.standard, environment: [:], mode: .validate)
            .load(text: yaml, file: "ids.yml", baseDirectory: "/nonexistent")
        #expect(definition == nil)
        let errors = bag.sorted.filter { $0.severity == .error }
        #expect(errors.map(\.code) == [.unknownSource, .unknownField, .invalidValue, .invalidValue])
        #expect(errors.map(\.location.line) == [11, 11, 11, 12])
        #expect(errors[0].message == "unknown source 'crn'")
        #expect(errors[0].hint == "did you mean 'crm'?")
        #expect(errors[1].hint == "did you mean 'email'?")
    }

    /// `attributes_identify: false` where every identifier is anonymous would leave every segment
    /// empty: a warning at the key, and the pipeline still loads; with a real identifier, none.
    @Test(arguments: [true, false]) func attributesIdentifyFalseNeedsAnIdentifierThatIsNotAnonymous(_ onlyAnonymous: Bool) {
        let yaml = """
            version: 1
            name: ids
            output: { sqlite: out.sqlite }
            sources:
              web:
                format: csv
                path: "*.csv"
                fields: { device: Device, user: User }
            identity:
              identifiers:
                device: { from: [web.device], anonymous: true }
            \(onlyAnonymous ? "" : "    user_id: { from: [web.user] }\n")  attributes_identify: false

            """
        let (definition, bag) = PipelineLoader(catalog: Registry.standard, environment: [:], mode: .validate)
            .load(text: yaml, file: "ids.yml", baseDirectory: "/nonexistent")
        #expect(definition?.identity?.attributesIdentify == false)
        let identity = bag.sorted.filter { $0.message.contains("attributes_identify") }
        #expect(identity.map(\.severity) == (onlyAnonymous ? [.warning] : []))
        #expect(identity.map(\.location.line) == (onlyAnonymous ? [12] : []))
    }

    static func comparisons(_ lines: String) -> String {
        """
        version: 1
        name: match
        output: { sqlite: out.sqlite }
        sources:
          crm:
            format: csv
            path: "*.csv"
            fields: { first: First, last: Last, birth: Birth, amount: Amount, full: Full }
        identity:
          identifiers: {}
          probabilistic:
            attributes: { first_name: [crm.first], last_name: [crm.last], birthdate: [crm.birth], amount: [crm.amount], full_name: [crm.full] }
            blocking: [[last_name]]
            comparisons:
        \(lines)

        """
    }

    @Test func newComparisonMethodsLoad() throws {
        let yaml = Self.comparisons("""
                  first_name: { method: name_swap, with: last_name, levels: [0.92, 0.8], swap_threshold: 0.95 }
                  last_name: { method: jaro_winkler, levels: [0.92] }
                  birthdate: { method: date, levels: [typo, day_month_swap, 30 days] }
                  amount: { method: numeric, levels: [0.5, 5%] }
                  full_name: { method: token_set, levels: [0.8] }
            """)
        let (definition, bag) = PipelineLoader(catalog: Registry.standard, environment: [:], mode: .validate)
            .load(text: yaml, file: "match.yml", baseDirectory: "/nonexistent")
        #expect(bag.sorted.filter { $0.severity == .error }.isEmpty, "\(bag.sorted)")
        let comparisons = try #require(definition?.identity?.probabilistic?.comparisons)
        #expect(comparisons.map(\.method) == [.nameSwap, .jaroWinkler, .date, .numeric, .tokenSet])
        #expect(comparisons[0].with == "last_name" && comparisons[0].swapThreshold == 0.95)
        #expect(comparisons[0].levels == [.similarity(0.92), .similarity(0.8)])
        #expect(comparisons[2].levels == [.dateTypo, .dayMonthSwap, .withinDays(30)])
        #expect(comparisons[3].levels == [.absoluteDifference(0.5), .relativeDifference(0.05)])
        #expect(comparisons[4].levels == [.similarity(0.8)])
    }

    @Test func badComparisonLevelsAreReportedWhereTheyAre() {
        let yaml = Self.comparisons("""
                  first_name: { method: name_swap, levels: [0.92] }
                  last_name: { method: jaro_winkler, levels: [1.5], with: first_name }
                  birthdate: { method: date, levels: [typo, 30, fortnight] }
                  amount: { method: numeric, levels: [-1, 5%] }
                  full_name: { method: name_swap, with: ful_name }
            """)
        let (definition, bag) = PipelineLoader(catalog: Registry.standard, environment: [:], mode: .validate)
            .load(text: yaml, file: "match.yml", baseDirectory: "/nonexistent")
        #expect(definition == nil)
        let errors = bag.sorted.filter { $0.severity == .error }
        #expect(errors.map(\.code) == [.missingKey, .invalidValue, .invalidValue, .invalidValue, .invalidValue, .invalidValue, .unknownField],
                "\(errors)")
        #expect(errors.map(\.location.line) == [15, 16, 16, 17, 17, 18, 19])
        #expect(errors.allSatisfy { $0.location.file == "match.yml" && $0.location.column > 1 })
        #expect(errors[0].message.contains("needs `with:`"))
        #expect(errors[1].message.contains("between 0 and 1"))
        #expect(errors[2].message.contains("only for `method: name_swap`"))
        #expect(errors[3].hint == "write `30 days`")
        #expect(errors[6].hint == "did you mean 'full_name'?")
    }

    @Test func sortedPairBlockingKeys() throws {
        func load(_ blocking: String) -> (PipelineDefinition?, DiagnosticBag) {
            let yaml = Self.comparisons("          last_name: { method: exact }")
                .replacingOccurrences(of: "blocking: [[last_name]]", with: "blocking: \(blocking)")
            return PipelineLoader(catalog: Registry.standard, environment: [:], mode: .validate)
                .load(text: yaml, file: "match.yml", baseDirectory: "/nonexistent")
        }
        let (definition, bag) = load("[[\"sorted( first_name , last_name )\", birthdate], [amount]]")
        #expect(!bag.hasErrors, "\(bag.sorted)")
        #expect(definition?.identity?.probabilistic?.blocking == [["sorted(first_name,last_name)", "birthdate"], ["amount"]])
        // Unquoted in a flow list, the comma splits it; a lone or unknown attribute is refused.
        for bad in ["[[sorted(first_name, last_name)]]", "[[\"sorted(first_name)\"]]", "[[\"sorted(first_name, lastname)\"]]"] {
            let (none, errors) = load(bad)
            #expect(none == nil, "\(bad)")
            #expect(errors.sorted.contains { $0.severity == .error && $0.location.line == 13 }, "\(bad): \(errors.sorted)")   // the blocking line
        }
    }

    @Test func conflictsNameMatcherAttributes() throws {
        func load(_ conflicts: String) -> (PipelineDefinition?, DiagnosticBag) {
            let yaml = Self.comparisons("          last_name: { method: exact }")
                .replacingOccurrences(of: "identifiers: {}", with: "identifiers: { last: { from: [crm.last], conflicts: \(conflicts) } }")
            return PipelineLoader(catalog: Registry.standard, environment: [:], mode: .validate)
                .load(text: yaml, file: "match.yml", baseDirectory: "/nonexistent")
        }
        let (definition, bag) = load("[first_name, birthdate]")
        #expect(!bag.hasErrors, "\(bag.sorted)")
        #expect(definition?.identity?.identifiers.first?.conflicts == ["first_name", "birthdate"])
        // An unknown attribute is an error at its position, with a did-you-mean hint.
        let (none, errors) = load("[first_nam]")
        #expect(none == nil)
        let error = try #require(errors.sorted.first { $0.severity == .error })
        #expect(error.message.contains("unknown attribute 'first_nam'"))
        #expect(error.location.line == 10)   // the identifiers line
        #expect(error.hint == "did you mean 'first_name'?")
    }
}
