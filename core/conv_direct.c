/* conv_direct.c: the direct convolution kernel, for groups whose GEMM would
 * be too thin (depthwise: M = 1; the first layer of an image net: K = 9).
 * Planes are padded and laid wide as conv_impl.h describes; with stride 1
 * every tap is a flat sweep whose 32 running sums stay in registers, other
 * strides go row by row. */
#include <string.h>

#include "conv_impl.h"

static int flat(const ln_conv2d_params *p) { return p->sh == 1 && p->sw == 1; }

/* Taps handled per sweep of a wide plane: their weights and offsets sit on
 * the stack while the sums of 32 outputs stay in registers. */
#define TAPS 64

typedef ln_v8 v8;
#define ld ln_v8_load
#define st ln_v8_store

/* dst[j] = (first ? b0 : dst[j]) + sum over t < m of wv[t] src[off[t] + j],
 * j < len: 32 outputs at a time in four vector registers. */
static void sweep(float *restrict dst, size_t len, const float *restrict src,
                  const size_t *off, const float *wv, size_t m, int first, float b0) {
  size_t j = 0;
  for (; j + 32 <= len; j += 32) {
    v8 a0, a1, a2, a3;
    if (first) a0 = a1 = a2 = a3 = ln_v8_splat(b0);
    else a0 = ld(dst + j), a1 = ld(dst + j + 8), a2 = ld(dst + j + 16), a3 = ld(dst + j + 24);
    for (size_t t = 0; t < m; t++) {
      const float *s = src + off[t] + j;
      v8 w = ln_v8_splat(wv[t]);
      a0 = ln_v8_fma(w, ld(s), a0), a1 = ln_v8_fma(w, ld(s + 8), a1);
      a2 = ln_v8_fma(w, ld(s + 16), a2), a3 = ln_v8_fma(w, ld(s + 24), a3);
    }
    st(dst + j, a0), st(dst + j + 8, a1), st(dst + j + 16, a2), st(dst + j + 24, a3);
  }
  for (; j < len; j++) {
    float a = first ? b0 : dst[j];
    for (size_t t = 0; t < m; t++) a += wv[t] * src[off[t] + j];
    dst[j] = a;
  }
}

/* sum over j < len of a[j] b[j], in four vector partial sums. */
static float dot(const float *restrict a, const float *restrict b, size_t len) {
  v8 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
  size_t j = 0;
  for (; j + 32 <= len; j += 32) {
    s0 = ln_v8_fma(ld(a + j), ld(b + j), s0), s1 = ln_v8_fma(ld(a + j + 8), ld(b + j + 8), s1);
    s2 = ln_v8_fma(ld(a + j + 16), ld(b + j + 16), s2);
    s3 = ln_v8_fma(ld(a + j + 24), ld(b + j + 24), s3);
  }
  v8 v = (s0 + s1) + (s2 + s3);
  float r = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
  for (; j < len; j++) r += a[j] * b[j];
  return r;
}

/* wide (OH*WP) = b0 + the taps of weights wo (ICg,KH,KW) over pad; stride 1. */
static void wide_forward(float *restrict wide, const float *restrict pad,
                         const float *restrict wo, float b0, size_t icg,
                         const ln_conv2d_params *p, const ln_conv_dims *d) {
  size_t kk = p->kh * p->kw, ntap = icg * kk, off[TAPS];
  float wv[TAPS];
  for (size_t t0 = 0; t0 < ntap; t0 += TAPS) {
    size_t m = ntap - t0 < TAPS ? ntap - t0 : TAPS;
    for (size_t t = 0; t < m; t++) {
      off[t] = (t0 + t) / kk * d->ps + ln_conv_tap_off((t0 + t) % kk, p, d);
      wv[t] = wo[t0 + t];
    }
    sweep(wide, d->wide, pad, off, wv, m, t0 == 0, b0);
  }
}

/* dst (OH,OW) = b0 + the taps over pad, any stride, row by row. */
static void rows_forward(float *restrict dst, const float *restrict pad,
                         const float *restrict wo, float b0, size_t icg,
                         const ln_conv2d_params *p, const ln_conv_dims *d) {
  for (size_t j = 0; j < p->oh * p->ow; j++) dst[j] = b0;
  for (size_t c = 0; c < icg; c++)
    for (size_t ky = 0; ky < p->kh; ky++)
      for (size_t kx = 0; kx < p->kw; kx++) {
        float wv = wo[(c * p->kh + ky) * p->kw + kx];
        const float *src = pad + c * d->ps + ky * p->dh * d->wp + kx * p->dw;
        for (size_t y = 0; y < p->oh; y++) {
          float *restrict r = dst + y * p->ow;
          const float *restrict s = src + y * p->sh * d->wp;
          for (size_t x = 0; x < p->ow; x++) r[x] += wv * s[x * p->sw];
        }
      }
}

/* One call, shared by its workers: each takes a range of images and its
 * own `per` floats of workspace. */
typedef struct direct_job {
  const ln_conv2d_params *p;
  ln_conv_dims d;
  const float *in, *weight, *bias, *dout;
  float *out, *dinp, *ws;
  size_t per;
} direct_job;

static void forward_images(void *ctx, size_t lo, size_t hi, int w) {
  const direct_job *j = ctx;
  const ln_conv2d_params *p = j->p;
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, ohw = p->oh * p->ow;
  float *pad = j->ws + (size_t)w * j->per, *wide = pad + icg * j->d.ps;
  for (size_t n = lo; n < hi; n++)
    for (size_t g = 0; g < p->groups; g++) {
      ln_conv_pad_planes(pad, j->in + (n * p->ic + g * icg) * p->h * p->w, icg, p, &j->d);
      for (size_t o = g * ocg; o < (g + 1) * ocg; o++) {
        float *dst = j->out + (n * p->oc + o) * ohw, b0 = p->bias ? j->bias[o] : 0.0f;
        const float *wo = j->weight + o * icg * p->kh * p->kw;
        if (!flat(p)) {
          rows_forward(dst, pad, wo, b0, icg, p, &j->d);
          continue;
        }
        wide_forward(wide, pad, wo, b0, icg, p, &j->d);
        for (size_t y = 0; y < p->oh; y++)
          memcpy(dst + y * p->ow, wide + y * j->d.wp, p->ow * sizeof *dst);
      }
    }
}

/* Floats of zeros around a wide gradient plane: the largest tap offset. */
static size_t margin(const ln_conv2d_params *p, const ln_conv_dims *d) {
  return ln_conv_tap_off(p->kh * p->kw - 1, p, d);
}

/* Stride 1. Each output gradient plane is laid wide, inside `margin` zeros
 * on both sides (E, OCg planes of ES floats), so both gradients are sweeps:
 * the padded input gradient of channel c gathers the taps of every output of
 * the group at negated offsets (a read before the plane or in a junk column
 * finds a zero), and each weight gradient is a dot product over the wide
 * plane. */
static void backward_images(void *ctx, size_t lo, size_t hi, int w) {
  const direct_job *j = ctx;
  const ln_conv2d_params *p = j->p;
  const ln_conv_dims *d = &j->d;
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  size_t m0 = margin(p, d), es = d->wide + 2 * m0, off[TAPS];
  float *pad = j->ws + (size_t)w * j->per, *e = pad + icg * d->ps, *dpl = e + ocg * es;
  float *part = dpl + d->hp * d->wp, wv[TAPS];  /* this worker's weight gradient */
  memset(e, 0, ocg * es * sizeof *e);  /* margins and junk columns stay 0 */
  memset(part, 0, p->oc * icg * kk * sizeof *part);
  for (size_t n = lo; n < hi; n++)
    for (size_t g = 0; g < p->groups; g++) {
      ln_conv_pad_planes(pad, j->in + (n * p->ic + g * icg) * p->h * p->w, icg, p, d);
      for (size_t o = 0; o < ocg; o++)
        for (size_t y = 0; y < p->oh; y++)
          memcpy(e + o * es + m0 + y * d->wp,
                 j->dout + ((n * p->oc + g * ocg + o) * p->oh + y) * p->ow,
                 p->ow * sizeof *e);
      for (size_t o = 0; o < ocg; o++)
        for (size_t c = 0; c < icg; c++)
          for (size_t k = 0; k < kk; k++)
            part[((g * ocg + o) * icg + c) * kk + k] +=
              dot(e + o * es + m0, pad + c * d->ps + ln_conv_tap_off(k, p, d), d->wide);
      if (!j->dinp) continue;
      for (size_t c = 0; c < icg; c++) {
        for (size_t t0 = 0; t0 < ocg * kk; t0 += TAPS) {
          size_t m = ocg * kk - t0 < TAPS ? ocg * kk - t0 : TAPS;
          for (size_t t = 0; t < m; t++) {
            size_t o = (t0 + t) / kk, k = (t0 + t) % kk;
            off[t] = o * es + m0 - ln_conv_tap_off(k, p, d);
            wv[t] = j->weight[((g * ocg + o) * icg + c) * kk + k];
          }
          sweep(dpl, d->hp * d->wp, e, off, wv, m, t0 == 0, 0.0f);
        }
        ln_conv_unpad_planes(j->dinp + (n * p->ic + g * icg + c) * p->h * p->w, dpl, 1, p, d);
      }
    }
}

/* Stride 1. Each output gradient plane is laid wide, inside `margin` zeros
 * on both sides (E, OCg planes of ES floats), so both gradients are sweeps:
 * the padded input gradient of channel c gathers the taps of every output of
 * the group at negated offsets (a read before the plane or in a junk column
 * finds a zero), and each weight gradient is a dot product over the wide
 * plane. Workers take ranges of images; their weight gradients are added in
 * worker order. */
static void backward_wide(float *dinp, float *dweight, const float *dout, const float *in,
                          const float *weight, float *ws, const ln_conv2d_params *p) {
  direct_job j = {.p = p, .d = ln_conv_dims_of(p), .in = in, .weight = weight, .dout = dout,
                  .dinp = dinp, .ws = ws};
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  size_t es = j.d.wide + 2 * margin(p, &j.d), m = p->oc * icg * kk;
  j.per = icg * j.d.ps + ocg * es + j.d.hp * j.d.wp + m;
  int workers = ln_conv_workers(p);
  if ((size_t)workers > p->n) workers = (int)p->n;
  ln_parallel_fixed(workers, p->n, backward_images, &j);
  for (int w = 0; w < workers; w++) {
    const float *part = ws + (size_t)w * j.per + (j.per - m);
    for (size_t i = 0; i < m; i++) dweight[i] += part[i];
  }
}

/* Any stride, row by row: a scatter into padded input gradient planes. */
static void backward_rows(float *dinp, float *dweight, const float *dout, const float *in,
                          const float *weight, float *ws, const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  size_t ohw = p->oh * p->ow;
  ln_conv_dims d = ln_conv_dims_of(p);
  float *pad = ws, *dpad = ws + icg * d.ps;
  for (size_t n = 0; n < p->n; n++)
    for (size_t g = 0; g < p->groups; g++) {
      ln_conv_pad_planes(pad, in + (n * p->ic + g * icg) * p->h * p->w, icg, p, &d);
      if (dinp) memset(dpad, 0, icg * d.ps * sizeof *dpad);
      for (size_t o = g * ocg; o < (g + 1) * ocg; o++)
        for (size_t c = 0; c < icg; c++)
          for (size_t k = 0; k < kk; k++) {
            size_t wi = (o * icg + c) * kk + k, at = c * d.ps + ln_conv_tap_off(k, p, &d);
            float wv = weight[wi], acc = 0;
            for (size_t y = 0; y < p->oh; y++) {
              const float *restrict r = dout + (n * p->oc + o) * ohw + y * p->ow;
              const float *restrict s = pad + at + y * p->sh * d.wp;
              for (size_t x = 0; x < p->ow; x++) acc += r[x] * s[x * p->sw];
              if (!dinp) continue;
              float *restrict ds = dpad + at + y * p->sh * d.wp;
              for (size_t x = 0; x < p->ow; x++) ds[x * p->sw] += wv * r[x];
            }
            dweight[wi] += acc;
          }
      if (dinp) ln_conv_unpad_planes(dinp + (n * p->ic + g * icg) * p->h * p->w, dpad, icg,
                                     p, &d);
    }
}

/* Floats per worker: forward, stride-1 backward, strided backward. */
static size_t per_worker(const ln_conv2d_params *p, int backward) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups;
  ln_conv_dims d = ln_conv_dims_of(p);
  if (!backward) return icg * d.ps + d.wide;
  if (!flat(p)) return 2 * icg * d.ps;
  return icg * d.ps + ocg * (d.wide + 2 * margin(p, &d)) + d.hp * d.wp +
         p->oc * icg * p->kh * p->kw;
}

size_t ln_conv_direct_workspace(const ln_conv2d_params *p) {
  size_t f = per_worker(p, 0), b = per_worker(p, 1);
  return (p->workers ? p->workers : 1) * (f > b ? f : b);
}

void ln_conv_direct_forward(float *out, const float *in, const float *weight,
                            const float *bias, float *ws, const ln_conv2d_params *p) {
  direct_job j = {.p = p, .d = ln_conv_dims_of(p), .in = in, .weight = weight, .bias = bias,
                  .out = out, .ws = ws, .per = per_worker(p, 0)};
  ln_parallel(ln_conv_workers(p), p->n, forward_images, &j);
}

void ln_conv_direct_backward(float *dinp, float *dweight, const float *dout,
                             const float *in, const float *weight, float *ws,
                             const ln_conv2d_params *p) {
  if (flat(p)) backward_wide(dinp, dweight, dout, in, weight, ws, p);
  else backward_rows(dinp, dweight, dout, in, weight, ws, p);
}

