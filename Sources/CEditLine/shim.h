// libedit through its readline-compatible API: the REPL's line editing and history.
#ifndef DESYNC_CEDITLINE_SHIM_H
#define DESYNC_CEDITLINE_SHIM_H
#include <stdio.h>
#include <editline/readline.h>

/// The C streams, which Swift 6 cannot name: as mutable C globals they count as shared state.
/// The host writes through them so that its output and Lua's share one buffer and one order.
static inline FILE *desync_host_stdout(void) { return stdout; }
static inline FILE *desync_host_stderr(void) { return stderr; }
#endif
