/* tensor_linalg.c: mm, mv, bmm, matmul, dot, outer (see tensor_linalg.h).
 * Every matrix product is one batched driver over ln_gemm. */
#include "tensor_linalg.h"

#include <cblas.h>
#include <stdio.h>
#include <string.h>

#include "tensor_walk.h"

/* How CBLAS reads an (r,c) matrix at strides (s0, s1): row-major with
 * leading dimension ld (trans 0), or as the row-major transpose (trans 1).
 * 0 when it cannot (neither stride is 1, or an expanded one). The stride
 * of a dimension of size 1 does not matter. */
static int blas_layout(size_t r, size_t c, ptrdiff_t s0, ptrdiff_t s1, int *trans,
                       size_t *ld) {
  if ((s1 == 1 || c == 1) && (r == 1 || s0 >= (ptrdiff_t)(c > 1 ? c : 1))) {
    *trans = 0;
    *ld = r == 1 ? c : (size_t)s0;
    return 1;
  }
  if ((s0 == 1 || r == 1) && (c == 1 || s1 >= (ptrdiff_t)r)) {
    *trans = 1;
    *ld = c == 1 ? r : (size_t)s1;
    return 1;
  }
  return 0;
}

/* The operand as CBLAS will read it: t itself, or a contiguous copy when
 * the last two dimensions have no usable layout. */
static int operand(ln_tensor *k, const ln_tensor *t, int *trans, size_t *ld) {
  int nd = t->ndim;
  if (blas_layout(t->size[nd - 2], t->size[nd - 1], t->stride[nd - 2], t->stride[nd - 1],
                  trans, ld)) {
    ln_tensor_share(k, t);
    return LN_OK;
  }
  if (ln_tensor_clone(k, t)) return LN_ERR;
  *trans = 0;
  *ld = t->size[nd - 1];
  return LN_OK;
}

static char *shape(const ln_tensor *t, char *buf) { return ln_shape_str(t, buf, 96); }

/* out (batch..., m, n) = a (batch_a..., m, k) b (batch_b..., k, n), both at
 * least 2-D, the batch shapes broadcast. */
static int batched(const char *who, ln_tensor *out, const ln_tensor *a, const ln_tensor *b) {
  char sa[96], sb[96];
  int na = a->ndim, nb = b->ndim;
  size_t m = a->size[na - 2], k = a->size[na - 1], n = b->size[nb - 1];
  if (b->size[nb - 2] != k)
    return ln_fail("%s: shapes %s and %s cannot be multiplied (%zu columns vs %zu rows)", who,
                   shape(a, sa), shape(b, sb), k, b->size[nb - 2]);
  int nd;
  size_t osize[LN_MAXDIM];
  if (ln_broadcast_shape(NULL, na - 2, a->size, nb - 2, b->size, &nd, osize))
    return ln_fail("%s: the batch dimensions of %s and %s do not broadcast", who,
                   shape(a, sa), shape(b, sb));
  osize[nd] = m;
  osize[nd + 1] = n;
  if (nd + 2 > LN_MAXDIM) return ln_fail("%s: more than %d dimensions", who, LN_MAXDIM);
  ln_tensor ka = LN_TENSOR_EMPTY, kb = LN_TENSOR_EMPTY, r = LN_TENSOR_EMPTY;
  int ta, tb;
  size_t lda, ldb;
  size_t ea[LN_MAXDIM], eb[LN_MAXDIM];
  memcpy(ea, osize, sizeof ea);
  memcpy(eb, osize, sizeof eb);
  ea[nd] = m, ea[nd + 1] = k, eb[nd] = k, eb[nd + 1] = n;
  int rc = operand(&ka, a, &ta, &lda);
  if (rc == LN_OK) rc = operand(&kb, b, &tb, &ldb);
  /* Batch dimensions as stride-0 views: no copy. */
  if (rc == LN_OK) rc = ln_tensor_expand(&ka, &ka, nd + 2, ea);
  if (rc == LN_OK) rc = ln_tensor_expand(&kb, &kb, nd + 2, eb);
  if (rc == LN_OK) rc = ln_tensor_resize(&r, nd + 2, osize);
  if (rc == LN_OK) {
    /* One GEMM for all batches when b is the same matrix for every batch
     * and a's batches and rows are one row-major run of rows. */
    size_t rows = m;
    int fold = !ta;
    ptrdiff_t want = ka.stride[nd] * (ptrdiff_t)m;
    for (int d = nd - 1; d >= 0 && fold; d--) {
      fold = osize[d] == 1 || (kb.stride[d] == 0 && ka.stride[d] == want);
      want *= (ptrdiff_t)ka.size[d];
      rows *= ka.size[d];
    }
    if (fold && m == 1 && rows > 1) fold = 0;  /* lda came from a single row */
    ln_walk w;
    ln_walk_init(&w);
    if (!fold)
      for (int d = 0; d < nd; d++) ln_walk_add(&w, osize[d], ka.stride[d], kb.stride[d],
                                               r.stride[d]);
    const float *pa = ln_data(&ka), *pb = ln_data(&kb);
    float *pr = ln_data(&r);
    do
      ln_gemm(ta, tb, fold ? rows : m, n, k, 1.0f, pa + w.off[0], lda, pb + w.off[1], ldb,
              0.0f, pr + w.off[2], n);
    while (ln_walk_next(&w));
    ln_tensor_free(out);  /* last: out may be a or b */
    *out = r;
    r.st = NULL;
  }
  ln_tensor_free(&ka);
  ln_tensor_free(&kb);
  ln_tensor_free(&r);
  return rc;
}

static int need_dims(const char *who, const ln_tensor *t, int nd, const char *what) {
  if (!t->st) return ln_fail("%s: the tensor is empty", who);
  if (t->ndim != nd) return ln_fail("%s: expected %s, got a %d-D tensor", who, what, t->ndim);
  return LN_OK;
}

int ln_tensor_mm(ln_tensor *out, const ln_tensor *a, const ln_tensor *b) {
  if (need_dims("mm", a, 2, "a matrix") || need_dims("mm", b, 2, "a matrix")) return LN_ERR;
  return batched("mm", out, a, b);
}

int ln_tensor_bmm(ln_tensor *out, const ln_tensor *a, const ln_tensor *b) {
  if (need_dims("bmm", a, 3, "a 3-D batch of matrices") ||
      need_dims("bmm", b, 3, "a 3-D batch of matrices"))
    return LN_ERR;
  if (a->size[0] != b->size[0])
    return ln_fail("bmm: batch sizes %zu and %zu differ", a->size[0], b->size[0]);
  return batched("bmm", out, a, b);
}

int ln_tensor_mv(ln_tensor *out, const ln_tensor *a, const ln_tensor *v) {
  if (need_dims("mv", a, 2, "a matrix") || need_dims("mv", v, 1, "a 1-D vector")) return LN_ERR;
  size_t m = a->size[0], n = a->size[1];
  if (v->size[0] != n) {
    char sa[96], sv[96];
    return ln_fail("mv: shapes %s and %s cannot be multiplied (%zu columns vs %zu elements)",
                   shape(a, sa), shape(v, sv), n, v->size[0]);
  }
  ln_tensor ka = LN_TENSOR_EMPTY, kv = LN_TENSOR_EMPTY, r = LN_TENSOR_EMPTY;
  int ta;
  size_t lda;
  int rc = operand(&ka, a, &ta, &lda);
  /* CBLAS takes any vector stride but 0 (an expanded vector). */
  if (rc == LN_OK) rc = v->stride[0] || n == 1 ? (ln_tensor_share(&kv, v), LN_OK)
                                                : ln_tensor_clone(&kv, v);
  if (rc == LN_OK) rc = ln_tensor_resize(&r, 1, &m);
  if (rc == LN_OK) {
    /* Stored transposed, the matrix CBLAS sees is (n, m). */
    cblas_sgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, (blasint)(ta ? n : m),
                (blasint)(ta ? m : n), 1.0f, ln_data(&ka), (blasint)lda, ln_data(&kv),
                (blasint)(n == 1 ? 1 : kv.stride[0]), 0.0f, ln_data(&r), 1);
    ln_tensor_free(out);
    *out = r;
    r.st = NULL;
  }
  ln_tensor_free(&ka);
  ln_tensor_free(&kv);
  ln_tensor_free(&r);
  return rc;
}

int ln_tensor_dot(double *out, const ln_tensor *a, const ln_tensor *b) {
  if (need_dims("dot", a, 1, "a 1-D vector") || need_dims("dot", b, 1, "a 1-D vector"))
    return LN_ERR;
  size_t n = a->size[0];
  if (b->size[0] != n)
    return ln_fail("dot: sizes %zu and %zu differ", n, b->size[0]);
  const float *x = ln_data(a), *y = ln_data(b);
  ptrdiff_t sx = a->stride[0], sy = b->stride[0];
  double s = 0;
  if (sx == 1 && sy == 1) {
    _Pragma("omp simd reduction(+:s)")
    for (size_t i = 0; i < n; i++) s += (double)x[i] * y[i];
  } else {
    for (size_t i = 0; i < n; i++) s += (double)x[(ptrdiff_t)i * sx] * y[(ptrdiff_t)i * sy];
  }
  *out = s;
  return LN_OK;
}

int ln_tensor_outer(ln_tensor *out, const ln_tensor *a, const ln_tensor *b) {
  if (need_dims("outer", a, 1, "a 1-D vector") || need_dims("outer", b, 1, "a 1-D vector"))
    return LN_ERR;
  size_t size[2] = {a->size[0], b->size[0]};
  ln_tensor r = LN_TENSOR_EMPTY;
  if (ln_tensor_resize(&r, 2, size)) return LN_ERR;
  const float *x = ln_data(a), *y = ln_data(b);
  float *o = ln_data(&r);
  for (size_t i = 0; i < size[0]; i++) {
    float xi = x[(ptrdiff_t)i * a->stride[0]];
    for (size_t j = 0; j < size[1]; j++) o[i * size[1] + j] = xi * y[(ptrdiff_t)j * b->stride[0]];
  }
  ln_tensor_free(out);
  *out = r;
  return LN_OK;
}

int ln_tensor_matmul(ln_tensor *out, const ln_tensor *a, const ln_tensor *b) {
  if (!a->st || !b->st) return ln_fail("matmul: the tensor is empty");
  if (a->ndim == 1 && b->ndim == 1) {
    double d;
    size_t one = 1;
    if (ln_tensor_dot(&d, a, b) || ln_tensor_resize(out, 1, &one)) return LN_ERR;
    *ln_data(out) = (float)d;
    return LN_OK;
  }
  if (a->ndim == 2 && b->ndim == 1) return ln_tensor_mv(out, a, b);
  /* A vector becomes a one-row (a) or one-column (b) matrix, and that
   * dimension is dropped from the result. */
  ln_tensor ka = LN_TENSOR_EMPTY, kb = LN_TENSOR_EMPTY;
  int rc = a->ndim == 1 ? ln_tensor_unsqueeze(&ka, a, 0) : (ln_tensor_share(&ka, a), LN_OK);
  if (rc == LN_OK)
    rc = b->ndim == 1 ? ln_tensor_unsqueeze(&kb, b, 1) : (ln_tensor_share(&kb, b), LN_OK);
  if (rc == LN_OK) rc = batched("matmul", out, &ka, &kb);
  if (rc == LN_OK && (a->ndim == 1 || b->ndim == 1))
    rc = ln_tensor_squeeze(out, out, out->ndim - (a->ndim == 1 ? 2 : 1));
  ln_tensor_free(&ka);
  ln_tensor_free(&kb);
  return rc;
}
