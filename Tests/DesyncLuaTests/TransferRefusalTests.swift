import CLua
@testable import DesyncLua
import Testing

@Suite("Transfer refusals name the path")
struct TransferRefusalTests {
    @Test func coroutinesAreRefused() {
        let source = TestLuaState()
        #expect(refusal("1, coroutine.create(print)", in: source)
            == "argument 2: coroutine cannot cross between desync objects")
    }

    @Test func userdataInsideAnUpvalueIsRefusedWithItsPath() {
        let source = TestLuaState()
        source.run("local file = io.stdout config = {log = function(s) file:write(s) end}")
        #expect(refusal("1, config", in: source)
            == "argument 2, field 'log', upvalue 'file': userdata cannot cross between desync objects")
    }

    @Test func cClosuresWithUpvaluesAreRefused() {
        let source = TestLuaState()
        #expect(refusal("{[3] = string.gmatch('a', 'a')}", in: source)
            == "argument 1, [3]: C function with upvalues cannot cross between desync objects")
    }

    @Test func lightUserdataIsRefused() {
        let source = TestLuaState()
        lua_pushlightuserdata(source.L, UnsafeMutableRawPointer(bitPattern: 0x1234))
        source.popIntoGlobal("light")
        #expect(refusal("{nested = {true, light}}", in: source)
            == "argument 1, field 'nested', [2]: light userdata cannot cross between desync objects")
    }

    @Test func metatablesAndKeysAppearInPaths() {
        let source = TestLuaState()
        #expect(refusal("setmetatable({}, {__index = coroutine.create(print)})", in: source)
            == "argument 1, metatable, field '__index': coroutine cannot cross between desync objects")
        #expect(refusal("{[coroutine.create(print)] = 1}", in: source)
            == "argument 1, key: coroutine cannot cross between desync objects")
        #expect(refusal("{[2.5] = {[true] = io.stderr}}", in: source)
            == "argument 1, [2.5], [true]: userdata cannot cross between desync objects")
        #expect(refusal("{['it\\'s\\n'] = io.stderr}", in: source)
            == "argument 1, field 'it\\'s\\10': userdata cannot cross between desync objects")
    }

    @Test func describeNamesTheTopLevelValue() {
        let source = TestLuaState()
        #expect(refusal("1, 2, io.stdout", in: source, describe: { "result \($0)" })
            == "result 3: userdata cannot cross between desync objects")
    }

    @Test func aRefusalLeavesTheSourceStackAlone() {
        let source = TestLuaState()
        source.run("return 'keep', {ok = {}, bad = coroutine.create(print)}")
        let result = LuaCargo.capture(from: source.L, first: 1, count: 2)
        #expect(throws: LuaTransferError.self) { try result.get() }
        #expect(lua_gettop(source.L) == 2)
        #expect(source.holds("true"))
    }
}
