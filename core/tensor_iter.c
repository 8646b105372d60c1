/* tensor_iter.c: NumPy broadcasting and the strided iterator every
 * elementwise operation walks (see tensor.h). */
#include "tensor.h"

#include <stdio.h>
#include <string.h>

#include "par.h"

static char *shape_str(int nd, const size_t *s, char *buf, size_t n) {
  ln_tensor t = LN_TENSOR_EMPTY;
  t.ndim = nd;
  memcpy(t.size, s, (size_t)nd * sizeof *s);
  return ln_shape_str(&t, buf, n);
}

int ln_broadcast_shape(const char *who, int na, const size_t *a, int nb, const size_t *b,
                       int *nd, size_t *out) {
  int n = na > nb ? na : nb;
  size_t r[LN_MAXDIM];
  for (int i = 0; i < n; i++) {
    /* Dimension i counted from the right in each shape; a missing one is 1. */
    size_t x = i < na ? a[na - 1 - i] : 1, y = i < nb ? b[nb - 1 - i] : 1;
    if (x != y && x != 1 && y != 1) {
      char sa[96], sb[96];
      return ln_fail("%s%sshapes %s and %s do not broadcast (dimension %d from the right:"
                     " %zu vs %zu)", who ? who : "", who ? ": " : "",
                     shape_str(na, a, sa, sizeof sa),
                     shape_str(nb, b, sb, sizeof sb), i + 1, x, y);
    }
    r[n - 1 - i] = x == 1 ? y : x;
  }
  memcpy(out, r, (size_t)n * sizeof *r);
  *nd = n;
  return LN_OK;
}

/* st[k][d] = tensor k's stride along dimension d of the (ndim, size) loop
 * it broadcasts to: 0 where it repeats. */
static int loop_strides(int nop, const ln_tensor *const *t, int ndim, const size_t *size,
                        ptrdiff_t st[][LN_MAXDIM]) {
  for (int k = 0; k < nop; k++) {
    int lead = ndim - t[k]->ndim;
    if (lead < 0) return ln_fail("iterate: a %d-D tensor in a %d-D loop", t[k]->ndim, ndim);
    for (int d = 0; d < ndim; d++) {
      int e = d - lead;
      if (e < 0 || (t[k]->size[e] == 1 && size[d] != 1)) st[k][d] = 0;
      else if (t[k]->size[e] == size[d]) st[k][d] = t[k]->stride[e];
      else {
        char a[96], b[96];
        return ln_fail("iterate: a %s tensor does not broadcast to %s",
                       ln_shape_str(t[k], a, sizeof a), shape_str(ndim, size, b, sizeof b));
      }
    }
  }
  return LN_OK;
}

/* The dimensions of size > 1 (m of them) into dims, outermost first: in
 * row-major order, or, when by_stride, sorted so that strides shrink
 * inwards, as PyTorch's TensorIterator does: operand 0 decides, a later one
 * where it has equal or zero (broadcast) strides, and dimensions that no
 * operand orders keep their row-major order. */
static int order_dims(int nop, ptrdiff_t st[][LN_MAXDIM], int ndim, const size_t *size,
                      int by_stride, int *dims) {
  int m = 0;
  for (int d = 0; d < ndim; d++)
    if (size[d] > 1) dims[m++] = d;
  if (!by_stride) return m;
  for (int i = 1; i < m; i++)  /* insertion sort: stable, at most 8 dimensions */
    for (int j = i; j > 0; j--) {
      int outer = dims[j - 1], inner = dims[j], swap = 0;
      for (int k = 0; k < nop; k++) {
        ptrdiff_t so = st[k][outer], si = st[k][inner];
        if (so == 0 || si == 0 || so == si) continue;
        swap = so < si;
        break;
      }
      if (!swap) break;
      dims[j - 1] = inner;
      dims[j] = outer;
    }
  return m;
}

static int iter_init(ln_iter *it, int nop, const ln_tensor *const *t, int ndim,
                     const size_t *size, int any_order) {
  ptrdiff_t st[LN_ITER_MAXOP][LN_MAXDIM];
  int dims[LN_MAXDIM];
  if (loop_strides(nop, t, ndim, size, st)) return LN_ERR;
  for (int k = 0; k < nop; k++) it->p[k] = ln_data(t[k]);
  int nd = order_dims(nop, st, ndim, size, any_order, dims);
  /* Merge each dimension into the one before it when every operand steps
   * over the two as one longer dimension. */
  int m = 0;
  for (int i = 0; i < nd; i++) {
    int d = dims[i], merge = m > 0;
    for (int k = 0; k < nop && merge; k++)
      merge = it->stride[k][m - 1] == st[k][d] * (ptrdiff_t)size[d];
    if (merge) {
      it->size[m - 1] *= size[d];
      for (int k = 0; k < nop; k++) it->stride[k][m - 1] = st[k][d];
    } else {
      it->size[m] = size[d];
      for (int k = 0; k < nop; k++) it->stride[k][m] = st[k][d];
      m++;
    }
  }
  if (m == 0) {  /* one element */
    it->size[0] = 1;
    for (int k = 0; k < nop; k++) it->stride[k][0] = 1;
    m = 1;
  }
  it->nop = nop;
  it->ndim = m;
  memset(it->idx, 0, sizeof it->idx);
  it->n = it->size[m - 1];
  for (int k = 0; k < nop; k++) it->s[k] = it->stride[k][m - 1];
  return LN_OK;
}

int ln_iter_init(ln_iter *it, int nop, const ln_tensor *const *t, int ndim,
                 const size_t *size) {
  return iter_init(it, nop, t, ndim, size, 0);
}

int ln_iter_init_any(ln_iter *it, int nop, const ln_tensor *const *t, int ndim,
                     const size_t *size) {
  return iter_init(it, nop, t, ndim, size, 1);
}

int ln_tensor_resize_layout(ln_tensor *out, int nin, const ln_tensor *const *in, int ndim,
                            const size_t *size) {
  ptrdiff_t st[LN_ITER_MAXOP][LN_MAXDIM], want[LN_MAXDIM] = {0};
  int dims[LN_MAXDIM];
  if (ln_check_shape("tensor", ndim, size) || loop_strides(nin, in, ndim, size, st))
    return LN_ERR;
  int m = order_dims(nin, st, ndim, size, 1, dims), row_major = 1;
  for (int i = 1; i < m; i++) row_major &= dims[i - 1] < dims[i];
  if (row_major) return ln_tensor_resize(out, ndim, size);
  /* Dense strides in that order; a dimension of size 1 takes stride 1. */
  ptrdiff_t s = 1;
  for (int i = m - 1; i >= 0; i--) {
    want[dims[i]] = s;
    s *= (ptrdiff_t)size[dims[i]];
  }
  for (int d = 0; d < ndim; d++) want[d] += size[d] == 1;
  int same = out->st && out->ndim == ndim && out->st->cap - out->off >= (size_t)s;
  for (int d = 0; d < ndim && same; d++)
    same = out->size[d] == size[d] && out->stride[d] == want[d];
  if (same) return LN_OK;
  size_t n = (size_t)s;
  if (ln_tensor_resize(out, 1, &n)) return LN_ERR;
  out->ndim = ndim;
  for (int d = 0; d < LN_MAXDIM; d++) {
    out->size[d] = d < ndim ? size[d] : 0;
    out->stride[d] = want[d];
  }
  return LN_OK;
}

int ln_iter_next(ln_iter *it) {
  for (int d = it->ndim - 2; d >= 0; d--) {
    if (++it->idx[d] < it->size[d]) {
      for (int k = 0; k < it->nop; k++) it->p[k] += it->stride[k][d];
      return 1;
    }
    it->idx[d] = 0;
    for (int k = 0; k < it->nop; k++)
      it->p[k] -= it->stride[k][d] * (ptrdiff_t)(it->size[d] - 1);
  }
  return 0;
}

typedef struct iter_job {
  const ln_iter *it;
  void (*fn)(ln_iter *, void *);
  void *ctx;
} iter_job;

static void iter_share(void *ctx, size_t lo, size_t hi, int w) {
  (void)w;
  const iter_job *j = ctx;
  ln_iter it = *j->it;
  for (int k = 0; k < it.nop; k++) it.p[k] += (ptrdiff_t)lo * it.stride[k][0];
  it.size[0] = hi - lo;
  if (it.ndim == 1) it.n = hi - lo;
  j->fn(&it, j->ctx);
}

void ln_iter_parallel(ln_iter *it, size_t grain, void (*fn)(ln_iter *share, void *ctx),
                      void *ctx) {
  size_t total = 1;
  for (int d = 0; d < it->ndim; d++) total *= it->size[d];
  int workers = ln_par_workers(total, grain);
  if (workers <= 1 || it->size[0] < 2) {
    fn(it, ctx);
    return;
  }
  iter_job j = {it, fn, ctx};
  ln_parallel(workers, it->size[0], iter_share, &j);
}

/* One past the last storage element t can reach. */
static size_t extent_end(const ln_tensor *t) {
  size_t e = t->off + 1;
  for (int i = 0; i < t->ndim; i++) e += (t->size[i] - 1) * (size_t)t->stride[i];
  return e;
}

int ln_tensor_overlap(const ln_tensor *a, const ln_tensor *b) {
  if (!a->st || a->st != b->st) return 0;
  if (extent_end(a) <= b->off || extent_end(b) <= a->off) return 0;  /* disjoint spans */
  if (a->off != b->off || !ln_same_shape(a, b)) return 1;
  for (int i = 0; i < a->ndim; i++)
    if (a->size[i] > 1 && a->stride[i] != b->stride[i]) return 1;
  return 0;
}
