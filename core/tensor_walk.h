/* tensor_walk.h: an odometer over some dimensions of up to three tensors at
 * once, for kernels that handle one or two dimensions themselves (the
 * reductions, sort, gather) and leave the rest to the walk. Internal to the
 * core's tensor files.
 *
 *   ln_walk w;
 *   ln_walk_init(&w);
 *   for each dimension d walked: ln_walk_add(&w, size, stride0, stride1, stride2);
 *   do kernel(base0 + w.off[0], base1 + w.off[1], ...); while (ln_walk_next(&w));
 *
 * With no dimension added the body runs once. */
#ifndef LN_TENSOR_WALK_H
#define LN_TENSOR_WALK_H

#include <stddef.h>
#include <string.h>

#include "tensor.h"

typedef struct ln_walk {
  int nd;
  size_t size[LN_MAXDIM], idx[LN_MAXDIM];
  ptrdiff_t st[3][LN_MAXDIM];
  ptrdiff_t off[3];  /* current offsets, in elements */
} ln_walk;

static inline void ln_walk_init(ln_walk *w) { memset(w, 0, sizeof *w); }

/* Dimensions added first are the outer ones. Sizes of 1 are skipped. */
static inline void ln_walk_add(ln_walk *w, size_t size, ptrdiff_t s0, ptrdiff_t s1,
                               ptrdiff_t s2) {
  if (size <= 1) return;
  w->size[w->nd] = size;
  w->st[0][w->nd] = s0;
  w->st[1][w->nd] = s1;
  w->st[2][w->nd] = s2;
  w->nd++;
}

static inline int ln_walk_next(ln_walk *w) {
  for (int d = w->nd - 1; d >= 0; d--) {
    for (int k = 0; k < 3; k++) w->off[k] += w->st[k][d];
    if (++w->idx[d] < w->size[d]) return 1;
    for (int k = 0; k < 3; k++) w->off[k] -= w->st[k][d] * (ptrdiff_t)w->size[d];
    w->idx[d] = 0;
  }
  return 0;
}

/* Row-major strides of a contiguous tensor of shape (nd, size). */
static inline void ln_contiguous_strides(int nd, const size_t *size, ptrdiff_t *stride) {
  ptrdiff_t s = 1;
  for (int i = nd - 1; i >= 0; i--) {
    stride[i] = s;
    s *= (ptrdiff_t)size[i];
  }
}

/* Fails, naming who, unless t is a tensor and dim one of its dimensions:
 * "who: dimension 3 out of range (1..2)". (tensor_reduce.c) */
int ln_check_dim(const char *who, const ln_tensor *t, int dim);
/* out (and idx unless NULL) = fresh contiguous tensors of t's shape with
 * size len at dim; on failure both are left as they were. out or idx may
 * be t (which the caller then keeps a share of). (tensor_reduce.c) */
int ln_tensor_results(ln_tensor *out, ln_tensor *idx, const ln_tensor *t, int dim, size_t len);

#endif
