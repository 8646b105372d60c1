/* l_sched_state.c: sched:state_dict() and sched:load_state_dict(s), in the
 * shape of PyTorch's (the scheduler's attributes but the optimizer):
 *
 *   {step_size = 30, gamma = 0.1,            -- the options, by name
 *    last_epoch = 3, _step_count = 4, base_lrs = {...}, _last_lr = {...},
 *    best = 0.3, num_bad_epochs = 1, cooldown_counter = 0}  -- ReduceLROnPlateau
 *
 * Loading reads and checks everything into a copy first (options as the
 * constructor reads them, the lists against the optimizer's group count),
 * then replaces the scheduler's state; the optimizer's lrs are left as
 * they are, as in PyTorch. */
#include <math.h>
#include <string.h>

#include "l_sched.h"

#define MAXNAMES (O_NSLOT + 12)

static const char *const state_names[] = {"last_epoch", "_step_count", "base_lrs", "_last_lr",
                                          NULL};
static const char *const plateau_names[] = {"last_epoch", "_step_count", "base_lrs",
                                            "_last_lr", "best", "num_bad_epochs",
                                            "cooldown_counter", NULL};

static void push_list(lua_State *L, const double *v, size_t n) {
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

int l_sched_state_dict(lua_State *L) {
  sched *s = l_checkself(L, L_SCHED, "scheduler expected, got %s; call it as sched:%s()",
                         "state_dict");
  char who[64];
  snprintf(who, sizeof who, "%s:state_dict", s->k->name);
  l_checknargs(L, 1, who);
  sched_optim(L, 1, who);
  lua_newtable(L);
  for (const sched_opt *op = s->k->options; op->name; op++) {
    sched_push_option(L, s, op);
    lua_setfield(L, -2, op->name);
  }
  lua_pushinteger(L, s->last_epoch);
  lua_setfield(L, -2, "last_epoch");
  lua_pushinteger(L, s->step_count);
  lua_setfield(L, -2, "_step_count");
  push_list(L, sched_arr(s, SCHED_BASE), s->ng);
  lua_setfield(L, -2, "base_lrs");
  push_list(L, sched_arr(s, SCHED_LAST), s->ng);
  lua_setfield(L, -2, "_last_lr");
  if (s->k->id == SK_PLATEAU) {
    lua_pushnumber(L, s->best);
    lua_setfield(L, -2, "best");
    lua_pushinteger(L, s->num_bad_epochs);
    lua_setfield(L, -2, "num_bad_epochs");
    lua_pushinteger(L, s->cooldown_counter);
    lua_setfield(L, -2, "cooldown_counter");
  }
  return 1;
}

/* A list of ng numbers at field name of the table at arg into out. */
static void read_list(lua_State *L, int arg, const char *who, const char *name, size_t ng,
                      double *out) {
  if (lua_getfield(L, arg, name) != LUA_TTABLE)
    luaL_error(L, "%s: '%s' must be a list of numbers, got %s", who, name,
               luaL_typename(L, -1));
  if (luaL_len(L, -1) != (lua_Integer)ng)
    luaL_error(L, "%s: '%s' has %d values, the optimizer %d parameter groups", who, name,
               (int)luaL_len(L, -1), (int)ng);
  for (size_t g = 0; g < ng; g++) {
    if (lua_geti(L, -1, (lua_Integer)g + 1) != LUA_TNUMBER)
      luaL_error(L, "%s: '%s'[%d] must be a number", who, name, (int)g + 1);
    out[g] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

static long read_count(lua_State *L, int arg, const char *who, const char *name, long lo) {
  if (!l_optgiven(L, arg, name)) luaL_error(L, "%s: '%s' is missing", who, name);
  return (long)l_optinteger(L, arg, who, name, 0, lo, 1L << 40);
}

int l_sched_load_state_dict(lua_State *L) {
  sched *s = l_checkself(L, L_SCHED, "scheduler expected, got %s; call it as sched:%s()",
                         "load_state_dict");
  char who[64];
  const char *names[MAXNAMES];
  snprintf(who, sizeof who, "%s:load_state_dict", s->k->name);
  l_checknargs(L, 2, who);
  luaL_checktype(L, 2, LUA_TTABLE);
  sched_optim(L, 1, who);
  int plateau = s->k->id == SK_PLATEAU;
  l_checkoptions(L, 2, who, sched_names(s->k, names, plateau ? plateau_names : state_names));
  sched *t = lua_newuserdatauv(L, sched_size(s->ng), 0);  /* the copy */
  memcpy(t, s, sched_size(s->ng));
  sched_read_options(L, 2, who, t);
  t->last_epoch = read_count(L, 2, who, "last_epoch", plateau ? 0 : -1);
  t->step_count = read_count(L, 2, who, "_step_count", 0);
  read_list(L, 2, who, "base_lrs", t->ng, sched_arr(t, SCHED_BASE));
  read_list(L, 2, who, "_last_lr", t->ng, sched_arr(t, SCHED_LAST));
  if (plateau) {
    if (lua_getfield(L, 2, "best") != LUA_TNUMBER)
      luaL_error(L, "%s: 'best' must be a number, got %s", who, luaL_typename(L, -1));
    t->best = lua_tonumber(L, -1);
    lua_pop(L, 1);
    t->num_bad_epochs = read_count(L, 2, who, "num_bad_epochs", 0);
    t->cooldown_counter = read_count(L, 2, who, "cooldown_counter", 0);
  }
  sched_optim(L, 1, who);
  memcpy(s, t, sched_size(s->ng));
  return 0;
}
