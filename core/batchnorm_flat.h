/* batchnorm_flat.h: BatchNorm's passes over (N,C) input (batchnorm.c drives
 * them; (N,C,S) with S > 1 is batchnorm_4d.h's), and the same passes fused
 * with a following ReLU (Sequential, see sequential.c).
 *
 * A row of C = 30 values (the seed) is too short for the vector units, so
 * rows go in blocks of rep rows, rep C a multiple of 16 floats (ln_bnf_rep),
 * each block one flat loop over per-element arrays: per-channel values
 * repeated rep times (spread) and rep partial sums per channel, folded at the
 * end. Where rep C is a multiple of 16 and under 256 the blocks are walked
 * one column of 16 at a time in vector registers, wider blocks row by row
 * (the same bits either way).
 *
 * Large inputs (ln_bnf_seg_size) are split between the worker threads of
 * par.h: the sums in a fixed number of segments of rows, whatever the thread
 * count, each segment's partial sums added in segment order (the same bits on
 * any thread count); the affine pass in disjoint rows. */
#ifndef LN_BATCHNORM_FLAT_H
#define LN_BATCHNORM_FLAT_H

#include <stddef.h>

/* The rows per block for c channels: the smallest rep with rep c a multiple
 * of 16, or 1 for c > 256. */
size_t ln_bnf_rep(size_t c);
/* Copy the first c values into the rep - 1 blocks after them. */
void ln_bnf_spread_d(double *p, size_t c, size_t rep);
void ln_bnf_spread_f(float *p, size_t c, size_t rep);

/* The doubles of segment scratch ln_bnf_sums needs for (n, c): 0 when the
 * input is small enough for one thread (then seg may be NULL). */
size_t ln_bnf_seg_size(size_t n, size_t c, size_t rep);

/* Per channel: s1 = sum(u - k), s2 = sum((u - k)^2) when v is NULL, else
 * s1 = sum(v'), s2 = sum(v' (u - k)) with v' = v, or with y given, v' =
 * ReLU's gradient (y <= 0 ? 0 : v: y is ReLU's input, v its grad_output),
 * which is also SET into g. Without v, k must hold float values (the
 * forward's shift is an input value). SETS s1, s2 (their first c values
 * hold the sums; the rest is scratch). */
void ln_bnf_sums(double *s1,       /* (rep*C) */
                 double *s2,       /* (rep*C) */
                 const double *k,  /* (rep*C) spread */
                 float *f,         /* (3*rep*C) scratch */
                 double *seg,      /* (ln_bnf_seg_size) scratch, or NULL when 0 */
                 const float *u,   /* (N,C) */
                 const float *v,   /* (N,C) or NULL */
                 const float *y,   /* (N,C) or NULL */
                 float *g,         /* (N,C) when y is given */
                 size_t n, size_t c, size_t rep);

/* SETS out = a u + b (x - mu) + d per channel (a NULL: no u term; u may be
 * x), and with relu given also relu = max(out, 0) as ReLU's forward (NaN
 * passes). The coefficients are spread. With colsum given (only where
 * ln_bnf_colsum_ok), also SETS colsum to out's column sums in blocks of rep
 * rows: colsum[j] = sum over blocks b of out[b rep C + j], in float, block
 * after block from 0 (Linear's bias gradient, linear.h's ln_linear_colsum,
 * when its width rep C is this). */
void ln_bnf_affine(float *out,       /* (N,C) */
                   float *relu,      /* (N,C) or NULL */
                   float *colsum,    /* (rep*C) or NULL */
                   const float *u,   /* (N,C) */
                   const float *x,   /* (N,C) */
                   const float *a,   /* (rep*C) or NULL */
                   const float *b,   /* (rep*C) */
                   const float *mu,  /* (rep*C) */
                   const float *d,   /* (rep*C) */
                   size_t n, size_t c, size_t rep);
/* Whether ln_bnf_affine can give column sums for (n, c): blocks of whole
 * vector columns, and one thread (the order of the sums). */
int ln_bnf_colsum_ok(size_t n, size_t c, size_t rep);

#endif
