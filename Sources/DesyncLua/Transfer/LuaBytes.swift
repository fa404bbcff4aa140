import CLua

/// Lua strings as bytes: binary-safe both ways, embedded zeros included.
enum LuaBytes {
    /// The bytes of the string at `index`. The value must be an actual string: on a number,
    /// `lua_tolstring` would convert it in place.
    static func read(at index: Int32, in L: OpaquePointer) -> [UInt8] {
        var length = 0
        guard let start = lua_tolstring(L, index, &length) else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: length))
    }

    /// Pushes `bytes` as a Lua string.
    static func push(_ bytes: [UInt8], onto L: OpaquePointer) {
        bytes.withUnsafeBytes { raw in
            _ = lua_pushlstring(L, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
        }
    }

    /// Pushes `text` as a Lua string without the temporary C string that passing a Swift `String`
    /// to `lua_pushstring` may allocate (for every proxy of a new future, say).
    static func push(_ text: String, onto L: OpaquePointer) {
        var text = text
        text.withUTF8 { bytes in
            _ = lua_pushlstring(L, UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self), bytes.count)
        }
    }
}
