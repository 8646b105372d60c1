/* activation.c: ReLU, Tanh and Sigmoid share one forward/backward driver. */
#include "activation.h"

#include <math.h>
#include <string.h>

#include "par.h"
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

/* The kernels above run on one thread; the layers split a large tensor
 * between the worker threads (par.h) in blocks of ACT_BLOCK elements (64
 * bytes aligned for the vector loops, the same bits on any thread count):
 * ReLU on a conv layer's output is memory-bound, one core's bandwidth. */
#define ACT_BLOCK 4096
#define ACT_GRAIN 16  /* blocks per worker at least: 256 KiB of input */

typedef struct act_job {
  const act_kernels *k;
  int backward;
  float *out;
  const float *a, *b;  /* the kernel's inputs: inp, or x and dout */
  size_t n;
} act_job;

static void act_blocks(void *ctx, size_t lo, size_t hi, int w) {
  (void)w;
  const act_job *j = ctx;
  size_t at = lo * ACT_BLOCK, end = hi * ACT_BLOCK < j->n ? hi * ACT_BLOCK : j->n;
  if (j->backward) j->k->backward(j->out + at, j->a + at, j->b + at, end - at);
  else j->k->forward(j->out + at, j->a + at, end - at);
}

static void act_run(act_job *j) {
  size_t blocks = (j->n + ACT_BLOCK - 1) / ACT_BLOCK;
  ln_parallel(ln_par_workers(blocks, ACT_GRAIN), blocks, act_blocks, j);
}

static int act_forward(ln_module *m, const ln_tensor *in) {
  if (ln_tensor_resize_as(&m->output, in)) return LN_ERR;
  act_job j = {((act *)m)->k, 0, ln_data(&m->output), ln_data(in), NULL, ln_numel(in)};
  act_run(&j);
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
  act_job j = {k, 1, ln_data(&m->grad_input), ln_data(k->from_output ? &m->output : in),
               ln_data(dout), ln_numel(in)};
  act_run(&j);
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
