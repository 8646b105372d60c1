/* test_tensor_math.c: the core's reductions, sort, gather/scatter, matrix
 * products, construction and .npy files, against naive loops on strided
 * views (the Lua spec checks them against PyTorch). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "npy.h"
#include "tensor_linalg.h"
#include "tensor_make.h"
#include "tensor_reduce.h"

static ln_rng rng;

static void randn(ln_tensor *t, int nd, const size_t *size) {
  ln_tensor_init(t, nd, size);
  ln_tensor_randn(t, &rng, 0, 1);
}

/* Reductions along each dimension of a permuted 3-D view against a naive
 * double loop through ln_at. */
static void test_reduce_dims(void) {
  ln_tensor base = LN_TENSOR_EMPTY, v = LN_TENSOR_EMPTY, out = LN_TENSOR_EMPTY,
            idx = LN_TENSOR_EMPTY;
  randn(&base, 3, (size_t[]){5, 7, 9});
  ln_tensor_permute(&v, &base, (int[]){2, 0, 1});  /* 9x5x7, no unit stride last */
  for (int dim = 0; dim < 3; dim++) {
    double worst = 0;
    ln_tensor_reduce_dim(&out, NULL, &v, dim, 1, LN_R_SUM, 0);
    CHECK(out.ndim == 3 && out.size[dim] == 1, "keepdim shape");
    size_t i[3];
    for (i[0] = 0; i[0] < v.size[0]; i[0]++)
      for (i[1] = 0; i[1] < v.size[1]; i[1]++)
        for (i[2] = 0; i[2] < v.size[2]; i[2]++) {
          if (i[dim] != 0) continue;
          size_t j[3] = {i[0], i[1], i[2]};
          double s = 0;
          for (j[dim] = 0; j[dim] < v.size[dim]; j[dim]++) s += *ln_at(&v, j);
          double d = fabs(*ln_at(&out, i) - s) / fmax(1, fabs(s));
          worst = d > worst ? d : worst;
        }
    CHECK(worst < 1e-6, "sum along dim %d: relative error %g", dim + 1, worst);
    ln_tensor_reduce_dim(&out, &idx, &v, dim, 0, LN_R_MAX, 0);
    CHECK(out.ndim == 2 && idx.ndim == 2, "max drops the dimension");
  }
  /* var of the permuted view over all elements equals that of its base */
  double a, b;
  ln_tensor_reduce_all(&v, LN_R_VAR, 1, &a, NULL);
  ln_tensor_reduce_all(&base, LN_R_VAR, 1, &b, NULL);
  CHECK_CLOSE(a, b, 1e-12);
  ln_tensor_free(&base);
  ln_tensor_free(&v);
  ln_tensor_free(&out);
  ln_tensor_free(&idx);
}

static void test_nan_and_sort(void) {
  ln_tensor t = LN_TENSOR_EMPTY, out = LN_TENSOR_EMPTY, idx = LN_TENSOR_EMPTY;
  ln_tensor_init(&t, 1, (size_t[]){5});
  float x[5] = {3, 1, NAN, 1, 2};
  memcpy(ln_data(&t), x, sizeof x);
  double v;
  size_t i;
  ln_tensor_reduce_all(&t, LN_R_MAX, 0, &v, &i);
  CHECK(isnan(v) && i == 2, "max is NaN at the first NaN (got %g at %zu)", v, i);
  ln_tensor_reduce_all(&t, LN_R_MIN, 0, &v, &i);
  CHECK(isnan(v) && i == 2, "min is NaN too");
  ln_tensor_sort(&out, &idx, &t, 0, 0);
  const float *p = ln_data(&idx);
  CHECK(p[0] == 1 && p[1] == 3 && p[2] == 4 && p[3] == 0 && p[4] == 2,
        "stable ascending, NaN last: %g %g %g %g %g", p[0], p[1], p[2], p[3], p[4]);
  ln_tensor_topk(&out, &idx, &t, 2, 0, 0);
  p = ln_data(&out);
  CHECK(out.size[0] == 2 && p[0] == 1 && p[1] == 1, "topk smallest");
  CHECK(ln_tensor_topk(&out, &idx, &t, 6, 0, 1) == LN_ERR && strstr(ln_error(), "k = 6"),
        "k past the size: %s", ln_error());
  CHECK(ln_tensor_reduce_dim(&out, NULL, &t, 1, 0, LN_R_SUM, 0) == LN_ERR &&
        strstr(ln_error(), "dimension 2 out of range (1..1)"), "%s", ln_error());
  ln_tensor_free(&t);
  ln_tensor_free(&out);
  ln_tensor_free(&idx);
}

static void test_gather_scatter(void) {
  ln_tensor t = LN_TENSOR_EMPTY, idx = LN_TENSOR_EMPTY, out = LN_TENSOR_EMPTY;
  ln_tensor_init(&t, 2, (size_t[]){2, 3});
  for (int k = 0; k < 6; k++) ln_data(&t)[k] = (float)k;
  ln_tensor_init(&idx, 2, (size_t[]){2, 1});
  ln_data(&idx)[0] = 2;
  ln_data(&idx)[1] = 0;
  CHECK(ln_tensor_gather("gather", 0, &out, &t, 1, &idx) == LN_OK &&
        ln_data(&out)[0] == 2 && ln_data(&out)[1] == 3, "gather along dim 2");
  ln_data(&idx)[1] = 3;  /* out of range: nothing written */
  CHECK(ln_tensor_scatter("scatter_", 0, &t, 1, &idx, NULL, 9, 0) == LN_ERR &&
        strstr(ln_error(), "index 3 out of range (0..2)"), "%s", ln_error());
  CHECK(ln_data(&t)[2] == 2, "a failed scatter wrote nothing");
  ln_data(&idx)[1] = 1;
  ln_tensor_scatter("scatter_add_", 0, &t, 1, &idx, NULL, 10, 1);
  CHECK(ln_data(&t)[2] == 12 && ln_data(&t)[4] == 14, "scatter_add_ adds");
  ln_tensor_free(&t);
  ln_tensor_free(&idx);
  ln_tensor_free(&out);
}

/* c = a b by a naive double loop through ln_at, relative to |a| |b|. */
static double mm_error(const ln_tensor *c, const ln_tensor *a, const ln_tensor *b) {
  double worst = 0;
  for (size_t i = 0; i < a->size[0]; i++)
    for (size_t j = 0; j < b->size[1]; j++) {
      double s = 0, m = 0;
      for (size_t k = 0; k < a->size[1]; k++) {
        double x = *ln_at(a, (size_t[]){i, k}), y = *ln_at(b, (size_t[]){k, j});
        s += x * y;
        m += fabs(x * y);
      }
      double d = fabs(*ln_at(c, (size_t[]){i, j}) - s) / fmax(m, 1e-30);
      worst = d > worst ? d : worst;
    }
  return worst;
}

static void test_mm_no_copy(void) {
  ln_tensor a = LN_TENSOR_EMPTY, at = LN_TENSOR_EMPTY, b = LN_TENSOR_EMPTY,
            c = LN_TENSOR_EMPTY, a3 = LN_TENSOR_EMPTY, sel = LN_TENSOR_EMPTY;
  randn(&a, 2, (size_t[]){40, 30});
  randn(&b, 2, (size_t[]){40, 20});
  ln_tensor_transpose(&at, &a, 0, 1);  /* 30x40, unit stride down columns */
  ln_tensor_mm(&c, &at, &b);            /* warm up: c's storage */
  uint64_t before = ln_alloc_count();
  CHECK(ln_tensor_mm(&c, &at, &b) == LN_OK, "mm: %s", ln_error());
  uint64_t transposed = ln_alloc_count() - before;
  CHECK(mm_error(&c, &at, &b) < 1e-6, "transposed mm: %g", mm_error(&c, &at, &b));
  /* The result's storage and header are all it allocates: no copy of a. */
  CHECK(transposed <= 2, "a transposed operand is not copied (%llu allocations)",
        (unsigned long long)transposed);
  /* Neither stride 1: copied, and still right. */
  randn(&a3, 3, (size_t[]){30, 40, 2});
  ln_tensor_select(&sel, &a3, 2, 1);  /* 30x40, strides (80, 2) */
  before = ln_alloc_count();
  ln_tensor_mm(&c, &sel, &b);
  CHECK(ln_alloc_count() - before > transposed, "an operand with no unit stride is copied");
  CHECK(mm_error(&c, &sel, &b) < 1e-6, "strided mm: %g", mm_error(&c, &sel, &b));
  /* matmul broadcasting a matrix over a batch: one folded GEMM */
  ln_tensor x = LN_TENSOR_EMPTY, r = LN_TENSOR_EMPTY, x1 = LN_TENSOR_EMPTY,
            r1 = LN_TENSOR_EMPTY;
  randn(&x, 3, (size_t[]){5, 6, 40});
  CHECK(ln_tensor_matmul(&r, &x, &b) == LN_OK && r.ndim == 3 && r.size[0] == 5 &&
        r.size[1] == 6 && r.size[2] == 20, "matmul shape");
  double worst = 0;
  for (size_t i = 0; i < 5; i++) {
    ln_tensor_select(&x1, &x, 0, i);
    ln_tensor_select(&r1, &r, 0, i);
    double e = mm_error(&r1, &x1, &b);
    worst = e > worst ? e : worst;
  }
  CHECK(worst < 1e-6, "batched matmul: %g", worst);
  CHECK(ln_tensor_mm(&c, &a, &a) == LN_ERR && strstr(ln_error(), "cannot be multiplied"),
        "%s", ln_error());
  ln_tensor *all[] = {&a, &at, &b, &c, &a3, &sel, &x, &r, &x1, &r1};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) ln_tensor_free(all[i]);
}

static void test_make(void) {
  ln_tensor t = LN_TENSOR_EMPTY, u = LN_TENSOR_EMPTY, out = LN_TENSOR_EMPTY;
  ln_tensor_arange(&t, 1, 10, 2);
  CHECK(t.size[0] == 5 && ln_data(&t)[4] == 9, "arange(1, 10, 2)");
  CHECK(ln_tensor_arange(&t, 0, 1, 0) == LN_ERR, "zero step");
  ln_tensor_randperm(&t, 100, 0, &rng);
  int seen[100] = {0}, ok = 1;
  for (int i = 0; i < 100; i++) ok &= !seen[(int)ln_data(&t)[i]]++;
  CHECK(ok, "randperm is a permutation");
  ln_tensor_eye(&u, 3, 2);
  ln_tensor_transpose(&u, &u, 0, 1);  /* 2x3, strided */
  ln_tensor_eye(&t, 2, 3);
  const ln_tensor *two[] = {&t, &u};
  CHECK(ln_tensor_cat("cat", &out, two, 2, 1) == LN_OK && out.size[0] == 2 &&
        out.size[1] == 6 && ln_data(&out)[3] == 1 && ln_data(&out)[10] == 1, "cat");
  CHECK(ln_tensor_stack("stack", &out, two, 2, 2) == LN_OK && out.ndim == 3 &&
        out.size[2] == 2, "stack");
  CHECK(ln_tensor_cat("cat", &out, two, 2, 2) == LN_ERR, "cat past the dimensions");
  ln_tensor_free(&t);
  ln_tensor_free(&u);
  ln_tensor_free(&out);
}

static void test_npy(void) {
  char path[] = "/tmp/test_tensor_math_XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  ln_tensor t = LN_TENSOR_EMPTY, v = LN_TENSOR_EMPTY, back = LN_TENSOR_EMPTY;
  randn(&t, 3, (size_t[]){2, 3, 4});
  ln_tensor_permute(&v, &t, (int[]){2, 0, 1});
  CHECK(ln_npy_save(path, &v) == LN_OK, "save: %s", ln_error());
  CHECK(ln_npy_load(&back, path) == LN_OK, "load: %s", ln_error());
  int same = back.ndim == 3 && back.size[0] == 4;
  for (size_t i = 0; i < 24 && same; i++) {
    float a;
    ln_tensor_read(&v, i, 1, &a);
    same = ln_data(&back)[i] == a;
  }
  CHECK(same, "a strided tensor round-trips through .npy");
  if (truncate(path, 128 + 40) == 0)  /* the header is 128 bytes */
    CHECK(ln_npy_load(&back, path) == LN_ERR &&
          strstr(ln_error(), "needs 96 bytes of data, the file has 40"), "truncated: %s",
          ln_error());
  unlink(path);
  ln_tensor_free(&t);
  ln_tensor_free(&v);
  ln_tensor_free(&back);
}

int main(void) {
  ln_rng_seed(&rng, 11);
  test_reduce_dims();
  test_nan_and_sort();
  test_gather_scatter();
  test_mm_no_copy();
  test_make();
  test_npy();
  return check_summary();
}
