/* l_init.c: lunet.init, torch.nn.init's fillers on the default generator.
 *
 *   lunet.init.normal(t, mean, std); lunet.init.uniform(t, a, b)
 *   lunet.init.constant(t, v)
 *   lunet.init.xavier_uniform(t [, gain]); lunet.init.xavier_normal(t [, gain])
 *   (options positionally, in PyTorch's order, or in a table)
 *   lunet.init.kaiming_uniform(t [, {a =, mode = "fan_in"|"fan_out",
 *                                    nonlinearity = "leaky_relu"}])
 *   lunet.init.kaiming_normal(t [, same options])
 *   lunet.init.calculate_gain(nonlinearity [, param])
 * Each filler fills t in place and returns it; draws come from the generator
 * lunet.manual_seed seeds. */
#include "lunet.h"
#include "../core/init.h"

/* Each filler converts its numbers and options first (an options table's
 * __index may run Lua that closes the tensor), then fetches the tensor. */

static int init_normal(lua_State *L) {
  l_checktensor(L, 1);  /* its type first, for the message */
  double mean = luaL_optnumber(L, 2, 0), std = luaL_optnumber(L, 3, 1);
  l_checknargs(L, 3, "lunet.init.normal");
  if (ln_init_normal(l_checktensor(L, 1), ln_rng_default(), mean, std))
    l_raise(L, "lunet.init.normal");
  lua_settop(L, 1);
  return 1;
}

static int init_uniform(lua_State *L) {
  l_checktensor(L, 1);
  double a = luaL_optnumber(L, 2, 0), b = luaL_optnumber(L, 3, 1);
  l_checknargs(L, 3, "lunet.init.uniform");
  if (ln_init_uniform(l_checktensor(L, 1), ln_rng_default(), a, b))
    l_raise(L, "lunet.init.uniform");
  lua_settop(L, 1);
  return 1;
}

static int init_constant(lua_State *L) {
  l_checktensor(L, 1);
  double v = luaL_checknumber(L, 2);
  l_checknargs(L, 2, "lunet.init.constant");
  if (ln_init_constant(l_checktensor(L, 1), v)) l_raise(L, "lunet.init.constant");
  lua_settop(L, 1);
  return 1;
}

/* The gain: a number or {gain = g}, as kaiming's options. */
static int xavier(lua_State *L, int normal) {
  const char *who = normal ? "lunet.init.xavier_normal" : "lunet.init.xavier_uniform";
  static const char *const keys[] = {"gain", NULL};
  l_checktensor(L, 1);
  l_positional(L, 2, who, keys);
  l_checknargs(L, 2, who);
  l_checkoptions(L, 2, who, keys);
  double gain = l_optnumber(L, 2, who, "gain", 1);
  ln_tensor *t = l_checktensor(L, 1);
  int err = normal ? ln_init_xavier_normal(t, ln_rng_default(), gain)
                   : ln_init_xavier_uniform(t, ln_rng_default(), gain);
  if (err) l_raise(L, who);
  lua_settop(L, 1);
  return 1;
}

static int init_xavier_uniform(lua_State *L) { return xavier(L, 0); }
static int init_xavier_normal(lua_State *L) { return xavier(L, 1); }

/* Options: a, mode, nonlinearity, in a table or in that order, as PyTorch's. */
static int kaiming(lua_State *L, int normal) {
  const char *who = normal ? "lunet.init.kaiming_normal" : "lunet.init.kaiming_uniform";
  static const char *const keys[] = {"a", "mode", "nonlinearity", NULL};
  static const char *const modes[] = {"fan_in", "fan_out", NULL};
  l_checktensor(L, 1);
  l_positional(L, 2, who, keys);
  l_checknargs(L, 2, who);
  l_checkoptions(L, 2, who, keys);
  double a = l_optnumber(L, 2, who, "a", 0);
  const char *nl = l_optstring(L, 2, who, "nonlinearity", "leaky_relu");  /* stays on the stack */
  int fan_out = l_optchoice(L, 2, who, "mode", modes, 0);
  ln_tensor *t = l_checktensor(L, 1);
  int err = normal ? ln_init_kaiming_normal(t, ln_rng_default(), a, nl, fan_out)
                   : ln_init_kaiming_uniform(t, ln_rng_default(), a, nl, fan_out);
  if (err) l_raise(L, who);
  lua_settop(L, 1);
  return 1;
}

static int init_kaiming_uniform(lua_State *L) { return kaiming(L, 0); }
static int init_kaiming_normal(lua_State *L) { return kaiming(L, 1); }

static int init_calculate_gain(lua_State *L) {
  double gain;
  const char *nl = luaL_checkstring(L, 1);
  double param = luaL_optnumber(L, 2, 0.01);
  l_checknargs(L, 2, "lunet.init.calculate_gain");
  if (ln_init_gain(&gain, nl, param)) l_raise(L, "lunet.init.calculate_gain");
  lua_pushnumber(L, gain);
  return 1;
}

static const luaL_Reg functions[] = {
  {"normal", init_normal}, {"uniform", init_uniform}, {"constant", init_constant},
  {"xavier_uniform", init_xavier_uniform}, {"xavier_normal", init_xavier_normal},
  {"kaiming_uniform", init_kaiming_uniform}, {"kaiming_normal", init_kaiming_normal},
  {"calculate_gain", init_calculate_gain},
  {NULL, NULL}
};

void l_open_init(lua_State *L) {
  luaL_newlib(L, functions);
  lua_setfield(L, -2, "init");
}
