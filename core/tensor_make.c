/* tensor_make.c: eye, arange, randperm, randint, bernoulli, cat and stack
 * (see tensor_make.h). */
#include "tensor_make.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Moves the finished r into out, releasing what out held (it may have
 * been an input, read completely by now). */
static void install(ln_tensor *out, ln_tensor *r) {
  ln_tensor_free(out);
  *out = *r;
}

int ln_tensor_eye(ln_tensor *out, size_t n, size_t m) {
  size_t size[2] = {n, m};
  ln_tensor r = LN_TENSOR_EMPTY;
  if (ln_check_shape("eye", 2, size) || ln_tensor_init(&r, 2, size)) return LN_ERR;
  float *p = ln_data(&r);
  for (size_t i = 0; i < n && i < m; i++) p[i * m + i] = 1;
  install(out, &r);
  return LN_OK;
}

int ln_tensor_arange(ln_tensor *out, double start, double end, double step) {
  if (step == 0 || step != step) return ln_fail("arange: step must be nonzero");
  if (!isfinite(start) || !isfinite(end))
    return ln_fail("arange: start and end must be finite");
  double len = ceil((end - start) / step);
  if (!(len >= 1))
    return ln_fail("arange: the range from %g to %g by %g is empty", start, end, step);
  if (len > (double)LN_MAXNUMEL)
    return ln_fail("arange: too many elements (more than %zu)", LN_MAXNUMEL);
  size_t n = (size_t)len;
  ln_tensor r = LN_TENSOR_EMPTY;
  if (ln_tensor_resize(&r, 1, &n)) return LN_ERR;
  float *p = ln_data(&r);
  for (size_t i = 0; i < n; i++) p[i] = (float)(start + step * (double)i);
  install(out, &r);
  return LN_OK;
}

int ln_tensor_randperm(ln_tensor *out, size_t n, double base, ln_rng *rng) {
  if (n > (1u << 24)) return ln_fail("randperm: n = %zu is past 2^24 (float indices)", n);
  ln_tensor r = LN_TENSOR_EMPTY;
  if (ln_check_shape("randperm", 1, &n) || ln_tensor_resize(&r, 1, &n)) return LN_ERR;
  float *p = ln_data(&r);
  for (size_t i = 0; i < n; i++) p[i] = (float)((double)i + base);
  for (size_t i = n - 1; i > 0; i--) {
    size_t j = (size_t)ln_rng_below(rng, i + 1);
    float s = p[i];
    p[i] = p[j];
    p[j] = s;
  }
  install(out, &r);
  return LN_OK;
}

void ln_tensor_randint(ln_tensor *t, int64_t lo, int64_t hi, ln_rng *r) {
  uint64_t span = (uint64_t)hi - (uint64_t)lo;
  ln_iter it;
  ln_iter_init(&it, 1, (const ln_tensor *[]){t}, t->ndim, t->size);
  do
    for (size_t i = 0; i < it.n; i++)
      it.p[0][(ptrdiff_t)i * it.s[0]] = (float)(lo + (int64_t)ln_rng_below(r, span));
  while (ln_iter_next(&it));
}

int ln_tensor_bernoulli(ln_tensor *out, const ln_tensor *p, ln_rng *rng) {
  if (!p->st) return ln_fail("bernoulli: the tensor is empty");
  ln_tensor r = LN_TENSOR_EMPTY;
  if (ln_tensor_clone(&r, p)) return LN_ERR;
  float *q = ln_data(&r);
  size_t n = ln_numel(&r);
  for (size_t i = 0; i < n; i++)
    if (!(q[i] >= 0 && q[i] <= 1)) {
      ln_fail("bernoulli: probability %g at element %zu is not in [0, 1]", (double)q[i], i + 1);
      ln_tensor_free(&r);
      return LN_ERR;
    }
  for (size_t i = 0; i < n; i++) q[i] = ln_rng_uniform(rng) < q[i] ? 1.0f : 0.0f;
  install(out, &r);
  return LN_OK;
}

/* Joins ts along dim of the result: each is copied into its slot, a narrow
 * of the result (seen with a size-1 dimension at dim when stacking). */
static int join(const char *who, ln_tensor *out, const ln_tensor *const *ts, int n, int dim,
                int stack) {
  if (n < 1) return ln_fail("%s: no tensors to join", who);
  const ln_tensor *t0 = ts[0];
  for (int i = 0; i < n; i++)
    if (!ts[i]->st) return ln_fail("%s: tensor %d is empty", who, i + 1);
  int nd = t0->ndim + stack;
  if (dim < 0 || dim >= nd)
    return ln_fail("%s: dimension %d out of range (1..%d)", who, dim + 1, nd);
  if (nd > LN_MAXDIM) return ln_fail("%s: more than %d dimensions", who, LN_MAXDIM);
  size_t size[LN_MAXDIM], total = 0;
  for (int i = 0; i < n; i++) {
    const ln_tensor *t = ts[i];
    int same = t->ndim == t0->ndim;
    for (int d = 0; d < t0->ndim && same; d++)
      same = t->size[d] == t0->size[d] || (!stack && d == dim);
    if (!same) {
      char a[96], b[96];
      return ln_fail("%s: tensor %d is %s, tensor 1 is %s (the shapes must match%s)", who,
                     i + 1, ln_shape_str(t, a, sizeof a), ln_shape_str(t0, b, sizeof b),
                     stack ? "" : " except in the dimension joined");
    }
    total += stack ? 1 : t->size[dim];
  }
  for (int d = 0; d < nd; d++)
    size[d] = d == dim ? total : t0->size[stack && d > dim ? d - 1 : d];
  ln_tensor r = LN_TENSOR_EMPTY, slot = LN_TENSOR_EMPTY, src = LN_TENSOR_EMPTY;
  int rc = ln_check_shape(who, nd, size);
  if (rc == LN_OK) rc = ln_tensor_resize(&r, nd, size);
  size_t at = 0;
  for (int i = 0; i < n && rc == LN_OK; i++) {
    size_t len = stack ? 1 : ts[i]->size[dim];
    rc = ln_tensor_narrow_dim(&slot, &r, dim, at, len);
    if (rc == LN_OK) rc = stack ? ln_tensor_unsqueeze(&src, ts[i], dim)
                                : (ln_tensor_share(&src, ts[i]), LN_OK);
    if (rc == LN_OK) rc = ln_tensor_copy(&slot, &src);
    at += len;
  }
  ln_tensor_free(&slot);
  ln_tensor_free(&src);
  if (rc == LN_OK) install(out, &r);
  else ln_tensor_free(&r);
  return rc;
}

int ln_tensor_cat(const char *who, ln_tensor *out, const ln_tensor *const *ts, int n, int dim) {
  return join(who, out, ts, n, dim, 0);
}

int ln_tensor_stack(const char *who, ln_tensor *out, const ln_tensor *const *ts, int n,
                    int dim) {
  return join(who, out, ts, n, dim, 1);
}
