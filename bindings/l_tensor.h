/* l_tensor.h: what the tensor binding files (l_tensor*.c) share.
 *
 * Dimensions and indices are 1-based in Lua; a negative one counts from the
 * end (-1 is the last), as in PyTorch. Every method converts its Lua
 * arguments first and only then reads the tensors (a table argument with
 * metamethods may run Lua that closes them): l_tensor_live re-checks a
 * tensor after such a conversion. */
#ifndef L_TENSOR_H
#define L_TENSOR_H

#include "lunet.h"

/* The tensor a method was called on (argument 1), open; a call with `.`
 * instead of `:` is told so. */
ln_tensor *l_tensor_self(lua_State *L, const char *method);
/* t again, raising "tensor has been freed" (argument arg) if Lua code run
 * meanwhile closed it. */
ln_tensor *l_tensor_live(lua_State *L, ln_tensor *t, int arg);
/* Pushes a new empty tensor for a result of in (argument arg), then
 * re-checks in: creating the userdata may run the collector, and a
 * finalizer may close in. */
ln_tensor *l_tensor_result(lua_State *L, ln_tensor *in, int arg);
/* The dimension at argument arg as 0-based, in 1..ndim + extra (extra 1 for
 * unsqueeze and stack, which may name the place after the last), or
 * -ndim-extra..-1; raises "who: dimension 3 out of range (1..2)", the one
 * format of every dimension error. */
int l_tensor_checkdim(lua_State *L, int arg, int ndim, int extra, const char *who);
/* Sizes from arguments first..top: numbers (2, 3) or one table {2, 3};
 * returns how many. A size of -1 is accepted (kept as 0) when keep is set
 * (expand's "this size as it is"). */
int l_tensor_sizes(lua_State *L, int first, size_t *size, const char *who, int keep);

extern const luaL_Reg l_tensor_view_methods[];  /* l_tensor_view.c */
extern const luaL_Reg l_tensor_math_methods[];  /* l_tensor_math.c */
extern const luaL_Reg l_tensor_math_functions[];
extern const luaL_Reg l_tensor_math_meta[];
/* __index and __newindex (l_tensor_index.c); __index has the methods table
 * as upvalue 1. */
int l_tensor_index(lua_State *L);
int l_tensor_newindex(lua_State *L);

#endif
