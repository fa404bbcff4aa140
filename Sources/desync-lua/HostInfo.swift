import CLua
import CLuaHost

/// The names and texts the host shows about itself.
enum HostInfo {
    static let programName = "desync-lua"
    static let version = "0.1.0"

    /// "desync-lua 0.1.0 (Lua 5.4.4)": for `-v`, `-i` and the REPL.
    static var banner: String {
        "\(programName) \(version) (\(String(cString: desync_host_lua_release())))"
    }

    /// After the banner when the REPL starts at a terminal.
    static let replHint = "  :help lists the commands\n"

    static let usage = """
        usage: \(programName) [options] [script [args]]
        Available options are:
          -e stat       execute string 'stat'
          -i            enter interactive mode after executing 'script'
          -l mod        require library 'mod' into global 'mod'
          -l g=mod      require library 'mod' into global 'g'
          -v            show version information
          -E            ignore environment variables
          -W            turn warnings on
          -t N          run desync objects on at most N pool threads (0 allowed)
          --threads N   same as -t N
          --trace FILE  trace every desync job of the run; save it to FILE at exit
                        (Chrome Trace Event JSON: Perfetto, chrome://tracing)
          --simulate SEED
                        run on one thread, on a virtual clock, in an order that
                        SEED (0 or more) picks: the same every run
          --explore N   run 'script' under seeds 1 to N, each in a child process;
                        stop at the first that fails and print how to replay it
          --explore-timeout S
                        a seed that runs S real seconds fails (default 60)
          --pct DEPTH   with --simulate or --explore: PCT schedules (DEPTH-1
                        priority changes) instead of uniform picks
          --pct-steps N the steps PCT spreads its changes over (default 1000)
          -h, --help    show this help
          --            stop handling options
          -             stop handling options and execute stdin

        """
}
