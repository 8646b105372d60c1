/* lunet.c: luaopen_lunet, the module table every binding file adds to. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lunet.h"
#include "../core/rng.h"

#define LUNET_VERSION "0.1.0"

/* lunet.clock(): monotonic wall time in seconds, for timing steps (os.clock
 * counts CPU time of every thread, so it overstates multithreaded runs). */
static int lunet_clock(lua_State *L) {
  struct timespec ts;
  l_checknargs(L, 0, "lunet.clock");
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec * 1e-9);
  return 1;
}

static int lunet_set_num_threads(lua_State *L) {
  l_checknargs(L, 1, "lunet.set_num_threads");
  lua_Integer n = luaL_checkinteger(L, 1);
  luaL_argcheck(L, n >= 1 && n <= 256, 1, "thread count must be 1..256");
  ln_set_num_threads((int)n);
  return 0;
}

static int lunet_get_num_threads(lua_State *L) {
  l_checknargs(L, 0, "lunet.get_num_threads");
  lua_pushinteger(L, ln_get_num_threads());
  return 1;
}

/* The default __index: a method (upvalue 1, the methods table) or, for any
 * other key, "<Type>: no field 'k'" (upvalue 2, "Board" of "lunet.Board"). */
static int class_index(lua_State *L) {
  lua_settop(L, 2);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TNIL)
    return l_nofield(L, lua_tostring(L, lua_upvalueindex(2)), 2, NULL);
  return 1;
}

void l_newweak(lua_State *L, const char *mode, const void *key) {
  lua_newtable(L);
  lua_createtable(L, 0, 1);
  lua_pushstring(L, mode);
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

void l_newclass(lua_State *L, const char *name, const luaL_Reg *meta,
                const luaL_Reg *methods) {
  const char *dot = strrchr(name, '.');
  luaL_newmetatable(L, name);
  luaL_setfuncs(L, meta, 0);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_getfield(L, -2, "__index");
  if (!lua_toboolean(L, -1)) {  /* none of its own */
    lua_pushvalue(L, -2);
    lua_pushstring(L, dot ? dot + 1 : name);
    lua_pushcclosure(L, class_index, 2);
    lua_setfield(L, -4, "__index");
  }
  lua_pop(L, 1);
  lua_setfield(L, -2, "__methods");
  lua_pop(L, 1);
}

void *l_checkself(lua_State *L, const char *tname, const char *expected, const char *method) {
  void *u = luaL_testudata(L, 1, tname);
  if (!u) luaL_argerror(L, 1, lua_pushfstring(L, expected, l_typename(L, 1), method));
  return u;
}

const char *l_pushlist(lua_State *L, const char *const *names, int quoted) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 0; names[i]; i++) {
    if (i) luaL_addstring(&b, names[i + 1] ? ", " : " or ");
    if (quoted) luaL_addchar(&b, '"');
    luaL_addstring(&b, names[i]);
    if (quoted) luaL_addchar(&b, '"');
  }
  luaL_pushresult(&b);
  return lua_tostring(L, -1);
}

void l_checkoptions(lua_State *L, int arg, const char *who, const char *const *known) {
  if (lua_isnoneornil(L, arg)) return;
  luaL_checktype(L, arg, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, arg)) {
    int ok = 0;
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING)
      for (int i = 0; known[i] && !ok; i++) ok = strcmp(lua_tostring(L, -1), known[i]) == 0;
    if (!ok) {
      const char *list = l_pushlist(L, known, 0);
      luaL_error(L, "%s: unknown option '%s' (expected %s)", who, luaL_tolstring(L, -2, NULL),
                 list);
    }
  }
}

/* An options table: nil, or a table without a [1] (a list such as betas
 * or milestones is an option's value). */
static int is_options(lua_State *L, int idx) {
  if (lua_isnil(L, idx)) return 1;
  if (!lua_istable(L, idx)) return 0;
  int list = lua_rawgeti(L, idx, 1) != LUA_TNIL;
  lua_pop(L, 1);
  return !list;
}

void l_positional(lua_State *L, int first, const char *who, const char *const *names) {
  int top = lua_gettop(L), n = 0;
  if (top < first || is_options(L, first)) return;
  while (names[n]) n++;
  int opts = top > first && is_options(L, top) ? top : 0, npos = (opts ? opts : top + 1) - first;
  if (npos > n)  /* in l_checknargs' words: the options table could still follow */
    luaL_error(L, "%s: unexpected argument #%d (expected at most %d, got %d)", who, first + n,
               first + n - 1, top);
  lua_newtable(L);
  if (opts && !lua_isnil(L, opts)) {
    lua_pushnil(L);
    while (lua_next(L, opts)) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, -4);
    }
  }
  for (int i = 0; i < npos; i++) {
    if (lua_getfield(L, -1, names[i]) != LUA_TNIL)
      luaL_error(L, "%s: option '%s' given twice (argument #%d and the options table)", who,
                 names[i], first + i);
    lua_pop(L, 1);
    lua_pushvalue(L, first + i);
    lua_setfield(L, -2, names[i]);
  }
  lua_replace(L, first);
  lua_settop(L, first);
}

void l_checknargs(lua_State *L, int max, const char *who) {
  int n = lua_gettop(L);
  if (n > max)
    luaL_error(L, "%s: unexpected argument #%d (expected at most %d, got %d)", who, max + 1,
               max, n);
}

/* ---- option readers ---- */

/* Pushes field `field` of the options table at arg (nil when there is no
 * table) and returns its type. */
static int optfield(lua_State *L, int arg, const char *field) {
  if (lua_isnoneornil(L, arg)) {
    lua_pushnil(L);
    return LUA_TNIL;
  }
  luaL_checktype(L, arg, LUA_TTABLE);
  return lua_getfield(L, arg, field);
}

double l_msgnum(double v) { return isnan(v) ? NAN : v; }

void l_pushnumber(lua_State *L, double v) { lua_pushnumber(L, l_msgnum(v)); }

const char *l_typename(lua_State *L, int idx) {
  int t = luaL_getmetafield(L, idx, "__name");  /* pushes nothing when absent */
  if (t == LUA_TSTRING) return lua_tostring(L, -1);
  if (t != LUA_TNIL) lua_pop(L, 1);
  return luaL_typename(L, idx);
}

/* "<who>: option 'f' must be <what>, got <type>" for the value on top; for
 * an integer, a number is shown as itself ("got 1.5"). */
static int badoption(lua_State *L, const char *who, const char *field, const char *what) {
  int top = lua_gettop(L);
  const char *got = lua_type(L, top) == LUA_TNUMBER && !strcmp(what, "an integer")
                    ? luaL_tolstring(L, top, NULL) : l_typename(L, top);
  return luaL_error(L, "%s: option '%s' must be %s, got %s", who, field, what, got);
}

int l_optgiven(lua_State *L, int arg, const char *field) {
  int given = optfield(L, arg, field) != LUA_TNIL;
  lua_pop(L, 1);
  return given;
}

double l_optnumber(lua_State *L, int arg, const char *who, const char *field, double def) {
  double v = def;
  if (optfield(L, arg, field) != LUA_TNIL) {
    int ok;
    v = lua_tonumberx(L, -1, &ok);
    if (!ok || lua_type(L, -1) != LUA_TNUMBER) badoption(L, who, field, "a number");
  }
  lua_pop(L, 1);
  return v;
}

lua_Integer l_optinteger(lua_State *L, int arg, const char *who, const char *field,
                         lua_Integer def, lua_Integer lo, lua_Integer hi) {
  lua_Integer v = def;
  if (optfield(L, arg, field) != LUA_TNIL) {
    int ok;
    v = lua_tointegerx(L, -1, &ok);
    if (!ok || lua_type(L, -1) != LUA_TNUMBER) badoption(L, who, field, "an integer");
    if (v < lo || v > hi)
      luaL_error(L, "%s: option '%s' must be in %I..%I, got %I", who, field, lo, hi, v);
  }
  lua_pop(L, 1);
  return v;
}

int l_optboolean(lua_State *L, int arg, const char *who, const char *field, int def) {
  int v = def;
  if (optfield(L, arg, field) != LUA_TNIL) {
    if (!lua_isboolean(L, -1)) badoption(L, who, field, "a boolean");
    v = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

const char *l_optstring(lua_State *L, int arg, const char *who, const char *field,
                        const char *def) {
  if (optfield(L, arg, field) == LUA_TNIL) return def;
  if (lua_type(L, -1) != LUA_TSTRING) badoption(L, who, field, "a string");
  return lua_tostring(L, -1);
}

int l_optchoice(lua_State *L, int arg, const char *who, const char *field,
                const char *const *choices, int def) {
  const char *v = l_optstring(L, arg, who, field, NULL);
  int i = def;
  if (v) {
    for (i = 0; choices[i] && strcmp(v, choices[i]) != 0; i++) continue;
    if (!choices[i])
      luaL_error(L, "%s: option '%s' must be %s, got \"%s\"", who, field,
                 l_pushlist(L, choices, 1), v);
  }
  lua_pop(L, 1);
  return i;
}

void l_optnumbers(lua_State *L, int arg, const char *who, const char *field, int n,
                  double *out) {
  int t = optfield(L, arg, field), ok = 1;
  if (t != LUA_TNIL) {
    /* {a, b}: numbers at 1..n and nothing at n + 1, read through lua_geti
     * (which may run __index: a proxy table is fine). */
    ok = t == LUA_TTABLE;
    for (int i = 0; ok && i <= n; i++) {
      lua_geti(L, -1, i + 1);
      ok = i < n ? lua_type(L, -1) == LUA_TNUMBER : lua_isnil(L, -1);
      if (i < n) out[i] = lua_tonumber(L, -1);
      lua_pop(L, 1);
    }
    if (!ok)
      luaL_error(L, "%s: option '%s' must be a table of %d numbers, got %s", who, field, n,
                 t == LUA_TTABLE ? "another table" : luaL_typename(L, -1));
  }
  lua_pop(L, 1);
}

int l_opttensor(lua_State *L, int arg, const char *who, const char *field) {
  if (optfield(L, arg, field) == LUA_TNIL) {
    lua_pop(L, 1);
    return 0;
  }
  if (!l_testtensor(L, -1)) badoption(L, who, field, "a lunet.Tensor");
  return lua_gettop(L);
}

ln_tensor *l_optlive(lua_State *L, int idx, const char *who, const char *field) {
  ln_tensor *t = l_testtensor(L, idx);
  if (!t || !t->st) luaL_error(L, "%s: option '%s': the tensor has been freed", who, field);
  return t;
}

int l_nofield(lua_State *L, const char *type, int key, const char *const *fields) {
  const char *k = luaL_tolstring(L, key, NULL);
  if (!fields) return luaL_error(L, "%s: no field '%s'", type, k);
  return luaL_error(L, "%s: no field '%s' (fields: %s)", type, k, l_pushlist(L, fields, 0));
}

/* lunet.get_rng_state(): the default generator's state as a string of
 * LN_RNG_STATE_BYTES bytes (a value lunet.save can keep). */
static int lunet_get_rng_state(lua_State *L) {
  unsigned char s[LN_RNG_STATE_BYTES];
  l_checknargs(L, 0, "lunet.get_rng_state");
  ln_rng_get_state(ln_rng_default(), s);
  lua_pushlstring(L, (const char *)s, sizeof s);
  return 1;
}

static int lunet_set_rng_state(lua_State *L) {
  size_t n;
  l_checknargs(L, 1, "lunet.set_rng_state");
  if (lua_type(L, 1) != LUA_TSTRING) luaL_typeerror(L, 1, "string from lunet.get_rng_state");
  const char *s = lua_tolstring(L, 1, &n);
  if (ln_rng_set_state(ln_rng_default(), (const unsigned char *)s, n))
    l_raise(L, "lunet.set_rng_state");
  return 0;
}

static const luaL_Reg functions[] = {
  {"clock", lunet_clock},
  {"get_rng_state", lunet_get_rng_state},
  {"set_rng_state", lunet_set_rng_state},
  {"set_num_threads", lunet_set_num_threads},
  {"get_num_threads", lunet_get_num_threads},
  {NULL, NULL}
};

int luaopen_lunet(lua_State *L) {
  /* Training steps here are mostly small GEMMs, which OpenBLAS's threads
   * slow down (a 500x30 network runs 3x slower on two threads): one thread
   * unless the environment asks for more or set_num_threads does. */
  if (!getenv("OPENBLAS_NUM_THREADS") && !getenv("OMP_NUM_THREADS")) ln_set_num_threads(1);
  lua_newtable(L);
  luaL_setfuncs(L, functions, 0);
  lua_pushliteral(L, LUNET_VERSION);
  lua_setfield(L, -2, "_VERSION");
  l_open_tensor(L);
  l_open_tensor_ops(L);
  l_open_module(L);
  l_open_loss(L);
  l_open_optim(L);
  l_open_init(L);
  l_open_io(L);
  l_open_board(L);
  l_open_data(L);
  l_open_dist(L);
  l_open_help(L);
  return 1;
}
