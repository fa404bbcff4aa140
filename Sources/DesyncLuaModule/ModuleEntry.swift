import DesyncLua

/// Called by `luaopen_desync` (CDesyncModule), which raises the error this reports with -1: Swift
/// frames are never unwound by a Lua error.
@_cdecl("desync_module_open")
public func desyncModuleOpen(_ L: OpaquePointer?) -> Int32 {
    guard let L else { return 0 }
    return LuaModuleHost.open(L)
}
