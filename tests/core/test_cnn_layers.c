/* test_cnn_layers.c: the convolutional layers as modules (Conv2d, the three
 * poolings, Flatten, Dropout2d):
 * - each conv and pool fixture of tests/fixtures/conv_fixtures.h (PyTorch's
 *   numbers) through the module, forward and backward, twice (the second
 *   pass reuses the buffers sized by the first);
 * - Conv2d's initialisation bounds (PyTorch's +-1/sqrt(fan_in));
 * - the errors: a 3-D input, channels that do not match, a kernel larger
 *   than the padded input, groups that do not divide, 'same' with a stride;
 * - Dropout2d: whole planes, the 1/(1-p) scale, the identity in evaluation;
 * - a steady training step of a small reference net (conv-BN-ReLU-pool x2,
 *   Flatten, Linear-BN-ReLU-Dropout2d, Linear; cross-entropy, Adam)
 *   allocates nothing. */
#include <string.h>

#include "check.h"
#include "activation.h"
#include "batchnorm.h"
#include "conv2d.h"
#include "dropout2d.h"
#include "flatten.h"
#include "linear.h"
#include "loss.h"
#include "optim.h"
#include "pool2d.h"
#include "rng.h"
#include "sequential.h"
#include "../fixtures/conv_fixtures.h"

static ln_rng rng;

/* Elements of got off from PyTorch's want by more than 1e-4 max(1, |want|)
 * (NaN matches NaN, -inf -inf: the max-pool fixtures hold both). */
static size_t count_off(const float *got, const float *want, size_t n) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++)
    bad += got[i] != want[i] && !(isnan(got[i]) && isnan(want[i])) &&
           !(fabs(got[i] - want[i]) <= 1e-4 * fmax(1, fabs(want[i])));
  return bad;
}

static void set_tensor(ln_tensor *t, int ndim, const size_t *size, const float *v) {
  CHECK(ln_tensor_init(t, ndim, size) == LN_OK, "%s", ln_error());
  memcpy(ln_data(t), v, ln_numel(t) * sizeof(float));
}

static void compare(const ln_tensor *got, const float *want, size_t n, const char *what,
                    const char *name) {
  CHECK(ln_numel(got) == n, "%s: %s has %zu elements, PyTorch's %zu", name, what,
        ln_numel(got), n);
  if (ln_numel(got) != n) return;
  size_t bad = count_off(ln_data(got), want, n);
  CHECK(bad == 0, "%s: %s: %zu of %zu elements differ", name, what, bad, n);
}

static void torch_conv(const conv_fixture *f) {
  const size_t *v = f->ints;
  size_t k[2] = {v[5], v[6]}, s[2] = {v[7], v[8]}, pad[2] = {v[9], v[11]}, d[2] = {v[13], v[14]};
  if (v[9] != v[10] || v[11] != v[12]) pad[0] = pad[1] = LN_PAIR_SAME;  /* asymmetric */
  ln_module *m = ln_conv2d_new(v[1], v[4], k, s, pad, d, v[15], (int)v[16], &rng);
  CHECK(m != NULL, "%s: %s", f->name, ln_error());
  if (!m) return;
  size_t ishape[4] = {v[0], v[1], v[2], v[3]};
  ln_tensor x = LN_TENSOR_EMPTY, dy = LN_TENSOR_EMPTY;
  set_tensor(&x, 4, ishape, f->in);
  memcpy(ln_data(&m->param[0]), f->weight, ln_numel(&m->param[0]) * sizeof(float));
  if (v[16]) memcpy(ln_data(&m->param[1]), f->bias, v[4] * sizeof(float));
  for (int pass = 0; pass < 2; pass++) {
    ln_module_zero_grad(m);
    CHECK(ln_module_forward(m, &x) == LN_OK, "%s: %s", f->name, ln_error());
    if (!pass) set_tensor(&dy, 4, m->output.size, f->dout);
    CHECK(ln_module_backward(m, &x, &dy) == LN_OK, "%s: %s", f->name, ln_error());
    compare(&m->output, f->out, ln_numel(&dy), "forward", f->name);
    compare(&m->grad_input, f->dinp, ln_numel(&x), "grad_input", f->name);
    compare(&m->grad[0], f->dweight, ln_numel(&m->param[0]), "dweight", f->name);
    if (v[16]) compare(&m->grad[1], f->dbias, v[4], "dbias", f->name);
  }
  ln_tensor_free(&x);
  ln_tensor_free(&dy);
  ln_module_release(m);
}

static void torch_pool(const pool_fixture *f) {
  const size_t *v = f->ints;
  if (v[14]) return;  /* divisor_override: the kernel has it, the layer does not */
  size_t k[2] = {v[4], v[5]}, s[2] = {v[6], v[7]}, pad[2] = {v[8], v[9]}, d[2] = {v[10], v[11]};
  size_t o[2] = {v[15], v[16]}, one[2] = {1, 1}, zero[2] = {0, 0};
  ln_module *m = f->kind == 0 ? ln_pool2d_new(&ln_maxpool2d_ops, k, s, pad, d, (int)v[12], 0)
               : f->kind == 1 ? ln_pool2d_new(&ln_avgpool2d_ops, k, s, pad, one, (int)v[12],
                                              (int)v[13])
               : ln_pool2d_new(&ln_adaptive_avgpool2d_ops, o, one, zero, one, 0, 0);
  CHECK(m != NULL, "%s: %s", f->name, ln_error());
  if (!m) return;
  size_t ishape[4] = {v[0], v[1], v[2], v[3]}, no = v[0] * v[1] * v[15] * v[16];
  ln_tensor x = LN_TENSOR_EMPTY, dy = LN_TENSOR_EMPTY;
  set_tensor(&x, 4, ishape, f->in);
  for (int pass = 0; pass < 2; pass++) {
    CHECK(ln_module_forward(m, &x) == LN_OK, "%s: %s", f->name, ln_error());
    if (!pass) set_tensor(&dy, 4, m->output.size, f->dout);
    CHECK(ln_module_backward(m, &x, &dy) == LN_OK, "%s: %s", f->name, ln_error());
    compare(&m->output, f->out, no, "forward", f->name);
    compare(&m->grad_input, f->dinp, ln_numel(&x), "grad_input", f->name);
  }
  ln_tensor_free(&x);
  ln_tensor_free(&dy);
  ln_module_release(m);
}

static void init_bounds(void) {
  size_t k[2] = {3, 3}, one[2] = {1, 1}, zero[2] = {0, 0};
  ln_module *m = ln_conv2d_new(8, 16, k, one, zero, one, 2, 1, &rng);
  CHECK(m && m->nparam == 2, "%s", ln_error());
  if (!m) return;
  double bound = 1 / sqrt(4 * 9.0), lo = 1, hi = -1;
  for (int p = 0; p < 2; p++)
    for (size_t i = 0; i < ln_numel(&m->param[p]); i++) {
      double w = ln_data(&m->param[p])[i];
      lo = w < lo ? w : lo, hi = w > hi ? w : hi;
    }
  CHECK(lo >= -bound && hi <= bound && lo < -0.8 * bound && hi > 0.8 * bound,
        "weights in [%g, %g], bound %g", lo, hi, bound);
  CHECK(m->param[0].size[1] == 4, "weight is out x in/groups x kh x kw");
  ln_module_release(m);
}

static void expect_error(ln_module *m, const ln_tensor *x, const char *part) {
  int rc = ln_module_forward(m, x);
  CHECK(rc == LN_ERR && strstr(ln_error(), part), "wanted '%s', got '%s'", part,
        rc ? ln_error() : "success");
}

static void errors(void) {
  size_t k3[2] = {3, 3}, k9[2] = {9, 9}, one[2] = {1, 1}, two[2] = {2, 2}, zero[2] = {0, 0};
  size_t same[2] = {LN_PAIR_SAME, LN_PAIR_SAME};
  ln_module *c = ln_conv2d_new(3, 4, k3, one, zero, one, 1, 1, &rng);
  ln_module *big = ln_conv2d_new(3, 4, k9, one, one, one, 1, 1, &rng);
  ln_module *mp = ln_pool2d_new(&ln_maxpool2d_ops, two, zero, zero, one, 0, 0);
  ln_tensor x3 = LN_TENSOR_EMPTY, x4 = LN_TENSOR_EMPTY, small = LN_TENSOR_EMPTY;
  size_t s3[3] = {3, 8, 8}, s4[4] = {2, 2, 8, 8}, ss[4] = {1, 3, 5, 5};
  ln_tensor_init(&x3, 3, s3);
  ln_tensor_init(&x4, 4, s4);
  ln_tensor_init(&small, 4, ss);
  expect_error(c, &x3, "Conv2d: input must be 4-D");
  expect_error(c, &x4, "Conv2d: input has 2 channels, expected 3");
  expect_error(big, &small, "Conv2d: kernel 9x9");
  expect_error(mp, &x3, "MaxPool2d: input must be 4-D");
  CHECK(!ln_conv2d_new(3, 4, k3, one, zero, one, 2, 1, &rng) &&
        strstr(ln_error(), "Conv2d: groups (2) must divide"), "%s", ln_error());
  CHECK(!ln_conv2d_new(3, 4, k3, two, same, one, 1, 1, &rng) &&
        strstr(ln_error(), "Conv2d: padding='same' is not supported"), "%s", ln_error());
  CHECK(!ln_pool2d_new(&ln_avgpool2d_ops, two, zero, two, one, 0, 1) &&
        strstr(ln_error(), "AvgPool2d: padding"), "%s", ln_error());
  CHECK(!ln_dropout2d_new(-0.5) && strstr(ln_error(), "Dropout2d: p"), "%s", ln_error());
  ln_module *f = ln_flatten_new(2, -1);
  size_t s1 = 5;
  ln_tensor x1 = LN_TENSOR_EMPTY;
  ln_tensor_init(&x1, 1, &s1);
  expect_error(f, &x1, "Flatten: dimensions 2..-1 do not fit an input of 5");
  ln_module *all[] = {c, big, mp, f};
  for (size_t i = 0; i < 4; i++) ln_module_release(all[i]);
  ln_tensor *ts[] = {&x1, &x3, &x4, &small};
  for (size_t i = 0; i < 4; i++) ln_tensor_free(ts[i]);
}

static void dropout(void) {
  ln_module *d = ln_dropout2d_new(0.5);
  size_t s[4] = {16, 8, 3, 3};
  ln_tensor x = LN_TENSOR_EMPTY, dy = LN_TENSOR_EMPTY;
  ln_tensor_init(&x, 4, s);
  ln_tensor_init(&dy, 4, s);
  ln_tensor_rand(&x, &rng, 1, 2);  /* never 0: a zero in the output is a dropped element */
  ln_tensor_rand(&dy, &rng, 1, 2);
  CHECK(ln_module_forward(d, &x) == LN_OK && ln_module_backward(d, &x, &dy) == LN_OK, "%s",
        ln_error());
  size_t dropped = 0, bad = 0;
  for (size_t p = 0; p < 16 * 8; p++) {
    const float *y = ln_data(&d->output) + p * 9, *xi = ln_data(&x) + p * 9;
    const float *dx = ln_data(&d->grad_input) + p * 9, *g = ln_data(&dy) + p * 9;
    int zero = y[0] == 0;
    dropped += zero;
    for (int j = 0; j < 9; j++)
      bad += zero ? (y[j] != 0 || dx[j] != 0)
                  : (fabsf(y[j] - 2 * xi[j]) > 1e-6f || fabsf(dx[j] - 2 * g[j]) > 1e-6f);
  }
  CHECK(bad == 0, "%zu elements not 0 or doubled with their plane", bad);
  CHECK(dropped > 30 && dropped < 98, "%zu of 128 planes dropped at p = 0.5", dropped);
  ln_module_set_training(d, 0);
  CHECK(ln_module_forward(d, &x) == LN_OK && d->output.st == x.st, "evaluation: a view");
  ln_module_set_training(d, 1);
  CHECK(ln_module_forward(d, &x) == LN_OK && d->output.st != x.st,
        "training after evaluation writes a tensor of its own");
  ln_tensor_free(&x);
  ln_tensor_free(&dy);
  ln_module_release(d);
}

static void add(ln_module *seq, ln_module *m) {
  CHECK(m && ln_sequential_add(seq, m) == LN_OK, "add: %s", ln_error());
  ln_module_release(m);
}

/* The reference net at a small width (8 and 16 channels, 32 hidden). */
static ln_module *small_net(void) {
  size_t k3[2] = {3, 3}, k2[2] = {2, 2}, one[2] = {1, 1}, zero[2] = {0, 0};
  ln_module *net = ln_sequential_new();
  size_t in = 1;
  for (size_t c = 8; c <= 16; c *= 2) {
    add(net, ln_conv2d_new(in, c, k3, one, one, one, 1, 1, &rng));
    add(net, ln_batchnorm_new(c, 1e-5, 0.1, 1));
    add(net, ln_relu_new());
    add(net, ln_pool2d_new(&ln_maxpool2d_ops, k2, zero, zero, one, 0, 0));
    in = c;
  }
  add(net, ln_flatten_new(2, -1));
  add(net, ln_linear_new(16 * 7 * 7, 32, &rng));
  add(net, ln_batchnorm_new(32, 1e-5, 0.1, 1));
  add(net, ln_relu_new());
  add(net, ln_dropout2d_new(0.25));
  add(net, ln_linear_new(32, 10, &rng));
  return net;
}

static double train_step(ln_module *net, ln_optim *opt, ln_loss *ce, const ln_tensor *x,
                         const int *labels, size_t n) {
  double cost = NAN;
  if (ln_module_forward(net, x) || ln_ce_forward(&cost, &net->output, labels, n) ||
      ln_ce_backward(&ce->grad, &net->output, labels, n)) {
    fprintf(stderr, "step: %s\n", ln_error());
    return NAN;
  }
  ln_optim_zero_grad(opt);
  if (ln_module_backward(net, x, &ce->grad) || ln_optim_step(opt)) {
    fprintf(stderr, "step: %s\n", ln_error());
    return NAN;
  }
  return cost;
}

static void steady(void) {
  enum { N = 16 };
  ln_module *net = small_net();
  net->skip_grad_input = 1;
  ln_tensor x = LN_TENSOR_EMPTY;
  size_t s[4] = {N, 1, 28, 28};
  ln_tensor_init(&x, 4, s);
  ln_tensor_randn(&x, &rng, 0, 1);
  int labels[N];
  for (int i = 0; i < N; i++) labels[i] = i % 10;
  ln_loss ce;
  ln_loss_init(&ce, &ln_loss_cross_entropy);
  const ln_optim_kind *adam = ln_optim_find("Adam");
  ln_optim_group g = {net, {0}, 0, 0};
  ln_optim_defaults(adam, g.hp);
  ln_optim *opt = ln_optim_new(adam, &g, 1);
  CHECK(opt != NULL, "%s", ln_error());
  if (!opt) return;
  double first = train_step(net, opt, &ce, &x, labels, N), last = first;
  for (int i = 0; i < 2; i++) train_step(net, opt, &ce, &x, labels, N);
  uint64_t before = ln_alloc_count();
  for (int i = 0; i < 10; i++) last = train_step(net, opt, &ce, &x, labels, N);
  uint64_t after = ln_alloc_count();
  CHECK(after == before, "10 steady CNN steps made %llu allocations",
        (unsigned long long)(after - before));
  CHECK(isfinite(first) && last < first, "cost %g -> %g", first, last);
  printf("CNN cost %.4g -> %.4g; %llu allocations in 10 steady steps\n", first, last,
         (unsigned long long)(after - before));
  ln_optim_free(opt);
  ln_loss_free(&ce);
  ln_tensor_free(&x);
  ln_module_release(net);
}

int main(void) {
  ln_rng_seed(&rng, 7);
  for (size_t i = 0; i < sizeof conv_fixtures / sizeof *conv_fixtures; i++)
    torch_conv(&conv_fixtures[i]);
  for (size_t i = 0; i < sizeof pool_fixtures / sizeof *pool_fixtures; i++)
    torch_pool(&pool_fixtures[i]);
  init_bounds();
  errors();
  dropout();
  steady();
  return check_summary();
}
