/* test_vmath.c: the vectorized float math of core/vmath.c against double
 * precision libm on random bit patterns (every exponent, NaN and infinities
 * among them), random arguments in each function's working range, dense
 * sweeps and edge values (+-0, +-inf, NaN, subnormals, overflow and
 * underflow thresholds, huge trig arguments). Prints each function's worst
 * error in ulps beside its libm float reference's; fails above 2 ulps (2.5
 * for sigmoid), or on any special value handled differently from libm. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vmath.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t next_u64(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}
static float uniform(double lo, double hi) {
  return (float)(lo + (hi - lo) * (double)(next_u64() >> 11) * 0x1p-53);
}
static float random_bits(void) {
  uint32_t b = (uint32_t)next_u64();
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

static double sigmoid_d(double x) { return 1.0 / (1.0 + exp(-x)); }

typedef void (*kernel)(float *y, const float *x, size_t n);
typedef struct {
  const char *name;
  kernel fast, ref;
  double (*exact)(double);
  double lo, hi; /* the working range for uniform random arguments */
  double limit;  /* ulps */
} func;

static const func funcs[] = {
  {"exp", ln_vexp, ln_vexp_ref, exp, -104, 89, 2.0},
  {"log", ln_vlog, ln_vlog_ref, log, 0, 1e4, 2.0},
  {"log1p", ln_vlog1p, ln_vlog1p_ref, log1p, -1, 10, 2.0},
  {"sin", ln_vsin, ln_vsin_ref, sin, -1e4, 1e4, 2.0},
  {"cos", ln_vcos, ln_vcos_ref, cos, -1e4, 1e4, 2.0},
  {"tanh", ln_vtanh, ln_vtanh_ref, tanh, -12, 12, 2.0},
  {"sigmoid", ln_vsigmoid, ln_vsigmoid_ref, sigmoid_d, -110, 30, 2.5},
};

/* Edge values, each also negated. */
static const float edges[] = {
  0.0f, 0x1p-149f, 0x1p-140f, FLT_MIN, 0x1.fffffcp-127f, 1e-30f, 1e-10f, 1e-7f, 0x1p-24f,
  0x1p-23f, 1e-4f, 0.1f, 0.5f, 0.549306144f, 0.70710677f, 1.0f, 1.5f, 2.0f, 3.14159265f,
  1.57079632f, 4.71238898f, 10.0f, 20.0f, 87.3f, 88.0f, 88.72283f, 88.7229f, 89.0f, 103.0f,
  103.97f, 104.0f, 200.0f, 8192.0f, 1e4f, 65536.0f, 1e5f, 999999.9f, 1e6f, 1.0000001e6f,
  16777216.0f, 1e10f, 1e30f, FLT_MAX, INFINITY, NAN};

/* Dense sweeps: every 1e-3 in [-120, 120], 256 steps per octave over every
 * magnitude, both signs, and the floats just around 1 (log1p's u - 1). */
static size_t fill_inputs(float *x, const func *f) {
  size_t n = 0;
  for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
    x[n++] = edges[i];
    x[n++] = -edges[i];
  }
  for (long i = -120000; i <= 120000; i++) x[n++] = (float)(i * 1e-3);
  for (int e = -149; e < 128; e++)
    for (int j = 0; j < 256; j++) {
      float v = ldexpf(1.0f + j / 256.0f, e);
      x[n++] = v;
      x[n++] = -v;
    }
  for (int i = -2000; i <= 2000; i++) x[n++] = 1.0f + (float)i * 0x1p-23f;
  for (int i = 0; i < 1000000; i++) x[n++] = random_bits();
  for (int i = 0; i < 1000000; i++) x[n++] = uniform(f->lo, f->hi);
  return n;
}
#define MAX_INPUTS 2400000

typedef struct {
  double ulps;
  float at;
  int specials_wrong;
} stats;

/* Worst error of y = f(x) against the double-precision exact function; a
 * NaN, infinite or zero result must match libm's class and sign exactly. */
static stats measure(const float *x, const float *y, size_t n, double (*exact)(double),
                     const char *name, const char *which) {
  stats s = {0, 0, 0};
  for (size_t i = 0; i < n; i++) {
    double w = exact((double)x[i]);
    float wf = (float)w;
    if (isnan(wf) || isinf(wf) || wf == 0) {
      int ok = isnan(wf) ? isnan(y[i]) : y[i] == wf && signbit(y[i]) == signbit(wf);
      /* A result in the last subnormal may round either way to 0. */
      if (!ok && wf == 0 && fabs(y[i]) <= 0x1p-149 && fabs(w) > 0) ok = 1;
      if (!ok) {
        if (s.specials_wrong++ < 5)
          fprintf(stderr, "%s %s(%a) = %a, want %a\n", which, name, x[i], y[i], wf);
      }
      continue;
    }
    double err = fabs((double)y[i] - w) / ulp_of(w);
    if (!(err <= s.ulps)) {  /* NaN where a number was due counts as worst */
      s.ulps = err == err ? err : INFINITY;
      s.at = x[i];
    }
  }
  return s;
}

static void check_func(const func *f, float *x, float *y, float *z) {
  size_t n = fill_inputs(x, f);
  f->fast(y, x, n);
  stats fast = measure(x, y, n, f->exact, f->name, "fast");
  f->ref(z, x, n);
  stats ref = measure(x, z, n, f->exact, f->name, "libm");
  printf("%-8s worst %.3f ulp at %a (libm %s: %.3f ulp) over %zu inputs\n", f->name,
         fast.ulps, fast.at, f->name, ref.ulps, n);
  CHECK(fast.ulps <= f->limit, "%s: %.3f ulp at %a", f->name, fast.ulps, fast.at);
  CHECK(fast.specials_wrong == 0, "%s: %d special values differ from libm", f->name,
        fast.specials_wrong);
  /* In place gives the same bits (the trig kernels' libm fallback reads x
   * after the vector loop). */
  memcpy(z, x, n * sizeof *x);
  f->fast(z, z, n);
  CHECK(memcmp(y, z, n * sizeof *y) == 0 || n == 0, "%s in place differs", f->name);
  /* Lengths that are not a multiple of any vector or block width. */
  float small[7];
  f->fast(small, x + 3, 7);
  CHECK(memcmp(small, y + 3, sizeof small) == 0, "%s: a 7-element call differs", f->name);
}

static double pow_p;
static double pow_exact(double x) { return pow(x, pow_p); }

static void check_pow(float *x, float *y) {
  static const float ps[] = {1, 2, 3, -1, -2, 0.5f, -0.5f, 1.5f, 0};
  func f = {"pow", NULL, NULL, pow_exact, -100, 100, 2.0};
  size_t n = fill_inputs(x, &f);
  for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
    pow_p = ps[k];
    ln_vpow_scalar(y, x, ps[k], n);
    stats s = measure(x, y, n, pow_exact, "pow", "fast");
    printf("pow x^%-4g worst %.3f ulp at %a\n", ps[k], s.ulps, s.at);
    CHECK(s.ulps <= 2.0, "x^%g: %.3f ulp at %a", ps[k], s.ulps, s.at);
    CHECK(s.specials_wrong == 0, "x^%g: %d special values differ", ps[k], s.specials_wrong);
  }
}

int main(void) {
  float *x = malloc(MAX_INPUTS * sizeof *x), *y = malloc(MAX_INPUTS * sizeof *y),
        *z = malloc(MAX_INPUTS * sizeof *z);
  if (!x || !y || !z) return 1;
  for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) check_func(&funcs[i], x, y, z);
  check_pow(x, y);
  /* Huge trig arguments go to libm: bit-identical to sinf/cosf there. */
  float big[4] = {1.5e6f, -3e7f, 1e30f, -FLT_MAX}, yb[4], zb[4];
  ln_vsin(yb, big, 4);
  ln_vsin_ref(zb, big, 4);
  CHECK(memcmp(yb, zb, sizeof yb) == 0, "sin of huge arguments is not libm's");
  ln_vcos(yb, big, 4);
  ln_vcos_ref(zb, big, 4);
  CHECK(memcmp(yb, zb, sizeof yb) == 0, "cos of huge arguments is not libm's");
  free(x);
  free(y);
  free(z);
  return check_summary();
}
