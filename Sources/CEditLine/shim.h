// libedit through its readline-compatible API: the REPL's line editing and history.
#ifndef DESYNC_CEDITLINE_SHIM_H
#define DESYNC_CEDITLINE_SHIM_H
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <editline/readline.h>

/// Makes libedit read its keys through `getc` (a mutable C global, which Swift 6 cannot assign).
/// libedit takes it when it initializes, so call this before the first libedit call.
static inline void desync_edit_set_getc(int (*getc)(FILE *)) { rl_getc_function = getc; }

/// Makes libedit draw on `stream` (a mutable C global too). Before libedit's first use.
static inline void desync_edit_set_outstream(FILE *stream) { rl_outstream = stream; }

/// Makes `complete` libedit's Tab completion (instead of file names): words break at Lua's
/// operators and at `.` and `:`, so that a field or a method is completed on its own, and
/// nothing is appended to a completed word.
static inline void desync_edit_set_completion(char **(*complete)(const char *, int, int)) {
    rl_attempted_completion_function = complete;
    rl_basic_word_break_characters = " \t\n\"\\'`@$><=;|&{(.:,+-*/%^~[]#)}";
    rl_completion_append_character = '\0';
}

/// Called from the completion function: libedit must not fall back to file names.
static inline void desync_edit_completion_over(void) { rl_attempted_completion_over = 1; }

/// The line being edited (a mutable C global).
static inline const char *desync_edit_line(void) { return rl_line_buffer; }

/// Decodes the first `count` bytes of a key as one character of the locale, as libedit's own key
/// reader does. Returns 1 with `*character` set, -2 when more bytes are needed, -1 when invalid.
static inline int desync_edit_decode(const char *bytes, size_t count, int *character) {
    mbstate_t shift;
    memset(&shift, 0, sizeof shift);
    wchar_t decoded = 0;
    size_t size = mbrtowc(&decoded, bytes, count, &shift);
    if (size == (size_t)-2) return -2;
    if (size == (size_t)-1) return -1;
    *character = (int)decoded;
    return 1;
}
#endif
