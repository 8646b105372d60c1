/* tensor_gather.c: index_select, gather, scatter (SETS or ADDS) and
 * index_add along a dimension (see tensor_reduce.h). Every index is
 * checked before anything is written, so a bad index leaves t as it was. */
#include "tensor_reduce.h"

#include <math.h>
#include <stdio.h>

#include "tensor_walk.h"

/* *k = the 0-based index the float v stands for (v - base), checked to be
 * an integer in range. */
static int check_index(const char *who, int base, float v, size_t n, int dim, size_t *k) {
  if (v != floorf(v))
    return ln_fail("%s: index %.9g is not an integer", who, (double)v);
  double i = (double)v - base;
  if (i < 0 || i >= (double)n)
    return ln_fail("%s: index %.9g out of range (%d..%zu) in dimension %d", who, (double)v,
                   base, n - 1 + (size_t)base, dim + 1);
  *k = (size_t)i;
  return LN_OK;
}

size_t *ln_read_indices(const char *who, int base, const ln_tensor *idx, size_t size,
                        int dim, size_t *count) {
  if (!idx->st || idx->ndim != 1) {
    ln_fail("%s: the index must be a 1-D tensor, got %d-D", who, idx->ndim);
    return NULL;
  }
  size_t n = idx->size[0];
  size_t *ks = ln_malloc(n * sizeof *ks);
  if (!ks) {
    ln_fail("%s: out of memory", who);
    return NULL;
  }
  const float *p = ln_data(idx);
  for (size_t i = 0; i < n; i++)
    if (check_index(who, base, p[(ptrdiff_t)i * idx->stride[0]], size, dim, &ks[i])) {
      ln_free(ks);
      return NULL;
    }
  *count = n;
  return ks;
}

/* The slice [i, i+1) of t along dim, a view. */
static void slice(ln_tensor *v, const ln_tensor *t, int dim, size_t i) {
  ln_tensor_narrow_dim(v, t, dim, i, 1);  /* i checked: cannot fail */
}

int ln_tensor_index_select(const char *who, int base, ln_tensor *out, const ln_tensor *t,
                           int dim, const ln_tensor *idx) {
  if (ln_check_dim(who, t, dim)) return LN_ERR;
  size_t n, *ks = ln_read_indices(who, base, idx, t->size[dim], dim, &n);
  if (!ks) return LN_ERR;
  ln_tensor kt = LN_TENSOR_EMPTY, a = LN_TENSOR_EMPTY, b = LN_TENSOR_EMPTY;
  ln_tensor_share(&kt, t);
  int rc = ln_tensor_results(out, NULL, &kt, dim, n);
  for (size_t i = 0; i < n && rc == LN_OK; i++) {
    slice(&a, out, dim, i);
    slice(&b, &kt, dim, ks[i]);
    rc = ln_tensor_copy(&a, &b);
  }
  ln_tensor_free(&a);
  ln_tensor_free(&b);
  ln_tensor_free(&kt);
  ln_free(ks);
  return rc;
}

int ln_tensor_index_add(const char *who, int base, ln_tensor *t, int dim, const ln_tensor *idx,
                        const ln_tensor *src) {
  if (ln_check_dim(who, t, dim) || ln_tensor_check_writable(who, t)) return LN_ERR;
  size_t n, *ks = ln_read_indices(who, base, idx, t->size[dim], dim, &n);
  if (!ks) return LN_ERR;
  int rc = LN_OK;
  int same = src->ndim == t->ndim && src->size[dim] == n;
  for (int d = 0; d < t->ndim && same; d++) same = d == dim || src->size[d] == t->size[d];
  if (!same) {
    char a[96], b[96];
    rc = ln_fail("%s: the source is %s; expected the tensor's shape %s with %zu (the number"
                 " of indices) in dimension %d", who, ln_shape_str(src, a, sizeof a),
                 ln_shape_str(t, b, sizeof b), n, dim + 1);
  }
  ln_tensor a = LN_TENSOR_EMPTY, b = LN_TENSOR_EMPTY, ks_src = LN_TENSOR_EMPTY;
  /* A source sharing t's storage is read from a copy taken before any write. */
  if (rc == LN_OK && src->st == t->st) rc = ln_tensor_clone(&ks_src, src);
  else if (rc == LN_OK) ln_tensor_share(&ks_src, src);
  for (size_t i = 0; i < n && rc == LN_OK; i++) {
    slice(&a, t, dim, ks[i]);
    slice(&b, &ks_src, dim, i);
    rc = ln_tensor_binop(&a, &a, &b, LN_ADD);
  }
  ln_tensor_free(&a);
  ln_tensor_free(&b);
  ln_tensor_free(&ks_src);
  ln_free(ks);
  return rc;
}

/* gather and scatter: idx has t's number of dimensions; other (the output
 * of gather, the source of scatter) is walked at idx's positions. */
enum { GATHER, SCATTER, SCATTER_ADD };

static int check_shapes(const char *who, const ln_tensor *t, int dim, const ln_tensor *idx,
                        const ln_tensor *src) {
  char a[96], b[96];
  if (!idx->st || idx->ndim != t->ndim)
    return ln_fail("%s: the index has %d dimensions, the tensor %d (they must match)", who,
                   idx->ndim, t->ndim);
  for (int d = 0; d < t->ndim; d++) {
    if (d != dim && idx->size[d] > t->size[d])
      return ln_fail("%s: index %s is larger than the tensor %s in dimension %d", who,
                     ln_shape_str(idx, a, sizeof a), ln_shape_str(t, b, sizeof b), d + 1);
    if (src && (src->ndim != t->ndim || idx->size[d] > src->size[d]))
      return ln_fail("%s: index %s is larger than the source %s", who,
                     ln_shape_str(idx, a, sizeof a), ln_shape_str(src, b, sizeof b));
  }
  return LN_OK;
}

/* For every element of idx (row-major): checks it (pass 0) or does mode's
 * work (pass 1) between t at the indexed place and other at idx's place
 * (other NULL: the number v). */
static int each_index(const char *who, int base, int pass, int mode, const ln_tensor *t,
                      int dim, const ln_tensor *idx, const ln_tensor *other, float v) {
  int nd = t->ndim, last = nd - 1;
  ptrdiff_t so = other ? other->stride[last] : 0, sx = idx->stride[last];
  ptrdiff_t st = last == dim ? 0 : t->stride[last];
  ln_walk w;
  ln_walk_init(&w);
  for (int d = 0; d < last; d++)
    ln_walk_add(&w, idx->size[d], idx->stride[d], d == dim ? 0 : t->stride[d],
                other ? other->stride[d] : 0);
  const float *x = ln_data(idx);
  float *tp = ln_data(t), *op = other ? ln_data(other) : &v;
  do
    for (size_t j = 0; j < idx->size[last]; j++) {
      size_t k = 0;
      float *tv, *ov;
      if (check_index(who, base, x[w.off[0] + (ptrdiff_t)j * sx], t->size[dim], dim, &k))
        return LN_ERR;
      if (pass == 0) continue;
      tv = tp + w.off[1] + (ptrdiff_t)j * st + (ptrdiff_t)k * t->stride[dim];
      ov = op + w.off[2] + (ptrdiff_t)j * so;
      if (mode == GATHER) *ov = *tv;
      else if (mode == SCATTER) *tv = *ov;
      else *tv += *ov;
    }
  while (ln_walk_next(&w));
  return LN_OK;
}

int ln_tensor_gather(const char *who, int base, ln_tensor *out, const ln_tensor *t, int dim,
                     const ln_tensor *idx) {
  if (ln_check_dim(who, t, dim) || check_shapes(who, t, dim, idx, NULL) ||
      each_index(who, base, 0, GATHER, t, dim, idx, NULL, 0))
    return LN_ERR;
  ln_tensor r = LN_TENSOR_EMPTY;
  if (ln_tensor_resize(&r, idx->ndim, idx->size)) return LN_ERR;
  each_index(who, base, 1, GATHER, t, dim, idx, &r, 0);
  ln_tensor_free(out);  /* last: out may be t or idx */
  *out = r;
  return LN_OK;
}

int ln_tensor_scatter(const char *who, int base, ln_tensor *t, int dim, const ln_tensor *idx,
                      const ln_tensor *src, float v, int add) {
  if (ln_check_dim(who, t, dim) || ln_tensor_check_writable(who, t) ||
      check_shapes(who, t, dim, idx, src) ||
      each_index(who, base, 0, SCATTER, t, dim, idx, src, v))
    return LN_ERR;
  ln_tensor s = LN_TENSOR_EMPTY;
  /* A source sharing t's storage is read from a copy taken before any write. */
  int rc = src && src->st == t->st ? ln_tensor_clone(&s, src) : LN_OK;
  if (rc == LN_OK)
    each_index(who, base, 1, add ? SCATTER_ADD : SCATTER, t, dim, idx,
               src ? (s.st ? &s : src) : NULL, v);
  ln_tensor_free(&s);
  return rc;
}
