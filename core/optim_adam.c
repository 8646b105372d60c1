/* optim_adam.c: Adam with PyTorch's update (torch.optim.Adam, 1.13).
 *
 * Per parameter p with gradient g, t its step count from 1:
 *   g += weight_decay * p          (L2 penalty as torch.optim.Adam, not AdamW)
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   denom = sqrt(v) / sqrt(1 - b2^t) + eps
 *   p -= lr / (1 - b1^t) * m / denom
 * The state is "step", "exp_avg" (m) and "exp_avg_sq" (v). */
#include "optim.h"

#include <math.h>

enum { LR, BETA1, BETA2, EPS, WEIGHT_DECAY, NHP };

static const ln_optim_option options[] = {
  {"lr", LN_HP_NUMBER, LR, 0, {1e-3}},
  {"betas", LN_HP_PAIR, BETA1, 0, {0.9, 0.999}},
  {"eps", LN_HP_NUMBER, EPS, 0, {1e-8}},
  {"weight_decay", LN_HP_NUMBER, WEIGHT_DECAY, 0, {0}},
  {NULL, 0, 0, 0, {0}}
};

/* !(x >= 0) also catches NaN. */
static int check(const double *hp) {
  if (ln_optim_check_lr_wd(hp, LR, WEIGHT_DECAY)) return LN_ERR;
  if (!(hp[BETA1] >= 0 && hp[BETA1] < 1))
    return ln_fail("invalid beta1 %g (must be in [0, 1))", hp[BETA1]);
  if (!(hp[BETA2] >= 0 && hp[BETA2] < 1))
    return ln_fail("invalid beta2 %g (must be in [0, 1))", hp[BETA2]);
  return ln_optim_nonneg("eps", hp[EPS]);
}

/* In float as PyTorch's: the per-step scalars are computed once in double,
 * the loop is branch-free with restrict pointers so it vectorizes. */
static void update(const double *hp, ln_optim_pstate *ps, float *restrict p,
                   const float *restrict g, float *const *s, size_t n) {
  float *restrict m = s[0], *restrict v = s[1];
  double bc1 = 1 - pow(hp[BETA1], (double)ps->step), bc2 = 1 - pow(hp[BETA2], (double)ps->step);
  float b1 = (float)hp[BETA1], b2 = (float)hp[BETA2], wd = (float)hp[WEIGHT_DECAY];
  float a1 = (float)(1 - hp[BETA1]), a2 = (float)(1 - hp[BETA2]), eps = (float)hp[EPS];
  float step = (float)(hp[LR] / bc1), rsbc2 = (float)(1 / sqrt(bc2));
  for (size_t i = 0; i < n; i++) {
    float gi = g[i] + wd * p[i];
    float mi = b1 * m[i] + a1 * gi;
    float vi = b2 * v[i] + a2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= step * mi / (sqrtf(vi) * rsbc2 + eps);
  }
  ps->has_state = 1;
}

const ln_optim_kind ln_optim_adam = {
  "Adam", options, NHP, 2, {"exp_avg", "exp_avg_sq"}, 1, check, update
};
