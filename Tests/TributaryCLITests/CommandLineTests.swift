import Foundation
import Testing
import TributaryRuntime
import TributaryTestSupport

// The command line as a newcomer meets it: a misspelt subcommand, `--help` at 80 columns, the
// `--jobs` help, shell completions that complete file names, and exit codes stated once.

@Suite("Command line")
struct CommandLineTests {
    @Test func aMisspeltSubcommandSuggestsTheClosestAndExits64() throws {
        let outcome = try CLI.run(["valdate", "x.yml"])
        #expect(outcome.exited && outcome.status == ExitStatus.usage.rawValue, "\(outcome)")
        #expect(outcome.stderr.contains("unknown subcommand 'valdate'; did you mean 'validate'?"), "\(outcome)")
        #expect(!outcome.stderr.contains("unexpected arguments"), "\(outcome)")

        let far = try CLI.run(["frobnicate"])
        #expect(far.exited && far.status == 64, "\(far)")
        #expect(far.stderr.contains("unknown subcommand 'frobnicate' (one of: run, validate, inspect"), "\(far)")
    }

    @Test func subcommandsAndHelpStillParse() throws {
        let help = try CLI.run(["help", "validate"])
        #expect(help.exited && help.status == 0 && help.stdout.contains("USAGE: pipeline validate"), "\(help)")
        let validate = try CLI.run(["validate", CLI.packageRoot.appendingPathComponent("Pipelines/crm-sample.yml").path])
        #expect(validate.exited && validate.status == 0, "\(validate)")
        let option = try CLI.run(["--nonsense"])
        #expect(option.exited && option.status == 64, "\(option)")
    }

    @Test func helpFitsEightyColumnsWithEveryExampleOnItsRow() throws {
        let outcome = try CLI.run(["--help"], environment: ["COLUMNS": "80"])
        #expect(outcome.exited && outcome.status == 0, "\(outcome)")
        let lines = outcome.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        for line in lines {
            #expect(line.count <= 80, "wider than 80 columns: \(line)")
        }
        // Every example row starts with the command and is not continued on a line of its own words.
        let examples = lines.drop { !$0.hasPrefix("Examples:") }.dropFirst().prefix { !$0.isEmpty }
        #expect(examples.count >= 10, "\(outcome.stdout)")
        for row in examples {
            let trimmed = row.drop { $0 == " " }
            let continued = row.hasPrefix(String(repeating: " ", count: 40))
            #expect(trimmed.hasPrefix("pipeline ") || continued, "an example wrapped mid-row: \(row)")
        }
        #expect(outcome.stdout.contains("--generate-completion-script"), "completions are documented")
        #expect(outcome.stdout.contains(ExitStatus.helpText()), "\(outcome.stdout)")
    }

    @Test func jobsHelpNamesTheDefaultOnce() throws {
        for command in ["run", "validate"] {
            let outcome = try CLI.run([command, "--help"])
            let text = outcome.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")  // unwrapped
            #expect(text.contains("(default: the number of cores)"), "\(outcome)")
            #expect(!text.contains("cores). (default:"), "\(outcome)")
        }
    }

    @Test func completionsCompletePipelineFilesAndDatabases() throws {
        for shell in ["bash", "zsh", "fish"] {
            let outcome = try CLI.run(["--generate-completion-script", shell])
            #expect(outcome.exited && outcome.status == 0, "\(outcome)")
            #expect(outcome.stdout.contains("yml") && outcome.stdout.contains("yaml"), "\(shell): no pipeline-file completion")
            #expect(outcome.stdout.contains("sqlite"), "\(shell): no database completion")
        }
    }

    @Test func exitCodesAreStatedOnceAndTheDocsMatch() throws {
        let doc = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Docs/exit-codes.md"), encoding: .utf8)
        // The first cell of each table row, e.g. "78" or "130 / 143".
        let cells = doc.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| code") }
            .map { $0.dropFirst(2).prefix { $0 != "|" }.trimmingCharacters(in: .whitespaces) }
        let documented = Set(cells.compactMap { cell in Int32(cell.prefix { $0.isNumber }) })
        let stated = Set(ExitStatus.allCases.map(\.rawValue) + [ExitStatus.interrupted(by: 2)])
        #expect(documented == stated, "Docs/exit-codes.md lists \(documented.sorted()), ExitStatus \(stated.sorted())")
        #expect(cells.contains("\(ExitStatus.interrupted(by: 2)) / \(ExitStatus.interrupted(by: 15))"), "\(cells)")
        #expect(RunError.locked("x").exitCode == ExitStatus.locked.rawValue)
        #expect(RunError.gateFailed([]).exitCode == 1 && RunError.input("x").exitCode == 1 && RunError.output("x").exitCode == 1)
        #expect(RunError.internalError("x").exitCode == 2)
    }
}
