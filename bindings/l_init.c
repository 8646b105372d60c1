/* l_init.c: lunet.init, torch.nn.init's fillers on the default generator.
 *
 *   lunet.init.normal(t, mean, std); lunet.init.uniform(t, a, b)
 *   lunet.init.constant(t, v)
 *   lunet.init.xavier_uniform(t [, gain]); lunet.init.xavier_normal(t [, gain])
 *   lunet.init.kaiming_uniform(t [, {a =, mode = "fan_in"|"fan_out",
 *                                    nonlinearity = "leaky_relu"}])
 *   lunet.init.kaiming_normal(t [, same options])
 *   lunet.init.calculate_gain(nonlinearity [, param])
 * Each filler fills t in place and returns it; draws come from the generator
 * lunet.manual_seed seeds. */
#include <string.h>

#include "lunet.h"
#include "../core/init.h"

static int init_normal(lua_State *L) {
  ln_tensor *t = l_checktensor(L, 1);
  double mean = luaL_optnumber(L, 2, 0), std = luaL_optnumber(L, 3, 1);
  if (ln_init_normal(t, ln_rng_default(), mean, std)) l_raise(L, "lunet.init.normal");
  lua_settop(L, 1);
  return 1;
}

static int init_uniform(lua_State *L) {
  ln_tensor *t = l_checktensor(L, 1);
  double a = luaL_optnumber(L, 2, 0), b = luaL_optnumber(L, 3, 1);
  if (ln_init_uniform(t, ln_rng_default(), a, b)) l_raise(L, "lunet.init.uniform");
  lua_settop(L, 1);
  return 1;
}

static int init_constant(lua_State *L) {
  ln_tensor *t = l_checktensor(L, 1);
  if (ln_init_constant(t, luaL_checknumber(L, 2))) l_raise(L, "lunet.init.constant");
  lua_settop(L, 1);
  return 1;
}

static int xavier(lua_State *L, int normal) {
  ln_tensor *t = l_checktensor(L, 1);
  double gain = luaL_optnumber(L, 2, 1);
  int err = normal ? ln_init_xavier_normal(t, ln_rng_default(), gain)
                   : ln_init_xavier_uniform(t, ln_rng_default(), gain);
  if (err) l_raise(L, normal ? "lunet.init.xavier_normal" : "lunet.init.xavier_uniform");
  lua_settop(L, 1);
  return 1;
}

static int init_xavier_uniform(lua_State *L) { return xavier(L, 0); }
static int init_xavier_normal(lua_State *L) { return xavier(L, 1); }

/* Options: a number (the negative slope a) or a table {a, mode, nonlinearity}. */
static int kaiming(lua_State *L, int normal) {
  const char *who = normal ? "lunet.init.kaiming_normal" : "lunet.init.kaiming_uniform";
  ln_tensor *t = l_checktensor(L, 1);
  double a = 0;
  const char *nl = "leaky_relu", *mode = "fan_in";
  if (lua_type(L, 2) == LUA_TNUMBER) {
    a = lua_tonumber(L, 2);
  } else if (!lua_isnoneornil(L, 2)) {
    static const char *const keys[] = {"a", "mode", "nonlinearity", NULL};
    luaL_argexpected(L, lua_istable(L, 2), 2, "table of options or number");
    l_checkoptions(L, 2, who, keys);
    a = l_optnumber(L, 2, who, "a", 0);
    if (lua_getfield(L, 2, "nonlinearity") != LUA_TNIL) {
      nl = lua_tostring(L, -1);
      if (!nl || lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "%s: option 'nonlinearity' must be a string", who);
    }
    if (lua_getfield(L, 2, "mode") != LUA_TNIL) {
      mode = lua_tostring(L, -1);
      if (!mode || lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "%s: option 'mode' must be a string", who);
    }
  }
  if (strcmp(mode, "fan_in") && strcmp(mode, "fan_out"))
    luaL_error(L, "%s: mode must be 'fan_in' or 'fan_out', got '%s'", who, mode);
  int fan_out = !strcmp(mode, "fan_out");
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
  if (ln_init_gain(&gain, luaL_checkstring(L, 1), luaL_optnumber(L, 2, 0.01)))
    l_raise(L, "lunet.init.calculate_gain");
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
