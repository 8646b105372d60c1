/* repl_complete.c: readline completion of Lua names.
 *
 * The word before the cursor is a chain and a prefix: `lunet.Lin` looks up
 * `lunet` and completes `Lin` among its fields; `x:num` completes `num`
 * among x's methods; `net.modules[1]:zer` and `lin.weight:su` look up
 * the chain first. A chain is names, `.name` and `[key]` with a number or
 * a quoted string: no calls and no operators, so completing runs none of
 * the user's code. It is looked up from the globals by raw gets, following
 * __index tables, never a Lua __index function; the one thing called is
 * the C __index of lunet's own userdata (a metatable named "lunet.*"),
 * which reads a field without changing anything (it may make a view or a
 * table, as reading `m.output` does). A chain that cannot be looked up
 * completes to nothing.
 *
 * For a table or userdata, candidates are its own fields (tables only) and
 * then, following metatables, the __methods table when there is one
 * (lunet's modules have a function __index) or the __index table. A lunet
 * userdata also offers its fields, the list its __index gives in the error
 * for a field it does not have ("Linear: no field 'x' (fields: weight,
 * ...)"); a module is not offered the methods that always fail on its kind
 * (add, insert and remove outside a Sequential, get without children,
 * parameter, buffer and child outside a module written in Lua). */
#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include <readline/readline.h>
#include "repl.h"

#define MAXCHAIN 8 /* __index levels followed */

static lua_State *cL;
static char chain[256]; /* the line before the word, when the word follows `]` */

static const char *const keywords[] = {
  "and", "break", "do", "else", "elseif", "end", "false", "for", "function",
  "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then",
  "true", "until", "while", NULL};

/* 1 when the value at idx is a userdata of lunet's (its metatable's
 * __name starts "lunet.") whose __index is a C function, or such a table
 * (m.modules, an empty proxy). */
static int lunet_udata(lua_State *L, int idx)
{
  int yes = 0, top = lua_gettop(L), t = lua_type(L, idx);
  if ((t != LUA_TUSERDATA && t != LUA_TTABLE) || !lua_getmetatable(L, idx))
    return 0;
  if (lua_getfield(L, top + 1, "__name") == LUA_TSTRING &&
      strncmp(lua_tostring(L, -1), "lunet.", 6) == 0 &&
      lua_getfield(L, top + 1, "__index") == LUA_TFUNCTION)
    yes = lua_iscfunction(L, -1);
  lua_settop(L, top);
  return yes;
}

/* Calls the C __index of the lunet userdata at idx with the key on top
 * (popped); returns whether it returned, and pushes the value or the
 * error. */
static int lunet_index(lua_State *L, int idx)
{
  idx = lua_absindex(L, idx);
  luaL_getmetafield(L, idx, "__index");
  lua_pushvalue(L, idx);
  lua_rotate(L, -3, -1); /* __index, value, key */
  return lua_pcall(L, 2, 1, 0) == LUA_OK;
}

/* Replaces the value under the key on top with its field key (popped):
 * nil when it cannot be looked up safely. */
static void safe_get(lua_State *L)
{
  int i;
  for (i = 0; i < MAXCHAIN; i++) {
    int t = lua_type(L, -2);
    if (lunet_udata(L, -2)) {
      if (!lunet_index(L, -2)) {
        lua_pop(L, 1);
        lua_pushnil(L);
      }
      lua_replace(L, -2);
      return;
    }
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

static int is_name_char(char c)
{
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Pushes the value of the chain s[0..n) (`a.b[1]["c"]`), or nil when it is
 * not a chain or cannot be looked up. */
static void push_chain(lua_State *L, const char *s, size_t n)
{
  const char *p = s, *end = s + n;
  lua_pushglobaltable(L);
  if (p == end || !is_name_char(*p) || (*p >= '0' && *p <= '9')) {
    lua_pop(L, 1);
    lua_pushnil(L);
    return;
  }
  while (p < end && !lua_isnil(L, -1)) {
    const char *q;
    if (*p == '.' || p == s) {
      p += *p == '.';
      for (q = p; q < end && is_name_char(*q); q++) {
      }
      if (q == p || (*p >= '0' && *p <= '9'))
        break;
      lua_pushlstring(L, p, (size_t)(q - p));
      p = q;
    } else if (*p == '[' && p + 1 < end && (p[1] == '"' || p[1] == '\'')) {
      q = memchr(p + 2, p[1], (size_t)(end - p - 2));
      if (q == NULL || q + 1 >= end || q[1] != ']' || memchr(p + 2, '\\', (size_t)(q - p - 2)))
        break;
      lua_pushlstring(L, p + 2, (size_t)(q - p - 2));
      p = q + 2;
    } else if (*p == '[') {
      char num[32];
      q = memchr(p, ']', (size_t)(end - p));
      if (q == NULL || (size_t)(q - p) >= sizeof num)
        break;
      memcpy(num, p + 1, (size_t)(q - p - 1));
      num[q - p - 1] = '\0';
      if (lua_stringtonumber(L, num) == 0)
        break;
      p = q + 1;
    } else {
      break;
    }
    safe_get(L);
  }
  if (p < end) {
    lua_pop(L, 1);
    lua_pushnil(L);
  }
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

/* Adds the fields of the lunet userdata at idx that start with prefix:
 * those its __index lists when asked for one it does not have. */
static void add_fields(lua_State *L, int set, int idx, const char *prefix, size_t plen)
{
  const char *msg, *p, *end;
  if (!lunet_udata(L, idx))
    return;
  lua_pushliteral(L, "\1"); /* no field is called that */
  if (lunet_index(L, idx) || lua_type(L, -1) != LUA_TSTRING ||
      (p = strstr(msg = lua_tostring(L, -1), "(fields: ")) == NULL ||
      (end = strrchr(msg, ')')) == NULL || end < p) {
    lua_pop(L, 1);
    return;
  }
  for (p += 9; p < end;) { /* "weight, bias, ..." or "last_epoch or optimizer" */
    const char *q = p;
    while (q < end && is_name_char(*q))
      q++;
    if (q > p && (size_t)(q - p) >= plen && strncmp(p, prefix, plen) == 0 &&
        !(q - p == 2 && strncmp(p, "or", 2) == 0)) {
      lua_pushlstring(L, p, (size_t)(q - p));
      lua_pushboolean(L, 1);
      lua_rawset(L, set);
    }
    p = q;
    while (p < end && !is_name_char(*p))
      p++;
  }
  lua_pop(L, 1);
}

/* Takes out of the set the methods that always fail on the module at idx:
 * add, insert and remove unless it is a Sequential, get unless it has
 * children too, parameter, buffer and child unless it is written in Lua
 * (its type is not a built-in constructor). Its type and length come from
 * lunet's C functions; when either fails nothing is taken out. */
static void drop_failing_methods(lua_State *L, int set, int idx)
{
  static const char *const seq_only[] = {"add", "insert", "remove", NULL};
  static const char *const lua_only[] = {"parameter", "buffer", "child", NULL};
  int top = lua_gettop(L), seq, builtin, i;
  lua_Integer nchild;
  idx = lua_absindex(L, idx);
  if (luaL_testudata(L, idx, "lunet.Module") == NULL ||
      luaL_getmetafield(L, idx, "__methods") != LUA_TTABLE ||
      lua_getfield(L, -1, "type") != LUA_TFUNCTION || !lua_iscfunction(L, -1) ||
      (lua_pushvalue(L, idx), lua_pcall(L, 1, 1, 0)) != LUA_OK ||
      lua_type(L, -1) != LUA_TSTRING ||
      luaL_getmetafield(L, idx, "__len") != LUA_TFUNCTION || !lua_iscfunction(L, -1) ||
      (lua_pushvalue(L, idx), lua_pcall(L, 1, 1, 0)) != LUA_OK || !lua_isinteger(L, -1)) {
    lua_settop(L, top);
    return;
  }
  nchild = lua_tointeger(L, -1);
  seq = strcmp(lua_tostring(L, -2), "Sequential") == 0;
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_getfield(L, -1, "lunet");
  builtin = lua_istable(L, -1) && lua_getfield(L, -1, lua_tostring(L, -4)) == LUA_TFUNCTION &&
            lua_iscfunction(L, -1);
  for (i = 0; seq_only[i] != NULL; i++) {
    if (seq)
      break;
    lua_pushnil(L);
    lua_setfield(L, set, seq_only[i]);
  }
  if (!seq && nchild == 0) {
    lua_pushnil(L);
    lua_setfield(L, set, "get");
  }
  for (i = 0; builtin && lua_only[i] != NULL; i++) {
    lua_pushnil(L);
    lua_setfield(L, set, lua_only[i]);
  }
  lua_settop(L, top);
}

/* Returns the set (a table) of candidates for the word at 1: a chain, `.`
 * or `:`, and a prefix, or a prefix alone (a global or a keyword). Run in
 * protected mode: the walk runs no Lua code, but memory may run out. */
static int collect(lua_State *L)
{
  size_t wl;
  const char *word = lua_tolstring(L, 1, &wl);
  const char *prefix = word + wl;
  int set, i, value;
  while (prefix > word && is_name_char(prefix[-1]))
    prefix--;
  lua_newtable(L);
  set = lua_gettop(L);
  if (prefix == word) {
    lua_pushglobaltable(L);
    add_candidates(L, set, word, wl, 0);
    for (i = 0; keywords[i]; i++)
      if (strncmp(keywords[i], word, wl) == 0) {
        lua_pushboolean(L, 1);
        lua_setfield(L, set, keywords[i]);
      }
  } else if (prefix[-1] == '.' || prefix[-1] == ':') {
    size_t plen = wl - (size_t)(prefix - word);
    int methods = prefix[-1] == ':';
    push_chain(L, word, (size_t)(prefix - 1 - word));
    value = lua_gettop(L);
    lua_pushvalue(L, value);
    add_candidates(L, set, prefix, plen, methods);
    if (!methods)
      add_fields(L, set, value, prefix, plen);
    drop_failing_methods(L, set, value);
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
    lua_pushfstring(L, "%s%s", chain, text);
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

/* Sets chain to the part of the line before start that indexes with `[`
 * (`net.modules[1]` of `net.modules[1]:zer`, where `]` broke the word),
 * or "" when the word does not follow `]`. */
static void find_chain(const char *line, int start)
{
  int p = start;
  while (p > 0 && line[p - 1] == ']') {
    p--;
    while (p > 0 && line[p - 1] != '[' && line[p - 1] != ']')
      p--;
    if (p == 0 || line[p - 1] != '[') {
      chain[0] = '\0';
      return;
    }
    p--;
    while (p > 0 && (is_name_char(line[p - 1]) || line[p - 1] == '.'))
      p--;
  }
  if ((size_t)(start - p) >= sizeof chain || (p < start && !is_name_char(line[p])))
    p = start;
  memcpy(chain, line + p, (size_t)(start - p));
  chain[start - p] = '\0';
}

static char **complete(const char *text, int start, int end)
{
  (void)end;
  find_chain(rl_line_buffer, start);
  if (chain[0] != '\0' && text[0] != '.' && text[0] != ':')
    chain[0] = '\0', text = "\1"; /* `a[1]x`: nothing to complete */
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
