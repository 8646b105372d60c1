/* par.c: the core's worker threads (par.h), for the convolution kernels,
 * the layers around them (BatchNorm on images, pooling, activations) and
 * the GEMMs (OpenBLAS itself runs on one thread).
 *
 * Fork-join. Workers start on first use and then sleep on a condition
 * variable between calls: no spinning. A watch of about 1 ms before
 * sleeping made the Fashion-MNIST MLP's two-thread epoch 6% faster on a
 * quiet two-core machine but 2-2.5 times slower with one other busy
 * process (0.46 against 0.49 s; 1.6-1.9 against 0.6-0.9 s; yielding while
 * watching still 1.3x slower), and OpenBLAS's ~0.1 s one took a third of
 * a core. One call at a time: concurrent callers queue on
 * a mutex. Two kinds of split:
 * - ln_parallel hands out chunks of items from a shared counter to whoever
 *   is running. On a shared machine a woken worker may wait milliseconds
 *   for a core; the caller then takes its chunks, and a worker that arrives
 *   after the caller closed the call stays out, so a late worker never
 *   holds a step up. For kernels whose results do not depend on who ran
 *   which items (disjoint outputs).
 * - ln_parallel_fixed gives worker w of W exactly [w n / W, (w+1) n / W) in
 *   one call, and waits for every worker: for per-worker partial sums added
 *   in worker order afterwards, the same bits on every run. */
#include <pthread.h>

#include "par.h"
#include "tensor.h"

#define MAX_WORKERS LN_PAR_MAX

static struct {
  pthread_mutex_t call, mu;  /* call: one dispatch at a time; mu: the fields below */
  pthread_cond_t go, done;
  int started;               /* threads running, worker ids 1..started */
  unsigned long gen;         /* incremented per dispatch */
  int workers;               /* of this dispatch */
  int pending;               /* workers still running this dispatch */
  int fixed, open;           /* fixed split; open: a dynamic call still takes workers */
  void (*fn)(void *, size_t, size_t, int);
  void *ctx;
  size_t n, chunk, next;     /* next: the first item not handed out (dynamic) */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
          PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, 0, 0};

/* Set while this thread runs a share: a kernel calling a threaded kernel
 * (a GEMM inside a worker) runs it on its own thread instead of waiting on
 * the pool it is part of. */
static __thread int inside;

static void run_share(int w, int workers) {
  inside = 1;
  if (pool.fixed) {
    size_t lo = pool.n * (size_t)w / (size_t)workers;
    size_t hi = pool.n * (size_t)(w + 1) / (size_t)workers;
    if (lo < hi) pool.fn(pool.ctx, lo, hi, w);
  } else {
    for (;;) {
      size_t lo = __atomic_fetch_add(&pool.next, pool.chunk, __ATOMIC_RELAXED);
      if (lo >= pool.n) break;
      pool.fn(pool.ctx, lo, pool.n - lo < pool.chunk ? pool.n : lo + pool.chunk, w);
    }
  }
  inside = 0;
}

static void *worker(void *arg) {
  int id = (int)(size_t)arg;
  unsigned long seen = 0;
  pthread_mutex_lock(&pool.mu);
  for (;;) {
    while (pool.gen == seen) pthread_cond_wait(&pool.go, &pool.mu);
    seen = pool.gen;
    if (id >= pool.workers || (!pool.fixed && !pool.open)) continue;
    if (!pool.fixed)  /* a fixed call counted every worker already */
      pool.pending++;
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

static void dispatch(int workers, size_t n, void (*fn)(void *, size_t, size_t, int), void *ctx,
                     int fixed) {
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
  pool.fn = fn, pool.ctx = ctx, pool.n = n, pool.workers = workers, pool.fixed = fixed;
  pool.next = 0, pool.open = 1;
  pool.chunk = n / (4 * (size_t)workers) ? n / (4 * (size_t)workers) : 1;
  pool.pending = fixed ? run - 1 : 0;
  pool.gen++;
  pthread_cond_broadcast(&pool.go);
  pthread_mutex_unlock(&pool.mu);
  run_share(0, workers);
  if (fixed)
    for (int w = run; w < workers; w++) run_share(w, workers);  /* threads that failed */
  pthread_mutex_lock(&pool.mu);
  pool.open = 0;  /* no worker joins from here: only those running are waited for */
  while (pool.pending) pthread_cond_wait(&pool.done, &pool.mu);
  pthread_mutex_unlock(&pool.mu);
  pthread_mutex_unlock(&pool.call);
}

void ln_parallel(int workers, size_t n, void (*fn)(void *, size_t, size_t, int), void *ctx) {
  dispatch(workers, n, fn, ctx, 0);
}

void ln_parallel_fixed(int workers, size_t n, void (*fn)(void *, size_t, size_t, int),
                       void *ctx) {
  dispatch(workers, n, fn, ctx, 1);
}
