/* desync.so as installed: a small C module that any Lua can load, in front of the real module
   (desync/core.so beside it). The real module calls Lua 5.4's API, so an older Lua cannot even
   load it: the dynamic linker refuses it before any of its code runs, with a message about a
   missing symbol ("undefined symbol: lua_resetthread"). This file uses only calls that Lua 5.1
   to 5.4 and LuaJIT share, looks at which Lua the program runs, and says so in a Lua error.

   Built by ./install-module with the system's C compiler; no Lua headers: the two Lua calls it
   makes are declared below, with a signature all those versions can be called through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef struct lua_State lua_State;
typedef int (*lua_CFunction)(lua_State *L);

/* Lua 5.1 returns nothing from lua_pushstring, later versions a pointer: the result is unused. */
extern void lua_pushstring(lua_State *L, const char *s);
extern int lua_error(lua_State *L);

int luaopen_desync(lua_State *L);

/* Which Lua the program runs, found by a function only that version (or a later one) has.
   Looked up where the real module's Lua symbols would be: the program's global scope. */
static const char *older_lua(void) {
    if (dlsym(RTLD_DEFAULT, "lua_newuserdatauv")) return NULL;  /* 5.4 */
    if (dlsym(RTLD_DEFAULT, "luaJIT_setmode")) return "LuaJIT (Lua 5.1)";
    if (dlsym(RTLD_DEFAULT, "lua_rotate")) return "Lua 5.3";
    if (dlsym(RTLD_DEFAULT, "lua_callk")) return "Lua 5.2";
    return "Lua 5.1";
}

static int fail(lua_State *L, const char *message) {
    lua_pushstring(L, message);
    return lua_error(L);
}

int luaopen_desync(lua_State *L) {
    char message[4200];
    const char *older = older_lua();
    if (older) {
        snprintf(message, sizeof message, "desync needs Lua 5.4; this program runs %s", older);
        return fail(L, message);
    }
    Dl_info self;
    if (!dladdr((void *)luaopen_desync, &self) || !self.dli_fname) {
        return fail(L, "desync: cannot find where desync.so was loaded from");
    }
    /* desync/core.so beside this file, whatever directory LUA_CPATH found it in. */
    char path[4096];
    const char *slash = strrchr(self.dli_fname, '/');
    int directory = slash ? (int)(slash - self.dli_fname) + 1 : 0;
    if (snprintf(path, sizeof path, "%.*sdesync/core.so", directory, self.dli_fname) >= (int)sizeof path) {
        return fail(L, "desync: the path of desync.so is too long");
    }
    /* Never closed: core.so is linked -z nodelete, as its pool threads outlive the state. */
    void *core = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!core) {
        snprintf(message, sizeof message, "desync: cannot load %s: %s", path, dlerror());
        return fail(L, message);
    }
    lua_CFunction open = (lua_CFunction)dlsym(core, "luaopen_desync");
    if (!open) {
        snprintf(message, sizeof message, "desync: %s has no luaopen_desync", path);
        return fail(L, message);
    }
    return open(L);
}
