/* tensor_reduce.h: reductions over all elements or along one dimension,
 * cumsum, sort and topk (tensor_reduce.c, tensor_sort.c), and the indexing
 * by index tensors (tensor_gather.c).
 *
 * Every function takes strided input as it is (along a dimension without
 * a copy; over all elements a non-contiguous tensor is copied once) and
 * accumulates in double (a sum over unit-stride memory adds groups of four
 * elements in float first, along a line or four rows side by side: see
 * line_sum and sum_across). Dimensions and indices are 0-based here;
 * index tensors are float tensors holding integers (exact up to 2^24). Results are new contiguous
 * tensors written into the out headers (which are released first). */
#ifndef LN_TENSOR_REDUCE_H
#define LN_TENSOR_REDUCE_H

#include "tensor.h"

typedef enum {
  LN_R_SUM, LN_R_MEAN, LN_R_PROD, LN_R_VAR, LN_R_STD, LN_R_NORM, LN_R_LOGSUMEXP,
  LN_R_MAX, LN_R_MIN
} ln_reduce_op;

/* As PyTorch: var and std divide by n - p (p the correction: 1 unbiased,
 * 0 biased; n <= p gives NaN). norm is the p-norm, (sum |x|^p)^(1/p), with
 * p = +-INFINITY the largest / smallest |x| and p = 0 the count of nonzero
 * elements. logsumexp is log(sum exp x) computed around the maximum, so
 * large inputs do not overflow. max and min propagate NaN, and their index
 * is the first largest / smallest element, a NaN counting as larger (max)
 * or smaller (min) than everything, as torch.argmax. */

/* Over all elements: *val and, for max and min, *idx (row-major, 0-based;
 * idx may be NULL). */
int ln_tensor_reduce_all(const ln_tensor *t, ln_reduce_op op, double p, double *val,
                         size_t *idx);
/* Along dimension dim: out has t's shape with that dimension of size 1
 * (keepdim) or dropped (a 1-D t then gives a 1-element tensor); idx (may be
 * NULL; only for max and min) the same shape, 0-based indices as floats. */
int ln_tensor_reduce_dim(ln_tensor *out, ln_tensor *idx, const ln_tensor *t, int dim,
                         int keepdim, ln_reduce_op op, double p);
/* The same for sum, mean, max and min by a plain loop per output element
 * (sequential double sums): the reference the tests hold the fast kernels
 * to (tensor_reduce_ref.c). t must not be out or idx. */
int ln_tensor_reduce_dim_ref(ln_tensor *out, ln_tensor *idx, const ln_tensor *t, int dim,
                             int keepdim, ln_reduce_op op);
/* out (t's shape) = running sums along dim, accumulated in double. */
int ln_tensor_cumsum(ln_tensor *out, const ln_tensor *t, int dim);

/* vals, idx (t's shape) = t sorted along dim, and the 0-based positions the
 * values came from. Stable: equal elements keep their order. NaN sorts as
 * the largest value (last ascending, first descending), as torch.sort. */
int ln_tensor_sort(ln_tensor *vals, ln_tensor *idx, const ln_tensor *t, int dim,
                   int descending);
/* The k largest (or smallest) along dim, in order (largest first, or
 * smallest first), ties in their original order; k in 1..size(dim). */
int ln_tensor_topk(ln_tensor *vals, ln_tensor *idx, const ln_tensor *t, size_t k, int dim,
                   int largest);

/* Indexing by index tensors (tensor_gather.c). Index elements must be
 * integers in 0..size-1 of the dimension indexed; anything else fails with
 * a message naming who, the index as the user wrote it (base added: 1 for
 * Lua's 1-based indices) and the range. */
/* The k = *count indices of the 1-D tensor idx, 0-based, each checked to
 * index a dimension (dim, for the message) of the given size; an array to
 * ln_free, or NULL after ln_fail. */
size_t *ln_read_indices(const char *who, int base, const ln_tensor *idx, size_t size,
                        int dim, size_t *count);
/* out = t's slices idx[0..k) along dim (idx 1-D); out's size at dim is k. */
int ln_tensor_index_select(const char *who, int base, ln_tensor *out, const ln_tensor *t,
                           int dim, const ln_tensor *idx);
/* out (idx's shape) = t[..., idx[i,j,..], ...] with idx replacing the index
 * of dimension dim; idx has t's number of dimensions and sizes no larger
 * than t's, except at dim. */
int ln_tensor_gather(const char *who, int base, ln_tensor *out, const ln_tensor *t, int dim,
                     const ln_tensor *idx);
/* t[..., idx[i,j,..], ...] = src[i,j,..] (SETS), or += (add: ADDS), for
 * every element of idx; src is a tensor at least idx's size in every
 * dimension, or NULL for the number v. t is written in place and must not
 * be an expanded view. */
int ln_tensor_scatter(const char *who, int base, ln_tensor *t, int dim, const ln_tensor *idx,
                      const ln_tensor *src, float v, int add);
/* t's slice idx[i] along dim += src's slice i (ADDS); src has t's shape
 * with size k = numel(idx) at dim; repeated indices add up. */
int ln_tensor_index_add(const char *who, int base, ln_tensor *t, int dim, const ln_tensor *idx,
                        const ln_tensor *src);

#endif
