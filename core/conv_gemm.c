/* conv_gemm.c: the convolution as im2col + sgemm, for groups of many
 * outputs and taps.
 *
 * A chunk of B images is unfolded into col (ICg*KH*KW, B*OH*OW), rows (c, ky,
 * kx), columns (image, y, x), so one GEMM per group covers B images: a large
 * N keeps OpenBLAS near its peak and lets its threads split the work. Each
 * image is first copied into zero-padded planes (conv_impl.h), so unfolding
 * is plain row copies with no bounds tests; col2im adds into the same planes
 * and their interior is the input gradient, set without a pass of zeros. */
#include <string.h>

#include "conv_impl.h"
#include "tensor.h"

/* Output channels per group and taps per output (ICg*KH*KW) from which a
 * GEMM beats the direct kernel: a thin GEMM spends its time packing. */
#define GEMM_MIN_OCG 8
#define GEMM_MIN_K 16
/* Largest col chunk in floats (4 MiB): more images per GEMM only while the
 * unfolded chunk stays in the shared L3 cache. */
#define COL_CAP ((size_t)1 << 20)

int ln_conv_gemm_suits(const ln_conv2d_params *p) {
  return p->oc / p->groups >= GEMM_MIN_OCG && p->ic / p->groups * p->kh * p->kw >= GEMM_MIN_K;
}

/* A 1x1 kernel of stride 1 without padding: im2col is the identity, so the
 * GEMMs read the input and write the input gradient in place, an image at
 * a time, and nothing is copied. */
static int pointwise(const ln_conv2d_params *p) {
  return p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1 && !p->pt && !p->pb && !p->pl &&
         !p->pr;
}

/* Images per chunk. */
static size_t chunk(const ln_conv2d_params *p) {
  if (pointwise(p)) return 1;
  size_t per = p->ic / p->groups * p->kh * p->kw * p->oh * p->ow;
  size_t b = COL_CAP / per;
  return b < 1 ? 1 : b > p->n ? p->n : b;
}

/* col, then (OC, B*OH*OW) for the GEMM's result or the reordered gradient
 * when B > 1, then the padded planes of one image. */
size_t ln_conv_gemm_workspace(const ln_conv2d_params *p) {
  size_t b = chunk(p), cols = b * p->oh * p->ow, icg = p->ic / p->groups;
  ln_conv_dims d = ln_conv_dims_of(p);
  if (pointwise(p)) return 0;
  return icg * p->kh * p->kw * cols + (b > 1 ? p->oc * cols : 0) + icg * d.ps;
}

/* One image's columns of col (row stride cols) = the taps of padded planes. */
static void im2col(float *restrict col, size_t cols, const float *restrict pad,
                   const ln_conv2d_params *p, const ln_conv_dims *d) {
  size_t icg = p->ic / p->groups, kk = p->kh * p->kw;
  for (size_t c = 0; c < icg; c++)
    for (size_t k = 0; k < kk; k++) {
      const float *src = pad + c * d->ps + ln_conv_tap_off(k, p, d);
      float *row = col + (c * kk + k) * cols;
      for (size_t y = 0; y < p->oh; y++) {
        const float *restrict s = src + y * p->sh * d->wp;
        float *restrict r = row + y * p->ow;
        if (p->sw == 1)
          for (size_t x = 0; x < p->ow; x++) r[x] = s[x];
        else
          for (size_t x = 0; x < p->ow; x++) r[x] = s[x * p->sw];
      }
    }
}

/* dpad (ICg, PS) = the adjoint of im2col of one image's columns. */
static void col2im(float *restrict dpad, const float *restrict col, size_t cols,
                   const ln_conv2d_params *p, const ln_conv_dims *d) {
  size_t icg = p->ic / p->groups, kk = p->kh * p->kw;
  memset(dpad, 0, icg * d->ps * sizeof *dpad);
  for (size_t c = 0; c < icg; c++)
    for (size_t k = 0; k < kk; k++) {
      float *dst = dpad + c * d->ps + ln_conv_tap_off(k, p, d);
      const float *row = col + (c * kk + k) * cols;
      for (size_t y = 0; y < p->oh; y++) {
        float *restrict s = dst + y * p->sh * d->wp;
        const float *restrict r = row + y * p->ow;
        if (p->sw == 1)
          for (size_t x = 0; x < p->ow; x++) s[x] += r[x];
        else
          for (size_t x = 0; x < p->ow; x++) s[x * p->sw] += r[x];
      }
    }
}

/* The columns of images in[0..b) of group g: unfolded into col, or the
 * input itself when pointwise. */
static const float *unfold(float *col, float *pad, const float *in, size_t b, size_t g,
                           const ln_conv2d_params *p, const ln_conv_dims *d) {
  size_t icg = p->ic / p->groups, ohw = p->oh * p->ow, hw = p->h * p->w;
  if (pointwise(p)) return in + g * icg * hw;
  for (size_t i = 0; i < b; i++) {
    ln_conv_pad_planes(pad, in + (i * p->ic + g * icg) * hw, icg, p, d);
    im2col(col + i * ohw, b * ohw, pad, p, d);
  }
  return col;
}

void ln_conv_gemm_forward(float *out, const float *in, const float *weight,
                          const float *bias, float *ws, const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kg = icg * p->kh * p->kw;
  size_t ohw = p->oh * p->ow, bmax = chunk(p);
  ln_conv_dims d = ln_conv_dims_of(p);
  float *col = ws, *tmp = col + kg * bmax * ohw, *pad = tmp + (bmax > 1 ? p->oc * bmax * ohw : 0);
  for (size_t n = 0; n < p->n; n += bmax) {
    size_t b = p->n - n < bmax ? p->n - n : bmax, cols = b * ohw;
    /* With one image the GEMM writes the output itself, else (OC, B*OH*OW). */
    float *dst = b == 1 ? out + n * p->oc * ohw : tmp;
    for (size_t g = 0; g < p->groups; g++) {
      const float *c = unfold(col, pad, in + n * p->ic * p->h * p->w, b, g, p, &d);
      ln_gemm(0, 0, ocg, cols, kg, 1.0f, weight + g * ocg * kg, kg, c, cols, 0.0f,
              dst + g * ocg * cols, cols);
    }
    for (size_t i = 0; i < b; i++)  /* (OC, B, OH*OW) -> (B, OC, OH*OW), plus bias */
      for (size_t o = 0; o < p->oc; o++) {
        float *restrict r = out + ((n + i) * p->oc + o) * ohw, bo = p->bias ? bias[o] : 0.0f;
        const float *restrict s = dst + (o * b + i) * ohw;
        if (b == 1) {
          if (p->bias)
            for (size_t j = 0; j < ohw; j++) r[j] += bo;
        } else {
          for (size_t j = 0; j < ohw; j++) r[j] = s[j] + bo;
        }
      }
  }
}

void ln_conv_gemm_backward(float *dinp, float *dweight, const float *dout, const float *in,
                           const float *weight, float *ws, const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kg = icg * p->kh * p->kw;
  size_t ohw = p->oh * p->ow, hw = p->h * p->w, bmax = chunk(p);
  ln_conv_dims d = ln_conv_dims_of(p);
  float *col = ws, *tmp = col + kg * bmax * ohw, *pad = tmp + (bmax > 1 ? p->oc * bmax * ohw : 0);
  for (size_t n = 0; n < p->n; n += bmax) {
    size_t b = p->n - n < bmax ? p->n - n : bmax, cols = b * ohw;
    const float *dd = dout + n * p->oc * ohw;
    if (b > 1) {  /* (B, OC, OH*OW) -> (OC, B, OH*OW) */
      for (size_t i = 0; i < b; i++)
        for (size_t o = 0; o < p->oc; o++)
          memcpy(tmp + (o * b + i) * ohw, dd + (i * p->oc + o) * ohw, ohw * sizeof *tmp);
      dd = tmp;
    }
    for (size_t g = 0; g < p->groups; g++) {
      const float *dg = dd + g * ocg * cols;
      const float *c = unfold(col, pad, in + n * p->ic * hw, b, g, p, &d);
      ln_gemm(0, 1, ocg, kg, cols, 1.0f, dg, cols, c, cols, 1.0f, dweight + g * ocg * kg, kg);
      if (!dinp) continue;
      float *dc = pointwise(p) ? dinp + (n * p->ic + g * icg) * hw : col;
      ln_gemm(1, 0, kg, cols, ocg, 1.0f, weight + g * ocg * kg, kg, dg, cols, 0.0f, dc, cols);
      for (size_t i = 0; i < b && !pointwise(p); i++) {
        col2im(pad, col + i * ohw, cols, p, &d);
        ln_conv_unpad_planes(dinp + ((n + i) * p->ic + g * icg) * hw, pad, icg, p, &d);
      }
    }
  }
}
