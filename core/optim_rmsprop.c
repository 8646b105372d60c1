/* optim_rmsprop.c: RMSprop with PyTorch's update (torch.optim.RMSprop, 1.13).
 *
 * Per parameter p with gradient g:
 *   g += weight_decay * p
 *   v = alpha v + (1 - alpha) g^2
 *   centered: a = alpha a + (1 - alpha) g;  avg = sqrt(v - a^2) + eps
 *   else:     avg = sqrt(v) + eps
 *   momentum > 0: buf = momentum buf + g / avg;  p -= lr buf
 *   else:         p -= lr g / avg
 * The state is "step", "square_avg" (v), "momentum_buffer" (buf) when
 * momentum > 0 and "grad_avg" (a) when centered; all start at zero. */
#include "optim.h"

#include <math.h>

enum { LR, ALPHA, EPS, WEIGHT_DECAY, MOMENTUM, CENTERED, NHP };

static const ln_optim_option options[] = {
  {"lr", LN_HP_NUMBER, LR, 0, {1e-2}},
  {"alpha", LN_HP_NUMBER, ALPHA, 0, {0.99}},
  {"eps", LN_HP_NUMBER, EPS, 0, {1e-8}},
  {"weight_decay", LN_HP_NUMBER, WEIGHT_DECAY, 0, {0}},
  {"momentum", LN_HP_NUMBER, MOMENTUM, 0, {0}},
  {"centered", LN_HP_BOOL, CENTERED, 0, {0}},
  {NULL, 0, 0, 0, {0}}
};

static int check(const double *hp) {
  if (ln_optim_check_lr_wd(hp, LR, WEIGHT_DECAY) || ln_optim_nonneg("eps", hp[EPS]) ||
      ln_optim_nonneg("momentum", hp[MOMENTUM]))
    return LN_ERR;
  if (!(hp[ALPHA] >= 0 && hp[ALPHA] <= 1))
    return ln_fail("invalid alpha %g (must be in [0, 1])", hp[ALPHA]);
  return LN_OK;
}

static int has_slot(const double *hp, int s) {
  return s == 0 || (s == 1 && hp[MOMENTUM] > 0) || (s == 2 && hp[CENTERED] != 0);
}

/* In float as PyTorch's. The centered and momentum cases are folded into
 * scalars so that one branch-free loop serves all four: c = 1 keeps the
 * mean a (else a stays 0 and subtracts nothing), mom = 0 with keep = 0
 * makes buf = g / avg, the step itself. */
static void update(const double *hp, ln_optim_pstate *ps, float *restrict p,
                   const float *restrict g, float *const *s, size_t n) {
  float *restrict v = s[0], *restrict buf = s[1], *restrict a = s[2];
  float al = (float)hp[ALPHA], al1 = (float)(1 - hp[ALPHA]), eps = (float)hp[EPS];
  float wd = (float)hp[WEIGHT_DECAY], lr = (float)hp[LR];
  float c = hp[CENTERED] ? 1.0f : 0.0f, mom = (float)hp[MOMENTUM];
  for (size_t i = 0; i < n; i++) {
    float gi = g[i] + wd * p[i];
    float vi = al * v[i] + al1 * gi * gi;
    float ai = c * (al * a[i] + al1 * gi);
    float bi = mom * buf[i] + gi / (sqrtf(vi - ai * ai) + eps);
    v[i] = vi;
    a[i] = ai;
    buf[i] = mom > 0 ? bi : 0;
    p[i] -= lr * bi;
  }
  ps->has_state = 1;
}

const ln_optim_kind ln_optim_rmsprop = {
  "RMSprop", options, NHP, 3, {"square_avg", "momentum_buffer", "grad_avg"}, 1, check, update,
  has_slot
};
