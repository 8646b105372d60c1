/* conv_bench.c: times lunet's convolution (forward, backward) on the shapes
 * of docs/conv_measurements.md; with -DWITH_DNNL also the oneDNN candidate
 * (conv_dnnl.c) in its two layouts. scripts/bench/conv_bench.sh builds it and
 * runs it beside scripts/bench/torch_conv.py.
 *
 * and the max pooling of the reference net (forward with indices, backward).
 *
 * usage: conv_bench THREADS [SHAPE...]   (SHAPE: a name from the tables below)
 * Prints one line per shape and implementation:
 *   <shape> <threads> <impl> <forward ms> <backward ms> <backward-weight ms>
 * (backward: every gradient the layer needs in a net, the input's unless it
 * is the first layer; backward-weight: the weight and bias gradients alone,
 * so the input gradient costs the difference; "-" for pooling).
 * Each time is the fastest of the repetitions filling at least MIN_SECONDS
 * (the machine is shared: the minimum is the least disturbed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conv.h"
#include "pool.h"
#include "tensor.h"
#ifdef WITH_DNNL
#include "conv_dnnl.h"
void omp_set_num_threads(int n);
#endif

#define MIN_SECONDS 0.5
#define MAX_REPS 200

typedef struct shape {
  const char *name;
  ln_conv2d_params p;
  int dinp;  /* the input gradient is needed (not for a net's first layer) */
} shape;

#define SQ(N, IC, HW, OC, K, PAD, G) {.n = N, .ic = IC, .h = HW, .w = HW, .oc = OC, .kh = K, \
  .kw = K, .sh = 1, .sw = 1, .pt = PAD, .pb = PAD, .pl = PAD, .pr = PAD, .dh = 1, .dw = 1,   \
  .groups = G, .bias = 1}

static shape shapes[] = {
  {"ref_conv1", SQ(128, 1, 28, 32, 3, 1, 1), 0},
  {"ref_conv2", SQ(128, 32, 14, 64, 3, 1, 1), 1},
  {"3x3_64x56x56", SQ(32, 64, 56, 64, 3, 1, 1), 1},
  {"1x1_256x14x14", SQ(32, 256, 14, 256, 1, 0, 1), 1},
  {"dw3x3_128x28x28", SQ(32, 128, 28, 128, 3, 1, 128), 1},
};

/* Max pooling 2x2 of the reference net's two conv outputs. */
typedef struct pool_shape {
  const char *name;
  ln_pool2d_params p;
} pool_shape;

#define MP2(N, C, HW) {.n = N, .c = C, .h = HW, .w = HW, .kh = 2, .kw = 2, .sh = 2, .sw = 2, \
  .dh = 1, .dw = 1}

static pool_shape pools[] = {
  {"maxpool_ref1", MP2(128, 32, 28)},
  {"maxpool_ref2", MP2(128, 64, 14)},
};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct bufs {
  float *in, *w, *b, *out, *dout, *din, *dw, *db, *ws;
} bufs;

/* backward: 0 the forward, 1 the backward, 2 the weight and bias gradients alone */
typedef void (*pass_fn)(void *ctx, const bufs *B, const shape *s, int backward);

static void lunet_pass(void *ctx, const bufs *B, const shape *s, int backward) {
  (void)ctx;
  if (!backward) ln_conv2d_forward(B->out, B->in, B->w, B->b, B->ws, &s->p);
  else ln_conv2d_backward(s->dinp && backward == 1 ? B->din : NULL, B->dw, B->db, B->dout,
                          B->in, B->w, B->ws, &s->p);
}

#ifdef WITH_DNNL
static void dnnl_pass(void *ctx, const bufs *B, const shape *s, int backward) {
  if (!backward) dnnl_conv_forward(ctx, B->out, B->in, B->w, B->b);
  else dnnl_conv_backward(ctx, s->dinp && backward == 1 ? B->din : NULL, B->dw, B->db, B->dout,
                          B->in, B->w);
}
#endif

/* Fastest milliseconds (the least disturbed by other processes) of one pass. */
static double time_pass(pass_fn f, void *ctx, const bufs *B, const shape *s, int backward) {
  double t[MAX_REPS], start;
  int n = 0;
  f(ctx, B, s, backward);  /* warm-up */
  f(ctx, B, s, backward);
  start = now();
  while (n < MAX_REPS && (n < 3 || now() - start < MIN_SECONDS)) {
    double t0 = now();
    f(ctx, B, s, backward);
    t[n++] = (now() - t0) * 1e3;
  }
  qsort(t, n, sizeof *t, cmp);
  return t[0];
}

typedef struct pool_ctx {
  const ln_pool2d_params *p;
  int32_t *idx;
} pool_ctx;

static void pool_pass(void *ctx, const bufs *B, const shape *s, int backward) {
  (void)s;
  pool_ctx *c = ctx;
  if (!backward) ln_maxpool2d_forward(B->out, c->idx, B->in, c->p);
  else ln_maxpool2d_backward(B->din, B->dout, c->idx, c->p);
}

static float *randv(size_t n, ln_rng *r) {
  float *v = ln_malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) v[i] = (float)(ln_rng_uniform(r) * 2 - 1);
  return v;
}

static void run(shape *s, int threads) {
  ln_conv2d_params *p = &s->p;
  if (ln_conv2d_setup(s->name, p)) {
    fprintf(stderr, "%s\n", ln_error());
    exit(1);
  }
  ln_rng r;
  ln_rng_seed(&r, 1);
  size_t ni = p->n * p->ic * p->h * p->w, no = p->n * p->oc * p->oh * p->ow;
  size_t nw = p->oc * (p->ic / p->groups) * p->kh * p->kw;
  bufs B = {randv(ni, &r), randv(nw, &r), randv(p->oc, &r), randv(no, &r), randv(no, &r),
            randv(ni, &r), randv(nw, &r), randv(p->oc, &r),
            ln_malloc((ln_conv2d_workspace(p) + 1) * sizeof(float))};
  printf("%s %d lunet %.3f %.3f %.3f\n", s->name, threads,
         time_pass(lunet_pass, NULL, &B, s, 0), time_pass(lunet_pass, NULL, &B, s, 1),
         time_pass(lunet_pass, NULL, &B, s, 2));
  fflush(stdout);
#ifdef WITH_DNNL
  for (int any = 1; any >= 0; any--) {
    const char *impl;
    dnnl_conv *c = dnnl_conv_new(p, any, &impl);
    /* Same numbers as lunet's path, so the timing is of a correct result. */
    float *o1 = randv(no, &r);
    ln_conv2d_forward(o1, B.in, B.w, B.b, B.ws, p);
    dnnl_conv_forward(c, B.out, B.in, B.w, B.b);
    double d = 0;
    for (size_t i = 0; i < no; i++) d = fmaxf(d, fabsf(o1[i] - B.out[i]));
    ln_free(o1);
    printf("%s %d dnnl_%s %.3f %.3f %.3f  # max diff %.2g; %s\n", s->name, threads,
           any ? "any" : "nchw", time_pass(dnnl_pass, c, &B, s, 0),
           time_pass(dnnl_pass, c, &B, s, 1), time_pass(dnnl_pass, c, &B, s, 2), d, impl);
    fflush(stdout);
  }
#endif
  float *all[] = {B.in, B.w, B.b, B.out, B.dout, B.din, B.dw, B.db, B.ws};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) ln_free(all[i]);
}

static void run_pool(pool_shape *s, int threads) {
  if (ln_maxpool2d_setup(s->name, &s->p)) {
    fprintf(stderr, "%s\n", ln_error());
    exit(1);
  }
  ln_rng r;
  ln_rng_seed(&r, 1);
  size_t ni = s->p.n * s->p.c * s->p.h * s->p.w, no = s->p.n * s->p.c * s->p.oh * s->p.ow;
  bufs B = {.in = randv(ni, &r), .out = randv(no, &r), .dout = randv(no, &r),
            .din = randv(ni, &r)};
  pool_ctx c = {&s->p, ln_malloc(no * sizeof(int32_t))};
  printf("%s %d lunet %.3f %.3f -\n", s->name, threads,
         time_pass(pool_pass, &c, &B, NULL, 0), time_pass(pool_pass, &c, &B, NULL, 1));
  ln_free(c.idx);
  float *all[] = {B.in, B.out, B.dout, B.din};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) ln_free(all[i]);
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (threads < 1) {
    fprintf(stderr, "usage: %s THREADS [SHAPE...]\n", argv[0]);
    return 2;
  }
  ln_set_num_threads(threads);
#ifdef WITH_DNNL
  omp_set_num_threads(threads);
#endif
  for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
    int want = argc <= 2;
    for (int a = 2; a < argc; a++) want |= !strcmp(argv[a], shapes[i].name);
    if (want) run(&shapes[i], threads);
  }
  for (size_t i = 0; i < sizeof pools / sizeof *pools; i++) {
    int want = argc <= 2;
    for (int a = 2; a < argc; a++) want |= !strcmp(argv[a], pools[i].name);
    if (want) run_pool(&pools[i], threads);
  }
  return 0;
}
