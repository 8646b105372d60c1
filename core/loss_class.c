/* loss_class.c: the class losses, CrossEntropyLoss and NLLLoss, in
 * PyTorch's formulas (1.13), row by row (see loss.h). w_c is the weight of
 * class c (1 without weights), y the row's class. */
#include "loss.h"

#include <math.h>

/* log(sum(exp(row))) with the row maximum subtracted first, so no exp
 * overflows; Inf/NaN inputs propagate into the result. The kind's row_stat:
 * forward computes it once per row, and backward reuses it (loss.c). */
static double logsumexp(const float *row, size_t c) {
  double mx = row[0];
  for (size_t j = 1; j < c; j++)
    if (row[j] > mx) mx = row[j];
  if (isinf(mx)) return mx;
  double s = 0;
  for (size_t j = 0; j < c; j++) s += exp((double)row[j] - mx);
  return mx + log(s);
}

/* CrossEntropyLoss with label smoothing e: (1 - e) w_y (lse - x_y) +
 * (e / C) sum_c w_c (lse - x_c), lse = logsumexp(x). */
static double ce_row_f(const ln_loss_options *o, const float *x, size_t c, int y,
                       const float *w, double lse) {
  double e = o->smoothing;
  double v = (1 - e) * (w ? w[y] : 1.0) * (lse - x[y]);
  if (e != 0) {
    double s = 0;
    for (size_t j = 0; j < c; j++) s += (w ? w[j] : 1.0) * (lse - x[j]);
    v += e / (double)c * s;
  }
  return v;
}

/* d/dx_j = (1 - e) w_y (p_j - [j = y]) + (e / C) (W p_j - w_j), p =
 * softmax(x), W = sum_c w_c. */
static void ce_row_b(const ln_loss_options *o, const float *x, size_t c, int y,
                     const float *w, double lse, double scale, float *dx) {
  double e = o->smoothing, wy = w ? w[y] : 1.0, sw = (double)c;
  if (w) {
    sw = 0;
    for (size_t j = 0; j < c; j++) sw += w[j];
  }
  for (size_t j = 0; j < c; j++) {
    double p = exp((double)x[j] - lse);
    double g = (1 - e) * wy * ((int)j == y ? p - 1.0 : p);
    if (e != 0) g += e / (double)c * (sw * p - (w ? w[j] : 1.0));
    dx[j] = (float)(scale * g);
  }
}

const ln_loss_kind ln_loss_cross_entropy = {
  "CrossEntropyLoss", {"reduction", "weight", "ignore_index", "label_smoothing", NULL}, 1,
  NULL, NULL, NULL, ce_row_f, ce_row_b, logsumexp
};

/* NLLLoss of log-probabilities x: -w_y x_y. */
static double nll_row_f(const ln_loss_options *o, const float *x, size_t c, int y,
                        const float *w, double stat) {
  (void)o, (void)c, (void)stat;
  return -(w ? w[y] : 1.0) * x[y];
}

static void nll_row_b(const ln_loss_options *o, const float *x, size_t c, int y,
                      const float *w, double stat, double scale, float *dx) {
  (void)o, (void)x, (void)stat;
  for (size_t j = 0; j < c; j++) dx[j] = 0;
  dx[y] = (float)(-scale * (w ? w[y] : 1.0));
}

const ln_loss_kind ln_loss_nll = {
  "NLLLoss", {"reduction", "weight", "ignore_index", NULL}, 1,
  NULL, NULL, NULL, nll_row_f, nll_row_b, NULL
};
