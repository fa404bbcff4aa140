import CLua

/// The everyday transfer, captured without the graph walk: `obj:async(fn, i)`, a job's `return
/// n`. When every value is nil, a boolean, a number, a string, a shared object or a Lua function
/// with nothing to bind, the cargo is just its list of values, and building the walk's
/// bookkeeping (tables in the source state, node lists, origins) would cost more than the values.
enum LuaFlatCapture {
    /// The values at absolute `first ..< first + count` as a cargo's storage (up to two inline,
    /// so the everyday call allocates nothing for them), or nil when one of them needs the full
    /// capture (a table, a function with upvalues, a C function, or anything refused, whose error
    /// path the full capture reports). Leaves the stack as it was; needs 8 free slots.
    static func storage(from L: OpaquePointer, first: Int32, count: Int32) -> LuaCargo.Storage? {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        var dumpCache: Int32 = 0
        switch count {
        case ...0:
            return LuaCargo.Storage.none
        case 1:
            guard let value = value(at: first, dumpCache: &dumpCache, in: L) else { return nil }
            return .one(consume value)
        case 2:
            guard let a = value(at: first, dumpCache: &dumpCache, in: L),
                  let b = value(at: first + 1, dumpCache: &dumpCache, in: L),
                  !sharesCode(a, at: first, with: b, at: first + 1, in: L)
            else { return nil }
            return .two(consume a, consume b)
        default:
            var values: [LuaCargoValue] = []
            values.reserveCapacity(Int(count))
            for index in first..<(first + count) {
                guard let value = value(at: index, dumpCache: &dumpCache, in: L) else { return nil }
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
        guard case .reusableFunction(let first) = a, case .reusableFunction(let second) = b, first === second else {
            return false
        }
        return lua_rawequal(L, aIndex, bIndex) == 0
    }

    /// One flat value, or nil when the value at `index` is not flat. `dumpCache`: see
    /// `LuaBytecode.code(ofFunctionAt:cache:reusable:in:)`.
    private static func value(at index: Int32, dumpCache: inout Int32, in L: OpaquePointer) -> LuaCargoValue? {
        let type = lua_type(L, index)
        if let plain = LuaCargoValue.plain(at: index, type: type, in: L) { return plain }
        switch type {
        case LUA_TFUNCTION:
            return LuaBytecode.reusableCode(ofFunctionAt: index, cache: &dumpCache, in: L).map { .reusableFunction($0) }
        case LUA_TUSERDATA:
            return LuaProxy.object(at: index, in: L).map { .shared($0) }
        default:
            return nil
        }
    }
}
