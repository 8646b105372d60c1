/* repl.h: what the `lunet` executable's files share (main.c, repl*.c).
 *
 * main.c owns the Lua state, the options and the protected calls; repl.c
 * owns the interactive loop; repl_print.c shows results; repl_complete.c
 * completes names for readline; help() is lunet.help (l_help.c). */
#ifndef LN_REPL_H
#define LN_REPL_H

#include <signal.h>
#include <lua.h>

/* Calls the function below its narg arguments in protected mode, with the
 * traceback message handler and Ctrl-C turned into a Lua error. With
 * short_errors, the error object left on the stack is the bare message and
 * the traceback is kept for repl_last_traceback. Returns a lua_pcall status. */
int repl_docall(lua_State *L, int narg, int nres, int short_errors);
/* Set when Ctrl-C interrupted the last repl_docall. */
extern volatile sig_atomic_t repl_interrupted;
/* Prints the error message on top of the stack to stderr and pops it. */
int repl_report(lua_State *L, int status);
/* The traceback of the last error caught with short_errors, or NULL. */
const char *repl_last_traceback(lua_State *L);

/* The interactive loop: returns when the input ends (Ctrl-D). */
void repl_run(lua_State *L);
/* Prints the n values on top of the stack readably (and pops them). */
void repl_print_values(lua_State *L, int n);
/* Installs readline's completion of Lua names in L. */
void repl_complete_init(lua_State *L);
/* Prints the versions of lunet, Lua, OpenBLAS and SDL for -v. */
void repl_print_versions(lua_State *L);

#endif
