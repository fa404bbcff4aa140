// A program that embeds Lua 5.4 (linked with the system's liblua5.4) and requires desync in two
// independent states on two threads: the process has one desync scheduler, each state its own
// objects. State A is closed while B's jobs run; lua_close must first run everything A queued,
// and B must go on unharmed. Every job prints one line, so the test can count that none is lost.
// Usage: two_states <LUA_CPATH>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>

static const char *queue_jobs =
    "local name, count, pause = ...\n"
    "local desync = require 'desync'\n"
    "-- a thread for each object of both states: A's jobs never wait behind B's for one\n"
    "desync.scheduler.set_max_threads(8)\n"
    "local objects = {}\n"
    "for i = 1, 4 do objects[i] = desync.new({}, { name = name .. i }) end\n"
    "for j = 1, count do\n"
    "  objects[j % 4 + 1]:async(function(_, n) desync.sleep(pause); print(name .. ' job ' .. n) end, j)\n"
    "end\n"
    "-- a future observed through on_done and poll\n"
    "local f = desync.new({}):future(function() return name end)\n"
    "f:on_done(function(ok, v) assert(ok and v == name) end)\n"
    "f:wait()\n"
    "assert(desync.poll() == 1)\n";

static sem_t b_queued;
static const char *cpath;

static lua_State *open_state(void) {
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_getglobal(L, "package");
    lua_pushstring(L, cpath);
    lua_setfield(L, -2, "cpath");
    lua_pop(L, 1);
    return L;
}

static void run(lua_State *L, const char *code, const char *name, int count, double pause) {
    if (luaL_loadstring(L, code) != LUA_OK) goto failed;
    lua_pushstring(L, name);
    lua_pushinteger(L, count);
    lua_pushnumber(L, pause);
    if (lua_pcall(L, 3, 0, 0) != LUA_OK) goto failed;
    return;
failed:
    fprintf(stderr, "%s: %s\n", name, lua_tostring(L, -1));
    exit(1);
}

static void say(const char *line) {
    flockfile(stdout);
    puts(line);
    funlockfile(stdout);
    fflush(stdout);
}

static void *state_b(void *unused) {
    (void)unused;
    lua_State *L = open_state();
    run(L, queue_jobs, "B", 40, 0.1);
    sem_post(&b_queued);
    // B keeps using desync while A closes on the other thread.
    run(L, "local o = require('desync').new({ n = 0 })\n"
           "for i = 1, 200 do o:sync(function(d) d.n = d.n + 1 end) end\n"
           "assert(o:sync(function(d) return d.n end) == 200)",
        "B", 0, 0);
    lua_close(L);
    say("B closed");
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s LUA_CPATH\n", argv[0]);
        return 2;
    }
    cpath = argv[1];
    sem_init(&b_queued, 0, 0);
    pthread_t b;
    if (pthread_create(&b, NULL, state_b, NULL) != 0) return 1;

    lua_State *A = open_state();
    run(A, queue_jobs, "A", 20, 0.01);
    sem_wait(&b_queued);
    lua_close(A);
    say("A closed");

    pthread_join(b, NULL);
    say("done");
    return 0;
}
