/* test_layers.c: gradient checks by central differences for every layer and a
 * mixed Sequential (input and parameter gradients), layer errors, Linear's
 * initialisation, a steady training step that allocates nothing, the Linear
 * kernels refusing sizes they cannot handle, and the one nesting limit of
 * module trees (whichever way a tree is built, and across parents).
 *
 * The scalar loss is L = sum(out .* r) for a fixed random r, so dL/dout = r is
 * what backward receives. Forward runs in float32, so the difference is the
 * fourth-order central one (truncation O(h^4)) with a large h = 5e-3 (float
 * noise / h stays small; 2h still stays clear of the ReLU kinks here) on a
 * loss summed in double. The tolerance is 1e-2 relative to the largest
 * gradient of each tensor (normwise), or to FLOOR below it. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "activation.h"
#include "batchnorm.h"
#include "dropout.h"
#include "groupnorm.h"
#include "instancenorm.h"
#include "layernorm.h"
#include "linear.h"
#include "pointwise.h"
#include "sequential.h"
#include "softmax.h"

#define H 5e-3
#define TOL 1e-2
/* Gradients that are 0 in exact arithmetic (a bias just before a training
 * BatchNorm) are compared absolutely: float noise there is ~1e-6. */
#define FLOOR 1e-3

static ln_rng rng;
static double worst;  /* largest relative difference over all checks */

static ln_tensor make(int ndim, size_t a, size_t b, size_t c, size_t d, double lo, double hi) {
  ln_tensor t = LN_TENSOR_EMPTY;
  size_t size[4] = {a, b, c, d};
  if (ln_tensor_init(&t, ndim, size)) fprintf(stderr, "init: %s\n", ln_error());
  ln_tensor_rand(&t, &rng, lo, hi);
  return t;
}

static double loss(ln_module *m, const ln_tensor *x, const ln_tensor *r) {
  if (ln_module_forward(m, x)) {
    fprintf(stderr, "forward: %s\n", ln_error());
    return NAN;
  }
  const float *y = ln_data(&m->output), *w = ln_data(r);
  double s = 0;
  for (size_t i = 0; i < ln_numel(r); i++) s += (double)y[i] * w[i];
  return s;
}

/* Compares analytic gradient g (a copy) with differences of L over t's
 * elements; returns the normwise relative difference. */
static double compare(ln_module *m, const ln_tensor *x, const ln_tensor *r, ln_tensor *t,
                      const float *g) {
  float *p = ln_data(t);
  double maxdiff = 0, maxg = 0;
  for (size_t i = 0; i < ln_numel(t); i++) {
    float keep = p[i];
    double l[4];
    for (int k = 0; k < 4; k++) {
      p[i] = keep + (float)((k < 2 ? k - 2 : k - 1) * H);  /* -2h, -h, h, 2h */
      l[k] = loss(m, x, r);
    }
    p[i] = keep;
    double num = (l[0] - 8 * l[1] + 8 * l[2] - l[3]) / (12 * H), d = fabs(num - g[i]);
    if (d > maxdiff) maxdiff = d;
    if (fabs(num) > maxg) maxg = fabs(num);
  }
  return maxdiff / (maxg > FLOOR ? maxg : FLOOR);
}

/* Checks d sum(m(x) .* r) / dx and / dparam for every parameter. */
static void gradcheck(const char *name, ln_module *m, ln_tensor *x) {
  ln_tensor r = LN_TENSOR_EMPTY, gcopy = LN_TENSOR_EMPTY;
  if (ln_module_forward(m, x)) {  /* sizes the output, so r can match it */
    CHECK(0, "%s: forward: %s", name, ln_error());
    return;
  }
  r = make(m->output.ndim, m->output.size[0], m->output.size[1], m->output.size[2],
           m->output.size[3], -1, 1);
  loss(m, x, &r);
  ln_module_zero_grad(m);
  int ok = ln_module_backward(m, x, &r) == LN_OK;
  CHECK(ok, "%s: backward: %s", name, ln_error());
  if (!ok) return;
  ln_tensor_clone(&gcopy, &m->grad_input);
  double e = compare(m, x, &r, x, ln_data(&gcopy));
  printf("%-28s input     max rel diff %.2e\n", name, e);
  CHECK(e < TOL, "%s: input gradient off by %.3g", name, e);
  if (e > worst) worst = e;
  ln_tensor *params[16], *grads[16];
  size_t np = ln_module_parameters(m, params, grads, 16);
  for (size_t k = 0; k < np; k++) {
    ln_tensor_free(&gcopy);
    ln_tensor_clone(&gcopy, grads[k]);
    e = compare(m, x, &r, params[k], ln_data(&gcopy));
    printf("%-28s param %-3zu max rel diff %.2e\n", name, k + 1, e);
    CHECK(e < TOL, "%s: gradient of parameter %zu off by %.3g", name, k + 1, e);
    if (e > worst) worst = e;
  }
  ln_tensor_free(&gcopy);
  ln_tensor_free(&r);
}

/* Gives a BatchNorm (or another normalization) non-trivial parameters and
 * running statistics. */
static void perturb_bn(ln_module *bn, const ln_tensor *x) {
  if (bn->nparam) {
    ln_tensor_rand(&bn->param[0], &rng, 0.5, 2);
    ln_tensor_rand(&bn->param[1], &rng, -1, 1);
  }
  for (int i = 0; i < 3; i++) ln_module_forward(bn, x);
}

static void test_linear(void) {
  ln_module *m = ln_linear_new(3, 4, &rng);
  ln_tensor x = make(2, 5, 3, 0, 0, -2, 2);
  gradcheck("Linear(3 -> 4)", m, &x);
  ln_tensor_free(&x);
  ln_module_release(m);
}

static void test_activations(void) {
  ln_module *ms[3] = {ln_relu_new(), ln_tanh_new(), ln_sigmoid_new()};
  const char *names[3] = {"ReLU (3x4x2)", "Tanh (3x4x2)", "Sigmoid (3x4x2)"};
  for (int k = 0; k < 3; k++) {
    ln_tensor x = make(3, 3, 4, 2, 0, -3, 3);
    float *p = ln_data(&x);
    /* Keep ReLU's inputs clear of the kink, where differences are wrong. */
    for (size_t i = 0; i < ln_numel(&x); i++)
      if (fabsf(p[i]) < 0.1f) p[i] = p[i] < 0 ? -0.5f : 0.5f;
    gradcheck(names[k], ms[k], &x);
    ln_tensor_free(&x);
    ln_module_release(ms[k]);
  }
  /* ReLU passes the gradient exactly where input > 0 (0 at 0). */
  ln_module *relu = ln_relu_new();
  ln_tensor x = make(1, 3, 0, 0, 0, 0, 0), dy = make(1, 3, 0, 0, 0, 0, 0);
  ln_data(&x)[0] = -1, ln_data(&x)[1] = 0, ln_data(&x)[2] = 2;
  ln_tensor_fill(&dy, 7);
  ln_module_forward(relu, &x);
  ln_module_backward(relu, &x, &dy);
  const float *g = ln_data(&relu->grad_input);
  CHECK(g[0] == 0 && g[1] == 0 && g[2] == 7, "ReLU grad %g %g %g", g[0], g[1], g[2]);
  ln_tensor_free(&x);
  ln_tensor_free(&dy);
  ln_module_release(relu);
}

static void test_batchnorm(void) {
  struct { const char *name; int ndim; size_t n, c, h, w; int affine, train; } cases[] = {
    {"BatchNorm 6x4 train", 2, 6, 4, 0, 0, 1, 1},
    {"BatchNorm 6x4 eval", 2, 6, 4, 0, 0, 1, 0},
    {"BatchNorm 6x4 no-affine", 2, 6, 4, 0, 0, 0, 1},
    {"BatchNorm 2x3x2x3 train", 4, 2, 3, 2, 3, 1, 1},
    {"BatchNorm 2x3x2x3 eval", 4, 2, 3, 2, 3, 1, 0},
    {"BatchNorm 3x2x5 train", 3, 3, 2, 5, 0, 1, 1},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    ln_module *bn = ln_batchnorm_new(cases[k].c, 1e-5, 0.3, cases[k].affine);
    ln_tensor x = make(cases[k].ndim, cases[k].n, cases[k].c, cases[k].h, cases[k].w, -2, 3);
    perturb_bn(bn, &x);
    ln_module_set_training(bn, cases[k].train);
    gradcheck(cases[k].name, bn, &x);
    ln_tensor_free(&x);
    ln_module_release(bn);
  }
  /* Training output per feature: mean = bias, biased variance = weight^2
   * (up to eps); running stats after one step from (0, 1) with m = 0.3. */
  ln_module *bn = ln_batchnorm_new(3, 0, 0.3, 1);
  ln_tensor x = make(2, 50, 3, 0, 0, -5, 20);
  ln_tensor_fill(&bn->param[0], 2);
  ln_tensor_fill(&bn->param[1], 0.5);
  CHECK(ln_module_forward(bn, &x) == LN_OK, "%s", ln_error());
  for (size_t j = 0; j < 3; j++) {
    double s = 0, s2 = 0, xs = 0, xs2 = 0;
    for (size_t i = 0; i < 50; i++) {
      double y = ln_data(&bn->output)[i * 3 + j], v = ln_data(&x)[i * 3 + j];
      s += y, s2 += y * y, xs += v, xs2 += v * v;
    }
    double mean = s / 50, var = s2 / 50 - mean * mean;
    double xm = xs / 50, xvar = (xs2 / 50 - xm * xm) * 50 / 49;
    CHECK_CLOSE(mean, 0.5, 1e-5);
    CHECK_CLOSE(var, 4, 1e-4);
    CHECK_CLOSE(ln_data(&bn->buf[0])[j], 0.3 * xm, 1e-5);
    CHECK_CLOSE(ln_data(&bn->buf[1])[j], 0.7 + 0.3 * xvar, 1e-5);
  }
  ln_tensor_free(&x);
  ln_module_release(bn);
}

/* Training forward and backward against a plain double reference, for
 * channel counts that take each of the (N,C) code paths (C = 1, C not a
 * multiple of 16, C > 256) and batch sizes that leave partial blocks. */
static void test_batchnorm_reference(void) {
  size_t shapes[][2] = {{37, 1}, {500, 30}, {21, 300}, {19, 32}};
  double worst_bn = 0;
  for (size_t k = 0; k < 4; k++) {
    size_t n = shapes[k][0], c = shapes[k][1];
    ln_module *bn = ln_batchnorm_new(c, 1e-3, 0.5, 1);
    ln_tensor x = make(2, n, c, 0, 0, -3, 8), dy = make(2, n, c, 0, 0, -1, 1);
    ln_tensor_rand(&bn->param[0], &rng, 0.5, 2);
    ln_tensor_rand(&bn->param[1], &rng, -1, 1);
    int ok = ln_module_forward(bn, &x) == LN_OK && ln_module_backward(bn, &x, &dy) == LN_OK;
    CHECK(ok, "BatchNorm %zux%zu: %s", n, c, ln_error());
    if (!ok) continue;
    const float *xp = ln_data(&x), *g = ln_data(&dy), *w = ln_data(&bn->param[0]);
    const float *y = ln_data(&bn->output), *dx = ln_data(&bn->grad_input);
    double err = 0;
    for (size_t j = 0; j < c; j++) {
      double mean = 0, var = 0, sg = 0, sgx = 0;
      for (size_t i = 0; i < n; i++) mean += xp[i * c + j] / (double)n;
      for (size_t i = 0; i < n; i++) var += pow(xp[i * c + j] - mean, 2) / (double)n;
      double is = 1 / sqrt(var + 1e-3);
      for (size_t i = 0; i < n; i++) {
        sg += g[i * c + j];
        sgx += g[i * c + j] * (xp[i * c + j] - mean) * is;
      }
      for (size_t i = 0; i < n; i++) {
        double xh = (xp[i * c + j] - mean) * is;
        double yr = w[j] * xh + ln_data(&bn->param[1])[j];
        double dr = w[j] * is * (g[i * c + j] - sg / (double)n - xh * sgx / (double)n);
        err = fmax(err, fabs(y[i * c + j] - yr) / fmax(1, fabs(yr)));
        err = fmax(err, fabs(dx[i * c + j] - dr) / fmax(1, fabs(dr)));
      }
    }
    CHECK(err < 1e-5, "BatchNorm %zux%zu differs from the reference by %g", n, c, err);
    worst_bn = fmax(worst_bn, err);
    ln_tensor_free(&x);
    ln_tensor_free(&dy);
    ln_module_release(bn);
  }
  printf("BatchNorm vs double reference: max diff %.2e\n", worst_bn);
}

static ln_module *mixed_net(void) {
  ln_module *seq = ln_sequential_new();
  ln_module *kids[] = {
    ln_linear_new(3, 5, &rng), ln_batchnorm_new(5, 1e-5, 0.1, 1), ln_relu_new(),
    ln_linear_new(5, 4, &rng), ln_batchnorm_new(4, 1e-3, 0.5, 1), ln_tanh_new(),
    ln_linear_new(4, 2, &rng), ln_sigmoid_new(),
  };
  for (size_t i = 0; i < sizeof kids / sizeof kids[0]; i++) {
    ln_sequential_add(seq, kids[i]);
    ln_module_release(kids[i]);
  }
  return seq;
}

static void test_sequential(void) {
  ln_module *net = mixed_net();
  ln_tensor x = make(2, 8, 3, 0, 0, -2, 2);
  ln_tensor *ps[16], *gs[16];
  CHECK(ln_module_parameters(net, ps, gs, 16) == 10, "parameter count");
  CHECK(ps[0] == &net->child[0]->param[0] && ps[1] == &net->child[0]->param[1] &&
        ps[2] == &net->child[1]->param[0], "parameters in module order, weight first");
  gradcheck("Sequential mixed train", net, &x);
  /* BatchNorm in training removes any shift, so the bias before it gets 0 */
  double gb = 0;
  for (size_t i = 0; i < 5; i++) gb = fmax(gb, fabs(ln_data(&net->child[0]->grad[1])[i]));
  CHECK(gb < 1e-5, "bias before a training BatchNorm has gradient %g", gb);
  perturb_bn(net, &x);
  ln_module_set_training(net, 0);
  CHECK(!net->child[1]->training, "evaluate reaches the children");
  gradcheck("Sequential mixed eval", net, &x);
  /* output and grad_input are views of the last / first child's buffers */
  CHECK(net->output.st == net->child[7]->output.st, "output shares the last child's");
  CHECK(net->grad_input.st == net->child[0]->grad_input.st, "grad_input shares the first's");

  /* cycles and reuse are rejected */
  ln_module *inner = ln_sequential_new(), *relu = ln_relu_new();
  CHECK(ln_sequential_add(inner, inner) == LN_ERR && strstr(ln_error(), "cycle"), "self");
  CHECK(ln_sequential_add(inner, net) == LN_OK, "nest");
  CHECK(ln_sequential_add(net, inner) == LN_ERR && strstr(ln_error(), "cycle"), "%s",
        ln_error());
  CHECK(ln_sequential_add(inner, net->child[2]) == LN_ERR, "a module used twice");
  CHECK(ln_sequential_add(relu, inner) == LN_ERR, "add to a ReLU: %s", ln_error());
  ln_module_release(relu);
  ln_module_release(inner);

  /* a child's error names the child */
  ln_tensor bad = make(2, 4, 7, 0, 0, 0, 1);
  CHECK(ln_module_forward(net, &bad) == LN_ERR &&
        !strcmp(ln_error(), "Sequential: module 1: Linear: input has 7 features, expected 3"),
        "%s", ln_error());
  ln_tensor_free(&bad);

  /* an empty Sequential is the identity */
  ln_module *empty = ln_sequential_new();
  CHECK(ln_module_forward(empty, &x) == LN_OK && empty->output.st == x.st, "identity");
  CHECK(ln_module_backward(empty, &x, &x) == LN_OK && empty->grad_input.st == x.st, "id");
  ln_module_release(empty);
  ln_tensor_free(&x);
  ln_module_release(net);
}

/* Steady steps of net (in features to out) at two batch sizes, training
 * and then evaluating, allocate nothing. Takes net's reference. */
static void test_no_alloc(ln_module *net, size_t in, size_t out) {
  ln_tensor big = make(2, 64, in, 0, 0, -1, 1), small = make(2, 16, in, 0, 0, -1, 1);
  ln_tensor dbig = make(2, 64, out, 0, 0, -1, 1), dsmall = make(2, 16, out, 0, 0, -1, 1);
  int ok = 1;
  ok &= ln_module_forward(net, &big) == LN_OK;  /* warm-up at the largest shape */
  ok &= ln_module_backward(net, &big, &dbig) == LN_OK;
  uint64_t before = ln_alloc_count();
  for (int step = 0; step < 10; step++) {
    ln_tensor *x = step % 3 ? &big : &small, *d = step % 3 ? &dbig : &dsmall;
    ln_module_zero_grad(net);
    ok &= ln_module_forward(net, x) == LN_OK;
    ok &= ln_module_backward(net, x, d) == LN_OK;
    if (step == 5) ln_module_set_training(net, 0);
  }
  CHECK(ok, "steps ran: %s", ln_error());
  CHECK(ln_alloc_count() == before, "%s: %llu allocations in steady steps", net->name,
        (unsigned long long)(ln_alloc_count() - before));
  ln_tensor_free(&big);
  ln_tensor_free(&small);
  ln_tensor_free(&dbig);
  ln_tensor_free(&dsmall);
  ln_module_release(net);
}

/* LeakyReLU, ELU, GELU (both forms), SiLU, Softplus, Softmax, LogSoftmax
 * (over a middle and the last dimension of 3-D inputs) and Dropout (in
 * evaluation: training redraws the mask at every forward); then all of them
 * in one network, training and evaluating, allocate nothing once sized. */
static void test_act_family(void) {
  ln_module *ms[] = {ln_leaky_relu_new(0.2), ln_elu_new(0.7), ln_gelu_new(LN_GELU_NONE),
                     ln_gelu_new(LN_GELU_TANH), ln_silu_new(), ln_softplus_new(2, 3),
                     ln_softmax_new(2), ln_log_softmax_new(-1), ln_dropout_new(0.3)};
  const char *names[] = {"LeakyReLU", "ELU", "GELU", "GELU tanh", "SiLU", "Softplus",
                         "Softmax(dim=2)", "LogSoftmax(dim=-1)", "Dropout (evaluation)"};
  ln_module_set_training(ms[8], 0);
  for (size_t k = 0; k < sizeof ms / sizeof ms[0]; k++) {
    ln_tensor x = make(3, 3, 4, 2, 0, -4, 4);
    float *p = ln_data(&x);
    for (size_t i = 0; i < ln_numel(&x); i++)  /* clear of LeakyReLU's and ELU's kink */
      if (fabsf(p[i]) < 0.1f) p[i] = p[i] < 0 ? -0.5f : 0.5f;
    gradcheck(names[k], ms[k], &x);
    ln_tensor_free(&x);
  }
  ln_module *net = ln_sequential_new(), *lin[2] = {ln_linear_new(3, 8, &rng),
                                                     ln_linear_new(8, 2, &rng)};
  for (size_t k = 0; k < sizeof ms / sizeof ms[0] + 2; k++) {
    /* the softmaxes over 2 classes: the second Linear before them */
    ln_module *m = k == 0 ? lin[0] : k == 7 ? lin[1] : ms[k < 7 ? k - 1 : k - 2];
    ln_module_set_training(m, 1);
    CHECK(ln_sequential_add(net, m) == LN_OK, "add: %s", ln_error());
    ln_module_release(m);
  }
  test_no_alloc(net, 3, 2);
}

/* LayerNorm, GroupNorm, InstanceNorm (training, and evaluation with running
 * statistics) and BatchNorm's cumulative average and untracked statistics,
 * with weights away from 1 and 0 and statistics from 3 training steps. */
static void test_norm_family(void) {
  size_t s23[2] = {2, 3}, four = 4;
  struct { const char *name; ln_module *m; int ndim; size_t a, b, c, d; int train; } cases[] = {
    {"LayerNorm(4)", ln_layernorm_new(1, &four, 1e-5, 1), 2, 3, 4, 0, 0, 1},
    {"LayerNorm((2, 3))", ln_layernorm_new(2, s23, 1e-5, 1), 3, 2, 2, 3, 0, 1},
    {"LayerNorm no affine", ln_layernorm_new(2, s23, 1e-3, 0), 4, 2, 1, 2, 3, 1},
    {"GroupNorm(2, 4) 3-D", ln_groupnorm_new(2, 4, 1e-5, 1), 3, 2, 4, 3, 0, 1},
    {"GroupNorm(3, 6) 4-D", ln_groupnorm_new(3, 6, 1e-5, 1), 4, 2, 6, 2, 2, 1},
    {"GroupNorm(2, 8) 2-D", ln_groupnorm_new(2, 8, 1e-5, 0), 2, 3, 8, 0, 0, 1},
    {"InstanceNorm (N,C,L)", ln_instancenorm_new(3, 1e-5, 0.1, 0, 0), 3, 2, 3, 5, 0, 1},
    {"InstanceNorm affine 4-D", ln_instancenorm_new(3, 1e-5, 0.1, 1, 0), 4, 2, 3, 2, 3, 1},
    {"InstanceNorm (C,L)", ln_instancenorm_new(3, 1e-5, 0.1, 1, 0), 2, 3, 5, 0, 0, 1},
    {"InstanceNorm tracked eval", ln_instancenorm_new(3, 1e-5, 0.3, 1, 1), 3, 2, 3, 4, 0, 0},
    {"BatchNorm cumulative", ln_batchnorm_new(4, 1e-5, NAN, 1), 2, 6, 4, 0, 0, 1},
    {"BatchNorm cumulative eval", ln_batchnorm_new(4, 1e-5, NAN, 1), 2, 6, 4, 0, 0, 0},
    {"BatchNorm untracked eval", ln_batchnorm_new_track(3, 1e-5, 0.1, 1, 0), 3, 3, 3, 2, 0, 0},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    ln_module *m = cases[k].m;
    CHECK(m != NULL, "%s: %s", cases[k].name, ln_error());
    if (!m) continue;
    ln_tensor x = make(cases[k].ndim, cases[k].a, cases[k].b, cases[k].c, cases[k].d, -2, 3);
    perturb_bn(m, &x);
    ln_module_set_training(m, cases[k].train);
    gradcheck(cases[k].name, m, &x);
    ln_tensor_free(&x);
    ln_module_release(m);
  }
}

static void test_errors(void) {
  ln_module *lin = ln_linear_new(3, 2, &rng), *bn = ln_batchnorm_new(30, 1e-5, 0.1, 1);
  ln_tensor a = make(2, 4, 5, 0, 0, 0, 1), b = make(3, 2, 3, 4, 0, 0, 1);
  ln_tensor one = make(2, 1, 30, 0, 0, 0, 1), vec = make(1, 30, 0, 0, 0, 0, 1);
  CHECK(ln_module_forward(lin, &a) == LN_ERR &&
        !strcmp(ln_error(), "Linear: input has 5 features, expected 3"), "%s", ln_error());
  CHECK(ln_module_forward(lin, &b) == LN_ERR &&
        !strcmp(ln_error(), "Linear: input has 4 features, expected 3"), "%s", ln_error());
  CHECK(ln_module_forward(bn, &one) == LN_ERR &&
        !strcmp(ln_error(), "BatchNorm: training needs more than one value per channel, "
                "got input 1x30"), "%s", ln_error());
  CHECK(ln_module_forward(bn, &a) == LN_ERR &&
        !strcmp(ln_error(), "BatchNorm: input has 5 features, expected 30"), "%s", ln_error());
  CHECK(ln_module_forward(bn, &vec) == LN_ERR && strstr(ln_error(), "(N,C)"), "%s",
        ln_error());
  ln_module_set_training(bn, 0);
  CHECK(ln_module_forward(bn, &one) == LN_OK, "eval with one sample: %s", ln_error());
  CHECK(ln_linear_new(0, 3, &rng) == NULL, "zero size");
  CHECK(ln_batchnorm_new(3, 1e-5, 1.5, 1) == NULL && strstr(ln_error(), "momentum"), "mom");
  CHECK(ln_batchnorm_new(3, -1, 0.1, 1) == NULL && strstr(ln_error(), "eps"), "eps");
  ln_tensor_free(&a);
  ln_tensor_free(&b);
  ln_tensor_free(&one);
  ln_tensor_free(&vec);
  ln_module_release(lin);
  ln_module_release(bn);
}

/* Weight then bias, row-major, uniform in +-1/sqrt(in) from the generator. */
static void test_linear_init(void) {
  ln_rng r1, r2;
  ln_rng_seed(&r1, 42);
  ln_rng_seed(&r2, 42);
  ln_module *lin = ln_linear_new(4, 3, &r1);
  const float *w = ln_data(&lin->param[0]), *b = ln_data(&lin->param[1]);
  int same = 1;
  for (int i = 0; i < 12; i++) same &= w[i] == (float)(-0.5 + ln_rng_uniform(&r2));
  for (int i = 0; i < 3; i++) same &= b[i] == (float)(-0.5 + ln_rng_uniform(&r2));
  CHECK(same, "Linear init draws weight then bias from the generator");
  CHECK(lin->param[0].ndim == 2 && lin->param[0].size[0] == 3 && lin->param[0].size[1] == 4,
        "weight is (out,in)");
  ln_module_release(lin);
}

/* NaN passes through ReLU both ways, as in PyTorch (torch.relu(nan) is nan
 * and its gradient passes); -0 stays -0 forward and blocks backward. */
static void test_relu_nan(void) {
  const float in[4] = {NAN, -0.0f, 2.0f, -1.0f}, dy[4] = {1, 1, 1, 1};
  float out[4], dx[4];
  ln_relu_forward(out, in, 4);
  ln_relu_backward(dx, in, dy, 4);
  CHECK(isnan(out[0]) && out[1] == 0 && signbit(out[1]) && out[2] == 2 && out[3] == 0,
        "relu forward %g %g %g %g", out[0], out[1], out[2], out[3]);
  CHECK(dx[0] == 1 && dx[1] == 0 && dx[2] == 1 && dx[3] == 0,
        "relu backward %g %g %g %g", dx[0], dx[1], dx[2], dx[3]);
}

/* A module may be in a tree once, also when it is added to a Sequential that
 * is already inside others: each root holding that Sequential is checked. */
static void test_reuse_through_parent(void) {
  ln_module *inner = ln_sequential_new(), *lin = ln_linear_new(2, 2, &rng);
  ln_module *a = ln_sequential_new(), *b = ln_sequential_new(), *tanh = ln_tanh_new();
  ln_sequential_add(a, inner);
  ln_sequential_add(a, lin);
  ln_sequential_add(b, inner);
  ln_sequential_add(b, tanh);
  CHECK(ln_sequential_add(inner, lin) == LN_ERR && strstr(ln_error(), "already"),
        "Linear already in the parent: %s", ln_error());
  CHECK(ln_sequential_add(inner, tanh) == LN_ERR && strstr(ln_error(), "already"),
        "Tanh already in the second parent: %s", ln_error());
  ln_tensor *ps[8], *gs[8];
  CHECK(ln_module_parameters(a, ps, gs, 8) == 2, "the Linear's parameters listed once");
  ln_module_release(b);  /* tanh is then in no tree with inner */
  CHECK(ln_sequential_add(inner, tanh) == LN_OK, "after the parent is gone: %s", ln_error());
  CHECK(ln_sequential_add(a, tanh) == LN_ERR, "now inside a through inner");
  ln_module_release(tanh);
  ln_module_release(lin);
  ln_module_release(inner);
  ln_module_release(a);
}

/* Sizes of 0 (a block width of 0 once spun forever) and past the BLAS's int
 * are refused, touching nothing; 0 rows is nothing to do. */
static void test_kernel_sizes(void) {
  float out[4] = {7, 7, 7, 7}, in[4] = {1, 1, 1, 1}, w[4] = {1, 1, 1, 1}, b[2] = {1, 1};
  float dw[4] = {0}, db[2] = {0}, din[4] = {7, 7, 7, 7};
  size_t sizes[][3] = {{2, 2, 0}, {2, 0, 2}, {0, 0, 0}, {2, 2, (size_t)1 << 31}};
  for (int i = 0; i < 4; i++) {
    size_t n = sizes[i][0], ic = sizes[i][1], oc = sizes[i][2];
    CHECK(ln_linear_forward(out, in, w, b, n, ic, oc) == LN_ERR &&
          strstr(ln_error(), "ln_linear_forward: sizes"), "forward %zu %zu %zu: %s", n, ic, oc,
          ln_error());
    CHECK(ln_linear_backward(din, dw, db, out, in, w, n, ic, oc) == LN_ERR &&
          strstr(ln_error(), "ln_linear_backward: sizes"), "backward %zu %zu %zu", n, ic, oc);
  }
  CHECK(out[0] == 7 && din[0] == 7 && dw[0] == 0 && db[0] == 0, "a refused call wrote");
  CHECK(ln_linear_forward(out, in, w, b, 0, 2, 2) == LN_OK && out[0] == 7, "0 rows");
  CHECK(ln_linear_backward(din, dw, db, out, in, w, 0, 2, 2) == LN_OK && dw[0] == 0, "0 rows");
  CHECK(ln_linear_forward(out, in, w, b, 2, 2, 2) == LN_OK && out[0] == 3, "2x2: %g", out[0]);
}

/* A tree is at most LN_MAXDEPTH modules deep, built top-down or bottom-up,
 * and a Sequential inside two trees counts its deeper position. */
static void test_depth_limit(void) {
  ln_module *root = ln_sequential_new(), *tip = root;
  size_t depth = 1;
  for (int i = 0; i < 100000; i++) {
    ln_module *s = ln_sequential_new();
    int rc = ln_sequential_add(tip, s);
    ln_module_release(s);
    if (rc) break;
    tip = s;
    depth++;
  }
  CHECK(depth == LN_MAXDEPTH && strstr(ln_error(), "modules nest at most 64 deep"),
        "top-down: %zu levels, %s", depth, ln_error());
  CHECK(ln_module_height(root) == LN_MAXDEPTH && ln_module_level(tip) == LN_MAXDEPTH,
        "height %zu level %zu", ln_module_height(root), ln_module_level(tip));
  ln_module *relu = ln_relu_new();
  CHECK(ln_sequential_add(tip, relu) == LN_ERR && relu->refs == 1, "a leaf past the limit");
  /* Bottom-up: the same limit. */
  ln_module *s = relu;
  ln_module_retain(s);
  for (depth = 1; depth < 100000; depth++) {
    ln_module *up = ln_sequential_new();
    int rc = ln_sequential_add(up, s);
    ln_module_release(s);
    s = up;
    if (rc) break;
  }
  CHECK(depth == LN_MAXDEPTH, "bottom-up: %zu levels", depth);
  ln_module_release(s);
  /* A short Sequential that is also deep inside root: adding under it counts
   * the deeper of its two positions. */
  ln_module *both = ln_sequential_new(), *shallow = ln_sequential_new();
  ln_module *parent_of_tip = tip->parent[0];
  CHECK(ln_sequential_add(shallow, both) == LN_OK && ln_sequential_add(parent_of_tip, both) ==
        LN_OK, "%s", ln_error());
  CHECK(ln_module_level(both) == LN_MAXDEPTH, "level %zu", ln_module_level(both));
  CHECK(ln_sequential_add(both, relu) == LN_ERR, "a leaf under the deep position");
  ln_module_release(root);  /* both's deep position is gone with it */
  CHECK(ln_module_level(both) == 2 && ln_sequential_add(both, relu) == LN_OK, "%s",
        ln_error());
  ln_module_release(both);
  ln_module_release(shallow);
  ln_module_release(relu);
}

int main(void) {
  ln_rng_seed(&rng, 7);
  test_kernel_sizes();
  test_depth_limit();
  test_relu_nan();
  test_linear();
  test_activations();
  test_batchnorm();
  test_batchnorm_reference();
  test_sequential();
  test_reuse_through_parent();
  test_no_alloc(mixed_net(), 3, 2);
  test_act_family();
  test_norm_family();
  test_errors();
  test_linear_init();
  printf("largest relative gradient difference: %.2e\n", worst);
  return check_summary();
}
