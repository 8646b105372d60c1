/* l_optim.c: lunet.optim.SGD and lunet.optim.Adam.
 *
 *   local opt = lunet.optim.SGD(net, {lr = 0.1, momentum = 0.9})
 *   opt:zero_grad(); ...; opt:step()
 *   opt.lr = opt.lr * 0.5      -- hyper-parameters are fields, for schedules
 *
 * Options follow torch.optim's keyword names; an unknown option is an error
 * (a misspelt "learning_rate" must not silently train with the default). */
#include <string.h>

#include "lunet.h"
#include "../core/optim.h"

#define L_OPTIM "lunet.Optim"

typedef struct l_optim {
  ln_optim *o;         /* NULL once closed */
  ln_optim_kind kind;  /* kept for messages once closed */
} l_optim;

/* u's optimizer, or "SGD:step: optimizer has been closed" (sep ":" for a
 * method, "." for a field). Called again after anything that may run Lua. */
static ln_optim *live(lua_State *L, l_optim *u, const char *sep, const char *name) {
  if (!u->o)
    luaL_error(L, "%s%s%s: optimizer has been closed", ln_optim_name(u->kind), sep, name);
  return u->o;
}

/* The live optimizer a method was called on, with at most nargs arguments. */
static ln_optim *checkoptim(lua_State *L, const char *method, int nargs) {
  l_optim *u = l_checkself(L, L_OPTIM, "optimizer expected, got %s; call it as opt:%s()",
                           method);
  char who[64];
  snprintf(who, sizeof who, "%s:%s", ln_optim_name(u->kind), method);
  live(L, u, ":", method);
  l_checknargs(L, nargs, who);
  return u->o;
}

static const char *const sgd_opts[] = {"lr", "momentum", "dampening", "weight_decay",
                                       "nesterov", NULL};
static const char *const adam_opts[] = {"lr", "betas", "eps", "weight_decay", NULL};

static int known(const char *const *names, const char *key) {
  for (; *names; names++)
    if (!strcmp(*names, key)) return 1;
  return 0;
}

/* Converts the value at idx into the field(s) `key` of c; raises on a bad
 * type. May run Lua (the __index of a betas table). */
static void readoption(lua_State *L, const char *who, ln_optim_config *c, const char *key,
                       int idx) {
  idx = lua_absindex(L, idx);
  if (!strcmp(key, "nesterov")) {
    if (!lua_isboolean(L, idx)) luaL_error(L, "%s: option 'nesterov' must be a boolean", who);
    c->nesterov = lua_toboolean(L, idx);
    return;
  }
  if (!strcmp(key, "betas")) {
    int ok1 = 0, ok2 = 0;
    if (lua_istable(L, idx)) {
      lua_geti(L, idx, 1);
      lua_geti(L, idx, 2);
      c->beta1 = lua_tonumberx(L, -2, &ok1);
      c->beta2 = lua_tonumberx(L, -1, &ok2);
      lua_pop(L, 2);
    }
    if (!ok1 || !ok2) luaL_error(L, "%s: option 'betas' must be a table {beta1, beta2}", who);
    return;
  }
  int ok;
  double v = lua_tonumberx(L, idx, &ok);
  if (!ok)
    luaL_error(L, "%s: option '%s' must be a number, got %s", who, key, luaL_typename(L, idx));
  if (!strcmp(key, "lr")) c->lr = v;
  else if (!strcmp(key, "momentum")) c->momentum = v;
  else if (!strcmp(key, "dampening")) c->dampening = v;
  else if (!strcmp(key, "weight_decay")) c->weight_decay = v;
  else c->eps = v;
}

/* Copies the field(s) `key` from src into dst. */
static void copyoption(ln_optim_config *dst, const ln_optim_config *src, const char *key) {
  if (!strcmp(key, "nesterov")) dst->nesterov = src->nesterov;
  else if (!strcmp(key, "betas")) dst->beta1 = src->beta1, dst->beta2 = src->beta2;
  else if (!strcmp(key, "lr")) dst->lr = src->lr;
  else if (!strcmp(key, "momentum")) dst->momentum = src->momentum;
  else if (!strcmp(key, "dampening")) dst->dampening = src->dampening;
  else if (!strcmp(key, "weight_decay")) dst->weight_decay = src->weight_decay;
  else dst->eps = src->eps;
}

/* SGD(net, opts) / Adam(net [, opts]). The options are converted first
 * (a betas table's __index may run Lua, even close net), then the userdata
 * is made, and only then is net fetched again and used. */
static int newoptim(lua_State *L, ln_optim_kind kind) {
  const char *who = kind == LN_SGD ? "lunet.optim.SGD" : "lunet.optim.Adam";
  const char *const *names = kind == LN_SGD ? sgd_opts : adam_opts;
  l_checkmodule(L, 1);  /* its type first, for the message */
  l_checknargs(L, 2, who);
  ln_optim_config cfg = ln_optim_defaults(kind);
  int has_lr = 0;
  l_checkoptions(L, 2, who, names);
  if (!lua_isnoneornil(L, 2)) {
    lua_pushnil(L);
    while (lua_next(L, 2)) {
      const char *key = lua_tostring(L, -2);
      has_lr |= !strcmp(key, "lr");
      readoption(L, who, &cfg, key, -1);
      lua_pop(L, 1);
    }
  }
  if (kind == LN_SGD && !has_lr) luaL_error(L, "%s: option 'lr' is required", who);
  l_optim *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->o = NULL;
  u->kind = kind;
  luaL_setmetatable(L, L_OPTIM);
  u->o = ln_optim_new(kind, l_checkmodule(L, 1), &cfg);
  if (!u->o) l_raise(L, who);
  return 1;
}

static int optim_SGD(lua_State *L) { return newoptim(L, LN_SGD); }
static int optim_Adam(lua_State *L) { return newoptim(L, LN_ADAM); }

static int optim_step(lua_State *L) {
  ln_optim *o = checkoptim(L, "step", 1);
  if (ln_optim_step(o)) l_raise(L, o->kind == LN_SGD ? "SGD:step" : "Adam:step");
  return 0;
}

static int optim_zero_grad(lua_State *L) {
  ln_optim_zero_grad(checkoptim(L, "zero_grad", 1));
  return 0;
}

static const luaL_Reg methods[] = {
  {"step", optim_step}, {"zero_grad", optim_zero_grad},
  {NULL, NULL}
};

/* Methods first (a closed optimizer still finds them, and they say it is
 * closed), then fields (lr, momentum, ..., steps): reading a field of a
 * closed optimizer is an error; an unknown key is nil. */
static int optim_index(lua_State *L) {
  l_optim *u = luaL_checkudata(L, 1, L_OPTIM);
  const char *key = luaL_checkstring(L, 2);
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "__methods");
  if (lua_getfield(L, -1, key) != LUA_TNIL) return 1;
  ln_optim *o = live(L, u, ".", key);
  /* C values first: making the betas table may run a finalizer closing o. */
  ln_optim_config c = o->cfg;
  long steps = o->steps;
  if (!known(o->kind == LN_SGD ? sgd_opts : adam_opts, key)) {
    if (strcmp(key, "steps")) return 1;  /* nil */
    lua_pushinteger(L, steps);
  } else if (!strcmp(key, "nesterov")) {
    lua_pushboolean(L, c.nesterov);
  } else if (!strcmp(key, "betas")) {
    lua_createtable(L, 2, 0);
    lua_pushnumber(L, c.beta1);
    lua_rawseti(L, -2, 1);
    lua_pushnumber(L, c.beta2);
    lua_rawseti(L, -2, 2);
  } else {
    lua_pushnumber(L, !strcmp(key, "lr") ? c.lr : !strcmp(key, "momentum") ? c.momentum
                      : !strcmp(key, "dampening") ? c.dampening
                      : !strcmp(key, "weight_decay") ? c.weight_decay : c.eps);
  }
  return 1;
}

/* opt.lr = v: the value is converted first (it may run Lua that closes
 * opt), then the optimizer is fetched again and given the new field. */
static int optim_newindex(lua_State *L) {
  l_optim *u = luaL_checkudata(L, 1, L_OPTIM);
  const char *key = luaL_checkstring(L, 2);
  const char *who = ln_optim_name(u->kind);
  live(L, u, ".", key);
  if (!known(u->kind == LN_SGD ? sgd_opts : adam_opts, key))
    luaL_error(L, "%s: no settable field '%s'", who, key);
  ln_optim_config v = ln_optim_defaults(u->kind);
  readoption(L, who, &v, key, 3);
  ln_optim *o = live(L, u, ".", key);
  ln_optim_config cfg = o->cfg;
  copyoption(&cfg, &v, key);
  if (ln_optim_set(o, &cfg)) l_raise(L, who);
  return 0;
}

static int optim_tostring(lua_State *L) {
  l_optim *u = luaL_checkudata(L, 1, L_OPTIM);
  if (!u->o) {
    lua_pushliteral(L, "optimizer (closed)");
    return 1;
  }
  const ln_optim_config *c = &u->o->cfg;
  if (u->o->kind == LN_SGD)
    lua_pushfstring(L, "SGD(lr=%f, momentum=%f, dampening=%f, weight_decay=%f, nesterov=%s)",
                    c->lr, c->momentum, c->dampening, c->weight_decay,
                    c->nesterov ? "true" : "false");
  else
    lua_pushfstring(L, "Adam(lr=%f, betas={%f, %f}, eps=%f, weight_decay=%f)", c->lr,
                    c->beta1, c->beta2, c->eps, c->weight_decay);
  return 1;
}

/* One idempotent closer for __gc and __close. */
static int optim_gc(lua_State *L) {
  l_optim *u = luaL_checkudata(L, 1, L_OPTIM);
  ln_optim_free(u->o);
  u->o = NULL;
  return 0;
}

static const luaL_Reg functions[] = {
  {"SGD", optim_SGD}, {"Adam", optim_Adam},
  {NULL, NULL}
};

static const luaL_Reg metamethods[] = {
  {"__index", optim_index}, {"__newindex", optim_newindex},
  {"__tostring", optim_tostring}, {"__gc", optim_gc}, {"__close", optim_gc},
  {NULL, NULL}
};

void l_open_optim(lua_State *L) {
  luaL_newlib(L, functions);
  lua_setfield(L, -2, "optim");
  l_newclass(L, L_OPTIM, metamethods, methods);  /* optim_index reads __methods */
}
