/* l_help.c: lunet.help() (the REPL's global help()), whose text is
 * docs/api.md compiled into lunet.so (build/gen/api_doc.c, made by
 * tools/embed_doc.sh), the same file the README's API reference points to,
 * so the two never disagree, and the stock lua5.4 has it too.
 *
 * docs/api.md has a strict shape: `## Section` headings, and under them
 * entries that start with a line "### `signature`" followed by one
 * paragraph. An entry's name is its signature up to the first "(":
 * "lunet.Linear", "t:view", "lunet.optim.SGD". help(x) finds the entry:
 *   help()            the sections and their names
 *   help("Linear")    by name, full ("lunet.Linear") or last part ("Linear")
 *   help(lunet.Linear) a function of the lunet table, or a method
 *   help(t)           an object, by its metatable's __name ("lunet.Tensor"),
 *                     or a module, optimizer, scheduler, loss by its kind
 *   help("Tensor:view") the names errors give: t:view; "Board.open" is
 *                     lunet.Board.open */
#include <stdio.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include "lunet.h"

extern const char lunet_api_doc[];

#define ENTRIES_KEY "lunet.repl.help"
#define SEARCH_DEPTH 3 /* lunet.optim.SGD is three levels down */

/* The last part of a name: "SGD" of "lunet.optim.SGD", "view" of "t:view". */
static const char *last_part(const char *name)
{
  const char *p = name + strlen(name);
  while (p > name && p[-1] != '.' && p[-1] != ':')
    p--;
  return p;
}

static void add_entry(lua_State *L, int entries, const char *section,
                      const char *sig, size_t siglen, const char *body, size_t bodylen)
{
  size_t namelen = 0;
  while (namelen < siglen && !strchr("({[ ", sig[namelen]))
    namelen++;
  while (bodylen > 0 && (body[bodylen - 1] == '\n' || body[bodylen - 1] == ' '))
    bodylen--;
  lua_createtable(L, 0, 4);
  lua_pushlstring(L, sig, namelen);
  lua_setfield(L, -2, "name");
  lua_pushlstring(L, sig, siglen);
  lua_setfield(L, -2, "sig");
  lua_pushstring(L, section);
  lua_setfield(L, -2, "section");
  lua_pushlstring(L, body, bodylen);
  lua_setfield(L, -2, "text");
  lua_rawseti(L, entries, (lua_Integer)lua_rawlen(L, entries) + 1);
}

/* Splits the document into entries; the text before the first section is
 * the overview. */
static void parse_doc(lua_State *L)
{
  const char *p = lunet_api_doc;
  const char *sig = NULL, *body = NULL, *intro = NULL;
  size_t siglen = 0;
  char section[128] = "";
  int entries;
  lua_newtable(L);
  entries = lua_gettop(L);
  while (*p) {
    const char *eol = strchr(p, '\n');
    const char *next = eol ? eol + 1 : p + strlen(p);
    if (p[0] == '#') {
      if (sig != NULL)
        add_entry(L, entries, section, sig, siglen, body, (size_t)(p - body));
      sig = NULL;
      if (intro != NULL) {
        lua_pushlstring(L, intro, (size_t)(p - intro));
        lua_setfield(L, entries, "intro");
        intro = NULL;
      }
      if (strncmp(p, "### `", 5) == 0) {
        const char *end = memchr(p + 5, '`', (size_t)(next - p - 5));
        if (end != NULL) {
          sig = p + 5;
          siglen = (size_t)(end - sig);
          body = next;
        }
      } else if (strncmp(p, "## ", 3) == 0) {
        size_t n = (size_t)((eol ? eol : next) - p - 3);
        if (n >= sizeof section)
          n = sizeof section - 1;
        memcpy(section, p + 3, n);
        section[n] = '\0';
      } else if (strncmp(p, "# ", 2) == 0 && section[0] == '\0') {
        intro = next;
      }
    }
    p = next;
  }
  if (sig != NULL)
    add_entry(L, entries, section, sig, siglen, body, (size_t)(p - body));
  lua_setfield(L, LUA_REGISTRYINDEX, ENTRIES_KEY);
}

static void print_entry(lua_State *L, int entry)
{
  lua_getfield(L, entry, "sig");
  lua_getfield(L, entry, "text");
  printf("%s\n  ", lua_tostring(L, -2));
  for (const char *s = lua_tostring(L, -1); *s; s++) {
    putchar(*s);
    if (*s == '\n')
      fputs("  ", stdout);
  }
  putchar('\n');
  lua_pop(L, 2);
}

/* Pushes the method table of the object at obj (its metatable's __methods
 * or __index table), or nil. */
static void push_method_table(lua_State *L, int obj)
{
  if (luaL_getmetafield(L, obj, "__methods") == LUA_TTABLE)
    return;
  if (luaL_getmetafield(L, obj, "__index") == LUA_TTABLE)
    return;
  lua_pushnil(L);
}

/* True when the method table at idx (or nil: any) has name. */
static int has_method(lua_State *L, int idx, const char *name)
{
  int found;
  if (!lua_istable(L, idx))
    return 1;
  found = lua_getfield(L, idx, name) != LUA_TNIL;
  lua_pop(L, 1);
  return found;
}

/* Pushes entry i of entries, its section and its name (at -3, -2, -1);
 * returns the name. */
static const char *push_entry(lua_State *L, int entries, lua_Integer i)
{
  lua_rawgeti(L, entries, i);
  lua_getfield(L, -1, "section");
  lua_getfield(L, -2, "name");
  return lua_tostring(L, -1);
}

/* Pushes the receiver of the methods that belong with entry i ("opt" for
 * lunet.optim.SGD, "sched" for StepLR, "t" for lunet.Tensor): that of the
 * first method after it in its section, or nil when none follows. The
 * document lists a class's methods after its constructors and class entry,
 * so this tells opt:step from sched:step in one section. */
static void push_receiver(lua_State *L, int entries, lua_Integer i)
{
  lua_Integer j, n = (lua_Integer)lua_rawlen(L, entries);
  int sec;
  lua_rawgeti(L, entries, i);
  lua_getfield(L, -1, "section");
  sec = lua_gettop(L);
  for (j = i + 1; j <= n; j++) {
    const char *name = push_entry(L, entries, j), *colon = strchr(name, ':');
    if (!lua_rawequal(L, -2, sec)) {
      lua_settop(L, sec);
      break;
    }
    if (colon != NULL) {
      lua_pushlstring(L, name, (size_t)(colon - name));
      lua_replace(L, sec - 1);
      lua_settop(L, sec - 1);
      return;
    }
    lua_settop(L, sec);
  }
  lua_settop(L, sec - 2);
  lua_pushnil(L);
}

/* After a class entry (number i of entries), the methods of its section
 * with its receiver; for an object (obj not 0), only the methods it has,
 * and for a class lunet registered a metatable of that name, only those
 * its objects have. */
static void print_methods(lua_State *L, int entries, lua_Integer i, int obj)
{
  lua_Integer j, n = (lua_Integer)lua_rawlen(L, entries);
  int count = 0, col = 0, methods, recv;
  if (obj != 0) {
    push_method_table(L, obj);
  } else {
    int base = lua_gettop(L);
    lua_rawgeti(L, entries, i);
    lua_getfield(L, base + 1, "name");
    lua_pushnil(L); /* base + 3: the method table, if any */
    if (luaL_getmetatable(L, lua_tostring(L, base + 2)) == LUA_TTABLE &&
        (lua_getfield(L, base + 4, "__methods") == LUA_TTABLE ||
         (lua_pop(L, 1), lua_getfield(L, base + 4, "__index") == LUA_TTABLE)))
      lua_replace(L, base + 3);
    lua_settop(L, base + 3);
    lua_replace(L, base + 1);
    lua_settop(L, base + 1);
  }
  methods = lua_gettop(L);
  push_receiver(L, entries, i);
  recv = methods + 1;
  lua_rawgeti(L, entries, i);
  lua_getfield(L, -1, "section");
  lua_remove(L, -2);
  for (j = 1; j <= n; j++) {
    const char *name = push_entry(L, entries, j), *colon = strchr(name, ':');
    if (lua_rawequal(L, -2, recv + 1) && colon != NULL &&
        (lua_isnil(L, recv) || (strncmp(name, lua_tostring(L, recv), (size_t)(colon - name))
                                == 0 && lua_rawlen(L, recv) == (size_t)(colon - name))) &&
        has_method(L, methods, last_part(name))) {
      const char *sig;
      lua_getfield(L, -3, "sig");
      sig = lua_tostring(L, -1);
      if (count == 0)
        col = printf("  methods: %s", sig);
      else if (col + 2 + (int)strlen(sig) > 78)
        col = printf(",\n    %s", sig) - 2;
      else
        col += printf(", %s", sig);
      count++;
    }
    lua_settop(L, recv + 1);
  }
  if (count > 0)
    putchar('\n');
  lua_settop(L, methods - 1);
}

/* Prints every entry matching name: its full name, or its last part when
 * the query is a bare word. With msec, only methods ("t:view") match, and
 * only those of section msec unless it is "". The methods of a class
 * (an entry without "(") are listed too, or of any entry when help was
 * given an object. Returns how many. */
static int print_matches(lua_State *L, int entries, const char *name, const char *msec,
                         int object /* its stack index, or 0 */)
{
  lua_Integer i, n = (lua_Integer)lua_rawlen(L, entries);
  int found = 0, bare = strpbrk(name, ".:") == NULL;
  for (int pass = 0; pass < 2 && found == 0; pass++) {
    for (i = 1; i <= n; i++) {
      const char *en;
      int hit;
      lua_rawgeti(L, entries, i);
      lua_getfield(L, -1, "name");
      en = lua_tostring(L, -1);
      if (pass == 0)
        hit = strcmp(en, name) == 0;
      else
        hit = bare && strcmp(last_part(en), name) == 0 &&
              (msec == NULL || strchr(en, ':') != NULL);
      if (hit && msec != NULL && msec[0] != '\0') {
        lua_getfield(L, -2, "section");
        hit = strcmp(lua_tostring(L, -1), msec) == 0;
        lua_pop(L, 1);
      }
      if (hit) {
        if (found++ > 0)
          putchar('\n');
        print_entry(L, lua_gettop(L) - 1);
        lua_getfield(L, -2, "sig");
        if (object || strchr(lua_tostring(L, -1), '(') == NULL)
          print_methods(L, entries, i, object);
        lua_pop(L, 1);
      }
      lua_pop(L, 2);
    }
  }
  return found;
}

/* Pushes the dotted path of value v inside table t ("optim.SGD"), searching
 * depth levels; returns 0 (nothing pushed) when not found. */
static int find_path(lua_State *L, int t, int v, int depth)
{
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING) {
      if (lua_rawequal(L, -1, v)) {
        lua_pop(L, 1);
        return 1; /* the key */
      }
      if (depth > 1 && lua_type(L, -1) == LUA_TTABLE &&
          find_path(L, lua_gettop(L), v, depth - 1)) {
        lua_pushfstring(L, "%s.%s", lua_tostring(L, -3), lua_tostring(L, -1));
        lua_replace(L, -4);
        lua_pop(L, 2);
        return 1;
      }
    }
    lua_pop(L, 1);
  }
  return 0;
}

/* The section of the entry called name (a class, "lunet.Loss"), or "". */
static const char *section_of(lua_State *L, int entries, const char *name)
{
  lua_Integer i, n = (lua_Integer)lua_rawlen(L, entries);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, entries, i);
    lua_getfield(L, -1, "name");
    if (strcmp(lua_tostring(L, -1), name) == 0) {
      lua_getfield(L, -2, "section");
      lua_replace(L, -3);
      lua_pop(L, 1);
      return lua_tostring(L, -1); /* left on the stack to stay alive */
    }
    lua_pop(L, 2);
  }
  lua_pushliteral(L, "");
  return "";
}

/* Prints the entries of a method: v is looked up in the __index and
 * __methods tables of every metatable lunet registered ("lunet.Tensor",
 * "lunet.Module", ...). A function under two names (view, reshape) prints
 * both. */
static int help_method(lua_State *L, int entries, int v)
{
  static const char *const fields[] = {"__index", "__methods"};
  int found = 0, seen;
  lua_newtable(L);
  seen = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, LUA_REGISTRYINDEX) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING && strncmp(lua_tostring(L, -2), "lunet.", 6) == 0 &&
        lua_istable(L, -1)) {
      for (int i = 0; i < 2; i++) {
        if (lua_getfield(L, -1, fields[i]) == LUA_TTABLE) {
          for (lua_pushnil(L); lua_next(L, -2) != 0; lua_pop(L, 1)) {
            if (lua_type(L, -2) != LUA_TSTRING || !lua_rawequal(L, -1, v))
              continue;
            lua_pushvalue(L, -2);
            if (lua_rawget(L, seen) == LUA_TNIL) {
              /* stack: metatable name, metatable, field table, key, value, nil */
              const char *method = lua_tostring(L, -3), *sec;
              if (found > 0)
                putchar('\n');
              sec = section_of(L, entries, lua_tostring(L, -6));
              found += print_matches(L, entries, method, sec, 0);
              lua_pop(L, 1);
              lua_pushvalue(L, -3);
              lua_pushboolean(L, 1);
              lua_rawset(L, seen);
            }
            lua_pop(L, 1);
          }
        }
        lua_pop(L, 1);
      }
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return found;
}

/* Pushes the entry name for a name as error messages give it, or returns
 * NULL (nothing pushed): "Board.open" is lunet.Board.open (the entry whose
 * name ends in ".Board.open"), "Tensor:view" is t:view and
 * "Linear:forward" m:forward (the method of the section of the entry
 * called Tensor or Linear, with the receiver that goes with it), and an
 * operator's "Tensor +" lunet.Tensor. */
static const char *push_alias(lua_State *L, int entries, const char *name)
{
  lua_Integer i, n = (lua_Integer)lua_rawlen(L, entries);
  const char *colon = strchr(name, ':');
  size_t len = strlen(name);
  if (colon == NULL && strchr(name, ' ') != NULL) {
    /* an operator, "Tensor +": the class */
    const char *alias;
    lua_pushlstring(L, name, (size_t)(strchr(name, ' ') - name));
    alias = push_alias(L, entries, lua_tostring(L, -1));
    if (alias != NULL)
      lua_remove(L, -2);
    else
      lua_pop(L, 1);
    return alias;
  }
  if (colon == NULL) {
    for (i = 1; i <= n; i++) {
      const char *en = push_entry(L, entries, i);
      size_t elen = strlen(en);
      if (elen > len && en[elen - len - 1] == '.' && strcmp(en + elen - len, name) == 0) {
        lua_replace(L, -4);
        lua_pop(L, 2);
        return lua_tostring(L, -1);
      }
      lua_pop(L, 3);
    }
    return NULL;
  }
  for (i = 1; i <= n; i++) {
    const char *en = push_entry(L, entries, i);
    size_t elen = strlen(en), klen = (size_t)(colon - name);
    if (strchr(en, ':') == NULL && elen > klen && strncmp(en + elen - klen, name, klen) == 0 &&
        strchr(".:", en[elen - klen - 1]) != NULL) {
      lua_pop(L, 3);
      push_receiver(L, entries, i);
      if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return NULL;
      }
      return lua_pushfstring(L, "%s%s", lua_tostring(L, -1), colon);
    }
    lua_pop(L, 3);
  }
  return NULL;
}

/* For a module, optimizer, scheduler or loss object: prints the entry of
 * its kind (lunet.Linear, lunet.optim.Adam, ...), named by its type() (a
 * C function, as lunet's are) or the start of its tostring, and a pointer
 * to the class entry. Returns how many entries. */
static int help_kind(lua_State *L, int entries, int v)
{
  static const char *const spaces[] = {"lunet.", "lunet.optim.", "lunet.optim.lr_scheduler."};
  static const char *const classes[] = {L_MODULE, "lunet.Optim", "lunet.LRScheduler",
                                        "lunet.Loss"};
  int top = lua_gettop(L), found = 0;
  size_t k;
  const char *cls = NULL, *kind;
  for (k = 0; k < sizeof classes / sizeof *classes; k++)
    if (luaL_testudata(L, v, classes[k]) != NULL)
      cls = classes[k];
  if (cls == NULL)
    return 0;
  if (luaL_getmetafield(L, v, "__methods") == LUA_TTABLE &&
      lua_getfield(L, -1, "type") == LUA_TFUNCTION) {
    lua_pushvalue(L, v);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_isstring(L, -1))
      lua_pushnil(L);
  } else {
    lua_pushnil(L);
  }
  if (lua_isnil(L, -1) && luaL_callmeta(L, v, "__tostring") && lua_isstring(L, -1))
    lua_pushlstring(L, lua_tostring(L, -1), strcspn(lua_tostring(L, -1), "( \n"));
  kind = lua_tostring(L, -1);
  for (k = 0; kind != NULL && found == 0 && k < sizeof spaces / sizeof *spaces; k++) {
    lua_pushfstring(L, "%s%s", spaces[k], kind);
    found = print_matches(L, entries, lua_tostring(L, -1), NULL, 0);
  }
  if (found)
    printf("  (a %s: help(\"%s\") lists what every one has)\n", cls, last_part(cls));
  lua_settop(L, top);
  return found;
}

static void overview(lua_State *L, int entries)
{
  lua_Integer i, n = (lua_Integer)lua_rawlen(L, entries);
  int col = 0, prev;
  lua_getfield(L, entries, "intro");
  for (const char *s = lua_tostring(L, -1); s != NULL && *s; s++)
    if (*s != '\n' || s[1] != '\n') /* no blank lines */
      putchar(*s);
  lua_newtable(L); /* the names listed: lunet.Module and lunet.Module(name) once */
  lua_pushliteral(L, ""); /* the section being listed */
  prev = lua_gettop(L);
  for (i = 1; i <= n; i++) {
    const char *name = push_entry(L, entries, i);
    if (lua_getfield(L, prev - 1, name) != LUA_TNIL) {
      lua_pop(L, 4);
      continue;
    }
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
    lua_setfield(L, prev - 1, name);
    if (!lua_rawequal(L, -2, prev)) {
      printf("\n%s:\n ", lua_tostring(L, -2));
      col = 1;
      lua_pushvalue(L, -2);
      lua_replace(L, prev);
    }
    if (col + (int)strlen(name) + 1 > 78) {
      fputs("\n ", stdout);
      col = 1;
    }
    printf(" %s", name);
    col += (int)strlen(name) + 1;
    lua_pop(L, 3);
  }
  lua_pop(L, 3);
  printf("\n\nhelp(x) or help(\"name\") describes one of them; :tb shows the "
         "traceback of the last error.\n");
}

static int help(lua_State *L)
{
  int entries, found = 0, v = 1;
  const char *what = NULL;
  l_checknargs(L, 1, "lunet.help");
  lua_settop(L, 1);
  /* Parsed on first use: require "lunet" need not pay for it. */
  if (lua_getfield(L, LUA_REGISTRYINDEX, ENTRIES_KEY) == LUA_TNIL) {
    lua_pop(L, 1);
    parse_doc(L);
    lua_getfield(L, LUA_REGISTRYINDEX, ENTRIES_KEY);
  }
  entries = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_getfield(L, -1, "lunet");
  if (lua_isnoneornil(L, v) || lua_rawequal(L, v, -1)) {
    overview(L, entries);
    return 0;
  }
  if (lua_type(L, v) == LUA_TSTRING) {
    what = lua_tostring(L, v);
    found = print_matches(L, entries, what, NULL, 0);
    if (!found && push_alias(L, entries, what) != NULL)
      found = print_matches(L, entries, lua_tostring(L, -1), NULL, 0);
  } else if (lua_type(L, v) == LUA_TFUNCTION || lua_type(L, v) == LUA_TTABLE) {
    if (lua_istable(L, -1) && find_path(L, lua_gettop(L), v, SEARCH_DEPTH)) {
      what = lua_pushfstring(L, "lunet.%s", lua_tostring(L, -1));
      found = print_matches(L, entries, what, NULL, 0);
    } else if (lua_type(L, v) == LUA_TFUNCTION) {
      found = help_method(L, entries, v);
    }
  }
  if (!found)
    found = help_kind(L, entries, v);
  if (!found && luaL_getmetafield(L, v, "__name") == LUA_TSTRING) {
    what = lua_tostring(L, -1);
    found = print_matches(L, entries, what, NULL, v);
  }
  if (!found && (lua_type(L, v) == LUA_TFUNCTION || lua_type(L, v) == LUA_TTABLE)) {
    lua_pushglobaltable(L);
    if (find_path(L, lua_gettop(L), v, 1) || find_path(L, lua_gettop(L), v, 2)) {
      printf("'%s' is part of Lua's standard library: see the Lua 5.4 manual, "
             "https://www.lua.org/manual/5.4/\n", lua_tostring(L, -1));
      found = 1;
    }
  }
  if (!found) {
    if (what != NULL)
      printf("no help for '%s'; help() lists the API\n", what);
    else
      printf("no help for this %s; help() lists the API\n", luaL_typename(L, v));
  }
  fflush(stdout);
  return 0;
}

void l_open_help(lua_State *L)
{
  lua_pushcfunction(L, help);
  lua_setfield(L, -2, "help");
}
