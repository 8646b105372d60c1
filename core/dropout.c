/* dropout.c: Dropout. The mask is the module's own tensor (not a buffer:
 * PyTorch's Dropout has no state to save), kept between forward and
 * backward and resized only when the input's shape changes. */
#include "dropout.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "pointwise.h"

typedef struct dropout {
  ln_module base;
  double p;
  ln_tensor mask;   /* shaped like the last training input */
  int masked;       /* 1 when the last forward applied mask (training) */
} dropout;

void ln_dropout_mask(float *mask, size_t n, double p, ln_rng *rng) {
  if (p <= 0 || p >= 1) {
    float v = p <= 0 ? 1.0f : 0.0f;
    for (size_t i = 0; i < n; i++) mask[i] = v;
    return;
  }
  float scale = (float)(1 / (1 - p));
  double keep = 1 - p;
  for (size_t i = 0; i < n; i++) mask[i] = ln_rng_uniform(rng) < keep ? scale : 0.0f;
}

/* y = a * b elementwise, or a copy of a when b is NULL. SETS y. */
static void apply(float *y /* (n) */, const float *a /* (n) */, const float *b /* (n) */,
                  size_t n) {
  if (!b) {
    memcpy(y, a, n * sizeof *y);
    return;
  }
  for (size_t i = 0; i < n; i++) y[i] = a[i] * b[i];
}

static int dropout_forward(ln_module *m, const ln_tensor *in) {
  dropout *d = (dropout *)m;
  if (ln_tensor_resize_as(&m->output, in)) return LN_ERR;
  d->masked = m->training && d->p > 0;
  if (d->masked) {
    if (ln_tensor_resize_as(&d->mask, in)) return LN_ERR;
    ln_dropout_mask(ln_data(&d->mask), ln_numel(in), d->p, ln_rng_default());
  }
  apply(ln_data(&m->output), ln_data(in), d->masked ? ln_data(&d->mask) : NULL,
        ln_numel(in));
  return LN_OK;
}

static int dropout_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  dropout *d = (dropout *)m;
  if (ln_check_last_input(m, in) || ln_tensor_resize_as(&m->grad_input, in)) return LN_ERR;
  apply(ln_data(&m->grad_input), ln_data(dout), d->masked ? ln_data(&d->mask) : NULL,
        ln_numel(in));
  return LN_OK;
}

static void dropout_destroy(ln_module *m) { ln_tensor_free(&((dropout *)m)->mask); }

ln_module *ln_dropout_new(double p) {
  if (!(p >= 0 && p <= 1)) {
    ln_fail("Dropout: p must be in [0, 1], got %g", p);
    return NULL;
  }
  dropout *d = ln_malloc(sizeof *d);
  if (!d) {
    ln_fail("Dropout: out of memory");
    return NULL;
  }
  ln_module_init(&d->base, &ln_dropout_ops);
  d->p = p;
  d->mask = (ln_tensor)LN_TENSOR_EMPTY;
  d->masked = 0;
  return &d->base;
}

static ln_module *dropout_make(const ln_value *c, ln_module *const *ch, size_t n, ln_rng *r) {
  (void)ch, (void)n, (void)r;  /* r is for initial weights; masks use the default */
  return ln_dropout_new(c[0].d);
}

static const ln_field dropout_fields[] = {
  {"p", LN_FIELD_DOUBLE, offsetof(dropout, p), 0.5},
  {NULL, LN_FIELD_SIZE, 0, 0}
};

const ln_module_ops ln_dropout_ops = {
  .tag = "Dropout", .forward = dropout_forward, .backward = dropout_backward,
  .destroy = dropout_destroy, .fields = dropout_fields, .make = dropout_make,
  .describe = ln_describe_one_float,
};
