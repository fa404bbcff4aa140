import CLua

/// One value captured out of a Lua state.
///
/// Tables and Lua functions are nodes of the cargo's graph and are referred to by node index, so
/// that a table reached twice is one table again in the target, cycles included.
enum LuaCargoValue: Sendable {
    case luaNil
    case boolean(Bool)
    case integer(lua_Integer)
    case float(lua_Number)
    /// The raw bytes: Lua strings are binary, embedded zeros included.
    case string([UInt8])
    case table(node: Int)
    case function(node: Int)
    /// A Lua function with nothing to bind (no upvalues, or only an `_ENV` that is the globals):
    /// the target's one closure for this code, loaded on first use (`LuaBytecode.pushReusable`).
    case reusableFunction(LuaFunctionCode)
    /// A Lua function whose upvalues are all flat values, each in a cell of its own (what
    /// `LuaFlatCapture` takes): a new closure in the target, its upvalues set from these.
    case closure(LuaCargoClosure)
    /// A table of booleans, numbers and strings alone, as bytes (`LuaFlatTable`): a new table
    /// in the target.
    case flatTable([UInt8])
    case cFunction(LuaCFunctionPointer)
    /// The source's global table: the target's global table, never a copy.
    case globals
    /// A table that was `package.loaded[name]` in the source: the target's module of that name.
    /// Index into `LuaCargoGraph.modules`.
    case module(Int)
    case shared(any LuaSharedObject)
}

extension LuaCargoValue {
    /// The value at `index` when it is copied as it is (nil, a boolean, a number, a string), whose
    /// Lua type is `type`; nil for every other type. Both captures, flat and full, start here.
    static func plain(at index: Int32, type: Int32, in L: OpaquePointer) -> LuaCargoValue? {
        let lua = LuaStack(L)
        switch type {
        case LUA_TNIL:
            return .luaNil
        case LUA_TBOOLEAN:
            return .boolean(lua.boolean(at: index))
        case LUA_TNUMBER:
            return lua.isInteger(at: index)
                ? .integer(lua.integerValue(at: index)) : .float(lua.numberValue(at: index))
        case LUA_TSTRING:
            return .string(LuaBytes.read(at: index, in: L))
        default:
            return nil
        }
    }
}

/// A `LuaCargoValue.closure`: the code, then one value per upvalue, in upvalue order (an `_ENV`
/// that was the source's globals is `.globals`).
struct LuaCargoClosure: Sendable {
    let code: LuaFunctionCode
    let upvalues: [LuaCargoValue]
    /// Bit n - 1 set: upvalue n is the closure itself, the shape of a recursive local function
    /// (`local function hop(d, n) ... other:sync(hop, n - 1) ... end`); its value in
    /// `upvalues` is a placeholder.
    var selfReferences: UInt8 = 0
}

/// A C function without upvalues. Every state links the same liblua and the same Swift code, so
/// the pointer means the same function in any state.
struct LuaCFunctionPointer: @unchecked Sendable {
    // Unchecked because imported C function pointer types are not marked Sendable; a function
    // pointer is an immutable code address with no state of its own, so sharing it is safe.
    let function: lua_CFunction
}
