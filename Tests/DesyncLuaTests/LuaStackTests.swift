import CLua
import DesyncLua
import Foundation
import Testing

/// The non-raising layer (Sources/DesyncLua/Lua/LuaStack.swift): what it does where the raw API
/// would raise, and that the converted folders make no raw Lua call outside it.
@Suite("LuaStack: Swift's non-raising Lua calls")
struct LuaStackTests {
    /// A bare state for one test, closed when the test ends.
    final class State {
        let lua: LuaStack
        init() { lua = LuaStack.newUncountedState()! }
        deinit { lua.close() }
    }

    @Test("rawSet drops a nil or NaN key (lua_rawset would raise) and keeps the stack balanced")
    func rawSetRefusesNilAndNaNKeys() {
        let state = State()
        let lua = state.lua
        lua.newTable()
        let table = lua.top
        lua.pushNil()
        lua.push(integer: 1)
        #expect(!lua.rawSet(table))
        #expect(lua.top == table)
        lua.push(number: .nan)
        lua.push(integer: 2)
        #expect(!lua.rawSet(table))
        #expect(lua.top == table)
        lua.push(number: 1.5)
        lua.push(integer: 3)
        #expect(lua.rawSet(table))
        // The table holds the one accepted pair.
        lua.pushNil()
        #expect(lua.next(table))
        #expect(lua.number(at: -2) == 1.5)
        #expect(lua.integer(at: -1) == 3)
        lua.pop()
        #expect(!lua.next(table))
        #expect(lua.top == table)
    }

    @Test("fields, indices and pointers read and write raw, past __index and __newindex")
    func rawAccess() {
        let state = State()
        let lua = state.lua
        #expect(lua.load("return setmetatable({}, { __index = error, __newindex = error })", name: "=t") == LUA_OK)
        #expect(lua.protectedCall(arguments: 0, results: 1) == LUA_OK)
        let table = lua.top
        lua.push("x")
        lua.rawSet(table, field: "name")
        lua.push(integer: 7)
        lua.rawSet(table, index: 1)
        let key = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
        defer { key.deallocate() }
        lua.push(true)
        lua.rawSet(table, pointer: key)
        #expect(lua.rawGet(table, field: "name") == LUA_TSTRING)
        #expect(lua.string(at: -1) == "x")
        #expect(lua.rawGet(table, index: 1) == LUA_TNUMBER)
        #expect(lua.integer(at: -1) == 7)
        #expect(lua.rawGet(table, pointer: key) == LUA_TBOOLEAN)
        #expect(lua.boolean(at: -1))
        #expect(lua.rawGet(table, field: "missing") == LUA_TNIL)
        #expect(lua.rawLength(table) == 1)
    }

    @Test("typed reads convert as lua_tointegerx and lua_tonumberx do, and refuse the rest")
    func typedReads() {
        let state = State()
        let lua = state.lua
        lua.push("10")
        lua.push(number: 1.5)
        lua.push("x")
        lua.push(number: 4.0)
        #expect(lua.integer(at: 1) == 10)
        #expect(lua.integer(at: 2) == nil)
        #expect(lua.number(at: 2) == 1.5)
        #expect(lua.number(at: 3) == nil)
        #expect(lua.integer(at: 4) == 4)
        #expect(!lua.isInteger(at: 4))
        #expect(lua.stringBytes(at: 4) == nil, "stringBytes never converts a number")
        #expect(lua.type(at: 4) == LUA_TNUMBER)
        #expect(lua.string(at: 4) == "4.0")
        #expect(lua.typeName(at: 9) == "no value")
    }

    @Test("an error in protectedCall or load comes back as a status with the message")
    func protectedCallReturnsStatus() {
        let state = State()
        let lua = state.lua
        #expect(lua.load("error('boom', 0)", name: "=t") == LUA_OK)
        #expect(lua.protectedCall(arguments: 0, results: 0) == LUA_ERRRUN)
        #expect(lua.string(at: -1) == "boom")
        lua.pop()
        #expect(lua.load("return +", name: "=t") == LUA_ERRSYNTAX)
        #expect(lua.string(at: -1)?.contains("unexpected symbol") == true)
        lua.pop()
        #expect(lua.top == 0)
    }

    @Test("references keep a value in the registry until released")
    func references() {
        let state = State()
        let lua = state.lua
        lua.push("kept")
        let reference = lua.reference(in: DESYNC_LUA_REGISTRYINDEX)
        #expect(lua.top == 0)
        #expect(lua.rawGet(DESYNC_LUA_REGISTRYINDEX, index: lua_Integer(reference)) == LUA_TSTRING)
        lua.pop()
        lua.release(reference, in: DESYNC_LUA_REGISTRYINDEX)
        #expect(lua.rawGet(DESYNC_LUA_REGISTRYINDEX, index: lua_Integer(reference)) != LUA_TSTRING)
    }

    /// Every Swift source that may touch a Lua state, under Sources/: the library (all its folders,
    /// found on disk, so a new one is checked too), the host and the Lua module's entry. The C
    /// shims (Sources/CLua, CDesyncModule, CLuaHost) are the other side of the layer.
    static let checkedFolders = ["DesyncLua", "desync-lua", "DesyncLuaModule"]
    /// The layer itself, the one Swift file that calls the C API.
    static let layer = "DesyncLua/Lua/LuaStack.swift"
    /// Files not converted yet (none: every raw call goes through the layer).
    static let notYetConverted: Set<String> = []

    @Test("no Swift source makes a raw Lua call: every one goes through LuaStack")
    func convertedFoldersCallOnlyLuaStack() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")
        // A Lua API call: lua_x( or luaL_x(, or a shim over the state from shim.h.
        let raw = try NSRegularExpression(pattern: #"\b(lua_[a-z]+|luaL_[a-z]+|desync_(pcall|pop|insert|remove|replace|newtable|tostring|tonumber|tointeger|is[a-z]+|newuserdata|getuservalue|setuservalue|pushglobaltable|extraspace|upvalueindex|pushswiftfunction|pushtraceback|pushcoroutinetraceback|resume|resetthread|prepare_coroutine|newstate[a-z_]*|yieldable))\("#)
        var found: [String] = []
        var checked = 0
        for folder in Self.checkedFolders {
            let directory = sources.appendingPathComponent(folder)
            let files = try #require(FileManager.default.subpaths(atPath: directory.path))
            for name in files.sorted() where name.hasSuffix(".swift") {
                let path = "\(folder)/\(name)"
                if path == Self.layer || Self.notYetConverted.contains(path) { continue }
                checked += 1
                let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = String(line)
                    if code.trimmingCharacters(in: .whitespaces).hasPrefix("//") { continue }
                    let range = NSRange(code.startIndex..., in: code)
                    if raw.firstMatch(in: code, range: range) != nil { found.append("\(path):\(number + 1): \(code)") }
                }
            }
        }
        // The walk found the sources (a wrong path would check nothing and pass).
        #expect(checked > 50)
        #expect(found.isEmpty, "raw Lua calls outside LuaStack:\n\(found.joined(separator: "\n"))")
    }
}
