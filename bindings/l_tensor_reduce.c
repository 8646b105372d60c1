/* l_tensor_reduce.c: reductions (t:sum(2, true), t:max(1), ...), cumsum,
 * sort, topk, and indexing by index tensors (index_select, gather,
 * scatter_, scatter_add_, index_add_), as Tensor methods.
 *
 * Without a dimension a reduction gives a number; along a dimension, a
 * tensor, or a number for a 1-D tensor without keepdim (there are no 0-D
 * tensors). Indices returned and accepted are 1-based. */
#include <stdio.h>
#include <string.h>

#include "l_tensor_ops.h"
#include "../core/tensor_reduce.h"

int l_ops_optdim(lua_State *L, int arg, int ndim, const char *who, int *dim) {
  if (lua_isnoneornil(L, arg)) return 0;
  if (l_testtensor(L, arg))
    luaL_error(L, "%s: expected a dimension, got a tensor (lunet.maximum and lunet.minimum"
               " compare two tensors)", who);
  *dim = l_tensor_checkdim(L, arg, ndim, 0, who);
  return 1;
}

int l_ops_optbool(lua_State *L, int arg, const char *who, const char *what, int def) {
  if (lua_isnoneornil(L, arg)) return def;
  if (!lua_isboolean(L, arg))
    luaL_error(L, "%s: %s must be a boolean, got %s", who, what, luaL_typename(L, arg));
  return lua_toboolean(L, arg);
}

void l_ops_addmethods(lua_State *L, const luaL_Reg *methods) {
  luaL_getmetatable(L, L_TENSOR);
  lua_getfield(L, -1, "__methods");
  luaL_setfuncs(L, methods, 0);
  lua_pop(L, 2);
}

void l_ops_result(lua_State *L, int as_number) {
  if (!as_number) return;
  float v = *ln_data(lua_touserdata(L, -1));
  lua_pop(L, 1);
  l_pushnumber(L, v);
}

/* Core 0-based indices to Lua's 1-based ones, in place. */
static void one_based(ln_tensor *idx) {
  float *p = ln_data(idx);
  size_t n = ln_numel(idx);
  for (size_t i = 0; i < n; i++) p[i] += 1;
}

static void method_name(char *who, size_t n, const char *method) {
  snprintf(who, n, "Tensor:%s", method);
}

enum { VALUE = 1, INDEX = 2 };  /* what a reduction returns */

/* t:op([dim [, keepdim]]); norm takes p first, var and std an options
 * table last. */
static int reduce(lua_State *L, const char *method, ln_reduce_op op, int want) {
  char who[48];
  method_name(who, sizeof who, method);
  ln_tensor *t = l_tensor_self(L, method);
  int first = 2, nargs = lua_gettop(L);
  double p = 0;
  if (op == LN_R_NORM) {
    p = 2;
    if (!lua_isnoneornil(L, 2)) {
      int ok;
      p = lua_tonumberx(L, 2, &ok);
      if (!ok) luaL_error(L, "%s: p must be a number, got %s", who, luaL_typename(L, 2));
    }
    first = 3;
  }
  if ((op == LN_R_VAR || op == LN_R_STD) && nargs >= 2 && lua_type(L, nargs) == LUA_TTABLE) {
    static const char *const known[] = {"unbiased", NULL};
    l_checkoptions(L, nargs, who, known);
    lua_getfield(L, nargs, "unbiased");
    p = l_ops_optbool(L, -1, who, "option 'unbiased'", 1);
    lua_settop(L, --nargs);
  } else if (op == LN_R_VAR || op == LN_R_STD) {
    p = 1;
  }
  l_checknargs(L, first + 1, who);
  int dim = 0, has = l_ops_optdim(L, first, t->ndim, who, &dim);
  int keepdim = l_ops_optbool(L, first + 1, who, "keepdim", 0);
  if (!has && nargs >= first + 1)
    luaL_error(L, "%s: keepdim needs a dimension", who);
  t = l_tensor_live(L, t, 1);
  if (!has || (t->ndim == 1 && !keepdim)) {
    double v;
    size_t i;
    /* Without a dimension, max and min are the value alone. */
    if (!has && want == (VALUE | INDEX)) want = VALUE;
    if (ln_tensor_reduce_all(t, op, p, &v, want & INDEX ? &i : NULL)) l_raise(L, who);
    if (want & VALUE) l_pushnumber(L, v);
    if (want & INDEX) lua_pushinteger(L, (lua_Integer)i + 1);
    return want == (VALUE | INDEX) ? 2 : 1;
  }
  ln_tensor *out = l_tensor_result(L, t, 1);
  ln_tensor *idx = want & INDEX ? l_tensor_result(L, t, 1) : NULL;
  if (ln_tensor_reduce_dim(out, idx, t, dim, keepdim, op, p)) l_raise(L, who);
  if (idx) one_based(idx);
  if (want == INDEX) lua_remove(L, -2);
  return want == (VALUE | INDEX) ? 2 : 1;
}

static int tensor_sum(lua_State *L) { return reduce(L, "sum", LN_R_SUM, VALUE); }
static int tensor_mean(lua_State *L) { return reduce(L, "mean", LN_R_MEAN, VALUE); }
static int tensor_prod(lua_State *L) { return reduce(L, "prod", LN_R_PROD, VALUE); }
static int tensor_var(lua_State *L) { return reduce(L, "var", LN_R_VAR, VALUE); }
static int tensor_std(lua_State *L) { return reduce(L, "std", LN_R_STD, VALUE); }
static int tensor_norm(lua_State *L) { return reduce(L, "norm", LN_R_NORM, VALUE); }
static int tensor_logsumexp(lua_State *L) {
  return reduce(L, "logsumexp", LN_R_LOGSUMEXP, VALUE);
}
static int tensor_max(lua_State *L) { return reduce(L, "max", LN_R_MAX, VALUE | INDEX); }
static int tensor_min(lua_State *L) { return reduce(L, "min", LN_R_MIN, VALUE | INDEX); }
static int tensor_argmax(lua_State *L) { return reduce(L, "argmax", LN_R_MAX, INDEX); }
static int tensor_argmin(lua_State *L) { return reduce(L, "argmin", LN_R_MIN, INDEX); }

static int tensor_cumsum(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "cumsum");
  l_checknargs(L, 2, "Tensor:cumsum");
  int dim = l_tensor_checkdim(L, 2, t->ndim, 0, "Tensor:cumsum");
  if (ln_tensor_cumsum(l_tensor_result(L, t, 1), t, dim)) l_raise(L, "Tensor:cumsum");
  return 1;
}

/* sort and topk: values and 1-based indices. */
static int sorted(lua_State *L, ln_tensor *t, int dim, size_t k, int desc, int topk) {
  ln_tensor *vals = l_tensor_result(L, t, 1), *idx = l_tensor_result(L, t, 1);
  int rc = topk ? ln_tensor_topk(vals, idx, t, k, dim, desc)
                : ln_tensor_sort(vals, idx, t, dim, desc);
  if (rc) l_raise(L, topk ? "Tensor:topk" : "Tensor:sort");
  one_based(idx);
  return 2;
}

static int tensor_sort(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "sort");
  l_checknargs(L, 3, "Tensor:sort");
  int dim = t->ndim - 1;
  l_ops_optdim(L, 2, t->ndim, "Tensor:sort", &dim);
  int desc = l_ops_optbool(L, 3, "Tensor:sort", "descending", 0);
  return sorted(L, t, dim, 0, desc, 0);
}

/* t:topk(k [, dim [, largest [, sorted]]]): the result is always sorted,
 * which sorted = false allows. */
static int tensor_topk(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "topk");
  l_checknargs(L, 5, "Tensor:topk");
  lua_Integer k = luaL_checkinteger(L, 2);
  int dim = t->ndim - 1;
  l_ops_optdim(L, 3, t->ndim, "Tensor:topk", &dim);
  int largest = l_ops_optbool(L, 4, "Tensor:topk", "largest", 1);
  l_ops_optbool(L, 5, "Tensor:topk", "sorted", 1);
  if (k < 1 || (size_t)k > t->size[dim])
    return luaL_error(L, "Tensor:topk: k = %I out of range (1..%I)", k,
                      (lua_Integer)t->size[dim]);
  return sorted(L, t, dim, (size_t)k, largest, 1);
}

/* ---- indexing by index tensors ---- */

/* t:f(dim, idx [, src]): arguments converted, then the tensors fetched. */
static ln_tensor *index_args(lua_State *L, const char *method, int nargs, int *dim,
                             ln_tensor **idx, char *who) {
  method_name(who, 48, method);
  ln_tensor *t = l_tensor_self(L, method);
  l_checknargs(L, nargs, who);
  *dim = l_tensor_checkdim(L, 2, t->ndim, 0, who);
  *idx = l_checktensor(L, 3);
  return t;
}

/* index_select and gather: a new tensor from t and the index tensor. */
static int selected(lua_State *L, const char *method,
                    int (*f)(const char *, int, ln_tensor *, const ln_tensor *, int,
                             const ln_tensor *)) {
  char who[48];
  int dim;
  ln_tensor *idx, *t = index_args(L, method, 3, &dim, &idx, who);
  ln_tensor *out = l_tensor_result(L, t, 1);
  if (f(who, 1, out, t, dim, l_tensor_live(L, idx, 3))) l_raise(L, who);
  return 1;
}

static int tensor_index_select(lua_State *L) {
  return selected(L, "index_select", ln_tensor_index_select);
}
static int tensor_gather(lua_State *L) { return selected(L, "gather", ln_tensor_gather); }

/* scatter_ and scatter_add_: src a tensor or a number. */
static int scatter(lua_State *L, const char *method, int add) {
  char who[48];
  int dim, ok;
  ln_tensor *idx, *t = index_args(L, method, 4, &dim, &idx, who), *src = l_testtensor(L, 4);
  float v = 0;
  if (src) src = l_checktensor(L, 4);
  else v = (float)lua_tonumberx(L, 4, &ok);
  if (!src && !ok) luaL_argexpected(L, 0, 4, "tensor or number");
  if (ln_tensor_scatter(who, 1, t, dim, idx, src, v, add)) l_raise(L, who);
  lua_settop(L, 1);
  return 1;
}

static int tensor_scatter_(lua_State *L) { return scatter(L, "scatter_", 0); }
static int tensor_scatter_add_(lua_State *L) { return scatter(L, "scatter_add_", 1); }

static int tensor_index_add_(lua_State *L) {
  char who[48];
  int dim;
  ln_tensor *idx, *t = index_args(L, "index_add_", 4, &dim, &idx, who);
  if (ln_tensor_index_add(who, 1, t, dim, idx, l_checktensor(L, 4))) l_raise(L, who);
  lua_settop(L, 1);
  return 1;
}

static const luaL_Reg methods[] = {
  {"sum", tensor_sum}, {"mean", tensor_mean}, {"prod", tensor_prod}, {"var", tensor_var},
  {"std", tensor_std}, {"norm", tensor_norm}, {"logsumexp", tensor_logsumexp},
  {"max", tensor_max}, {"min", tensor_min}, {"argmax", tensor_argmax},
  {"argmin", tensor_argmin}, {"cumsum", tensor_cumsum}, {"sort", tensor_sort},
  {"topk", tensor_topk}, {"index_select", tensor_index_select}, {"gather", tensor_gather},
  {"scatter_", tensor_scatter_}, {"scatter_add_", tensor_scatter_add_},
  {"index_add_", tensor_index_add_},
  {NULL, NULL}
};

void l_open_tensor_ops(lua_State *L) {
  l_ops_addmethods(L, methods);
  l_open_tensor_make(L);
}
