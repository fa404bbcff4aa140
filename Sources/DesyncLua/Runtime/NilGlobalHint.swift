import CLua

/// A job that uses a global of its caller finds nil: each object has a state, and globals of
/// one state are not those of another. Lua's message ("attempt to call a nil value (global
/// 'sq')") does not say why; this adds the hint after the message's first line.
enum NilGlobalHint {
    /// Replaces the string error on top of `L`'s stack with the hinted message when it is about
    /// a nil global. Only pushes a string (no Lua code runs, nothing can raise).
    static func apply(in L: OpaquePointer) {
        guard LuaStack(L).type(at: -1) == LUA_TSTRING else { return }
        let message = describeError(at: -1, in: L)
        guard let hinted = hinted(message) else { return }
        LuaBytes.push(hinted, onto: L)
        LuaStack(L).replace(at: -2)
    }

    private static let marker = "globals do not cross into a desync job"

    /// `message` with the hint, or nil when it is not about a nil global.
    static func hinted(_ message: String) -> String? {
        let firstLine = String(message.prefix { $0 != "\n" })
        // An error passed on from a nested job's sync has its hint already.
        guard firstLine.contains(" a nil value (global '"), !firstLine.contains(marker),
              let nameStart = firstLine.firstRange(of: "(global '")?.upperBound,
              let nameEnd = firstLine[nameStart...].firstIndex(of: "'")
        else { return nil }
        let name = firstLine[nameStart..<nameEnd]
        let hint = " (\(marker): pass '\(name)' as an argument, or capture it in a local before the function)"
        return firstLine + hint + message.dropFirst(firstLine.count)
    }
}
