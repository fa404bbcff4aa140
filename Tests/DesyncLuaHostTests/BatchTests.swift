import Foundation
import Testing

/// `desync-lua` with a script, `-e` chunks or standard input: like `lua` 5.4.
@Suite struct BatchTests {
    private func scriptFile(_ source: String, name: String = "script.lua") throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("desync-lua-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try source.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func executeAndRequireRunInTheirOrder() throws {
        let module = try scriptFile("io.write('loading ') return { value = 42 }", name: "mymod.lua")
        let result = try HostProcess.run(
            ["-e", "io.write('first ')", "-l", "mymod", "-e", "io.write(mymod.value, ' ')", "-l", "alias=mymod",
             "-e", "print(alias == mymod)"],
            in: module.deletingLastPathComponent())
        #expect(result.stdout == "first loading 42 true\n")
        #expect(result.stderr == "")
        #expect(result.status == 0)
    }

    @Test func argumentTableAndVarargs() throws {
        let script = try scriptFile("""
            for i = -3, #arg do io.write(i, '=', tostring(arg[i]), ' ') end
            print(select('#', ...), ...)
            """)
        let result = try HostProcess.run(["-W", "-e", "x=1", script.path, "a", "b c"])
        #expect(result.stdout == "-3=-W -2=-e -1=x=1 0=\(script.path) 1=a 2=b c 2\ta\tb c\n")
        #expect(result.status == 0)
    }

    @Test func argumentTableWithoutScript() throws {
        let result = try HostProcess.run(["-e", "print(arg[1], arg[2], arg[0] ~= nil, arg[-1])"])
        #expect(result.stdout == "-e\tprint(arg[1], arg[2], arg[0] ~= nil, arg[-1])\ttrue\tnil\n")
    }

    @Test func errorExitsWithStatusOneAndTraceback() throws {
        let result = try HostProcess.run(["-e", "error('boom')", "-e", "print('not reached')"])
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(result.stderr.hasPrefix("desync-lua: (command line):1: boom\nstack traceback:\n"))
        #expect(result.stderr.contains("[C]: in function 'error'"))
    }

    @Test func nonStringErrors() throws {
        let table = try HostProcess.run(["-e", "error({})"])
        #expect(table.stderr.hasPrefix("desync-lua: (error object is a table value)\nstack traceback:"))
        let number = try HostProcess.run(["-e", "error(42)"])
        #expect(number.stderr.hasPrefix("desync-lua: 42\nstack traceback:"))
        let printable = try HostProcess.run(["-e", "error(setmetatable({}, {__tostring = function() return 'shown' end}))"])
        #expect(printable.stderr == "desync-lua: shown\n")
        #expect(table.status == 1 && number.status == 1 && printable.status == 1)
    }

    @Test func missingScript() throws {
        let result = try HostProcess.run(["/nonexistent/script.lua"])
        #expect(result.status == 1)
        #expect(result.stderr == "desync-lua: cannot open /nonexistent/script.lua: No such file or directory\n")
    }

    @Test func syntaxError() throws {
        let script = try scriptFile("x = = 1\n")
        // Relative: Lua shortens long chunk names with "...".
        let result = try HostProcess.run(["script.lua"], in: script.deletingLastPathComponent())
        #expect(result.status == 1)
        #expect(result.stderr == "desync-lua: script.lua:1: unexpected symbol near '='\n")
    }

    @Test func scriptErrorStopsTheRest() throws {
        let script = try scriptFile("print('ran') error('late')")
        let result = try HostProcess.run(["-i", script.path], input: "print('no REPL')\n")
        #expect(result.status == 1)
        #expect(!result.stdout.contains("no REPL"))
        #expect(result.stderr.contains("script.lua:1: late"))
    }

    @Test func standardInputWithoutArguments() throws {
        let result = try HostProcess.run([], input: "print('from stdin', ...)\n")
        #expect(result.stdout == "from stdin\n")
        #expect(result.status == 0)
        let failing = try HostProcess.run([], input: "print(1)\nerror('z')\n")
        #expect(failing.status == 1)
        #expect(failing.stderr.hasPrefix("desync-lua: stdin:2: z\n"))
    }

    @Test func dashRunsStandardInputWithArguments() throws {
        let result = try HostProcess.run(["-", "a", "b"], input: "print(arg[0], ...)")
        #expect(result.stdout == "-\ta\tb\n")
        #expect(result.status == 0)
    }

    @Test func doubleDashStopsOptions() throws {
        let result = try HostProcess.run(["--", "-e"])
        #expect(result.status == 1)
        #expect(result.stderr == "desync-lua: cannot open -e: No such file or directory\n")
    }

    @Test func unknownOption() throws {
        let result = try HostProcess.run(["-x"])
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(result.stderr.hasPrefix("desync-lua: unrecognized option '-x'\nusage: desync-lua [options] [script [args]]\n"))
    }

    @Test func missingOptionArgument() throws {
        let result = try HostProcess.run(["-e"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("desync-lua: '-e' needs argument\nusage:"))
    }

    @Test(arguments: ["-h", "--help"]) func help(flag: String) throws {
        let result = try HostProcess.run([flag])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("usage: desync-lua [options] [script [args]]\n"))
        #expect(result.stdout.contains("-t N"))
        #expect(result.stderr == "")
    }

    @Test func version() throws {
        let result = try HostProcess.run(["-v"], input: "print('stdin must not run')")
        #expect(result.status == 0)
        #expect(result.stdout.wholeMatch(of: /desync-lua \S+ \(Lua 5\.4\.\d+\)\n/) != nil)
        let withCode = try HostProcess.run(["-e", "print(1)", "-v"])
        #expect(withCode.stdout.hasSuffix(")\n1\n"))
    }

    @Test func luaInit() throws {
        let result = try HostProcess.run(["-e", "print(initialized)"], environment: ["LUA_INIT": "initialized = 'yes'"])
        #expect(result.stdout == "yes\n")
        let versioned = try HostProcess.run(
            ["-e", "print(initialized)"],
            environment: ["LUA_INIT_5_4": "initialized = '5.4'", "LUA_INIT": "initialized = 'plain'"])
        #expect(versioned.stdout == "5.4\n")
    }

    @Test func luaInitFromFile() throws {
        let initFile = try scriptFile("initialized = 'from file'")
        let result = try HostProcess.run(["-e", "print(initialized)"], environment: ["LUA_INIT": "@" + initFile.path])
        #expect(result.stdout == "from file\n")
    }

    @Test func luaInitErrorFails() throws {
        let result = try HostProcess.run(["-e", "print('not reached')"], environment: ["LUA_INIT": "error('init')"])
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(result.stderr.hasPrefix("desync-lua: LUA_INIT:1: init\n"))
    }

    @Test func ignoreEnvironment() throws {
        let result = try HostProcess.run(
            ["-E", "-e", "print(initialized, package.path:find('nowhere', 1, true))"],
            environment: ["LUA_INIT": "initialized = 'yes'", "LUA_PATH": "/nowhere/?.lua"])
        #expect(result.stdout == "nil\tnil\n")
        #expect(result.status == 0)
    }

    @Test func warnings() throws {
        let off = try HostProcess.run(["-e", "warn('x')"])
        #expect(off.stderr == "")
        let on = try HostProcess.run(["-W", "-e", "warn('x')"])
        #expect(on.stderr == "Lua warning: x\n")
        let inOrder = try HostProcess.run(["-e", "warn('before')", "-W", "-e", "warn('after')"])
        #expect(inOrder.stderr == "Lua warning: after\n")
    }

    @Test func threads() throws {
        let zero = try HostProcess.run(["-t", "0", "-e", "print('ok')"])
        #expect(zero.status == 0)
        #expect(zero.stdout == "ok\n")
        let long = try HostProcess.run(["--threads", "2", "-e", "print('ok')"])
        #expect(long.status == 0)
        let bad = try HostProcess.run(["-t", "x", "-e", "print('not run')"])
        #expect(bad.status == 1)
        #expect(bad.stdout == "")
        #expect(bad.stderr.hasPrefix("desync-lua: invalid thread count 'x' (thread count must be between 0 and 4096)\nusage:"))
        let tooMany = try HostProcess.run(["-t", "100000", "-e", "print('not run')"])
        #expect(tooMany.status == 1)
        #expect(tooMany.stdout == "")
        #expect(tooMany.stderr.hasPrefix("desync-lua: invalid thread count '100000' (thread count must be between 0 and 4096)\nusage:"))
    }

    @Test func osExitStatus() throws {
        let result = try HostProcess.run(["-e", "os.exit(3)"])
        #expect(result.status == 3)
    }
}
