/* test_tensor.c: the tensor core (shapes, storage sharing, elementwise math,
 * reductions, gemm) and the RNG, checked against values computed here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tensor.h"

#define HAS(msg, part) (strstr((msg), (part)) != NULL)

static size_t sz1[1], sz2[2];

static const size_t *dims1(size_t a) { sz1[0] = a; return sz1; }
static const size_t *dims2(size_t a, size_t b) { sz2[0] = a; sz2[1] = b; return sz2; }

static void test_shapes(void) {
  ln_tensor t = LN_TENSOR_EMPTY;
  char buf[64];
  CHECK(ln_numel(&t) == 0, "empty numel %zu", ln_numel(&t));
  CHECK(strcmp(ln_shape_str(&t, buf, sizeof buf), "empty") == 0, "got %s", buf);
  size_t s4[4] = {2, 3, 4, 5};
  CHECK(ln_tensor_init(&t, 4, s4) == LN_OK, "%s", ln_error());
  CHECK(t.ndim == 4 && ln_numel(&t) == 120, "ndim %d numel %zu", t.ndim, ln_numel(&t));
  CHECK(strcmp(ln_shape_str(&t, buf, sizeof buf), "2x3x4x5") == 0, "got %s", buf);
  /* A buffer too small truncates instead of overflowing. */
  char small[4];
  ln_shape_str(&t, small, sizeof small);
  CHECK(strlen(small) == 3, "truncated to '%s'", small);
  ln_tensor u = LN_TENSOR_EMPTY;
  ln_tensor_init(&u, 2, dims2(500, 1));
  CHECK(strcmp(ln_shape_str(&u, buf, sizeof buf), "500x1") == 0, "got %s", buf);
  CHECK(!ln_same_shape(&t, &u), "4-D and 2-D compared equal");
  ln_tensor w = LN_TENSOR_EMPTY;
  ln_tensor_init(&w, 2, dims2(1, 500));
  CHECK(!ln_same_shape(&u, &w), "500x1 and 1x500 compared equal");
  ln_tensor_init(&w, 2, dims2(500, 1));
  CHECK(ln_same_shape(&u, &w), "500x1 twice compared different");

  /* ln_check_shape: every way a shape can be bad, with the caller's name. */
  size_t zero[2] = {3, 0};
  CHECK(ln_check_shape("zeros", 2, zero) == LN_ERR, "zero size accepted");
  CHECK(HAS(ln_error(), "zeros: size 2 is zero"), "msg: %s", ln_error());
  size_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  CHECK(ln_check_shape("view", 9, nine) == LN_ERR, "9 dims accepted");
  CHECK(HAS(ln_error(), "view:") && HAS(ln_error(), "1 to 8 dimensions, got 9"),
        "msg: %s", ln_error());
  CHECK(ln_check_shape("view", 8, nine) == LN_OK, "8 dims refused: %s", ln_error());
  CHECK(ln_check_shape("view", 0, nine) == LN_ERR, "0 dims accepted");
  size_t wrap[2] = {(size_t)1 << 40, (size_t)1 << 40};  /* product wraps size_t */
  CHECK(ln_check_shape("zeros", 2, wrap) == LN_ERR, "size_t overflow accepted");
  CHECK(HAS(ln_error(), "too many elements"), "msg: %s", ln_error());
  size_t big[2] = {(size_t)1 << 16, (size_t)1 << 15};  /* 2^31: one past the limit */
  CHECK(ln_check_shape("ones", 2, big) == LN_ERR, "over LN_MAXNUMEL accepted");
  CHECK(HAS(ln_error(), "ones: too many elements"), "msg: %s", ln_error());
  size_t row[1] = {(size_t)1 << 31};  /* one size that would wrap a CBLAS int */
  CHECK(ln_check_shape("ones", 1, row) == LN_ERR, "a 2^31 size accepted");
  size_t edge[1] = {((size_t)1 << 31) - 1};  /* exactly LN_MAXNUMEL */
  CHECK(ln_check_shape("ones", 1, edge) == LN_OK, "LN_MAXNUMEL itself refused");
  size_t ok[4] = {1, 2, 3, 4};
  CHECK(ln_check_shape("x", 4, ok) == LN_OK, "good shape refused: %s", ln_error());
  /* A failing init leaves the tensor as it was. */
  CHECK(ln_tensor_init(&u, 2, zero) == LN_ERR && u.st && u.size[0] == 500, "init clobbered");
  ln_tensor_free(&t);
  ln_tensor_free(&u);
  ln_tensor_free(&w);
  ln_tensor_free(&w);  /* twice is safe */
  CHECK(w.st == NULL && w.ndim == 0, "free left st %p ndim %d", (void *)w.st, w.ndim);
}

static void test_init_resize(void) {
  ln_tensor t = LN_TENSOR_EMPTY;
  CHECK(ln_tensor_init(&t, 2, dims2(3, 4)) == LN_OK, "%s", ln_error());
  int zeros = 1;
  for (size_t i = 0; i < 12; i++) zeros &= ln_data(&t)[i] == 0.0f;
  CHECK(zeros, "init is not zero-filled");
  CHECK(t.st->refs == 1 && t.st->cap == 12 && t.off == 0, "refs %d cap %zu", t.st->refs,
        t.st->cap);

  /* Shrinking or reshaping within capacity keeps the storage, allocating nothing. */
  ln_storage *st = t.st;
  uint64_t before = ln_alloc_count();
  CHECK(ln_tensor_resize(&t, 1, dims1(5)) == LN_OK, "%s", ln_error());
  CHECK(ln_tensor_resize(&t, 2, dims2(4, 3)) == LN_OK, "%s", ln_error());
  CHECK(t.st == st && ln_alloc_count() == before, "resize within capacity allocated");
  CHECK(t.ndim == 2 && t.size[0] == 4 && t.size[1] == 3 && t.size[2] == 0, "shape wrong");

  /* Growing swaps in a new storage; a view taken before keeps the old data. */
  for (size_t i = 0; i < 12; i++) ln_data(&t)[i] = (float)i;
  ln_tensor v = LN_TENSOR_EMPTY;
  ln_tensor_share(&v, &t);
  CHECK(st->refs == 2, "refs after share %d", st->refs);
  CHECK(ln_tensor_resize(&t, 2, dims2(100, 3)) == LN_OK, "%s", ln_error());
  CHECK(t.st != st && v.st == st && st->refs == 1 && t.st->refs == 1,
        "grow: new st %d, old refs %d", t.st != st, st->refs);
  CHECK(t.st->cap == 300 && ln_numel(&t) == 300, "cap %zu", t.st->cap);
  for (size_t i = 0; i < 300; i++) ln_data(&t)[i] = -1.0f;
  int intact = 1;
  for (size_t i = 0; i < 12; i++) intact &= ln_data(&v)[i] == (float)i;
  CHECK(intact && v.size[0] == 4 && v.size[1] == 3, "view lost its data");

  /* A failed resize changes nothing. */
  size_t bad[1] = {0};
  CHECK(ln_tensor_resize(&t, 1, bad) == LN_ERR && t.size[0] == 100, "bad resize applied");
  CHECK(HAS(ln_error(), "size 1 is zero"), "msg: %s", ln_error());

  /* resize of an empty tensor allocates; resize_as copies the shape. */
  ln_tensor e = LN_TENSOR_EMPTY;
  CHECK(ln_tensor_resize_as(&e, &v) == LN_OK && ln_same_shape(&e, &v) && e.st != v.st,
        "resize_as: %s", ln_error());
  ln_tensor_free(&t);
  ln_tensor_free(&v);
  ln_tensor_free(&e);
}

static void test_views(void) {
  ln_tensor t = LN_TENSOR_EMPTY, v = LN_TENSOR_EMPTY, n = LN_TENSOR_EMPTY;
  ln_tensor_init(&t, 2, dims2(4, 3));
  for (size_t i = 0; i < 12; i++) ln_data(&t)[i] = (float)(i + 1);
  ln_storage *st = t.st;

  CHECK(ln_tensor_view(&v, &t, 1, dims1(12)) == LN_OK, "%s", ln_error());
  CHECK(v.st == st && st->refs == 2 && v.ndim == 1 && v.size[0] == 12, "view refs %d",
        st->refs);
  ln_data(&v)[5] = 60;  /* writes through to t */
  CHECK(ln_data(&t)[5] == 60, "view does not share data");
  CHECK(ln_tensor_view(&v, &t, 2, dims2(5, 2)) == LN_ERR, "view 10 of 12 accepted");
  CHECK(HAS(ln_error(), "cannot view a 4x3 tensor (12 elements) with 10 elements"),
        "msg: %s", ln_error());
  CHECK(v.st == st && st->refs == 2, "failed view released the old one");
  size_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 12};
  CHECK(ln_tensor_view(&v, &t, 9, nine) == LN_ERR && HAS(ln_error(), "view:"),
        "9-D view: %s", ln_error());
  /* Re-viewing into the same header must not drop the storage. */
  CHECK(ln_tensor_view(&v, &v, 2, dims2(2, 6)) == LN_OK && st->refs == 2, "self view");

  /* narrow rows 2..3 (0-based start 1, len 2). */
  CHECK(ln_tensor_narrow(&n, &t, 1, 2) == LN_OK, "%s", ln_error());
  CHECK(n.st == st && st->refs == 3 && n.off == 3 && n.size[0] == 2 && n.size[1] == 3,
        "narrow off %zu refs %d", n.off, st->refs);
  CHECK(ln_data(&n)[0] == 4 && ln_data(&n)[5] == 9, "narrow data %g %g",
        ln_data(&n)[0], ln_data(&n)[5]);
  CHECK(ln_tensor_narrow(&n, &t, 3, 2) == LN_ERR, "rows 4..5 of 4 accepted");
  CHECK(HAS(ln_error(), "narrow: rows 4..5 out of range 1..4"), "msg: %s", ln_error());
  CHECK(ln_tensor_narrow(&n, &t, 4, 1) == LN_ERR, "start past end accepted");
  CHECK(ln_tensor_narrow(&n, &t, 0, 0) == LN_ERR, "empty narrow accepted");
  CHECK(ln_tensor_narrow(&n, &t, 1, (size_t)-1) == LN_ERR, "wrapping length accepted");
  /* A narrow of a narrow adds offsets. */
  ln_tensor nn = LN_TENSOR_EMPTY;
  CHECK(ln_tensor_narrow(&nn, &n, 1, 1) == LN_OK && nn.off == 6 && ln_data(&nn)[0] == 7,
        "nested narrow off %zu", nn.off);

  /* Free the original: the views keep the storage and read correct data. */
  ln_tensor_free(&t);
  CHECK(st->refs == 3, "refs after freeing the original %d", st->refs);
  float want[6] = {4, 5, 60, 7, 8, 9};
  int same = 1;
  for (size_t i = 0; i < 6; i++) same &= ln_data(&n)[i] == want[i];
  CHECK(same, "narrow reads wrong data after the original was freed");
  CHECK(ln_data(&v)[11] == 12 && ln_data(&nn)[2] == 9, "view reads wrong data");
  ln_tensor_free(&n);
  ln_tensor_free(&v);
  CHECK(st->refs == 1, "refs %d", st->refs);
  ln_tensor_free(&nn);  /* last one frees the storage: ASan/valgrind would see a leak */
}

static void test_clone_copy(void) {
  ln_tensor a = LN_TENSOR_EMPTY, c = LN_TENSOR_EMPTY, b = LN_TENSOR_EMPTY;
  ln_tensor_init(&a, 2, dims2(2, 3));
  for (size_t i = 0; i < 6; i++) ln_data(&a)[i] = (float)i * 1.5f;
  CHECK(ln_tensor_clone(&c, &a) == LN_OK, "%s", ln_error());
  CHECK(c.st != a.st && ln_same_shape(&c, &a) && c.st->refs == 1, "clone shares");
  CHECK(memcmp(ln_data(&c), ln_data(&a), 6 * sizeof(float)) == 0, "clone data differs");
  ln_data(&c)[0] = 99;
  CHECK(ln_data(&a)[0] == 0, "clone writes into the source");
  /* Clone of a narrow copies only the rows of the narrow. */
  ln_tensor n = LN_TENSOR_EMPTY;
  ln_tensor_narrow(&n, &a, 1, 1);
  CHECK(ln_tensor_clone(&c, &n) == LN_OK && c.size[0] == 1 && ln_data(&c)[0] == 4.5f &&
        c.off == 0, "clone of narrow %g", ln_data(&c)[0]);
  /* Clone into itself keeps the data. */
  CHECK(ln_tensor_clone(&c, &c) == LN_OK && ln_data(&c)[2] == 7.5f, "self clone");

  /* copy: equal element counts, any shapes. */
  ln_tensor_init(&b, 1, dims1(6));
  CHECK(ln_tensor_copy(&b, &a) == LN_OK, "%s", ln_error());
  CHECK(ln_data(&b)[5] == 7.5f && b.ndim == 1, "copy data %g", ln_data(&b)[5]);
  ln_tensor_init(&b, 1, dims1(5));
  CHECK(ln_tensor_copy(&b, &a) == LN_ERR, "5 <- 6 copy accepted");
  CHECK(HAS(ln_error(), "copy: source 2x3 has 6 elements, destination 5 has 5"),
        "msg: %s", ln_error());
  /* Copy a row onto the other (the same storage). */
  ln_tensor r0 = LN_TENSOR_EMPTY;
  ln_tensor_narrow(&r0, &a, 0, 1);
  CHECK(ln_tensor_copy(&r0, &n) == LN_OK && ln_data(&a)[0] == 4.5f && ln_data(&a)[2] == 7.5f,
        "row copy %g", ln_data(&a)[0]);

  ln_tensor_fill(&a, -2.5f);
  int all = 1;
  for (size_t i = 0; i < 6; i++) all &= ln_data(&a)[i] == -2.5f;
  CHECK(all, "fill");
  ln_tensor e = LN_TENSOR_EMPTY;
  ln_tensor_fill(&e, 1);  /* an empty tensor: nothing to do, no crash */
  CHECK(e.st == NULL, "fill of empty allocated");
  ln_tensor_free(&a);
  ln_tensor_free(&b);
  ln_tensor_free(&c);
  ln_tensor_free(&n);
  ln_tensor_free(&r0);
}

static void test_linspace(void) {
  ln_tensor t = LN_TENSOR_EMPTY;
  CHECK(ln_tensor_linspace(&t, -7, 10, 500) == LN_OK, "%s", ln_error());
  CHECK(t.ndim == 1 && t.size[0] == 500, "shape %zu", t.size[0]);
  const float *p = ln_data(&t);
  CHECK(p[0] == -7.0f && p[499] == 10.0f, "endpoints %.9g %.9g", p[0], p[499]);
  /* Every value is the float nearest the exact a + i (b - a) / (n - 1). */
  int exact = 1;
  for (int i = 0; i < 500; i++) exact &= p[i] == (float)(-7.0 + 17.0 * i / 499.0);
  CHECK(exact, "a value is not the rounded exact value");
  /* torch.linspace(-7, 10, 500)[i] (python3-torch 1.13, float32): it steps in
   * float, so it may differ from the exact value by a couple of ulps. */
  static const int idx[] = {1, 100, 249, 250, 333, 498};
  static const double torch[] = {-6.96593189, -3.59318638, 1.48296618, 1.51703429,
                                 4.34468889, 9.96593189};
  for (int k = 0; k < 6; k++) {
    double exact_v = -7.0 + 17.0 * idx[k] / 499.0;
    CHECK_CLOSE(p[idx[k]], exact_v, 2e-7);
    CHECK_CLOSE(p[idx[k]], torch[k], 1e-6);
  }
  CHECK(ln_tensor_linspace(&t, 3, 5, 1) == LN_OK && t.size[0] == 1 && ln_data(&t)[0] == 3,
        "n = 1 gives %g", ln_data(&t)[0]);
  CHECK(ln_tensor_linspace(&t, 1, 0, 3) == LN_OK && ln_data(&t)[1] == 0.5f &&
        ln_data(&t)[2] == 0, "descending");
  CHECK(ln_tensor_linspace(&t, 0, 1, 0) == LN_ERR && HAS(ln_error(), "size 1 is zero"),
        "n = 0: %s", ln_error());
  ln_tensor_free(&t);
}

static void set(ln_tensor *t, const float *v) {
  memcpy(ln_data(t), v, ln_numel(t) * sizeof(float));
}

static void test_binop(void) {
  ln_tensor a = LN_TENSOR_EMPTY, b = LN_TENSOR_EMPTY, r = LN_TENSOR_EMPTY, o = LN_TENSOR_EMPTY;
  ln_tensor_init(&a, 2, dims2(2, 3));
  ln_tensor_init(&b, 2, dims2(2, 3));
  set(&a, (float[]){1, 2, 3, 4, 5, 6});
  set(&b, (float[]){2, 2, 2, -1, 0.5f, 4});
  static const float add[] = {3, 4, 5, 3, 5.5f, 10}, sub[] = {-1, 0, 1, 5, 4.5f, 2},
                     mul[] = {2, 4, 6, -4, 2.5f, 24}, dv[] = {0.5f, 1, 1.5f, -4, 10, 1.5f},
                     pw[] = {1, 4, 9, 0.25f, 2.2360680f, 1296};
  const float *want[] = {add, sub, mul, dv, pw};
  ln_binop ops[] = {LN_ADD, LN_SUB, LN_MUL, LN_DIV, LN_POW};
  for (int k = 0; k < 5; k++) {
    CHECK(ln_tensor_binop(&o, &a, &b, ops[k]) == LN_OK, "op %d: %s", k, ln_error());
    CHECK(ln_same_shape(&o, &a), "op %d shape", k);
    for (int i = 0; i < 6; i++) CHECK_CLOSE(ln_data(&o)[i], want[k][i], 1e-6);
  }
  /* (N,C) with (C): the row repeats over the rows. */
  ln_tensor_init(&r, 1, dims1(3));
  set(&r, (float[]){10, 20, 30});
  CHECK(ln_tensor_binop(&o, &a, &r, LN_ADD) == LN_OK, "%s", ln_error());
  static const float radd[] = {11, 22, 33, 14, 25, 36};
  for (int i = 0; i < 6; i++) CHECK(ln_data(&o)[i] == radd[i], "row add [%d]", i);
  CHECK(ln_tensor_binop(&o, &a, &r, LN_SUB) == LN_OK && ln_data(&o)[3] == -6, "row sub");
  /* (C) with (N,C) broadcasts too (NumPy's rule); a wrong C does not. */
  CHECK(ln_tensor_binop(&o, &r, &a, LN_SUB) == LN_OK && ln_same_shape(&o, &a) &&
        ln_data(&o)[0] == 9 && ln_data(&o)[5] == 24, "(C)-(N,C): %s", ln_error());
  ln_tensor w = LN_TENSOR_EMPTY;
  ln_tensor_init(&w, 2, dims2(3, 2));
  CHECK(ln_tensor_binop(&o, &a, &w, LN_ADD) == LN_ERR, "2x3 + 3x2 accepted");
  CHECK(HAS(ln_error(), "shapes 2x3 and 3x2 do not broadcast (dimension 1 from the"
            " right: 3 vs 2)"), "msg: %s", ln_error());
  ln_tensor_init(&w, 1, dims1(2));
  CHECK(ln_tensor_binop(&o, &a, &w, LN_MUL) == LN_ERR, "2x3 * (2) accepted");
  /* In place: out is a. */
  CHECK(ln_tensor_binop(&a, &a, &b, LN_MUL) == LN_OK && ln_data(&a)[5] == 24, "a *= b");
  /* out is the (C) operand: it must grow without losing the row mid-way. */
  CHECK(ln_tensor_binop(&r, &a, &r, LN_ADD) == LN_OK, "%s", ln_error());
  CHECK(ln_same_shape(&r, &a) && ln_data(&r)[0] == 12 && ln_data(&r)[5] == 54,
        "r = a + r: %g %g", ln_data(&r)[0], ln_data(&r)[5]);
  ln_tensor_free(&a);
  ln_tensor_free(&b);
  ln_tensor_free(&r);
  ln_tensor_free(&o);
  ln_tensor_free(&w);
}

static void test_scalar(void) {
  ln_tensor a = LN_TENSOR_EMPTY, o = LN_TENSOR_EMPTY;
  ln_tensor_init(&a, 1, dims1(3));
  set(&a, (float[]){1, 2, 4});
  struct { ln_binop op; int first; float want[3]; } cases[] = {
    {LN_ADD, 0, {3, 4, 6}}, {LN_SUB, 0, {-1, 0, 2}}, {LN_SUB, 1, {1, 0, -2}},
    {LN_MUL, 0, {2, 4, 8}}, {LN_DIV, 0, {0.5f, 1, 2}}, {LN_DIV, 1, {2, 1, 0.5f}},
    {LN_POW, 0, {1, 4, 16}}, {LN_POW, 1, {2, 4, 16}},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    CHECK(ln_tensor_scalar(&o, &a, 2, cases[k].op, cases[k].first) == LN_OK, "%s", ln_error());
    for (int i = 0; i < 3; i++)
      CHECK(ln_data(&o)[i] == cases[k].want[i], "case %zu [%d]: got %g want %g", k, i,
            ln_data(&o)[i], cases[k].want[i]);
  }
  CHECK(ln_tensor_scalar(&o, &a, 0, LN_DIV, 0) == LN_OK && isinf(ln_data(&o)[0]), "x / 0");
  CHECK(ln_tensor_scalar(&a, &a, -1, LN_MUL, 0) == LN_OK && ln_data(&a)[2] == -4, "in place");
  ln_tensor_free(&a);
  ln_tensor_free(&o);
}

static void test_reductions(void) {
  ln_tensor t = LN_TENSOR_EMPTY;
  ln_tensor_init(&t, 2, dims2(2, 4));
  set(&t, (float[]){2, 4, 4, 4, 5, 5, 7, 9});
  CHECK_CLOSE(ln_tensor_sum(&t), 40, 1e-12);
  CHECK_CLOSE(ln_tensor_mean(&t), 5, 1e-12);
  /* Squared deviations sum to 32: unbiased std = sqrt(32/7), not the biased 2. */
  CHECK_CLOSE(ln_tensor_std(&t), sqrt(32.0 / 7.0), 1e-12);
  CHECK(ln_tensor_min(&t) == 2 && ln_tensor_max(&t) == 9, "min %g max %g", ln_tensor_min(&t),
        ln_tensor_max(&t));
  /* Sums accumulate in double: 1e6 values of 0.1f. */
  ln_tensor big = LN_TENSOR_EMPTY;
  ln_tensor_init(&big, 1, dims1(1000000));
  ln_tensor_fill(&big, 0.1f);
  CHECK_CLOSE(ln_tensor_sum(&big), 1e6 * (double)0.1f, 1e-9);
  CHECK_CLOSE(ln_tensor_std(&big), 0, 1e-12);
  /* Extremes at the first and last element, negative values. */
  set(&t, (float[]){-3, 1, 2, 0, 0, 0, 0, -1});
  CHECK(ln_tensor_min(&t) == -3 && ln_tensor_max(&t) == 2, "extremes");
  set(&t, (float[]){0, 1, 2, 0, 0, 0, 0, -8});
  CHECK(ln_tensor_min(&t) == -8, "min at the end %g", ln_tensor_min(&t));
  /* NaN anywhere, including first and last, makes min and max NaN (torch). */
  for (int pos = 0; pos < 8; pos += 7) {
    set(&t, (float[]){1, 2, 3, 4, 5, 6, 7, 8});
    ln_data(&t)[pos] = NAN;
    CHECK(isnan(ln_tensor_min(&t)) && isnan(ln_tensor_max(&t)), "NaN at %d ignored", pos);
    CHECK(isnan(ln_tensor_sum(&t)), "sum with NaN");
  }
  /* One element: std is 0/0. */
  ln_tensor one = LN_TENSOR_EMPTY;
  ln_tensor_init(&one, 1, dims1(1));
  ln_data(&one)[0] = 3;
  CHECK(isnan(ln_tensor_std(&one)) && ln_tensor_mean(&one) == 3, "one element");
  ln_tensor_free(&t);
  ln_tensor_free(&big);
  ln_tensor_free(&one);
}

static void test_argmax(void) {
  ln_tensor t = LN_TENSOR_EMPTY, o = LN_TENSOR_EMPTY;
  ln_tensor_init(&t, 2, dims2(4, 3));
  set(&t, (float[]){1, 5, 5,  7, 7, 7,  -1, -2, -0.5f,  0, 0, 1});
  CHECK(ln_tensor_argmax_rows(&o, &t) == LN_OK, "%s", ln_error());
  static const float want[] = {1, 0, 2, 2};  /* ties: the first */
  CHECK(o.ndim == 1 && o.size[0] == 4, "shape");
  for (int i = 0; i < 4; i++) CHECK(ln_data(&o)[i] == want[i], "row %d: %g", i, ln_data(&o)[i]);
  ln_tensor v = LN_TENSOR_EMPTY;
  ln_tensor_view(&v, &t, 1, dims1(12));
  CHECK(ln_tensor_argmax_rows(&o, &v) == LN_ERR && HAS(ln_error(), "argmax: expected a 2-D"),
        "1-D: %s", ln_error());
  /* NaN counts as the largest value, the first NaN winning, as torch.argmax
   * (checked: [1, nan, 3] -> 1, [nan, 5, nan] -> 0). */
  static const float withnan[][3] = {{1, NAN, 3}, {NAN, 5, NAN}, {2, 9, NAN}};
  static const size_t wantnan[] = {1, 0, 2};
  for (int i = 0; i < 3; i++)
    CHECK(ln_argmax(withnan[i], 3) == wantnan[i], "NaN row %d: %zu", i,
          ln_argmax(withnan[i], 3));
  ln_tensor_free(&t);
  ln_tensor_free(&o);
  ln_tensor_free(&v);
}

static void naive(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a,
                  size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc) {
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++) {
      double s = 0;
      for (size_t p = 0; p < k; p++)
        s += (double)(ta ? a[p * lda + i] : a[i * lda + p]) *
             (tb ? b[j * ldb + p] : b[p * ldb + j]);
      c[i * ldc + j] = (float)(alpha * s + beta * c[i * ldc + j]);
    }
}

static void test_gemm(void) {
  enum { M = 7, N = 5, K = 9 };
  float a[K * M], b[K * N], c[M * N], want[M * N], c0[M * N];
  ln_rng r;
  ln_rng_seed(&r, 42);
  for (int i = 0; i < K * M; i++) a[i] = (float)ln_rng_normal(&r);
  for (int i = 0; i < K * N; i++) b[i] = (float)ln_rng_normal(&r);
  for (int i = 0; i < M * N; i++) c0[i] = (float)ln_rng_normal(&r);
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++) {
      /* A is (M,K) or, transposed, stored (K,M); likewise B. */
      size_t lda = ta ? M : K, ldb = tb ? K : N;
      memcpy(c, c0, sizeof c);
      memcpy(want, c0, sizeof want);
      ln_gemm(ta, tb, M, N, K, 0.5f, a, lda, b, ldb, 2.0f, c, N);
      naive(ta, tb, M, N, K, 0.5f, a, lda, b, ldb, 2.0f, want, N);
      double worst = 0;
      for (int i = 0; i < M * N; i++)
        worst = fmax(worst, fabs((double)c[i] - want[i]));
      CHECK(worst < 1e-5, "ta %d tb %d: max diff %g", ta, tb, worst);
    }
  /* beta = 0 ignores what C held (even NaN). */
  for (int i = 0; i < M * N; i++) c[i] = NAN;
  ln_gemm(0, 0, M, N, K, 1, a, K, b, N, 0, c, N);
  memset(want, 0, sizeof want);
  naive(0, 0, M, N, K, 1, a, K, b, N, 0, want, N);
  CHECK_CLOSE(c[0], want[0], 1e-5);
  CHECK_CLOSE(c[M * N - 1], want[M * N - 1], 1e-5);
}

/* The reference algorithms, written out again to check rng.c against. */
static uint64_t ref_splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t ref_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t ref_xoshiro(uint64_t s[4]) {
  uint64_t out = ref_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = ref_rotl(s[3], 45);
  return out;
}

static void test_rng_stream(void) {
  /* The reference functions reproduce the published test vectors first. */
  uint64_t x = 0;
  CHECK(ref_splitmix(&x) == 0xe220a8397b1dcdafULL && ref_splitmix(&x) == 0x6e789e6aa1b965f4ULL,
        "splitmix64 vector");
  uint64_t s[4] = {1, 2, 3, 4};
  static const uint64_t vec[] = {11520, 0, 1509978240, 1215971899390074240ULL};
  for (int i = 0; i < 4; i++) CHECK(ref_xoshiro(s) == vec[i], "xoshiro256** vector %d", i);

  /* rng.c with seed 1 equals splitmix-seeded reference xoshiro256**. */
  ln_rng r;
  ln_rng_seed(&r, 1);
  x = 1;
  for (int i = 0; i < 4; i++) s[i] = ref_splitmix(&x);
  int same = 1;
  for (int i = 0; i < 1000; i++) same &= ln_rng_next(&r) == ref_xoshiro(s);
  CHECK(same, "seed 1 stream differs from the reference");
  /* Known answer for seed 1 (also worked out in Python from the algorithm):
   * first draw 0xb3f2af6d0fc710c5, so the first uniform is
   * (0xb3f2af6d0fc710c5 >> 11) / 2^53 = 0.7029218331588505. */
  ln_rng_seed(&r, 1);
  CHECK(ln_rng_next(&r) == 0xb3f2af6d0fc710c5ULL, "seed 1 first draw");
  CHECK(ln_rng_next(&r) == 0x853b559647364ceaULL, "seed 1 second draw");
  ln_rng_seed(&r, 1);
  CHECK(ln_rng_uniform(&r) == 0.7029218331588505, "seed 1 first uniform");

  /* Same seed, same stream (normals included); another seed differs; reseeding
   * drops the spare normal. */
  ln_rng a, b;
  ln_rng_seed(&a, 7);
  ln_rng_seed(&b, 7);
  same = 1;
  for (int i = 0; i < 1001; i++) same &= ln_rng_normal(&a) == ln_rng_normal(&b);
  CHECK(same, "seed 7 twice differs");
  ln_rng_seed(&a, 7);
  ln_rng_seed(&b, 8);
  CHECK(ln_rng_next(&a) != ln_rng_next(&b), "seeds 7 and 8 agree");
  ln_rng_seed(&a, 3);
  double first = ln_rng_normal(&a);
  ln_rng_seed(&a, 3);
  CHECK(ln_rng_normal(&a) == first, "reseed kept a spare normal");
  ln_rng_normal(&a);  /* leave a spare behind */
  ln_rng_seed(&a, 3);
  CHECK(ln_rng_normal(&a) == first, "reseed after an odd count kept the spare");

  /* The default generator starts at seed 0 and is the one that is seeded. */
  ln_rng z;
  ln_rng_seed(&z, 0);
  ln_rng *d = ln_rng_default();
  CHECK(d == ln_rng_default() && ln_rng_next(d) == ln_rng_next(&z), "default not seed 0");
}

static void test_rng_distributions(void) {
  ln_rng r;
  ln_rng_seed(&r, 1);
  enum { N = 100000 };
  double lo = 1, hi = 0, s = 0, ss = 0;
  for (int i = 0; i < N; i++) {
    double u = ln_rng_uniform(&r);
    lo = fmin(lo, u);
    hi = fmax(hi, u);
    s += u;
  }
  CHECK(lo >= 0 && hi < 1, "uniform outside [0,1): %g %g", lo, hi);
  CHECK(lo < 1e-3 && hi > 1 - 1e-3, "uniform does not cover [0,1): %g %g", lo, hi);
  /* std of the mean of N uniforms is 0.289/sqrt(N) = 9e-4: 5 sigma. */
  CHECK(fabs(s / N - 0.5) < 5e-3, "uniform mean %g", s / N);

  s = 0;
  for (int i = 0; i < N; i++) {
    double z = ln_rng_normal(&r);
    s += z;
    ss += z * z;
  }
  double mean = s / N, sd = sqrt(ss / N - mean * mean);
  CHECK(fabs(mean) < 0.016, "normal mean %g", mean);  /* 5 sigma = 5/sqrt(N) */
  CHECK(fabs(sd - 1) < 0.012, "normal std %g", sd);

  /* ln_tensor_randn / rand go through the same generator with mean/std, lo/hi. */
  ln_tensor t = LN_TENSOR_EMPTY;
  ln_tensor_init(&t, 1, dims1(N));
  ln_tensor_randn(&t, &r, 3, 2);
  CHECK(fabs(ln_tensor_mean(&t) - 3) < 0.04 && fabs(ln_tensor_std(&t) - 2) < 0.03,
        "randn(3,2): mean %g std %g", ln_tensor_mean(&t), ln_tensor_std(&t));
  ln_tensor_rand(&t, &r, -2, 2);
  CHECK(ln_tensor_min(&t) >= -2 && ln_tensor_max(&t) < 2 && fabs(ln_tensor_mean(&t)) < 0.04,
        "rand(-2,2): min %.9g max %.9g mean %g", ln_tensor_min(&t), ln_tensor_max(&t),
        ln_tensor_mean(&t));
  ln_tensor_free(&t);

  /* ln_rng_below: range, every value hit, counts near N/n (chi-square). */
  enum { K = 10 };
  int count[K] = {0}, out = 0;
  for (int i = 0; i < N; i++) {
    uint64_t v = ln_rng_below(&r, K);
    if (v >= K) out++;
    else count[v]++;
  }
  CHECK(out == 0, "%d values out of [0,%d)", out, K);
  double chi = 0, e = (double)N / K;
  for (int i = 0; i < K; i++) chi += (count[i] - e) * (count[i] - e) / e;
  CHECK(chi < 33.7, "chi-square %g over 9 dof (p < 1e-4)", chi);
  int ones = 1;
  for (int i = 0; i < 100; i++) ones &= ln_rng_below(&r, 1) == 0;
  CHECK(ones, "below(1) is not always 0");
  /* n = 3 * 2^62: a plain x % n would put half the values below 2^62 instead
   * of a third; the rejection loop must remove that bias. */
  uint64_t n = (uint64_t)3 << 62, maxv = 0;
  int low = 0;
  for (int i = 0; i < 3000; i++) {
    uint64_t v = ln_rng_below(&r, n);
    if (v > maxv) maxv = v;
    low += v < ((uint64_t)1 << 62);
  }
  CHECK(maxv < n && low > 880 && low < 1120, "below(3*2^62): %d of 3000 below 2^62", low);
}

static uint64_t inverse(uint64_t a) {  /* of an odd a, mod 2^64 (Newton) */
  uint64_t x = a;
  for (int i = 0; i < 5; i++) x *= 2 - a * x;
  return x;
}

/* The largest uniform, 1 - 2^-53, rounds to 1.0f; rand must still stay below
 * hi. The state is built so that the next draw is all ones:
 * rotl(s1 * 5, 7) * 9 = ~0. */
static void test_rand_top(void) {
  uint64_t m = ~(uint64_t)0 * inverse(9);
  ln_rng r = {{1, ref_rotl(m, 57) * inverse(5), 2, 3}, 0, 0};
  ln_rng probe = r;
  CHECK(ln_rng_next(&probe) == ~(uint64_t)0, "crafted state does not give all ones");
  ln_tensor t = LN_TENSOR_EMPTY;
  ln_tensor_init(&t, 1, dims1(1));
  probe = r;
  CHECK(ln_rng_uniform(&probe) == 1 - 0x1p-53, "largest uniform");
  probe = r;
  ln_tensor_rand(&t, &probe, 0, 1);
  CHECK(ln_data(&t)[0] < 1 && ln_data(&t)[0] > 0.9999999f, "rand(0,1) gave %.9g",
        ln_data(&t)[0]);
  probe = r;
  ln_tensor_rand(&t, &probe, -2, 2);
  CHECK(ln_data(&t)[0] < 2, "rand(-2,2) gave %.9g", ln_data(&t)[0]);
  probe = r;
  ln_tensor_rand(&t, &probe, 1, 0);  /* reversed bounds: (0, 1] */
  CHECK(ln_data(&t)[0] < 1e-6f, "rand(1,0) gave %.9g", ln_data(&t)[0]);
  ln_tensor_free(&t);
}

int main(void) {
  test_shapes();
  test_init_resize();
  test_views();
  test_clone_copy();
  test_linspace();
  test_binop();
  test_scalar();
  test_reductions();
  test_argmax();
  test_gemm();
  test_rng_stream();
  test_rng_distributions();
  test_rand_top();
  return check_summary();
}
