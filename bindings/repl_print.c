/* repl_print.c: how the REPL shows results.
 *
 * Top-level values print as `print` would (strings raw unless they hold
 * control bytes, then quoted; objects through their __tostring, so a tensor
 * shows its shape and a summary). Plain tables print as constructors, nested
 * to DEPTH levels and MAXITEMS entries, on one line when short and indented
 * otherwise; inside a table, tensors show only their shape and other objects
 * the first line of __tostring. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include "lunet.h"
#include "repl.h"

#define DEPTH 3
#define MAXITEMS 40
#define WIDTH 78

static void push_value(lua_State *L, int idx, int depth, int indent);

static int is_identifier(const char *s)
{
  static const char *const reserved[] = {
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function",
    "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then",
    "true", "until", "while", NULL};
  int i;
  if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
    return 0;
  for (i = 1; s[i]; i++) {
    char c = s[i];
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9')))
      return 0;
  }
  for (i = 0; reserved[i]; i++)
    if (strcmp(s, reserved[i]) == 0)
      return 0;
  return 1;
}

/* Pushes the string at idx as a Lua literal that reads back as the same
 * bytes: in double quotes, with \" \\ \n \r \t and \ddd for other control
 * bytes (three digits when a digit follows, so "\0" .. "1" stays two bytes).
 * Unlike %q, a newline is \n, so a table item stays on its line. */
static void push_quoted(lua_State *L, int idx)
{
  size_t n, i;
  const char *s = lua_tolstring(L, idx, &n);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addchar(&b, '"');
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
                      : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
    if (esc != NULL) {
      luaL_addstring(&b, esc);
    } else if (c < 0x20 || c == 0x7f) {
      char num[8];
      int digit_next = i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9';
      snprintf(num, sizeof num, digit_next ? "\\%03d" : "\\%d", c);
      luaL_addstring(&b, num);
    } else {
      luaL_addchar(&b, (char)c);
    }
  }
  luaL_addchar(&b, '"');
  luaL_pushresult(&b);
}

/* A result string prints raw, as print would, unless it holds a byte a
 * terminal would not show (a NUL, an escape, a carriage return): then it
 * prints quoted, so "a\0b" is seen whole and can be pasted back. */
static int is_text(const char *s, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
      return 0;
  }
  return 1;
}

/* Pushes an object inside a table as one line only. */
static void push_object(lua_State *L, int idx)
{
  ln_tensor *t = l_testtensor(L, idx);
  const char *s, *nl;
  size_t n;
  if (t != NULL) {
    char shape[64];
    if (t->ndim == 0)
      lua_pushliteral(L, "Tensor(empty)");
    else
      lua_pushfstring(L, "Tensor(%s)", ln_shape_str(t, shape, sizeof shape));
    return;
  }
  s = luaL_tolstring(L, idx, &n);
  nl = memchr(s, '\n', n);
  if (nl != NULL) {
    lua_pushlstring(L, s, (size_t)(nl - s));
    lua_pushliteral(L, " ...");
    lua_concat(L, 2);
    lua_remove(L, -2);
  }
}

/* The order of keys: strings first, alphabetically, then numbers, then the
 * rest by their printed form. */
static int key_less(lua_State *L)
{
  int ta = lua_type(L, 1), tb = lua_type(L, 2);
  if ((ta == LUA_TSTRING) != (tb == LUA_TSTRING))
    lua_pushboolean(L, ta == LUA_TSTRING);
  else if (ta == LUA_TSTRING || (ta == LUA_TNUMBER && tb == LUA_TNUMBER))
    lua_pushboolean(L, lua_compare(L, 1, 2, LUA_OPLT));
  else if ((ta == LUA_TNUMBER) != (tb == LUA_TNUMBER))
    lua_pushboolean(L, ta == LUA_TNUMBER);
  else
    lua_pushboolean(L, strcmp(luaL_tolstring(L, 1, NULL), luaL_tolstring(L, 2, NULL)) < 0);
  return 1;
}

/* Sorts the non-sequence keys of the table at idx: strings first, in
 * order, then the rest (key_less). Leaves an array of keys. */
static void sorted_keys(lua_State *L, int idx, lua_Integer seqlen)
{
  int keys, n = 0;
  lua_newtable(L);
  keys = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1 &&
        lua_tointeger(L, -1) <= seqlen)
      continue;
    lua_pushvalue(L, -1);
    lua_rawseti(L, keys, ++n);
  }
  lua_getglobal(L, "table");
  lua_getfield(L, -1, "sort");
  lua_remove(L, -2);
  lua_pushvalue(L, keys);
  lua_pushcfunction(L, key_less);
  lua_call(L, 2, 0);
}

static void add_indent(luaL_Buffer *b, int n)
{
  luaL_addchar(b, '\n');
  while (n-- > 0)
    luaL_addchar(b, ' ');
}

/* Pushes the constructor form of the plain table at idx. Items are
 * formatted first, then laid out on one line when they fit. */
static void push_table(lua_State *L, int idx, int depth, int indent)
{
  lua_Integer seqlen = (lua_Integer)lua_rawlen(L, idx), i;
  int keys, nkeys, items = 0, total, multiline, pack, j;
  size_t width = 0, col = 0;
  luaL_Buffer b;
  /* Each level holds a buffer and a few keys: more than Lua's 20 free slots
   * at depth 3. */
  luaL_checkstack(L, 12, "printing a nested table");
  if (depth >= DEPTH) {
    lua_pushliteral(L, "{...}");
    return;
  }
  /* a table seen on the way down is a cycle */
  lua_pushvalue(L, idx);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) {
    lua_pop(L, 1);
    lua_pushliteral(L, "<cycle>");
    return;
  }
  lua_pop(L, 1);
  lua_pushvalue(L, idx);
  lua_pushboolean(L, 1);
  lua_rawset(L, lua_upvalueindex(1));
  sorted_keys(L, idx, seqlen);
  keys = lua_gettop(L);
  nkeys = (int)lua_rawlen(L, keys);
  total = (int)seqlen + nkeys;
  lua_createtable(L, total < MAXITEMS ? total : MAXITEMS, 0);
  for (i = 1; i <= total && items < MAXITEMS; i++) {
    int kidx, parts = 1;
    if (i <= seqlen)
      lua_pushinteger(L, i);
    else
      lua_rawgeti(L, keys, i - seqlen);
    kidx = lua_gettop(L);
    if (i > seqlen) {
      if (lua_type(L, kidx) == LUA_TSTRING && is_identifier(lua_tostring(L, kidx))) {
        lua_pushfstring(L, "%s = ", lua_tostring(L, kidx));
        parts = 2;
      } else {
        lua_pushliteral(L, "[");
        push_value(L, kidx, DEPTH, 0);
        lua_pushliteral(L, "] = ");
        parts = 4;
      }
    }
    lua_pushvalue(L, kidx);
    lua_rawget(L, idx);
    push_value(L, lua_gettop(L), depth + 1, indent + 2);
    lua_remove(L, -2); /* the value itself */
    lua_concat(L, parts);
    width += lua_rawlen(L, -1) + 2;
    lua_rawseti(L, kidx - 1, ++items);
    lua_pop(L, 1); /* the key */
  }
  multiline = width + (size_t)indent > WIDTH;
  for (j = 1; j <= items && !multiline; j++) {
    lua_rawgeti(L, -1, j);
    multiline = strchr(lua_tostring(L, -1), '\n') != NULL;
    lua_pop(L, 1);
  }
  /* A long list of one-line items fills its lines, as a tensor's rows do;
   * a `key = value` item has a line of its own. */
  for (j = 1, pack = multiline; j <= items && j <= seqlen && pack; j++) {
    lua_rawgeti(L, -1, j);
    pack = strchr(lua_tostring(L, -1), '\n') == NULL;
    lua_pop(L, 1);
  }
  luaL_buffinit(L, &b);
  luaL_addchar(&b, '{');
  for (j = 1; j <= items; j++) {
    size_t len;
    lua_rawgeti(L, -2, j); /* the items, under the buffer's slot */
    len = lua_rawlen(L, -1);
    lua_pop(L, 1);
    if (multiline && pack && j > 1 && j <= seqlen && col + 1 + len + 1 <= WIDTH) {
      luaL_addchar(&b, ' ');
      col += 1;
    } else if (multiline) {
      add_indent(&b, indent + 2);
      col = (size_t)indent + 2;
    }
    col += len + 1;
    lua_rawgeti(L, -2, j);
    luaL_addvalue(&b);
    if (j < items || items < total)
      luaL_addstring(&b, multiline ? "," : ", ");
  }
  if (items < total) {
    if (multiline && pack && items <= seqlen && col + 16 <= WIDTH)
      luaL_addchar(&b, ' ');
    else if (multiline)
      add_indent(&b, indent + 2);
    lua_pushfstring(L, "... (%d more)", total - items);
    luaL_addvalue(&b);
  }
  if (multiline)
    add_indent(&b, indent);
  luaL_addchar(&b, '}');
  luaL_pushresult(&b);
  lua_replace(L, keys);
  lua_pop(L, 1); /* the items */
  lua_pushvalue(L, idx);
  lua_pushnil(L);
  lua_rawset(L, lua_upvalueindex(1));
}

/* Pushes the value at idx as a string; depth 0 is a result itself. */
static void push_value(lua_State *L, int idx, int depth, int indent)
{
  switch (lua_type(L, idx)) {
  case LUA_TSTRING:
    if (depth == 0 && is_text(lua_tostring(L, idx), lua_rawlen(L, idx)))
      lua_pushvalue(L, idx);
    else
      push_quoted(L, idx);
    break;
  case LUA_TTABLE:
    if (luaL_getmetafield(L, idx, "__tostring") != LUA_TNIL ||
        luaL_getmetafield(L, idx, "__name") != LUA_TNIL) {
      lua_pop(L, 1);
      if (depth == 0)
        luaL_tolstring(L, idx, NULL);
      else
        push_object(L, idx);
    } else {
      push_table(L, idx, depth, indent);
    }
    break;
  case LUA_TNUMBER:
    /* "nan" as PyTorch shows it; Lua's %.14g shows x86's 0/0 as "-nan". */
    if (isnan(lua_tonumber(L, idx)))
      lua_pushliteral(L, "nan");
    else
      luaL_tolstring(L, idx, NULL);
    break;
  case LUA_TUSERDATA:
    if (depth > 0) {
      push_object(L, idx);
      break;
    }
    /* fall through */
  default:
    luaL_tolstring(L, idx, NULL);
  }
}

/* Runs in protected mode: a __tostring may fail or the memory run out.
 * Its upvalue holds the tables being printed, to catch cycles. */
static int print_values(lua_State *L)
{
  int n = lua_gettop(L), i, lines = 0;
  /* Side by side as lua does, unless one takes several lines (a tensor, a
   * module): then one below the other, so a row never runs into the next
   * value's text. */
  for (i = 1; i <= n; i++) {
    push_value(L, i, 0, 0);
    lines |= strchr(lua_tostring(L, -1), '\n') != NULL;
  }
  for (i = 1; i <= n; i++) {
    size_t len;
    const char *s = lua_tolstring(L, n + i, &len);
    fwrite(s, 1, len, stdout); /* whole, embedded NULs included */
    fputc(i == n ? '\n' : lines ? '\n' : '\t', stdout);
  }
  lua_settop(L, n);
  fflush(stdout);
  return 0;
}
void repl_print_values(lua_State *L, int n)
{
  int status;
  if (n == 0)
    return;
  lua_newtable(L);
  lua_pushcclosure(L, print_values, 1);
  lua_insert(L, -(n + 1));
  status = repl_docall(L, n, 0, 1);
  if (status != LUA_OK) {
    lua_pushfstring(L, "error printing the result: %s", lua_tostring(L, -1));
    lua_remove(L, -2);
    repl_report(L, status);
  }
}
