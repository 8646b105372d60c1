/* tensor_reduce_ref.c: the reference version of the reductions along a
 * dimension (sum, mean, max, min), the simple loops that
 * tests/core/test_tensor_fast.c holds tensor_reduce.c's kernels to. */
#include "tensor_reduce.h"
#include "tensor_walk.h"

/* The reference: each output element by a plain loop along dim, summing
 * in double one element after another. */
int ln_tensor_reduce_dim_ref(ln_tensor *out, ln_tensor *idx, const ln_tensor *t, int dim,
                             int keepdim, ln_reduce_op op) {
  const char *who = op == LN_R_SUM ? "sum" : op == LN_R_MEAN ? "mean"
                  : op == LN_R_MAX ? "max" : op == LN_R_MIN ? "min" : NULL;
  if (!who) return ln_fail("reduce: no reference version of this reduction");
  if (ln_check_dim(who, t, dim)) return LN_ERR;
  if (op != LN_R_MAX && op != LN_R_MIN) idx = NULL;
  if (ln_tensor_results(out, idx, t, dim, 1)) return LN_ERR;
  ptrdiff_t os[LN_MAXDIM];
  ln_contiguous_strides(out->ndim, out->size, os);
  ln_walk w;
  ln_walk_init(&w);
  for (int d = 0; d < t->ndim; d++)
    if (d != dim) ln_walk_add(&w, t->size[d], t->stride[d], os[d], 0);
  size_t n = t->size[dim];
  do {
    const float *x = ln_data(t) + w.off[0];
    double s = 0, e = x[0];
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
      double v = x[(ptrdiff_t)i * t->stride[dim]];
      s += v;
      /* the first extreme; the first NaN beats everything */
      int better = op == LN_R_MAX ? v > e : v < e;
      if (e == e && (better || v != v)) e = v, at = i;
    }
    ln_data(out)[w.off[1]] = (float)(op == LN_R_SUM ? s : op == LN_R_MEAN ? s / (double)n : e);
    if (idx) ln_data(idx)[w.off[1]] = (float)at;
  } while (ln_walk_next(&w));
  if (!keepdim) ln_tensor_squeeze(out, out, dim);  /* a view: cannot fail */
  if (!keepdim && idx) ln_tensor_squeeze(idx, idx, dim);
  return LN_OK;
}
