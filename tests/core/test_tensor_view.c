/* test_tensor_view.c: strided views (each written through in both
 * directions), contiguity, copies, the iterator and broadcasting, and the
 * layers, losses and reductions on strided input, against values worked
 * out here by index arithmetic. */
#include <string.h>

#include "check.h"
#include "loss.h"
#include "linear.h"
#include "module.h"
#include "tensor.h"

#define HAS(msg, part) (strstr((msg), (part)) != NULL)

/* t = 0, 1, 2, ... in row-major order. */
static void iota(ln_tensor *t, int ndim, const size_t *size) {
  ln_tensor_init(t, ndim, size);
  for (size_t i = 0; i < ln_numel(t); i++) ln_data(t)[i] = (float)i;
}

/* Element idx of t through its strides. */
static float at(const ln_tensor *t, const size_t *idx) { return *ln_at(t, idx); }

static void test_contiguity(void) {
  ln_tensor t = LN_TENSOR_EMPTY, v = LN_TENSOR_EMPTY;
  CHECK(ln_is_contiguous(&t), "the empty tensor");
  iota(&t, 3, (size_t[]){2, 3, 4});
  CHECK(t.stride[0] == 12 && t.stride[1] == 4 && t.stride[2] == 1, "strides %td %td %td",
        t.stride[0], t.stride[1], t.stride[2]);
  CHECK(t.stride[3] == 0 && ln_is_contiguous(&t), "past ndim or contiguity");
  ln_tensor_transpose(&v, &t, 1, 2);
  CHECK(!ln_is_contiguous(&v), "a transpose is contiguous");
  ln_tensor_narrow_dim(&v, &t, 0, 1, 1);
  CHECK(ln_is_contiguous(&v), "a narrow of the first dimension is not");
  ln_tensor_narrow_dim(&v, &t, 2, 1, 2);
  CHECK(!ln_is_contiguous(&v), "a narrow of the last dimension is");
  /* Size-1 dimensions' strides do not matter. */
  ln_tensor_narrow_dim(&v, &t, 1, 2, 1);
  ln_tensor_narrow_dim(&v, &v, 0, 1, 1);
  CHECK(ln_is_contiguous(&v) && v.off == 20, "a 1x1x4 slice is one contiguous run");
  ln_tensor_unsqueeze(&v, &t, 0);
  CHECK(ln_is_contiguous(&v) && v.ndim == 4 && v.size[0] == 1, "unsqueeze(0)");
  ln_tensor_expand(&v, &v, 4, (size_t[]){1, 2, 3, 4});
  CHECK(ln_is_contiguous(&v), "an expand that expands nothing");
  ln_tensor_free(&t);
  ln_tensor_free(&v);
}

/* Each view: check its values through index arithmetic, then write through
 * it and see the base change, and write the base and see the view change. */
static void test_views_write_through(void) {
  ln_tensor t = LN_TENSOR_EMPTY, v = LN_TENSOR_EMPTY;
  iota(&t, 3, (size_t[]){2, 3, 4});
  float *base = ln_data(&t);

  /* transpose(0, 2): v[i][j][k] = t[k][j][i] */
  CHECK(ln_tensor_transpose(&v, &t, 0, 2) == LN_OK, "%s", ln_error());
  CHECK(v.size[0] == 4 && v.size[1] == 3 && v.size[2] == 2 && v.st == t.st, "transpose shape");
  CHECK(at(&v, (size_t[]){3, 1, 1}) == 1 * 12 + 1 * 4 + 3, "transpose value");
  *ln_at(&v, (size_t[]){3, 1, 1}) = -1;
  CHECK(base[19] == -1, "transpose write did not reach the base");
  base[19] = 119;
  CHECK(at(&v, (size_t[]){3, 1, 1}) == 119, "base write not seen");
  base[19] = 19;

  /* permute(2, 0, 1): v[i][j][k] = t[j][k][i] */
  CHECK(ln_tensor_permute(&v, &t, (int[]){2, 0, 1}) == LN_OK, "%s", ln_error());
  CHECK(v.size[0] == 4 && v.size[1] == 2 && v.size[2] == 3, "permute shape");
  CHECK(at(&v, (size_t[]){2, 1, 0}) == 12 + 2, "permute value %g",
        at(&v, (size_t[]){2, 1, 0}));
  *ln_at(&v, (size_t[]){2, 1, 0}) = -2;
  CHECK(base[14] == -2, "permute write");
  base[14] = 14;
  CHECK(at(&v, (size_t[]){2, 1, 0}) == 14, "permute sees the base");

  /* narrow on dimension 2: v[i][j][k] = t[i][j][k + 1] */
  CHECK(ln_tensor_narrow_dim(&v, &t, 2, 1, 2) == LN_OK, "%s", ln_error());
  CHECK(v.size[2] == 2 && v.off == 1, "narrow dim 2: off %zu", v.off);
  CHECK(at(&v, (size_t[]){1, 2, 1}) == 12 + 8 + 2, "narrow value");
  *ln_at(&v, (size_t[]){1, 2, 1}) = -3;
  CHECK(base[22] == -3, "narrow write");
  base[22] = 22;
  CHECK(at(&v, (size_t[]){1, 2, 1}) == 22, "narrow sees the base");

  /* select(1, 2): v[i][k] = t[i][2][k] */
  CHECK(ln_tensor_select(&v, &t, 1, 2) == LN_OK, "%s", ln_error());
  CHECK(v.ndim == 2 && v.size[0] == 2 && v.size[1] == 4 && v.stride[0] == 12, "select shape");
  CHECK(at(&v, (size_t[]){1, 3}) == 12 + 8 + 3, "select value");
  *ln_at(&v, (size_t[]){1, 3}) = -4;
  CHECK(base[23] == -4, "select write");
  base[23] = 23;
  CHECK(at(&v, (size_t[]){1, 3}) == 23, "select sees the base");

  /* unsqueeze then squeeze: the same elements. */
  CHECK(ln_tensor_unsqueeze(&v, &t, 3) == LN_OK && v.ndim == 4 && v.size[3] == 1 &&
        v.stride[3] == 1, "unsqueeze at the end: %s", ln_error());
  *ln_at(&v, (size_t[]){1, 0, 2, 0}) = -5;
  CHECK(base[14] == -5, "unsqueeze write");
  base[14] = 14;
  CHECK(ln_tensor_squeeze(&v, &v, -1) == LN_OK && ln_same_shape(&v, &t), "squeeze all");
  CHECK(at(&v, (size_t[]){1, 0, 2}) == 14, "squeeze sees the base");

  /* expand a (3,1) column to (2,3,4): stride 0 on the repeated dimensions. */
  ln_tensor col = LN_TENSOR_EMPTY;
  ln_tensor_narrow_dim(&col, &t, 2, 1, 1);       /* (2,3,1) */
  ln_tensor_select(&col, &col, 0, 1);            /* (3,1): t[1][j][1] = 13, 17, 21 */
  CHECK(ln_tensor_expand(&v, &col, 3, (size_t[]){2, 3, 4}) == LN_OK, "%s", ln_error());
  CHECK(v.stride[0] == 0 && v.stride[2] == 0 && v.stride[1] == 4, "expand strides");
  CHECK(at(&v, (size_t[]){0, 2, 3}) == 21 && at(&v, (size_t[]){1, 1, 0}) == 17, "expand values");
  base[17] = -6;
  CHECK(at(&v, (size_t[]){0, 1, 2}) == -6 && at(&v, (size_t[]){1, 1, 3}) == -6,
        "expand sees the base");
  *ln_at(&v, (size_t[]){1, 0, 3}) = -7;
  CHECK(base[13] == -7, "expand write");
  base[13] = 13;
  base[17] = 17;
  ln_tensor_free(&col);

  /* view and reshape of a contiguous tensor: shared. */
  CHECK(ln_tensor_reshape(&v, &t, 2, (size_t[]){6, 4}) == LN_OK && v.st == t.st, "reshape view");
  *ln_at(&v, (size_t[]){5, 3}) = -8;
  CHECK(base[23] == -8, "reshape write");
  base[23] = 23;
  ln_tensor_free(&t);
  ln_tensor_free(&v);
}

static void test_view_errors(void) {
  ln_tensor t = LN_TENSOR_EMPTY, v = LN_TENSOR_EMPTY, tr = LN_TENSOR_EMPTY;
  iota(&t, 2, (size_t[]){2, 3});
  ln_tensor_transpose(&tr, &t, 0, 1);
  CHECK(ln_tensor_view(&v, &tr, 1, (size_t[]){6}) == LN_ERR, "view of a transpose accepted");
  CHECK(HAS(ln_error(), "view: the tensor is not contiguous") &&
        HAS(ln_error(), "call contiguous() first, or reshape"), "msg: %s", ln_error());
  CHECK(v.st == NULL, "a failed view changed dst");
  /* reshape copies, in row-major order of the transpose: 0 3 1 4 2 5. */
  CHECK(ln_tensor_reshape(&v, &tr, 1, (size_t[]){6}) == LN_OK && v.st != t.st, "%s",
        ln_error());
  static const float want[] = {0, 3, 1, 4, 2, 5};
  for (int i = 0; i < 6; i++) CHECK(ln_data(&v)[i] == want[i], "reshape [%d]", i);
  CHECK(ln_tensor_reshape(&v, &tr, 1, (size_t[]){5}) == LN_ERR &&
        HAS(ln_error(), "reshape: cannot view a 3x2 tensor (6 elements) with 5"), "msg: %s",
        ln_error());
  CHECK(ln_tensor_narrow_dim(&v, &t, 1, 2, 2) == LN_ERR &&
        HAS(ln_error(), "narrow: indices 3..4 out of range 1..3 in dimension 2"), "msg: %s",
        ln_error());
  CHECK(ln_tensor_narrow_dim(&v, &t, 2, 0, 1) == LN_ERR &&
        HAS(ln_error(), "narrow: dimension 3 out of range (1..2)"), "msg: %s", ln_error());
  CHECK(ln_tensor_select(&v, &t, 0, 2) == LN_ERR &&
        HAS(ln_error(), "select: index 3 out of range 1..2 in dimension 1"), "msg: %s",
        ln_error());
  ln_tensor row = LN_TENSOR_EMPTY;
  ln_tensor_select(&row, &t, 0, 1);
  CHECK(ln_tensor_select(&v, &row, 0, 0) == LN_ERR && HAS(ln_error(), "1-D tensor has no"),
        "select of 1-D: %s", ln_error());
  CHECK(ln_tensor_transpose(&v, &t, 0, 2) == LN_ERR && HAS(ln_error(), "transpose: dimension 3"),
        "msg: %s", ln_error());
  CHECK(ln_tensor_permute(&v, &t, (int[]){0, 0}) == LN_ERR &&
        HAS(ln_error(), "permute: dimension 1 appears twice"), "msg: %s", ln_error());
  CHECK(ln_tensor_permute(&v, &t, (int[]){0, 2}) == LN_ERR &&
        HAS(ln_error(), "permute: dimension 3 out of range (1..2)"), "msg: %s", ln_error());
  CHECK(ln_tensor_unsqueeze(&v, &t, 3) == LN_ERR &&
        HAS(ln_error(), "unsqueeze: dimension 4 out of range (1..3)"), "msg: %s", ln_error());
  CHECK(ln_tensor_expand(&v, &t, 2, (size_t[]){4, 3}) == LN_ERR &&
        HAS(ln_error(), "expand: cannot expand a 2x3 tensor to 4x3 (dimension 1 has size 2"),
        "msg: %s", ln_error());
  CHECK(ln_tensor_expand(&v, &t, 1, (size_t[]){6}) == LN_ERR &&
        HAS(ln_error(), "to fewer dimensions"), "msg: %s", ln_error());
  size_t eight[8] = {1, 1, 1, 1, 1, 1, 2, 3};
  CHECK(ln_tensor_expand(&v, &t, 8, eight) == LN_OK && v.ndim == 8, "8-D expand");
  CHECK(ln_tensor_unsqueeze(&v, &v, 0) == LN_ERR && HAS(ln_error(), "at most 8 dimensions"),
        "9-D unsqueeze: %s", ln_error());
  /* squeeze of all-ones keeps one dimension. */
  ln_tensor one = LN_TENSOR_EMPTY;
  ln_tensor_init(&one, 3, (size_t[]){1, 1, 1});
  CHECK(ln_tensor_squeeze(&v, &one, -1) == LN_OK && v.ndim == 1 && v.size[0] == 1,
        "squeeze 1x1x1 gave %d-D", v.ndim);
  CHECK(ln_tensor_squeeze(&v, &t, 0) == LN_OK && ln_same_shape(&v, &t), "squeeze of size 2");
  ln_tensor_free(&t);
  ln_tensor_free(&v);
  ln_tensor_free(&tr);
  ln_tensor_free(&row);
  ln_tensor_free(&one);
}

static void test_iter(void) {
  ln_tensor a = LN_TENSOR_EMPTY, b = LN_TENSOR_EMPTY, v = LN_TENSOR_EMPTY;
  iota(&a, 3, (size_t[]){2, 3, 4});
  ln_iter it;
  CHECK(ln_iter_init(&it, 1, (const ln_tensor *[]){&a}, 3, a.size) == LN_OK, "%s", ln_error());
  CHECK(it.ndim == 1 && it.n == 24 && it.s[0] == 1 && !ln_iter_next(&it),
        "contiguous: one run, got %d dims n %zu", it.ndim, it.n);
  /* A narrow of the last dimension: runs of 2 at stride 1, 6 runs. */
  ln_tensor_narrow_dim(&v, &a, 2, 1, 2);
  ln_iter_init(&it, 1, (const ln_tensor *[]){&v}, 3, v.size);
  int runs = 0;
  float sum = 0;
  do {
    runs++;
    for (size_t i = 0; i < it.n; i++) sum += it.p[0][(ptrdiff_t)i * it.s[0]];
  } while (ln_iter_next(&it));
  /* sum of t[i][j][1] + t[i][j][2] = sum over 6 rows r of (4r+1)+(4r+2) */
  CHECK(runs == 6 && it.n == 2 && sum == 2 * 4 * 15 + 6 * 3, "runs %d sum %g", runs, sum);
  /* Broadcasting a (3,1) with stride 0 against (2,3,4). */
  ln_tensor_init(&b, 2, (size_t[]){3, 1});
  ln_iter_init(&it, 2, (const ln_tensor *[]){&a, &b}, 3, a.size);
  CHECK(it.n == 4 && it.s[1] == 0 && it.ndim == 3, "broadcast run n %zu s %td ndim %d", it.n,
        it.s[1], it.ndim);
  CHECK(ln_iter_init(&it, 1, (const ln_tensor *[]){&v}, 3, a.size) == LN_ERR &&
        HAS(ln_error(), "does not broadcast to 2x3x4"), "msg: %s", ln_error());
  /* Broadcast shapes. */
  int nd;
  size_t out[LN_MAXDIM];
  CHECK(ln_broadcast_shape("x", 2, (size_t[]){3, 1}, 3, (size_t[]){2, 1, 5}, &nd, out) == LN_OK &&
        nd == 3 && out[0] == 2 && out[1] == 3 && out[2] == 5, "3x1 with 2x1x5");
  CHECK(ln_broadcast_shape("x", 2, (size_t[]){3, 2}, 1, (size_t[]){3}, &nd, out) == LN_ERR &&
        HAS(ln_error(), "x: shapes 3x2 and 3 do not broadcast (dimension 1 from the right: 2"
            " vs 3)"), "msg: %s", ln_error());
  ln_tensor_free(&a);
  ln_tensor_free(&b);
  ln_tensor_free(&v);
}

static void test_strided_ops(void) {
  ln_tensor a = LN_TENSOR_EMPTY, tr = LN_TENSOR_EMPTY, c = LN_TENSOR_EMPTY, o = LN_TENSOR_EMPTY;
  iota(&a, 2, (size_t[]){3, 4});
  ln_tensor_transpose(&tr, &a, 0, 1);  /* (4,3): tr[i][j] = 4j + i */
  /* contiguous: a copy in row-major order of the view. */
  CHECK(ln_tensor_contiguous(&c, &tr) == LN_OK && c.st != a.st && ln_is_contiguous(&c), "%s",
        ln_error());
  int ok = 1;
  for (size_t i = 0; i < 4; i++)
    for (size_t j = 0; j < 3; j++) ok &= ln_data(&c)[i * 3 + j] == (float)(4 * j + i);
  CHECK(ok, "contiguous of a transpose");
  CHECK(ln_tensor_contiguous(&o, &a) == LN_OK && o.st == a.st, "contiguous shares");
  ln_tensor_free(&o);  /* else o's results below would land in a's storage */
  /* Reductions, fill, read and clone through strides. */
  ln_tensor nar = LN_TENSOR_EMPTY;
  ln_tensor_narrow_dim(&nar, &a, 1, 1, 2);  /* columns 1, 2: 1 2 5 6 9 10 */
  CHECK(ln_tensor_sum(&nar) == 33 && ln_tensor_min(&nar) == 1 && ln_tensor_max(&nar) == 10,
        "strided sum %g", ln_tensor_sum(&nar));
  CHECK_CLOSE(ln_tensor_mean(&nar), 5.5, 1e-12);
  float r[4];
  ln_tensor_read(&nar, 1, 4, r);
  CHECK(r[0] == 2 && r[1] == 5 && r[2] == 6 && r[3] == 9, "read %g %g %g %g", r[0], r[1], r[2],
        r[3]);
  ln_tensor_fill(&nar, -1);
  CHECK(ln_data(&a)[0] == 0 && ln_data(&a)[1] == -1 && ln_data(&a)[3] == 3 &&
        ln_data(&a)[10] == -1, "strided fill");
  /* Binary ops with a transposed operand, broadcasting a column. */
  for (size_t i = 0; i < 12; i++) ln_data(&a)[i] = (float)i;
  ln_tensor col = LN_TENSOR_EMPTY;
  ln_tensor_init(&col, 2, (size_t[]){4, 1});
  for (int i = 0; i < 4; i++) ln_data(&col)[i] = (float)(100 * i);
  CHECK(ln_tensor_binop(&o, &tr, &col, LN_ADD) == LN_OK && o.size[0] == 4 && o.size[1] == 3,
        "%s", ln_error());
  ok = 1;
  for (size_t i = 0; i < 4; i++)
    for (size_t j = 0; j < 3; j++)
      ok &= *ln_at(&o, (size_t[]){i, j}) == (float)(4 * j + i + 100 * i);
  CHECK(ok, "transpose + column");
  /* The result is laid out as the transposed operand, as in PyTorch. */
  CHECK(o.stride[0] == 1 && o.stride[1] == 4, "result strides %td %td", o.stride[0],
        o.stride[1]);
  /* In place through a transposed destination: a = a^T^T * 2. */
  CHECK(ln_tensor_scalar(&tr, &tr, 2, LN_MUL, 0) == LN_OK && tr.st == a.st &&
        ln_data(&a)[5] == 10, "in place through strides: %g", ln_data(&a)[5]);
  /* Overlap: a row-shifted view of the same storage used as the input. */
  ln_tensor r0 = LN_TENSOR_EMPTY, r1 = LN_TENSOR_EMPTY;
  for (size_t i = 0; i < 12; i++) ln_data(&a)[i] = (float)i;
  ln_tensor_narrow_dim(&r0, &a, 0, 0, 2);
  ln_tensor_narrow_dim(&r1, &a, 0, 1, 2);
  CHECK(ln_tensor_binop(&r1, &r1, &r0, LN_ADD) == LN_OK, "%s", ln_error());
  /* rows 1, 2 += rows 0, 1 as they were: 4+0.. and 8+4.. */
  CHECK(ln_data(&a)[4] == 4 && ln_data(&a)[8] == 12 && ln_data(&a)[11] == 11 + 7,
        "overlapping add: %g %g %g", ln_data(&a)[4], ln_data(&a)[8], ln_data(&a)[11]);
  /* copy of a transpose onto itself (the same storage, another layout). */
  ln_tensor sq = LN_TENSOR_EMPTY, sqt = LN_TENSOR_EMPTY;
  iota(&sq, 2, (size_t[]){3, 3});
  ln_tensor_transpose(&sqt, &sq, 0, 1);
  CHECK(ln_tensor_copy(&sq, &sqt) == LN_OK && ln_data(&sq)[1] == 3 && ln_data(&sq)[3] == 1 &&
        ln_data(&sq)[5] == 7, "self transpose copy: %g %g", ln_data(&sq)[1], ln_data(&sq)[3]);
  /* copy broadcasts a row into a matrix; a 6-element copy flattens. */
  ln_tensor row = LN_TENSOR_EMPTY;
  ln_tensor_init(&row, 1, (size_t[]){3});
  ln_tensor_fill(&row, 7);
  CHECK(ln_tensor_copy(&sq, &row) == LN_OK && ln_tensor_sum(&sq) == 63, "broadcast copy");
  CHECK(ln_tensor_copy(&sq, &a) == LN_ERR && HAS(ln_error(), "does not broadcast"), "msg: %s",
        ln_error());
  /* resize of a strided tensor detaches it instead of relaying the storage. */
  ln_storage *st = a.st;
  CHECK(ln_tensor_resize(&tr, 2, (size_t[]){4, 3}) == LN_OK && tr.st != st &&
        ln_is_contiguous(&tr), "resize of a transpose kept the storage");
  ln_tensor_free(&a);
  ln_tensor_free(&tr);
  ln_tensor_free(&c);
  ln_tensor_free(&o);
  ln_tensor_free(&nar);
  ln_tensor_free(&col);
  ln_tensor_free(&r0);
  ln_tensor_free(&r1);
  ln_tensor_free(&sq);
  ln_tensor_free(&sqt);
  ln_tensor_free(&row);
}

/* A Linear layer and the losses given a transposed input compute what they
 * compute on its contiguous copy. */
static void test_layers_on_strided(void) {
  ln_rng r;
  ln_rng_seed(&r, 5);
  ln_module *lin = ln_linear_new(3, 2, &r);
  ln_tensor x = LN_TENSOR_EMPTY, xt = LN_TENSOR_EMPTY, xc = LN_TENSOR_EMPTY,
            y1 = LN_TENSOR_EMPTY, dy = LN_TENSOR_EMPTY, dyt = LN_TENSOR_EMPTY;
  ln_tensor_init(&x, 2, (size_t[]){3, 4});
  ln_tensor_randn(&x, &r, 0, 1);
  ln_tensor_transpose(&xt, &x, 0, 1);  /* (4,3), strided */
  ln_tensor_clone(&xc, &xt);
  CHECK(ln_module_forward(lin, &xc) == LN_OK, "%s", ln_error());
  ln_tensor_clone(&y1, &lin->output);
  CHECK(ln_module_forward(lin, &xt) == LN_OK, "%s", ln_error());
  CHECK(ln_same_shape(&y1, &lin->output) &&
        memcmp(ln_data(&y1), ln_data(&lin->output), 8 * sizeof(float)) == 0,
        "Linear on a transpose differs from Linear on its copy");
  /* backward with a strided dout (an expand of one row). */
  ln_tensor_init(&dy, 1, (size_t[]){2});
  ln_data(&dy)[0] = 1;
  ln_data(&dy)[1] = -2;
  ln_tensor_expand(&dyt, &dy, 2, (size_t[]){4, 2});
  CHECK(ln_module_backward(lin, &xt, &dyt) == LN_OK, "%s", ln_error());
  /* db = sum over rows of dy = (4, -8). */
  CHECK(ln_data(&lin->grad[1])[0] == 4 && ln_data(&lin->grad[1])[1] == -8, "db %g %g",
        ln_data(&lin->grad[1])[0], ln_data(&lin->grad[1])[1]);
  /* MSE of a transpose against its copy is 0; cross-entropy the same. */
  double cost = -1, c2 = -1;
  CHECK(ln_mse_forward(&cost, &xt, &xc) == LN_OK && cost == 0, "mse %g", cost);
  int labels[4] = {0, 1, 2, 1};
  CHECK(ln_ce_forward(&cost, &xt, labels, 4) == LN_OK &&
        ln_ce_forward(&c2, &xc, labels, 4) == LN_OK && cost == c2, "ce %g vs %g", cost, c2);
  ln_tensor g1 = LN_TENSOR_EMPTY, g2 = LN_TENSOR_EMPTY;
  CHECK(ln_ce_backward(&g1, &xt, labels, 4) == LN_OK && ln_ce_backward(&g2, &xc, labels, 4) ==
        LN_OK && memcmp(ln_data(&g1), ln_data(&g2), 12 * sizeof(float)) == 0, "ce backward");
  CHECK(ln_mse_backward(&g1, &xt, &x) == LN_ERR, "mse of 4x3 and 3x4 accepted");
  ln_module_release(lin);
  ln_tensor *all[] = {&x, &xt, &xc, &y1, &dy, &dyt, &g1, &g2};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) ln_tensor_free(all[i]);
}

int main(void) {
  test_contiguity();
  test_views_write_through();
  test_view_errors();
  test_iter();
  test_strided_ops();
  test_layers_on_strided();
  return check_summary();
}
