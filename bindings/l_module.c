/* l_module.c: the Module userdata shared by every layer kind, and the layer
 * constructors lunet.Linear, ReLU, Tanh, Sigmoid, BatchNorm, Sequential.
 *
 * A Module userdata holds one reference to an ln_module. A weak-valued
 * registry table maps each ln_module (light userdata) to its userdata, so a
 * module reached twice (as `lin` and as `net.modules[1]`) is the same Lua
 * value. Fields (weight, output, ...) are tensor views sharing storage with
 * the core, so writing into them changes the layer. */
#include <stdio.h>
#include <string.h>

#include "lunet.h"
#include "../core/activation.h"
#include "../core/batchnorm.h"
#include "../core/linear.h"
#include "../core/sequential.h"

typedef struct l_module {
  ln_module *m;      /* NULL once closed, and before its module is made */
  const char *kind;  /* m->ops->name (static), kept for messages once closed */
} l_module;

static const char cache_key = 'm';  /* its address keys the registry */

static void pushcache(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &cache_key);
}

/* A module userdata owning nothing yet. Making it may run a finalizer (a GC
 * step), so it is made before the C module it will hold is fetched. */
static l_module *newslot(lua_State *L) {
  l_module *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->m = NULL;
  u->kind = "Module";
  luaL_setmetatable(L, L_MODULE);
  return u;
}

/* The slot u on top of the stack takes over a reference to m and becomes
 * m's userdata in the cache. */
static void own(lua_State *L, l_module *u, ln_module *m) {
  u->m = m;
  u->kind = m->ops->name;
  pushcache(L);
  lua_pushvalue(L, -2);
  lua_rawsetp(L, -2, m);
  lua_pop(L, 1);
}

void l_newmodule(lua_State *L) { newslot(L); }

int l_setmodule(lua_State *L, ln_module *m, const char *who) {
  if (!m) return l_raise(L, who);
  own(L, lua_touserdata(L, -1), m);
  return 1;
}

/* Replaces the slot u on top by m's userdata: the cached one, or u given a
 * reference of its own. Nothing here runs Lua before m is retained. */
static void settle(lua_State *L, l_module *u, ln_module *m) {
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

void l_pushmodule(lua_State *L, ln_module *m) {
  if (!m) {
    lua_pushnil(L);
    return;
  }
  settle(L, newslot(L), m);
}

ln_module *l_checkmodule(lua_State *L, int arg) {
  l_module *u = luaL_testudata(L, arg, L_MODULE);
  if (!u) luaL_typeerror(L, arg, "module");
  if (!u->m) luaL_argerror(L, arg, lua_pushfstring(L, "%s module has been closed", u->kind));
  return u->m;
}

/* u's module, or "Linear:forward: module has been closed". Called again
 * after anything that may have run Lua (a metamethod, a finalizer). */
static ln_module *live(lua_State *L, l_module *u, const char *method) {
  if (!u->m) luaL_error(L, "%s:%s: module has been closed", u->kind, method);
  return u->m;
}

/* The live module userdata a method was called on, with at most nargs
 * arguments (self included). */
static l_module *checkself(lua_State *L, const char *method, int nargs) {
  l_module *u = l_checkself(L, L_MODULE, "module expected, got %s; call it as m:%s(...)",
                            method);
  char who[64];
  snprintf(who, sizeof who, "%s:%s", u->kind, method);
  live(L, u, method);
  l_checknargs(L, nargs, who);
  return u;
}

/* Raises the core's error as "<Kind>:<method>: <message>". */
static int raise(lua_State *L, l_module *u, const char *method) {
  char who[64];
  snprintf(who, sizeof who, "%s:%s", u->kind, method);
  return l_raise(L, who);
}

/* ---- constructors ---- */

static size_t checksize(lua_State *L, int arg) {
  lua_Integer n = luaL_checkinteger(L, arg);
  luaL_argcheck(L, n > 0, arg, "size must be positive");
  return (size_t)n;
}

static int lunet_Linear(lua_State *L) {
  size_t in = checksize(L, 1), out = checksize(L, 2);
  l_checknargs(L, 2, "lunet.Linear");
  l_newmodule(L);
  return l_setmodule(L, ln_linear_new(in, out, ln_rng_default()), "lunet.Linear");
}

static void checknoargs(lua_State *L, const char *who) {
  if (!lua_isnone(L, 1)) luaL_argerror(L, 1, lua_pushfstring(L, "%s takes no arguments", who));
}

static int lunet_ReLU(lua_State *L) {
  checknoargs(L, "ReLU");
  l_newmodule(L);
  return l_setmodule(L, ln_relu_new(), "lunet.ReLU");
}

static int lunet_Tanh(lua_State *L) {
  checknoargs(L, "Tanh");
  l_newmodule(L);
  return l_setmodule(L, ln_tanh_new(), "lunet.Tanh");
}

static int lunet_Sigmoid(lua_State *L) {
  checknoargs(L, "Sigmoid");
  l_newmodule(L);
  return l_setmodule(L, ln_sigmoid_new(), "lunet.Sigmoid");
}

/* BatchNorm(n [, {eps=, momentum=, affine=}]); unknown keys are errors so a
 * misspelt option is not silently ignored. The options are read raw
 * (lua_next): no metamethod runs. */
static int lunet_BatchNorm(lua_State *L) {
  size_t n = checksize(L, 1);
  double eps = 1e-5, momentum = 0.1;
  int affine = 1;
  l_checknargs(L, 2, "lunet.BatchNorm");
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, 2)) {
      const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
      int t = lua_type(L, -1);
      if (!strcmp(k, "eps") || !strcmp(k, "momentum")) {
        if (t != LUA_TNUMBER)
          luaL_argerror(L, 2, lua_pushfstring(L, "option '%s' must be a number, got %s", k,
                                              luaL_typename(L, -1)));
        *(k[0] == 'e' ? &eps : &momentum) = lua_tonumber(L, -1);
      } else if (!strcmp(k, "affine")) {
        if (t != LUA_TBOOLEAN)
          luaL_argerror(L, 2, lua_pushfstring(L, "option 'affine' must be a boolean, got %s",
                                              luaL_typename(L, -1)));
        affine = lua_toboolean(L, -1);
      } else {
        luaL_argerror(L, 2, lua_pushfstring(L, "unknown option '%s' (expected eps, momentum "
                                            "or affine)", luaL_tolstring(L, -2, NULL)));
      }
      lua_pop(L, 1);
    }
  }
  l_newmodule(L);
  return l_setmodule(L, ln_batchnorm_new(n, eps, momentum, affine), "lunet.BatchNorm");
}

/* Sequential{m1, m2, ...}, or Sequential(m1, m2, ...) as in PyTorch, or
 * Sequential() empty (the identity until something is added). A list's
 * __len and __index may run Lua, so each element is checked right after it
 * is read, and the new Sequential is re-checked too. */
static int lunet_Sequential(lua_State *L) {
  int top = lua_gettop(L), list = top >= 1 && lua_type(L, 1) == LUA_TTABLE;
  if (list && top > 1) luaL_argerror(L, 2, "expected one table of modules");
  lua_Integer n = list ? luaL_len(L, 1) : top;
  l_newmodule(L);
  l_setmodule(L, ln_sequential_new(), "lunet.Sequential");
  l_module *seq = lua_touserdata(L, -1);
  for (lua_Integer i = 1; i <= n; i++) {
    if (list) lua_geti(L, 1, i);
    else lua_pushvalue(L, (int)i);
    l_module *u = luaL_testudata(L, -1, L_MODULE);
    if (!u || !u->m) {
      const char *got = u ? "a closed module" : luaL_typename(L, -1);
      if (!u && luaL_getmetafield(L, -1, "__name") == LUA_TSTRING) got = lua_tostring(L, -1);
      if (list)
        luaL_argerror(L, 1, lua_pushfstring(L, "element %I is not a module (got %s)", i, got));
      if (u)
        luaL_argerror(L, (int)i, lua_pushfstring(L, "%s module has been closed", u->kind));
      luaL_typeerror(L, (int)i, "module");
    }
    if (ln_sequential_add(live(L, seq, "Sequential"), u->m)) l_raise(L, "lunet.Sequential");
    lua_pop(L, 1);
  }
  return 1;
}

/* ---- methods ---- */

static int module_forward(lua_State *L) {
  l_module *u = checkself(L, "forward", 2);
  l_checktensor(L, 2);              /* the argument's type first */
  ln_tensor *y = l_newtensor(L);    /* may run a finalizer: before fetching */
  ln_module *m = live(L, u, "forward");
  if (ln_module_forward(m, l_checktensor(L, 2))) return raise(L, u, "forward");
  ln_tensor_share(y, &m->output);
  return 1;
}

/* backward(x, dy [, {input_grad=}]): input_grad = false skips the gradient
 * with respect to x (a network's input needs none) and returns nothing.
 * Unknown keys are errors, as for BatchNorm's options. */
static int module_backward(lua_State *L) {
  l_module *u = checkself(L, "backward", 4);
  l_checktensor(L, 2);
  l_checktensor(L, 3);
  int input_grad = 1;
  if (!lua_isnoneornil(L, 4)) {
    luaL_checktype(L, 4, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, 4)) {
      const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
      if (strcmp(k, "input_grad"))
        luaL_argerror(L, 4, lua_pushfstring(L, "unknown option '%s' (expected input_grad)",
                                            luaL_tolstring(L, -2, NULL)));
      if (lua_type(L, -1) != LUA_TBOOLEAN)
        luaL_argerror(L, 4, lua_pushfstring(L, "option 'input_grad' must be a boolean, "
                                            "got %s", luaL_typename(L, -1)));
      input_grad = lua_toboolean(L, -1);
      lua_pop(L, 1);
    }
  }
  ln_tensor *dx = input_grad ? l_newtensor(L) : NULL;
  ln_module *m = live(L, u, "backward");
  m->skip_grad_input = !input_grad;
  if (ln_module_backward(m, l_checktensor(L, 2), l_checktensor(L, 3)))
    return raise(L, u, "backward");
  if (!input_grad) return 0;
  ln_tensor_share(dx, &m->grad_input);
  return 1;
}

static int module_zero_grad(lua_State *L) {
  ln_module_zero_grad(checkself(L, "zero_grad", 1)->m);
  return 0;
}

/* train([mode]): mode defaults to true, as PyTorch's train(mode=True). */
static int module_train(lua_State *L) {
  l_module *u = checkself(L, "train", 2);
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
  ln_module_set_training(checkself(L, "evaluate", 1)->m, 0);
  lua_settop(L, 1);
  return 1;
}

/* Two tables of views, parameters and gradients. Every view is made before
 * the module is looked at again, so a finalizer run by making it cannot
 * leave us reading a freed module: the tree only grows while u holds it. */
static int module_parameters(lua_State *L) {
  l_module *u = checkself(L, "parameters", 1);
  ln_tensor *none[1], **p;
  size_t n;
  for (;;) {  /* again when a finalizer grew the tree meanwhile */
    n = ln_module_parameters(u->m, none, none, 0);
    p = lua_newuserdatauv(L, (2 * n + 1) * sizeof *p, 0);  /* scratch */
    if (ln_module_parameters(live(L, u, "parameters"), p, p + n, n) == n) break;
    lua_pop(L, 1);
  }
  lua_createtable(L, (int)n, 0);
  lua_createtable(L, (int)n, 0);
  int tables = lua_gettop(L) - 1;
  for (size_t k = 0; k < 2; k++)
    for (size_t i = 0; i < n; i++) {
      ln_tensor *v = l_newtensor(L);
      live(L, u, "parameters");
      ln_tensor_share(v, p[k * n + i]);
      lua_rawseti(L, tables + (int)k, (lua_Integer)i + 1);
    }
  return 2;
}

static int module_add(lua_State *L) {
  l_module *u = checkself(L, "add", 2);
  ln_module *child = l_checkmodule(L, 2);
  if (u->m->ops->kind != LN_SEQUENTIAL)
    return luaL_error(L, "%s:add: only a Sequential has children", u->kind);
  if (ln_sequential_add(u->m, child)) return l_raise(L, "Sequential:add");
  lua_settop(L, 1);
  return 1;
}

static int module_type(lua_State *L) {
  lua_pushstring(L, checkself(L, "type", 1)->kind);
  return 1;
}

/* ---- metamethods ---- */

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
  char s[128];
  if (m->ops->kind == LN_LINEAR) {
    const ln_linear *l = (const ln_linear *)m;
    snprintf(s, sizeof s, "Linear(%zu -> %zu)", l->in, l->out);
  } else if (m->ops->kind == LN_BATCHNORM) {
    const ln_batchnorm *bn = (const ln_batchnorm *)m;
    snprintf(s, sizeof s, "BatchNorm(%zu, eps=%g, momentum=%g%s)", bn->nfeat, bn->eps,
             bn->momentum, bn->affine ? "" : ", affine=false");
  } else if (m->ops->kind == LN_SEQUENTIAL && m->nchild) {
    snprintf(s, sizeof s, "Sequential(");
  } else {
    snprintf(s, sizeof s, "%s()", m->ops->name);
  }
  len = put(out, len, s, strlen(s));
  if (m->ops->kind != LN_SEQUENTIAL || !m->nchild) return len;
  for (size_t i = 0; i < m->nchild; i++) {
    len = put_spaces(out, put(out, len, "\n", 1), indent + 2);
    snprintf(s, sizeof s, "(%zu): ", i + 1);
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

typedef enum { F_OUTPUT, F_GRAD_INPUT, F_WEIGHT, F_BIAS, F_RUNNING_MEAN, F_RUNNING_VAR } field;
static const char *const tensor_fields[] = {"output", "grad_input", "weight", "bias",
                                            "running_mean", "running_var", NULL};

/* The tensor field f of m, or NULL when m has none. */
static ln_tensor *tensor_field(ln_module *m, field f) {
  switch (f) {
  case F_OUTPUT: return &m->output;
  case F_GRAD_INPUT: return &m->grad_input;
  case F_WEIGHT: return m->nparam > 0 ? &m->param[0] : NULL;
  case F_BIAS: return m->nparam > 1 ? &m->param[1] : NULL;
  case F_RUNNING_MEAN: return m->ops->kind == LN_BATCHNORM ? &m->buf[0] : NULL;
  case F_RUNNING_VAR: return m->ops->kind == LN_BATCHNORM ? &m->buf[1] : NULL;
  }
  return NULL;
}

/* Pushes a view of field f of u's module (nil when it has none or it is
 * empty: no forward yet). The view is made before the module is fetched. */
static void pushtensor(lua_State *L, l_module *u, field f, const char *k) {
  ln_tensor *v = l_newtensor(L);
  ln_tensor *t = tensor_field(live(L, u, k), f);
  if (t && t->st) {
    ln_tensor_share(v, t);
  } else {
    lua_pop(L, 1);
    lua_pushnil(L);
  }
}

/* m.modules: a new table of the children's userdata, each made before the
 * module is looked at again (making one may run a finalizer). */
static void pushchildren(lua_State *L, l_module *u) {
  lua_createtable(L, (int)u->m->nchild, 0);
  for (size_t i = 0;; i++) {
    l_module *slot = newslot(L);
    ln_module *m = live(L, u, "modules");
    if (i >= m->nchild) {
      lua_pop(L, 1);
      return;
    }
    settle(L, slot, m->child[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

/* Pushes the field k of u's live module; returns 0 when it has no such field. */
static int pushfieldof(lua_State *L, l_module *u, const char *k) {
  ln_module *m = u->m;
  ln_kind kind = m->ops->kind;
  for (int f = 0; tensor_fields[f]; f++)
    if (!strcmp(k, tensor_fields[f])) {
      if (!tensor_field(m, (field)f) && f != F_OUTPUT && f != F_GRAD_INPUT) return 0;
      pushtensor(L, u, (field)f, k);
      return 1;
    }
  if (!strcmp(k, "training")) lua_pushboolean(L, m->training);
  else if (!strcmp(k, "modules")) pushchildren(L, u);
  else if (kind == LN_LINEAR && !strcmp(k, "in_features"))
    lua_pushinteger(L, (lua_Integer)((ln_linear *)m)->in);
  else if (kind == LN_LINEAR && !strcmp(k, "out_features"))
    lua_pushinteger(L, (lua_Integer)((ln_linear *)m)->out);
  else if (kind == LN_BATCHNORM && !strcmp(k, "num_features"))
    lua_pushinteger(L, (lua_Integer)((ln_batchnorm *)m)->nfeat);
  else if (kind == LN_BATCHNORM && !strcmp(k, "eps"))
    lua_pushnumber(L, ((ln_batchnorm *)m)->eps);
  else if (kind == LN_BATCHNORM && !strcmp(k, "momentum"))
    lua_pushnumber(L, ((ln_batchnorm *)m)->momentum);
  else if (kind == LN_BATCHNORM && !strcmp(k, "affine"))
    lua_pushboolean(L, ((ln_batchnorm *)m)->affine);
  else
    return 0;
  return 1;
}

/* Methods first (upvalue 1), then fields; anything else is nil. A field of
 * a closed module is an error naming its type. */
static int module_index(lua_State *L) {
  l_module *u = luaL_checkudata(L, 1, L_MODULE);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  if (lua_type(L, 2) != LUA_TSTRING) return 1;
  const char *k = lua_tostring(L, 2);
  if (!u->m) return luaL_error(L, "%s.%s: module has been closed", u->kind, k);
  if (!pushfieldof(L, u, k)) lua_pushnil(L);
  return 1;
}

static int module_newindex(lua_State *L) {
  l_module *u = luaL_checkudata(L, 1, L_MODULE);
  const char *kind = u->kind;  /* static: survives whatever __tostring does */
  const char *k = luaL_tolstring(L, 2, NULL);
  if (!u->m) return luaL_error(L, "%s.%s: module has been closed", kind, k);
  return luaL_error(L, "%s: cannot assign field '%s' (copy into a tensor field instead, "
                    "e.g. m.weight:copy(t))", kind, k);
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

static const luaL_Reg functions[] = {
  {"Linear", lunet_Linear}, {"ReLU", lunet_ReLU}, {"Tanh", lunet_Tanh},
  {"Sigmoid", lunet_Sigmoid}, {"BatchNorm", lunet_BatchNorm},
  {"Sequential", lunet_Sequential}, {NULL, NULL}
};

static const luaL_Reg methods[] = {
  {"forward", module_forward}, {"backward", module_backward},
  {"zero_grad", module_zero_grad}, {"train", module_train},
  {"evaluate", module_evaluate}, {"parameters", module_parameters},
  {"add", module_add}, {"type", module_type}, {NULL, NULL}
};

static const luaL_Reg metamethods[] = {
  {"__tostring", module_tostring}, {"__newindex", module_newindex},
  {"__gc", module_close}, {"__close", module_close}, {NULL, NULL}
};

void l_open_module(lua_State *L) {
  lua_newtable(L);  /* the cache: weak values */
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "v");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &cache_key);

  /* __index: module_index, with the methods table as its upvalue. */
  l_newclass(L, L_MODULE, metamethods, methods);
  luaL_getmetatable(L, L_MODULE);
  lua_getfield(L, -1, "__methods");
  lua_pushcclosure(L, module_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);

  luaL_setfuncs(L, functions, 0);
}
