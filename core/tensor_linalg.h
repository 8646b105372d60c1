/* tensor_linalg.h: matrix products through CBLAS (tensor_linalg.c).
 *
 * Operands are read in place whenever CBLAS can take them: a matrix whose
 * rows or whose columns have unit stride is passed with the matching
 * transpose flag and leading dimension, so a transposed or narrowed
 * operand is never copied; only one with neither stride 1 (or an expanded
 * one) is. Results are new contiguous tensors (out may be an operand). */
#ifndef LN_TENSOR_LINALG_H
#define LN_TENSOR_LINALG_H

#include "tensor.h"

/* out (m,n) = a (m,k) b (k,n). */
int ln_tensor_mm(ln_tensor *out, const ln_tensor *a, const ln_tensor *b);
/* out (m) = a (m,n) v (n). */
int ln_tensor_mv(ln_tensor *out, const ln_tensor *a, const ln_tensor *v);
/* out (B,m,n) = a (B,m,k) b (B,k,n), matrix by matrix. */
int ln_tensor_bmm(ln_tensor *out, const ln_tensor *a, const ln_tensor *b);
/* torch.matmul: 1-D x 1-D is the dot product (a 1-element tensor here, as
 * there are no 0-D tensors); a 1-D operand is a row (first) or a column
 * (second) whose dimension is dropped from the result; the dimensions
 * before the last two are batch dimensions and broadcast. */
int ln_tensor_matmul(ln_tensor *out, const ln_tensor *a, const ln_tensor *b);
/* *out = sum a[i] b[i] over two 1-D tensors of one size, in double. */
int ln_tensor_dot(double *out, const ln_tensor *a, const ln_tensor *b);
/* out (m,n) = a (m) b (n)^T. */
int ln_tensor_outer(ln_tensor *out, const ln_tensor *a, const ln_tensor *b);

#endif
