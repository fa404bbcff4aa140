import CLua

/// The everyday transfer, captured without the graph walk: `obj:async(fn, i)`, a job's `return
/// n`. When every value is nil, a boolean, a number, a string, a shared object or a Lua function
/// with nothing to bind, the cargo is just its list of values, and building the walk's
/// bookkeeping (tables in the source state, node lists, origins) would cost more than the values.
enum LuaFlatCapture {
    /// The values at absolute `first ..< first + count`, or nil when one of them needs the full
    /// capture (a table, a function with upvalues, a C function, or anything refused, whose error
    /// path the full capture reports). Leaves the stack as it was; needs 8 free slots.
    static func values(from L: OpaquePointer, first: Int32, count: Int32) -> [LuaCargoValue]? {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        var dumpCache: Int32 = 0
        var values: [LuaCargoValue] = []
        values.reserveCapacity(Int(count))
        for index in first..<(first + count) {
            switch lua_type(L, index) {
            case LUA_TNIL:
                values.append(.luaNil)
            case LUA_TBOOLEAN:
                values.append(.boolean(lua_toboolean(L, index) != 0))
            case LUA_TNUMBER:
                values.append(lua_isinteger(L, index) != 0
                    ? .integer(lua_tointegerx(L, index, nil)) : .float(lua_tonumberx(L, index, nil)))
            case LUA_TSTRING:
                values.append(.string(LuaBytes.read(at: index, in: L)))
            case LUA_TFUNCTION:
                guard lua_iscfunction(L, index) == 0, LuaBytecode.hasNothingToBind(functionAt: index, in: L) else {
                    return nil
                }
                values.append(.reusableFunction(
                    LuaBytecode.code(ofFunctionAt: index, cache: &dumpCache, reusable: true, in: L)))
            case LUA_TUSERDATA:
                guard let object = LuaProxy.object(at: index, in: L) else { return nil }
                values.append(.shared(object))
            default:
                return nil
            }
        }
        return values
    }
}
