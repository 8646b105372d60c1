/* repl.c: the interactive loop of `lunet`, after lua.c's doREPL.
 *
 * A line is first tried as `return <line>` so expressions print; otherwise
 * it is compiled as a statement, and while the only error is an unfinished
 * chunk (a syntax error at "<eof>") more lines are read and joined. One
 * complete statement is one history entry.
 *
 * On a terminal, readline's callback interface reads input so that Ctrl-C
 * at the prompt can drop the current line without leaving the REPL (the
 * blocking readline() cannot be interrupted cleanly). The SIGINT handler
 * only writes a byte to a pipe that the input loop select()s on, which
 * works whichever thread receives the signal (the viewer runs its own). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>
#include <lua.h>
#include <lauxlib.h>
#include <readline/readline.h>
#include <readline/history.h>
#include <cblas.h>
#include <SDL.h>
#include "repl.h"

#define PROMPT1 "> "
#define PROMPT2 ">> "
#define HISTORY_MAX 2000
#define EOFMARK "<eof>"
#define MARKLEN (sizeof(EOFMARK) / sizeof(char) - 1)

static int use_tty;             /* stdin is a terminal: readline, prompts */
static char *history_path;      /* NULL when history is off */
static int sigpipe[2] = {-1, -1};
static char *line_result;         /* the line handed over by on_line */
static int line_done;

void repl_print_versions(lua_State *L)
{
  SDL_version sdl;
  const char *v;
  int top = lua_gettop(L);
  SDL_GetVersion(&sdl);
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_getfield(L, -1, "lunet");
  v = lua_istable(L, -1) && lua_getfield(L, -1, "_VERSION") == LUA_TSTRING
      ? lua_tostring(L, -1) : "(unknown version)";
  printf("lunet %s\n%s\n%s\nSDL %d.%d.%d\n", v, LUA_RELEASE, openblas_get_config(),
         sdl.major, sdl.minor, sdl.patch);
  fflush(stdout);
  lua_settop(L, top);
}

static void on_sigint(int sig)
{
  int saved = errno;
  char c = 1;
  (void)sig;
  if (write(sigpipe[1], &c, 1) < 0) {
    /* the pipe is full: a Ctrl-C is already pending */
  }
  errno = saved;
}

static void on_line(char *line)
{
  line_result = line;
  line_done = 1;
  rl_callback_handler_remove();
}

static void drain_sigpipe(void)
{
  char buf[64];
  while (read(sigpipe[0], buf, sizeof buf) > 0) {
  }
}

/* Reads one line with readline; NULL at end of input. *interrupted is set
 * when Ctrl-C dropped the line being typed. */
static char *tty_readline(const char *prompt, int *interrupted)
{
  struct sigaction sa, old;
  int in = fileno(rl_instream ? rl_instream : stdin);
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  drain_sigpipe();
  line_done = 0;
  line_result = NULL;
  rl_callback_handler_install(prompt, on_line);
  while (!line_done) {
    fd_set fds;
    int top = in > sigpipe[0] ? in : sigpipe[0];
    FD_ZERO(&fds);
    FD_SET(in, &fds);
    FD_SET(sigpipe[0], &fds);
    if (select(top + 1, &fds, NULL, NULL, NULL) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (FD_ISSET(sigpipe[0], &fds)) {
      /* "^C" after the text typed, before the cleanup: leaving the
       * terminal mode (bracketed paste) returns the cursor to column 0 */
      drain_sigpipe();
      rl_point = rl_end;
      rl_redisplay();
      fputs("^C", rl_outstream);
      fflush(rl_outstream);
      rl_free_line_state();
      rl_callback_sigcleanup();
      rl_cleanup_after_signal();
      rl_callback_handler_remove();
      fputs("\n", rl_outstream);
      fflush(rl_outstream);
      *interrupted = 1;
      break;
    }
    if (FD_ISSET(in, &fds))
      rl_callback_read_char();
  }
  sigaction(SIGINT, &old, NULL);
  return line_result;
}

/* Reads one line without a terminal: no prompt, no escape codes. */
static char *plain_readline(void)
{
  size_t cap = 256, len = 0;
  char *buf = malloc(cap);
  int c;
  if (buf == NULL)
    return NULL;
  while ((c = getchar()) != EOF && c != '\n') {
    if (len + 1 == cap) {
      char *nb = realloc(buf, cap * 2);
      if (nb == NULL)
        break;
      buf = nb;
      cap *= 2;
    }
    buf[len++] = (char)c;
  }
  if (c == EOF && len == 0) {
    free(buf);
    return NULL;
  }
  buf[len] = '\0';
  return buf;
}

/* Pushes the next line as a string. Returns 0 at end of input, -1 when
 * Ctrl-C interrupted it. */
static int pushline(lua_State *L, int firstline)
{
  int interrupted = 0;
  char *line;
  size_t l;
  if (use_tty)
    line = tty_readline(firstline ? PROMPT1 : PROMPT2, &interrupted);
  else
    line = plain_readline();
  if (interrupted)
    return -1;
  if (line == NULL)
    return 0;
  l = strlen(line);
  if (l > 0 && line[l - 1] == '\r')
    line[--l] = '\0';
  lua_pushlstring(L, line, l);
  free(line);
  return 1;
}

static int incomplete(lua_State *L, int status)
{
  if (status == LUA_ERRSYNTAX) {
    size_t lmsg;
    const char *msg = lua_tolstring(L, -1, &lmsg);
    if (lmsg >= MARKLEN && strcmp(msg + lmsg - MARKLEN, EOFMARK) == 0) {
      lua_pop(L, 1);
      return 1;
    }
  }
  return 0;
}

static void saveline(const char *line)
{
  HIST_ENTRY *last;
  if (!use_tty || line[0] == '\0')
    return;
  last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
  if (last != NULL && strcmp(last->line, line) == 0)
    return;
  add_history(line);
  if (history_path != NULL)
    append_history(1, history_path);
}

/* Tries `return <line>` on the line on top; leaves the function or
 * pops it. */
static int addreturn(lua_State *L)
{
  const char *line = lua_tostring(L, -1);
  const char *retline = lua_pushfstring(L, "return %s;", line);
  int status = luaL_loadbuffer(L, retline, strlen(retline), "=stdin");
  if (status == LUA_OK)
    lua_remove(L, -2); /* the modified line */
  else
    lua_pop(L, 2);
  return status;
}

static int multiline(lua_State *L)
{
  for (;;) {
    size_t len;
    const char *line = lua_tolstring(L, 1, &len);
    int status = luaL_loadbuffer(L, line, len, "=stdin");
    int more;
    if (!incomplete(L, status))
      return status;
    more = pushline(L, 0);
    if (more <= 0) {
      if (more < 0) /* Ctrl-C: drop the statement */
        return -1;
      /* end of input inside a statement: report the syntax error */
      return luaL_loadbuffer(L, line, len, "=stdin");
    }
    lua_pushliteral(L, "\n");
    lua_insert(L, -2);
    lua_concat(L, 3);
  }
}

/* `:tb` shows the traceback of the last error; other `:` words are
 * reported rather than passed to Lua, where they would be syntax errors.
 * `::name::` is left to Lua: it is a label. */
static int command(lua_State *L)
{
  const char *line = lua_tostring(L, 1);
  const char *tb;
  while (*line == ' ')
    line++;
  if (line[0] != ':' || line[1] == ':')
    return 0;
  if (strncmp(line, ":tb", 3) == 0) {
    tb = repl_last_traceback(L);
    fprintf(stderr, "%s\n", tb ? tb : "no error yet");
  } else {
    fprintf(stderr, "unknown command %s (:tb shows the last traceback)\n", line);
  }
  fflush(stderr);
  return 1;
}

/* Leaves a compiled chunk on the stack; returns its status, -1 when there
 * is nothing to run (Ctrl-C, a `:` command), or -2 at end of input. The
 * statement goes into the history once complete. */
static int loadline(lua_State *L)
{
  int status, got;
  lua_settop(L, 0);
  got = pushline(L, 1);
  if (got <= 0)
    return got == 0 ? -2 : -1;
  if (command(L)) {
    saveline(lua_tostring(L, 1));
    lua_settop(L, 0);
    return -1;
  }
  if ((status = addreturn(L)) != LUA_OK)
    status = multiline(L);
  if (status == -1) {
    lua_settop(L, 0);
    return -1;
  }
  saveline(lua_tostring(L, 1));
  lua_remove(L, 1);
  return status;
}

/* Errors at the prompt: the message alone, without the program name. */
static void repl_error(lua_State *L)
{
  const char *msg = lua_tostring(L, -1);
  if (repl_interrupted)
    fputs("\n", stderr); /* after the "^C" the terminal echoed */
  fprintf(stderr, "%s\n", msg ? msg : "(error object is not a string)");
  fflush(stderr);
  lua_pop(L, 1);
}

static void history_open(void)
{
  const char *env = getenv("LUNET_HISTORY");
  const char *home = getenv("HOME");
  FILE *f;
  if (env != NULL && env[0] != '\0')
    history_path = strdup(env);
  else if (home != NULL) {
    size_t n = strlen(home) + sizeof "/.lunet_history";
    history_path = malloc(n);
    if (history_path != NULL)
      snprintf(history_path, n, "%s/.lunet_history", home);
  }
  if (history_path == NULL)
    return;
  /* timestamps delimit entries, so multi-line statements survive a reload */
  history_comment_char = '#';
  history_write_timestamps = 1;
  history_multiline_entries = 1;
  f = fopen(history_path, "a"); /* append_history needs the file to exist */
  if (f != NULL)
    fclose(f);
  read_history(history_path);
  using_history();
}

static void history_close(void)
{
  if (history_path == NULL)
    return;
  history_truncate_file(history_path, HISTORY_MAX);
  free(history_path);
  history_path = NULL;
}

static int tty_open(lua_State *L)
{
  if (pipe(sigpipe) != 0)
    return 0;
  fcntl(sigpipe[0], F_SETFL, O_NONBLOCK);
  fcntl(sigpipe[1], F_SETFL, O_NONBLOCK);
  fcntl(sigpipe[0], F_SETFD, FD_CLOEXEC);
  fcntl(sigpipe[1], F_SETFD, FD_CLOEXEC);
  rl_readline_name = "lunet";
  rl_catch_signals = 0; /* SIGINT is ours; see tty_readline */
  repl_complete_init(L);
  history_open();
  /* with stdout piped (lunet | tee log), prompts go to the terminal */
  rl_outstream = isatty(1) ? stdout : stderr;
  fprintf(rl_outstream, "lunet REPL (%s)  help() for the API, :tb for the last "
          "traceback, Ctrl-D to exit\n", LUA_RELEASE);
  fflush(rl_outstream);
  return 1;
}

void repl_run(lua_State *L)
{
  int status;
  use_tty = isatty(0) && tty_open(L);
  while ((status = loadline(L)) != -2) {
    if (status == -1)
      continue; /* Ctrl-C at the prompt, or a `:` command */
    if (status == LUA_OK)
      status = repl_docall(L, 0, LUA_MULTRET, 1);
    if (status == LUA_OK)
      repl_print_values(L, lua_gettop(L));
    else
      repl_error(L);
  }
  lua_settop(L, 0);
  if (use_tty) {
    fputs("\n", rl_outstream);
    fflush(rl_outstream);
    history_close();
    close(sigpipe[0]);
    close(sigpipe[1]);
  }
}
