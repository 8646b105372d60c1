/* vmath.h: float math over arrays, written as plain loops GCC vectorizes
 * (no intrinsics: the same C builds for any -march), with the libm loops
 * they are tested against beside them.
 *
 * Each fast kernel SETS y[0..n) = f(x[0..n)); y may be x (in place), other
 * overlap is not allowed. NaN gives NaN, infinities and signed zeros give
 * what C99's libm gives. Worst errors against double precision over
 * tests/core/test_vmath.c's sweeps (random, edge and dense inputs) are in
 * that file's output; all are within 2 ulp but sigmoid (2.2). sin and cos reduce their
 * argument in double, exactly enough up to |x| = LN_VTRIG_MAX, and call libm
 * beyond it (and for infinities and NaN). */
#ifndef LN_VMATH_H
#define LN_VMATH_H

#include <stddef.h>

#define LN_VTRIG_MAX 1e6f

void ln_vexp(float *y /* (n) */, const float *x /* (n) */, size_t n);
void ln_vlog(float *y /* (n) */, const float *x /* (n) */, size_t n);
void ln_vlog1p(float *y /* (n) */, const float *x /* (n) */, size_t n);
void ln_vsin(float *y /* (n) */, const float *x /* (n) */, size_t n);
void ln_vcos(float *y /* (n) */, const float *x /* (n) */, size_t n);
void ln_vtanh(float *y /* (n) */, const float *x /* (n) */, size_t n);
/* 1 / (1 + e^-x), accurate in relative terms for tiny outputs too. */
void ln_vsigmoid(float *y /* (n) */, const float *x /* (n) */, size_t n);
/* x^p for one exponent p: the direct forms for p = 0, 1, 2, 3, -1, -2, 0.5
 * and -0.5 (as PyTorch's), powf for any other. */
void ln_vpow_scalar(float *y /* (n) */, const float *x /* (n) */, float p, size_t n);

/* The references: one libm call per element (expf, logf, log1pf, sinf,
 * cosf, tanhf, 1/(1+expf(-x)), powf). */
void ln_vexp_ref(float *y, const float *x, size_t n);
void ln_vlog_ref(float *y, const float *x, size_t n);
void ln_vlog1p_ref(float *y, const float *x, size_t n);
void ln_vsin_ref(float *y, const float *x, size_t n);
void ln_vcos_ref(float *y, const float *x, size_t n);
void ln_vtanh_ref(float *y, const float *x, size_t n);
void ln_vsigmoid_ref(float *y, const float *x, size_t n);
void ln_vpow_scalar_ref(float *y, const float *x, float p, size_t n);

#endif
