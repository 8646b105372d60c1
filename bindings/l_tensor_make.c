/* l_tensor_make.c: construction (full, eye, arange, randperm, randint, the
 * _like functions, bernoulli), joining and splitting (cat, stack, split,
 * chunk), item, NumPy files (save_npy, load_npy) and the matrix products
 * (mm, mv, bmm, matmul, dot, outer). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "l_tensor_ops.h"
#include "../core/npy.h"
#include "../core/tensor_linalg.h"
#include "../core/tensor_make.h"

/* lunet.full({2, 3}, v): the sizes first (a table may run Lua). */
static int lunet_full(lua_State *L) {
  l_checknargs(L, 2, "lunet.full");
  luaL_checktype(L, 1, LUA_TTABLE);
  size_t size[LN_MAXDIM];
  float v = (float)luaL_checknumber(L, 2);
  lua_pushvalue(L, 1);
  int n = l_tensor_sizes(L, 3, size, "lunet.full", 0);
  ln_tensor *t = l_newtensor(L);
  if (ln_tensor_init(t, n, size)) l_raise(L, "lunet.full");
  ln_tensor_fill(t, v);
  return 1;
}

static size_t checkcount(lua_State *L, int arg, const char *who, const char *what) {
  lua_Integer n = luaL_checkinteger(L, arg);
  if (n < 1 || (lua_Unsigned)n > LN_MAXNUMEL)
    luaL_error(L, "%s: %s must be 1 to %d, got %I", who, what, (int)LN_MAXNUMEL, n);
  return (size_t)n;
}

static int lunet_eye(lua_State *L) {
  l_checknargs(L, 2, "lunet.eye");
  size_t n = checkcount(L, 1, "lunet.eye", "n");
  size_t m = lua_isnoneornil(L, 2) ? n : checkcount(L, 2, "lunet.eye", "m");
  if (ln_tensor_eye(l_newtensor(L), n, m)) l_raise(L, "lunet.eye");
  return 1;
}

/* lunet.arange(end), (start, end [, step]). */
static int lunet_arange(lua_State *L) {
  l_checknargs(L, 3, "lunet.arange");
  double start = 0, end, step = luaL_optnumber(L, 3, 1);
  if (lua_gettop(L) == 1) {
    end = luaL_checknumber(L, 1);
  } else {
    start = luaL_checknumber(L, 1);
    end = luaL_checknumber(L, 2);
  }
  if (ln_tensor_arange(l_newtensor(L), start, end, step)) l_raise(L, "lunet.arange");
  return 1;
}

static int lunet_randperm(lua_State *L) {
  l_checknargs(L, 1, "lunet.randperm");
  size_t n = checkcount(L, 1, "lunet.randperm", "n");
  if (ln_tensor_randperm(l_newtensor(L), n, 1, ln_rng_default())) l_raise(L, "lunet.randperm");
  return 1;
}

/* lunet.randint([low,] high, sizes): integers in [low, high), as torch. */
static int lunet_randint(lua_State *L) {
  l_checknargs(L, 3, "lunet.randint");
  int sizes = lua_gettop(L);
  if (sizes < 2) return luaL_error(L, "lunet.randint: expected ([low,] high, sizes)");
  lua_Integer lo = 0, hi = luaL_checkinteger(L, sizes - 1);
  if (sizes == 3) lo = luaL_checkinteger(L, 1);
  luaL_checktype(L, sizes, LUA_TTABLE);
  if (lo >= hi) luaL_error(L, "lunet.randint: low %I must be below high %I", lo, hi);
  size_t size[LN_MAXDIM];
  lua_pushvalue(L, sizes);
  int n = l_tensor_sizes(L, lua_gettop(L), size, "lunet.randint", 0);
  ln_tensor *t = l_newtensor(L);
  if (ln_tensor_init(t, n, size)) l_raise(L, "lunet.randint");
  ln_tensor_randint(t, lo, hi, ln_rng_default());
  return 1;
}

/* zeros_like and friends: a new contiguous tensor of t's shape. */
static ln_tensor *like(lua_State *L, const char *who) {
  l_checknargs(L, 1, who);
  ln_tensor *t = l_checktensor(L, 1), *out = l_tensor_result(L, t, 1);
  if (ln_tensor_init(out, t->ndim, t->size)) l_raise(L, who);
  return out;
}

static int lunet_zeros_like(lua_State *L) {
  like(L, "lunet.zeros_like");
  return 1;
}

static int lunet_ones_like(lua_State *L) {
  ln_tensor_fill(like(L, "lunet.ones_like"), 1);
  return 1;
}

static int lunet_rand_like(lua_State *L) {
  ln_tensor_rand(like(L, "lunet.rand_like"), ln_rng_default(), 0, 1);
  return 1;
}

static int lunet_randn_like(lua_State *L) {
  ln_tensor_randn(like(L, "lunet.randn_like"), ln_rng_default(), 0, 1);
  return 1;
}

/* t:uniform_([a [, b]]) and t:normal_([mean [, std]]): t filled in place
 * with the draws lunet.rand and lunet.randn make, in the same order (t's
 * elements in row-major order of their indices, whatever the strides):
 * a + (b - a) * u for uniform draws u in [0, 1), mean + std * z for
 * standard normal draws z. */
static int drawn(lua_State *L, const char *method, int normal) {
  char who[48];
  snprintf(who, sizeof who, "Tensor:%s", method);
  ln_tensor *t = l_tensor_self(L, method);
  l_checknargs(L, 3, who);
  double a = luaL_optnumber(L, 2, 0), b = luaL_optnumber(L, 3, 1);
  if (normal && !(isfinite(a) && isfinite(b) && b >= 0))
    luaL_error(L, "%s: expects a finite mean and a finite std >= 0, got mean %f std %f", who,
               l_msgnum(a), l_msgnum(b));
  if (!normal && !(isfinite(a) && isfinite(b) && a <= b))
    luaL_error(L, "%s: expects a finite range a <= b, got [%f, %f)", who, l_msgnum(a),
               l_msgnum(b));
  if (ln_tensor_check_writable(who, t)) l_raise(L, who);
  if (normal) ln_tensor_randn(t, ln_rng_default(), a, b);
  else ln_tensor_rand(t, ln_rng_default(), a, b);
  lua_settop(L, 1);
  return 1;
}

static int tensor_uniform_(lua_State *L) { return drawn(L, "uniform_", 0); }
static int tensor_normal_(lua_State *L) { return drawn(L, "normal_", 1); }

/* lunet.bernoulli(p) and t:bernoulli([p]): 0/1 with probability p, the
 * elements of the tensor, or the number p in the tensor's shape. */
static int bernoulli(lua_State *L, const char *who) {
  l_checknargs(L, 2, who);
  ln_tensor *t = l_checktensor(L, 1);
  if (lua_isnoneornil(L, 2)) {
    if (ln_tensor_bernoulli(l_tensor_result(L, t, 1), t, ln_rng_default())) l_raise(L, who);
    return 1;
  }
  double p = luaL_checknumber(L, 2);
  if (!(p >= 0 && p <= 1)) luaL_error(L, "%s: probability %f is not in [0, 1]", who,
                                      l_msgnum(p));
  ln_tensor *out = l_tensor_result(L, t, 1);
  if (ln_tensor_init(out, t->ndim, t->size)) l_raise(L, who);
  ln_tensor_fill(out, (float)p);
  if (ln_tensor_bernoulli(out, out, ln_rng_default())) l_raise(L, who);
  return 1;
}

static int lunet_bernoulli(lua_State *L) {
  l_checknargs(L, 1, "lunet.bernoulli");
  return bernoulli(L, "lunet.bernoulli");
}

static int tensor_bernoulli(lua_State *L) {
  l_tensor_self(L, "bernoulli");
  return bernoulli(L, "Tensor:bernoulli");
}

/* lunet.cat({t, u}, dim) and stack: the list is read onto the stack first
 * (its metamethods may run Lua), then every tensor is checked open. */
static int join(lua_State *L, const char *who, int stack) {
  l_checknargs(L, 2, who);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);  /* the tensors go at 3.. */
  lua_Integer n = luaL_len(L, 1);
  if (n < 1 || n > 100000) luaL_error(L, "%s: expected 1 to 100000 tensors, got %I", who, n);
  luaL_checkstack(L, (int)n + 4, who);
  for (lua_Integer i = 1; i <= n; i++) lua_geti(L, 1, i);
  const ln_tensor **ts = lua_newuserdatauv(L, (size_t)n * sizeof *ts, 0);
  for (int i = 0; i < (int)n; i++) {
    ts[i] = l_testtensor(L, 3 + i);
    if (!ts[i] || !ts[i]->st)
      luaL_error(L, "%s: element %d of the list is %s, not an open tensor", who, i + 1,
                 ts[i] ? "a freed tensor" : luaL_typename(L, 3 + i));
  }
  int dim = lua_isnoneornil(L, 2) ? 0 : l_tensor_checkdim(L, 2, ts[0]->ndim, stack, who);
  ln_tensor *out = l_newtensor(L);
  for (int i = 0; i < (int)n; i++)
    if (!ts[i]->st) luaL_error(L, "%s: tensor %d has been freed", who, i + 1);
  int rc = stack ? ln_tensor_stack(who, out, ts, (int)n, dim)
                 : ln_tensor_cat(who, out, ts, (int)n, dim);
  if (rc) l_raise(L, who);
  return 1;
}

static int lunet_cat(lua_State *L) { return join(L, "lunet.cat", 0); }
static int lunet_stack(lua_State *L) { return join(L, "lunet.stack", 1); }

/* t:split(size [, dim]) / t:split({s1, s2, ...} [, dim]) and t:chunk(n
 * [, dim]): a table of views, as torch.split and torch.chunk. */
static int pieces(lua_State *L, const char *method, int chunk) {
  char who[48];
  snprintf(who, sizeof who, "Tensor:%s", method);
  ln_tensor *t = l_tensor_self(L, method);
  l_checknargs(L, 3, who);
  lua_settop(L, 3);  /* the sizes' buffer goes at 4 */
  int list = !chunk && lua_type(L, 2) == LUA_TTABLE;
  lua_Integer k = 0, count = 0;
  size_t *sizes = NULL, total = 0;
  if (list) {
    count = luaL_len(L, 2);
    if (count < 1 || (lua_Unsigned)count > LN_MAXNUMEL)
      luaL_error(L, "%s: expected a list of sizes, got %I of them", who, count);
    sizes = lua_newuserdatauv(L, (size_t)count * sizeof *sizes, 0);
    for (lua_Integer i = 1; i <= count; i++) {
      lua_geti(L, 2, i);
      int ok;
      lua_Integer s = lua_tointegerx(L, -1, &ok);
      lua_pop(L, 1);
      if (!ok || s < 1) luaL_error(L, "%s: size %I must be a positive integer", who, i);
      sizes[i - 1] = (size_t)s;
      total += (size_t)s;
    }
  } else {
    k = luaL_checkinteger(L, 2);
    if (k < 1)
      luaL_error(L, "%s: %s must be positive, got %I", who,
                 chunk ? "the number of chunks" : "the size", k);
  }
  int dim = lua_isnoneornil(L, 3) ? 0 : l_tensor_checkdim(L, 3, t->ndim, 0, who);
  t = l_tensor_live(L, t, 1);
  size_t n = t->size[dim];
  if (list && total != n)
    luaL_error(L, "%s: the sizes add up to %I, dimension %d has %I", who, (lua_Integer)total,
               dim + 1, (lua_Integer)n);
  /* chunk: pieces of ceil(n / k), so there may be fewer than k of them. */
  size_t each = (lua_Unsigned)k >= n ? n : chunk ? (n + (size_t)k - 1) / (size_t)k : (size_t)k;
  if (!list) count = (lua_Integer)((n + each - 1) / each);
  lua_createtable(L, count < 1 << 20 ? (int)count : 1 << 20, 0);
  size_t at = 0;
  for (lua_Integer i = 0; i < count; i++) {
    size_t len = list ? sizes[i] : n - at < each ? n - at : each;
    ln_tensor *v = l_tensor_result(L, t, 1);
    if (ln_tensor_narrow_dim(v, t, dim, at, len)) l_raise(L, who);
    lua_rawseti(L, -2, i + 1);
    at += len;
  }
  return 1;
}

static int tensor_split(lua_State *L) { return pieces(L, "split", 0); }
static int tensor_chunk(lua_State *L) { return pieces(L, "chunk", 1); }

static int tensor_item(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "item");
  l_checknargs(L, 1, "Tensor:item");
  if (ln_numel(t) != 1) {
    char s[96];
    return luaL_error(L, "Tensor:item: the tensor has %I elements (%s), not one",
                      (lua_Integer)ln_numel(t), ln_shape_str(t, s, sizeof s));
  }
  l_pushnumber(L, *ln_data(t));
  return 1;
}

static int lunet_save_npy(lua_State *L) {
  l_checknargs(L, 2, "lunet.save_npy");
  const char *path = luaL_checkstring(L, 1);
  if (ln_npy_save(path, l_checktensor(L, 2))) l_raise(L, "lunet.save_npy");
  return 0;
}

static int lunet_load_npy(lua_State *L) {
  l_checknargs(L, 1, "lunet.load_npy");
  const char *path = luaL_checkstring(L, 1);
  if (ln_npy_load(l_newtensor(L), path)) l_raise(L, "lunet.load_npy");
  return 1;
}

/* ---- matrix products: lunet.mm(a, b) and a:mm(b) are one function ---- */

static int product(lua_State *L, const char *who,
                   int (*f)(ln_tensor *, const ln_tensor *, const ln_tensor *)) {
  l_checknargs(L, 2, who);
  ln_tensor *a = l_checktensor(L, 1), *b = l_checktensor(L, 2);
  ln_tensor *out = l_newtensor(L);
  a = l_tensor_live(L, a, 1);
  b = l_tensor_live(L, b, 2);
  if (f(out, a, b)) l_raise(L, who);
  /* matmul of two vectors is their dot product: a number, as torch's 0-D. */
  l_ops_result(L, f == ln_tensor_matmul && a->ndim == 1 && b->ndim == 1);
  return 1;
}

static int lunet_mm(lua_State *L) { return product(L, "lunet.mm", ln_tensor_mm); }
static int lunet_mv(lua_State *L) { return product(L, "lunet.mv", ln_tensor_mv); }
static int lunet_bmm(lua_State *L) { return product(L, "lunet.bmm", ln_tensor_bmm); }
static int lunet_matmul(lua_State *L) { return product(L, "lunet.matmul", ln_tensor_matmul); }
static int lunet_outer(lua_State *L) { return product(L, "lunet.outer", ln_tensor_outer); }
static int tensor_mm(lua_State *L) { return product(L, "Tensor:mm", ln_tensor_mm); }
static int tensor_mv(lua_State *L) { return product(L, "Tensor:mv", ln_tensor_mv); }
static int tensor_bmm(lua_State *L) { return product(L, "Tensor:bmm", ln_tensor_bmm); }
static int tensor_matmul(lua_State *L) { return product(L, "Tensor:matmul", ln_tensor_matmul); }
static int tensor_outer(lua_State *L) { return product(L, "Tensor:outer", ln_tensor_outer); }

static int dot(lua_State *L, const char *who) {
  l_checknargs(L, 2, who);
  double d;
  if (ln_tensor_dot(&d, l_checktensor(L, 1), l_checktensor(L, 2))) l_raise(L, who);
  l_pushnumber(L, d);
  return 1;
}

static int lunet_dot(lua_State *L) { return dot(L, "lunet.dot"); }
static int tensor_dot(lua_State *L) { return dot(L, "Tensor:dot"); }

static const luaL_Reg functions[] = {
  {"full", lunet_full}, {"eye", lunet_eye}, {"arange", lunet_arange},
  {"randperm", lunet_randperm}, {"randint", lunet_randint}, {"zeros_like", lunet_zeros_like},
  {"ones_like", lunet_ones_like}, {"rand_like", lunet_rand_like},
  {"randn_like", lunet_randn_like}, {"bernoulli", lunet_bernoulli}, {"cat", lunet_cat},
  {"stack", lunet_stack}, {"save_npy", lunet_save_npy}, {"load_npy", lunet_load_npy},
  {"mm", lunet_mm}, {"mv", lunet_mv}, {"bmm", lunet_bmm}, {"matmul", lunet_matmul},
  {"dot", lunet_dot}, {"outer", lunet_outer},
  {NULL, NULL}
};

static const luaL_Reg methods[] = {
  {"bernoulli", tensor_bernoulli}, {"uniform_", tensor_uniform_},
  {"normal_", tensor_normal_}, {"split", tensor_split}, {"chunk", tensor_chunk},
  {"item", tensor_item}, {"mm", tensor_mm}, {"mv", tensor_mv}, {"bmm", tensor_bmm},
  {"matmul", tensor_matmul}, {"dot", tensor_dot}, {"outer", tensor_outer},
  {NULL, NULL}
};

void l_open_tensor_make(lua_State *L) {
  luaL_setfuncs(L, functions, 0);
  l_ops_addmethods(L, methods);
}
