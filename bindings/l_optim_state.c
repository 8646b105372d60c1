/* l_optim_state.c: opt:state_dict() and opt:load_state_dict(s), in
 * PyTorch's shape:
 *
 *   {state = {[i] = {momentum_buffer = t}                      -- SGD
 *                or {step = n, exp_avg = t, exp_avg_sq = t}},  -- Adam
 *    param_groups = {{lr = ..., ..., params = {1, 2, ...}}, ...}}
 *
 * i numbers the parameters over the groups in order, as PyTorch's ids; a
 * parameter without state (no step taken yet) has no entry. Tensors are
 * copies. Loading maps each group's saved ids to its parameters in order
 * (as torch.optim does), checks everything (counts, ids, option types and
 * values, tensor shapes) before it changes anything, and replaces the
 * whole state: a parameter without an entry starts afresh. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "l_optim.h"

#define MAXNAMES (LN_OPTIM_MAXHP + LN_OPTIM_MAXSLOT + 8)

/* A fresh tensor shaped like parameter i holding a copy of its slot s;
 * pushed. o is fetched again after the allocation (it may run a
 * finalizer that closes the optimizer). */
static void push_slot(lua_State *L, l_optim *u, size_t i, int s, const char *who) {
  ln_tensor *t = l_newtensor(L);
  ln_optim *o = l_optim_live(L, u, ":", "state_dict");
  const ln_tensor *p = o->param[i];
  if (!p->st || ln_numel(p) != o->numel[i])
    luaL_error(L, "%s: parameter %d changed shape since the optimizer was made", who,
               (int)i + 1);
  if (ln_tensor_init(t, p->ndim, p->size)) l_raise(L, who);
  memcpy(ln_data(t), ln_optim_slot(o, i, s), o->numel[i] * sizeof(float));
}

/* The hyper-parameters of the group that holds parameter i. */
static const double *group_hp(const ln_optim_group *group, size_t ng, size_t i) {
  size_t g = 0;
  while (g + 1 < ng && i >= group[g].first + group[g].n) g++;
  return group[g].hp;
}

int l_optim_state_dict(lua_State *L) {
  l_optim *u = l_optim_self(L, "state_dict", 1);
  const ln_optim_kind *k = u->kind;
  char who[64];
  snprintf(who, sizeof who, "%s:state_dict", k->name);
  lua_createtable(L, 0, 2);  /* 2: the result */
  lua_newtable(L);           /* 3: its state */
  for (size_t i = 0, n = u->o->n; i < n; i++) {
    ln_optim *o = l_optim_live(L, u, ":", "state_dict");
    if (!o->ps[i].has_state) continue;
    double hp[LN_OPTIM_MAXHP];
    memcpy(hp, group_hp(o->group, o->ngroups, i), sizeof hp);
    lua_createtable(L, 0, k->nslot + 1);
    for (int s = 0; s < k->nslot; s++) {
      if (!ln_optim_has_slot(k, hp, s)) continue;
      push_slot(L, u, i, s, who);
      lua_setfield(L, -2, k->slot[s]);
    }
    if (k->saves_step) {
      lua_pushinteger(L, u->o->ps[i].step);
      lua_setfield(L, -2, "step");
    }
    lua_rawseti(L, 3, (lua_Integer)i + 1);
  }
  lua_setfield(L, 2, "state");
  size_t ng = l_optim_live(L, u, ":", "state_dict")->ngroups;
  lua_createtable(L, (int)ng, 0);
  for (size_t g = 0; g < ng; g++) {
    ln_optim_group gr = l_optim_live(L, u, ":", "state_dict")->group[g];
    lua_newtable(L);
    for (const ln_optim_option *op = k->options; op->name; op++) {
      l_optim_pushhp(L, op, gr.hp);
      lua_setfield(L, -2, op->name);
    }
    lua_createtable(L, (int)gr.n, 0);
    for (size_t j = 0; j < gr.n; j++) {
      lua_pushinteger(L, (lua_Integer)(gr.first + j) + 1);
      lua_rawseti(L, -2, (lua_Integer)j + 1);
    }
    lua_setfield(L, -2, "params");
    lua_rawseti(L, -2, (lua_Integer)g + 1);
  }
  lua_setfield(L, 2, "param_groups");
  return 1;
}

/* What load_state_dict has read, before it changes anything. */
typedef struct loaded {
  size_t ng, n;
  ln_optim_group *group;   /* ng: the optimizer's layout, then the new hp */
  lua_Integer *id;         /* n: each parameter's id in the state */
  ln_optim_pstate *ps;     /* n */
} loaded;

/* Reads group g of the list at pg: its options over l->group[g].hp, its ids. */
static void read_group(lua_State *L, const ln_optim_kind *k, const char *who, int pg,
                       size_t g, loaded *l) {
  static const char *const extra[] = {"params", NULL};
  const char *names[MAXNAMES];
  char gwho[96];
  ln_optim_group *gr = &l->group[g];
  snprintf(gwho, sizeof gwho, "%s: group %d", who, (int)g + 1);
  if (lua_geti(L, pg, (lua_Integer)g + 1) != LUA_TTABLE)
    luaL_error(L, "%s: must be a table, got %s", gwho, luaL_typename(L, -1));
  int idx = lua_gettop(L);
  l_checkoptions(L, idx, gwho, l_optim_names(k, names, extra));
  l_optim_readhp(L, idx, gwho, k, gr->hp);
  if (lua_getfield(L, idx, "params") != LUA_TTABLE)
    luaL_error(L, "%s: 'params' must be a list of parameter ids, got %s", gwho,
               luaL_typename(L, -1));
  lua_Integer len = luaL_len(L, -1);
  if (len < 0 || (lua_Unsigned)len != gr->n)
    luaL_error(L, "%s: %I parameters in the state, %d in the optimizer", gwho, len,
               (int)gr->n);
  for (size_t j = 0; j < gr->n; j++) {
    int ok;
    lua_geti(L, -1, (lua_Integer)j + 1);
    l->id[gr->first + j] = lua_tointegerx(L, -1, &ok);
    if (!ok) luaL_error(L, "%s: params[%d] is not an integer id", gwho, (int)j + 1);
    lua_pop(L, 1);
  }
  lua_settop(L, idx - 1);
}

/* Reads the state of parameter i (its entry at top, a table or nil) into
 * l->ps[i]; its slot tensors go to the anchor table at anchor. */
static void read_entry(lua_State *L, const ln_optim_kind *k, const char *who, size_t i,
                       loaded *l, int anchor) {
  const char *names[MAXNAMES];
  char swho[96];
  int idx = lua_gettop(L), n = 0, have = 0;
  snprintf(swho, sizeof swho, "%s: state[%lld]", who, (long long)l->id[i]);
  l->ps[i].step = 0;
  l->ps[i].has_state = 0;
  if (lua_isnil(L, idx)) return;
  if (!lua_istable(L, idx)) luaL_error(L, "%s: must be a table, got %s", swho,
                                       luaL_typename(L, idx));
  const double *hp = group_hp(l->group, l->ng, i);
  for (int s = 0; s < k->nslot; s++)
    if (ln_optim_has_slot(k, hp, s)) names[n++] = k->slot[s];
  int want = n;
  if (k->saves_step) names[n++] = "step";
  names[n] = NULL;
  l_checkoptions(L, idx, swho, names);
  for (int s = 0; s < k->nslot; s++) {
    if (!ln_optim_has_slot(k, hp, s)) continue;
    int t = l_opttensor(L, idx, swho, k->slot[s]);
    if (!t) continue;
    have++;
    lua_rawseti(L, anchor, (lua_Integer)(i * (size_t)k->nslot) + s + 1);
  }
  int has_step = k->saves_step && (lua_getfield(L, idx, "step"), !lua_isnil(L, -1));
  lua_settop(L, idx);
  if (have == 0 && !has_step) return;
  if (have < want || (k->saves_step && !has_step))
    luaL_error(L, "%s: a state has every one of %s or none", swho, l_pushlist(L, names, 0));
  if (k->saves_step) l->ps[i].step = (long)l_optinteger(L, idx, swho, "step", 0, 0, LONG_MAX);
  l->ps[i].has_state = 1;
}

/* Every key of the state table at st must be the id of a parameter. */
static void check_ids(lua_State *L, const char *who, int st, const loaded *l) {
  for (size_t i = 0; i < l->n; i++)
    for (size_t j = 0; j < i; j++)
      if (l->id[i] == l->id[j]) luaL_error(L, "%s: parameter id %I is given twice", who,
                                           l->id[i]);
  if (lua_isnil(L, st)) return;
  lua_pushnil(L);
  while (lua_next(L, st)) {
    lua_pop(L, 1);
    int ok, found = 0;
    lua_Integer key = lua_tointegerx(L, -1, &ok);
    for (size_t i = 0; ok && i < l->n && !found; i++) found = l->id[i] == key;
    if (!found) luaL_error(L, "%s: state[%s] belongs to no parameter of the groups", who,
                           luaL_tolstring(L, -1, NULL));
  }
}

/* The slot tensor s of parameter i, live and shaped like the parameter. */
static const ln_tensor *slot_tensor(lua_State *L, const ln_optim *o, const char *who,
                                    const loaded *l, size_t i, int s, int anchor) {
  char swho[96], a[96], b[96];
  int nslot = o->kind->nslot;
  snprintf(swho, sizeof swho, "%s: state[%lld]", who, (long long)l->id[i]);
  lua_rawgeti(L, anchor, (lua_Integer)(i * (size_t)nslot) + s + 1);
  const ln_tensor *t = l_optlive(L, lua_gettop(L), swho, o->kind->slot[s]);
  lua_pop(L, 1);  /* the anchor keeps it */
  if (!ln_same_shape(t, o->param[i]) || ln_numel(t) != o->numel[i])
    luaL_error(L, "%s: '%s' is %s, parameter %d is %s", swho, o->kind->slot[s],
               ln_shape_str(t, a, sizeof a), (int)i + 1, ln_shape_str(o->param[i], b, sizeof b));
  return t;
}

/* Whether the loaded state of parameter i holds slot s. */
static int slot_given(const ln_optim_kind *k, const loaded *l, size_t i, int s) {
  return ln_optim_has_slot(k, group_hp(l->group, l->ng, i), s);
}

int l_optim_load_state_dict(lua_State *L) {
  static const char *const top[] = {"state", "param_groups", NULL};
  l_optim *u = l_optim_self(L, "load_state_dict", 2);
  const ln_optim_kind *k = u->kind;
  char who[64];
  snprintf(who, sizeof who, "%s:load_state_dict", k->name);
  luaL_checktype(L, 2, LUA_TTABLE);
  /* The layout first, in C: reading the table may run Lua that closes u. */
  ln_optim *o = u->o;
  loaded l = {o->ngroups, o->n, NULL, NULL, NULL};
  char *scratch = lua_newuserdatauv(L, l.ng * sizeof *l.group + l.n * (sizeof *l.id +
                                    sizeof *l.ps), 0);  /* 3 */
  l.group = (ln_optim_group *)scratch;
  l.id = (lua_Integer *)(scratch + l.ng * sizeof *l.group);
  l.ps = (ln_optim_pstate *)(scratch + l.ng * sizeof *l.group + l.n * sizeof *l.id);
  memcpy(l.group, o->group, l.ng * sizeof *l.group);
  lua_newtable(L);  /* 4: the anchor of the slot tensors */
  l_checkoptions(L, 2, who, top);
  if (lua_getfield(L, 2, "param_groups") != LUA_TTABLE)  /* 5 */
    luaL_error(L, "%s: 'param_groups' must be a list of groups, got %s", who,
               luaL_typename(L, -1));
  lua_Integer len = luaL_len(L, 5);
  if (len < 0 || (lua_Unsigned)len != l.ng)
    luaL_error(L, "%s: the state has %I parameter groups, the optimizer %d", who, len,
               (int)l.ng);
  for (size_t g = 0; g < l.ng; g++) read_group(L, k, who, 5, g, &l);
  int t = lua_getfield(L, 2, "state");  /* 6 */
  if (t != LUA_TNIL && t != LUA_TTABLE)
    luaL_error(L, "%s: 'state' must be a table, got %s", who, luaL_typename(L, 6));
  check_ids(L, who, 6, &l);
  for (size_t i = 0; i < l.n; i++) {
    if (t == LUA_TNIL) lua_pushnil(L);
    else lua_geti(L, 6, l.id[i]);
    read_entry(L, k, who, i, &l, 4);
    lua_settop(L, 6);
  }
  /* Everything checked before anything changes. */
  o = l_optim_live(L, u, ":", "load_state_dict");
  for (size_t g = 0; g < l.ng; g++) {
    if (ln_optim_check(k, l.group[g].hp)) {
      char gwho[96];
      snprintf(gwho, sizeof gwho, "%s: group %d", who, (int)g + 1);
      l_raise(L, gwho);
    }
  }
  for (size_t i = 0; i < l.n; i++)
    for (int s = 0; l.ps[i].has_state && s < k->nslot; s++)
      if (slot_given(k, &l, i, s)) slot_tensor(L, o, who, &l, i, s, 4);
  for (size_t g = 0; g < l.ng; g++) ln_optim_set(o, g, l.group[g].hp);
  for (size_t i = 0; i < l.n; i++) {
    o->ps[i] = l.ps[i];
    for (int s = 0; s < k->nslot; s++) {
      float *dst = ln_optim_slot(o, i, s);
      if (l.ps[i].has_state && slot_given(k, &l, i, s))
        ln_tensor_read(slot_tensor(L, o, who, &l, i, s, 4), 0, o->numel[i], dst);
      else
        memset(dst, 0, o->numel[i] * sizeof *dst);
    }
  }
  return 0;
}
