import CLua
import Desync

/// Proxy userdata: how a `LuaSharedObject` appears inside one Lua state.
///
/// The userdata block stores the strong reference itself (an optional existential), so the proxy
/// keeps the object alive without a side allocation, and reading it back needs no dynamic cast.
/// `__gc` sets the block to nil, which releases the reference exactly once however often `__gc` is
/// called.
enum LuaProxy {
    /// The userdata block of a proxy.
    typealias Slot = UnsafeMutablePointer<(any LuaSharedObject)?>

    /// Pushes a proxy userdata holding a retained reference to `object`; its metatable is
    /// `metatable(forTypeName:)` of the object's type.
    ///
    /// While a state still holds a proxy for `object`, the same userdata is pushed again, so one
    /// shared object has one identity inside each state (it can be a table key, `==` holds).
    static func push(_ object: any LuaSharedObject, onto L: OpaquePointer) {
        let lua = LuaStack(L)
        if !lua.reserve(6) { desyncFatal("desync: Lua stack overflow while pushing a proxy") }
        let identity = Unmanaged.passUnretained(object as AnyObject).toOpaque()
        LuaRegistryTable.push(.liveProxies, onto: L)
        lua.rawGet(-1, pointer: identity)
        if let existing = slot(at: -1, in: L), let held = existing.pointee, held === object {
            lua.remove(at: -2)
            return
        }
        lua.pop(1)

        let block = lua.newUserdata(size: MemoryLayout<(any LuaSharedObject)?>.size)
        block.bindMemory(to: (any LuaSharedObject)?.self, capacity: 1).initialize(to: object)
        lua.push(lightUserdata: marker)
        lua.setUserValue(of: -2)
        metatable(for: type(of: object), onto: L)
        lua.setMetatable(-2)

        lua.pushValue(at: -1)
        lua.rawSet(-3, pointer: identity)
        lua.remove(at: -2)
    }

    /// The shared object behind a proxy at `index`, or nil when the value is not a desync proxy
    /// (or is one whose reference `__gc` already released).
    static func object(at index: Int32, in L: OpaquePointer) -> (any LuaSharedObject)? {
        slot(at: index, in: L)?.pointee
    }

    /// Typed convenience: the shared object at `index` when it is a `T`.
    static func object<T: LuaSharedObject>(at index: Int32, in L: OpaquePointer, as: T.Type) -> T? {
        guard let object = object(at: index, in: L) else { return nil }
        // Every call on an object or future checks its self this way; an exact type match (desync's
        // shared types are final) spares the dynamic cast, which cost more than the rest of it.
        if type(of: object) == T.self { return unsafeDowncast(object as AnyObject, to: T.self) }
        return object as? T
    }

    /// `metatable(forTypeName:)` of `type`, found first under a light userdata key of the
    /// type's own (its metadata's address), without the string key's hashing: a proxy is made
    /// for every new future, and the lookup by name was a sixth of the proxy's cost (callgrind).
    /// The table found that way is used only while it still has the proxy marker.
    private static func metatable(for type: any LuaSharedObject.Type, onto L: OpaquePointer) {
        let key = unsafeBitCast(ObjectIdentifier(type), to: UnsafeMutableRawPointer.self)
        let lua = LuaStack(L)
        if !lua.reserve(3) { desyncFatal("desync: Lua stack overflow while pushing a metatable") }
        if lua.rawGet(DESYNC_LUA_REGISTRYINDEX, pointer: key) == LUA_TTABLE {
            let isMarked = lua.rawGet(-1, pointer: marker) == LUA_TBOOLEAN
            lua.pop(1)
            if isMarked { return }
        }
        lua.pop(1)
        metatable(forTypeName: type.luaTypeName, onto: L)
        lua.pushValue(at: -1)
        lua.rawSet(DESYNC_LUA_REGISTRYINDEX, pointer: key)
    }

    /// Pushes the metatable for a type name, creating it on first use with `__gc` (releases the
    /// reference), `__name`, `__metatable` (hides the table), the proxy marker, and desync's methods
    /// for its own types (`DesyncModule.addMethods`).
    ///
    /// The table lives in the registry under `name`, where `luaL_newmetatable` would put it; if
    /// someone created it that way first, the proxy fields are added to it.
    static func metatable(forTypeName name: String, onto L: OpaquePointer) {
        let lua = LuaStack(L)
        if !lua.reserve(4) { desyncFatal("desync: Lua stack overflow while pushing a metatable") }
        LuaBytes.push(name, onto: L)
        if lua.rawGet(DESYNC_LUA_REGISTRYINDEX) != LUA_TTABLE {
            lua.pop(1)
            lua.newTable(array: 0, fields: 4)
            LuaBytes.push(name, onto: L)
            lua.pushValue(at: -2)
            lua.rawSet(DESYNC_LUA_REGISTRYINDEX)
        }
        let isMarked = lua.rawGet(-1, pointer: marker) == LUA_TBOOLEAN
        lua.pop(1)
        if isMarked { return }

        lua.push("__gc")
        lua.pushSwiftFunction(collectLuaProxy, upvalues: 0)
        lua.rawSet(-3)
        lua.push("__name")
        LuaBytes.push(name, onto: L)
        lua.rawSet(-3)
        // `getmetatable(obj)` gives false, so scripts cannot reach `__gc` and release a proxy's
        // reference by hand (the debug library still can; the proxy stays safe against it).
        lua.push("__metatable")
        lua.push(false)
        lua.rawSet(-3)
        lua.push(lightUserdata: marker)
        lua.push(true)
        lua.rawSet(-3)
        DesyncModule.addMethods(forTypeName: name, in: L)
    }

    /// The block of the proxy at `index`, or nil when the value is not a proxy.
    ///
    /// A proxy's user value is the marker, a light userdata, which Lua code cannot make: only Swift
    /// marks a userdata as a proxy (the metatable's marker serves `__gc`). Checked on every call on
    /// an object, so it is the user value rather than a lookup in the metatable. The size check
    /// guards the block read against a foreign userdata marked through the debug library.
    static func slot(at index: Int32, in L: OpaquePointer) -> Slot? {
        let lua = LuaStack(L)
        guard lua.type(at: index) == LUA_TUSERDATA,
              lua.rawLength(index) == MemoryLayout<(any LuaSharedObject)?>.size,
              let block = lua.userdata(at: index),
              lua.reserve(1)
        else { return nil }
        let isProxy = lua.pushUserValue(of: index) == LUA_TLIGHTUSERDATA && lua.userdata(at: -1) == marker
        lua.pop(1)
        return isProxy ? block.assumingMemoryBound(to: (any LuaSharedObject)?.self) : nil
    }

    /// The key of the marker field: the address of `__gc`'s Swift function, unique to this module.
    static var marker: UnsafeMutableRawPointer {
        unsafeBitCast(collectLuaProxy as desync_swift_function, to: UnsafeMutableRawPointer.self)
    }
}

/// `__gc` of every proxy: releases the reference and leaves nil, so a second call does nothing.
private func collectLuaProxy(_ L: OpaquePointer?) -> Int32 {
    guard let L, let slot = LuaProxy.slot(at: 1, in: L) else { return 0 }
    slot.pointee = nil
    return 0
}
