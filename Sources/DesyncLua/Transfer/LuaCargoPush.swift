import CLua

/// Materialises a `LuaCargoGraph` in a target state.
///
/// Modules named in the cargo are resolved first (`package.loaded[name]`, else `require(name)` under
/// `lua_pcall`), since that is the one step that runs code and can fail. Then four flat passes,
/// none recursive: create every table and closure, fill tables and bind upvalues, set metatables,
/// push the top-level values. Creating everything first is what lets
/// cycles and shared references resolve to objects that already exist. Metatables go on last so
/// that a metatable's `__gc` is already present when `lua_setmetatable` checks for it.
struct LuaCargoPush {
    private let L: OpaquePointer
    private var lua: LuaStack { LuaStack(L) }
    private let graph: LuaCargoGraph
    /// Absolute slot of the table node index + 1 -> created object, when the graph has nodes.
    private var createdSlot: Int32 = 0
    /// Absolute slot of the table module index + 1 -> the target's module, when there are modules.
    private var modulesSlot: Int32 = 0

    /// Stack slots needed beyond the top-level values themselves.
    static let stackNeed: Int32 = 16

    init(graph: LuaCargoGraph, onto L: OpaquePointer) {
        self.L = L
        self.graph = graph
    }

    /// Pushes the top-level values in order and returns how many.
    ///
    /// When a module cannot be required in the target, `strict` makes it push nothing and return
    /// the error; otherwise that module is nil and the rest is pushed all the same.
    mutating func pushAll(strict: Bool) -> Result<Int32, LuaTransferError> {
        let roots = Int32(graph.roots.count)
        precondition(
            lua.reserve(roots + Self.stackNeed),
            "desync: no Lua stack space for \(roots) transferred values")
        let base = lua.top
        if !graph.modules.isEmpty {
            lua.newTable(array: Int32(clamping: graph.modules.count), fields: 0)
            modulesSlot = lua.top
            for (index, module) in graph.modules.enumerated() {
                if let problem = Self.pushModule(module, onto: L), strict {
                    lua.setTop(base)
                    return .failure(problem)
                }
                lua.rawSet(modulesSlot, index: lua_Integer(index + 1))
            }
        }
        guard !graph.nodes.isEmpty else {
            for root in graph.roots { push(root) }
            dropBookkeeping(above: base)
            return .success(roots)
        }

        lua.newTable(array: Int32(clamping: graph.nodes.count), fields: 0)
        createdSlot = lua.top
        lua.rawGet(DESYNC_LUA_REGISTRYINDEX, index: lua_Integer(DESYNC_LUA_RIDX_GLOBALS))
        let globalsSlot = lua.top

        createNodes()
        fillNodes(globals: globalsSlot)
        setMetatables()
        for root in graph.roots { push(root) }
        dropBookkeeping(above: base)
        return .success(roots)
    }

    /// Drops the bookkeeping between `base` and the top-level values just pushed.
    private func dropBookkeeping(above base: Int32) {
        let bookkeepingCount = lua.top - base - Int32(graph.roots.count)
        guard bookkeepingCount > 0 else { return }
        lua.rotate(base + 1, by: -bookkeepingCount)
        lua.pop(bookkeepingCount)
    }

    /// Pushes the target's module: `package.loaded[name]` (raw) when present, else the result
    /// of `require(name)` run under `lua_pcall`. When that fails it pushes nil and returns why.
    static func pushModule(_ module: LuaCargoModule, onto L: OpaquePointer) -> LuaTransferError? {
        let lua = LuaStack(L)
        let top = lua.top
        lua.push(cString: LUA_LOADED_TABLE)
        if lua.rawGet(DESYNC_LUA_REGISTRYINDEX) == LUA_TTABLE {
            LuaBytes.push(module.name, onto: L)
            if lua.rawGet(-2) != LUA_TNIL {
                lua.remove(at: -2)
                return nil
            }
        }
        lua.setTop(top)

        // A standard library the target has not opened yet opens as if it had been open from the
        // start; anything else goes through the target's `require` (raw `_G.require`), as Lua
        // code, under the target's memory limit.
        if LazyLibraries.pushLibrary(named: module.name, in: L) { return nil }
        lua.pushCFunction(desync_require)
        LuaBytes.push(module.name, onto: L)
        if lua.protectedCall(arguments: 1, results: 1) == LUA_OK { return nil }
        // Only a string or number is read: anything else could run a __tostring that raises.
        let type = lua.type(at: -1)
        let reason = type == LUA_TSTRING || type == LUA_TNUMBER
            ? lua.string(at: -1) ?? ""
            : "(error object is a \(lua.typeName(of: type)) value)"
        lua.setTop(top)
        lua.pushNil()
        let name = String(decoding: module.name, as: UTF8.self)
        let path = module.path.isEmpty ? "" : "\(module.path): "
        return LuaTransferError(message: "\(path)module '\(name)' cannot be loaded in the target: \(reason)")
    }

    private func createNodes() {
        for (node, content) in graph.nodes.enumerated() {
            switch content {
            case .table(let table):
                lua.newTable(array: table.arrayHint, fields: table.hashHint)
            case .function(let function):
                LuaBytecode.pushFresh(function.code, onto: L)
            case .swiftFunction(let function):
                // Upvalues are set in `fillNodes`, once every node they may refer to exists.
                let count = Int32(function.upvalues.count)
                precondition(lua.reserve(count + 5), "desync: Lua stack overflow while pushing a Swift function")
                // One of desync's own functions arrives as the target's own (`rawequal`).
                if count == 0, LuaSwiftFunction.pushModuleFunction(function.function.function, onto: L) { break }
                for _ in 0..<count { lua.pushNil() }
                LuaSwiftFunction.push(function.function.function, upvalues: count, onto: L)
            }
            lua.rawSet(createdSlot, index: lua_Integer(node + 1))
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
                    // Checked: a key that is a module the target could not load is nil there,
                    // and lua_rawset raises for a nil key (the pair is dropped instead).
                    lua.rawSet(-3)
                }
                lua.pop(1)
            case .function(let function):
                pushCreated(node)
                for (offset, upvalue) in function.upvalues.enumerated() {
                    let number = Int32(offset + 1)
                    switch upvalue {
                    case .targetGlobals:
                        lua.pushValue(at: globals)
                        _ = lua.setUpvalue(of: -2, number)
                    case .cell(let cell):
                        if let owner = cellOwners[cell] {
                            pushCreated(owner.node)
                            lua.joinUpvalue(of: -2, number, to: -1, owner.upvalue)
                            lua.pop(1)
                        } else {
                            push(graph.cells[cell])
                            _ = lua.setUpvalue(of: -2, number)
                            cellOwners[cell] = (node, number)
                        }
                    }
                }
                lua.pop(1)
            case .swiftFunction(let function):
                guard !function.upvalues.isEmpty else { continue }
                pushCreated(node)
                for (offset, upvalue) in function.upvalues.enumerated() {
                    push(upvalue)
                    _ = lua.setUpvalue(of: -2, Int32(offset + 2))
                }
                lua.pop(1)
            }
        }
    }

    private func setMetatables() {
        for (node, content) in graph.nodes.enumerated() {
            guard case .table(let table) = content, let metatable = table.metatable else { continue }
            pushCreated(node)
            pushCreated(metatable)
            lua.setMetatable(-2)
            lua.pop(1)
        }
    }

    private func pushCreated(_ node: Int) {
        lua.rawGet(createdSlot, index: lua_Integer(node + 1))
    }

    private func push(_ value: LuaCargoValue) {
        switch value {
        case .table(let node), .function(let node): pushCreated(node)
        case .module(let module): lua.rawGet(modulesSlot, index: lua_Integer(module + 1))
        default: Self.pushFlat(value, onto: L)
        }
    }

    /// Pushes a new closure of `closure.code` with its upvalues set. Its upvalues are flat, so
    /// this needs 2 stack slots beyond the closure.
    private static func pushClosure(_ closure: LuaCargoClosure, onto L: OpaquePointer) {
        let lua = LuaStack(L)
        precondition(lua.reserve(4), "desync: no Lua stack space for a transferred function")
        LuaBytecode.pushFresh(closure.code, onto: L)
        for (offset, value) in closure.upvalues.enumerated() {
            if closure.selfReferences & (1 << offset) != 0 {
                lua.pushValue(at: -1)
            } else {
                pushFlat(value, onto: L)
            }
            if !lua.setUpvalue(of: -2, Int32(offset + 1)) { lua.pop(1) }
        }
    }

    /// Pushes a value that refers to no node and no module (what `LuaFlatCapture` makes).
    static func pushFlat(_ value: LuaCargoValue, onto L: OpaquePointer) {
        let lua = LuaStack(L)
        switch value {
        case .luaNil: lua.pushNil()
        case .boolean(let value): lua.push(value)
        case .integer(let value): lua.push(integer: value)
        case .float(let value): lua.push(number: value)
        case .string(let bytes): LuaBytes.push(bytes, onto: L)
        case .reusableFunction(let code): LuaBytecode.pushReusable(code, onto: L)
        case .closure(let closure): pushClosure(closure, onto: L)
        case .flatTable(let bytes): LuaFlatTable.push(bytes, onto: L)
        case .cFunction(let pointer):
            LazyLibraries.openAll(in: L)
            lua.pushCFunction(pointer.function, upvalues: 0)
        case .shared(let object): LuaProxy.push(object, onto: L)
        case .globals: lua.rawGet(DESYNC_LUA_REGISTRYINDEX, index: lua_Integer(DESYNC_LUA_RIDX_GLOBALS))
        case .table, .function, .module: preconditionFailure("desync: a node or module value pushed without its graph")
        }
    }
}
