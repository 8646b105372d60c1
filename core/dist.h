/* dist.h: collectives over the processes of an MPI job, on float buffers.
 *
 * Data-parallel training runs one process per core or machine, started by
 * mpirun; each one calls these with its own buffer, in the same order. The
 * MPI library is used only when lunet was built with it (LN_HAVE_MPI, the
 * Makefile's pkg-config test for ompi-c) and the process was started by a
 * launcher (mpirun sets OMPI_COMM_WORLD_SIZE; PMIx launchers PMIX_RANK).
 * Otherwise the job is one process: rank 0 of 1, and every collective is
 * the identity. Nothing touches MPI before the first call here.
 *
 * Ranks are 0-based in C (the bindings show them 1-based). Every function
 * initializes on first use and fails with ln_fail (the MPI library's own
 * message) instead of aborting: the communicator returns its errors. */
#ifndef LN_DIST_H
#define LN_DIST_H

#include <stddef.h>

typedef enum { LN_DIST_SUM, LN_DIST_MEAN, LN_DIST_MAX, LN_DIST_MIN } ln_dist_op;

/* Idempotent. Fails when started by a launcher of several processes and
 * lunet was built without MPI. */
int ln_dist_init(void);
/* After init (0 and 1 before it). */
int ln_dist_rank(void);
int ln_dist_size(void);
/* Seconds this process has spent in MPI collectives (waiting included),
 * by the clock and of this thread's CPU time (a wait spins a while, so the
 * CPU time holds some of the waiting). */
double ln_dist_seconds(void);
double ln_dist_cpu_seconds(void);
/* 1 when lunet was built with MPI. */
int ln_dist_built(void);

/* x (n) SETS the op over every rank's x, on every rank. */
int ln_dist_all_reduce(float *x, size_t n, ln_dist_op op);
/* x (n) SETS the sum over every rank's x (SyncBatchNorm's statistics). */
int ln_dist_sum_d(double *x, size_t n);
/* x (n) SETS root's x on every rank. */
int ln_dist_broadcast(float *x, size_t n, int root);
/* out (size, n) SETS every rank's x in rank order. */
int ln_dist_all_gather(float *out, const float *x, size_t n);
int ln_dist_barrier(void);

/* part[0..nparts), of len[i] floats each, laid end to end (DataParallel's
 * gradients; every rank gives the same lengths) SET scale times their sum
 * over the ranks, LN_DIST_SUM_CHUNK floats at a time: through memory the
 * ranks share when all of them, up to LN_DIST_SHM_MAX, run on one machine
 * (an MPI window), else with MPI_Allreduce on a buffer. The buffer is made
 * at the first call (a collective) and kept until finalize. */
#define LN_DIST_SUM_CHUNK ((size_t)1 << 20)  /* 4 MB a rank */
#define LN_DIST_SHM_MAX 64
int ln_dist_sum_parts(float *const *part, const size_t *len, size_t nparts, float scale);

/* Ends MPI after a clean run (no-op when it never started). Every rank must
 * call it. */
void ln_dist_finalize(void);
/* Ends the whole job at once with that status, when some rank failed and
 * the others may be waiting in a collective: for the executable's last
 * words only, never for a core function's error (no-op unless MPI runs
 * with more than one process). */
void ln_dist_abort(int status);

#endif
