/* repl_complete.c: readline completion of Lua names.
 *
 * The word before the cursor is split at its last `.` or `:` into a path
 * and a prefix: `lunet.Lin` looks up `lunet` and completes `Lin` among its
 * fields; `x:num` completes `num` among x's methods. Paths are resolved by
 * plain field lookups from the globals (raw where possible, and never by
 * running code), so completing cannot change the state or raise.
 *
 * For a table or userdata, candidates are its own fields (tables only) and
 * then, following metatables, the __methods table when there is one
 * (lunet's modules have a function __index) or the __index table. */
#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include <readline/readline.h>
#include "repl.h"

#define MAXCHAIN 8 /* __index levels followed */

static lua_State *cL;

static const char *const keywords[] = {
  "and", "break", "do", "else", "elseif", "end", "false", "for", "function",
  "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then",
  "true", "until", "while", NULL};

/* Pushes the value of field `name` (length n) of the value on top,
 * replacing it; pushes nil when it cannot be looked up safely. */
static void safe_field(lua_State *L, const char *name, size_t n)
{
  int i;
  lua_pushlstring(L, name, n);
  for (i = 0; i < MAXCHAIN; i++) {
    int t = lua_type(L, -2);
    if (t == LUA_TTABLE) {
      lua_pushvalue(L, -1);
      if (lua_rawget(L, -3) != LUA_TNIL) {
        lua_replace(L, -3);
        lua_pop(L, 1);
        return;
      }
      lua_pop(L, 1);
    } else if (t != LUA_TUSERDATA) {
      break;
    }
    /* follow an __index table, never an __index function */
    if (!lua_getmetatable(L, -2))
      break;
    lua_getfield(L, -1, "__index");
    lua_remove(L, -2);
    if (!lua_istable(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    lua_replace(L, -3);
  }
  lua_pop(L, 2);
  lua_pushnil(L);
}

/* Adds the string keys of the table on top that start with prefix to the
 * set at `set` (a table used as a set), then pops the table. */
static void add_keys(lua_State *L, int set, const char *prefix, size_t plen,
                     int methods_only)
{
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    const char *k;
    size_t kl;
    if (lua_type(L, -2) == LUA_TSTRING) {
      k = lua_tolstring(L, -2, &kl);
      if (kl >= plen && strncmp(k, prefix, plen) == 0 &&
          !(kl >= 2 && k[0] == '_' && k[1] == '_' && plen < 2) &&
          (!methods_only || lua_type(L, -1) == LUA_TFUNCTION)) {
        lua_pushvalue(L, -2);
        lua_pushboolean(L, 1);
        lua_rawset(L, set);
      }
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* The candidates for the value on top (popped): its fields, then what its
 * metatables offer. A __methods list may be an array of names. */
static void add_candidates(lua_State *L, int set, const char *prefix, size_t plen,
                           int methods_only)
{
  int i;
  for (i = 0; i < MAXCHAIN; i++) {
    int t = lua_type(L, -1);
    if (t == LUA_TTABLE) {
      lua_pushvalue(L, -1);
      add_keys(L, set, prefix, plen, methods_only);
    } else if (t != LUA_TUSERDATA && t != LUA_TSTRING) {
      break;
    }
    if (!lua_getmetatable(L, -1))
      break;
    if (lua_getfield(L, -1, "__methods") == LUA_TTABLE) {
      lua_Integer n = (lua_Integer)lua_rawlen(L, -1), j;
      for (j = 1; j <= n; j++) {
        size_t kl;
        const char *k;
        if (lua_rawgeti(L, -1, j) == LUA_TSTRING) {
          k = lua_tolstring(L, -1, &kl);
          if (kl >= plen && strncmp(k, prefix, plen) == 0) {
            lua_pushboolean(L, 1);
            lua_rawset(L, set);
            continue;
          }
        }
        lua_pop(L, 1);
      }
      add_keys(L, set, prefix, plen, 0); /* a table of name = function */
      lua_pop(L, 1); /* the metatable */
      break;
    }
    lua_pop(L, 1);
    lua_getfield(L, -1, "__index");
    lua_remove(L, -2);
    lua_remove(L, -2);
    if (!lua_istable(L, -1))
      break;
  }
  lua_pop(L, 1);
}

/* Returns the set (a table) of candidates for the word at 1: a dotted path
 * and a prefix. Run in protected mode: the walk runs no Lua code, but
 * memory may run out. */
static int collect(lua_State *L)
{
  size_t wl;
  const char *word = lua_tolstring(L, 1, &wl);
  const char *end = word + wl, *sep = NULL, *p, *a, *b;
  int set, i;
  for (p = word; p < end; p++)
    if (*p == '.' || *p == ':')
      sep = p;
  lua_newtable(L);
  set = lua_gettop(L);
  lua_pushglobaltable(L);
  if (sep == NULL) {
    add_candidates(L, set, word, wl, 0);
    for (i = 0; keywords[i]; i++)
      if (strncmp(keywords[i], word, wl) == 0) {
        lua_pushboolean(L, 1);
        lua_setfield(L, set, keywords[i]);
      }
  } else {
    for (a = word; a < sep && !lua_isnil(L, -1); a = b + 1) {
      for (b = a; b < sep && *b != '.' && *b != ':'; b++) {
      }
      safe_field(L, a, (size_t)(b - a));
    }
    add_candidates(L, set, sep + 1, (size_t)(end - sep - 1), *sep == ':');
  }
  lua_settop(L, set);
  return 1;
}

/* The generator readline calls repeatedly; state 0 starts a new word. The
 * word is the whole path ("lunet.Lin"), as `.` and `:` do not break words,
 * so each match is the path followed by a candidate. */
static char *generator(const char *text, int state)
{
  static char **list;
  static int pos;
  if (state == 0) {
    lua_State *L = cL;
    int top = lua_gettop(L), n = 0, i = 0;
    const char *sep = NULL, *p;
    size_t keep;
    free(list);
    list = NULL;
    pos = 0;
    for (p = text; *p; p++)
      if (*p == '.' || *p == ':')
        sep = p;
    keep = sep ? (size_t)(sep + 1 - text) : 0;
    lua_pushcfunction(L, collect);
    lua_pushstring(L, text);
    if (lua_pcall(L, 1, 1, 0) == LUA_OK) {
      for (lua_pushnil(L); lua_next(L, -2) != 0; lua_pop(L, 1))
        n++;
      list = calloc((size_t)n + 1, sizeof *list);
      for (lua_pushnil(L); list != NULL && lua_next(L, -2) != 0; lua_pop(L, 1)) {
        size_t kl;
        const char *k = lua_tolstring(L, -2, &kl);
        char *m = malloc(keep + kl + 1);
        if (m == NULL)
          continue;
        memcpy(m, text, keep);
        memcpy(m + keep, k, kl + 1);
        list[i++] = m;
      }
    }
    lua_settop(L, top);
  }
  if (list == NULL || list[pos] == NULL)
    return NULL;
  return list[pos++]; /* readline frees it */
}

static char **complete(const char *text, int start, int end)
{
  (void)start;
  (void)end;
  rl_attempted_completion_over = 1; /* no file names */
  rl_completion_append_character = '\0';
  return rl_completion_matches(text, generator);
}

/* Lists candidates by their last part ("Linear", not "lunet.Linear"), as
 * IPython does; matches[0] is the common prefix and is not listed. */
static void display(char **matches, int n, int maxlen)
{
  char **names = malloc((size_t)(n + 2) * sizeof *names);
  int i, width = 0;
  (void)maxlen;
  if (names == NULL)
    return;
  names[0] = matches[0];
  for (i = 1; i <= n; i++) {
    const char *p = matches[i] + strlen(matches[i]);
    while (p > matches[i] && p[-1] != '.' && p[-1] != ':')
      p--;
    names[i] = (char *)p;
    if ((int)strlen(p) > width)
      width = (int)strlen(p);
  }
  names[n + 1] = NULL;
  rl_display_match_list(names, n, width);
  rl_forced_update_display();
  free(names);
}

void repl_complete_init(lua_State *L)
{
  cL = L;
  /* `.` and `:` are not breaks: the word is the whole path, so readline
   * shows `lunet.Linear` and completes after the dot. */
  rl_basic_word_break_characters = " \t\n\"\\'`@$><=;|&{(,+-*/%^#~[]";
  rl_attempted_completion_function = complete;
  rl_completion_display_matches_hook = display;
}
