import CLua

/// Readable text for a Lua value (`desync.show`, and the REPL's results): tables as Lua table
/// constructors (`{ "a", "b", n = 1 }`) to a small depth, long ones cut with `...`, cycles marked
/// `<cycle>`, desync objects, futures and streams with their name and status
/// (`<desync.future counter pending>`).
///
/// Tables are walked raw (`lua_next`, `lua_rawget`): no `__index` or `__pairs` runs. A value
/// whose metatable has a `__tostring` shows as that function makes it, called under `lua_pcall`
/// (as `print` would; on error the raw text is shown instead).
public enum LuaValueText {
    /// How deep nested tables are shown before `{...}`.
    public static let defaultDepth = 3
    /// Entries of one table shown before `...`.
    static let maxEntries = 20
    /// Characters of a string inside a table shown before `...`.
    static let maxStringLength = 60

    /// The text of the value at `index` of `L`'s stack, tables shown `depth` levels deep.
    /// Never raises; the stack is left as it was.
    public static func describe(_ L: OpaquePointer, at index: Int32, depth: Int = defaultDepth) -> String {
        let absolute = LuaStack(L).absoluteIndex(index)
        var walk = Walk(L: L)
        return walk.text(at: absolute, depth: max(depth, 0), quoted: true)
    }

    /// `desync.show(v [, depth])`.
    static let function: desync_swift_function = { L in
        LuaCall.run(L, "show") { call in
            guard call.count >= 1 else { throw call.argumentError(1, "value expected") }
            var depth = defaultDepth
            if call.lua.type(at: 2) > LUA_TNIL {
                depth = try call.integer(2)
                guard depth >= 0 else { throw call.argumentError(2, "depth must be 0 or more") }
            }
            let text = describe(call.L, at: 1, depth: depth)
            call.lua.setTop(0)
            LuaBytes.push(text, onto: call.L)
            return 1
        }
    }

    private struct Walk {
        let L: OpaquePointer
        var lua: LuaStack { LuaStack(L) }
        /// The tables being shown, outermost first: meeting one again is a cycle.
        var path: [UnsafeRawPointer] = []

        mutating func text(at index: Int32, depth: Int, quoted: Bool) -> String {
            guard lua.reserve(6) else { return "..." }
            switch lua.type(at: index) {
            case LUA_TNIL: return "nil"
            case LUA_TBOOLEAN: return lua.boolean(at: index) ? "true" : "false"
            case LUA_TNUMBER: return number(at: index)
            case LUA_TSTRING: return quoted ? LuaValueText.quoted(string(at: index)) : string(at: index)
            case LUA_TUSERDATA:
                if let shared = LuaProxy.object(at: index, in: L) { return LuaValueText.describe(shared) }
                return converted(at: index) ?? raw(at: index)
            case LUA_TTABLE:
                if let text = converted(at: index) { return text }
                return table(at: index, depth: depth)
            default:
                return raw(at: index)
            }
        }

        private mutating func table(at index: Int32, depth: Int) -> String {
            guard let pointer = lua.pointer(at: index) else { return raw(at: index) }
            if path.contains(pointer) { return "<cycle>" }
            guard depth > 0 else { return "{...}" }
            path.append(pointer)
            defer { path.removeLast() }
            var entries: [String] = []
            var cut = false
            // The sequence 1, 2, ... first, as a constructor lists it; then the other keys.
            var length: lua_Integer = 0
            while lua.rawGet(index, index: length + 1) != LUA_TNIL {
                if entries.count == maxEntries {
                    cut = true
                    break
                }
                length += 1
                entries.append(text(at: lua.top, depth: depth - 1, quoted: true))
                lua.pop(1)
            }
            lua.pop(1)
            var keyed: [(key: String, text: String)] = []
            lua.pushNil()
            while !cut, lua.next(index) {
                let keyIndex = lua.top - 1
                if isSequenceKey(at: keyIndex, length: length) {
                    lua.pop(1)
                    continue
                }
                if entries.count + keyed.count == maxEntries {
                    cut = true
                    lua.pop(2)
                    break
                }
                let key = self.key(at: keyIndex, depth: depth)
                keyed.append((key, text(at: lua.top, depth: depth - 1, quoted: true)))
                lua.pop(1)
            }
            // Keys in a stable order (the hash part's is arbitrary): names, then the rest.
            keyed.sort { ($0.key.hasPrefix("[") ? 1 : 0, $0.key) < ($1.key.hasPrefix("[") ? 1 : 0, $1.key) }
            entries += keyed.map { "\($0.key) = \($0.text)" }
            if cut { entries.append("...") }
            return entries.isEmpty ? "{}" : "{ " + entries.joined(separator: ", ") + " }"
        }

        private func isSequenceKey(at index: Int32, length: lua_Integer) -> Bool {
            guard lua.type(at: index) == LUA_TNUMBER, lua.isInteger(at: index) else { return false }
            let key = lua.integer(at: index) ?? 0
            return key >= 1 && key <= length
        }

        private mutating func key(at index: Int32, depth: Int) -> String {
            if lua.type(at: index) == LUA_TSTRING {
                let name = string(at: index)
                if LuaValueText.isIdentifier(name) { return name }
            }
            return "[" + text(at: index, depth: depth - 1, quoted: true) + "]"
        }

        /// A number as `tostring` writes it, converted on a copy (the original keeps its type).
        private func number(at index: Int32) -> String {
            lua.pushValue(at: index)
            defer { lua.pop(1) }
            return string(at: -1)
        }

        private func string(at index: Int32) -> String {
            lua.string(at: index) ?? ""
        }

        /// The value's `__tostring` result, or nil without one (or when it fails).
        private func converted(at index: Int32) -> String? {
            guard lua.pushMetatable(index) else { return nil }
            lua.push("__tostring")
            let type = lua.rawGet(-2)
            lua.remove(at: -2)
            guard type == LUA_TFUNCTION else {
                lua.pop(1)
                return nil
            }
            lua.pushValue(at: index)
            defer { lua.pop(1) }
            guard lua.protectedCall(arguments: 1, results: 1) == LUA_OK, lua.type(at: -1) == LUA_TSTRING else { return nil }
            return string(at: -1)
        }

        /// `type: 0x...` as `tostring` writes it without metamethods (`__name` for the type).
        private func raw(at index: Int32) -> String {
            var kind = lua.typeName(at: index)
            if lua.pushMetatable(index) {
                lua.push("__name")
                if lua.rawGet(-2) == LUA_TSTRING { kind = string(at: -1) }
                lua.pop(2)
            }
            guard let pointer = lua.pointer(at: index) else { return kind }
            return "\(kind): 0x" + String(UInt(bitPattern: pointer), radix: 16)
        }
    }

    /// A desync object, future or stream with its name and status.
    static func describe(_ shared: any LuaSharedObject) -> String {
        switch shared {
        case let object as LuaObject:
            let pending = object.pending
            return "<desync.object \(object.name)\(pending > 0 ? ", \(pending) queued" : "")>"
        case let future as LuaFuture:
            return "<desync.future \(future.label) \(future.status)>"
        case let stream as LuaStream:
            return "<desync.stream \(stream.isClosed ? "closed" : "open"), \(stream.count) queued>"
        default:
            return "<\(type(of: shared).luaTypeName)>"
        }
    }

    /// A Lua identifier that is not a keyword: it can be written as `name = value`.
    public static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        let valid = text.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
        return valid && !keywords.contains(text)
    }

    /// Lua's reserved words.
    public static let keywords: Set<String> = [
        "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
        "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
    ]

    /// A string as a Lua literal, cut after `maxStringLength` characters.
    static func quoted(_ text: String) -> String {
        var body = ""
        for (offset, character) in text.enumerated() {
            if offset == maxStringLength {
                return "\"" + body + "\"..."
            }
            switch character {
            case "\"": body += "\\\""
            case "\\": body += "\\\\"
            case "\n": body += "\\n"
            case "\r": body += "\\r"
            case "\t": body += "\\t"
            default:
                if let ascii = character.asciiValue, ascii < 32 || ascii == 127 {
                    // Three digits: a digit after the escape must not extend it.
                    body += "\\" + String(String(Int(ascii) + 1000).dropFirst())
                } else {
                    body.append(character)
                }
            }
        }
        return "\"" + body + "\""
    }
}
