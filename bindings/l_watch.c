/* l_watch.c: board:watch(net [, opts]), board:unwatch(net) and the Watch
 * handle: a network's activations, parameter gradients and parameters as
 * histograms, each layer's gradient norm and every BatchNorm's batch
 * statistics against its running ones as scalars, every `every` steps.
 *
 * A step is one backward called on the watched module's Lua value:
 * module_backward (l_module.c) calls l_watch_step once the backward has
 * succeeded, so any module works, containers and modules written in Lua
 * alike, and nothing in the training loop changes. The outputs are those the
 * last forward left in the modules, the gradients those the backward has
 * just accumulated, the parameters those both used (the optimizer has not
 * stepped yet): one consistent picture of the step.
 *
 * Who holds what: a registry table with weak keys maps each watched module
 * userdata to its Watch userdata (an ephemeron), so a watch never keeps a
 * network alive; closing the network's userdata ends its backwards and so
 * the snapshots. The Watch holds its Board userdata (user value 1) until it
 * is closed, and stops by itself once the board is closed. The handle may
 * be dropped: the watch goes on until unwatched, as a window does.
 *
 * A step that logs nothing does two raw table reads and a counter
 * increment: no allocation, no Lua call. Tag names are made afresh on each
 * logged step, so the watch follows a tree that changes. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "l_board.h"
#include "l_module.h"
#include "../core/batchnorm.h"
#include "../core/tensor_reduce.h"

#define L_WATCH "lunet.Watch"

static const char watch_key = 'w';  /* its address keys the registry table */

enum { W_OUTPUT = 1, W_GRAD = 2, W_PARAM = 4, W_ALL = 7 };
static const char *const what_names[] = {"output", "grad", "param", NULL};

typedef struct l_watch {
  int live;                 /* 0 once closed (or its board was) */
  int what;                 /* W_OUTPUT | W_GRAD | W_PARAM */
  lua_Integer every;
  lua_Integer steps;        /* backwards seen; step s logs when s % every == 0 */
  lua_Integer logged;       /* steps that took snapshots */
  char run[LN_MAXNAME];
} l_watch;

/* Pushes the table of watches. */
static void push_watches(lua_State *L) { lua_rawgetp(L, LUA_REGISTRYINDEX, &watch_key); }

/* Ends w: lets go of its board. The table entry goes with its key, or at
 * the next backward. */
static void end_watch(lua_State *L, int idx, l_watch *w) {
  w->live = 0;
  lua_pushnil(L);
  lua_setiuservalue(L, idx, 1);
}

/* ---- the snapshots ---- */

#define PATHMAX (LN_MAXDEPTH * (LN_MAXNAME + 12))

typedef struct shot {
  vw_board *b;
  const l_watch *w;
  double step;
  int pass;                 /* what this walk over the tree logs (enum below) */
  char path[PATHMAX];       /* the dotted prefix of the module visited: "2.1." */
  char label[PATHMAX + 2 * LN_MAXNAME + 2];  /* "2.1.Linear.weight" */
  char tag[PATHMAX + 3 * LN_MAXNAME + 32];
} shot;

enum { P_OUTPUT, P_GRAD, P_PARAM, P_NORM, P_BN };

/* Appends s at buf + n, each '/' made '_' (the board cuts tags at '/');
 * truncates at cap - 1. Returns the new length. */
static size_t append(char *buf, size_t n, size_t cap, const char *s) {
  for (; *s && n + 1 < cap; s++) buf[n++] = *s == '/' ? '_' : *s;
  buf[n] = 0;
  return n;
}

/* 1 when m's output is one of its children's (a Sequential's is its last
 * child's): logged once, under the child. */
static int output_of_child(const ln_module *m) {
  for (size_t i = 0; i < m->nchild; i++)
    if (m->child[i]->output.st == m->output.st) return 1;
  return 0;
}

/* The L2 norm of m's own parameter gradients taken together, as
 * clip_grad_norm computes it. */
static int grad_norm(const ln_module *m, double *norm) {
  double acc = 0, v;
  for (int i = 0; i < m->nparam; i++) {
    if (!m->grad[i].st) continue;
    if (ln_tensor_reduce_all(&m->grad[i], LN_R_NORM, 2, &v, NULL)) return LN_ERR;
    acc += v * v;
  }
  *norm = sqrt(acc);
  return LN_OK;
}

static int scalar(shot *s, const char *group, double v) {
  snprintf(s->tag, sizeof s->tag, "%s/%s/%s", group, s->w->run, s->label);
  return vw_board_scalar(s->b, s->tag, s->step, v) < 0 ? ln_fail("%s", vw_error()) : LN_OK;
}

static int hist(shot *s, const char *what, const ln_tensor *t) {
  if (!t->st) return LN_OK;
  snprintf(s->tag, sizeof s->tag, "%s/%s/%s", s->w->run, what, s->label);
  return l_board_tensor_hist(s->b, s->tag, s->step, t, VW_SAT);
}

/* A BatchNorm that normalized with batch statistics: over its channels,
 * the mean of |batch mean - running mean| / running std and of batch std /
 * running std (each std with eps), 0 and 1 when evaluation would normalize
 * the batch as training did. */
static int bn_stats(shot *s, const ln_module *m) {
  const ln_batchnorm *bn = (const ln_batchnorm *)m;
  if (m->ops != &ln_batchnorm_ops || !bn->batch_stats || !bn->mean || m->nbuf < 2 ||
      !m->buf[0].st || !m->buf[1].st)
    return LN_OK;
  const float *rmean = ln_data(&m->buf[0]) /* (C) */, *rvar = ln_data(&m->buf[1]) /* (C) */;
  double shift = 0, ratio = 0;
  size_t c = bn->nfeat;
  for (size_t i = 0; i < c; i++) {
    double rstd = sqrt((double)rvar[i] + bn->eps);
    shift += fabs(bn->mean[i] - rmean[i]) / rstd;
    ratio += 1 / (bn->invstd[i] * rstd);
  }
  if (scalar(s, "bn_mean", shift / (double)c) || scalar(s, "bn_std", ratio / (double)c))
    return LN_ERR;
  return LN_OK;
}

/* Logs this pass's part of m, then of its children (path plen long). The
 * tree is at most LN_MAXDEPTH deep, and so is this recursion. */
static int visit(shot *s, ln_module *m, size_t plen) {
  size_t n = append(s->label, 0, sizeof s->label, s->path);
  n = append(s->label, n, sizeof s->label, m->name);
  if (s->pass == P_OUTPUT && m->output.st && !output_of_child(m)) {
    if (hist(s, "output", &m->output)) return LN_ERR;
  } else if (s->pass == P_GRAD || s->pass == P_PARAM) {
    for (int i = 0; i < m->nparam; i++) {
      append(s->label, append(s->label, n, sizeof s->label, "."), sizeof s->label,
             m->param_name[i]);
      if (hist(s, s->pass == P_GRAD ? "grad" : "param",
               s->pass == P_GRAD ? &m->grad[i] : &m->param[i]))
        return LN_ERR;
    }
  } else if (s->pass == P_NORM && m->nparam) {
    double norm;
    if (grad_norm(m, &norm) || scalar(s, "gradnorm", norm)) return LN_ERR;
  } else if (s->pass == P_BN && bn_stats(s, m)) {
    return LN_ERR;
  }
  for (size_t i = 0; i < m->nchild; i++) {
    char pos[32];
    snprintf(pos, sizeof pos, "%zu", i + 1);
    size_t k = append(s->path, plen, sizeof s->path, m->child_name[i] ? m->child_name[i] : pos);
    k = append(s->path, k, sizeof s->path, ".");
    if (visit(s, m->child[i], k)) return LN_ERR;
    s->path[plen] = 0;
  }
  return LN_OK;
}

/* Every snapshot of step `step` of w on m: the histograms first (outputs,
 * gradients, parameters: the order of their tags), then the scalars. */
static int snapshot(vw_board *b, const l_watch *w, ln_module *m, double step) {
  static const int need[] = {W_OUTPUT, W_GRAD, W_PARAM, W_GRAD, W_OUTPUT};
  shot *s = ln_malloc(sizeof *s);
  if (!s) return ln_fail("out of memory");
  s->b = b;
  s->w = w;
  s->step = step;
  int rc = LN_OK;
  for (s->pass = P_OUTPUT; rc == LN_OK && s->pass <= P_BN; s->pass++) {
    s->path[0] = 0;
    if (w->what & need[s->pass]) rc = visit(s, m, 0);
  }
  ln_free(s);
  return rc;
}

int l_watch_step(lua_State *L, int net, ln_module *m) {
  int top = lua_gettop(L), rc = LN_OK;
  net = lua_absindex(L, net);
  push_watches(L);
  lua_pushvalue(L, net);
  if (lua_rawget(L, -2) != LUA_TUSERDATA) {  /* not watched: the usual case */
    lua_settop(L, top);
    return LN_OK;
  }
  l_watch *w = lua_touserdata(L, -1);
  if (w->live) {
    lua_Integer step = w->steps++;
    if (step % w->every == 0) {
      lua_getiuservalue(L, -1, 1);
      vw_board *b = l_board_get(L, -1);
      lua_pop(L, 1);
      if (b) {
        w->logged++;
        rc = snapshot(b, w, m, (double)step);
      } else {
        end_watch(L, lua_gettop(L), w);  /* the board was closed: so is the watch */
      }
    }
  }
  if (!w->live) {  /* forget it: setting an existing key to nil allocates nothing */
    lua_pushvalue(L, net);
    lua_pushnil(L);
    lua_rawset(L, top + 1);
  }
  lua_settop(L, top);
  return rc;
}

/* ---- board:watch, board:unwatch ---- */

static const char *const watch_keys[] = {"every", "run", "what", NULL};

/* The bit of the what name at idx, or raises. */
static int what_bit(lua_State *L, int idx, const char *who) {
  if (lua_type(L, idx) == LUA_TSTRING)
    for (int i = 0; what_names[i]; i++)
      if (!strcmp(lua_tostring(L, idx), what_names[i])) return 1 << i;
  lua_pushfstring(L, lua_type(L, idx) == LUA_TSTRING ? "'%s'" : "%s",
                  lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx)
                                                  : luaL_typename(L, idx));
  return luaL_error(L, "%s: option 'what' must be \"output\", \"grad\", \"param\" or a list "
                    "of them, got %s", who, lua_tostring(L, -1));
}

/* opts.what: one name or a list of names (raw reads), all by default. */
static int read_what(lua_State *L, int arg, const char *who) {
  int what = 0;
  if (lua_isnoneornil(L, arg)) return W_ALL;
  lua_getfield(L, arg, "what");
  int t = lua_gettop(L);
  if (lua_isnil(L, t)) what = W_ALL;
  else if (lua_type(L, t) != LUA_TTABLE) what = what_bit(L, t, who);
  else {
    lua_Integer n = (lua_Integer)lua_rawlen(L, t);
    if (n == 0) return luaL_error(L, "%s: option 'what' must name at least one of \"output\", "
                                  "\"grad\" and \"param\"", who);
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, t, i);
      what |= what_bit(L, -1, who);
      lua_pop(L, 1);
    }
  }
  lua_settop(L, t - 1);
  return what;
}

/* opts.every: a positive integer, 100 by default (wandb.watch's log_freq,
 * TensorBoard scripts' usual `step % 100`). */
static lua_Integer read_every(lua_State *L, int arg, const char *who) {
  double e = l_optnumber(L, arg, who, "every", 100);
  if (!(e >= 1 && e <= 9007199254740992.0 && e == floor(e)))
    luaL_error(L, "%s: option 'every' must be a positive integer, got %f", who,
               l_msgnum(e));
  return (lua_Integer)e;
}

/* opts.run into run: a run's name holds no '/' (see Board); by default the
 * module's name ("Sequential", a Lua class's). */
static void read_run(lua_State *L, int arg, const char *who, const char *kind, char *run) {
  size_t n;
  const char *r = l_optstring(L, arg, who, "run", NULL);
  if (!r) {
    append(run, 0, LN_MAXNAME, kind);
    lua_pop(L, 1);
    return;
  }
  r = lua_tolstring(L, -1, &n);
  if (n == 0 || n >= LN_MAXNAME || strlen(r) != n || strchr(r, '/'))
    luaL_error(L, "%s: option 'run' must be a name of 1 to %d bytes without '/' or a zero "
               "byte, got '%s'", who, LN_MAXNAME - 1, r);
  memcpy(run, r, n + 1);
  lua_pop(L, 1);
}

static void check_board_self(lua_State *L, const char *method) {
  l_checkself(L, L_BOARD, "board expected, got %s; call it as board:%s(...)", method);
}

static l_module *check_net(lua_State *L, int arg) {
  l_module *u = luaL_testudata(L, arg, L_MODULE);
  if (!u) luaL_typeerror(L, arg, "module");
  return u;
}

/* Whether m's tree holds a BatchNorm (whose groups get axis titles). */
static int has_batchnorm(const ln_module *m) {
  if (m->ops == &ln_batchnorm_ops) return 1;
  for (size_t i = 0; i < m->nchild; i++)
    if (has_batchnorm(m->child[i])) return 1;
  return 0;
}

/* board:watch(net [, {every =, run =, what =}]) -> Watch */
static int board_watch(lua_State *L) {
  const char *who = "Board:watch";
  check_board_self(L, "watch");
  l_checknargs(L, 3, who);
  l_module *nu = check_net(L, 2);
  if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
  l_checkoptions(L, 3, who, watch_keys);
  char kind[LN_MAXNAME], run[LN_MAXNAME];
  snprintf(kind, sizeof kind, "%s", nu->kind);
  lua_Integer every = read_every(L, 3, who);
  int what = read_what(L, 3, who);
  read_run(L, 3, who, kind, run);
  lua_settop(L, 2);
  /* Everything read: from here no metamethod runs. */
  if (!l_board_get(L, 1)) return luaL_error(L, "%s: board has been closed", who);
  if (!nu->m) return luaL_error(L, "%s: %s module has been closed", who, kind);
  push_watches(L);
  lua_pushnil(L);
  while (lua_next(L, 3)) {  /* live watches: one per module, one per run of a board */
    l_watch *o = lua_touserdata(L, -1);
    lua_getiuservalue(L, -1, 1);
    int same_board = lua_rawequal(L, -1, 1);
    if (!((l_module *)lua_touserdata(L, -3))->m || !l_board_get(L, -1)) {
      end_watch(L, lua_gettop(L) - 1, o);  /* its module or its board was closed */
      lua_pushvalue(L, -3);
      lua_pushnil(L);
      lua_rawset(L, 3);  /* clearing a field while traversing is allowed */
    }
    lua_pop(L, 1);
    if (o->live && lua_rawequal(L, -2, 2))
      return luaL_error(L, "%s: this %s is already watched (unwatch it first)", who, kind);
    if (o->live && same_board && !strcmp(o->run, run))
      return luaL_error(L, "%s: run '%s' is already watched on this board (give each network "
                        "its own run)", who, run);
    lua_pop(L, 1);
  }
  l_watch *w = lua_newuserdatauv(L, sizeof *w, 1);
  memset(w, 0, sizeof *w);
  w->live = 1;
  w->what = what;
  w->every = every;
  memcpy(w->run, run, sizeof run);
  luaL_setmetatable(L, L_WATCH);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, -2);
  lua_rawset(L, 3);
  /* Axis titles, on the board as it is after the allocations above. */
  vw_board *b = l_board_get(L, 1);
  char group[LN_MAXNAME + 16];
  static const struct { int what; const char *group, *y; } axes[] = {
    {W_GRAD, "gradnorm", "gradient L2 norm"},
    {W_OUTPUT, "bn_mean", "|batch - running mean| / running std"},
    {W_OUTPUT, "bn_std", "batch std / running std"},
  };
  int bn = has_batchnorm(nu->m);
  for (size_t i = 0; b && i < sizeof axes / sizeof axes[0]; i++) {
    if (!(what & axes[i].what) || (i > 0 && !bn)) continue;
    snprintf(group, sizeof group, "%s/%s", axes[i].group, run);
    if (vw_board_axis(b, group, NULL, axes[i].y) < 0)
      return luaL_error(L, "%s: %s", who, vw_error());
  }
  return 1;
}

/* board:unwatch(net): true when it ended a watch of this board on net. */
static int board_unwatch(lua_State *L) {
  check_board_self(L, "unwatch");
  l_checknargs(L, 2, "Board:unwatch");
  l_module *nu = check_net(L, 2);
  push_watches(L);
  lua_pushvalue(L, 2);
  int found = 0;
  if (lua_rawget(L, 3) == LUA_TUSERDATA) {
    l_watch *w = lua_touserdata(L, 4);
    lua_getiuservalue(L, 4, 1);
    int mine = lua_rawequal(L, -1, 1), ended = !nu->m || !l_board_get(L, -1);
    found = w->live && mine && !ended;  /* a closed module's watch had ended already */
    lua_pop(L, 1);
    if (found || ended) {
      end_watch(L, 4, w);
      lua_pushvalue(L, 2);
      lua_pushnil(L);
      lua_rawset(L, 3);
    }
  }
  lua_pushboolean(L, found);
  return 1;
}

const luaL_Reg l_watch_methods[] = {
  {"watch", board_watch}, {"unwatch", board_unwatch}, {NULL, NULL}
};

/* ---- the Watch handle ---- */

/* Whether w is live: not closed, its board not closed, and its module
 * still watched (neither collected nor closed). */
static int is_live(lua_State *L, int idx, l_watch *w) {
  int live = 0, top = lua_gettop(L);
  if (!w->live) return 0;
  push_watches(L);
  lua_pushnil(L);
  while (!live && lua_next(L, -2)) {
    live = lua_rawequal(L, -1, idx) && ((l_module *)lua_touserdata(L, -2))->m;
    lua_pop(L, 1);
  }
  lua_settop(L, top);
  lua_getiuservalue(L, idx, 1);
  live = live && l_board_get(L, -1);
  lua_pop(L, 1);
  return live;
}

static int watch_close(lua_State *L) {
  l_watch *w = luaL_checkudata(L, 1, L_WATCH);
  if (w->live) end_watch(L, 1, w);
  return 0;
}

static int watch_close_method(lua_State *L) {
  l_checkself(L, L_WATCH, "watch expected, got %s; call it as watch:%s()", "close");
  l_checknargs(L, 1, "Watch:close");
  return watch_close(L);
}

static int watch_tostring(lua_State *L) {
  l_watch *w = luaL_checkudata(L, 1, L_WATCH);
  lua_pushfstring(L, "lunet.Watch (run '%s', every %I, %I steps, %I logged%s)", w->run,
                  w->every, w->steps, w->logged, is_live(L, 1, w) ? "" : ", ended");
  return 1;
}

/* w.steps, w.logged, w.every, w.run, w.live: read-only. */
static int watch_index(lua_State *L) {
  static const char *const fields[] = {"steps", "logged", "every", "run", "live", NULL};
  l_watch *w = luaL_checkudata(L, 1, L_WATCH);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "";
  if (!strcmp(k, "steps")) lua_pushinteger(L, w->steps);
  else if (!strcmp(k, "logged")) lua_pushinteger(L, w->logged);
  else if (!strcmp(k, "every")) lua_pushinteger(L, w->every);
  else if (!strcmp(k, "run")) lua_pushstring(L, w->run);
  else if (!strcmp(k, "live")) lua_pushboolean(L, is_live(L, 1, w));
  else return l_nofield(L, "Watch", 2, fields);
  return 1;
}

static const luaL_Reg watch_methods[] = {{"close", watch_close_method}, {NULL, NULL}};
static const luaL_Reg watch_meta[] = {
  {"__close", watch_close}, {"__tostring", watch_tostring}, {NULL, NULL}
};

void l_open_watch(lua_State *L) {
  l_newweak(L, "k", &watch_key);  /* module userdata -> Watch, weak keys */
  l_newclass(L, L_WATCH, watch_meta, watch_methods);
  luaL_getmetatable(L, L_WATCH);
  lua_getfield(L, -1, "__methods");
  lua_pushcclosure(L, watch_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
