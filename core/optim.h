/* optim.h: SGD and Adam with PyTorch's update formulas (torch.optim, 1.13).
 *
 * SGD, per parameter p with gradient g:
 *   d = g + weight_decay * p
 *   momentum != 0: buf = d on the first step, else
 *                  buf = momentum * buf + (1 - dampening) * d;
 *                  d = nesterov ? d + momentum * buf : buf
 *   p -= lr * d
 * Adam (t = step count from 1):
 *   g += weight_decay * p          (L2 penalty as torch.optim.Adam, not AdamW)
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   denom = sqrt(v) / sqrt(1 - b2^t) + eps
 *   p -= lr / (1 - b1^t) * m / denom
 *
 * An optimizer holds a reference to its module and the parameter/gradient
 * tensors it had when created (as a PyTorch optimizer holds its param list).
 * Its state (momentum buffers, m, v) is allocated up front, so step()
 * allocates nothing. Hyper-parameters may be changed between steps through
 * ln_optim_set (learning-rate schedules); they are checked there. */
#ifndef LN_OPTIM_H
#define LN_OPTIM_H

#include "module.h"

typedef enum { LN_SGD, LN_ADAM } ln_optim_kind;

typedef struct ln_optim_config {
  double lr;
  double momentum, dampening;  /* SGD */
  int nesterov;                /* SGD */
  double beta1, beta2, eps;    /* Adam */
  double weight_decay;
} ln_optim_config;

typedef struct ln_optim {
  ln_optim_kind kind;
  ln_optim_config cfg;
  ln_module *net;       /* one reference held */
  size_t n;             /* parameter tensors */
  ln_tensor **param, **grad;
  size_t *numel;        /* each parameter's element count when created */
  float *state;         /* SGD: momentum buffers; Adam: m then v (2 x total) */
  size_t total;         /* sum of numel */
  int has_buf;          /* SGD: the momentum buffers hold a value */
  long steps;           /* steps taken */
} ln_optim;

/* PyTorch's defaults: SGD lr must be given (0 here); Adam lr 1e-3,
 * betas (0.9, 0.999), eps 1e-8; no momentum, no weight decay. */
ln_optim_config ln_optim_defaults(ln_optim_kind kind);
/* "SGD" or "Adam". */
const char *ln_optim_name(ln_optim_kind kind);
/* Checks every hyper-parameter; errors name the optimizer and the value. */
int ln_optim_check(ln_optim_kind kind, const ln_optim_config *cfg);

ln_optim *ln_optim_new(ln_optim_kind kind, ln_module *net, const ln_optim_config *cfg);
void ln_optim_free(ln_optim *o);
/* Replaces the hyper-parameters after checking them. */
int ln_optim_set(ln_optim *o, const ln_optim_config *cfg);
/* One update of every parameter from its gradient. */
int ln_optim_step(ln_optim *o);
/* Zeroes the gradients of the module. */
void ln_optim_zero_grad(ln_optim *o);

#endif
