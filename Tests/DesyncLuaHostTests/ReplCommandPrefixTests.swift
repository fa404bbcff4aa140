import Foundation
import Testing

/// `:` commands by prefix, and `:objects` with many objects (piped input).
@Suite struct ReplCommandPrefixTests {
    @Test func aPrefixNamesTheOneCommandItStartsOnly() throws {
        let result = try HostProcess.run(["-i"], input: ":h\n:st\n:obj\n:t\n:q\nprint('not reached')\n")
        #expect(result.stdout.contains(":help        this list"))
        #expect(result.stdout.contains("jobs run by kind: "))
        #expect(result.stdout.contains("> :obj\nno live objects\n"))
        #expect(!result.stdout.contains("not reached"))
        #expect(result.stderr == "ambiguous command ':t' (:threads, :trace)\n")
    }

    @Test func objectsWithManyObjectsShowsASummaryAndTheBusiest() throws {
        let setup = "gate = desync.stream() objs = {} for i = 1, 300 do objs[i] = desync.new({}, { name = 'obj' .. i }) end "
            + "for j = 1, 3 do objs[150]:async(function(_, g) g:receive() end, gate) end objs[7]:async(function(_, g) g:receive() end, gate)\n"
        let result = try HostProcess.run(["-i"], input: setup + ":objects\n:objects all\nfor i = 1, 4 do gate:send(1) end\n")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let summary = try #require(lines.firstIndex { $0.hasPrefix("> :objects") }.map { $0 + 1 })
        #expect(lines[summary].hasPrefix("300 live objects, 2 with queued work (4 jobs queued), Lua memory "), "\(lines[summary])")
        #expect(lines[summary + 1].hasPrefix("obj150  3 queued"))
        #expect(lines[summary + 2].hasPrefix("obj7    1 queued"))
        #expect(lines[summary + 11] == "... and 290 more (:objects all lists every one)")
        let all = try #require(lines.firstIndex(of: "> :objects all"))
        #expect(lines[(all + 1)...].prefix { !$0.hasPrefix(">") }.count == 300)
        #expect(result.status == 0)
    }

    @Test func objectsRefusesOtherArguments() throws {
        let result = try HostProcess.run(["-i"], input: ":objects some\n")
        #expect(result.stderr == "usage: :objects [all]\n")
    }
}
