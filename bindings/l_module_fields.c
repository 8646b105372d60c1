/* l_module_fields.c: reading and writing a module's fields: its
 * parameters and buffers by name, its configuration (the kind's fields),
 * named children, output, grad_input, grad, training, modules, and for a
 * module written in Lua its own Lua fields. Reading a field a module does
 * not have is an error naming its type and its fields. */
#include <math.h>
#include <string.h>

#include "l_module.h"

/* Pushes a view of t (nil when it is empty: no forward yet): the cached
 * one while it matches (l_pushcached; the userdata is at 1, as in
 * __index). A new view is made before the module is fetched again (the
 * tensor is found by find(m, i) each time). */
static void pushtensor(lua_State *L, l_module *u, ln_tensor *(*find)(ln_module *, int), int i,
                       const char *k) {
  ln_tensor *t = find(l_modlive(L, u, k), i);
  if (t && t->st && l_pushcached(L, 1, t)) return;
  ln_tensor *v = l_newtensor(L);
  t = find(l_modlive(L, u, k), i);
  if (t && t->st) {
    ln_tensor_share(v, t);
    l_cacheview(L, 1, t);
  } else {
    lua_pop(L, 1);
    lua_pushnil(L);
  }
}

static ln_tensor *find_param(ln_module *m, int i) {
  return i < m->nparam ? &m->param[i] : NULL;
}
static ln_tensor *find_buf(ln_module *m, int i) { return i < m->nbuf ? &m->buf[i] : NULL; }
static ln_tensor *find_output(ln_module *m, int i) { return i ? &m->grad_input : &m->output; }

/* m.grad: a table of the gradients' views by parameter name. */
static void pushgrads(lua_State *L, l_module *u) {
  lua_newtable(L);
  for (int i = 0;; i++) {
    ln_tensor *v = l_newtensor(L);
    ln_module *m = l_modlive(L, u, "grad");
    if (i >= m->nparam) {
      lua_pop(L, 1);
      return;
    }
    ln_tensor_share(v, &m->grad[i]);
    lua_setfield(L, -2, m->param_name[i]);
  }
}

static void pushfield(lua_State *L, const ln_module *m, const ln_field *f) {
  ln_value v = ln_field_get(m, f);
  if (f->type == LN_FIELD_SIZE) lua_pushinteger(L, (lua_Integer)v.z);
  else if (f->type == LN_FIELD_INT) lua_pushinteger(L, (lua_Integer)v.i);
  else if (f->type == LN_FIELD_DOUBLE) lua_pushnumber(L, v.d);
  else if (f->type == LN_FIELD_CHOICE) lua_pushstring(L, m->ops->choices[v.i]);
  else if (f->type == LN_FIELD_BOOL) lua_pushboolean(L, v.b);
  else if (f->type == LN_FIELD_OPTDOUBLE && isnan(v.d)) lua_pushboolean(L, 0);
  else if (f->type == LN_FIELD_OPTDOUBLE) lua_pushnumber(L, v.d);
  else if (f->type == LN_FIELD_SHAPE) {  /* {d1, ...}, as PyTorch's tuple */
    lua_createtable(L, (int)v.s.n, 0);
    for (size_t k = 0; k < v.s.n; k++) {
      lua_pushinteger(L, (lua_Integer)v.s.d[k]);
      lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
  }
  else if (v.p[0] == LN_PAIR_SAME) lua_pushliteral(L, "same");
  else {  /* {h, w}, as PyTorch's tuples */
    lua_createtable(L, 2, 0);
    for (int k = 0; k < 2; k++) {
      lua_pushinteger(L, (lua_Integer)v.p[k]);
      lua_rawseti(L, -2, k + 1);
    }
  }
}

/* Pushes the field k of u's live module; returns 0 when it has no such field. */
static int pushfieldof(lua_State *L, l_module *u, const char *k) {
  ln_module *m = u->m;
  for (int i = 0; i < m->nparam; i++)
    if (!strcmp(k, m->param_name[i])) return pushtensor(L, u, find_param, i, k), 1;
  for (int i = 0; i < m->nbuf; i++)
    if (!strcmp(k, m->buf_name[i])) return pushtensor(L, u, find_buf, i, k), 1;
  for (size_t i = 0; i < m->nchild; i++)
    if (m->child_name[i] && !strcmp(k, m->child_name[i])) {
      l_pushmodule(L, m->child[i]);  /* m holds it: no finalizer can free it */
      return 1;
    }
  for (int i = 0; m->ops->fields && m->ops->fields[i].name; i++)
    if (!strcmp(k, m->ops->fields[i].name)) return pushfield(L, m, &m->ops->fields[i]), 1;
  if (!strcmp(k, "output")) pushtensor(L, u, find_output, 0, k);
  else if (!strcmp(k, "grad_input")) pushtensor(L, u, find_output, 1, k);
  else if (!strcmp(k, "training")) lua_pushboolean(L, m->training);
  else if (!strcmp(k, "modules")) l_pushmodules(L, 1);
  else if (!strcmp(k, "grad")) pushgrads(L, u);
  else if (m->ops == &l_lmodule_ops) return l_lmodule_index(L, m, k);
  else return 0;
  return 1;
}

static const char *const common_fields[] = {"output", "grad_input", "training", "modules",
                                            "grad", NULL};

int l_module_reserved(lua_State *L, const char *k) {
  for (int i = 0; common_fields[i]; i++)
    if (!strcmp(k, common_fields[i])) return 1;
  luaL_getmetatable(L, L_MODULE);
  lua_getfield(L, -1, "__methods");
  int is = lua_getfield(L, -1, k) != LUA_TNIL;
  lua_pop(L, 3);
  return is;
}

/* "Linear: no field 'wieght' (fields: weight, bias, ...)". */
static int nofield(lua_State *L, ln_module *m, const char *k) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 0; i < m->nparam; i++)
    luaL_addstring(&b, m->param_name[i]), luaL_addstring(&b, ", ");
  for (int i = 0; i < m->nbuf; i++) luaL_addstring(&b, m->buf_name[i]), luaL_addstring(&b, ", ");
  for (size_t i = 0; i < m->nchild; i++)
    if (m->child_name[i]) luaL_addstring(&b, m->child_name[i]), luaL_addstring(&b, ", ");
  for (int i = 0; m->ops->fields && m->ops->fields[i].name; i++)
    luaL_addstring(&b, m->ops->fields[i].name), luaL_addstring(&b, ", ");
  for (int i = 0; common_fields[i]; i++)
    luaL_addstring(&b, common_fields[i]), luaL_addstring(&b, common_fields[i + 1] ? ", " : "");
  luaL_pushresult(&b);
  return luaL_error(L, "%s: no field '%s' (fields: %s)", m->name, k, lua_tostring(L, -1));
}

/* Methods first (upvalue 1), then fields; a key that is neither is an
 * error naming the type and the key. A field of a closed module is an
 * error naming its type. */
int l_module_index(lua_State *L) {
  l_module *u = luaL_checkudata(L, 1, L_MODULE);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  if (lua_type(L, 2) != LUA_TSTRING)
    return luaL_error(L, "%s: no field %s (fields are named by strings)", u->kind,
                      luaL_tolstring(L, 2, NULL));
  const char *k = lua_tostring(L, 2);
  if (!u->m) return luaL_error(L, "%s.%s: module has been closed", u->kind, k);
  if (!pushfieldof(L, u, k)) return nofield(L, u->m, k);
  return 1;
}

int l_module_newindex(lua_State *L) {
  l_module *u = luaL_checkudata(L, 1, L_MODULE);
  char kind[LN_MAXNAME];
  snprintf(kind, sizeof kind, "%s", u->kind);  /* survives whatever __tostring does */
  const char *k = luaL_tolstring(L, 2, NULL);
  if (!u->m) return luaL_error(L, "%s.%s: module has been closed", kind, k);
  if (u->m->ops == &l_lmodule_ops && lua_type(L, 2) == LUA_TSTRING &&
      l_lmodule_newindex(L, u->m, lua_tostring(L, 2), 3))
    return 0;
  return luaL_error(L, "%s: cannot assign field '%s' (copy into a tensor field instead, "
                    "e.g. m.weight:copy(t))", kind, k);
}

