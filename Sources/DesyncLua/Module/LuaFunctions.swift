import CLua

/// How the runtime pushes its Swift functions into a state.
enum LuaFunctions {
    static func push(_ function: desync_swift_function, onto L: OpaquePointer) {
        LuaSwiftFunction.push(function, onto: L)
    }

    /// Sets `table[name] = function` (raw) for each entry, on the table at the top of the stack.
    /// Each becomes the closure that its Swift function crosses into this state as.
    static func register(_ functions: [(String, desync_swift_function)], into L: OpaquePointer) {
        for (name, function) in functions {
            LuaStack(L).push(cString: name)
            push(function, onto: L)
            LuaSwiftFunction.registerAsModuleFunction(function, at: -1, in: L)
            LuaStack(L).rawSet(-3)
        }
    }
}
