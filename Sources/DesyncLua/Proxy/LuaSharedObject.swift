/// A Swift object that Lua code in many states uses at once: a desync object, a future, a stream.
///
/// Such an object never crosses between Lua states by copy. Each state holds a proxy userdata that
/// keeps a strong reference to the one shared Swift object, so two states talking about "the same
/// future" really do share it.
protocol LuaSharedObject: AnyObject, Sendable {
    /// The metatable name registered in every state, e.g. "desync.object".
    static var luaTypeName: String { get }
}
