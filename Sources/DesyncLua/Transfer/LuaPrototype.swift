import CLua

/// The identity of a Lua closure's prototype (its compiled function), shared by every closure of
/// one function literal: `obj:async(function(d, x) ... end, i)` makes a new closure on every
/// call, but its prototype, and so its bytecode, is the same each time.
///
/// Lua's C API has no accessor for it. In Lua 5.4 a Lua closure is
/// `struct LClosure { GCObject *next; lu_byte tt, marked, nupvalues; GCObject *gclist; Proto *p; ... }`
/// and a prototype starts with the same header (`next`, `tt`), so `p` is read at its offset in
/// the closure that `lua_topointer` gives. That relies on the private layout of the linked
/// liblua, so it is used only after a check of that assumption at first use (`layoutHolds`):
/// closures of one literal must give one pointer, of two literals two, each pointing at an
/// object tagged as a prototype, whose dumps are equal exactly when the pointers are. When the
/// check fails, `address` is always nil and callers key by the closure instead, as before.
enum LuaPrototype {
    /// `offsetof(LClosure, p)` on a 64-bit build: header (8 + 3 bytes, padded to 16), gclist.
    private static let prototypeOffset = 24
    /// `offsetof(GCObject, tt)`: the type tag after the `next` pointer.
    private static let tagOffset = 8
    /// `offsetof(LClosure, nupvalues)` (after `tt` and `marked`) and `offsetof(LClosure, upvals)`:
    /// only the check reads them.
    private static let upvalueCountOffset = 10
    private static let upvaluesOffset = 32
    /// Lua 5.4's `LUA_VLCL` (a Lua closure) and `LUA_VPROTO` (a prototype) tags.
    private static let closureTag: UInt8 = 6
    private static let prototypeTag: UInt8 = 10

    /// Whether the layout check passed: computed once, in a scratch state of its own, unless
    /// `LuaPrivateLayout` rules it out.
    static let layoutHolds: Bool = LuaPrivateLayout.allowed && checkLayout()

    /// The prototype of the Lua closure at `index` (a stable address while a closure of it
    /// lives), or nil when the value is not a Lua closure or the layout is not the expected one.
    @inline(__always)
    static func address(ofClosureAt index: Int32, in L: OpaquePointer) -> UnsafeRawPointer? {
        let lua = LuaStack(L)
        guard layoutHolds, lua.type(at: index) == LUA_TFUNCTION, !lua.isCFunction(at: index),
              let closure = lua.pointer(at: index)
        else { return nil }
        return address(ofClosure: closure)
    }

    /// `address` for a closure known to be a Lua closure, by its `lua_topointer` address; the
    /// type tags are checked again every time (a stray value would not be mistaken for one).
    @inline(__always)
    static func address(ofClosure closure: UnsafeRawPointer) -> UnsafeRawPointer? {
        guard layoutHolds, closure.load(fromByteOffset: tagOffset, as: UInt8.self) == closureTag,
              let proto = closure.load(fromByteOffset: prototypeOffset, as: UnsafeRawPointer?.self),
              proto.load(fromByteOffset: tagOffset, as: UInt8.self) == prototypeTag
        else { return nil }
        return proto
    }

    private static func checkLayout() -> Bool {
        guard MemoryLayout<UnsafeRawPointer>.size == 8, let lua = LuaStack.newUncountedState() else { return false }
        let L = lua.state
        defer { lua.close() }
        let chunk = """
            local made = {}
            for i = 1, 2 do made[i] = function(x) return x + i end end
            return made[1], made[2], function(x) return x - 1 end, function(x) return x - 1 end
            """
        guard lua.loadString(chunk) == LUA_OK, lua.protectedCall(arguments: 0, results: 4) == LUA_OK else { return false }
        // Before following the pointer at `prototypeOffset`, the fields around it must be where
        // Lua 5.4 has them: the upvalue count, and the first upvalue's cell (`lua_upvalueid`, from
        // the public API) right after `p`. Every read stays within the closure (32 bytes with no
        // upvalue, 40 with one), so a liblua with another layout fails the check without a stray
        // read, instead of dereferencing whatever sits at that offset.
        func raw(_ index: Int32, upvalues: UInt8) -> UnsafeRawPointer? {
            guard let closure = lua.pointer(at: index),
                  closure.load(fromByteOffset: tagOffset, as: UInt8.self) == closureTag,
                  closure.load(fromByteOffset: upvalueCountOffset, as: UInt8.self) == upvalues,
                  upvalues == 0 || closure.load(fromByteOffset: upvaluesOffset, as: UnsafeRawPointer?.self)
                      == UnsafeRawPointer(lua.upvalueID(of: index, 1)),
                  let proto = closure.load(fromByteOffset: prototypeOffset, as: UnsafeRawPointer?.self),
                  proto.load(fromByteOffset: tagOffset, as: UInt8.self) == prototypeTag
            else { return nil }
            return proto
        }
        guard let a = raw(1, upvalues: 1), let b = raw(2, upvalues: 1), let c = raw(3, upvalues: 0),
              let d = raw(4, upvalues: 0)
        else { return false }
        // One literal twice: one prototype. Two literals with equal text: two prototypes.
        guard a == b, a != c, c != d, b != d else { return false }
        let dumps = (1...4).map { dump(L, $0) }
        return !dumps[0].isEmpty && dumps[0] == dumps[1] && dumps[0] != dumps[2] && !dumps[2].isEmpty
    }

    private static func dump(_ L: OpaquePointer, _ index: Int32) -> [UInt8] {
        let lua = LuaStack(L)
        var bytes: [UInt8] = []
        lua.pushValue(at: index)
        _ = withUnsafeMutablePointer(to: &bytes) { lua.dump(strip: false, writer: appendChunk, data: $0) }
        lua.pop(1)
        return bytes
    }
}

private func appendChunk(_ L: OpaquePointer?, _ chunk: UnsafeRawPointer?, _ size: Int, _ ud: UnsafeMutableRawPointer?) -> Int32 {
    guard let ud, let chunk else { return 1 }
    ud.assumingMemoryBound(to: [UInt8].self).pointee.append(contentsOf: UnsafeRawBufferPointer(start: chunk, count: size))
    return 0
}
