import Foundation
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
        for command in [":help", ":stats", ":threads", ":objects", ":trace on", ":trace save", ":trace show", ":quit"] {
            #expect(result.stdout.contains(command))
        }
    }

    @Test func statsCommand() throws {
        let result = try HostProcess.run(["-i"], input: ":stats\n")
        #expect(result.stdout.contains("threads: "))
        #expect(result.stdout.contains("ready queues: "))
        #expect(result.stdout.contains("jobs run: "))
        #expect(result.stdout.contains("jobs run by kind: "))
        #expect(result.stdout.contains("objects with queued work: "))
        #expect(result.stdout.contains("longest queue: none"))
    }

    @Test func threadsCommand() throws {
        let result = try HostProcess.run(["-t", "5", "-i"], input: ":threads\n:threads 0\n:threads\n:threads x\n")
        #expect(transcript(result) == "> :threads\nthreads: at most 5\n> :threads 0\nthreads: at most 0\n> :threads\nthreads: at most 0\n> :threads x\n> \n")
        #expect(result.stderr.hasPrefix("invalid thread count 'x' (thread count must be between 0 and 4096)\n"))
    }

    /// `:threads` takes the counts `set_max_threads` takes: 100000 was accepted (issue 20).
    @Test func threadsCommandAppliesTheThreadCountRule() throws {
        let result = try HostProcess.run(["-t", "5", "-i"], input: ":threads 100000\n:threads -1\n:threads 4096\n:threads 1 2\n")
        #expect(transcript(result) == "> :threads 100000\n> :threads -1\n> :threads 4096\nthreads: at most 4096\n> :threads 1 2\n> \n")
        #expect(result.stderr == """
            invalid thread count '100000' (thread count must be between 0 and 4096)
            invalid thread count '-1' (thread count must be between 0 and 4096)
            usage: :threads [N]

            """)
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

/// The `:trace` and `:stats` commands with piped input.
@Suite struct ReplTraceTests {
    @Test func traceCommands() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("desync-lua-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("repl-trace.json")
        let input = """
            :trace
            :trace on
            o = desync.new({}, { name = 'worker' }) for i = 1, 4 do o:async(function() end) end o:sync(function() end)
            :trace
            :trace show 40
            :trace off
            :trace save \(file.path)
            :trace sideways
            :trace show 3

            """
        let result = try HostProcess.run(["-i", "-t", "2"], input: input)
        #expect(result.status == 0)
        #expect(result.stdout.contains("> :trace\ntracing is off\n"))
        #expect(result.stdout.contains("> :trace on\ntracing on\n"))
        #expect(result.stdout.contains("> :trace\ntracing is on\n"))
        #expect(result.stdout.contains("A = worker"))
        #expect(result.stdout.contains("tracing off: 5 events\n"))
        #expect(result.stdout.contains("trace saved to \(file.path)\n"))
        #expect(result.stderr == "usage: :trace on | off | save FILE | show [width]\n"
                + "usage: :trace on | off | save FILE | show [width]\n")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        let events = root?["traceEvents"] as? [[String: Any]] ?? []
        #expect(events.filter { $0["ph"] as? String == "X" && $0["name"] as? String == "worker" }.count == 5)
    }

    @Test func statsShowsJobsAndTheLongestQueue() throws {
        let input = """
            gate = desync.new({}, { name = 'gate' }) gate:async(function() desync.sleep(0.5) end)
            for i = 1, 3 do gate:async(function() end) end
            :stats

            """
        let result = try HostProcess.run(["-i", "-t", "1"], input: input)
        for field in ["threads: 1 alive", "idle", "jobs run: ", "by waiting callers", "jobs run by kind: sync ",
                      "async ", "objects with queued work: 1 (", "longest queue: "] {
            #expect(result.stdout.contains(field), "\(field)")
        }
        #expect(result.stdout.contains(/longest queue: [34] jobs on gate/))
    }
}
