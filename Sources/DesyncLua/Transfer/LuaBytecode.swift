import CLua

#if canImport(Glibc)
import Glibc
#endif

/// Lua functions cross as bytecode: dumped once per closure in the source, loaded in the target
/// (once per closure when it has nothing to bind).
enum LuaBytecode {
    /// The code of the Lua function at absolute `index`, dumped with debug information kept so
    /// tracebacks and upvalue names survive. Each prototype is dumped once while a closure of it
    /// is remembered: the state's `RecentFunctionCodes` finds the code of any closure of a
    /// recently sent function literal by the prototype's address. Otherwise the closure's code
    /// is kept in the state's `LuaRegistryTable.dumpedBytecode` (in a userdata that holds a
    /// reference to it), and the same `LuaFunctionCode` comes back for that closure every time.
    ///
    /// - Parameters:
    ///   - cache: the absolute index of the dump cache table, or 0 when it is not on the stack
    ///     yet; then it is pushed (and `cache` set) only if the code is not found without it.
    ///   - reusable: the function has nothing to bind (`hasNothingToBind`), so `RecentFunctionCodes`
    ///     may keep it alive.
    ///
    /// Nil when the value at `index` is no longer the function the caller checked: anything
    /// that allocates can run a finalizer, and a finalizer can replace the values on a C
    /// function's stack (`debug.setlocal`), here a C function or a closure with upvalues where a
    /// reusable Lua function was. The value is read once, before anything allocates, and checked
    /// again after each allocation that comes before its use; the caller then takes its slower
    /// path, which looks at the value afresh, or refuses it.
    static func code(
        ofFunctionAt index: Int32, cache: inout Int32, reusable: Bool, in L: OpaquePointer
    ) -> LuaFunctionCode? {
        let lua = LuaStack(L)
        if let code = LuaStateContext.withRecentFunctionCodes(of: L, { $0.code(ofFunctionAt: index, in: L) }) {
            return code
        }
        guard let closure = lua.pointer(at: index) else { return nil }
        let recent = LuaStateContext.of(L)?.recentFunctionCodes
        if cache == 0 {
            // May create the table: allocates.
            LuaRegistryTable.push(.dumpedBytecode, onto: L)
            cache = lua.top
            guard lua.pointer(at: index) == closure else { return nil }
        }
        guard let code = dumpedCode(ofFunctionAt: index, closure: closure, cache: cache, withFactory: !reusable, in: L)
        else { return nil }
        recent?.remember(code, forClosure: closure, at: index, nothingToBind: reusable, in: L)
        return code
    }

    /// The code of `closure`, the function at `index`, from the dump cache at `cache`; dumped and
    /// cached there when missing, with a closure factory if `withFactory` (a function with
    /// upvalues to bind). Nil when the value is not a Lua function (see `code`).
    private static func dumpedCode(
        ofFunctionAt index: Int32, closure: UnsafeRawPointer, cache: Int32, withFactory: Bool, in L: OpaquePointer
    ) -> LuaFunctionCode? {
        let lua = LuaStack(L)
        // Nothing allocates from here to the dump: the value dumped is `closure`.
        lua.pushValue(at: index)
        lua.rawGet(cache)
        if let code = LuaProxy.object(at: -1, in: L, as: LuaFunctionCode.self) {
            lua.pop(1)
            return code
        }
        lua.pop(1)

        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        lua.pushValue(at: index)
        let status = withUnsafeMutablePointer(to: &bytes) { buffer in
            lua.dump(strip: false, writer: appendDumpedBytes, data: buffer)
        }
        lua.pop(1)
        // A value that is not a Lua function dumps nothing: never a code that cannot load.
        guard status == 0, !bytes.isEmpty else { return nil }
        // Made here, by the sender, once per function: the code is shared by every target.
        let code = LuaFunctionCode(bytecode: bytes, factory: withFactory ? LuaClosureFactory.bytecode(for: bytes, in: L) : nil)

        lua.pushValue(at: index)
        LuaProxy.push(code, onto: L)
        // The push allocated: the key is cached only if it is still `closure`.
        if lua.pointer(at: -2) == closure {
            lua.rawSetValidKey(cache)  // the key: a function
        } else {
            lua.pop(2)
        }
        return code
    }

    /// The code of the function at absolute `index` if it crosses as its code alone: a Lua
    /// function (not a C one) with nothing to bind (`hasNothingToBind`); nil otherwise, or when a
    /// finalizer replaced it meanwhile (see `code`). Needs 2 free stack slots beyond `code`'s.
    static func reusableCode(ofFunctionAt index: Int32, cache: inout Int32, in L: OpaquePointer) -> LuaFunctionCode? {
        let lua = LuaStack(L)
        guard !lua.isCFunction(at: index), hasNothingToBind(functionAt: index, in: L) else { return nil }
        return code(ofFunctionAt: index, cache: &cache, reusable: true, in: L)
    }

    /// Whether the Lua function at absolute `index` has nothing to bind: no upvalues, or just an
    /// `_ENV` that is the globals, which is how `lua_load` binds a first upvalue. Such a closure
    /// carries no state of its own, so it crosses as its code alone (`pushReusable`). Needs 2
    /// free stack slots; leaves the stack as it was.
    static func hasNothingToBind(functionAt index: Int32, in L: OpaquePointer) -> Bool {
        let lua = LuaStack(L)
        guard let name = lua.pushUpvalueNamed(of: index, 1) else { return true }
        lua.rawGet(DESYNC_LUA_REGISTRYINDEX, index: lua_Integer(DESYNC_LUA_RIDX_GLOBALS))
        // strcmp, not a Swift String: this runs on every capture of a function.
        let isGlobalEnvironment = lua.rawEqual(-1, -2) && strcmp(name, "_ENV") == 0
        lua.pop(2)
        guard isGlobalEnvironment else { return false }
        if lua.pushUpvalue(of: index, 2) {
            lua.pop(1)
            return false
        }
        return true
    }

    /// Pushes a fresh closure loaded from `bytecode`. As with any `lua_load`, a first upvalue is
    /// bound to the target's globals and the others are nil until the caller sets them.
    static func load(_ bytecode: [UInt8], onto L: OpaquePointer) {
        let status = bytecode.withUnsafeBytes { raw in
            LuaStack(L).load(bytes: raw, name: "=(transferred function)", mode: "b")
        }
        // Bytecode from lua_dump of this same liblua always loads; anything else is a bug here.
        precondition(status == LUA_OK, "desync: transferred bytecode did not load")
    }

    /// Pushes a new closure of `code`, its upvalues in cells of their own and nil (the first may
    /// be the globals), for the caller to set: from the code's factory, which this state loads
    /// once (kept in `LuaRegistryTable.closureFactories`, by `code.id`), else by `load`.
    static func pushFresh(_ code: LuaFunctionCode, onto L: OpaquePointer) {
        if let factory = code.factory, pushFromFactory(factory, id: code.id, onto: L) { return }
        load(code.bytecode, onto: L)
    }

    /// Calls the factory, under `lua_pcall`: a call from C can fail when the C stack is deep,
    /// and a debug hook set in this state runs on it. False, with the stack as it was, on failure.
    private static func pushFromFactory(_ factory: [UInt8], id: Int, onto L: OpaquePointer) -> Bool {
        let lua = LuaStack(L)
        let top = lua.top
        LuaRegistryTable.push(.closureFactories, onto: L)
        if lua.rawGet(-1, index: lua_Integer(id)) != LUA_TFUNCTION {
            lua.pop(1)
            let status = factory.withUnsafeBytes { raw in
                lua.load(bytes: raw, name: "=(transferred function)", mode: "b")
            }
            guard status == LUA_OK else {
                lua.setTop(top)
                return false
            }
            lua.pushValue(at: -1)
            lua.rawSet(-3, index: lua_Integer(id))
        }
        lua.remove(at: -2)
        guard lua.plainProtectedCall(arguments: 0, results: 1) == LUA_OK, lua.type(at: -1) == LUA_TFUNCTION else {
            lua.setTop(top)
            return false
        }
        return true
    }

    /// Pushes the closure for `code` that this state keeps for reuse, loading it on first use.
    /// Only for functions with nothing to bind (`hasNothingToBind`): such a closure
    /// carries no state of its own, so handing out one loaded copy every time is the same as
    /// loading a fresh one (Lua lets closures of one function with no detectable difference be
    /// one value). The cache is the state's `LuaRegistryTable.loadedFunctions`, keyed by `code.id`.
    ///
    /// A job can reach its own function (`debug.getinfo(1, "f")`) and change it: a closure
    /// whose `_ENV` is no longer this state's globals, or no longer the cell it was loaded with
    /// (`debug.upvaluejoin`), is not the function that was sent, so a fresh one replaces it in
    /// the cache (the changed one lives on wherever the job put it).
    static func pushReusable(_ code: LuaFunctionCode, onto L: OpaquePointer) {
        let lua = LuaStack(L)
        LuaRegistryTable.push(.loadedFunctions, onto: L)
        if lua.rawGet(-1, index: lua_Integer(code.id)) == LUA_TFUNCTION, isAsLoaded(closureAt: lua.top, in: L) {
            lua.remove(at: -2)
            return
        }
        lua.pop(1)
        load(code.bytecode, onto: L)
        recordEnvironmentCell(ofClosureAt: lua.top, in: L)
        lua.pushValue(at: -1)
        lua.rawSet(-3, index: lua_Integer(code.id))
        lua.remove(at: -2)
    }

    /// Whether the cached closure at absolute `index` still has the first upvalue it was loaded
    /// with (the globals, in the cell `recordEnvironmentCell` noted), or no upvalue at all.
    /// Needs 3 free stack slots.
    private static func isAsLoaded(closureAt index: Int32, in L: OpaquePointer) -> Bool {
        let lua = LuaStack(L)
        guard lua.pushUpvalue(of: index, 1) else { return true }
        lua.rawGet(DESYNC_LUA_REGISTRYINDEX, index: lua_Integer(DESYNC_LUA_RIDX_GLOBALS))
        let isGlobals = lua.rawEqual(-1, -2)
        lua.pop(2)
        guard isGlobals, LuaRegistryTable.pushIfPresent(.loadedCells, onto: L) else { return false }
        lua.pushValue(at: index)
        lua.rawGet(-2)
        let recorded = lua.userdata(at: -1)
        lua.pop(2)
        return recorded != nil && UnsafeRawPointer(recorded) == UnsafeRawPointer(lua.upvalueID(of: index, 1))
    }

    /// Notes the cell of the first upvalue of the closure at absolute `index`, just loaded, if it
    /// has one (`isAsLoaded`). Needs 4 free stack slots.
    private static func recordEnvironmentCell(ofClosureAt index: Int32, in L: OpaquePointer) {
        let lua = LuaStack(L)
        guard let cell = lua.upvalueID(of: index, 1) else { return }
        LuaRegistryTable.push(.loadedCells, onto: L)
        lua.pushValue(at: index)
        lua.push(lightUserdata: cell)
        lua.rawSetValidKey(-3)  // the key: a function
        lua.pop(1)
    }
}

/// `lua_dump`'s writer: appends each chunk to the `[UInt8]` that `ud` points to.
private func appendDumpedBytes(
    _ L: OpaquePointer?, _ chunk: UnsafeRawPointer?, _ size: Int, _ ud: UnsafeMutableRawPointer?
) -> Int32 {
    guard let ud else { return 1 }
    guard let chunk, size > 0 else { return 0 }
    let bytes = chunk.assumingMemoryBound(to: UInt8.self)
    let buffer = ud.assumingMemoryBound(to: [UInt8].self)
    // lua_dump writes a byte or a few at a time: appending them one by one is much cheaper than
    // append(contentsOf:) of a raw buffer (callgrind: 6,600 instructions for a small function).
    for offset in 0..<size { buffer.pointee.append(bytes[offset]) }
    return 0
}
