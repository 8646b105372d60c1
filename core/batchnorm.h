/* batchnorm.h: batch normalization with PyTorch's BatchNorm1d/2d semantics.
 *
 * Input (N,C) is normalized per feature over N; (N,C,L) and (N,C,H,W) per
 * channel over N and the trailing dimensions. Training normalizes with the
 * batch mean and biased variance and updates
 *   running_mean = (1-m) running_mean + m mean
 *   running_var  = (1-m) running_var  + m unbiased_var      (n/(n-1))
 * (m = momentum); evaluation normalizes with the running statistics. When
 * affine, y = weight * xhat + bias (param[0] weight init 1, param[1] bias
 * init 0); otherwise there are no parameters. buf[0] = running_mean (init 0),
 * buf[1] = running_var (init 1). Statistics accumulate in double.
 *
 * momentum NaN (false in Lua: PyTorch's momentum=None) is the cumulative
 * moving average, m = 1/num_batches_tracked, counted in buf[2]
 * num_batches_tracked (1 value) after the batch is counted. Without
 * track_running_stats there are no buffers and evaluation normalizes with
 * the batch statistics too. */
#ifndef LN_BATCHNORM_H
#define LN_BATCHNORM_H

#include "module.h"

typedef struct ln_batchnorm {
  ln_module base;
  size_t nfeat;
  double eps, momentum;  /* momentum NaN: cumulative */
  int affine;
  int track;        /* track_running_stats */
  /* What the last forward normalized with, for backward: */
  int batch_stats;  /* 1: batch statistics (training), 0: running ones */
  double *mean;     /* (C) */
  double *invstd;   /* (C) 1/sqrt(var + eps) */
  /* Scratch for (N,C) input, seen as blocks of `rep` rows: per-channel
   * values repeated rep times, so each block is one flat loop of rep*C
   * elements with no remainder (see batchnorm.c). */
  size_t rep;
  double *work;     /* (3, rep*C) a shift or mean, and two sums */
  float *coef;      /* (4, rep*C) coefficients of the elementwise passes */
  double *seg;      /* (capseg) the threaded sums' segments (batchnorm_flat.h) */
  size_t capseg;
  /* SyncBatchNorm (batchnorm_sync.h): statistics over every rank's batch. */
  int sync;
  double *sync_buf; /* (2C+1) the reduction's buffer, or NULL */
} ln_batchnorm;

/* Fields num_features (positional), eps, momentum, affine,
 * track_running_stats, sync (options); params weight, bias (when affine);
 * buffers running_mean, running_var (when tracking), num_batches_tracked
 * (when tracking with momentum NaN). */
extern const ln_module_ops ln_batchnorm_ops;

/* eps >= 0, momentum in [0, 1] or NaN; tracking the running statistics. */
ln_module *ln_batchnorm_new(size_t num_features, double eps, double momentum, int affine);
/* The same, tracking them or not. */
ln_module *ln_batchnorm_new_track(size_t num_features, double eps, double momentum, int affine,
                                  int track_running_stats);

/* Sequential's fusion with a following ReLU (sequential.c), for (N,C) input
 * only: the forward SETS m->output and relu (the ReLU's output: ReLU's
 * forward of m->output) in one pass; the backward takes dout, the ReLU's
 * grad_output, SETS relu_grad (the ReLU's grad_input, from m->output as the
 * ReLU's input) and m->grad_input, and with colsum given (rep*C floats, rep
 * being bn->rep; only where ln_batchnorm_colsum_width) grad_input's column sums
 * for the bias gradient of a Linear before (linear.h). The same bits as the
 * modules one after the other; the checks and errors of BatchNorm's own
 * forward and backward. */
int ln_batchnorm_forward_relu(ln_module *m, const ln_tensor *in, ln_tensor *relu);
int ln_batchnorm_backward_relu(ln_module *m, const ln_tensor *in, const ln_tensor *dout,
                               ln_tensor *relu_grad, float *colsum);
/* Whether the backward can give column sums for n rows, and their width
 * (rep*C) for Linear's ln_linear_colsum_width to match; 0 when it cannot. */
size_t ln_batchnorm_colsum_width(const ln_module *m, size_t n);

#endif
