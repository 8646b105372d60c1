/* conv.c: 2-D convolution, the checks, the reference and the fast path.
 *
 * The fast path has two kernels, chosen per shape:
 * - im2col + sgemm for groups of at least GEMM_MIN_OCG output channels: a
 *   chunk of B images is unfolded into col (ICg*KH*KW, B*OH*OW) so one GEMM
 *   per group covers B images (a large N keeps OpenBLAS near its peak);
 * - a direct kernel for groups with few outputs (depthwise), where a GEMM of
 *   M = OCg = 1 would be a dot product: each input plane is copied once into
 *   a zero-padded plane, so the tap loops are flat rows with no bounds tests.
 * docs/conv_measurements.md has the measurements behind the choice. */
#include "conv.h"

#include <string.h>
#include "tensor.h"

/* Output channels per group from which the GEMM kernel beats the direct one. */
#define GEMM_MIN_OCG 8
/* Taps per output (ICg*KH*KW) from which it does: a GEMM of small K spends
 * its time packing (the first layer of an image net, K = 9). */
#define GEMM_MIN_K 16
/* Largest col chunk in floats (4 MiB): more images per GEMM only while the
 * unfolded chunk stays in the shared L3 cache. */
#define COL_CAP ((size_t)1 << 20)

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

/* ---- the fast path ---- */

static int use_gemm(const ln_conv2d_params *p) {
  return p->oc / p->groups >= GEMM_MIN_OCG && p->ic / p->groups * p->kh * p->kw >= GEMM_MIN_K;
}

/* Images per GEMM chunk. */
static size_t chunk(const ln_conv2d_params *p) {
  size_t per = p->ic / p->groups * p->kh * p->kw * p->oh * p->ow;
  size_t b = COL_CAP / per;
  return b < 1 ? 1 : b > p->n ? p->n : b;
}

/* Output positions [*lo, *hi) of one axis whose tap k*d reads inside [0, len)
 * at stride s after padding pad. */
static void span(size_t out, size_t s, size_t kd, size_t pad, size_t len,
                 size_t *lo, size_t *hi) {
  *lo = kd >= pad ? 0 : (pad - kd + s - 1) / s;
  if (len + pad <= kd) { *lo = *hi = 0; return; }
  size_t h = (len - 1 + pad - kd) / s + 1;
  *hi = h < out ? h : out;
  if (*lo > *hi) *lo = *hi;
}

/* col (ICg*KH*KW, B*OH*OW) = the taps of images in[0..b) of one group.
 * Rows are (c, ky, kx), columns (image, y, x). */
static void im2col(float *restrict col, const float *restrict in, size_t b,
                   const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, hw = p->h * p->w, ohw = p->oh * p->ow, cols = b * ohw;
  for (size_t c = 0; c < icg; c++)
    for (size_t ky = 0; ky < p->kh; ky++) {
      size_t y0, y1;
      span(p->oh, p->sh, ky * p->dh, p->pt, p->h, &y0, &y1);
      for (size_t kx = 0; kx < p->kw; kx++) {
        size_t x0, x1;
        span(p->ow, p->sw, kx * p->dw, p->pl, p->w, &x0, &x1);
        float *row = col + ((c * p->kh + ky) * p->kw + kx) * cols;
        for (size_t i = 0; i < b; i++) {
          const float *src = in + (i * p->ic + c) * hw;
          float *dst = row + i * ohw;
          memset(dst, 0, y0 * p->ow * sizeof *dst);
          for (size_t y = y0; y < y1; y++) {
            float *d = dst + y * p->ow;
            memset(d, 0, x0 * sizeof *d);
            memset(d + x1, 0, (p->ow - x1) * sizeof *d);
            if (x0 == x1) continue;
            const float *s = src + (y * p->sh + ky * p->dh - p->pt) * p->w
                             + x0 * p->sw + kx * p->dw - p->pl;
            if (p->sw == 1) memcpy(d + x0, s, (x1 - x0) * sizeof *d);
            else for (size_t x = x0; x < x1; x++) d[x] = s[(x - x0) * p->sw];
          }
          memset(dst + y1 * p->ow, 0, (p->oh - y1) * p->ow * sizeof *dst);
        }
      }
    }
}

/* din[0..b) of one group += the columns of col, the adjoint of im2col. */
static void col2im(float *restrict din, const float *restrict col, size_t b,
                   const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, hw = p->h * p->w, ohw = p->oh * p->ow, cols = b * ohw;
  for (size_t c = 0; c < icg; c++)
    for (size_t ky = 0; ky < p->kh; ky++) {
      size_t y0, y1;
      span(p->oh, p->sh, ky * p->dh, p->pt, p->h, &y0, &y1);
      for (size_t kx = 0; kx < p->kw; kx++) {
        size_t x0, x1;
        span(p->ow, p->sw, kx * p->dw, p->pl, p->w, &x0, &x1);
        const float *row = col + ((c * p->kh + ky) * p->kw + kx) * cols;
        for (size_t i = 0; i < b && x0 < x1; i++)
          for (size_t y = y0; y < y1; y++) {
            const float *s = row + i * ohw + y * p->ow;
            float *d = din + (i * p->ic + c) * hw + (y * p->sh + ky * p->dh - p->pt) * p->w
                       + x0 * p->sw + kx * p->dw - p->pl;
            if (p->sw == 1)
              for (size_t x = x0; x < x1; x++) d[x - x0] += s[x];
            else
              for (size_t x = x0; x < x1; x++) d[(x - x0) * p->sw] += s[x];
          }
      }
    }
}

static void forward_gemm(float *out, const float *in, const float *weight, const float *bias,
                         float *ws, const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kg = icg * p->kh * p->kw;
  size_t ohw = p->oh * p->ow, bmax = chunk(p);
  float *col = ws, *tmp = ws + kg * bmax * ohw;
  for (size_t n = 0; n < p->n; n += bmax) {
    size_t b = p->n - n < bmax ? p->n - n : bmax, cols = b * ohw;
    for (size_t g = 0; g < p->groups; g++) {
      im2col(col, in + (n * p->ic + g * icg) * p->h * p->w, b, p);
      const float *wg = weight + g * ocg * kg;
      if (b == 1) {
        ln_gemm(0, 0, ocg, ohw, kg, 1.0f, wg, kg, col, ohw, 0.0f,
                out + (n * p->oc + g * ocg) * ohw, ohw);
      } else {
        ln_gemm(0, 0, ocg, cols, kg, 1.0f, wg, kg, col, cols, 0.0f, tmp + g * ocg * cols,
                cols);
      }
    }
    if (b > 1)  /* (OC, B, OH*OW) -> (B, OC, OH*OW) */
      for (size_t i = 0; i < b; i++)
        for (size_t o = 0; o < p->oc; o++)
          memcpy(out + ((n + i) * p->oc + o) * ohw, tmp + (o * b + i) * ohw,
                 ohw * sizeof *out);
    if (p->bias)
      for (size_t i = 0; i < b; i++)
        for (size_t o = 0; o < p->oc; o++) {
          float *d = out + ((n + i) * p->oc + o) * ohw, bo = bias[o];
          for (size_t j = 0; j < ohw; j++) d[j] += bo;
        }
  }
}

static void bias_grad(float *dbias, const float *dout, const ln_conv2d_params *p) {
  size_t ohw = p->oh * p->ow;
  for (size_t o = 0; o < p->oc; o++) {
    float s = 0;
    for (size_t n = 0; n < p->n; n++) {
      const float *d = dout + (n * p->oc + o) * ohw;
      float t = 0;
#pragma omp simd reduction(+:t)
      for (size_t j = 0; j < ohw; j++) t += d[j];
      s += t;
    }
    dbias[o] += s;
  }
}

static void backward_gemm(float *dinp, float *dweight, const float *dout, const float *in,
                          const float *weight, float *ws, const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kg = icg * p->kh * p->kw;
  size_t ohw = p->oh * p->ow, hw = p->h * p->w, bmax = chunk(p);
  float *col = ws, *tmp = ws + kg * bmax * ohw;
  if (dinp) memset(dinp, 0, p->n * p->ic * hw * sizeof *dinp);
  for (size_t n = 0; n < p->n; n += bmax) {
    size_t b = p->n - n < bmax ? p->n - n : bmax, cols = b * ohw;
    const float *d = dout + n * p->oc * ohw;
    if (b > 1) {  /* (B, OC, OH*OW) -> (OC, B, OH*OW) */
      for (size_t i = 0; i < b; i++)
        for (size_t o = 0; o < p->oc; o++)
          memcpy(tmp + (o * b + i) * ohw, d + (i * p->oc + o) * ohw, ohw * sizeof *tmp);
      d = tmp;
    }
    for (size_t g = 0; g < p->groups; g++) {
      const float *dg = d + g * ocg * cols;
      im2col(col, in + (n * p->ic + g * icg) * hw, b, p);
      ln_gemm(0, 1, ocg, kg, cols, 1.0f, dg, cols, col, cols, 1.0f, dweight + g * ocg * kg, kg);
      if (!dinp) continue;
      ln_gemm(1, 0, kg, cols, ocg, 1.0f, weight + g * ocg * kg, kg, dg, cols, 0.0f, col, cols);
      col2im(dinp + (n * p->ic + g * icg) * hw, col, b, p);
    }
  }
}

/* The direct kernel works on zero-padded planes (HP = H+pt+pb, WP = W+pl+pr)
 * of PS floats each: the padded plane plus (KW-1)*DW floats of slack. With
 * stride 1, output element (y, x) sits at y*WP + x of a "wide" output plane
 * of OH rows of WP, and tap (ky, kx) reads the padded plane at that index
 * plus ky*DH*WP + kx*DW: every tap is one flat loop over OH*WP elements
 * (the columns past OW are junk, dropped at the end; the slack keeps the
 * last row's junk reads inside the buffer). Other strides take rows. */
typedef struct direct_dims {
  size_t hp, wp, ps, wide;  /* wide: OH*WP floats of a wide output plane */
} direct_dims;

static direct_dims dims(const ln_conv2d_params *p) {
  direct_dims d;
  d.hp = p->h + p->pt + p->pb;
  d.wp = p->w + p->pl + p->pr;
  d.ps = d.hp * d.wp + (p->kw - 1) * p->dw;
  d.wide = p->oh * d.wp;
  return d;
}

/* pad (ICg, PS) = the group's input planes inside zeros. */
static void pad_planes(float *restrict pad, const float *restrict in, size_t icg,
                       const ln_conv2d_params *p, const direct_dims *d) {
  for (size_t c = 0; c < icg; c++) {
    float *dst = pad + c * d->ps;
    memset(dst, 0, d->ps * sizeof *dst);
    for (size_t y = 0; y < p->h; y++)
      memcpy(dst + (p->pt + y) * d->wp + p->pl, in + (c * p->h + y) * p->w,
             p->w * sizeof *dst);
  }
}

/* Taps handled per sweep of a wide plane: their weights and offsets sit on
 * the stack while the sums of 32 outputs stay in registers. */
#define TAPS 64

/* Eight floats, a GCC/Clang vector: the accumulators of the direct kernel
 * must live in registers, which no form of plain loop got GCC 12 to do.
 * Products are not fused (ISO C's -ffp-contract=off), as in the GEMM-free
 * rest of the core. */
typedef float v8 __attribute__((vector_size(32)));
static inline v8 ld(const float *p) { v8 v; memcpy(&v, p, sizeof v); return v; }
static inline void st(float *p, v8 v) { memcpy(p, &v, sizeof v); }

/* dst[j] = (first ? b0 : dst[j]) + sum over t < m of wv[t] src[off[t] + j],
 * j < len: 32 outputs at a time in four vector registers. */
static void sweep(float *restrict dst, size_t len, const float *restrict src,
                  const size_t *off, const float *wv, size_t m, int first, float b0) {
  size_t j = 0;
  for (; j + 32 <= len; j += 32) {
    v8 a0, a1, a2, a3;
    if (first) a0 = a1 = a2 = a3 = (v8){0} + b0;
    else a0 = ld(dst + j), a1 = ld(dst + j + 8), a2 = ld(dst + j + 16), a3 = ld(dst + j + 24);
    for (size_t t = 0; t < m; t++) {
      const float *s = src + off[t] + j;
      v8 w = (v8){0} + wv[t];
      a0 += w * ld(s), a1 += w * ld(s + 8), a2 += w * ld(s + 16), a3 += w * ld(s + 24);
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
    s0 += ld(a + j) * ld(b + j), s1 += ld(a + j + 8) * ld(b + j + 8);
    s2 += ld(a + j + 16) * ld(b + j + 16), s3 += ld(a + j + 24) * ld(b + j + 24);
  }
  v8 v = (s0 + s1) + (s2 + s3);
  float r = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
  for (; j < len; j++) r += a[j] * b[j];
  return r;
}

/* The offset of tap k (0..KH*KW) inside a padded plane. */
static size_t tap_off(size_t k, const ln_conv2d_params *p, const direct_dims *d) {
  return k / p->kw * p->dh * d->wp + k % p->kw * p->dw;
}

/* wide (OH*WP) = b0 + the taps of weights wo (ICg,KH,KW) over pad; stride 1. */
static void wide_forward(float *restrict wide, const float *restrict pad,
                         const float *restrict wo, float b0, size_t icg,
                         const ln_conv2d_params *p, const direct_dims *d) {
  size_t kk = p->kh * p->kw, ntap = icg * kk, off[TAPS];
  float wv[TAPS];
  for (size_t t0 = 0; t0 < ntap; t0 += TAPS) {
    size_t m = ntap - t0 < TAPS ? ntap - t0 : TAPS;
    for (size_t t = 0; t < m; t++) {
      off[t] = (t0 + t) / kk * d->ps + tap_off((t0 + t) % kk, p, d);
      wv[t] = wo[t0 + t];
    }
    sweep(wide, d->wide, pad, off, wv, m, t0 == 0, b0);
  }
}

/* dst (OH,OW) = b0 + the taps over pad, any stride, row by row. */
static void rows_forward(float *restrict dst, const float *restrict pad,
                         const float *restrict wo, float b0, size_t icg,
                         const ln_conv2d_params *p, const direct_dims *d) {
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

static int flat(const ln_conv2d_params *p) { return p->sh == 1 && p->sw == 1; }

static void forward_direct(float *out, const float *in, const float *weight,
                           const float *bias, float *ws, const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, ohw = p->oh * p->ow;
  direct_dims d = dims(p);
  float *pad = ws, *wide = ws + icg * d.ps;
  for (size_t n = 0; n < p->n; n++)
    for (size_t g = 0; g < p->groups; g++) {
      pad_planes(pad, in + (n * p->ic + g * icg) * p->h * p->w, icg, p, &d);
      for (size_t o = g * ocg; o < (g + 1) * ocg; o++) {
        float *dst = out + (n * p->oc + o) * ohw, b0 = p->bias ? bias[o] : 0.0f;
        const float *wo = weight + o * icg * p->kh * p->kw;
        if (!flat(p)) {
          rows_forward(dst, pad, wo, b0, icg, p, &d);
          continue;
        }
        wide_forward(wide, pad, wo, b0, icg, p, &d);
        for (size_t y = 0; y < p->oh; y++)
          memcpy(dst + y * p->ow, wide + y * d.wp, p->ow * sizeof *dst);
      }
    }
}

/* Floats of zeros around a wide gradient plane: the largest tap offset. */
static size_t margin(const ln_conv2d_params *p, const direct_dims *d) {
  return tap_off(p->kh * p->kw - 1, p, d);
}

/* Stride 1. Each output gradient plane is laid wide, inside `margin` zeros
 * on both sides (E, OCg planes of ES floats), so both gradients are sweeps:
 * the padded input gradient of channel c gathers the taps of every output of
 * the group at negated offsets (a read before the plane or in a junk column
 * finds a zero), and each weight gradient is a dot product over the wide
 * plane. */
static void backward_wide(float *dinp, float *dweight, const float *dout, const float *in,
                          const float *weight, float *ws, const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  direct_dims d = dims(p);
  size_t m0 = margin(p, &d), es = d.wide + 2 * m0, off[TAPS];
  float *pad = ws, *e = pad + icg * d.ps, *dpl = e + ocg * es, wv[TAPS];
  memset(e, 0, ocg * es * sizeof *e);  /* margins and junk columns stay 0 */
  for (size_t n = 0; n < p->n; n++)
    for (size_t g = 0; g < p->groups; g++) {
      pad_planes(pad, in + (n * p->ic + g * icg) * p->h * p->w, icg, p, &d);
      for (size_t o = 0; o < ocg; o++)
        for (size_t y = 0; y < p->oh; y++)
          memcpy(e + o * es + m0 + y * d.wp,
                 dout + ((n * p->oc + g * ocg + o) * p->oh + y) * p->ow,
                 p->ow * sizeof *e);
      for (size_t o = 0; o < ocg; o++)
        for (size_t c = 0; c < icg; c++)
          for (size_t k = 0; k < kk; k++)
            dweight[((g * ocg + o) * icg + c) * kk + k] +=
              dot(e + o * es + m0, pad + c * d.ps + tap_off(k, p, &d), d.wide);
      if (!dinp) continue;
      for (size_t c = 0; c < icg; c++) {
        for (size_t t0 = 0; t0 < ocg * kk; t0 += TAPS) {
          size_t m = ocg * kk - t0 < TAPS ? ocg * kk - t0 : TAPS;
          for (size_t t = 0; t < m; t++) {
            size_t o = (t0 + t) / kk, k = (t0 + t) % kk;
            off[t] = o * es + m0 - tap_off(k, p, &d);
            wv[t] = weight[((g * ocg + o) * icg + c) * kk + k];
          }
          sweep(dpl, d.hp * d.wp, e, off, wv, m, t0 == 0, 0.0f);
        }
        for (size_t y = 0; y < p->h; y++)
          memcpy(dinp + ((n * p->ic + g * icg + c) * p->h + y) * p->w,
                 dpl + (p->pt + y) * d.wp + p->pl, p->w * sizeof *dinp);
      }
    }
}

/* Any stride, row by row: a scatter into padded input gradient planes. */
static void backward_rows(float *dinp, float *dweight, const float *dout, const float *in,
                          const float *weight, float *ws, const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  size_t ohw = p->oh * p->ow;
  direct_dims d = dims(p);
  float *pad = ws, *dpad = ws + icg * d.ps;
  for (size_t n = 0; n < p->n; n++)
    for (size_t g = 0; g < p->groups; g++) {
      pad_planes(pad, in + (n * p->ic + g * icg) * p->h * p->w, icg, p, &d);
      if (dinp) memset(dpad, 0, icg * d.ps * sizeof *dpad);
      for (size_t o = g * ocg; o < (g + 1) * ocg; o++)
        for (size_t c = 0; c < icg; c++)
          for (size_t k = 0; k < kk; k++) {
            size_t wi = (o * icg + c) * kk + k, at = c * d.ps + tap_off(k, p, &d);
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
      if (!dinp) continue;
      for (size_t c = 0; c < icg; c++)
        for (size_t y = 0; y < p->h; y++)
          memcpy(dinp + ((n * p->ic + g * icg + c) * p->h + y) * p->w,
                 dpad + c * d.ps + (p->pt + y) * d.wp + p->pl, p->w * sizeof *dinp);
    }
}

size_t ln_conv2d_workspace(const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups;
  if (!use_gemm(p)) {
    direct_dims d = dims(p);
    if (!flat(p)) return 2 * icg * d.ps;  /* padded input and its gradient */
    /* padded input, then a wide output plane (forward) or the wide gradient
     * planes and one input gradient plane (backward) */
    size_t fwd = d.wide, bwd = ocg * (d.wide + 2 * margin(p, &d)) + d.hp * d.wp;
    return icg * d.ps + (fwd > bwd ? fwd : bwd);
  }
  size_t b = chunk(p), cols = b * p->oh * p->ow;
  return icg * p->kh * p->kw * cols + (b > 1 ? p->oc * cols : 0);
}

void ln_conv2d_forward(float *out, const float *in, const float *weight, const float *bias,
                       float *ws, const ln_conv2d_params *p) {
  if (use_gemm(p)) forward_gemm(out, in, weight, bias, ws, p);
  else forward_direct(out, in, weight, bias, ws, p);
}

void ln_conv2d_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *in, const float *weight, float *ws,
                        const ln_conv2d_params *p) {
  if (p->bias) bias_grad(dbias, dout, p);
  if (use_gemm(p)) backward_gemm(dinp, dweight, dout, in, weight, ws, p);
  else if (flat(p)) backward_wide(dinp, dweight, dout, in, weight, ws, p);
  else backward_rows(dinp, dweight, dout, in, weight, ws, p);
}
