// Lua 5.4 for Swift: the macros Swift cannot import, as static inline functions, and the one
// trampoline through which Lua calls every Swift function.
#ifndef DESYNC_CLUA_SHIM_H
#define DESYNC_CLUA_SHIM_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <stdio.h>
#include "memory.h"
#ifdef __GLIBC__
#include <malloc.h>
#endif

/// Gives the free pages of every malloc heap back to the system, where the C library can.
static inline void desync_return_free_memory(void) {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

static const int DESYNC_LUA_REGISTRYINDEX = LUA_REGISTRYINDEX;
static const int DESYNC_LUA_MULTRET = LUA_MULTRET;
static const int DESYNC_LUA_RIDX_GLOBALS = LUA_RIDX_GLOBALS;
static const int DESYNC_LUA_RIDX_MAINTHREAD = LUA_RIDX_MAINTHREAD;

static inline int desync_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline void desync_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void desync_newtable(lua_State *L) { lua_newtable(L); }
/// `lua_pcall`, the one way desync runs Lua code: inside it, and only there, an allocation may
/// fail (memory.h), with "not enough memory" raised in the Lua code. Returning is a safe point.
static inline int desync_pcall(lua_State *L, int nargs, int nresults, int msgh) {
    desync_memory *m = desync_memory_of(L);
    if (m == NULL) return lua_pcall(L, nargs, nresults, msgh);
    int may_fail = m->may_fail;
    m->may_fail = 1;
    int status = lua_pcall(L, nargs, nresults, msgh);
    m->may_fail = may_fail;
    if (m->failed) desync_memory_collect_after_failure(L, m);
    return status;
}
static inline const char *desync_tostring(lua_State *L, int idx) { return lua_tostring(L, idx); }
static inline lua_Number desync_tonumber(lua_State *L, int idx) { return lua_tonumber(L, idx); }
static inline lua_Integer desync_tointeger(lua_State *L, int idx) { return lua_tointeger(L, idx); }
static inline void desync_insert(lua_State *L, int idx) { lua_insert(L, idx); }
static inline void desync_remove(lua_State *L, int idx) { lua_remove(L, idx); }
static inline void desync_replace(lua_State *L, int idx) { lua_replace(L, idx); }
static inline int desync_isnoneornil(lua_State *L, int idx) { return lua_isnoneornil(L, idx); }
static inline int desync_isnil(lua_State *L, int idx) { return lua_isnil(L, idx); }
static inline int desync_isfunction(lua_State *L, int idx) { return lua_isfunction(L, idx); }
static inline int desync_istable(lua_State *L, int idx) { return lua_istable(L, idx); }
static inline void *desync_newuserdata(lua_State *L, size_t size) { return lua_newuserdatauv(L, size, 1); }
static inline int desync_getuservalue(lua_State *L, int idx) { return lua_getiuservalue(L, idx, 1); }
static inline int desync_setuservalue(lua_State *L, int idx) { return lua_setiuservalue(L, idx, 1); }
static inline void desync_pushglobaltable(lua_State *L) { lua_pushglobaltable(L); }
/// The pointer-sized block Lua keeps before every state (and copies to its coroutines): desync
/// stores the state's Swift context there.
static inline void *_Nullable *_Nonnull desync_extraspace(lua_State *_Nonnull L) { return (void **)lua_getextraspace(L); }
/// C's standard streams, which Swift 6 sees as shared mutable globals.
static inline FILE *desync_stdout(void) { return stdout; }
static inline FILE *desync_stderr(void) { return stderr; }
static inline int desync_yieldable(lua_State *L) { return lua_isyieldable(L); }

/// A Swift function called from Lua. It returns the number of results it pushed, or -1 when it
/// has left an error value on top of the stack, which the trampoline then raises from C.
typedef int (*desync_swift_function)(lua_State *L);

/// What a Swift function returns to suspend the job that called it (a coroutine): it has left,
/// on top of the stack, a light userdata holding the Swift function to call when the job resumes,
/// which pushes what the waiting call returns (or leaves an error, or suspends again).
static const int DESYNC_SUSPEND = -2;

/// Calls `f`. While it runs no allocation may fail (memory.h): it pushes with the raw API. Calling
/// it is a safe point, where the garbage of code that ran out of memory is collected.
static inline int desync_call_swift(lua_State *L, desync_swift_function f) {
    desync_memory *m = desync_memory_of(L);
    if (m == NULL) return f(L);
    if (m->failed) desync_memory_collect_after_failure(L, m);
    int may_fail = m->may_fail;
    m->may_fail = 0;
    int n = f(L);
    m->may_fail = may_fail;
    return n;
}

static inline int desync_resumed(lua_State *L, int status, lua_KContext resume);

/// Acts on what a Swift function returned, in C, after Swift has returned: results, an error to
/// raise, or a yield that suspends the job.
static inline int desync_finish_swift_call(lua_State *L, int n) {
    if (n == DESYNC_SUSPEND) {
        desync_swift_function resume = (desync_swift_function)lua_touserdata(L, -1);
        lua_pop(L, 1);
        return lua_yieldk(L, 0, (lua_KContext)resume, desync_resumed);
    }
    if (n < 0) return lua_error(L);
    return n;
}

/// The continuation of a Swift function that suspended its job: the job resumed.
static inline int desync_resumed(lua_State *L, int status, lua_KContext resume) {
    (void)status;
    return desync_finish_swift_call(L, desync_call_swift(L, (desync_swift_function)resume));
}

/// The C function behind every Swift function Lua calls.
static inline int desync_trampoline(lua_State *L) {
    desync_swift_function f = (desync_swift_function)lua_touserdata(L, lua_upvalueindex(1));
    return desync_finish_swift_call(L, desync_call_swift(L, f));
}

/// `lua_resume`, the way desync runs a job's coroutine: as in `desync_pcall`, allocations may fail
/// only inside it. `from` is the object's main state.
static inline int desync_resume(lua_State *co, lua_State *from, int nargs, int *nresults) {
    desync_memory *m = desync_memory_of(co);
    if (m == NULL) return lua_resume(co, from, nargs, nresults);
    int may_fail = m->may_fail;
    m->may_fail = 1;
    int status = lua_resume(co, from, nargs, nresults);
    m->may_fail = may_fail;
    /* A failed coroutine still holds its garbage: desync_resetthread collects after clearing it. */
    if (m->failed && (status == LUA_OK || status == LUA_YIELD)) desync_memory_collect_after_failure(from, m);
    return status;
}

static inline int desync_noop(lua_State *L) { (void)L; return 0; }

/// Before a job's first slice in a state with a memory limit: the stack room and the call record
/// that starting its function needs are made now, while nothing may fail, so a job that was
/// handed values beyond the limit still starts (as a job on the state itself did: only the job's
/// own allocations fail). A coroutine has no call record to spare until it has made a call.
static inline void desync_prepare_coroutine(lua_State *co) {
    desync_memory *m = desync_memory_of(co);
    if (m == NULL || m->limit == 0) return;
    lua_checkstack(co, 2 * LUA_MINSTACK);
    lua_pushcfunction(co, desync_noop);
    (void)lua_pcall(co, 0, 0, 0);
}

/// Closes a coroutine that ended with an error: its pending to-be-closed variables are closed
/// (their `__close` runs with the error), so it can be dropped. Lua code runs: allocations may fail.
/// Lua 5.4.4 returns the coroutine's own error status here even when every `__close` succeeded.
static inline int desync_resetthread(lua_State *co, lua_State *from) {
    desync_memory *m = desync_memory_of(co);
    if (m == NULL) return lua_resetthread(co);
    int may_fail = m->may_fail;
    m->may_fail = 1;
    int status = lua_resetthread(co);
    m->may_fail = may_fail;
    if (m->failed) desync_memory_collect_after_failure(from, m);
    return status;
}

/// Called under `lua_pcall` with a coroutine that failed and its error: a string error gets the
/// coroutine's traceback appended, as the message handler of `desync_pcall`'s jobs does.
static inline int desync_coroutine_traceback(lua_State *L) {
    if (lua_type(L, 2) != LUA_TSTRING) { lua_settop(L, 2); return 1; }
    lua_State *co = lua_tothread(L, 1);
    desync_memory *m = desync_memory_of(L);
    int may_fail = m != NULL ? m->may_fail : 0;
    if (m != NULL) m->may_fail = 0;
    luaL_traceback(L, co, lua_tostring(L, 2), 0);
    if (m != NULL) m->may_fail = may_fail;
    return 1;
}
static inline void desync_pushcoroutinetraceback(lua_State *L) { lua_pushcfunction(L, desync_coroutine_traceback); }

/// Pushes a Lua function that calls `f` through the trampoline, with `nup` extra upvalues taken
/// from the stack (they become upvalues 2...nup+1).
static inline void desync_pushswiftfunction(lua_State *L, desync_swift_function f, int nup) {
    lua_pushlightuserdata(L, (void *)f);
    if (nup > 0) lua_insert(L, -(nup + 1));
    lua_pushcclosure(L, desync_trampoline, nup + 1);
}

/// The message handler of every desync job: a string error gets the job's traceback appended, as
/// `lua` does; other error values (tables) pass through unchanged. A plain C function, so pushing
/// it allocates nothing: it is pushed once per job.
static inline int desync_traceback_handler(lua_State *L) {
    if (lua_type(L, 1) != LUA_TSTRING) return 1;
    /* A job that fails near its memory limit keeps its message: the traceback may go beyond. */
    desync_memory *m = desync_memory_of(L);
    int may_fail = m != NULL ? m->may_fail : 0;
    if (m != NULL) m->may_fail = 0;
    luaL_traceback(L, L, lua_tostring(L, 1), 1);
    if (m != NULL) m->may_fail = may_fail;
    return 1;
}
static inline void desync_pushtraceback(lua_State *L) { lua_pushcfunction(L, desync_traceback_handler); }

/// Called under `lua_pcall` with an error value that is not a string: returns what its
/// `__tostring` gives when that is a string, else nothing, as `lua`'s message handler does.
static inline int desync_error_tostring(lua_State *L) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    return 0;
}
static inline void desync_pusherrortostring(lua_State *L) { lua_pushcfunction(L, desync_error_tostring); }

/// The allocator of a state without a `desync_memory` (tests' bare states): it never fails, it
/// aborts when memory runs out, as Swift does.
static inline void *desync_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    (void)ud; (void)osize;
    if (nsize == 0) { free(ptr); return NULL; }
    void *p = realloc(ptr, nsize);
    if (p == NULL) { fputs("desync: out of memory\n", stderr); abort(); }
    return p;
}

/// A new state with the standard libraries open. It starts as `luaL_newstate` makes it (so the
/// panic and warning functions, with `@on`/`@off`, are the stock ones), then switches to desync's
/// allocator: both use realloc/free, so blocks already allocated stay valid.
static inline lua_State *desync_newstate(void) {
    lua_State *L = luaL_newstate();
    if (L == NULL) return NULL;
    /* Lua leaves the main thread's extra space uninitialised; desync reads it as "no context". */
    *(void **)lua_getextraspace(L) = NULL;
    lua_setallocf(L, desync_lua_alloc, NULL);
    luaL_openlibs(L);
    return L;
}

/// `desync_newstate_with_memory` with only the base and string libraries open: an object's
/// state, which opens the others on first use (lazylibs.h).
static inline lua_State *desync_newstate_minimal_with_memory(desync_memory *_Nonnull m) {
    lua_State *L = luaL_newstate();
    if (L == NULL) return NULL;
    *(void **)lua_getextraspace(L) = NULL;
    __atomic_store_n(&m->used, (size_t)lua_gc(L, LUA_GCCOUNT) * 1024 + (size_t)lua_gc(L, LUA_GCCOUNTB), __ATOMIC_RELAXED);
    lua_setallocf(L, desync_lua_alloc_accounted, m);
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    lua_pop(L, 2);
    return L;
}

/// Where `desync_print` finds the function that writes its line: the registry, not an upvalue, so
/// that `print` is a C function without upvalues, which crosses between states as it is.
#define DESYNC_PRINT_WRITER_KEY "desync.print.writer"

/// desync's `print`: each argument through `luaL_tolstring` (as the base library's `print`),
/// tab-separated, handed as one string to the state's writer (registry), which writes it as one
/// whole line; where there is none, to stdout as the base library's `print` writes.
static inline int desync_print(lua_State *L) {
    int n = lua_gettop(L);
    luaL_Buffer line;
    luaL_buffinit(L, &line);
    for (int i = 1; i <= n; i++) {
        if (i > 1) luaL_addchar(&line, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&line);
    }
    luaL_pushresult(&line);
    lua_pushstring(L, DESYNC_PRINT_WRITER_KEY);
    if (lua_rawget(L, LUA_REGISTRYINDEX) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        size_t length;
        const char *text = lua_tolstring(L, -1, &length);
        lua_writestring(text, length);
        lua_writeline();
        return 0;
    }
    lua_insert(L, -2);
    lua_call(L, 1, 0);
    return 0;
}

/// `desync_newstate` whose memory is counted in `m` (which must outlive the state), and may run
/// out while Lua code runs (memory.h). `m`'s limit applies from when it is set: set it once the
/// state is ready, so that making the state never fails.
static inline lua_State *desync_newstate_with_memory(desync_memory *_Nonnull m) {
    lua_State *L = luaL_newstate();
    if (L == NULL) return NULL;
    *(void **)lua_getextraspace(L) = NULL;
    __atomic_store_n(&m->used, (size_t)lua_gc(L, LUA_GCCOUNT) * 1024 + (size_t)lua_gc(L, LUA_GCCOUNTB), __ATOMIC_RELAXED);
    lua_setallocf(L, desync_lua_alloc_accounted, m);
    luaL_openlibs(L);
    return L;
}

#endif
