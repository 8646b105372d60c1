/* tensor_view.c: views (a new header over the same storage) and reshape. */
#include "tensor.h"

#include <stdio.h>
#include <string.h>

/* The views below build the new header in a local and share it into dst
 * last, so dst may be src and a failure leaves dst untouched. */
static void install(ln_tensor *dst, const ln_tensor *src, const ln_tensor *h) {
  ln_tensor_share(dst, src);  /* takes the reference */
  dst->off = h->off;
  dst->ndim = h->ndim;
  for (int i = 0; i < LN_MAXDIM; i++) {
    dst->size[i] = i < h->ndim ? h->size[i] : 0;
    dst->stride[i] = i < h->ndim ? h->stride[i] : 0;
  }
}

static int check_dim(const char *who, const ln_tensor *t, int dim) {
  if (!t->st) return ln_fail("%s: the tensor is empty", who);
  if (dim < 0 || dim >= t->ndim)
    return ln_fail("%s: dimension %d out of range (1..%d)", who, dim + 1, t->ndim);
  return LN_OK;
}

static void contiguous_strides(ln_tensor *h) {
  ptrdiff_t s = 1;
  for (int i = h->ndim - 1; i >= 0; i--) {
    h->stride[i] = s;
    s *= (ptrdiff_t)h->size[i];
  }
}

static int check_count(const char *who, const ln_tensor *src, int ndim, const size_t *size) {
  if (ln_check_shape(who, ndim, size)) return LN_ERR;
  size_t n = 1;
  for (int i = 0; i < ndim; i++) n *= size[i];
  if (n != ln_numel(src)) {
    char a[128];
    return ln_fail("%s: cannot view a %s tensor (%zu elements) with %zu elements", who,
                   ln_shape_str(src, a, sizeof a), ln_numel(src), n);
  }
  return LN_OK;
}

int ln_tensor_view(ln_tensor *dst, const ln_tensor *src, int ndim, const size_t *size) {
  if (check_count("view", src, ndim, size)) return LN_ERR;
  if (!ln_is_contiguous(src))
    return ln_fail("view: the tensor is not contiguous (a transpose, narrow or expand);"
                   " call contiguous() first, or reshape, which copies");
  ln_tensor h = *src;
  h.ndim = ndim;
  memcpy(h.size, size, (size_t)ndim * sizeof *size);
  contiguous_strides(&h);
  install(dst, src, &h);
  return LN_OK;
}

int ln_tensor_reshape(ln_tensor *dst, const ln_tensor *src, int ndim, const size_t *size) {
  if (check_count("reshape", src, ndim, size)) return LN_ERR;
  if (ln_is_contiguous(src)) return ln_tensor_view(dst, src, ndim, size);
  ln_tensor c = LN_TENSOR_EMPTY;
  if (ln_tensor_contiguous(&c, src)) return LN_ERR;
  int rc = ln_tensor_view(dst, &c, ndim, size);
  ln_tensor_free(&c);
  return rc;
}

int ln_tensor_narrow_dim(ln_tensor *dst, const ln_tensor *src, int dim, size_t start,
                         size_t len) {
  if (check_dim("narrow", src, dim)) return LN_ERR;
  size_t n = src->size[dim];
  if (len == 0 || start >= n || len > n - start) {
    if (dim == 0)
      return ln_fail("narrow: rows %zu..%zu out of range 1..%zu", start + 1, start + len, n);
    return ln_fail("narrow: indices %zu..%zu out of range 1..%zu in dimension %d", start + 1,
                   start + len, n, dim + 1);
  }
  ln_tensor h = *src;
  h.off += start * (size_t)src->stride[dim];
  h.size[dim] = len;
  install(dst, src, &h);
  return LN_OK;
}

int ln_tensor_narrow(ln_tensor *dst, const ln_tensor *src, size_t start, size_t len) {
  return ln_tensor_narrow_dim(dst, src, 0, start, len);
}

/* Removes dimension dim of header h. */
static void drop_dim(ln_tensor *h, int dim) {
  for (int i = dim; i + 1 < h->ndim; i++) {
    h->size[i] = h->size[i + 1];
    h->stride[i] = h->stride[i + 1];
  }
  h->ndim--;
}

int ln_tensor_select(ln_tensor *dst, const ln_tensor *src, int dim, size_t i) {
  if (check_dim("select", src, dim)) return LN_ERR;
  if (i >= src->size[dim])
    return ln_fail("select: index %zu out of range 1..%zu in dimension %d", i + 1,
                   src->size[dim], dim + 1);
  if (src->ndim == 1)
    return ln_fail("select: a 1-D tensor has no dimension left to keep (read the number"
                   " with get)");
  ln_tensor h = *src;
  h.off += i * (size_t)src->stride[dim];
  drop_dim(&h, dim);
  install(dst, src, &h);
  return LN_OK;
}

int ln_tensor_transpose(ln_tensor *dst, const ln_tensor *src, int d1, int d2) {
  if (check_dim("transpose", src, d1) || check_dim("transpose", src, d2)) return LN_ERR;
  ln_tensor h = *src;
  h.size[d1] = src->size[d2];
  h.stride[d1] = src->stride[d2];
  h.size[d2] = src->size[d1];
  h.stride[d2] = src->stride[d1];
  install(dst, src, &h);
  return LN_OK;
}

int ln_tensor_permute(ln_tensor *dst, const ln_tensor *src, const int *perm) {
  if (!src->st) return ln_fail("permute: the tensor is empty");
  int seen[LN_MAXDIM] = {0};
  ln_tensor h = *src;
  for (int i = 0; i < src->ndim; i++) {
    int d = perm[i];
    if (d < 0 || d >= src->ndim)
      return ln_fail("permute: dimension %d out of range (1..%d)", d + 1, src->ndim);
    if (seen[d]++) return ln_fail("permute: dimension %d appears twice", d + 1);
    h.size[i] = src->size[d];
    h.stride[i] = src->stride[d];
  }
  install(dst, src, &h);
  return LN_OK;
}

int ln_tensor_squeeze(ln_tensor *dst, const ln_tensor *src, int dim) {
  if (dim >= 0 && check_dim("squeeze", src, dim)) return LN_ERR;
  if (!src->st) return ln_fail("squeeze: the tensor is empty");
  ln_tensor h = *src;
  for (int i = h.ndim - 1; i >= 0; i--)
    if ((dim < 0 || i == dim) && h.size[i] == 1 && h.ndim > 1) drop_dim(&h, i);
  install(dst, src, &h);
  return LN_OK;
}

int ln_tensor_unsqueeze(ln_tensor *dst, const ln_tensor *src, int dim) {
  if (!src->st) return ln_fail("unsqueeze: the tensor is empty");
  if (dim < 0 || dim > src->ndim)
    return ln_fail("unsqueeze: dimension %d out of range (1..%d)", dim + 1, src->ndim + 1);
  if (src->ndim == LN_MAXDIM)
    return ln_fail("unsqueeze: a tensor has at most %d dimensions", LN_MAXDIM);
  ln_tensor h = *src;
  for (int i = h.ndim; i > dim; i--) {
    h.size[i] = h.size[i - 1];
    h.stride[i] = h.stride[i - 1];
  }
  h.size[dim] = 1;
  /* Any stride would do for a size-1 dimension; this one keeps a
   * contiguous tensor's strides canonical. */
  h.stride[dim] = dim < src->ndim ? src->stride[dim] * (ptrdiff_t)src->size[dim] : 1;
  h.ndim++;
  install(dst, src, &h);
  return LN_OK;
}

int ln_tensor_expand(ln_tensor *dst, const ln_tensor *src, int ndim, const size_t *size) {
  if (!src->st) return ln_fail("expand: the tensor is empty");
  if (ln_check_shape("expand", ndim, size)) return LN_ERR;
  int lead = ndim - src->ndim;
  char a[128], b[128];
  ln_tensor want = LN_TENSOR_EMPTY;
  want.ndim = ndim;
  memcpy(want.size, size, (size_t)ndim * sizeof *size);
  if (lead < 0)
    return ln_fail("expand: cannot expand a %s tensor to fewer dimensions (%s)",
                   ln_shape_str(src, a, sizeof a), ln_shape_str(&want, b, sizeof b));
  ln_tensor h = *src;
  h.ndim = ndim;
  for (int d = ndim - 1; d >= 0; d--) {
    int e = d - lead;
    if (e >= 0 && src->size[e] == size[d]) {
      h.size[d] = size[d];
      h.stride[d] = src->stride[e];
    } else if (e < 0 || src->size[e] == 1) {
      h.size[d] = size[d];
      h.stride[d] = 0;
    } else {
      return ln_fail("expand: cannot expand a %s tensor to %s (dimension %d has size %zu,"
                     " not 1)", ln_shape_str(src, a, sizeof a),
                     ln_shape_str(&want, b, sizeof b), e + 1, src->size[e]);
    }
  }
  install(dst, src, &h);
  return LN_OK;
}
