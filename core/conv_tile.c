/* conv_tile.c: the register-tiled direct convolution, for groups of many
 * channels. One kernel, run_pass, sums a tile of TP rows times TC = 16
 * lanes in 12 vector registers over a long reduction, each step one
 * broadcast source value per row times two vectors of 16 lanes:
 * - forward: rows are output pixels, lanes output channels, steps the input
 *   channels and taps (the vectors are packed weights);
 * - input gradient (stride 1): rows are input pixels, lanes input channels,
 *   steps the output channels and taps at negated offsets, over the output
 *   gradient laid wide inside margins of zeros (as in conv_direct.c);
 * - weight gradient: rows are taps, lanes output channels, steps the output
 *   pixels (the vectors are the output gradient, transposed).
 * Nothing is unfolded (im2col + GEMM copies cost about a fifth of a 14x14
 * layer's time) and each sum is stored once. */
#include "conv_impl.h"

#define TP 6   /* rows per tile: 12 accumulators, 2 vectors, 1 broadcast */
#define TC 16  /* lanes per tile: two vectors */

/* Offsets of a 3-level index (i0, i1, i2), i < n0 n1 n2 in that order:
 * i0 s[0] + i1 s[1] + i2 s[2]. */
typedef struct walk {
  size_t n[3];
  ptrdiff_t s[3];
} walk;

static ptrdiff_t walk_at(const walk *w, size_t i) {
  size_t i2 = i % w->n[2], r = i / w->n[2];
  return (ptrdiff_t)(r / w->n[1]) * w->s[0] + (ptrdiff_t)(r % w->n[1]) * w->s[1] +
         (ptrdiff_t)i2 * w->s[2];
}

/* For row q < nrows and lane l < nlanes: dst[l ds + at(out, q)] (+)= bias[l]
 * + sum over steps t of src[at(rows, q) + at(steps, t)] vec[t TC + l]. */
typedef struct tile_pass {
  const float *src, *vec, *bias;
  walk rows, steps, out;
  size_t nrows, nlanes;
  float *dst;
  ptrdiff_t ds;
  int add;
} tile_pass;

static void run_pass(const tile_pass *t) {
  for (size_t q0 = 0; q0 < t->nrows; q0 += TP) {
    size_t nq = t->nrows - q0 < TP ? t->nrows - q0 : TP;
    ptrdiff_t base[TP];
    for (size_t q = 0; q < TP; q++) base[q] = walk_at(&t->rows, q0 + (q < nq ? q : nq - 1));
    ln_v8 a0[TP], a1[TP];
    for (size_t q = 0; q < TP; q++) a0[q] = a1[q] = ln_v8_splat(0);
    const float *v = t->vec;
    for (size_t i0 = 0; i0 < t->steps.n[0]; i0++)
      for (size_t i1 = 0; i1 < t->steps.n[1]; i1++) {
        const float *s = t->src + (ptrdiff_t)i0 * t->steps.s[0] + (ptrdiff_t)i1 * t->steps.s[1];
        for (size_t i2 = 0; i2 < t->steps.n[2]; i2++, s += t->steps.s[2], v += TC) {
          ln_v8 w0 = ln_v8_load(v), w1 = ln_v8_load(v + 8);
          for (size_t q = 0; q < TP; q++) {
            ln_v8 x = ln_v8_splat(s[base[q]]);
            a0[q] = ln_v8_fma(x, w0, a0[q]);
            a1[q] = ln_v8_fma(x, w1, a1[q]);
          }
        }
      }
    for (size_t q = 0; q < nq; q++) {
      float *d = t->dst + walk_at(&t->out, q0 + q);
      for (size_t l = 0; l < t->nlanes; l++) {
        float r = (l < 8 ? a0[q][l] : a1[q][l - 8]) + (t->bias ? t->bias[l] : 0.0f);
        if (t->add) d[(ptrdiff_t)l * t->ds] += r;
        else d[(ptrdiff_t)l * t->ds] = r;
      }
    }
  }
}

int ln_conv_tile_suits(const ln_conv2d_params *p) {
  return p->oc / p->groups >= TC && p->kh * p->kw > 1;
}

int ln_conv_tile_suits_dinp(const ln_conv2d_params *p) {
  return p->ic / p->groups >= TC && p->sh == 1 && p->sw == 1;
}

static size_t blocks(size_t n) { return (n + TC - 1) / TC; }

/* The margin of zeros around a wide output gradient plane (largest tap
 * offset) and the plane's stride. */
static size_t margin(const ln_conv2d_params *p, const ln_conv_dims *d) {
  return ln_conv_tap_off(p->kh * p->kw - 1, p, d);
}

size_t ln_conv_tile_workspace(const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  ln_conv_dims d = ln_conv_dims_of(p);
  size_t fwd = icg * d.ps + blocks(ocg) * TC * icg * kk;
  size_t dw = icg * d.ps + p->oh * p->ow * TC;
  size_t din = ocg * (d.wide + 2 * margin(p, &d)) + blocks(icg) * TC * ocg * kk;
  size_t m = fwd > dw ? fwd : dw;
  return m > din ? m : din;
}

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

/* The taps of a padded plane as a walk: channels cs apart, then (ky, kx). */
static walk taps(size_t nch, size_t cs, int sign, const ln_conv2d_params *p,
                 const ln_conv_dims *d) {
  return (walk){{nch, p->kh, p->kw},
                {(ptrdiff_t)cs, sign * (ptrdiff_t)(p->dh * d->wp), sign * (ptrdiff_t)p->dw}};
}

void ln_conv_tile_forward(float *out, const float *in, const float *weight, const float *bias,
                          float *ws, const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  size_t ohw = p->oh * p->ow;
  ln_conv_dims d = ln_conv_dims_of(p);
  float *pad = ws, *wpk = ws + icg * d.ps;
  tile_pass t = {.src = pad, .nrows = ohw, .ds = (ptrdiff_t)ohw,
                 .rows = {{1, p->oh, p->ow}, {0, (ptrdiff_t)(p->sh * d.wp), (ptrdiff_t)p->sw}},
                 .steps = taps(icg, d.ps, 1, p, &d),
                 .out = {{1, p->oh, p->ow}, {0, (ptrdiff_t)p->ow, 1}}};
  for (size_t g = 0; g < p->groups; g++) {
    pack(wpk, weight + g * ocg * icg * kk, ocg, icg * kk, icg, kk, kk);
    for (size_t n = 0; n < p->n; n++) {
      ln_conv_pad_planes(pad, in + (n * p->ic + g * icg) * p->h * p->w, icg, p, &d);
      for (size_t b = 0; b < blocks(ocg); b++) {
        t.vec = wpk + b * icg * kk * TC;
        t.bias = p->bias ? bias + g * ocg + b * TC : NULL;
        t.dst = out + (n * p->oc + g * ocg + b * TC) * ohw;
        t.nlanes = ocg - b * TC < TC ? ocg - b * TC : TC;
        run_pass(&t);
      }
    }
  }
}

void ln_conv_tile_dweight(float *dweight, const float *dout, const float *in, float *ws,
                          const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  size_t ohw = p->oh * p->ow;
  ln_conv_dims d = ln_conv_dims_of(p);
  float *pad = ws, *tr = ws + icg * d.ps;
  tile_pass t = {.src = pad, .nrows = icg * kk, .ds = (ptrdiff_t)(icg * kk), .add = 1,
                 .vec = tr, .rows = taps(icg, d.ps, 1, p, &d),
                 .steps = {{1, p->oh, p->ow}, {0, (ptrdiff_t)(p->sh * d.wp), (ptrdiff_t)p->sw}},
                 .out = {{1, 1, icg * kk}, {0, 0, 1}}};
  for (size_t n = 0; n < p->n; n++)
    for (size_t g = 0; g < p->groups; g++) {
      ln_conv_pad_planes(pad, in + (n * p->ic + g * icg) * p->h * p->w, icg, p, &d);
      for (size_t b = 0; b < blocks(ocg); b++) {
        /* tr (OH*OW, TC) = the block's output gradient, pixel-major */
        t.nlanes = ocg - b * TC < TC ? ocg - b * TC : TC;
        const float *dd = dout + (n * p->oc + g * ocg + b * TC) * ohw;
        for (size_t j = 0; j < ohw; j++)
          for (size_t l = 0; l < TC; l++) tr[j * TC + l] = l < t.nlanes ? dd[l * ohw + j] : 0;
        t.dst = dweight + (g * ocg + b * TC) * icg * kk;
        run_pass(&t);
      }
    }
}

void ln_conv_tile_dinp(float *dinp, const float *dout, const float *weight, float *ws,
                       const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  ln_conv_dims d = ln_conv_dims_of(p);
  size_t m0 = margin(p, &d), es = d.wide + 2 * m0, hw = p->h * p->w;
  float *e = ws, *wpk = ws + ocg * es;
  /* Input pixel (y, x) is padded position (y+pt, x+pl); it gathers output
   * gradient (y+pt - ky dh, x+pl - kx dw): wide index (y+pt) WP + x+pl less
   * the tap's offset, after the margin m0. */
  tile_pass t = {.src = e + m0 + p->pt * d.wp + p->pl, .nrows = hw, .ds = (ptrdiff_t)hw,
                 .rows = {{1, p->h, p->w}, {0, (ptrdiff_t)d.wp, 1}},
                 .steps = taps(ocg, es, -1, p, &d),
                 .out = {{1, p->h, p->w}, {0, (ptrdiff_t)p->w, 1}}};
  memset(e, 0, ocg * es * sizeof *e);  /* margins and junk columns stay 0 */
  for (size_t g = 0; g < p->groups; g++) {
    pack(wpk, weight + g * ocg * icg * kk, icg, kk, ocg, icg * kk, kk);
    for (size_t n = 0; n < p->n; n++) {
      for (size_t o = 0; o < ocg; o++)
        for (size_t y = 0; y < p->oh; y++)
          memcpy(e + o * es + m0 + y * d.wp,
                 dout + ((n * p->oc + g * ocg + o) * p->oh + y) * p->ow, p->ow * sizeof *e);
      for (size_t b = 0; b < blocks(icg); b++) {
        t.vec = wpk + b * ocg * kk * TC;
        t.dst = dinp + (n * p->ic + g * icg + b * TC) * hw;
        t.nlanes = icg - b * TC < TC ? icg - b * TC : TC;
        run_pass(&t);
      }
    }
  }
}
