// Ctrl-C for the desync-lua host, the way the stock `lua` does it: the SIGINT handler sets a Lua
// hook on the running state, and the hook raises "interrupted!" at the next call, return or
// instruction. Both must be C: a hook that raises longjmps, which must never cross Swift frames.
//
// Lua documents `lua_sethook` as safe to call from a signal handler that interrupted the thread
// running the state, and only from there. Any thread may receive a process-wide SIGINT, so a
// handler on another thread forwards the signal to the thread that runs Lua.
//
// Every Ctrl-C is also written to a pipe, for a thread of the host that asks the runtime to stop
// a blocking desync call (`sync`, `wait`, `sleep`, the final wait of a batch run): those are not
// Lua code, so the hook alone cannot stop them. Only the desync-lua host uses this header.
#ifndef DESYNC_CLUA_INTERRUPT_H
#define DESYNC_CLUA_INTERRUPT_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <lua.h>
#include <lauxlib.h>

struct desync_host_interrupt {
    /// The state running Lua code for the host, NULL while no Lua code runs (at the prompt).
    /// Written only by the Lua thread; read by the handler on that same thread.
    lua_State *volatile running;
    /// The thread that runs Lua code.
    pthread_t lua_thread;
    /// Write end of a pipe: one byte per Ctrl-C, for a thread that then asks the runtime to
    /// interrupt (its blocking calls are not Lua code). The host forgets an interrupt that
    /// arrived at the prompt before it runs the next line.
    int notify_fd;
    /// How many Ctrl-C arrived while no Lua code ran (the REPL waiting for a line).
    volatile sig_atomic_t idle_interrupts;
    /// How many Ctrl-C arrived while Lua code ran, and how many of those the host has taken note
    /// of: a job the host's thread ran that was stopped tells the host's wait at once, before
    /// the thread reading the pipe does.
    volatile sig_atomic_t running_interrupts;
    sig_atomic_t noted_interrupts;
    /// The hook below, from the same object file as the handler (see the slot).
    lua_Hook stop_hook;
    /// The handler that was installed, for `desync_host_rearm_sigint`: in an optimised build the
    /// caller may sit in another object file, whose copy of the handler has its own, unset slot.
    void (*handler)(int);
};

/// The handler's data. A `static` in a header exists once per object file that uses it, so only
/// the copy next to the handler counts: `desync_host_install_sigint` returns that one, and every
/// other function takes it as an argument.
static inline struct desync_host_interrupt *desync_host_interrupt_slot(void) {
    static struct desync_host_interrupt slot;
    return &slot;
}

/// The chunk name of the host's message handler (the Lua function its protected calls use).
#define DESYNC_HOST_MESSAGE_HANDLER_NAME "=(desync-lua message handler)"

static inline void desync_host_stop_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    /* A blocking desync call that the same Ctrl-C stopped is raising "interrupted!" already, and
       the hook fires in the message handler (or a function it calls), which must run on to add
       the traceback. */
    lua_Debug frame;
    for (int level = 0; level < 2 && lua_getstack(L, level, &frame); level++) {
        if (lua_getinfo(L, "S", &frame) && strcmp(frame.source, DESYNC_HOST_MESSAGE_HANDLER_NAME) == 0) return;
    }
    luaL_error(L, "interrupted!");
}

static inline void desync_host_on_sigint(int signal_number) {
    int saved_errno = errno;
    struct desync_host_interrupt *slot = desync_host_interrupt_slot();
    if (!pthread_equal(pthread_self(), slot->lua_thread)) {
        pthread_kill(slot->lua_thread, signal_number);
    } else {
        lua_State *L = slot->running;
        if (L != NULL) {
            /* As lua.c does: a second Ctrl-C before the host runs its next chunk (Lua code stuck
               in a C function never reaches the hook) ends the process. */
            signal(signal_number, SIG_DFL);
            slot->running_interrupts += 1;
            lua_sethook(L, desync_host_stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
        } else {
            slot->idle_interrupts += 1;
        }
        char byte = 1;
        ssize_t written = write(slot->notify_fd, &byte, 1);
        (void)written; /* a full pipe already holds a pending interrupt */
    }
    errno = saved_errno;
}

/// Installs the handler; the calling thread becomes the one that runs Lua code. Returns the
/// handler's data, or NULL with errno set.
static inline struct desync_host_interrupt *desync_host_install_sigint(int notify_fd) {
    struct desync_host_interrupt *slot = desync_host_interrupt_slot();
    slot->lua_thread = pthread_self();
    slot->notify_fd = notify_fd;
    slot->running = NULL;
    slot->stop_hook = desync_host_stop_hook;
    slot->handler = desync_host_on_sigint;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = desync_host_on_sigint;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &action, NULL) != 0) return NULL;
    /* A parent may have started us with SIGINT blocked (threads of libdispatch block it, and
       children inherit the mask): then Ctrl-C would never reach the handler. */
    sigset_t interrupt_only;
    sigemptyset(&interrupt_only);
    sigaddset(&interrupt_only, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &interrupt_only, NULL);
    return slot;
}

/// Installs the handler again (a Ctrl-C during the last chunk set SIGINT back to its default).
static inline void desync_host_rearm_sigint(struct desync_host_interrupt *slot) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = slot->handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, NULL);
}

/// Marks `L` as running Lua code (Ctrl-C interrupts it), or nothing running when `L` is NULL.
static inline void desync_host_set_running(struct desync_host_interrupt *slot, lua_State *L) {
    slot->running = L;
}

/// The state marked as running Lua code, or NULL.
static inline lua_State *desync_host_running(struct desync_host_interrupt *slot) {
    return slot->running;
}

/// True, once per Ctrl-C, if one arrived while Lua code ran since the last call.
static inline int desync_host_take_running_interrupt(struct desync_host_interrupt *slot) {
    sig_atomic_t seen = slot->running_interrupts;
    if (seen == slot->noted_interrupts) return 0;
    slot->noted_interrupts = seen;
    return 1;
}

static inline int desync_host_idle_interrupts(struct desync_host_interrupt *slot) {
    return slot->idle_interrupts;
}

/// Removes the stop hook if a Ctrl-C set it but the code ended before it fired, so that it does
/// not interrupt the next chunk. A hook the script set itself stays.
static inline void desync_host_clear_stop_hook(struct desync_host_interrupt *slot, lua_State *L) {
    if (lua_gethook(L) == slot->stop_hook) lua_sethook(L, NULL, 0, 0);
}

/// The package paths Lua uses when no environment variable sets them (for `-E`).
static inline const char *desync_host_default_path(void) { return LUA_PATH_DEFAULT; }
static inline const char *desync_host_default_cpath(void) { return LUA_CPATH_DEFAULT; }

/// "Lua 5.4.x" of the headers this host is built with.
static inline const char *desync_host_lua_release(void) { return LUA_RELEASE; }

#endif
