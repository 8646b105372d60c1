/* optim_adamw.c: AdamW with PyTorch's update (torch.optim.AdamW, 1.13):
 * Adam's (optim_adam.c) with the weight decay decoupled from the gradient,
 *   p *= 1 - lr * weight_decay
 * before the moments are updated, and a default weight_decay of 1e-2. The
 * state is Adam's: "step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq" with
 * amsgrad. */
#include "optim_adam.h"

static const ln_optim_option options[] = {
  {"lr", LN_HP_NUMBER, LN_ADAM_LR, 0, {1e-3}},
  {"betas", LN_HP_PAIR, LN_ADAM_BETA1, 0, {0.9, 0.999}},
  {"eps", LN_HP_NUMBER, LN_ADAM_EPS, 0, {1e-8}},
  {"weight_decay", LN_HP_NUMBER, LN_ADAM_WD, 0, {1e-2}},
  {"amsgrad", LN_HP_BOOL, LN_ADAM_AMSGRAD, 0, {0}},
  {NULL, 0, 0, 0, {0}}
};

static void update(const double *hp, ln_optim_pstate *ps, float *p, const float *g,
                   float *const *s, size_t n) {
  ln_adam_update(hp, ps, p, g, s, n, 1);
}

const ln_optim_kind ln_optim_adamw = {
  "AdamW", options, LN_ADAM_NHP, 3, {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}, 1,
  ln_adam_check, update, ln_adam_has_slot
};
