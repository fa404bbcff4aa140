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
}
