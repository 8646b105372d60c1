/* l_tensor_math.c: elementwise arithmetic with NumPy broadcasting, as
 * methods (t:add(u)), operators (t + u) and in-place forms (t:add_(u)). */
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

/* out = a op b for tensors and numbers on either side (at least one
 * tensor); in place into argument 1 when inplace. */
static int arith(lua_State *L, ln_binop op, const char *who, int method, int inplace) {
  double na = 0, nb = 0;
  if (method) {
    char m[32];
    snprintf(m, sizeof m, "%s%s", ln_binop_name(op), inplace ? "_" : "");
    l_tensor_self(L, m);
    l_checknargs(L, 2, who);
  }
  /* The result first: creating it may run a finalizer that closes an operand. */
  ln_tensor *out = inplace ? NULL : l_newtensor(L);
  ln_tensor *a = operand(L, 1, who, method, &na), *b = operand(L, 2, who, method, &nb);
  if (!a && !b) luaL_typeerror(L, 1, L_TENSOR);  /* t.add(2, 3): two numbers */
  if (inplace && ln_tensor_check_writable(who, a)) l_raise(L, who);
  if (inplace) out = a;
  int rc;
  if (inplace && b) {
    int nd;
    size_t shape[LN_MAXDIM];
    rc = ln_broadcast_shape(NULL, a->ndim, a->size, b->ndim, b->size, &nd, shape);
    if (rc == LN_OK && (nd != a->ndim || memcmp(shape, a->size, (size_t)nd * sizeof *shape))) {
      char sa[96], sb[96];
      rc = ln_fail("the result of shapes %s and %s does not fit the %s tensor written in place",
                   ln_shape_str(a, sa, sizeof sa), ln_shape_str(b, sb, sizeof sb),
                   ln_shape_str(a, sa, sizeof sa));
    }
    if (rc == LN_OK) rc = ln_tensor_binop(out, a, b, op);
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

static int tensor_add(lua_State *L) { return arith(L, LN_ADD, "Tensor:add", 1, 0); }
static int tensor_sub(lua_State *L) { return arith(L, LN_SUB, "Tensor:sub", 1, 0); }
static int tensor_mul(lua_State *L) { return arith(L, LN_MUL, "Tensor:mul", 1, 0); }
static int tensor_div(lua_State *L) { return arith(L, LN_DIV, "Tensor:div", 1, 0); }
static int tensor_pow(lua_State *L) { return arith(L, LN_POW, "Tensor:pow", 1, 0); }
static int tensor_add_(lua_State *L) { return arith(L, LN_ADD, "Tensor:add_", 1, 1); }
static int tensor_sub_(lua_State *L) { return arith(L, LN_SUB, "Tensor:sub_", 1, 1); }
static int tensor_mul_(lua_State *L) { return arith(L, LN_MUL, "Tensor:mul_", 1, 1); }
static int tensor_div_(lua_State *L) { return arith(L, LN_DIV, "Tensor:div_", 1, 1); }
static int tensor_pow_(lua_State *L) { return arith(L, LN_POW, "Tensor:pow_", 1, 1); }
/* The operators a + b etc., named by their symbol. */
static int tensor___add(lua_State *L) { return arith(L, LN_ADD, "Tensor +", 0, 0); }
static int tensor___sub(lua_State *L) { return arith(L, LN_SUB, "Tensor -", 0, 0); }
static int tensor___mul(lua_State *L) { return arith(L, LN_MUL, "Tensor *", 0, 0); }
static int tensor___div(lua_State *L) { return arith(L, LN_DIV, "Tensor /", 0, 0); }
static int tensor___pow(lua_State *L) { return arith(L, LN_POW, "Tensor ^", 0, 0); }

static int tensor_unm(lua_State *L) {
  ln_tensor *t = l_checktensor(L, 1);
  if (ln_tensor_scalar(l_tensor_result(L, t, 1), t, -1, LN_MUL, 0)) l_raise(L, "Tensor -");
  return 1;
}

const luaL_Reg l_tensor_math_methods[] = {
  {"add", tensor_add}, {"sub", tensor_sub}, {"mul", tensor_mul}, {"div", tensor_div},
  {"pow", tensor_pow},
  {"add_", tensor_add_}, {"sub_", tensor_sub_}, {"mul_", tensor_mul_}, {"div_", tensor_div_},
  {"pow_", tensor_pow_},
  {NULL, NULL}
};

const luaL_Reg l_tensor_math_functions[] = {
  {NULL, NULL}
};

const luaL_Reg l_tensor_math_meta[] = {
  {"__add", tensor___add}, {"__sub", tensor___sub}, {"__mul", tensor___mul},
  {"__div", tensor___div}, {"__pow", tensor___pow}, {"__unm", tensor_unm},
  {NULL, NULL}
};
