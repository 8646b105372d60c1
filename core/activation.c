/* activation.c: ReLU, Tanh and Sigmoid share one forward/backward driver. */
#include "activation.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Written so that NaN passes through (forward and backward), as in PyTorch:
 * a diverged network then shows NaN, not "dead" zeros. */
void ln_relu_forward(float *out, const float *inp, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = inp[i] < 0 ? 0.0f : inp[i];
}

void ln_relu_backward(float *dinp, const float *inp, const float *dout, size_t n) {
  for (size_t i = 0; i < n; i++) dinp[i] = inp[i] <= 0 ? 0.0f : dout[i];
}

/* glibc's tanhf/expf are scalar calls that GCC cannot vectorize (8x slower
 * than ReLU in training), so the kernels below are plain branch-free loops
 * that GCC vectorizes at -O3 (ternaries become blends). The scalar libm
 * versions stay as the reference tests/core/test_activation.c compares
 * against. Worst errors over its dense sweeps: tanh 1.4 ulp, sigmoid 2.3 ulp
 * (glibc's tanhf: 2.0 ulp). */

/* Float bits <-> float; memcpy is how C99 does it without aliasing UB, and
 * GCC turns it into a plain register move, even in vectorized loops. */
static inline float bits_float(int32_t b) {
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

/* e^t for t <= 0 (NaN gives e^-104: callers select NaN back in). The Cephes
 * expf scheme: t = k ln2 + r with |r| <= ln2/2 (ln2 split in two so k ln2 is
 * exact), a degree-7 polynomial for e^r, then times 2^k. Results below 2^-126
 * need k down to -150, past what one float's exponent field can hold, so 2^k
 * is applied in two halves: p 2^k1 is exact and only the last product rounds
 * into the subnormals. */
static inline float expneg(float t) {
  const float magic = 12582912.0f; /* 1.5 2^23: adding it rounds to an integer */
  /* e^-104 is below half the least subnormal; NaN goes there too, so the
   * float-to-int conversion below is always defined. */
  t = t >= -104.0f ? t : -104.0f;
  float kf = (t * 1.44269504f + magic) - magic;
  float r = t - kf * 0.693359375f - kf * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  int32_t k = (int32_t)kf, k1 = k / 2, k2 = k - k1; /* both in [-75, 0] */
  return p * bits_float((k1 + 127) << 23) * bits_float((k2 + 127) << 23);
}

/* tanh(a), a = |x|. Below atanh(1/2) an odd polynomial x + x^3 P(x^2)
 * (least-squares fit, relative error 4e-9): the x^3 part is under a tenth of
 * the result, so rounding in P barely shows. Above it 1 - 2/(e^2a + 1): the
 * result is in [1/2, 1) and the subtracted part at most 1/2, so no digits
 * cancel. Both branches are computed and one selected, as SIMD lanes must. */
static inline float fast_tanh(float x) {
  float a = fabsf(x), a2 = a * a;
  float p = -0.00627783407f;
  p = p * a2 + 0.0210737269f;
  p = p * a2 + -0.0538526513f;
  p = p * a2 + 0.133325875f;
  p = p * a2 + -0.333333164f;
  float small = a + a * a2 * p;
  float e = expneg(-2.0f * (a < 10.0f ? a : 10.0f)); /* tanh(10) rounds to 1 */
  float large = 1.0f - 2.0f * e / (1.0f + e);
  float y = a < 0.549306144f ? small : large;
  y = copysignf(y, x); /* odd by construction; keeps -0 */
  return x != x ? x : y;
}

/* 1/(1 + e^-x) without overflow: with e = e^-|x| in (0, 1], it is 1/(1 + e)
 * for x >= 0 and e/(1 + e) for x < 0, which keeps full relative accuracy for
 * the tiny outputs of very negative x (where 1 - sigmoid(-x) would not). */
static inline float fast_sigmoid(float x) {
  float e = expneg(-fabsf(x));
  float y = (x < 0 ? e : 1.0f) / (1.0f + e);
  return x != x ? x : y;
}

void ln_tanh_forward(float *out, const float *inp, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = fast_tanh(inp[i]);
}

void ln_tanh_forward_ref(float *out, const float *inp, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = tanhf(inp[i]);
}

void ln_tanh_backward(float *dinp, const float *out, const float *dout, size_t n) {
  for (size_t i = 0; i < n; i++) dinp[i] = dout[i] * (1.0f - out[i] * out[i]);
}

void ln_sigmoid_forward(float *out, const float *inp, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = fast_sigmoid(inp[i]);
}

void ln_sigmoid_forward_ref(float *out, const float *inp, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = 1.0f / (1.0f + expf(-inp[i]));
}

void ln_sigmoid_backward(float *dinp, const float *out, const float *dout, size_t n) {
  for (size_t i = 0; i < n; i++) dinp[i] = dout[i] * out[i] * (1.0f - out[i]);
}

/* The kernels of one activation: the forward, and the backward from either
 * the forward's input (ReLU) or its output (Tanh, Sigmoid). */
typedef struct act_kernels {
  void (*forward)(float *out, const float *inp, size_t n);
  void (*backward)(float *dinp, const float *x, const float *dout, size_t n);
  int from_output;
} act_kernels;

static const act_kernels relu_k = {ln_relu_forward, ln_relu_backward, 0};
static const act_kernels tanh_k = {ln_tanh_forward, ln_tanh_backward, 1};
static const act_kernels sigmoid_k = {ln_sigmoid_forward, ln_sigmoid_backward, 1};

/* Every activation module is an act: its kernels beside the base. */
typedef struct act {
  ln_module base;
  const act_kernels *k;
} act;

static int act_forward(ln_module *m, const ln_tensor *in) {
  if (ln_tensor_resize_as(&m->output, in)) return LN_ERR;
  ((act *)m)->k->forward(ln_data(&m->output), ln_data(in), ln_numel(in));
  return LN_OK;
}

static int act_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  /* dout already has the output's shape (ln_module_backward checks it). */
  if (!ln_same_shape(in, &m->output)) {
    char a[64], b[64];
    return ln_fail("%s: input has shape %s, but the last forward gave %s", m->name,
                   ln_shape_str(in, a, sizeof a), ln_shape_str(&m->output, b, sizeof b));
  }
  if (ln_tensor_resize_as(&m->grad_input, in)) return LN_ERR;
  const act_kernels *k = ((act *)m)->k;
  k->backward(ln_data(&m->grad_input), ln_data(k->from_output ? &m->output : in),
              ln_data(dout), ln_numel(in));
  return LN_OK;
}

static ln_module *act_new(const ln_module_ops *ops, const act_kernels *k) {
  act *a = ln_malloc(sizeof *a);
  if (!a) {
    ln_fail("%s: out of memory", ops->tag);
    return NULL;
  }
  ln_module_init(&a->base, ops);
  a->k = k;
  return &a->base;
}

ln_module *ln_relu_new(void) { return act_new(&ln_relu_ops, &relu_k); }
ln_module *ln_tanh_new(void) { return act_new(&ln_tanh_ops, &tanh_k); }
ln_module *ln_sigmoid_new(void) { return act_new(&ln_sigmoid_ops, &sigmoid_k); }

static ln_module *relu_make(const ln_value *c, ln_module *const *ch, size_t n, ln_rng *r) {
  (void)c, (void)ch, (void)n, (void)r;
  return ln_relu_new();
}
static ln_module *tanh_make(const ln_value *c, ln_module *const *ch, size_t n, ln_rng *r) {
  (void)c, (void)ch, (void)n, (void)r;
  return ln_tanh_new();
}
static ln_module *sigmoid_make(const ln_value *c, ln_module *const *ch, size_t n,
                               ln_rng *r) {
  (void)c, (void)ch, (void)n, (void)r;
  return ln_sigmoid_new();
}

const ln_module_ops ln_relu_ops = {
  .tag = "ReLU", .forward = act_forward, .backward = act_backward, .make = relu_make,
};
const ln_module_ops ln_tanh_ops = {
  .tag = "Tanh", .forward = act_forward, .backward = act_backward, .make = tanh_make,
};
const ln_module_ops ln_sigmoid_ops = {
  .tag = "Sigmoid", .forward = act_forward, .backward = act_backward, .make = sigmoid_make,
};
