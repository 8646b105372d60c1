/* tensor_reduce.c: sum, mean, prod, var, std, norm, logsumexp, max, min
 * over all elements or along a dimension, and cumsum (see tensor_reduce.h).
 *
 * A reduction along dimension d runs kernels over "jobs": n elements along
 * d (stride sn) for m parallel lines. When d has unit stride (reducing the
 * rows of a row-major matrix) m is 1 and the kernel is one vectorized loop
 * over the line. Otherwise the lines run along the kept dimension of
 * smallest stride, and the kernel adds whole rows into m accumulators, a
 * loop over unit-stride memory that vectorizes too (a column sum of a
 * matrix reads it row by row, never down a column). The other dimensions
 * are walked. Strided input is read in place, never copied (but for a
 * reduction over all elements of a non-contiguous tensor, which is copied
 * once into a contiguous one). */
#include "tensor_reduce.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "vmath.h"
#include "tensor_walk.h"

#define PRAGMA(x) _Pragma(#x)
#define CHUNK 256    /* scratch floats for the vectorized exp */
#define BLOCK 1024   /* accumulators per job: they stay in the L1 cache */
#define LANES 16     /* partial results of one line: four AVX vectors of doubles */

typedef struct job {
  const float *x;  /* (n, m) at strides (sn, sm) */
  size_t n, m;
  ptrdiff_t sn, sm;
  int along;       /* each line reduced by a loop along it (the reduced dimension has
                    * the smaller stride), else the m lines side by side, row by row */
  double p;        /* norm's p */
  double *acc;     /* (m) SETS: the result of each line */
  double *c;       /* (m) a center: the mean for var, the maximum for logsumexp */
  double *mx;      /* (m) scratch */
  size_t *ai;      /* (m) SETS for max/min: the index along n */
  float *buf;      /* (2 CHUNK) scratch: the exp's input and output apart, as its
                    * loop vectorizes only when they do not alias */
} job;

/* l[0] = l[0] RED ... RED l[15] (the LANES partial results) as a tree: a
 * fixed order, and a short chain of dependent operations where a left to
 * right sum waited on each; fixed trip counts, so GCC unrolls it into a
 * few vector operations. */
#define LANES_TOTAL(l, RED)                                                       \
  do {                                                                            \
    for (int j_ = 0; j_ < 8; j_++) l[j_] = l[j_] RED l[j_ + 8];                   \
    for (int j_ = 0; j_ < 4; j_++) l[j_] = l[j_] RED l[j_ + 4];                   \
    l[0] = (l[0] RED l[2]) RED (l[1] RED l[3]);                                   \
  } while (0)
typedef char lanes_are_16[LANES == 16 ? 1 : -1];  /* what LANES_TOTAL folds */

/* acc[j] = INIT RED EXPR(v = x[i, j], c = c[j]) over i, e.g. sum of v * v. */
#define ACC_KERNEL(NAME, INIT, RED, EXPR)                                         \
  static void NAME(const job *k) {                                                \
    const double p = k->p;                                                        \
    (void)p;                                                                      \
    if (k->along) {                                                               \
      for (size_t j = 0; j < k->m; j++) {                                         \
        const double c = k->c[j];                                                 \
        const float *x = k->x + (ptrdiff_t)j * k->sm;                             \
        double s = INIT;                                                          \
        (void)c;                                                                  \
        if (k->sn == 1) {                                                         \
          /* LANES independent sums: the adds pipeline instead of waiting on */  \
          /* one another, and each lane's loop is plain vector arithmetic. */    \
          double l[LANES];                                                        \
          size_t i = 0;                                                           \
          for (int q = 0; q < LANES; q++) l[q] = INIT;                            \
          for (; i + LANES <= k->n; i += LANES)                                   \
            for (int q = 0; q < LANES; q++) {                                     \
              double v = x[i + (size_t)q];                                        \
              l[q] = l[q] RED (EXPR);                                             \
            }                                                                     \
          for (; i < k->n; i++) { double v = x[i]; s = s RED (EXPR); }            \
          LANES_TOTAL(l, RED);                                                    \
          s = s RED l[0];                                                         \
        } else {                                                                  \
          for (size_t i = 0; i < k->n; i++) {                                     \
            double v = x[(ptrdiff_t)i * k->sn];                                   \
            s = s RED (EXPR);                                                     \
          }                                                                       \
        }                                                                         \
        k->acc[j] = s;                                                            \
      }                                                                           \
      return;                                                                     \
    }                                                                             \
    double *a = k->acc;                                                           \
    const double *cc = k->c;                                                      \
    for (size_t j = 0; j < k->m; j++) a[j] = INIT;                                \
    for (size_t i = 0; i < k->n; i++) {                                           \
      const float *r = k->x + (ptrdiff_t)i * k->sn;                               \
      if (k->sm == 1) {                                                           \
        PRAGMA(omp simd)                                                          \
        for (size_t j = 0; j < k->m; j++) {                                       \
          double v = r[j], c = cc[j];                                             \
          (void)c;                                                                \
          a[j] = a[j] RED (EXPR);                                                 \
        }                                                                         \
      } else {                                                                    \
        for (size_t j = 0; j < k->m; j++) {                                       \
          double v = r[(ptrdiff_t)j * k->sm], c = cc[j];                          \
          (void)c;                                                                \
          a[j] = a[j] RED (EXPR);                                                 \
        }                                                                         \
      }                                                                           \
    }                                                                             \
  }

ACC_KERNEL(k_sum_lines, 0.0, +, v)

/* The sum of x[0..n): float-to-double conversion is the bottleneck of a
 * double accumulation (one vector per cycle), so groups of four elements
 * are added in float first (two roundings of at most 2^-24 of the group
 * each) and the groups accumulated in double, in 16 lanes; the rest by
 * lanes of single elements, then one by one. */
static double line_sum(const float *x, size_t n) {
  double l[LANES] = {0}, s = 0;
  size_t i = 0;
  for (; i + 4 * LANES <= n; i += 4 * LANES)
    for (int j = 0; j < LANES; j++) {
      const float *p = x + i + (size_t)j;
      l[j] += (double)((p[0] + p[LANES]) + (p[2 * LANES] + p[3 * LANES]));
    }
  for (; i + LANES <= n; i += LANES)
    for (int j = 0; j < LANES; j++) l[j] += x[i + (size_t)j];
  for (; i < n; i++) s += x[i];
  LANES_TOTAL(l, +);
  return s + l[0];
}

/* acc[j] = the sum of the m lines side by side (sm == 1): four rows are
 * added in float, then into the double accumulators, as line_sum does
 * along a line. */
static void sum_across(const job *k) {
  double *a = k->acc;
  const float *x = k->x;
  ptrdiff_t sn = k->sn;
  size_t i = 0;
  for (size_t j = 0; j < k->m; j++) a[j] = 0;
  for (; i + 4 <= k->n; i += 4) {
    const float *r0 = x + (ptrdiff_t)i * sn, *r1 = r0 + sn, *r2 = r1 + sn, *r3 = r2 + sn;
    PRAGMA(omp simd)
    for (size_t j = 0; j < k->m; j++) a[j] += (double)((r0[j] + r1[j]) + (r2[j] + r3[j]));
  }
  for (; i < k->n; i++) {
    const float *r = x + (ptrdiff_t)i * sn;
    PRAGMA(omp simd)
    for (size_t j = 0; j < k->m; j++) a[j] += r[j];
  }
}

static void k_sum(const job *k) {
  if (k->along && k->sn == 1)
    for (size_t j = 0; j < k->m; j++) k->acc[j] = line_sum(k->x + (ptrdiff_t)j * k->sm, k->n);
  else if (!k->along && k->sm == 1) sum_across(k);
  else k_sum_lines(k);
}
ACC_KERNEL(k_sumsq, 0.0, +, v * v)
ACC_KERNEL(k_sumabs, 0.0, +, fabs(v))
ACC_KERNEL(k_sumpow, 0.0, +, pow(fabs(v), p))
ACC_KERNEL(k_nonzero, 0.0, +, (double)(v != 0))
ACC_KERNEL(k_dev, 0.0, +, (v - c) * (v - c))
ACC_KERNEL(k_prod, 1.0, *, v)

/* The first index i of line j where x equals want (or is NaN, for a NaN). */
static size_t find_first(const float *x, size_t n, ptrdiff_t sn, double want) {
  int nan = want != want;
  for (size_t i = 0; i < n; i++) {
    float v = x[(ptrdiff_t)i * sn];
    if (nan ? v != v : v == want) return i;
  }
  return 0;
}

/* The largest (want_max) or smallest of x[i sn], i < n, of |x| when
 * absolute; a NaN wins. In a loop GCC vectorizes: the index, when wanted,
 * is found after by a scan that stops at the first match. */
static double line_extreme(const float *x, size_t n, ptrdiff_t sn, int want_max,
                           int absolute) {
  float b = absolute ? fabsf(x[0]) : x[0];
  int nan = 0;
  if (sn == 1 && !absolute && n >= 2 * LANES) {
    /* Lanes again: each is an elementwise select that vectorizes. */
    float l[2 * LANES];
    int ln[2 * LANES];
    size_t i = 0;
    for (int j = 0; j < 2 * LANES; j++) l[j] = x[j], ln[j] = 0;
    for (; i + 2 * LANES <= n; i += 2 * LANES)
      for (int j = 0; j < 2 * LANES; j++) {
        float v = x[i + (size_t)j];
        ln[j] |= v != v;
        l[j] = (want_max ? v > l[j] : v < l[j]) ? v : l[j];
      }
    for (; i < n; i++) {
      float v = x[i];
      nan |= v != v;
      b = (want_max ? v > b : v < b) ? v : b;
    }
    for (int j = 0; j < 2 * LANES; j++) {
      nan |= ln[j];
      b = (want_max ? l[j] > b : l[j] < b) ? l[j] : b;
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      float v = x[(ptrdiff_t)i * sn];
      v = absolute ? fabsf(v) : v;
      nan |= v != v;
      b = (want_max ? v > b : v < b) ? v : b;
    }
  }
  return nan ? NAN : b;
}

/* acc = the largest (want_max) or smallest element of each line, of |x|
 * when absolute; a NaN wins. ai (unless NULL) = the first index of it. */
static void k_extreme(const job *k, size_t *ai, int want_max, int absolute) {
  if (k->along) {
    for (size_t j = 0; j < k->m; j++) {
      const float *x = k->x + (ptrdiff_t)j * k->sm;
      k->acc[j] = line_extreme(x, k->n, k->sn, want_max, absolute);
      if (ai) ai[j] = find_first(x, k->n, k->sn, k->acc[j]);
    }
    return;
  }
  double *a = k->acc;
  for (size_t j = 0; j < k->m; j++) {
    float v = k->x[(ptrdiff_t)j * k->sm];
    a[j] = absolute ? fabsf(v) : v;
    if (ai) ai[j] = 0;
  }
  for (size_t i = 1; i < k->n; i++) {
    const float *r = k->x + (ptrdiff_t)i * k->sn;
    for (size_t j = 0; j < k->m; j++) {
      double v = r[(ptrdiff_t)j * k->sm];
      v = absolute ? fabs(v) : v;
      /* A NaN replaces anything but an earlier NaN. */
      int take = (want_max ? v > a[j] : v < a[j]) || (v != v && a[j] == a[j]);
      a[j] = take ? v : a[j];
      if (ai && take) ai[j] = i;
    }
  }
}

/* The sum of e^(x[i sn] - c), i < n, c >= every x; b and e are CHUNK
 * floats of scratch each. */
static double line_sumexp(const float *x, size_t n, ptrdiff_t sn, float c, float *b, float *e) {
  double s = 0;
  for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
    size_t len = n - i0 < CHUNK ? n - i0 : CHUNK;
    const float *r = x + (ptrdiff_t)i0 * sn;
    if (sn == 1) for (size_t i = 0; i < len; i++) b[i] = r[i] - c;
    else for (size_t i = 0; i < len; i++) b[i] = r[(ptrdiff_t)i * sn] - c;
    ln_vexp(e, b, len);
    PRAGMA(omp simd reduction(+:s))
    for (size_t i = 0; i < len; i++) s += e[i];
  }
  return s;
}

/* acc[j] = sum over i of e^(x[i, j] - c[j]), c[j] >= every x[i, j]. */
static void k_sumexp(const job *k) {
  float *b = k->buf, *e = k->buf + CHUNK;
  if (k->along) {
    for (size_t j = 0; j < k->m; j++)
      k->acc[j] = line_sumexp(k->x + (ptrdiff_t)j * k->sm, k->n, k->sn, (float)k->c[j], b, e);
    return;
  }
  for (size_t j = 0; j < k->m; j++) k->acc[j] = 0;
  for (size_t i = 0; i < k->n; i++) {
    const float *r = k->x + (ptrdiff_t)i * k->sn;
    for (size_t j0 = 0; j0 < k->m; j0 += CHUNK) {
      size_t len = k->m - j0 < CHUNK ? k->m - j0 : CHUNK;
      for (size_t j = 0; j < len; j++)
        b[j] = r[(ptrdiff_t)(j0 + j) * k->sm] - (float)k->c[j0 + j];
      ln_vexp(e, b, len);
      for (size_t j = 0; j < len; j++) k->acc[j0 + j] += e[j];
    }
  }
}

/* Runs op on job k: acc (and ai) get the final values. */
static void run(job *k, ln_reduce_op op, double p) {
  double n = (double)k->n;
  switch (op) {
  case LN_R_SUM: k_sum(k); break;
  case LN_R_MEAN:
    k_sum(k);
    for (size_t j = 0; j < k->m; j++) k->acc[j] /= n;
    break;
  case LN_R_PROD: k_prod(k); break;
  case LN_R_VAR: case LN_R_STD:
    /* Two passes: the deviations from an exact (double) mean do not cancel. */
    k_sum(k);
    for (size_t j = 0; j < k->m; j++) k->c[j] = k->acc[j] / n;
    k_dev(k);
    for (size_t j = 0; j < k->m; j++) {
      double v = n > p ? k->acc[j] / (n - p) : NAN;
      k->acc[j] = op == LN_R_STD ? sqrt(v) : v;
    }
    break;
  case LN_R_NORM:
    if (p == 2) k_sumsq(k);
    else if (p == 1) k_sumabs(k);
    else if (isinf(p)) k_extreme(k, NULL, p > 0, 1);
    else if (p == 0) k_nonzero(k);
    else k_sumpow(k);
    for (size_t j = 0; j < k->m; j++)
      if (p == 2) k->acc[j] = sqrt(k->acc[j]);
      else if (p != 1 && p != 0 && !isinf(p)) k->acc[j] = pow(k->acc[j], 1 / p);
    break;
  case LN_R_LOGSUMEXP:
    k_extreme(k, NULL, 1, 0);
    /* An infinite or NaN maximum is the answer itself; its line is summed
     * around +inf (harmlessly, to e^-104 terms) and the sum dropped. */
    for (size_t j = 0; j < k->m; j++) {
      k->mx[j] = k->acc[j];
      k->c[j] = isfinite(k->acc[j]) ? k->acc[j] : INFINITY;
    }
    k_sumexp(k);
    for (size_t j = 0; j < k->m; j++)
      k->acc[j] = isfinite(k->mx[j]) ? k->mx[j] + log(k->acc[j]) : k->mx[j];
    break;
  case LN_R_MAX: k_extreme(k, k->ai, 1, 0); break;
  case LN_R_MIN: k_extreme(k, k->ai, 0, 0); break;
  }
}

/* ---- drivers ---- */

/* The kept dimension (not dim, size > 1) of smallest stride: the m lines
 * of a block run across it; -1 when there is none. *along: each line is
 * reduced by a loop along dim, dim having the smaller stride (a row sum of
 * a row-major matrix), else the lines are reduced side by side, row after
 * row along dim (a column sum reads the matrix row by row, never down a
 * column). */
static int pick_inner(const ln_tensor *t, int dim, int *along) {
  int best = -1;
  for (int d = 0; d < t->ndim; d++)
    if (d != dim && t->size[d] > 1 && (best < 0 || t->stride[d] < t->stride[best])) best = d;
  *along = best < 0 || (t->size[dim] > 1 && t->stride[dim] <= t->stride[best]);
  return best;
}

/* What a block of lines gets: x (n, m) at strides (sn, sm) from t, o the
 * output at the same place (stride om across lines) in a tensor of strides
 * os, and whether each line is reduced along itself (see pick_inner). */
typedef void (*block_fn)(void *ctx, const float *x, size_t m, ptrdiff_t sm, size_t oof,
                         ptrdiff_t om, int along);

/* Calls f for every block of at most BLOCK lines along dim of t; oof is
 * the output offset, computed with the output strides os. Many short lines
 * (the rows of a matrix) are one call, not one each. */
static void each_block(const ln_tensor *t, int dim, const ptrdiff_t *os, block_fn f,
                       void *ctx) {
  int along, inner = pick_inner(t, dim, &along);
  ln_walk w;
  ln_walk_init(&w);
  for (int d = 0; d < t->ndim; d++)
    if (d != dim && d != inner) ln_walk_add(&w, t->size[d], t->stride[d], os[d], 0);
  size_t m = inner >= 0 ? t->size[inner] : 1;
  ptrdiff_t sm = inner >= 0 ? t->stride[inner] : 0, om = inner >= 0 ? os[inner] : 0;
  const float *x = ln_data(t);
  do
    for (size_t j0 = 0; j0 < m; j0 += BLOCK)
      f(ctx, x + w.off[0] + (ptrdiff_t)j0 * sm, m - j0 < BLOCK ? m - j0 : BLOCK, sm,
        (size_t)(w.off[1] + (ptrdiff_t)j0 * om), om, along);
  while (ln_walk_next(&w));
}

typedef struct reduce_ctx {
  job k;
  ln_reduce_op op;
  float *o, *oi;  /* results and indices (oi may be NULL) */
  double acc[BLOCK], c[BLOCK], mx[BLOCK];
  size_t ai[BLOCK];
  float buf[2 * CHUNK];
} reduce_ctx;

static void reduce_block(void *ctx, const float *x, size_t m, ptrdiff_t sm, size_t oof,
                         ptrdiff_t om, int along) {
  reduce_ctx *r = ctx;
  r->k.x = x;
  r->k.along = along;
  r->k.m = m;
  r->k.sm = sm;
  run(&r->k, r->op, r->k.p);
  for (size_t j = 0; j < m; j++) r->o[oof + (size_t)((ptrdiff_t)j * om)] = (float)r->acc[j];
  if (r->oi)
    for (size_t j = 0; j < m; j++) r->oi[oof + (size_t)((ptrdiff_t)j * om)] = (float)r->ai[j];
}

static const char *const op_names[] = {
  "sum", "mean", "prod", "var", "std", "norm", "logsumexp", "max", "min"
};

/* A context on the heap: its arrays are too big for every caller's stack.
 * Only the fields and the centers are zeroed (the kernels read c even
 * where it means nothing); the rest is written before it is read, and
 * zeroing all 34 KB was 1% of a 1e6 sum. */
static reduce_ctx *reduce_new(const ln_tensor *t, int dim, ln_reduce_op op, double p) {
  reduce_ctx *r = ln_malloc(sizeof *r);
  if (!r) {
    ln_fail("%s: out of memory", op_names[op]);
    return NULL;
  }
  memset(r, 0, offsetof(reduce_ctx, acc));
  memset(r->c, 0, sizeof r->c);
  r->op = op;
  r->k.n = t->size[dim];
  r->k.sn = t->stride[dim];
  r->k.p = p;
  r->k.acc = r->acc;
  r->k.c = r->c;
  r->k.mx = r->mx;
  r->k.ai = NULL;  /* set by callers that want the index of max and min */
  r->k.buf = r->buf;
  return r;
}

int ln_check_dim(const char *who, const ln_tensor *t, int dim) {
  if (!t->st) return ln_fail("%s: the tensor is empty", who);
  if (dim < 0 || dim >= t->ndim)
    return ln_fail("%s: dimension %d out of range (1..%d)", who, dim + 1, t->ndim);
  return LN_OK;
}

/* Whether t's elements fill one span of memory from t's first, without
 * gaps or repeats, in some order of its dimensions (a transpose or
 * permutation of a contiguous tensor). */
static int dense(const ln_tensor *t) {
  ptrdiff_t st[LN_MAXDIM];
  size_t sz[LN_MAXDIM];
  int m = 0;
  for (int d = 0; d < t->ndim; d++) {
    if (t->size[d] == 1) continue;
    int i = m++;
    for (; i > 0 && st[i - 1] > t->stride[d]; i--) st[i] = st[i - 1], sz[i] = sz[i - 1];
    st[i] = t->stride[d], sz[i] = t->size[d];
  }
  ptrdiff_t want = 1;
  for (int i = 0; i < m; want *= (ptrdiff_t)sz[i], i++)
    if (st[i] != want) return 0;
  return 1;
}

int ln_tensor_reduce_all(const ln_tensor *t, ln_reduce_op op, double p, double *val,
                         size_t *idx) {
  if (!t->st) return ln_fail("%s: the tensor is empty", op_names[op]);
  ln_tensor c = LN_TENSOR_EMPTY;
  size_t n = ln_numel(t);
  if (!idx && dense(t)) {
    /* Any order does without an index: the span read straight, not copied
     * first (the sum of a transposed 1024x1024 took 1 ms, the copy). */
    ln_tensor_share(&c, t);
    memset(c.size, 0, sizeof c.size);
    memset(c.stride, 0, sizeof c.stride);
    c.ndim = 1, c.size[0] = n, c.stride[0] = 1;
  } else {
    if (ln_tensor_contiguous(&c, t)) return LN_ERR;
    ln_tensor_view(&c, &c, 1, &n);  /* contiguous: cannot fail */
  }
  reduce_ctx *r = reduce_new(&c, 0, op, p);
  if (r) {
    r->k.x = ln_data(&c);
    r->k.m = 1;
    r->k.along = 1;
    r->k.ai = idx ? r->ai : NULL;  /* max and min scan for the index only when asked */
    run(&r->k, op, p);
    *val = r->acc[0];
    if (idx) *idx = op == LN_R_MAX || op == LN_R_MIN ? r->ai[0] : 0;
    ln_free(r);
  }
  ln_tensor_free(&c);
  return r ? LN_OK : LN_ERR;
}

/* dst = the contiguous tensor r seen without dimension dim (size 1). */
static void drop_dim(ln_tensor *r, int dim) {
  if (r->ndim == 1) return;
  size_t s[LN_MAXDIM];
  int k = 0;
  for (int d = 0; d < r->ndim; d++)
    if (d != dim) s[k++] = r->size[d];
  ln_tensor_view(r, r, k, s);  /* contiguous, same count: cannot fail */
}

int ln_tensor_results(ln_tensor *out, ln_tensor *idx, const ln_tensor *t, int dim, size_t len) {
  size_t shape[LN_MAXDIM];
  memcpy(shape, t->size, sizeof shape);
  shape[dim] = len;
  ln_tensor r = LN_TENSOR_EMPTY, ri = LN_TENSOR_EMPTY;
  if (ln_tensor_resize(&r, t->ndim, shape) || (idx && ln_tensor_resize(&ri, t->ndim, shape))) {
    ln_tensor_free(&r);
    return LN_ERR;
  }
  /* Written last: out or idx may be t itself. */
  ln_tensor_free(out);
  *out = r;
  if (idx) {
    ln_tensor_free(idx);
    *idx = ri;
  }
  return LN_OK;
}

int ln_tensor_reduce_dim(ln_tensor *out, ln_tensor *idx, const ln_tensor *t, int dim,
                         int keepdim, ln_reduce_op op, double p) {
  if (ln_check_dim(op_names[op], t, dim)) return LN_ERR;
  if (op != LN_R_MAX && op != LN_R_MIN) idx = NULL;
  if (idx && t->size[dim] > (1u << 24))
    return ln_fail("%s: more than 2^24 elements along dimension %d (float indices would not"
                   " be exact)", op_names[op], dim + 1);
  ln_tensor kt = LN_TENSOR_EMPTY;
  ln_tensor_share(&kt, t);  /* t may be out */
  reduce_ctx *r = reduce_new(&kt, dim, op, p);
  int rc = r ? ln_tensor_results(out, idx, &kt, dim, 1) : LN_ERR;
  if (rc == LN_OK) {
    r->o = ln_data(out);
    r->oi = idx ? ln_data(idx) : NULL;
    r->k.ai = idx ? r->ai : NULL;
    ptrdiff_t os[LN_MAXDIM];
    ln_contiguous_strides(out->ndim, out->size, os);
    each_block(&kt, dim, os, reduce_block, r);
    if (!keepdim) drop_dim(out, dim);
    if (!keepdim && idx) drop_dim(idx, dim);
  }
  ln_free(r);
  ln_tensor_free(&kt);
  return rc;
}

/* ---- cumsum ---- */

typedef struct cumsum_ctx {
  const ln_tensor *t;
  int dim;
  float *o;
  ptrdiff_t on;  /* the output's stride along dim */
  double acc[BLOCK];
} cumsum_ctx;

static void cumsum_block(void *ctx, const float *x, size_t m, ptrdiff_t sm, size_t oof,
                         ptrdiff_t om, int along) {
  cumsum_ctx *c = ctx;
  size_t n = c->t->size[c->dim];
  ptrdiff_t sn = c->t->stride[c->dim];
  double *a = c->acc;
  if (along) {  /* a running sum is serial along a line anyway */
    for (size_t j = 0; j < m; j++) {
      const float *r = x + (ptrdiff_t)j * sm;
      float *q = c->o + oof + (ptrdiff_t)j * om;
      double s = 0;
      for (size_t i = 0; i < n; i++) {
        s += r[(ptrdiff_t)i * sn];
        q[(ptrdiff_t)i * c->on] = (float)s;
      }
    }
    return;
  }
  for (size_t j = 0; j < m; j++) a[j] = 0;
  for (size_t i = 0; i < n; i++) {
    const float *r = x + (ptrdiff_t)i * sn;
    float *q = c->o + oof + (ptrdiff_t)i * c->on;
    if (sm == 1 && om == 1) {
      PRAGMA(omp simd)
      for (size_t j = 0; j < m; j++) { a[j] += r[j]; q[j] = (float)a[j]; }
    } else {
      for (size_t j = 0; j < m; j++) {
        a[j] += r[(ptrdiff_t)j * sm];
        q[(ptrdiff_t)j * om] = (float)a[j];
      }
    }
  }
}

int ln_tensor_cumsum(ln_tensor *out, const ln_tensor *t, int dim) {
  if (ln_check_dim("cumsum", t, dim)) return LN_ERR;
  ln_tensor kt = LN_TENSOR_EMPTY;
  ln_tensor_share(&kt, t);
  cumsum_ctx *c = ln_malloc(sizeof *c);
  int rc = c ? ln_tensor_results(out, NULL, &kt, dim, kt.size[dim])
             : ln_fail("cumsum: out of memory");
  if (rc == LN_OK) {
    ptrdiff_t os[LN_MAXDIM];
    ln_contiguous_strides(out->ndim, out->size, os);
    c->t = &kt;
    c->dim = dim;
    c->o = ln_data(out);
    c->on = os[dim];
    each_block(&kt, dim, os, cumsum_block, c);
  }
  ln_free(c);
  ln_tensor_free(&kt);
  return rc;
}
