/* tensor.h: float32 tensors of 1 to 8 dimensions, strided views over
 * refcounted storage.
 *
 * A tensor is a small header (sizes, strides, offset) over a refcounted
 * storage, as in Torch7's TH: views (view, narrow, select, transpose,
 * permute, squeeze, unsqueeze, expand) share the storage and are cheap.
 * Strides count elements and are never negative; expand gives stride 0.
 * Headers live by value inside modules or Lua userdata; storages are freed
 * when their last header releases them. A header with st == NULL is empty.
 *
 * ln_data(t) is the first element; it is the whole tensor in row-major order
 * only when ln_is_contiguous(t). Every function here accepts strided input;
 * code that wants flat memory calls ln_tensor_contiguous first (a share when
 * already contiguous, a copy otherwise).
 *
 * Resizing reuses the storage when the tensor is contiguous and the storage
 * big enough, and otherwise swaps in a new one, so a view taken earlier
 * keeps the old data alive and valid. */
#ifndef LN_TENSOR_H
#define LN_TENSOR_H

#include <stddef.h>
#include "base.h"
#include "rng.h"

#define LN_MAXDIM 8
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
  size_t size[LN_MAXDIM];       /* 0 past ndim */
  ptrdiff_t stride[LN_MAXDIM];  /* in elements, >= 0; 0 past ndim */
} ln_tensor;

#define LN_TENSOR_EMPTY {NULL, 0, 0, {0}, {0}}

static inline float *ln_data(const ln_tensor *t) { return t->st->data + t->off; }
/* The element at 0-based indices idx[0..ndim). No bounds check. */
static inline float *ln_at(const ln_tensor *t, const size_t *idx) {
  float *p = ln_data(t);
  for (int i = 0; i < t->ndim; i++) p += (ptrdiff_t)idx[i] * t->stride[i];
  return p;
}
size_t ln_numel(const ln_tensor *t);
int ln_same_shape(const ln_tensor *a, const ln_tensor *b);
/* Whether t's elements lie in row-major order from ln_data(t) (strides of
 * dimensions of size 1 do not matter). An empty tensor is contiguous. */
int ln_is_contiguous(const ln_tensor *t);
/* "500x1" into buf; returns buf. */
char *ln_shape_str(const ln_tensor *t, char *buf, size_t n);
/* Checks a shape (ndim 1..8, every size > 0, numel <= LN_MAXNUMEL); the
 * message names `who`. */
int ln_check_shape(const char *who, int ndim, const size_t *size);

/* Makes t a fresh zero-filled contiguous tensor (releasing what it held). */
int ln_tensor_init(ln_tensor *t, int ndim, const size_t *size);
/* Gives t this shape, contiguous, keeping its storage when t is contiguous
 * (shared or not) and the storage large enough; contents are unspecified
 * after a change of shape. A contiguous t of this shape is left as it is. */
int ln_tensor_resize(ln_tensor *t, int ndim, const size_t *size);
int ln_tensor_resize_as(ln_tensor *t, const ln_tensor *like);
/* Bytes of tensor storage allocated so far (only ever grows): a garbage
 * collector that does not see the core's allocations (Lua's) can be told
 * how much memory its tensor objects hold. */
size_t ln_tensor_bytes_allocated(void);
/* Frees the blocks of freed storages kept for reuse (tensor.c keeps a few
 * large ones); also done at exit and when an allocation fails. */
void ln_tensor_cache_flush(void);
/* Bytes the cache holds now (at most 64 MB, 8 blocks). */
size_t ln_tensor_cache_bytes(void);
/* Releases t's storage; t becomes empty. Safe to call twice. */
void ln_tensor_free(ln_tensor *t);
/* dst becomes a view of all of src (releasing what dst held). */
void ln_tensor_share(ln_tensor *dst, const ln_tensor *src);
/* dst = src when src is contiguous (shared), else a contiguous copy. dst may
 * be src. */
int ln_tensor_contiguous(ln_tensor *dst, const ln_tensor *src);
/* dst = a new contiguous tensor with src's shape and a copy of its data. */
int ln_tensor_clone(ln_tensor *dst, const ln_tensor *src);
/* Copies src's elements into dst in row-major order: element counts must
 * match (any shapes), or src must broadcast to dst's shape. dst is written
 * through its strides; overlapping src and dst are handled. */
int ln_tensor_copy(ln_tensor *dst, const ln_tensor *src);
/* out[0..n) = t's row-major elements first..first+n (no bounds check). */
void ln_tensor_read(const ln_tensor *t, size_t first, size_t n, float *out);

/* Views (tensor_view.c). dst shares src's storage and may be src itself;
 * dimensions are 0-based. On failure dst is left as it was. */
/* dst = src seen with another shape of the same element count; src must be
 * contiguous ("call contiguous() or reshape" otherwise). */
int ln_tensor_view(ln_tensor *dst, const ln_tensor *src, int ndim, const size_t *size);
/* As view when src is contiguous, else a contiguous copy with that shape. */
int ln_tensor_reshape(ln_tensor *dst, const ln_tensor *src, int ndim, const size_t *size);
/* dst = indices [start, start+len) of src along dimension dim. */
int ln_tensor_narrow_dim(ln_tensor *dst, const ln_tensor *src, int dim, size_t start,
                         size_t len);
/* ln_tensor_narrow_dim along the first dimension (rows). */
int ln_tensor_narrow(ln_tensor *dst, const ln_tensor *src, size_t start, size_t len);
/* dst = src at index i of dimension dim, that dimension dropped (src needs
 * 2 dimensions or more: there are no 0-D tensors). */
int ln_tensor_select(ln_tensor *dst, const ln_tensor *src, int dim, size_t i);
int ln_tensor_transpose(ln_tensor *dst, const ln_tensor *src, int d1, int d2);
/* dst dimension i is src dimension perm[i]; perm has src->ndim entries. */
int ln_tensor_permute(ln_tensor *dst, const ln_tensor *src, const int *perm);
/* Drops dimension dim if its size is 1, or every size-1 dimension when
 * dim < 0; one dimension always remains. */
int ln_tensor_squeeze(ln_tensor *dst, const ln_tensor *src, int dim);
/* Inserts a dimension of size 1 before dimension dim (0..ndim). */
int ln_tensor_unsqueeze(ln_tensor *dst, const ln_tensor *src, int dim);
/* Broadcasts src to (ndim, size) by NumPy's rule (sizes aligned at the
 * right; a size 1 or a missing leading dimension repeats, with stride 0). */
int ln_tensor_expand(ln_tensor *dst, const ln_tensor *src, int ndim, const size_t *size);

/* Broadcasting and iteration (tensor_iter.c). */
/* (nd, out) = the NumPy broadcast of shapes a and b, or an error naming
 * who (unless NULL): "who: shapes 2x3 and 4 do not broadcast". out may be
 * a or b. */
int ln_broadcast_shape(const char *who, int na, const size_t *a, int nb, const size_t *b,
                       int *nd, size_t *out);
/* Walks tensors broadcast to one shape, one inner run at a time:
 *
 *   ln_iter it;
 *   if (ln_iter_init(&it, 2, (const ln_tensor *[]){out, a}, out->ndim, out->size)) ...
 *   do kernel(it.p[0], it.s[0], it.p[1], it.s[1], it.n); while (ln_iter_next(&it));
 *
 * Dimensions that are contiguous for every operand are merged, so
 * contiguous operands give one run of all the elements. Runs come in
 * row-major order of the shape. */
#define LN_ITER_MAXOP 4
typedef struct ln_iter {
  int nop, ndim;                   /* ndim: after merging, >= 1 */
  size_t size[LN_MAXDIM];          /* merged sizes, the last one is n */
  ptrdiff_t stride[LN_ITER_MAXOP][LN_MAXDIM];
  size_t idx[LN_MAXDIM];
  float *p[LN_ITER_MAXOP];         /* first element of the current run */
  ptrdiff_t s[LN_ITER_MAXOP];      /* stride within a run */
  size_t n;                        /* elements in a run */
} ln_iter;
/* Fails (naming "iterate") when a tensor does not broadcast to the shape. */
int ln_iter_init(ln_iter *it, int nop, const ln_tensor *const *t, int ndim,
                 const size_t *size);
/* As ln_iter_init, for walks whose result does not depend on the order
 * (elementwise, no written operand overlapping a read one): dimensions are
 * first sorted by stride, operand 0's first (PyTorch's TensorIterator
 * order), so that a transposed or permuted tensor is walked in memory order
 * and merged into long runs. */
int ln_iter_init_any(ln_iter *it, int nop, const ln_tensor *const *t, int ndim,
                     const size_t *size);
/* Moves to the next run; 0 after the last one. */
int ln_iter_next(ln_iter *it);
/* Walks it (just initialised) as fn(share, ctx) on shares of it split
 * across the pool's workers (par.h) when it has at least grain elements a
 * worker, else fn(it, ctx) once. A share is it narrowed along its
 * outermost merged dimension (rows of a matrix, elements of one run): its
 * runs keep their strides, so an elementwise kernel takes the same paths,
 * the same bits, on any thread count. For walks that write disjoint
 * elements only. */
void ln_iter_parallel(ln_iter *it, size_t grain, void (*fn)(ln_iter *share, void *ctx),
                      void *ctx);
/* The elementwise kernels' grain, elements a worker at least: the
 * Fashion-MNIST batch's x - mean (100k elements, ~11 us) took 1.3x as long
 * split in two (best of 15): the wake-up, and half of the operands moving
 * to the other core's L2; a + b on 1M elements, from memory anyway, was
 * 1.5x faster. Transcendental functions (exp, tanh) cost 5-10x as much an
 * element and take an eighth of it. */
#define LN_EW_GRAIN 131072
/* Gives out the shape (ndim, size) as ln_tensor_resize does, but laid out
 * in the order of the inputs' strides (in[0..nin), broadcast to the shape),
 * as PyTorch's elementwise results are: the result of an operation on a
 * transposed tensor is transposed too, so that every operand is walked in
 * memory order. Row-major (contiguous) when the inputs are, or give no
 * order. */
int ln_tensor_resize_layout(ln_tensor *out, int nin, const ln_tensor *const *in, int ndim,
                            const size_t *size);
/* Whether a and b share storage in a way that writing one while reading
 * the other elementwise could read an element already written: same
 * storage and not the very same layout. */
int ln_tensor_overlap(const ln_tensor *a, const ln_tensor *b);

void ln_tensor_fill(ln_tensor *t, float v);
/* n evenly spaced values from a to b inclusive (n >= 1), a 1-D tensor. */
int ln_tensor_linspace(ln_tensor *t, double a, double b, size_t n);
/* Fill t (any layout) in row-major order from r. */
void ln_tensor_randn(ln_tensor *t, ln_rng *r, double mean, double std);
void ln_tensor_rand(ln_tensor *t, ln_rng *r, double lo, double hi);

/* Binary elementwise operations (tensor_ew.c). maximum/minimum give NaN
 * when either operand is NaN; comparisons give 1 or 0. */
typedef enum {
  LN_ADD, LN_SUB, LN_MUL, LN_DIV, LN_POW, LN_MAXIMUM, LN_MINIMUM,
  LN_EQ, LN_NE, LN_LT, LN_LE, LN_GT, LN_GE
} ln_binop;
/* "add", "maximum", "eq", ...: the method names. */
const char *ln_binop_name(ln_binop op);
/* out = a op b with NumPy broadcasting. When out is a or b (the same
 * header) and has the broadcast shape, it is written in place through its
 * strides (the `_` forms); otherwise it is resized to that shape by
 * ln_tensor_resize_layout (contiguous unless the inputs are laid out in
 * another order, transposed for instance). Inputs overlapping out in
 * another layout are copied first. */
int ln_tensor_binop(ln_tensor *out, const ln_tensor *a, const ln_tensor *b, ln_binop op);
/* The same, element by element through the row-major index (out a fresh
 * contiguous tensor, not a or b): the simple reference that tests hold
 * ln_tensor_binop's fast paths to. */
int ln_tensor_binop_ref(ln_tensor *out, const ln_tensor *a, const ln_tensor *b, ln_binop op);
/* out = a op s, or s op a when scalar_first; out may be a (in place). */
int ln_tensor_scalar(ln_tensor *out, const ln_tensor *a, double s, ln_binop op,
                     int scalar_first);
/* t becomes a 1-element tensor over the caller's v and st (on its stack),
 * a number that broadcasts with anything. Share it, never free it. */
void ln_tensor_number(ln_tensor *t, ln_storage *st, float *v);
/* out = cond != 0 ? a : b elementwise, the three broadcast together; out
 * may be one of them (in place when it has the result's shape). */
int ln_tensor_where(ln_tensor *out, const ln_tensor *cond, const ln_tensor *a,
                    const ln_tensor *b);
/* out = mask != 0 ? v : a, mask broadcast to a's shape; out may be a. */
int ln_tensor_masked_fill(ln_tensor *out, const ln_tensor *a, const ln_tensor *mask, float v);

/* Unary elementwise math (tensor_math.c). round is half to even; sign of
 * NaN is 0; isnan and isinf give 1 or 0; clamp keeps NaN and takes its
 * bounds lo, hi (+-inf for none; hi wins when lo > hi, as torch.clamp);
 * exp, log, log1p, sin, cos, tanh and sigmoid are vmath.h's vectorized
 * kernels, relu the layer's. */
typedef enum {
  LN_U_ABS, LN_U_NEG, LN_U_EXP, LN_U_LOG, LN_U_LOG1P, LN_U_SQRT, LN_U_RSQRT, LN_U_SIGN,
  LN_U_FLOOR, LN_U_CEIL, LN_U_ROUND, LN_U_SIN, LN_U_COS, LN_U_TANH, LN_U_SIGMOID, LN_U_RELU,
  LN_U_ISNAN, LN_U_ISINF, LN_U_CLAMP
} ln_unop;
const char *ln_unop_name(ln_unop op);
/* out = op(a); out may be a (in place through its strides), otherwise it
 * is resized to a's shape by ln_tensor_resize_layout (laid out as a is when
 * a is a transposed or permuted tensor). */
int ln_tensor_unary(ln_tensor *out, const ln_tensor *a, ln_unop op, double lo, double hi);
/* out (count) = a's elements where mask (broadcast with a) is nonzero, in
 * row-major order; when none is, count is 0 and out is left as it was. */
int ln_tensor_masked_select(ln_tensor *out, size_t *count, const ln_tensor *a,
                            const ln_tensor *mask);
/* out (count, ndim) = the 0-based indices of t's nonzero elements in
 * row-major order (out untouched when count is 0). Refuses sizes past 2^24,
 * which float32 indices would not hold exactly. */
int ln_tensor_nonzero(ln_tensor *out, size_t *count, const ln_tensor *t);
size_t ln_tensor_count_nonzero(const ln_tensor *t);
/* Same shape and every element equal (NaN never is). */
int ln_tensor_equal(const ln_tensor *a, const ln_tensor *b);
/* *result = |a - b| <= atol + rtol |b| everywhere (broadcast), as
 * torch.allclose: NaN is never close, infinities only to themselves. */
int ln_tensor_allclose(int *result, const ln_tensor *a, const ln_tensor *b, double rtol,
                       double atol);

/* Refuses (naming who) a destination where several elements are one memory
 * location (an expanded view): in-place arithmetic there is ill-defined. */
int ln_tensor_check_writable(const char *who, const ln_tensor *t);

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
 * them. A large product is split by rows or columns of C (blocks of 16)
 * between the worker threads of par.h, each block one single-threaded
 * OpenBLAS call: the same bits for a given thread count. */
void ln_gemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
             const float *a, size_t lda, const float *b, size_t ldb, float beta,
             float *c, size_t ldc);

/* Threads the kernels and GEMMs may use (par.h); n >= 1 (less counts as
 * 1). Until set, OpenBLAS's count from its environment variables. */
void ln_set_num_threads(int n);
int ln_get_num_threads(void);

#endif
