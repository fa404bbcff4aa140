import CLua

/// A table whose keys and values are all booleans, numbers or strings, captured as one byte
/// buffer: `obj:async(f, { id = 7, name = "x", ... })`, a record passed to a job. The full
/// capture (`LuaCargoCapture`) builds bookkeeping tables in the source state and a graph of
/// nodes, entries and origins for it, which cost 40,000 instructions for 10 fields
/// (callgrind), several times the job itself; this walks the table once into one allocation
/// and the target rebuilds it with `lua_createtable` and raw sets.
///
/// It is taken only where the table is a plain copy and nothing else could refer to it: no
/// metatable, not the globals, not a module (`package.loaded[name]`, which crosses by name),
/// no table, function or other reference among its keys and values, and at most one such
/// table per cargo (two arguments that are one table must stay one table: the full capture
/// keeps that). Everything else goes to the full capture, which reports what cannot cross.
///
/// Layout: the array and hash size hints (two `Int32`), then per entry the key and the value,
/// each a tag byte and its payload (8 bytes for a number, a 4-byte length and the bytes for a
/// string, none for a boolean).
enum LuaFlatTable {
    /// Entries a flat table may have; a bigger one goes through the full capture.
    static let entryLimit = 64

    private static let falseTag: UInt8 = 0
    private static let trueTag: UInt8 = 1
    private static let integerTag: UInt8 = 2
    private static let floatTag: UInt8 = 3
    private static let stringTag: UInt8 = 4
    private static let headerSize = 8

    /// The table at absolute `index` as bytes, or nil when it is not such a table (or its bytes
    /// would take more than `byteLimit`). Uses raw access only and allocates nothing in Lua (so
    /// no finalizer runs). Needs 4 free stack slots; leaves the stack as it was.
    static func capture(tableAt index: Int32, in L: OpaquePointer) -> [UInt8]? {
        let lua = LuaStack(L)
        let top = lua.top
        defer { lua.setTop(top) }
        if lua.pushMetatable(index) { return nil }
        lua.rawGet(DESYNC_LUA_REGISTRYINDEX, index: lua_Integer(DESYNC_LUA_RIDX_GLOBALS))
        guard !lua.rawEqual(-1, index) else { return nil }
        lua.pop(1)
        // Written on the stack first, then copied once into an array of the exact size: appends
        // to a growing array cost 200 instructions a value (callgrind).
        return withUnsafeTemporaryAllocation(byteCount: byteLimit, alignment: 8) { buffer -> [UInt8]? in
            var writer = Writer(buffer: buffer, offset: headerSize)
            var count = 0
            lua.pushNil()
            while lua.next(index) {
                count += 1
                // Keys are never converted in place (`write` reads a string only as a string):
                // lua_next goes on from the key.
                guard count <= entryLimit, writer.write(valueAt: -2, in: L), writer.write(valueAt: -1, in: L) else {
                    return nil
                }
                lua.pop(1)
            }
            guard !isModule(index, in: L) else { return nil }
            let arrayHint = min(Int(lua.rawLength(index)), count)
            buffer.storeBytes(of: Int32(arrayHint).littleEndian, toByteOffset: 0, as: Int32.self)
            buffer.storeBytes(of: Int32(count - arrayHint).littleEndian, toByteOffset: 4, as: Int32.self)
            return [UInt8](UnsafeRawBufferPointer(rebasing: buffer[..<writer.offset]))
        }
    }

    /// Bytes a flat table may take.
    private static let byteLimit = 2048

    /// Encodes values into a fixed buffer.
    private struct Writer {
        let buffer: UnsafeMutableRawBufferPointer
        var offset: Int

        /// Writes the value at `index` when it is a boolean, a number or a string and fits;
        /// false otherwise.
        mutating func write(valueAt index: Int32, in L: OpaquePointer) -> Bool {
            let lua = LuaStack(L)
            switch lua.type(at: index) {
            case LUA_TBOOLEAN:
                return write(tag: lua.boolean(at: index) ? trueTag : falseTag)
            case LUA_TNUMBER:
                if lua.isInteger(at: index) {
                    return write(tag: integerTag) && write(word: UInt64(bitPattern: Int64(lua.integerValue(at: index))))
                }
                return write(tag: floatTag) && write(word: lua.numberValue(at: index).bitPattern)
            case LUA_TSTRING:
                guard let string = lua.bytesOfString(at: index), offset + 5 + string.count <= buffer.count else { return false }
                let length = string.count
                buffer[offset] = stringTag
                buffer.storeBytes(of: UInt32(length).littleEndian, toByteOffset: offset + 1, as: UInt32.self)
                if length > 0, let start = string.baseAddress {
                    (buffer.baseAddress! + offset + 5).copyMemory(from: start, byteCount: length)
                }
                offset += 5 + length
                return true
            default:
                return false
            }
        }

        private mutating func write(tag: UInt8) -> Bool {
            guard offset < buffer.count else { return false }
            buffer[offset] = tag
            offset += 1
            return true
        }

        private mutating func write(word: UInt64) -> Bool {
            guard offset + 8 <= buffer.count else { return false }
            buffer.storeBytes(of: word.littleEndian, toByteOffset: offset, as: UInt64.self)
            offset += 8
            return true
        }
    }

    /// Whether the table at `index` is in the registry's `_LOADED` (what `package.loaded` is)
    /// under a string key: then it crosses by name, as the full capture sends it.
    private static func isModule(_ index: Int32, in L: OpaquePointer) -> Bool {
        let lua = LuaStack(L)
        let top = lua.top
        defer { lua.setTop(top) }
        lua.push(cString: LUA_LOADED_TABLE)
        guard lua.rawGet(DESYNC_LUA_REGISTRYINDEX) == LUA_TTABLE else { return false }
        let loaded = lua.top
        lua.pushNil()
        while lua.next(loaded) {
            if lua.type(at: -2) == LUA_TSTRING && lua.rawEqual(-1, index) { return true }
            lua.pop(1)
        }
        return false
    }

    /// Pushes a new table made from `bytes` (what `capture` made). Needs 3 free stack slots.
    static func push(_ bytes: [UInt8], onto L: OpaquePointer) {
        let lua = LuaStack(L)
        bytes.withUnsafeBytes { raw in
            let arrayHint = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: Int32.self))
            let hashHint = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: Int32.self))
            lua.newTable(array: arrayHint, fields: hashHint)
            var offset = headerSize
            while offset < raw.count {
                offset = pushValue(from: raw, at: offset, onto: L)
                offset = pushValue(from: raw, at: offset, onto: L)
                // The key was a key of the captured table: never nil or NaN.
                lua.rawSetValidKey(-3)
            }
        }
    }

    /// Pushes the value encoded at `offset` and returns the offset after it.
    private static func pushValue(from raw: UnsafeRawBufferPointer, at offset: Int, onto L: OpaquePointer) -> Int {
        let lua = LuaStack(L)
        let tag = raw[offset]
        let payload = offset + 1
        switch tag {
        case falseTag, trueTag:
            lua.push(tag == trueTag)
            return payload
        case integerTag:
            lua.push(integer: lua_Integer(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: payload, as: Int64.self))))
            return payload + 8
        case floatTag:
            let bits = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: payload, as: UInt64.self))
            lua.push(number: lua_Number(bitPattern: bits))
            return payload + 8
        default:
            let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: payload, as: UInt32.self)))
            let start = raw.baseAddress!.advanced(by: payload + 4).assumingMemoryBound(to: CChar.self)
            lua.push(bytes: start, count: length)
            return payload + 4 + length
        }
    }
}
