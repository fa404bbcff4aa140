import CLua
import Desync

/// An `obj:async` job whose cargo is a reusable function with no argument or one scalar one
/// (`obj:async(add, i)`): at most three words, which the core stores in the job itself (see
/// `DesyncJobBody`), so queuing it allocates nothing. Any other cargo goes in a closure.
///
/// One concrete type per argument type, not a generic one: the core calls a job through its
/// conformance, and a generic type's conformance would run unspecialised code for every job.
protocol LuaCompactJob: DesyncJobBody where Value == ObjectState {
    var object: LuaObject { get }
    /// The call's cargo: the function, then the argument, if any.
    var call: LuaCargo.Storage { get }
}

extension LuaCompactJob {
    func run(_ state: inout ObjectState) {
        object.runAsync(LuaCargo(storage: call), in: state)
    }
}

extension LuaObject {
    /// Queues the call of the function at absolute `index` with the `argumentCount` values
    /// after it as a `LuaCompactJob`, straight from the stack, if it has one of their shapes: a
    /// Lua function with nothing to bind, and no argument or one nil, boolean or number. Returns
    /// false, having queued nothing, if not. Leaves the stack as it was.
    func asyncWithoutClosure(functionAt index: Int32, argumentCount: Int32, in L: OpaquePointer) -> Bool {
        guard argumentCount <= 1 else { return false }
        // The argument first: a call that is not taken should not cost the function's lookup.
        var argument = LuaCargoValue.luaNil
        if argumentCount == 1 {
            let type = LuaStack(L).type(at: index + 1)
            guard type != LUA_TSTRING, let plain = LuaCargoValue.plain(at: index + 1, type: type, in: L) else {
                return false
            }
            argument = plain
        }
        let lua = LuaStack(L)
        let top = lua.top
        defer { lua.setTop(top) }
        var dumpCache: Int32 = 0
        guard lua.reserve(LuaCargoCapture.stackNeed),
              let code = LuaBytecode.reusableCode(ofFunctionAt: index, cache: &dumpCache, in: L)
        else { return false }
        switch argument {
        case _ where argumentCount == 0:
            desync.async(body: LuaJobWithoutArgument(object: self, code: code))
        case .integer(let argument):
            desync.async(body: LuaJobWithInteger(object: self, code: code, argument: argument))
        case .float(let argument):
            desync.async(body: LuaJobWithFloat(object: self, code: code, argument: argument))
        case .boolean(let argument):
            desync.async(body: LuaJobWithBoolean(object: self, code: code, argument: argument))
        default:
            desync.async(body: LuaJobWithNil(object: self, code: code))
        }
        return true
    }
}

/// `obj:async(fn)`.
struct LuaJobWithoutArgument: LuaCompactJob {
    let object: LuaObject
    let code: LuaFunctionCode
    var call: LuaCargo.Storage { .one(.reusableFunction(code)) }
}

/// `obj:async(fn, nil)`: one argument, nil (not the same call as none: `select("#", ...)`).
struct LuaJobWithNil: LuaCompactJob {
    let object: LuaObject
    let code: LuaFunctionCode
    var call: LuaCargo.Storage { .two(.reusableFunction(code), .luaNil) }
}

/// `obj:async(fn, 42)`.
struct LuaJobWithInteger: LuaCompactJob {
    let object: LuaObject
    let code: LuaFunctionCode
    let argument: lua_Integer
    var call: LuaCargo.Storage { .two(.reusableFunction(code), .integer(argument)) }
}

/// `obj:async(fn, 0.5)`.
struct LuaJobWithFloat: LuaCompactJob {
    let object: LuaObject
    let code: LuaFunctionCode
    let argument: lua_Number
    var call: LuaCargo.Storage { .two(.reusableFunction(code), .float(argument)) }
}

/// `obj:async(fn, true)`.
struct LuaJobWithBoolean: LuaCompactJob {
    let object: LuaObject
    let code: LuaFunctionCode
    let argument: Bool
    var call: LuaCargo.Storage { .two(.reusableFunction(code), .boolean(argument)) }
}
