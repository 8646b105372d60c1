/* norm_block.c: normalization of contiguous blocks (see norm_block.h), and
 * the module plumbing LayerNorm, GroupNorm and InstanceNorm share.
 *
 * Each block takes two passes per direction. Forward: the mean, then the
 * sums of deviations from it rounded to float (and their squares), so the
 * variance does not cancel when the mean is large against the spread; then
 * one pass writes y = (x - mean) (rstd w) + bias per segment of `inner`
 * values with one affine index. Backward: one pass sums dxh and dxh (x -
 * mean) (and the parameter gradients' terms), one writes dx = a dxh + b (x
 * - mean) + d; x - mean is (x - mf) + (mf - mean) in both (see
 * ln_norm_forward). The sums run in VEC float lanes added into double
 * every FLUSH vectors (so they vectorize, and a float partial sum holds at
 * most FLUSH values); the remainder is summed in double. LayerNorm's
 * segments are one value long, so its loops run over the block with
 * per-element weights instead (inner == 1). */
#include "norm_block.h"

#include <math.h>
#include <string.h>

#define VEC 16
#define FLUSH 16

/* Without v: *s1 = sum(u - k), *s2 = sum((u - k)^2). With v: *s1 = sum(wv),
 * *s2 = sum(wv (u - k)), wv = w v (w NULL: 1). SETS s1, s2. */
static void lane_sums(double *s1, double *s2,
                      const float *restrict u,  /* (n) */
                      const float *restrict v,  /* (n) or NULL */
                      const float *restrict w,  /* (n) or NULL */
                      float k, size_t n) {
  double d1 = 0, d2 = 0;
  size_t q = 0;
  while (n - q >= VEC) {
    float a1[VEC] = {0}, a2[VEC] = {0};
    for (int f = 0; f < FLUSH && n - q >= VEC; f++, q += VEC) {
      const float *uq = u + q, *vq = v ? v + q : NULL, *wq = w ? w + q : NULL;
      if (!vq) {
        for (int l = 0; l < VEC; l++) {
          float d = uq[l] - k;
          a1[l] += d;
          a2[l] += d * d;
        }
      } else if (!wq) {
        for (int l = 0; l < VEC; l++) {
          a1[l] += vq[l];
          a2[l] += vq[l] * (uq[l] - k);
        }
      } else {
        for (int l = 0; l < VEC; l++) {
          float wv = wq[l] * vq[l];
          a1[l] += wv;
          a2[l] += wv * (uq[l] - k);
        }
      }
    }
    for (int l = 0; l < VEC; l++) d1 += a1[l], d2 += a2[l];
  }
  for (; q < n; q++) {
    double wv = v ? (double)v[q] * (w ? w[q] : 1.0f) : 1.0, d = (double)u[q] - k;
    d1 += v ? wv : d;
    d2 += v ? wv * d : d * d;
  }
  *s1 = d1, *s2 = d2;
}

void ln_norm_stats(double *mean, double *rstd, double *var, const float *x, size_t nb,
                   size_t len, double eps) {
  for (size_t b = 0; b < nb; b++) {
    const float *xb = x + b * len;
    double s = 0, s1, s2;
    lane_sums(&s1, &s2, xb, NULL, NULL, 0.0f, len);
    float k = (float)(s1 / (double)len);  /* the mean, in float: a shift */
    lane_sums(&s1, &s2, xb, NULL, NULL, k, len);
    s = s1 / (double)len;  /* mean - k */
    mean[b] = k + s;
    var[b] = s2 / (double)len - s * s;
    if (var[b] < 0) var[b] = 0;
    rstd[b] = 1.0 / sqrt(var[b] + eps);
  }
}

/* The affine index of the first value of segment s of block b. */
static size_t aff_at(const ln_norm_geom *g, size_t b, size_t s) {
  return (b % g->nper) * g->nseg + s;
}

/* x - m is computed as (x - mf) + (mf - m), mf the mean rounded to float:
 * x - mf is exact for x near the mean, and the second term, folded into a
 * per-block constant, keeps the mean's rounding (large when the mean is
 * large against the spread) out of the result. */
void ln_norm_forward(float *out, const float *x, const double *mean, const double *rstd,
                     const float *w, const float *bias, const ln_norm_geom *g) {
  for (size_t b = 0; b < g->nb; b++) {
    const float *xb = x + b * g->len;
    float *ob = out + b * g->len, mf = (float)mean[b], rf = (float)rstd[b];
    double dm = (double)mf - mean[b];  /* mf - m */
    if (g->inner == 1) {  /* per-element affine */
      const float *wb = w ? w + aff_at(g, b, 0) : NULL, *bb = bias ? bias + aff_at(g, b, 0) : NULL;
      float sh = (float)(dm * rstd[b]);
      if (wb && bb)
        for (size_t q = 0; q < g->len; q++) ob[q] = ((xb[q] - mf) * rf + sh) * wb[q] + bb[q];
      else
        for (size_t q = 0; q < g->len; q++) ob[q] = (xb[q] - mf) * rf + sh;
      continue;
    }
    for (size_t s = 0; s < g->nseg; s++) {
      size_t k = aff_at(g, b, s);
      double ad = rstd[b] * (w ? w[k] : 1.0f);
      float a = (float)ad, c = (float)((bias ? bias[k] : 0.0f) + dm * ad);
      const float *xs = xb + s * g->inner;
      float *os = ob + s * g->inner;
      for (size_t i = 0; i < g->inner; i++) os[i] = (xs[i] - mf) * a + c;
    }
  }
}

void ln_norm_backward(float *dx, double *acc, const float *dy, const float *x,
                      const double *mean, const double *rstd, const float *w,
                      const ln_norm_geom *g, int batch_stats) {
  size_t naff = g->nper * g->nseg, len = g->len;
  double *adw = acc, *adb = acc + naff;
  memset(acc, 0, 2 * naff * sizeof *acc);
  for (size_t b = 0; b < g->nb; b++) {
    const float *xb = x + b * len, *dyb = dy + b * len;
    double m = mean[b], r = rstd[b], s1 = 0, s2 = 0;  /* sum(dxh), sum(dxh (x - m)) */
    float mf = (float)m;
    if (g->inner == 1) {  /* k = q + aff_at(b, 0): per element, no reductions */
      size_t k = aff_at(g, b, 0);
      for (size_t q = 0; q < len; q++) {
        double d = dyb[q];
        adw[k + q] += d * ((double)xb[q] - m) * r;
        adb[k + q] += d;
      }
      lane_sums(&s1, &s2, xb, dyb, w ? w + k : NULL, mf, len);
    }
    for (size_t s = 0; g->inner > 1 && s < g->nseg; s++) {
      size_t k = aff_at(g, b, s), at = s * g->inner;
      double t1, t2, wk = w ? w[k] : 1.0f;  /* sum(dy), sum(dy (x - m)) */
      lane_sums(&t1, &t2, xb + at, dyb + at, NULL, mf, g->inner);
      t2 += ((double)mf - m) * t1;  /* from x - mf to x - m */
      adw[k] += t2 * r;
      adb[k] += t1;
      s1 += wk * t1;
      s2 += wk * t2;
    }
    if (g->inner == 1) s2 += ((double)mf - m) * s1;
    if (!dx) continue;
    /* dx = a dxh + c (x - m) + d */
    float *dxb = dx + b * len;
    double cd = batch_stats ? -r * r * r * s2 / (double)len : 0.0;
    float c = (float)cd;
    float d = batch_stats ? (float)(-r * s1 / (double)len + cd * ((double)mf - m)) : 0.0f;
    if (g->inner == 1) {
      float rf = (float)r;
      const float *wq = w ? w + aff_at(g, b, 0) : NULL;
      if (wq)
        for (size_t q = 0; q < len; q++) dxb[q] = rf * wq[q] * dyb[q] + c * (xb[q] - mf) + d;
      else
        for (size_t q = 0; q < len; q++) dxb[q] = rf * dyb[q] + c * (xb[q] - mf) + d;
      continue;
    }
    for (size_t s = 0; s < g->nseg; s++) {
      size_t k = aff_at(g, b, s), at = s * g->inner;
      float a = (float)(r * (w ? w[k] : 1.0f));
      for (size_t i = 0; i < g->inner; i++)
        dxb[at + i] = a * dyb[at + i] + c * (xb[at + i] - mf) + d;
    }
  }
}

/* ---- the module side ---- */

int ln_norm_init(ln_norm *nm, const ln_module_ops *ops, ln_norm_geom_fn geom, double eps,
                 int affine, int ndim, const size_t *shape) {
  ln_module *m = &nm->base;
  const char *who = ops->tag;
  ln_module_init(m, ops);
  nm->geom = geom;
  nm->eps = eps;
  nm->affine = affine != 0;
  nm->naff = 1;
  for (int i = 0; i < ndim; i++) nm->naff *= shape[i];
  if (!(eps > 0) || isinf(eps)) return ln_fail("%s: eps must be a finite number > 0, got %g",
                                               who, eps);
  if (ln_check_shape(who, ndim, shape)) return LN_ERR;
  if (!(nm->acc = ln_malloc(2 * nm->naff * sizeof *nm->acc)))
    return ln_fail("%s: out of memory", who);
  if (!nm->affine) return LN_OK;
  if (ln_module_add_param(m, "weight", ndim, shape) < 0 ||
      ln_module_add_param(m, "bias", ndim, shape) < 0)
    return LN_ERR;
  ln_tensor_fill(&m->param[0], 1);
  return LN_OK;
}

int ln_norm_run_forward(ln_norm *nm, const ln_tensor *in, const ln_norm_geom *g,
                        const float *rmean, const float *rvar) {
  ln_module *m = &nm->base;
  const char *who = m->ops->tag;
  if (in->st == m->output.st) return ln_fail("%s: input shares storage with the output", who);
  if (g->nb > nm->cap) {
    double *p = ln_realloc(nm->stats, 3 * g->nb * sizeof *p);
    if (!p) return ln_fail("%s: out of memory", who);
    nm->stats = p;
    nm->cap = g->nb;
  }
  if (ln_tensor_resize_as(&m->output, in)) return LN_ERR;
  double *mean = nm->stats, *rstd = mean + nm->cap, *var = rstd + nm->cap;
  const float *x = ln_data(in);
  nm->batch_stats = rmean == NULL;
  if (!rmean) {
    ln_norm_stats(mean, rstd, var, x, g->nb, g->len, nm->eps);
  } else {
    for (size_t b = 0; b < g->nb; b++) {
      mean[b] = rmean[b % g->nper];
      var[b] = rvar[b % g->nper];
      rstd[b] = 1.0 / sqrt(var[b] + nm->eps);
    }
  }
  const float *w = nm->affine ? ln_data(&m->param[0]) : NULL;
  const float *bias = nm->affine ? ln_data(&m->param[1]) : NULL;
  ln_norm_forward(ln_data(&m->output), x, mean, rstd, w, bias, g);
  return LN_OK;
}

int ln_norm_forward_op(ln_module *m, const ln_tensor *in) {
  ln_norm *nm = (ln_norm *)m;
  ln_norm_geom g;
  if (nm->geom(nm, in, &g)) return LN_ERR;
  return ln_norm_run_forward(nm, in, &g, NULL, NULL);
}

int ln_norm_backward_op(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  ln_norm *nm = (ln_norm *)m;
  ln_norm_geom geom, *g = &geom;
  const char *who = m->ops->tag;
  char a[64], b[64];
  if (nm->geom(nm, in, g)) return LN_ERR;
  if (!ln_same_shape(in, &m->output) || !nm->stats)
    return ln_fail("%s: input has shape %s, but the last forward gave %s", who,
                   ln_shape_str(in, a, sizeof a), ln_shape_str(&m->output, b, sizeof b));
  if (in->st == m->grad_input.st || dout->st == m->grad_input.st)
    return ln_fail("%s: input or grad_output shares storage with grad_input", who);
  float *dx = NULL;
  if (!m->skip_grad_input) {
    if (ln_tensor_resize_as(&m->grad_input, in)) return LN_ERR;
    dx = ln_data(&m->grad_input);
  }
  const double *mean = nm->stats, *rstd = mean + nm->cap;
  const float *w = nm->affine ? ln_data(&m->param[0]) : NULL;
  ln_norm_backward(dx, nm->acc, ln_data(dout), ln_data(in), mean, rstd, w, g,
                   nm->batch_stats);
  if (nm->affine) {
    float *dw = ln_data(&m->grad[0]), *db = ln_data(&m->grad[1]);
    for (size_t k = 0; k < nm->naff; k++) {
      dw[k] += (float)nm->acc[k];
      db[k] += (float)nm->acc[nm->naff + k];
    }
  }
  return LN_OK;
}

void ln_norm_destroy(ln_module *m) {
  ln_norm *nm = (ln_norm *)m;
  ln_free(nm->stats);
  ln_free(nm->acc);
}
