/* par.c: the core's worker threads (par.h), for the convolution kernels and
 * the layers around them (BatchNorm on images, pooling, ReLU); OpenBLAS
 * threads only its own GEMMs.
 *
 * Fork-join over a fixed split: worker w of W runs items [w n / W, (w+1) n /
 * W), the caller being worker 0, so every result (partial sums included) is
 * the same on every run. Workers are started on first use and then sleep on
 * a condition variable between calls (no spinning: a call costs a wake-up,
 * microseconds, against the milliseconds of a convolution). One call at a
 * time: concurrent callers queue on a mutex. */
#include <pthread.h>

#include "par.h"
#include "tensor.h"

#define MAX_WORKERS LN_PAR_MAX

static struct {
  pthread_mutex_t call, mu;  /* call: one dispatch at a time; mu: the fields below */
  pthread_cond_t go, done;
  int started;               /* threads running, worker ids 1..started */
  unsigned long gen;         /* incremented per dispatch */
  int workers, pending;      /* of this dispatch */
  void (*fn)(void *, size_t, size_t, int);
  void *ctx;
  size_t n;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, NULL, NULL, 0};

/* Set while this thread runs a share: a kernel calling a threaded kernel
 * (a GEMM inside a worker) runs it on its own thread instead of waiting on
 * the pool it is part of. */
static __thread int inside;

static void run_share(int w, int workers) {
  size_t lo = pool.n * (size_t)w / (size_t)workers;
  size_t hi = pool.n * (size_t)(w + 1) / (size_t)workers;
  inside = 1;
  if (lo < hi) pool.fn(pool.ctx, lo, hi, w);
  inside = 0;
}

static void *worker(void *arg) {
  int id = (int)(size_t)arg;
  unsigned long seen = 0;
  pthread_mutex_lock(&pool.mu);
  for (;;) {
    while (pool.gen == seen) pthread_cond_wait(&pool.go, &pool.mu);
    seen = pool.gen;
    if (id >= pool.workers) continue;
    int workers = pool.workers;
    pthread_mutex_unlock(&pool.mu);
    run_share(id, workers);
    pthread_mutex_lock(&pool.mu);
    if (--pool.pending == 0) pthread_cond_signal(&pool.done);
  }
  return NULL;
}

int ln_par_workers(size_t n, size_t grain) {
  int t = ln_get_num_threads();
  size_t most = grain ? n / grain : n;
  if (t > MAX_WORKERS) t = MAX_WORKERS;
  if ((size_t)t > most) t = (int)most;
  return t < 1 ? 1 : t;
}

void ln_parallel(int workers, size_t n, void (*fn)(void *, size_t, size_t, int), void *ctx) {
  if ((size_t)workers > n) workers = (int)n;
  if (workers <= 1 || inside) {
    if (n) fn(ctx, 0, n, 0);
    return;
  }
  pthread_mutex_lock(&pool.call);
  pthread_mutex_lock(&pool.mu);
  while (pool.started < workers - 1) {
    pthread_t th;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int bad = pthread_create(&th, &a, worker, (void *)(size_t)(pool.started + 1));
    pthread_attr_destroy(&a);
    if (bad) break;  /* fewer threads: the caller does their share below */
    pool.started++;
  }
  int run = pool.started + 1 < workers ? pool.started + 1 : workers;
  pool.fn = fn, pool.ctx = ctx, pool.n = n, pool.workers = workers;
  pool.pending = run - 1;
  pool.gen++;
  pthread_cond_broadcast(&pool.go);
  pthread_mutex_unlock(&pool.mu);
  run_share(0, workers);
  for (int w = run; w < workers; w++) run_share(w, workers);  /* threads that failed */
  pthread_mutex_lock(&pool.mu);
  while (pool.pending) pthread_cond_wait(&pool.done, &pool.mu);
  pthread_mutex_unlock(&pool.mu);
  pthread_mutex_unlock(&pool.call);
}
