/* flatten.c: the Flatten layer, a view of its input. */
#include "flatten.h"

static int flatten_forward(ln_module *m, const ln_tensor *in) {
  if (in->ndim < 2) {
    char s[64];
    return ln_fail("Flatten: input must have at least 2 dimensions (N,...), got %s",
                   ln_shape_str(in, s, sizeof s));
  }
  size_t shape[2] = {in->size[0], ln_numel(in) / in->size[0]};
  return ln_tensor_reshape(&m->output, in, 2, shape);
}

static int flatten_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  if (ln_numel(dout) != ln_numel(in) || dout->ndim != 2 || dout->size[0] != in->size[0]) {
    char s[64], t[64];
    return ln_fail("Flatten: grad_output %s does not match the input %s",
                   ln_shape_str(dout, s, sizeof s), ln_shape_str(in, t, sizeof t));
  }
  if (m->skip_grad_input) return LN_OK;
  return ln_tensor_reshape(&m->grad_input, dout, in->ndim, in->size);
}

static ln_module *flatten_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                               ln_rng *rng) {
  (void)cfg, (void)child, (void)nchild, (void)rng;
  return ln_flatten_new();
}

const ln_module_ops ln_flatten_ops = {
  .tag = "Flatten", .forward = flatten_forward, .backward = flatten_backward,
  .make = flatten_make,
};

ln_module *ln_flatten_new(void) {
  ln_module *m = ln_malloc(sizeof *m);
  if (!m) {
    ln_fail("Flatten: out of memory");
    return NULL;
  }
  ln_module_init(m, &ln_flatten_ops);
  return m;
}
