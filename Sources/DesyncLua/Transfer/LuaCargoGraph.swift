import CLua

/// Everything one transfer carries: the top-level values and the tables and functions they reach.
///
/// Storage is flat (nodes, entries and upvalue cells in arrays) so that even a million nested
/// tables cost heap arrays, never recursion.
struct LuaCargoGraph: Sendable {
    /// The top-level values, in stack order.
    var roots: [LuaCargoValue] = []
    /// Tables, Lua functions and Swift functions; `LuaCargoValue.table(node:)` and
    /// `.function(node:)` index here.
    var nodes: [LuaCargoNode] = []
    /// The key/value pairs of every table, each table owning one contiguous range.
    var entries: [LuaCargoEntry] = []
    /// Upvalue cells: a cell shared by several closures in the source appears here once.
    var cells: [LuaCargoValue] = []
    /// Modules referred to by name, each once; `LuaCargoValue.module(_:)` indexes here.
    var modules: [LuaCargoModule] = []
}

/// A module that crosses by name: in the target it is `package.loaded[name]`, required there if
/// the target has not loaded it yet.
struct LuaCargoModule: Sendable {
    /// The key in `package.loaded`, as raw bytes.
    var name: [UInt8]
    /// Where capture first met it ("argument 1, upvalue 'm'"), for the error when the target
    /// cannot require it.
    var path: String
}

enum LuaCargoNode: Sendable {
    case table(LuaCargoTable)
    case function(LuaCargoFunction)
    case swiftFunction(LuaCargoSwiftFunction)
}

/// A closure made by `LuaSwiftFunction.push`: the same Swift function in the target, with its
/// extra upvalues (2...n) copied. C closures have no shared upvalue cells, so values suffice.
struct LuaCargoSwiftFunction: Sendable {
    var function: LuaSwiftFunctionPointer
    /// Upvalues 2...n of the source closure, in order.
    var upvalues: [LuaCargoValue]
}

struct LuaCargoEntry: Sendable {
    var key: LuaCargoValue
    var value: LuaCargoValue
}

struct LuaCargoTable: Sendable {
    /// Where this table's pairs sit in `LuaCargoGraph.entries`.
    var entries: Range<Int>
    /// Sizes for `lua_createtable`, so a big table is allocated once in the target.
    var arrayHint: Int32
    var hashHint: Int32
    /// The node of the metatable, when there is one.
    var metatable: Int?
}

/// A Lua function with upvalues to bind: loaded fresh in the target, its upvalues set there.
/// (A function with nothing to bind is a `LuaCargoValue.reusableFunction` instead.)
struct LuaCargoFunction: Sendable {
    var code: LuaFunctionCode
    /// One per upvalue of the closure, in upvalue order.
    var upvalues: [LuaCargoUpvalue]
}

enum LuaCargoUpvalue: Sendable, Equatable {
    /// An `_ENV` that was the source's globals: it becomes the target's globals.
    case targetGlobals
    /// Index into `LuaCargoGraph.cells`.
    case cell(Int)
}
