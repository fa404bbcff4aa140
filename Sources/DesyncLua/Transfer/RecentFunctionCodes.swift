import CLua

/// The codes of the last few functions one state sent, found by their prototype's address
/// (`LuaPrototype`), so that a function literal, a new closure on every call, is dumped once:
/// `for i = 1, n do obj:async(function(d, x) ... end, i) end`. Where the prototype cannot be
/// read, the closure's own address is the key, as for `obj:async(add, i)`, where the dump cache's
/// table lookup cost more than the rest of the capture.
///
/// An address identifies a prototype (or closure) only while it lives, so each entry keeps a
/// closure of it in a registry table, slot for slot, and a lookup checks that the slot still
/// holds a closure with the same key: while that closure lives, no other object can take the
/// address. Closures with nothing to bind (no upvalues but `_ENV`) are kept in a table with
/// strong values, since holding one a little longer keeps nothing else alive; closures with
/// upvalues in one with weak values, so that sending one never keeps its upvalues' values
/// alive: once it is collected, the next closure of its literal is dumped again (once per
/// collection cycle at most).
final class RecentFunctionCodes {
    private static let capacity = 16

    // Unchecked: a state's context is used only by the thread that runs the state, one call at a
    // time, and the dynamic exclusivity check costs more than the lookup. Separate arrays rather
    // than one of tuples, so that a miss compares addresses without touching a reference count.
    @exclusivity(unchecked) private var keys = [UnsafeRawPointer?](repeating: nil, count: capacity)
    @exclusivity(unchecked) private var codes = [LuaFunctionCode?](repeating: nil, count: capacity)
    /// Whether entry i's closure is in the weak table (else the strong one).
    @exclusivity(unchecked) private var weakly = [Bool](repeating: false, count: capacity)
    /// Registry references of the tables whose slot i holds entry i's closure; 0 until first use.
    @exclusivity(unchecked) private var strongRef: Int32 = 0
    @exclusivity(unchecked) private var weakRef: Int32 = 0

    private static func slot(of key: UnsafeRawPointer) -> Int {
        // Lua objects are 16-byte aligned at least: the low bits carry nothing.
        (Int(bitPattern: key) >> 4) & (capacity - 1)
    }

    /// The key of the Lua closure at `closure`: its prototype's address, or its own.
    @inline(__always)
    private static func key(ofClosure closure: UnsafeRawPointer) -> UnsafeRawPointer {
        LuaPrototype.address(ofClosure: closure) ?? closure
    }

    /// The code remembered for the Lua function at `index`, if any. Needs 2 free stack slots.
    ///
    /// The keep-alive table is checked to still hold, in the entry's slot, a Lua closure with the
    /// same key: Lua code can reach the registry (`debug.getregistry()`) and empty or fill that
    /// table, and then the address would no longer be reserved for the remembered function.
    func code(ofFunctionAt index: Int32, in L: OpaquePointer) -> LuaFunctionCode? {
        let lua = LuaStack(L)
        // The type first: for a full userdata `lua_topointer` is its block, not a GC object, and
        // `key` reads at fixed offsets (a finalizer may have put one where the function was).
        guard strongRef != 0, lua.type(at: index) == LUA_TFUNCTION, !lua.isCFunction(at: index),
              let closure = lua.pointer(at: index)
        else { return nil }
        let key = Self.key(ofClosure: closure)
        let slot = Self.slot(of: key)
        guard keys[slot] == key else { return nil }
        defer { lua.pop(2) }
        guard lua.rawGet(DESYNC_LUA_REGISTRYINDEX, index: lua_Integer(weakly[slot] ? weakRef : strongRef)) == LUA_TTABLE else {
            lua.pushNil()
            return nil
        }
        guard lua.rawGet(-1, index: lua_Integer(slot + 1)) == LUA_TFUNCTION, !lua.isCFunction(at: -1),
              let kept = lua.pointer(at: -1), Self.key(ofClosure: kept) == key
        else { return nil }
        return codes[slot]
    }

    /// Remembers `code` for `closure`, the Lua closure at absolute `index` when its code was
    /// looked up, replacing whatever had its slot. `nothingToBind`: see the type's comment.
    /// Needs 5 free stack slots.
    ///
    /// The value at `index` is read again only right before it is stored, with nothing that
    /// allocates in between: any allocation can run a finalizer, and a finalizer can replace the
    /// values on this C function's stack (`debug.setlocal`). Had another function been put there
    /// since the lookup, its key would be remembered with this code; then nothing is remembered.
    func remember(
        _ code: LuaFunctionCode, forClosure closure: UnsafeRawPointer, at index: Int32, nothingToBind: Bool,
        in L: OpaquePointer
    ) {
        let lua = LuaStack(L)
        let top = lua.top
        defer { lua.setTop(top) }
        let (strong, strongIsNew) = table(ref: &strongRef, weak: false, in: L)
        let (weak, weakIsNew) = table(ref: &weakRef, weak: true, in: L)
        if strongIsNew || weakIsNew {
            // First use, or Lua code replaced a table: no entry stands.
            keys = [UnsafeRawPointer?](repeating: nil, count: Self.capacity)
            codes = [LuaFunctionCode?](repeating: nil, count: Self.capacity)
        }
        lua.pushValue(at: index)
        guard lua.pointer(at: -1) == closure, !lua.isCFunction(at: -1) else { return }
        let key = Self.key(ofClosure: closure)
        let slot = Self.slot(of: key)
        // Both tables' array parts hold every slot, so these stores allocate nothing.
        lua.rawSet(nothingToBind ? strong : weak, index: lua_Integer(slot + 1))
        lua.pushNil()
        lua.rawSet(nothingToBind ? weak : strong, index: lua_Integer(slot + 1))
        keys[slot] = key
        codes[slot] = code
        weakly[slot] = !nothingToBind
    }

    /// Pushes the keep-alive table `ref` names and returns its absolute index; when it is missing
    /// (first use, or Lua code replaced it), makes a new one first, and says so.
    private func table(ref: inout Int32, weak: Bool, in L: OpaquePointer) -> (index: Int32, isNew: Bool) {
        let lua = LuaStack(L)
        if ref != 0, lua.rawGet(DESYNC_LUA_REGISTRYINDEX, index: lua_Integer(ref)) == LUA_TTABLE { return (lua.top, false) }
        if ref != 0 { lua.pop(1) }
        lua.newTable(array: Int32(Self.capacity), fields: 0)
        if weak {
            lua.newTable(array: 0, fields: 1)
            lua.push("__mode")
            lua.push("v")
            lua.rawSetValidKey(-3)  // the key: "__mode"
            lua.setMetatable(-2)
        }
        // Every slot exists from the start (false), so storing into it never grows the table.
        for slot in 1...Self.capacity {
            lua.push(false)
            lua.rawSet(-2, index: lua_Integer(slot))
        }
        lua.pushValue(at: -1)
        ref = lua.reference(in: DESYNC_LUA_REGISTRYINDEX)
        return (lua.top, true)
    }
}
