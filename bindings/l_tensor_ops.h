/* l_tensor_ops.h: what the binding files of tensor reductions, indexing by
 * index tensors, linear algebra and construction share (l_tensor_reduce.c,
 * l_tensor_make.c). Dimensions are 1-based in Lua (negative from the end),
 * index tensors hold 1-based integers. */
#ifndef L_TENSOR_OPS_H
#define L_TENSOR_OPS_H

#include "l_tensor.h"

/* The optional dimension at arg: 0 when absent (nil), else 1 and *dim. */
int l_ops_optdim(lua_State *L, int arg, int ndim, const char *who, int *dim);
/* An optional boolean argument (nil: def); anything else raises naming who
 * and what. */
int l_ops_optbool(lua_State *L, int arg, const char *who, const char *what, int def);
/* Adds methods to the Tensor class (its __methods table, which __index
 * looks methods up in). */
void l_ops_addmethods(lua_State *L, const luaL_Reg *methods);
/* Pushes t's single element as a number when it has one element and
 * as_number is set (a reduction of a 1-D tensor: PyTorch's 0-D result),
 * else leaves the tensor userdata at the top as it is. */
void l_ops_result(lua_State *L, int as_number);

/* Adds l_tensor_make.c's functions and methods (l_open_tensor_ops, in
 * l_tensor_reduce.c, calls it). */
void l_open_tensor_make(lua_State *L);

#endif
