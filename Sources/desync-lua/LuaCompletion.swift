import CEditLine
import CLua
import DesyncLua
import Foundation

/// Tab completion of Lua names at the prompt: globals and keywords, fields after `.`
/// (`desync.sch` -> `desync.scheduler`), methods after `:` (on desync objects, futures and
/// streams, strings, tables whose metatable's `__index` is a table). Values are read raw, with
/// `lua_rawget`, `lua_next` and `lua_getmetatable`: completing never runs Lua code or a
/// metamethod, and never raises. An expression that only code could evaluate (`f().x`) gets no
/// candidates.
struct LuaCompletion {
    let lua: LuaStack

    /// How many `__index` tables are followed for fields and methods.
    private static let indexChainLimit = 4

    /// The candidates for `word`, which follows `before` on the line; sorted, without repeats.
    func candidates(before: String, word: String) -> [String] {
        let base = lua.top
        defer { lua.setTop(base) }
        guard lua.reserve(8) else { return [] }
        guard let separator = before.last, separator == "." || separator == ":" else {
            // A name on its own: not after something that could end an expression.
            if let previous = before.last(where: { !$0.isWhitespace }), [")", "]", "}", "\"", "'"].contains(previous) {
                return []
            }
            lua.pushGlobals()
            var names = Set(keys(ofTableAt: lua.top, functionsOnly: false))
            names.formUnion(LuaValueText.keywords)
            return names.filter { $0.hasPrefix(word) }.sorted()
        }
        guard let path = Self.namePath(before.dropLast()), pushValue(at: path) else { return [] }
        let names = separator == "." ? fields(ofValueAt: lua.top) : methods(ofValueAt: lua.top)
        return Set(names).filter { $0.hasPrefix(word) }.sorted()
    }

    /// `a.b.c` at the end of `text` as ["a", "b", "c"]; nil when what ends `text` is not a chain
    /// of names (a call, an index with brackets, a string).
    static func namePath(_ text: Substring) -> [String]? {
        let identifierCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_"))
        var chain = ""
        for character in text.reversed() {
            guard character.unicodeScalars.allSatisfy({ identifierCharacters.contains($0) && $0.isASCII }) || character == "."
            else {
                if [")", "]", "}", "\"", "'", ":"].contains(character) { return nil }
                break
            }
            chain.insert(character, at: chain.startIndex)
        }
        let names = chain.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !names.isEmpty, names.allSatisfy(LuaValueText.isIdentifier) else { return nil }
        return names
    }

    /// Pushes `_G[path[0]][path[1]]...`, read raw; false (nothing pushed) when a step is not a
    /// table or a name is missing.
    private func pushValue(at path: [String]) -> Bool {
        lua.pushGlobals()
        for name in path {
            guard lua.type(at: -1) == LUA_TTABLE else {
                lua.pop()
                return false
            }
            lua.push(name)
            lua.rawGet(-2)
            lua.remove(at: -2)
        }
        guard lua.type(at: -1) != LUA_TNIL else {
            lua.pop()
            return false
        }
        return true
    }

    /// The names after `value.`: a table's own fields and those of its `__index` tables.
    private func fields(ofValueAt index: Int32) -> [String] {
        guard lua.type(at: index) == LUA_TTABLE else { return [] }
        return keys(ofTableAt: index, functionsOnly: false) + indexTableKeys(of: index, functionsOnly: false)
    }

    /// The names after `value:`: functions among a table's own fields, and among those of the
    /// `__index` tables of any value's metatable (desync objects' methods, strings' functions).
    private func methods(ofValueAt index: Int32) -> [String] {
        var names = indexTableKeys(of: index, functionsOnly: true)
        if lua.type(at: index) == LUA_TTABLE { names += keys(ofTableAt: index, functionsOnly: true) }
        return names
    }

    /// Keys of the tables reached through `__index` from the value at `index` (raw reads).
    private func indexTableKeys(of index: Int32, functionsOnly: Bool) -> [String] {
        var names: [String] = []
        lua.pushValue(at: index)
        for _ in 0..<Self.indexChainLimit {
            guard lua.pushMetatable(-1) else { break }
            lua.push("__index")
            let type = lua.rawGet(-2)
            lua.remove(at: -2)  // the metatable
            lua.remove(at: -2)  // the value it belonged to
            guard type == LUA_TTABLE else { break }
            names += keys(ofTableAt: lua.top, functionsOnly: functionsOnly)
        }
        lua.pop()
        return names
    }

    /// The keys of the table at `index` that are Lua names (raw walk).
    private func keys(ofTableAt index: Int32, functionsOnly: Bool) -> [String] {
        let absolute = lua.absoluteIndex(index)
        var names: [String] = []
        lua.pushNil()
        while lua.next(absolute) {
            let isFunction = lua.type(at: -1) == LUA_TFUNCTION
            lua.pop()
            // lua_tolstring would turn a number key into a string and break the walk: strings only.
            guard lua.type(at: -1) == LUA_TSTRING, !functionsOnly || isFunction,
                  let name = lua.string(at: -1), LuaValueText.isIdentifier(name)
            else { continue }
            names.append(name)
        }
        return names
    }
}

/// Connects `LuaCompletion` to libedit, whose completion function is a C function pointer.
final class CompletionHook: @unchecked Sendable {
    // @unchecked: `completion` is set before the REPL reads its first line and used only on the
    // host's thread, inside libedit's readline.
    static let shared = CompletionHook()
    private var completion: LuaCompletion?

    /// Tab completes Lua names in `lua`'s globals from now on. Before libedit's first use.
    func install(for lua: LuaStack) {
        completion = LuaCompletion(lua: lua)
        desync_edit_set_completion { text, start, _ in
            desync_edit_completion_over()
            guard let text else { return nil }
            return CompletionHook.shared.matches(for: String(cString: text), start: Int(start))
        }
    }

    /// libedit's array: the text to insert (the longest common prefix), then every candidate,
    /// then NULL; or NULL when there is none. libedit frees it.
    private func matches(for word: String, start: Int) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        guard let completion, let line = desync_edit_line() else { return nil }
        // libedit counts `start` in characters of the line (wide characters).
        let before = String(String.UnicodeScalarView(String(cString: line).unicodeScalars.prefix(start)))
        let candidates = completion.candidates(before: before, word: word)
        guard !candidates.isEmpty else { return nil }
        let common = candidates.dropFirst().reduce(candidates[0]) { prefix, name in
            String(zip(prefix, name).prefix { $0 == $1 }.map(\.0))
        }
        // A single candidate is listed too: libedit reads the entry after the first.
        let entries = [common] + candidates
        // malloc, not Swift's allocator: libedit releases the array with free.
        let size = MemoryLayout<UnsafeMutablePointer<CChar>?>.stride * (entries.count + 1)
        guard let memory = malloc(size) else { return nil }
        let array = memory.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: entries.count + 1)
        for (offset, entry) in entries.enumerated() { array[offset] = strdup(entry) }
        array[entries.count] = nil
        return array
    }
}
