/* l_board.c: lunet.Board and lunet.viewer.
 *
 * A Board userdata holds one reference to a vw_board; an open window holds
 * another, so the board outlives whichever goes first. While a window is
 * open its handle is kept in a registry table, so dropping the handle does
 * not close it; the window closes on :close(), on q/Esc, or when the Lua
 * state closes (the end of a script: call win:wait() to keep it up).
 *
 * An options table's metamethods run Lua, which may close the board or a
 * tensor argument: every function converts its Lua arguments to C values
 * first and only then fetches the board (live_board) and tensors. */
#include "l_board.h"
#include "../viewer/draw.h"
#include "../viewer/export.h"
#include "../viewer/runlog.h"
#include "../viewer/window.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define L_VIEWER "lunet.Viewer"
#define OPEN_KEY "lunet.viewer.open"

typedef struct l_board { vw_board *b; } l_board;
typedef struct l_viewer { vw_window *w; } l_viewer;

/* The board a method is called on, checked for its type only. */
static l_board *board_self(lua_State *L, const char *method) {
  return l_checkself(L, L_BOARD, "board expected, got %s; call it as board:%s(...)", method);
}

/* The board of u (argument 1) once nothing more can run Lua before it is
 * used. */
static vw_board *live_board(lua_State *L, l_board *u, const char *who) {
  if (!u->b) luaL_error(L, "%s: board has been closed", who);
  return u->b;
}

vw_board *l_board_get(lua_State *L, int idx) {
  l_board *u = luaL_testudata(L, idx, L_BOARD);
  return u ? u->b : NULL;
}

int l_board_tensor_hist(vw_board *b, const char *tag, double step, const ln_tensor *t,
                        double sat) {
  ln_tensor flat = LN_TENSOR_EMPTY;  /* the board reads flat memory */
  if (ln_tensor_contiguous(&flat, t)) return LN_ERR;
  int rc = vw_board_histogram(b, tag, step, ln_data(&flat), ln_numel(&flat), sat);
  ln_tensor_free(&flat);
  return rc < 0 ? ln_fail("%s", vw_error()) : LN_OK;
}

/* A NaN or infinite step has no place on the x-axis or among the sorted
 * histogram steps. */
static double check_step(lua_State *L, int arg) {
  double step = luaL_checknumber(L, arg);
  luaL_argcheck(L, isfinite(step), arg, "step must be a finite number");
  return step;
}

static const char *check_tag(lua_State *L, int arg) {
  size_t n;
  const char *tag;
  luaL_checktype(L, arg, LUA_TSTRING);
  tag = lua_tolstring(L, arg, &n);
  luaL_argcheck(L, n > 0, arg, "tag must not be empty");
  luaL_argcheck(L, strlen(tag) == n, arg, "tag must not hold a zero byte");
  /* "cost/" or "/L1" would name a run or a panel "" */
  luaL_argcheck(L, tag[0] != '/' && tag[n - 1] != '/', arg,
                "tag must not start or end with '/' (\"group/run\", \"run/layer\")");
  return tag;
}

#define VIEW_KEYS "width", "height", "panels", "log", "smoothing", "time", "step", "bins", \
  "axis", "page", "hist", "xaxis", "filter"
static const char *const view_keys[] = {VIEW_KEYS, NULL};
static const char *const show_keys[] = {VIEW_KEYS, "title", NULL};
/* In the order of VW_HIST_* and VW_X_*. */
static const char *const hist_choices[] = {"bars", "heat", "bands", NULL};
static const char *const xaxis_choices[] = {"step", "relative", "wall", NULL};
static const char *const axis_choices[] = {"layer", "panel", NULL};
/* In the order of VW_PANELS_*. */
static const char *const panel_choices[] = {"all", "histograms", "scalars", NULL};

/* filter: a pattern of at most VW_MAXFILTER - 1 bytes. */
static void read_filter(lua_State *L, int arg, const char *who, vw_view *v) {
  const char *pat = l_optstring(L, arg, who, "filter", "");
  size_t n = strlen(pat);
  if (n >= sizeof v->filter)
    luaL_error(L, "%s: option 'filter' is too long (%d bytes at most)", who,
               (int)sizeof v->filter - 1);
  memcpy(v->filter, pat, n + 1);
  lua_pop(L, 1);
}

/* The drawing options shared by save_png and viewer.show; a width or
 * height left out is 0 (vw_render picks one). */
static void read_view(lua_State *L, int arg, const char *who, vw_view *v) {
  vw_view_defaults(v);
  v->width = (int)l_optinteger(L, arg, who, "width", 0, 64, 16384);
  v->height = (int)l_optinteger(L, arg, who, "height", 0, 64, 16384);
  v->panels = l_optchoice(L, arg, who, "panels", panel_choices, 0);
  v->bins = (int)l_optinteger(L, arg, who, "bins", v->bins, 2, 512);
  v->page = (int)l_optinteger(L, arg, who, "page", 1, 1, 1 << 20) - 1;
  v->logy = l_optboolean(L, arg, who, "log", 0);
  v->time_mode = l_optboolean(L, arg, who, "time", 0) ? VW_HIST_HEAT : VW_HIST_BARS;
  /* time = true is the older name of hist = "heat" */
  if (l_optgiven(L, arg, "hist")) {
    int mode = l_optchoice(L, arg, who, "hist", hist_choices, 0);
    if (l_optgiven(L, arg, "time") && (mode == VW_HIST_HEAT) != (v->time_mode == VW_HIST_HEAT))
      luaL_error(L, "%s: options 'time' and 'hist' disagree", who);
    v->time_mode = mode;
  }
  v->xaxis = l_optchoice(L, arg, who, "xaxis", xaxis_choices, 0);
  read_filter(L, arg, who, v);
  v->smoothing = l_optnumber(L, arg, who, "smoothing", 0);
  if (!(v->smoothing >= 0 && v->smoothing < 1))
    luaL_error(L, "%s: option 'smoothing' must be in [0, 1), got %f", who, l_msgnum(v->smoothing));
  v->at_step = l_optgiven(L, arg, "step");
  v->step = l_optnumber(L, arg, who, "step", 0);
  v->tag_axis = l_optchoice(L, arg, who, "axis", axis_choices, 0);
}

static const char *const board_keys[] = {"scalar_cap", "histogram_cap", "logdir", NULL};
static const char *const hist_keys[] = {"saturation", NULL};
static const char *const axis_keys[] = {"xlabel", "ylabel", NULL};

/* lunet.Board is a table: called, it makes a board; Board.open reads one. */
static int board_new(lua_State *L) {
  const char *who = "lunet.Board", *dir;
  lua_Integer sc, hc;
  l_board *u;
  lua_remove(L, 1);  /* the Board table of the __call */
  l_checknargs(L, 1, who);
  l_checkoptions(L, 1, who, board_keys);
  sc = l_optinteger(L, 1, who, "scalar_cap", VW_SCALAR_CAP, 4, (lua_Integer)1 << 40);
  hc = l_optinteger(L, 1, who, "histogram_cap", VW_HIST_CAP, 4, (lua_Integer)1 << 40);
  dir = l_optstring(L, 1, who, "logdir", NULL);  /* stays on the stack */
  u = lua_newuserdatauv(L, sizeof *u, 0);
  u->b = NULL;
  luaL_setmetatable(L, L_BOARD);
  u->b = vw_board_new((size_t)sc, (size_t)hc);
  if (!u->b || (dir && vw_board_log_to(u->b, dir) < 0)) luaL_error(L, "%s: %s", who, vw_error());
  return 1;
}

/* Board.open(dir, ...): the run logs of one or more directories. */
static int board_open(lua_State *L) {
  const char *who = "lunet.Board.open";
  int n = lua_gettop(L), i;
  const char **dirs;
  vw_runs *rs;
  l_board *u;
  for (i = 1; i <= n || i == 1; i++)
    if (lua_type(L, i) != LUA_TSTRING)
      return luaL_error(L, "%s: argument #%d must be a directory (a string), got %s", who, i,
                        luaL_typename(L, i));
  dirs = lua_newuserdatauv(L, (size_t)n * sizeof *dirs, 0);
  for (i = 1; i <= n; i++) dirs[i - 1] = lua_tostring(L, i);
  u = lua_newuserdatauv(L, sizeof *u, 0);
  u->b = NULL;
  luaL_setmetatable(L, L_BOARD);
  if (!(rs = vw_runs_open(dirs, (size_t)n))) luaL_error(L, "%s: %s", who, vw_error());
  u->b = vw_runs_board(rs);
  vw_board_retain(u->b);
  vw_runs_free(rs);
  return 1;
}

static int board_scalar(lua_State *L) {
  l_board *u = board_self(L, "scalar");
  const char *tag;
  double step, value;
  l_checknargs(L, 4, "Board:scalar");
  tag = check_tag(L, 2);
  step = check_step(L, 3);
  value = luaL_checknumber(L, 4);
  if (vw_board_scalar(live_board(L, u, "Board:scalar"), tag, step, value) < 0)
    luaL_error(L, "Board:scalar: %s", vw_error());
  return 0;
}

static int board_histogram(lua_State *L) {
  const char *who = "Board:histogram", *tag;
  l_board *u = board_self(L, "histogram");
  double step, sat;
  ln_tensor *t;
  l_checknargs(L, 5, who);
  tag = check_tag(L, 2);
  step = check_step(L, 3);
  luaL_checkudata(L, 4, L_TENSOR);  /* its type now, whether it is freed below */
  l_checkoptions(L, 5, who, hist_keys);
  sat = l_optnumber(L, 5, who, "saturation", VW_SAT);
  if (!(sat >= 0))
    luaL_error(L, "%s: option 'saturation' must be >= 0, got %f", who, l_msgnum(sat));
  t = l_checktensor(L, 4);
  if (l_board_tensor_hist(live_board(L, u, who), tag, step, t, sat)) l_raise(L, who);
  return 0;
}

/* axis(group, {xlabel =, ylabel =}): the axis titles of a scalar group. */
static int board_axis(lua_State *L) {
  const char *who = "Board:axis", *group, *x, *y;
  l_board *u = board_self(L, "axis");
  l_checknargs(L, 3, who);
  group = luaL_checkstring(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  l_checkoptions(L, 3, who, axis_keys);
  x = l_optstring(L, 3, who, "xlabel", NULL);  /* both stay on the stack until used */
  y = l_optstring(L, 3, who, "ylabel", NULL);
  if (vw_board_axis(live_board(L, u, who), group, x, y) < 0)
    luaL_error(L, "%s: %s", who, vw_error());
  return 0;
}

static void push_names(lua_State *L, char **names, size_t n) {
  size_t i;
  lua_createtable(L, (int)n, 0);
  for (i = 0; i < n; i++) {
    lua_pushstring(L, names[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static int board_tags(lua_State *L) {
  vw_board *b = live_board(L, board_self(L, "tags"), "Board:tags");
  size_t ns, nh;
  char **s, **h;
  l_checknargs(L, 1, "Board:tags");
  /* Both lists before any push: an allocation may run a finalizer that
   * closes the board. */
  s = vw_board_tags(b, VW_SCALAR, &ns);
  h = vw_board_tags(b, VW_HISTOGRAM, &nh);
  lua_createtable(L, 0, 2);
  push_names(L, s, ns);
  lua_setfield(L, -2, "scalars");
  push_names(L, h, nh);
  lua_setfield(L, -2, "histograms");
  vw_free_names(s, ns);
  vw_free_names(h, nh);
  return 1;
}

static int board_save_png(lua_State *L) {
  const char *who = "Board:save_png", *path;
  l_board *u = board_self(L, "save_png");
  vw_view v;
  l_checknargs(L, 3, who);
  path = luaL_checkstring(L, 2);
  l_checkoptions(L, 3, who, view_keys);
  read_view(L, 3, who, &v);
  if (vw_save_png(live_board(L, u, who), path, &v) < 0)
    luaL_error(L, "%s: %s", who, vw_error());
  return 0;
}

static const char *const csv_keys[] = {"kind", NULL};
static const char *const csv_kinds[] = {"scalars", "histograms", NULL};

/* save_csv(path [, {kind = "scalars" | "histograms"}]) */
static int board_save_csv(lua_State *L) {
  const char *who = "Board:save_csv", *path;
  l_board *u = board_self(L, "save_csv");
  int hist, rc;
  l_checknargs(L, 3, who);
  path = luaL_checkstring(L, 2);
  l_checkoptions(L, 3, who, csv_keys);
  hist = l_optchoice(L, 3, who, "kind", csv_kinds, 0);
  rc = hist ? vw_save_hist_csv(live_board(L, u, who), path)
            : vw_save_csv(live_board(L, u, who), path);
  if (rc < 0) luaL_error(L, "%s: %s", who, vw_error());
  return 0;
}

static int board_save_json(lua_State *L) {
  const char *who = "Board:save_json", *path;
  l_board *u = board_self(L, "save_json");
  l_checknargs(L, 2, who);
  path = luaL_checkstring(L, 2);
  if (vw_save_json(live_board(L, u, who), path) < 0) luaL_error(L, "%s: %s", who, vw_error());
  return 0;
}

static int board_flush(lua_State *L) {
  l_board *u = board_self(L, "flush");
  l_checknargs(L, 1, "Board:flush");
  if (vw_board_log_flush(live_board(L, u, "Board:flush")) < 0)
    luaL_error(L, "Board:flush: %s", vw_error());
  return 0;
}

/* Closes the log (its error, if any, in msg) and drops the reference; an
 * open window keeps its own. Idempotent. */
static int close_board(l_board *u, char *msg, size_t len) {
  int rc = 0;
  if (u->b && vw_board_log_close(u->b) < 0) {
    snprintf(msg, len, "%s", vw_error());
    rc = -1;
  }
  vw_board_release(u->b);
  u->b = NULL;
  return rc;
}

/* close() and __close: a failed log is raised. */
static int board_close(lua_State *L) {
  l_board *u = luaL_checkudata(L, 1, L_BOARD);
  char msg[512];
  if (close_board(u, msg, sizeof msg) < 0) luaL_error(L, "Board:close: %s", msg);
  return 0;
}

static int board_close_method(lua_State *L) {
  board_self(L, "close");
  l_checknargs(L, 1, "Board:close");
  return board_close(L);
}

/* A finalizer cannot raise: a failed log is reported on stderr. */
static int board_gc(lua_State *L) {
  l_board *u = luaL_checkudata(L, 1, L_BOARD);
  char msg[512];
  if (close_board(u, msg, sizeof msg) < 0) {
    fprintf(stderr, "lunet: a board collected unclosed: %s\n", msg);
    fflush(stderr);
  }
  return 0;
}

static int board_tostring(lua_State *L) {
  vw_board *b = ((l_board *)luaL_checkudata(L, 1, L_BOARD))->b;
  size_t ns, nh;
  if (!b) {
    lua_pushliteral(L, "lunet.Board (closed)");
    return 1;
  }
  char **s = vw_board_tags(b, VW_SCALAR, &ns), **h = vw_board_tags(b, VW_HISTOGRAM, &nh);
  vw_free_names(s, ns);
  vw_free_names(h, nh);
  lua_pushfstring(L, "lunet.Board (%d scalar tags, %d histogram tags)", (int)ns, (int)nh);
  return 1;
}

/* ---- lunet.viewer ---- */

/* who is "Viewer:<method>". */
static l_viewer *viewer_self(lua_State *L, const char *who) {
  l_viewer *u = l_checkself(L, L_VIEWER, "viewer expected, got %s; call it as win:%s()",
                            strchr(who, ':') + 1);
  l_checknargs(L, 1, who);
  return u;
}

static void forget(lua_State *L, int arg) {
  lua_getfield(L, LUA_REGISTRYINDEX, OPEN_KEY);
  lua_pushvalue(L, arg);
  lua_pushnil(L);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

static int viewer_show(lua_State *L) {
  const char *who = "lunet.viewer.show", *title;
  l_board *b = luaL_checkudata(L, 1, L_BOARD);
  l_viewer *u;
  vw_view v, d;
  int self;
  l_checknargs(L, 2, who);
  l_checkoptions(L, 2, who, show_keys);
  read_view(L, 2, who, &v);
  vw_view_defaults(&d);
  if (!v.width) v.width = d.width;
  if (!v.height) v.height = d.height;
  title = l_optstring(L, 2, who, "title", NULL);  /* stays on the stack */
  live_board(L, b, who);  /* closed is an error before any display is looked for */
  u = lua_newuserdatauv(L, sizeof *u, 0);
  u->w = NULL;
  luaL_setmetatable(L, L_VIEWER);
  self = lua_gettop(L);
  /* Fetched again: the allocation above may have run a finalizer. */
  u->w = vw_window_open(live_board(L, b, who), &v, title ? title : "lunet");
  if (!u->w) luaL_error(L, "%s: %s", who, vw_error());
  lua_getfield(L, LUA_REGISTRYINDEX, OPEN_KEY);
  lua_pushvalue(L, self);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_settop(L, self);
  return 1;
}

/* close() and __close, which Lua calls with the error object too. */
static void close_window(lua_State *L, l_viewer *u) {
  if (u->w) vw_window_close(u->w);
  forget(L, 1);
}

static int viewer_close(lua_State *L) {
  close_window(L, viewer_self(L, "Viewer:close"));
  return 0;
}

static int viewer_close_meta(lua_State *L) {
  close_window(L, luaL_checkudata(L, 1, L_VIEWER));
  return 0;
}

static int viewer_is_open(lua_State *L) {
  l_viewer *u = viewer_self(L, "Viewer:is_open");
  int open = u->w && vw_window_is_open(u->w);
  if (!open) forget(L, 1);
  lua_pushboolean(L, open);
  return 1;
}

static int viewer_wait(lua_State *L) {
  l_viewer *u = viewer_self(L, "Viewer:wait");
  if (u->w) vw_window_wait(u->w);
  forget(L, 1);
  return 0;
}

static int viewer_frames(lua_State *L) {
  l_viewer *u = viewer_self(L, "Viewer:frames");
  lua_pushinteger(L, u->w ? vw_window_frames(u->w) : 0);
  return 1;
}

static int viewer_gc(lua_State *L) {
  l_viewer *u = luaL_checkudata(L, 1, L_VIEWER);
  vw_window_free(u->w);
  u->w = NULL;
  return 0;
}

static int viewer_tostring(lua_State *L) {
  l_viewer *u = luaL_checkudata(L, 1, L_VIEWER);
  lua_pushstring(L, u->w && vw_window_is_open(u->w) ? "lunet.Viewer (open)"
                                                     : "lunet.Viewer (closed)");
  return 1;
}

static const luaL_Reg board_methods[] = {
  {"scalar", board_scalar}, {"histogram", board_histogram}, {"axis", board_axis},
  {"tags", board_tags}, {"flush", board_flush}, {"close", board_close_method},
  {"save_png", board_save_png}, {"save_csv", board_save_csv}, {"save_json", board_save_json},
  {NULL, NULL}
};
static const luaL_Reg board_meta[] = {
  {"__gc", board_gc}, {"__close", board_close}, {"__tostring", board_tostring}, {NULL, NULL}
};
static const luaL_Reg viewer_methods[] = {
  {"close", viewer_close}, {"is_open", viewer_is_open}, {"wait", viewer_wait},
  {"frames", viewer_frames}, {NULL, NULL}
};
static const luaL_Reg viewer_meta[] = {
  {"__gc", viewer_gc}, {"__close", viewer_close_meta}, {"__tostring", viewer_tostring},
  {NULL, NULL}
};
static const luaL_Reg viewer_funcs[] = {{"show", viewer_show}, {NULL, NULL}};

void l_open_board(lua_State *L) {
  l_newclass(L, L_BOARD, board_meta, board_methods);
  l_newclass(L, L_VIEWER, viewer_meta, viewer_methods);
  luaL_getmetatable(L, L_BOARD);
  lua_getfield(L, -1, "__methods");
  luaL_setfuncs(L, l_watch_methods, 0);
  lua_pop(L, 2);
  l_open_watch(L);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, OPEN_KEY);
  lua_newtable(L);                        /* lunet.Board */
  lua_pushcfunction(L, board_open);
  lua_setfield(L, -2, "open");
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, board_new);
  lua_setfield(L, -2, "__call");
  lua_setmetatable(L, -2);
  lua_setfield(L, -2, "Board");
  luaL_newlib(L, viewer_funcs);
  lua_setfield(L, -2, "viewer");
}
