/* l_module.c: the Module userdata shared by every kind of module and the
 * methods that run and edit modules (the constructors: l_module_new.c).
 *
 * A Module userdata holds one reference to an ln_module. A weak-valued
 * registry table maps each ln_module (light userdata) to its userdata, so a
 * module reached twice (as `lin` and as `net.modules[1]`) is the same Lua
 * value. Fields (weight, output, ...) are tensor views sharing storage with
 * the core, so writing into them changes the layer. */
#include <stdio.h>
#include <string.h>

#include "l_module.h"
#include "../core/sequential.h"


static const char cache_key = 'm';  /* its address keys the registry */

static void pushcache(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &cache_key);
}

/* l_modslot: a module userdata owning nothing yet. Making it may run a finalizer (a GC
 * step), so it is made before the C module it will hold is fetched. */
l_module *l_modslot(lua_State *L) {
  l_module *u = lua_newuserdatauv(L, sizeof *u, 1);  /* 1: its views (l_cacheview) */
  u->m = NULL;
  snprintf(u->kind, sizeof u->kind, "Module");
  luaL_setmetatable(L, L_MODULE);
  return u;
}

/* The slot u on top of the stack takes over a reference to m and becomes
 * m's userdata in the cache. */
static void own(lua_State *L, l_module *u, ln_module *m) {
  u->m = m;
  snprintf(u->kind, sizeof u->kind, "%s", m->name);
  pushcache(L);
  lua_pushvalue(L, -2);
  lua_rawsetp(L, -2, m);
  lua_pop(L, 1);
}

void l_newmodule(lua_State *L) { l_modslot(L); }

int l_setmodule(lua_State *L, ln_module *m, const char *who) {
  if (!m) return l_raise(L, who);
  own(L, lua_touserdata(L, -1), m);
  return 1;
}

/* Replaces the slot u on top by m's userdata: the cached one, or u given a
 * reference of its own. Nothing here runs Lua before m is retained. */
void l_modsettle(lua_State *L, l_module *u, ln_module *m) {
  pushcache(L);
  if (lua_rawgetp(L, -1, m) == LUA_TUSERDATA) {
    lua_replace(L, -3);
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 2);
  ln_module_retain(m);
  own(L, u, m);
}

/* m's cached userdata is looked up first: a module written in Lua is
 * pushed to its own callbacks every step, and a new slot each time would be
 * garbage. */
void l_pushmodule(lua_State *L, ln_module *m) {
  if (!m) {
    lua_pushnil(L);
    return;
  }
  pushcache(L);
  if (lua_rawgetp(L, -1, m) == LUA_TUSERDATA) {
    lua_remove(L, -2);
    return;
  }
  lua_pop(L, 2);
  l_modsettle(L, l_modslot(L), m);
}

ln_module *l_checkmodule(lua_State *L, int arg) {
  l_module *u = luaL_testudata(L, arg, L_MODULE);
  if (!u) luaL_typeerror(L, arg, "module");
  if (!u->m) luaL_argerror(L, arg, lua_pushfstring(L, "%s module has been closed", u->kind));
  return u->m;
}

ln_module *l_modlive(lua_State *L, l_module *u, const char *method) {
  if (!u->m) luaL_error(L, "%s:%s: module has been closed", u->kind, method);
  return u->m;
}

l_module *l_modself(lua_State *L, const char *method, int nargs) {
  l_module *u = l_checkself(L, L_MODULE, "module expected, got %s; call it as m:%s(...)",
                            method);
  char who[LN_MAXNAME + 32];
  snprintf(who, sizeof who, "%s:%s", u->kind, method);
  l_modlive(L, u, method);
  l_checknargs(L, nargs, who);
  return u;
}

int l_modraise(lua_State *L, l_module *u, const char *method) {
  char who[LN_MAXNAME + 32];
  snprintf(who, sizeof who, "%s:%s", u->kind, method);
  return l_raise(L, who);
}

/* ---- methods ---- */

/* forward and backward keep a reference to the module while it runs: a
 * module written in Lua may close the userdata meanwhile (and a new view's
 * allocation may run a finalizer that does). Their results are the views
 * cached in the userdata at 1. */
static int module_forward(lua_State *L) {
  l_module *u = l_modself(L, "forward", 2);
  l_checktensor(L, 2);              /* the argument's type first */
  ln_module *m = l_modlive(L, u, "forward");
  ln_module_retain(m);
  int rc = ln_module_forward(m, l_checktensor(L, 2));
  if (rc == LN_OK) l_pushowned(L, 1, &m->output);
  ln_module_release(m);
  if (rc) return l_modraise(L, u, "forward");
  return 1;
}

/* backward(x, dy [, {input_grad=}]): input_grad = false skips the gradient
 * with respect to x (a network's input needs none) and returns nothing. */
static int module_backward(lua_State *L) {
  static const char *const opts[] = {"input_grad", NULL};
  l_module *u = l_modself(L, "backward", 4);
  l_checktensor(L, 2);
  l_checktensor(L, 3);
  int input_grad = 1;
  char who[LN_MAXNAME + 32];
  snprintf(who, sizeof who, "%s:backward", u->kind);
  l_checkoptions(L, 4, who, opts);
  if (!lua_isnoneornil(L, 4)) {
    lua_pushliteral(L, "input_grad");
    int t = lua_rawget(L, 4);
    if (t != LUA_TNIL && t != LUA_TBOOLEAN)
      luaL_argerror(L, 4, lua_pushfstring(L, "option 'input_grad' must be a boolean, got %s",
                                          luaL_typename(L, -1)));
    if (t != LUA_TNIL) input_grad = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  ln_module *m = l_modlive(L, u, "backward");
  m->skip_grad_input = !input_grad;
  ln_module_retain(m);
  int rc = ln_module_backward(m, l_checktensor(L, 2), l_checktensor(L, 3));
  if (rc == LN_OK) rc = l_watch_step(L, 1, m);  /* board:watch's snapshots, if any */
  if (rc == LN_OK && input_grad) l_pushowned(L, 1, &m->grad_input);
  ln_module_release(m);
  if (rc) return l_modraise(L, u, "backward");
  return input_grad ? 1 : 0;
}

static int module_zero_grad(lua_State *L) {
  ln_module_zero_grad(l_modself(L, "zero_grad", 1)->m);
  return 0;
}

/* train([mode]): mode defaults to true, as PyTorch's train(mode=True). */
static int module_train(lua_State *L) {
  l_module *u = l_modself(L, "train", 2);
  int on = 1;
  if (!lua_isnone(L, 2)) {
    luaL_checktype(L, 2, LUA_TBOOLEAN);
    on = lua_toboolean(L, 2);
  }
  ln_module_set_training(u->m, on);
  lua_settop(L, 1);
  return 1;
}

static int module_evaluate(lua_State *L) {
  ln_module_set_training(l_modself(L, "evaluate", 1)->m, 0);
  lua_settop(L, 1);
  return 1;
}

/* Two tables of views, parameters and gradients. Every view is made before
 * the module is looked at again, so a finalizer run by making it cannot
 * leave us reading a freed module: the tree only grows while u holds it. */
static int module_parameters(lua_State *L) {
  l_module *u = l_modself(L, "parameters", 1);
  ln_tensor *none[1], **p;
  size_t n;
  for (;;) {  /* again when a finalizer grew the tree meanwhile */
    n = ln_module_parameters(u->m, none, none, 0);
    p = lua_newuserdatauv(L, (2 * n + 1) * sizeof *p, 0);  /* scratch */
    if (ln_module_parameters(l_modlive(L, u, "parameters"), p, p + n, n) == n) break;
    lua_pop(L, 1);
  }
  lua_createtable(L, (int)n, 0);
  lua_createtable(L, (int)n, 0);
  int tables = lua_gettop(L) - 1;
  for (size_t k = 0; k < 2; k++)
    for (size_t i = 0; i < n; i++) {
      ln_tensor *v = l_newtensor(L);
      l_modlive(L, u, "parameters");
      ln_tensor_share(v, p[k * n + i]);
      lua_rawseti(L, tables + (int)k, (lua_Integer)i + 1);
    }
  return 2;
}

/* The Sequential a container method was called on. */
static l_module *checkseq(lua_State *L, const char *method, int nargs) {
  l_module *u = l_modself(L, method, nargs);
  if (u->m->ops != &ln_sequential_ops)
    luaL_error(L, "%s:%s: only a Sequential has children to %s", u->kind, method, method);
  return u;
}

/* A 1-based position argument in 1..hi, as a 0-based index. */
static size_t checkpos(lua_State *L, int arg, size_t hi) {
  lua_Integer i = luaL_checkinteger(L, arg);
  luaL_argcheck(L, i >= 1 && (lua_Unsigned)i <= hi, arg,
                lua_pushfstring(L, "position %I out of range 1..%I", i, (lua_Integer)hi));
  return (size_t)i - 1;
}

static int module_add(lua_State *L) {
  l_module *u = l_modself(L, "add", 2);
  ln_module *child = l_checkmodule(L, 2);
  if (u->m->ops != &ln_sequential_ops)
    return luaL_error(L, "%s:add: only a Sequential has children", u->kind);
  if (ln_sequential_add(u->m, child)) return l_raise(L, "Sequential:add");
  lua_settop(L, 1);
  return 1;
}

/* insert(m [, i]): before position i (default: at the end), as Torch7's. */
static int module_insert(lua_State *L) {
  l_module *u = checkseq(L, "insert", 3);
  l_checkmodule(L, 2);
  size_t at = lua_isnoneornil(L, 3) ? u->m->nchild : checkpos(L, 3, u->m->nchild + 1);
  if (ln_module_insert_child(l_modlive(L, u, "insert"), at, l_checkmodule(L, 2), NULL))
    return l_raise(L, "Sequential:insert");
  lua_settop(L, 1);
  return 1;
}

/* remove([i]): takes out child i (default: the last) and returns it. */
static int module_remove(lua_State *L) {
  l_module *u = checkseq(L, "remove", 2);
  if (!u->m->nchild) return luaL_error(L, "Sequential:remove: the Sequential is empty");
  size_t at = lua_isnoneornil(L, 2) ? u->m->nchild - 1 : checkpos(L, 2, u->m->nchild);
  l_pushmodule(L, u->m->child[at]);  /* a reference of its own first */
  ln_module *m = l_modlive(L, u, "remove");
  if (at >= m->nchild || ln_module_remove_child(m, at))
    return l_raise(L, "Sequential:remove");
  return 1;
}

static int module_get(lua_State *L) {
  l_module *u = l_modself(L, "get", 2);
  size_t at = checkpos(L, 2, u->m->nchild);
  l_module *slot = l_modslot(L);
  ln_module *m = l_modlive(L, u, "get");
  if (at >= m->nchild) return luaL_error(L, "%s:get: the module changed", u->kind);
  l_modsettle(L, slot, m->child[at]);
  return 1;
}

static int module_type(lua_State *L) {
  lua_pushstring(L, l_modself(L, "type", 1)->kind);
  return 1;
}

static int module_len(lua_State *L) {
  l_module *u = luaL_checkudata(L, 1, L_MODULE);
  lua_pushinteger(L, (lua_Integer)l_modlive(L, u, "__len")->nchild);
  return 1;
}

/* net(x) is net:forward(x). */
static int module_call(lua_State *L) { return module_forward(L); }

/* ---- printing ---- */

/* Appends n bytes of s at out + len (only counting when out is NULL). */
static size_t put(char *out, size_t len, const char *s, size_t n) {
  if (out) memcpy(out + len, s, n);
  return len + n;
}

static size_t put_spaces(char *out, size_t len, int n) {
  for (int i = 0; i < n; i++) len = put(out, len, " ", 1);
  return len;
}

/* Writes m's description at out + len and returns the new length: a first
 * pass with out NULL counts, so no fixed buffer truncates a deep tree.
 * Children go on their own lines, indented; the tree is at most LN_MAXDEPTH
 * deep, and so is this recursion. */
static size_t describe(char *out, size_t len, const ln_module *m, int indent) {
  char s[256];
  int k = ln_module_describe(m, s, sizeof s);
  size_t n = k < 0 ? 0 : (size_t)k < sizeof s ? (size_t)k : sizeof s - 1;
  if (!m->nchild) return put(out, len, s, n);
  len = put(out, len, s, n && s[n - 1] == ')' ? n - 1 : n);  /* "Concat(2" */
  if (n >= 2 && s[n - 2] != '(') len = put(out, len, ",", 1);
  for (size_t i = 0; i < m->nchild; i++) {
    len = put_spaces(out, put(out, len, "\n", 1), indent + 2);
    if (m->child_name[i]) snprintf(s, sizeof s, "(%s): ", m->child_name[i]);
    else snprintf(s, sizeof s, "(%zu): ", i + 1);
    len = describe(out, put(out, len, s, strlen(s)), m->child[i], indent + 2);
  }
  return put(out, put_spaces(out, put(out, len, "\n", 1), indent), ")", 1);
}

static int module_tostring(lua_State *L) {
  l_module *u = luaL_checkudata(L, 1, L_MODULE);
  for (;;) {
    if (!u->m) {
      lua_pushfstring(L, "%s (closed)", u->kind);
      return 1;
    }
    size_t n = describe(NULL, 0, u->m, 0);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, n);  /* may run a finalizer */
    if (u->m && describe(NULL, 0, u->m, 0) == n) {
      describe(p, 0, u->m, 0);
      luaL_pushresultsize(&b, n);
      return 1;
    }
    lua_settop(L, 1);
  }
}

/* __gc and __close: drop the reference once, and the cache entry if it is
 * still this userdata (a collected one may already have been replaced). */
static int module_close(lua_State *L) {
  l_module *u = luaL_checkudata(L, 1, L_MODULE);
  ln_module *m = u->m;
  if (!m) return 0;
  u->m = NULL;
  pushcache(L);
  if (lua_istable(L, -1)) {
    lua_rawgetp(L, -1, m);
    if (lua_rawequal(L, -1, 1)) {
      lua_pushnil(L);
      lua_rawsetp(L, -3, m);
    }
  }
  lua_settop(L, 1);
  ln_module_release(m);
  return 0;
}

static const luaL_Reg methods[] = {
  {"forward", module_forward}, {"backward", module_backward},
  {"zero_grad", module_zero_grad}, {"train", module_train},
  {"evaluate", module_evaluate}, {"parameters", module_parameters},
  {"add", module_add}, {"insert", module_insert}, {"remove", module_remove},
  {"get", module_get}, {"type", module_type}, {NULL, NULL}
};

static const luaL_Reg metamethods[] = {
  {"__tostring", module_tostring}, {"__newindex", l_module_newindex},
  {"__len", module_len}, {"__call", module_call},
  {"__gc", module_close}, {"__close", module_close}, {NULL, NULL}
};

void l_open_module(lua_State *L) {
  l_newweak(L, "v", &cache_key);  /* the cache: weak values */

  /* __index: module_index, with the methods table as its upvalue. */
  l_newclass(L, L_MODULE, metamethods, methods);
  luaL_getmetatable(L, L_MODULE);
  lua_getfield(L, -1, "__methods");
  luaL_setfuncs(L, l_module_state_methods, 0);
  luaL_setfuncs(L, l_lmodule_methods, 0);
  lua_pushcclosure(L, l_module_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);

  l_open_constructors(L);
  l_open_lmodule(L);
}
