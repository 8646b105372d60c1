/* activation.c: ReLU, Tanh and Sigmoid share one forward/backward driver. */
#include "activation.h"

#include <math.h>
#include <string.h>

#include "vmath.h"

/* Written so that NaN passes through (forward and backward), as in PyTorch:
 * a diverged network then shows NaN, not "dead" zeros. */
void ln_relu_forward(float *out, const float *inp, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = inp[i] < 0 ? 0.0f : inp[i];
}

void ln_relu_backward(float *dinp, const float *inp, const float *dout, size_t n) {
  for (size_t i = 0; i < n; i++) dinp[i] = inp[i] <= 0 ? 0.0f : dout[i];
}

/* glibc's tanhf/expf are scalar calls that GCC cannot vectorize (8x slower
 * than ReLU in training): tanh and sigmoid are vmath.c's vectorized
 * kernels, the libm loops below the reference tests/core/test_activation.c
 * compares them against. */

void ln_tanh_forward(float *out, const float *inp, size_t n) {
  ln_vtanh(out, inp, n);
}

void ln_tanh_forward_ref(float *out, const float *inp, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = tanhf(inp[i]);
}

void ln_tanh_backward(float *dinp, const float *out, const float *dout, size_t n) {
  for (size_t i = 0; i < n; i++) dinp[i] = dout[i] * (1.0f - out[i] * out[i]);
}

void ln_sigmoid_forward(float *out, const float *inp, size_t n) {
  ln_vsigmoid(out, inp, n);
}

void ln_sigmoid_forward_ref(float *out, const float *inp, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = 1.0f / (1.0f + expf(-inp[i]));
}

void ln_sigmoid_backward(float *dinp, const float *out, const float *dout, size_t n) {
  for (size_t i = 0; i < n; i++) dinp[i] = dout[i] * out[i] * (1.0f - out[i]);
}

static int act_forward(ln_module *m, const ln_tensor *in) {
  if (ln_tensor_resize_as(&m->output, in)) return LN_ERR;
  float *out = ln_data(&m->output);
  const float *x = ln_data(in);
  size_t n = ln_numel(in);
  switch (m->ops->kind) {
  case LN_RELU: ln_relu_forward(out, x, n); break;
  case LN_TANH: ln_tanh_forward(out, x, n); break;
  default: ln_sigmoid_forward(out, x, n); break;
  }
  return LN_OK;
}

static int act_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  /* dout already has the output's shape (ln_module_backward checks it). */
  if (!ln_same_shape(in, &m->output)) {
    char a[64], b[64];
    return ln_fail("%s: input has shape %s, but the last forward gave %s", m->ops->name,
                   ln_shape_str(in, a, sizeof a), ln_shape_str(&m->output, b, sizeof b));
  }
  if (ln_tensor_resize_as(&m->grad_input, in)) return LN_ERR;
  float *din = ln_data(&m->grad_input);
  const float *dy = ln_data(dout);
  size_t n = ln_numel(in);
  switch (m->ops->kind) {
  case LN_RELU: ln_relu_backward(din, ln_data(in), dy, n); break;
  case LN_TANH: ln_tanh_backward(din, ln_data(&m->output), dy, n); break;
  default: ln_sigmoid_backward(din, ln_data(&m->output), dy, n); break;
  }
  return LN_OK;
}

static const ln_module_ops relu_ops = {
  LN_RELU, "ReLU", act_forward, act_backward, NULL, NULL
};
static const ln_module_ops tanh_ops = {
  LN_TANH, "Tanh", act_forward, act_backward, NULL, NULL
};
static const ln_module_ops sigmoid_ops = {
  LN_SIGMOID, "Sigmoid", act_forward, act_backward, NULL, NULL
};

static ln_module *act_new(const ln_module_ops *ops) {
  ln_module *m = ln_malloc(sizeof *m);
  if (!m) {
    ln_fail("%s: out of memory", ops->name);
    return NULL;
  }
  ln_module_init(m, ops);
  return m;
}

ln_module *ln_relu_new(void) { return act_new(&relu_ops); }
ln_module *ln_tanh_new(void) { return act_new(&tanh_ops); }
ln_module *ln_sigmoid_new(void) { return act_new(&sigmoid_ops); }
