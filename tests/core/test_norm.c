/* test_norm.c: LayerNorm, GroupNorm and InstanceNorm (core/norm_block.c) on
 * inputs worked by hand, InstanceNorm's running statistics, BatchNorm's
 * cumulative average, and the errors each gives (its gradients are checked
 * in test_layers.c, PyTorch's numbers in tests/spec/norm_spec.lua). */
#include <math.h>
#include <string.h>

#include "check.h"
#include "batchnorm.h"
#include "groupnorm.h"
#include "instancenorm.h"
#include "layernorm.h"

static ln_tensor filled(int ndim, const size_t *shape, const float *v) {
  ln_tensor t = LN_TENSOR_EMPTY;
  CHECK(ln_tensor_init(&t, ndim, shape) == LN_OK, "%s", ln_error());
  memcpy(ln_data(&t), v, ln_numel(&t) * sizeof *v);
  return t;
}

/* Each block of {1, 2, 3, 4} values is mean 2.5, biased variance 1.25. */
static void hand_values(void) {
  const float v[8] = {1, 2, 3, 4, 4, 3, 2, 1};
  size_t s24[2] = {2, 4}, s214[3] = {2, 1, 4}, s42[2] = {4, 2}, four = 4;
  double r = 1 / sqrt(1.25 + 1e-5);
  ln_tensor x = filled(2, s24, v), x3 = filled(3, s214, v);
  ln_module *ln = ln_layernorm_new(1, &four, 1e-5, 1);
  ln_data(&ln->param[0])[1] = 2, ln_data(&ln->param[1])[1] = 0.5;  /* element 2 of 4 */
  CHECK(ln_module_forward(ln, &x) == LN_OK, "%s", ln_error());
  const float *y = ln_data(&ln->output);
  CHECK_CLOSE(y[0], -1.5 * r, 1e-6);
  CHECK_CLOSE(y[1], 2 * -0.5 * r + 0.5, 1e-6);
  CHECK_CLOSE(y[5], 2 * 0.5 * r + 0.5, 1e-6);
  /* GroupNorm(1, 1) on (2,1,4) is the same normalization; eval changes nothing */
  ln_module *gn = ln_groupnorm_new(1, 1, 1e-5, 0);
  ln_module_set_training(gn, 0);
  CHECK(ln_module_forward(gn, &x3) == LN_OK, "%s", ln_error());
  CHECK_CLOSE(ln_data(&gn->output)[7], -1.5 * r, 1e-6);
  /* InstanceNorm(4) on unbatched (C,L) = (4,2): pairs (1,2), (3,4), ...,
   * each mean +-0.5 away, variance 0.25; running stats updated once */
  ln_tensor xc = filled(2, s42, v);
  ln_module *in = ln_instancenorm_new(4, 1e-5, 0.5, 0, 1);
  CHECK(ln_module_forward(in, &xc) == LN_OK, "%s", ln_error());
  CHECK_CLOSE(ln_data(&in->output)[0], -0.5 / sqrt(0.25 + 1e-5), 1e-6);
  CHECK_CLOSE(ln_data(&in->buf[0])[1], 0.5 * 3.5, 1e-6);           /* mean of (3, 4) */
  CHECK_CLOSE(ln_data(&in->buf[1])[1], 0.5 + 0.5 * 0.5, 1e-6);     /* unbiased 0.5 */
  ln_module_set_training(in, 0);  /* evaluation: the running statistics */
  CHECK(ln_module_forward(in, &xc) == LN_OK, "%s", ln_error());
  CHECK_CLOSE(ln_data(&in->output)[2], (3 - 1.75) / sqrt(0.75 + 1e-5), 1e-5);
  ln_module_release(ln), ln_module_release(gn), ln_module_release(in);
  ln_tensor_free(&x), ln_tensor_free(&x3), ln_tensor_free(&xc);
}

/* momentum NaN: running_mean is the plain average of the batch means. */
static void cumulative(void) {
  size_t s31[2] = {3, 1};
  ln_module *bn = ln_batchnorm_new(1, 1e-5, NAN, 0);
  CHECK(bn && bn->nbuf == 3 && !strcmp(bn->buf_name[2], "num_batches_tracked"), "buffers");
  if (!bn) return;
  const float b[3][3] = {{1, 2, 3}, {10, 10, 13}, {-4, -6, -5}};
  for (int i = 0; i < 3; i++) {
    ln_tensor x = filled(2, s31, b[i]);
    CHECK(ln_module_forward(bn, &x) == LN_OK, "%s", ln_error());
    ln_tensor_free(&x);
  }
  CHECK_CLOSE(ln_data(&bn->buf[0])[0], (2 + 11 - 5) / 3.0, 1e-6);
  CHECK_CLOSE(ln_data(&bn->buf[1])[0], (1 + 3 + 1) / 3.0, 1e-6);
  CHECK_CLOSE(ln_data(&bn->buf[2])[0], 3, 0);
  ln_module_release(bn);
  ln_module *off = ln_batchnorm_new_track(2, 1e-5, 0.1, 1, 0);
  CHECK(off && off->nbuf == 0, "an untracked BatchNorm has no buffers");
  ln_module_release(off);
}

static void fails(ln_module *m, const char *part) {
  CHECK(m == NULL && strstr(ln_error(), part), "'%s' lacks '%s'", ln_error(), part);
  ln_module_release(m);
}

static void forward_fails(ln_module *m, int ndim, const size_t *shape, const char *part) {
  ln_tensor x = LN_TENSOR_EMPTY;
  CHECK(ln_tensor_init(&x, ndim, shape) == LN_OK, "%s", ln_error());
  CHECK(ln_module_forward(m, &x) == LN_ERR && strstr(ln_error(), part), "'%s' lacks '%s'",
        ln_error(), part);
  ln_tensor_free(&x);
}

static void errors(void) {
  size_t s34[2] = {3, 4}, three = 3;
  fails(ln_groupnorm_new(4, 6, 1e-5, 1), "GroupNorm: num_groups (4) must divide num_channels (6)");
  fails(ln_groupnorm_new(0, 6, 1e-5, 1), "GroupNorm: num_groups and num_channels must be");
  fails(ln_layernorm_new(1, &three, 0, 1), "LayerNorm: eps must be a finite number > 0, got 0");
  fails(ln_layernorm_new(1, &three, INFINITY, 1), "LayerNorm: eps must be a finite number > 0");
  fails(ln_instancenorm_new(3, -1, 0.1, 0, 0), "InstanceNorm: eps must be a finite number > 0");
  fails(ln_instancenorm_new(3, 1e-5, 1.5, 0, 0), "InstanceNorm: momentum must be in [0, 1]");
  fails(ln_instancenorm_new(0, 1e-5, 0.1, 0, 0), "InstanceNorm: num_features must be positive");
  fails(ln_batchnorm_new(3, 1e-5, -1, 1), "BatchNorm: momentum must be in [0, 1], got -1");

  ln_module *ln = ln_layernorm_new(2, s34, 1e-5, 1);
  size_t bad[3] = {2, 4, 3}, shorter[1] = {4}, ok[3] = {5, 3, 4};
  forward_fails(ln, 3, bad,
                "LayerNorm: input of shape 2x4x3 does not end in normalized_shape (3, 4)");
  forward_fails(ln, 1, shorter, "does not end in normalized_shape (3, 4)");
  ln_tensor x = LN_TENSOR_EMPTY;
  CHECK(ln_tensor_init(&x, 3, ok) == LN_OK && ln_module_forward(ln, &x) == LN_OK, "%s",
        ln_error());
  ln_tensor_free(&x);
  ln_module_release(ln);
  ln_module *gn = ln_groupnorm_new(2, 4, 1e-5, 1);
  size_t c6[2] = {2, 6};
  forward_fails(gn, 2, c6, "GroupNorm: input has 6 channels, expected 4");
  forward_fails(gn, 1, c6, "GroupNorm: input must be (N,C,*), got 2");
  ln_module_release(gn);
  ln_module *in = ln_instancenorm_new(3, 1e-5, 0.1, 0, 0);
  size_t c4[3] = {2, 4, 5}, one[3] = {2, 3, 1}, five[5] = {1, 3, 2, 2, 2};
  forward_fails(in, 3, c4, "InstanceNorm: input has 4 channels, expected 3");
  forward_fails(in, 3, one, "InstanceNorm: needs more than one value per channel");
  forward_fails(in, 5, five, "InstanceNorm: input must be (N,C,H,W), (N,C,L) or (C,L)");
  ln_module_release(in);
}

/* A mean 1e4 times the spread, and blocks longer than the float lanes'
 * flush (4000 values): forward and backward against a double reference,
 * for LayerNorm (per-element path) and GroupNorm(1, 1) (per-segment path). */
static void large_mean(void) {
  size_t shape[3] = {3, 1, 4000}, len = 4000;
  ln_rng rng;
  ln_rng_seed(&rng, 3);
  ln_tensor x = LN_TENSOR_EMPTY, dy = LN_TENSOR_EMPTY;
  CHECK(ln_tensor_init(&x, 3, shape) == LN_OK && ln_tensor_init(&dy, 3, shape) == LN_OK, "%s",
        ln_error());
  ln_tensor_randn(&x, &rng, 1000, 0.1);
  ln_tensor_randn(&dy, &rng, 0, 1);
  ln_module *ms[2] = {ln_layernorm_new(1, &len, 1e-5, 0), ln_groupnorm_new(1, 1, 1e-5, 1)};
  for (int k = 0; k < 2; k++) {
    ln_module *m = ms[k];
    CHECK(ln_module_forward(m, &x) == LN_OK && ln_module_backward(m, &x, &dy) == LN_OK, "%s",
          ln_error());
    double worst_y = 0, worst_dx = 0;
    for (size_t b = 0; b < 3; b++) {
      const float *xb = ln_data(&x) + b * len, *g = ln_data(&dy) + b * len;
      double mu = 0, v = 0, sg = 0, sgx = 0;
      for (size_t q = 0; q < len; q++) mu += xb[q];
      mu /= (double)len;
      for (size_t q = 0; q < len; q++) v += (xb[q] - mu) * (xb[q] - mu);
      double r = 1 / sqrt(v / (double)len + 1e-5);
      for (size_t q = 0; q < len; q++) sg += g[q], sgx += g[q] * (xb[q] - mu) * r;
      for (size_t q = 0; q < len; q++) {
        double xh = (xb[q] - mu) * r, dx = r * (g[q] - sg / (double)len - xh * sgx / (double)len);
        double ey = fabs(ln_data(&m->output)[b * len + q] - xh);
        double ed = fabs(ln_data(&m->grad_input)[b * len + q] - dx);
        if (ey > worst_y) worst_y = ey;
        if (ed > worst_dx) worst_dx = ed;
      }
    }
    printf("%s, mean 1e4 x the spread: max |y - ref| %.2e, |dx - ref| %.2e\n", m->name,
           worst_y, worst_dx);
    CHECK(worst_y < 1e-5 && worst_dx < 1e-4, "%s: y off by %g, dx off by %g", m->name, worst_y,
          worst_dx);
    ln_module_release(m);
  }
  ln_tensor_free(&x), ln_tensor_free(&dy);
}

int main(void) {
  hand_values();
  large_mean();
  cumulative();
  errors();
  return check_summary();
}
