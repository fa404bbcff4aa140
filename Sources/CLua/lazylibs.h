// Standard libraries (and desync's module) that an object's state opens when its jobs first use
// them. A state with every library open holds about 20 KB, desync's module about 14 KB more, and
// most jobs use neither: an object's state opens the base and string libraries at once and the
// rest on first use, through a metatable on its globals table (`__index` opens a library the
// first time its name is read, `__pairs` opens them all, so `pairs(_G)` lists everything).
//
// These are C functions that Lua calls: they may raise, as any library function does.
#ifndef DESYNC_CLUA_LAZYLIBS_H
#define DESYNC_CLUA_LAZYLIBS_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <string.h>
#include "memory.h"

typedef struct {
    const char *name;
    lua_CFunction open;
} desync_lazy_library;

static const desync_lazy_library desync_lazy_libraries[] = {
    {LUA_LOADLIBNAME, luaopen_package},
    {LUA_COLIBNAME, luaopen_coroutine},
    {LUA_TABLIBNAME, luaopen_table},
    {LUA_IOLIBNAME, luaopen_io},
    {LUA_OSLIBNAME, luaopen_os},
    {LUA_MATHLIBNAME, luaopen_math},
    {LUA_UTF8LIBNAME, luaopen_utf8},
    {LUA_DBLIBNAME, luaopen_debug},
    {"desync", NULL},  /* made by the hook */
};
static const int desync_lazy_library_count = sizeof(desync_lazy_libraries) / sizeof(desync_lazy_libraries[0]);

/* Registry keys: the hook, a function called as hook(name, library) after a library opens
   (library nil for "desync", which the hook makes), and the base library's `next`. Strings, not
   addresses of statics: each Swift file that uses this header gets its own copy of a static. */
#define DESYNC_LAZY_HOOK_KEY "desync.lazy.hook"
#define DESYNC_LAZY_NEXT_KEY "desync.lazy.next"
#define DESYNC_LAZY_METATABLE_KEY "desync.lazy.metatable"

/// True when `L` opens libraries lazily (an object's state), false for a state with them all.
static inline int desync_lazy_enabled(lua_State *L) {
    lua_pushstring(L, DESYNC_LAZY_HOOK_KEY);
    int enabled = lua_rawget(L, LUA_REGISTRYINDEX) == LUA_TFUNCTION;
    lua_pop(L, 1);
    return enabled;
}

static inline int desync_lazy_open_all(lua_State *L);
static inline int desync_lazy_preload(lua_State *L);

/// Takes the metatable that opens libraries off the globals, where it is still there.
static inline void desync_lazy_drop_metatable(lua_State *L) {
    if (!desync_lazy_enabled(L)) return;
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    if (lua_getmetatable(L, -1)) {
        lua_pushstring(L, DESYNC_LAZY_METATABLE_KEY);
        lua_rawget(L, LUA_REGISTRYINDEX);
        if (lua_rawequal(L, -1, -2)) {
            lua_pushnil(L);
            lua_setmetatable(L, -4);
        }
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
}

/// Pushes `package.loaded[name]`, opening the library of that name if it is one of the lazy ones
/// and not open yet; returns 0 (pushing nothing) when `name` is no lazy library or `L` has none.
/// An opened library becomes a global unless a global of that name is set already.
static inline int desync_lazy_open_unlimited(lua_State *L, const char *name);

static inline int desync_lazy_open(lua_State *L, const char *name) {
    /* A library opens as if it had been open from the start, when the state's memory limit did
       not apply yet: opening never fails for the limit (it counts from then on). */
    desync_memory *m = desync_memory_of(L);
    int may_fail = m != NULL ? m->may_fail : 0;
    if (m != NULL) m->may_fail = 0;
    int opened = desync_lazy_open_unlimited(L, name);
    if (m != NULL) m->may_fail = may_fail;
    return opened;
}

static inline int desync_lazy_open_unlimited(lua_State *L, const char *name) {
    const desync_lazy_library *library = NULL;
    for (int i = 0; i < desync_lazy_library_count; i++) {
        if (strcmp(desync_lazy_libraries[i].name, name) == 0) library = &desync_lazy_libraries[i];
    }
    if (library == NULL || !desync_lazy_enabled(L)) return 0;
    luaL_checkstack(L, 6, "opening a library");
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    if (lua_getfield(L, -1, name) != LUA_TNIL) {
        lua_remove(L, -2);
        return 1;
    }
    lua_pop(L, 1);
    /* The debug library reaches around everything (metatables, the registry): all the others
       open first (the debug library is none of theirs: no recursion). */
    int isDebug = strcmp(name, LUA_DBLIBNAME) == 0;
    if (isDebug) {
        for (int i = 0; i < desync_lazy_library_count; i++) {
            if (strcmp(desync_lazy_libraries[i].name, LUA_DBLIBNAME) != 0 && desync_lazy_open(L, desync_lazy_libraries[i].name)) lua_pop(L, 1);
        }
    }
    int isPackage = strcmp(name, LUA_LOADLIBNAME) == 0;
    if (isPackage) {
        /* luaopen_package sets the global `require`: one the job set already stays. */
        lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
        lua_pushstring(L, "require");
        lua_rawget(L, -2);
        lua_remove(L, -2);
    }
    if (library->open != NULL) {
        lua_pushcfunction(L, library->open);
        lua_pushstring(L, name);
        lua_call(L, 1, 1);
        lua_pushvalue(L, -1);
        lua_setfield(L, isPackage ? -4 : -3, name);
    } else {
        lua_pushnil(L);
    }
    if (isPackage) {
        /* Stack: loaded, the job's require, library. */
        if (!lua_isnil(L, -2)) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
            lua_pushstring(L, "require");
            lua_pushvalue(L, -4);
            lua_rawset(L, -3);
            lua_pop(L, 1);
        }
        lua_remove(L, -2);
    }
    /* Stack: loaded, library. The hook finishes it (package paths, io's stdout, desync's module). */
    lua_pushstring(L, DESYNC_LAZY_HOOK_KEY);
    lua_rawget(L, LUA_REGISTRYINDEX);
    lua_pushstring(L, name);
    lua_pushvalue(L, -3);
    lua_call(L, 2, 0);
    lua_pop(L, 1);
    lua_getfield(L, -1, name);
    lua_remove(L, -2);
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_pushstring(L, name);
    if (lua_rawget(L, -2) == LUA_TNIL && !lua_isnil(L, -3)) {
        lua_pushstring(L, name);
        lua_pushvalue(L, -4);
        lua_rawset(L, -4);
    }
    lua_pop(L, 2);
    if (isDebug) desync_lazy_drop_metatable(L);
    if (strcmp(name, LUA_LOADLIBNAME) == 0 && lua_istable(L, -1)) {
        /* `require` of a library not open yet opens it the lazy way. */
        luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
        luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
        for (int i = 0; i < desync_lazy_library_count; i++) {
            if (lua_getfield(L, -1, desync_lazy_libraries[i].name) == LUA_TNIL) {
                lua_pushcfunction(L, desync_lazy_preload);
                lua_setfield(L, -4, desync_lazy_libraries[i].name);
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 2);
    }
    return 1;
}

/// Opens every lazy library not open yet, and takes the metatable that opens them off the
/// globals (where it is still there): the globals are then as in a state with everything open.
static inline int desync_lazy_open_all(lua_State *L) {
    for (int i = 0; i < desync_lazy_library_count; i++) {
        if (desync_lazy_open(L, desync_lazy_libraries[i].name)) lua_pop(L, 1);
    }
    desync_lazy_drop_metatable(L);
    return 0;
}

/// Whether the value at `index` is the globals table while it still has the metatable that opens
/// libraries.
static inline int desync_lazy_is_lazy_globals(lua_State *L, int index) {
    index = lua_absindex(L, index);
    if (!lua_istable(L, index) || !desync_lazy_enabled(L)) return 0;
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    int isGlobals = lua_rawequal(L, index, -1);
    lua_pop(L, 1);
    if (!isGlobals || !lua_getmetatable(L, index)) return 0;
    lua_pushstring(L, DESYNC_LAZY_METATABLE_KEY);
    lua_rawget(L, LUA_REGISTRYINDEX);
    int isLazy = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return isLazy;
}

/// A C function that reads what a library keeps in the registry (the `io` functions read the
/// default files) is about to cross into `L`: everything opens first. Called under `lua_pcall`.
static inline int desync_lazy_open_all_protected(lua_State *L) {
    desync_lazy_open_all(L);
    return 0;
}

/// `package.preload`'s loader of a lazy library: `require(name)` calls it with the name.
static inline int desync_lazy_preload(lua_State *L) {
    const char *name = luaL_checkstring(L, 1);
    if (!desync_lazy_open(L, name)) lua_pushnil(L);
    return 1;
}

/// `__index` of the globals: a lazy library's name (or `require`) opens it.
static inline int desync_lazy_index(lua_State *L) {
    if (lua_type(L, 2) != LUA_TSTRING) return 0;
    const char *key = lua_tostring(L, 2);
    const char *name = strcmp(key, "require") == 0 ? LUA_LOADLIBNAME : key;
    if (!desync_lazy_open(L, name)) return 0;
    lua_pop(L, 1);
    lua_pushvalue(L, 2);
    lua_rawget(L, 1);
    return 1;
}

/// `__pairs` of the globals: everything opens, then `next` walks the table as `pairs` would.
static inline int desync_lazy_pairs(lua_State *L) {
    desync_lazy_open_all(L);
    lua_pushstring(L, DESYNC_LAZY_NEXT_KEY);
    lua_rawget(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/// The base library's `setmetatable` and `getmetatable`, as Lua 5.4 defines them, except that
/// looking at or replacing the metatable of the globals while it is the one that opens libraries
/// first opens them all and takes it off: a script then finds the globals as with everything open
/// (no metatable), and a strict-mode metatable it makes or edits cannot lose a library. Plain C
/// functions without upvalues, so that they cross between states as themselves.
static inline int desync_lazy_setmetatable(lua_State *L) {
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (desync_lazy_is_lazy_globals(L, 1)) desync_lazy_open_all(L);
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

static inline int desync_lazy_getmetatable(lua_State *L) {
    luaL_checkany(L, 1);
    if (desync_lazy_is_lazy_globals(L, 1)) desync_lazy_open_all(L);
    if (!lua_getmetatable(L, 1)) {
        lua_pushnil(L);
        return 1;
    }
    luaL_getmetafield(L, 1, "__metatable");
    return 1;
}

/// `require(name)` for desync's transfer (a function that used a module crossed into this state),
/// for a module that is no lazy library (`LazyLibraries.pushLibrary` serves those): the state's
/// `require`, its `package` library opened first if need be.
static inline int desync_require(lua_State *L) {
    luaL_checkstring(L, 1);
    if (desync_lazy_open(L, LUA_LOADLIBNAME)) lua_pop(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_pushstring(L, "require");
    if (lua_rawget(L, -2) != LUA_TFUNCTION) return luaL_error(L, "the target has no function 'require'");
    lua_pushvalue(L, 1);
    lua_call(L, 1, 1);
    return 1;
}

/// Called under `lua_pcall` in a state that has the base library: makes its other libraries
/// lazy. Its argument is the hook (a function).
static inline int desync_lazy_install(lua_State *L) {
    lua_pushstring(L, DESYNC_LAZY_HOOK_KEY);
    lua_insert(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_pushstring(L, DESYNC_LAZY_NEXT_KEY);
    lua_getfield(L, -2, "next");
    lua_rawset(L, LUA_REGISTRYINDEX);
    lua_pushcfunction(L, desync_lazy_setmetatable);
    lua_setfield(L, -2, "setmetatable");
    lua_pushcfunction(L, desync_lazy_getmetatable);
    lua_setfield(L, -2, "getmetatable");
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, desync_lazy_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, desync_lazy_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushstring(L, DESYNC_LAZY_METATABLE_KEY);
    lua_pushvalue(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
    lua_setmetatable(L, -2);
    return 0;
}

#endif
