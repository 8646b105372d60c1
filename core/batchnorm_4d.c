/* batchnorm_4d.c: BatchNorm's passes over (N,C,S) with S > 1 (see
 * batchnorm_4d.h): the reference net's BatchNorm after each convolution
 * spent a sixth of its one-thread training step in the element-by-element
 * double sums of the reference below.
 *
 * The fast sums take each plane (S values of one image and channel) in
 * float vectors, lane partial sums of at most S/8 values, and add each
 * plane's total into double: float vectors are eight wide, and the shift k
 * (close to the mean) keeps the float terms small. The affine pass is
 * already a vector loop; it is only split between the workers. */
#include "batchnorm_4d.h"

#include "par.h"

/* Below this many elements one thread does it all (a wake-up would cost
 * more than it saves). */
#define PAR_MIN 32768

void ln_bn4d_sums_ref(double *s1, double *s2, const double *k, const float *u,
                      const float *v, size_t n, size_t c, size_t s) {
  for (size_t j = 0; j < c; j++) s1[j] = s2[j] = 0;
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < c; j++) {
      size_t at = (i * c + j) * s;
      const float *up = u + at, *vp = v ? v + at : NULL;
      double a = 0, b = 0, kj = k[j];
      if (!vp) {
        for (size_t q = 0; q < s; q++) {
          double d = (double)up[q] - kj;
          a += d;
          b += d * d;
        }
      } else {
        for (size_t q = 0; q < s; q++) {
          a += vp[q];
          b += (double)vp[q] * ((double)up[q] - kj);
        }
      }
      s1[j] += a;
      s2[j] += b;
    }
  }
}

typedef struct sums_job {
  double *s1, *s2;
  const double *k;
  const float *u, *v;
  size_t n, c, s;
} sums_job;

/* Channels [lo, hi). sum(v (u - k)) is taken against k rounded to float
 * and corrected back to k exactly: + (kf - k) sum(v); without v, k is a
 * float already. */
static void sums_channels(void *ctx, size_t lo, size_t hi, int w) {
  (void)w;
  const sums_job *J = ctx;
  size_t s = J->s;
  for (size_t j = lo; j < hi; j++) {
    double t1 = 0, t2 = 0;
    float kf = (float)J->k[j];
    for (size_t i = 0; i < J->n; i++) {
      size_t at = (i * J->c + j) * s;
      const float *up = J->u + at;
      float a = 0, b = 0;
      if (!J->v) {
#pragma omp simd reduction(+:a, b)
        for (size_t q = 0; q < s; q++) {
          float d = up[q] - kf;
          a += d;
          b += d * d;
        }
      } else {
        const float *vp = J->v + at;
#pragma omp simd reduction(+:a, b)
        for (size_t q = 0; q < s; q++) {
          a += vp[q];
          b += vp[q] * (up[q] - kf);
        }
      }
      t1 += a;
      t2 += b;
    }
    if (J->v) t2 += ((double)kf - J->k[j]) * t1;
    J->s1[j] = t1;
    J->s2[j] = t2;
  }
}

void ln_bn4d_sums(double *s1, double *s2, const double *k, const float *u, const float *v,
                  size_t n, size_t c, size_t s) {
  sums_job J = {s1, s2, k, u, v, n, c, s};
  int workers = n * c * s < PAR_MIN ? 1 : ln_par_workers(c, 1);
  ln_parallel(workers, c, sums_channels, &J);
}

/* ---- the affine pass ---- */

typedef struct affine_job {
  float *out;
  const float *u, *x, *a, *b, *mu, *d;
  size_t c, s;
} affine_job;

/* Planes [lo, hi) of the (N*C) planes. */
static void affine_planes(void *ctx, size_t lo, size_t hi, int w) {
  (void)w;
  const affine_job *J = ctx;
  for (size_t pl = lo; pl < hi; pl++) {
    size_t j = pl % J->c, at = pl * J->s;
    const float *up = J->u + at, *xp = J->x + at;
    float *o = J->out + at;
    float aj = J->a ? J->a[j] : 0, bj = J->b[j], mj = J->mu[j], dj = J->d[j];
    for (size_t q = 0; q < J->s; q++) o[q] = aj * up[q] + bj * (xp[q] - mj) + dj;
  }
}

void ln_bn4d_affine_ref(float *out, const float *u, const float *x, const float *a,
                        const float *b, const float *mu, const float *d, size_t n, size_t c,
                        size_t s) {
  affine_job J = {out, u, x, a, b, mu, d, c, s};
  affine_planes(&J, 0, n * c, 0);
}

void ln_bn4d_affine(float *out, const float *u, const float *x, const float *a,
                    const float *b, const float *mu, const float *d, size_t n, size_t c,
                    size_t s) {
  affine_job J = {out, u, x, a, b, mu, d, c, s};
  size_t planes = n * c, grain = s >= PAR_MIN / 2 ? 1 : PAR_MIN / 2 / s;
  ln_parallel(ln_par_workers(planes, grain), planes, affine_planes, &J);
}
