/* batchnorm.c: batch normalization in two passes per direction.
 *
 * The input is seen as (N,C,S) with S the product of the trailing dims (1 for
 * (N,C)). Forward: one pass accumulates per-channel sums (float partials
 * added into double for S == 1, double otherwise), one pass
 * writes y = scale (x - mean) + shift. Backward: one pass accumulates sum(dy)
 * and sum(dy (x - mean)), one pass writes dx = a dy + b (x - mean) + d, all
 * per channel.
 *
 * For S == 1 and a small C (30 in the seed) a row is too short for the
 * vector units: a loop over it spends its time in remainders and in each
 * row's sums waiting on the previous row's. So rows go in blocks of rep rows
 * (rep C a multiple of 16 floats), each block one flat loop over per-element
 * arrays: channel values repeated rep times and rep partial sums per channel,
 * folded at the end. Where rep C is a multiple of 16 the blocks are walked
 * one column of 16 at a time, that column's partial sums or coefficients
 * held in registers. For S > 1 the passes are batchnorm_4d.c's (vectorized
 * over S, threaded). */
#include "batchnorm.h"
#include "batchnorm_4d.h"
#include "batchnorm_sync.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define VEC 16  /* floats in a 64-byte vector */

/* Keeps GCC 12 from unrolling a VEC-long loop before the loop vectorizer
 * sees it: the unrolled code gets vectorized in pieces of 8, 4, 2 and 1
 * lanes, and the seed's backward affine pass ran ~25% slower. */
#ifdef __GNUC__
#define NO_UNROLL _Pragma("GCC unroll 1")
#else
#define NO_UNROLL
#endif

static size_t rep_for(size_t c) {
  size_t g = c, v = VEC;
  while (v) {  /* g = gcd(c, VEC) */
    size_t t = g % v;
    g = v;
    v = t;
  }
  return c > 256 ? 1 : VEC / g;
}

/* Copies the first c values into the rep - 1 blocks after them. */
static void spread_d(double *p, size_t c, size_t rep) {
  for (size_t r = 1; r < rep; r++) memcpy(p + r * c, p, c * sizeof *p);
}

static void spread_f(float *p, size_t c, size_t rep) {
  for (size_t r = 1; r < rep; r++) memcpy(p + r * c, p, c * sizeof *p);
}

/* Adds the rep partial sums of each channel into the first c. */
static void fold(double *s, size_t c, size_t rep) {
  for (size_t r = 1; r < rep; r++)
    for (size_t j = 0; j < c; j++) s[j] += s[r * c + j];
}

/* Rows summed in float before the partial sums go into double: float
 * vectors are twice as wide, and 8 values per partial lose nothing that
 * matters next to the double totals. */
#define FLUSH 8

/* The sums of nb full blocks of w floats (w a multiple of VEC), one column
 * of VEC values at a time so the float partial sums stay in registers
 * instead of going through memory every block. */
static void sums_cols(double *restrict s1,      /* (w) */
                      double *restrict s2,      /* (w) */
                      const float *restrict kf, /* (w) */
                      const float *restrict u,  /* (nb,w) */
                      const float *restrict v,  /* (nb,w) or NULL */
                      size_t nb, size_t w) {
  for (size_t e0 = 0; e0 < w; e0 += VEC) {
    for (size_t b0 = 0; b0 < nb; b0 += FLUSH) {
      size_t b1 = nb - b0 < FLUSH ? nb : b0 + FLUSH;
      float a1[VEC] = {0}, a2[VEC] = {0};
      for (size_t b = b0; b < b1; b++) {
        const float *ub = u + b * w + e0;
        if (!v) {
          for (int q = 0; q < VEC; q++) {
            float d = ub[q] - kf[e0 + q];
            a1[q] += d;
            a2[q] += d * d;
          }
        } else {
          const float *vb = v + b * w + e0;
          for (int q = 0; q < VEC; q++) {
            a1[q] += vb[q];
            a2[q] += vb[q] * (ub[q] - kf[e0 + q]);
          }
        }
      }
      for (int q = 0; q < VEC; q++) {
        s1[e0 + q] += a1[q];
        s2[e0 + q] += a2[q];
      }
    }
  }
}

/* sums() for S == 1 on blocks of rep rows: f is float scratch (3 rep C). The
 * float sums use k rounded to float; sum(v (u - k)) is corrected back to k
 * exactly below. Without v, k must hold float values (the forward's shift is
 * an input value). */
static void sums_flat(double *restrict s1,      /* (rep*C) */
                      double *restrict s2,      /* (rep*C) */
                      const double *restrict k, /* (rep*C) */
                      float *restrict f,        /* (3*rep*C) */
                      const float *restrict u,  /* (N,C) */
                      const float *restrict v,  /* (N,C) or NULL */
                      size_t n, size_t c, size_t rep) {
  size_t w = rep * c, chunk = FLUSH * rep;
  float *kf = f, *f1 = f + w, *f2 = f1 + w;
  for (size_t e = 0; e < w; e++) {
    s1[e] = s2[e] = 0;
    kf[e] = (float)k[e];
  }
  size_t full = w % VEC ? 0 : n / rep * rep;  /* rows done by sums_cols */
  sums_cols(s1, s2, kf, u, v, full / rep, w);
  for (size_t i0 = full; i0 < n; i0 += chunk) {
    size_t end = n - i0 < chunk ? n : i0 + chunk;
    for (size_t e = 0; e < w; e++) f1[e] = f2[e] = 0;
    for (size_t i = i0; i < end; i += rep) {
      size_t len = (end - i < rep ? end - i : rep) * c;
      const float *ub = u + i * c, *vb = v ? v + i * c : NULL;
      if (!vb) {
        for (size_t e = 0; e < len; e++) {
          float d = ub[e] - kf[e];
          f1[e] += d;
          f2[e] += d * d;
        }
      } else {
        for (size_t e = 0; e < len; e++) {
          f1[e] += vb[e];
          f2[e] += vb[e] * (ub[e] - kf[e]);
        }
      }
    }
    for (size_t e = 0; e < w; e++) {
      s1[e] += f1[e];
      s2[e] += f2[e];
    }
  }
  if (v)  /* sum(v (u - k)) = sum(v (u - kf)) + (kf - k) sum(v) */
    for (size_t e = 0; e < w; e++) s2[e] += ((double)kf[e] - k[e]) * s1[e];
  fold(s1, c, rep);
  fold(s2, c, rep);
}

/* Per channel: s1 = sum(u - k), s2 = sum((u - k)^2) when v is NULL, else
 * s1 = sum(v), s2 = sum(v (u - k)). k is repeated rep times for S == 1. The
 * forward's k is a shift close to the mean (the channel's first value) that
 * keeps the one-pass variance from cancelling when the mean is large against
 * the spread; the backward's is the mean. */
static void sums(double *restrict s1,      /* (rep*C) for S == 1, else (C) */
                 double *restrict s2,      /* like s1 */
                 const double *restrict k, /* like s1 */
                 float *restrict f,        /* (3*rep*C) scratch for S == 1 */
                 const float *restrict u,  /* (N,C,S) */
                 const float *restrict v,  /* (N,C,S) or NULL */
                 size_t n, size_t c, size_t s, size_t rep) {
  if (s == 1) {
    sums_flat(s1, s2, k, f, u, v, n, c, rep);
    return;
  }
  ln_bn4d_sums(s1, s2, k, u, v, n, c, s);
}

/* affine_pass for S == 1 on nb full blocks of w floats (w a multiple of
 * VEC), one column of VEC values at a time: the coefficients of a column
 * stay in registers instead of being loaded again beside every value. */
static void affine_cols(float *restrict out,      /* (nb,w) */
                        const float *restrict u,  /* (nb,w) */
                        const float *restrict x,  /* (nb,w) */
                        const float *restrict a,  /* (w) or NULL */
                        const float *restrict b,  /* (w) */
                        const float *restrict mu, /* (w) */
                        const float *restrict d,  /* (w) */
                        size_t nb, size_t w) {
  for (size_t e0 = 0; e0 < w; e0 += VEC) {
    float av[VEC], bv[VEC], mv[VEC], dv[VEC];
    for (int q = 0; q < VEC; q++) {
      av[q] = a ? a[e0 + q] : 0;
      bv[q] = b[e0 + q];
      mv[q] = mu[e0 + q];
      dv[q] = d[e0 + q];
    }
    for (size_t blk = 0; blk < nb; blk++) {
      size_t at = blk * w + e0;
      if (!a) {
        NO_UNROLL
        for (int q = 0; q < VEC; q++) out[at + q] = bv[q] * (x[at + q] - mv[q]) + dv[q];
      } else {
        NO_UNROLL
        for (int q = 0; q < VEC; q++)
          out[at + q] = av[q] * u[at + q] + bv[q] * (x[at + q] - mv[q]) + dv[q];
      }
    }
  }
}

/* out = a u + b (x - mu) + d per channel (u may be x; a NULL means no u
 * term); the coefficients are repeated rep times for S == 1. */
static void affine_pass(float *restrict out,      /* (N,C,S) */
                        const float *u,             /* (N,C,S) */
                        const float *x,             /* (N,C,S) */
                        const float *restrict a,    /* (rep*C) for S == 1, else (C); or NULL */
                        const float *restrict b,    /* like a */
                        const float *restrict mu,   /* like a */
                        const float *restrict d,    /* like a */
                        size_t n, size_t c, size_t s, size_t rep) {
  if (s == 1) {
    size_t w = rep * c, full = w % VEC ? 0 : n / rep * rep;  /* rows done by affine_cols */
    if (full) affine_cols(out, u, x, a, b, mu, d, full / rep, w);  /* else w % VEC != 0 */
    for (size_t i = full; i < n; i += rep) {
      size_t len = (n - i < rep ? n - i : rep) * c;
      const float *ub = u + i * c, *xb = x + i * c;
      float *o = out + i * c;
      if (!a)  /* the forward: no u term */
        for (size_t e = 0; e < len; e++) o[e] = b[e] * (xb[e] - mu[e]) + d[e];
      else
        for (size_t e = 0; e < len; e++) o[e] = a[e] * ub[e] + b[e] * (xb[e] - mu[e]) + d[e];
    }
    return;
  }
  ln_bn4d_affine(out, u, x, a, b, mu, d, n, c, s);
}

/* Checks the input's shape and splits it into n, s (c is nfeat). */
static int split_shape(const ln_batchnorm *bn, const ln_tensor *in, size_t *n, size_t *s) {
  char str[64];
  if (in->ndim < 2)
    return ln_fail("BatchNorm: input must be (N,C), (N,C,L) or (N,C,H,W), got %s",
                   ln_shape_str(in, str, sizeof str));
  if (in->size[1] != bn->nfeat)
    return ln_fail("BatchNorm: input has %zu %s, expected %zu", in->size[1],
                   in->ndim == 2 ? "features" : "channels", bn->nfeat);
  *n = in->size[0];
  *s = 1;
  for (int i = 2; i < in->ndim; i++) *s *= in->size[i];
  return LN_OK;
}

/* The repetition used for this input: blocks only for (N,C). */
static size_t reps(const ln_batchnorm *bn, size_t s) { return s == 1 ? bn->rep : 1; }

/* The weight of this batch in the running statistics' update (0 when
 * they are not updated): momentum, or 1/num_batches_tracked, counting this
 * batch, for the cumulative average. */
static double running_factor(ln_batchnorm *bn) {
  ln_module *m = &bn->base;
  if (!bn->track || !m->training) return 0;
  if (!isnan(bn->momentum)) return bn->momentum;
  float *nbt = ln_data(&m->buf[2]);
  *nbt += 1;
  return 1.0 / *nbt;
}

static int bn_forward(ln_module *m, const ln_tensor *in) {
  ln_batchnorm *bn = (ln_batchnorm *)m;
  size_t n = 0, s = 1, c = bn->nfeat;
  if (split_shape(bn, in, &n, &s)) return LN_ERR;
  size_t cnt = n * s, rep = reps(bn, s), w = bn->rep * c;
  int batch = m->training || !bn->track;  /* normalize with the batch statistics */
  if (batch && cnt < 2) {
    char str[64];
    return ln_fail("BatchNorm: training needs more than one value per channel, got input %s",
                   ln_shape_str(in, str, sizeof str));
  }
  if (in->st == m->output.st) return ln_fail("BatchNorm: input shares storage with the output");
  if (ln_tensor_resize_as(&m->output, in)) return LN_ERR;
  const float *x = ln_data(in);
  float *rm = bn->track ? ln_data(&m->buf[0]) : NULL;
  float *rv = bn->track ? ln_data(&m->buf[1]) : NULL;
  double *mean = bn->mean, *invstd = bn->invstd;
  bn->batch_stats = batch;
  if (batch) {
    double *k = bn->work, *s1 = k + w, *s2 = s1 + w;
    for (size_t j = 0; j < c; j++) k[j] = x[j * s];  /* the shift: first value */
    spread_d(k, c, rep);
    sums(s1, s2, k, bn->coef, x, NULL, n, c, s, rep);
    if (bn->sync && ln_batchnorm_sync_stats(bn, k, s1, s2, &cnt)) return LN_ERR;
    double mom = running_factor(bn), unbias = (double)cnt / (double)(cnt - 1);
    for (size_t j = 0; j < c; j++) {
      double d = s1[j] / (double)cnt, var = s2[j] / (double)cnt - d * d;
      if (var < 0) var = 0;
      mean[j] = k[j] + d;
      invstd[j] = 1.0 / sqrt(var + bn->eps);
      if (!rm) continue;
      rm[j] = (float)((1 - mom) * rm[j] + mom * mean[j]);
      rv[j] = (float)((1 - mom) * rv[j] + mom * var * unbias);
    }
  } else {
    for (size_t j = 0; j < c; j++) {
      mean[j] = rm[j];
      invstd[j] = 1.0 / sqrt((double)rv[j] + bn->eps);
    }
  }
  /* y = scale (x - mean) + shift */
  float *scale = bn->coef + w, *mu = scale + w, *shift = mu + w;
  const float *wt = bn->affine ? ln_data(&m->param[0]) : NULL;
  const float *b = bn->affine ? ln_data(&m->param[1]) : NULL;
  for (size_t j = 0; j < c; j++) {
    scale[j] = (float)(invstd[j] * (wt ? wt[j] : 1.0f));
    mu[j] = (float)mean[j];
    shift[j] = b ? b[j] : 0.0f;
  }
  for (int i = 1; i < 4; i++) spread_f(bn->coef + i * w, c, rep);
  affine_pass(ln_data(&m->output), x, x, NULL, scale, mu, shift, n, c, s, rep);
  return LN_OK;
}

static int bn_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  ln_batchnorm *bn = (ln_batchnorm *)m;
  size_t n = 0, s = 1, c = bn->nfeat;
  if (split_shape(bn, in, &n, &s)) return LN_ERR;
  if (!ln_same_shape(in, &m->output)) {
    char a[64], b[64];
    return ln_fail("BatchNorm: input has shape %s, but the last forward gave %s",
                   ln_shape_str(in, a, sizeof a), ln_shape_str(&m->output, b, sizeof b));
  }
  if (in->st == m->grad_input.st || dout->st == m->grad_input.st)
    return ln_fail("BatchNorm: input or grad_output shares storage with grad_input");
  if (ln_tensor_resize_as(&m->grad_input, in)) return LN_ERR;
  size_t rep = reps(bn, s), w = bn->rep * c;
  const float *x = ln_data(in), *dy = ln_data(dout);
  double *k = bn->work, *sdy = k + w, *sdyx = sdy + w, cnt = (double)(n * s);
  memcpy(k, bn->mean, c * sizeof *k);
  spread_d(k, c, rep);
  sums(sdy, sdyx, k, bn->coef, x, dy, n, c, s, rep);
  const float *wt = bn->affine ? ln_data(&m->param[0]) : NULL;
  if (bn->affine) {
    float *dw = ln_data(&m->grad[0]), *db = ln_data(&m->grad[1]);
    for (size_t j = 0; j < c; j++) {
      dw[j] += (float)(sdyx[j] * bn->invstd[j]);
      db[j] += (float)sdy[j];
    }
  }
  if (bn->sync && bn->batch_stats && ln_batchnorm_sync_grads(bn, sdy, sdyx, &cnt)) return LN_ERR;
  /* With g = w invstd, training: dx = g dy - g invstd^2 sdyx/cnt (x - mean)
   * - g sdy/cnt; evaluation (constant statistics): dx = g dy. */
  float *a = bn->coef, *b = a + w, *mu = b + w, *d = mu + w;
  for (size_t j = 0; j < c; j++) {
    double g = bn->invstd[j] * (wt ? wt[j] : 1.0f);
    a[j] = (float)g;
    mu[j] = (float)bn->mean[j];
    if (bn->batch_stats) {
      b[j] = (float)(-g * bn->invstd[j] * bn->invstd[j] * sdyx[j] / cnt);
      d[j] = (float)(-g * sdy[j] / cnt);
    } else {
      b[j] = d[j] = 0;
    }
  }
  for (int i = 0; i < 4; i++) spread_f(bn->coef + i * w, c, rep);
  affine_pass(ln_data(&m->grad_input), dy, x, a, b, mu, d, n, c, s, rep);
  return LN_OK;
}

static void bn_destroy(ln_module *m) {
  ln_batchnorm *bn = (ln_batchnorm *)m;
  ln_free(bn->mean);
  ln_free(bn->work);
  ln_free(bn->coef);
  ln_free(bn->sync_buf);
}

static ln_module *bn_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                          ln_rng *rng) {
  (void)child, (void)nchild, (void)rng;
  ln_module *m = ln_batchnorm_new_track(cfg[0].z, cfg[1].d, cfg[2].d, cfg[3].b, cfg[4].b);
  if (m && cfg[5].b && ln_batchnorm_set_sync(m, 1)) ln_module_release(m), m = NULL;
  return m;
}

static int bn_describe(const ln_module *m, char *buf, size_t n) {
  const ln_batchnorm *bn = (const ln_batchnorm *)m;
  char mom[32];
  snprintf(mom, sizeof mom, isnan(bn->momentum) ? "false" : "%g", bn->momentum);
  return snprintf(buf, n, "BatchNorm(%zu, eps=%g, momentum=%s%s%s%s)", bn->nfeat, bn->eps, mom,
                  bn->affine ? "" : ", affine=false",
                  bn->track ? "" : ", track_running_stats=false", bn->sync ? ", sync=true" : "");
}

static const ln_field bn_fields[] = {
  {"num_features", LN_FIELD_SIZE, offsetof(ln_batchnorm, nfeat), 0},
  {"eps", LN_FIELD_DOUBLE, offsetof(ln_batchnorm, eps), 1e-5},
  {"momentum", LN_FIELD_OPTDOUBLE, offsetof(ln_batchnorm, momentum), 0.1},
  {"affine", LN_FIELD_BOOL, offsetof(ln_batchnorm, affine), 1},
  {"track_running_stats", LN_FIELD_BOOL, offsetof(ln_batchnorm, track), 1},
  {"sync", LN_FIELD_BOOL, offsetof(ln_batchnorm, sync), 0},
  {NULL, LN_FIELD_SIZE, 0, 0}
};

/* The file versions that added the fields: track_running_stats 3, sync 4. */
static const unsigned char bn_since[] = {0, 0, 0, 0, 3, 4};

const ln_module_ops ln_batchnorm_ops = {
  .tag = "BatchNorm", .forward = bn_forward, .backward = bn_backward,
  .destroy = bn_destroy, .fields = bn_fields, .nargs = 1, .since = bn_since, .make = bn_make,
  .describe = bn_describe,
};

ln_module *ln_batchnorm_new(size_t num_features, double eps, double momentum, int affine) {
  return ln_batchnorm_new_track(num_features, eps, momentum, affine, 1);
}

ln_module *ln_batchnorm_new_track(size_t num_features, double eps, double momentum, int affine,
                                  int track_running_stats) {
  if (num_features == 0) {
    ln_fail("BatchNorm: num_features must be positive");
    return NULL;
  }
  if (!(eps >= 0) || isinf(eps)) {
    ln_fail("BatchNorm: eps must be a finite number >= 0, got %g", eps);
    return NULL;
  }
  if (!(momentum >= 0 && momentum <= 1) && !isnan(momentum)) {
    ln_fail("BatchNorm: momentum must be in [0, 1], got %g (false: a cumulative average)",
            momentum);
    return NULL;
  }
  if (ln_check_shape("BatchNorm", 1, &num_features)) return NULL;
  ln_batchnorm *bn = ln_calloc(1, sizeof *bn);
  if (!bn) {
    ln_fail("BatchNorm: out of memory");
    return NULL;
  }
  ln_module *m = &bn->base;
  ln_module_init(m, &ln_batchnorm_ops);
  bn->nfeat = num_features;
  bn->eps = eps;
  bn->momentum = momentum;
  bn->affine = affine != 0;
  bn->track = track_running_stats != 0;
  size_t c = num_features, w = rep_for(c) * c;
  bn->rep = rep_for(c);
  bn->mean = ln_malloc(2 * c * sizeof *bn->mean);  /* mean, then invstd */
  bn->work = ln_malloc(3 * w * sizeof *bn->work);
  bn->coef = ln_malloc(4 * w * sizeof *bn->coef);
  if (!bn->mean || !bn->work || !bn->coef) {
    ln_module_release(m);
    ln_fail("BatchNorm: out of memory");
    return NULL;
  }
  bn->invstd = bn->mean + c;
  size_t one = 1;
  if (bn->track && (ln_module_add_buffer(m, "running_mean", 1, &c) < 0 ||
                    ln_module_add_buffer(m, "running_var", 1, &c) < 0 ||
                    (isnan(momentum) &&
                     ln_module_add_buffer(m, "num_batches_tracked", 1, &one) < 0)))
    goto fail;
  if (bn->track) ln_tensor_fill(&m->buf[1], 1);
  if (bn->affine) {
    if (ln_module_add_param(m, "weight", 1, &c) < 0 || ln_module_add_param(m, "bias", 1, &c) < 0)
      goto fail;
    ln_tensor_fill(&m->param[0], 1);
  }
  return m;
fail:
  ln_module_release(m);
  return NULL;
}
