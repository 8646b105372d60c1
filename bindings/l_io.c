/* l_io.c: lunet.save(path, module) and lunet.load(path) -> module
 * (file format in core/serialize.h). */
#include "lunet.h"
#include "../core/serialize.h"

static int lunet_save(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  ln_module *m = l_checkmodule(L, 2);
  if (ln_save(path, m)) l_raise(L, "lunet.save");
  return 0;
}

static int lunet_load(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  ln_module *m = ln_load(path);
  if (!m) l_raise(L, "lunet.load");
  l_pushmodule(L, m);
  ln_module_release(m);  /* the userdata holds its own reference */
  return 1;
}

static const luaL_Reg functions[] = {
  {"save", lunet_save}, {"load", lunet_load},
  {NULL, NULL}
};

void l_open_io(lua_State *L) { luaL_setfuncs(L, functions, 0); }
