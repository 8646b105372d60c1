/* test_conv.c: the convolution and pooling kernels.
 *
 * - the fast convolution against the reference on random shapes covering
 *   every option (groups, dilation, strides, asymmetric kernels and padding,
 *   no bias, 1x1, depthwise, several GEMM chunks), forward and backward;
 * - central differences of the reference convolution and of the poolings;
 * - both against PyTorch's numbers (tests/fixtures/conv_fixtures.h, written
 *   by tests/fixtures/gen_conv.py), max-pool indices included;
 * - the refusals of the shape checks, and that the fast path allocates
 *   nothing.
 * Differences are normwise: max |got - want| / max |want| over a tensor. The
 * largest one of each kind is printed. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "conv.h"
#include "pool.h"
#include "tensor.h"
#include "../fixtures/conv_fixtures.h"

static ln_rng rng;
static double worst_fast, worst_fd, worst_torch;

static float *randv(size_t n) {
  float *v = ln_malloc((n ? n : 1) * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = (float)(ln_rng_uniform(&rng) * 2 - 1);
  return v;
}

static double reldiff(const float *got, const float *want, size_t n) {
  double d = 0, m = 0;
  for (size_t i = 0; i < n; i++) {
    double e = fabs((double)got[i] - want[i]);
    if (e > d || e != e) d = e;
    if (fabs(want[i]) > m) m = fabs(want[i]);
  }
  return d / (m > 1e-30 ? m : 1);
}

#define CHECK_REL(worst, got, want, n, tol, ...) do {          \
    double r_ = reldiff(got, want, n);                         \
    if (r_ > worst || r_ != r_) worst = r_;                    \
    CHECK(r_ <= (tol), __VA_ARGS__);                           \
  } while (0)

static char *pstr(const ln_conv2d_params *p) {
  static char buf[256];
  snprintf(buf, sizeof buf, "n%zu ic%zu %zux%zu oc%zu k%zux%zu s%zu,%zu p%zu,%zu,%zu,%zu "
           "d%zu,%zu g%zu b%d", p->n, p->ic, p->h, p->w, p->oc, p->kh, p->kw, p->sh, p->sw,
           p->pt, p->pb, p->pl, p->pr, p->dh, p->dw, p->groups, p->bias);
  return buf;
}

/* ---- fast path against the reference ---- */

static void fast_vs_ref(ln_conv2d_params *p) {
  if (ln_conv2d_setup("test", p)) {
    CHECK(0, "setup %s: %s", pstr(p), ln_error());
    return;
  }
  size_t ni = p->n * p->ic * p->h * p->w, no = p->n * p->oc * p->oh * p->ow;
  size_t nw = p->oc * (p->ic / p->groups) * p->kh * p->kw;
  float *in = randv(ni), *w = randv(nw), *b = randv(p->oc), *dout = randv(no);
  float *o1 = randv(no), *o2 = randv(no), *di1 = randv(ni), *di2 = randv(ni);
  float *dw1 = randv(nw), *dw2 = ln_malloc(nw * sizeof *dw2), *db1 = randv(p->oc);
  float *db2 = ln_malloc(p->oc * sizeof *db2), *dw3 = ln_malloc(nw * sizeof *dw3);
  float *ws = ln_malloc(ln_conv2d_workspace(p) * sizeof *ws);
  memcpy(dw2, dw1, nw * sizeof *dw2);
  memcpy(dw3, dw1, nw * sizeof *dw3);
  memcpy(db2, db1, p->oc * sizeof *db2);
  ln_conv2d_forward_ref(o1, in, w, b, p);
  uint64_t allocs = ln_alloc_count();
  ln_conv2d_forward(o2, in, w, b, ws, p);
  CHECK(ln_alloc_count() == allocs, "forward allocated, %s", pstr(p));
  CHECK_REL(worst_fast, o2, o1, no, 1e-5, "forward %s", pstr(p));
  ln_conv2d_backward_ref(di1, dw1, db1, dout, in, w, p);
  allocs = ln_alloc_count();
  ln_conv2d_backward(di2, dw2, db2, dout, in, w, ws, p);
  CHECK(ln_alloc_count() == allocs, "backward allocated, %s", pstr(p));
  CHECK_REL(worst_fast, di2, di1, ni, 1e-5, "dinp %s", pstr(p));
  CHECK_REL(worst_fast, dw2, dw1, nw, 1e-5, "dweight %s", pstr(p));
  if (p->bias) CHECK_REL(worst_fast, db2, db1, p->oc, 1e-5, "dbias %s", pstr(p));
  /* dbias may be NULL without a bias */
  ln_conv2d_backward(NULL, dw3, p->bias ? b : NULL, dout, in, w, ws, p);
  CHECK_REL(worst_fast, dw3, dw1, nw, 1e-5, "dweight (no dinp) %s", pstr(p));
  float *all[] = {in, w, b, dout, o1, o2, di1, di2, dw1, dw2, db1, db2, dw3, ws};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) ln_free(all[i]);
}

/* A workspace sized for one worker stays enough when more threads are
 * asked for later (exact sizes: ASan sees an overrun). */
static void more_threads_later(void) {
  ln_conv2d_params p = {.n = 4, .ic = 16, .h = 9, .w = 9, .oc = 16, .kh = 3, .kw = 3,
                        .sh = 1, .sw = 1, .pt = 1, .pb = 1, .pl = 1, .pr = 1, .dh = 1,
                        .dw = 1, .groups = 1, .bias = 1};
  ln_set_num_threads(1);
  if (ln_conv2d_setup("test", &p)) return;
  ln_set_num_threads(2);
  CHECK(p.workers == 1, "workers %zu", p.workers);
  fast_vs_ref(&p);
  p.groups = 16, p.oc = 16;  /* depthwise: the direct kernel */
  p.workers = 1;
  fast_vs_ref(&p);
}

static size_t pick(size_t lo, size_t hi) { return lo + ln_rng_below(&rng, hi - lo + 1); }

static void random_shapes(int count) {
  for (int t = 0; t < count; t++) {
    ln_conv2d_params p;
    do {
      size_t g = pick(1, 3);
      p = (ln_conv2d_params){.n = pick(1, 3), .ic = g * pick(1, 3), .h = pick(1, 9),
                             .w = pick(1, 9), .oc = g * pick(1, 11), .kh = pick(1, 4),
                             .kw = pick(1, 4), .sh = pick(1, 3), .sw = pick(1, 3),
                             .pt = pick(0, 2), .pb = pick(0, 2), .pl = pick(0, 2),
                             .pr = pick(0, 2), .dh = pick(1, 3), .dw = pick(1, 3),
                             .groups = g, .bias = (int)pick(0, 1)};
    } while (ln_conv2d_setup("test", &p));
    fast_vs_ref(&p);
  }
}

static void named_shapes(void) {
  ln_conv2d_params cases[] = {
    /* 1x1, GEMM path */
    {.n = 2, .ic = 16, .h = 5, .w = 7, .oc = 12, .kh = 1, .kw = 1, .sh = 1, .sw = 1,
     .dh = 1, .dw = 1, .groups = 1, .bias = 1},
    /* depthwise 3x3 pad 1, stride 2 */
    {.n = 2, .ic = 6, .h = 9, .w = 8, .oc = 6, .kh = 3, .kw = 3, .sh = 2, .sw = 2,
     .pt = 1, .pb = 1, .pl = 1, .pr = 1, .dh = 1, .dw = 1, .groups = 6, .bias = 1},
    /* depthwise with multiplier 2, no bias */
    {.n = 1, .ic = 4, .h = 7, .w = 7, .oc = 8, .kh = 3, .kw = 3, .sh = 1, .sw = 1,
     .pt = 1, .pb = 1, .pl = 1, .pr = 1, .dh = 1, .dw = 1, .groups = 4},
    /* "same" with an even kernel: extra padding at the bottom and right */
    {.n = 2, .ic = 3, .h = 6, .w = 5, .oc = 9, .kh = 2, .kw = 4, .sh = 1, .sw = 1,
     .pt = 0, .pb = 1, .pl = 1, .pr = 2, .dh = 1, .dw = 1, .groups = 1, .bias = 1},
    /* several GEMM chunks with a remainder (3 + 3 + 1 images) */
    {.n = 7, .ic = 16, .h = 48, .w = 48, .oc = 8, .kh = 3, .kw = 3, .sh = 1, .sw = 1,
     .pt = 1, .pb = 1, .pl = 1, .pr = 1, .dh = 1, .dw = 1, .groups = 1, .bias = 1},
    /* the reference net's first layer */
    {.n = 3, .ic = 1, .h = 28, .w = 28, .oc = 32, .kh = 3, .kw = 3, .sh = 1, .sw = 1,
     .pt = 1, .pb = 1, .pl = 1, .pr = 1, .dh = 1, .dw = 1, .groups = 1, .bias = 1},
    /* the tiled kernel: a tail of 4 outputs, stride 2 (dinp by the GEMM) */
    {.n = 2, .ic = 16, .h = 9, .w = 7, .oc = 20, .kh = 3, .kw = 2, .sh = 2, .sw = 1,
     .pt = 1, .pb = 0, .pl = 0, .pr = 1, .dh = 1, .dw = 2, .groups = 1, .bias = 1},
    /* tiled forward and input gradient: a tail of 2 inputs, dilation */
    {.n = 2, .ic = 18, .h = 8, .w = 9, .oc = 16, .kh = 3, .kw = 3, .sh = 1, .sw = 1,
     .pt = 2, .pb = 1, .pl = 2, .pr = 0, .dh = 2, .dw = 1, .groups = 1, .bias = 0},
    /* tiled, 2 groups of 16 */
    {.n = 1, .ic = 32, .h = 5, .w = 6, .oc = 32, .kh = 3, .kw = 3, .sh = 1, .sw = 1,
     .pt = 1, .pb = 1, .pl = 1, .pr = 1, .dh = 1, .dw = 1, .groups = 2, .bias = 1},
    /* the reference net's second layer, two images */
    {.n = 2, .ic = 32, .h = 14, .w = 14, .oc = 64, .kh = 3, .kw = 3, .sh = 1, .sw = 1,
     .pt = 1, .pb = 1, .pl = 1, .pr = 1, .dh = 1, .dw = 1, .groups = 1, .bias = 1},
    /* kernel exactly the padded input */
    {.n = 2, .ic = 2, .h = 3, .w = 2, .oc = 9, .kh = 4, .kw = 4, .sh = 2, .sw = 1,
     .pt = 1, .pb = 0, .pl = 1, .pr = 1, .dh = 1, .dw = 1, .groups = 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) fast_vs_ref(&cases[i]);
}

/* ---- finite differences of the reference ---- */

/* L = sum(out .* r); the convolution is linear in each argument, so central
 * differences are exact up to float rounding. */
static double conv_loss(const float *in, const float *w, const float *b, const float *r,
                        float *out, const ln_conv2d_params *p) {
  ln_conv2d_forward_ref(out, in, w, b, p);
  double s = 0;
  for (size_t i = 0; i < p->n * p->oc * p->oh * p->ow; i++) s += (double)out[i] * r[i];
  return s;
}

static void fd_vec(float *x, size_t n, const float *g, const float *in, const float *w,
                   const float *b, const float *r, float *out, const ln_conv2d_params *p,
                   const char *what) {
  float *num = ln_malloc(n * sizeof *num);
  const float h = 1e-2f;
  for (size_t i = 0; i < n; i++) {
    float keep = x[i];
    x[i] = keep + h;
    double lp = conv_loss(in, w, b, r, out, p);
    x[i] = keep - h;
    double lm = conv_loss(in, w, b, r, out, p);
    x[i] = keep;
    num[i] = (float)((lp - lm) / (2.0 * (double)h));
  }
  CHECK_REL(worst_fd, g, num, n, 1e-3, "finite differences of %s, %s", what, pstr(p));
  ln_free(num);
}

static void fd_conv(ln_conv2d_params p) {
  if (ln_conv2d_setup("test", &p)) {
    CHECK(0, "setup: %s", ln_error());
    return;
  }
  size_t ni = p.n * p.ic * p.h * p.w, no = p.n * p.oc * p.oh * p.ow;
  size_t nw = p.oc * (p.ic / p.groups) * p.kh * p.kw;
  float *in = randv(ni), *w = randv(nw), *b = randv(p.oc), *r = randv(no), *out = randv(no);
  float *di = randv(ni), *dw = ln_calloc(nw, sizeof *dw), *db = ln_calloc(p.oc, sizeof *db);
  ln_conv2d_backward_ref(di, dw, db, r, in, w, &p);
  fd_vec(in, ni, di, in, w, b, r, out, &p, "the input");
  fd_vec(w, nw, dw, in, w, b, r, out, &p, "the weight");
  if (p.bias) fd_vec(b, p.oc, db, in, w, b, r, out, &p, "the bias");
  float *all[] = {in, w, b, r, out, di, dw, db};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) ln_free(all[i]);
}

static void fd_convs(void) {
  fd_conv((ln_conv2d_params){.n = 2, .ic = 4, .h = 6, .w = 5, .oc = 6, .kh = 3, .kw = 2,
                             .sh = 2, .sw = 1, .pt = 1, .pb = 0, .pl = 2, .pr = 1, .dh = 2,
                             .dw = 1, .groups = 2, .bias = 1});
  fd_conv((ln_conv2d_params){.n = 1, .ic = 3, .h = 5, .w = 5, .oc = 3, .kh = 3, .kw = 3,
                             .sh = 1, .sw = 2, .pt = 1, .pb = 1, .pl = 1, .pr = 1, .dh = 1,
                             .dw = 2, .groups = 3, .bias = 0});
}

/* ---- refusals ---- */

static void refusals(void) {
  struct { ln_conv2d_params p; const char *msg; } bad[] = {
    {{.n = 1, .ic = 3, .h = 5, .w = 5, .oc = 4, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .dh = 1,
      .dw = 1, .groups = 2}, "groups (2) must divide"},
    {{.n = 1, .ic = 2, .h = 2, .w = 5, .oc = 4, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .dh = 1,
      .dw = 1, .groups = 1}, "larger than the padded input 2x5"},
    {{.n = 1, .ic = 2, .h = 5, .w = 5, .oc = 4, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .dh = 3,
      .dw = 1, .groups = 1}, "(dilated 7x3)"},
    {{.n = 1, .ic = 2, .h = 5, .w = 5, .oc = 4, .kh = 3, .kw = 3, .sh = 0, .sw = 1, .dh = 1,
      .dw = 1, .groups = 1}, "stride must be positive"},
    {{.n = 1, .ic = 2, .h = 5, .w = 5, .oc = 4, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .dh = 1,
      .dw = 1, .groups = 0}, "groups must be positive"},
    {{.n = 0, .ic = 2, .h = 5, .w = 5, .oc = 4, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .dh = 1,
      .dw = 1, .groups = 1}, "sizes must be positive"},
    {{.n = 65536, .ic = 256, .h = 256, .w = 256, .oc = 4, .kh = 3, .kw = 3, .sh = 1,
      .sw = 1, .dh = 1, .dw = 1, .groups = 1}, "the input (65536x256x256x256) is too large"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int rc = ln_conv2d_setup("Conv2d", &bad[i].p);
    CHECK(rc == LN_ERR && strstr(ln_error(), bad[i].msg) && !strncmp(ln_error(), "Conv2d: ", 8),
          "case %zu: rc %d, message \"%s\"", i, rc, rc ? ln_error() : "");
  }
}

/* ---- pooling ---- */

static ln_pool2d_params pool_params(const size_t *v) {
  return (ln_pool2d_params){.n = v[0], .c = v[1], .h = v[2], .w = v[3], .kh = v[4],
                            .kw = v[5], .sh = v[6], .sw = v[7], .ph = v[8], .pw = v[9],
                            .dh = v[10], .dw = v[11], .ceil_mode = (int)v[12],
                            .count_include_pad = (int)v[13], .divisor = v[14], .oh = v[15],
                            .ow = v[16]};
}

static int pool_setup(int kind, ln_pool2d_params *p) {
  return kind == 0 ? ln_maxpool2d_setup("test", p)
       : kind == 1 ? ln_avgpool2d_setup("test", p) : ln_adaptive_avgpool2d_setup("test", p);
}

static void pool_forward(int kind, float *out, int32_t *idx, const float *in,
                         const ln_pool2d_params *p) {
  if (kind == 0) ln_maxpool2d_forward(out, idx, in, p);
  else if (kind == 1) ln_avgpool2d_forward(out, in, p);
  else ln_adaptive_avgpool2d_forward(out, in, p);
}

static void pool_backward(int kind, float *dinp, const float *dout, const int32_t *idx,
                          const ln_pool2d_params *p) {
  if (kind == 0) ln_maxpool2d_backward(dinp, dout, idx, p);
  else if (kind == 1) ln_avgpool2d_backward(dinp, dout, p);
  else ln_adaptive_avgpool2d_backward(dinp, dout, p);
}

/* NaN equals NaN here: max pooling must give NaN where PyTorch does. */
static int same_or_nan(const float *a, const float *b, size_t n, double tol, double *worst) {
  for (size_t i = 0; i < n; i++)
    if ((a[i] != a[i]) != (b[i] != b[i])) return 0;
  float *x = ln_malloc(n * sizeof *x), *y = ln_malloc(n * sizeof *y);
  for (size_t i = 0; i < n; i++) {
    x[i] = a[i] != a[i] || isinf(a[i]) ? 0 : a[i];
    y[i] = b[i] != b[i] || isinf(b[i]) ? 0 : b[i];
  }
  int inf_ok = 1;
  for (size_t i = 0; i < n; i++) inf_ok &= isinf(a[i]) == isinf(b[i]) && (a[i] < 0) == (b[i] < 0);
  double r = reldiff(x, y, n);
  if (r > *worst) *worst = r;
  ln_free(x);
  ln_free(y);
  return inf_ok && r <= tol;
}

/* L = sum(out .* r) with distinct, well separated inputs: max pooling is
 * linear near them, average pooling everywhere. */
static void fd_pool(int kind, ln_pool2d_params p) {
  if (pool_setup(kind, &p)) {
    CHECK(0, "pool setup: %s", ln_error());
    return;
  }
  size_t ni = p.n * p.c * p.h * p.w, no = p.n * p.c * p.oh * p.ow;
  float *in = ln_malloc(ni * sizeof *in), *r = randv(no), *out = randv(no), *g = randv(ni);
  float *num = ln_malloc(ni * sizeof *num);
  int32_t *idx = ln_malloc(no * sizeof *idx);
  for (size_t i = 0; i < ni; i++) in[i] = (float)((i * 7919) % ni) * 0.05f - 1;
  pool_forward(kind, out, idx, in, &p);
  pool_backward(kind, g, r, idx, &p);
  for (size_t i = 0; i < ni; i++) {
    double l[2];
    float keep = in[i];
    for (int k = 0; k < 2; k++) {
      in[i] = keep + (k ? 1e-2f : -1e-2f);
      pool_forward(kind, out, idx, in, &p);
      l[k] = 0;
      for (size_t j = 0; j < no; j++) l[k] += (double)out[j] * r[j];
    }
    in[i] = keep;
    num[i] = (float)((l[1] - l[0]) / 2e-2);
  }
  CHECK_REL(worst_fd, g, num, ni, 1e-3, "finite differences of pooling kind %d", kind);
  float *all[] = {in, r, out, g, num};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) ln_free(all[i]);
  ln_free(idx);
}

static void pool_tests(void) {
  fd_pool(0, (ln_pool2d_params){.n = 2, .c = 2, .h = 7, .w = 8, .kh = 3, .kw = 2, .sh = 2,
                                .sw = 1, .ph = 1, .pw = 1, .dh = 2, .dw = 1, .ceil_mode = 1});
  fd_pool(1, (ln_pool2d_params){.n = 2, .c = 2, .h = 7, .w = 8, .kh = 3, .kw = 3, .sh = 2,
                                .sw = 2, .ph = 1, .pw = 1, .dh = 1, .dw = 1, .ceil_mode = 1});
  fd_pool(2, (ln_pool2d_params){.n = 2, .c = 2, .h = 7, .w = 9, .oh = 3, .ow = 4});
  /* a window of equal values: the first in scan order */
  float tie[4] = {2, 2, 2, 2}, out;
  int32_t idx;
  ln_pool2d_params p = {.n = 1, .c = 1, .h = 2, .w = 2, .kh = 2, .kw = 2, .sh = 2, .sw = 2,
                        .dh = 1, .dw = 1};
  CHECK(ln_maxpool2d_setup("MaxPool2d", &p) == LN_OK && p.oh == 1 && p.ow == 1, "2x2 setup");
  ln_maxpool2d_forward(&out, &idx, tie, &p);
  CHECK(out == 2 && idx == 0, "ties: %g at %d", out, (int)idx);
  /* refusals */
  ln_pool2d_params bad = p;
  bad.ph = 2;
  CHECK(ln_maxpool2d_setup("MaxPool2d", &bad) == LN_ERR &&
        strstr(ln_error(), "MaxPool2d: padding (2, 0) must be at most half"), "%s", ln_error());
  bad = p;
  bad.kh = 3;
  CHECK(ln_maxpool2d_setup("MaxPool2d", &bad) == LN_ERR &&
        strstr(ln_error(), "height of the input (2) is too small"), "%s", ln_error());
  bad = p;
  bad.dh = 2;
  CHECK(ln_avgpool2d_setup("AvgPool2d", &bad) == LN_ERR &&
        strstr(ln_error(), "AvgPool2d: average pooling has no dilation"), "%s", ln_error());
  bad = p;
  bad.oh = 0;
  CHECK(ln_adaptive_avgpool2d_setup("AdaptiveAvgPool2d", &bad) == LN_ERR &&
        strstr(ln_error(), "output size must be positive"), "%s", ln_error());
}

/* ---- against PyTorch ---- */

static void torch_conv(const conv_fixture *f) {
  const size_t *v = f->ints;
  ln_conv2d_params p = {.n = v[0], .ic = v[1], .h = v[2], .w = v[3], .oc = v[4], .kh = v[5],
                        .kw = v[6], .sh = v[7], .sw = v[8], .pt = v[9], .pb = v[10],
                        .pl = v[11], .pr = v[12], .dh = v[13], .dw = v[14], .groups = v[15],
                        .bias = (int)v[16]};
  if (ln_conv2d_setup("test", &p)) {
    CHECK(0, "%s: %s", f->name, ln_error());
    return;
  }
  size_t ni = p.n * p.ic * p.h * p.w, no = p.n * p.oc * p.oh * p.ow;
  size_t nw = p.oc * (p.ic / p.groups) * p.kh * p.kw;
  float *out = randv(no), *di = randv(ni), *dw = ln_calloc(nw, sizeof *dw);
  float *db = ln_calloc(p.oc, sizeof *db);
  float *ws = ln_malloc(ln_conv2d_workspace(&p) * sizeof *ws);
  for (int fast = 0; fast < 2; fast++) {
    memset(dw, 0, nw * sizeof *dw);
    memset(db, 0, p.oc * sizeof *db);
    if (fast) {
      ln_conv2d_forward(out, f->in, f->weight, f->bias, ws, &p);
      ln_conv2d_backward(di, dw, db, f->dout, f->in, f->weight, ws, &p);
    } else {
      ln_conv2d_forward_ref(out, f->in, f->weight, f->bias, &p);
      ln_conv2d_backward_ref(di, dw, db, f->dout, f->in, f->weight, &p);
    }
    const char *path = fast ? "fast" : "reference";
    CHECK_REL(worst_torch, out, f->out, no, 1e-4, "%s: %s forward", f->name, path);
    CHECK_REL(worst_torch, di, f->dinp, ni, 1e-4, "%s: %s dinp", f->name, path);
    CHECK_REL(worst_torch, dw, f->dweight, nw, 1e-4, "%s: %s dweight", f->name, path);
    if (p.bias) CHECK_REL(worst_torch, db, f->dbias, p.oc, 1e-4, "%s: %s dbias", f->name, path);
  }
  float *all[] = {out, di, dw, db, ws};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) ln_free(all[i]);
}

static void torch_pool(const pool_fixture *f) {
  ln_pool2d_params p = pool_params(f->ints);
  size_t oh = p.oh, ow = p.ow;
  if (pool_setup(f->kind, &p)) {
    CHECK(0, "%s: %s", f->name, ln_error());
    return;
  }
  CHECK(p.oh == oh && p.ow == ow, "%s: output %zux%zu, PyTorch's %zux%zu", f->name, p.oh,
        p.ow, oh, ow);
  size_t ni = p.n * p.c * p.h * p.w, no = p.n * p.c * oh * ow;
  float *out = randv(no), *di = randv(ni);
  int32_t *idx = ln_malloc(no * sizeof *idx);
  pool_forward(f->kind, out, idx, f->in, &p);
  pool_backward(f->kind, di, f->dout, idx, &p);
  CHECK(same_or_nan(out, f->out, no, 1e-4, &worst_torch), "%s: forward", f->name);
  CHECK(same_or_nan(di, f->dinp, ni, 1e-4, &worst_torch), "%s: backward", f->name);
  if (f->idx) {
    size_t bad = 0;
    for (size_t i = 0; i < no; i++) bad += idx[i] != f->idx[i];
    CHECK(bad == 0, "%s: %zu indices differ from PyTorch's", f->name, bad);
  }
  ln_free(out);
  ln_free(di);
  ln_free(idx);
}

static void torch_tests(void) {
  for (size_t i = 0; i < sizeof conv_fixtures / sizeof *conv_fixtures; i++)
    torch_conv(&conv_fixtures[i]);
  for (size_t i = 0; i < sizeof pool_fixtures / sizeof *pool_fixtures; i++)
    torch_pool(&pool_fixtures[i]);
}

int main(void) {
  ln_rng_seed(&rng, 13);
  /* One worker and two (the direct and tiled kernels split the images). */
  for (int threads = 1; threads <= 2; threads++) {
    ln_set_num_threads(threads);
    random_shapes(150);
    named_shapes();
    torch_tests();
  }
  more_threads_later();
  fd_convs();
  refusals();
  pool_tests();
  printf("largest relative difference: fast vs reference %.3g, finite differences %.3g, "
         "vs PyTorch %.3g\n", worst_fast, worst_fd, worst_torch);
  return check_summary();
}
