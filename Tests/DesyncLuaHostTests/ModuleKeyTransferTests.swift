import Foundation
import Testing

/// A table keyed by a module (`package.loaded[name]`) crosses by the module's name; when the
/// target cannot `require` it, the module is nil there (as it is anywhere else in the values).
/// A nil key cannot be set, so that pair is dropped. Before, the push set it with `lua_rawset`,
/// which raised "index is nil" outside any protected call: Lua's panic ended the process.
@Suite struct ModuleKeyTransferTests {
    @Test func aJobArgumentKeyedByAModuleTheObjectCannotLoadLosesThatPair() throws {
        let result = try HostProcess.run(["-e", """
            package.loaded.only_here = {}
            local t = { [package.loaded.only_here] = 1, other = 2 }
            local o = desync.new({})
            print(o:sync(function(_, t) local n = 0 for _ in pairs(t) do n = n + 1 end return n, t.other end, t))
            """])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "1\t2\n")
    }

    @Test func aResultKeyedByAModuleTheCallerCannotLoadLosesThatPair() throws {
        let result = try HostProcess.run(["-e", """
            local o = desync.new({})
            local t = o:sync(function()
                package.loaded.only_there = {}
                return { [package.loaded.only_there] = 1, other = 2 }
            end)
            local n = 0 for _ in pairs(t) do n = n + 1 end
            print(n, t.other)
            """])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "1\t2\n")
    }
}
