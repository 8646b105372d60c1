/* optim_clip.c: gradient clipping (see optim_clip.h).
 *
 * torch.nn.utils.clip_grad_norm_ (1.13):
 *   total = ||(||g_1||_p, ..., ||g_n||_p)||_p   (= the p-norm of every element)
 *   total = max |g| for p = inf
 *   g *= min(1, max_norm / (total + 1e-6))
 * clip_grad_value_: g = clamp(g, -v, v). */
#include "optim_clip.h"

#include <math.h>

/* Every gradient present and contiguous (its elements are walked flat). */
static int check_grads(const char *who, ln_tensor *const *g, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (g[i]->st && !ln_is_contiguous(g[i]))
      return ln_fail("%s: gradient %zu is not contiguous", who, i + 1);
  return LN_OK;
}

/* The sum of |x|^p over a (p = 2 apart: it is the common case and pow is
 * slow), or the largest |x| when p is infinite. */
static double accumulate(const float *restrict a, size_t n, double p) {
  double acc = 0;
  if (isinf(p)) {
    for (size_t i = 0; i < n; i++) acc = fmax(acc, fabs((double)a[i]));
  } else if (p == 2) {
    for (size_t i = 0; i < n; i++) acc += (double)a[i] * a[i];
  } else {
    for (size_t i = 0; i < n; i++) acc += pow(fabs((double)a[i]), p);
  }
  return acc;
}

int ln_clip_grad_norm(ln_tensor *const *g, size_t n, double max_norm, double p,
                      double *total) {
  const char *who = "clip_grad_norm";
  if (!(max_norm >= 0)) return ln_fail("%s: invalid max_norm %g (must be >= 0)", who, max_norm);
  if (!(p > 0)) return ln_fail("%s: invalid norm_type %g (must be > 0, or math.huge)", who, p);
  if (check_grads(who, g, n)) return LN_ERR;
  double acc = 0;
  for (size_t i = 0; i < n; i++) {
    if (!g[i]->st) continue;
    double a = accumulate(ln_data(g[i]), ln_numel(g[i]), p);
    acc = isinf(p) ? fmax(acc, a) : acc + a;
  }
  *total = isinf(p) ? acc : p == 2 ? sqrt(acc) : pow(acc, 1 / p);
  double coef = max_norm / (*total + 1e-6);
  if (coef >= 1) return LN_OK;
  float c = (float)coef;
  for (size_t i = 0; i < n; i++) {
    if (!g[i]->st) continue;
    float *restrict a = ln_data(g[i]);
    for (size_t j = 0, m = ln_numel(g[i]); j < m; j++) a[j] *= c;
  }
  return LN_OK;
}

int ln_clip_grad_value(ln_tensor *const *g, size_t n, double v) {
  const char *who = "clip_grad_value";
  if (!(v >= 0)) return ln_fail("%s: invalid clip value %g (must be >= 0)", who, v);
  if (check_grads(who, g, n)) return LN_ERR;
  float hi = (float)v, lo = -hi;
  for (size_t i = 0; i < n; i++) {
    if (!g[i]->st) continue;
    float *restrict a = ln_data(g[i]);
    for (size_t j = 0, m = ln_numel(g[i]); j < m; j++)
      a[j] = a[j] < lo ? lo : a[j] > hi ? hi : a[j];
  }
  return LN_OK;
}
