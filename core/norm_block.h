/* norm_block.h: the one kernel behind LayerNorm, GroupNorm and InstanceNorm:
 * normalize contiguous blocks of a contiguous input, then an affine per
 * element or per channel.
 *
 * The input is nb blocks of len values each; block b is normalized with its
 * own mean and biased variance (or with given statistics), xhat = (x - mean)
 * rstd, rstd = 1/sqrt(var + eps), and y = w[k] xhat + bias[k], where the
 * affine index of value q of block b is
 *   k = (b % nper) nseg + q / inner.
 * LayerNorm: a block per sample, inner 1, nseg len, nper 1 (k = q);
 * GroupNorm: a block per (n, group), inner S = H W, nseg C/G, nper G;
 * InstanceNorm: a block per (n, c), inner S, nseg 1, nper C (k = c).
 * Statistics accumulate in double. */
#ifndef LN_NORM_BLOCK_H
#define LN_NORM_BLOCK_H

#include "module.h"

typedef struct ln_norm_geom {
  size_t nb, len;           /* blocks, values per block */
  size_t inner, nseg, nper;  /* the affine index, above */
} ln_norm_geom;

typedef struct ln_norm ln_norm;
/* A layer's view of its input as blocks: LN_ERR after ln_fail on a shape it
 * does not take. */
typedef int (*ln_norm_geom_fn)(const ln_norm *nm, const ln_tensor *in, ln_norm_geom *g);

/* What the three layers share; each embeds it first. */
struct ln_norm {
  ln_module base;
  ln_norm_geom_fn geom;
  double eps;
  int affine;          /* param[0] weight (init 1), param[1] bias (init 0) */
  size_t naff;         /* elements of weight and bias */
  int batch_stats;     /* the last forward used its input's statistics */
  size_t cap;          /* blocks `stats` has room for */
  double *stats;       /* (3, cap): mean, rstd and biased variance per block */
  double *acc;         /* (2, naff): sum(dy xhat), sum(dy) per affine index */
};

/* ---- kernels ---- */

/* SETS mean, rstd and var of each block. */
void ln_norm_stats(double *mean,     /* (nb) */
                   double *rstd,     /* (nb) */
                   double *var,      /* (nb) */
                   const float *x,   /* (nb, len) */
                   size_t nb, size_t len, double eps);

/* SETS out = w[k] (x - mean) rstd + bias[k] (w, bias NULL: 1 and 0). */
void ln_norm_forward(float *out,          /* (nb, len) */
                     const float *x,      /* (nb, len) */
                     const double *mean,  /* (nb) */
                     const double *rstd,  /* (nb) */
                     const float *w,      /* (nper nseg) or NULL */
                     const float *bias,   /* (nper nseg) or NULL */
                     const ln_norm_geom *g);

/* SETS acc = (sum dy xhat, sum dy) per affine index, and (dx not NULL) dx:
 * with batch statistics (batch_stats), dx = rstd (dxh - mean(dxh) - xhat
 * mean(dxh xhat)) over the block, dxh = w[k] dy; with constant ones, dx =
 * rstd dxh. */
void ln_norm_backward(float *dx,           /* (nb, len) or NULL */
                      double *acc,         /* (2, nper nseg) */
                      const float *dy,     /* (nb, len) */
                      const float *x,      /* (nb, len) */
                      const double *mean,  /* (nb) */
                      const double *rstd,  /* (nb) */
                      const float *w,      /* (nper nseg) or NULL */
                      const ln_norm_geom *g, int batch_stats);

/* ---- the module side ---- */

/* Base set-up: eps checked (finite, > 0; messages name ops->tag), weight
 * and bias of that shape (naff elements) when affine. LN_ERR after ln_fail;
 * the caller then releases the module. */
int ln_norm_init(ln_norm *nm, const ln_module_ops *ops, ln_norm_geom_fn geom, double eps,
                 int affine, int ndim, const size_t *shape);
/* Forward of in as g: output resized (and the statistics' room, both only
 * when the shape grows or changes), statistics from in, or, when rmean is
 * given, from running ones (rmean, rvar indexed by b % nper). */
int ln_norm_run_forward(ln_norm *nm, const ln_tensor *in, const ln_norm_geom *g,
                        const float *rmean, const float *rvar);
/* The ops of a kind normalizing with its input's statistics only: forward,
 * and backward after ln_norm_run_forward of the same input (sets
 * grad_input unless skip_grad_input, ADDS into the weight and bias
 * gradients), and destroy. */
int ln_norm_forward_op(ln_module *m, const ln_tensor *in);
int ln_norm_backward_op(ln_module *m, const ln_tensor *in, const ln_tensor *dout);
void ln_norm_destroy(ln_module *m);

#endif
