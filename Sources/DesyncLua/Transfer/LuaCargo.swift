import CLua

/// Lua values captured together out of one state, to be pushed into another.
///
/// Values cross between desync objects by copy, at the moment of the call. The calling thread
/// captures them while it owns the source state; the cargo is then plain Swift data, free to
/// travel to whichever thread later owns the target state and pushes it there.
///
/// The values of one cargo form one graph: a table reached twice, from two arguments or along a
/// cycle, is one table again in the target; closures that shared an upvalue still share it.
/// Shared objects (desync objects, futures, streams) cross by reference instead.
///
/// Some values cross by name, since a copy of them would be useless or impossible:
/// - the source's global table (`_G`, or an `_ENV` that is it) is the target's global table;
/// - a table that is `package.loaded[name]` in the source (`string`, `io`, `require "desync"`, a
///   module of the script) is the target's `package.loaded[name]`; when the target has not loaded
///   it, pushing runs `require(name)` there (see `pushChecked(onto:)` for when that fails). The
///   target gets its own module, loaded by its own code, not a snapshot of the source's table:
///   changes the source made to a module's fields do not cross;
/// - a Swift function made by `LuaSwiftFunction.push` is the same Swift function, its extra
///   upvalues copied.
/// ```lua
/// local string, desync = string, require "desync"
/// obj:sync(function() return string.upper("ok"), desync.self() end)  -- the job's own modules
/// ```
///
/// Because everything else is a copy, changes made on the other side never flow back:
/// ```lua
/// local count = 0
/// obj:sync(function() count = count + 1 end)   -- increments the job's own copy
/// print(count)                                 --> 0; return the value instead
/// ```
struct LuaCargo: Sendable {
    /// The values: a graph in general, but up to two flat values (what `LuaFlatCapture` makes)
    /// are held inline, so that the everyday job (`obj:async(fn, i)`, a job's `return n`)
    /// allocates nothing for its cargo.
    enum Storage: Sendable {
        case none
        case one(LuaCargoValue)
        case two(LuaCargoValue, LuaCargoValue)
        case graph(LuaCargoGraph)
    }

    let storage: Storage

    init(graph: LuaCargoGraph) {
        storage = .graph(graph)
    }

    init(storage: Storage) {
        self.storage = storage
    }

    /// A cargo of no values.
    init() {
        storage = .none
    }

    /// How many top-level values the cargo holds.
    var count: Int {
        switch storage {
        case .none: 0
        case .one: 1
        case .two: 2
        case .graph(let graph): graph.roots.count
        }
    }

    /// The cargo as a graph, whatever its storage.
    var graph: LuaCargoGraph {
        switch storage {
        case .none: LuaCargoGraph()
        case .one(let value): LuaCargoGraph(roots: [value])
        case .two(let first, let second): LuaCargoGraph(roots: [first, second])
        case .graph(let graph): graph
        }
    }

    /// Captures `count` values of the stack of `L`, from absolute index `first` on.
    ///
    /// Leaves the stack of `L` as it was. Uses raw access only, so it never runs a metamethod and
    /// never raises.
    /// - Parameter describe: names the n-th value (from 1) at the head of an error path, e.g.
    ///   "argument 2" or "result 1".
    /// - Returns: the cargo, or the error naming the first value that cannot cross.
    static func capture(
        from L: OpaquePointer, first: Int32, count: Int32,
        describe: (Int) -> String = { "argument \($0)" }
    ) -> Result<LuaCargo, LuaTransferError> {
        if let cargo = captureFlat(from: L, first: first, count: count) { return .success(cargo) }
        return captureGraph(from: L, first: first, count: count, describe: describe)
    }

    /// `capture`'s everyday case on its own: the cargo when every value is flat (see
    /// `LuaFlatCapture`), else nil, and then `captureGraph` must be called. For callers on the
    /// hot path (`obj:async`), which take the cargo without a `Result` around it.
    static func captureFlat(from L: OpaquePointer, first: Int32, count: Int32) -> LuaCargo? {
        let lua = LuaStack(L)
        let first = lua.absoluteIndex(first)
        guard lua.reserve(LuaCargoCapture.stackNeed),
              let storage = LuaFlatCapture.storage(from: L, first: first, count: max(count, 0))
        else { return nil }
        return LuaCargo(storage: storage)
    }

    /// The full capture, a walk of the graph of values: `capture` when `captureFlat` gave nil.
    static func captureGraph(
        from L: OpaquePointer, first: Int32, count: Int32, describe: (Int) -> String
    ) -> Result<LuaCargo, LuaTransferError> {
        let lua = LuaStack(L)
        let top = lua.top
        // Capture pushes bookkeeping, which would shift a relative index.
        let first = lua.absoluteIndex(first)
        guard lua.reserve(LuaCargoCapture.stackNeed) else {
            return .failure(LuaTransferError(message: "no Lua stack space to capture values"))
        }
        var capture = LuaCargoCapture(from: L, rootCount: Int(max(count, 0)))
        defer { lua.setTop(top) }
        do {
            for offset in 0..<max(count, 0) {
                try capture.captureTopLevel(at: first + offset, position: Int(offset) + 1)
                try capture.walkPendingNodes()
            }
        } catch {
            return .failure(error.error(origins: capture.origins, describe: describe))
        }
        capture.recordModulePaths(describe: describe)
        return .success(LuaCargo(graph: capture.graph))
    }

    /// Pushes the values onto `L` in order and returns how many it pushed (always `count`).
    ///
    /// Never raises. A module the target cannot `require` becomes nil, silently: use
    /// `pushChecked(onto:)` where that must be reported.
    @discardableResult
    func push(onto L: OpaquePointer) -> Int32 {
        let graph: LuaCargoGraph
        switch storage {
        case .none:
            return 0
        case .one(let value):
            checkStack(for: 1, in: L)
            LuaCargoPush.pushFlat(value, onto: L)
            return 1
        case .two(let first, let second):
            checkStack(for: 2, in: L)
            LuaCargoPush.pushFlat(first, onto: L)
            LuaCargoPush.pushFlat(second, onto: L)
            return 2
        case .graph(let whole):
            graph = whole
        }
        if graph.nodes.isEmpty && graph.modules.isEmpty {
            let count = Int32(graph.roots.count)
            checkStack(for: count, in: L)
            for root in graph.roots { LuaCargoPush.pushFlat(root, onto: L) }
            return count
        }
        var push = LuaCargoPush(graph: graph, onto: L)
        // Not strict: module failures are nil values, never a failure.
        return (try? push.pushAll(strict: false).get()) ?? 0
    }

    /// Pushes the values onto `L` in order and returns how many, or, when a module the values
    /// refer to is not loaded in `L` and `require` fails there, pushes nothing and returns the
    /// error: `argument 1, upvalue 'm': module 'm' cannot be loaded in the target: <require's
    /// error>`.
    ///
    /// Never raises: `require` runs under `lua_pcall`; everything else only allocates, and
    /// desync's allocator aborts rather than fail.
    func pushChecked(onto L: OpaquePointer) -> Result<Int32, LuaTransferError> {
        guard case .graph(let graph) = storage, !graph.modules.isEmpty else { return .success(push(onto: L)) }
        var push = LuaCargoPush(graph: graph, onto: L)
        return push.pushAll(strict: true)
    }

    private func checkStack(for count: Int32, in L: OpaquePointer) {
        let lua = LuaStack(L)
        precondition(
            lua.reserve(count + LuaCargoPush.stackNeed),
            "desync: no Lua stack space for \(count) transferred values")
    }
}
