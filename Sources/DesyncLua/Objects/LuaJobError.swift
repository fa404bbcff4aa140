/// A Lua job's error, captured out of the object's state: the error value itself (a message with
/// the job's traceback, or the table that was raised, copied) and its text for printing.
struct LuaJobError: Error, Sendable, CustomStringConvertible {
    let value: LuaCargo
    /// The message, with the job's traceback when the error was a string.
    let text: String

    var description: String { text }
}
