/* tensor_sort.c: sort and topk along a dimension (see tensor_reduce.h).
 * Each line is copied out with its indices, merge-sorted (stable) and the
 * first k written back. */
#include "tensor_reduce.h"

#include "tensor_walk.h"

typedef struct item {
  float v;
  size_t i;
} item;

/* Whether a goes strictly before b; NaN is the largest value. */
static inline int before(float a, float b, int desc) {
  if (desc) return (a != a && b == b) || a > b;
  return (b != b && a == a) || a < b;
}

/* Sorts x[0..n), stable; tmp has room for n. Runs of 16 are sorted by
 * insertion first, then merged bottom-up between x and tmp. */
static void merge_sort(item *x, item *tmp, size_t n, int desc) {
  for (size_t lo = 0; lo < n; lo += 16) {
    size_t hi = lo + 16 < n ? lo + 16 : n;
    for (size_t i = lo + 1; i < hi; i++) {
      item e = x[i];
      size_t j = i;
      for (; j > lo && before(e.v, x[j - 1].v, desc); j--) x[j] = x[j - 1];
      x[j] = e;
    }
  }
  item *a = x, *b = tmp;
  for (size_t w = 16; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t i = lo, j = mid, k = lo;
      /* Take from the right only when strictly before: ties keep order. */
      while (i < mid && j < hi) b[k++] = before(a[j].v, a[i].v, desc) ? a[j++] : a[i++];
      while (i < mid) b[k++] = a[i++];
      while (j < hi) b[k++] = a[j++];
    }
    item *s = a;
    a = b;
    b = s;
  }
  if (a != x)
    for (size_t i = 0; i < n; i++) x[i] = a[i];
}

static int sort_lines(const char *who, ln_tensor *vals, ln_tensor *idx, const ln_tensor *t,
                      int dim, size_t k, int desc) {
  if (ln_check_dim(who, t, dim)) return LN_ERR;
  size_t n = t->size[dim];
  if (k < 1 || k > n) return ln_fail("%s: k = %zu out of range (1..%zu)", who, k, n);
  if (n > (1u << 24))
    return ln_fail("%s: more than 2^24 elements along dimension %d (float indices would not"
                   " be exact)", who, dim + 1);
  item *buf = ln_malloc(2 * n * sizeof *buf);
  if (!buf) return ln_fail("%s: out of memory", who);
  ln_tensor kt = LN_TENSOR_EMPTY;
  ln_tensor_share(&kt, t);  /* t may be vals or idx */
  int rc = ln_tensor_results(vals, idx, &kt, dim, k);
  if (rc == LN_OK) {
    ptrdiff_t os[LN_MAXDIM], sn = kt.stride[dim];
    ln_contiguous_strides(vals->ndim, vals->size, os);
    ln_walk w;
    ln_walk_init(&w);
    for (int d = 0; d < kt.ndim; d++)
      if (d != dim) ln_walk_add(&w, kt.size[d], kt.stride[d], os[d], 0);
    const float *x = ln_data(&kt);
    float *o = ln_data(vals), *oi = ln_data(idx);
    do {
      const float *p = x + w.off[0];
      for (size_t i = 0; i < n; i++) buf[i] = (item){p[(ptrdiff_t)i * sn], i};
      merge_sort(buf, buf + n, n, desc);
      for (size_t i = 0; i < k; i++) {
        o[w.off[1] + (ptrdiff_t)i * os[dim]] = buf[i].v;
        oi[w.off[1] + (ptrdiff_t)i * os[dim]] = (float)buf[i].i;
      }
    } while (ln_walk_next(&w));
  }
  ln_tensor_free(&kt);
  ln_free(buf);
  return rc;
}

int ln_tensor_sort(ln_tensor *vals, ln_tensor *idx, const ln_tensor *t, int dim,
                   int descending) {
  size_t n = t->st && dim >= 0 && dim < t->ndim ? t->size[dim] : 1;
  return sort_lines("sort", vals, idx, t, dim, n, descending);
}

int ln_tensor_topk(ln_tensor *vals, ln_tensor *idx, const ln_tensor *t, size_t k, int dim,
                   int largest) {
  return sort_lines("topk", vals, idx, t, dim, k, largest);
}
