/* seed_gemm.c: the seed step's GEMMs alone, one by one, in the orientation
 * and with the arguments linear.c gives ln_gemm (which, on one thread, is
 * one cblas_sgemm call: called directly here) (scripts/bench/steps.lua's
 * seed net: 500 rows, Linear(1,30), six Linear(30,30), Linear(30,1)). The
 * floor under the seed step: whatever else the step does, it makes these
 * calls. Prints each call's best time over several rounds and their sum per
 * step (the last line, seed_gemm_floor_ms, for seed_gemm.sh), and
 * alternatives: the dW products in one call instead of chunks of 64 rows,
 * the dX products with beta = 0 (OpenBLAS's own zeroing pass), the forward
 * NT on W as stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#define N 500

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct call {
  const char *what;
  int ta, tb;
  size_t m, n, k, lda, ldb, ldc;
  float beta;
  int zero;   /* memset C first (beta 1) */
  int count;  /* calls of it per step */
} call;

static float *buf(size_t n) {
  float *p = malloc(n * sizeof *p);
  for (size_t i = 0; i < n; i++) p[i] = (float)rand() / RAND_MAX - 0.5f;
  return p;
}

/* Best time in seconds of one call c, over rounds of reps calls. */
static double time_call(const call *c) {
  float *a = buf(N * 64), *b = buf(N * 64), *out = buf(N * 64);
  int reps = 2000;
  double best = 1e9;
  for (int r = 0; r < 7; r++) {
    double t0 = now();
    for (int i = 0; i < reps; i++) {
      if (c->zero) memset(out, 0, c->m * c->ldc * sizeof *out);
      cblas_sgemm(CblasRowMajor, c->ta ? CblasTrans : CblasNoTrans,
                  c->tb ? CblasTrans : CblasNoTrans, (int)c->m, (int)c->n, (int)c->k, 1.0f, a,
                  (int)c->lda, b, (int)c->ldb, c->beta, out, (int)c->ldc);
    }
    double t = (now() - t0) / reps;
    if (t < best) best = t;
  }
  free(a), free(b), free(out);
  return best;
}

static double table(const char *title, const call *calls, size_t ncall) {
  double total = 0;
  printf("%s\n", title);
  for (size_t i = 0; i < ncall; i++) {
    double t = time_call(&calls[i]);
    total += t * calls[i].count;
    printf("  %-34s %c%c m=%-3zu n=%-3zu k=%-3zu beta=%g%s x%-2d %7.2f us\n", calls[i].what,
           calls[i].ta ? 'T' : 'N', calls[i].tb ? 'T' : 'N', calls[i].m, calls[i].n,
           calls[i].k, calls[i].beta, calls[i].zero ? "+memset" : "", calls[i].count, t * 1e6);
  }
  printf("  per step: %.1f us\n", total * 1e6);
  return total;
}

int main(void) {
  openblas_set_num_threads(1);
  /* As linear.c: forward NN onto the bias (beta 1) through W^T; dW += dout^T
   * in, 64 rows a call (7 calls of 64 and one of 52); dX = dout W onto a
   * memset, beta 1 (the first layer's dX is skipped: no input gradient). */
  const call lunet[] = {
    {"fwd Linear(1,30)", 0, 0, N, 30, 1, 1, 30, 30, 1, 0, 1},
    {"fwd Linear(30,30)", 0, 0, N, 30, 30, 30, 30, 30, 1, 0, 6},
    {"fwd Linear(30,1)", 0, 0, N, 1, 30, 30, 1, 1, 1, 0, 1},
    {"dW Linear(30,1) 64 rows", 1, 0, 1, 30, 64, 1, 30, 30, 1, 0, 7},
    {"dW Linear(30,1) 52 rows", 1, 0, 1, 30, 52, 1, 30, 30, 1, 0, 1},
    {"dW Linear(30,30) 64 rows", 1, 0, 30, 30, 64, 30, 30, 30, 1, 0, 42},
    {"dW Linear(30,30) 52 rows", 1, 0, 30, 30, 52, 30, 30, 30, 1, 0, 6},
    {"dW Linear(1,30) 64 rows", 1, 0, 30, 1, 64, 30, 1, 1, 1, 0, 7},
    {"dW Linear(1,30) 52 rows", 1, 0, 30, 1, 52, 30, 1, 1, 1, 0, 1},
    {"dX Linear(30,1) memset + beta 1", 0, 0, N, 30, 1, 1, 30, 30, 1, 1, 1},
    {"dX Linear(30,30) memset + beta 1", 0, 0, N, 30, 30, 30, 30, 30, 1, 1, 6},
  };
  const call other[] = {
    {"dW Linear(30,30) in one call", 1, 0, 30, 30, N, 30, 30, 30, 1, 0, 1},
    {"dX Linear(30,30) beta 0", 0, 0, N, 30, 30, 30, 30, 30, 0, 0, 1},
    {"dX Linear(30,1) beta 0", 0, 0, N, 30, 1, 1, 30, 30, 0, 0, 1},
    {"fwd Linear(30,30) NT (W as stored)", 0, 1, N, 30, 30, 30, 30, 30, 1, 0, 1},
  };
  printf("seed step GEMMs, OpenBLAS, 1 thread, best of 7 x 2000 calls\n");
  double t = table("as linear.c calls them:", lunet, sizeof lunet / sizeof *lunet);
  table("alternatives (one call each):", other, sizeof other / sizeof *other);
  printf("seed_gemm_floor_ms %.4f\n", t * 1e3);
  return 0;
}
