import Foundation
import Testing

/// `DESYNC_LUA_PRIVATE_LAYOUT=off` turns off what transfer reads of liblua's private layouts (a
/// closure's prototype, Lua 5.4 binary chunks), as a failed self-check at start does: the public
/// API's path must then do all that the fast one does.
@Suite struct PrivateLayoutFallbackTests {
    private static let off = ["DESYNC_LUA_PRIVATE_LAYOUT": "off"]

    /// Two jobs sending one literal. Keyed by its prototype, the code crosses once and the target
    /// reuses one loaded closure for both; keyed by the closure (the fallback), each new closure
    /// is dumped and loaded as a function of its own. What the script prints tells which path ran.
    private static let sameLiteralTwice = """
        local o = desync.new({})
        for _ = 1, 2 do o:sync(function(d) d[#d + 1] = debug.getinfo(1, "f").func end) end
        print(o:sync(function(d) return rawequal(d[1], d[2]) end))
        """

    @Test func theFlagSelectsThePath() throws {
        let fast = try HostProcess.run(["-e", Self.sameLiteralTwice])
        #expect(fast.status == 0, "\(fast.stderr)")
        #expect(fast.stdout == "true\n")
        let fallback = try HostProcess.run(["-e", Self.sameLiteralTwice], environment: Self.off)
        #expect(fallback.status == 0, "\(fallback.stderr)")
        #expect(fallback.stdout == "false\n")
    }

    /// Every case of function_literals.lua (upvalues, escaping closures, debug.setupvalue and
    /// upvaluejoin, finalizers, pipes, the heap over 200k jobs) on the fallback path.
    @Test func functionLiteralsPassWithoutThePrivateLayouts() throws {
        let script = HostProcess.packageRoot.appendingPathComponent("Tests/lua/function_literals.lua").path
        let outcome = try HostProcess.run([script], environment: Self.off, timeout: 180)
        #expect(outcome.status == 0, "\(outcome.stderr)")
    }
}
