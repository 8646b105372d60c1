/* l_io.c: lunet.save(path, module) and lunet.load(path) -> module
 * (file format in core/serialize.h). */
#include "lunet.h"
#include "../core/serialize.h"

/* Nothing here runs Lua between fetching an argument and using it. */
static int lunet_save(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  ln_module *m = l_checkmodule(L, 2);
  l_checknargs(L, 2, "lunet.save");
  if (ln_save(path, m)) l_raise(L, "lunet.save");
  return 0;
}

static int lunet_load(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  l_checknargs(L, 1, "lunet.load");
  l_newmodule(L);  /* before the module it will own */
  return l_setmodule(L, ln_load(path), "lunet.load");
}

static const luaL_Reg functions[] = {
  {"save", lunet_save}, {"load", lunet_load},
  {NULL, NULL}
};

void l_open_io(lua_State *L) { luaL_setfuncs(L, functions, 0); }
