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
    /// Queues `call` as a `LuaCompactJob` if it has one of their shapes; returns false, having
    /// queued nothing, if not.
    func asyncWithoutClosure(_ call: borrowing LuaCargo) -> Bool {
        switch call.storage {
        case .one(.reusableFunction(let code)):
            desync.async(body: LuaJobWithoutArgument(object: self, code: code))
        case .two(.reusableFunction(let code), .integer(let argument)):
            desync.async(body: LuaJobWithInteger(object: self, code: code, argument: argument))
        case .two(.reusableFunction(let code), .float(let argument)):
            desync.async(body: LuaJobWithFloat(object: self, code: code, argument: argument))
        case .two(.reusableFunction(let code), .boolean(let argument)):
            desync.async(body: LuaJobWithBoolean(object: self, code: code, argument: argument))
        case .two(.reusableFunction(let code), .luaNil):
            desync.async(body: LuaJobWithNil(object: self, code: code))
        default:
            return false
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
