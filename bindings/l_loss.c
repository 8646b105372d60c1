/* l_loss.c: lunet.MSELoss, lunet.CrossEntropyLoss and lunet.isfinite.
 *
 * loss:forward(y, target) returns the cost as a Lua number; a NaN or Inf
 * cost is returned as it is (as PyTorch returns a nan tensor), and
 * lunet.isfinite(cost) tells a script whether to stop. loss:backward(y,
 * target) returns the gradient as a view of a buffer the loss object keeps:
 * the next backward overwrites it, as a layer's grad_input. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lunet.h"
#include "../core/loss.h"

#define L_LOSS "lunet.Loss"

typedef struct l_loss {
  ln_loss loss;
  int live;  /* 0 once closed */
} l_loss;

/* The live loss a method was called on: "CrossEntropyLoss:forward: loss
 * has been closed" otherwise. Called again after anything that may have
 * run Lua. */
static l_loss *liveloss(lua_State *L, const char *method) {
  l_loss *l = l_checkself(L, L_LOSS, "loss expected, got %s; call it as loss:%s(...)", method);
  if (!l->live) luaL_error(L, "%s:%s: loss has been closed", ln_loss_name(l->loss.kind), method);
  return l;
}

/* liveloss, first thing in a method: also at most nargs arguments (self
 * included). */
static l_loss *checkloss(lua_State *L, const char *method, int nargs) {
  l_loss *l = liveloss(L, method);
  char who[64];
  snprintf(who, sizeof who, "%s:%s", ln_loss_name(l->loss.kind), method);
  l_checknargs(L, nargs, who);
  return l;
}

static int newloss(lua_State *L, ln_loss_kind kind, const char *who) {
  /* No options yet: a PyTorch-style {reduction = "sum"} must not pass unnoticed. */
  l_checknargs(L, 0, who);
  l_loss *l = lua_newuserdatauv(L, sizeof *l, 0);
  ln_loss_init(&l->loss, kind);
  l->live = 1;
  luaL_setmetatable(L, L_LOSS);
  return 1;
}

static int lunet_MSELoss(lua_State *L) { return newloss(L, LN_MSE, "lunet.MSELoss"); }
static int lunet_CrossEntropyLoss(lua_State *L) {
  return newloss(L, LN_CROSS_ENTROPY, "lunet.CrossEntropyLoss");
}

/* luaL_error with C's printf formats (%zu, %g), which lua_pushfstring lacks. */
static int fail(lua_State *L, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return luaL_error(L, "%s", msg);
}

/* The 0-based class of label v at index i (0-based) for c classes. */
static int class_of(lua_State *L, const char *who, double v, size_t i, size_t c) {
  if (isnan(v)) fail(L, "%s: label at index %zu is nan, not a class number", who, i + 1);
  if (v != floor(v))
    fail(L, "%s: label at index %zu is %g, not a class number", who, i + 1, v);
  if (v < 1 || v > (double)c)  /* c <= LN_MAXNUMEL < INT_MAX */
    fail(L, "%s: label %g at index %zu is out of range 1..%zu", who, v, i + 1, c);
  return (int)v - 1;
}

/* The class of the table element on top of the stack: a number (or a
 * numeric string, as luaL_checkinteger takes); anything else is named. */
static int element_class(lua_State *L, const char *who, size_t i, size_t c) {
  int ok;
  double v = lua_tonumberx(L, -1, &ok);
  if (!ok && lua_type(L, -1) == LUA_TSTRING)
    fail(L, "%s: label at index %zu is the string \"%s\", not a class number", who, i + 1,
         lua_tostring(L, -1));
  if (!ok)
    fail(L, "%s: label at index %zu is %s%s, not a class number", who, i + 1,
         lua_isnil(L, -1) ? "" : "a ", luaL_typename(L, -1));
  return class_of(L, who, v, i, c);
}

/* Converts labels 1..C at arg (a tensor, or a table) into 0-based ints in
 * the loss's buffer, for the (N,C) input at argument 2. A table with a
 * metatable may run Lua in __len and __index, which may close the loss or
 * the input: it is read into a scratch buffer first, and the loss and the
 * input are fetched again afterwards. Returns the (live) loss. */
static l_loss *checklabels(lua_State *L, const char *method, const char *who, int arg) {
  l_loss *l = liveloss(L, method);
  const ln_tensor *x = l_checktensor(L, 2), *t = l_testtensor(L, arg);
  char s[64];
  if (x->ndim != 2)
    fail(L, "%s: input must be 2-D (N,C), got %s", who, ln_shape_str(x, s, sizeof s));
  size_t n = x->size[0], c = x->size[1];
  if (t) {
    t = l_checktensor(L, arg);
    if (t->ndim != 1)
      fail(L, "%s: labels must be a 1-D tensor of class numbers, got %s", who,
           ln_shape_str(t, s, sizeof s));
    if (t->size[0] != n) fail(L, "%s: %zu labels for %zu rows of input", who, t->size[0], n);
    if (ln_loss_reserve_labels(&l->loss, n)) l_raise(L, who);
    const float *p = ln_data(t);  /* 1-D, maybe strided */
    for (size_t i = 0; i < n; i++)
      l->loss.labels[i] = class_of(L, who, p[(ptrdiff_t)i * t->stride[0]], i, c);
    return l;
  }
  if (!lua_istable(L, arg))
    return luaL_typeerror(L, arg, "lunet.Tensor or table of class numbers"), NULL;
  int hostile = lua_getmetatable(L, arg);
  if (hostile) lua_pop(L, 1);
  lua_Integer len = luaL_len(L, arg);
  if (len < 0 || (lua_Unsigned)len != n)
    fail(L, "%s: %lld labels for %zu rows of input", who, (long long)len, n);
  int *dst;
  if (hostile) {
    dst = lua_newuserdatauv(L, n * sizeof *dst, 0);
  } else {
    if (ln_loss_reserve_labels(&l->loss, n)) l_raise(L, who);
    dst = l->loss.labels;
  }
  for (size_t i = 0; i < n; i++) {
    lua_geti(L, arg, (lua_Integer)i + 1);
    dst[i] = element_class(L, who, i, c);
    lua_pop(L, 1);
  }
  if (!hostile) return l;
  l = liveloss(L, method);
  x = l_checktensor(L, 2);
  if (x->ndim != 2 || x->size[0] != n || x->size[1] != c)
    fail(L, "%s: the input changed while its labels were read", who);
  if (ln_loss_reserve_labels(&l->loss, n)) l_raise(L, who);
  memcpy(l->loss.labels, dst, n * sizeof *dst);
  lua_pop(L, 1);
  return l;
}

static int loss_forward(lua_State *L) {
  l_loss *l = checkloss(L, "forward", 3);
  double cost = 0;
  if (l->loss.kind == LN_MSE) {
    if (ln_mse_forward(&cost, l_checktensor(L, 2), l_checktensor(L, 3)))
      l_raise(L, "MSELoss:forward");
  } else {
    l = checklabels(L, "forward", "CrossEntropyLoss:forward", 3);
    const ln_tensor *y = l_checktensor(L, 2);
    if (ln_ce_forward(&cost, y, l->loss.labels, y->size[0]))
      l_raise(L, "CrossEntropyLoss:forward");
  }
  lua_pushnumber(L, cost);
  return 1;
}

/* The gradient's tensor userdata is made first: making it may run a
 * finalizer, which must not find the loss half used. */
static int loss_backward(lua_State *L) {
  l_loss *l = checkloss(L, "backward", 3);
  int mse = l->loss.kind == LN_MSE;
  l_checktensor(L, 2);
  if (mse) l_checktensor(L, 3);
  ln_tensor *g = l_newtensor(L);
  int top = lua_gettop(L);
  if (mse) {
    l = liveloss(L, "backward");
    if (ln_mse_backward(&l->loss.grad, l_checktensor(L, 2), l_checktensor(L, 3)))
      l_raise(L, "MSELoss:backward");
  } else {
    l = checklabels(L, "backward", "CrossEntropyLoss:backward", 3);
    const ln_tensor *y = l_checktensor(L, 2);
    if (ln_ce_backward(&l->loss.grad, y, l->loss.labels, y->size[0]))
      l_raise(L, "CrossEntropyLoss:backward");
  }
  ln_tensor_share(g, &l->loss.grad);
  lua_settop(L, top);
  return 1;
}

/* loss(y, target) is loss:forward(y, target), as PyTorch's criterion(y, t). */
static int loss_call(lua_State *L) { return loss_forward(L); }

static int loss_tostring(lua_State *L) {
  l_loss *l = luaL_checkudata(L, 1, L_LOSS);
  lua_pushfstring(L, "%s()%s", ln_loss_name(l->loss.kind), l->live ? "" : " (closed)");
  return 1;
}

/* One idempotent closer for __gc and __close. */
static int loss_gc(lua_State *L) {
  l_loss *l = luaL_checkudata(L, 1, L_LOSS);
  ln_loss_free(&l->loss);
  l->live = 0;
  return 0;
}

/* lunet.isfinite(x): x a number, or a tensor (true when every element is). */
static int lunet_isfinite(lua_State *L) {
  l_checknargs(L, 1, "lunet.isfinite");
  ln_tensor *t = l_testtensor(L, 1);
  if (t) {
    /* Any NaN or Inf makes the double sum non-finite; finite floats never
     * overflow it. Strided tensors are summed as they are. */
    lua_pushboolean(L, isfinite(ln_tensor_sum(l_checktensor(L, 1))));
  } else {
    lua_pushboolean(L, isfinite(luaL_checknumber(L, 1)));
  }
  return 1;
}

static const luaL_Reg functions[] = {
  {"MSELoss", lunet_MSELoss}, {"CrossEntropyLoss", lunet_CrossEntropyLoss},
  {"isfinite", lunet_isfinite},
  {NULL, NULL}
};

static const luaL_Reg methods[] = {
  {"forward", loss_forward}, {"backward", loss_backward},
  {NULL, NULL}
};

static const luaL_Reg metamethods[] = {
  {"__call", loss_call}, {"__tostring", loss_tostring}, {"__gc", loss_gc},
  {"__close", loss_gc},
  {NULL, NULL}
};

void l_open_loss(lua_State *L) {
  luaL_setfuncs(L, functions, 0);
  l_newclass(L, L_LOSS, metamethods, methods);
}
