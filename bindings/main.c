/* main.c: the `lunet` executable, a Lua 5.4 interpreter with lunet preloaded.
 *
 * Structured like Lua's own lua.c: main() only creates the state and runs
 * pmain() in protected mode, so even a memory error while handling the
 * options is reported cleanly. Options follow lua.c:
 *   lunet [options] [script [args]]
 *   -e stat  run stat        -i  enter the REPL after the script
 *   -l mod   require mod     -v  print versions     -   script from stdin
 * With no script and no -e/-v, the REPL starts when stdin is a terminal;
 * otherwise stdin is run as a script, exactly like `lua` and `lua -`.
 * `lunet --view [--png FILE] DIR...`, first on the line, is the viewer on
 * run logs (view_main), with no Lua state at all. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include "repl.h"
#include "../core/dist.h"
#include "../viewer/export.h"
#include "../viewer/runlog.h"
#include "../viewer/window.h"

int luaopen_lunet(lua_State *L);

static const char *progname = "lunet";
static lua_State *globalL = NULL;

#define TRACEBACK_KEY "lunet.repl.traceback"

/* Ctrl-C while Lua runs: the handler must not touch the state beyond
 * lua_sethook, which is signal-safe by design. The hook then raises a Lua
 * error at the next instruction, from a safe point. */
static void lstop(lua_State *L, lua_Debug *ar)
{
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

volatile sig_atomic_t repl_interrupted;

static void laction(int i)
{
  int flag = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
  repl_interrupted = 1;
  signal(i, SIG_DFL); /* a second Ctrl-C, if the hook never runs, kills */
  lua_sethook(globalL, lstop, flag, 1);
}

static int msghandler(lua_State *L)
{
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* The REPL shows the bare message and keeps the traceback for `:tb`. */
static int shortmsghandler(lua_State *L)
{
  msghandler(L);
  lua_setfield(L, LUA_REGISTRYINDEX, TRACEBACK_KEY);
  if (lua_isstring(L, 1))
    lua_pushvalue(L, 1);
  else if (!luaL_callmeta(L, 1, "__tostring"))
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  return 1;
}

int repl_docall(lua_State *L, int narg, int nres, int short_errors)
{
  int status;
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, short_errors ? shortmsghandler : msghandler);
  lua_insert(L, base);
  globalL = L;
  repl_interrupted = 0;
  signal(SIGINT, laction);
  status = lua_pcall(L, narg, nres, base);
  signal(SIGINT, SIG_DFL);
  lua_remove(L, base);
  return status;
}

const char *repl_last_traceback(lua_State *L)
{
  const char *tb;
  lua_getfield(L, LUA_REGISTRYINDEX, TRACEBACK_KEY);
  tb = lua_tostring(L, -1);
  lua_pop(L, 1); /* the registry keeps the string alive */
  return tb;
}

/* Under mpirun each rank's messages name the rank (1-based). */
static void l_message(const char *pname, const char *msg)
{
  if (pname)
    fprintf(stderr, "%s: ", pname);
  if (ln_dist_size() > 1)
    fprintf(stderr, "rank %d: ", ln_dist_rank() + 1);
  fprintf(stderr, "%s\n", msg);
  fflush(stderr);
}

int repl_report(lua_State *L, int status)
{
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    l_message(progname, msg ? msg : "(error object is not a string)");
    lua_pop(L, 1);
  }
  return status;
}

static void usage(FILE *f)
{
  fprintf(f,
    "usage: %s [options] [script [args]]\n"
    "Available options are:\n"
    "  -e stat   execute string 'stat'\n"
    "  -i        enter interactive mode after executing 'script'\n"
    "  -l mod    require library 'mod' into global 'mod'\n"
    "  -v        show version information (lunet, Lua, OpenBLAS, SDL)\n"
    "  -h        show this help\n"
    "  --        stop handling options\n"
    "  -         stop handling options and execute stdin\n"
    "Without a script, the REPL starts when stdin is a terminal;\n"
    "otherwise stdin is run as a script (like 'lua -').\n"
    "History: ~/.lunet_history (LUNET_HISTORY overrides).\n"
    "       %s --view [--png FILE] DIR...\n"
    "the window on the run logs of Board{logdir = DIR}, following them as they\n"
    "grow; --png also draws the board to FILE each time the logs grew.\n",
    progname, progname);
  fflush(f);
}

static void print_usage(const char *badoption)
{
  if (badoption[1] == 'e' || badoption[1] == 'l')
    fprintf(stderr, "%s: '%s' needs argument\n", progname, badoption);
  else
    fprintf(stderr, "%s: unrecognized option '%s'\n", progname, badoption);
  usage(stderr);
}

/* The arg table as lua.c builds it: the script at 0, its arguments at
 * 1.., the interpreter and options at negative indices. */
static void createargtable(lua_State *L, char **argv, int argc, int script)
{
  int i, narg;
  if (script == argc)
    script = 0; /* no script: arg[0] is the program name */
  narg = argc - (script + 1);
  lua_createtable(L, narg, script + 1);
  for (i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

static int dochunk(lua_State *L, int status)
{
  if (status == LUA_OK)
    status = repl_docall(L, 0, 0, 0);
  return repl_report(L, status);
}

static int dostring(lua_State *L, const char *s, const char *name)
{
  return dochunk(L, luaL_loadbuffer(L, s, strlen(s), name));
}

/* require mod into the global mod, as lua.c's -l does. */
static int dolibrary(lua_State *L, const char *name)
{
  int status;
  lua_getglobal(L, "require");
  lua_pushstring(L, name);
  status = repl_docall(L, 1, 1, 0);
  if (status == LUA_OK)
    lua_setglobal(L, name);
  return repl_report(L, status);
}

static int pushargs(lua_State *L)
{
  int i, n;
  if (lua_getglobal(L, "arg") != LUA_TTABLE)
    luaL_error(L, "'arg' is not a table");
  n = (int)luaL_len(L, -1);
  luaL_checkstack(L, n + 3, "too many arguments to script");
  for (i = 1; i <= n; i++)
    lua_rawgeti(L, -i, i);
  lua_remove(L, -i);
  return n;
}

static int handle_script(lua_State *L, char **argv)
{
  int status;
  const char *fname = argv[0];
  if (strcmp(fname, "-") == 0 && strcmp(argv[-1], "--") != 0)
    fname = NULL; /* stdin */
  status = luaL_loadfile(L, fname);
  if (status == LUA_OK) {
    int n = pushargs(L);
    status = repl_docall(L, n, LUA_MULTRET, 0);
  }
  return repl_report(L, status);
}

#define has_error 1 /* bad option */
#define has_i 2
#define has_v 4
#define has_e 8

/* Returns the flags seen and sets *first to the index of the script
 * (argc when none), as lua.c's collectargs. */
static int collectargs(char **argv, int *first)
{
  int args = 0, i;
  for (i = 1; argv[i] != NULL; i++) {
    *first = i;
    if (argv[i][0] != '-')
      return args;
    switch (argv[i][1]) {
    case '-':
      if (argv[i][2] != '\0')
        return has_error;
      *first = i + 1;
      return args;
    case '\0':
      return args;
    case 'i':
      args |= has_i;
      if (argv[i][2] != '\0')
        return has_error;
      break;
    case 'v':
      if (argv[i][2] != '\0')
        return has_error;
      args |= has_v;
      break;
    case 'h':
      *first = -i; /* asks for the usage text */
      return args;
    case 'e':
      args |= has_e; /* fall through */
    case 'l':
      if (argv[i][2] == '\0') {
        i++;
        if (argv[i] == NULL || argv[i][0] == '-')
          return has_error;
      }
      break;
    default:
      return has_error;
    }
  }
  *first = i;
  return args;
}

static int runargs(lua_State *L, char **argv, int n)
{
  int i;
  for (i = 1; i < n; i++) {
    int option = argv[i][1];
    if (option == 'e' || option == 'l') {
      const char *extra = argv[i] + 2;
      int status;
      if (*extra == '\0')
        extra = argv[++i];
      status = option == 'e' ? dostring(L, extra, "=(command line)")
                             : dolibrary(L, extra);
      if (status != LUA_OK)
        return 0;
    }
  }
  return 1;
}

static int pmain(lua_State *L)
{
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  int script = 0;
  int args = collectargs(argv, &script);
  if (argv[0] && argv[0][0])
    progname = argv[0];
  if (script < 0) {
    usage(stdout);
    lua_pushboolean(L, 1);
    return 1;
  }
  if (args == has_error) {
    print_usage(argv[script]);
    return 0;
  }
  luaL_checkversion(L);
  luaL_openlibs(L);
  luaL_requiref(L, "lunet", luaopen_lunet, 1);
  lua_getfield(L, -1, "help");  /* the REPL's help() is lunet.help */
  lua_setglobal(L, "help");
  lua_pop(L, 1);
  createargtable(L, argv, argc, script);
  /* Not lua.c's generational mode: a tensor charges its storage to the
   * collector (l_tensor.c), so a minor collection runs at nearly every big
   * allocation, and temporaries still held by locals turn old and wait for
   * a major one (docs/architecture.md, "Tensor storage"). */
  lua_gc(L, LUA_GCINC, 0, 0, 0);
  if (args & has_v)
    repl_print_versions(L);
  if (!runargs(L, argv, script))
    return 0;
  if (script < argc && handle_script(L, argv + script) != LUA_OK)
    return 0;
  if (args & has_i)
    repl_run(L);
  else if (script == argc && !(args & (has_e | has_v))) {
    if (isatty(0))
      repl_run(L);
    else if (dochunk(L, luaL_loadfile(L, NULL)) != LUA_OK)
      return 0;
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* ---- lunet --view ---- */

#define VIEW_POLL_MS 200 /* how often the logs' sizes are looked at */

typedef struct view_png {
  vw_board *b;
  const char *path;
  vw_view v;
  int failed;
} view_png;

/* After each poll that grew the board: the picture save_png draws of it,
 * at the window's first size (for scripts and tests that watch a run). */
static void view_save(void *arg)
{
  view_png *p = arg;
  if (vw_save_png(p->b, p->path, &p->v) < 0 && !p->failed) {
    fprintf(stderr, "%s: --view: --png: %s\n", progname, vw_error());
    p->failed = 1;
  }
}

static int view_main(int argc, char **argv)
{
  view_png png = {NULL, NULL, {0}, 0};
  char title[256];
  vw_window *w;
  vw_runs *rs;
  vw_view v;
  int i = 2, n = 0;
  if (argv[0] && argv[0][0])
    progname = argv[0];
  if (i + 1 < argc && strcmp(argv[i], "--png") == 0) {
    png.path = argv[i + 1];
    i += 2;
  }
  if (i >= argc || argv[i][0] == '-') {
    fprintf(stderr, "%s: usage: %s --view [--png FILE] DIR...\n", progname, progname);
    return EXIT_FAILURE;
  }
  rs = vw_runs_open((const char *const *)argv + i, (size_t)(argc - i));
  if (!rs) {
    fprintf(stderr, "%s: --view: %s\n", progname, vw_error());
    return EXIT_FAILURE;
  }
  n = snprintf(title, sizeof title, "lunet --view");
  for (int k = i; k < argc && n < (int)sizeof title; k++)
    n += snprintf(title + n, sizeof title - (size_t)n, " %s", argv[k]);
  vw_view_defaults(&v);
  w = vw_window_open(vw_runs_board(rs), &v, title);
  if (!w) {
    fprintf(stderr, "%s: --view: %s\n", progname, vw_error());
    vw_runs_free(rs);
    return EXIT_FAILURE;
  }
  if (png.path) {
    png.b = vw_runs_board(rs);
    png.v = v;
    view_save(&png);
  }
  if (vw_runs_follow(rs, VIEW_POLL_MS, png.path ? view_save : NULL, &png) < 0)
    fprintf(stderr, "%s: --view: %s (the runs are shown as they were)\n", progname,
            vw_error());
  vw_window_wait(w);
  vw_window_free(w);
  vw_runs_free(rs);
  return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
  int status, result;
  lua_State *L;
  if (argc > 1 && strcmp(argv[1], "--view") == 0)
    return view_main(argc, argv);
  L = luaL_newstate();
  if (L == NULL) {
    l_message(argv[0], "cannot create state: not enough memory");
    return EXIT_FAILURE;
  }
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  status = lua_pcall(L, 2, 1, 0);
  result = lua_toboolean(L, -1);
  repl_report(L, status);
  /* A failed rank ends the job: the others may be waiting for it in a
   * collective. The message is out already. */
  if (!(result && status == LUA_OK))
    ln_dist_abort(EXIT_FAILURE);
  lua_close(L);
  return (result && status == LUA_OK) ? EXIT_SUCCESS : EXIT_FAILURE;
}
