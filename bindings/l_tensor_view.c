/* l_tensor_view.c: the view methods (a new tensor sharing storage) and
 * reshape. Dimensions are 1-based, negative from the end. */
#include <stdio.h>

#include "l_tensor.h"

/* One size of -1 (kept as 0 by l_tensor_sizes) is inferred from t's
 * element count, as in PyTorch and Torch7. */
static void infer_size(lua_State *L, const ln_tensor *t, int n, size_t *size, const char *who) {
  int at = -1;
  size_t known = 1, numel = ln_numel(t);
  for (int d = 0; d < n; d++) {
    if (size[d] != 0) {
      known *= size[d];
    } else if (at >= 0) {
      luaL_error(L, "%s: only one size can be -1, got sizes %d and %d", who, at + 1, d + 1);
    } else {
      at = d;
    }
  }
  if (at < 0) return;
  if (numel % known) {
    char s[128];
    luaL_error(L, "%s: cannot view a %s tensor (%I elements) with a size of -1: %I is not a"
               " multiple of %I", who, ln_shape_str(t, s, sizeof s), (lua_Integer)numel,
               (lua_Integer)numel, (lua_Integer)known);
  }
  size[at] = numel / known;
}

/* view and reshape. Sizes first (a table argument may run Lua), the tensor
 * after. */
static int reshaped(lua_State *L, const char *method, const char *who,
                    int (*f)(ln_tensor *, const ln_tensor *, int, const size_t *)) {
  ln_tensor *t = l_tensor_self(L, method);
  size_t size[LN_MAXDIM];
  int n = l_tensor_sizes(L, 2, size, who, 1);
  ln_tensor *out = l_tensor_result(L, t, 1);  /* and t re-checked */
  infer_size(L, t, n, size, who);
  if (f(out, t, n, size)) l_raise(L, who);
  return 1;
}

static int tensor_view(lua_State *L) {
  return reshaped(L, "view", "Tensor:view", ln_tensor_view);
}

static int tensor_reshape(lua_State *L) {
  return reshaped(L, "reshape", "Tensor:reshape", ln_tensor_reshape);
}

static int tensor_narrow(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "narrow");
  l_checknargs(L, 4, "Tensor:narrow");
  int dim = l_tensor_checkdim(L, 2, t->ndim, 0, "Tensor:narrow");
  lua_Integer start = luaL_checkinteger(L, 3), len = luaL_checkinteger(L, 4);
  if (start < 1) return luaL_error(L, "Tensor:narrow: start must be >= 1, got %I", start);
  if (len < 1) return luaL_error(L, "Tensor:narrow: length must be >= 1, got %I", len);
  if (ln_tensor_narrow_dim(l_tensor_result(L, t, 1), t, dim, (size_t)start - 1, (size_t)len))
    l_raise(L, "Tensor:narrow");
  return 1;
}

/* A 1-D tensor's select is its element, as a number (there are no 0-D
 * tensors): t:select(1, i) is then t:get(i). */
static int tensor_select(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "select");
  l_checknargs(L, 3, "Tensor:select");
  int dim = l_tensor_checkdim(L, 2, t->ndim, 0, "Tensor:select");
  lua_Integer i = luaL_checkinteger(L, 3), n = (lua_Integer)t->size[dim];
  if (i < 0) i += n + 1;
  if (i < 1 || i > n)
    return luaL_error(L, "Tensor:select: index %I out of range 1..%I in dimension %d",
                      luaL_checkinteger(L, 3), n, dim + 1);
  if (t->ndim == 1) {
    l_pushnumber(L, ln_data(t)[(i - 1) * t->stride[0]]);
    return 1;
  }
  if (ln_tensor_select(l_tensor_result(L, t, 1), t, dim, (size_t)i - 1))
    l_raise(L, "Tensor:select");
  return 1;
}

static int tensor_transpose(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "transpose");
  l_checknargs(L, 3, "Tensor:transpose");
  int d1 = l_tensor_checkdim(L, 2, t->ndim, 0, "Tensor:transpose");
  int d2 = l_tensor_checkdim(L, 3, t->ndim, 0, "Tensor:transpose");
  if (ln_tensor_transpose(l_tensor_result(L, t, 1), t, d1, d2)) l_raise(L, "Tensor:transpose");
  return 1;
}

/* t:t(): the transpose of a matrix; a 1-D tensor is its own. */
static int tensor_t(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "t");
  l_checknargs(L, 1, "Tensor:t");
  if (t->ndim > 2)
    return luaL_error(L, "Tensor:t: expects a tensor of 1 or 2 dimensions, got %d (use"
                      " transpose)", t->ndim);
  if (ln_tensor_transpose(l_tensor_result(L, t, 1), t, 0, t->ndim - 1)) l_raise(L, "Tensor:t");
  return 1;
}

/* Dimensions as numbers (2, 1) or one table {2, 1}. */
static int tensor_permute(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "permute");
  int ndim = t->ndim, perm[LN_MAXDIM], n;
  if (lua_type(L, 2) == LUA_TTABLE) {
    l_checknargs(L, 2, "Tensor:permute");
    lua_Integer len = luaL_len(L, 2);
    if (len != ndim)
      return luaL_error(L, "Tensor:permute: %d dimensions for a %d-D tensor", (int)len, ndim);
    for (int i = 0; i < ndim; i++) {
      lua_geti(L, 2, i + 1);
      int ok;
      lua_Integer d = lua_tointegerx(L, -1, &ok);
      lua_pop(L, 1);
      if (d < 0) d += ndim + 1;
      if (!ok || d < 1 || d > ndim)
        return luaL_error(L, "Tensor:permute: entry %d is not a dimension 1..%d", i + 1, ndim);
      perm[i] = (int)d - 1;
    }
  } else {
    n = lua_gettop(L) - 1;
    if (n != ndim)
      return luaL_error(L, "Tensor:permute: %d dimensions for a %d-D tensor", n, ndim);
    for (int i = 0; i < ndim; i++)
      perm[i] = l_tensor_checkdim(L, 2 + i, ndim, 0, "Tensor:permute");
  }
  if (ln_tensor_permute(l_tensor_result(L, t, 1), t, perm)) l_raise(L, "Tensor:permute");
  return 1;
}

static int tensor_squeeze(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "squeeze");
  l_checknargs(L, 2, "Tensor:squeeze");
  int dim = lua_isnoneornil(L, 2) ? -1 : l_tensor_checkdim(L, 2, t->ndim, 0, "Tensor:squeeze");
  if (ln_tensor_squeeze(l_tensor_result(L, t, 1), t, dim)) l_raise(L, "Tensor:squeeze");
  return 1;
}

static int tensor_unsqueeze(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "unsqueeze");
  l_checknargs(L, 2, "Tensor:unsqueeze");
  int dim = l_tensor_checkdim(L, 2, t->ndim, 1, "Tensor:unsqueeze");
  if (ln_tensor_unsqueeze(l_tensor_result(L, t, 1), t, dim)) l_raise(L, "Tensor:unsqueeze");
  return 1;
}

/* Sizes as numbers or one table; -1 keeps that dimension's size. */
static int tensor_expand(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "expand");
  size_t size[LN_MAXDIM];
  int n = l_tensor_sizes(L, 2, size, "Tensor:expand", 1);
  ln_tensor *out = l_tensor_result(L, t, 1);  /* and t re-checked */
  int lead = n - t->ndim;
  for (int d = 0; d < n; d++) {
    if (size[d] != 0) continue;
    if (d < lead)
      return luaL_error(L, "Tensor:expand: size %d is -1 but the tensor has no dimension there",
                        d + 1);
    size[d] = t->size[d - lead];
  }
  if (ln_tensor_expand(out, t, n, size)) l_raise(L, "Tensor:expand");
  return 1;
}

/* t:flatten([start_dim [, end_dim]]): dimensions start..end (1 and -1 by
 * default) made one, by reshape's rules (a view of a contiguous tensor). */
static int tensor_flatten(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "flatten");
  l_checknargs(L, 3, "Tensor:flatten");
  int first = lua_isnoneornil(L, 2) ? 0 : l_tensor_checkdim(L, 2, t->ndim, 0, "Tensor:flatten");
  int last = lua_isnoneornil(L, 3) ? t->ndim - 1
                                   : l_tensor_checkdim(L, 3, t->ndim, 0, "Tensor:flatten");
  if (first > last)
    return luaL_error(L, "Tensor:flatten: start_dim %d comes after end_dim %d", first + 1,
                      last + 1);
  size_t size[LN_MAXDIM];
  int n = 0;
  for (int d = 0; d < t->ndim; d++) {
    if (d <= first || d > last) size[n++] = t->size[d];
    else size[n - 1] *= t->size[d];
  }
  if (ln_tensor_reshape(l_tensor_result(L, t, 1), t, n, size)) l_raise(L, "Tensor:flatten");
  return 1;
}

/* t:view_as(o) and t:expand_as(o): t:view(o:size()), t:expand(o:size()). */
static int shaped_as(lua_State *L, const char *method, const char *who,
                     int (*f)(ln_tensor *, const ln_tensor *, int, const size_t *)) {
  ln_tensor *t = l_tensor_self(L, method);
  l_checknargs(L, 2, who);
  ln_tensor *o = l_checktensor(L, 2), *out = l_tensor_result(L, t, 1);
  o = l_tensor_live(L, o, 2);
  if (f(out, t, o->ndim, o->size)) l_raise(L, who);
  return 1;
}

static int tensor_view_as(lua_State *L) {
  return shaped_as(L, "view_as", "Tensor:view_as", ln_tensor_view);
}

static int tensor_expand_as(lua_State *L) {
  return shaped_as(L, "expand_as", "Tensor:expand_as", ln_tensor_expand);
}

const luaL_Reg l_tensor_view_methods[] = {
  {"view", tensor_view}, {"reshape", tensor_reshape}, {"narrow", tensor_narrow},
  {"select", tensor_select}, {"transpose", tensor_transpose}, {"t", tensor_t},
  {"permute", tensor_permute}, {"squeeze", tensor_squeeze}, {"unsqueeze", tensor_unsqueeze},
  {"expand", tensor_expand}, {"flatten", tensor_flatten}, {"view_as", tensor_view_as},
  {"expand_as", tensor_expand_as},
  {NULL, NULL}
};
