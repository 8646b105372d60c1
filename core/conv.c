/* conv.c: 2-D convolution: the checks, the reference, and the fast path's
 * choice of kernel per shape: im2col + sgemm (conv_gemm.c) for groups of
 * many outputs and taps, a direct kernel (conv_direct.c) for the thin ones
 * (depthwise, the first layer of an image net). docs/conv_measurements.md
 * has the measurements behind the choice. */
#include <string.h>

#include "conv_impl.h"
#include "tensor.h"

static int mul3(size_t a, size_t b, size_t c, size_t *out) {
  size_t ab;
  return ln_mul_size(a, b, &ab) || ln_mul_size(ab, c, out) ? LN_ERR : LN_OK;
}

static int fits(const char *who, const char *what, size_t a, size_t b, size_t c, size_t d) {
  size_t abc, n;
  if (mul3(a, b, c, &abc) || ln_mul_size(abc, d, &n) || n > LN_MAXNUMEL)
    return ln_fail("%s: the %s (%zux%zux%zux%zu) is too large", who, what, a, b, c, d);
  return LN_OK;
}

int ln_conv2d_setup(const char *who, ln_conv2d_params *p) {
  if (!p->n || !p->ic || !p->h || !p->w || !p->oc || !p->kh || !p->kw)
    return ln_fail("%s: sizes must be positive (input %zux%zux%zux%zu, %zu outputs, "
                   "kernel %zux%zu)", who, p->n, p->ic, p->h, p->w, p->oc, p->kh, p->kw);
  if (!p->sh || !p->sw) return ln_fail("%s: stride must be positive", who);
  if (!p->dh || !p->dw) return ln_fail("%s: dilation must be positive", who);
  if (!p->groups) return ln_fail("%s: groups must be positive", who);
  if (p->ic % p->groups || p->oc % p->groups)
    return ln_fail("%s: groups (%zu) must divide the input channels (%zu) and the output "
                   "channels (%zu)", who, p->groups, p->ic, p->oc);
  /* Sizes far below SIZE_MAX from here on: the sums below cannot wrap. */
  if (fits(who, "input", p->n, p->ic, p->h, p->w)) return LN_ERR;
  if (fits(who, "weight", p->oc, p->ic / p->groups, p->kh, p->kw)) return LN_ERR;
  if (p->pt > LN_MAXNUMEL || p->pb > LN_MAXNUMEL || p->pl > LN_MAXNUMEL ||
      p->pr > LN_MAXNUMEL || p->dh > LN_MAXNUMEL / p->kh || p->dw > LN_MAXNUMEL / p->kw)
    return ln_fail("%s: padding or dilation too large", who);
  size_t hp = p->h + p->pt + p->pb, wp = p->w + p->pl + p->pr;
  size_t ekh = p->dh * (p->kh - 1) + 1, ekw = p->dw * (p->kw - 1) + 1;
  if (ekh > hp || ekw > wp)
    return ln_fail("%s: kernel %zux%zu (dilated %zux%zu) is larger than the padded input "
                   "%zux%zu", who, p->kh, p->kw, ekh, ekw, hp, wp);
  p->oh = (hp - ekh) / p->sh + 1;
  p->ow = (wp - ekw) / p->sw + 1;
  if (!p->workers) p->workers = (size_t)ln_get_num_threads();
  return fits(who, "output", p->n, p->oc, p->oh, p->ow);
}

/* ---- the reference ---- */

/* The input element a tap reads, or -1 for padding. */
static ptrdiff_t tap(const ln_conv2d_params *p, size_t y, size_t x, size_t ky, size_t kx) {
  ptrdiff_t iy = (ptrdiff_t)(y * p->sh + ky * p->dh) - (ptrdiff_t)p->pt;
  ptrdiff_t ix = (ptrdiff_t)(x * p->sw + kx * p->dw) - (ptrdiff_t)p->pl;
  if (iy < 0 || ix < 0 || iy >= (ptrdiff_t)p->h || ix >= (ptrdiff_t)p->w) return -1;
  return iy * (ptrdiff_t)p->w + ix;
}

void ln_conv2d_forward_ref(float *out, const float *in, const float *weight,
                           const float *bias, const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, hw = p->h * p->w;
  for (size_t n = 0; n < p->n; n++)
    for (size_t o = 0; o < p->oc; o++) {
      const float *wo = weight + o * icg * p->kh * p->kw;
      const float *inp = in + (n * p->ic + o / ocg * icg) * hw;
      for (size_t y = 0; y < p->oh; y++)
        for (size_t x = 0; x < p->ow; x++) {
          double s = p->bias ? bias[o] : 0;
          for (size_t c = 0; c < icg; c++)
            for (size_t ky = 0; ky < p->kh; ky++)
              for (size_t kx = 0; kx < p->kw; kx++) {
                ptrdiff_t i = tap(p, y, x, ky, kx);
                if (i >= 0) s += (double)wo[(c * p->kh + ky) * p->kw + kx] * inp[c * hw + i];
              }
          out[((n * p->oc + o) * p->oh + y) * p->ow + x] = (float)s;
        }
    }
}

void ln_conv2d_backward_ref(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *in, const float *weight,
                            const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, hw = p->h * p->w;
  size_t ohw = p->oh * p->ow, kk = p->kh * p->kw;
  if (p->bias)
    for (size_t o = 0; o < p->oc; o++) {
      double s = 0;
      for (size_t n = 0; n < p->n; n++)
        for (size_t i = 0; i < ohw; i++) s += dout[(n * p->oc + o) * ohw + i];
      dbias[o] += (float)s;
    }
  for (size_t o = 0; o < p->oc; o++)
    for (size_t c = 0; c < icg; c++)
      for (size_t ky = 0; ky < p->kh; ky++)
        for (size_t kx = 0; kx < p->kw; kx++) {
          double s = 0;
          for (size_t n = 0; n < p->n; n++) {
            const float *inp = in + (n * p->ic + o / ocg * icg + c) * hw;
            const float *d = dout + (n * p->oc + o) * ohw;
            for (size_t y = 0; y < p->oh; y++)
              for (size_t x = 0; x < p->ow; x++) {
                ptrdiff_t i = tap(p, y, x, ky, kx);
                if (i >= 0) s += (double)d[y * p->ow + x] * inp[i];
              }
          }
          dweight[(o * icg + c) * kk + ky * p->kw + kx] += (float)s;
        }
  if (!dinp) return;
  /* Gathered per input element so each is one double sum. */
  for (size_t n = 0; n < p->n; n++)
    for (size_t ci = 0; ci < p->ic; ci++)
      for (size_t iy = 0; iy < p->h; iy++)
        for (size_t ix = 0; ix < p->w; ix++) {
          double s = 0;
          size_t g = ci / icg, c = ci % icg;
          for (size_t o = g * ocg; o < (g + 1) * ocg; o++)
            for (size_t ky = 0; ky < p->kh; ky++)
              for (size_t kx = 0; kx < p->kw; kx++) {
                ptrdiff_t ny = (ptrdiff_t)(iy + p->pt) - (ptrdiff_t)(ky * p->dh);
                ptrdiff_t nx = (ptrdiff_t)(ix + p->pl) - (ptrdiff_t)(kx * p->dw);
                if (ny < 0 || nx < 0 || ny % (ptrdiff_t)p->sh || nx % (ptrdiff_t)p->sw) continue;
                size_t y = (size_t)ny / p->sh, x = (size_t)nx / p->sw;
                if (y >= p->oh || x >= p->ow) continue;
                s += (double)dout[((n * p->oc + o) * p->oh + y) * p->ow + x] *
                     weight[(o * icg + c) * kk + ky * p->kw + kx];
              }
          dinp[((n * p->ic + ci) * p->h + iy) * p->w + ix] = (float)s;
        }
}

/* ---- shared by the fast kernels ---- */

ln_conv_dims ln_conv_dims_of(const ln_conv2d_params *p) {
  ln_conv_dims d;
  d.hp = p->h + p->pt + p->pb;
  d.wp = p->w + p->pl + p->pr;
  d.ps = d.hp * d.wp + (p->kw - 1) * p->dw;
  d.wide = p->oh * d.wp;
  return d;
}

void ln_conv_pad_planes(float *restrict pad, const float *restrict in, size_t icg,
                        const ln_conv2d_params *p, const ln_conv_dims *d) {
  for (size_t c = 0; c < icg; c++) {
    float *dst = pad + c * d->ps;
    memset(dst, 0, d->ps * sizeof *dst);
    for (size_t y = 0; y < p->h; y++)
      memcpy(dst + (p->pt + y) * d->wp + p->pl, in + (c * p->h + y) * p->w,
             p->w * sizeof *dst);
  }
}

void ln_conv_unpad_planes(float *restrict din, const float *restrict dpad, size_t icg,
                          const ln_conv2d_params *p, const ln_conv_dims *d) {
  for (size_t c = 0; c < icg; c++)
    for (size_t y = 0; y < p->h; y++)
      memcpy(din + (c * p->h + y) * p->w, dpad + c * d->ps + (p->pt + y) * d->wp + p->pl,
             p->w * sizeof *din);
}

/* ---- the fast path ---- */

int ln_conv_workers(const ln_conv2d_params *p) {
  /* never more than the workspace was sized for (0 counts as 1) */
  int t = ln_par_workers(p->n, 1);
  int sized = p->workers > LN_PAR_MAX ? LN_PAR_MAX : p->workers ? (int)p->workers : 1;
  return sized < t ? sized : t;
}

/* The kernels of a shape: the tiled one for layers the GEMM also suits but
 * with 16 outputs or more per group and a kernel larger than 1x1, where it
 * is faster on one thread (docs/conv_measurements.md); it runs on one
 * thread, so with more the GEMM (threaded by OpenBLAS) takes them. The GEMM
 * also takes the other layers it suits and the input gradient of a tiled
 * layer with strides or few inputs; the direct kernel the thin layers. */
static int tile_fits(const ln_conv2d_params *p) {
  return ln_conv_gemm_suits(p) && ln_conv_tile_suits(p);
}

static int tiled(const ln_conv2d_params *p) { return tile_fits(p); }

static int tiled_backward(const ln_conv2d_params *p, int dinp) {
  return tiled(p) && (!dinp || ln_conv_tile_suits_dinp(p));
}

size_t ln_conv2d_workspace(const ln_conv2d_params *p) {
  if (!ln_conv_gemm_suits(p)) return ln_conv_direct_workspace(p);
  size_t g = ln_conv_gemm_workspace(p);
  size_t t = tile_fits(p) ? ln_conv_tile_workspace(p) : 0;  /* any thread count */
  return g > t ? g : t;
}

void ln_conv2d_forward(float *out, const float *in, const float *weight, const float *bias,
                       float *ws, const ln_conv2d_params *p) {
  if (tiled(p)) ln_conv_tile_forward(out, in, weight, bias, ws, p);
  else if (ln_conv_gemm_suits(p)) ln_conv_gemm_forward(out, in, weight, bias, ws, p);
  else ln_conv_direct_forward(out, in, weight, bias, ws, p);
}

typedef struct bias_job {
  float *dbias;
  const float *dout;
  const ln_conv2d_params *p;
} bias_job;

/* Channels [lo, hi) of the bias gradient (one worker per channel: the same
 * bits on any thread count). */
static void bias_channels(void *ctx, size_t lo, size_t hi, int w) {
  (void)w;
  const bias_job *j = ctx;
  const ln_conv2d_params *p = j->p;
  size_t ohw = p->oh * p->ow;
  for (size_t o = lo; o < hi; o++) {
    float s = 0;
    for (size_t n = 0; n < p->n; n++) {
      const float *d = j->dout + (n * p->oc + o) * ohw;
      float t = 0;
#pragma omp simd reduction(+:t)
      for (size_t q = 0; q < ohw; q++) t += d[q];
      s += t;
    }
    j->dbias[o] += s;
  }
}

static void bias_grad(float *dbias, const float *dout, const ln_conv2d_params *p) {
  bias_job j = {dbias, dout, p};
  int workers = p->n * p->oc * p->oh * p->ow < 65536 ? 1 : ln_conv_workers(p);
  ln_parallel(workers, p->oc, bias_channels, &j);
}

void ln_conv2d_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *in, const float *weight, float *ws,
                        const ln_conv2d_params *p) {
  if (p->bias) bias_grad(dbias, dout, p);
  if (!ln_conv_gemm_suits(p)) {
    ln_conv_direct_backward(dinp, dweight, dout, in, weight, ws, p);
    return;
  }
  if (!tiled_backward(p, dinp != NULL)) {
    ln_conv_gemm_backward(dinp, dweight, dout, in, weight, ws, p);
    return;
  }
  ln_conv_tile_dweight(dweight, dout, in, ws, p);
  if (dinp) ln_conv_tile_dinp(dinp, dout, weight, ws, p);
}
