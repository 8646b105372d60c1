/* l_loss.c: the losses (lunet.MSELoss, lunet.CrossEntropyLoss, ... one
 * constructor per registered kind of core/loss.h) and lunet.isfinite.
 *
 * lunet.<Kind>([opts]) reads the options the kind takes (an unknown one is
 * refused). loss:forward(y, target) returns the cost as a Lua number (a NaN
 * or Inf cost as it is, as PyTorch returns a nan tensor; lunet.isfinite(cost)
 * tells a script whether to stop), or with reduction "none" the losses as a
 * view of a buffer the loss keeps. loss:backward(y, target) returns the
 * gradient as a view of another: the next call overwrites them, as a layer's
 * grad_input. */
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
  if (!l->live) luaL_error(L, "%s:%s: loss has been closed", l->loss.kind->name, method);
  return l;
}

/* liveloss, first thing in a method: also at most nargs arguments (self
 * included). */
static l_loss *checkloss(lua_State *L, const char *method, int nargs) {
  l_loss *l = liveloss(L, method);
  char who[64];
  snprintf(who, sizeof who, "%s:%s", l->loss.kind->name, method);
  l_checknargs(L, nargs, who);
  return l;
}

static const char *const reductions[] = {"mean", "sum", "none", NULL};

/* lunet.<Kind>([opts]), the kind in upvalue 1. Every option is read into C
 * values (the tensors pushed) before the userdata is made; the weights are
 * fetched after, as anything may have closed them. ignore_index is the
 * 1-based class number, stored 0-based. */
static int lunet_loss_new(lua_State *L) {
  const ln_loss_kind *k = lua_touserdata(L, lua_upvalueindex(1));
  char who[64];
  snprintf(who, sizeof who, "lunet.%s", k->name);
  l_checknargs(L, 1, who);
  l_checkoptions(L, 1, who, k->options);
  ln_loss_options o;
  ln_loss_options_default(&o);
  o.reduction = (ln_reduction)l_optchoice(L, 1, who, "reduction", reductions, 0);
  if (ln_loss_takes(k, "beta")) o.beta = l_optnumber(L, 1, who, "beta", 1);
  if (ln_loss_takes(k, "delta")) o.delta = l_optnumber(L, 1, who, "delta", 1);
  if (ln_loss_takes(k, "label_smoothing"))
    o.smoothing = l_optnumber(L, 1, who, "label_smoothing", 0);
  if (ln_loss_takes(k, "ignore_index") && l_optgiven(L, 1, "ignore_index")) {
    o.has_ignore = 1;
    o.ignore = (int)l_optinteger(L, 1, who, "ignore_index", 0, -(INT_MAX / 2), INT_MAX / 2) - 1;
  }
  int wi = ln_loss_takes(k, "weight") ? l_opttensor(L, 1, who, "weight") : 0;
  int pwi = ln_loss_takes(k, "pos_weight") ? l_opttensor(L, 1, who, "pos_weight") : 0;
  l_loss *l = lua_newuserdatauv(L, sizeof *l, 1);  /* 1: its views (l_cacheview) */
  ln_loss_init(&l->loss, k);
  l->live = 1;
  luaL_setmetatable(L, L_LOSS);
  if (wi) o.weight = *l_optlive(L, wi, who, "weight");
  if (pwi) o.pos_weight = *l_optlive(L, pwi, who, "pos_weight");
  if (ln_loss_set_options(&l->loss, &o)) l_raise(L, who);
  return 1;
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

/* What a label may be: a class 1..c, or the ignored one (1-based), copied
 * out of the loss so that reading labels never needs it. */
typedef struct labelset {
  size_t c;
  int has_ignore;
  double ignore;  /* 1-based */
} labelset;

/* The 0-based class of label v at index i (0-based); the ignored label
 * (any integer) becomes its 0-based number. */
static int class_of(lua_State *L, const char *who, double v, size_t i, const labelset *ls) {
  if (isnan(v)) fail(L, "%s: label at index %zu is nan, not a class number", who, i + 1);
  if (v != floor(v))
    fail(L, "%s: label at index %zu is %g, not a class number", who, i + 1, v);
  if (ls->has_ignore && v == ls->ignore) return (int)v - 1;
  if (v < 1 || v > (double)ls->c)  /* c <= LN_MAXNUMEL < INT_MAX */
    fail(L, "%s: label %g at index %zu is out of range 1..%zu", who, v, i + 1, ls->c);
  return (int)v - 1;
}

/* The class of the table element on top of the stack: a number (or a
 * numeric string, as luaL_checkinteger takes); anything else is named. */
static int element_class(lua_State *L, const char *who, size_t i, const labelset *ls) {
  int ok;
  double v = lua_tonumberx(L, -1, &ok);
  if (!ok && lua_type(L, -1) == LUA_TSTRING)
    fail(L, "%s: label at index %zu is the string \"%s\", not a class number", who, i + 1,
         lua_tostring(L, -1));
  if (!ok)
    fail(L, "%s: label at index %zu is %s%s, not a class number", who, i + 1,
         lua_isnil(L, -1) ? "" : "a ", luaL_typename(L, -1));
  return class_of(L, who, v, i, ls);
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
  labelset ls = {c, l->loss.opt.has_ignore, (double)l->loss.opt.ignore + 1};
  if (t) {
    t = l_checktensor(L, arg);
    if (t->ndim != 1)
      fail(L, "%s: labels must be a 1-D tensor of class numbers, got %s", who,
           ln_shape_str(t, s, sizeof s));
    if (t->size[0] != n) fail(L, "%s: %zu labels for %zu rows of input", who, t->size[0], n);
    if (ln_loss_reserve_labels(&l->loss, n)) l_raise(L, who);
    const float *p = ln_data(t);  /* 1-D, maybe strided */
    for (size_t i = 0; i < n; i++)
      l->loss.labels[i] = class_of(L, who, p[(ptrdiff_t)i * t->stride[0]], i, &ls);
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
    dst[i] = element_class(L, who, i, &ls);
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

/* forward and backward. The result (the gradient, or the "none" losses'
 * values) is the cached view while it matches (l_pushcached); a new one may
 * run a finalizer when it is made, so the loss is fetched again after it,
 * as after the labels. */
static int loss_run(lua_State *L, const char *method, int backward) {
  l_loss *l = checkloss(L, method, 3);
  const ln_loss_kind *k = l->loss.kind;
  char who[64];
  snprintf(who, sizeof who, "%s:%s", k->name, method);
  l_checktensor(L, 2);
  if (!k->classes) l_checktensor(L, 3);
  int top = lua_gettop(L);
  size_t n = 0;
  if (k->classes) {
    l = checklabels(L, method, who, 3);
    n = l_checktensor(L, 2)->size[0];
  } else {
    l = liveloss(L, method);
  }
  const ln_tensor *x = l_checktensor(L, 2), *t = k->classes ? NULL : l_checktensor(L, 3);
  double cost = 0;
  if (backward ? ln_loss_backward(&l->loss, x, t, n) : ln_loss_forward(&l->loss, &cost, x, t, n))
    l_raise(L, who);
  lua_settop(L, top);
  if (!backward && l->loss.opt.reduction != LN_REDUCE_NONE) {
    l_pushnumber(L, cost);
    return 1;
  }
  const ln_tensor *res = backward ? &l->loss.grad : &l->loss.out;
  if (l_pushcached(L, 1, res)) return 1;
  ln_tensor *g = l_newtensor(L);
  l = liveloss(L, method);
  ln_tensor_share(g, backward ? &l->loss.grad : &l->loss.out);
  l_cacheview(L, 1, res);
  return 1;
}

static int loss_forward(lua_State *L) { return loss_run(L, "forward", 0); }
static int loss_backward(lua_State *L) { return loss_run(L, "backward", 1); }

/* loss(y, target) is loss:forward(y, target), as PyTorch's criterion(y, t). */
static int loss_call(lua_State *L) { return loss_forward(L); }

/* CrossEntropyLoss(label_smoothing=0.1, ignore_index=3): the options that
 * are not PyTorch's defaults, as a constructor call would give them. */
static int loss_tostring(lua_State *L) {
  l_loss *l = luaL_checkudata(L, 1, L_LOSS);
  const ln_loss_options *o = &l->loss.opt;
  const ln_loss_kind *k = l->loss.kind;
  static const char *const reductions_shown[] = {"mean", "sum", "none"};
  char buf[256];
  int n = snprintf(buf, sizeof buf, "%s(", k->name);
  const char *sep = "";
#define SHOW(...) (n += snprintf(buf + n, sizeof buf - (size_t)n, __VA_ARGS__), sep = ", ")
  if (o->reduction != LN_REDUCE_MEAN) SHOW("reduction=\"%s\"", reductions_shown[o->reduction]);
  if (ln_loss_takes(k, "beta") && o->beta != 1) SHOW("%sbeta=%g", sep, o->beta);
  if (ln_loss_takes(k, "delta") && o->delta != 1) SHOW("%sdelta=%g", sep, o->delta);
  if (o->smoothing != 0) SHOW("%slabel_smoothing=%g", sep, o->smoothing);
  if (o->has_ignore) SHOW("%signore_index=%d", sep, o->ignore + 1);
  if (o->weight.st) SHOW("%sweight=<%zu classes>", sep, ln_numel(&o->weight));
  if (o->pos_weight.st) SHOW("%spos_weight=<%zu>", sep, ln_numel(&o->pos_weight));
#undef SHOW
  lua_pushfstring(L, "%s)%s", buf, l->live ? "" : " (closed)");
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
  /* lunet.<Kind> for every registered kind, the kind as its upvalue. */
  for (size_t i = 0; ln_loss_kind_at(i); i++) {
    lua_pushlightuserdata(L, (void *)ln_loss_kind_at(i));
    lua_pushcclosure(L, lunet_loss_new, 1);
    lua_setfield(L, -2, ln_loss_kind_at(i)->name);
  }
  l_newclass(L, L_LOSS, metamethods, methods);
}
