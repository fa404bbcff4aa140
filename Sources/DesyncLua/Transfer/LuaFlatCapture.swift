import CLua

/// The everyday transfer, captured without the graph walk: `obj:async(fn, i)`, a job's `return
/// n`. When every value is nil, a boolean, a number, a string, a shared object or a Lua function
/// with nothing to bind, the cargo is just its list of values, and building the walk's
/// bookkeeping (tables in the source state, node lists, origins) would cost more than the values.
/// One Lua function whose upvalues are such values is flat too (`obj:async(function(d) d.n =
/// d.n + step end)`): its upvalues are captured with it, as `LuaCargoValue.closure`. So is one
/// table of plain keys and values (`LuaFlatTable`).
enum LuaFlatCapture {
    /// The values at absolute `first ..< first + count` as a cargo's storage (up to two inline,
    /// so the everyday call allocates nothing for them), or nil when one of them needs the full
    /// capture (a table that is not `LuaFlatTable`'s kind, a function with upvalues, a C
    /// function, or anything refused, whose error path the full capture reports). Leaves the
    /// stack as it was; needs 8 free slots.
    static func storage(from L: OpaquePointer, first: Int32, count: Int32) -> LuaCargo.Storage? {
        let lua = LuaStack(L)
        let top = lua.top
        defer { lua.setTop(top) }
        var dumpCache: Int32 = 0
        var closureTaken = false
        var tableTaken = false
        switch count {
        case ...0:
            return LuaCargo.Storage.none
        case 1:
            guard let value = value(at: first, dumpCache: &dumpCache, closureTaken: &closureTaken, tableTaken: &tableTaken, in: L) else { return nil }
            return .one(consume value)
        case 2:
            guard let a = value(at: first, dumpCache: &dumpCache, closureTaken: &closureTaken, tableTaken: &tableTaken, in: L),
                  let b = value(at: first + 1, dumpCache: &dumpCache, closureTaken: &closureTaken, tableTaken: &tableTaken, in: L),
                  !sharesCode(a, at: first, with: b, at: first + 1, in: L)
            else { return nil }
            return .two(consume a, consume b)
        default:
            var values: [LuaCargoValue] = []
            values.reserveCapacity(Int(count))
            for index in first..<(first + count) {
                guard let value = value(at: index, dumpCache: &dumpCache, closureTaken: &closureTaken, tableTaken: &tableTaken, in: L) else { return nil }
                for (offset, earlier) in values.enumerated()
                where sharesCode(earlier, at: first + Int32(offset), with: value, at: index, in: L) {
                    return nil
                }
                values.append(value)
            }
            return .graph(LuaCargoGraph(roots: values))
        }
    }

    /// Whether `a` and `b`, the values at `aIndex` and `bIndex`, are two distinct closures of one
    /// function literal sent as code alone: the target would make them one closure (it keeps one
    /// per code), so the full capture must send them, as it keeps them distinct.
    private static func sharesCode(
        _ a: LuaCargoValue, at aIndex: Int32, with b: LuaCargoValue, at bIndex: Int32,
        in L: OpaquePointer
    ) -> Bool {
        let lua = LuaStack(L)
        guard case .reusableFunction(let first) = a, case .reusableFunction(let second) = b, first === second else {
            return false
        }
        return !lua.rawEqual(aIndex, bIndex)
    }

    /// One flat value, or nil when the value at `index` is not flat. `dumpCache`: see
    /// `LuaBytecode.code(ofFunctionAt:cache:reusable:in:)`. `closureTaken`: a function with
    /// upvalues was taken already; a second one is left to the full capture, which keeps cells
    /// that two closures share shared. `tableTaken`: likewise for a flat table (`LuaFlatTable`),
    /// so that one table passed twice stays one table.
    private static func value(
        at index: Int32, dumpCache: inout Int32, closureTaken: inout Bool, tableTaken: inout Bool, in L: OpaquePointer
    ) -> LuaCargoValue? {
        let lua = LuaStack(L)
        let type = lua.type(at: index)
        if let plain = LuaCargoValue.plain(at: index, type: type, in: L) { return plain }
        switch type {
        case LUA_TFUNCTION:
            if let code = LuaBytecode.reusableCode(ofFunctionAt: index, cache: &dumpCache, in: L) {
                return .reusableFunction(code)
            }
            guard !closureTaken, !lua.isCFunction(at: index),
                  let closure = closure(at: index, dumpCache: &dumpCache, in: L)
            else { return nil }
            closureTaken = true
            return .closure(closure)
        case LUA_TUSERDATA:
            return LuaProxy.object(at: index, in: L).map { .shared($0) }
        case LUA_TTABLE:
            guard !tableTaken, let bytes = LuaFlatTable.capture(tableAt: index, in: L) else { return nil }
            tableTaken = true
            return .flatTable(bytes)
        default:
            return nil
        }
    }

    /// Upvalues a flat closure may have: more go through the full capture.
    private static let closureUpvalueLimit: Int32 = 8

    /// The Lua function at `index` with its upvalues when each is nil, a boolean, a number, a
    /// string, a shared object, the globals or the function itself, in a cell of its own (two
    /// upvalues of one closure may share a cell, through `debug.upvaluejoin`); else nil.
    ///
    /// The code is taken first: it may allocate, which can run a finalizer that replaces the
    /// value at `index` (then `code` gives nil). Reading the upvalues allocates nothing in Lua.
    private static func closure(at index: Int32, dumpCache: inout Int32, in L: OpaquePointer) -> LuaCargoClosure? {
        let lua = LuaStack(L)
        guard !lua.pushUpvalue(of: index, closureUpvalueLimit + 1) else {
            lua.pop(1)
            return nil
        }
        guard let code = LuaBytecode.code(ofFunctionAt: index, cache: &dumpCache, reusable: false, in: L) else {
            return nil
        }
        var upvalues: [LuaCargoValue] = []
        upvalues.reserveCapacity(Int(closureUpvalueLimit))
        var number: Int32 = 1
        var selfReferences: UInt8 = 0
        while lua.pushUpvalue(of: index, number) {
            defer { lua.pop(1) }
            let type = lua.type(at: -1)
            if let plain = LuaCargoValue.plain(at: -1, type: type, in: L) {
                upvalues.append(plain)
            } else if type == LUA_TTABLE {
                lua.rawGet(DESYNC_LUA_REGISTRYINDEX, index: lua_Integer(DESYNC_LUA_RIDX_GLOBALS))
                let isGlobals = lua.rawEqual(-1, -2)
                lua.pop(1)
                guard isGlobals else { return nil }
                upvalues.append(.globals)
            } else if type == LUA_TUSERDATA, let object = LuaProxy.object(at: -1, in: L) {
                upvalues.append(.shared(object))
            } else if type == LUA_TFUNCTION, lua.rawEqual(-1, index) {
                upvalues.append(.luaNil)
                selfReferences |= 1 << (number - 1)
            } else {
                return nil
            }
            let cell = lua.upvalueID(of: index, number)
            for earlier in 1..<number where lua.upvalueID(of: index, earlier) == cell {
                return nil
            }
            number += 1
        }
        return LuaCargoClosure(code: code, upvalues: upvalues, selfReferences: selfReferences)
    }
}
