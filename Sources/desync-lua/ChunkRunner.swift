import CLua
import CLuaHost
import DesyncLua

/// Loads and runs Lua code in the host state, each run protected and with a traceback on error,
/// the way the stock `lua` runs its chunks. Ctrl-C interrupts what it runs.
struct ChunkRunner {
    let lua: LuaStack
    let interrupts: InterruptSignals?

    private static let messageHandlerKey = "desync-lua.message-handler"

    /// The message handler, in Lua so that it can raise nothing into Swift: a non-string error
    /// becomes its `__tostring` (without a traceback) or "(error object is a T value)", and a
    /// traceback is appended from the function that raised (level 2: level 1 is the handler).
    private static let messageHandlerSource = """
        local traceback, getmetatable, rawget, type, tostring = debug.traceback, debug.getmetatable, rawget, type, tostring
        return function(message)
          local kind = type(message)
          if kind == "number" then
            message = tostring(message)
          elseif kind ~= "string" then
            local metatable = getmetatable(message)
            local convert = metatable and rawget(metatable, "__tostring")
            if convert ~= nil then
              local converted = convert(message)
              if type(converted) == "string" then return converted end
            end
            message = "(error object is a " .. kind .. " value)"
          end
          return traceback(message, 2)
        end
        """

    init(lua: LuaStack, interrupts: InterruptSignals?) {
        self.lua = lua
        self.interrupts = interrupts
        let base = lua.top
        if load(Self.messageHandlerSource, chunkName: DESYNC_HOST_MESSAGE_HANDLER_NAME) == LUA_OK,
           lua.protectedCall(arguments: 0, results: 1) == LUA_OK {
            lua.setRegistryValue(Self.messageHandlerKey)
        }
        lua.setTop(base)
    }

    /// Pushes the compiled chunk, or the error message; returns the load status.
    func load(_ source: String, chunkName: String) -> Int32 {
        lua.load(source, name: chunkName)
    }

    /// Pushes the compiled file (standard input when `path` is nil), or the error message.
    func loadFile(_ path: String?) -> Int32 {
        lua.loadFile(path)
    }

    /// Calls the function below its `argumentCount` arguments on top of the stack. On success
    /// the results replace them (all of them when `resultCount` is LUA_MULTRET); on failure, the
    /// message with its traceback. Returns the status.
    func call(argumentCount: Int32, resultCount: Int32) -> Int32 {
        let functionIndex = lua.top - argumentCount
        lua.pushRegistryValue(Self.messageHandlerKey)
        lua.insert(at: functionIndex)
        let protectedCall = { lua.protectedCall(arguments: argumentCount, results: resultCount, handler: functionIndex) }
        let status = interrupts?.interruptible(lua.state, protectedCall) ?? protectedCall()
        lua.remove(at: functionIndex)
        return status
    }

    /// Loads and runs `source`; on failure the message is on top of the stack.
    func run(_ source: String, chunkName: String) -> Int32 {
        let status = load(source, chunkName: chunkName)
        guard status == LUA_OK else { return status }
        return call(argumentCount: 0, resultCount: 0)
    }

    /// Pops the error message on top of the stack and writes it to stderr, after
    /// "desync-lua: " when `withProgramName` (the REPL writes its errors without it).
    func reportError(withProgramName: Bool) {
        var message = lua.bytes(at: -1) ?? Array("(error object is a \(lua.typeName(at: -1)) value)".utf8)
        lua.pop()
        if withProgramName { message = Array("\(HostInfo.programName): ".utf8) + message }
        StandardStreams.write(message + [UInt8(ascii: "\n")], toError: true)
    }
}
