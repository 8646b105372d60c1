/* test_layer_kernels.c: the fast kernels around the convolution (max
 * pooling, BatchNorm on (N,C,S), the activations' threaded driver) against
 * their plain references, on one and two threads:
 * - max pooling: the same bits and indices as the reference on random
 *   shapes (2x2 stride 2 with even and odd sizes, padding, dilation,
 *   ceil_mode), ties and NaN included; backward the same on 1 and 2 threads;
 * - BatchNorm's sums within 1e-5 (relative) of the double reference, the
 *   affine pass bit for bit, and both the same bits on 1 and 2 threads;
 * - ReLU, Tanh and Sigmoid layers on 2 threads equal to their kernels;
 * - the convolution's bias gradient (channels split) the same bits on 1 and
 *   2 threads, and within 1e-5 of the reference;
 * - ln_gemm split between 2 threads (by rows or columns, every
 *   transposition) within 1e-5 of a double loop, and the same bits on
 *   every run.
 * The largest differences are printed. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "activation.h"
#include "batchnorm_4d.h"
#include "check.h"
#include "conv.h"
#include "pool.h"
#include "rng.h"
#include "tensor.h"

static ln_rng rng;

static size_t pick(size_t lo, size_t hi) {
  return lo + (size_t)(ln_rng_uniform(&rng) * (double)(hi - lo + 1)) % (hi - lo + 1);
}

/* Values from a few levels (ties), with some NaN and -inf when asked. */
static float *randv(size_t n, int levels, int special) {
  float *v = ln_malloc((n ? n : 1) * sizeof *v);
  for (size_t i = 0; i < n; i++) {
    double u = ln_rng_uniform(&rng);
    v[i] = levels ? (float)(int)(u * levels) : (float)(u * 4 - 2);
    if (special && ln_rng_uniform(&rng) < 0.02)
      v[i] = ln_rng_uniform(&rng) < 0.5 ? NAN : -INFINITY;
  }
  return v;
}

static int same_bits(const void *a, const void *b, size_t bytes) { return !memcmp(a, b, bytes); }

/* ---- max pooling ---- */

static void maxpool_case(ln_pool2d_params p) {
  if (ln_maxpool2d_setup("test", &p)) return;  /* an impossible random shape */
  size_t ni = p.n * p.c * p.h * p.w, no = p.n * p.c * p.oh * p.ow;
  float *in = randv(ni, pick(0, 1) ? 3 : 0, (int)pick(0, 1)), *dout = randv(no, 0, 0);
  float *o1 = ln_malloc(no * sizeof *o1), *o2 = ln_malloc(no * sizeof *o2);
  float *oref = ln_malloc(no * sizeof *oref);
  float *d1 = ln_malloc(ni * sizeof *d1), *d2 = ln_malloc(ni * sizeof *d2);
  int32_t *i1 = ln_malloc(no * sizeof *i1), *i2 = ln_malloc(no * sizeof *i2);
  int32_t *iref = ln_malloc(no * sizeof *iref);
  ln_maxpool2d_forward_ref(oref, iref, in, &p);
  ln_set_num_threads(1);
  ln_maxpool2d_forward(o1, i1, in, &p);
  ln_maxpool2d_backward(d1, dout, i1, &p);
  ln_set_num_threads(2);
  ln_maxpool2d_forward(o2, i2, in, &p);
  ln_maxpool2d_backward(d2, dout, i2, &p);
  CHECK(same_bits(o1, oref, no * sizeof *o1) && same_bits(i1, iref, no * sizeof *i1),
        "max pool %zux%zux%zux%zu k%zux%zu s%zu,%zu p%zu,%zu d%zu,%zu ceil %d: fast != ref",
        p.n, p.c, p.h, p.w, p.kh, p.kw, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw, p.ceil_mode);
  CHECK(same_bits(o1, o2, no * sizeof *o1) && same_bits(i1, i2, no * sizeof *i1) &&
        same_bits(d1, d2, ni * sizeof *d1), "max pool: 1 and 2 threads differ");
  void *all[] = {in, dout, o1, o2, oref, d1, d2, i1, i2, iref};
  for (size_t k = 0; k < sizeof all / sizeof *all; k++) ln_free(all[k]);
}

static void maxpool_shapes(void) {
  /* the reference net's two poolings (threaded: 64 KiB per worker) */
  maxpool_case((ln_pool2d_params){.n = 16, .c = 32, .h = 28, .w = 28, .kh = 2, .kw = 2,
                                  .sh = 2, .sw = 2, .dh = 1, .dw = 1});
  maxpool_case((ln_pool2d_params){.n = 16, .c = 64, .h = 14, .w = 14, .kh = 2, .kw = 2,
                                  .sh = 2, .sw = 2, .dh = 1, .dw = 1});
  for (int t = 0; t < 300; t++) {
    int two = t % 2 == 0;
    ln_pool2d_params p = {.n = pick(1, 3), .c = pick(1, 40), .h = pick(1, 37),
                          .w = pick(1, 37), .dh = 1, .dw = 1};
    if (two) {
      p.kh = p.kw = p.sh = p.sw = 2;
      p.ceil_mode = pick(0, 3) == 0;
    } else {
      p.kh = pick(1, 4), p.kw = pick(1, 4), p.sh = pick(1, 3), p.sw = pick(1, 3);
      p.ph = pick(0, p.kh / 2), p.pw = pick(0, p.kw / 2);
      p.dh = pick(1, 2), p.dw = pick(1, 2), p.ceil_mode = (int)pick(0, 1);
    }
    maxpool_case(p);
  }
}

/* ---- BatchNorm on (N,C,S) ---- */

static double worst_sums;

static double rel(double got, double want, double scale) {
  return fabs(got - want) / (scale > 1e-30 ? scale : 1);
}

static void bn_case(size_t n, size_t c, size_t s, int with_v) {
  size_t ne = n * c * s;
  float *u = randv(ne, 0, 0), *v = with_v ? randv(ne, 0, 0) : NULL;
  for (size_t i = 0; i < ne; i++) u[i] = u[i] * 0.5f + 3.0f;  /* a mean far from 0 */
  double k[64], r1[64], r2[64], a1[64], a2[64], b1[64], b2[64];
  for (size_t j = 0; j < c; j++) k[j] = with_v ? 3.0 + 0.01 * (double)j : u[j * s];
  ln_bn4d_sums_ref(r1, r2, k, u, v, n, c, s);
  ln_set_num_threads(1);
  ln_bn4d_sums(a1, a2, k, u, v, n, c, s);
  ln_set_num_threads(2);
  ln_bn4d_sums(b1, b2, k, u, v, n, c, s);
  double worst = 0;
  for (size_t j = 0; j < c; j++) {
    /* against the sums' natural scale: the count times the spread */
    double sc1 = (double)(n * s) * (with_v ? 1.0 : 0.5), sc2 = sc1;
    double e = fmax(rel(a1[j], r1[j], sc1), rel(a2[j], r2[j], sc2));
    if (e > worst || e != e) worst = e;
  }
  if (worst > worst_sums) worst_sums = worst;
  CHECK(worst <= 1e-5, "bn sums %zux%zux%zu v %d: %g from the reference", n, c, s, with_v,
        worst);
  CHECK(same_bits(a1, b1, c * sizeof *a1) && same_bits(a2, b2, c * sizeof *a2),
        "bn sums %zux%zux%zu: 1 and 2 threads differ", n, c, s);
  /* the affine pass, both forms */
  float co[4][64];
  for (int q = 0; q < 4; q++)
    for (size_t j = 0; j < c; j++) co[q][j] = (float)(ln_rng_uniform(&rng) * 2 - 1);
  float *o1 = ln_malloc(ne * sizeof *o1), *o2 = ln_malloc(ne * sizeof *o2);
  float *oref = ln_malloc(ne * sizeof *oref);
  const float *uu = with_v ? v : u, *a = with_v ? co[0] : NULL;
  ln_bn4d_affine_ref(oref, uu, u, a, co[1], co[2], co[3], n, c, s);
  ln_set_num_threads(1);
  ln_bn4d_affine(o1, uu, u, a, co[1], co[2], co[3], n, c, s);
  ln_set_num_threads(2);
  ln_bn4d_affine(o2, uu, u, a, co[1], co[2], co[3], n, c, s);
  CHECK(same_bits(o1, oref, ne * sizeof *o1) && same_bits(o2, oref, ne * sizeof *o2),
        "bn affine %zux%zux%zu: differs from the reference", n, c, s);
  ln_free(u), ln_free(v), ln_free(o1), ln_free(o2), ln_free(oref);
}

static void bn_shapes(void) {
  bn_case(32, 32, 784, 0);  /* the reference net's layers, big enough to thread */
  bn_case(32, 64, 196, 1);
  for (int t = 0; t < 100; t++) bn_case(pick(1, 9), pick(1, 64), pick(2, 300), t % 2);
}

/* ---- activations ---- */

static void act_case(ln_module *m, void (*fwd)(float *, const float *, size_t), size_t n) {
  size_t shape[1] = {n};
  ln_tensor in, dout;
  memset(&in, 0, sizeof in);
  memset(&dout, 0, sizeof dout);
  ln_tensor_init(&in, 1, shape);
  ln_tensor_init(&dout, 1, shape);
  float *x = ln_data(&in), *g = ln_data(&dout);
  for (size_t i = 0; i < n; i++) {
    x[i] = (float)(ln_rng_uniform(&rng) * 8 - 4);
    g[i] = (float)(ln_rng_uniform(&rng) * 2 - 1);
  }
  float *want = ln_malloc(n * sizeof *want), *dwant = ln_malloc(n * sizeof *dwant);
  fwd(want, x, n);
  ln_set_num_threads(1);
  int ok = !ln_module_forward(m, &in) && !ln_module_backward(m, &in, &dout);
  memcpy(dwant, ln_data(&m->grad_input), n * sizeof *dwant);
  ln_set_num_threads(2);
  ok = ok && !ln_module_forward(m, &in) && !ln_module_backward(m, &in, &dout);
  CHECK(ok && same_bits(ln_data(&m->output), want, n * sizeof *want) &&
        same_bits(ln_data(&m->grad_input), dwant, n * sizeof *dwant),
        "%s on %zu elements, 2 threads: differs from the kernel", m->name, n);
  ln_free(want), ln_free(dwant);
  ln_tensor_free(&in), ln_tensor_free(&dout);
  ln_module_release(m);
}

static void activations(void) {
  size_t sizes[] = {5, 4096 * 16 * 2 + 37, 4096 * 40};
  for (size_t k = 0; k < 3; k++) {
    act_case(ln_relu_new(), ln_relu_forward, sizes[k]);
    act_case(ln_tanh_new(), ln_tanh_forward, sizes[k]);
    act_case(ln_sigmoid_new(), ln_sigmoid_forward, sizes[k]);
  }
}

/* ---- the convolution's bias gradient ---- */

static void conv_bias(void) {
  ln_conv2d_params p = {.n = 8, .ic = 4, .h = 28, .w = 28, .oc = 32, .kh = 3, .kw = 3,
                        .sh = 1, .sw = 1, .pt = 1, .pb = 1, .pl = 1, .pr = 1, .dh = 1,
                        .dw = 1, .groups = 1, .bias = 1, .workers = 2};
  if (ln_conv2d_setup("test", &p)) {
    CHECK(0, "conv setup: %s", ln_error());
    return;
  }
  size_t ni = p.n * p.ic * p.h * p.w, no = p.n * p.oc * p.oh * p.ow, nw = p.oc * p.ic * 9;
  float *in = randv(ni, 0, 0), *w = randv(nw, 0, 0), *dout = randv(no, 0, 0);
  float *dw = ln_calloc(nw, sizeof *dw), *ws = ln_malloc(ln_conv2d_workspace(&p) * sizeof *ws);
  float db[3][32] = {{0}};
  ln_conv2d_backward_ref(NULL, dw, db[0], dout, in, w, &p);
  for (int t = 1; t <= 2; t++) {
    ln_set_num_threads(t);
    ln_conv2d_backward(NULL, dw, db[t], dout, in, w, ws, &p);
  }
  double worst = 0;
  for (size_t o = 0; o < p.oc; o++) worst = fmax(worst, fabs(db[1][o] - db[0][o]));
  CHECK(worst <= 1e-5 * sqrt((double)(no / p.oc)), "conv bias gradient: %g from the reference",
        worst);
  CHECK(same_bits(db[1], db[2], sizeof db[1]), "conv bias gradient: 1 and 2 threads differ");
  ln_free(in), ln_free(w), ln_free(dout), ln_free(dw), ln_free(ws);
}

/* ---- GEMM ---- */

static double worst_gemm;

static void gemm_case(int ta, int tb, size_t m, size_t n, size_t k) {
  size_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
  float *a = randv((ta ? k : m) * lda, 0, 0), *b = randv((tb ? n : k) * ldb, 0, 0);
  float *c0 = randv(m * ldc, 0, 0), *c1 = ln_malloc(m * ldc * sizeof *c1);
  float *c2 = ln_malloc(m * ldc * sizeof *c2);
  memcpy(c1, c0, m * ldc * sizeof *c1);
  memcpy(c2, c0, m * ldc * sizeof *c2);
  ln_set_num_threads(2);
  ln_gemm(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 0.25f, c1, ldc);
  ln_gemm(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 0.25f, c2, ldc);
  double worst = 0;
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < ldc; j++) {
      double want = c0[i * ldc + j];
      if (j < n) {
        double s = 0;
        for (size_t q = 0; q < k; q++)
          s += (double)a[ta ? q * lda + i : i * lda + q] * b[tb ? j * ldb + q : q * ldb + j];
        want = 0.5 * s + 0.25 * want;
      }
      double e = fabs(c1[i * ldc + j] - want) / sqrt((double)k);  /* terms ~1: sum ~sqrt k */
      if (e > worst) worst = e;
    }
  if (worst > worst_gemm) worst_gemm = worst;
  CHECK(worst <= 1e-5, "gemm ta %d tb %d %zux%zux%zu: %g from the double loop", ta, tb, m, n,
        k, worst);
  CHECK(same_bits(c1, c2, m * ldc * sizeof *c1), "gemm: two runs differ");
  ln_free(a), ln_free(b), ln_free(c0), ln_free(c1), ln_free(c2);
}

static void gemms(void) {
  for (int t = 0; t < 4; t++) {
    gemm_case(t & 1, t >> 1, 133, 40, 250);   /* split by rows */
    gemm_case(t & 1, t >> 1, 37, 150, 260);   /* by columns */
  }
}

int main(void) {
  ln_rng_seed(&rng, 13);
  maxpool_shapes();
  bn_shapes();
  activations();
  gemms();
  conv_bias();
  ln_set_num_threads(1);
  printf("BatchNorm (N,C,S) sums vs double reference: max rel diff %.2e; GEMM on 2 threads: "
         "%.2e; max pooling, affine pass, activations: bit for bit\n", worst_sums, worst_gemm);
  return check_summary();
}
