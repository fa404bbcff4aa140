#include "desync_module.h"
#include <lauxlib.h>

int luaopen_desync(lua_State *L) {
    /* The core that runs L is the loading program's (desync.so links no Lua): it must be the
       version whose headers built desync, or every call into it is a guess. */
    lua_Number version = lua_version(L);
    if (version != LUA_VERSION_NUM) {
        return luaL_error(L, "desync needs Lua %d.%d; this program runs Lua %d.%d",
                          LUA_VERSION_NUM / 100, LUA_VERSION_NUM % 100,
                          (int)version / 100, (int)version % 100);
    }
    luaL_checkversion(L);
    int results = desync_module_open(L);
    if (results < 0) return lua_error(L);
    return results;
}
