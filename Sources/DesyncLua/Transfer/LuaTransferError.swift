/// Why values could not cross from one Lua state to another.
///
/// The message names where the refused value sits, from the top-level value down, then what it is:
/// `argument 2, field 'log', upvalue 'file': userdata cannot cross between desync objects`.
struct LuaTransferError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The whole message, path first.
    let message: String

    /// An error with the given message.
    init(message: String) {
        self.message = message
    }

    /// The message.
    var description: String { message }
}
