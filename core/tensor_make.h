/* tensor_make.h: tensors made from a rule or from other tensors
 * (tensor_make.c): eye, arange, randperm, randint, bernoulli, cat, stack.
 * The results are new contiguous tensors; out may be one of the inputs. */
#ifndef LN_TENSOR_MAKE_H
#define LN_TENSOR_MAKE_H

#include <stdint.h>
#include "tensor.h"

/* out (n,m) = ones on the diagonal, zeros elsewhere. */
int ln_tensor_eye(ln_tensor *out, size_t n, size_t m);
/* out = start, start + step, ... below end (above it for a negative step):
 * ceil((end - start) / step) values, as torch.arange. An empty range or a
 * zero step fails. */
int ln_tensor_arange(ln_tensor *out, double start, double end, double step);
/* out (n) = base + a random permutation of 0..n-1 (Fisher-Yates from r). */
int ln_tensor_randperm(ln_tensor *out, size_t n, double base, ln_rng *r);
/* Fills t (any layout) with integers uniform in [lo, hi), lo < hi. */
void ln_tensor_randint(ln_tensor *t, int64_t lo, int64_t hi, ln_rng *r);
/* out (p's shape) = 1 with probability p[i], else 0; p's elements must be
 * in [0, 1]. */
int ln_tensor_bernoulli(ln_tensor *out, const ln_tensor *p, ln_rng *r);
/* out = the n tensors joined along dim: their shapes must match except at
 * dim (cat), or entirely, joined along a new dimension dim (stack). who
 * names the caller in messages, which number the tensors from 1. */
int ln_tensor_cat(const char *who, ln_tensor *out, const ln_tensor *const *ts, int n, int dim);
int ln_tensor_stack(const char *who, ln_tensor *out, const ln_tensor *const *ts, int n, int dim);

#endif
