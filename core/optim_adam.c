/* optim_adam.c: Adam with PyTorch's update (torch.optim.Adam, 1.13), and
 * the update AdamW shares (optim_adamw.c).
 *
 * Per parameter p with gradient g, t its step count from 1:
 *   Adam:  g += weight_decay * p   (L2 penalty)
 *   AdamW: p *= 1 - lr * weight_decay   (decoupled)
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   amsgrad: vmax = max(vmax, v), and vmax stands for v below
 *   denom = sqrt(v) / sqrt(1 - b2^t) + eps
 *   p -= lr / (1 - b1^t) * m / denom
 * The state is "step", "exp_avg" (m), "exp_avg_sq" (v) and, with amsgrad,
 * "max_exp_avg_sq" (vmax). */
#include "optim_adam.h"

#include <math.h>

enum { LR = LN_ADAM_LR, BETA1, BETA2, EPS, WEIGHT_DECAY, AMSGRAD, NHP };

static const ln_optim_option options[] = {
  {"lr", LN_HP_NUMBER, LR, 0, {1e-3}},
  {"betas", LN_HP_PAIR, BETA1, 0, {0.9, 0.999}},
  {"eps", LN_HP_NUMBER, EPS, 0, {1e-8}},
  {"weight_decay", LN_HP_NUMBER, WEIGHT_DECAY, 0, {0}},
  {"amsgrad", LN_HP_BOOL, AMSGRAD, 0, {0}},
  {NULL, 0, 0, 0, {0}}
};

/* !(x >= 0) also catches NaN. */
int ln_adam_check(const double *hp) {
  if (ln_optim_check_lr_wd(hp, LR, WEIGHT_DECAY)) return LN_ERR;
  if (!(hp[BETA1] >= 0 && hp[BETA1] < 1))
    return ln_fail("invalid beta1 %g (must be in [0, 1))", hp[BETA1]);
  if (!(hp[BETA2] >= 0 && hp[BETA2] < 1))
    return ln_fail("invalid beta2 %g (must be in [0, 1))", hp[BETA2]);
  return ln_optim_nonneg("eps", hp[EPS]);
}

int ln_adam_has_slot(const double *hp, int s) { return s < 2 || hp[AMSGRAD] != 0; }

/* In float as PyTorch's: the per-step scalars are computed once in double,
 * each loop is branch-free with restrict pointers so it vectorizes. The
 * decays are folded into two scalars: p * keep + g * wd (keep = 1 - lr wd
 * for AdamW, wd = 0 then; keep = 1 for Adam). */
void ln_adam_update(const double *hp, ln_optim_pstate *ps, float *restrict p,
                    const float *restrict g, float *const *s, size_t n, int decoupled) {
  float *restrict m = s[0], *restrict v = s[1], *restrict vmax = s[2];
  double bc1 = 1 - pow(hp[BETA1], (double)ps->step), bc2 = 1 - pow(hp[BETA2], (double)ps->step);
  float b1 = (float)hp[BETA1], b2 = (float)hp[BETA2];
  float wd = decoupled ? 0 : (float)hp[WEIGHT_DECAY];
  float keep = decoupled ? (float)(1 - hp[LR] * hp[WEIGHT_DECAY]) : 1;
  float a1 = (float)(1 - hp[BETA1]), a2 = (float)(1 - hp[BETA2]), eps = (float)hp[EPS];
  float step = (float)(hp[LR] / bc1), rsbc2 = (float)(1 / sqrt(bc2));
  if (!hp[AMSGRAD]) {
    for (size_t i = 0; i < n; i++) {
      float pi = p[i] * keep, gi = g[i] + wd * pi;
      float mi = b1 * m[i] + a1 * gi;
      float vi = b2 * v[i] + a2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = pi - step * mi / (sqrtf(vi) * rsbc2 + eps);
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      float pi = p[i] * keep, gi = g[i] + wd * pi;
      float mi = b1 * m[i] + a1 * gi;
      float vi = b2 * v[i] + a2 * gi * gi;
      float xi = vmax[i] > vi ? vmax[i] : vi;
      m[i] = mi;
      v[i] = vi;
      vmax[i] = xi;
      p[i] = pi - step * mi / (sqrtf(xi) * rsbc2 + eps);
    }
  }
  ps->has_state = 1;
}

static void update(const double *hp, ln_optim_pstate *ps, float *p, const float *g,
                   float *const *s, size_t n) {
  ln_adam_update(hp, ps, p, g, s, n, 0);
}

const ln_optim_kind ln_optim_adam = {
  "Adam", options, NHP, 3, {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}, 1, ln_adam_check,
  update, ln_adam_has_slot
};
