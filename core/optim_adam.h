/* optim_adam.h: what Adam (optim_adam.c) and AdamW (optim_adamw.c) share:
 * their hyper-parameter slots, check, slots and update, which differ only
 * in how the weight decay is applied. */
#ifndef LN_OPTIM_ADAM_H
#define LN_OPTIM_ADAM_H

#include "optim.h"

enum { LN_ADAM_LR, LN_ADAM_BETA1, LN_ADAM_BETA2, LN_ADAM_EPS, LN_ADAM_WD, LN_ADAM_AMSGRAD,
       LN_ADAM_NHP };

int ln_adam_check(const double *hp);
/* exp_avg and exp_avg_sq always; max_exp_avg_sq with amsgrad. */
int ln_adam_has_slot(const double *hp, int s);
/* One step; decoupled: AdamW's p *= 1 - lr * wd, else Adam's g += wd * p. */
void ln_adam_update(const double *hp, ln_optim_pstate *ps, float *p, const float *g,
                    float *const *s, size_t n, int decoupled);

#endif
