import CLua

/// A Lua-facing misuse or failure, raised in Lua by the trampoline once Swift has returned.
struct LuaError: Error {
    let message: String
    /// Prefix the message with the calling Lua code's `chunk:line:`, as `luaL_error` does.
    var withPosition = true

    /// Ctrl-C stopped a wait, as `lua` reports it: no position.
    static let interrupted = LuaError(message: "interrupted!", withPosition: false)
}

/// A raised value other than a string message (a job's error table, say), already captured.
struct LuaRaisedValue: Error {
    let value: LuaCargo
}

/// The arguments of one call from Lua into Swift, with checks that report misuse the way the Lua
/// auxiliary library does ("bad argument #1 to 'sync' (function expected, got number)") but never
/// raise from Swift: they throw, and `LuaCall.run` hands the message to the trampoline.
struct LuaCall {
    let L: OpaquePointer
    /// The Lua-visible name of the function, for messages.
    let name: String
    /// Methods count `self` as argument 0 in messages, as `luaL_argerror` does for `obj:method()`.
    let isMethod: Bool

    /// The calling state's stack, through the non-raising layer.
    var lua: LuaStack { LuaStack(L) }

    var count: Int32 { lua.top }

    /// Runs `body` as the implementation of a Lua function: its return value is the number of
    /// results it pushed; a thrown `LuaError` becomes an error raised by the trampoline.
    static func run(
        _ L: OpaquePointer?, _ name: String, method: Bool = false,
        _ body: (LuaCall) throws -> Int32
    ) -> Int32 {
        let L = L!
        let lua = LuaStack(L)
        let call = LuaCall(L: L, name: name, isMethod: method)
        do {
            if LuaStateContext.hasPendingWork(L), let context = LuaStateContext.of(L) {
                try context.deliverPending(in: L)
            }
            return try body(call)
        } catch let error as LuaError {
            var message = error.message
            if error.withPosition { message = position(in: L) + message }
            lua.setTop(0)
            lua.push(cString: message)
            return -1
        } catch let raised as LuaRaisedValue {
            lua.setTop(0)
            raised.value.push(onto: L)
            return -1
        } catch {
            lua.setTop(0)
            lua.push(cString: position(in: L) + "\(error)")
            return -1
        }
    }

    /// `chunk:line: ` of the Lua function that called into Swift, or "" when unknown.
    static func position(in L: OpaquePointer) -> String {
        guard let (source, line) = LuaStack(L).position(level: 1) else { return "" }
        return "\(source):\(line): "
    }

    // MARK: - Argument checks

    func typeName(at index: Int32) -> String {
        if index > count { return "no value" }
        if let proxy = LuaProxy.object(at: index, in: L) {
            return type(of: proxy).luaTypeName
        }
        return lua.typeName(at: index)
    }

    func argumentError(_ index: Int32, _ detail: String) -> LuaError {
        if isMethod {
            if index == 1 { return LuaError(message: "calling '\(name)' on bad self (\(detail))") }
            return LuaError(message: "bad argument #\(index - 1) to '\(name)' (\(detail))")
        }
        return LuaError(message: "bad argument #\(index) to '\(name)' (\(detail))")
    }

    func typeError(_ index: Int32, expected: String) -> LuaError {
        argumentError(index, "\(expected) expected, got \(typeName(at: index))")
    }

    func shared<T: LuaSharedObject>(_ index: Int32, as type: T.Type) throws -> T {
        guard let object = LuaProxy.object(at: index, in: L, as: type) else {
            throw typeError(index, expected: T.luaTypeName)
        }
        return object
    }

    func checkFunction(_ index: Int32) throws {
        guard lua.type(at: index) == LUA_TFUNCTION else { throw typeError(index, expected: "function") }
    }

    /// A number, or a string that converts to one, as `luaL_checknumber` takes it (the
    /// conversion runs no metamethod and cannot raise).
    func number(_ index: Int32) throws -> Double {
        guard let value = lua.number(at: index) else { throw typeError(index, expected: "number") }
        return value
    }

    func optionalNumber(_ index: Int32) throws -> Double? {
        if lua.type(at: index) <= LUA_TNIL { return nil }
        return try number(index)
    }

    /// An integer, or a float or string with an integer value, as `luaL_checkinteger` takes it.
    func integer(_ index: Int32) throws -> Int {
        guard let value = lua.integer(at: index) else {
            if lua.number(at: index) != nil { throw argumentError(index, "number has no integer representation") }
            throw typeError(index, expected: "number")
        }
        return Int(value)
    }

    func string(_ index: Int32) -> String? {
        guard let bytes = lua.stringBytes(at: index) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Captures `count` values from `first` for another state, naming them from `firstNumber`.
    func capture(from first: Int32, count: Int32, naming: String = "argument", firstNumber: Int = 1) throws -> LuaCargo {
        // The flat capture first, without a `Result` around it: unwrapping one copied the cargo,
        // a retain and a release of each value in it.
        if let cargo = LuaCargo.captureFlat(from: L, first: first, count: max(count, 0)) { return cargo }
        switch LuaCargo.captureGraph(from: L, first: first, count: max(count, 0), describe: { "\(naming) \($0 - 1 + firstNumber)" }) {
        case .success(let cargo): return cargo
        case .failure(let error): throw LuaError(message: error.message)
        }
    }
}
