import CLua
import Desync

/// Swift functions as Lua values: C closures over the shim's trampoline, with the Swift function
/// pointer as upvalue 1.
///
/// Every Swift function the runtime hands to Lua goes through `push(_:upvalues:onto:)`, which also
/// records the closure in the state, so that value transfer knows it for "the same Swift function"
/// and can recreate it in another state instead of refusing it as a foreign C closure.
enum LuaSwiftFunction {
    /// Pushes a Lua function that calls `f` through the trampoline, and records it as a Swift
    /// function of this state.
    ///
    /// `upvalues` values are taken from the top of the stack, as `lua_pushcclosure` takes them;
    /// inside `f` they are upvalues 2...upvalues+1 (`LuaStack.upvalueIndex(2)` on), since upvalue 1
    /// holds `f` itself. `f` returns the number of results it pushed, or -1 after leaving an error
    /// value on top of the stack, which the trampoline raises once `f` has returned.
    ///
    /// Such a function can cross to another desync object: there it is the same `f`, with its
    /// extra upvalues copied by the usual transfer rules (a table upvalue is a copy, not shared).
    /// Code that needs one shared value across states should hold a `LuaSharedObject` instead.
    ///
    /// Never raises (desync's allocator aborts rather than fail). Needs 5 free stack slots beyond
    /// the upvalues.
    /// ```swift
    /// LuaStack(L).push(integer: 1)                          // becomes upvalue 2
    /// LuaSwiftFunction.push(counterNext, upvalues: 1, onto: L)
    /// ```
    static func push(_ f: desync_swift_function, upvalues: Int32 = 0, onto L: OpaquePointer) {
        let lua = LuaStack(L)
        if !(upvalues >= 0 && upvalues < 255) { desyncFatal("desync: a Swift function has 0...254 extra upvalues") }
        if !lua.reserve(5) { desyncFatal("desync: Lua stack overflow while pushing a Swift function") }
        lua.pushSwiftFunction(f, upvalues: upvalues)
        LuaRegistryTable.push(.swiftFunctions, onto: L)
        lua.pushValue(at: -2)
        lua.push(true)
        lua.rawSet(-3)
        lua.pop(1)
    }

    /// Makes the closure at `index` (pushed by `push(_:onto:)` for `f`, with no extra upvalues)
    /// the one that `f` arrives as when it crosses into this state (`pushModuleFunction`). Needs
    /// 5 free stack slots.
    static func registerAsModuleFunction(_ f: desync_swift_function, at index: Int32, in L: OpaquePointer) {
        let lua = LuaStack(L)
        let index = lua.absoluteIndex(index)
        LuaRegistryTable.push(.moduleFunctions, onto: L)
        lua.pushValue(at: index)
        lua.rawSet(-2, pointer: unsafeBitCast(f, to: UnsafeRawPointer.self))
        lua.pop(1)
    }

    /// Pushes the closure registered for `f` in this state and returns true, if there is one
    /// and it still calls `f` (`debug.setupvalue` could have changed it); else pushes nothing.
    /// An object's state whose `desync` module is not open yet opens it first when `f` is not
    /// found (`LazyLibraries`). Raw access and a protected call only; needs 4 free stack slots.
    static func pushModuleFunction(_ f: desync_swift_function, onto L: OpaquePointer) -> Bool {
        pushRegisteredModuleFunction(f, onto: L)
            || (LazyLibraries.openModule(in: L) && pushRegisteredModuleFunction(f, onto: L))
    }

    private static func pushRegisteredModuleFunction(_ f: desync_swift_function, onto L: OpaquePointer) -> Bool {
        let lua = LuaStack(L)
        let top = lua.top
        guard LuaRegistryTable.pushIfPresent(.moduleFunctions, onto: L) else { return false }
        let address = unsafeBitCast(f, to: UnsafeRawPointer.self)
        guard lua.rawGet(-1, pointer: address) == LUA_TFUNCTION, lua.pushUpvalue(of: -1, 1),
              lua.type(at: -1) == LUA_TLIGHTUSERDATA, lua.userdata(at: -1) == UnsafeMutableRawPointer(mutating: address)
        else {
            lua.setTop(top)
            return false
        }
        lua.pop(1)
        lua.remove(at: -2)
        return true
    }

    /// The Swift function behind the value at `index`, or nil when it is not a closure pushed by
    /// `push(_:upvalues:onto:)`. Raw access only; needs 2 free stack slots.
    ///
    /// - Parameter known: the absolute index of this state's `LuaRegistryTable.swiftFunctions`,
    ///   when the caller holds it already; otherwise it is looked up (and never created).
    static func function(at index: Int32, in L: OpaquePointer, known: Int32? = nil) -> desync_swift_function? {
        let lua = LuaStack(L)
        let index = lua.absoluteIndex(index)
        guard lua.type(at: index) == LUA_TFUNCTION, lua.isCFunction(at: index) else { return nil }
        let top = lua.top
        defer { lua.setTop(top) }
        let registry: Int32
        if let known {
            registry = known
        } else {
            guard LuaRegistryTable.pushIfPresent(.swiftFunctions, onto: L) else { return nil }
            registry = lua.top
        }
        lua.pushValue(at: index)
        guard lua.rawGet(registry) == LUA_TBOOLEAN, lua.boolean(at: -1) else { return nil }
        lua.pop(1)
        // The trampoline calls whatever upvalue 1 holds; `debug.setupvalue` could have changed it.
        guard lua.pushUpvalue(of: index, 1), lua.type(at: -1) == LUA_TLIGHTUSERDATA,
              let pointer = lua.userdata(at: -1)
        else { return nil }
        return unsafeBitCast(pointer, to: desync_swift_function.self)
    }
}

/// A Swift function pointer, as transfer carries it. Every state links the same Swift code, so
/// the pointer means the same function in any state.
struct LuaSwiftFunctionPointer: @unchecked Sendable {
    // Unchecked because imported C function pointer types are not marked Sendable; a function
    // pointer is an immutable code address with no state of its own, so sharing it is safe.
    let function: desync_swift_function
}
