/* check.h: a tiny test harness for the C tests.
 * Each test binary ends with one line "N passed, N failed" (tests/run.sh
 * adds them up) and exits 1 when anything failed. */
#ifndef LN_CHECK_H
#define LN_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond, ...) do {                                           \
    if (cond) check_passed++;                                           \
    else {                                                              \
      check_failed++;                                                   \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);   \
      fprintf(stderr, __VA_ARGS__);                                     \
      fputc('\n', stderr);                                              \
    }                                                                   \
  } while (0)

/* |got - want| <= tol * max(1, |want|): relative for large, absolute near 0. */
#define CHECK_CLOSE(got, want, tol) do {                                 \
    double g_ = (got), w_ = (want);                                      \
    double d_ = fabs(g_ - w_), s_ = fabs(w_) > 1 ? fabs(w_) : 1;         \
    CHECK(d_ <= (tol) * s_, "got %.9g want %.9g (diff %.3g)", g_, w_, d_); \
  } while (0)

/* Spacing of floats at |y| (y rounded to float first): the ulp float
 * errors are counted in; subnormals all have 2^-149. */
static inline double ulp_of(double y) {
  y = fabs((double)(float)y);
  if (y < 0x1p-126) return 0x1p-149;
  int e;
  frexp(y, &e); /* y in [2^(e-1), 2^e) */
  return ldexp(1.0, e - 24);
}

static inline int check_summary(void) {
  printf("%d passed, %d failed\n", check_passed, check_failed);
  return check_failed ? 1 : 0;
}

#endif
