/* lunet.c: luaopen_lunet, the module table every binding file adds to. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lunet.h"

#define LUNET_VERSION "0.1.0"

/* lunet.clock(): monotonic wall time in seconds, for timing steps (os.clock
 * counts CPU time of every thread, so it overstates multithreaded runs). */
static int lunet_clock(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec * 1e-9);
  return 1;
}

static int lunet_set_num_threads(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  luaL_argcheck(L, n >= 1 && n <= 256, 1, "thread count must be 1..256");
  ln_set_num_threads((int)n);
  return 0;
}

static int lunet_get_num_threads(lua_State *L) {
  lua_pushinteger(L, ln_get_num_threads());
  return 1;
}

void l_newclass(lua_State *L, const char *name, const luaL_Reg *meta,
                const luaL_Reg *methods) {
  luaL_newmetatable(L, name);
  luaL_setfuncs(L, meta, 0);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_getfield(L, -2, "__index");
  if (!lua_toboolean(L, -1)) {  /* none of its own */
    lua_pushvalue(L, -2);
    lua_setfield(L, -4, "__index");
  }
  lua_pop(L, 1);
  lua_setfield(L, -2, "__methods");
  lua_pop(L, 1);
}

void *l_checkself(lua_State *L, const char *tname, const char *expected, const char *method) {
  void *u = luaL_testudata(L, 1, tname);
  if (!u) {
    const char *got = luaL_typename(L, 1);
    if (luaL_getmetafield(L, 1, "__name") == LUA_TSTRING) got = lua_tostring(L, -1);
    luaL_argerror(L, 1, lua_pushfstring(L, expected, got, method));
  }
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

void l_checknargs(lua_State *L, int max, const char *who) {
  int n = lua_gettop(L);
  if (n > max)
    luaL_error(L, "%s: unexpected argument #%d (expected at most %d, got %d)", who, max + 1,
               max, n);
}

static const luaL_Reg functions[] = {
  {"clock", lunet_clock},
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
  return 1;
}
