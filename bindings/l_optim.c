/* l_optim.c: lunet.optim.<Kind> for every kind the core registers, their
 * fields and parameter groups.
 *
 *   local opt = lunet.optim.SGD(net, {lr = 0.1, momentum = 0.9})
 *   lunet.optim.SGD({{module = net.modules[1], lr = 0.1}, {module = net}}, {lr = 0.01})
 *   opt:zero_grad(); ...; opt:step()
 *   opt.param_groups[1].lr = 0.05   -- a group's options, for schedules
 *   opt.lr = opt.lr * 0.5           -- every group's (reading: when they agree)
 *
 * Nothing here names a kind: constructors, options, fields, printing and
 * the state dict all follow the kind's table (core/optim.h). Options follow
 * torch.optim's keyword names; an unknown option is an error (a misspelt
 * "learning_rate" must not silently train with the default). */
#include <stdio.h>
#include <string.h>

#include "l_optim.h"

#define L_GROUP "lunet.OptimGroup"
#define MAXNAMES (LN_OPTIM_MAXHP + 8)
#define MAXGROUPS 100000

ln_optim *l_optim_live(lua_State *L, l_optim *u, const char *sep, const char *name) {
  if (!u->o) luaL_error(L, "%s%s%s: optimizer has been closed", u->kind->name, sep, name);
  return u->o;
}

l_optim *l_optim_self(lua_State *L, const char *method, int nargs) {
  l_optim *u = l_checkself(L, L_OPTIM, "optimizer expected, got %s; call it as opt:%s()",
                           method);
  char who[64];
  snprintf(who, sizeof who, "%s:%s", u->kind->name, method);
  l_optim_live(L, u, ":", method);
  l_checknargs(L, nargs, who);
  return u;
}

const char **l_optim_names(const ln_optim_kind *k, const char **names,
                           const char *const *extra) {
  int n = 0;
  for (const ln_optim_option *op = k->options; op->name; op++) names[n++] = op->name;
  for (; extra && *extra; extra++) names[n++] = *extra;
  names[n] = NULL;
  return names;
}

unsigned l_optim_readhp(lua_State *L, int arg, const char *who, const ln_optim_kind *k,
                        double *hp) {
  unsigned given = 0;
  if (lua_isnoneornil(L, arg)) return 0;
  for (int i = 0; k->options[i].name; i++) {
    const ln_optim_option *op = &k->options[i];
    if (!l_optgiven(L, arg, op->name)) continue;
    given |= 1u << i;
    if (op->type == LN_HP_BOOL) hp[op->slot] = l_optboolean(L, arg, who, op->name, 0);
    else if (op->type == LN_HP_PAIR) l_optnumbers(L, arg, who, op->name, 2, hp + op->slot);
    else hp[op->slot] = l_optnumber(L, arg, who, op->name, 0);
  }
  return given;
}

void l_optim_pushhp(lua_State *L, const ln_optim_option *op, const double *hp) {
  if (op->type == LN_HP_BOOL) {
    lua_pushboolean(L, hp[op->slot] != 0);
  } else if (op->type == LN_HP_PAIR) {
    lua_createtable(L, 2, 0);
    lua_pushnumber(L, hp[op->slot]);
    lua_rawseti(L, -2, 1);
    lua_pushnumber(L, hp[op->slot + 1]);
    lua_rawseti(L, -2, 2);
  } else {
    lua_pushnumber(L, hp[op->slot]);
  }
}

/* Raises "<who>: option 'lr' is required" for a required option not given. */
static void checkrequired(lua_State *L, const ln_optim_kind *k, unsigned given,
                          const char *who, const char *hint) {
  for (int i = 0; k->options[i].name; i++)
    if (k->options[i].required && !(given & (1u << i)))
      luaL_error(L, "%s: option '%s' is required%s", who, k->options[i].name, hint);
}

/* Reads group g (1-based) of the list at argument 1 into gr->hp, from the
 * defaults already there; leaves its module on the stack. */
static void readgroup(lua_State *L, const ln_optim_kind *k, const char *who, int g,
                      ln_optim_group *gr, unsigned dgiven) {
  static const char *const extra[] = {"module", NULL};
  const char *names[MAXNAMES];
  char gwho[96];
  snprintf(gwho, sizeof gwho, "%s: group %d", who, g);
  if (lua_rawgeti(L, 1, g) != LUA_TTABLE)
    luaL_error(L, "%s: must be a table {module = m, option = value, ...}, got %s", gwho,
               luaL_typename(L, -1));
  int idx = lua_gettop(L);
  l_checkoptions(L, idx, gwho, l_optim_names(k, names, extra));
  unsigned given = dgiven | l_optim_readhp(L, idx, gwho, k, gr->hp);
  checkrequired(L, k, given, gwho, " (in the group or in the defaults)");
  int t = lua_getfield(L, idx, "module");
  if (t == LUA_TNIL) luaL_error(L, "%s: option 'module' is required", gwho);
  if (!luaL_testudata(L, -1, L_MODULE))
    luaL_error(L, "%s: option 'module' must be a module, got %s", gwho, l_typename(L, -1));
  lua_remove(L, idx);
}

/* lunet.optim.<Kind>(net or groups [, defaults]); upvalue 1 is the kind.
 * Everything Lua is converted first (an option's __index may run Lua, even
 * close a module), the userdata is made, and only then are the modules
 * fetched and used. */
static int optim_new(lua_State *L) {
  const ln_optim_kind *k = lua_touserdata(L, lua_upvalueindex(1));
  const char *names[MAXNAMES];
  char who[64];
  snprintf(who, sizeof who, "lunet.optim.%s", k->name);
  int list = lua_type(L, 1) == LUA_TTABLE && !lua_getmetatable(L, 1);
  if (!list) l_checkmodule(L, 1);  /* its type first, for the message */
  l_positional(L, 2, who, l_optim_names(k, names, NULL));
  l_checknargs(L, 2, who);
  lua_settop(L, 2);
  l_checkoptions(L, 2, who, l_optim_names(k, names, NULL));
  double defaults[LN_OPTIM_MAXHP];
  ln_optim_defaults(k, defaults);
  unsigned dgiven = l_optim_readhp(L, 2, who, k, defaults);
  size_t ng = list ? lua_rawlen(L, 1) : 1;
  if (ng == 0) luaL_error(L, "%s: no parameter groups given (a module, or a list of "
                          "{module = m, ...})", who);
  if (ng > MAXGROUPS) luaL_error(L, "%s: more than %d parameter groups", who, MAXGROUPS);
  luaL_checkstack(L, (int)ng + 8, who);
  ln_optim_group *gs = lua_newuserdatauv(L, ng * sizeof *gs, 0);
  int base = lua_gettop(L);  /* the modules of a list follow, one per group */
  for (size_t g = 0; g < ng; g++) {
    memset(&gs[g], 0, sizeof gs[g]);
    memcpy(gs[g].hp, defaults, sizeof defaults);
    if (list) readgroup(L, k, who, (int)g + 1, &gs[g], dgiven);
  }
  if (!list) checkrequired(L, k, dgiven, who, "");
  l_optim *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->o = NULL;
  u->kind = k;
  luaL_setmetatable(L, L_OPTIM);
  for (size_t g = 0; g < ng; g++) gs[g].module = l_checkmodule(L, list ? base + 1 + (int)g : 1);
  u->o = ln_optim_new(k, gs, ng);
  if (!u->o) l_raise(L, who);
  return 1;
}

static int optim_step(lua_State *L) {
  l_optim *u = l_optim_self(L, "step", 1);
  if (ln_optim_step(u->o)) {
    char who[64];
    snprintf(who, sizeof who, "%s:step", u->kind->name);
    l_raise(L, who);
  }
  return 0;
}

static int optim_zero_grad(lua_State *L) {
  ln_optim_zero_grad(l_optim_self(L, "zero_grad", 1)->o);
  return 0;
}

static int optim_type(lua_State *L) {
  lua_pushstring(L, l_optim_self(L, "type", 1)->kind->name);
  return 1;
}

static const luaL_Reg methods[] = {
  {"step", optim_step}, {"zero_grad", optim_zero_grad}, {"type", optim_type},
  {"state_dict", l_optim_state_dict}, {"load_state_dict", l_optim_load_state_dict},
  {NULL, NULL}
};

/* ---- parameter groups: opt.param_groups[i], a live view of group i ---- */

typedef struct l_group {
  size_t g;  /* 0-based; the optimizer is the user value */
} l_group;

/* The optimizer of the group at idx, live, and who ("SGD.param_groups[2]"). */
static ln_optim *group_live(lua_State *L, int idx, size_t *g, char *who, size_t n) {
  l_group *gu = luaL_checkudata(L, idx, L_GROUP);
  lua_getiuservalue(L, idx, 1);
  l_optim *u = lua_touserdata(L, -1);
  lua_pop(L, 1);  /* the group's user value keeps it */
  *g = gu->g;
  snprintf(who, n, "%s.param_groups[%zu]", u->kind->name, gu->g + 1);
  if (!u->o) luaL_error(L, "%s: optimizer has been closed", who);
  return u->o;
}

static const char *const group_extra[] = {"params", "module", NULL};

static int group_index(lua_State *L) {
  char who[64];
  size_t g;
  ln_optim *o = group_live(L, 1, &g, who, sizeof who);
  const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "";
  const ln_optim_option *op = ln_optim_option_find(o->kind, key);
  if (op) {
    l_optim_pushhp(L, op, o->group[g].hp);
  } else if (!strcmp(key, "params")) {
    /* The count first: an allocation may run a finalizer closing o. */
    size_t first = o->group[g].first, n = o->group[g].n;
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
      ln_tensor *t = l_newtensor(L);
      o = group_live(L, 1, &g, who, sizeof who);
      ln_tensor_share(t, o->param[first + i]);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
  } else if (!strcmp(key, "module")) {
    ln_module *m = o->group[g].module;
    ln_module_retain(m);  /* pushing may run a finalizer that frees o */
    l_pushmodule(L, m);
    ln_module_release(m);
  } else {
    const char *names[MAXNAMES];
    l_nofield(L, who, 2, l_optim_names(o->kind, names, group_extra));
  }
  return 1;
}

/* Converts the value at 3 for option op of kind k into hp, through a
 * one-field table so that the option readers give their one message format. */
static void convert(lua_State *L, const char *who, const ln_optim_kind *k,
                    const ln_optim_option *op, double *hp) {
  if (lua_isnil(L, 3)) luaL_error(L, "%s: option '%s' cannot be nil", who, op->name);
  lua_createtable(L, 0, 1);
  lua_pushvalue(L, 3);
  lua_setfield(L, -2, op->name);
  l_optim_readhp(L, lua_gettop(L), who, k, hp);
  lua_pop(L, 1);
}

/* Copies option op's slots from src to dst. */
static void copyhp(double *dst, const double *src, const ln_optim_option *op) {
  dst[op->slot] = src[op->slot];
  if (op->type == LN_HP_PAIR) dst[op->slot + 1] = src[op->slot + 1];
}

static int group_newindex(lua_State *L) {
  char who[64];
  size_t g;
  ln_optim *o = group_live(L, 1, &g, who, sizeof who);
  const ln_optim_kind *k = o->kind;
  const ln_optim_option *op =
      ln_optim_option_find(k, lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "");
  if (!op) luaL_error(L, "%s: no settable field '%s'", who, luaL_tolstring(L, 2, NULL));
  double v[LN_OPTIM_MAXHP], hp[LN_OPTIM_MAXHP];
  convert(L, who, k, op, v);
  o = group_live(L, 1, &g, who, sizeof who);
  memcpy(hp, o->group[g].hp, sizeof hp);
  copyhp(hp, v, op);
  if (ln_optim_check(k, hp)) l_raise(L, who);
  ln_optim_set(o, g, hp);
  return 0;
}

/* "SGD(lr=0.1, momentum=0, ...)" for hp into b. */
static void addhp(luaL_Buffer *b, const ln_optim_kind *k, const double *hp) {
  char s[64];
  for (const ln_optim_option *op = k->options; op->name; op++) {
    if (op != k->options) luaL_addstring(b, ", ");
    luaL_addstring(b, op->name);
    luaL_addchar(b, '=');
    if (op->type == LN_HP_BOOL) snprintf(s, sizeof s, "%s", hp[op->slot] ? "true" : "false");
    else if (op->type == LN_HP_PAIR) snprintf(s, sizeof s, "{%g, %g}", l_msgnum(hp[op->slot]),
                                              l_msgnum(hp[op->slot + 1]));
    else snprintf(s, sizeof s, "%g", l_msgnum(hp[op->slot]));
    luaL_addstring(b, s);
  }
}

static int group_tostring(lua_State *L) {
  l_group *gu = luaL_checkudata(L, 1, L_GROUP);
  lua_getiuservalue(L, 1, 1);
  l_optim *u = lua_touserdata(L, -1);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  char s[96];
  snprintf(s, sizeof s, "%s param group %zu", u->kind->name, gu->g + 1);
  luaL_addstring(&b, s);
  if (!u->o) {
    luaL_addstring(&b, " (closed)");
  } else {
    luaL_addstring(&b, " (");
    addhp(&b, u->kind, u->o->group[gu->g].hp);
    luaL_addchar(&b, ')');
  }
  luaL_pushresult(&b);
  return 1;
}

/* opt.param_groups: a list of live views, made fresh on each read. */
static void push_groups(lua_State *L, l_optim *u) {
  size_t n = l_optim_live(L, u, ".", "param_groups")->ngroups;
  lua_createtable(L, (int)n, 0);
  for (size_t g = 0; g < n; g++) {
    l_group *gu = lua_newuserdatauv(L, sizeof *gu, 1);
    gu->g = g;
    luaL_setmetatable(L, L_GROUP);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    lua_rawseti(L, -2, (lua_Integer)g + 1);
  }
}

/* ---- the optimizer's fields ---- */

static const char *const optim_extra[] = {"param_groups", "steps", NULL};

int l_index_method(lua_State *L) {
  lua_getmetatable(L, 1);
  lua_getfield(L, -1, "__methods");
  lua_pushvalue(L, 2);
  if (lua_rawget(L, -2) != LUA_TNIL) return 1;
  lua_settop(L, 2);
  return 0;
}

/* Methods first (a closed optimizer still finds them, and they say it is
 * closed), then fields: an option (when every group has the same value),
 * param_groups, steps. A field of a closed optimizer or an unknown key is an
 * error. */
static int optim_index(lua_State *L) {
  l_optim *u = luaL_checkudata(L, 1, L_OPTIM);
  if (l_index_method(L)) return 1;
  const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "";
  const ln_optim_option *op = ln_optim_option_find(u->kind, key);
  if (op) {
    ln_optim *o = l_optim_live(L, u, ".", key);
    for (size_t g = 1; g < o->ngroups; g++)
      if (memcmp(o->group[g].hp + op->slot, o->group[0].hp + op->slot,
                 (op->type == LN_HP_PAIR ? 2 : 1) * sizeof(double)))
        luaL_error(L, "%s.%s: the parameter groups have different values (read "
                   "opt.param_groups[i].%s)", u->kind->name, key, key);
    l_optim_pushhp(L, op, o->group[0].hp);
  } else if (!strcmp(key, "param_groups")) {
    push_groups(L, u);
  } else if (!strcmp(key, "steps")) {
    lua_pushinteger(L, l_optim_live(L, u, ".", key)->steps);
  } else {
    const char *names[MAXNAMES];
    l_nofield(L, u->kind->name, 2, l_optim_names(u->kind, names, optim_extra));
  }
  return 1;
}

/* opt.lr = v sets every group's lr: the value is converted first (it may
 * run Lua that closes opt), then every group is checked, then set. */
static int optim_newindex(lua_State *L) {
  l_optim *u = luaL_checkudata(L, 1, L_OPTIM);
  const char *who = u->kind->name;
  const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "";
  const ln_optim_option *op = ln_optim_option_find(u->kind, key);
  l_optim_live(L, u, ".", key);
  if (!op) luaL_error(L, "%s: no settable field '%s'", who, luaL_tolstring(L, 2, NULL));
  double v[LN_OPTIM_MAXHP], hp[LN_OPTIM_MAXHP];
  convert(L, who, u->kind, op, v);
  ln_optim *o = l_optim_live(L, u, ".", key);
  for (int pass = 0; pass < 2; pass++) {
    for (size_t g = 0; g < o->ngroups; g++) {
      memcpy(hp, o->group[g].hp, sizeof hp);
      copyhp(hp, v, op);
      if (pass == 0 && ln_optim_check(u->kind, hp)) l_raise(L, who);
      if (pass == 1) ln_optim_set(o, g, hp);
    }
  }
  return 0;
}

static int optim_tostring(lua_State *L) {
  l_optim *u = luaL_checkudata(L, 1, L_OPTIM);
  if (!u->o) {
    lua_pushfstring(L, "%s optimizer (closed)", u->kind->name);
    return 1;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, u->kind->name);
  luaL_addchar(&b, '(');
  for (size_t g = 0; g < u->o->ngroups; g++) {
    if (u->o->ngroups > 1) luaL_addstring(&b, g ? "}, {" : "{");
    addhp(&b, u->kind, u->o->group[g].hp);
  }
  luaL_addstring(&b, u->o->ngroups > 1 ? "})" : ")");
  luaL_pushresult(&b);
  return 1;
}

/* One idempotent closer for __gc and __close. */
static int optim_gc(lua_State *L) {
  l_optim *u = luaL_checkudata(L, 1, L_OPTIM);
  ln_optim_free(u->o);
  u->o = NULL;
  return 0;
}

/* lunet.optim.Foo: an unknown optimizer is an error naming the known ones. */
static int optim_unknown(lua_State *L) {
  const char *name = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
  if (!ln_optim_find(name)) l_raise(L, "lunet.optim");
  return 0;
}

static const luaL_Reg metamethods[] = {
  {"__index", optim_index}, {"__newindex", optim_newindex},
  {"__tostring", optim_tostring}, {"__gc", optim_gc}, {"__close", optim_gc},
  {NULL, NULL}
};

static const luaL_Reg group_meta[] = {
  {"__index", group_index}, {"__newindex", group_newindex}, {"__tostring", group_tostring},
  {NULL, NULL}
};

static const luaL_Reg no_methods[] = {{NULL, NULL}};

void l_open_optim(lua_State *L) {
  l_open_clip(L);
  lua_newtable(L);
  for (size_t i = 0; ln_optim_kind_at(i); i++) {
    const ln_optim_kind *k = ln_optim_kind_at(i);
    lua_pushlightuserdata(L, (void *)k);
    lua_pushcclosure(L, optim_new, 1);
    lua_setfield(L, -2, k->name);
  }
  l_open_sched(L);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, optim_unknown);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  lua_setfield(L, -2, "optim");
  l_newclass(L, L_OPTIM, metamethods, methods);  /* optim_index reads __methods */
  l_newclass(L, L_GROUP, group_meta, no_methods);
}
