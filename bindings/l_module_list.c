/* l_module_list.c: m.modules, the live list of a module's children, as
 * Torch7's m.modules. It is a proxy (an empty table whose metatable reads
 * and writes the module), not a copy: a copy would take
 * `net.modules[2] = lunet.Tanh()` and change nothing. Reading gives the
 * children (`#`, ipairs, pairs, table.unpack work); writing into a
 * Sequential's list replaces a child (`t[i] = m`), appends one
 * (`t[#t + 1] = m`, table.insert(t, m)) or removes the last
 * (`t[#t] = nil`, table.remove(t)). A write that would shift the others
 * (table.insert(t, i, m), table.remove(t, i)) is refused, pointing to
 * net:insert and net:remove, since a module is in a container once. One
 * proxy per module userdata (net.modules == net.modules). */
#include <string.h>

#include "l_module.h"
#include "../core/sequential.h"

static const char list_key = 'm';  /* the proxy, in the userdata's user value 1 */

/* The module behind the proxy (upvalue 1: its userdata), or an error. */
static ln_module *owner(lua_State *L) {
  l_module *u = lua_touserdata(L, lua_upvalueindex(1));
  if (!u->m) luaL_error(L, "%s.modules: module has been closed", u->kind);
  return u->m;
}

static int list_len(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)owner(L)->nchild);
  return 1;
}

static int list_index(lua_State *L) {
  int isnum;
  lua_Integer i = lua_tointegerx(L, 2, &isnum);
  ln_module *m = owner(L);
  if (!isnum || i < 1 || (size_t)i > m->nchild) return lua_pushnil(L), 1;
  l_pushmodule(L, m->child[i - 1]);  /* m holds it */
  return 1;
}

/* The position (0-based) of c among m's children, or -1. */
static long position(const ln_module *m, const ln_module *c) {
  for (size_t i = 0; i < m->nchild; i++)
    if (m->child[i] == c) return (long)i;
  return -1;
}

/* Child at (0-based) of m becomes c; the old one is put back if c is refused. */
static int replace(lua_State *L, ln_module *m, size_t at, ln_module *c, const char *who) {
  ln_module *old = m->child[at];
  ln_module_retain(old);
  if (ln_module_remove_child(m, at)) {
    ln_module_release(old);
    return l_raise(L, who);
  }
  if (ln_module_insert_child(m, at, c, NULL)) {
    lua_pushstring(L, ln_error());  /* the message, before putting old back */
    int lost = ln_module_insert_child(m, at, old, NULL);
    ln_module_release(old);
    return luaL_error(L, "%s: %s%s", who, lua_tostring(L, -1),
                      lost ? " (and the old child could not be put back)" : "");
  }
  ln_module_release(old);
  return 0;
}

static int list_newindex(lua_State *L) {
  l_module *u = lua_touserdata(L, lua_upvalueindex(1));
  char who[LN_MAXNAME + 40];
  int isnum;
  lua_Integer i = lua_tointegerx(L, 2, &isnum);
  snprintf(who, sizeof who, "%s.modules[%s]", u->kind,
           isnum ? lua_pushfstring(L, "%I", i) : luaL_tolstring(L, 2, NULL));
  l_module *v = luaL_testudata(L, 3, L_MODULE);
  if (!lua_isnil(L, 3) && !(v && v->m))
    return luaL_error(L, "%s: a module or nil expected, got %s", who,
                      v ? "a closed module" : luaL_typename(L, 3));
  ln_module *c = v ? v->m : NULL;
  ln_module *m = owner(L);
  size_t n = m->nchild;
  if (m->ops != &ln_sequential_ops)
    return luaL_error(L, "%s: only a Sequential's children can be set", who);
  if (!isnum || i < 1 || (size_t)i > n + 1)
    return luaL_error(L, "%s: a position in 1..%d expected", who, (int)n + 1);
  size_t at = (size_t)i - 1;
  if (!c) {
    if (at + 1 != n)
      return luaL_error(L, "%s: only the last child can be set to nil (net:remove(i) takes "
                        "out another)", who);
    if (ln_module_remove_child(m, at)) return l_raise(L, who);
    return 0;
  }
  long was = position(m, c);
  if (was == (long)at) return 0;
  if (was >= 0)
    return luaL_error(L, "%s: that module is already child %d (a module is in a container "
                      "once: table.insert(t, i, m) and table.remove(t, i) would shift the "
                      "others; use net:insert(m, i) and net:remove(i))", who, (int)was + 1);
  if (at == n) {
    if (ln_sequential_add(m, c)) return l_raise(L, who);
    return 0;
  }
  return replace(L, m, at, c, who);
}

static int list_next(lua_State *L) {
  lua_Integer i = luaL_checkinteger(L, 2) + 1;
  lua_pushinteger(L, i);
  return lua_geti(L, 1, i) == LUA_TNIL ? 1 : 2;
}

static int list_pairs(lua_State *L) {
  lua_pushcfunction(L, list_next);
  lua_pushvalue(L, 1);
  lua_pushinteger(L, 0);
  return 3;
}

/* {Linear(2 -> 3), ReLU}: each child as tostring shows it. */
static int list_tostring(lua_State *L) {
  luaL_Buffer b;
  size_t n = owner(L)->nchild;
  luaL_buffinit(L, &b);
  luaL_addchar(&b, '{');
  for (size_t i = 0; i < n; i++) {
    if (i) luaL_addstring(&b, ", ");
    lua_geti(L, 1, (lua_Integer)i + 1);
    luaL_tolstring(L, -1, NULL);
    lua_remove(L, -2);
    luaL_addvalue(&b);
  }
  luaL_addchar(&b, '}');
  luaL_pushresult(&b);
  return 1;
}

void l_pushmodules(lua_State *L, int ud) {
  static const luaL_Reg mt[] = {
    {"__index", list_index}, {"__newindex", list_newindex}, {"__len", list_len},
    {"__pairs", list_pairs}, {"__tostring", list_tostring}, {NULL, NULL}
  };
  ud = lua_absindex(L, ud);
  if (lua_getiuservalue(L, ud, 1) == LUA_TTABLE) {
    if (lua_rawgetp(L, -1, &list_key) == LUA_TTABLE) {
      lua_remove(L, -2);
      return;
    }
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  lua_newtable(L);                  /* the proxy */
  lua_createtable(L, 0, 7);         /* its metatable */
  lua_pushvalue(L, ud);
  luaL_setfuncs(L, mt, 1);
  lua_pushliteral(L, "lunet.modules");
  lua_setfield(L, -2, "__name");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");  /* setmetatable cannot take the list apart */
  lua_setmetatable(L, -2);
  l_keep(L, ud, &list_key);
}
