/* l_tensor_index.c: t[i], t[{2, {1, 3}, {}}] and assignment through them,
 * as Torch7 (and method lookup, which shares __index).
 *
 * A key is a number (select: that dimension is dropped; a 1-D tensor gives
 * its element), or a table with one entry per leading dimension: a number
 * selects, {a, b} is the inclusive range a..b, {a} is a..a (kept as a
 * dimension of size 1), {} is everything; dimensions past the table are
 * kept whole. Negative indices count from the end (-1 is the last).
 * Selecting every dimension gives a number. */
#include <string.h>

#include "l_tensor.h"

typedef struct spec {
  int n;                     /* entries, one per leading dimension */
  int sel[LN_MAXDIM];        /* 1: select index lo; 0: range lo..hi */
  lua_Integer lo[LN_MAXDIM], hi[LN_MAXDIM];  /* 1-based, maybe negative; 0 = open */
} spec;

/* Where the key resolves: an element (nd == 0) or a view (sizes, strides). */
typedef struct place {
  size_t off;
  int nd;
  size_t size[LN_MAXDIM];
  ptrdiff_t stride[LN_MAXDIM];
} place;

static lua_Integer checkint(lua_State *L, int idx, const char *what, int d) {
  int ok;
  lua_Integer v = lua_tointegerx(L, idx, &ok);
  if (!ok)
    luaL_error(L, "Tensor index: %s for dimension %d must be an integer, got %s", what, d,
               lua_type(L, idx) == LUA_TNUMBER
                   ? lua_pushfstring(L, "%f", l_msgnum(lua_tonumber(L, idx)))
                   : luaL_typename(L, idx));
  return v;
}

/* The key at idx to a spec; it may run Lua (a table's metamethods), so it
 * comes before any use of the tensor. */
static void parse_key(lua_State *L, int idx, spec *s) {
  if (lua_type(L, idx) == LUA_TNUMBER) {
    s->n = 1;
    s->sel[0] = 1;
    s->lo[0] = checkint(L, idx, "an index", 1);
    return;
  }
  lua_Integer n = luaL_len(L, idx);
  if (n > LN_MAXDIM) luaL_error(L, "Tensor index: %I entries, more than %d dimensions", n,
                                LN_MAXDIM);
  s->n = (int)n;
  for (int d = 0; d < s->n; d++) {
    int type = lua_geti(L, idx, d + 1);
    if (type == LUA_TNUMBER) {
      s->sel[d] = 1;
      s->lo[d] = checkint(L, -1, "an index", d + 1);
    } else if (type == LUA_TTABLE) {
      lua_Integer len = luaL_len(L, -1);
      if (len > 2)
        luaL_error(L, "Tensor index: a range for dimension %d is {a, b}, {a} or {}, got %I"
                   " entries", d + 1, len);
      s->sel[d] = 0;
      s->lo[d] = s->hi[d] = 0;
      if (len >= 1) {
        lua_geti(L, -1, 1);
        s->lo[d] = s->hi[d] = checkint(L, -1, "a range start", d + 1);
        lua_pop(L, 1);
      }
      if (len == 2) {
        lua_geti(L, -1, 2);
        s->hi[d] = checkint(L, -1, "a range end", d + 1);
        lua_pop(L, 1);
      }
    } else {
      luaL_error(L, "Tensor index: entry %d must be a number or a range table, got %s", d + 1,
                 luaL_typename(L, -1));
    }
    lua_pop(L, 1);
  }
}

/* 1-based, maybe negative index v of a dimension of size n to 0-based. */
static size_t resolve(lua_State *L, lua_Integer v, size_t n, int d) {
  lua_Integer k = v < 0 ? v + (lua_Integer)n + 1 : v;
  if (k < 1 || k > (lua_Integer)n)
    luaL_error(L, "Tensor index: index %I out of range 1..%I in dimension %d", v,
               (lua_Integer)n, d);
  return (size_t)(k - 1);
}

static void locate(lua_State *L, const ln_tensor *t, const spec *s, place *p) {
  if (s->n > t->ndim)
    luaL_error(L, "Tensor index: %d indices for a %d-D tensor", s->n, t->ndim);
  p->off = t->off;
  p->nd = 0;
  for (int d = 0; d < t->ndim; d++) {
    size_t n = t->size[d], lo = 0, hi = n - 1;
    if (d < s->n && s->sel[d]) {
      p->off += resolve(L, s->lo[d], n, d + 1) * (size_t)t->stride[d];
      continue;
    }
    if (d < s->n && s->lo[d] != 0) {
      lo = resolve(L, s->lo[d], n, d + 1);
      hi = resolve(L, s->hi[d], n, d + 1);
      if (hi < lo)
        luaL_error(L, "Tensor index: range {%I, %I} in dimension %d is empty", s->lo[d],
                   s->hi[d], d + 1);
    }
    p->off += lo * (size_t)t->stride[d];
    p->size[p->nd] = hi - lo + 1;
    p->stride[p->nd++] = t->stride[d];
  }
}

/* Pushes the view at p (sharing t's storage). */
static ln_tensor *pushplace(lua_State *L, const ln_tensor *t, const place *p) {
  ln_tensor *v = l_tensor_result(L, (ln_tensor *)t, 1);
  ln_tensor_share(v, t);
  v->off = p->off;
  v->ndim = p->nd;
  for (int i = 0; i < LN_MAXDIM; i++) {
    v->size[i] = i < p->nd ? p->size[i] : 0;
    v->stride[i] = i < p->nd ? p->stride[i] : 0;
  }
  return v;
}

int l_tensor_index(lua_State *L) {
  int type = lua_type(L, 2);
  if (type == LUA_TSTRING) {
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TNIL) l_nofield(L, "Tensor", 2, NULL);
    return 1;  /* a method; t.foo is an error, never a silent nil */
  }
  if (type != LUA_TNUMBER && type != LUA_TTABLE)
    return luaL_error(L, "Tensor index: expected a number, a table or a method name, got %s",
                      luaL_typename(L, 2));
  ln_tensor *t = l_checktensor(L, 1);
  spec s;
  parse_key(L, 2, &s);
  t = l_tensor_live(L, t, 1);
  place p;
  locate(L, t, &s, &p);
  if (p.nd == 0) l_pushnumber(L, t->st->data[p.off]);
  else pushplace(L, t, &p);
  return 1;
}

int l_tensor_newindex(lua_State *L) {
  int type = lua_type(L, 2);
  ln_tensor *t = l_checktensor(L, 1);
  if (type != LUA_TNUMBER && type != LUA_TTABLE)
    return luaL_error(L, "Tensor index: cannot assign to key %s (a number or a table of"
                      " indices; tensors have methods, not fields)", luaL_tolstring(L, 2, NULL));
  spec s;
  parse_key(L, 2, &s);
  /* The value after the key's conversion, which may have closed it. */
  ln_tensor *src = l_testtensor(L, 3);
  int isnum;
  float v = (float)lua_tonumberx(L, 3, &isnum);
  if (src) src = l_checktensor(L, 3);
  else if (!isnum)
    return luaL_error(L, "Tensor index: the value assigned must be a number or a tensor, got %s",
                      luaL_typename(L, 3));
  t = l_tensor_live(L, t, 1);
  place p;
  locate(L, t, &s, &p);
  if (p.nd == 0 && !src) {
    t->st->data[p.off] = v;
    return 0;
  }
  if (p.nd == 0)
    return luaL_error(L, "Tensor index: a tensor assigned to one element (assign a number)");
  ln_tensor *dst = pushplace(L, t, &p);
  if (!src) {
    ln_tensor_fill(dst, v);
    return 0;
  }
  int nd;
  size_t shape[LN_MAXDIM];
  char a[96], b[96];
  if (ln_broadcast_shape(NULL, dst->ndim, dst->size, src->ndim, src->size, &nd, shape) ||
      nd != dst->ndim || memcmp(shape, dst->size, (size_t)nd * sizeof *shape))
    return luaL_error(L, "Tensor index: a %s tensor does not broadcast to the %s place"
                      " assigned", ln_shape_str(src, a, sizeof a), ln_shape_str(dst, b, sizeof b));
  if (ln_tensor_check_writable("Tensor index", dst) || ln_tensor_copy(dst, src))
    l_raise(L, "Tensor index");
  return 0;
}
