// The memory of desync's Lua states: how much each holds, an optional limit, and when an
// allocation may fail.
//
// Swift pushes values with the raw API outside any protected call (lua_pushstring,
// lua_createtable, lua_rawset...), and a failed allocation there would longjmp through Swift
// frames. So an allocation may fail only while Lua code runs under `desync_pcall` and no Swift
// function called from it is running (`may_fail`, switched by `desync_pcall` and the trampoline
// in shim.h). Then a request beyond the state's limit, or one that malloc refuses, returns NULL,
// and Lua raises "not enough memory" where its own code can catch it (after an emergency
// collection). Outside those times nothing fails: Swift's pushes may take the state beyond its
// limit, and its next Lua allocation fails instead; a malloc that refuses there gets memory from
// a reserve, and only when that is gone too does the process stop, as Swift itself does.
#ifndef DESYNC_CLUA_MEMORY_H
#define DESYNC_CLUA_MEMORY_H

#include <lua.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/// Marks a `desync_memory`, so that a state's allocator data is known to be one.
#define DESYNC_MEMORY_TAG 0x64657379u

/// One Lua state's memory. Owned by Swift (`LuaMemoryAccount`), which keeps it alive until the
/// state is closed and for as long as anything reads `used`.
typedef struct desync_memory {
    uint32_t tag;
    /// Nonzero while an allocation may fail: Lua code runs under `desync_pcall`, no Swift in it.
    /// Belongs to the thread running the state, as the state does.
    int may_fail;
    /// An allocation failed since the last safe point, where the garbage that the code which ran
    /// out left behind is collected (a Swift allocation of the process may need the room).
    int failed;
    /// Bytes the state holds. Written by the thread running the state, read by any thread
    /// (`obj:memory()`, `:objects`): accessed only with atomic builtins.
    size_t used;
    /// The most the state may hold while Lua code runs; 0 for no limit. Belongs to the thread
    /// running the state.
    size_t limit;
} desync_memory;

static inline void desync_memory_init(desync_memory *_Nonnull m) {
    m->tag = DESYNC_MEMORY_TAG;
    m->may_fail = 0;
    m->failed = 0;
    m->used = 0;
    m->limit = 0;
}

static inline size_t desync_memory_used(const desync_memory *_Nonnull m) {
    return __atomic_load_n(&m->used, __ATOMIC_RELAXED);
}

static inline void desync_memory_set_limit(desync_memory *_Nonnull m, size_t limit) { m->limit = limit; }

/// The `desync_memory` of a state made by `desync_newstate_with_memory`, or NULL.
static inline desync_memory *_Nullable desync_memory_of(lua_State *_Nonnull L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    desync_memory *m = (desync_memory *)ud;
    return (m != NULL && m->tag == DESYNC_MEMORY_TAG) ? m : NULL;
}

/// Room kept for allocations that must not fail: freed when malloc refuses one, taken again by
/// the next allocation that may fail. Untouched, it costs address space, not memory.
#define DESYNC_MEMORY_RESERVE_SIZE ((size_t)1 << 20)

/// The reserve's slot. A `static` in a header exists once per object file that uses it; only the
/// allocator uses this one, and only `desync_newstate_with_memory` takes the allocator's address,
/// so every state shares the copy of the file that makes states.
static inline void *_Nullable *_Nonnull desync_memory_reserve_slot(void) {
    static void *reserve = NULL;
    return &reserve;
}

static inline void desync_memory_take_reserve(void) {
    void **slot = desync_memory_reserve_slot();
    if (__atomic_load_n(slot, __ATOMIC_RELAXED) != NULL) return;
    void *block = malloc(DESYNC_MEMORY_RESERVE_SIZE);
    void *expected = NULL;
    if (block != NULL && !__atomic_compare_exchange_n(slot, &expected, block, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        free(block);
    }
}

/// `realloc` for an allocation that must not fail, once malloc has refused it.
static inline void *_Nonnull desync_memory_realloc_from_reserve(void *_Nullable ptr, size_t nsize) {
    void *reserve = __atomic_exchange_n(desync_memory_reserve_slot(), NULL, __ATOMIC_RELAXED);
    if (reserve != NULL) {
        free(reserve);
        void *p = realloc(ptr, nsize);
        if (p != NULL) return p;
    }
    fputs("desync: out of memory\n", stderr);
    abort();
}

static inline void *_Nullable desync_lua_alloc_accounted(void *_Nullable ud, void *_Nullable ptr, size_t osize, size_t nsize) {
    desync_memory *m = (desync_memory *)ud;
    /* Without a block, Lua passes the kind of object in osize, not a size. */
    size_t old = ptr == NULL ? 0 : osize;
    size_t used = __atomic_load_n(&m->used, __ATOMIC_RELAXED);
    if (nsize == 0) {
        free(ptr);
        __atomic_store_n(&m->used, used - old, __ATOMIC_RELAXED);
        return NULL;
    }
    if (nsize > old && m->may_fail) {
        if (__atomic_load_n(desync_memory_reserve_slot(), __ATOMIC_RELAXED) == NULL) desync_memory_take_reserve();
        if (m->limit != 0 && (used >= m->limit || nsize - old > m->limit - used)) {
            m->failed = 1;
            return NULL;
        }
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL) {
        if (nsize <= old) {
            /* Lua counts on shrinking never failing: the larger block serves. */
            p = ptr;
        } else if (m->may_fail) {
            m->failed = 1;
            return NULL;
        } else {
            p = desync_memory_realloc_from_reserve(ptr, nsize);
        }
    }
    __atomic_store_n(&m->used, used - old + nsize, __ATOMIC_RELAXED);
    return p;
}

/// Collects the garbage left by code that ran out of memory, at a point where Lua may run
/// (finalizers) and nothing raises: a full collection never raises, finalizers' errors become
/// warnings.
static inline void desync_memory_collect_after_failure(lua_State *_Nonnull L, desync_memory *_Nonnull m) {
    m->failed = 0;
    lua_gc(L, LUA_GCCOLLECT);
}

#endif
