/* optim_sgd.c: SGD with PyTorch's update (torch.optim.SGD, 1.13).
 *
 * Per parameter p with gradient g:
 *   d = g + weight_decay * p
 *   momentum != 0: buf = d on the first step (no buffer yet), else
 *                  buf = momentum * buf + (1 - dampening) * d;
 *                  d = nesterov ? d + momentum * buf : buf
 *   p -= lr * d
 * The state is one slot, "momentum_buffer", which exists once a step with
 * momentum has been taken (PyTorch keeps None until then). */
#include "optim.h"

#include <math.h>

enum { LR, MOMENTUM, DAMPENING, WEIGHT_DECAY, NESTEROV, NHP };

static const ln_optim_option options[] = {
  {"lr", LN_HP_NUMBER, LR, 1, {0}},  /* required, as in torch.optim 1.13 */
  {"momentum", LN_HP_NUMBER, MOMENTUM, 0, {0}},
  {"dampening", LN_HP_NUMBER, DAMPENING, 0, {0}},
  {"weight_decay", LN_HP_NUMBER, WEIGHT_DECAY, 0, {0}},
  {"nesterov", LN_HP_BOOL, NESTEROV, 0, {0}},
  {NULL, 0, 0, 0, {0}}
};

static int check(const double *hp) {
  if (ln_optim_check_lr_wd(hp, LR, WEIGHT_DECAY) || ln_optim_nonneg("momentum", hp[MOMENTUM]))
    return LN_ERR;
  if (!(hp[DAMPENING] >= 0) || !(hp[DAMPENING] <= 1))
    return ln_fail("invalid dampening %g (must be in [0, 1])", hp[DAMPENING]);
  if (hp[NESTEROV] && (hp[MOMENTUM] <= 0 || hp[DAMPENING] != 0))
    return ln_fail("nesterov momentum requires a momentum > 0 and zero dampening");
  return LN_OK;
}

/* One loop per case with restrict pointers, so each vectorizes. Without a
 * buffer yet, keep = 0 and take = 1 give buf = d (the slot is still zero:
 * calloc, or a state loaded without a buffer). */
static void update(const double *hp, ln_optim_pstate *ps, float *restrict p,
                   const float *restrict g, float *const *s, size_t n) {
  float *restrict buf = s[0];
  double lr = hp[LR], wd = hp[WEIGHT_DECAY], mom = hp[MOMENTUM];
  double keep = ps->has_state ? mom : 0, take = ps->has_state ? 1 - hp[DAMPENING] : 1;
  if (mom == 0) {
    for (size_t i = 0; i < n; i++) p[i] = (float)(p[i] - lr * ((double)g[i] + wd * p[i]));
    return;
  }
  if (!hp[NESTEROV]) {
    for (size_t i = 0; i < n; i++) {
      double b = keep * buf[i] + take * ((double)g[i] + wd * p[i]);
      buf[i] = (float)b;
      p[i] = (float)(p[i] - lr * b);
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      double d = (double)g[i] + wd * p[i], b = keep * buf[i] + take * d;
      buf[i] = (float)b;
      p[i] = (float)(p[i] - lr * (d + mom * b));
    }
  }
  ps->has_state = 1;
}

const ln_optim_kind ln_optim_sgd = {
  "SGD", options, NHP, 1, {"momentum_buffer"}, 0, check, update, NULL
};
