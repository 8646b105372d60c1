/* l_sched.c: lunet.optim.lr_scheduler, PyTorch's learning-rate schedules
 * (torch.optim.lr_scheduler, 1.13) over every parameter group of an
 * optimizer.
 *
 *   local sched = lunet.optim.lr_scheduler.StepLR(opt, {step_size = 30})
 *   for epoch = 1, 100 do train(opt); sched:step() end
 *   plateau:step(validation_loss)
 *
 * Each schedule is PyTorch's chainable form, as its step() computes it: the
 * new lr of a group from its current one (so CosineAnnealingLR is the
 * recursive formula, and values match PyTorch's to the last bits). Making a
 * scheduler takes the initial step as PyTorch's constructor does: lr is
 * then the epoch-0 value. The optimizer's lr is changed through its checked
 * setter (ln_optim_set); the scheduler keeps the optimizer alive and every
 * method refuses a closed one. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "l_sched.h"

#define MAXNAMES (O_NSLOT + 12)

static const char *const modes[] = {"min", "max", NULL};
static const char *const threshold_modes[] = {"rel", "abs", NULL};
static const char *const anneals[] = {"cos", "linear", NULL};

static const sched_opt step_opts[] = {
  {"step_size", OT_INT, O_STEP_SIZE, 1, 0, NULL}, {"gamma", OT_NUM, O_GAMMA, 0, 0.1, NULL},
  {NULL, 0, 0, 0, 0, NULL}
};
static const sched_opt multistep_opts[] = {
  {"milestones", OT_MILESTONES, 0, 1, 0, NULL}, {"gamma", OT_NUM, O_GAMMA, 0, 0.1, NULL},
  {NULL, 0, 0, 0, 0, NULL}
};
static const sched_opt exponential_opts[] = {
  {"gamma", OT_NUM, O_GAMMA, 1, 0, NULL}, {NULL, 0, 0, 0, 0, NULL}
};
static const sched_opt cosine_opts[] = {
  {"T_max", OT_INT, O_T_MAX, 1, 0, NULL}, {"eta_min", OT_NUM, O_ETA_MIN, 0, 0, NULL},
  {NULL, 0, 0, 0, 0, NULL}
};
static const sched_opt linear_opts[] = {
  {"start_factor", OT_NUM, O_START, 0, 1.0 / 3, NULL},
  {"end_factor", OT_NUM, O_END, 0, 1.0, NULL},
  {"total_iters", OT_INT, O_TOTAL_ITERS, 0, 5, NULL}, {NULL, 0, 0, 0, 0, NULL}
};
static const sched_opt onecycle_opts[] = {
  {"max_lr", OT_GROUP, 0, 1, 0, NULL},
  {"total_steps", OT_INT, O_TOTAL_STEPS, 0, -1, NULL},
  {"epochs", OT_INT, O_EPOCHS, 0, -1, NULL},
  {"steps_per_epoch", OT_INT, O_STEPS_PER_EPOCH, 0, -1, NULL},
  {"pct_start", OT_NUM, O_PCT, 0, 0.3, NULL},
  {"anneal_strategy", OT_CHOICE, O_ANNEAL, 0, 0, anneals},
  {"cycle_momentum", OT_BOOL, O_CYCLE_MOM, 0, 1, NULL},
  {"base_momentum", OT_NUM, O_BASE_MOM, 0, 0.85, NULL},
  {"max_momentum", OT_NUM, O_MAX_MOM, 0, 0.95, NULL},
  {"div_factor", OT_NUM, O_DIV, 0, 25, NULL},
  {"final_div_factor", OT_NUM, O_FINAL_DIV, 0, 1e4, NULL},
  {"three_phase", OT_BOOL, O_THREE, 0, 0, NULL}, {NULL, 0, 0, 0, 0, NULL}
};
static const sched_opt plateau_opts[] = {
  {"mode", OT_CHOICE, O_MODE, 0, 0, modes}, {"factor", OT_NUM, O_FACTOR, 0, 0.1, NULL},
  {"patience", OT_INT, O_PATIENCE, 0, 10, NULL},
  {"threshold", OT_NUM, O_THRESHOLD, 0, 1e-4, NULL},
  {"threshold_mode", OT_CHOICE, O_THRESHOLD_MODE, 0, 0, threshold_modes},
  {"cooldown", OT_INT, O_COOLDOWN, 0, 0, NULL}, {"min_lr", OT_GROUP, 0, 0, 0, NULL},
  {"eps", OT_NUM, O_EPS, 0, 1e-8, NULL}, {NULL, 0, 0, 0, 0, NULL}
};

static const sched_kind kinds[] = {
  {"StepLR", SK_STEP, step_opts}, {"MultiStepLR", SK_MULTISTEP, multistep_opts},
  {"ExponentialLR", SK_EXPONENTIAL, exponential_opts},
  {"CosineAnnealingLR", SK_COSINE, cosine_opts}, {"LinearLR", SK_LINEAR, linear_opts},
  {"OneCycleLR", SK_ONECYCLE, onecycle_opts}, {"ReduceLROnPlateau", SK_PLATEAU, plateau_opts},
};

size_t sched_size(size_t ng) { return sizeof(sched) + 3 * ng * sizeof(double); }

double *sched_arr(sched *s, int which) { return (double *)(s + 1) + (size_t)which * s->ng; }

ln_optim *sched_optim(lua_State *L, int self, const char *who) {
  lua_getiuservalue(L, self, 1);
  l_optim *u = lua_touserdata(L, -1);
  lua_pop(L, 1);  /* the user value keeps it */
  if (!u->o) luaL_error(L, "%s: optimizer has been closed", who);
  return u->o;
}

const char **sched_names(const sched_kind *k, const char **names, const char *const *extra) {
  int n = 0;
  for (const sched_opt *op = k->options; op->name; op++) names[n++] = op->name;
  for (; extra && *extra; extra++) names[n++] = *extra;
  names[n] = NULL;
  return names;
}

/* A number, or a list of one number per group, into out[0..ng-1]. */
static void read_group_option(lua_State *L, int arg, const char *who, const char *name,
                              size_t ng, double *out) {
  int t = lua_getfield(L, arg, name);
  if (t == LUA_TNUMBER) {
    double v = lua_tonumber(L, -1);
    for (size_t g = 0; g < ng; g++) out[g] = v;
  } else if (t == LUA_TTABLE) {
    if (luaL_len(L, -1) != (lua_Integer)ng)
      luaL_error(L, "%s: option '%s' must have one value per parameter group (%d), got %d",
                 who, name, (int)ng, (int)luaL_len(L, -1));
    for (size_t g = 0; g < ng; g++) {
      if (lua_geti(L, -1, (lua_Integer)g + 1) != LUA_TNUMBER)
        luaL_error(L, "%s: option '%s'[%d] must be a number, got %s", who, name, (int)g + 1,
                   luaL_typename(L, -1));
      out[g] = lua_tonumber(L, -1);
      lua_pop(L, 1);
    }
  } else {
    luaL_error(L, "%s: option '%s' must be a number or a list of numbers, got %s", who, name,
               luaL_typename(L, -1));
  }
  lua_pop(L, 1);
}

static void read_milestones(lua_State *L, int arg, const char *who, sched *s) {
  if (lua_getfield(L, arg, "milestones") != LUA_TTABLE)
    luaL_error(L, "%s: option 'milestones' must be a list of integers, got %s", who,
               luaL_typename(L, -1));
  lua_Integer n = luaL_len(L, -1);
  if (n < 0 || n > SCHED_MAXMILESTONES)
    luaL_error(L, "%s: more than %d milestones", who, SCHED_MAXMILESTONES);
  s->nmilestones = (size_t)n;
  for (lua_Integer i = 1; i <= n; i++) {
    int ok;
    lua_geti(L, -1, i);
    lua_Integer m = lua_tointegerx(L, -1, &ok);
    if (!ok || m < 0) luaL_error(L, "%s: milestones[%d] must be an integer >= 0", who, (int)i);
    s->milestones[i - 1] = (long)m;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

/* "<who>: factor 1 must be in [0, 1)", or with range NULL "<who>: invalid
 * gamma -1 (must be >= 0)"; the number as C's %g prints it. */
static void range_error(lua_State *L, const char *who, const char *name, double v,
                        const char *range) {
  char num[32];
  snprintf(num, sizeof num, "%g", l_msgnum(v));
  if (range) luaL_error(L, "%s: %s %s must be in %s", who, name, num, range);
  luaL_error(L, "%s: invalid %s %s (must be >= 0)", who, name, num);
}

/* PyTorch's checks, and the lengths OneCycleLR derives. */
static void check_options(lua_State *L, const char *who, sched *s) {
  double *o = s->opt;
  const char *bad = NULL;
  double v = 0;
  switch (s->k->id) {
  case SK_STEP: case SK_MULTISTEP: case SK_EXPONENTIAL:
    if (!(o[O_GAMMA] >= 0) || isinf(o[O_GAMMA])) bad = "gamma", v = o[O_GAMMA];
    break;
  case SK_COSINE:
    if (!(o[O_ETA_MIN] >= 0) || isinf(o[O_ETA_MIN])) bad = "eta_min", v = o[O_ETA_MIN];
    break;
  case SK_LINEAR:
    if (!(o[O_START] > 0 && o[O_START] <= 1))
      range_error(L, who, "start_factor", o[O_START], "(0, 1]");
    if (!(o[O_END] >= 0 && o[O_END] <= 1))
      range_error(L, who, "end_factor", o[O_END], "[0, 1]");
    break;
  case SK_ONECYCLE:
    if (o[O_TOTAL_STEPS] < 0) {
      if (o[O_EPOCHS] < 0 || o[O_STEPS_PER_EPOCH] < 0)
        luaL_error(L, "%s: give total_steps, or epochs and steps_per_epoch", who);
      o[O_TOTAL_STEPS] = o[O_EPOCHS] * o[O_STEPS_PER_EPOCH];
    }
    if (!(o[O_PCT] >= 0 && o[O_PCT] <= 1))
      range_error(L, who, "pct_start", o[O_PCT], "[0, 1]");
    for (size_t g = 0; g < s->ng; g++)
      if (!(sched_arr(s, SCHED_GROUP)[g] >= 0) || isinf(sched_arr(s, SCHED_GROUP)[g]))
        bad = "max_lr", v = sched_arr(s, SCHED_GROUP)[g];
    if (!(o[O_DIV] > 0)) bad = "div_factor", v = o[O_DIV];
    if (!(o[O_FINAL_DIV] > 0)) bad = "final_div_factor", v = o[O_FINAL_DIV];
    break;
  case SK_PLATEAU:
    if (!(o[O_FACTOR] >= 0 && o[O_FACTOR] < 1))
      range_error(L, who, "factor", o[O_FACTOR], "[0, 1)");
    for (size_t g = 0; g < s->ng; g++)
      if (!(sched_arr(s, SCHED_GROUP)[g] >= 0)) bad = "min_lr", v = sched_arr(s, SCHED_GROUP)[g];
    if (!(o[O_EPS] >= 0)) bad = "eps", v = o[O_EPS];
    if (!(o[O_THRESHOLD] >= 0)) bad = "threshold", v = o[O_THRESHOLD];
    break;
  }
  if (bad) range_error(L, who, bad, v, NULL);
}

void sched_read_options(lua_State *L, int arg, const char *who, sched *s) {
  for (const sched_opt *op = s->k->options; op->name; op++) {
    if (op->required && !l_optgiven(L, arg, op->name))
      luaL_error(L, "%s: option '%s' is required", who, op->name);
    double *slot = &s->opt[op->slot];
    switch (op->type) {
    case OT_NUM: *slot = l_optnumber(L, arg, who, op->name, op->def); break;
    case OT_INT:
      *slot = (double)l_optinteger(L, arg, who, op->name, (lua_Integer)op->def,
                                   op->def < 0 ? 1 : op->slot == O_STEP_SIZE ||
                                   op->slot == O_T_MAX, 1L << 40);
      break;
    case OT_BOOL: *slot = l_optboolean(L, arg, who, op->name, op->def != 0); break;
    case OT_CHOICE: *slot = l_optchoice(L, arg, who, op->name, op->choices, 0); break;
    case OT_MILESTONES: read_milestones(L, arg, who, s); break;
    case OT_GROUP:
      if (l_optgiven(L, arg, op->name))
        read_group_option(L, arg, who, op->name, s->ng, sched_arr(s, SCHED_GROUP));
      else
        memset(sched_arr(s, SCHED_GROUP), 0, s->ng * sizeof(double));
      break;
    }
  }
  check_options(L, who, s);
}

void sched_push_option(lua_State *L, sched *s, const sched_opt *op) {
  double v = s->opt[op->slot];
  switch (op->type) {
  case OT_NUM: lua_pushnumber(L, v); break;
  case OT_INT:
    if (v < 0) lua_pushnil(L);
    else lua_pushinteger(L, (lua_Integer)v);
    break;
  case OT_BOOL: lua_pushboolean(L, v != 0); break;
  case OT_CHOICE: lua_pushstring(L, op->choices[(int)v]); break;
  case OT_MILESTONES:
    lua_createtable(L, (int)s->nmilestones, 0);
    for (size_t i = 0; i < s->nmilestones; i++) {
      lua_pushinteger(L, s->milestones[i]);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    break;
  case OT_GROUP:
    lua_createtable(L, (int)s->ng, 0);
    for (size_t g = 0; g < s->ng; g++) {
      lua_pushnumber(L, sched_arr(s, SCHED_GROUP)[g]);
      lua_rawseti(L, -2, (lua_Integer)g + 1);
    }
    break;
  }
}

/* ---- the schedules ---- */

static double anneal(const sched *s, double start, double end, double pct) {
  if (s->opt[O_ANNEAL] == 1) return (end - start) * pct + start;
  return end + (start - end) / 2 * (cos(M_PI * pct) + 1);
}

/* OneCycleLR at step e for group g: the lr, and the momentum into *mom. */
static double onecycle(sched *s, size_t g, long e, double *mom) {
  const double *o = s->opt;
  double total = o[O_TOTAL_STEPS], pct = o[O_PCT];
  double max_lr = sched_arr(s, SCHED_GROUP)[g], init = max_lr / o[O_DIV];
  double min_lr = init / o[O_FINAL_DIV], bm = o[O_BASE_MOM], mm = o[O_MAX_MOM];
  double end2[] = {pct * total - 1, total - 1}, lr2[] = {init, max_lr, min_lr};
  double mom2[] = {mm, bm, mm};
  double end3[] = {pct * total - 1, 2 * pct * total - 2, total - 1};
  double lr3[] = {init, max_lr, init, min_lr}, mom3[] = {mm, bm, mm, mm};
  int three = o[O_THREE] != 0, n = three ? 3 : 2;
  const double *ends = three ? end3 : end2, *lrs = three ? lr3 : lr2;
  const double *moms = three ? mom3 : mom2;
  double start = 0;
  for (int i = 0; i < n; i++) {
    if (e <= ends[i] || i == n - 1) {
      double p = (e - start) / (ends[i] - start);
      *mom = anneal(s, moms[i], moms[i + 1], p);
      return anneal(s, lrs[i], lrs[i + 1], p);
    }
    start = ends[i];
  }
  return 0;  /* not reached: the last phase always answers */
}

/* Python's a % b for b > 0. */
static long pymod(long a, long b) { return ((a % b) + b) % b; }

/* The new lr of group g from its current lr cur at epoch e (chainable). */
static double next_lr(sched *s, size_t g, double cur, long e, double *mom) {
  const double *o = s->opt;
  double base = sched_arr(s, SCHED_BASE)[g];
  switch (s->k->id) {
  case SK_STEP:
    return e == 0 || e % (long)o[O_STEP_SIZE] ? cur : cur * o[O_GAMMA];
  case SK_MULTISTEP: {
    int count = 0;
    for (size_t i = 0; i < s->nmilestones; i++) count += s->milestones[i] == e;
    return count ? cur * pow(o[O_GAMMA], count) : cur;
  }
  case SK_EXPONENTIAL:
    return e == 0 ? cur : cur * o[O_GAMMA];
  case SK_COSINE: {
    long t = (long)o[O_T_MAX];
    double eta = o[O_ETA_MIN];
    if (e == 0) return cur;
    if (pymod(e - 1 - t, 2 * t) == 0) return cur + (base - eta) * (1 - cos(M_PI / t)) / 2;
    return (1 + cos(M_PI * e / t)) / (1 + cos(M_PI * (e - 1) / t)) * (cur - eta) + eta;
  }
  case SK_LINEAR: {
    double a = o[O_START], b = o[O_END], n = o[O_TOTAL_ITERS];
    if (e == 0) return cur * a;
    if (e > n) return cur;
    return cur * (1 + (b - a) / (n * a + (e - 1) * (b - a)));
  }
  case SK_ONECYCLE:
    return onecycle(s, g, e, mom);
  case SK_PLATEAU:
    break;
  }
  return cur;
}

/* The momentum option OneCycleLR cycles: "betas" (its first value) when
 * the optimizer has it, as PyTorch's, else "momentum"; NULL for neither. */
static const ln_optim_option *momentum_option(const ln_optim_kind *k) {
  const ln_optim_option *op = ln_optim_option_find(k, "betas");
  return op ? op : ln_optim_option_find(k, "momentum");
}

/* Sets group g's lr (and momentum when mom is not NULL) through the
 * optimizer's checks. */
static void set_group(lua_State *L, ln_optim *o, size_t g, double lr, const double *mom,
                      const char *who) {
  double hp[LN_OPTIM_MAXHP];
  memcpy(hp, o->group[g].hp, sizeof hp);
  hp[ln_optim_option_find(o->kind, "lr")->slot] = lr;
  if (mom) hp[momentum_option(o->kind)->slot] = *mom;
  if (ln_optim_set(o, g, hp)) l_raise(L, who);
}

static double group_lr(const ln_optim *o, size_t g) {
  return o->group[g].hp[ln_optim_option_find(o->kind, "lr")->slot];
}

/* One step of an epoch-driven schedule, as _LRScheduler.step: each group's
 * new lr from its current one, set through the optimizer's checks. */
static void take_step(lua_State *L, sched *s, int self, const char *who) {
  ln_optim *o = sched_optim(L, self, who);
  long e = s->last_epoch + 1;
  if (s->k->id == SK_ONECYCLE && e > s->opt[O_TOTAL_STEPS])
    luaL_error(L, "%s: tried to step %d times; the schedule has total_steps %d", who, (int)e,
               (int)s->opt[O_TOTAL_STEPS]);
  int cycle = s->k->id == SK_ONECYCLE && s->opt[O_CYCLE_MOM] != 0;
  for (size_t g = 0; g < s->ng; g++) {
    double mom = 0, lr = next_lr(s, g, group_lr(o, g), e, &mom);
    set_group(L, o, g, lr, cycle ? &mom : NULL, who);
  }
  s->step_count++;
  s->last_epoch = e;
  for (size_t g = 0; g < s->ng; g++) sched_arr(s, SCHED_LAST)[g] = group_lr(o, g);
}

/* ReduceLROnPlateau.step(metric). */
static void plateau_step(sched *s, ln_optim *o, double cur, lua_State *L, const char *who) {
  const double *op = s->opt;
  double thr = op[O_THRESHOLD], best = s->best;
  int max = op[O_MODE] == 1, rel = op[O_THRESHOLD_MODE] == 0;
  int better = max ? (rel ? cur > best * (thr + 1) : cur > best + thr)
                   : (rel ? cur < best * (1 - thr) : cur < best - thr);
  s->last_epoch++;
  if (better) {
    s->best = cur;
    s->num_bad_epochs = 0;
  } else {
    s->num_bad_epochs++;
  }
  if (s->cooldown_counter > 0) {
    s->cooldown_counter--;
    s->num_bad_epochs = 0;
  }
  if (s->num_bad_epochs > op[O_PATIENCE]) {
    for (size_t g = 0; g < s->ng; g++) {
      double old = group_lr(o, g), lr = fmax(old * op[O_FACTOR], sched_arr(s, SCHED_GROUP)[g]);
      if (old - lr > op[O_EPS]) set_group(L, o, g, lr, NULL, who);
    }
    s->cooldown_counter = (long)op[O_COOLDOWN];
    s->num_bad_epochs = 0;
  }
  for (size_t g = 0; g < s->ng; g++) sched_arr(s, SCHED_LAST)[g] = group_lr(o, g);
}

/* ---- the Lua side ---- */

static sched *sched_self(lua_State *L, const char *method, int nargs, char *who, size_t n) {
  sched *s = l_checkself(L, L_SCHED, "scheduler expected, got %s; call it as sched:%s()",
                         method);
  snprintf(who, n, "%s:%s", s->k->name, method);
  l_checknargs(L, nargs, who);
  return s;
}

static int sched_step(lua_State *L) {
  char who[64];
  sched *s = l_checkself(L, L_SCHED, "scheduler expected, got %s; call it as sched:%s()",
                         "step");
  /* Only ReduceLROnPlateau takes an argument (PyTorch's epoch argument to
   * the others is deprecated). */
  sched_self(L, "step", s->k->id == SK_PLATEAU ? 2 : 1, who, sizeof who);
  if (s->k->id != SK_PLATEAU) {
    take_step(L, s, 1, who);
    return 0;
  }
  double metric = luaL_checknumber(L, 2);
  plateau_step(s, sched_optim(L, 1, who), metric, L, who);
  return 0;
}

static int sched_get_last_lr(lua_State *L) {
  char who[64];
  sched *s = sched_self(L, "get_last_lr", 1, who, sizeof who);
  sched_optim(L, 1, who);
  lua_createtable(L, (int)s->ng, 0);
  for (size_t g = 0; g < s->ng; g++) {
    lua_pushnumber(L, sched_arr(s, SCHED_LAST)[g]);
    lua_rawseti(L, -2, (lua_Integer)g + 1);
  }
  return 1;
}

static int sched_type(lua_State *L) {
  char who[64];
  lua_pushstring(L, sched_self(L, "type", 1, who, sizeof who)->k->name);
  return 1;
}

static const luaL_Reg methods[] = {
  {"step", sched_step}, {"get_last_lr", sched_get_last_lr}, {"type", sched_type},
  {"state_dict", l_sched_state_dict}, {"load_state_dict", l_sched_load_state_dict},
  {NULL, NULL}
};

/* Methods, then the fields last_epoch and optimizer; anything else is an
 * error. */
static int sched_index(lua_State *L) {
  static const char *const fields[] = {"last_epoch", "optimizer", NULL};
  sched *s = luaL_checkudata(L, 1, L_SCHED);
  if (l_index_method(L)) return 1;
  const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "";
  if (!strcmp(key, "last_epoch")) lua_pushinteger(L, s->last_epoch);
  else if (!strcmp(key, "optimizer")) lua_getiuservalue(L, 1, 1);
  else l_nofield(L, s->k->name, 2, fields);
  return 1;
}

static int sched_tostring(lua_State *L) {
  sched *s = luaL_checkudata(L, 1, L_SCHED);
  lua_pushfstring(L, "%s (epoch %I)", s->k->name, (lua_Integer)s->last_epoch);
  return 1;
}

/* lunet.optim.lr_scheduler.<Kind>(opt [, opts]); upvalue 1 is the kind.
 * The group count is read, the userdata made, every option read into it
 * (which may run Lua), and only then is the optimizer used. */
static int sched_new(lua_State *L) {
  const sched_kind *k = lua_touserdata(L, lua_upvalueindex(1));
  const char *names[MAXNAMES];
  char who[96];
  snprintf(who, sizeof who, "lunet.optim.lr_scheduler.%s", k->name);
  l_optim *u = luaL_testudata(L, 1, L_OPTIM);
  if (!u) return luaL_argerror(L, 1, lua_pushfstring(L, "optimizer expected, got %s",
                                                       l_typename(L, 1)));
  l_positional(L, 2, who, sched_names(k, names, NULL));
  l_checknargs(L, 2, who);
  lua_settop(L, 2);
  if (!u->o) luaL_error(L, "%s: optimizer has been closed", who);
  size_t ng = u->o->ngroups;
  l_checkoptions(L, 2, who, sched_names(k, names, NULL));
  sched *s = lua_newuserdatauv(L, sched_size(ng), 1);  /* 3 */
  memset(s, 0, sched_size(ng));
  s->k = k;
  s->ng = ng;
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, 3, 1);
  sched_read_options(L, 2, who, s);
  ln_optim *o = sched_optim(L, 3, who);
  if (k->id == SK_ONECYCLE && s->opt[O_CYCLE_MOM] != 0 && !momentum_option(o->kind))
    luaL_error(L, "%s: %s has no momentum to cycle (give cycle_momentum = false)", who,
               o->kind->name);
  s->last_epoch = -1;
  for (size_t g = 0; g < ng; g++) {
    sched_arr(s, SCHED_BASE)[g] = k->id == SK_ONECYCLE ?
        sched_arr(s, SCHED_GROUP)[g] / s->opt[O_DIV] : group_lr(o, g);
  }
  luaL_setmetatable(L, L_SCHED);
  if (k->id == SK_PLATEAU) {
    s->last_epoch = 0;
    s->best = s->opt[O_MODE] == 1 ? -HUGE_VAL : HUGE_VAL;
    for (size_t g = 0; g < ng; g++) sched_arr(s, SCHED_LAST)[g] = group_lr(o, g);
  } else {
    take_step(L, s, 3, who);  /* PyTorch's _initial_step */
  }
  return 1;
}

static const luaL_Reg metamethods[] = {
  {"__index", sched_index}, {"__tostring", sched_tostring}, {NULL, NULL}
};

void l_open_sched(lua_State *L) {
  lua_createtable(L, 0, (int)(sizeof kinds / sizeof *kinds));
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
    lua_pushlightuserdata(L, (void *)&kinds[i]);
    lua_pushcclosure(L, sched_new, 1);
    lua_setfield(L, -2, kinds[i].name);
  }
  lua_setfield(L, -2, "lr_scheduler");
  l_newclass(L, L_SCHED, metamethods, methods);
}
