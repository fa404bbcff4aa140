import Foundation
import Testing

/// `io.write` and `io.stdout:write` from parallel jobs reach stdout in whole lines, as `print`
/// does (issue 18: 88 of 800 lines came out mixed).
@Suite struct LineAtomicWriteTests {
    /// 8 objects on 4 threads, each writing 200 lines in many pieces.
    private static let parallelWriters = """
        local objects = {}
        for i = 1, 8 do objects[i] = desync.new({}, { name = "w" .. i }) end
        for i, o in ipairs(objects) do
          o:async(function()
            for k = 1, 200 do
              if k % 2 == 0 then
                io.write("job ", i, " line ", k, " ")
                for _ = 1, 8 do io.write("xxxxx") end
                io.write("\\n")
              else
                local out = io.stdout:write("job ", i, " line ", k, " ")
                for _ = 1, 8 do out = out:write("yy", "yyy") end
                out:write("\\n")
              end
              if k % 10 == 0 then print("job", i, "print", k) end
            end
          end)
        end
        """

    @Test("no line from parallel io.write is mixed with another", arguments: 1...3)
    func parallelWritesStayWholeLines(round: Int) throws {
        let result = try HostProcess.run(["-t", "4", "-e", Self.parallelWriters])
        #expect(result.status == 0)
        #expect(result.stderr == "")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        var seen = Set<String>()
        var mixed = 0
        for line in lines {
            let parts = line.split(separator: " ")
            if parts.count == 5, parts[0] == "job", parts[2] == "line", parts[4] == String(repeating: parts[4].first!, count: 40),
               "xy".contains(parts[4].first!) {
                seen.insert("\(parts[1]) \(parts[3])")
            } else if line.split(separator: "\t").count == 4, line.hasPrefix("job\t"), line.contains("\tprint\t") {
                seen.insert(String(line))
            } else {
                mixed += 1
            }
        }
        #expect(mixed == 0, "\(mixed) mixed lines")
        #expect(seen.count == 1760)
        #expect(lines.count == 1760)
    }

    /// Runs desync-lua with its stdout in a file, which the script reads while it runs.
    private func runWithStdoutInFile(_ script: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("desync-lua-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let output = directory.appendingPathComponent("out"), errors = directory.appendingPathComponent("err")
        #expect(FileManager.default.createFile(atPath: output.path, contents: nil))
        #expect(FileManager.default.createFile(atPath: errors.path, contents: nil))
        let process = Process()
        process.executableURL = HostProcess.executable
        let scriptFile = directory.appendingPathComponent("script.lua")
        try script.write(to: scriptFile, atomically: true, encoding: .utf8)
        process.arguments = [scriptFile.path, output.path]
        process.environment = HostProcess.environment()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        if exited.wait(timeout: .now() + 20) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            _ = exited.wait(timeout: .now() + 5)
            Issue.record("desync-lua did not finish in 20 s")
        }
        return (process.terminationStatus,
                try String(contentsOf: output, encoding: .utf8), try String(contentsOf: errors, encoding: .utf8))
    }

    @Test("a partial line a job leaves is written when the job ends; io.flush writes it at once")
    func partialLinesGoOutAtTheEndOfAJobAndOnFlush() throws {
        let result = try runWithStdoutInFile("""
            local path = ...
            local function written() local f = io.open(path) local s = f:read("a") f:close() return s end
            local o = desync.new({})
            o:sync(function() io.write("tail") end)
            io.stderr:write("after the job: ", written(), "\\n")
            local during = o:sync(function(_, path)
              io.write(" flushed") io.flush()
              local f = io.open(path) local s = f:read("a") f:close()
              io.stdout:write(" more") io.stdout:flush()
              f = io.open(path) s = s .. "|" .. f:read("a") f:close()
              return s
            end, path)
            io.stderr:write("during: ", during, "\\n")
            """)
        #expect(result.status == 0)
        #expect(result.stderr == "after the job: tail\nduring: tail flushed|tail flushed more\n")
        #expect(result.stdout == "tail flushed more")
    }
}
