import Synchronization

/// The bytecode of one Lua closure, dumped once and shared by every transfer of that closure.
///
/// A source state keeps one per closure it has sent (in its weak-keyed dump cache), so sending the
/// same function again copies no bytes; a target state keeps the closures it loaded by `id`, so it
/// finds them again without hashing the bytecode.
final class LuaFunctionCode: LuaSharedObject {
    static let luaTypeName = "desync.functioncode"

    /// `lua_dump` output with debug information, loadable in any state of this liblua.
    let bytecode: [UInt8]
    /// For a function with upvalues to bind: a chunk that returns a new closure of it each time
    /// it is called (`LuaClosureFactory`), or nil (then each closure is loaded from `bytecode`).
    let factory: [UInt8]?
    /// Unique in the process for its lifetime: two codes never share an id, even when their
    /// bytecode is equal (two closures of one function are two codes).
    let id: Int

    private static let nextID = Atomic<Int>(1)

    init(bytecode: [UInt8], factory: [UInt8]? = nil) {
        self.bytecode = bytecode
        self.factory = factory
        id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
    }
}
