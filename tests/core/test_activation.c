/* test_activation.c: the vectorized tanh and sigmoid kernels against double
 * precision tanh/exp over dense sweeps, with their error in ulps and relative
 * terms (printed beside the libm reference's, for comparison). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"
#include "check.h"

typedef void (*kernel)(float *out, const float *inp, size_t n);

static double tanh_d(double x) { return tanh(x); }
static double sigmoid_d(double x) { return 1.0 / (1.0 + exp(-x)); }

typedef struct {
  double ulps, rel; /* worst errors */
  float ulps_at, rel_at;
  int out_of_range, not_odd, not_monotonic;
} stats;

/* Inputs: every 1e-4 in [-10, 10], every 1e-3 in [-110, 110] (sigmoid's
 * outputs go subnormal below -87), magnitudes 2^-140..2^7 at 64 steps per
 * octave with both signs, and the extremes. */
static size_t make_inputs(float *x) {
  size_t n = 0;
  for (long i = -100000; i <= 100000; i++) x[n++] = (float)(i * 1e-4);
  for (long i = -110000; i <= 110000; i++) x[n++] = (float)(i * 1e-3);
  for (int e = -140; e < 7; e++)
    for (int j = 0; j < 64; j++) {
      float v = ldexpf(1.0f + j / 64.0f, e);
      x[n++] = v;
      x[n++] = -v;
    }
  const float ext[] = {FLT_MAX, FLT_MIN, 0x1p-149f, 1e-30f, 0.0004f, 9.0f, 20.0f, 88.0f,
                       88.8f, 103.0f, 104.0f, 200.0f, 1e30f};
  for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
    x[n++] = ext[i];
    x[n++] = -ext[i];
  }
  return n;
}
#define MAX_INPUTS 500000

static stats measure(kernel f, double (*ref)(double), const float *x, float *y, size_t n,
                     float lo, float hi) {
  stats s = {0, 0, 0, 0, 0, 0, 0};
  f(y, x, n);
  for (size_t i = 0; i < n; i++) {
    double r = ref(x[i]), d = fabs(y[i] - r);
    if (d / ulp_of(r) > s.ulps) s.ulps = d / ulp_of(r), s.ulps_at = x[i];
    if (fabs(r) >= FLT_MIN && d / fabs(r) > s.rel) s.rel = d / fabs(r), s.rel_at = x[i];
    if (!(y[i] >= lo && y[i] <= hi)) s.out_of_range++;
  }
  /* Monotonic over the first sweep, which is sorted. */
  for (size_t i = 1; i <= 200000; i++) s.not_monotonic += y[i] < y[i - 1];
  return s;
}

static void report(const char *name, stats s) {
  printf("%-16s max %.3f ulp (x = %.9g), max relative %.3g (x = %.9g)\n", name, s.ulps,
         s.ulps_at, s.rel, s.rel_at);
}

/* A NaN input gives NaN; +-inf the limits; -0 stays -0 for tanh. */
static void check_special(void) {
  float in[5] = {NAN, INFINITY, -INFINITY, -0.0f, 0.0f}, t[5], s[5];
  ln_tanh_forward(t, in, 5);
  ln_sigmoid_forward(s, in, 5);
  CHECK(isnan(t[0]) && isnan(s[0]), "NaN gave tanh %g, sigmoid %g", t[0], s[0]);
  CHECK(t[1] == 1 && t[2] == -1, "tanh(+-inf) = %g, %g", t[1], t[2]);
  CHECK(s[1] == 1 && s[2] == 0, "sigmoid(+-inf) = %g, %g", s[1], s[2]);
  CHECK(t[3] == 0 && signbit(t[3]) && t[4] == 0 && !signbit(t[4]), "tanh(-0, 0) = %g, %g",
        t[3], t[4]);
  CHECK(s[3] == 0.5f && s[4] == 0.5f, "sigmoid(-0, 0) = %g, %g", s[3], s[4]);
}

/* tanh(-x) == -tanh(x) bit for bit. */
static void check_odd(const float *x, size_t n) {
  float *neg = malloc(n * sizeof *neg), *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
  for (size_t i = 0; i < n; i++) neg[i] = -x[i];
  ln_tanh_forward(a, x, n);
  ln_tanh_forward(b, neg, n);
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) bad += a[i] != -b[i];
  CHECK(bad == 0, "tanh is not odd at %zu inputs", bad);
  free(neg), free(a), free(b);
}

/* The vector body and the scalar remainder of the loop must agree: every
 * length and misalignment gives each element's one-at-a-time value. */
static void check_lengths(kernel f, const char *name) {
  float x[80], whole[80], one;
  for (int i = 0; i < 80; i++) x[i] = (i - 40) * 0.37f;
  int bad = 0;
  for (size_t off = 0; off < 3; off++)
    for (size_t n = 0; n + off <= 80; n += 7) {
      f(whole + off, x + off, n);
      for (size_t i = off; i < off + n; i++) {
        f(&one, &x[i], 1);
        bad += memcmp(&one, &whole[i], sizeof one) != 0;
      }
    }
  CHECK(bad == 0, "%s: %d elements differ between vector and scalar paths", name, bad);
}

int main(void) {
  float *x = malloc(MAX_INPUTS * sizeof *x), *y = malloc(MAX_INPUTS * sizeof *y);
  size_t n = make_inputs(x);
  CHECK(n <= MAX_INPUTS, "%zu inputs", n);

  stats t = measure(ln_tanh_forward, tanh_d, x, y, n, -1, 1);
  stats tr = measure(ln_tanh_forward_ref, tanh_d, x, y, n, -1, 1);
  stats s = measure(ln_sigmoid_forward, sigmoid_d, x, y, n, 0, 1);
  stats sr = measure(ln_sigmoid_forward_ref, sigmoid_d, x, y, n, 0, 1);
  printf("%zu inputs\n", n);
  report("tanh", t);
  report("tanh (libm)", tr);
  report("sigmoid", s);
  report("sigmoid (libm)", sr);

  CHECK(t.ulps <= 2, "tanh: %.3f ulp at x = %.9g", t.ulps, t.ulps_at);
  CHECK(t.rel <= 2e-7, "tanh: relative %.3g at x = %.9g", t.rel, t.rel_at);
  CHECK(s.ulps <= 2.5, "sigmoid: %.3f ulp at x = %.9g", s.ulps, s.ulps_at);
  CHECK(s.rel <= 2e-7, "sigmoid: relative %.3g at x = %.9g", s.rel, s.rel_at);
  CHECK(t.out_of_range == 0, "tanh: %d outputs outside [-1, 1]", t.out_of_range);
  CHECK(s.out_of_range == 0, "sigmoid: %d outputs outside [0, 1]", s.out_of_range);
  CHECK(t.not_monotonic == 0, "tanh: decreases %d times", t.not_monotonic);
  CHECK(s.not_monotonic == 0, "sigmoid: decreases %d times", s.not_monotonic);
  check_odd(x, n);
  check_special();
  check_lengths(ln_tanh_forward, "tanh");
  check_lengths(ln_sigmoid_forward, "sigmoid");
  free(x);
  free(y);
  return check_summary();
}
