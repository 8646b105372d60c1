/* tensor.c: storage refcounting, shapes, creation, copies, fills and
 * reductions over all elements. */
#include "tensor.h"

#include "par.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static size_t bytes_allocated;  /* by storage_new, ever: see ln_tensor_bytes_allocated */

size_t ln_tensor_bytes_allocated(void) {
  return __atomic_load_n(&bytes_allocated, __ATOMIC_RELAXED);
}

/* A storage is one block: the header, then the data from a 64-byte
 * boundary. Aligned data matters to the memory-bound kernels: glibc's
 * large blocks start 16 bytes past a page, so every other 32-byte vector
 * load of them straddled two cache lines (a broadcast row add ran 25%
 * slower on them), and one block is one allocation instead of two. The
 * data of a large block starts at one of 8 offsets in its page, 512 bytes
 * apart, in turn: when the operands and the result of an elementwise
 * loop all sat at one offset, the loads of a[i], b[i] looked to the CPU
 * as if they might depend on the store to o[i] of a moment before (the
 * same low 12 address bits), and an add of 1e6 ran 12% slower (0.196 ms
 * against 0.174 in a C loop). */
#define ALIGN 64
#define PAGE 4096
#define COLORS 8

static unsigned color_next;  /* the page offset of the next large block's data */

/* Freed large blocks are kept for reuse, a few and a few tens of MB at
 * most. glibc gives a large block back to the system when it is freed
 * next to the top of the heap (or was mmapped), and every page of the
 * next one faults in again, zeroed by the kernel: 4 MB is 1024 faults,
 * about 0.3 ms, more than an add of 1e6 elements takes. Lua frees garbage
 * tensors in batches, at collections, which is when that happens. The
 * cache changes no accounting: a block taken from it is counted as an
 * allocation (ln_alloc_reused) and charged to the collector
 * (bytes_allocated) as a new one is. It is emptied when an allocation
 * fails and at exit; the sanitizer builds do without it, so that a use of
 * a freed storage stays a use after free. */
#define CACHE_SLOTS 8
#define CACHE_MIN ((size_t)256 << 10)   /* bytes: smaller blocks come from glibc's bins */
#define CACHE_BYTES ((size_t)64 << 20)  /* the most it holds */
#if defined(__SANITIZE_ADDRESS__)
#define CACHE_ON 0
#else
#define CACHE_ON 1
#endif

static struct {
  pthread_mutex_t mu;  /* storages may be made and freed on worker threads */
  ln_storage *slot[CACHE_SLOTS];  /* oldest first */
  int n, at_exit;
  size_t bytes;
} cache = {PTHREAD_MUTEX_INITIALIZER, {NULL}, 0, 0, 0};

static int is_large(size_t n) {
  return sizeof(ln_storage) + ALIGN - 1 + n * sizeof(float) >= CACHE_MIN;
}

/* A block for n floats; a large one with room to start them anywhere in a page. */
static size_t block_bytes(size_t n) {
  return sizeof(ln_storage) + ALIGN - 1 + n * sizeof(float) + (is_large(n) ? PAGE : 0);
}

/* A cached block for n floats (at most 1/8 larger), or NULL. */
static ln_storage *cache_take(size_t n) {
  ln_storage *s = NULL;
  if (!CACHE_ON || !is_large(n)) return NULL;
  pthread_mutex_lock(&cache.mu);
  for (int i = cache.n - 1; i >= 0 && !s; i--)
    if (cache.slot[i]->cap >= n && cache.slot[i]->cap - n <= n / 8) {
      s = cache.slot[i];
      memmove(cache.slot + i, cache.slot + i + 1, (size_t)(cache.n - i - 1) * sizeof s);
      cache.n--;
      cache.bytes -= block_bytes(s->cap);
    }
  pthread_mutex_unlock(&cache.mu);
  if (s) ln_alloc_reused();
  return s;
}

void ln_tensor_cache_flush(void) {
  pthread_mutex_lock(&cache.mu);
  for (int i = 0; i < cache.n; i++) ln_free(cache.slot[i]);
  cache.n = 0;
  cache.bytes = 0;
  pthread_mutex_unlock(&cache.mu);
}

size_t ln_tensor_cache_bytes(void) {
  pthread_mutex_lock(&cache.mu);
  size_t b = cache.bytes;
  pthread_mutex_unlock(&cache.mu);
  return b;
}

static void flush_at_exit(void) { ln_tensor_cache_flush(); }

/* Keeps s's block, making room by freeing the oldest; frees it when it is
 * small or would not fit at all. */
static void cache_put(ln_storage *s) {
  size_t b = block_bytes(s->cap);
  if (!CACHE_ON || !is_large(s->cap) || b > CACHE_BYTES) {
    ln_free(s);
    return;
  }
  ln_storage *out[CACHE_SLOTS];
  int nout = 0;
  pthread_mutex_lock(&cache.mu);
  if (!cache.at_exit) cache.at_exit = atexit(flush_at_exit) == 0 ? 1 : -1;
  while (cache.n > 0 && (cache.n == CACHE_SLOTS || cache.bytes + b > CACHE_BYTES)) {
    out[nout++] = cache.slot[0];
    cache.bytes -= block_bytes(cache.slot[0]->cap);
    memmove(cache.slot, cache.slot + 1, (size_t)--cache.n * sizeof *cache.slot);
  }
  cache.slot[cache.n++] = s;
  cache.bytes += b;
  pthread_mutex_unlock(&cache.mu);
  for (int i = 0; i < nout; i++) ln_free(out[i]);
}

static ln_storage *storage_new(size_t n, int zero) {
  __atomic_fetch_add(&bytes_allocated, n * sizeof(float), __ATOMIC_RELAXED);
  ln_storage *s = cache_take(n);
  if (s) {
    if (zero) memset(s->data, 0, n * sizeof(float));
  } else {
    size_t bytes = block_bytes(n);
    s = zero ? ln_calloc(1, bytes) : ln_malloc(bytes);
    if (!s) {  /* the cache's blocks may be what is missing */
      ln_tensor_cache_flush();
      s = zero ? ln_calloc(1, bytes) : ln_malloc(bytes);
    }
    if (!s) return NULL;
    uintptr_t at = ((uintptr_t)(s + 1) + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
    if (is_large(n)) {
      uintptr_t want = __atomic_fetch_add(&color_next, 1, __ATOMIC_RELAXED) % COLORS
                       * (PAGE / COLORS);
      at += (want + PAGE - at % PAGE) % PAGE;
    }
    s->data = (float *)at;
    s->cap = n;
  }
  s->refs = 1;
  return s;
}

static void storage_release(ln_storage *s) {
  if (s && --s->refs == 0) cache_put(s);
}

size_t ln_numel(const ln_tensor *t) {
  size_t n = t->ndim ? 1 : 0;
  for (int i = 0; i < t->ndim; i++) n *= t->size[i];
  return n;
}

int ln_same_shape(const ln_tensor *a, const ln_tensor *b) {
  if (a->ndim != b->ndim) return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->size[i] != b->size[i]) return 0;
  return 1;
}

int ln_is_contiguous(const ln_tensor *t) {
  ptrdiff_t want = 1;
  for (int i = t->ndim - 1; i >= 0; i--) {
    if (t->size[i] == 1) continue;
    if (t->stride[i] != want) return 0;
    want *= (ptrdiff_t)t->size[i];
  }
  return 1;
}

char *ln_shape_str(const ln_tensor *t, char *buf, size_t n) {
  size_t used = 0;
  buf[0] = '\0';
  if (t->ndim == 0) snprintf(buf, n, "empty");
  for (int i = 0; i < t->ndim && used < n; i++)
    used += snprintf(buf + used, n - used, i ? "x%zu" : "%zu", t->size[i]);
  return buf;
}

int ln_check_shape(const char *who, int ndim, const size_t *size) {
  if (ndim < 1 || ndim > LN_MAXDIM)
    return ln_fail("%s: a tensor has 1 to %d dimensions, got %d", who, LN_MAXDIM, ndim);
  size_t n = 1;
  for (int i = 0; i < ndim; i++) {
    if (size[i] == 0) return ln_fail("%s: size %d is zero", who, i + 1);
    if (ln_mul_size(n, size[i], &n) || n > LN_MAXNUMEL)
      return ln_fail("%s: too many elements (more than %zu)", who, LN_MAXNUMEL);
  }
  return LN_OK;
}

/* Row-major strides for the shape. */
static void set_shape(ln_tensor *t, int ndim, const size_t *size) {
  ptrdiff_t s = 1;
  t->ndim = ndim;
  for (int i = LN_MAXDIM - 1; i >= 0; i--) {
    t->size[i] = i < ndim ? size[i] : 0;
    t->stride[i] = i < ndim ? s : 0;
    if (i < ndim) s *= (ptrdiff_t)size[i];
  }
}

int ln_tensor_init(ln_tensor *t, int ndim, const size_t *size) {
  if (ln_check_shape("tensor", ndim, size)) return LN_ERR;
  size_t n = 1;
  for (int i = 0; i < ndim; i++) n *= size[i];
  ln_storage *s = storage_new(n, 1);
  if (!s) return ln_fail("tensor: out of memory allocating %zu floats", n);
  ln_tensor_free(t);
  t->st = s;
  t->off = 0;
  set_shape(t, ndim, size);
  return LN_OK;
}

int ln_tensor_resize(ln_tensor *t, int ndim, const size_t *size) {
  if (ln_check_shape("tensor", ndim, size)) return LN_ERR;
  size_t n = 1;
  for (int i = 0; i < ndim; i++) n *= size[i];
  /* A strided tensor gets new storage: laying it out again in place would
   * scramble what the other views of its storage see. */
  if (t->st && ln_is_contiguous(t) && t->st->cap - t->off >= n) {
    set_shape(t, ndim, size);
    return LN_OK;
  }
  /* A new storage, never realloc: views of the old one stay valid. */
  ln_storage *s = storage_new(n, 0);
  if (!s) return ln_fail("tensor: out of memory allocating %zu floats", n);
  storage_release(t->st);
  t->st = s;
  t->off = 0;
  set_shape(t, ndim, size);
  return LN_OK;
}

int ln_tensor_resize_as(ln_tensor *t, const ln_tensor *like) {
  return ln_tensor_resize(t, like->ndim, like->size);
}

void ln_tensor_free(ln_tensor *t) {
  storage_release(t->st);
  memset(t, 0, sizeof *t);
}

void ln_tensor_share(ln_tensor *dst, const ln_tensor *src) {
  if (dst == src) return;
  if (src->st) src->st->refs++;
  storage_release(dst->st);
  *dst = *src;
}

/* o[i so] = a[i sa] for i < n: the one strided copy loop. */
static void copy_run(float *o, ptrdiff_t so, const float *a, ptrdiff_t sa, size_t n) {
  if (so == 1 && sa == 1) memcpy(o, a, n * sizeof *o);
  else if (so == 1 && sa == 0) for (size_t i = 0; i < n; i++) o[i] = *a;
  else if (so == 1) for (size_t i = 0; i < n; i++) o[i] = a[(ptrdiff_t)i * sa];
  else for (size_t i = 0; i < n; i++) o[(ptrdiff_t)i * so] = a[(ptrdiff_t)i * sa];
}

/* o[i so + j] = a[i + j sa] for i < ni, j < nj: a transposing copy, in
 * square tiles so that the lines of both sides stay in cache while a tile
 * uses them (a column walk of a large matrix misses on every element).
 * Small tiles: rows a power-of-two stride apart share cache sets, and 8 of
 * them fit the ways (8 measured 0.55 ms on a transposed 1024x1024, 16 and
 * 32 three and six times that). */
#define TILE 8

static void copy_transposing(float *o, ptrdiff_t so, const float *a, ptrdiff_t sa, size_t ni,
                             size_t nj) {
  for (size_t i0 = 0; i0 < ni; i0 += TILE) {
    size_t ti = ni - i0 < TILE ? ni - i0 : TILE;
    for (size_t j0 = 0; j0 < nj; j0 += TILE) {
      size_t tj = nj - j0 < TILE ? nj - j0 : TILE;
      float *ot = o + (ptrdiff_t)i0 * so + (ptrdiff_t)j0;
      const float *at = a + (ptrdiff_t)i0 + (ptrdiff_t)j0 * sa;
      for (size_t i = 0; i < ti; i++)
        for (size_t j = 0; j < tj; j++)
          ot[(ptrdiff_t)i * so + (ptrdiff_t)j] = at[(ptrdiff_t)i + (ptrdiff_t)j * sa];
    }
  }
}

/* dst = src elementwise, src broadcast to dst's shape; no overlap, so in
 * any order. When dst's inner dimension is src's outer one and the other
 * way round (a transpose made contiguous), the last two dimensions go
 * through copy_transposing and the iterator walks the others. */
static int copy_strided(ln_tensor *dst, const ln_tensor *src) {
  ln_iter it;
  if (ln_iter_init_any(&it, 2, (const ln_tensor *[]){dst, src}, dst->ndim, dst->size))
    return LN_ERR;
  int d = it.ndim - 2;
  if (d >= 0 && it.s[0] == 1 && it.s[1] > 1 && it.stride[1][d] == 1 && it.stride[0][d] > 1) {
    size_t ni = it.size[d];
    ptrdiff_t so = it.stride[0][d];
    it.ndim--;  /* the iterator's runs are now the tiles' rows */
    do copy_transposing(it.p[0], so, it.p[1], it.s[1], ni, it.n); while (ln_iter_next(&it));
    return LN_OK;
  }
  do copy_run(it.p[0], it.s[0], it.p[1], it.s[1], it.n); while (ln_iter_next(&it));
  return LN_OK;
}

int ln_tensor_clone(ln_tensor *dst, const ln_tensor *src) {
  ln_tensor t = LN_TENSOR_EMPTY;
  if (ln_tensor_resize(&t, src->ndim, src->size)) return LN_ERR;
  copy_strided(&t, src);  /* same shape: cannot fail */
  ln_tensor_free(dst);
  *dst = t;
  return LN_OK;
}

int ln_tensor_contiguous(ln_tensor *dst, const ln_tensor *src) {
  if (ln_is_contiguous(src)) {
    ln_tensor_share(dst, src);
    return LN_OK;
  }
  return ln_tensor_clone(dst, src);
}

int ln_tensor_copy(ln_tensor *dst, const ln_tensor *src) {
  size_t n = ln_numel(src);
  int nd;
  size_t shape[LN_MAXDIM];
  if (n != ln_numel(dst) &&
      (ln_broadcast_shape("copy", dst->ndim, dst->size, src->ndim, src->size, &nd, shape) ||
       nd != dst->ndim || memcmp(shape, dst->size, (size_t)nd * sizeof *shape))) {
    char a[128], b[128];
    return ln_fail("copy: source %s has %zu elements, destination %s has %zu (and it does"
                   " not broadcast)", ln_shape_str(src, a, sizeof a), n,
                   ln_shape_str(dst, b, sizeof b), ln_numel(dst));
  }
  if (n == 0) return LN_OK;
  if (ln_is_contiguous(dst) && ln_is_contiguous(src) && n == ln_numel(dst)) {
    memmove(ln_data(dst), ln_data(src), n * sizeof(float));
    return LN_OK;
  }
  /* Copy through a contiguous source: one that overlaps dst is copied
   * first; one of another shape and as many elements is seen as dst's
   * shape (row-major order); a broadcast one is walked as it is. */
  ln_tensor s = LN_TENSOR_EMPTY;
  int rc = ln_tensor_overlap(dst, src) ? ln_tensor_clone(&s, src)
                                       : ln_tensor_contiguous(&s, src);
  if (rc == LN_OK && n == ln_numel(dst) && !ln_same_shape(&s, dst))
    rc = ln_tensor_view(&s, &s, dst->ndim, dst->size);
  if (rc == LN_OK) rc = copy_strided(dst, &s);
  ln_tensor_free(&s);
  return rc;
}

void ln_tensor_read(const ln_tensor *t, size_t first, size_t n, float *out) {
  if (ln_is_contiguous(t)) {
    memcpy(out, ln_data(t) + first, n * sizeof *out);
    return;
  }
  /* Walk the row-major index of `first` and carry like an odometer. */
  size_t idx[LN_MAXDIM], k = first;
  for (int d = t->ndim - 1; d >= 0; d--) {
    idx[d] = k % t->size[d];
    k /= t->size[d];
  }
  for (size_t i = 0; i < n; i++) {
    out[i] = *ln_at(t, idx);
    for (int d = t->ndim - 1; d >= 0 && ++idx[d] == t->size[d]; d--) idx[d] = 0;
  }
}

static void fill_share(ln_iter *it, void *ctx) {
  float v = *(const float *)ctx;
  do {
    float *p = it->p[0];
    ptrdiff_t s = it->s[0];
    if (s == 1) for (size_t i = 0; i < it->n; i++) p[i] = v;
    else for (size_t i = 0; i < it->n; i++) p[(ptrdiff_t)i * s] = v;
  } while (ln_iter_next(it));
}

/* Two grains a worker: a store-only loop, half the work of a + b an element
 * (zeroing the Fashion-MNIST MLP's 200k-element weight gradient, ~15 us, is
 * not split). */
void ln_tensor_fill(ln_tensor *t, float v) {
  if (!t->st) return;
  ln_iter it;
  ln_iter_init_any(&it, 1, (const ln_tensor *[]){t}, t->ndim, t->size);
  ln_iter_parallel(&it, 2 * LN_EW_GRAIN, fill_share, &v);
}

int ln_tensor_linspace(ln_tensor *t, double a, double b, size_t n) {
  if (ln_tensor_resize(t, 1, &n)) return LN_ERR;
  float *p = ln_data(t);
  /* As torch.linspace: step from the start, the last point exactly b. */
  double step = n > 1 ? (b - a) / (double)(n - 1) : 0;
  for (size_t i = 0; i < n; i++) p[i] = (float)(a + step * (double)i);
  if (n > 1) p[n - 1] = (float)b;
  return LN_OK;
}

void ln_tensor_randn(ln_tensor *t, ln_rng *r, double mean, double std) {
  ln_iter it;
  ln_iter_init(&it, 1, (const ln_tensor *[]){t}, t->ndim, t->size);
  do
    for (size_t i = 0; i < it.n; i++)
      it.p[0][(ptrdiff_t)i * it.s[0]] = (float)(mean + std * ln_rng_normal(r));
  while (ln_iter_next(&it));
}

void ln_tensor_rand(ln_tensor *t, ln_rng *r, double lo, double hi) {
  /* Rounding to float can land on hi itself; keep [lo, hi) half-open. */
  float top = (float)hi, below = nextafterf(top, (float)lo);
  int open = (float)lo < top;
  ln_iter it;
  ln_iter_init(&it, 1, (const ln_tensor *[]){t}, t->ndim, t->size);
  do
    for (size_t i = 0; i < it.n; i++) {
      float v = (float)(lo + (hi - lo) * ln_rng_uniform(r));
      it.p[0][(ptrdiff_t)i * it.s[0]] = open && v >= top ? below : v;
    }
  while (ln_iter_next(&it));
}

/* Reductions walk the tensor in memory order (ln_iter_init_any) and sum in
 * double with sixteen partial sums (four vectors of doubles; one sum would
 * wait on the latency of every addition), so a strided tensor's sum may
 * differ from its contiguous copy's in the last bits of the double, far
 * below float precision. */
#define PARTIALS 16

/* The sum of p[i st] (i < n), or of (p[i st] - mean)^2 when squares. */
static double sum_run(const float *p, ptrdiff_t st, size_t n, int squares, double mean) {
  double acc[PARTIALS] = {0}, s = 0;
  size_t i = 0;
  if (st == 1 && !squares) {
    for (; i + PARTIALS <= n; i += PARTIALS)
      for (size_t j = 0; j < PARTIALS; j++) acc[j] += p[i + j];
  } else if (st == 1) {
    for (; i + PARTIALS <= n; i += PARTIALS)
      for (size_t j = 0; j < PARTIALS; j++) {
        double d = (double)p[i + j] - mean;
        acc[j] += d * d;
      }
  }
  for (; i < n; i++) {
    double v = p[(ptrdiff_t)i * st];
    s += squares ? (v - mean) * (v - mean) : v;
  }
  for (size_t j = 0; j < PARTIALS; j++) s += acc[j];
  return s;
}

static double sum_all(const ln_tensor *t, int squares, double mean) {
  ln_iter it;
  double s = 0;
  ln_iter_init_any(&it, 1, (const ln_tensor *[]){t}, t->ndim, t->size);
  do s += sum_run(it.p[0], it.s[0], it.n, squares, mean); while (ln_iter_next(&it));
  return s;
}

double ln_tensor_sum(const ln_tensor *t) { return sum_all(t, 0, 0); }

double ln_tensor_mean(const ln_tensor *t) { return ln_tensor_sum(t) / (double)ln_numel(t); }

double ln_tensor_std(const ln_tensor *t) {
  double ss = sum_all(t, 1, ln_tensor_mean(t));
  return sqrt(ss / (double)(ln_numel(t) - 1));
}

/* NaN wins, as in torch.min/max: the loops keep the extreme of the numbers
 * and count NaNs on the side, which vectorizes where an early return would
 * not. */
static double extreme(const ln_tensor *t, int want_max) {
  ln_iter it;
  ln_iter_init_any(&it, 1, (const ln_tensor *[]){t}, t->ndim, t->size);
  float e = *it.p[0];
  int nan = 0;
  do {
    const float *p = it.p[0];
    ptrdiff_t st = it.s[0];
    size_t n = it.n;
    if (st != 1) {
      for (size_t i = 0; i < n; i++) {
        float v = p[(ptrdiff_t)i * st];
        nan |= v != v;
        e = want_max ? (v > e ? v : e) : (v < e ? v : e);
      }
    } else if (want_max) {
#pragma omp simd reduction(max : e) reduction(| : nan)
      for (size_t i = 0; i < n; i++) {
        nan |= p[i] != p[i];
        e = p[i] > e ? p[i] : e;
      }
    } else {
#pragma omp simd reduction(min : e) reduction(| : nan)
      for (size_t i = 0; i < n; i++) {
        nan |= p[i] != p[i];
        e = p[i] < e ? p[i] : e;
      }
    }
  } while (ln_iter_next(&it) && !nan);
  return nan ? NAN : e;
}

double ln_tensor_min(const ln_tensor *t) { return extreme(t, 0); }
double ln_tensor_max(const ln_tensor *t) { return extreme(t, 1); }

/* A NaN never compares greater, so it is looked for explicitly: torch.argmax
 * returns the first NaN, and a diverged row should not look like a class. */
size_t ln_argmax(const float *x, size_t n) {
  size_t best = 0;
  for (size_t j = 1; j < n && !isnan(x[best]); j++)
    if (x[j] > x[best] || isnan(x[j])) best = j;
  return best;
}

int ln_tensor_argmax_rows(ln_tensor *out, const ln_tensor *t) {
  if (t->ndim != 2) return ln_fail("argmax: expected a 2-D (N,C) tensor, got %d-D", t->ndim);
  size_t n = t->size[0], c = t->size[1];
  ln_tensor kt = LN_TENSOR_EMPTY;
  if (ln_tensor_contiguous(&kt, t)) return LN_ERR;
  int rc = ln_tensor_resize(out, 1, &n);
  if (rc == LN_OK) {
    const float *p = ln_data(&kt);
    float *o = ln_data(out);
    for (size_t i = 0; i < n; i++) o[i] = (float)ln_argmax(p + i * c, c);
  }
  ln_tensor_free(&kt);
  return rc;
}

/* The GEMMs run OpenBLAS on one thread and split C between the core's
 * workers (par.h). OpenBLAS's own threads spin (sched_yield) for ~0.1 s
 * after every threaded call: between the small GEMMs of a convolutional
 * net's step they never slept, and took a third of a core from the workers
 * of the convolutions on a two-core machine (two threads were 1.14x one).
 * One pool of threads, and OpenBLAS's never started. */
typedef struct gemm_job {
  int ta, tb, rows;  /* rows: C split by rows (else by columns) */
  size_t m, n, k, lda, ldb, ldc;
  float alpha, beta;
  const float *a, *b;
  float *c;
  size_t blocks, parts;  /* GEMM_BLOCK-wide blocks of the split side, pieces */
} gemm_job;

#define GEMM_BLOCK 16  /* rows or columns per block of the split: whole kernel tiles */

/* Pieces lo..hi-1 of the split, as one call: piece p is blocks
 * [p blocks / parts, (p + 1) blocks / parts). */
static void gemm_pieces(void *ctx, size_t lo, size_t hi, int w) {
  (void)w;
  const gemm_job *j = ctx;
  size_t all = j->rows ? j->m : j->n;
  size_t r0 = lo * j->blocks / j->parts * GEMM_BLOCK, r1 = hi * j->blocks / j->parts * GEMM_BLOCK;
  if (r1 > all) r1 = all;
  const float *a = j->a, *b = j->b;
  float *c = j->c;
  size_t m = j->m, n = j->n;
  if (j->rows) {  /* rows r0..r1 of op(A) and C */
    a += j->ta ? r0 : r0 * j->lda;
    c += r0 * j->ldc;
    m = r1 - r0;
  } else {  /* columns r0..r1 of op(B) and C */
    b += j->tb ? r0 * j->ldb : r0;
    c += r0;
    n = r1 - r0;
  }
  cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans,
              j->tb ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n, (blasint)j->k,
              j->alpha, a, (blasint)j->lda, b, (blasint)j->ldb, j->beta, c, (blasint)j->ldc);
}

/* Below this many multiply-adds a GEMM stays on the calling thread. */
#define GEMM_PAR_MIN (1u << 20)

/* One piece per worker: every call packs the whole of the side not split
 * again, so the MLP's 128x256x784 product took 1.2x one call's time as 8
 * calls of 32 columns (the pool's default chunking at 2 workers), 1.02x as
 * 2 (OpenBLAS 0.3.21, measured serially). A late worker's piece is taken
 * by the caller, as any chunk. */
void ln_gemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
             const float *a, size_t lda, const float *b, size_t ldb, float beta,
             float *c, size_t ldc) {
  gemm_job j = {ta, tb, m >= n, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c, 0, 1};
  j.blocks = ((j.rows ? m : n) + GEMM_BLOCK - 1) / GEMM_BLOCK;
  /* OpenBLAS at one thread from the first product on, whoever calls (a C
   * program that never set a count got OpenBLAS's own threads, and results
   * that changed from run to run) */
  ln_get_num_threads();
  int workers = 1;
  if ((double)m * (double)n * (double)k >= GEMM_PAR_MIN) workers = ln_par_workers(j.blocks, 1);
  j.parts = (size_t)workers;
  ln_parallel(workers, j.parts, gemm_pieces, &j);
}

/* 0 until set: then OpenBLAS's count from its environment variables. */
static int num_threads;

void ln_set_num_threads(int n) {
  num_threads = n < 1 ? 1 : n;
  openblas_set_num_threads(1);
}

int ln_get_num_threads(void) {
  if (!num_threads) ln_set_num_threads(openblas_get_num_threads());
  return num_threads;
}
