/* l_tensor.c: the Tensor userdata, tensor constructors, element access,
 * copies, reductions over all elements and manual_seed. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "l_tensor.h"

ln_tensor *l_testtensor(lua_State *L, int arg) { return luaL_testudata(L, arg, L_TENSOR); }

ln_tensor *l_checktensor(lua_State *L, int arg) {
  ln_tensor *t = luaL_checkudata(L, arg, L_TENSOR);
  if (!t->st) luaL_argerror(L, arg, "tensor has been freed");
  return t;
}

/* Lua's collector sees a tensor as its small header, not its storage, and
 * would let garbage tensors pile up (a loop of t * 2 on 1e6 elements ran
 * 15x slower from fresh pages). Storage allocated since the last call is
 * charged to it as if Lua had allocated it, one step per 1 MiB. */
static void charge_storage(lua_State *L) {
  static size_t charged;
  size_t now = ln_tensor_bytes_allocated();
  if (now - charged < ((size_t)1 << 20)) return;
  size_t kb = (now - charged) >> 10;
  charged = now;
  lua_gc(L, LUA_GCSTEP, kb > INT_MAX ? INT_MAX : (int)kb);
}

ln_tensor *l_newtensor(lua_State *L) {
  charge_storage(L);
  ln_tensor *t = lua_newuserdatauv(L, sizeof *t, 0);
  memset(t, 0, sizeof *t);
  luaL_setmetatable(L, L_TENSOR);
  return t;
}

void l_pushview(lua_State *L, const ln_tensor *src) { ln_tensor_share(l_newtensor(L), src); }

static int same_view(const ln_tensor *a, const ln_tensor *b) {
  return a->st == b->st && a->off == b->off && a->ndim == b->ndim &&
         !memcmp(a->size, b->size, sizeof a->size) && !memcmp(a->stride, b->stride, sizeof a->stride);
}

int l_pushcached(lua_State *L, int owner, const ln_tensor *src) {
  if (lua_getiuservalue(L, owner, 1) != LUA_TTABLE) {
    lua_pop(L, 1);
    return 0;
  }
  if (lua_rawgetp(L, -1, src) == LUA_TUSERDATA && same_view(lua_touserdata(L, -1), src)) {
    lua_remove(L, -2);
    return 1;
  }
  lua_pop(L, 2);
  return 0;
}

void l_cacheview(lua_State *L, int owner, const ln_tensor *src) { l_keep(L, owner, src); }

void l_keep(lua_State *L, int owner, const void *key) {
  owner = lua_absindex(L, owner);
  if (lua_getiuservalue(L, owner, 1) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, owner, 1);
  }
  lua_pushvalue(L, -2);
  lua_rawsetp(L, -2, key);
  lua_pop(L, 1);
}

void l_pushowned(lua_State *L, int owner, const ln_tensor *src) {
  owner = lua_absindex(L, owner);
  if (l_pushcached(L, owner, src)) return;
  l_pushview(L, src);
  l_cacheview(L, owner, src);
}

/* Whether the core's prefix p (n chars) names who or a part of it: its
 * start ("Linear" in "Linear:forward"), its end ("SGD" in
 * "lunet.optim.SGD", "view" in "Tensor:view", "init.normal" in
 * "lunet.init.normal") or the start of its method's name before a '_'
 * ("view" in "Tensor:view_as"). */
static int names_who(const char *who, const char *p, size_t n) {
  size_t len = strlen(who);
  if (n == 0 || n > len) return 0;
  if (strncmp(who, p, n) == 0 && (who[n] == '\0' || who[n] == ':' || who[n] == '.')) return 1;
  const char *m = strrchr(who, ':');
  if (m && strncmp(m + 1, p, n) == 0 && m[1 + n] == '_') return 1;
  return n < len && strncmp(who + len - n, p, n) == 0 && strchr(".:", who[len - n - 1]);
}

int l_raise(lua_State *L, const char *who) {
  /* The core names its function too ("Linear: ..."); keep one prefix. */
  const char *msg = ln_error(), *colon = strstr(msg, ": ");
  if (colon && names_who(who, msg, (size_t)(colon - msg))) msg = colon + 2;
  return luaL_error(L, "%s: %s", who, msg);
}

int l_tensor_sizes(lua_State *L, int first, size_t *size, const char *who, int keep) {
  int n, fromtable = lua_type(L, first) == LUA_TTABLE;
  if (fromtable) l_checknargs(L, first, who);
  n = fromtable ? (int)luaL_len(L, first) : lua_gettop(L) - first + 1;
  if (n < 1 || n > LN_MAXDIM)
    luaL_error(L, "%s: expected 1 to %d sizes, got %d", who, LN_MAXDIM, n);
  for (int i = 0; i < n; i++) {
    lua_Integer v;
    if (fromtable) {
      lua_geti(L, first, i + 1);
      int ok;
      v = lua_tointegerx(L, -1, &ok);
      lua_pop(L, 1);
      if (!ok) luaL_error(L, "%s: size %d is not an integer", who, i + 1);
    } else {
      v = luaL_checkinteger(L, first + i);
    }
    if (keep && v == -1) v = 0;
    else if (v <= 0) luaL_error(L, "%s: size %d must be positive, got %I", who, i + 1, v);
    size[i] = (size_t)v;
  }
  return n;
}

static ln_tensor *newsized(lua_State *L, int first, const char *who) {
  size_t size[LN_MAXDIM];
  int n = l_tensor_sizes(L, first, size, who, 0);
  ln_tensor *t = l_newtensor(L);
  if (ln_check_shape(who, n, size) || ln_tensor_init(t, n, size)) l_raise(L, who);
  return t;
}

static int lunet_zeros(lua_State *L) {
  newsized(L, 1, "lunet.zeros");
  return 1;
}

static int lunet_ones(lua_State *L) {
  ln_tensor_fill(newsized(L, 1, "lunet.ones"), 1);
  return 1;
}

static int lunet_randn(lua_State *L) {
  ln_tensor_randn(newsized(L, 1, "lunet.randn"), ln_rng_default(), 0, 1);
  return 1;
}

static int lunet_rand(lua_State *L) {
  ln_tensor_rand(newsized(L, 1, "lunet.rand"), ln_rng_default(), 0, 1);
  return 1;
}

static int lunet_linspace(lua_State *L) {
  l_checknargs(L, 3, "lunet.linspace");
  double a = luaL_checknumber(L, 1), b = luaL_checknumber(L, 2);
  lua_Integer n = luaL_checkinteger(L, 3);
  luaL_argcheck(L, n >= 1 && (size_t)n <= LN_MAXNUMEL, 3, "count must be 1 to 2^31");
  if (ln_tensor_linspace(l_newtensor(L), a, b, (size_t)n)) l_raise(L, "lunet.linspace");
  return 1;
}

static int lunet_manual_seed(lua_State *L) {
  l_checknargs(L, 1, "lunet.manual_seed");
  lua_Integer seed = luaL_checkinteger(L, 1);
  ln_rng_seed(ln_rng_default(), (uint64_t)seed);
  return 0;
}

static int lunet_is_tensor(lua_State *L) {
  l_checknargs(L, 1, "lunet.is_tensor");
  lua_pushboolean(L, l_testtensor(L, 1) != NULL);
  return 1;
}

/* lunet.tensor{{1, 2}, {3, 4}}: the shape is read off the first element at
 * each depth, then every element is checked against it. */
static void nested_shape(lua_State *L, int idx, int *ndim, size_t *size, const char *who) {
  lua_pushvalue(L, idx);
  *ndim = 0;
  while (lua_type(L, -1) == LUA_TTABLE) {
    if (*ndim == LN_MAXDIM)
      luaL_error(L, "%s: more than %d levels of nesting", who, LN_MAXDIM);
    lua_Integer n = luaL_len(L, -1);
    if (n <= 0) luaL_error(L, "%s: empty table at depth %d", who, *ndim + 1);
    if ((lua_Unsigned)n > LN_MAXNUMEL) luaL_error(L, "%s: too many elements", who);
    size[(*ndim)++] = (size_t)n;
    lua_geti(L, -1, 1);
    lua_remove(L, -2);
  }
  lua_pop(L, 1);
}

static void nested_fill(lua_State *L, int depth, int ndim, const size_t *size, float **p,
                        const char *who) {
  if (depth >= LN_MAXDIM) return;
  luaL_checkstack(L, 4, who);
  if (lua_type(L, -1) != LUA_TTABLE || (size_t)luaL_len(L, -1) != size[depth])
    luaL_error(L, "%s: ragged table (expected %I elements at depth %d)", who,
               (lua_Integer)size[depth], depth + 1);
  for (size_t i = 1; i <= size[depth]; i++) {
    lua_geti(L, -1, (lua_Integer)i);
    if (depth + 1 < ndim) {
      nested_fill(L, depth + 1, ndim, size, p, who);
    } else {
      int ok;
      lua_Number v = lua_tonumberx(L, -1, &ok);
      if (!ok) luaL_error(L, "%s: element %I at depth %d is %s, not a number", who,
                          (lua_Integer)i, depth + 1, luaL_typename(L, -1));
      *(*p)++ = (float)v;
    }
    lua_pop(L, 1);
  }
}

/* The new tensor is unreachable from Lua while the table's metamethods run,
 * so nothing can close it under nested_fill. */
static int from_table(lua_State *L, const char *who) {
  l_checknargs(L, 1, who);
  luaL_checktype(L, 1, LUA_TTABLE);
  int ndim;
  size_t size[LN_MAXDIM];
  nested_shape(L, 1, &ndim, size, who);
  ln_tensor *t = l_newtensor(L);
  if (ln_tensor_init(t, ndim, size)) l_raise(L, who);
  float *p = ln_data(t);
  lua_pushvalue(L, 1);
  nested_fill(L, 0, ndim, size, &p, who);
  lua_pop(L, 1);
  return 1;
}

static int lunet_tensor(lua_State *L) { return from_table(L, "lunet.tensor"); }

/* Torch7's constructor: sizes (zeros, as lunet shows no uninitialised
 * memory), a nested table (as lunet.tensor), or a tensor (a view of all of
 * it sharing its storage, as torch.Tensor(t)). */
static int lunet_Tensor(lua_State *L) {
  if (lua_gettop(L) == 0)
    return luaL_error(L, "lunet.Tensor: expected sizes, a table of numbers or a tensor (lunet"
                      " has no empty tensors)");
  if (lua_type(L, 1) == LUA_TTABLE) return from_table(L, "lunet.Tensor");
  if (!l_testtensor(L, 1)) {
    newsized(L, 1, "lunet.Tensor");
    return 1;
  }
  l_checknargs(L, 1, "lunet.Tensor");
  ln_tensor *t = l_checktensor(L, 1);
  ln_tensor_share(l_tensor_result(L, t, 1), t);
  return 1;
}

/* Methods. The tensor they are called on, with a hint when the call used
 * `.` instead of `:` (t.sum() passes no tensor). */
ln_tensor *l_tensor_self(lua_State *L, const char *method) {
  ln_tensor *t = l_checkself(L, L_TENSOR, "lunet.Tensor expected, got %s; call it as t:%s(...)",
                             method);
  if (!t->st) luaL_argerror(L, 1, "tensor has been freed");
  return t;
}

ln_tensor *l_tensor_live(lua_State *L, ln_tensor *t, int arg) {
  if (!t->st) luaL_argerror(L, arg, "tensor has been freed");
  return t;
}

ln_tensor *l_tensor_result(lua_State *L, ln_tensor *in, int arg) {
  ln_tensor *out = l_newtensor(L);
  l_tensor_live(L, in, arg);
  return out;
}

int l_tensor_checkdim(lua_State *L, int arg, int ndim, int extra, const char *who) {
  int ok;
  lua_Integer d = lua_tointegerx(L, arg, &ok), n = ndim + extra;
  if (!ok)
    luaL_error(L, "%s: dimension must be an integer, got %s", who,
               lua_type(L, arg) == LUA_TNUMBER
                   ? lua_pushfstring(L, "%f", l_msgnum(lua_tonumber(L, arg)))
                   : luaL_typename(L, arg));
  lua_Integer e = d < 0 ? d + n + 1 : d;
  if (e < 1 || e > n) luaL_error(L, "%s: dimension %I out of range (1..%I)", who, d, n);
  return (int)e - 1;
}

static ln_tensor *self0(lua_State *L, const char *method, int nargs) {
  ln_tensor *t = l_tensor_self(L, method);
  char who[64];
  snprintf(who, sizeof who, "Tensor:%s", method);
  l_checknargs(L, nargs, who);
  return t;
}

static int tensor_dim(lua_State *L) {
  lua_pushinteger(L, self0(L, "dim", 1)->ndim);
  return 1;
}

/* size() is a table, size(d) a number; likewise stride. */
static int sizes_or_one(lua_State *L, const char *method, int strides) {
  char who[32];
  snprintf(who, sizeof who, "Tensor:%s", method);
  ln_tensor *t = self0(L, method, 2);
  if (!lua_isnoneornil(L, 2)) {
    int d = l_tensor_checkdim(L, 2, t->ndim, 0, who);
    lua_pushinteger(L, strides ? (lua_Integer)t->stride[d] : (lua_Integer)t->size[d]);
    return 1;
  }
  lua_createtable(L, t->ndim, 0);
  for (int i = 0; i < t->ndim; i++) {
    lua_pushinteger(L, strides ? (lua_Integer)t->stride[i] : (lua_Integer)t->size[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int tensor_size(lua_State *L) { return sizes_or_one(L, "size", 0); }
static int tensor_stride(lua_State *L) { return sizes_or_one(L, "stride", 1); }

static int tensor_numel(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)ln_numel(self0(L, "numel", 1)));
  return 1;
}

static int tensor_is_contiguous(lua_State *L) {
  lua_pushboolean(L, ln_is_contiguous(self0(L, "is_contiguous", 1)));
  return 1;
}

static int tensor_len(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)l_checktensor(L, 1)->size[0]);
  return 1;
}

/* 1-based indices at arguments 2..ndim+1 to the element. */
static float *checkindex(lua_State *L, ln_tensor *t, const char *who) {
  size_t idx[LN_MAXDIM];
  for (int i = 0; i < t->ndim; i++) {
    lua_Integer k = luaL_checkinteger(L, i + 2);
    if (k < 1 || (size_t)k > t->size[i])
      luaL_error(L, "%s: index %I out of range 1..%I in dimension %d", who, k,
                 (lua_Integer)t->size[i], i + 1);
    idx[i] = (size_t)(k - 1);
  }
  return ln_at(t, idx);
}

static int tensor_get(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "get");
  if (lua_gettop(L) != t->ndim + 1)
    return luaL_error(L, "Tensor:get: a %d-D tensor needs %d indices", t->ndim, t->ndim);
  l_pushnumber(L, *checkindex(L, t, "Tensor:get"));
  return 1;
}

static int tensor_set(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "set");
  if (lua_gettop(L) != t->ndim + 2)
    return luaL_error(L, "Tensor:set: a %d-D tensor needs %d indices and a value", t->ndim,
                      t->ndim);
  float v = (float)luaL_checknumber(L, t->ndim + 2);
  *checkindex(L, t, "Tensor:set") = v;
  lua_settop(L, 1);
  return 1;
}

static void totable(lua_State *L, const ln_tensor *t, int depth, const float *p) {
  if (depth >= LN_MAXDIM) return;
  luaL_checkstack(L, 4, "Tensor:totable");
  lua_createtable(L, (int)t->size[depth], 0);
  for (size_t i = 0; i < t->size[depth]; i++) {
    const float *q = p + (ptrdiff_t)i * t->stride[depth];
    if (depth + 1 < t->ndim) totable(L, t, depth + 1, q);
    else l_pushnumber(L, *q);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static int tensor_totable(lua_State *L) {
  ln_tensor *t = self0(L, "totable", 1);
  totable(L, t, 0, ln_data(t));
  return 1;
}

static int tensor_clone(lua_State *L) {
  ln_tensor *t = self0(L, "clone", 1);
  if (ln_tensor_clone(l_tensor_result(L, t, 1), t)) l_raise(L, "Tensor:clone");
  return 1;
}

static int tensor_contiguous(lua_State *L) {
  ln_tensor *t = self0(L, "contiguous", 1);
  if (ln_is_contiguous(t)) lua_settop(L, 1);  /* the same tensor, as PyTorch */
  else if (ln_tensor_clone(l_tensor_result(L, t, 1), t)) l_raise(L, "Tensor:contiguous");
  return 1;
}

static int tensor_copy(lua_State *L) {
  ln_tensor *t = self0(L, "copy", 2), *src = l_checktensor(L, 2);
  if (ln_tensor_copy(t, src)) l_raise(L, "Tensor:copy");
  lua_settop(L, 1);
  return 1;
}

/* fill(v) and zero(), and PyTorch's names for them, fill_ and zero_. */
static int filled(lua_State *L, const char *method, int zero) {
  ln_tensor *t = self0(L, method, zero ? 1 : 2);  /* first, so t.fill(0) blames the tensor */
  ln_tensor_fill(t, zero ? 0 : (float)luaL_checknumber(L, 2));
  lua_settop(L, 1);
  return 1;
}

static int tensor_fill(lua_State *L) { return filled(L, "fill", 0); }
static int tensor_fill_(lua_State *L) { return filled(L, "fill_", 0); }
static int tensor_zero(lua_State *L) { return filled(L, "zero", 1); }
static int tensor_zero_(lua_State *L) { return filled(L, "zero_", 1); }

/* The class name, as Torch7's t:type() names the class its tostring shows. */
static int tensor_type(lua_State *L) {
  self0(L, "type", 1);
  lua_pushliteral(L, L_TENSOR);
  return 1;
}

/* Over all elements only: Torch7's t:sum(1) (per column) is refused as an
 * extra argument rather than quietly returning the total. */
static int reduce(lua_State *L, double (*f)(const ln_tensor *), const char *method) {
  l_pushnumber(L, f(self0(L, method, 1)));
  return 1;
}

static int tensor_sum(lua_State *L) { return reduce(L, ln_tensor_sum, "sum"); }
static int tensor_mean(lua_State *L) { return reduce(L, ln_tensor_mean, "mean"); }
static int tensor_std(lua_State *L) { return reduce(L, ln_tensor_std, "std"); }
static int tensor_min(lua_State *L) { return reduce(L, ln_tensor_min, "min"); }
static int tensor_max(lua_State *L) { return reduce(L, ln_tensor_max, "max"); }

static int tensor_argmax(lua_State *L) {
  ln_tensor *t = self0(L, "argmax", 2);
  lua_Integer dim = luaL_optinteger(L, 2, t->ndim);
  luaL_argcheck(L, t->ndim == 2 && dim == 2, 2, "argmax takes a 2-D (N,C) tensor and dim 2");
  /* Float indices are exact only up to 2^24. */
  luaL_argcheck(L, t->size[1] <= (1u << 24), 1, "more than 2^24 columns");
  ln_tensor *out = l_tensor_result(L, t, 1);
  if (ln_tensor_argmax_rows(out, t)) l_raise(L, "Tensor:argmax");
  float *o = ln_data(out);
  for (size_t i = 0; i < out->size[0]; i++) o[i] += 1;  /* 1-based for Lua */
  return 1;
}

/* One idempotent closer for __gc and __close. */
static int tensor_gc(lua_State *L) {
  ln_tensor_free(luaL_checkudata(L, 1, L_TENSOR));
  return 0;
}

void l_tensor_format(luaL_Buffer *b, const ln_tensor *t);  /* l_tensor_print.c */

static int tensor_tostring(lua_State *L) {
  ln_tensor *t = luaL_checkudata(L, 1, L_TENSOR);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  if (!t->st) luaL_addstring(&b, "[lunet.Tensor (freed)]");
  else l_tensor_format(&b, t);
  luaL_pushresult(&b);
  return 1;
}

static const luaL_Reg functions[] = {
  {"tensor", lunet_tensor}, {"Tensor", lunet_Tensor}, {"zeros", lunet_zeros}, {"ones", lunet_ones},
  {"randn", lunet_randn}, {"rand", lunet_rand}, {"linspace", lunet_linspace},
  {"manual_seed", lunet_manual_seed}, {"is_tensor", lunet_is_tensor},
  {NULL, NULL}
};

static const luaL_Reg methods[] = {
  {"dim", tensor_dim}, {"size", tensor_size}, {"stride", tensor_stride},
  {"numel", tensor_numel}, {"is_contiguous", tensor_is_contiguous},
  {"get", tensor_get}, {"set", tensor_set}, {"totable", tensor_totable},
  {"clone", tensor_clone}, {"contiguous", tensor_contiguous}, {"copy", tensor_copy},
  {"fill", tensor_fill}, {"fill_", tensor_fill_}, {"zero", tensor_zero},
  {"zero_", tensor_zero_}, {"type", tensor_type},
  {"sum", tensor_sum}, {"mean", tensor_mean}, {"std", tensor_std},
  {"min", tensor_min}, {"max", tensor_max}, {"argmax", tensor_argmax},
  {NULL, NULL}
};

static const luaL_Reg metamethods[] = {
  {"__len", tensor_len}, {"__tostring", tensor_tostring}, {"__gc", tensor_gc},
  {"__close", tensor_gc}, {"__newindex", l_tensor_newindex},
  {NULL, NULL}
};

void l_open_tensor(lua_State *L) {
  luaL_setfuncs(L, functions, 0);
  luaL_setfuncs(L, l_tensor_math_functions, 0);
  l_newclass(L, L_TENSOR, metamethods, methods);
  luaL_getmetatable(L, L_TENSOR);
  luaL_setfuncs(L, l_tensor_math_meta, 0);
  lua_getfield(L, -1, "__methods");
  luaL_setfuncs(L, l_tensor_view_methods, 0);
  luaL_setfuncs(L, l_tensor_math_methods, 0);
  /* __index: l_tensor_index (t[i], t[{...}]), the methods as its upvalue. */
  lua_pushcclosure(L, l_tensor_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
