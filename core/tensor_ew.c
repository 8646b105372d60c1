/* tensor_ew.c: binary elementwise operations with NumPy broadcasting,
 * tensor op tensor and tensor op number, and where / masked_fill. */
#include "tensor.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vmath.h"

/* Every run of the iterator, o[i so] = EXPR(x = a[i sa], y = b[i sb]) for
 * i < n, with the common stride patterns written out so that GCC
 * vectorizes them: all contiguous, and a number (stride 0) on either side.
 * The operation is chosen once per call, not per run (a broadcast row add
 * of a 1024x1024 is 1024 runs). omp simd: o never overlaps a or b but as
 * the same elements (keep() copies an input otherwise), so the runtime
 * alias checks of every run can go. */
#define RUN2(EXPR)                                                             \
  do {                                                                         \
    float *o = it->p[0];                                                       \
    const float *a = it->p[1], *b = it->p[2];                                  \
    ptrdiff_t so = it->s[0], sa = it->s[1], sb = it->s[2];                     \
    size_t n = it->n;                                                          \
    if (so == 1 && sa == 1 && sb == 1) {                                       \
      PRAGMA(omp simd)                                                         \
      for (size_t i = 0; i < n; i++) { float x = a[i], y = b[i]; o[i] = (EXPR); } \
    } else if (so == 1 && sa == 1 && sb == 0) {                                \
      const float y = *b;                                                      \
      PRAGMA(omp simd)                                                         \
      for (size_t i = 0; i < n; i++) { float x = a[i]; o[i] = (EXPR); }         \
    } else if (so == 1 && sa == 0 && sb == 1) {                                \
      const float x = *a;                                                      \
      PRAGMA(omp simd)                                                         \
      for (size_t i = 0; i < n; i++) { float y = b[i]; o[i] = (EXPR); }         \
    } else {                                                                   \
      for (size_t i = 0; i < n; i++) {                                         \
        float x = a[(ptrdiff_t)i * sa], y = b[(ptrdiff_t)i * sb];              \
        o[(ptrdiff_t)i * so] = (EXPR);                                         \
      }                                                                        \
    }                                                                          \
  } while (ln_iter_next(it))

#define PRAGMA(x) _Pragma(#x)

/* NaN in either operand gives NaN, as torch.maximum/minimum. */
static inline float fmax_nan(float x, float y) { return x != x ? x : x > y ? x : y; }
static inline float fmin_nan(float x, float y) { return x != x ? x : x < y ? x : y; }

static void run_binop(ln_binop op, ln_iter *it) {
  switch (op) {
  case LN_ADD: RUN2(x + y); break;
  case LN_SUB: RUN2(x - y); break;
  case LN_MUL: RUN2(x * y); break;
  case LN_DIV: RUN2(x / y); break;
  case LN_POW:
    /* A number exponent: vmath's direct forms (x * x, sqrt, ...). */
    if (it->s[0] == 1 && it->s[1] == 1 && it->s[2] == 0) {
      do ln_vpow_scalar(it->p[0], it->p[1], *it->p[2], it->n); while (ln_iter_next(it));
    } else {
      RUN2(powf(x, y));
    }
    break;
  case LN_MAXIMUM: RUN2(fmax_nan(x, y)); break;
  case LN_MINIMUM: RUN2(fmin_nan(x, y)); break;
  case LN_EQ: RUN2((float)(x == y)); break;
  case LN_NE: RUN2((float)(x != y)); break;
  case LN_LT: RUN2((float)(x < y)); break;
  case LN_LE: RUN2((float)(x <= y)); break;
  case LN_GT: RUN2((float)(x > y)); break;
  case LN_GE: RUN2((float)(x >= y)); break;
  }
}

/* One element of op, as the reference computes it. */
static float binop1(ln_binop op, float x, float y) {
  switch (op) {
  case LN_ADD: return x + y;
  case LN_SUB: return x - y;
  case LN_MUL: return x * y;
  case LN_DIV: return x / y;
  case LN_POW: return powf(x, y);
  case LN_MAXIMUM: return fmax_nan(x, y);
  case LN_MINIMUM: return fmin_nan(x, y);
  case LN_EQ: return (float)(x == y);
  case LN_NE: return (float)(x != y);
  case LN_LT: return (float)(x < y);
  case LN_LE: return (float)(x <= y);
  case LN_GT: return (float)(x > y);
  case LN_GE: return (float)(x >= y);
  }
  return NAN;
}

/* t's element at idx, t broadcast to nd dimensions. */
static const float *bcast_at(const ln_tensor *t, int nd, const size_t *idx) {
  size_t j[LN_MAXDIM];
  int lead = nd - t->ndim;
  for (int d = 0; d < t->ndim; d++) j[d] = t->size[d] == 1 ? 0 : idx[d + lead];
  return ln_at(t, j);
}

int ln_tensor_binop_ref(ln_tensor *out, const ln_tensor *a, const ln_tensor *b, ln_binop op) {
  int nd;
  size_t shape[LN_MAXDIM], idx[LN_MAXDIM] = {0};
  if (ln_broadcast_shape(NULL, a->ndim, a->size, b->ndim, b->size, &nd, shape) ||
      ln_tensor_resize(out, nd, shape))
    return LN_ERR;
  float *o = ln_data(out);
  size_t n = ln_numel(out);
  for (size_t i = 0; i < n; i++) {
    o[i] = binop1(op, *bcast_at(a, nd, idx), *bcast_at(b, nd, idx));
    for (int d = nd - 1; d >= 0 && ++idx[d] == shape[d]; d--) idx[d] = 0;
  }
  return LN_OK;
}

static const char *const op_names[] = {
  "add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge"
};

const char *ln_binop_name(ln_binop op) { return op_names[op]; }

int ln_tensor_check_writable(const char *who, const ln_tensor *t) {
  for (int i = 0; i < t->ndim; i++)
    if (t->stride[i] == 0 && t->size[i] > 1)
      return ln_fail("%s: the tensor is an expanded view (several elements share one memory"
                     " location); clone() it first", who);
  return LN_OK;
}

/* k (a share of an input) becomes a private copy when out overlaps it in
 * another layout, so writing out never changes what is still to be read. */
static int keep(ln_tensor *k, const ln_tensor *out) {
  return ln_tensor_overlap(out, k) ? ln_tensor_clone(k, k) : LN_OK;
}

/* Gets out ready for a result of shape (nd, size): written in place when it
 * is one of the inputs (in, n of them) and has that shape, else resized,
 * laid out as the inputs are. */
static int prepare_out(ln_tensor *out, const ln_tensor *const *in, int n, int nd,
                       const size_t *size) {
  ln_tensor want = LN_TENSOR_EMPTY;
  want.ndim = nd;
  memcpy(want.size, size, (size_t)nd * sizeof *size);
  for (int i = 0; i < n; i++)
    if (out == in[i] && ln_same_shape(out, &want)) return LN_OK;
  return ln_tensor_resize_layout(out, n, in, nd, size);
}

/* An operand read again on every run (a row broadcast down a matrix, a
 * bias) is copied to scratch that starts half a page away from the
 * output: when the row's page offset came within a few hundred bytes of
 * the output's, its loads looked to the CPU as if they might depend on
 * the stores to the output just before, and a 1024x1024 + 1024 row add
 * ran up to 20% slower, depending on where the row was allocated. At
 * most one operand a call is placed (they would share the scratch). */
#define SCRATCH 2048                    /* floats: rows up to 8 KB */
#define PAGE_FLOATS (4096 / sizeof(float))

static void place_reused(ln_iter *it, int k, float *scratch) {
  if (it->ndim < 2 || it->s[k] != 1 || it->n > SCRATCH || it->size[it->ndim - 2] < 16 ||
      (k == 2 && it->p[1] >= scratch && it->p[1] < scratch + SCRATCH + PAGE_FLOATS))
    return;
  for (int d = 0; d < it->ndim - 1; d++)
    if (it->stride[k][d] != 0) return;
  /* the float index of scratch whose page offset is the output's + 2048 bytes */
  size_t want = ((uintptr_t)it->p[0] + 2048) % 4096, at = (uintptr_t)scratch % 4096;
  float *q = scratch + ((want + 4096 - at) % 4096) / sizeof(float);
  memcpy(q, it->p[k], it->n * sizeof(float));
  it->p[k] = q;
}

static void binop_share(ln_iter *it, void *op) { run_binop(*(const ln_binop *)op, it); }

int ln_tensor_binop(ln_tensor *out, const ln_tensor *a, const ln_tensor *b, ln_binop op) {
  int nd;
  size_t shape[LN_MAXDIM];
  if (ln_broadcast_shape(NULL, a->ndim, a->size, b->ndim, b->size, &nd, shape))
    return LN_ERR;
  /* Keep the inputs alive even if out is one of them and gets resized. */
  ln_tensor ka = LN_TENSOR_EMPTY, kb = LN_TENSOR_EMPTY;
  ln_tensor_share(&ka, a);
  ln_tensor_share(&kb, b);
  int rc = prepare_out(out, (const ln_tensor *[]){a, b}, 2, nd, shape);
  if (rc == LN_OK) rc = keep(&ka, out);
  if (rc == LN_OK) rc = keep(&kb, out);
  ln_iter it;
  if (rc == LN_OK)
    rc = ln_iter_init_any(&it, 3, (const ln_tensor *[]){out, &ka, &kb}, nd, shape);
  float scratch[SCRATCH + PAGE_FLOATS];
  if (rc == LN_OK) {
    for (int k = 1; k <= 2; k++) place_reused(&it, k, scratch);  /* shared by the shares */
    ln_iter_parallel(&it, LN_EW_GRAIN, binop_share, &op);
  }
  ln_tensor_free(&ka);
  ln_tensor_free(&kb);
  return rc;
}

void ln_tensor_number(ln_tensor *t, ln_storage *st, float *v) {
  st->data = v;
  st->cap = 1;
  st->refs = 1;
  memset(t, 0, sizeof *t);
  t->st = st;
  t->ndim = 1;
  t->size[0] = 1;
  t->stride[0] = 1;
}

int ln_tensor_scalar(ln_tensor *out, const ln_tensor *a, double s, ln_binop op,
                     int scalar_first) {
  float v = (float)s;
  ln_storage st;
  ln_tensor num;
  ln_tensor_number(&num, &st, &v);
  return scalar_first ? ln_tensor_binop(out, &num, a, op) : ln_tensor_binop(out, a, &num, op);
}

/* The broadcast shape of up to three tensors. */
static int shape3(const char *who, const ln_tensor *a, const ln_tensor *b, const ln_tensor *c,
                  int *nd, size_t *shape) {
  if (ln_broadcast_shape(who, a->ndim, a->size, b->ndim, b->size, nd, shape)) return LN_ERR;
  return c ? ln_broadcast_shape(who, *nd, shape, c->ndim, c->size, nd, shape) : LN_OK;
}

/* One run of where, o[i] = c[i] != 0 ? a[i] : b[i] through the strides,
 * with the contiguous case and masked_fill's (a a number) written out so
 * that GCC vectorizes them. */
static void where_run(float *o, ptrdiff_t so, const float *c, ptrdiff_t sc, const float *a,
                      ptrdiff_t sa, const float *b, ptrdiff_t sb, size_t n) {
  if (so == 1 && sc == 1 && sb == 1 && (sa == 1 || sa == 0)) {
    if (sa == 0) {
      const float v = *a;
#pragma omp simd
      for (size_t i = 0; i < n; i++) o[i] = c[i] != 0 ? v : b[i];
    } else {
#pragma omp simd
      for (size_t i = 0; i < n; i++) o[i] = c[i] != 0 ? a[i] : b[i];
    }
    return;
  }
  for (size_t i = 0; i < n; i++) {
    ptrdiff_t j = (ptrdiff_t)i;
    o[j * so] = c[j * sc] != 0 ? a[j * sa] : b[j * sb];
  }
}

static void where_share(ln_iter *it, void *ctx) {
  (void)ctx;
  do where_run(it->p[0], it->s[0], it->p[1], it->s[1], it->p[2], it->s[2], it->p[3], it->s[3],
               it->n);
  while (ln_iter_next(it));
}

int ln_tensor_where(ln_tensor *out, const ln_tensor *cond, const ln_tensor *a,
                    const ln_tensor *b) {
  int nd;
  size_t shape[LN_MAXDIM];
  if (shape3("where", cond, a, b, &nd, shape)) return LN_ERR;
  ln_tensor k[3] = {LN_TENSOR_EMPTY, LN_TENSOR_EMPTY, LN_TENSOR_EMPTY};
  const ln_tensor *in[3] = {cond, a, b};
  for (int i = 0; i < 3; i++) ln_tensor_share(&k[i], in[i]);
  int rc = prepare_out(out, in, 3, nd, shape);
  for (int i = 0; i < 3 && rc == LN_OK; i++) rc = keep(&k[i], out);
  ln_iter it;
  if (rc == LN_OK)
    rc = ln_iter_init_any(&it, 4, (const ln_tensor *[]){out, &k[0], &k[1], &k[2]}, nd, shape);
  if (rc == LN_OK) ln_iter_parallel(&it, LN_EW_GRAIN, where_share, NULL);
  for (int i = 0; i < 3; i++) ln_tensor_free(&k[i]);
  return rc;
}

int ln_tensor_masked_fill(ln_tensor *out, const ln_tensor *a, const ln_tensor *mask, float v) {
  int nd;
  size_t shape[LN_MAXDIM];
  if (shape3("masked_fill", a, mask, NULL, &nd, shape)) return LN_ERR;
  if (nd != a->ndim || memcmp(shape, a->size, (size_t)nd * sizeof *shape)) {
    char x[96], y[96];
    return ln_fail("masked_fill: a %s mask does not broadcast to the %s tensor",
                   ln_shape_str(mask, x, sizeof x), ln_shape_str(a, y, sizeof y));
  }
  float num = v;
  ln_storage st;
  ln_tensor vt;
  ln_tensor_number(&vt, &st, &num);
  return ln_tensor_where(out, mask, &vt, a);
}

