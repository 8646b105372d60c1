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

/* The live loss a method was called on. */
static l_loss *checkloss(lua_State *L, const char *method) {
  l_loss *l = l_checkself(L, L_LOSS, "loss expected, got %s; call it as loss:%s(...)", method);
  if (!l->live) luaL_argerror(L, 1, "loss has been closed");
  return l;
}

static int newloss(lua_State *L, ln_loss_kind kind, const char *who) {
  /* No options: a PyTorch-style {reduction = "sum"} must not pass unnoticed. */
  if (!lua_isnone(L, 1)) luaL_argerror(L, 1, lua_pushfstring(L, "%s takes no arguments", who));
  l_loss *l = lua_newuserdatauv(L, sizeof *l, 0);
  ln_loss_init(&l->loss, kind);
  l->live = 1;
  luaL_setmetatable(L, L_LOSS);
  return 1;
}

static int lunet_MSELoss(lua_State *L) { return newloss(L, LN_MSE, "MSELoss"); }
static int lunet_CrossEntropyLoss(lua_State *L) {
  return newloss(L, LN_CROSS_ENTROPY, "CrossEntropyLoss");
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

/* Reads class number i (0-based) of a label tensor or table. */
static double label_at(lua_State *L, int arg, const ln_tensor *t, size_t i) {
  if (t) return ln_data(t)[(ptrdiff_t)i * t->stride[0]];  /* 1-D, maybe strided */
  lua_geti(L, arg, (lua_Integer)i + 1);
  int ok;
  double v = lua_tonumberx(L, -1, &ok);
  lua_pop(L, 1);
  return ok ? v : NAN;
}

/* Converts labels 1..C at arg into 0-based ints in the loss's buffer. */
static void checklabels(lua_State *L, l_loss *l, const char *who, const ln_tensor *x,
                        int arg) {
  char s[64];
  if (x->ndim != 2)
    fail(L, "%s: input must be 2-D (N,C), got %s", who, ln_shape_str(x, s, sizeof s));
  size_t n = x->size[0], c = x->size[1], len;
  const ln_tensor *t = l_testtensor(L, arg);
  if (t) {
    t = l_checktensor(L, arg);
    if (t->ndim != 1)
      fail(L, "%s: labels must be a 1-D tensor of class numbers, got %s", who,
                 ln_shape_str(t, s, sizeof s));
    len = t->size[0];
  } else if (lua_istable(L, arg)) {
    len = (size_t)luaL_len(L, arg);
  } else {
    return (void)luaL_typeerror(L, arg, "lunet.Tensor or table of class numbers");
  }
  if (len != n) fail(L, "%s: %zu labels for %zu rows of input", who, len, n);
  if (ln_loss_reserve_labels(&l->loss, n)) l_raise(L, who);
  for (size_t i = 0; i < n; i++) {
    double v = label_at(L, arg, t, i);
    if (!(v == floor(v)))
      fail(L, "%s: label at index %zu is %g, not a class number", who, i + 1, v);
    if (v < 1 || v > (double)c || v > INT_MAX)
      fail(L, "%s: label %g at index %zu is out of range 1..%zu", who, v, i + 1, c);
    l->loss.labels[i] = (int)v - 1;
  }
}

static int loss_forward(lua_State *L) {
  l_loss *l = checkloss(L, "forward");
  ln_tensor *y = l_checktensor(L, 2);
  double cost = 0;
  if (l->loss.kind == LN_MSE) {
    if (ln_mse_forward(&cost, y, l_checktensor(L, 3))) l_raise(L, "MSELoss:forward");
  } else {
    checklabels(L, l, "CrossEntropyLoss:forward", y, 3);
    if (ln_ce_forward(&cost, y, l->loss.labels, y->size[0]))
      l_raise(L, "CrossEntropyLoss:forward");
  }
  lua_pushnumber(L, cost);
  return 1;
}

static int loss_backward(lua_State *L) {
  l_loss *l = checkloss(L, "backward");
  ln_tensor *y = l_checktensor(L, 2);
  if (l->loss.kind == LN_MSE) {
    if (ln_mse_backward(&l->loss.grad, y, l_checktensor(L, 3)))
      l_raise(L, "MSELoss:backward");
  } else {
    checklabels(L, l, "CrossEntropyLoss:backward", y, 3);
    if (ln_ce_backward(&l->loss.grad, y, l->loss.labels, y->size[0]))
      l_raise(L, "CrossEntropyLoss:backward");
  }
  l_pushview(L, &l->loss.grad);
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
