/* loss.c: MSE and softmax cross-entropy (see loss.h). */
#include "loss.h"

#include <math.h>

const char *ln_loss_name(ln_loss_kind kind) {
  return kind == LN_MSE ? "MSELoss" : "CrossEntropyLoss";
}

static int check_mse(const ln_tensor *y, const ln_tensor *t) {
  char a[64], b[64];
  if (!y->st || !t->st) return ln_fail("MSELoss: input or target is an empty tensor");
  if (!ln_same_shape(y, t))
    return ln_fail("MSELoss: input %s and target %s differ in shape",
                   ln_shape_str(y, a, sizeof a), ln_shape_str(t, b, sizeof b));
  return LN_OK;
}

/* The losses read their operands as flat memory: a strided one becomes a
 * contiguous copy (a contiguous one is shared, no copy). */
static int flat2(ln_tensor *ky, const ln_tensor *y, ln_tensor *kt, const ln_tensor *t) {
  return ln_tensor_contiguous(ky, y) || (t && ln_tensor_contiguous(kt, t)) ? LN_ERR : LN_OK;
}

/* Releases what flat2 made (kt may be NULL); returns rc. */
static int unflat2(int rc, ln_tensor *ky, ln_tensor *kt) {
  ln_tensor_free(ky);
  if (kt) ln_tensor_free(kt);
  return rc;
}

int ln_mse_forward(double *cost, const ln_tensor *y0, const ln_tensor *t0) {
  ln_tensor ky = LN_TENSOR_EMPTY, kt = LN_TENSOR_EMPTY, *y = &ky, *t = &kt;
  if (check_mse(y0, t0) || flat2(y, y0, t, t0)) return unflat2(LN_ERR, y, t);
  const float *py = ln_data(y), *pt = ln_data(t);
  size_t n = ln_numel(y);
  double s = 0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)py[i] - pt[i];
    s += d * d;
  }
  *cost = s / (double)n;
  return unflat2(LN_OK, y, t);
}

int ln_mse_backward(ln_tensor *dy, const ln_tensor *y0, const ln_tensor *t0) {
  ln_tensor ky = LN_TENSOR_EMPTY, kt = LN_TENSOR_EMPTY, *y = &ky, *t = &kt;
  if (check_mse(y0, t0) || flat2(y, y0, t, t0) || ln_tensor_resize_as(dy, y))
    return unflat2(LN_ERR, y, t);
  const float *py = ln_data(y), *pt = ln_data(t);
  float *pd = ln_data(dy);
  size_t n = ln_numel(y);
  double k = 2.0 / (double)n;
  for (size_t i = 0; i < n; i++) pd[i] = (float)(k * ((double)py[i] - pt[i]));
  return unflat2(LN_OK, y, t);
}

static int check_ce(const ln_tensor *x, const int *labels, size_t n) {
  char a[64];
  if (!x->st) return ln_fail("CrossEntropyLoss: input is an empty tensor");
  if (x->ndim != 2)
    return ln_fail("CrossEntropyLoss: input must be 2-D (N,C), got %s",
                   ln_shape_str(x, a, sizeof a));
  if (n != x->size[0])
    return ln_fail("CrossEntropyLoss: %zu labels for %zu rows of input", n, x->size[0]);
  size_t c = x->size[1];
  for (size_t i = 0; i < n; i++)
    if (labels[i] < 0 || (size_t)labels[i] >= c)
      return ln_fail("CrossEntropyLoss: label %d at index %zu is out of range [0, %zu)",
                     labels[i], i, c);
  return LN_OK;
}

/* log(sum(exp(row))) with the row maximum subtracted first, so no exp
 * overflows; Inf/NaN inputs propagate into the result. */
static double logsumexp(const float *row, size_t c) {
  double mx = row[0];
  for (size_t j = 1; j < c; j++)
    if (row[j] > mx) mx = row[j];
  if (isinf(mx)) return mx;
  double s = 0;
  for (size_t j = 0; j < c; j++) s += exp((double)row[j] - mx);
  return mx + log(s);
}

int ln_ce_forward(double *cost, const ln_tensor *x0, const int *labels, size_t n) {
  ln_tensor kx = LN_TENSOR_EMPTY, *x = &kx;
  if (check_ce(x0, labels, n) || flat2(x, x0, NULL, NULL)) return unflat2(LN_ERR, x, NULL);
  size_t c = x->size[1];
  const float *px = ln_data(x);
  double s = 0;
  for (size_t i = 0; i < n; i++) {
    const float *row = px + i * c;
    s += logsumexp(row, c) - row[labels[i]];
  }
  *cost = s / (double)n;
  return unflat2(LN_OK, x, NULL);
}

int ln_ce_backward(ln_tensor *dx, const ln_tensor *x0, const int *labels, size_t n) {
  ln_tensor kx = LN_TENSOR_EMPTY, *x = &kx;
  if (check_ce(x0, labels, n) || flat2(x, x0, NULL, NULL) || ln_tensor_resize_as(dx, x))
    return unflat2(LN_ERR, x, NULL);
  size_t c = x->size[1];
  const float *px = ln_data(x);
  float *pd = ln_data(dx);
  double inv = 1.0 / (double)n;
  for (size_t i = 0; i < n; i++) {
    const float *row = px + i * c;
    float *drow = pd + i * c;
    double lse = logsumexp(row, c);
    for (size_t j = 0; j < c; j++) {
      double p = exp((double)row[j] - lse);
      drow[j] = (float)(((int)j == labels[i] ? p - 1.0 : p) * inv);
    }
  }
  return unflat2(LN_OK, x, NULL);
}

void ln_loss_init(ln_loss *l, ln_loss_kind kind) {
  ln_tensor empty = LN_TENSOR_EMPTY;
  l->kind = kind;
  l->grad = empty;
  l->labels = NULL;
  l->caplabels = 0;
}

void ln_loss_free(ln_loss *l) {
  ln_tensor_free(&l->grad);
  ln_free(l->labels);
  l->labels = NULL;
  l->caplabels = 0;
}

int ln_loss_reserve_labels(ln_loss *l, size_t n) {
  if (n <= l->caplabels) return LN_OK;
  size_t bytes;
  if (ln_mul_size(n, sizeof *l->labels, &bytes)) return LN_ERR;
  int *p = ln_realloc(l->labels, bytes);
  if (!p) return ln_fail("%s: out of memory for %zu labels", ln_loss_name(l->kind), n);
  l->labels = p;
  l->caplabels = n;
  return LN_OK;
}
