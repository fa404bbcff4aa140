import CLua
import Desync
@testable import DesyncLua
import Testing

@Suite("obj:async's everyday shapes go without a closure (LuaCompactJob)")
struct CompactJobTests {
    @Test("each compact job fits an existential's inline buffer, so queuing it allocates nothing")
    func fitsInline() {
        let threeWords = 3 * MemoryLayout<UnsafeRawPointer>.size
        #expect(MemoryLayout<LuaJobWithoutArgument>.size <= threeWords)
        #expect(MemoryLayout<LuaJobWithNil>.size <= threeWords)
        #expect(MemoryLayout<LuaJobWithInteger>.size <= threeWords)
        #expect(MemoryLayout<LuaJobWithFloat>.size <= threeWords)
        #expect(MemoryLayout<LuaJobWithBoolean>.size <= threeWords)
    }

    @Test("the compact shapes are taken, every other shape is left to the closure path")
    func routing() {
        let runtime = LuaRuntime(scheduler: Scheduler(maxThreads: 0))
        let L = runtime.hostState
        guard luaL_loadstring(L, "return desync.new({}, { name = 'compact' })") == LUA_OK,
              desync_pcall(L, 0, 1, 0) == LUA_OK,
              let object = LuaProxy.object(at: -1, in: L, as: LuaObject.self)
        else {
            Issue.record("no desync object")
            return
        }
        lua_settop(L, 0)
        /// Whether the function and arguments that `source` returns were queued as a compact job.
        func taken(_ source: String, arguments: Int32) -> Bool {
            let top = lua_gettop(L)
            defer { lua_settop(L, top) }
            guard luaL_loadstring(L, source) == LUA_OK, desync_pcall(L, 0, DESYNC_LUA_MULTRET, 0) == LUA_OK else {
                Issue.record("Lua error: \(String(cString: desync_tostring(L, -1)))")
                return false
            }
            #expect(lua_gettop(L) == top + 1 + arguments)
            let queued = object.asyncWithoutClosure(functionAt: top + 1, argumentCount: arguments, in: L)
            #expect(lua_gettop(L) == top + 1 + arguments, "the stack was not left as it was")
            return queued
        }
        #expect(taken("return function(data) end", arguments: 0))
        #expect(taken("return function(data, x) end, nil", arguments: 1))
        #expect(taken("return function(data, x) end, 42", arguments: 1))
        #expect(taken("return function(data, x) end, -0.0", arguments: 1))
        #expect(taken("return function(data, x) end, false", arguments: 1))
        #expect(object.pending == 5)

        #expect(!taken("return function(data, x) end, 'text'", arguments: 1))
        #expect(!taken("return function(data, x) end, {}", arguments: 1))
        #expect(!taken("return function(data, x, y) end, 1, 2", arguments: 2))
        #expect(!taken("local up = {}; return function(data) return up end", arguments: 0))
        #expect(!taken("return print, 1", arguments: 1))
        #expect(object.pending == 5, "a refused shape queued something")

        // With 0 threads, the caller of sync runs the queued jobs first.
        object.desync.sync { _ in }
        #expect(object.pending == 0)
    }
}
