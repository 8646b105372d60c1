/* test_losses.c: every registered loss kind under every reduction, with
 * its options set (weights, an ignored class, smoothing, beta, delta):
 * the gradient against central differences of the cost ("none": of the sum
 * of the losses), and no allocation once the buffers are sized; the row
 * stats CrossEntropyLoss keeps from forward for backward, which must give
 * the bits of a backward without them, whatever happens in between. PyTorch's
 * numbers are checked in tests/spec/losses_spec.lua. */
#include <string.h>

#include "check.h"
#include "loss.h"

#define N 6
#define C 4

static ln_rng rng;

static ln_tensor make(int ndim, const size_t *size, double lo, double hi) {
  ln_tensor t = LN_TENSOR_EMPTY;
  if (ln_tensor_init(&t, ndim, size)) fprintf(stderr, "init: %s\n", ln_error());
  ln_tensor_rand(&t, &rng, lo, hi);
  return t;
}

static double cost(ln_loss *l, const ln_tensor *x, const ln_tensor *t) {
  double c = NAN;
  if (ln_loss_forward(l, &c, x, t, N)) fprintf(stderr, "%s: %s\n", l->kind->name, ln_error());
  return c;
}

/* Input and target away from the kinks: |x - t| >= 0.05 and not within
 * 0.05 of beta = delta = 0.7; BCE's input in (0.05, 0.95). */
static void draw(const ln_loss_kind *k, ln_tensor *x, ln_tensor *t) {
  float *px = ln_data(x), *pt = ln_data(t);
  for (size_t i = 0; i < ln_numel(x); i++) {
    double a, b, d;
    do {
      a = ln_rng_uniform(&rng) * 4 - 2;
      b = ln_rng_uniform(&rng) * 4 - 2;
      if (k == &ln_loss_bce) a = 0.05 + 0.9 * ln_rng_uniform(&rng);
      if (k == &ln_loss_bce || k == &ln_loss_bce_logits) b = ln_rng_uniform(&rng);
      d = fabs(a - b);
    } while (d < 0.05 || fabs(d - 0.7) < 0.05);
    px[i] = (float)a;
    pt[i] = (float)b;
  }
}

/* Largest |numeric - analytic| relative to the largest gradient. */
static double fd(ln_loss *l, ln_tensor *x, const ln_tensor *t) {
  if (ln_loss_backward(l, x, t, N)) {
    fprintf(stderr, "%s: %s\n", l->kind->name, ln_error());
    return INFINITY;
  }
  float *p = ln_data(x), *g = ln_data(&l->grad);
  double worst = 0, big = 0, h = 1e-3;
  for (size_t i = 0; i < ln_numel(x); i++) big = fmax(big, fabs(g[i]));
  for (size_t i = 0; i < ln_numel(x); i++) {
    float keep = p[i];
    p[i] = (float)(keep + h);
    double up = cost(l, x, t);
    p[i] = (float)(keep - h);
    double down = cost(l, x, t);
    p[i] = keep;
    double num = (up - down) / ((double)(float)(keep + h) - (double)(float)(keep - h));
    worst = fmax(worst, fabs(num - g[i]) / fmax(big, 1e-6));
  }
  return worst;
}

static void test_kind(const ln_loss_kind *k, ln_reduction red) {
  size_t xs[2] = {N, C}, cs[1] = {C};
  ln_tensor x = make(2, xs, -2, 2), t = make(2, xs, 0, 1);
  ln_loss_options o;
  ln_loss_options_default(&o);
  o.reduction = red;
  o.beta = o.delta = 0.7;
  if (ln_loss_takes(k, "weight")) o.weight = make(1, cs, 0.2, 2);
  if (ln_loss_takes(k, "pos_weight")) o.pos_weight = make(1, cs, 0.2, 3);
  if (ln_loss_takes(k, "ignore_index")) o.has_ignore = 1, o.ignore = 2;
  if (ln_loss_takes(k, "label_smoothing")) o.smoothing = 0.2;
  ln_loss l;
  ln_loss_init(&l, k);
  CHECK(ln_loss_set_options(&l, &o) == LN_OK, "%s: %s", k->name, ln_error());
  ln_tensor_free(&o.weight);
  ln_tensor_free(&o.pos_weight);
  if (k->classes) {
    static const int labels[N] = {0, 2, 3, 1, 2, 3};  /* two rows of the ignored 2 */
    CHECK(ln_loss_reserve_labels(&l, N) == LN_OK, "%s", ln_error());
    memcpy(l.labels, labels, sizeof labels);
  } else {
    draw(k, &x, &t);
  }
  double e = fd(&l, &x, &t);
  CHECK(e < 1e-3, "%s reduction %d: finite differences off by %.3g", k->name, (int)red, e);
  uint64_t before = ln_alloc_count();
  for (int i = 0; i < 5; i++) {
    double c;
    CHECK(ln_loss_forward(&l, &c, &x, &t, N) == LN_OK && ln_loss_backward(&l, &x, &t, N) == 0,
          "%s", ln_error());
  }
  CHECK(ln_alloc_count() == before, "%s: %llu allocations in 5 steady steps", k->name,
        (unsigned long long)(ln_alloc_count() - before));
  ln_loss_free(&l);
  ln_loss_free(&l);
  ln_tensor_free(&x);
  ln_tensor_free(&t);
}

static int has(const char *part) { return strstr(ln_error(), part) != NULL; }

static void test_errors(void) {
  ln_loss l;
  ln_loss_options o;
  ln_loss_init(&l, &ln_loss_mse);
  ln_loss_options_default(&o);
  o.has_ignore = 1;
  CHECK(ln_loss_set_options(&l, &o) == LN_ERR && has("MSELoss: takes no ignore_index"), "%s",
        ln_error());
  ln_loss_options_default(&o);
  o.smoothing = 0.5;
  CHECK(ln_loss_set_options(&l, &o) == LN_ERR && has("takes no label_smoothing"), "%s",
        ln_error());
  ln_loss_options_default(&o);
  o.beta = NAN;
  CHECK(ln_loss_set_options(&l, &o) == LN_ERR && has("beta must be"), "%s", ln_error());
  CHECK(ln_loss_find("NoSuchLoss") == NULL && has("unknown loss 'NoSuchLoss'"), "%s",
        ln_error());
  CHECK(ln_loss_find("HuberLoss") == &ln_loss_huber, "HuberLoss not found");
  ln_loss_free(&l);
}

/* A backward of l on x, against one of a fresh loss with l's options that
 * never ran forward (no cached row stats): the same bits. */
static int backward_as_fresh(ln_loss *l, const ln_tensor *x, const int *labels, size_t n) {
  ln_loss f;
  ln_loss_init(&f, l->kind);
  int ok = ln_loss_set_options(&f, &l->opt) == LN_OK && ln_loss_reserve_labels(&f, n) == LN_OK;
  if (ok) memcpy(f.labels, labels, n * sizeof *labels);
  ok = ok && ln_loss_backward(l, x, NULL, n) == LN_OK && ln_loss_backward(&f, x, NULL, n) == 0 &&
       memcmp(ln_data(&l->grad), ln_data(&f.grad), ln_numel(x) * sizeof(float)) == 0;
  ln_loss_free(&f);
  return ok;
}

/* CrossEntropyLoss's cache: backward after forward on the same input, after
 * the input changed in place (one element, one NaN), on another tensor, on
 * another shape, with weights and smoothing: always a fresh backward's bits. */
static void test_ce_cache(void) {
  size_t xs[2] = {N, C}, ws[1] = {C}, xs2[2] = {N - 2, C};
  ln_tensor x = make(2, xs, -3, 3), y = make(2, xs, -3, 3), w = make(1, ws, 0.5, 2);
  ln_tensor z = make(2, xs2, -3, 3);
  int labels[N] = {0, 3, 1, 2, 2, 0};
  for (int opts = 0; opts < 2; opts++) {
    ln_loss l;
    ln_loss_init(&l, &ln_loss_cross_entropy);
    ln_loss_options o;
    ln_loss_options_default(&o);
    if (opts) o.weight = w, o.smoothing = 0.2, o.has_ignore = 1, o.ignore = 1;
    CHECK(ln_loss_set_options(&l, &o) == LN_OK && ln_loss_reserve_labels(&l, N) == 0, "%s",
          ln_error());
    memcpy(l.labels, labels, sizeof labels);
    double c = 0;
    CHECK(ln_loss_forward(&l, &c, &x, NULL, N) == LN_OK, "%s", ln_error());
    CHECK(backward_as_fresh(&l, &x, labels, N), "same input, opts %d", opts);
    CHECK(backward_as_fresh(&l, &x, labels, N), "same input again, opts %d", opts);
    float *p = ln_data(&x);
    p[5] += 0.25f;  /* changed in place after forward */
    CHECK(backward_as_fresh(&l, &x, labels, N), "changed input, opts %d", opts);
    CHECK(ln_loss_forward(&l, &c, &x, NULL, N) == LN_OK, "%s", ln_error());
    p[2] = NAN;
    CHECK(backward_as_fresh(&l, &x, labels, N), "input with a NaN, opts %d", opts);
    CHECK(ln_loss_forward(&l, &c, &x, NULL, N) == LN_OK, "%s", ln_error());
    CHECK(backward_as_fresh(&l, &y, labels, N), "another input, opts %d", opts);
    CHECK(backward_as_fresh(&l, &z, labels, N - 2), "another shape, opts %d", opts);
    CHECK(ln_loss_forward(&l, &c, &y, NULL, N) == LN_OK, "%s", ln_error());
    labels[3] = 1;  /* other labels: the stats depend on the input alone */
    memcpy(l.labels, labels, sizeof labels);
    CHECK(backward_as_fresh(&l, &y, labels, N), "other labels, opts %d", opts);
    labels[3] = 2;
    p[2] = 0.5f;
    ln_loss_free(&l);
  }
  ln_tensor_free(&x);
  ln_tensor_free(&y);
  ln_tensor_free(&z);
  ln_tensor_free(&w);
}

int main(void) {
  ln_rng_seed(&rng, 5);
  size_t n = 0;
  for (const ln_loss_kind *k; (k = ln_loss_kind_at(n)); n++)
    for (int r = LN_REDUCE_MEAN; r <= LN_REDUCE_NONE; r++) test_kind(k, (ln_reduction)r);
  CHECK(n == 8, "%zu kinds registered", n);
  test_errors();
  test_ce_cache();
  return check_summary();
}
