/* l_dist.c: lunet.dist, data-parallel training over MPI (core/dist.h).
 *
 *   lunet.dist.init(); lunet.dist.rank(); lunet.dist.size()
 *   lunet.dist.all_reduce(t, "sum" | "mean" | "max" | "min")
 *   lunet.dist.broadcast(t, 1); lunet.dist.all_gather(t); lunet.dist.barrier()
 *   local ddp = lunet.dist.DataParallel(net)
 *
 * Ranks are 1-based, as everything in lunet. Every function starts the job
 * on first use (init only makes it explicit); a process not started by
 * mpirun is rank 1 of 1. The collectives work in place on any tensor: a
 * strided one goes through a contiguous copy. MPI is finalized when the
 * Lua state closes; the executable ends the job with MPI_Abort instead when
 * the script failed (bindings/main.c), so no rank waits for a dead one. */
#include "l_module.h"
#include "../core/dataparallel.h"
#include "../core/dist.h"

static void start(lua_State *L, const char *who) {
  if (ln_dist_init()) l_raise(L, who);
}

static int dist_init(lua_State *L) {
  l_checknargs(L, 0, "lunet.dist.init");
  start(L, "lunet.dist.init");
  return 0;
}

static int dist_rank(lua_State *L) {
  l_checknargs(L, 0, "lunet.dist.rank");
  start(L, "lunet.dist.rank");
  lua_pushinteger(L, ln_dist_rank() + 1);
  return 1;
}

static int dist_size(lua_State *L) {
  l_checknargs(L, 0, "lunet.dist.size");
  start(L, "lunet.dist.size");
  lua_pushinteger(L, ln_dist_size());
  return 1;
}

static int dist_barrier(lua_State *L) {
  l_checknargs(L, 0, "lunet.dist.barrier");
  if (ln_dist_barrier()) l_raise(L, "lunet.dist.barrier");
  return 0;
}

static int dist_comm_time(lua_State *L) {
  l_checknargs(L, 0, "lunet.dist.comm_time");
  lua_pushnumber(L, ln_dist_seconds());
  lua_pushnumber(L, ln_dist_cpu_seconds());
  return 2;
}

/* The tensor at argument 1, open and not empty. */
static ln_tensor *checkbuf(lua_State *L, const char *who) {
  ln_tensor *t = l_checktensor(L, 1);
  if (!t->st) luaL_argerror(L, 1, lua_pushfstring(L, "%s: the tensor is empty", who));
  return t;
}

/* Runs op (0: all_reduce with rop, 1: broadcast from root) on t in place,
 * through a contiguous copy when t is strided. */
static int inplace(lua_State *L, ln_tensor *t, int kind, ln_dist_op rop, int root,
                   const char *who) {
  ln_tensor c = LN_TENSOR_EMPTY;
  if (ln_tensor_contiguous(&c, t)) l_raise(L, who);
  int rc = kind == 0 ? ln_dist_all_reduce(ln_data(&c), ln_numel(&c), rop)
                     : ln_dist_broadcast(ln_data(&c), ln_numel(&c), root);
  if (!rc && c.st != t->st) rc = ln_tensor_copy(t, &c);
  ln_tensor_free(&c);
  if (rc) l_raise(L, who);
  return 1;
}

/* all_reduce(t [, op]): t SETS the op ("sum" by default) over the ranks. */
static int dist_all_reduce(lua_State *L) {
  static const char *const ops[] = {"sum", "mean", "max", "min", NULL};
  static const ln_dist_op code[] = {LN_DIST_SUM, LN_DIST_MEAN, LN_DIST_MAX, LN_DIST_MIN};
  const char *who = "lunet.dist.all_reduce";
  l_checknargs(L, 2, who);
  int op = luaL_checkoption(L, 2, "sum", ops);
  ln_tensor *t = checkbuf(L, who);
  lua_settop(L, 1);
  return inplace(L, t, 0, code[op], 0, who);
}

/* broadcast(t [, root]): t SETS rank root's t (root 1 by default). */
static int dist_broadcast(lua_State *L) {
  const char *who = "lunet.dist.broadcast";
  l_checknargs(L, 2, who);
  lua_Integer root = luaL_optinteger(L, 2, 1);
  ln_tensor *t = checkbuf(L, who);
  start(L, who);
  if (root < 1 || root > ln_dist_size())
    return luaL_argerror(L, 2, lua_pushfstring(L, "root must be a rank in 1..%d, got %I",
                                               ln_dist_size(), root));
  lua_settop(L, 1);
  return inplace(L, t, 1, LN_DIST_SUM, (int)root - 1, who);
}

/* all_gather(t): a new tensor (size, t's shape...) of every rank's t. */
static int dist_all_gather(lua_State *L) {
  const char *who = "lunet.dist.all_gather";
  l_checknargs(L, 1, who);
  ln_tensor *t = checkbuf(L, who);
  start(L, who);
  if (t->ndim >= LN_MAXDIM)
    return luaL_argerror(L, 1, lua_pushfstring(L, "%s: a tensor of %d dimensions has no room "
                                               "for the ranks' one", who, t->ndim));
  size_t size[LN_MAXDIM];
  size[0] = (size_t)ln_dist_size();
  for (int i = 0; i < t->ndim; i++) size[i + 1] = t->size[i];
  ln_tensor *out = l_newtensor(L);
  t = l_checktensor(L, 1);  /* the new userdata may have run a finalizer */
  if (!t->st) return luaL_error(L, "%s: the tensor was freed", who);
  ln_tensor c = LN_TENSOR_EMPTY;
  int rc = ln_check_shape(who, t->ndim + 1, size) || ln_tensor_init(out, t->ndim + 1, size) ||
           ln_tensor_contiguous(&c, t) ||
           ln_dist_all_gather(ln_data(out), ln_data(&c), ln_numel(&c));
  ln_tensor_free(&c);
  if (rc) l_raise(L, who);
  return 1;
}

/* DataParallel(net): net wrapped, its weights and buffers rank 1's. */
static int dist_data_parallel(lua_State *L) {
  const char *who = "lunet.dist.DataParallel";
  l_checknargs(L, 1, who);
  l_checkmodule(L, 1);
  l_newmodule(L);
  ln_module *net = l_checkmodule(L, 1);  /* again: l_newmodule may run a finalizer */
  return l_setmodule(L, ln_dataparallel_new(net), who);
}

/* The state's finalizer: MPI ends with the Lua state that used it. */
static int dist_gc(lua_State *L) {
  (void)L;
  ln_dist_finalize();
  return 0;
}

static const luaL_Reg dist_functions[] = {
  {"init", dist_init},
  {"rank", dist_rank},
  {"size", dist_size},
  {"barrier", dist_barrier},
  {"all_reduce", dist_all_reduce},
  {"broadcast", dist_broadcast},
  {"all_gather", dist_all_gather},
  {"comm_time", dist_comm_time},
  {"DataParallel", dist_data_parallel},
  {NULL, NULL}
};

void l_open_dist(lua_State *L) {
  luaL_newlib(L, dist_functions);
  lua_setfield(L, -2, "dist");
  /* A userdata of the registry, collected when the state closes. */
  lua_newuserdatauv(L, 1, 0);
  lua_newtable(L);
  lua_pushcfunction(L, dist_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, "lunet.dist.finalizer");
}
