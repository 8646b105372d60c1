/* batchnorm.c: batch normalization in two passes per direction.
 *
 * The input is seen as (N,C,S) with S the product of the trailing dims (1 for
 * (N,C)). Forward: one pass accumulates per-channel sums (float partials
 * added into double), one pass writes y = scale (x - mean) + shift.
 * Backward: one pass accumulates sum(dy) and sum(dy (x - mean)), one pass
 * writes dx = a dy + b (x - mean) + d, all per channel. The passes are
 * batchnorm_flat.c's for S == 1 (in blocks of rows, fused with a following
 * ReLU when Sequential asks) and batchnorm_4d.c's for S > 1 (vectorized over
 * S); both threaded for large inputs, with the same bits on any thread
 * count. */
#include "batchnorm.h"
#include "batchnorm_4d.h"
#include "batchnorm_flat.h"
#include "batchnorm_sync.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Per channel: s1 = sum(u - k), s2 = sum((u - k)^2) when v is NULL, else
 * s1 = sum(v), s2 = sum(v (u - k)), v being ReLU's gradient from y and g
 * when y is given (ln_bnf_sums). k is repeated rep times for S == 1. The
 * forward's k is a shift close to the mean (the channel's first value) that
 * keeps the one-pass variance from cancelling when the mean is large against
 * the spread; the backward's is the mean. */
static int sums(ln_batchnorm *bn,
                double *restrict s1,      /* (rep*C) for S == 1, else (C) */
                double *restrict s2,      /* like s1 */
                const double *restrict k, /* like s1 */
                const float *u,           /* (N,C,S) */
                const float *v,           /* (N,C,S) or NULL */
                const float *y,           /* (N,C) or NULL; only for S == 1 */
                float *g,                 /* (N,C) when y is given */
                size_t n, size_t c, size_t s, size_t rep) {
  if (s > 1) {
    ln_bn4d_sums(s1, s2, k, u, v, n, c, s);
    return LN_OK;
  }
  size_t need = ln_bnf_seg_size(n, c, rep);
  if (need > bn->capseg) {  /* only when the batch grows past the last one */
    size_t bytes;
    if (ln_mul_size(need, sizeof *bn->seg, &bytes)) return LN_ERR;
    double *p = ln_realloc(bn->seg, bytes);
    if (!p) return ln_fail("BatchNorm: out of memory");
    bn->seg = p;
    bn->capseg = need;
  }
  ln_bnf_sums(s1, s2, k, bn->coef, bn->seg, u, v, y, g, n, c, rep);
  return LN_OK;
}

/* out = a u + b (x - mu) + d per channel (u may be x; a NULL means no u
 * term), and relu = max(out, 0) when relu is given, out's column sums when
 * colsum is (S == 1 only: ln_bnf_affine); the coefficients are repeated rep
 * times for S == 1. */
static void affine_pass(float *restrict out,      /* (N,C,S) */
                        float *restrict relu,     /* (N,C) or NULL */
                        float *restrict colsum,   /* (rep*C) or NULL */
                        const float *u,           /* (N,C,S) */
                        const float *x,           /* (N,C,S) */
                        const float *restrict a,  /* (rep*C) for S == 1, else (C); or NULL */
                        const float *restrict b,  /* like a */
                        const float *restrict mu, /* like a */
                        const float *restrict d,  /* like a */
                        size_t n, size_t c, size_t s, size_t rep) {
  if (s == 1) ln_bnf_affine(out, relu, colsum, u, x, a, b, mu, d, n, c, rep);
  else ln_bn4d_affine(out, u, x, a, b, mu, d, n, c, s);
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

/* The forward; with relu given (only for (N,C) input) it also SETS relu to
 * ReLU's forward of the output, in the same pass. */
static int forward(ln_module *m, const ln_tensor *in, ln_tensor *relu) {
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
  if (relu && (s > 1 || ln_tensor_resize_as(relu, in)))
    return s > 1 ? ln_fail("BatchNorm: a fused ReLU needs (N,C) input") : LN_ERR;
  const float *x = ln_data(in);
  float *rm = bn->track ? ln_data(&m->buf[0]) : NULL;
  float *rv = bn->track ? ln_data(&m->buf[1]) : NULL;
  double *mean = bn->mean, *invstd = bn->invstd;
  bn->batch_stats = batch;
  if (batch) {
    double *k = bn->work, *s1 = k + w, *s2 = s1 + w;
    for (size_t j = 0; j < c; j++) k[j] = x[j * s];  /* the shift: first value */
    ln_bnf_spread_d(k, c, rep);
    if (sums(bn, s1, s2, k, x, NULL, NULL, NULL, n, c, s, rep)) return LN_ERR;
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
  for (int i = 1; i < 4; i++) ln_bnf_spread_f(bn->coef + i * w, c, rep);
  affine_pass(ln_data(&m->output), relu ? ln_data(relu) : NULL, NULL, x, x, NULL, scale, mu,
              shift, n, c, s, rep);
  return LN_OK;
}

static int bn_forward(ln_module *m, const ln_tensor *in) { return forward(m, in, NULL); }

int ln_batchnorm_forward_relu(ln_module *m, const ln_tensor *in, ln_tensor *relu) {
  return forward(m, in, relu);
}

/* The backward; with relu_grad given (only for (N,C) input), dout is the
 * grad_output of a ReLU fed by this module's output, and its grad_input is
 * SET into relu_grad in the pass of the sums, which then read it; with
 * colsum given, grad_input's column sums are SET into it (ln_bnf_affine). */
static int backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout,
                    ln_tensor *relu_grad, float *colsum) {
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
  if (relu_grad && (s > 1 || ln_tensor_resize_as(relu_grad, in)))
    return s > 1 ? ln_fail("BatchNorm: a fused ReLU needs (N,C) input") : LN_ERR;
  if (colsum && (s > 1 || !ln_bnf_colsum_ok(n, c, bn->rep)))
    return ln_fail("BatchNorm: no column sums for this input");
  size_t rep = reps(bn, s), w = bn->rep * c;
  const float *x = ln_data(in), *dy = ln_data(dout), *y = NULL;
  float *g = NULL;
  if (relu_grad) y = ln_data(&m->output), g = ln_data(relu_grad);
  double *k = bn->work, *sdy = k + w, *sdyx = sdy + w, cnt = (double)(n * s);
  memcpy(k, bn->mean, c * sizeof *k);
  ln_bnf_spread_d(k, c, rep);
  if (sums(bn, sdy, sdyx, k, x, dy, y, g, n, c, s, rep)) return LN_ERR;
  if (g) dy = g;  /* the BatchNorm's own grad_output: ReLU's grad_input */
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
  for (int i = 0; i < 4; i++) ln_bnf_spread_f(bn->coef + i * w, c, rep);
  affine_pass(ln_data(&m->grad_input), NULL, colsum, dy, x, a, b, mu, d, n, c, s, rep);
  return LN_OK;
}

static int bn_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  return backward(m, in, dout, NULL, NULL);
}

int ln_batchnorm_backward_relu(ln_module *m, const ln_tensor *in, const ln_tensor *dout,
                               ln_tensor *relu_grad, float *colsum) {
  return backward(m, in, dout, relu_grad, colsum);
}

static void bn_destroy(ln_module *m) {
  ln_batchnorm *bn = (ln_batchnorm *)m;
  ln_free(bn->mean);
  ln_free(bn->work);
  ln_free(bn->coef);
  ln_free(bn->seg);
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
  size_t c = num_features, w = ln_bnf_rep(c) * c;
  bn->rep = ln_bnf_rep(c);
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

size_t ln_batchnorm_colsum_width(const ln_module *m, size_t n) {
  const ln_batchnorm *bn = (const ln_batchnorm *)m;
  return ln_bnf_colsum_ok(n, bn->nfeat, bn->rep) ? bn->rep * bn->nfeat : 0;
}
