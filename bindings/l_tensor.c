/* l_tensor.c: the Tensor userdata, tensor constructors and manual_seed. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lunet.h"

ln_tensor *l_testtensor(lua_State *L, int arg) { return luaL_testudata(L, arg, L_TENSOR); }

ln_tensor *l_checktensor(lua_State *L, int arg) {
  ln_tensor *t = luaL_checkudata(L, arg, L_TENSOR);
  if (!t->st) luaL_argerror(L, arg, "tensor has been freed");
  return t;
}

ln_tensor *l_newtensor(lua_State *L) {
  ln_tensor *t = lua_newuserdatauv(L, sizeof *t, 0);
  memset(t, 0, sizeof *t);
  luaL_setmetatable(L, L_TENSOR);
  return t;
}

void l_pushview(lua_State *L, const ln_tensor *src) { ln_tensor_share(l_newtensor(L), src); }

/* Whether the core's prefix p (n chars) names who or a part of it: its
 * start ("Linear" in "Linear:forward") or its end ("SGD" in
 * "lunet.optim.SGD", "view" in "Tensor:view", "init.normal" in
 * "lunet.init.normal"). */
static int names_who(const char *who, const char *p, size_t n) {
  size_t len = strlen(who);
  if (n == 0 || n > len) return 0;
  if (strncmp(who, p, n) == 0 && (who[n] == '\0' || who[n] == ':' || who[n] == '.')) return 1;
  return n < len && strncmp(who + len - n, p, n) == 0 && strchr(".:", who[len - n - 1]);
}

int l_raise(lua_State *L, const char *who) {
  /* The core names its function too ("Linear: ..."); keep one prefix. */
  const char *msg = ln_error(), *colon = strstr(msg, ": ");
  if (colon && names_who(who, msg, (size_t)(colon - msg))) msg = colon + 2;
  return luaL_error(L, "%s: %s", who, msg);
}

double l_optnumber(lua_State *L, int arg, const char *who, const char *field, double def) {
  if (lua_isnoneornil(L, arg)) return def;
  luaL_checktype(L, arg, LUA_TTABLE);
  int type = lua_getfield(L, arg, field);
  double v = def;
  if (type != LUA_TNIL) {
    int ok;
    v = lua_tonumberx(L, -1, &ok);
    if (!ok) luaL_error(L, "%s: option '%s' must be a number, got %s", who, field,
                        luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return v;
}

/* Sizes from arguments first..top: either numbers (2, 3) or one table {2, 3}. */
static int checksizes(lua_State *L, int first, size_t *size, const char *who) {
  int n, fromtable = lua_type(L, first) == LUA_TTABLE;
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
    if (v <= 0) luaL_error(L, "%s: size %d must be positive, got %I", who, i + 1, v);
    size[i] = (size_t)v;
  }
  return n;
}

static ln_tensor *newsized(lua_State *L, int first, const char *who) {
  size_t size[LN_MAXDIM];
  int n = checksizes(L, first, size, who);
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
  double a = luaL_checknumber(L, 1), b = luaL_checknumber(L, 2);
  lua_Integer n = luaL_checkinteger(L, 3);
  luaL_argcheck(L, n >= 1 && (size_t)n <= LN_MAXNUMEL, 3, "count must be 1 to 2^31");
  if (ln_tensor_linspace(l_newtensor(L), a, b, (size_t)n)) l_raise(L, "lunet.linspace");
  return 1;
}

static int lunet_manual_seed(lua_State *L) {
  lua_Integer seed = luaL_checkinteger(L, 1);
  ln_rng_seed(ln_rng_default(), (uint64_t)seed);
  return 0;
}

static int lunet_is_tensor(lua_State *L) {
  lua_pushboolean(L, l_testtensor(L, 1) != NULL);
  return 1;
}

/* lunet.tensor{{1, 2}, {3, 4}}: the shape is read off the first element at
 * each depth, then every element is checked against it. */
static void nested_shape(lua_State *L, int idx, int *ndim, size_t *size) {
  lua_pushvalue(L, idx);
  *ndim = 0;
  while (lua_type(L, -1) == LUA_TTABLE) {
    if (*ndim == LN_MAXDIM)
      luaL_error(L, "lunet.tensor: more than %d levels of nesting", LN_MAXDIM);
    lua_Integer n = luaL_len(L, -1);
    if (n == 0) luaL_error(L, "lunet.tensor: empty table at depth %d", *ndim + 1);
    size[(*ndim)++] = (size_t)n;
    lua_geti(L, -1, 1);
    lua_remove(L, -2);
  }
  lua_pop(L, 1);
}

static void nested_fill(lua_State *L, int depth, int ndim, const size_t *size, float **p) {
  if (depth >= LN_MAXDIM) return;
  if (lua_type(L, -1) != LUA_TTABLE || (size_t)luaL_len(L, -1) != size[depth])
    luaL_error(L, "lunet.tensor: ragged table (expected %I elements at depth %d)",
               (lua_Integer)size[depth], depth + 1);
  for (size_t i = 1; i <= size[depth]; i++) {
    lua_geti(L, -1, (lua_Integer)i);
    if (depth + 1 < ndim) {
      nested_fill(L, depth + 1, ndim, size, p);
    } else {
      int ok;
      lua_Number v = lua_tonumberx(L, -1, &ok);
      if (!ok) luaL_error(L, "lunet.tensor: element %I at depth %d is %s, not a number",
                          (lua_Integer)i, depth + 1, luaL_typename(L, -1));
      *(*p)++ = (float)v;
    }
    lua_pop(L, 1);
  }
}

static int lunet_tensor(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int ndim;
  size_t size[LN_MAXDIM];
  nested_shape(L, 1, &ndim, size);
  ln_tensor *t = l_newtensor(L);
  if (ln_tensor_init(t, ndim, size)) l_raise(L, "lunet.tensor");
  float *p = ln_data(t);
  lua_pushvalue(L, 1);
  nested_fill(L, 0, ndim, size, &p);
  lua_pop(L, 1);
  return 1;
}

/* Methods. The tensor they are called on, with a hint when the call used
 * `.` instead of `:` (t.sum() passes no tensor). */
static ln_tensor *checkself(lua_State *L, const char *method) {
  ln_tensor *t = l_checkself(L, L_TENSOR, "lunet.Tensor expected, got %s; call it as t:%s(...)",
                             method);
  if (!t->st) luaL_argerror(L, 1, "tensor has been freed");
  return t;
}

static int tensor_dim(lua_State *L) {
  lua_pushinteger(L, checkself(L, "dim")->ndim);
  return 1;
}

static int tensor_size(lua_State *L) {
  ln_tensor *t = checkself(L, "size");
  if (!lua_isnoneornil(L, 2)) {
    lua_Integer d = luaL_checkinteger(L, 2);
    luaL_argcheck(L, d >= 1 && d <= t->ndim, 2, "dimension out of range");
    lua_pushinteger(L, (lua_Integer)t->size[d - 1]);
    return 1;
  }
  lua_createtable(L, t->ndim, 0);
  for (int i = 0; i < t->ndim; i++) {
    lua_pushinteger(L, (lua_Integer)t->size[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int tensor_numel(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)ln_numel(checkself(L, "numel")));
  return 1;
}

static int tensor_len(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)l_checktensor(L, 1)->size[0]);
  return 1;
}

/* 1-based indices at arguments 2..ndim+1 to a flat 0-based offset. */
static size_t checkindex(lua_State *L, ln_tensor *t, const char *who) {
  size_t off = 0;
  for (int i = 0; i < t->ndim; i++) {
    lua_Integer k = luaL_checkinteger(L, i + 2);
    if (k < 1 || (size_t)k > t->size[i])
      luaL_error(L, "%s: index %I out of range 1..%I in dimension %d", who, k,
                 (lua_Integer)t->size[i], i + 1);
    off = off * t->size[i] + (size_t)(k - 1);
  }
  return off;
}

static int tensor_get(lua_State *L) {
  ln_tensor *t = checkself(L, "get");
  if (lua_gettop(L) != t->ndim + 1)
    return luaL_error(L, "Tensor:get: a %d-D tensor needs %d indices", t->ndim, t->ndim);
  lua_pushnumber(L, ln_data(t)[checkindex(L, t, "Tensor:get")]);
  return 1;
}

static int tensor_set(lua_State *L) {
  ln_tensor *t = checkself(L, "set");
  if (lua_gettop(L) != t->ndim + 2)
    return luaL_error(L, "Tensor:set: a %d-D tensor needs %d indices and a value", t->ndim,
                      t->ndim);
  size_t off = checkindex(L, t, "Tensor:set");
  ln_data(t)[off] = (float)luaL_checknumber(L, t->ndim + 2);
  lua_settop(L, 1);
  return 1;
}

static void totable(lua_State *L, const ln_tensor *t, int depth, const float **p) {
  if (depth >= LN_MAXDIM) return;
  lua_createtable(L, (int)t->size[depth], 0);
  for (size_t i = 0; i < t->size[depth]; i++) {
    if (depth + 1 < t->ndim) totable(L, t, depth + 1, p);
    else lua_pushnumber(L, *(*p)++);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static int tensor_totable(lua_State *L) {
  ln_tensor *t = checkself(L, "totable");
  const float *p = ln_data(t);
  totable(L, t, 0, &p);
  return 1;
}

/* Also reshape: one function, so help(t.reshape) shows both entries. */
static int tensor_view(lua_State *L) {
  ln_tensor *t = checkself(L, "view");
  size_t size[LN_MAXDIM];
  int n = checksizes(L, 2, size, "Tensor:view");
  if (ln_tensor_view(l_newtensor(L), t, n, size)) l_raise(L, "Tensor:view");
  return 1;
}

static int tensor_narrow(lua_State *L) {
  ln_tensor *t = checkself(L, "narrow");
  lua_Integer dim = luaL_checkinteger(L, 2);
  lua_Integer start = luaL_checkinteger(L, 3), len = luaL_checkinteger(L, 4);
  luaL_argcheck(L, dim == 1, 2, "only dimension 1 can be narrowed (rows stay contiguous)");
  luaL_argcheck(L, start >= 1, 3, "start must be >= 1");
  luaL_argcheck(L, len >= 1, 4, "length must be >= 1");
  if (ln_tensor_narrow(l_newtensor(L), t, (size_t)start - 1, (size_t)len))
    l_raise(L, "Tensor:narrow");
  return 1;
}

static int tensor_clone(lua_State *L) {
  ln_tensor *t = checkself(L, "clone");
  if (ln_tensor_clone(l_newtensor(L), t)) l_raise(L, "Tensor:clone");
  return 1;
}

static int tensor_copy(lua_State *L) {
  ln_tensor *t = checkself(L, "copy"), *src = l_checktensor(L, 2);
  if (ln_tensor_copy(t, src)) l_raise(L, "Tensor:copy");
  lua_settop(L, 1);
  return 1;
}

static int tensor_fill(lua_State *L) {
  ln_tensor *t = checkself(L, "fill");  /* first, so t.fill(0) blames the tensor */
  ln_tensor_fill(t, (float)luaL_checknumber(L, 2));
  lua_settop(L, 1);
  return 1;
}

/* Over all elements only: Torch7's t:sum(1) (per column) would otherwise
 * quietly return the total. */
static int reduce(lua_State *L, double (*f)(const ln_tensor *), const char *method) {
  ln_tensor *t = checkself(L, method);
  luaL_argcheck(L, lua_isnoneornil(L, 2), 2, "takes no argument (it reduces over all elements)");
  lua_pushnumber(L, f(t));
  return 1;
}

static int tensor_sum(lua_State *L) { return reduce(L, ln_tensor_sum, "sum"); }
static int tensor_mean(lua_State *L) { return reduce(L, ln_tensor_mean, "mean"); }
static int tensor_std(lua_State *L) { return reduce(L, ln_tensor_std, "std"); }
static int tensor_min(lua_State *L) { return reduce(L, ln_tensor_min, "min"); }
static int tensor_max(lua_State *L) { return reduce(L, ln_tensor_max, "max"); }

static int tensor_argmax(lua_State *L) {
  ln_tensor *t = checkself(L, "argmax");
  lua_Integer dim = luaL_optinteger(L, 2, t->ndim);
  luaL_argcheck(L, t->ndim == 2 && dim == 2, 2, "argmax takes a 2-D (N,C) tensor and dim 2");
  ln_tensor *out = l_newtensor(L);
  if (ln_tensor_argmax_rows(out, t)) l_raise(L, "Tensor:argmax");
  float *o = ln_data(out);
  for (size_t i = 0; i < out->size[0]; i++) o[i] += 1;  /* 1-based for Lua */
  return 1;
}

/* Arithmetic: tensor op tensor, tensor op number, number op tensor. */
static int arith(lua_State *L, ln_binop op, const char *name) {
  ln_tensor *a = l_testtensor(L, 1), *b = l_testtensor(L, 2);
  if (!a && !lua_isnumber(L, 1)) luaL_argexpected(L, 0, 1, "tensor or number");
  if (!b && !lua_isnumber(L, 2)) luaL_argexpected(L, 0, 2, "tensor or number");
  if (!a && !b) luaL_typeerror(L, 1, L_TENSOR);  /* t.add(2, 3): two numbers */
  if (a) a = l_checktensor(L, 1);  /* refuses a closed tensor */
  if (b) b = l_checktensor(L, 2);
  ln_tensor *out = l_newtensor(L);
  int rc;
  if (a && b) rc = ln_tensor_binop(out, a, b, op);
  else if (a) rc = ln_tensor_scalar(out, a, lua_tonumber(L, 2), op, 0);
  else rc = ln_tensor_scalar(out, b, lua_tonumber(L, 1), op, 1);
  if (rc) l_raise(L, name);
  return 1;
}

static int tensor_add(lua_State *L) { return arith(L, LN_ADD, "Tensor:add"); }
static int tensor_sub(lua_State *L) { return arith(L, LN_SUB, "Tensor:sub"); }
static int tensor_mul(lua_State *L) { return arith(L, LN_MUL, "Tensor:mul"); }
static int tensor_div(lua_State *L) { return arith(L, LN_DIV, "Tensor:div"); }
/* The operators a + b etc., named by their symbol. */
static int tensor___add(lua_State *L) { return arith(L, LN_ADD, "Tensor +"); }
static int tensor___sub(lua_State *L) { return arith(L, LN_SUB, "Tensor -"); }
static int tensor___mul(lua_State *L) { return arith(L, LN_MUL, "Tensor *"); }
static int tensor___div(lua_State *L) { return arith(L, LN_DIV, "Tensor /"); }

static int tensor_pow(lua_State *L) {
  ln_tensor *t = checkself(L, "pow");
  if (ln_tensor_scalar(l_newtensor(L), t, luaL_checknumber(L, 2), LN_POW, 0))
    l_raise(L, "Tensor:pow");
  return 1;
}

static int tensor_unm(lua_State *L) {
  ln_tensor *t = l_checktensor(L, 1);
  if (ln_tensor_scalar(l_newtensor(L), t, -1, LN_MUL, 0)) l_raise(L, "Tensor -");
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
  {"tensor", lunet_tensor}, {"zeros", lunet_zeros}, {"ones", lunet_ones},
  {"randn", lunet_randn}, {"rand", lunet_rand}, {"linspace", lunet_linspace},
  {"manual_seed", lunet_manual_seed}, {"is_tensor", lunet_is_tensor},
  {NULL, NULL}
};

static const luaL_Reg methods[] = {
  {"dim", tensor_dim}, {"size", tensor_size}, {"numel", tensor_numel},
  {"get", tensor_get}, {"set", tensor_set}, {"totable", tensor_totable},
  {"view", tensor_view}, {"reshape", tensor_view}, {"narrow", tensor_narrow},
  {"clone", tensor_clone}, {"copy", tensor_copy}, {"fill", tensor_fill},
  {"sum", tensor_sum}, {"mean", tensor_mean}, {"std", tensor_std},
  {"min", tensor_min}, {"max", tensor_max}, {"pow", tensor_pow}, {"argmax", tensor_argmax},
  {"add", tensor_add}, {"sub", tensor_sub}, {"mul", tensor_mul}, {"div", tensor_div},
  {NULL, NULL}
};

static const luaL_Reg metamethods[] = {
  {"__add", tensor___add}, {"__sub", tensor___sub}, {"__mul", tensor___mul},
  {"__div", tensor___div}, {"__unm", tensor_unm}, {"__len", tensor_len},
  {"__tostring", tensor_tostring}, {"__gc", tensor_gc}, {"__close", tensor_gc},
  {NULL, NULL}
};

void l_open_tensor(lua_State *L) {
  luaL_setfuncs(L, functions, 0);
  l_newclass(L, L_TENSOR, metamethods, methods);
}
