/* test_fusion.c: Sequential's fused BatchNorm + ReLU, Linear + ReLU and
 * Linear + BatchNorm + ReLU (the bias gradient from BatchNorm's pass)
 * against the unfused chain (ln_sequential_set_fusion(0)): on many shapes (odd widths, widths
 * past the blocked path's 256, batches of 2 up to the threaded sizes), in
 * training and evaluation, with and without affine, on contiguous and
 * strided input and with NaN and zeros in it, every child's output and
 * grad_input, every parameter gradient and every running statistic must
 * have the same bits. The threaded BatchNorm must give the same bits on 1
 * and 2 threads. Prints the largest difference seen (0 when all agree). */
#include <string.h>

#include "check.h"
#include "activation.h"
#include "batchnorm.h"
#include "linear.h"
#include "sequential.h"

static double worst;  /* largest |fused - unfused| over everything compared */

/* Whether a and b hold the same bits (NaNs included); records the largest
 * difference of their values. */
static int same(const ln_tensor *a, const ln_tensor *b) {
  if (!a->st || !b->st) return !a->st && !b->st;
  if (!ln_same_shape(a, b)) return 0;
  size_t n = ln_numel(a);
  const float *p = ln_data(a), *q = ln_data(b);
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)p[i] - q[i]);
    if (d > worst) worst = d;
  }
  return memcmp(p, q, n * sizeof *p) == 0;
}

static void add(ln_module *seq, ln_module *m) {
  CHECK(m && ln_sequential_add(seq, m) == LN_OK, "add: %s", ln_error());
  ln_module_release(m);
}

/* BN(c) ReLU Linear(c,c2) BN(c2) ReLU BN(c2, no affine) ReLU Linear(c2,5)
 * ReLU Linear(5,3), weights from seed. */
static ln_module *net_of(size_t c, size_t c2, uint64_t seed) {
  ln_rng rng;
  ln_rng_seed(&rng, seed);
  ln_module *net = ln_sequential_new();
  add(net, ln_batchnorm_new(c, 1e-3, 0.5, 1));
  add(net, ln_relu_new());
  add(net, ln_linear_new(c, c2, &rng));
  add(net, ln_batchnorm_new(c2, 1e-5, 0.1, 1));
  add(net, ln_relu_new());
  add(net, ln_batchnorm_new(c2, 1e-5, 0.1, 0));
  add(net, ln_relu_new());
  add(net, ln_linear_new(c2, 5, &rng));
  add(net, ln_relu_new());
  add(net, ln_linear_new(5, 3, &rng));
  /* Weights away from 1 and biases away from 0, so both terms show. */
  ln_tensor_rand(&net->child[0]->param[0], &rng, 0.5, 1.5);
  ln_tensor_rand(&net->child[0]->param[1], &rng, -0.5, 0.5);
  ln_tensor_rand(&net->child[3]->param[1], &rng, -0.5, 0.5);
  return net;
}

/* Every child's output and grad_input, parameter gradients and buffers. */
static int nets_agree(const ln_module *a, const ln_module *b) {
  int ok = same(&a->output, &b->output) && same(&a->grad_input, &b->grad_input);
  for (size_t i = 0; i < a->nchild; i++) {
    const ln_module *x = a->child[i], *y = b->child[i];
    ok &= same(&x->output, &y->output) && same(&x->grad_input, &y->grad_input);
    for (int p = 0; p < x->nparam; p++) ok &= same(&x->grad[p], &y->grad[p]);
    for (int p = 0; p < x->nbuf; p++) ok &= same(&x->buf[p], &y->buf[p]);
  }
  return ok;
}

/* Input (n,c) from seed, with a NaN, zeros and a repeated value when asked;
 * strided: the transpose of a (c,n) tensor. */
static void input_of(ln_tensor *x, ln_tensor *base, size_t n, size_t c, uint64_t seed,
                     int strided, int specials) {
  ln_rng rng;
  ln_rng_seed(&rng, seed);
  size_t shape[2] = {n, c}, tshape[2] = {c, n};
  ln_tensor_free(x);
  ln_tensor_free(base);
  if (strided) {
    CHECK(ln_tensor_init(base, 2, tshape) == LN_OK, "init: %s", ln_error());
    ln_tensor_randn(base, &rng, 0.3, 2);
    CHECK(ln_tensor_transpose(x, base, 0, 1) == LN_OK, "transpose: %s", ln_error());
  } else {
    CHECK(ln_tensor_init(x, 2, shape) == LN_OK, "init: %s", ln_error());
    ln_tensor_randn(x, &rng, 0.3, 2);
  }
  if (specials) {
    float *p = ln_data(x);
    p[0] = 0;
    p[n * c / 2] = NAN;
  }
}

/* One shape: fused and unfused nets through 2 steps of forward and backward
 * (gradients accumulating), then an evaluation forward and backward. */
static void compare(size_t n, size_t c, size_t c2, int strided, int specials) {
  ln_module *net[2] = {net_of(c, c2, 7), net_of(c, c2, 7)};
  ln_tensor x = LN_TENSOR_EMPTY, xb = LN_TENSOR_EMPTY, dy = LN_TENSOR_EMPTY;
  size_t dshape[2] = {n, 3};
  ln_rng rng;
  ln_rng_seed(&rng, 11);
  CHECK(ln_tensor_init(&dy, 2, dshape) == LN_OK, "init: %s", ln_error());
  for (int step = 0; step < 3; step++) {
    input_of(&x, &xb, n, c, 100 + (uint64_t)step, strided, specials);
    ln_tensor_randn(&dy, &rng, 0, 1);
    for (int k = 0; k < 2; k++) {
      ln_sequential_set_fusion(k == 0);
      if (step == 2) ln_module_set_training(net[k], 0);
      net[k]->skip_grad_input = step == 1;
      CHECK(ln_module_forward(net[k], &x) == LN_OK && ln_module_backward(net[k], &x, &dy) == 0,
            "n=%zu c=%zu: %s", n, c, ln_error());
    }
    CHECK(nets_agree(net[0], net[1]), "n=%zu c=%zu c2=%zu strided=%d specials=%d step %d", n,
          c, c2, strided, specials, step);
  }
  ln_sequential_set_fusion(1);
  ln_tensor_free(&x);
  ln_tensor_free(&xb);
  ln_tensor_free(&dy);
  ln_module_release(net[0]);
  ln_module_release(net[1]);
}

/* BN(c) ReLU BN(c, no affine) ReLU: BatchNorm alone, for the thread
 * counts (ln_gemm's split of a large product gives other bits on other
 * thread counts: par.h). */
static ln_module *bn_net(size_t c) {
  ln_rng rng;
  ln_rng_seed(&rng, 3);
  ln_module *net = ln_sequential_new();
  add(net, ln_batchnorm_new(c, 1e-5, 0.1, 1));
  add(net, ln_relu_new());
  add(net, ln_batchnorm_new(c, 1e-5, 0.1, 0));
  add(net, ln_relu_new());
  ln_tensor_rand(&net->child[0]->param[0], &rng, 0.5, 1.5);
  ln_tensor_rand(&net->child[0]->param[1], &rng, -0.5, 0.5);
  return net;
}

/* The large shapes, fused and not, on 1 and 2 threads: the same bits. */
static void threads(size_t n, size_t c) {
  ln_module *net[4] = {bn_net(c), bn_net(c), bn_net(c), bn_net(c)};
  ln_tensor x = LN_TENSOR_EMPTY, xb = LN_TENSOR_EMPTY, dy = LN_TENSOR_EMPTY;
  ln_rng rng;
  ln_rng_seed(&rng, 5);
  input_of(&x, &xb, n, c, 9, 0, 0);
  CHECK(ln_tensor_clone(&dy, &x) == LN_OK, "clone: %s", ln_error());
  ln_tensor_randn(&dy, &rng, 0, 1);
  for (int k = 0; k < 4; k++) {
    ln_set_num_threads(k % 2 + 1);
    ln_sequential_set_fusion(k < 2);
    CHECK(ln_module_forward(net[k], &x) == LN_OK && ln_module_backward(net[k], &x, &dy) == 0,
          "n=%zu c=%zu: %s", n, c, ln_error());
  }
  ln_set_num_threads(1);
  ln_sequential_set_fusion(1);
  for (int k = 1; k < 4; k++) CHECK(nets_agree(net[0], net[k]), "threads n=%zu c=%zu %d", n, c, k);
  ln_tensor_free(&x);
  ln_tensor_free(&xb);
  ln_tensor_free(&dy);
  for (int k = 0; k < 4; k++) ln_module_release(net[k]);
}

/* The fused calls themselves (not through Sequential): outputs as the two
 * modules' own forward and backward give them. */
static void direct(size_t n, size_t c) {
  ln_module *bn[2] = {ln_batchnorm_new(c, 1e-5, 0.1, 1), ln_batchnorm_new(c, 1e-5, 0.1, 1)};
  ln_module *relu = ln_relu_new();
  ln_tensor x = LN_TENSOR_EMPTY, xb = LN_TENSOR_EMPTY, dr = LN_TENSOR_EMPTY;
  ln_tensor r = LN_TENSOR_EMPTY, g = LN_TENSOR_EMPTY;
  ln_rng rng;
  ln_rng_seed(&rng, 21);
  input_of(&x, &xb, n, c, 4, 0, 1);
  CHECK(ln_tensor_clone(&dr, &x) == LN_OK, "clone: %s", ln_error());
  ln_tensor_randn(&dr, &rng, 0, 1);
  int rc = ln_module_forward(bn[0], &x) || ln_module_forward(relu, &bn[0]->output) ||
           ln_module_backward(relu, &bn[0]->output, &dr) ||
           ln_module_backward(bn[0], &x, &relu->grad_input) ||
           ln_batchnorm_forward_relu(bn[1], &x, &r) ||
           ln_batchnorm_backward_relu(bn[1], &x, &dr, &g, NULL);
  CHECK(rc == LN_OK, "direct n=%zu c=%zu: %s", n, c, ln_error());
  CHECK(same(&bn[0]->output, &bn[1]->output) && same(&relu->output, &r) &&
        same(&relu->grad_input, &g) && same(&bn[0]->grad_input, &bn[1]->grad_input) &&
        same(&bn[0]->grad[0], &bn[1]->grad[0]) && same(&bn[0]->grad[1], &bn[1]->grad[1]),
        "direct n=%zu c=%zu", n, c);
  ln_tensor *bad[] = {&x, &r, &g, &dr, &xb};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) ln_tensor_free(bad[i]);
  ln_module_release(bn[0]);
  ln_module_release(bn[1]);
  ln_module_release(relu);
}

int main(void) {
  /* OpenBLAS on its own threads may split a product differently from one
   * call to the next: one thread, so both nets get the same GEMM bits. */
  ln_set_num_threads(1);
  static const size_t shapes[][3] = {
    {2, 1, 3}, {3, 30, 30}, {5, 7, 9}, {17, 30, 31}, {64, 16, 16}, {100, 33, 30},
    {500, 30, 30}, {501, 1, 30}, {129, 128, 10}, {128, 256, 128}, {7, 300, 5},
    {33, 257, 17}, {256, 1024, 64}, {130, 256, 256},
  };
  for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
    for (int strided = 0; strided < 2; strided++)
      for (int specials = 0; specials < 2; specials++)
        compare(shapes[i][0], shapes[i][1], shapes[i][2], strided, specials);
  threads(128, 256);
  threads(256, 1024);
  threads(1000, 200);
  threads(2000, 30);
  direct(500, 30);
  direct(37, 300);
  direct(256, 512);
  printf("fused BatchNorm+ReLU, Linear+ReLU, Linear+BatchNorm+ReLU vs unfused: "
         "largest difference %g\n", worst);
  return check_summary();
}
