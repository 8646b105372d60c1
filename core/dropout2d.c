/* dropout2d.c: the Dropout2d layer. Backward is the forward's kernel again
 * on grad_output (the same masks and scale). */
#include "dropout2d.h"

#include <stdio.h>

#include "rng.h"

void ln_dropout2d_forward(float *restrict out, const float *restrict in,
                          const float *restrict scale, size_t planes, size_t hw) {
  for (size_t i = 0; i < planes; i++) {
    const float s = scale[i];
    for (size_t j = 0; j < hw; j++) out[i * hw + j] = in[i * hw + j] * s;
  }
}

static int check_input(const ln_tensor *in) {
  if (in->ndim != 4 && in->ndim != 2) {
    char s[64];
    return ln_fail("Dropout2d: input must be 4-D (N,C,H,W) or 2-D (N,C), got %s",
                   ln_shape_str(in, s, sizeof s));
  }
  if (!ln_is_contiguous(in)) return ln_fail("Dropout2d: input must be contiguous");
  return LN_OK;
}

/* Makes t a tensor of its own shaped like like: after an evaluation step
 * it is a view of someone else's storage (*shared), let go first. */
static int own_like(ln_tensor *t, int *shared, const ln_tensor *like) {
  if (*shared) ln_tensor_free(t);
  *shared = 0;
  return ln_tensor_resize_as(t, like);
}

static int dropout_forward(ln_module *m, const ln_tensor *in) {
  ln_dropout2d *d = (ln_dropout2d *)m;
  if (check_input(in)) return LN_ERR;
  if (!m->training || d->p == 0) {
    ln_tensor_share(&m->output, in);
    d->out_shared = 1;
    return LN_OK;
  }
  size_t planes = in->size[0] * in->size[1], hw = ln_numel(in) / planes;
  if (planes > d->capscale) {
    float *s = ln_malloc(planes * sizeof *s);  /* planes <= LN_MAXNUMEL: no overflow */
    if (!s) return ln_fail("Dropout2d: out of memory");
    ln_free(d->scale);
    d->scale = s, d->capscale = planes;
  }
  if (own_like(&m->output, &d->out_shared, in)) return LN_ERR;
  if (in->st == m->output.st) return ln_fail("Dropout2d: input shares storage with the output");
  ln_rng *rng = ln_rng_default();
  float keep = d->p >= 1 ? 0.0f : (float)(1.0 / (1.0 - d->p));
  for (size_t i = 0; i < planes; i++)
    d->scale[i] = ln_rng_uniform(rng) < 1.0 - d->p ? keep : 0.0f;
  d->nscale = planes;
  ln_dropout2d_forward(ln_data(&m->output), ln_data(in), d->scale, planes, hw);
  return LN_OK;
}

static int dropout_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  ln_dropout2d *d = (ln_dropout2d *)m;
  if (check_input(in)) return LN_ERR;
  if (!ln_same_shape(in, dout) || !ln_is_contiguous(dout)) {
    char s[64], t[64];
    return ln_fail("Dropout2d: grad_output %s must be contiguous and shaped like the input %s",
                   ln_shape_str(dout, s, sizeof s), ln_shape_str(in, t, sizeof t));
  }
  if (m->skip_grad_input) return LN_OK;
  if (!m->training || d->p == 0) {
    ln_tensor_share(&m->grad_input, dout);
    d->gin_shared = 1;
    return LN_OK;
  }
  size_t planes = in->size[0] * in->size[1];
  if (planes != d->nscale)
    return ln_fail("Dropout2d: backward of an input shaped unlike the last forward's");
  if (own_like(&m->grad_input, &d->gin_shared, in)) return LN_ERR;
  if (dout->st == m->grad_input.st)
    return ln_fail("Dropout2d: grad_output shares storage with grad_input");
  ln_dropout2d_forward(ln_data(&m->grad_input), ln_data(dout), d->scale, planes,
                       ln_numel(in) / planes);
  return LN_OK;
}

static void dropout_destroy(ln_module *m) { ln_free(((ln_dropout2d *)m)->scale); }

static ln_module *dropout_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                               ln_rng *rng) {
  (void)child, (void)nchild, (void)rng;
  return ln_dropout2d_new(cfg[0].d);
}

static int dropout_describe(const ln_module *m, char *buf, size_t n) {
  return snprintf(buf, n, "Dropout2d(p=%g)", ((const ln_dropout2d *)m)->p);
}

static const ln_field dropout_fields[] = {
  {"p", LN_FIELD_DOUBLE, offsetof(ln_dropout2d, p), 0.5},  /* PyTorch's default, as Dropout's */
  {NULL, LN_FIELD_SIZE, 0, 0}
};

const ln_module_ops ln_dropout2d_ops = {
  .tag = "Dropout2d", .forward = dropout_forward, .backward = dropout_backward,
  .destroy = dropout_destroy, .fields = dropout_fields, .make = dropout_make,
  .describe = dropout_describe,
};

ln_module *ln_dropout2d_new(double p) {
  if (!(p >= 0 && p <= 1)) {
    ln_fail("Dropout2d: p must be in 0..1, got %g", p);
    return NULL;
  }
  ln_dropout2d *d = ln_calloc(1, sizeof *d);
  if (!d) {
    ln_fail("Dropout2d: out of memory");
    return NULL;
  }
  ln_module_init(&d->base, &ln_dropout2d_ops);
  d->p = p;
  return &d->base;
}
