import CLua

/// A function with upvalues to bind needs a new closure in the target for every transfer, and
/// `lua_load` of its bytecode costs more than the rest of a small job (callgrind: 5,400
/// instructions, and garbage: a new prototype each time). The C API has no "new closure of this
/// prototype", but Lua code has: a function that returns a function literal. So the target
/// loads, once, a *factory*: the bytecode of
/// ```lua
/// local u1, ..., un = ...
/// return <the transferred function, its upvalues being u1 ... un>
/// ```
/// made from the compiled template `local u1, ..., un = ... return function() return u1, ..., un
/// end` with its inner function replaced by the transferred one, whose upvalue descriptions
/// become the template's (each the enclosing function's local i). Each call of the factory
/// makes a new closure of one shared prototype, with fresh cells, which the caller then fills as
/// it did a loaded one.
///
/// This edits Lua 5.4's binary chunk format (lundump.c), which a chunk's header versions; the
/// factory is made only when both chunks have the same header as the template made by this
/// liblua, every field parses within its bounds, and a check at first use (`works`) made a
/// factory whose closures behave. Otherwise there is no factory, and `lua_load` serves.
enum LuaClosureFactory {
    /// The factory chunk for `bytecode` (a `lua_dump` with a first function of `upvalueCount`
    /// upvalues), made with a template compiled in `L`; nil when it cannot be made. Leaves the
    /// stack of `L` as it was.
    static func bytecode(for bytecode: [UInt8], in L: OpaquePointer) -> [UInt8]? {
        guard works, let function = ChunkReader.function(in: bytecode),
              function.upvalueCount >= 1, function.upvalueCount <= 200
        else { return nil }
        return make(from: bytecode, function: function, in: L)
    }

    /// Whether factories are made: checked once, in a scratch state, unless `LuaPrivateLayout`
    /// rules them out.
    static let works: Bool = LuaPrivateLayout.allowed && selfCheck()

    private static func make(from bytecode: [UInt8], function: ChunkReader.Function, in L: OpaquePointer) -> [UInt8]? {
        let lua = LuaStack(L)
        let n = function.upvalueCount
        let names = (1...n).map { "u\($0)" }.joined(separator: ",")
        let source = "local \(names) = ... return function() return \(names) end"
        let top = lua.top
        defer { lua.setTop(top) }
        guard lua.loadString(source) == LUA_OK else { return nil }
        var template: [UInt8] = []
        template.reserveCapacity(256)
        guard withUnsafeMutablePointer(to: &template, { lua.dump(strip: false, writer: appendBytes, data: $0) }) == 0,
              let layout = ChunkReader.template(in: template, upvalueCount: n),
              template[0..<ChunkReader.headerSize] == bytecode[0..<ChunkReader.headerSize]
        else { return nil }
        var factory = [UInt8]()
        factory.reserveCapacity(template.count + bytecode.count)
        factory += template[0..<layout.innerStart]
        // The transferred function as the template's inner one, with the template's upvalue
        // descriptions (the same number of 3-byte entries).
        factory += bytecode[function.start..<function.upvaluesStart]
        factory += template[layout.innerUpvalues]
        factory += bytecode[(function.upvaluesStart + 3 * n)...]
        factory += template[layout.innerEnd...]
        return factory
    }

    /// Makes a factory for a known function with two upvalues in a scratch state, and checks that
    /// its closures have fresh cells of their own and run the function.
    private static func selfCheck() -> Bool {
        guard let lua = LuaStack.newUncountedState() else { return false }
        let L = lua.state
        defer { lua.close() }
        let chunk = "local a, b = 0, 'x' return function(n) a = a + n return a, b end"
        guard lua.loadString(chunk) == LUA_OK, lua.protectedCall(arguments: 0, results: 1) == LUA_OK else { return false }
        var bytes: [UInt8] = []
        guard withUnsafeMutablePointer(to: &bytes, { lua.dump(strip: false, writer: appendBytes, data: $0) }) == 0,
              let function = ChunkReader.function(in: bytes), function.upvalueCount == 2,
              let factory = make(from: bytes, function: function, in: L)
        else { return false }
        let code = "local f, g = ... debug.setupvalue(f, 1, 10) debug.setupvalue(f, 2, 'y') debug.setupvalue(g, 1, 20) "
            + "local a, b = f(1) local c, d = g(2) "
            + "return a == 11 and b == 'y' and c == 22 and d == nil and debug.getupvalue(f, 2) == 'b'"
        guard lua.loadString(code) == LUA_OK else { return false }
        for _ in 0..<2 {
            let status = factory.withUnsafeBytes { raw in
                lua.load(bytes: raw, name: "=factory", mode: "b")
            }
            guard status == LUA_OK, lua.protectedCall(arguments: 0, results: 1) == LUA_OK, lua.type(at: -1) == LUA_TFUNCTION else { return false }
        }
        return lua.protectedCall(arguments: 2, results: 1) == LUA_OK && lua.boolean(at: -1)
    }
}

/// Reads the parts of a Lua 5.4 binary chunk (`lua_dump`'s format, lundump.c) that a factory
/// needs. Every read is bounds-checked; anything unexpected gives nil.
private struct ChunkReader {
    /// Signature, version, format, LUAC_DATA, three sizes, LUAC_INT, LUAC_NUM.
    static let headerSize = 31

    struct Function {
        /// Where the main function starts (after the header and the main upvalue count byte).
        var start: Int
        var upvaluesStart: Int
        var upvalueCount: Int
    }

    struct Template {
        /// Where the template's inner function starts and ends, and its upvalue descriptions.
        var innerStart: Int
        var innerUpvalues: Range<Int>
        var innerEnd: Int
    }

    private let bytes: [UInt8]
    private var position: Int

    private init(_ bytes: [UInt8], at position: Int) {
        self.bytes = bytes
        self.position = position
    }

    /// The main function of a chunk: where it starts and where its upvalue descriptions are.
    static func function(in bytes: [UInt8]) -> Function? {
        guard hasExpectedHeader(bytes) else { return nil }
        var reader = ChunkReader(bytes, at: headerSize + 1)
        let start = reader.position
        guard reader.skipToUpvalues(), let count = reader.size() else { return nil }
        let upvaluesStart = reader.position
        guard upvaluesStart + 3 * count <= bytes.count else { return nil }
        return Function(start: start, upvaluesStart: upvaluesStart, upvalueCount: count)
    }

    /// The template's one inner function, whose `upvalueCount` upvalues are the main function's
    /// first locals.
    static func template(in bytes: [UInt8], upvalueCount: Int) -> Template? {
        guard hasExpectedHeader(bytes) else { return nil }
        var reader = ChunkReader(bytes, at: headerSize + 1)
        guard reader.skipToUpvalues(), let mainUpvalues = reader.size(), reader.skip(3 * mainUpvalues),
              reader.size() == 1
        else { return nil }
        let innerStart = reader.position
        guard reader.skipToUpvalues(), reader.size() == upvalueCount else { return nil }
        let upvalues = reader.position..<(reader.position + 3 * upvalueCount)
        guard reader.skip(3 * upvalueCount), reader.size() == 0, reader.skipDebug() else { return nil }
        return Template(innerStart: innerStart, innerUpvalues: upvalues, innerEnd: reader.position)
    }

    private static func hasExpectedHeader(_ bytes: [UInt8]) -> Bool {
        // "\x1bLua", version 5.4, format 0, then the sizes of Instruction, lua_Integer, lua_Number.
        bytes.count > headerSize + 1 && bytes[0] == 0x1B && bytes[1] == 0x4C && bytes[2] == 0x75 && bytes[3] == 0x61
            && bytes[4] == 0x54 && bytes[5] == 0 && bytes[12] == 4 && bytes[13] == 8 && bytes[14] == 8
    }

    private mutating func byte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, position + count <= bytes.count else { return false }
        position += count
        return true
    }

    /// lundump's `loadSize`: 7 bits a byte, most significant first, the last byte marked 0x80.
    private mutating func size() -> Int? {
        var value = 0
        for _ in 0..<10 {
            guard let next = byte() else { return nil }
            value = (value << 7) | Int(next & 0x7F)
            if next & 0x80 != 0 { return value }
        }
        return nil
    }

    private mutating func skipString() -> Bool {
        guard let size = size() else { return false }
        return size == 0 || skip(size - 1)
    }

    /// From a function's start to its upvalue count: source, lines, three bytes, code, constants.
    private mutating func skipToUpvalues() -> Bool {
        guard skipString(), size() != nil, size() != nil, skip(3), let code = size(), skip(4 * code),
              let constants = size()
        else { return false }
        for _ in 0..<constants {
            switch byte() {
            case 0, 1, 17: continue  // nil, false, true
            case 3, 19: guard skip(8) else { return false }  // integer, float
            case 4, 20: guard skipString() else { return false }  // short, long string
            default: return false
            }
        }
        return true
    }

    /// A function's debug information: line info, absolute line info, locals, upvalue names.
    private mutating func skipDebug() -> Bool {
        guard let lines = size(), skip(lines), let absolute = size() else { return false }
        for _ in 0..<absolute { guard size() != nil, size() != nil else { return false } }
        guard let locals = size() else { return false }
        for _ in 0..<locals { guard skipString(), size() != nil, size() != nil else { return false } }
        guard let names = size() else { return false }
        for _ in 0..<names { guard skipString() else { return false } }
        return true
    }
}

private func appendBytes(_ L: OpaquePointer?, _ chunk: UnsafeRawPointer?, _ size: Int, _ ud: UnsafeMutableRawPointer?) -> Int32 {
    guard let ud, let chunk else { return 1 }
    let buffer = ud.assumingMemoryBound(to: [UInt8].self)
    let bytes = chunk.assumingMemoryBound(to: UInt8.self)
    for offset in 0..<size { buffer.pointee.append(bytes[offset]) }
    return 0
}
