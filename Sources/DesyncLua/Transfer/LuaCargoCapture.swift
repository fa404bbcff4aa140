import CLua

/// Copies values out of a source state into a `LuaCargoGraph`.
///
/// Some values are not copied but named: the source's global table (it becomes the target's), a
/// table that is `package.loaded[name]` (it becomes the target's module of that name), and a
/// Swift function made by `LuaSwiftFunction.push` (the same Swift function, upvalues copied).
///
/// The walk is breadth first over a work list of nodes, never recursive, so nesting depth costs
/// heap and no C, Swift or Lua stack. Only raw Lua operations are used: nothing here can run a
/// metamethod or raise.
struct LuaCargoCapture {
    private let L: OpaquePointer
    private var lua: LuaStack { LuaStack(L) }
    private(set) var graph = LuaCargoGraph()
    /// How each node was first reached, for error paths; `origins[n]` belongs to node n.
    private(set) var origins: [LuaCargoOrigin] = []
    /// Nodes found so far. `graph.nodes` holds those already walked; the rest wait, in order.
    private var discoveredCount = 0
    /// Upvalue cells already captured, by `lua_upvalueid`, so closures sharing a cell share it in
    /// the target too.
    private var cellByUpvalueID: [UnsafeMutableRawPointer: Int] = [:]
    /// Absolute stack slots of the capture's bookkeeping, pushed together the first time a value
    /// needs any of them (a transfer of plain numbers and strings never does): the state's globals
    /// and dump cache, then places for tables made only once needed (a nil until then, so
    /// making one mid-walk never leaves a slot above the walk's own values).
    private var slots: Slots?
    private struct Slots {
        var globals: Int32
        var dumpCache: Int32
        /// Table or function -> its node index; nil until the first node.
        var nodeOfObject: Int32
        /// Node index + 1 -> table or function; nil until the first node.
        var objectOfNode: Int32
        /// Module table -> its name in `package.loaded`, built once per capture.
        var moduleNames: Int32
        /// The state's `LuaRegistryTable.swiftFunctions`, or nil when the state has none.
        var swiftFunctions: Int32
    }
    private var nodeTablesMade = false
    private var moduleNamesBuilt = false
    /// Tables looked up in `package.loaded` by a scan, before the module-names table is built.
    private var tablesScanned = 0
    /// Tables a capture looks up by scanning `package.loaded` before it builds the module-names
    /// table: building it cost 12,000 instructions (callgrind), a quarter of sending a 10-field
    /// table, and a scan of a dozen modules a small part of that.
    private static let tablesScannedAtMost = 4
    private var swiftFunctionsLooked = false
    /// The closure sent as each reusable code so far (see `reusableCode`).
    private var reusableClosures: [(code: ObjectIdentifier, closure: UnsafeRawPointer)] = []
    /// Module name -> index in `graph.modules`, so each module appears once.
    private var moduleByName: [[UInt8]: Int] = [:]
    /// Where each of `graph.modules` was first met; rendered only once the capture succeeds.
    private(set) var moduleOrigins: [LuaCargoOrigin] = []

    /// Stack slots the walk needs at most, on top of where it starts.
    static let stackNeed: Int32 = 24

    /// `rootCount`: how many top-level values will be captured, so their array is allocated once.
    init(from L: OpaquePointer, rootCount: Int) {
        self.L = L
        graph.roots.reserveCapacity(rootCount)
    }

    /// Captures the value at absolute `index` as a top-level value, then everything it reaches.
    mutating func captureTopLevel(at index: Int32, position: Int) throws(LuaCargoRefusal) {
        let value = try capture(at: index, origin: LuaCargoOrigin(parent: nil, step: .topLevel(position)))
        graph.roots.append(value)
    }

    /// Walks every node found and not yet walked, each of which may find more.
    mutating func walkPendingNodes() throws(LuaCargoRefusal) {
        guard let slots, nodeTablesMade else { return }
        while graph.nodes.count < discoveredCount {
            let node = graph.nodes.count
            lua.rawGet(slots.objectOfNode, index: lua_Integer(node + 1))
            let index = lua.top
            if lua.type(at: index) == LUA_TTABLE {
                graph.nodes.append(.table(try walkTable(at: index, node: node)))
            } else if lua.isCFunction(at: index) {
                graph.nodes.append(.swiftFunction(try walkSwiftFunction(at: index, node: node)))
            } else {
                graph.nodes.append(.function(try walkFunction(at: index, node: node)))
            }
            lua.setTop(index - 1)
        }
    }

    /// Fills in each module's path, for errors at push time; call once the capture succeeded.
    mutating func recordModulePaths(describe: (Int) -> String) {
        for (module, origin) in moduleOrigins.enumerated() {
            graph.modules[module].path = origin.path(origins: origins, describe: describe)
        }
    }

    /// One value: primitives are copied now; tables, Lua functions and Swift functions become
    /// nodes to walk later; globals and modules are named.
    private mutating func capture(at index: Int32, origin: LuaCargoOrigin) throws(LuaCargoRefusal) -> LuaCargoValue {
        let type = lua.type(at: index)
        if let plain = LuaCargoValue.plain(at: index, type: type, in: L) { return plain }
        switch type {
        case LUA_TTABLE:
            if lua.rawEqual(index, pushSlotsIfNeeded().globals) {
                return .globals
            }
            if let module = module(at: index, origin: origin) {
                return .module(module)
            }
            return .table(node: nodeIndex(of: index, origin: origin))
        case LUA_TFUNCTION:
            if !lua.isCFunction(at: index) {
                if let code = reusableCode(ofFunctionAt: index) { return .reusableFunction(code) }
                return .function(node: nodeIndex(of: index, origin: origin))
            }
            if !lua.pushUpvalue(of: index, 1) {
                return .cFunction(LuaCFunctionPointer(function: lua.cFunction(at: index)!))
            }
            lua.pop(1)
            if isSwiftFunction(at: index) {
                return .function(node: nodeIndex(of: index, origin: origin))
            }
            throw LuaCargoRefusal(origin: origin, what: "C function with upvalues")
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

    /// The code of the Lua function at absolute `index` when it has nothing to bind
    /// (`LuaBytecode.reusableCode`): it crosses as its code alone and needs no node.
    ///
    /// Nil, so that it becomes a node, for a second closure of a function literal already sent
    /// as code alone in this cargo: codes are shared by every closure of a literal, and the
    /// target has one closure per code, but closures distinct in one cargo must stay distinct
    /// (a table keyed by both keeps both keys).
    private mutating func reusableCode(ofFunctionAt index: Int32) -> LuaFunctionCode? {
        var dumpCache = pushSlotsIfNeeded().dumpCache
        guard let code = LuaBytecode.reusableCode(ofFunctionAt: index, cache: &dumpCache, in: L),
              let closure = lua.pointer(at: index)
        else { return nil }
        let id = ObjectIdentifier(code)
        if let seen = reusableClosures.first(where: { $0.code == id }) {
            return seen.closure == closure ? code : nil
        }
        reusableClosures.append((id, closure))
        return code
    }

    /// The node of the table or Lua function at absolute `index`, registering it when new.
    private mutating func nodeIndex(of index: Int32, origin: LuaCargoOrigin) -> Int {
        let slots = nodeTables()
        lua.pushValue(at: index)
        if lua.rawGet(slots.nodeOfObject) == LUA_TNUMBER {
            let known = Int(lua.integerValue(at: -1))
            lua.pop(1)
            return known
        }
        lua.pop(1)

        let node = discoveredCount
        discoveredCount += 1
        origins.append(origin)
        lua.pushValue(at: index)
        lua.push(integer: lua_Integer(node))
        lua.rawSetValidKey(slots.nodeOfObject)  // the key: a table or function
        lua.pushValue(at: index)
        lua.rawSet(slots.objectOfNode, index: lua_Integer(node + 1))
        return node
    }

    private mutating func pushSlotsIfNeeded() -> Slots {
        if let slots { return slots }
        lua.rawGet(DESYNC_LUA_REGISTRYINDEX, index: lua_Integer(DESYNC_LUA_RIDX_GLOBALS))
        let globals = lua.top
        LuaRegistryTable.push(.dumpedBytecode, onto: L)
        for _ in 0..<4 { lua.pushNil() }
        let made = Slots(
            globals: globals, dumpCache: globals + 1, nodeOfObject: globals + 2, objectOfNode: globals + 3,
            moduleNames: globals + 4, swiftFunctions: globals + 5)
        slots = made
        return made
    }

    /// The slots, with the node tables made (in their reserved places) on first use.
    private mutating func nodeTables() -> Slots {
        let slots = pushSlotsIfNeeded()
        if !nodeTablesMade {
            nodeTablesMade = true
            lua.newTable(array: 0, fields: 0)
            lua.replace(at: slots.nodeOfObject)
            lua.newTable(array: 0, fields: 0)
            lua.replace(at: slots.objectOfNode)
        }
        return slots
    }

    /// The index in `graph.modules` of the table at `index` when it is `package.loaded[name]`.
    private mutating func module(at index: Int32, origin: LuaCargoOrigin) -> Int? {
        if !moduleNamesBuilt && tablesScanned < Self.tablesScannedAtMost {
            tablesScanned += 1
            guard let name = scannedModuleName(of: index) else { return nil }
            return module(named: name, origin: origin)
        }
        if !moduleNamesBuilt {
            buildModuleNames()
            moduleNamesBuilt = true
        }
        lua.pushValue(at: index)
        guard lua.rawGet(pushSlotsIfNeeded().moduleNames) == LUA_TSTRING else {
            lua.pop(1)
            return nil
        }
        let name = LuaBytes.read(at: -1, in: L)
        lua.pop(1)
        return module(named: name, origin: origin)
    }

    /// The index in `graph.modules` of the module `name`, added when new.
    private mutating func module(named name: [UInt8], origin: LuaCargoOrigin) -> Int {
        if let known = moduleByName[name] { return known }
        let module = graph.modules.count
        graph.modules.append(LuaCargoModule(name: name, path: ""))
        moduleOrigins.append(origin)
        moduleByName[name] = module
        return module
    }

    /// The name under which the table at `index` is in the registry's `_LOADED`, raw, found by
    /// walking it: the least name, bytewise, as `buildModuleNames` chooses; nil when it is none.
    private func scannedModuleName(of index: Int32) -> [UInt8]? {
        let top = lua.top
        defer { lua.setTop(top) }
        lua.push(cString: LUA_LOADED_TABLE)
        guard lua.rawGet(DESYNC_LUA_REGISTRYINDEX) == LUA_TTABLE else { return nil }
        let loaded = lua.top
        var found: [UInt8]?
        lua.pushNil()
        while lua.next(loaded) {
            // Stack: key at -2, value at -1. Never convert the key in place: lua_next uses it.
            if lua.type(at: -2) == LUA_TSTRING && lua.rawEqual(-1, index) {
                let name = LuaBytes.read(at: -2, in: L)
                if found.map({ name.lexicographicallyPrecedes($0) }) ?? true { found = name }
            }
            lua.pop(1)
        }
        return found
    }

    /// Fills the module-names slot from the registry's `_LOADED` (what `package.loaded` is),
    /// raw. A table loaded under several names goes by the least name, bytewise, so the choice
    /// does not depend on traversal order.
    private mutating func buildModuleNames() {
        lua.newTable(array: 0, fields: 16)
        let names = lua.top
        lua.push(cString: LUA_LOADED_TABLE)
        if lua.rawGet(DESYNC_LUA_REGISTRYINDEX) == LUA_TTABLE {
            let loaded = lua.top
            lua.pushNil()
            while lua.next(loaded) {
                // Stack: key at -2, value at -1. Never convert the key in place: lua_next uses it.
                if lua.type(at: -2) == LUA_TSTRING && lua.type(at: -1) == LUA_TTABLE {
                    lua.pushValue(at: -1)
                    let taken = lua.rawGet(names) == LUA_TSTRING
                        && LuaBytes.read(at: -1, in: L).lexicographicallyPrecedes(LuaBytes.read(at: -3, in: L))
                    lua.pop(1)
                    if !taken {
                        lua.pushValue(at: -1)
                        lua.pushValue(at: -3)
                        lua.rawSetValidKey(names)  // the key: a table
                    }
                }
                lua.pop(1)
            }
        }
        lua.setTop(names)
        lua.replace(at: pushSlotsIfNeeded().moduleNames)
    }

    /// Whether the C closure at `index` was made by `LuaSwiftFunction.push` in this state.
    private mutating func isSwiftFunction(at index: Int32) -> Bool {
        let slots = pushSlotsIfNeeded()
        if !swiftFunctionsLooked {
            swiftFunctionsLooked = true
            if LuaRegistryTable.pushIfPresent(.swiftFunctions, onto: L) {
                lua.replace(at: slots.swiftFunctions)
            }
        }
        guard lua.type(at: slots.swiftFunctions) == LUA_TTABLE else { return false }
        return LuaSwiftFunction.function(at: index, in: L, known: slots.swiftFunctions) != nil
    }

    private mutating func walkTable(at index: Int32, node: Int) throws(LuaCargoRefusal) -> LuaCargoTable {
        let first = graph.entries.count
        lua.pushNil()
        while lua.next(index) {
            let valueIndex = lua.top
            let key = try capture(at: valueIndex - 1, origin: LuaCargoOrigin(parent: node, step: .key))
            let value = try capture(at: valueIndex, origin: LuaCargoOrigin(parent: node, step: .field(key)))
            graph.entries.append(LuaCargoEntry(key: key, value: value))
            lua.pop(1)
        }
        var metatable: Int?
        if lua.pushMetatable(index) {
            metatable = nodeIndex(of: lua.top, origin: LuaCargoOrigin(parent: node, step: .metatable))
            lua.pop(1)
        }
        let count = graph.entries.count - first
        let arrayHint = min(Int(lua.rawLength(index)), count)
        return LuaCargoTable(
            entries: first..<graph.entries.count,
            arrayHint: Int32(clamping: arrayHint),
            hashHint: Int32(clamping: count - arrayHint),
            metatable: metatable)
    }

    private mutating func walkFunction(at index: Int32, node: Int) throws(LuaCargoRefusal) -> LuaCargoFunction {
        let slots = pushSlotsIfNeeded()
        var dumpCache = slots.dumpCache
        guard let code = LuaBytecode.code(ofFunctionAt: index, cache: &dumpCache, reusable: false, in: L) else {
            // Replaced by a finalizer since it was seen (see `LuaBytecode.code`).
            throw LuaCargoRefusal(origin: origins[node], what: "function replaced while it was being copied")
        }
        var upvalues: [LuaCargoUpvalue] = []
        var upvalue: Int32 = 1
        while let rawName = lua.pushUpvalueNamed(of: index, upvalue) {
            let valueIndex = lua.top
            let name = String(cString: rawName)
            if name == "_ENV" && lua.rawEqual(valueIndex, slots.globals) {
                upvalues.append(.targetGlobals)
            } else if let id = lua.upvalueID(of: index, upvalue), let cell = cellByUpvalueID[id] {
                upvalues.append(.cell(cell))
            } else {
                let origin = LuaCargoOrigin(parent: node, step: .upvalue(name))
                let value = try capture(at: valueIndex, origin: origin)
                let cell = graph.cells.count
                graph.cells.append(value)
                if let id = lua.upvalueID(of: index, upvalue) { cellByUpvalueID[id] = cell }
                upvalues.append(.cell(cell))
            }
            lua.pop(1)
            upvalue += 1
        }
        return LuaCargoFunction(code: code, upvalues: upvalues)
    }

    /// A Swift function's node: its function pointer and its extra upvalues, 2...n.
    private mutating func walkSwiftFunction(at index: Int32, node: Int) throws(LuaCargoRefusal) -> LuaCargoSwiftFunction {
        // Capture only makes a node of a closure `isSwiftFunction` accepted.
        guard let function = LuaSwiftFunction.function(at: index, in: L, known: pushSlotsIfNeeded().swiftFunctions) else {
            preconditionFailure("desync: a Swift function node is not a Swift function")
        }
        var upvalues: [LuaCargoValue] = []
        var upvalue: Int32 = 2
        while lua.pushUpvalue(of: index, upvalue) {
            let origin = LuaCargoOrigin(parent: node, step: .cUpvalue(upvalue))
            upvalues.append(try capture(at: lua.top, origin: origin))
            lua.pop(1)
            upvalue += 1
        }
        return LuaCargoSwiftFunction(function: LuaSwiftFunctionPointer(function: function), upvalues: upvalues)
    }
}
