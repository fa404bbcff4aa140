import CLua

/// The codes of the last few functions with nothing to bind that one state sent, found by the
/// closure's address alone: `for i = 1, n do obj:async(add, i) end` sends `add` n times, and
/// the dump cache's table lookup cost more than the rest of the capture.
///
/// An address identifies a closure only while that closure lives, so each entry keeps its closure
/// alive in a registry table, slot for slot: no other object can take the address while the
/// entry stands. Only closures with nothing to bind are kept (no upvalues but `_ENV`), so holding
/// one a little longer keeps nothing else alive.
final class RecentFunctionCodes {
    private static let capacity = 8

    // Unchecked: a state's context is used only by the thread that runs the state, one call at a
    // time, and the dynamic exclusivity check costs more than the lookup. Two arrays rather than
    // one of pairs, so that a miss compares addresses without touching a reference count.
    @exclusivity(unchecked) private var closures = [UnsafeRawPointer?](repeating: nil, count: capacity)
    @exclusivity(unchecked) private var codes = [LuaFunctionCode?](repeating: nil, count: capacity)
    /// Registry reference of the table whose slot i holds entry i's closure; 0 until first use.
    @exclusivity(unchecked) private var keepAliveRef: Int32 = 0

    private static func slot(of closure: UnsafeRawPointer) -> Int {
        // Lua objects are 16-byte aligned at least: the low bits carry nothing.
        (Int(bitPattern: closure) >> 4) & (capacity - 1)
    }

    /// The code remembered for the closure at `index`, if any. Needs 2 free stack slots.
    ///
    /// The keep-alive table is checked to still hold this very closure in the entry's slot: Lua
    /// code can reach the registry (`debug.getregistry()`) and empty or replace that table, and
    /// then the address would no longer be reserved for the remembered closure.
    func code(ofFunctionAt index: Int32, in L: OpaquePointer) -> LuaFunctionCode? {
        guard keepAliveRef != 0, let closure = lua_topointer(L, index) else { return nil }
        let slot = Self.slot(of: closure)
        guard closures[slot] == closure else { return nil }
        defer { desync_pop(L, 2) }
        guard lua_rawgeti(L, DESYNC_LUA_REGISTRYINDEX, lua_Integer(keepAliveRef)) == LUA_TTABLE else {
            lua_pushnil(L)
            return nil
        }
        lua_rawgeti(L, -1, lua_Integer(slot + 1))
        return lua_topointer(L, -1) == closure ? codes[slot] : nil
    }

    /// Remembers `code` for `closure`, the closure at absolute `index` when its code was
    /// looked up, replacing whatever had its slot. Needs 3 free stack slots.
    ///
    /// The slot is read again only right before it is stored, with nothing that allocates in
    /// between: any allocation can run a finalizer, and a finalizer can replace the values on
    /// this C function's stack (`debug.setlocal`). Had another closure been put there since the
    /// lookup, its address would be remembered with this code; then nothing is remembered.
    func remember(_ code: LuaFunctionCode, forClosure closure: UnsafeRawPointer, at index: Int32, in L: OpaquePointer) {
        if keepAliveRef == 0 || lua_rawgeti(L, DESYNC_LUA_REGISTRYINDEX, lua_Integer(keepAliveRef)) != LUA_TTABLE {
            // First use, or Lua code replaced the table: a new one, and no entry stands.
            if keepAliveRef != 0 { desync_pop(L, 1) }
            closures = [UnsafeRawPointer?](repeating: nil, count: Self.capacity)
            codes = [LuaFunctionCode?](repeating: nil, count: Self.capacity)
            // Its array part holds every slot, so storing into it below allocates nothing.
            lua_createtable(L, Int32(Self.capacity), 0)
            lua_pushvalue(L, -1)
            keepAliveRef = luaL_ref(L, DESYNC_LUA_REGISTRYINDEX)
        }
        lua_pushvalue(L, index)
        guard lua_topointer(L, -1) == closure else {
            desync_pop(L, 2)
            return
        }
        let slot = Self.slot(of: closure)
        lua_rawseti(L, -2, lua_Integer(slot + 1))
        desync_pop(L, 1)
        closures[slot] = closure
        codes[slot] = code
    }
}
