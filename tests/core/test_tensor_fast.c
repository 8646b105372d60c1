/* test_tensor_fast.c: the fast elementwise and reduction kernels against
 * their simple references (ln_tensor_binop_ref, ln_tensor_reduce_dim_ref),
 * on random shapes of 1 to 6 dimensions whose lengths reach every path of
 * the kernels (vector bodies, their tails, blocks of lines), with
 * contiguous, transposed, permuted, narrowed, expanded and broadcast
 * operands. Elementwise results must be identical; sums and means may
 * differ by their summation order, within a bound, and must be the same
 * from run to run. Prints the largest differences found. Also the cache of
 * freed large storages (tensor.c): reused, counted, zeroed, capped. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "tensor_reduce.h"

static ln_rng rng;

static size_t pick(size_t n) { return (size_t)(ln_rng_uniform(&rng) * (double)n) % n; }

/* Lengths around the kernels' boundaries: vectors of 8 and 16, line_sum's
 * groups of 64, BLOCK (1024) lines. */
static const size_t lengths[] = {1, 2, 3, 5, 8, 15, 16, 17, 33, 63, 64, 65, 100, 130, 257, 1030};

/* A random shape of nd dimensions with at most cap elements. */
static void random_shape(int nd, size_t cap, size_t *size) {
  size_t n = 1;
  for (int d = nd - 1; d >= 0; d--) {
    size_t s;
    do s = lengths[pick(sizeof lengths / sizeof *lengths)]; while (n * s > cap && s > 1);
    size[d] = s;
    n *= s;
  }
}

/* t = a randn tensor of shape (nd, size) laid out as `layout` says:
 * 0 contiguous, 1 the last two dimensions transposed, 2 narrowed (rows
 * padded and the start moved, so nothing is aligned), 3 randomly
 * permuted. */
static void make(ln_tensor *t, int nd, const size_t *size, int layout) {
  ln_tensor base = LN_TENSOR_EMPTY;
  size_t bs[LN_MAXDIM];
  int perm[LN_MAXDIM];
  memcpy(bs, size, (size_t)nd * sizeof *bs);
  for (int d = 0; d < nd; d++) perm[d] = d;
  if (layout == 1 && nd >= 2) perm[nd - 2] = nd - 1, perm[nd - 1] = nd - 2;
  if (layout == 3)
    for (int d = nd - 1; d > 0; d--) {
      int e = (int)pick((size_t)d + 1), x = perm[d];
      perm[d] = perm[e], perm[e] = x;
    }
  /* base dimension perm[i] has size[i]; the view permutes it back */
  for (int i = 0; i < nd; i++) bs[perm[i]] = size[i];
  if (layout == 2) bs[nd - 1] += 3;
  ln_tensor_init(&base, nd, bs);
  ln_tensor_randn(&base, &rng, 0, 1);
  if (layout == 2) ln_tensor_narrow_dim(&base, &base, nd - 1, 3, size[nd - 1]);
  ln_tensor_permute(t, &base, perm);
  ln_tensor_free(&base);
}

/* Largest |a - b| over all elements of two tensors of one shape (NaN in
 * both counts as equal, NaN in one as infinite); *rel the largest
 * |a - b| / |b|. */
static double max_diff(const ln_tensor *a, const ln_tensor *b, double *rel) {
  size_t n = ln_numel(a);
  float *x = ln_malloc(n * sizeof *x), *y = ln_malloc(n * sizeof *y);
  ln_tensor_read(a, 0, n, x);
  ln_tensor_read(b, 0, n, y);
  double worst = 0;
  *rel = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(x[i]) && isnan(y[i])) continue;
    double d = isnan(x[i]) || isnan(y[i]) ? INFINITY : fabs((double)x[i] - y[i]);
    if (x[i] == y[i]) d = 0;  /* equal infinities */
    worst = d > worst ? d : worst;
    double r = d == 0 ? 0 : d / fabs((double)y[i]);
    *rel = r > *rel ? r : *rel;
  }
  ln_free(x);
  ln_free(y);
  return worst;
}

/* Every binary operation on random operands: a of the full shape in some
 * layout, b broadcast (dimensions dropped in front or of size 1),
 * sometimes expanded to stride 0, sometimes the out of an in-place op;
 * ncases of at most cap elements on `threads` threads (on 2, larger than
 * the split's grain, and the same bits as on 1 thread). */
static void test_binops(int threads, size_t cap, int ncases) {
  double worst_exact = 0, worst_pow = 0;
  int cases = 0, split = 0;
  for (int c = 0; c < ncases; c++) {
    int nd = 1 + (int)pick(6);
    size_t sa[LN_MAXDIM], sb[LN_MAXDIM];
    random_shape(nd, cap, sa);
    int nb = nd - (int)pick((size_t)nd);
    for (int d = 0; d < nb; d++) sb[d] = pick(3) == 0 ? 1 : sa[nd - nb + d];
    ln_tensor a = LN_TENSOR_EMPTY, b = LN_TENSOR_EMPTY, fast = LN_TENSOR_EMPTY,
              ref = LN_TENSOR_EMPTY;
    make(&a, nd, sa, (int)pick(4));
    make(&b, nb, sb, (int)pick(4));
    if (pick(4) == 0) ln_tensor_expand(&b, &b, nd, sa);
    int swap = pick(2) == 0, inplace = !swap && pick(3) == 0;
    ln_binop op = (ln_binop)pick(LN_GE + 1);
    const ln_tensor *x = swap ? &b : &a, *y = swap ? &a : &b;
    CHECK(ln_tensor_binop_ref(&ref, x, y, op) == LN_OK, "ref: %s", ln_error());
    ln_tensor one = LN_TENSOR_EMPTY;
    split += threads > 1 && ln_numel(&ref) >= 2 * LN_EW_GRAIN;
    if (threads > 1)
      CHECK(ln_tensor_binop(&one, x, y, op) == LN_OK, "%s: %s", ln_binop_name(op), ln_error());
    ln_set_num_threads(threads);
    int rc;
    if (inplace) {
      ln_tensor_share(&fast, &a);
      rc = ln_tensor_binop(&fast, &fast, &b, op);  /* a written through */
    } else {
      rc = ln_tensor_binop(&fast, x, y, op);
    }
    ln_set_num_threads(1);
    CHECK(rc == LN_OK, "%s: %s", ln_binop_name(op), ln_error());
    if (threads > 1 && !inplace) {
      double r1, d1 = max_diff(&fast, &one, &r1);
      CHECK(d1 == 0, "%s on %d threads: %g from 1 thread", ln_binop_name(op), threads, d1);
    }
    ln_tensor_free(&one);
    double rel, d = max_diff(&fast, &ref, &rel);
    char shape[128];
    if (op == LN_POW) {
      /* x^p for a number p has direct forms (x * x, sqrt): one rounding */
      worst_pow = rel > worst_pow ? rel : worst_pow;
      CHECK(rel <= 0x1p-23, "pow %s: relative difference %g", ln_shape_str(&a, shape, 128), rel);
    } else {
      worst_exact = d > worst_exact ? d : worst_exact;
      CHECK(d == 0, "%s %s (layout case %d): difference %g", ln_binop_name(op),
            ln_shape_str(&a, shape, 128), c, d);
    }
    cases++;
    ln_tensor_free(&a), ln_tensor_free(&b), ln_tensor_free(&fast), ln_tensor_free(&ref);
  }
  printf("binop on %d thread(s): %d random cases (%d split), largest difference %g (pow: "
         "relative %g)\n", threads, cases, split, worst_exact, worst_pow);
  CHECK(threads == 1 || split >= ncases / 3, "only %d of %d cases split", split, ncases);
}

/* The broadcast row add of the benchmark's shape and a 1e6 add. */
static void test_bench_shapes(void) {
  ln_tensor a = LN_TENSOR_EMPTY, r = LN_TENSOR_EMPTY, f = LN_TENSOR_EMPTY,
            g = LN_TENSOR_EMPTY;
  make(&a, 2, (size_t[]){1024, 1024}, 0);
  make(&r, 1, (size_t[]){1024}, 0);
  double rel;
  ln_tensor_binop(&f, &a, &r, LN_ADD);
  ln_tensor_binop_ref(&g, &a, &r, LN_ADD);
  CHECK(max_diff(&f, &g, &rel) == 0, "row add differs");
  make(&a, 1, (size_t[]){1000000}, 0);
  make(&r, 1, (size_t[]){1000000}, 0);
  ln_tensor_binop(&f, &a, &r, LN_MUL);
  ln_tensor_binop_ref(&g, &a, &r, LN_MUL);
  CHECK(max_diff(&f, &g, &rel) == 0, "1e6 mul differs");
  ln_tensor_free(&a), ln_tensor_free(&r), ln_tensor_free(&f), ln_tensor_free(&g);
}

/* One reduction along dim of t, fast against the reference; returns the
 * difference of sums and means in units of 2^-24 of the sum of |x| of the
 * line (and of |result|), which the bound below limits. */
static double check_reduce(const ln_tensor *t, int dim, ln_reduce_op op, int keepdim) {
  static const char *const names[] = {"sum", "mean", "", "", "", "", "", "max", "min"};
  ln_tensor f = LN_TENSOR_EMPTY, fi = LN_TENSOR_EMPTY, g = LN_TENSOR_EMPTY,
            gi = LN_TENSOR_EMPTY, again = LN_TENSOR_EMPTY, ab = LN_TENSOR_EMPTY,
            mag = LN_TENSOR_EMPTY;
  int ext = op == LN_R_MAX || op == LN_R_MIN;
  char shape[128];
  ln_shape_str(t, shape, sizeof shape);
  CHECK(ln_tensor_reduce_dim(&f, ext ? &fi : NULL, t, dim, keepdim, op, 0) == LN_OK, "%s",
        ln_error());
  CHECK(ln_tensor_reduce_dim_ref(&g, ext ? &gi : NULL, t, dim, keepdim, op) == LN_OK, "%s",
        ln_error());
  ln_tensor_reduce_dim(&again, NULL, t, dim, keepdim, op, 0);
  size_t n = ln_numel(&f);
  CHECK(n == ln_numel(&g) && f.ndim == g.ndim, "%s %s dim %d: shapes differ", names[op], shape,
        dim + 1);
  CHECK(memcmp(ln_data(&f), ln_data(&again), n * sizeof(float)) == 0,
        "%s %s dim %d: not the same twice", names[op], shape, dim + 1);
  double units = 0, rel;
  if (ext) {
    CHECK(max_diff(&f, &g, &rel) == 0 && max_diff(&fi, &gi, &rel) == 0,
          "%s %s dim %d: value or index differs", names[op], shape, dim + 1);
  } else {
    ln_tensor_unary(&ab, t, LN_U_ABS, 0, 0);
    ln_tensor_reduce_dim_ref(&mag, NULL, &ab, dim, keepdim, op);
    for (size_t i = 0; i < n; i++) {
      double d = fabs((double)ln_data(&f)[i] - ln_data(&g)[i]);
      double scale = 0x1p-24 * ((double)ln_data(&mag)[i] + fabs((double)ln_data(&g)[i]));
      double u = d == 0 ? 0 : d / scale;
      units = u > units ? u : units;
    }
    /* groups of four added in float: two roundings of 2^-24 of the group;
     * the result rounded to float: one more */
    CHECK(units <= 3, "%s %s dim %d: %g units", names[op], shape, dim + 1, units);
  }
  ln_tensor_free(&f), ln_tensor_free(&fi), ln_tensor_free(&g), ln_tensor_free(&gi);
  ln_tensor_free(&again), ln_tensor_free(&ab), ln_tensor_free(&mag);
  return units;
}

/* Element k (row-major) of t = NaN. */
static void set_nan(ln_tensor *t, size_t k) {
  size_t idx[LN_MAXDIM];
  for (int d = t->ndim - 1; d >= 0; d--) idx[d] = k % t->size[d], k /= t->size[d];
  *ln_at(t, idx) = NAN;
}

static void test_reductions(void) {
  double worst = 0;
  int cases = 0;
  for (int c = 0; c < 200; c++) {
    int nd = 1 + (int)pick(4);
    size_t s[LN_MAXDIM];
    random_shape(nd, 60000, s);
    ln_tensor t = LN_TENSOR_EMPTY;
    make(&t, nd, s, (int)pick(4));
    if (pick(8) == 0) set_nan(&t, pick(ln_numel(&t)));
    int dim = (int)pick((size_t)nd);
    ln_reduce_op ops[] = {LN_R_SUM, LN_R_MEAN, LN_R_MAX, LN_R_MIN};
    for (int k = 0; k < 4; k++) {
      double u = check_reduce(&t, dim, ops[k], (int)pick(2));
      worst = u > worst ? u : worst;
      cases++;
    }
    ln_tensor_free(&t);
  }
  /* the benchmark's shapes, and more lines than a block */
  static const size_t shapes[][2] = {{1024, 1024}, {3, 2100}, {2100, 3}, {70, 1000}};
  for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
    for (int layout = 0; layout < 3; layout++)
      for (int dim = 0; dim < 2; dim++) {
        ln_tensor t = LN_TENSOR_EMPTY;
        make(&t, 2, shapes[i], layout);
        for (int op = LN_R_SUM; op <= LN_R_MEAN; op++) {
          double u = check_reduce(&t, dim, (ln_reduce_op)op, 0);
          worst = u > worst ? u : worst;
          cases++;
        }
        cases++, check_reduce(&t, dim, LN_R_MAX, 0);
        ln_tensor_free(&t);
      }
  printf("reduce along a dimension: %d cases, sum/mean within %.3g units of 2^-24 (sum |x|"
         " + |result|) of a sequential double sum, max/min identical\n", cases, worst);
}

/* A sum over all elements against the sequential double sum. */
static void test_sum_all(void) {
  ln_tensor t = LN_TENSOR_EMPTY, g = LN_TENSOR_EMPTY;
  make(&t, 1, (size_t[]){1000003}, 0);
  double s, abs = 0;
  CHECK(ln_tensor_reduce_all(&t, LN_R_SUM, 0, &s, NULL) == LN_OK, "%s", ln_error());
  ln_tensor_reduce_dim_ref(&g, NULL, &t, 0, 0, LN_R_SUM);
  for (size_t i = 0; i < ln_numel(&t); i++) abs += fabs(ln_data(&t)[i]);
  double exact = 0;
  for (size_t i = 0; i < ln_numel(&t); i++) exact += ln_data(&t)[i];
  double units = fabs(s - exact) / (0x1p-24 * abs);
  CHECK(units <= 2, "sum of 1e6: %g units", units);
  CHECK(fabs((double)ln_data(&g)[0] - exact) <= 0x1p-24 * fabs(exact), "the reference");
  printf("sum of 1000003: %.3g units of 2^-24 sum |x| from the sequential double sum\n", units);
  /* transposed and permuted tensors are read in memory order, narrowed
   * ones copied first: the same sums, maxima and minima either way */
  double worst = 0;
  for (int c = 0; c < 60; c++) {
    int nd = 1 + (int)pick(5);
    size_t sz[LN_MAXDIM];
    random_shape(nd, 50000, sz);
    make(&t, nd, sz, 1 + (int)pick(3));
    size_t n = ln_numel(&t);
    float *x = ln_malloc(n * sizeof *x);
    ln_tensor_read(&t, 0, n, x);
    double want = 0, mag = 0, mx = x[0], mn = x[0], got, gmax, gmin;
    for (size_t i = 0; i < n; i++) {
      want += x[i], mag += fabs(x[i]);
      mx = x[i] > mx ? x[i] : mx, mn = x[i] < mn ? x[i] : mn;
    }
    ln_tensor_reduce_all(&t, LN_R_SUM, 0, &got, NULL);
    ln_tensor_reduce_all(&t, LN_R_MAX, 0, &gmax, NULL);
    ln_tensor_reduce_all(&t, LN_R_MIN, 0, &gmin, NULL);
    double u = fabs(got - want) / (0x1p-24 * mag);
    worst = u > worst ? u : worst;
    char shape[128];
    CHECK(u <= 2 && gmax == mx && gmin == mn, "%s (strides %td, %td): sum %g units, max %g/%g,"
          " min %g/%g", ln_shape_str(&t, shape, 128), t.stride[0], t.stride[nd - 1], u, gmax,
          mx, gmin, mn);
    ln_free(x);
  }
  printf("sum/max/min over all of 60 strided tensors: sums within %.3g units\n", worst);
  ln_tensor_free(&t), ln_tensor_free(&g);
}

/* The cache of freed storages: a freed 4 MB block serves the next tensor
 * of about its size, counted as an allocation and zeroed for init; small
 * blocks and other sizes are not served from it; it never holds more than
 * 8 blocks or 64 MB; flushing empties it. Large blocks start their data at
 * page offsets that vary, 64-byte aligned. The sanitizer builds keep
 * nothing, so that a use after free is seen. */
static void test_cache(void) {
  ln_tensor t = LN_TENSOR_EMPTY, u = LN_TENSOR_EMPTY;
  size_t n = 1000000, big = 2 * n;
  ln_tensor_cache_flush();
  CHECK(ln_tensor_cache_bytes() == 0, "flushed cache holds %zu", ln_tensor_cache_bytes());
  ln_tensor_init(&t, 1, &n);
  ln_tensor_fill(&t, 7);
  float *old = ln_data(&t);
  ln_tensor_free(&t);
#ifdef __SANITIZE_ADDRESS__
  CHECK(ln_tensor_cache_bytes() == 0, "the sanitizer build cached a block");
  (void)old, (void)u;
#else
  CHECK(ln_tensor_cache_bytes() >= n * sizeof(float), "a freed 4 MB block not kept");
  uint64_t before = ln_alloc_count();
  ln_tensor_init(&t, 1, &n);
  CHECK(ln_data(&t) == old && ln_alloc_count() == before + 1,
        "not reused, or not counted (%llu allocations)",
        (unsigned long long)(ln_alloc_count() - before));
  int zero = 1;
  for (size_t i = 0; i < n; i++) zero &= ln_data(&t)[i] == 0;
  CHECK(zero, "a reused block is not zero-filled by init");
  CHECK(ln_tensor_cache_bytes() == 0, "the block is still counted in the cache");
  ln_tensor_free(&t);
  size_t small = n / 2;
  ln_tensor_init(&t, 1, &big);
  ln_tensor_init(&u, 1, &small);
  CHECK(ln_data(&t) != old && ln_data(&u) != old, "a block served another size");
  ln_tensor_free(&t), ln_tensor_free(&u);
  size_t held = ln_tensor_cache_bytes();
  size_t few = 1000;
  ln_tensor_init(&t, 1, &few);
  ln_tensor_free(&t);
  CHECK(ln_tensor_cache_bytes() == held, "a small block was kept");
#endif
  ln_tensor many[20];
  int offsets = 0, aligned = 1;
  for (int i = 0; i < 20; i++) many[i] = (ln_tensor)LN_TENSOR_EMPTY;
  for (int i = 0; i < 20; i++) ln_tensor_init(&many[i], 1, &big);
  for (int i = 0; i < 20; i++) {
    uintptr_t at = (uintptr_t)ln_data(&many[i]);
    aligned &= at % 64 == 0;
    int seen = 0;
    for (int j = 0; j < i; j++) seen |= (uintptr_t)ln_data(&many[j]) % 4096 == at % 4096;
    offsets += !seen;
  }
  CHECK(aligned && offsets >= 8, "%d page offsets among 20 large tensors (aligned: %d)",
        offsets, aligned);
  for (int i = 0; i < 20; i++) ln_tensor_free(&many[i]);
  size_t bytes = ln_tensor_cache_bytes();
  CHECK(bytes <= ((size_t)64 << 20) && bytes <= 8 * (big * sizeof(float) + 4096 + 128),
        "the cache holds %zu bytes", bytes);
  ln_tensor_cache_flush();
  CHECK(ln_tensor_cache_bytes() == 0, "flush left %zu", ln_tensor_cache_bytes());
  printf("cache: %zu bytes held after 20 frees of 8 MB (cap 64 MB, 8 blocks)\n", bytes);
}

int main(void) {
  ln_rng_seed(&rng, 11);
  test_binops(1, 40000, 300);
  test_binops(2, 1000000, 40);
  test_bench_shapes();
  test_reductions();
  test_sum_all();
  test_cache();
  return check_summary();
}
