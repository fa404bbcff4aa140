import Testing

/// `-i` with piped input: the REPL reads plain lines and, like `lua` here, shows each prompt
/// and line on stdout so that the transcript reads like the session.
@Suite struct InteractivePipeTests {
    private let banner = /desync-lua \S+ \(Lua 5\.4\.\d+\)\n/

    /// stdout without its first line, the banner.
    private func transcript(_ result: HostProcess.Outcome) -> Substring {
        #expect(result.stdout.prefixMatch(of: banner) != nil)
        return result.stdout.drop { $0 != "\n" }.dropFirst()
    }

    @Test func expressionsPrintAllTheirValues() throws {
        let result = try HostProcess.run(["-i"], input: "1 + 1\nx = 5\nx, nil, 'a'\n=x * 2\nreturn\n")
        #expect(transcript(result) == "> 1 + 1\n2\n> x = 5\n> x, nil, 'a'\n5\tnil\ta\n> =x * 2\n10\n> return\n> \n")
        #expect(result.stderr == "")
        #expect(result.status == 0)
    }

    @Test func incompleteStatementsContinue() throws {
        let result = try HostProcess.run(["-i"], input: "function f()\nreturn 3\nend\nf()\n")
        #expect(transcript(result) == "> function f()\n>> return 3\n>> end\n> f()\n3\n> \n")
    }

    @Test func errorsPrintAndTheSessionGoesOn() throws {
        let result = try HostProcess.run(["-i"], input: "error('e')\nfor\n= 2\nprint('still here')\n")
        #expect(transcript(result) == "> error('e')\n> for\n>> = 2\n> print('still here')\nstill here\n> \n")
        #expect(result.stderr.hasPrefix("stdin:1: e\nstack traceback:\n"))
        #expect(result.stderr.hasSuffix("stdin:2: <name> expected near '='\n"))
        #expect(result.status == 0)
    }

    @Test func endOfInputInsideAStatement() throws {
        let result = try HostProcess.run(["-i"], input: "for\n")
        #expect(transcript(result) == "> for\n>> > \n")
        #expect(result.stderr == "stdin:1: <name> expected near <eof>\n")
    }

    @Test func promptsFromGlobals() throws {
        let result = try HostProcess.run(["-i"], input: "_PROMPT = 'P: '\n_PROMPT2 = setmetatable({}, {__tostring = function() return '+ ' end})\nif x then\nend\n")
        #expect(transcript(result).hasSuffix("> _PROMPT = 'P: '\nP: _PROMPT2 = setmetatable({}, {__tostring = function() return '+ ' end})\nP: if x then\n+ end\nP: \n"))
    }

    @Test func scriptThenInteractive() throws {
        let result = try HostProcess.run(["-e", "y = 7", "-i"], input: "y\n")
        #expect(transcript(result) == "> y\n7\n> \n")
    }

    @Test func helpCommand() throws {
        let result = try HostProcess.run(["-i"], input: ":help\n")
        for command in [":help", ":stats", ":threads", ":objects", ":quit"] {
            #expect(result.stdout.contains(command))
        }
    }

    @Test func statsCommand() throws {
        let result = try HostProcess.run(["-i"], input: ":stats\n")
        #expect(result.stdout.contains("threads: "))
        #expect(result.stdout.contains("ready queues: "))
        #expect(result.stdout.contains("jobs run: "))
        #expect(result.stdout.contains("objects with queued work: "))
    }

    @Test func threadsCommand() throws {
        let result = try HostProcess.run(["-t", "5", "-i"], input: ":threads\n:threads 0\n:threads\n:threads x\n")
        #expect(transcript(result) == "> :threads\nthreads: at most 5\n> :threads 0\nthreads: at most 0\n> :threads\nthreads: at most 0\n> :threads x\n> \n")
        #expect(result.stderr.hasPrefix("usage: :threads"))
    }

    @Test func objectsCommand() throws {
        let result = try HostProcess.run(["-i"], input: ":objects\n")
        #expect(result.status == 0)
        #expect(transcript(result).hasPrefix("> :objects\n"))
    }

    @Test func quitCommandEndsTheSession() throws {
        let result = try HostProcess.run(["-i"], input: ":quit\nprint('not reached')\n")
        #expect(!result.stdout.contains("not reached"))
        #expect(result.status == 0)
    }

    @Test func unknownCommand() throws {
        let result = try HostProcess.run(["-i"], input: ":frobnicate\nprint('goes on')\n")
        #expect(result.stderr == "unknown command ':frobnicate' (:help lists the commands)\n")
        #expect(result.stdout.contains("goes on\n"))
    }
}
