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
  ln_module *m;  /* NULL once closed */
} l_module;

static const char cache_key = 'm';  /* its address keys the registry */

static void pushcache(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &cache_key);
}

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
  lua_pop(L, 1);
  l_module *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->m = m;
  ln_module_retain(m);
  luaL_setmetatable(L, L_MODULE);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, -3, m);
  lua_remove(L, -2);
}

ln_module *l_checkmodule(lua_State *L, int arg) {
  l_module *u = luaL_testudata(L, arg, L_MODULE);
  if (!u) luaL_typeerror(L, arg, "module");
  if (!u->m) luaL_argerror(L, arg, "module has been closed");
  return u->m;
}

/* The live module a method was called on. */
static ln_module *checkself(lua_State *L, const char *method) {
  l_module *u = l_checkself(L, L_MODULE, "module expected, got %s; call it as m:%s(...)",
                            method);
  if (!u->m) luaL_argerror(L, 1, "module has been closed");
  return u->m;
}

/* Raises the core's error as "<Kind>:<method>: <message>". */
static int raise(lua_State *L, ln_module *m, const char *method) {
  char who[64];
  snprintf(who, sizeof who, "%s:%s", m->ops->name, method);
  return l_raise(L, who);
}

/* Pushes a module fresh from a constructor, which the userdata now owns. */
static int pushnew(lua_State *L, ln_module *m, const char *who) {
  if (!m) return l_raise(L, who);
  l_pushmodule(L, m);
  ln_module_release(m);
  return 1;
}

/* Pushes a view of t, or nil when t is empty (no forward yet). */
static void pushfield(lua_State *L, const ln_tensor *t) {
  if (t->st) l_pushview(L, t);
  else lua_pushnil(L);
}

/* ---- constructors ---- */

static size_t checksize(lua_State *L, int arg) {
  lua_Integer n = luaL_checkinteger(L, arg);
  luaL_argcheck(L, n > 0, arg, "size must be positive");
  return (size_t)n;
}

static int lunet_Linear(lua_State *L) {
  size_t in = checksize(L, 1), out = checksize(L, 2);
  return pushnew(L, ln_linear_new(in, out, ln_rng_default()), "lunet.Linear");
}

static void checknoargs(lua_State *L, const char *who) {
  if (!lua_isnone(L, 1)) luaL_argerror(L, 1, lua_pushfstring(L, "%s takes no arguments", who));
}

static int lunet_ReLU(lua_State *L) {
  checknoargs(L, "ReLU");
  return pushnew(L, ln_relu_new(), "lunet.ReLU");
}

static int lunet_Tanh(lua_State *L) {
  checknoargs(L, "Tanh");
  return pushnew(L, ln_tanh_new(), "lunet.Tanh");
}

static int lunet_Sigmoid(lua_State *L) {
  checknoargs(L, "Sigmoid");
  return pushnew(L, ln_sigmoid_new(), "lunet.Sigmoid");
}

/* BatchNorm(n [, {eps=, momentum=, affine=}]); unknown keys are errors so a
 * misspelt option is not silently ignored. */
static int lunet_BatchNorm(lua_State *L) {
  size_t n = checksize(L, 1);
  double eps = 1e-5, momentum = 0.1;
  int affine = 1;
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
  return pushnew(L, ln_batchnorm_new(n, eps, momentum, affine), "lunet.BatchNorm");
}

/* Sequential{m1, m2, ...} as in Torch7, or Sequential(m1, m2, ...) as in
 * PyTorch, or Sequential() empty (the identity until something is added). */
static int lunet_Sequential(lua_State *L) {
  int top = lua_gettop(L), list = top >= 1 && lua_type(L, 1) == LUA_TTABLE;
  if (list && top > 1) luaL_argerror(L, 2, "expected one table of modules");
  pushnew(L, ln_sequential_new(), "lunet.Sequential");
  ln_module *seq = l_checkmodule(L, -1);
  lua_Integer n = list ? luaL_len(L, 1) : top;
  for (lua_Integer i = 1; i <= n; i++) {
    if (list) lua_geti(L, 1, i);
    else lua_pushvalue(L, (int)i);
    l_module *u = luaL_testudata(L, -1, L_MODULE);
    if (!u || !u->m) {
      const char *got = u ? "a closed module" : luaL_typename(L, -1);
      if (!u && luaL_getmetafield(L, -1, "__name") == LUA_TSTRING) got = lua_tostring(L, -1);
      if (list)
        luaL_argerror(L, 1, lua_pushfstring(L, "element %d is not a module (got %s)",
                                            (int)i, got));
      if (u) luaL_argerror(L, (int)i, "module has been closed");
      luaL_typeerror(L, (int)i, "module");
    }
    if (ln_sequential_add(seq, u->m)) l_raise(L, "lunet.Sequential");
    lua_pop(L, 1);
  }
  return 1;
}

/* ---- methods ---- */

static int module_forward(lua_State *L) {
  ln_module *m = checkself(L, "forward");
  ln_tensor *x = l_checktensor(L, 2);
  if (ln_module_forward(m, x)) return raise(L, m, "forward");
  l_pushview(L, &m->output);
  return 1;
}

/* backward(x, dy [, {input_grad=}]): input_grad = false skips the gradient
 * with respect to x (a network's input needs none) and returns nothing.
 * Unknown keys are errors, as for BatchNorm's options. */
static int module_backward(lua_State *L) {
  ln_module *m = checkself(L, "backward");
  ln_tensor *x = l_checktensor(L, 2), *dy = l_checktensor(L, 3);
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
  m->skip_grad_input = !input_grad;
  if (ln_module_backward(m, x, dy)) return raise(L, m, "backward");
  if (!input_grad) return 0;
  l_pushview(L, &m->grad_input);
  return 1;
}

static int module_zero_grad(lua_State *L) {
  ln_module_zero_grad(checkself(L, "zero_grad"));
  return 0;
}

/* train([mode]): mode defaults to true, as PyTorch's train(mode=True). */
static int module_train(lua_State *L) {
  ln_module *m = checkself(L, "train");
  int on = 1;
  if (!lua_isnone(L, 2)) {
    luaL_checktype(L, 2, LUA_TBOOLEAN);
    on = lua_toboolean(L, 2);
  }
  ln_module_set_training(m, on);
  lua_settop(L, 1);
  return 1;
}

static int module_evaluate(lua_State *L) {
  ln_module_set_training(checkself(L, "evaluate"), 0);
  lua_settop(L, 1);
  return 1;
}

static int module_parameters(lua_State *L) {
  ln_module *m = checkself(L, "parameters");
  ln_tensor *none[1];
  size_t n = ln_module_parameters(m, none, none, 0);
  ln_tensor **p = lua_newuserdatauv(L, (2 * n + 1) * sizeof *p, 0);  /* scratch */
  ln_module_parameters(m, p, p + n, n);
  for (size_t k = 0; k < 2; k++) {
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
      l_pushview(L, p[k * n + i]);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
  }
  return 2;
}

static int module_add(lua_State *L) {
  ln_module *seq = checkself(L, "add");
  ln_module *child = l_checkmodule(L, 2);
  if (seq->ops->kind != LN_SEQUENTIAL)
    return luaL_error(L, "%s:add: only a Sequential has children", seq->ops->name);
  if (ln_sequential_add(seq, child)) return l_raise(L, "Sequential:add");
  lua_settop(L, 1);
  return 1;
}

static int module_type(lua_State *L) {
  lua_pushstring(L, checkself(L, "type")->ops->name);
  return 1;
}

/* ---- metamethods ---- */

/* Appends m's description; children go on their own lines, indented. */
static void describe(luaL_Buffer *b, const ln_module *m, int indent) {
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
  luaL_addstring(b, s);
  if (m->ops->kind != LN_SEQUENTIAL || !m->nchild) return;
  for (size_t i = 0; i < m->nchild; i++) {
    snprintf(s, sizeof s, "\n%*s(%zu): ", indent + 2, "", i + 1);
    luaL_addstring(b, s);
    describe(b, m->child[i], indent + 2);
  }
  snprintf(s, sizeof s, "\n%*s)", indent, "");
  luaL_addstring(b, s);
}

static int module_tostring(lua_State *L) {
  l_module *u = luaL_checkudata(L, 1, L_MODULE);
  if (!u->m) {
    lua_pushliteral(L, "Module (closed)");
    return 1;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  describe(&b, u->m, 0);
  luaL_pushresult(&b);
  return 1;
}

/* Pushes the field k of m; returns 0 when m has no such field. */
static int pushfieldof(lua_State *L, ln_module *m, const char *k) {
  ln_kind kind = m->ops->kind;
  if (!strcmp(k, "output")) pushfield(L, &m->output);
  else if (!strcmp(k, "grad_input")) pushfield(L, &m->grad_input);
  else if (!strcmp(k, "training")) lua_pushboolean(L, m->training);
  else if (!strcmp(k, "weight") && m->nparam > 0) l_pushview(L, &m->param[0]);
  else if (!strcmp(k, "bias") && m->nparam > 1) l_pushview(L, &m->param[1]);
  else if (!strcmp(k, "running_mean") && kind == LN_BATCHNORM) l_pushview(L, &m->buf[0]);
  else if (!strcmp(k, "running_var") && kind == LN_BATCHNORM) l_pushview(L, &m->buf[1]);
  else if (!strcmp(k, "modules")) {
    lua_createtable(L, (int)m->nchild, 0);
    for (size_t i = 0; i < m->nchild; i++) {
      l_pushmodule(L, m->child[i]);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
  } else if (kind == LN_LINEAR && !strcmp(k, "in_features")) {
    lua_pushinteger(L, (lua_Integer)((ln_linear *)m)->in);
  } else if (kind == LN_LINEAR && !strcmp(k, "out_features")) {
    lua_pushinteger(L, (lua_Integer)((ln_linear *)m)->out);
  } else if (kind == LN_BATCHNORM && !strcmp(k, "num_features")) {
    lua_pushinteger(L, (lua_Integer)((ln_batchnorm *)m)->nfeat);
  } else if (kind == LN_BATCHNORM && !strcmp(k, "eps")) {
    lua_pushnumber(L, ((ln_batchnorm *)m)->eps);
  } else if (kind == LN_BATCHNORM && !strcmp(k, "momentum")) {
    lua_pushnumber(L, ((ln_batchnorm *)m)->momentum);
  } else if (kind == LN_BATCHNORM && !strcmp(k, "affine")) {
    lua_pushboolean(L, ((ln_batchnorm *)m)->affine);
  } else {
    return 0;
  }
  return 1;
}

/* Methods first (upvalue 1), then fields; anything else is nil. */
static int module_index(lua_State *L) {
  l_module *u = luaL_checkudata(L, 1, L_MODULE);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  if (lua_type(L, 2) != LUA_TSTRING) return 1;
  if (!u->m) return luaL_error(L, "module has been closed");
  if (!pushfieldof(L, u->m, lua_tostring(L, 2))) lua_pushnil(L);
  return 1;
}

static int module_newindex(lua_State *L) {
  ln_module *m = l_checkmodule(L, 1);
  return luaL_error(L, "%s: cannot assign field '%s' (copy into a tensor field instead, "
                    "e.g. m.weight:copy(t))", m->ops->name, luaL_tolstring(L, 2, NULL));
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
