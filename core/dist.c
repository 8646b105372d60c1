/* dist.c: the collectives of dist.h over MPI, or over one process.
 *
 * The job's processes talk on a duplicate of MPI_COMM_WORLD whose errors
 * come back as return codes (MPI_ERRORS_RETURN), turned into ln_fail
 * messages with MPI_Error_string. MPI counts are ints, so long buffers go
 * in chunks. Built without MPI (no LN_HAVE_MPI), only the one-process job
 * exists. */
#include "dist.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"

#ifdef LN_HAVE_MPI
#include <dlfcn.h>
#include <mpi.h>
#endif

static struct {
  int ready;     /* init ran and succeeded */
  int mpi;       /* MPI_Init was called (and not yet MPI_Finalize) */
  int over;      /* MPI_Finalize was called: no collective any more */
  int rank, size;
  double seconds;  /* spent in collectives */
#ifdef LN_HAVE_MPI
  MPI_Comm comm;
#endif
} g = {.size = 1};

/* A launcher started this process (it may be the only one). */
static int launched(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

int ln_dist_built(void) {
#ifdef LN_HAVE_MPI
  return 1;
#else
  return 0;
#endif
}

#ifdef LN_HAVE_MPI
/* Records MPI's message for rc (not MPI_SUCCESS) and returns LN_ERR. */
static int mpi_fail(const char *what, int rc) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS) len = 0;
  msg[len] = 0;
  return ln_fail("dist: %s: %s", what, len ? msg : "MPI error");
}

/* Open MPI loads its components as plugins that expect libmpi's symbols to
 * be global; a Lua interpreter loading lunet.so gets them local. Reopening
 * the library already mapped makes them global (harmless in the
 * executable, where they already are). */
static void symbols_global(void) {
  static const char *const names[] = {"libmpi.so.40", "libmpi.so", NULL};
  for (int i = 0; names[i]; i++)
    if (dlopen(names[i], RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD)) return;
}

/* Ends a timed MPI call started at t0 (MPI_Wtime) with result rc. */
static int timed(const char *what, int rc, double t0) {
  g.seconds += MPI_Wtime() - t0;
  return rc == MPI_SUCCESS ? LN_OK : mpi_fail(what, rc);
}

static int mpi_start(void) {
  int rc, inited = 0;
  MPI_Initialized(&inited);
  if (!inited) {
    symbols_global();
    /* MPI_Init's errors are fatal to the process by the standard's default:
     * there is no handler to set before it. */
    rc = MPI_Init(NULL, NULL);
    if (rc != MPI_SUCCESS) return mpi_fail("MPI_Init", rc);
    g.mpi = 1;
  }
  rc = MPI_Comm_dup(MPI_COMM_WORLD, &g.comm);
  if (rc == MPI_SUCCESS) rc = MPI_Comm_set_errhandler(g.comm, MPI_ERRORS_RETURN);
  if (rc == MPI_SUCCESS) rc = MPI_Comm_rank(g.comm, &g.rank);
  if (rc == MPI_SUCCESS) rc = MPI_Comm_size(g.comm, &g.size);
  if (rc != MPI_SUCCESS) return mpi_fail("setting up the communicator", rc);
  return LN_OK;
}
#endif

int ln_dist_init(void) {
  if (g.ready) return LN_OK;
  if (launched()) {
#ifdef LN_HAVE_MPI
    if (mpi_start()) return LN_ERR;
#else
    const char *n = getenv("OMPI_COMM_WORLD_SIZE");
    if (n && atoi(n) > 1)
      return ln_fail("dist: lunet was built without MPI, so it cannot join a job of %s "
                     "processes (install libopenmpi-dev and rebuild)", n);
#endif
  }
  g.ready = 1;
  return LN_OK;
}

int ln_dist_rank(void) { return g.rank; }
double ln_dist_seconds(void) { return g.seconds; }
int ln_dist_size(void) { return g.size; }

/* 0: go on with MPI; 1: done (one process); LN_ERR: init failed. */
static int single(void) {
  if (ln_dist_init()) return LN_ERR;
  if (g.over && g.size > 1) return ln_fail("dist: MPI has been finalized");
  return g.size == 1;
}

#ifdef LN_HAVE_MPI
#define CHUNK ((size_t)1 << 26)  /* elements per MPI call: counts are ints */

/* Waits for req politely. A blocking collective spins on its core until the
 * slowest rank arrives; where ranks share cores with other work (more ranks
 * than cores, a busy machine) the spinning takes the time the late rank
 * needs, and a 2-rank step measured 5-10x slower than one process. So after
 * a short spin (the peer usually arrives within microseconds) the wait
 * sleeps between tests, 20 us growing to 200 us. */
#define SPIN 1e-4  /* seconds */
static int finish(MPI_Request *req) {
  long nap = 20000;
  double t0 = MPI_Wtime();
  for (;;) {
    int done = 0, rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS || done) return rc;
    if (MPI_Wtime() - t0 < SPIN) continue;
    struct timespec ts = {0, nap};
    nanosleep(&ts, NULL);
    if (nap < 200000) nap += nap / 2;
  }
}

/* x (n elements of type, each width bytes) SETS op over the ranks, or,
 * with root >= 0, root's x; in chunks. */
static int chunked(void *x, size_t n, size_t width, MPI_Datatype type, MPI_Op op, int root) {
  for (size_t at = 0; at < n; at += CHUNK) {
    int k = (int)(n - at < CHUNK ? n - at : CHUNK);
    char *p = (char *)x + at * width;
    double t0 = MPI_Wtime();
    MPI_Request req;
    int rc = root >= 0 ? MPI_Ibcast(p, k, type, root, g.comm, &req)
                       : MPI_Iallreduce(MPI_IN_PLACE, p, k, type, op, g.comm, &req);
    if (rc == MPI_SUCCESS) rc = finish(&req);
    if (timed(root >= 0 ? "MPI_Bcast" : "MPI_Allreduce", rc, t0)) return LN_ERR;
  }
  return LN_OK;
}
#endif

int ln_dist_all_reduce(float *x, size_t n, ln_dist_op op) {
  int one = single();
  if (one) return one < 0 ? LN_ERR : LN_OK;
#ifdef LN_HAVE_MPI
  MPI_Op mop = op == LN_DIST_MAX ? MPI_MAX : op == LN_DIST_MIN ? MPI_MIN : MPI_SUM;
  if (chunked(x, n, sizeof *x, MPI_FLOAT, mop, -1)) return LN_ERR;
  if (op == LN_DIST_MEAN) {
    float inv = 1.0f / (float)g.size;
    for (size_t i = 0; i < n; i++) x[i] *= inv;
  }
#endif
  return LN_OK;
}

int ln_dist_sum_d(double *x, size_t n) {
  int one = single();
  if (one) return one < 0 ? LN_ERR : LN_OK;
#ifdef LN_HAVE_MPI
  if (chunked(x, n, sizeof *x, MPI_DOUBLE, MPI_SUM, -1)) return LN_ERR;
#endif
  return LN_OK;
}

int ln_dist_broadcast(float *x, size_t n, int root) {
  if (ln_dist_init()) return LN_ERR;
  if (root < 0 || root >= g.size)
    return ln_fail("dist: root %d is not a rank (the job has %d)", root + 1, g.size);
  int one = single();
  if (one) return one < 0 ? LN_ERR : LN_OK;
#ifdef LN_HAVE_MPI
  if (chunked(x, n, sizeof *x, MPI_FLOAT, MPI_SUM, root)) return LN_ERR;
#endif
  return LN_OK;
}

int ln_dist_all_gather(float *out, const float *x, size_t n) {
  int one = single();
  if (one < 0) return LN_ERR;
  if (one) {
    if (n) memmove(out, x, n * sizeof *x);
    return LN_OK;
  }
#ifdef LN_HAVE_MPI
  if (n > (size_t)(INT_MAX / g.size))
    return ln_fail("dist: all_gather of %zu values per rank is more than MPI counts", n);
  double t0 = MPI_Wtime();
  MPI_Request req;
  int rc = MPI_Iallgather(x, (int)n, MPI_FLOAT, out, (int)n, MPI_FLOAT, g.comm, &req);
  if (rc == MPI_SUCCESS) rc = finish(&req);
  if (timed("MPI_Allgather", rc, t0)) return LN_ERR;
#endif
  return LN_OK;
}

int ln_dist_barrier(void) {
  int one = single();
  if (one) return one < 0 ? LN_ERR : LN_OK;
#ifdef LN_HAVE_MPI
  double t0 = MPI_Wtime();
  MPI_Request req;
  int rc = MPI_Ibarrier(g.comm, &req);
  if (rc == MPI_SUCCESS) rc = finish(&req);
  if (timed("MPI_Barrier", rc, t0)) return LN_ERR;
#endif
  return LN_OK;
}

void ln_dist_finalize(void) {
#ifdef LN_HAVE_MPI
  if (!g.mpi) return;
  int done = 0;
  MPI_Finalized(&done);
  if (!done) {
    if (g.ready) MPI_Comm_free(&g.comm);
    MPI_Finalize();
  }
  g.mpi = 0;
  g.over = 1;
#endif
}

void ln_dist_abort(int status) {
#ifdef LN_HAVE_MPI
  if (g.mpi && g.size > 1) MPI_Abort(MPI_COMM_WORLD, status);
#else
  (void)status;
#endif
}
