import CLua

/// Lua strings as bytes: binary-safe both ways, embedded zeros included.
enum LuaBytes {
    /// The bytes of the string at `index`. The value must be an actual string: on a number,
    /// `lua_tolstring` would convert it in place.
    static func read(at index: Int32, in L: OpaquePointer) -> [UInt8] {
        guard let bytes = LuaStack(L).bytesOfString(at: index) else { return [] }
        return Array(bytes)
    }

    /// Pushes `bytes` as a Lua string.
    static func push(_ bytes: [UInt8], onto L: OpaquePointer) {
        bytes.withUnsafeBytes { raw in
            LuaStack(L).push(bytes: raw.baseAddress, count: raw.count)
        }
    }

    /// Pushes `text` as a Lua string without the temporary C string that passing a Swift `String`
    /// to `lua_pushstring` may allocate (for every proxy of a new future, say).
    static func push(_ text: String, onto L: OpaquePointer) {
        var text = text
        text.withUTF8 { bytes in
            LuaStack(L).push(bytes: bytes.baseAddress, count: bytes.count)
        }
    }
}
