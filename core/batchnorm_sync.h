/* batchnorm_sync.h: SyncBatchNorm, BatchNorm's statistics over the batches
 * of every rank of an MPI job (dist.h), as PyTorch's SyncBatchNorm.
 *
 * The forward all-reduces each channel's sum, sum of squares and the count,
 * so every rank normalizes with the mean and variance of the global batch,
 * and the running statistics take the unbiased variance with the global
 * count (they stay equal on every rank). The backward all-reduces the two
 * sums its input gradient needs, sum(dy) and sum(dy (x - mean)); the weight
 * and bias gradients stay this rank's own (DataParallel averages them, as
 * PyTorch's DDP does). In evaluation nothing is reduced. In a job of one
 * process it is BatchNorm. */
#ifndef LN_BATCHNORM_SYNC_H
#define LN_BATCHNORM_SYNC_H

#include "batchnorm.h"

/* Turns synchronization on or off (allocating its buffer). */
int ln_batchnorm_set_sync(ln_module *m, int on);

/* Forward: k (C), this rank's shift; s1, s2 (C) its sums of (x - k) and
 * (x - k)^2 over *cnt values per channel. SETS s1, s2 to the sums over
 * every rank of x and x^2, k to 0 and *cnt to the global count. */
int ln_batchnorm_sync_stats(ln_batchnorm *bn, double *k, double *s1, double *s2, size_t *cnt);
/* Backward: sdy, sdyx (C) SET to their sums over every rank, *cnt to the
 * global count of the last forward. */
int ln_batchnorm_sync_grads(ln_batchnorm *bn, double *sdy, double *sdyx, double *cnt);

#endif
