/* optim.c: SGD and Adam (formulas in optim.h). */
#include "optim.h"

#include <math.h>
#include <string.h>

const char *ln_optim_name(ln_optim_kind kind) { return kind == LN_SGD ? "SGD" : "Adam"; }

ln_optim_config ln_optim_defaults(ln_optim_kind kind) {
  ln_optim_config c;
  memset(&c, 0, sizeof c);
  c.lr = kind == LN_ADAM ? 1e-3 : 0;
  c.beta1 = 0.9;
  c.beta2 = 0.999;
  c.eps = 1e-8;
  return c;
}

/* !(x >= 0) also catches NaN. */
int ln_optim_check(ln_optim_kind kind, const ln_optim_config *c) {
  const char *name = ln_optim_name(kind);
  if (!(c->lr >= 0) || isinf(c->lr))
    return ln_fail("%s: invalid learning rate %g (must be >= 0)", name, c->lr);
  if (!(c->weight_decay >= 0) || isinf(c->weight_decay))
    return ln_fail("%s: invalid weight_decay %g (must be >= 0)", name, c->weight_decay);
  if (kind == LN_SGD) {
    if (!(c->momentum >= 0) || isinf(c->momentum))
      return ln_fail("SGD: invalid momentum %g (must be >= 0)", c->momentum);
    if (!(c->dampening >= 0) || !(c->dampening <= 1))
      return ln_fail("SGD: invalid dampening %g (must be in [0, 1])", c->dampening);
    if (c->nesterov && (c->momentum <= 0 || c->dampening != 0))
      return ln_fail("SGD: nesterov momentum requires a momentum > 0 and zero dampening");
  } else {
    if (!(c->beta1 >= 0 && c->beta1 < 1))
      return ln_fail("Adam: invalid beta1 %g (must be in [0, 1))", c->beta1);
    if (!(c->beta2 >= 0 && c->beta2 < 1))
      return ln_fail("Adam: invalid beta2 %g (must be in [0, 1))", c->beta2);
    if (!(c->eps >= 0) || isinf(c->eps))
      return ln_fail("Adam: invalid eps %g (must be >= 0)", c->eps);
  }
  return LN_OK;
}

ln_optim *ln_optim_new(ln_optim_kind kind, ln_module *net, const ln_optim_config *cfg) {
  if (ln_optim_check(kind, cfg)) return NULL;
  const char *name = ln_optim_name(kind);
  ln_tensor *probe[1];  /* not NULL: ln_module_parameters offsets into it */
  size_t n = ln_module_parameters(net, probe, probe, 0);
  if (n == 0) {
    ln_fail("%s: the module has no parameters to optimize", name);
    return NULL;
  }
  ln_optim *o = ln_calloc(1, sizeof *o);
  if (!o) goto oom;
  o->kind = kind;
  o->cfg = *cfg;
  o->n = n;
  o->param = ln_calloc(n, sizeof *o->param);
  o->grad = ln_calloc(n, sizeof *o->grad);
  o->numel = ln_calloc(n, sizeof *o->numel);
  if (!o->param || !o->grad || !o->numel) goto oom;
  ln_module_parameters(net, o->param, o->grad, n);
  for (size_t i = 0; i < n; i++) {
    o->numel[i] = ln_numel(o->param[i]);
    o->total += o->numel[i];
  }
  size_t count = kind == LN_ADAM ? 2 * o->total : o->total;
  o->state = ln_calloc(count, sizeof *o->state);
  if (!o->state) goto oom;
  o->net = net;
  ln_module_retain(net);
  return o;
oom:
  ln_optim_free(o);
  ln_fail("%s: out of memory for the optimizer state", name);
  return NULL;
}

void ln_optim_free(ln_optim *o) {
  if (!o) return;
  ln_module_release(o->net);
  ln_free(o->param);
  ln_free(o->grad);
  ln_free(o->numel);
  ln_free(o->state);
  ln_free(o);
}

int ln_optim_set(ln_optim *o, const ln_optim_config *cfg) {
  if (ln_optim_check(o->kind, cfg)) return LN_ERR;
  o->cfg = *cfg;
  return LN_OK;
}

/* One loop per case with restrict pointers, so each vectorizes. The first
 * momentum step sets buf = d: the buffers are still zero then (calloc, and
 * only momentum steps write them), so keep = 0, take = 1 gives that. */
static void sgd_update(const ln_optim *o, float *restrict p, const float *restrict g,
                       float *restrict buf, size_t n) {
  const ln_optim_config *c = &o->cfg;
  double lr = c->lr, wd = c->weight_decay, mom = c->momentum;
  double keep = o->has_buf ? mom : 0, take = o->has_buf ? 1 - c->dampening : 1;
  if (mom == 0) {
    for (size_t i = 0; i < n; i++) p[i] = (float)(p[i] - lr * ((double)g[i] + wd * p[i]));
  } else if (!c->nesterov) {
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
}

/* In float as PyTorch's: the per-step scalars are computed once in double,
 * the loop is branch-free with restrict pointers so it vectorizes. */
static void adam_update(const ln_optim *o, float *restrict p, const float *restrict g,
                        float *restrict m, float *restrict v, size_t n) {
  const ln_optim_config *c = &o->cfg;
  double bc1 = 1 - pow(c->beta1, (double)o->steps), bc2 = 1 - pow(c->beta2, (double)o->steps);
  float b1 = (float)c->beta1, b2 = (float)c->beta2, wd = (float)c->weight_decay;
  float a1 = (float)(1 - c->beta1), a2 = (float)(1 - c->beta2), eps = (float)c->eps;
  float step = (float)(c->lr / bc1), rsbc2 = (float)(1 / sqrt(bc2));
  for (size_t i = 0; i < n; i++) {
    float gi = g[i] + wd * p[i];
    float mi = b1 * m[i] + a1 * gi;
    float vi = b2 * v[i] + a2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= step * mi / (sqrtf(vi) * rsbc2 + eps);
  }
}

int ln_optim_step(ln_optim *o) {
  const char *name = ln_optim_name(o->kind);
  /* A parameter reshaped behind our back would overrun the state. */
  for (size_t i = 0; i < o->n; i++) {
    if (!o->param[i]->st || ln_numel(o->param[i]) != o->numel[i] ||
        !ln_same_shape(o->param[i], o->grad[i]))
      return ln_fail("%s: parameter %zu changed shape since the optimizer was made",
                     name, i + 1);
  }
  o->steps++;
  float *s = o->state;
  for (size_t i = 0; i < o->n; i++) {
    float *p = ln_data(o->param[i]);
    const float *g = ln_data(o->grad[i]);
    size_t k = o->numel[i];
    if (o->kind == LN_SGD) sgd_update(o, p, g, s, k);
    else adam_update(o, p, g, s, s + o->total, k);
    s += k;
  }
  if (o->kind == LN_SGD && o->cfg.momentum != 0) o->has_buf = 1;
  return LN_OK;
}

void ln_optim_zero_grad(ln_optim *o) { ln_module_zero_grad(o->net); }
