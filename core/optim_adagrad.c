/* optim_adagrad.c: Adagrad with PyTorch's update (torch.optim.Adagrad, 1.13).
 *
 * Per parameter p with gradient g, t its step count from 1:
 *   g += weight_decay * p
 *   clr = lr / (1 + (t - 1) lr_decay)
 *   sum += g^2      (sum starts at initial_accumulator_value)
 *   p -= clr g / (sqrt(sum) + eps)
 * The state is "step" and "sum". PyTorch fills sum when the optimizer is
 * made; here the first step adds initial_accumulator_value (the slot is
 * zero until then), which gives the same numbers. */
#include "optim.h"

#include <math.h>

enum { LR, LR_DECAY, WEIGHT_DECAY, INITIAL, EPS, NHP };

static const ln_optim_option options[] = {
  {"lr", LN_HP_NUMBER, LR, 0, {1e-2}},
  {"lr_decay", LN_HP_NUMBER, LR_DECAY, 0, {0}},
  {"weight_decay", LN_HP_NUMBER, WEIGHT_DECAY, 0, {0}},
  {"initial_accumulator_value", LN_HP_NUMBER, INITIAL, 0, {0}},
  {"eps", LN_HP_NUMBER, EPS, 0, {1e-10}},
  {NULL, 0, 0, 0, {0}}
};

static int check(const double *hp) {
  if (ln_optim_check_lr_wd(hp, LR, WEIGHT_DECAY) || ln_optim_nonneg("lr_decay", hp[LR_DECAY]) ||
      ln_optim_nonneg("initial_accumulator_value", hp[INITIAL]) ||
      ln_optim_nonneg("eps", hp[EPS]))
    return LN_ERR;
  return LN_OK;
}

/* In float as PyTorch's; the first step's initial value is a scalar added
 * to every element, so the loop stays branch-free. */
static void update(const double *hp, ln_optim_pstate *ps, float *restrict p,
                   const float *restrict g, float *const *s, size_t n) {
  float *restrict sum = s[0];
  float clr = (float)(hp[LR] / (1 + (double)(ps->step - 1) * hp[LR_DECAY]));
  float wd = (float)hp[WEIGHT_DECAY], eps = (float)hp[EPS];
  float init = ps->has_state ? 0.0f : (float)hp[INITIAL];
  for (size_t i = 0; i < n; i++) {
    float gi = g[i] + wd * p[i];
    float si = sum[i] + init + gi * gi;
    sum[i] = si;
    p[i] -= clr * gi / (sqrtf(si) + eps);
  }
  ps->has_state = 1;
}

const ln_optim_kind ln_optim_adagrad = {
  "Adagrad", options, NHP, 1, {"sum"}, 1, check, update, NULL
};
