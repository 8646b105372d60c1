/* v8.h: eight floats as one GCC/Clang vector, for the kernels whose running
 * sums or coefficients must live in registers (the direct convolutions,
 * BatchNorm's (N,C) passes, max pooling's 2x2 windows), which no form of
 * plain loop got GCC 12 to do.
 * Loads and stores go through memcpy: any alignment, no aliasing rules
 * broken. With FMA (-march=native here) ln_v8_fma is one fused instruction:
 * ISO C mode (-std=c99) forbids the compiler to fuse a * b + c itself, so
 * the plain operators give the bits of the scalar loop they replace. */
#ifndef LN_V8_H
#define LN_V8_H

#include <stdint.h>
#include <string.h>

typedef float ln_v8 __attribute__((vector_size(32)));
typedef int32_t ln_v8i __attribute__((vector_size(32)));

static inline ln_v8 ln_v8_load(const float *p) {
  ln_v8 v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void ln_v8_store(float *p, ln_v8 v) { memcpy(p, &v, sizeof v); }
static inline ln_v8 ln_v8_splat(float x) { return (ln_v8){x, x, x, x, x, x, x, x}; }
/* a b + c */
static inline ln_v8 ln_v8_fma(ln_v8 a, ln_v8 b, ln_v8 c) {
#ifdef __FMA__
  return __builtin_ia32_vfmaddps256(a, b, c);
#else
  return a * b + c;
#endif
}

#endif
