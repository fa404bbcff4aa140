// desync.so's entry point for Lua's `require "desync"`.
#ifndef DESYNC_MODULE_H
#define DESYNC_MODULE_H

#include <lua.h>

/// Opens the module (Lua's convention for C modules): checks that the loading program runs
/// Lua 5.4, then lets DesyncLua make the calling state a host state.
int luaopen_desync(lua_State *L);

/// Defined in Swift (DesyncLuaModule): returns 1 with the module table pushed, or -1 with an
/// error message on top of the stack. Never raises: raising is C's job (luaopen_desync).
int desync_module_open(lua_State *L);

#endif
