/* batchnorm_4d.h: the per-channel passes of BatchNorm on (N,C,S) input,
 * S > 1 the product of the trailing dimensions (S = H*W for images);
 * batchnorm.c drives them (statistics, running averages, coefficients).
 *
 * The fast passes (vectorized, on the worker threads of par.h when more
 * than one thread is asked for) give the same bits on any thread count:
 * sums split channels between the workers, each channel's sum made by one
 * worker in one order; the affine pass splits planes. The _ref versions are
 * the plain loops (sums in double element by element) the tests compare
 * the fast ones against. */
#ifndef LN_BATCHNORM_4D_H
#define LN_BATCHNORM_4D_H

#include <stddef.h>

/* SETS, per channel j: s1 = sum(u - k), s2 = sum((u - k)^2) when v is NULL,
 * else s1 = sum(v), s2 = sum(v (u - k)); sums over the N planes of S.
 * Without v, k must hold float values (the forward's shift is an input
 * value): the fast sums take u - k in float. */
void ln_bn4d_sums(double *s1,       /* (C) */
                  double *s2,       /* (C) */
                  const double *k,  /* (C) */
                  const float *u,   /* (N,C,S) */
                  const float *v,   /* (N,C,S) or NULL */
                  size_t n, size_t c, size_t s);
void ln_bn4d_sums_ref(double *s1, double *s2, const double *k, const float *u,
                      const float *v, size_t n, size_t c, size_t s);

/* SETS out = a u + b (x - mu) + d per channel (a NULL: no u term; u may be
 * x). The fast pass and the reference give the same bits. */
void ln_bn4d_affine(float *out,       /* (N,C,S) */
                    const float *u,   /* (N,C,S) */
                    const float *x,   /* (N,C,S) */
                    const float *a,   /* (C) or NULL */
                    const float *b,   /* (C) */
                    const float *mu,  /* (C) */
                    const float *d,   /* (C) */
                    size_t n, size_t c, size_t s);
void ln_bn4d_affine_ref(float *out, const float *u, const float *x, const float *a,
                        const float *b, const float *mu, const float *d, size_t n, size_t c,
                        size_t s);

#endif
