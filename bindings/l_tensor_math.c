/* l_tensor_math.c: elementwise arithmetic and comparisons with NumPy
 * broadcasting, as methods (t:add(u)), operators (t + u), functions
 * (lunet.maximum) and in-place forms (t:add_(u)); unary math; masks, where,
 * and the all-element tests. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "l_tensor.h"

/* An operand: a tensor, or a number (which broadcasts with anything). An
 * operator's message names the operator and the operand, since Lua gives
 * metamethods no name of their own ("bad argument #1 to '?'"). */
static ln_tensor *operand(lua_State *L, int arg, const char *who, int method, double *num) {
  ln_tensor *t = l_testtensor(L, arg);
  if (t) return l_checktensor(L, arg);  /* refuses a closed tensor */
  int ok;
  *num = lua_tonumberx(L, arg, &ok);
  if (ok) return NULL;
  if (method) luaL_argexpected(L, 0, arg, "tensor or number");
  luaL_error(L, "%s: operand %d: tensor or number expected, got %s", who, arg,
             luaL_typename(L, arg));
  return NULL;
}

enum { METHOD, INPLACE, OPERATOR, FUNCTION };

/* Refuses an in-place result that would not have the destination's shape. */
static int fits(const ln_tensor *a, const ln_tensor *b) {
  int nd;
  size_t shape[LN_MAXDIM];
  if (ln_broadcast_shape(NULL, a->ndim, a->size, b->ndim, b->size, &nd, shape)) return LN_ERR;
  if (nd == a->ndim && !memcmp(shape, a->size, (size_t)nd * sizeof *shape)) return LN_OK;
  char sa[96], sb[96];
  return ln_fail("the result of shapes %s and %s does not fit the %s tensor written in place",
                 ln_shape_str(a, sa, sizeof sa), ln_shape_str(b, sb, sizeof sb), sa);
}

/* out = a op b for tensors and numbers on either side (at least one
 * tensor); in place into argument 1 for INPLACE. */
static int arith(lua_State *L, ln_binop op, const char *who, int kind) {
  double na = 0, nb = 0;
  int method = kind == METHOD || kind == INPLACE, inplace = kind == INPLACE;
  if (method) {
    char m[32];
    snprintf(m, sizeof m, "%s%s", ln_binop_name(op), inplace ? "_" : "");
    l_tensor_self(L, m);
  }
  if (kind != OPERATOR) l_checknargs(L, 2, who);
  /* The result first: creating it may run a finalizer that closes an operand. */
  ln_tensor *out = inplace ? NULL : l_newtensor(L);
  ln_tensor *a = operand(L, 1, who, kind != OPERATOR, &na);
  ln_tensor *b = operand(L, 2, who, kind != OPERATOR, &nb);
  if (!a && !b) luaL_typeerror(L, 1, L_TENSOR);  /* t.add(2, 3): two numbers */
  int rc;
  if (inplace) {
    out = a;
    rc = ln_tensor_check_writable(who, a) || (b && fits(a, b)) ? LN_ERR
         : b ? ln_tensor_binop(out, a, b, op) : ln_tensor_scalar(out, a, nb, op, 0);
  } else if (a && b) {
    rc = ln_tensor_binop(out, a, b, op);
  } else if (a) {
    rc = ln_tensor_scalar(out, a, nb, op, 0);
  } else {
    rc = ln_tensor_scalar(out, b, na, op, 1);
  }
  if (rc) l_raise(L, who);
  if (inplace) lua_settop(L, 1);
  return 1;
}

#define BINARY(name, op)                                                            \
  static int tensor_##name(lua_State *L) { return arith(L, op, "Tensor:" #name, METHOD); } \
  static int tensor_##name##_(lua_State *L) {                                      \
    return arith(L, op, "Tensor:" #name "_", INPLACE);                             \
  }
BINARY(add, LN_ADD)
BINARY(sub, LN_SUB)
BINARY(mul, LN_MUL)
BINARY(div, LN_DIV)
BINARY(pow, LN_POW)
BINARY(maximum, LN_MAXIMUM)
BINARY(minimum, LN_MINIMUM)
BINARY(eq, LN_EQ)
BINARY(ne, LN_NE)
BINARY(lt, LN_LT)
BINARY(le, LN_LE)
BINARY(gt, LN_GT)
BINARY(ge, LN_GE)
static int lunet_maximum(lua_State *L) { return arith(L, LN_MAXIMUM, "lunet.maximum", FUNCTION); }
static int lunet_minimum(lua_State *L) { return arith(L, LN_MINIMUM, "lunet.minimum", FUNCTION); }
/* The operators a + b etc., named by their symbol. */
static int tensor___add(lua_State *L) { return arith(L, LN_ADD, "Tensor +", OPERATOR); }
static int tensor___sub(lua_State *L) { return arith(L, LN_SUB, "Tensor -", OPERATOR); }
static int tensor___mul(lua_State *L) { return arith(L, LN_MUL, "Tensor *", OPERATOR); }
static int tensor___div(lua_State *L) { return arith(L, LN_DIV, "Tensor /", OPERATOR); }
static int tensor___pow(lua_State *L) { return arith(L, LN_POW, "Tensor ^", OPERATOR); }

static int tensor_unm(lua_State *L) {
  ln_tensor *t = l_checktensor(L, 1);
  if (ln_tensor_unary(l_tensor_result(L, t, 1), t, LN_U_NEG, 0, 0)) l_raise(L, "Tensor -");
  return 1;
}

/* t:op() into a new tensor, or t:op_() in place. clamp takes (min, max),
 * either nil for no bound. */
static int unary(lua_State *L, ln_unop op, int inplace) {
  char m[32], who[48];
  snprintf(m, sizeof m, "%s%s", ln_unop_name(op), inplace ? "_" : "");
  snprintf(who, sizeof who, "Tensor:%s", m);
  ln_tensor *t = l_tensor_self(L, m);
  double lo = 0, hi = 0;
  l_checknargs(L, op == LN_U_CLAMP ? 3 : 1, who);
  if (op == LN_U_CLAMP) {
    lo = luaL_optnumber(L, 2, -INFINITY);
    hi = luaL_optnumber(L, 3, INFINITY);
    if (lua_isnoneornil(L, 2) && lua_isnoneornil(L, 3))
      return luaL_error(L, "%s: give a min, a max or both", who);
  }
  if (inplace) {
    if (ln_tensor_check_writable(who, t) || ln_tensor_unary(t, t, op, lo, hi)) l_raise(L, who);
    lua_settop(L, 1);
  } else if (ln_tensor_unary(l_tensor_result(L, t, 1), t, op, lo, hi)) {
    l_raise(L, who);
  }
  return 1;
}

#define UNARY(name, op)                                                  \
  static int tensor_##name(lua_State *L) { return unary(L, op, 0); }     \
  static int tensor_##name##_(lua_State *L) { return unary(L, op, 1); }
UNARY(abs, LN_U_ABS)
UNARY(neg, LN_U_NEG)
UNARY(exp, LN_U_EXP)
UNARY(log, LN_U_LOG)
UNARY(log1p, LN_U_LOG1P)
UNARY(sqrt, LN_U_SQRT)
UNARY(rsqrt, LN_U_RSQRT)
UNARY(sign, LN_U_SIGN)
UNARY(floor, LN_U_FLOOR)
UNARY(ceil, LN_U_CEIL)
UNARY(round, LN_U_ROUND)
UNARY(sin, LN_U_SIN)
UNARY(cos, LN_U_COS)
UNARY(tanh, LN_U_TANH)
UNARY(sigmoid, LN_U_SIGMOID)
UNARY(relu, LN_U_RELU)
UNARY(clamp, LN_U_CLAMP)
static int tensor_isnan(lua_State *L) { return unary(L, LN_U_ISNAN, 0); }
static int tensor_isinf(lua_State *L) { return unary(L, LN_U_ISINF, 0); }

/* square and reciprocal, compositions of the binary kernels (x * x and
 * 1 / x in float, as PyTorch computes them, so bit for bit the same). */
static int square_of(ln_tensor *out, const ln_tensor *t) {
  return ln_tensor_binop(out, t, t, LN_MUL);
}

static int reciprocal_of(ln_tensor *out, const ln_tensor *t) {
  return ln_tensor_scalar(out, t, 1, LN_DIV, 1);
}

static int composed(lua_State *L, const char *method, int inplace,
                    int (*f)(ln_tensor *, const ln_tensor *)) {
  char who[48];
  snprintf(who, sizeof who, "Tensor:%s", method);
  ln_tensor *t = l_tensor_self(L, method);
  l_checknargs(L, 1, who);
  if (inplace) {
    if (ln_tensor_check_writable(who, t) || f(t, t)) l_raise(L, who);
    lua_settop(L, 1);
  } else if (f(l_tensor_result(L, t, 1), t)) {
    l_raise(L, who);
  }
  return 1;
}

static int tensor_square(lua_State *L) { return composed(L, "square", 0, square_of); }
static int tensor_square_(lua_State *L) { return composed(L, "square_", 1, square_of); }
static int tensor_reciprocal(lua_State *L) {
  return composed(L, "reciprocal", 0, reciprocal_of);
}
static int tensor_reciprocal_(lua_State *L) {
  return composed(L, "reciprocal_", 1, reciprocal_of);
}

/* A tensor argument, or a number as a 1-element tensor in *num (over v and
 * st, which the caller keeps). */
static const ln_tensor *tensor_or_number(lua_State *L, int arg, ln_tensor *num,
                                         ln_storage *st, float *v) {
  ln_tensor *t = l_testtensor(L, arg);
  if (t) return l_checktensor(L, arg);
  *v = (float)luaL_checknumber(L, arg);
  ln_tensor_number(num, st, v);
  return num;
}

/* lunet.where(cond, a, b): a where cond is nonzero, else b; a and b tensors
 * or numbers, all three broadcast together. */
static int lunet_where(lua_State *L) {
  l_checknargs(L, 3, "lunet.where");
  ln_tensor *out = l_newtensor(L), na, nb;
  ln_storage sa, sb;
  float va, vb;
  const ln_tensor *a = tensor_or_number(L, 2, &na, &sa, &va);
  const ln_tensor *b = tensor_or_number(L, 3, &nb, &sb, &vb);
  if (ln_tensor_where(out, l_checktensor(L, 1), a, b)) l_raise(L, "lunet.where");
  return 1;
}

static int masked_fill(lua_State *L, int inplace) {
  const char *who = inplace ? "Tensor:masked_fill_" : "Tensor:masked_fill";
  ln_tensor *t = l_tensor_self(L, who + 7);
  l_checknargs(L, 3, who);
  float v = (float)luaL_checknumber(L, 3);
  ln_tensor *out = inplace ? t : l_tensor_result(L, t, 1);
  if ((inplace && ln_tensor_check_writable(who, t)) ||
      ln_tensor_masked_fill(out, t, l_checktensor(L, 2), v))
    l_raise(L, who);
  if (inplace) lua_settop(L, 1);
  return 1;
}

static int tensor_masked_fill(lua_State *L) { return masked_fill(L, 0); }
static int tensor_masked_fill_(lua_State *L) { return masked_fill(L, 1); }

/* masked_select and nonzero give nil when nothing is selected: lunet has
 * no tensors of size 0. */
static int tensor_masked_select(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "masked_select");
  l_checknargs(L, 2, "Tensor:masked_select");
  l_checktensor(L, 2);
  ln_tensor *out = l_tensor_result(L, t, 1);
  size_t n;
  if (ln_tensor_masked_select(out, &n, t, l_checktensor(L, 2)))
    l_raise(L, "Tensor:masked_select");
  if (n == 0) lua_pushnil(L);
  return 1;
}

static int tensor_nonzero(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "nonzero");
  l_checknargs(L, 1, "Tensor:nonzero");
  ln_tensor *out = l_tensor_result(L, t, 1);
  size_t n;
  if (ln_tensor_nonzero(out, &n, t)) l_raise(L, "Tensor:nonzero");
  if (n == 0) {
    lua_pushnil(L);
    return 1;
  }
  ln_tensor_scalar(out, out, 1, LN_ADD, 0);  /* 1-based; in place, cannot fail */
  return 1;
}

static int tensor_any(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "any");
  l_checknargs(L, 1, "Tensor:any");
  lua_pushboolean(L, ln_tensor_count_nonzero(t) > 0);
  return 1;
}

static int tensor_all(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "all");
  l_checknargs(L, 1, "Tensor:all");
  lua_pushboolean(L, ln_tensor_count_nonzero(t) == ln_numel(t));
  return 1;
}

static int tensor_equal(lua_State *L) {
  ln_tensor *t = l_tensor_self(L, "equal");
  l_checknargs(L, 2, "Tensor:equal");
  lua_pushboolean(L, ln_tensor_equal(t, l_checktensor(L, 2)));
  return 1;
}

/* lunet.allclose(a, b [, rtol [, atol]]), torch's defaults 1e-5 and 1e-8. */
static int lunet_allclose(lua_State *L) {
  l_checknargs(L, 4, "lunet.allclose");
  double rtol = luaL_optnumber(L, 3, 1e-5), atol = luaL_optnumber(L, 4, 1e-8);
  luaL_argcheck(L, rtol >= 0, 3, "rtol must be >= 0");
  luaL_argcheck(L, atol >= 0, 4, "atol must be >= 0");
  int close;
  if (ln_tensor_allclose(&close, l_checktensor(L, 1), l_checktensor(L, 2), rtol, atol))
    l_raise(L, "lunet.allclose");
  lua_pushboolean(L, close);
  return 1;
}

#define BOTH(name) {#name, tensor_##name}, {#name "_", tensor_##name##_}
const luaL_Reg l_tensor_math_methods[] = {
  BOTH(add), BOTH(sub), BOTH(mul), BOTH(div), BOTH(pow), BOTH(maximum), BOTH(minimum),
  BOTH(eq), BOTH(ne), BOTH(lt), BOTH(le), BOTH(gt), BOTH(ge),
  BOTH(abs), BOTH(neg), BOTH(exp), BOTH(log), BOTH(log1p), BOTH(sqrt), BOTH(rsqrt),
  BOTH(sign), BOTH(floor), BOTH(ceil), BOTH(round), BOTH(sin), BOTH(cos), BOTH(tanh),
  BOTH(sigmoid), BOTH(relu), BOTH(clamp), BOTH(masked_fill), BOTH(square), BOTH(reciprocal),
  {"isnan", tensor_isnan}, {"isinf", tensor_isinf}, {"masked_select", tensor_masked_select},
  {"nonzero", tensor_nonzero}, {"any", tensor_any}, {"all", tensor_all},
  {"equal", tensor_equal},
  {NULL, NULL}
};

const luaL_Reg l_tensor_math_functions[] = {
  {"maximum", lunet_maximum}, {"minimum", lunet_minimum}, {"where", lunet_where},
  {"allclose", lunet_allclose},
  {NULL, NULL}
};

const luaL_Reg l_tensor_math_meta[] = {
  {"__add", tensor___add}, {"__sub", tensor___sub}, {"__mul", tensor___mul},
  {"__div", tensor___div}, {"__pow", tensor___pow}, {"__unm", tensor_unm},
  {NULL, NULL}
};
