@testable import desync_lua
import Testing

@Suite struct CommandLineOptionsTests {
    private func options(_ arguments: String...) -> CommandLineOptions? { ParsedOptions.run(arguments) }
    private func usageError(_ arguments: String...) -> String? { ParsedOptions.usageError(arguments) }

    @Test func actionsKeepTheirOrder() throws {
        let parsed = try #require(options("-e", "a=1", "-lstring", "-W", "-l", "g=mod", "-eb=2"))
        #expect(parsed.actions == [
            .execute("a=1"), .require(global: "string", module: "string"), .enableWarnings,
            .require(global: "g", module: "mod"), .execute("b=2"),
        ])
    }

    @Test func scriptAndItsArguments() throws {
        let parsed = try #require(options("-i", "script.lua", "-e", "x"))
        #expect(parsed.script == .file("script.lua"))
        #expect(parsed.scriptIndex == 2)
        #expect(parsed.interactive && parsed.showVersion)
        #expect(parsed.actions.isEmpty)
    }

    @Test func noScript() throws {
        let parsed = try #require(options("-E"))
        #expect(parsed.script == nil)
        #expect(parsed.scriptIndex == 0)
        #expect(parsed.ignoreEnvironment)
    }

    @Test func dashes() throws {
        #expect(options("-")?.script == .standardInput)
        #expect(options("--", "-")?.script == .file("-"))
        #expect(options("--", "-e")?.script == .file("-e"))
        #expect(options("--")?.script == nil)
    }

    @Test func threads() throws {
        #expect(options("-t", "0")?.threads == 0)
        #expect(options("-t8")?.threads == 8)
        #expect(options("--threads", "3")?.threads == 3)
        #expect(options("--threads=5")?.threads == 5)
        #expect(options("-t", "4096")?.threads == 4096)
        #expect(usageError("-t", "x") == "invalid thread count 'x' (thread count must be between 0 and 4096)")
        #expect(usageError("--threads") == "'--threads' needs argument")
        #expect(usageError("-t", "-e") == "'-t' needs argument")
    }

    /// One rule for a pool size, the one `desync.scheduler.set_max_threads` applies: a negative
    /// count was "'-t' needs argument" and 100000 was accepted (issue 20).
    @Test func threadCountsOutsideTheRuleAreRefusedByName() {
        let rule = "(thread count must be between 0 and 4096)"
        #expect(usageError("-t", "-1") == "invalid thread count '-1' \(rule)")
        #expect(usageError("-t-1") == "invalid thread count '-1' \(rule)")
        #expect(usageError("-t", "100000") == "invalid thread count '100000' \(rule)")
        #expect(usageError("--threads", "4097") == "invalid thread count '4097' \(rule)")
        #expect(usageError("--threads=-3") == "invalid thread count '-3' \(rule)")
    }

    @Test func usageErrors() {
        #expect(usageError("-x") == "unrecognized option '-x'")
        #expect(usageError("-ix") == "unrecognized option '-ix'")
        #expect(usageError("--x") == "unrecognized option '--x'")
        #expect(usageError("-e") == "'-e' needs argument")
        #expect(usageError("-e", "-i") == "'-e' needs argument")
        #expect(usageError("-l") == "'-l' needs argument")
    }

    @Test func help() {
        #expect(CommandLineOptions.parse(["desync-lua", "-h"]) == .help)
        #expect(CommandLineOptions.parse(["desync-lua", "-v", "--help"]) == .help)
    }
}
