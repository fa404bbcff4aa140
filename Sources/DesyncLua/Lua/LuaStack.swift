import CLua

/// Swift's hands on a Lua state: every raw Lua call the library and the host make from Swift goes
/// through here, and nothing here can raise a Lua error. A raise is a `longjmp`, and it must
/// never cross a Swift frame (it would skip Swift's releases and `defer`s); a Swift function
/// called from Lua reports its error by returning to the C trampoline, which raises once Swift
/// has returned (`LuaCall.run`, Sources/CLua/shim.h).
///
/// Why each kind of operation cannot raise:
/// - **Allocation** (pushing a string, a table, a userdata; growing a table; converting a number
///   to a string): desync's allocator never fails while Swift runs. An allocation may fail only
///   inside `protectedCall` (`desync_pcall`) or a job's resume, and not while a Swift function
///   called from there runs (the trampoline switches it off); outside, a refused `malloc` takes
///   memory from a reserve, then ends the process as Swift itself does (Sources/CLua/memory.h,
///   `LuaMemoryAccount`). A state without a memory record (tests' bare states) aborts instead.
///   An allocation may run a collection step, and so a `__gc` finalizer: Lua runs finalizers
///   protected and turns their errors into warnings.
/// - **Raw table access** (`rawGet`, `rawSet`, `next`, `rawLength`) runs no metamethod. The
///   tables are given by the caller and must be tables (Lua does not check; a non-table is a
///   programming error, not a raise). Setting raises in Lua only for a `nil` or NaN key, which
///   `rawSet(_:)` checks before it sets; the other setters' keys (strings, integers,
///   pointers) can be neither.
/// - **Reads** (`type`, `integer`, `number`, `boolean`, `userdata`, ...) convert without
///   metamethods, as `lua_tointegerx` and friends do.
/// - **Running Lua code** happens only in `protectedCall` and the loads, which return a status
///   with the error on the stack instead of raising.
/// - **Stack room**: Lua does not check that a push has room (a C function starts with
///   `LUA_MINSTACK`, 20 slots); `reserve` grows the stack and answers false when it cannot,
///   where `luaL_checkstack` would raise.
///
/// What is not here because it can raise: `lua_gettable`/`lua_settable`/`lua_getfield`/
/// `lua_setfield`/`lua_geti`/`lua_seti` (metamethods), `lua_len`, `lua_concat`, `lua_compare`,
/// `lua_arith`, `lua_call`, `lua_error` and every `luaL_check*`/`luaL_error`. Code that needs
/// one of them pushes a Lua function that does it and runs it with `protectedCall`.
///
/// A value type holding the state's pointer: every operation is a direct C call once inlined.
package struct LuaStack {
    /// The state (or coroutine) this stack belongs to.
    package let state: OpaquePointer

    @inlinable @inline(__always)
    package init(state: OpaquePointer) { self.state = state }

    @inlinable @inline(__always)
    package init(_ state: OpaquePointer) { self.state = state }

    // MARK: - Stack

    /// The index of the top value, which is the number of values on the stack.
    @inlinable @inline(__always)
    package var top: Int32 { lua_gettop(state) }

    /// Sets the top (pads with nils when it grows). Popping a to-be-closed slot would run
    /// `__close`: desync never marks a slot to-be-closed from Swift.
    @inlinable @inline(__always)
    package func setTop(_ index: Int32) { lua_settop(state, index) }

    @inlinable @inline(__always)
    package func pop(_ count: Int32 = 1) { lua_settop(state, -count - 1) }

    /// Moves the top value to `index`, shifting the values above up.
    @inlinable @inline(__always)
    package func insert(at index: Int32) { desync_insert(state, index) }

    /// Removes the value at `index`, shifting the values above down.
    @inlinable @inline(__always)
    package func remove(at index: Int32) { desync_remove(state, index) }

    /// Pops the top value into `index`.
    @inlinable @inline(__always)
    package func replace(at index: Int32) { desync_replace(state, index) }

    /// Rotates the values from `index` to the top by `count` positions towards the top.
    @inlinable @inline(__always)
    package func rotate(_ index: Int32, by count: Int32) { lua_rotate(state, index, count) }

    /// `index` as an absolute (positive) index; pseudo-indices are returned unchanged.
    @inlinable @inline(__always)
    package func absoluteIndex(_ index: Int32) -> Int32 { lua_absindex(state, index) }

    /// False when the stack cannot grow by `count` slots: `lua_checkstack` reports it, where
    /// `luaL_checkstack` would raise. Growing allocates (see the type's note on allocation).
    @inlinable @inline(__always)
    package func reserve(_ count: Int32) -> Bool { lua_checkstack(state, count) != 0 }

    /// The pseudo-index of the running C function's upvalue `number` (1-based).
    @inlinable @inline(__always)
    package static func upvalueIndex(_ number: Int32) -> Int32 { desync_upvalueindex(number) }

    // MARK: - Pushes (each needs one free slot; they allocate, which cannot fail here)

    /// Pushes the whole string, embedded zero bytes included.
    @inlinable
    package func push(_ string: String) {
        var string = string
        string.withUTF8 { bytes in _ = lua_pushlstring(state, bytes.baseAddress, bytes.count) }
    }

    /// Pushes the zero-terminated C string (a Swift `String` argument stops at its first zero
    /// byte, as `lua_pushstring` reads it).
    @inlinable @inline(__always)
    package func push(cString: UnsafePointer<CChar>) { _ = lua_pushstring(state, cString) }

    /// Pushes `count` bytes as a string.
    @inlinable @inline(__always)
    package func push(bytes: UnsafeRawPointer?, count: Int) {
        _ = lua_pushlstring(state, bytes?.assumingMemoryBound(to: CChar.self), count)
    }

    @inlinable @inline(__always)
    package func push(_ value: Bool) { lua_pushboolean(state, value ? 1 : 0) }

    @inlinable @inline(__always)
    package func push(integer: lua_Integer) { lua_pushinteger(state, integer) }

    @inlinable @inline(__always)
    package func push(number: lua_Number) { lua_pushnumber(state, number) }

    @inlinable @inline(__always)
    package func pushNil() { lua_pushnil(state) }

    @inlinable @inline(__always)
    package func push(lightUserdata pointer: UnsafeMutableRawPointer?) { lua_pushlightuserdata(state, pointer) }

    /// Pushes a copy of the value at `index`.
    @inlinable @inline(__always)
    package func pushValue(at index: Int32) { lua_pushvalue(state, index) }

    /// Pushes a new table with room for `array` sequence items and `fields` other fields.
    @inlinable @inline(__always)
    package func newTable(array: Int32 = 0, fields: Int32 = 0) { lua_createtable(state, array, fields) }

    /// Pushes a new full userdata of `size` bytes with one user value; returns its memory.
    @inlinable @inline(__always)
    package func newUserdata(size: Int) -> UnsafeMutableRawPointer { desync_newuserdata(state, size)! }

    /// Pushes a Lua function calling `function` through the shim's trampoline, taking `upvalues`
    /// values from the top as its upvalues 2... (`LuaSwiftFunction.push` is the library's way).
    @inlinable @inline(__always)
    package func pushSwiftFunction(_ function: desync_swift_function, upvalues: Int32) {
        desync_pushswiftfunction(state, function, upvalues)
    }

    /// Pushes the message handler of desync's jobs (a C function: pushing it allocates nothing).
    @inlinable @inline(__always)
    package func pushTracebackHandler() { desync_pushtraceback(state) }

    /// Pushes the message handler that appends a failed coroutine's traceback to its string error
    /// (called under `plainProtectedCall` with the coroutine and the error; a C function: pushing
    /// it allocates nothing).
    @inlinable @inline(__always)
    package func pushCoroutineTracebackHandler() { desync_pushcoroutinetraceback(state) }

    /// Pushes the global table (read from the registry, raw).
    @inlinable @inline(__always)
    package func pushGlobals() { _ = lua_rawgeti(state, DESYNC_LUA_REGISTRYINDEX, lua_Integer(DESYNC_LUA_RIDX_GLOBALS)) }

    /// Pushes the main thread of the state (read from the registry, raw).
    @inlinable @inline(__always)
    package func pushMainThread() { _ = lua_rawgeti(state, DESYNC_LUA_REGISTRYINDEX, lua_Integer(DESYNC_LUA_RIDX_MAINTHREAD)) }

    // MARK: - Reads (no metamethods, no raise)

    /// The type of the value at `index` (`LUA_TNONE` for an index past the top).
    @inlinable @inline(__always)
    package func type(at index: Int32) -> Int32 { lua_type(state, index) }

    /// The name of a type code (`LUA_TNIL`...), as `type()` gives it.
    @inlinable
    package func typeName(of type: Int32) -> String { String(cString: lua_typename(state, type)) }

    /// The name of the type of the value at `index`, ignoring `__name`.
    @inlinable
    package func typeName(at index: Int32) -> String { typeName(of: lua_type(state, index)) }

    /// The integer at `index`, or a float or string with an exact integer value, as
    /// `lua_tointegerx` converts it (strings are read, not changed); nil otherwise.
    @inlinable @inline(__always)
    package func integer(at index: Int32) -> lua_Integer? {
        var isInteger: Int32 = 0
        let value = lua_tointegerx(state, index, &isInteger)
        return isInteger != 0 ? value : nil
    }

    /// The number at `index`, or a string that converts to one; nil otherwise.
    @inlinable @inline(__always)
    package func number(at index: Int32) -> lua_Number? {
        var isNumber: Int32 = 0
        let value = lua_tonumberx(state, index, &isNumber)
        return isNumber != 0 ? value : nil
    }

    /// The integer of a value the caller knows is an integer (`isInteger(at:)`), without
    /// `integer(at:)`'s flag: `lua_tointegerx` gives 0 for anything else.
    @inlinable @inline(__always)
    package func integerValue(at index: Int32) -> lua_Integer { lua_tointegerx(state, index, nil) }

    /// The number of a value the caller knows is a number, without `number(at:)`'s flag:
    /// `lua_tonumberx` gives 0 for anything else.
    @inlinable @inline(__always)
    package func numberValue(at index: Int32) -> lua_Number { lua_tonumberx(state, index, nil) }

    /// True for a number with an integer representation (subtype integer).
    @inlinable @inline(__always)
    package func isInteger(at index: Int32) -> Bool { lua_isinteger(state, index) != 0 }

    /// True for a C function (a Swift function is one).
    @inlinable @inline(__always)
    package func isCFunction(at index: Int32) -> Bool { lua_iscfunction(state, index) != 0 }

    /// The value's truth, as `if` sees it: false only for nil and false.
    @inlinable @inline(__always)
    package func boolean(at index: Int32) -> Bool { lua_toboolean(state, index) != 0 }

    /// The memory of a full userdata, the pointer of a light one; nil for other values.
    @inlinable @inline(__always)
    package func userdata(at index: Int32) -> UnsafeMutableRawPointer? { lua_touserdata(state, index) }

    /// A pointer identifying a table, function, thread or userdata (for display and identity).
    @inlinable @inline(__always)
    package func pointer(at index: Int32) -> UnsafeRawPointer? { lua_topointer(state, index) }

    /// The coroutine at `index`, or nil.
    @inlinable @inline(__always)
    package func thread(at index: Int32) -> OpaquePointer? { lua_tothread(state, index) }

    /// True when the two values are primitively equal (no `__eq`).
    @inlinable @inline(__always)
    package func rawEqual(_ first: Int32, _ second: Int32) -> Bool { lua_rawequal(state, first, second) != 0 }

    /// The bytes of a string value, valid while the value stays on the stack; nil for other
    /// values (a number is not converted).
    @inlinable @inline(__always)
    package func stringBytes(at index: Int32) -> UnsafeRawBufferPointer? {
        guard lua_type(state, index) == LUA_TSTRING else { return nil }
        var length = 0
        guard let pointer = lua_tolstring(state, index, &length) else { return nil }
        return UnsafeRawBufferPointer(start: pointer, count: length)
    }

    /// The bytes of a value the caller knows is a string, without `stringBytes(at:)`'s type
    /// check (the copying of values reads each string this way); valid while the value stays on
    /// the stack. On a number, `lua_tolstring` would convert the slot in place (see `bytes(at:)`).
    @inlinable @inline(__always)
    package func bytesOfString(at index: Int32) -> UnsafeRawBufferPointer? {
        var length = 0
        guard let pointer = lua_tolstring(state, index, &length) else { return nil }
        return UnsafeRawBufferPointer(start: pointer, count: length)
    }

    /// The bytes of a string or number value (a number is converted as `tostring` would, in
    /// place: the slot becomes a string, so never call this on a key that `next` will read).
    /// The conversion allocates, which cannot fail here.
    package func bytes(at index: Int32) -> [UInt8]? {
        let type = lua_type(state, index)
        guard type == LUA_TSTRING || type == LUA_TNUMBER else { return nil }
        var length = 0
        guard let pointer = lua_tolstring(state, index, &length) else { return nil }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    /// The text of a string or number value, converted in place as `bytes(at:)` does; bytes that
    /// are not UTF-8 are repaired.
    package func string(at index: Int32) -> String? {
        let type = lua_type(state, index)
        guard type == LUA_TSTRING || type == LUA_TNUMBER else { return nil }
        var length = 0
        guard let pointer = lua_tolstring(state, index, &length) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    // MARK: - Raw table access (the table must be a table; no metamethods)

    /// Pops a key and pushes `table[key]`; returns its type.
    @inlinable @inline(__always) @discardableResult
    package func rawGet(_ table: Int32) -> Int32 { lua_rawget(state, table) }

    /// Pushes `table[index]`; returns its type.
    @inlinable @inline(__always) @discardableResult
    package func rawGet(_ table: Int32, index: lua_Integer) -> Int32 { lua_rawgeti(state, table, index) }

    /// Pushes `table[pointer]` (a light userdata key); returns its type.
    @inlinable @inline(__always) @discardableResult
    package func rawGet(_ table: Int32, pointer: UnsafeRawPointer?) -> Int32 { lua_rawgetp(state, table, pointer) }

    /// Pushes `table[key]` for a string key; returns its type.
    @inlinable @discardableResult
    package func rawGet(_ table: Int32, field key: String) -> Int32 {
        let table = lua_absindex(state, table)
        push(key)
        return lua_rawget(state, table)
    }

    /// Pops a value and a key (the value on top) into `table[key]`. Lua raises for a nil or NaN
    /// key: such a pair is popped and dropped instead, and the answer is false.
    @inlinable @discardableResult
    package func rawSet(_ table: Int32) -> Bool {
        switch lua_type(state, -2) {
        case LUA_TNIL:
            lua_settop(state, -3)
            return false
        case LUA_TNUMBER where lua_isinteger(state, -2) == 0:
            let key = lua_tonumberx(state, -2, nil)
            if key != key {
                lua_settop(state, -3)
                return false
            }
        default:
            break
        }
        lua_rawset(state, table)
        return true
    }

    /// `rawSet(_:)` without its check, for a key the caller knows is neither nil nor NaN (the two
    /// keys for which `lua_rawset` raises): a string, a table, a function, or a key read from a
    /// table (no table holds nil or NaN keys). Each caller says why its key is one of these.
    @inlinable @inline(__always)
    package func rawSetValidKey(_ table: Int32) { lua_rawset(state, table) }

    /// Pops a value into `table[index]` (an integer key cannot be nil or NaN).
    @inlinable @inline(__always)
    package func rawSet(_ table: Int32, index: lua_Integer) { lua_rawseti(state, table, index) }

    /// Pops a value into `table[pointer]` (a light userdata key cannot be nil or NaN).
    @inlinable @inline(__always)
    package func rawSet(_ table: Int32, pointer: UnsafeRawPointer?) { lua_rawsetp(state, table, pointer) }

    /// Pops a value into `table[key]` for a string key (never nil or NaN).
    @inlinable
    package func rawSet(_ table: Int32, field key: String) {
        let table = lua_absindex(state, table)
        push(key)
        lua_rotate(state, -2, 1)  // key, value
        lua_rawset(state, table)
    }

    /// Pops the top value into `table[key]`; `tableIndex` must be absolute (the host's name).
    @inlinable
    package func setField(of tableIndex: Int32, _ key: String) { rawSet(tableIndex, field: key) }

    /// The length of a string or userdata, or the border of a table as `#` finds it without
    /// `__len`.
    @inlinable @inline(__always)
    package func rawLength(_ index: Int32) -> Int { Int(lua_rawlen(state, index)) }

    /// Pops a key and pushes the next key and value of `table` after it (start with nil); false,
    /// with nothing pushed, at the end. Lua raises only for a key that is not in the table, so
    /// between two steps the loop must keep the key as it is (never `bytes(at:)`/`string(at:)`
    /// on a number key, which converts it in place) and must not add fields to the table
    /// (changing or clearing existing ones is allowed).
    @inlinable @inline(__always)
    package func next(_ table: Int32) -> Bool { lua_next(state, table) != 0 }

    /// Pushes the metatable of the value at `index` and returns true, or pushes nothing.
    @inlinable @inline(__always)
    package func pushMetatable(_ index: Int32) -> Bool { lua_getmetatable(state, index) != 0 }

    /// Pops a table (or nil) and makes it the metatable of the value at `index`. Setting one
    /// with `__gc` only marks the value for finalization.
    @inlinable @inline(__always)
    package func setMetatable(_ index: Int32) { _ = lua_setmetatable(state, index) }

    /// Pushes upvalue `number` of the function at `function` and returns true; false with
    /// nothing pushed when it has none.
    @inlinable @inline(__always)
    package func pushUpvalue(of function: Int32, _ number: Int32) -> Bool {
        lua_getupvalue(state, function, number) != nil
    }

    // MARK: - Registry

    /// Pushes the global `_G[name]` (raw); returns its type.
    @discardableResult
    package func pushGlobal(_ name: String) -> Int32 {
        pushGlobals()
        push(name)
        let type = lua_rawget(state, -2)
        desync_remove(state, -2)
        return type
    }

    /// Pops the top value into `_G[name]` (raw).
    package func setGlobal(_ name: String) {
        pushGlobals()
        push(name)
        lua_rotate(state, -3, -1)  // globals, name, value
        lua_rawset(state, -3)
        pop()
    }

    /// Pushes `registry[key]`; returns its type.
    @inlinable @discardableResult
    package func pushRegistryValue(_ key: String) -> Int32 {
        push(key)
        return lua_rawget(state, DESYNC_LUA_REGISTRYINDEX)
    }

    /// Pops the top value into `registry[key]`.
    @inlinable
    package func setRegistryValue(_ key: String) { rawSet(DESYNC_LUA_REGISTRYINDEX, field: key) }

    /// Pushes `package.loaded[name]`, read raw from the registry's `_LOADED`, and returns its
    /// type; pushes nil when `_LOADED` is not a table.
    @inlinable @discardableResult
    package func pushLoaded(_ name: String) -> Int32 {
        guard pushRegistryValue(LUA_LOADED_TABLE) == LUA_TTABLE else {
            lua_settop(state, -2)
            lua_pushnil(state)
            return LUA_TNIL
        }
        let type = rawGet(-1, field: name)
        desync_remove(state, -2)
        return type
    }

    /// Pops the top value into a new reference in `table` (`luaL_ref`) and returns it
    /// (`LUA_REFNIL` for nil). Needs one free slot. In every Lua 5.4 release `luaL_ref` reads
    /// and writes the table with `lua_rawgeti`/`lua_rawseti` only (integer keys, no
    /// metamethods), so it cannot raise; the table's growth allocates, which cannot fail here.
    @inlinable @inline(__always)
    package func reference(in table: Int32) -> Int32 { luaL_ref(state, table) }

    /// Frees a reference made by `reference(in:)` (`luaL_unref`: `lua_rawgeti`/`lua_rawseti`
    /// with integer keys, so it cannot raise). Needs one free slot.
    @inlinable @inline(__always)
    package func release(_ reference: Int32, in table: Int32) { luaL_unref(state, table, reference) }

    // MARK: - Running Lua (protected: errors come back as a status)

    /// Calls the function below its `arguments` on top of the stack through `desync_pcall`,
    /// the one way desync runs Lua code (and the only place where an allocation may fail).
    /// Returns `LUA_OK` with the results in place of the function and its arguments, or an
    /// error status with the error value (passed through `handler`, a stack index, when not 0).
    @inlinable @inline(__always)
    package func protectedCall(arguments: Int32, results: Int32, handler: Int32 = 0) -> Int32 {
        desync_pcall(state, arguments, results, handler)
    }

    /// `protectedCall` for work a state would have done when it was made, before its memory
    /// limit applied (opening a standard library on first use, `LazyLibraries`): plain
    /// `lua_pcall`, so the allocations stay unable to fail, as they are while Swift runs.
    @inlinable @inline(__always)
    package func protectedCallOutsideLimit(arguments: Int32, results: Int32) -> Int32 {
        lua_pcallk(state, arguments, results, 0, 0, nil)
    }

    /// Compiles `source` and pushes the function, or the error message; returns the status.
    /// `lua_load` runs the parser protected, so a syntax error is a status, not a raise.
    /// `mode` is "t" (text), "b" (binary) or nil (both).
    @inlinable
    package func load(_ source: String, name: String, mode: String? = nil) -> Int32 {
        var source = source
        return source.withUTF8 { bytes in
            luaL_loadbufferx(state, UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self),
                             bytes.count, name, mode)
        }
    }

    /// Compiles `bytes` (text or a binary chunk, as `mode` allows: "t", "b" or nil for both) and
    /// pushes the function, or the error message; returns the status (`luaL_loadbufferx`, which
    /// parses or undumps protected). C strings for the name and mode, so a literal costs no
    /// conversion on the transfer's path.
    @inlinable @inline(__always)
    package func load(bytes: UnsafeRawBufferPointer, name: UnsafePointer<CChar>, mode: UnsafePointer<CChar>?) -> Int32 {
        luaL_loadbufferx(state, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count, name, mode)
    }

    /// `luaL_loadstring`: compiles `source` up to its first zero byte, the source itself being
    /// the chunk's name, and pushes the function or the error message; returns the status.
    @inlinable
    package func loadString(_ source: String) -> Int32 { luaL_loadstring(state, source) }

    /// Compiles the file at `path` (standard input when nil) and pushes the function, or the
    /// error message; returns the status (`LUA_ERRFILE` when it cannot be read).
    package func loadFile(_ path: String?) -> Int32 { luaL_loadfilex(state, path, nil) }

    /// Like `protectedCall`, with plain `lua_pcall`: allocations keep failing or not as they
    /// did before the call, so outside `protectedCall` none fails (a job's error handling uses
    /// it to leave a failed coroutine's garbage alone until the coroutine is cleared).
    @inlinable @inline(__always)
    package func plainProtectedCall(arguments: Int32, results: Int32, handler: Int32 = 0) -> Int32 {
        lua_pcallk(state, arguments, results, handler, 0, nil)
    }

    /// Runs the coroutine `state` from `from` (`desync_resume`: protected, and an allocation
    /// may fail inside as in `protectedCall`); returns the status and the number of results.
    @inlinable @inline(__always)
    package func resume(from: OpaquePointer, arguments: Int32) -> (status: Int32, results: Int32) {
        var results: Int32 = 0
        let status = desync_resume(state, from, arguments, &results)
        return (status, results)
    }

    /// Closes a coroutine that ended with an error (`desync_resetthread`): its pending `__close`
    /// handlers run protected. Returns the status.
    @inlinable @inline(__always)
    package func resetThread(from: OpaquePointer) -> Int32 { desync_resetthread(state, from) }

    /// Before a job's first slice on this coroutine, in a state with a memory limit: makes the
    /// stack room and call record starting the job needs while nothing may fail
    /// (`desync_prepare_coroutine`: it grows the stack with `lua_checkstack` and calls a C function
    /// that does nothing under `lua_pcall`, outside protection, where no allocation fails).
    @inlinable @inline(__always)
    package func prepareCoroutine() { desync_prepare_coroutine(state) }

    /// True when the running coroutine can yield.
    @inlinable @inline(__always)
    package var isYieldable: Bool { desync_yieldable(state) != 0 }

    /// Lets the collector take the step its debt calls for, as Lua does after its own
    /// allocations. `lua_concat` of 0 values pushes the empty string (nothing to concatenate,
    /// so no `__concat`) and then checks the debt; a step's finalizers run protected.
    @inlinable @inline(__always)
    package func collectorStep() {
        lua_concat(state, 0)
        lua_settop(state, -2)
    }

    // MARK: - Coroutines and functions

    /// Pushes a new coroutine and returns it (allocation only).
    @inlinable @inline(__always)
    package func newThread() -> OpaquePointer { lua_newthread(state)! }

    /// Pushes this coroutine itself; true when it is the state's main thread.
    @inlinable @inline(__always) @discardableResult
    package func pushThread() -> Bool { lua_pushthread(state) != 0 }

    /// Pops `count` values and pushes them onto `other`, a coroutine of the same state.
    @inlinable @inline(__always)
    package func move(_ count: Int32, to other: OpaquePointer) { lua_xmove(state, other, count) }

    /// Pushes a C closure with `upvalues` values from the top (allocation only).
    @inlinable @inline(__always)
    package func pushCFunction(_ function: lua_CFunction, upvalues: Int32 = 0) { lua_pushcclosure(state, function, upvalues) }

    /// The C function at `index`, or nil.
    @inlinable @inline(__always)
    package func cFunction(at index: Int32) -> lua_CFunction? { lua_tocfunction(state, index) }

    /// Pushes upvalue `number` of the function at `function` and returns its name ("" for a C
    /// function's); nil with nothing pushed when it has none. The name lives as long as the
    /// function.
    @inlinable @inline(__always)
    package func pushUpvalueNamed(of function: Int32, _ number: Int32) -> UnsafePointer<CChar>? {
        lua_getupvalue(state, function, number)
    }

    /// Pops a value into upvalue `number` of the function at `function`; false (and nothing
    /// popped) when it has no such upvalue.
    @inlinable @inline(__always)
    package func setUpvalue(of function: Int32, _ number: Int32) -> Bool {
        lua_setupvalue(state, function, number) != nil
    }

    /// The identity of upvalue `number` of the function at `function` (shared upvalues have
    /// the same one), or nil.
    @inlinable @inline(__always)
    package func upvalueID(of function: Int32, _ number: Int32) -> UnsafeMutableRawPointer? {
        lua_upvalueid(state, function, number)
    }

    /// Makes upvalue `number` of the Lua function at `function` refer to upvalue `other` of the
    /// Lua function at `otherFunction`.
    @inlinable @inline(__always)
    package func joinUpvalue(of function: Int32, _ number: Int32, to otherFunction: Int32, _ other: Int32) {
        lua_upvaluejoin(state, function, number, otherFunction, other)
    }

    /// Pushes user value 1 of the full userdata at `index`; returns its type.
    @inlinable @inline(__always) @discardableResult
    package func pushUserValue(of index: Int32) -> Int32 { desync_getuservalue(state, index) }

    /// Pops a value into user value 1 of the full userdata at `index`.
    @inlinable @inline(__always)
    package func setUserValue(of index: Int32) { _ = desync_setuservalue(state, index) }

    /// Writes the Lua function on top as a binary chunk through `writer` (`lua_dump` runs no
    /// Lua code); returns the writer's first non-zero answer, or 0.
    @inlinable @inline(__always)
    package func dump(strip: Bool, writer: lua_Writer, data: UnsafeMutableRawPointer?) -> Int32 {
        lua_dump(state, writer, data, strip ? 1 : 0)
    }

    /// Hands `message` to the state's warning function (`lua_warning`), a piece of a longer
    /// warning when `continues`. desync never replaces the stock one (lauxlib's), which only
    /// prints or, for a control message such as "@on", switches itself: it never raises.
    @inlinable
    package func warn(_ message: String, continues: Bool = false) { lua_warning(state, message, continues ? 1 : 0) }

    /// Sets the debug hook (`lua_sethook`: it only stores it).
    @inlinable @inline(__always)
    package func setHook(_ hook: lua_Hook?, mask: Int32, count: Int32) { lua_sethook(state, hook, mask, count) }

    // MARK: - Debug information

    /// `chunk:line` of the function `level` calls up (1: the caller of the running C function),
    /// or nil when there is none or it has no line. `lua_getinfo` with "Sl" pushes nothing.
    package func position(level: Int32) -> (source: String, line: Int32)? {
        var record = lua_Debug()
        guard lua_getstack(state, level, &record) != 0, lua_getinfo(state, "Sl", &record) != 0,
              record.currentline > 0
        else { return nil }
        let source = withUnsafeBytes(of: &record.short_src) { bytes in
            String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return (source, record.currentline)
    }

    // MARK: - The state

    /// The pointer-sized slot Lua keeps before every state and copies to its coroutines, where
    /// desync keeps the state's Swift context.
    @inlinable @inline(__always)
    package var extraSpace: UnsafeMutablePointer<UnsafeMutableRawPointer?> { desync_extraspace(state) }

    /// A new state with the standard libraries (with only the base and string libraries when
    /// `allLibraries` is false: an object's state, see `LazyLibraries`), its memory counted in
    /// `memory` (which must outlive it); nil when Lua cannot make one. The only maker of states,
    /// and not inlinable: the allocator's memory reserve exists once per object file that takes
    /// the allocator's address (memory.h), so every state must be made by this one function.
    package static func newState(memory: UnsafeMutablePointer<desync_memory>, allLibraries: Bool = true) -> LuaStack? {
        (allLibraries ? desync_newstate_with_memory(memory) : desync_newstate_minimal_with_memory(memory))
            .map(LuaStack.init(state:))
    }

    /// A state with the standard libraries whose memory is not counted and whose allocator
    /// aborts when memory runs out (a scratch state, or a test's); nil when Lua cannot make one.
    package static func newUncountedState() -> LuaStack? { desync_newstate().map(LuaStack.init(state:)) }

    /// Closes the state: pending to-be-closed variables and finalizers run protected (their
    /// errors become warnings), then every object is freed.
    package func close() { lua_close(state) }
}
