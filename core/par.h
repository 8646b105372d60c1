/* par.h: the core's worker threads (par.c), one pool for every threaded
 * kernel: the convolutions and the layers around them (BatchNorm on
 * (N,C,S), pooling, ReLU). The thread count is the one the user asks for
 * (ln_set_num_threads, lunet.set_num_threads); OpenBLAS runs on one
 * thread, ln_gemm splitting the larger GEMMs between these workers.
 *
 * ln_parallel runs fn(ctx, lo, hi, w) for workers w = 0..workers-1 over a
 * fixed split of [0, n) into contiguous ranges (worker w gets
 * [w n / W, (w+1) n / W)), the caller being worker 0. The split depends only
 * on n and the worker count, so a kernel that writes disjoint ranges, or
 * adds partial results in worker order, gives the same bits on every run.
 * The threads start on first use (outside ln_malloc: a steady step still
 * allocates nothing) and sleep between calls; a call costs a wake-up, a few
 * microseconds, so kernels ask for threads only on work of tens of
 * microseconds or more (ln_par_workers' grain). A call from inside fn runs
 * on the calling thread alone. */
#ifndef LN_PAR_H
#define LN_PAR_H

#include <stddef.h>

#define LN_PAR_MAX 64  /* workers at most */

/* Workers for n items of which each worker should get at least grain (1 or
 * more): min(thread count, n / grain, LN_PAR_MAX), at least 1. */
int ln_par_workers(size_t n, size_t grain);

void ln_parallel(int workers, size_t n, void (*fn)(void *ctx, size_t lo, size_t hi, int w),
                 void *ctx);

#endif
