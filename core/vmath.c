/* vmath.c: vectorizable exp, log, log1p, sin, cos, tanh, sigmoid and pow
 * over float arrays (see vmath.h).
 *
 * glibc's expf, logf, sinf... are scalar calls GCC cannot vectorize. The
 * functions here are branch-free per element: every path is computed and
 * one selected (SIMD lanes must), special inputs are clamped to harmless
 * values first so no conversion is undefined, and the right result is
 * selected back at the end. `#pragma omp simd` (-fopenmp-simd) lets GCC
 * if-convert the selects, which it would not do for possibly trapping
 * float operations otherwise. a * b + c is left to the compiler: the
 * Makefile lets it contract them into FMAs where the target has them (a
 * third faster), and they stay two operations on a baseline build (no
 * fmaf(), a library call there); the test holds both to the same bounds. */
#include "vmath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Float bits <-> float; memcpy is how C99 does it without aliasing UB, and
 * GCC turns it into a plain register move, even in vectorized loops. */
static inline float bits_float(int32_t b) {
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

static inline int32_t float_bits(float f) {
  int32_t b;
  memcpy(&b, &f, sizeof b);
  return b;
}

/* e^x for finite x (the callers select NaN back in). The Cephes expf
 * scheme: x = k ln2 + r with |r| <= ln2/2 (ln2 split in two so k ln2 is
 * exact), a degree-7 polynomial for e^r, then times 2^k. Results below
 * 2^-126 need k down to -150, past what one float's exponent field holds, so
 * 2^k is applied in two halves: p 2^k1 is exact and only the last product
 * rounds (into the subnormals, or to infinity above 88.72). */
static inline float exp_core(float x) {
  const float magic = 12582912.0f; /* 1.5 2^23: adding it rounds to an integer */
  /* e^-104 is below half the least subnormal and e^89 above FLT_MAX; NaN
   * goes to 89, so the float-to-int conversion below is always defined. */
  float t = x > -104.0f ? x : -104.0f;
  t = t < 89.0f ? t : 89.0f;
  float kf = (t * 1.44269504f + magic) - magic;
  float r = t - kf * 0.693359375f - kf * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  int32_t k = (int32_t)kf, k1 = k / 2, k2 = k - k1; /* both in [-75, 64] */
  return p * bits_float((k1 + 127) << 23) * bits_float((k2 + 127) << 23);
}

static inline float vexp1(float x) {
  float y = exp_core(x);
  return x != x ? x : y;
}

/* log(x) for x > 0, finite (subnormals included). The Cephes logf scheme:
 * x = 2^e m with m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact), log(1 + f)
 * = f - f^2/2 + f^3 P(f), and e ln2 added in two parts (the large one exact)
 * so the small terms are summed first. */
static inline float log_core(float x) {
  int sub = x < 1.17549435e-38f; /* subnormal: scale into the normals */
  float xs = sub ? x * 8388608.0f : x;
  int32_t i = float_bits(xs);
  int32_t e = ((i >> 23) & 0xff) - 126 - (sub ? 23 : 0);
  float m = bits_float((i & 0x007fffff) | 0x3f000000); /* [1/2, 1) */
  int lo = m < 0.707106781f;
  e = lo ? e - 1 : e;
  float f = lo ? m + m - 1.0f : m - 1.0f;
  float z = f * f;
  float p = 7.0376836292e-2f;
  p = p * f + -1.1514610310e-1f;
  p = p * f + 1.1676998740e-1f;
  p = p * f + -1.2420140846e-1f;
  p = p * f + 1.4249322787e-1f;
  p = p * f + -1.6668057665e-1f;
  p = p * f + 2.0000714765e-1f;
  p = p * f + -2.4999993993e-1f;
  p = p * f + 3.3333331174e-1f;
  float fe = (float)e;
  float y = p * f * z + fe * -2.12194440e-4f - 0.5f * z;
  return f + y + fe * 0.693359375f;
}

/* The value a log of x takes at the special inputs: NaN below 0 (and for
 * NaN), -inf at +-0, +inf at +inf; `ok` when x is none of them. */
static inline float log_special(float x, int *ok) {
  *ok = x > 0 && x < INFINITY;
  return x == 0 ? -INFINITY : x == INFINITY ? x : x > 0 ? 0.0f : NAN;
}

static inline float vlog1(float x) {
  int ok;
  float s = log_special(x, &ok);
  float y = log_core(ok ? x : 1.0f);
  return ok ? y : s;
}

/* log(1 + x): u = 1 + x rounds, and c = x - (u - 1) is exactly what the
 * rounding lost (u - 1 is exact by Sterbenz's lemma near 1, and c
 * negligible elsewhere), so log(1 + x) = log(u) + log(1 + c/u) ~ log(u) +
 * c/u. For |x| below 2^-24, u = 1 and the result is c = x. */
static inline float vlog1p1(float x) {
  float u = 1.0f + x;
  int ok;
  float s = log_special(u, &ok);
  float v = ok ? u : 1.0f;
  float c = ok ? x - (v - 1.0f) : 0.0f;
  float y = log_core(v) + c / v;
  y = ok ? y : s;
  return x == 0 ? x : y; /* keeps -0 */
}

/* sin(x) (cosine = 0) or cos(x) (cosine = 1) for |x| <= LN_VTRIG_MAX: the
 * reduction x = j pi/2 + r in double, pi/2 in two parts, the first with 33
 * bits so that j pi/2_1 is exact for |j| < 2^20 (fdlibm's split), which
 * leaves r exact to far below float precision; then Cephes' float
 * polynomials for sin and cos on |r| <= pi/4, and the quadrant j (plus one
 * for cosine) picks +-sin r or +-cos r. (Double polynomials gave 0.56 ulp
 * instead of 1.5, at 1.7 times the time.) */
static inline float trig_core(float xf, int cosine) {
  const double magic = 6755399441055744.0; /* 1.5 2^52 */
  double x = xf;
  double jd = (x * 0.63661977236758134308 + magic) - magic;
  int32_t q = (int32_t)jd + cosine;
  double r = (x - jd * 1.57079632673412561417e+00) - jd * 6.07710050650619224932e-11;
  float rf = (float)r, z = rf * rf;
  float sp = -1.9515295891e-4f;
  sp = sp * z + 8.3321608736e-3f;
  sp = sp * z + -1.6666654611e-1f;
  float sn = rf + rf * z * sp;
  float cp = 2.443315711809948e-5f;
  cp = cp * z + -1.388731625493765e-3f;
  cp = cp * z + 4.166664568298827e-2f;
  float cs = 1.0f - 0.5f * z + z * z * cp;
  float v = q & 1 ? cs : sn;
  float y = (float)(q & 2 ? -v : v);
  return !cosine && xf == 0 ? xf : y; /* sin(-0) = -0 */
}

/* Blocks of the trig kernels: the vector loop flags arguments it cannot
 * reduce exactly (huge, infinite, NaN), which then go to libm. The block
 * buffer keeps x intact for that until y (which may be x) is written. */
#define TRIG_BLOCK 256

static void trig(float *y, const float *x, size_t n, int cosine) {
  float buf[TRIG_BLOCK];
  for (size_t i0 = 0; i0 < n; i0 += TRIG_BLOCK) {
    size_t m = n - i0 < TRIG_BLOCK ? n - i0 : TRIG_BLOCK;
    const float *xb = x + i0;
    int far = 0;
#pragma omp simd reduction(| : far)
    for (size_t i = 0; i < m; i++) {
      int f = !(fabsf(xb[i]) <= LN_VTRIG_MAX);
      far |= f;
      buf[i] = trig_core(f ? 0.0f : xb[i], cosine);
    }
    if (far)
      for (size_t i = 0; i < m; i++)
        if (!(fabsf(xb[i]) <= LN_VTRIG_MAX)) buf[i] = cosine ? cosf(xb[i]) : sinf(xb[i]);
    memcpy(y + i0, buf, m * sizeof *buf);
  }
}

/* tanh(a), a = |x|. Below atanh(1/2) an odd polynomial x + x^3 P(x^2)
 * (least-squares fit, relative error 4e-9): the x^3 part is under a tenth of
 * the result, so rounding in P barely shows. Above it 1 - 2/(e^2a + 1): the
 * result is in [1/2, 1) and the subtracted part at most 1/2, so no digits
 * cancel. */
static inline float vtanh1(float x) {
  float a = fabsf(x), a2 = a * a;
  float p = -0.00627783407f;
  p = p * a2 + 0.0210737269f;
  p = p * a2 + -0.0538526513f;
  p = p * a2 + 0.133325875f;
  p = p * a2 + -0.333333164f;
  float small = a + a * a2 * p;
  float e = exp_core(-2.0f * (a < 10.0f ? a : 10.0f)); /* tanh(10) rounds to 1 */
  float large = 1.0f - 2.0f * e / (1.0f + e);
  float y = a < 0.549306144f ? small : large;
  y = x < 0 ? -y : y; /* odd by construction */
  return x == 0 || x != x ? x : y; /* keeps -0 and NaN */
}

/* 1/(1 + e^-x) without overflow: with e = e^-|x| in (0, 1], it is 1/(1 + e)
 * for x >= 0 and e/(1 + e) for x < 0, which keeps full relative accuracy for
 * the tiny outputs of very negative x (where 1 - sigmoid(-x) would not). */
static inline float vsigmoid1(float x) {
  float e = exp_core(-fabsf(x));
  float y = (x < 0 ? e : 1.0f) / (1.0f + e);
  return x != x ? x : y;
}

#define MAP(NAME, F)                                         \
  void NAME(float *y, const float *x, size_t n) {            \
    _Pragma("omp simd")                                      \
    for (size_t i = 0; i < n; i++) y[i] = F(x[i]);           \
  }
MAP(ln_vexp, vexp1)
MAP(ln_vlog, vlog1)
MAP(ln_vlog1p, vlog1p1)
MAP(ln_vtanh, vtanh1)
MAP(ln_vsigmoid, vsigmoid1)

void ln_vsin(float *y, const float *x, size_t n) { trig(y, x, n, 0); }
void ln_vcos(float *y, const float *x, size_t n) { trig(y, x, n, 1); }

/* sqrt(x) + 0 turns sqrt(-0) = -0 into pow's +0; pow(-inf, +-1/2) is +inf
 * and +0 where sqrt gives NaN. */
static inline float pow_half(float x) { return x == -INFINITY ? INFINITY : sqrtf(x) + 0.0f; }

void ln_vpow_scalar(float *y, const float *x, float p, size_t n) {
  if (p == 1.0f) memmove(y, x, n * sizeof *y);
#define EACH(EXPR) \
  { _Pragma("omp simd") for (size_t i = 0; i < n; i++) { float v = x[i]; y[i] = (EXPR); } }
  else if (p == 0.0f) EACH(((void)v, 1.0f)) /* 1 even for NaN, as C99's pow */
  else if (p == 2.0f) EACH(v * v)
  else if (p == 3.0f) EACH(v * v * v)
  else if (p == -1.0f) EACH(1.0f / v)
  else if (p == -2.0f) EACH((1.0f / v) * (1.0f / v)) /* no early underflow */
  else if (p == 0.5f) EACH(pow_half(v))
  else if (p == -0.5f) EACH(1.0f / pow_half(v))
  else for (size_t i = 0; i < n; i++) y[i] = powf(x[i], p);
#undef EACH
}

#define REF(NAME, EXPR) \
  void NAME(float *y, const float *x, size_t n) { for (size_t i = 0; i < n; i++) y[i] = (EXPR); }
REF(ln_vexp_ref, expf(x[i]))
REF(ln_vlog_ref, logf(x[i]))
REF(ln_vlog1p_ref, log1pf(x[i]))
REF(ln_vsin_ref, sinf(x[i]))
REF(ln_vcos_ref, cosf(x[i]))
REF(ln_vtanh_ref, tanhf(x[i]))
REF(ln_vsigmoid_ref, 1.0f / (1.0f + expf(-x[i])))

void ln_vpow_scalar_ref(float *y, const float *x, float p, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = powf(x[i], p);
}
