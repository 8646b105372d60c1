/* tensor.h: float32 tensors, row-major and contiguous, 1 to 4 dimensions.
 *
 * A tensor is a small header (sizes, offset) over a refcounted storage, as in
 * Torch7's TH: views (view, narrow) share the storage and are cheap. Headers
 * live by value inside modules or Lua userdata; storages are freed when their
 * last header releases them. A header with st == NULL is empty.
 *
 * Resizing reuses the storage when it is big enough and otherwise swaps in a
 * new one, so a view taken earlier keeps the old data alive and valid. */
#ifndef LN_TENSOR_H
#define LN_TENSOR_H

#include <stddef.h>
#include "base.h"
#include "rng.h"

#define LN_MAXDIM 4
/* Largest element count a tensor may hold (2^31 - 1 floats, 8 GiB): every
 * size then fits the 32-bit ints that CBLAS takes. */
#define LN_MAXNUMEL (((size_t)1 << 31) - 1)

typedef struct ln_storage {
  float *data;
  size_t cap;    /* in floats */
  int refs;
} ln_storage;

typedef struct ln_tensor {
  ln_storage *st;  /* NULL: empty tensor */
  size_t off;      /* first element, in floats from st->data */
  int ndim;        /* 1..LN_MAXDIM, 0 when empty */
  size_t size[LN_MAXDIM];
} ln_tensor;

#define LN_TENSOR_EMPTY {NULL, 0, 0, {0, 0, 0, 0}}

static inline float *ln_data(const ln_tensor *t) { return t->st->data + t->off; }
size_t ln_numel(const ln_tensor *t);
int ln_same_shape(const ln_tensor *a, const ln_tensor *b);
/* "500x1" into buf; returns buf. */
char *ln_shape_str(const ln_tensor *t, char *buf, size_t n);
/* Checks a shape (ndim 1..4, every size > 0, numel <= LN_MAXNUMEL); the
 * message names `who`. */
int ln_check_shape(const char *who, int ndim, const size_t *size);

/* Makes t a fresh zero-filled tensor (releasing what it held). */
int ln_tensor_init(ln_tensor *t, int ndim, const size_t *size);
/* Gives t this shape, keeping its storage when unshared-or-not and large
 * enough; contents are unspecified after a change of shape. */
int ln_tensor_resize(ln_tensor *t, int ndim, const size_t *size);
int ln_tensor_resize_as(ln_tensor *t, const ln_tensor *like);
/* Releases t's storage; t becomes empty. Safe to call twice. */
void ln_tensor_free(ln_tensor *t);
/* dst becomes a view of all of src (releasing what dst held). */
void ln_tensor_share(ln_tensor *dst, const ln_tensor *src);

/* dst = src seen with another shape of the same element count. */
int ln_tensor_view(ln_tensor *dst, const ln_tensor *src, int ndim, const size_t *size);
/* dst = rows [start, start+len) of src along the first dimension (0-based). */
int ln_tensor_narrow(ln_tensor *dst, const ln_tensor *src, size_t start, size_t len);
/* dst = a new tensor with src's shape and a copy of its data. */
int ln_tensor_clone(ln_tensor *dst, const ln_tensor *src);
/* Copies src's elements into dst; element counts must match. */
int ln_tensor_copy(ln_tensor *dst, const ln_tensor *src);

void ln_tensor_fill(ln_tensor *t, float v);
/* n evenly spaced values from a to b inclusive (n >= 1), a 1-D tensor. */
int ln_tensor_linspace(ln_tensor *t, double a, double b, size_t n);
void ln_tensor_randn(ln_tensor *t, ln_rng *r, double mean, double std);
void ln_tensor_rand(ln_tensor *t, ln_rng *r, double lo, double hi);

typedef enum { LN_ADD, LN_SUB, LN_MUL, LN_DIV, LN_POW } ln_binop;
/* out = a op b. Shapes: equal, or a (N,C) and b (C) (b broadcast over rows).
 * out may alias a; it is resized to a's shape. */
int ln_tensor_binop(ln_tensor *out, const ln_tensor *a, const ln_tensor *b, ln_binop op);
/* out = a op s, or s op a when scalar_first. out may alias a. */
int ln_tensor_scalar(ln_tensor *out, const ln_tensor *a, double s, ln_binop op,
                     int scalar_first);

/* Reductions over all elements, accumulated in double. std is the unbiased
 * (n-1) standard deviation, as torch.std; it is 0/0 = NaN for one element. */
double ln_tensor_sum(const ln_tensor *t);
double ln_tensor_mean(const ln_tensor *t);
double ln_tensor_std(const ln_tensor *t);
double ln_tensor_min(const ln_tensor *t);
double ln_tensor_max(const ln_tensor *t);
/* 0-based index of the largest of x[0..n), the first one on ties; a NaN
 * counts as largest (the first NaN), as torch.argmax. */
size_t ln_argmax(const float *x, size_t n);
/* out (N) = ln_argmax of each row of t (N,C). */
int ln_tensor_argmax_rows(ln_tensor *out, const ln_tensor *t);

/* C (M,N) = alpha * op(A) op(B) + beta * C through CBLAS, row-major.
 * op transposes when ta/tb is nonzero. No shape checks: callers have done
 * them. */
void ln_gemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
             const float *a, size_t lda, const float *b, size_t ldb, float beta,
             float *c, size_t ldc);

/* Threads the GEMMs may use (OpenBLAS's pool); n >= 1. */
void ln_set_num_threads(int n);
int ln_get_num_threads(void);

#endif
