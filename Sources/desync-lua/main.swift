import DesyncLua

let runtime = LuaRuntime()
_ = runtime
