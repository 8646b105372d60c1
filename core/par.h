/* par.h: the core's worker threads (par.c), one pool for every threaded
 * kernel: the convolutions and the layers around them (BatchNorm on
 * (N,C,S), pooling, ReLU). The thread count is the one the user asks for
 * (ln_set_num_threads, lunet.set_num_threads); OpenBLAS runs on one
 * thread, ln_gemm splitting the larger GEMMs between these workers.
 *
 * ln_parallel runs fn(ctx, lo, hi, w) over [0, n) in contiguous chunks
 * handed to whichever of workers w = 0..workers-1 is running (the caller
 * is worker 0 and may do it all): for kernels whose results do not depend
 * on which worker ran which items (disjoint outputs; w only picks a
 * worker's scratch space). ln_parallel_fixed gives worker w exactly
 * [w n / W, (w+1) n / W) in one call: for per-worker partial sums, added in
 * worker order afterwards, the same bits on every run.
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
void ln_parallel_fixed(int workers, size_t n,
                       void (*fn)(void *ctx, size_t lo, size_t hi, int w), void *ctx);

#endif
