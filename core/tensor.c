/* tensor.c: storage refcounting, shapes, creation, views and elementwise math. */
#include "tensor.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static ln_storage *storage_new(size_t n, int zero) {
  ln_storage *s = ln_malloc(sizeof *s);
  if (!s) return NULL;
  s->data = zero ? ln_calloc(n, sizeof(float)) : ln_malloc(n * sizeof(float));
  if (!s->data) {
    ln_free(s);
    return NULL;
  }
  s->cap = n;
  s->refs = 1;
  return s;
}

static void storage_release(ln_storage *s) {
  if (s && --s->refs == 0) {
    ln_free(s->data);
    ln_free(s);
  }
}

size_t ln_numel(const ln_tensor *t) {
  size_t n = t->ndim ? 1 : 0;
  for (int i = 0; i < t->ndim; i++) n *= t->size[i];
  return n;
}

int ln_same_shape(const ln_tensor *a, const ln_tensor *b) {
  if (a->ndim != b->ndim) return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->size[i] != b->size[i]) return 0;
  return 1;
}

char *ln_shape_str(const ln_tensor *t, char *buf, size_t n) {
  size_t used = 0;
  buf[0] = '\0';
  if (t->ndim == 0) snprintf(buf, n, "empty");
  for (int i = 0; i < t->ndim && used < n; i++)
    used += snprintf(buf + used, n - used, i ? "x%zu" : "%zu", t->size[i]);
  return buf;
}

int ln_check_shape(const char *who, int ndim, const size_t *size) {
  if (ndim < 1 || ndim > LN_MAXDIM)
    return ln_fail("%s: a tensor has 1 to %d dimensions, got %d", who, LN_MAXDIM, ndim);
  size_t n = 1;
  for (int i = 0; i < ndim; i++) {
    if (size[i] == 0) return ln_fail("%s: size %d is zero", who, i + 1);
    if (ln_mul_size(n, size[i], &n) || n > LN_MAXNUMEL)
      return ln_fail("%s: too many elements (more than %zu)", who, LN_MAXNUMEL);
  }
  return LN_OK;
}

static void set_shape(ln_tensor *t, int ndim, const size_t *size) {
  t->ndim = ndim;
  for (int i = 0; i < LN_MAXDIM; i++) t->size[i] = i < ndim ? size[i] : 0;
}

int ln_tensor_init(ln_tensor *t, int ndim, const size_t *size) {
  if (ln_check_shape("tensor", ndim, size)) return LN_ERR;
  size_t n = 1;
  for (int i = 0; i < ndim; i++) n *= size[i];
  ln_storage *s = storage_new(n, 1);
  if (!s) return ln_fail("tensor: out of memory allocating %zu floats", n);
  ln_tensor_free(t);
  t->st = s;
  t->off = 0;
  set_shape(t, ndim, size);
  return LN_OK;
}

int ln_tensor_resize(ln_tensor *t, int ndim, const size_t *size) {
  if (ln_check_shape("tensor", ndim, size)) return LN_ERR;
  size_t n = 1;
  for (int i = 0; i < ndim; i++) n *= size[i];
  if (t->st && t->st->cap - t->off >= n) {
    set_shape(t, ndim, size);
    return LN_OK;
  }
  /* A new storage, never realloc: views of the old one stay valid. */
  ln_storage *s = storage_new(n, 0);
  if (!s) return ln_fail("tensor: out of memory allocating %zu floats", n);
  storage_release(t->st);
  t->st = s;
  t->off = 0;
  set_shape(t, ndim, size);
  return LN_OK;
}

int ln_tensor_resize_as(ln_tensor *t, const ln_tensor *like) {
  return ln_tensor_resize(t, like->ndim, like->size);
}

void ln_tensor_free(ln_tensor *t) {
  storage_release(t->st);
  memset(t, 0, sizeof *t);
}

void ln_tensor_share(ln_tensor *dst, const ln_tensor *src) {
  if (dst == src) return;
  if (src->st) src->st->refs++;
  storage_release(dst->st);
  *dst = *src;
}

int ln_tensor_view(ln_tensor *dst, const ln_tensor *src, int ndim, const size_t *size) {
  if (ln_check_shape("view", ndim, size)) return LN_ERR;
  size_t n = 1;
  for (int i = 0; i < ndim; i++) n *= size[i];
  if (n != ln_numel(src)) {
    char a[64];
    return ln_fail("view: cannot view a %s tensor (%zu elements) with %zu elements",
                   ln_shape_str(src, a, sizeof a), ln_numel(src), n);
  }
  ln_tensor_share(dst, src);
  set_shape(dst, ndim, size);
  return LN_OK;
}

int ln_tensor_narrow(ln_tensor *dst, const ln_tensor *src, size_t start, size_t len) {
  if (len == 0 || start >= src->size[0] || len > src->size[0] - start)
    return ln_fail("narrow: rows %zu..%zu out of range 1..%zu", start + 1, start + len,
                   src->size[0]);
  size_t row = ln_numel(src) / src->size[0];
  ln_tensor_share(dst, src);
  dst->off += start * row;
  dst->size[0] = len;
  return LN_OK;
}

int ln_tensor_clone(ln_tensor *dst, const ln_tensor *src) {
  ln_tensor t = LN_TENSOR_EMPTY;
  if (ln_tensor_resize(&t, src->ndim, src->size)) return LN_ERR;
  memcpy(ln_data(&t), ln_data(src), ln_numel(src) * sizeof(float));
  ln_tensor_free(dst);
  *dst = t;
  return LN_OK;
}

int ln_tensor_copy(ln_tensor *dst, const ln_tensor *src) {
  if (ln_numel(dst) != ln_numel(src)) {
    char a[64], b[64];
    return ln_fail("copy: source %s has %zu elements, destination %s has %zu",
                   ln_shape_str(src, a, sizeof a), ln_numel(src),
                   ln_shape_str(dst, b, sizeof b), ln_numel(dst));
  }
  memmove(ln_data(dst), ln_data(src), ln_numel(src) * sizeof(float));
  return LN_OK;
}

void ln_tensor_fill(ln_tensor *t, float v) {
  float *p = t->st ? ln_data(t) : NULL;
  size_t n = ln_numel(t);
  for (size_t i = 0; i < n; i++) p[i] = v;
}

int ln_tensor_linspace(ln_tensor *t, double a, double b, size_t n) {
  if (ln_tensor_resize(t, 1, &n)) return LN_ERR;
  float *p = ln_data(t);
  /* As torch.linspace: step from the start, the last point exactly b. */
  double step = n > 1 ? (b - a) / (double)(n - 1) : 0;
  for (size_t i = 0; i < n; i++) p[i] = (float)(a + step * (double)i);
  if (n > 1) p[n - 1] = (float)b;
  return LN_OK;
}

void ln_tensor_randn(ln_tensor *t, ln_rng *r, double mean, double std) {
  float *p = ln_data(t);
  size_t n = ln_numel(t);
  for (size_t i = 0; i < n; i++) p[i] = (float)(mean + std * ln_rng_normal(r));
}

void ln_tensor_rand(ln_tensor *t, ln_rng *r, double lo, double hi) {
  float *p = ln_data(t);
  size_t n = ln_numel(t);
  /* Rounding to float can land on hi itself; keep [lo, hi) half-open. */
  float top = (float)hi, below = nextafterf(top, (float)lo);
  int open = (float)lo < top;
  for (size_t i = 0; i < n; i++) {
    float v = (float)(lo + (hi - lo) * ln_rng_uniform(r));
    p[i] = open && v >= top ? below : v;
  }
}

static float apply(ln_binop op, float x, float y) {
  switch (op) {
  case LN_ADD: return x + y;
  case LN_SUB: return x - y;
  case LN_MUL: return x * y;
  case LN_DIV: return x / y;
  case LN_POW: return powf(x, y);
  }
  return 0;
}

int ln_tensor_binop(ln_tensor *out, const ln_tensor *a, const ln_tensor *b, ln_binop op) {
  size_t n = ln_numel(a), m = ln_numel(b);
  int rowwise = !ln_same_shape(a, b);
  if (rowwise && !(a->ndim == 2 && b->ndim == 1 && b->size[0] == a->size[1])) {
    char x[64], y[64];
    return ln_fail("shapes %s and %s do not match (same shape, or (N,C) with (C))",
                   ln_shape_str(a, x, sizeof x), ln_shape_str(b, y, sizeof y));
  }
  /* Keep the inputs alive even if out is one of them. */
  ln_tensor ka = LN_TENSOR_EMPTY, kb = LN_TENSOR_EMPTY;
  ln_tensor_share(&ka, a);
  ln_tensor_share(&kb, b);
  int rc = ln_tensor_resize_as(out, &ka);
  if (rc == LN_OK) {
    const float *pa = ln_data(&ka), *pb = ln_data(&kb);
    float *po = ln_data(out);
    for (size_t i = 0; i < n; i++) po[i] = apply(op, pa[i], pb[rowwise ? i % m : i]);
  }
  ln_tensor_free(&ka);
  ln_tensor_free(&kb);
  return rc;
}

int ln_tensor_scalar(ln_tensor *out, const ln_tensor *a, double s, ln_binop op,
                     int scalar_first) {
  ln_tensor ka = LN_TENSOR_EMPTY;
  ln_tensor_share(&ka, a);
  int rc = ln_tensor_resize_as(out, &ka);
  if (rc == LN_OK) {
    const float *pa = ln_data(&ka);
    float *po = ln_data(out), fs = (float)s;
    size_t n = ln_numel(&ka);
    for (size_t i = 0; i < n; i++)
      po[i] = scalar_first ? apply(op, fs, pa[i]) : apply(op, pa[i], fs);
  }
  ln_tensor_free(&ka);
  return rc;
}

double ln_tensor_sum(const ln_tensor *t) {
  const float *p = ln_data(t);
  size_t n = ln_numel(t);
  double s = 0;
  for (size_t i = 0; i < n; i++) s += p[i];
  return s;
}

double ln_tensor_mean(const ln_tensor *t) { return ln_tensor_sum(t) / (double)ln_numel(t); }

double ln_tensor_std(const ln_tensor *t) {
  const float *p = ln_data(t);
  size_t n = ln_numel(t);
  double mean = ln_tensor_mean(t), ss = 0;
  for (size_t i = 0; i < n; i++) ss += ((double)p[i] - mean) * ((double)p[i] - mean);
  return sqrt(ss / (double)(n - 1));
}

/* NaN wins, as in torch.min/max. */
static double extreme(const ln_tensor *t, int want_max) {
  const float *p = ln_data(t);
  size_t n = ln_numel(t);
  double e = p[0];
  for (size_t i = 0; i < n; i++) {
    if (isnan(p[i])) return NAN;
    if (want_max ? p[i] > e : p[i] < e) e = p[i];
  }
  return e;
}

double ln_tensor_min(const ln_tensor *t) { return extreme(t, 0); }
double ln_tensor_max(const ln_tensor *t) { return extreme(t, 1); }

/* A NaN never compares greater, so it is looked for explicitly: torch.argmax
 * returns the first NaN, and a diverged row should not look like a class. */
size_t ln_argmax(const float *x, size_t n) {
  size_t best = 0;
  for (size_t j = 1; j < n && !isnan(x[best]); j++)
    if (x[j] > x[best] || isnan(x[j])) best = j;
  return best;
}

int ln_tensor_argmax_rows(ln_tensor *out, const ln_tensor *t) {
  if (t->ndim != 2) return ln_fail("argmax: expected a 2-D (N,C) tensor, got %d-D", t->ndim);
  size_t n = t->size[0], c = t->size[1];
  ln_tensor kt = LN_TENSOR_EMPTY;
  ln_tensor_share(&kt, t);
  int rc = ln_tensor_resize(out, 1, &n);
  if (rc == LN_OK) {
    const float *p = ln_data(&kt);
    float *o = ln_data(out);
    for (size_t i = 0; i < n; i++) o[i] = (float)ln_argmax(p + i * c, c);
  }
  ln_tensor_free(&kt);
  return rc;
}

void ln_gemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
             const float *a, size_t lda, const float *b, size_t ldb, float beta,
             float *c, size_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              (blasint)m, (blasint)n, (blasint)k, alpha, a, (blasint)lda, b, (blasint)ldb,
              beta, c, (blasint)ldc);
}

void ln_set_num_threads(int n) { openblas_set_num_threads(n); }
int ln_get_num_threads(void) { return openblas_get_num_threads(); }
