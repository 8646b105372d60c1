/* conv_tile.c: the register-tiled direct convolution, for groups of many
 * outputs: a tile of TP output pixels times 16 output channels is summed in
 * 12 vector registers over every input channel and tap, each step one
 * broadcast input value per pixel times two vectors of 16 packed weights.
 * Nothing is unfolded (unlike im2col + GEMM, whose copies cost about a fifth
 * of a 14x14 layer's time), and each sum is stored once, complete.
 *
 * The same kernel computes the input gradient of a stride-1 convolution:
 * the output gradient planes are laid wide inside margins of zeros (as the
 * direct kernel's backward, conv_direct.c), and the input gradient at a
 * padded position gathers every output channel's taps at negated offsets.
 * The weight gradient stays a GEMM (conv_gemm.c). */
#include <string.h>

#include "conv_impl.h"

#define TP 6   /* pixels per tile: 12 accumulators, 2 weights, 1 broadcast */
#define TC 16  /* channels per tile: two vectors */
#define KK_MAX 49  /* taps per channel handled (7x7); larger kernels use the GEMM */

typedef ln_v8 v8;
#define ld ln_v8_load

/* A pass of the kernel: channels of src nchan planes `cs` floats apart, taps
 * at koff[0..kk) inside a plane; weights packed (nchan, kk, TC); output
 * pixel q (0..npix) reads src at pin(q) and is written at dst[pout(q)],
 * channel l (< nout) at dst + l*ds, plus bias[l] when bias. */
typedef struct tile_pass {
  const float *src, *wpk, *bias;
  size_t cs, nchan, kk, koff[KK_MAX];
  float *dst;
  size_t ds, nout, npix;
  /* pixel q is (q / qw, q % qw); it reads src at in0 + y*iy + x*ix */
  size_t qw, in0, iy, ix;
  size_t out0, oy;  /* and is written at out0 + y*oy + x */
} tile_pass;

static void run_pass(const tile_pass *t) {
  for (size_t q0 = 0; q0 < t->npix; q0 += TP) {
    size_t nq = t->npix - q0 < TP ? t->npix - q0 : TP, base[TP], outi[TP];
    for (size_t q = 0; q < TP; q++) {
      size_t pq = q0 + (q < nq ? q : nq - 1), y = pq / t->qw, x = pq % t->qw;
      base[q] = t->in0 + y * t->iy + x * t->ix;
      outi[q] = t->out0 + y * t->oy + x;
    }
    v8 a0[TP], a1[TP];
    for (size_t q = 0; q < TP; q++) a0[q] = a1[q] = (v8){0};
    const float *w = t->wpk;
    for (size_t c = 0; c < t->nchan; c++) {
      const float *sc = t->src + c * t->cs;
      for (size_t k = 0; k < t->kk; k++, w += TC) {
        const float *s = sc + t->koff[k];
        v8 w0 = ld(w), w1 = ld(w + 8);
        for (size_t q = 0; q < TP; q++) {
          v8 v = ln_v8_splat(s[base[q]]);
          a0[q] = ln_v8_fma(v, w0, a0[q]);
          a1[q] = ln_v8_fma(v, w1, a1[q]);
        }
      }
    }
    for (size_t q = 0; q < nq; q++)
      for (size_t l = 0; l < t->nout; l++)
        t->dst[l * t->ds + outi[q]] = (l < 8 ? a0[q][l] : a1[q][l - 8]) +
                                      (t->bias ? t->bias[l] : 0.0f);
  }
}

int ln_conv_tile_suits(const ln_conv2d_params *p) {
  return p->oc / p->groups >= TC && p->kh * p->kw > 1 && p->kh * p->kw <= KK_MAX;
}

int ln_conv_tile_suits_dinp(const ln_conv2d_params *p) {
  return p->ic / p->groups >= TC && p->sh == 1 && p->sw == 1 && p->kh * p->kw <= KK_MAX;
}

static size_t blocks(size_t n) { return (n + TC - 1) / TC; }

/* wpk (blocks(nl), nch, kk, TC) = w[l*ls + c*cs + k] for lane l < nl of each
 * block of TC lanes, zeros past nl. */
static void pack(float *restrict wpk, const float *restrict w, size_t nl, size_t ls,
                 size_t nch, size_t cs, size_t kk) {
  for (size_t b = 0; b < blocks(nl); b++)
    for (size_t c = 0; c < nch; c++)
      for (size_t k = 0; k < kk; k++)
        for (size_t l = 0; l < TC; l++) {
          size_t lane = b * TC + l;
          wpk[((b * nch + c) * kk + k) * TC + l] = lane < nl ? w[lane * ls + c * cs + k] : 0.0f;
        }
}

size_t ln_conv_tile_workspace(const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  ln_conv_dims d = ln_conv_dims_of(p);
  size_t es = d.wide + 2 * ln_conv_tap_off(kk - 1, p, &d);
  size_t fwd = icg * d.ps + blocks(ocg) * TC * icg * kk;
  size_t bwd = ocg * es + blocks(icg) * TC * ocg * kk;
  return fwd > bwd ? fwd : bwd;
}

void ln_conv_tile_forward(float *out, const float *in, const float *weight, const float *bias,
                          float *ws, const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  size_t ohw = p->oh * p->ow;
  ln_conv_dims d = ln_conv_dims_of(p);
  float *pad = ws, *wpk = ws + icg * d.ps;
  tile_pass t = {.cs = d.ps, .nchan = icg, .kk = kk, .npix = ohw, .ds = ohw, .qw = p->ow,
                 .iy = p->sh * d.wp, .ix = p->sw, .oy = p->ow, .src = pad};
  for (size_t k = 0; k < kk; k++) t.koff[k] = ln_conv_tap_off(k, p, &d);
  for (size_t g = 0; g < p->groups; g++) {
    /* weights of the group: (block of outputs, c, k, TC) */
    pack(wpk, weight + g * ocg * icg * kk, ocg, icg * kk, icg, kk, kk);
    for (size_t n = 0; n < p->n; n++) {
      ln_conv_pad_planes(pad, in + (n * p->ic + g * icg) * p->h * p->w, icg, p, &d);
      for (size_t b = 0; b < blocks(ocg); b++) {
        t.wpk = wpk + b * icg * kk * TC;
        t.bias = p->bias ? bias + g * ocg + b * TC : NULL;
        t.dst = out + (n * p->oc + g * ocg + b * TC) * ohw;
        t.nout = ocg - b * TC < TC ? ocg - b * TC : TC;
        run_pass(&t);
      }
    }
  }
}

void ln_conv_tile_dinp(float *dinp, const float *dout, const float *weight, float *ws,
                       const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  ln_conv_dims d = ln_conv_dims_of(p);
  size_t m0 = ln_conv_tap_off(kk - 1, p, &d), es = d.wide + 2 * m0, hw = p->h * p->w;
  float *e = ws, *wpk = ws + ocg * es;
  /* pixel (y, x) of the input is padded position (y+pt, x+pl): it gathers
   * output gradient (y+pt - ky dh, x+pl - kx dw): wide index (y+pt) WP +
   * x+pl - tap offset, after the margin m0 */
  tile_pass t = {.cs = es, .nchan = ocg, .kk = kk, .npix = hw, .ds = hw, .qw = p->w,
                 .in0 = p->pt * d.wp + p->pl, .iy = d.wp, .ix = 1, .oy = p->w, .src = e};
  for (size_t k = 0; k < kk; k++) t.koff[k] = m0 - ln_conv_tap_off(k, p, &d);
  memset(e, 0, ocg * es * sizeof *e);  /* margins and junk columns stay 0 */
  for (size_t g = 0; g < p->groups; g++) {
    /* weights of the group: (block of inputs, o, k, TC) */
    pack(wpk, weight + g * ocg * icg * kk, icg, kk, ocg, icg * kk, kk);
    for (size_t n = 0; n < p->n; n++) {
      for (size_t o = 0; o < ocg; o++)
        for (size_t y = 0; y < p->oh; y++)
          memcpy(e + o * es + m0 + y * d.wp,
                 dout + ((n * p->oc + g * ocg + o) * p->oh + y) * p->ow, p->ow * sizeof *e);
      for (size_t b = 0; b < blocks(icg); b++) {
        t.wpk = wpk + b * ocg * kk * TC;
        t.dst = dinp + (n * p->ic + g * icg + b * TC) * hw;
        t.nout = icg - b * TC < TC ? icg - b * TC : TC;
        run_pass(&t);
      }
    }
  }
}
