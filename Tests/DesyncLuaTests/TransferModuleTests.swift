import CLua
@testable import DesyncLua
import Testing

/// A test module, defined the same way in every state: `require "somemodule"` loads it through
/// `package.preload` and counts the loads in the global `somemoduleLoads`.
private let preloadSomeModule = """
    package.preload.somemodule = function(name)
        somemoduleLoads = (somemoduleLoads or 0) + 1
        return {name = name, from = 'preload'}
    end
    """

@Suite("Modules and the global table cross by name")
struct TransferModuleTests {
    @Test func capturedModulesAreTheTargetsModules() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run(preloadSomeModule)
        target.run(preloadSomeModule)
        source.run("""
            local string, io, G = string, io, _G
            local m = require "somemodule"
            m.from = 'source'                      -- a module crosses by name, not by copy
            job = function() return string, io, G, m, string.mark, m.mark, io.type(io.stdout) end
            """)
        target.run("require('somemodule').mark = 'target' string.mark = 'target'")
        #expect(try transfer("job", from: source, to: target, check: """
            function(job)
                local s, i, g, m, smark, mmark, stdout = job()
                return rawequal(s, package.loaded.string) and rawequal(i, package.loaded.io)
                    and rawequal(g, _G) and rawequal(m, package.loaded.somemodule)
                    and m.from == 'preload' and smark == 'target' and mmark == 'target'
                    and stdout == 'file' and somemoduleLoads == 1
            end
            """))
    }

    @Test func theGlobalTableIsTheTargets() throws {
        let source = TestLuaState(), target = TestLuaState()
        target.run("onlyInTarget = 7")
        #expect(try transfer("_G, {g = _G}, package.loaded._G", from: source, to: target, check: """
            function(g, t, loadedG) return rawequal(g, _G) and rawequal(t.g, _G) and rawequal(loadedG, _G)
                and g.onlyInTarget == 7 end
            """))
    }

    @Test func modulesAreNamedAnywhereInAGraph() throws {
        let source = TestLuaState(), target = TestLuaState()
        #expect(try transfer("{math, [table] = 'key', setmetatable({}, {__index = string})}, math",
                             from: source, to: target, check: """
            function(t, m) return rawequal(t[1], math) and t[table] == 'key'
                and rawequal(getmetatable(t[2]).__index, string) and rawequal(m, t[1]) end
            """))
    }

    @Test func aModuleMissingFromTheTargetIsRequiredThere() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run(preloadSomeModule)
        target.run(preloadSomeModule)
        source.run("local m = require 'somemodule' job = function() return m end")
        #expect(target.holds("package.loaded.somemodule == nil"))
        let cargo = try source.capture("job, job").get()
        let top = lua_gettop(target.L)
        #expect(try cargo.pushChecked(onto: target.L).get() == 2)
        #expect(lua_gettop(target.L) == top + 2)
        lua_settop(target.L, top)
        #expect(target.holds("somemoduleLoads == 1 and package.loaded.somemodule.from == 'preload'"))
        #expect(target.check(cargo, "function(a, b) return rawequal(a(), package.loaded.somemodule) and a() == b() end"))
        #expect(target.holds("somemoduleLoads == 1"))
    }

    @Test func aModuleTheTargetCannotLoadIsReported() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("package.loaded.sourceonly = {} local m = require 'sourceonly' job = function() return m end")
        let cargo = try source.capture("1, job").get()

        let top = lua_gettop(target.L)
        let checked = cargo.pushChecked(onto: target.L)
        #expect(lua_gettop(target.L) == top, "a failed pushChecked pushes nothing")
        guard case .failure(let error) = checked else {
            Issue.record("pushChecked should fail")
            return
        }
        #expect(error.message.hasPrefix(
            "argument 2, upvalue 'm': module 'sourceonly' cannot be loaded in the target: module 'sourceonly' not found"))

        // The unchecked push carries on with nil in the module's place.
        #expect(target.check(cargo, "function(one, job) return one == 1 and job() == nil end"))
    }

    @Test func aRequireThatRaisesANonStringIsReported() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("package.loaded.bad = {}")
        target.run("package.preload.bad = function() error(setmetatable({}, {__tostring = function() error('no') end})) end")
        let cargo = try source.capture("package.loaded.bad").get()
        #expect(throws: LuaTransferError(message:
            "argument 1: module 'bad' cannot be loaded in the target: (error object is a table value)")) {
            try cargo.pushChecked(onto: target.L).get()
        }
    }

    @Test func aTableLoadedUnderTwoNamesGoesByTheLeastName() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("package.loaded.zz = string package.loaded.aa = string")
        target.run("package.loaded.aa = {}")
        #expect(try transfer("string", from: source, to: target, check: "function(s) return rawequal(s, package.loaded.aa) end"))
    }

    @Test func plainTablesAndTablesInsideModulesAreStillCopies() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("package.loaded.cfg = {inner = {n = 1}}")
        target.run("package.loaded.cfg = {inner = {n = 2}}")
        #expect(try transfer("package.loaded.cfg.inner", from: source, to: target, check: """
            function(inner) return inner.n == 1 and not rawequal(inner, package.loaded.cfg.inner) end
            """))
    }
}

/// The test's Swift function: 42 plus its extra upvalue (upvalue 2) when that is an integer.
private func answerPlusUpvalue(_ L: OpaquePointer?) -> Int32 {
    guard let L else { return 0 }
    lua_pushinteger(L, 42 + lua_tointegerx(L, desync_upvalueindex(2), nil))
    return 1
}

/// Returns its upvalues 2 and 3.
private func returnUpvalues(_ L: OpaquePointer?) -> Int32 {
    guard let L else { return 0 }
    lua_pushvalue(L, desync_upvalueindex(2))
    lua_pushvalue(L, desync_upvalueindex(3))
    return 2
}

extension TestLuaState {
    /// Pushes a Swift function through `LuaSwiftFunction.push` with `upvalues` (Lua expressions)
    /// and stores it in the global `name`.
    func defineSwiftFunction(_ name: String, _ f: desync_swift_function, upvalues: String = "") {
        let count = upvalues.isEmpty ? 0 : run("return \(upvalues)")
        LuaSwiftFunction.push(f, upvalues: count, onto: L)
        popIntoGlobal(name)
    }
}

@Suite("Swift functions cross as the same Swift function")
struct TransferModuleSwiftFunctionTests {
    @Test func aSwiftFunctionCrossesAndWorks() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.defineSwiftFunction("answer", answerPlusUpvalue, upvalues: "7")
        #expect(source.holds("answer() == 49"))
        source.run("local new = answer job = function() return new() end")
        #expect(try transfer("answer, {f = answer}, job", from: source, to: target, check: """
            function(f, t, job) return f() == 49 and rawequal(t.f, f) and job() == 49
                and registry_table('swiftfunctions')[f] == true end
            """))
    }

    @Test func aSwiftFunctionCrossesAgainFromTheTarget() throws {
        let source = TestLuaState(), middle = TestLuaState(), target = TestLuaState()
        source.defineSwiftFunction("answer", answerPlusUpvalue, upvalues: "1")
        let first = try source.capture("answer").get()
        first.push(onto: middle.L)
        middle.popIntoGlobal("answer")
        #expect(try transfer("answer", from: middle, to: target, check: "function(f) return f() == 43 end"))
    }

    @Test func aModuleOfSwiftFunctionsWorksAsWithDesync() throws {
        // Like `local desync = require "desync"` and `local new = desync.new` in a job.
        let source = TestLuaState(), target = TestLuaState()
        for state in [source, target] {
            state.defineSwiftFunction("answer", answerPlusUpvalue, upvalues: "0")
            state.run("package.preload.swiftmod = function() return {answer = answer} end")
        }
        source.run("local swiftmod = require 'swiftmod' local answer = swiftmod.answer job = function() return swiftmod, answer() end")
        #expect(try transfer("job", from: source, to: target, check: """
            function(job) local m, n = job() return rawequal(m, package.loaded.swiftmod) and n == 42 end
            """))
    }

    @Test func extraUpvaluesFollowTheUsualRules() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("shared = {n = 5}")
        source.defineSwiftFunction("pair", returnUpvalues, upvalues: "shared, string")
        #expect(try transfer("pair, shared", from: source, to: target, check: """
            function(pair, shared) local t, s = pair() return rawequal(t, shared) and t.n == 5 and rawequal(s, string) end
            """))
        // A cycle through an extra upvalue: the function sits in its own upvalue table.
        source.run("shared.self = pair")
        #expect(try transfer("pair", from: source, to: target, check: """
            function(pair) local t = pair() return rawequal(t.self, pair) end
            """))
    }

    @Test func aRefusedExtraUpvalueIsNamedByNumber() {
        let source = TestLuaState()
        source.defineSwiftFunction("pair", returnUpvalues, upvalues: "1, io.stdout")
        #expect(refusal("{f = pair}", in: source)
            == "argument 1, field 'f', upvalue 3: userdata cannot cross between desync objects")
    }

    @Test func foreignCClosuresAreStillRefused() {
        let source = TestLuaState()
        source.defineSwiftFunction("answer", answerPlusUpvalue)
        source.run("local it = string.gmatch('a', 'a') job = function() return answer, it end")
        #expect(refusal("{[3] = string.gmatch('a', 'a')}", in: source)
            == "argument 1, [3]: C function with upvalues cannot cross between desync objects")
        #expect(refusal("job", in: source)
            == "argument 1, upvalue 'it': C function with upvalues cannot cross between desync objects")
    }

    @Test func aTrampolineClosureNotMadeByTheHelperIsRefused() {
        let source = TestLuaState()
        desync_pushswiftfunction(source.L, answerPlusUpvalue, 0)
        source.popIntoGlobal("unregistered")
        #expect(refusal("unregistered", in: source)
            == "argument 1: C function with upvalues cannot cross between desync objects")
    }
}
