import CLua

/// Materialises a `LuaCargoGraph` in a target state.
///
/// Four flat passes, none recursive: create every table and closure, fill tables and bind
/// upvalues, set metatables, push the top-level values. Creating everything first is what lets
/// cycles and shared references resolve to objects that already exist. Metatables go on last so
/// that a metatable's `__gc` is already present when `lua_setmetatable` checks for it.
struct LuaCargoPush {
    private let L: OpaquePointer
    private let graph: LuaCargoGraph
    /// Absolute slot of the table node index + 1 -> created object, when the graph has nodes.
    private var createdSlot: Int32 = 0

    /// Stack slots needed beyond the top-level values themselves.
    static let stackNeed: Int32 = 16

    init(graph: LuaCargoGraph, onto L: OpaquePointer) {
        self.L = L
        self.graph = graph
    }

    /// Pushes the top-level values in order and returns how many.
    mutating func pushAll() -> Int32 {
        let roots = Int32(graph.roots.count)
        precondition(
            lua_checkstack(L, roots + Self.stackNeed) != 0,
            "desync: no Lua stack space for \(roots) transferred values")
        guard !graph.nodes.isEmpty else {
            for root in graph.roots { push(root) }
            return roots
        }

        let base = lua_gettop(L)
        lua_createtable(L, Int32(clamping: graph.nodes.count), 0)
        createdSlot = lua_gettop(L)
        lua_rawgeti(L, DESYNC_LUA_REGISTRYINDEX, lua_Integer(DESYNC_LUA_RIDX_GLOBALS))
        let globalsSlot = lua_gettop(L)
        LuaRegistryTable.push(.loadedFunctions, onto: L)
        let loadedSlot = lua_gettop(L)
        let bookkeepingCount = loadedSlot - base

        createNodes(loadedFunctions: loadedSlot)
        fillNodes(globals: globalsSlot)
        setMetatables()
        for root in graph.roots { push(root) }

        // Drop the bookkeeping from under the results.
        lua_rotate(L, base + 1, -bookkeepingCount)
        desync_pop(L, bookkeepingCount)
        return roots
    }

    private func createNodes(loadedFunctions: Int32) {
        // Two distinct closures of one cargo stay distinct (they may be keys of one table), so the
        // state's reusable closure serves only the first node with a given bytecode.
        var reusedBytecode: Set<[UInt8]> = []
        for (node, content) in graph.nodes.enumerated() {
            switch content {
            case .table(let table):
                lua_createtable(L, table.arrayHint, table.hashHint)
            case .function(let function)
                where function.needsNoBinding && reusedBytecode.insert(function.bytecode).inserted:
                LuaBytecode.pushReusable(function.bytecode, cache: loadedFunctions, onto: L)
            case .function(let function):
                LuaBytecode.load(function.bytecode, onto: L)
            }
            lua_rawseti(L, createdSlot, lua_Integer(node + 1))
        }
    }

    private func fillNodes(globals: Int32) {
        // The first closure to receive a shared cell owns it; later ones join that upvalue.
        var cellOwners = [(node: Int, upvalue: Int32)?](repeating: nil, count: graph.cells.count)
        for (node, content) in graph.nodes.enumerated() {
            switch content {
            case .table(let table):
                guard !table.entries.isEmpty else { continue }
                pushCreated(node)
                for entry in graph.entries[table.entries] {
                    push(entry.key)
                    push(entry.value)
                    lua_rawset(L, -3)
                }
                desync_pop(L, 1)
            case .function(let function):
                guard !function.needsNoBinding else { continue }
                pushCreated(node)
                for (offset, upvalue) in function.upvalues.enumerated() {
                    let number = Int32(offset + 1)
                    switch upvalue {
                    case .targetGlobals:
                        lua_pushvalue(L, globals)
                        _ = lua_setupvalue(L, -2, number)
                    case .cell(let cell):
                        if let owner = cellOwners[cell] {
                            pushCreated(owner.node)
                            lua_upvaluejoin(L, -2, number, -1, owner.upvalue)
                            desync_pop(L, 1)
                        } else {
                            push(graph.cells[cell])
                            _ = lua_setupvalue(L, -2, number)
                            cellOwners[cell] = (node, number)
                        }
                    }
                }
                desync_pop(L, 1)
            }
        }
    }

    private func setMetatables() {
        for (node, content) in graph.nodes.enumerated() {
            guard case .table(let table) = content, let metatable = table.metatable else { continue }
            pushCreated(node)
            pushCreated(metatable)
            lua_setmetatable(L, -2)
            desync_pop(L, 1)
        }
    }

    private func pushCreated(_ node: Int) {
        lua_rawgeti(L, createdSlot, lua_Integer(node + 1))
    }

    private func push(_ value: LuaCargoValue) {
        switch value {
        case .luaNil: lua_pushnil(L)
        case .boolean(let value): lua_pushboolean(L, value ? 1 : 0)
        case .integer(let value): lua_pushinteger(L, value)
        case .float(let value): lua_pushnumber(L, value)
        case .string(let bytes): LuaBytes.push(bytes, onto: L)
        case .table(let node), .function(let node): pushCreated(node)
        case .cFunction(let pointer): lua_pushcclosure(L, pointer.function, 0)
        case .shared(let object): LuaProxy.push(object, onto: L)
        }
    }
}
