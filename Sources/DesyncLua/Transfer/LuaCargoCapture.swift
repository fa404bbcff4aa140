import CLua

/// Copies values out of a source state into a `LuaCargoGraph`.
///
/// The walk is breadth first over a work list of nodes, never recursive, so nesting depth costs
/// heap and no C, Swift or Lua stack. Only raw Lua operations are used: nothing here can run a
/// metamethod or raise.
struct LuaCargoCapture {
    private let L: OpaquePointer
    private(set) var graph = LuaCargoGraph()
    /// How each node was first reached, for error paths; `origins[n]` belongs to node n.
    private(set) var origins: [LuaCargoOrigin] = []
    /// Nodes found so far. `graph.nodes` holds those already walked; the rest wait, in order.
    private var discoveredCount = 0
    /// Upvalue cells already captured, by `lua_upvalueid`, so closures sharing a cell share it in
    /// the target too.
    private var cellByUpvalueID: [UnsafeMutableRawPointer: Int] = [:]
    /// Absolute stack slots of the bookkeeping tables, pushed only once a node is found: a
    /// transfer of plain numbers and strings never creates them.
    private var bookkeeping: (nodeOfObject: Int32, objectOfNode: Int32)?
    private var globalsSlot: Int32 = 0
    private var dumpCacheSlot: Int32 = 0

    /// Stack slots the walk needs at most, on top of where it starts.
    static let stackNeed: Int32 = 16

    init(from L: OpaquePointer) {
        self.L = L
    }

    /// Captures the value at absolute `index` as a top-level value, then everything it reaches.
    mutating func captureTopLevel(at index: Int32, position: Int) throws(LuaCargoRefusal) {
        let value = try capture(at: index, origin: LuaCargoOrigin(parent: nil, step: .topLevel(position)))
        graph.roots.append(value)
    }

    /// Walks every node found and not yet walked, each of which may find more.
    mutating func walkPendingNodes() throws(LuaCargoRefusal) {
        guard let bookkeeping else { return }
        while graph.nodes.count < discoveredCount {
            let node = graph.nodes.count
            lua_rawgeti(L, bookkeeping.objectOfNode, lua_Integer(node + 1))
            let index = lua_gettop(L)
            if lua_type(L, index) == LUA_TTABLE {
                graph.nodes.append(.table(try walkTable(at: index, node: node)))
            } else {
                graph.nodes.append(.function(try walkFunction(at: index, node: node)))
            }
            lua_settop(L, index - 1)
        }
    }

    /// One value: primitives are copied now; tables and Lua functions become nodes to walk later.
    private mutating func capture(at index: Int32, origin: LuaCargoOrigin) throws(LuaCargoRefusal) -> LuaCargoValue {
        switch lua_type(L, index) {
        case LUA_TNIL:
            return .luaNil
        case LUA_TBOOLEAN:
            return .boolean(lua_toboolean(L, index) != 0)
        case LUA_TNUMBER:
            if lua_isinteger(L, index) != 0 {
                return .integer(lua_tointegerx(L, index, nil))
            }
            return .float(lua_tonumberx(L, index, nil))
        case LUA_TSTRING:
            return .string(LuaBytes.read(at: index, in: L))
        case LUA_TTABLE:
            return .table(node: nodeIndex(of: index, origin: origin))
        case LUA_TFUNCTION:
            if lua_iscfunction(L, index) == 0 {
                return .function(node: nodeIndex(of: index, origin: origin))
            }
            if lua_getupvalue(L, index, 1) != nil {
                desync_pop(L, 1)
                throw LuaCargoRefusal(origin: origin, what: "C function with upvalues")
            }
            return .cFunction(LuaCFunctionPointer(function: lua_tocfunction(L, index)))
        case LUA_TUSERDATA:
            if let object = LuaProxy.object(at: index, in: L) {
                return .shared(object)
            }
            throw LuaCargoRefusal(origin: origin, what: "userdata")
        case LUA_TLIGHTUSERDATA:
            throw LuaCargoRefusal(origin: origin, what: "light userdata")
        case LUA_TTHREAD:
            throw LuaCargoRefusal(origin: origin, what: "coroutine")
        default:
            throw LuaCargoRefusal(origin: origin, what: "value of unknown type")
        }
    }

    /// The node of the table or Lua function at absolute `index`, registering it when new.
    private mutating func nodeIndex(of index: Int32, origin: LuaCargoOrigin) -> Int {
        let slots = pushBookkeepingIfNeeded()
        lua_pushvalue(L, index)
        if lua_rawget(L, slots.nodeOfObject) == LUA_TNUMBER {
            let known = Int(lua_tointegerx(L, -1, nil))
            desync_pop(L, 1)
            return known
        }
        desync_pop(L, 1)

        let node = discoveredCount
        discoveredCount += 1
        origins.append(origin)
        lua_pushvalue(L, index)
        lua_pushinteger(L, lua_Integer(node))
        lua_rawset(L, slots.nodeOfObject)
        lua_pushvalue(L, index)
        lua_rawseti(L, slots.objectOfNode, lua_Integer(node + 1))
        return node
    }

    private mutating func pushBookkeepingIfNeeded() -> (nodeOfObject: Int32, objectOfNode: Int32) {
        if let bookkeeping { return bookkeeping }
        lua_createtable(L, 0, 0)
        let nodeOfObject = lua_gettop(L)
        lua_createtable(L, 0, 0)
        let objectOfNode = lua_gettop(L)
        lua_rawgeti(L, DESYNC_LUA_REGISTRYINDEX, lua_Integer(DESYNC_LUA_RIDX_GLOBALS))
        globalsSlot = lua_gettop(L)
        LuaRegistryTable.push(.dumpedBytecode, onto: L)
        dumpCacheSlot = lua_gettop(L)
        bookkeeping = (nodeOfObject, objectOfNode)
        return (nodeOfObject, objectOfNode)
    }

    private mutating func walkTable(at index: Int32, node: Int) throws(LuaCargoRefusal) -> LuaCargoTable {
        let first = graph.entries.count
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            let valueIndex = lua_gettop(L)
            let key = try capture(at: valueIndex - 1, origin: LuaCargoOrigin(parent: node, step: .key))
            let value = try capture(at: valueIndex, origin: LuaCargoOrigin(parent: node, step: .field(key)))
            graph.entries.append(LuaCargoEntry(key: key, value: value))
            desync_pop(L, 1)
        }
        var metatable: Int?
        if lua_getmetatable(L, index) != 0 {
            metatable = nodeIndex(of: lua_gettop(L), origin: LuaCargoOrigin(parent: node, step: .metatable))
            desync_pop(L, 1)
        }
        let count = graph.entries.count - first
        let arrayHint = min(Int(lua_rawlen(L, index)), count)
        return LuaCargoTable(
            entries: first..<graph.entries.count,
            arrayHint: Int32(clamping: arrayHint),
            hashHint: Int32(clamping: count - arrayHint),
            metatable: metatable)
    }

    private mutating func walkFunction(at index: Int32, node: Int) throws(LuaCargoRefusal) -> LuaCargoFunction {
        let bytecode = LuaBytecode.dump(functionAt: index, cache: dumpCacheSlot, in: L)
        var upvalues: [LuaCargoUpvalue] = []
        var upvalue: Int32 = 1
        while let rawName = lua_getupvalue(L, index, upvalue) {
            let valueIndex = lua_gettop(L)
            let name = String(cString: rawName)
            if name == "_ENV" && lua_rawequal(L, valueIndex, globalsSlot) != 0 {
                upvalues.append(.targetGlobals)
            } else if let id = lua_upvalueid(L, index, upvalue), let cell = cellByUpvalueID[id] {
                upvalues.append(.cell(cell))
            } else {
                let origin = LuaCargoOrigin(parent: node, step: .upvalue(name))
                let value = try capture(at: valueIndex, origin: origin)
                let cell = graph.cells.count
                graph.cells.append(value)
                if let id = lua_upvalueid(L, index, upvalue) { cellByUpvalueID[id] = cell }
                upvalues.append(.cell(cell))
            }
            desync_pop(L, 1)
            upvalue += 1
        }
        return LuaCargoFunction(bytecode: bytecode, upvalues: upvalues)
    }
}
