/* l_tensor_view.c: the view methods (a new tensor sharing storage) and
 * reshape. Dimensions are 1-based, negative from the end. */
#include <stdio.h>

#include "l_tensor.h"

/* view and reshape. Sizes first (a table argument may run Lua), the tensor
 * after. */
static int reshaped(lua_State *L, const char *method, const char *who,
                    int (*f)(ln_tensor *, const ln_tensor *, int, const size_t *)) {
  ln_tensor *t = l_tensor_self(L, method);
  size_t size[LN_MAXDIM];
  int n = l_tensor_sizes(L, 2, size, who, 0);
  if (f(l_tensor_result(L, t, 1), t, n, size)) l_raise(L, who);
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
  int dim = l_tensor_checkdim(L, 2, t->ndim, 0);
  lua_Integer start = luaL_checkinteger(L, 3), len = luaL_checkinteger(L, 4);
  luaL_argcheck(L, start >= 1, 3, "start must be >= 1");
  luaL_argcheck(L, len >= 1, 4, "length must be >= 1");
  if (ln_tensor_narrow_dim(l_tensor_result(L, t, 1), t, dim, (size_t)start - 1, (size_t)len))
    l_raise(L, "Tensor:narrow");
  return 1;
}

/* A 1-D tensor's select is its element, as a number (there are no 0-D
 * tensors): t:select(1, i) is then t:get(i). */
static int tensor_select(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "select");
  l_checknargs(L, 3, "Tensor:select");
  int dim = l_tensor_checkdim(L, 2, t->ndim, 0);
  lua_Integer i = luaL_checkinteger(L, 3), n = (lua_Integer)t->size[dim];
  if (i < 0) i += n + 1;
  if (i < 1 || i > n)
    return luaL_error(L, "Tensor:select: index %I out of range 1..%I in dimension %d",
                      luaL_checkinteger(L, 3), n, dim + 1);
  if (t->ndim == 1) {
    lua_pushnumber(L, ln_data(t)[(i - 1) * t->stride[0]]);
    return 1;
  }
  if (ln_tensor_select(l_tensor_result(L, t, 1), t, dim, (size_t)i - 1))
    l_raise(L, "Tensor:select");
  return 1;
}

static int tensor_transpose(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "transpose");
  l_checknargs(L, 3, "Tensor:transpose");
  int d1 = l_tensor_checkdim(L, 2, t->ndim, 0), d2 = l_tensor_checkdim(L, 3, t->ndim, 0);
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
    for (int i = 0; i < ndim; i++) perm[i] = l_tensor_checkdim(L, 2 + i, ndim, 0);
  }
  if (ln_tensor_permute(l_tensor_result(L, t, 1), t, perm)) l_raise(L, "Tensor:permute");
  return 1;
}

static int tensor_squeeze(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "squeeze");
  l_checknargs(L, 2, "Tensor:squeeze");
  int dim = lua_isnoneornil(L, 2) ? -1 : l_tensor_checkdim(L, 2, t->ndim, 0);
  if (ln_tensor_squeeze(l_tensor_result(L, t, 1), t, dim)) l_raise(L, "Tensor:squeeze");
  return 1;
}

static int tensor_unsqueeze(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "unsqueeze");
  l_checknargs(L, 2, "Tensor:unsqueeze");
  int dim = l_tensor_checkdim(L, 2, t->ndim, 1);
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

const luaL_Reg l_tensor_view_methods[] = {
  {"view", tensor_view}, {"reshape", tensor_reshape}, {"narrow", tensor_narrow},
  {"select", tensor_select}, {"transpose", tensor_transpose}, {"t", tensor_t},
  {"permute", tensor_permute}, {"squeeze", tensor_squeeze}, {"unsqueeze", tensor_unsqueeze},
  {"expand", tensor_expand},
  {NULL, NULL}
};
