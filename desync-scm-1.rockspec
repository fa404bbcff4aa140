-- `luarocks make` in a checkout builds desync.so with SwiftPM (Swift 6 and the Lua 5.4 headers
-- must be installed; scripts/setup installs the headers on Debian) and installs it as the C
-- module `desync`. The Lua API symbols come from the interpreter that loads it, as for every
-- Lua C module.
rockspec_format = "3.0"
package = "desync"
version = "scm-1"
source = {
   url = "git+file://.",
}
description = {
   summary = "Values whose jobs run in order on a shared thread pool, each with its own Lua state",
   detailed = [[
desync turns a Lua table into an object that owns its own lua_State and a queue of jobs:
obj:sync, obj:async, obj:future, obj:after, pipes and streams, on a pool of threads.
f:on_done, desync.poll and desync.poll_fd fit it into event loops such as luv.
]],
}
dependencies = {
   "lua >= 5.4, < 5.5",
}
build = {
   type = "command",
   -- luarocks sets CC, CFLAGS and LDFLAGS for gcc; SwiftPM must use its own clang.
   -- SwiftPM's libdesync.so is installed as desync/core.so, behind a small C loader, desync.so,
   -- that gives an older Lua a clear error (Sources/DesyncLuaModule/Loader/install-module).
   build_command = "env -u CC -u CFLAGS -u LDFLAGS -u LIBFLAG swift build -c release --product desync"
      .. " && Sources/DesyncLuaModule/Loader/install-module .build/release/libdesync.so .build/lua-module",
   install = {
      lib = {
         desync = ".build/lua-module/desync.so",
         ["desync.core"] = ".build/lua-module/desync/core.so",
      },
   },
}
