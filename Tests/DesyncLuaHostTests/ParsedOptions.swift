@testable import desync_lua

/// The command line as `desync-lua` parses it, for the option tests: the options of a run, or
/// the usage error; nil when the arguments parse to the other.
enum ParsedOptions {
    static func run(_ arguments: [String]) -> CommandLineOptions? {
        if case .run(let options) = CommandLineOptions.parse(["desync-lua"] + arguments) { return options }
        return nil
    }

    static func usageError(_ arguments: [String]) -> String? {
        if case .usageError(let message) = CommandLineOptions.parse(["desync-lua"] + arguments) { return message }
        return nil
    }
}
