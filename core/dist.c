/* dist.c: the collectives of dist.h over MPI, or over one process.
 *
 * The job's processes talk on a duplicate of MPI_COMM_WORLD whose errors
 * come back as return codes (MPI_ERRORS_RETURN), turned into ln_fail
 * messages with MPI_Error_string. MPI counts are ints, so long buffers go
 * in chunks. When every rank runs on this machine, DataParallel's gradient
 * sums go through a window of shared memory instead of messages
 * (ln_dist_sum_scaled). Built without MPI (no LN_HAVE_MPI), only the
 * one-process job exists. */
#include "dist.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
  double cpu;      /* of this thread's CPU time, spent in collectives */
#ifdef LN_HAVE_MPI
  MPI_Comm comm;
  double spin;     /* seconds a wait spins before it naps (see finish) */
  /* ln_dist_sum_buffer's: every rank's cap floats in one shared-memory
   * window when all ranks run on this machine (shm), else plain memory. */
  int shm;         /* every rank is on this machine */
  int have_win;    /* win holds the buffers */
  MPI_Win win;
  float *seg[LN_DIST_SHM_MAX];  /* each rank's part of it */
#endif
  float *buf;      /* this rank's sum buffer (its part of win, or ln_malloc'd) */
  size_t cap;
} g = {.size = 1};

/* This thread's CPU seconds. */
static double cpu_now(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)) return 0;
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

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

/* The clocks at the start of an MPI call. */
typedef struct { double wall, cpu; } stamp;
static stamp now(void) { return (stamp){MPI_Wtime(), cpu_now()}; }

/* Ends a timed MPI call started at t0 with result rc. */
static int timed(const char *what, int rc, stamp t0) {
  g.seconds += MPI_Wtime() - t0.wall;
  g.cpu += cpu_now() - t0.cpu;
  return rc == MPI_SUCCESS ? LN_OK : mpi_fail(what, rc);
}

/* Open MPI's non-blocking all-reduce (libnbc) takes, on fewer than 4
 * ranks, a binomial tree: one rank sums while the other waits, then sends
 * the sum back, twice the time of the blocking call's ring (0.24 against
 * 0.11 ms for the MLP's 235,914 floats on 2 ranks). Rabenseifner's
 * (reduce-scatter, then all-gather) splits the sum and the traffic between
 * the ranks at any count, in log2(ranks) rounds. The user's own setting
 * (environment or mpirun --mca) wins. */
static void choose_algorithms(void) {
  setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "3", 0);
}

/* How long a wait spins (finish): 1 ms when every rank of this machine
 * has a core of its own, so that a peer a little behind is met at once;
 * 100 us when ranks share cores, where spinning takes the time the late
 * rank needs. And whether every rank runs here, so that sums can go
 * through shared memory. */
static void survey(void) {
  MPI_Comm local;
  int nlocal = g.size;
  if (MPI_Comm_split_type(g.comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local) ==
      MPI_SUCCESS) {
    MPI_Comm_size(local, &nlocal);
    MPI_Comm_free(&local);
  }
  const char *shm = getenv("LUNET_DIST_SHM");  /* 0: MPI_Iallreduce, for measuring */
  g.shm = nlocal == g.size && g.size <= LN_DIST_SHM_MAX && !(shm && !strcmp(shm, "0"));
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  g.spin = cores > 0 && nlocal <= cores ? 1e-3 : 1e-4;
  const char *e = getenv("LUNET_DIST_SPIN");  /* seconds: for measuring */
  if (e && *e) g.spin = atof(e);
}

static int mpi_start(void) {
  int rc, inited = 0;
  MPI_Initialized(&inited);
  if (!inited) {
    symbols_global();
    choose_algorithms();
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
  survey();
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
double ln_dist_cpu_seconds(void) { return g.cpu; }
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
 * a spin (g.spin: the peer usually arrives within microseconds) the wait
 * sleeps between tests, 20 us growing to 200 us. Each sleep delays a round
 * of the collective, and on a busy machine the core's return: 2 ranks
 * all-reduce 235,914 floats in 0.16 ms with a spin of 1 ms, 0.33 to 0.56
 * ms with one of 100 us (scripts/bench/dist_sum.lua). */
static int finish(MPI_Request *req) {
  long nap = 20000;
  double t0 = MPI_Wtime();
  for (;;) {
    int done = 0, rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS || done) return rc;
    if (MPI_Wtime() - t0 < g.spin) continue;
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
    stamp t0 = now();
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

#ifdef LN_HAVE_MPI
/* Every rank's sum buffer of cap floats, in one window of shared memory
 * (a collective: every rank grows it at the same call). */
static void shm_free(void) {
  if (!g.have_win) return;
  MPI_Win_unlock_all(g.win);
  MPI_Win_free(&g.win);
  g.have_win = 0;
  g.buf = NULL;
  g.cap = 0;
}

static int shm_grow(size_t cap) {
  shm_free();
  float *base = NULL;
  int rc = MPI_Win_allocate_shared((MPI_Aint)(cap * sizeof(float)), sizeof(float),
                                   MPI_INFO_NULL, g.comm, &base, &g.win);
  if (rc == MPI_SUCCESS) rc = MPI_Win_lock_all(MPI_MODE_NOCHECK, g.win);
  for (int r = 0; r < g.size && rc == MPI_SUCCESS; r++) {
    MPI_Aint bytes;
    int unit;
    rc = MPI_Win_shared_query(g.win, r, &bytes, &unit, &g.seg[r]);
  }
  if (rc != MPI_SUCCESS) return mpi_fail("allocating shared memory", rc);
  g.have_win = 1;
  g.buf = g.seg[g.rank];
  return LN_OK;
}

/* Every rank's stores to the window seen by all: MPI's recipe for shared
 * memory, a barrier between two memory syncs. */
static int shm_fence(void) {
  MPI_Request req;
  int rc = MPI_Win_sync(g.win);
  if (rc == MPI_SUCCESS) rc = MPI_Ibarrier(g.comm, &req);
  if (rc == MPI_SUCCESS) rc = finish(&req);
  if (rc == MPI_SUCCESS) rc = MPI_Win_sync(g.win);
  return rc;
}
#endif

/* A place in parts laid end to end: part i, element at. */
typedef struct {
  float *const *part;
  const size_t *len;
  size_t i, at;
} cursor;

/* Moves the next n floats of the parts at c: into buf (way 1), out of buf
 * (way 2) or nowhere (0: skips them). */
static void walk(cursor *c, float *buf, size_t n, int way) {
  while (n) {
    size_t k = c->len[c->i] - c->at;
    if (k > n) k = n;
    float *p = c->part[c->i] + c->at;
    if (way == 1) memcpy(buf, p, k * sizeof *p);
    if (way == 2) memcpy(p, buf, k * sizeof *p);
    if (buf) buf += k;
    n -= k;
    c->at += k;
    if (c->at == c->len[c->i]) c->i++, c->at = 0;
  }
}

#ifdef LN_HAVE_MPI
/* Slice k of m values among the ranks: [m k / R, m (k+1) / R). */
static size_t slice(size_t m, int k) { return m * (size_t)k / (size_t)g.size; }

/* The next m values of the parts at c, summed through shared memory. Rank
 * r owns slice r: the others copy their values of it into their buffers
 * (their own slices they read in place), r adds up every rank's, in rank
 * order, a block at a time, and writes the sum, scaled, into its parts and
 * into the others' buffers, from which they copy it out. Each rank so
 * moves about 3 m floats, where a message-passing all-reduce copies m
 * into a buffer, through the kernel (process_vm_readv) twice and back.
 * One rank sums each value, so every rank gets the same bits. */
#define SHM_BLOCK 1024
static int shm_sum(cursor *c, size_t m, float scale) {
  int r = g.rank, R = g.size;
  float *mine = g.seg[r];
  cursor at = *c;
  for (int k = 0; k < R; k++)  /* the other slices into this rank's buffer */
    walk(c, k == r ? NULL : mine + slice(m, k), slice(m, k + 1) - slice(m, k), k != r);
  int rc = shm_fence();
  if (rc != MPI_SUCCESS) return rc;
  cursor own = at;
  walk(&own, NULL, slice(m, r), 0);
  for (size_t pos = slice(m, r), hi = slice(m, r + 1); pos < hi;) {
    while (own.at == own.len[own.i]) own.i++, own.at = 0;  /* empty parts */
    size_t len = own.len[own.i] - own.at;  /* a block within one part */
    if (len > hi - pos) len = hi - pos;
    if (len > SHM_BLOCK) len = SHM_BLOCK;
    float acc[SHM_BLOCK], *p = own.part[own.i] + own.at;
    for (int k = 0; k < R; k++) {
      const float *q = k == r ? p : g.seg[k] + pos;
      if (k == 0) memcpy(acc, q, len * sizeof *acc);
      else
        for (size_t i = 0; i < len; i++) acc[i] += q[i];
    }
    if (scale != 1)
      for (size_t i = 0; i < len; i++) acc[i] *= scale;
    memcpy(p, acc, len * sizeof *acc);
    for (int k = 0; k < R; k++)
      if (k != r) memcpy(g.seg[k] + pos, acc, len * sizeof *acc);
    walk(&own, NULL, len, 0);
    pos += len;
  }
  rc = shm_fence();
  for (int k = 0; k < R && rc == MPI_SUCCESS; k++)  /* the others' sums out */
    walk(&at, k == r ? NULL : mine + slice(m, k), slice(m, k + 1) - slice(m, k), k != r ? 2 : 0);
  return rc;
}
#endif

/* The sum's buffer of at least n floats (a collective when it grows in
 * shared memory: every rank asks for the same n at the same point). */
static int sum_buffer(size_t n) {
  if (n <= g.cap) return LN_OK;
#ifdef LN_HAVE_MPI
  if (g.shm && g.size > 1) {
    if (shm_grow(n)) return LN_ERR;
    g.cap = n;
    return LN_OK;
  }
#endif
  float *b = ln_realloc(g.buf, n * sizeof *b);
  if (!b) return ln_fail("dist: out of memory");
  g.buf = b;
  g.cap = n;
  return LN_OK;
}

int ln_dist_sum_parts(float *const *part, const size_t *len, size_t nparts, float scale) {
  int one = single();
  if (one < 0) return LN_ERR;
  size_t total = 0;
  for (size_t i = 0; i < nparts; i++) total += len[i];
  cursor c = {part, len, 0, 0};
  while (c.i < nparts && !len[c.i]) c.i++;
  if (one || !total) {
    for (size_t i = 0; i < nparts && scale != 1; i++)
      for (size_t e = 0; e < len[i]; e++) part[i][e] *= scale;
    return LN_OK;
  }
#ifdef LN_HAVE_MPI
  if (sum_buffer(total < LN_DIST_SUM_CHUNK ? total : LN_DIST_SUM_CHUNK)) return LN_ERR;
  for (size_t done = 0; done < total;) {
    size_t m = total - done < g.cap ? total - done : g.cap;
    if (g.have_win) {
      stamp t0 = now();
      if (timed("summing in shared memory", shm_sum(&c, m, scale), t0)) return LN_ERR;
    } else {
      cursor from = c;
      walk(&c, g.buf, m, 1);
      if (chunked(g.buf, m, sizeof(float), MPI_FLOAT, MPI_SUM, -1)) return LN_ERR;
      if (scale != 1)
        for (size_t i = 0; i < m; i++) g.buf[i] *= scale;
      walk(&from, g.buf, m, 2);
    }
    done += m;
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
  stamp t0 = now();
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
  stamp t0 = now();
  MPI_Request req;
  int rc = MPI_Ibarrier(g.comm, &req);
  if (rc == MPI_SUCCESS) rc = finish(&req);
  if (timed("MPI_Barrier", rc, t0)) return LN_ERR;
#endif
  return LN_OK;
}

void ln_dist_finalize(void) {
#ifdef LN_HAVE_MPI
  if (!g.have_win) {  /* else MPI's, freed with the window */
    ln_free(g.buf);
    g.buf = NULL;
    g.cap = 0;
  }
  if (!g.mpi) return;
  int done = 0;
  MPI_Finalized(&done);
  if (!done) {
    shm_free();
    if (g.ready) MPI_Comm_free(&g.comm);
    MPI_Finalize();
  }
  g.mpi = 0;
  g.over = 1;
#else
  ln_free(g.buf);
  g.buf = NULL;
  g.cap = 0;
#endif
}

void ln_dist_abort(int status) {
#ifdef LN_HAVE_MPI
  if (g.mpi && g.size > 1) MPI_Abort(MPI_COMM_WORLD, status);
#else
  (void)status;
#endif
}
