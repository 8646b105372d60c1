/* tensor_math.c: unary elementwise math, mask selection, nonzero and the
 * all-element tests (equal, allclose). */
#include "tensor.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "activation.h"
#include "vmath.h"

static const char *const unop_names[] = {
  "abs", "neg", "exp", "log", "log1p", "sqrt", "rsqrt", "sign", "floor", "ceil", "round",
  "sin", "cos", "tanh", "sigmoid", "relu", "isnan", "isinf", "clamp"
};

const char *ln_unop_name(ln_unop op) { return unop_names[op]; }

#define RUN1(EXPR)                                                     \
  do {                                                                 \
    _Pragma("omp simd") for (size_t i = 0; i < n; i++) {               \
      float x = a[i];                                                  \
      o[i] = (EXPR);                                                   \
    }                                                                  \
  } while (0)

/* sign(NaN) is 0 in PyTorch's float sign: (x > 0) - (x < 0). */
static void unary_run(ln_unop op, float *o, const float *a, size_t n, float lo, float hi) {
  switch (op) {
  case LN_U_ABS: RUN1(fabsf(x)); break;
  case LN_U_NEG: RUN1(-x); break;
  /* vmath.c's vectorized kernels (libm's are scalar calls). */
  case LN_U_EXP: ln_vexp(o, a, n); break;
  case LN_U_LOG: ln_vlog(o, a, n); break;
  case LN_U_LOG1P: ln_vlog1p(o, a, n); break;
  case LN_U_SQRT: RUN1(sqrtf(x)); break;
  case LN_U_RSQRT: RUN1(1.0f / sqrtf(x)); break;
  case LN_U_SIGN: RUN1((float)((x > 0) - (x < 0))); break;
  case LN_U_FLOOR: RUN1(floorf(x)); break;
  case LN_U_CEIL: RUN1(ceilf(x)); break;
  case LN_U_ROUND: RUN1(rintf(x)); break;  /* half to even, as torch.round */
  case LN_U_SIN: ln_vsin(o, a, n); break;
  case LN_U_COS: ln_vcos(o, a, n); break;
  /* The layers' vectorized kernels: one definition of tanh, sigmoid and relu. */
  case LN_U_TANH: ln_tanh_forward(o, a, n); break;
  case LN_U_SIGMOID: ln_sigmoid_forward(o, a, n); break;
  case LN_U_RELU: ln_relu_forward(o, a, n); break;
  case LN_U_ISNAN: RUN1((float)(x != x)); break;
  case LN_U_ISINF: RUN1((float)(fabsf(x) == INFINITY)); break;
  /* min(max(x, lo), hi), so hi wins when lo > hi (as torch.clamp), each
   * written as one max/min instruction's select: NaN stays NaN. A missing
   * bound is +-inf. */
  case LN_U_CLAMP: RUN1(hi < (lo > x ? lo : x) ? hi : (lo > x ? lo : x)); break;
  }
}

/* Strided runs go through a small buffer so that every op needs only its
 * contiguous kernel. */
#define CHUNK 256

typedef struct unary_job {
  ln_unop op;
  float lo, hi;
} unary_job;

static void unary_share(ln_iter *it, void *ctx) {
  const unary_job *j = ctx;
  float buf[CHUNK];
  do {
    float *o = it->p[0];
    const float *x = it->p[1];
    if (it->s[0] == 1 && it->s[1] == 1) {
      unary_run(j->op, o, x, it->n, j->lo, j->hi);
      continue;
    }
    for (size_t i = 0; i < it->n; i += CHUNK) {
      size_t k = it->n - i < CHUNK ? it->n - i : CHUNK;
      for (size_t q = 0; q < k; q++) buf[q] = x[(ptrdiff_t)(i + q) * it->s[1]];
      unary_run(j->op, buf, buf, k, j->lo, j->hi);
      for (size_t q = 0; q < k; q++) o[(ptrdiff_t)(i + q) * it->s[0]] = buf[q];
    }
  } while (ln_iter_next(it));
}

int ln_tensor_unary(ln_tensor *out, const ln_tensor *a, ln_unop op, double lo, double hi) {
  ln_tensor ka = LN_TENSOR_EMPTY;
  ln_tensor_share(&ka, a);
  int rc = out == a ? LN_OK
           : ln_tensor_resize_layout(out, 1, (const ln_tensor *[]){&ka}, ka.ndim, ka.size);
  if (rc == LN_OK && ln_tensor_overlap(out, &ka)) rc = ln_tensor_clone(&ka, &ka);
  ln_iter it;
  if (rc == LN_OK)
    rc = ln_iter_init_any(&it, 2, (const ln_tensor *[]){out, &ka}, ka.ndim, ka.size);
  unary_job j = {op, (float)lo, (float)hi};
  int costly = op == LN_U_EXP || op == LN_U_LOG || op == LN_U_LOG1P || op == LN_U_SIN ||
               op == LN_U_COS || op == LN_U_TANH || op == LN_U_SIGMOID;
  if (rc == LN_OK) ln_iter_parallel(&it, costly ? LN_EW_GRAIN / 8 : LN_EW_GRAIN, unary_share, &j);
  ln_tensor_free(&ka);
  return rc;
}

/* Calls f on every element of t where mask (broadcast with it) is nonzero,
 * in row-major order; returns how many. */
static size_t each_selected(const ln_tensor *t, const ln_tensor *mask, int nd,
                            const size_t *shape, void (*f)(float, void *), void *ctx) {
  ln_iter it;
  size_t count = 0;
  ln_iter_init(&it, 2, (const ln_tensor *[]){t, mask}, nd, shape);
  do
    for (size_t i = 0; i < it.n; i++)
      if (it.p[1][(ptrdiff_t)i * it.s[1]] != 0) {
        if (f) f(it.p[0][(ptrdiff_t)i * it.s[0]], ctx);
        count++;
      }
  while (ln_iter_next(&it));
  return count;
}

static void put_next(float v, void *ctx) {
  float **p = ctx;
  *(*p)++ = v;
}

int ln_tensor_masked_select(ln_tensor *out, size_t *count, const ln_tensor *a,
                            const ln_tensor *mask) {
  int nd;
  size_t shape[LN_MAXDIM];
  if (ln_broadcast_shape("masked_select", a->ndim, a->size, mask->ndim, mask->size, &nd,
                         shape))
    return LN_ERR;
  size_t n = each_selected(a, mask, nd, shape, NULL, NULL);
  *count = n;
  if (n == 0) return LN_OK;
  ln_tensor r = LN_TENSOR_EMPTY;
  if (ln_tensor_resize(&r, 1, &n)) return LN_ERR;
  float *p = ln_data(&r);
  each_selected(a, mask, nd, shape, put_next, &p);
  ln_tensor_free(out);
  *out = r;
  return LN_OK;
}

size_t ln_tensor_count_nonzero(const ln_tensor *t) {
  return each_selected(t, t, t->ndim, t->size, NULL, NULL);
}

int ln_tensor_nonzero(ln_tensor *out, size_t *count, const ln_tensor *t) {
  for (int d = 0; d < t->ndim; d++)
    if (t->size[d] > ((size_t)1 << 24))
      return ln_fail("nonzero: dimension %d has %zu indices, more than float32 holds exactly"
                     " (2^24)", d + 1, t->size[d]);
  size_t n = ln_tensor_count_nonzero(t);
  *count = n;
  if (n == 0) return LN_OK;
  ln_tensor r = LN_TENSOR_EMPTY;
  size_t rs[2] = {n, (size_t)t->ndim};
  if (ln_tensor_resize(&r, 2, rs)) return LN_ERR;
  float *p = ln_data(&r);
  size_t idx[LN_MAXDIM] = {0}, total = ln_numel(t);
  for (size_t k = 0; k < total; k++) {
    if (*ln_at(t, idx) != 0)
      for (int d = 0; d < t->ndim; d++) *p++ = (float)idx[d];
    for (int d = t->ndim - 1; d >= 0 && ++idx[d] == t->size[d]; d--) idx[d] = 0;
  }
  ln_tensor_free(out);
  *out = r;
  return LN_OK;
}

int ln_tensor_equal(const ln_tensor *a, const ln_tensor *b) {
  if (!ln_same_shape(a, b)) return 0;
  ln_iter it;
  ln_iter_init(&it, 2, (const ln_tensor *[]){a, b}, a->ndim, a->size);
  do
    for (size_t i = 0; i < it.n; i++)
      if (it.p[0][(ptrdiff_t)i * it.s[0]] != it.p[1][(ptrdiff_t)i * it.s[1]]) return 0;
  while (ln_iter_next(&it));
  return 1;
}

int ln_tensor_allclose(int *result, const ln_tensor *a, const ln_tensor *b, double rtol,
                       double atol) {
  int nd;
  size_t shape[LN_MAXDIM];
  if (ln_broadcast_shape("allclose", a->ndim, a->size, b->ndim, b->size, &nd, shape))
    return LN_ERR;
  ln_iter it;
  ln_iter_init(&it, 2, (const ln_tensor *[]){a, b}, nd, shape);
  *result = 1;
  do
    for (size_t i = 0; i < it.n; i++) {
      double x = it.p[0][(ptrdiff_t)i * it.s[0]], y = it.p[1][(ptrdiff_t)i * it.s[1]];
      /* As torch.allclose: infinities must match exactly, NaN is never close. */
      if (x == y) continue;
      if (!(fabs(x - y) <= atol + rtol * fabs(y)) || isinf(x) || isinf(y)) {
        *result = 0;
        return LN_OK;
      }
    }
  while (ln_iter_next(&it));
  return LN_OK;
}
