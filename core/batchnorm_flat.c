/* batchnorm_flat.c: BatchNorm's sums and affine pass over (N,C) input, in
 * blocks of rep rows (see batchnorm_flat.h), alone or fused with a ReLU.
 *
 * The column loops are written with v8.h's vectors: as plain loops over
 * 16 lanes GCC 12 vectorized the forward sums in pieces (scalar squares and
 * shuffles, ~3x slower). Every lane does the operations of the plain loop
 * in the same order (ISO C mode: no fused multiply-adds), so the vector and
 * the scalar code give the same bits. */
#include "batchnorm_flat.h"

#include <string.h>

#include "par.h"
#include "v8.h"

#define VEC 16  /* floats of a column: two vectors of 8 */

typedef ln_v8 v8;
typedef ln_v8i v8i;
#define ld ln_v8_load
#define st ln_v8_store

/* ReLU's gradient dr where y > 0 or y is NaN, else +0: y <= 0 ? 0 : dr. */
static inline v8 relu_grad(v8 y, v8 dr) {
  v8i z = y <= (v8){0};
  return (v8)((v8i)dr & ~z);
}
/* ReLU's forward: y < 0 ? 0 : y (NaN and -0 pass). */
static inline v8 relu_fwd(v8 y) {
  v8i z = y < (v8){0};
  return (v8)((v8i)y & ~z);
}

size_t ln_bnf_rep(size_t c) {
  size_t g = c, v = VEC;
  while (v) {  /* g = gcd(c, VEC) */
    size_t t = g % v;
    g = v;
    v = t;
  }
  return c > 256 ? 1 : VEC / g;
}

void ln_bnf_spread_d(double *p, size_t c, size_t rep) {
  for (size_t r = 1; r < rep; r++) memcpy(p + r * c, p, c * sizeof *p);
}

void ln_bnf_spread_f(float *p, size_t c, size_t rep) {
  for (size_t r = 1; r < rep; r++) memcpy(p + r * c, p, c * sizeof *p);
}

/* Adds the rep partial sums of each channel into the first c. */
static void fold(double *s, size_t c, size_t rep) {
  for (size_t r = 1; r < rep; r++)
    for (size_t j = 0; j < c; j++) s[j] += s[r * c + j];
}

/* Rows summed in float before the partial sums go into double: float
 * vectors are twice as wide, and 8 values per partial lose nothing that
 * matters next to the double totals. */
#define FLUSH 8

/* Inputs of at least this many elements (512 KiB: past a core's L2) go to
 * the worker threads, the sums in NSEG segments of blocks (fixed: the bits
 * must not depend on the thread count). Below it a pass takes ~10 us on one
 * thread, and the wake-ups cost more than the split saves: BatchNorm(256)
 * on 128 rows (32768 elements) took 42 us forward and backward on one
 * thread, 85 us on two (2 cores, load 1.8). */
#define PAR_MIN 131072
#define NSEG 8

static void flush(double *restrict s, v8 a0, v8 a1) {
  for (int q = 0; q < 8; q++) {
    s[q] += a0[q];
    s[8 + q] += a1[q];
  }
}

/* What the sums read (see ln_bnf_sums), for a range of full blocks of w
 * floats (w a multiple of VEC). */
typedef struct sums_in {
  const float *kf, *u, *v, *y;
  float *g;
  size_t w;
} sums_in;

/* ADDS into s1, s2 (w) the sums of blocks [b_lo, b_hi), one column of VEC
 * values at a time, the float partial sums in registers. */
static void sums_cols(double *restrict s1, double *restrict s2, const sums_in *in,
                      size_t b_lo, size_t b_hi) {
  /* Locals, not in->: a store through g could alias *in for the compiler. */
  const float *restrict kf = in->kf, *restrict u = in->u, *restrict v = in->v;
  const float *restrict y = in->y;
  float *restrict g = in->g;
  size_t w = in->w;
  for (size_t e0 = 0; e0 < w; e0 += VEC) {
    v8 k0 = ld(kf + e0), k1 = ld(kf + e0 + 8);
    for (size_t b0 = b_lo; b0 < b_hi; b0 += FLUSH) {
      size_t b1 = b_hi - b0 < FLUSH ? b_hi : b0 + FLUSH;
      v8 a10 = {0}, a11 = {0}, a20 = {0}, a21 = {0};
      for (size_t b = b0; b < b1; b++) {
        size_t at = b * w + e0;
        v8 u0 = ld(u + at), u1 = ld(u + at + 8);
        if (!v) {
          v8 d0 = u0 - k0, d1 = u1 - k1;
          a10 += d0;
          a11 += d1;
          a20 += d0 * d0;
          a21 += d1 * d1;
        } else {
          v8 v0 = ld(v + at), v1 = ld(v + at + 8);
          if (y) {
            v0 = relu_grad(ld(y + at), v0);
            v1 = relu_grad(ld(y + at + 8), v1);
            st(g + at, v0);
            st(g + at + 8, v1);
          }
          a10 += v0;
          a11 += v1;
          a20 += v0 * (u0 - k0);
          a21 += v1 * (u1 - k1);
        }
      }
      flush(s1 + e0, a10, a11);
      flush(s2 + e0, a20, a21);
    }
  }
}

/* Blocks of at least this many floats are walked row by row, not column
 * by column: a column's walk down rows of 256 or 1024 floats (1 or 4 KiB
 * apart) ran 25% slower than the row loops below (BatchNorm(256) on 128
 * rows, BatchNorm(1024) on 256), while the seed's blocks of 240 floats
 * run 20% faster by columns. Both give the same bits: each lane adds the
 * same values in the same chunks of FLUSH blocks. */
#define ROWWISE 256

/* ADDS into s1, s2 (w) the sums of rows [i_lo, i_hi) (i_lo a multiple of
 * rep), in chunks of FLUSH blocks from i_lo: float partials in f1, f2 (w)
 * added into double after each chunk. Any w. */
static void sums_rows(double *restrict s1, double *restrict s2, const sums_in *in,
                      float *restrict f1, float *restrict f2, size_t i_lo, size_t i_hi,
                      size_t c, size_t rep) {
  const float *restrict kf = in->kf, *u = in->u, *v = in->v, *y = in->y;
  float *g = in->g;
  size_t w = in->w, chunk = FLUSH * rep;
  for (size_t i0 = i_lo; i0 < i_hi; i0 += chunk) {
    size_t end = i_hi - i0 < chunk ? i_hi : i0 + chunk;
    for (size_t e = 0; e < w; e++) f1[e] = f2[e] = 0;
    for (size_t i = i0; i < end; i += rep) {
      size_t len = (end - i < rep ? end - i : rep) * c;
      const float *ub = u + i * c;
      if (!v) {
        for (size_t e = 0; e < len; e++) {
          float d = ub[e] - kf[e];
          f1[e] += d;
          f2[e] += d * d;
        }
      } else {
        const float *vb = v + i * c, *yb = y ? y + i * c : NULL;
        float *gb = y ? g + i * c : NULL;
        for (size_t e = 0; e < len; e++) {
          float ve = vb[e];
          if (yb) gb[e] = ve = yb[e] <= 0 ? 0.0f : ve;
          f1[e] += ve;
          f2[e] += ve * (ub[e] - kf[e]);
        }
      }
    }
    for (size_t e = 0; e < w; e++) {
      s1[e] += f1[e];
      s2[e] += f2[e];
    }
  }
}

/* The sums of the full blocks [b_lo, b_hi), by columns or by rows; f: 2 w
 * floats of scratch for the rows. */
static void sums_blocks(double *s1, double *s2, const sums_in *in, float *f, size_t b_lo,
                        size_t b_hi, size_t c, size_t rep) {
  if (in->w < ROWWISE) sums_cols(s1, s2, in, b_lo, b_hi);
  else sums_rows(s1, s2, in, f, f + in->w, b_lo * rep, b_hi * rep, c, rep);
}

/* One segment of the threaded sums: its own partial sums, from zero. */
typedef struct seg_job {
  const sums_in *in;
  double *seg;  /* (NSEG, 4, w): two sums in double, 2 w floats of scratch */
  size_t nb, c, rep;
} seg_job;

static void seg_run(void *ctx, size_t lo, size_t hi, int worker) {
  (void)worker;
  const seg_job *j = ctx;
  size_t w = j->in->w;
  for (size_t s = lo; s < hi; s++) {
    double *p1 = j->seg + s * 4 * w, *p2 = p1 + w;
    for (size_t e = 0; e < w; e++) p1[e] = p2[e] = 0;
    sums_blocks(p1, p2, j->in, (float *)(p2 + w), s * j->nb / NSEG, (s + 1) * j->nb / NSEG,
                j->c, j->rep);
  }
}

size_t ln_bnf_seg_size(size_t n, size_t c, size_t rep) {
  size_t w = rep * c;
  return n * c >= PAR_MIN && w % VEC == 0 ? NSEG * 4 * w : 0;
}

void ln_bnf_sums(double *restrict s1, double *restrict s2, const double *restrict k,
                 float *restrict f, double *seg, const float *u, const float *v,
                 const float *y, float *g, size_t n, size_t c, size_t rep) {
  size_t w = rep * c;
  float *kf = f, *f1 = f + w;
  for (size_t e = 0; e < w; e++) {
    s1[e] = s2[e] = 0;
    kf[e] = (float)k[e];
  }
  size_t full = w % VEC ? 0 : n / rep * rep;  /* rows done by sums_blocks */
  sums_in in = {kf, u, v, y, g, w};
  if (ln_bnf_seg_size(n, c, rep)) {
    seg_job j = {&in, seg, full / rep, c, rep};
    ln_parallel_fixed(ln_par_workers(NSEG, 1), NSEG, seg_run, &j);
    for (size_t s = 0; s < NSEG; s++)
      for (size_t e = 0; e < w; e++) {
        s1[e] += seg[s * 4 * w + e];
        s2[e] += seg[s * 4 * w + w + e];
      }
  } else if (full) {  /* else w % VEC != 0: the columns would run past w */
    sums_blocks(s1, s2, &in, f1, 0, full / rep, c, rep);
  }
  sums_rows(s1, s2, &in, f1, f1 + w, full, n, c, rep);
  if (v)  /* sum(v (u - k)) = sum(v (u - kf)) + (kf - k) sum(v) */
    for (size_t e = 0; e < w; e++) s2[e] += ((double)kf[e] - k[e]) * s1[e];
  fold(s1, c, rep);
  fold(s2, c, rep);
}

/* What the affine pass reads and writes (see ln_bnf_affine). */
typedef struct affine_in {
  float *out, *relu, *colsum;
  const float *u, *x, *a, *b, *mu, *d;
  size_t w;
} affine_in;

/* The affine pass on full blocks [b_lo, b_hi) of w floats (w a multiple of
 * VEC), one column of VEC values at a time: the coefficients of a column
 * stay in registers. */
static void affine_cols(const affine_in *p, size_t b_lo, size_t b_hi) {
  /* Locals, not p->: a store through out could alias *p for the compiler. */
  float *restrict out = p->out, *restrict relu = p->relu, *restrict colsum = p->colsum;
  const float *u = p->u, *x = p->x, *a = p->a;
  size_t w = p->w;
  for (size_t e0 = 0; e0 < w; e0 += VEC) {
    v8 a0 = {0}, a1 = {0};
    if (a) a0 = ld(a + e0), a1 = ld(a + e0 + 8);
    v8 b0 = ld(p->b + e0), b1 = ld(p->b + e0 + 8), m0 = ld(p->mu + e0), m1 = ld(p->mu + e0 + 8);
    v8 d0 = ld(p->d + e0), d1 = ld(p->d + e0 + 8), c0 = {0}, c1 = {0};
    for (size_t blk = b_lo; blk < b_hi; blk++) {
      size_t at = blk * w + e0;
      v8 o0, o1;
      if (!a) {
        o0 = b0 * (ld(x + at) - m0) + d0;
        o1 = b1 * (ld(x + at + 8) - m1) + d1;
      } else {
        o0 = a0 * ld(u + at) + b0 * (ld(x + at) - m0) + d0;
        o1 = a1 * ld(u + at + 8) + b1 * (ld(x + at + 8) - m1) + d1;
      }
      st(out + at, o0);
      st(out + at + 8, o1);
      if (relu) {
        st(relu + at, relu_fwd(o0));
        st(relu + at + 8, relu_fwd(o1));
      }
      if (colsum) {
        c0 += o0;
        c1 += o1;
      }
    }
    if (colsum) {
      st(colsum + e0, c0);
      st(colsum + e0 + 8, c1);
    }
  }
}

/* The affine pass on rows [i_lo, i_hi) (i_lo a multiple of rep), block by
 * block; colsum, when given, gets each block added. Any w. */
static void affine_rows(const affine_in *p, size_t i_lo, size_t i_hi, size_t c, size_t rep) {
  const float *a = p->a, *b = p->b, *mu = p->mu, *d = p->d;
  for (size_t i = i_lo; i < i_hi; i += rep) {
    size_t len = (i_hi - i < rep ? i_hi - i : rep) * c;
    const float *ub = p->u + i * c, *xb = p->x + i * c;
    float *o = p->out + i * c, *r = p->relu ? p->relu + i * c : NULL;
    if (!a)  /* the forward: no u term */
      for (size_t e = 0; e < len; e++) o[e] = b[e] * (xb[e] - mu[e]) + d[e];
    else
      for (size_t e = 0; e < len; e++) o[e] = a[e] * ub[e] + b[e] * (xb[e] - mu[e]) + d[e];
    if (r)
      for (size_t e = 0; e < len; e++) r[e] = o[e] < 0 ? 0.0f : o[e];
    if (p->colsum)
      for (size_t e = 0; e < len; e++) p->colsum[e] += o[e];
  }
}

/* The full blocks [b_lo, b_hi), by columns or by rows (see ROWWISE). */
typedef struct affine_job {
  const affine_in *p;
  size_t c, rep;
} affine_job;

static void affine_blocks(void *ctx, size_t lo, size_t hi, int worker) {
  (void)worker;
  const affine_job *j = ctx;
  if (j->p->w < ROWWISE) affine_cols(j->p, lo, hi);
  else affine_rows(j->p, lo * j->rep, hi * j->rep, j->c, j->rep);
}

int ln_bnf_colsum_ok(size_t n, size_t c, size_t rep) {
  return rep * c % VEC == 0 && n * c < PAR_MIN;
}

void ln_bnf_affine(float *out, float *relu, float *colsum, const float *u, const float *x,
                   const float *a, const float *b, const float *mu, const float *d, size_t n,
                   size_t c, size_t rep) {
  size_t w = rep * c, full = w % VEC ? 0 : n / rep * rep;  /* rows done by affine_blocks */
  affine_in p = {out, relu, colsum, u, x, a, b, mu, d, w};
  affine_job j = {&p, c, rep};
  if (colsum)
    for (size_t e = 0; e < w; e++) colsum[e] = 0;  /* the columns of no full block */
  if (n * c >= PAR_MIN && full && !colsum)
    ln_parallel(ln_par_workers(full / rep, FLUSH), full / rep, affine_blocks, &j);
  else if (full)  /* else w % VEC != 0: the columns would run past w */
    affine_blocks(&j, 0, full / rep, 0);
  affine_rows(&p, full, n, c, rep);
}
