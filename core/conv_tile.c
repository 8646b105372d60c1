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

/* Floats of workspace: shared (packed weights) and per worker. */
static size_t fwd_shared(const ln_conv2d_params *p) {
  return blocks(p->oc / p->groups) * TC * (p->ic / p->groups) * p->kh * p->kw;
}
static size_t fwd_worker(const ln_conv2d_params *p, const ln_conv_dims *d) {
  return p->ic / p->groups * d->ps;
}
static size_t dw_worker(const ln_conv2d_params *p, const ln_conv_dims *d) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups;
  return icg * d->ps + p->oh * p->ow * TC + ocg * icg * p->kh * p->kw;
}
static size_t din_shared(const ln_conv2d_params *p) {
  return blocks(p->ic / p->groups) * TC * (p->oc / p->groups) * p->kh * p->kw;
}
static size_t din_worker(const ln_conv2d_params *p, const ln_conv_dims *d) {
  return p->oc / p->groups * (d->wide + 2 * margin(p, d));
}

size_t ln_conv_tile_workspace(const ln_conv2d_params *p) {
  ln_conv_dims d = ln_conv_dims_of(p);
  size_t w = p->workers ? p->workers : 1;
  size_t fwd = fwd_shared(p) + w * fwd_worker(p, &d), dw = w * dw_worker(p, &d);
  size_t din = din_shared(p) + w * din_worker(p, &d);
  size_t m = fwd > dw ? fwd : dw;
  return m > din ? m : din;
}

/* One group of one call, shared by its workers. */
typedef struct tile_job {
  const ln_conv2d_params *p;
  ln_conv_dims d;
  size_t g;
  const float *src, *bias;  /* the input (or output gradient) and bias */
  const float *grad;        /* the output gradient (weight gradient) */
  float *dst, *ws, *shared; /* the result, per-worker workspace, packed weights */
  size_t per;               /* per-worker floats */
  tile_pass t;              /* src, vec, dst filled per image and block */
} tile_job;

static void fwd_images(void *ctx, size_t lo, size_t hi, int w) {
  const tile_job *j = ctx;
  const ln_conv2d_params *p = j->p;
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  size_t ohw = p->oh * p->ow;
  float *pad = j->ws + (size_t)w * j->per;
  tile_pass t = j->t;
  t.src = pad;
  for (size_t n = lo; n < hi; n++) {
    ln_conv_pad_planes(pad, j->src + (n * p->ic + j->g * icg) * p->h * p->w, icg, p, &j->d);
    for (size_t b = 0; b < blocks(ocg); b++) {
      t.vec = j->shared + b * icg * kk * TC;
      t.bias = j->bias ? j->bias + j->g * ocg + b * TC : NULL;
      t.dst = j->dst + (n * p->oc + j->g * ocg + b * TC) * ohw;
      t.nlanes = ocg - b * TC < TC ? ocg - b * TC : TC;
      run_pass(&t);
    }
  }
}

void ln_conv_tile_forward(float *out, const float *in, const float *weight, const float *bias,
                          float *ws, const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  tile_job j = {.p = p, .d = ln_conv_dims_of(p), .src = in, .bias = p->bias ? bias : NULL,
                .dst = out, .shared = ws, .ws = ws + fwd_shared(p)};
  j.per = fwd_worker(p, &j.d);
  j.t = (tile_pass){.nrows = p->oh * p->ow, .ds = (ptrdiff_t)(p->oh * p->ow),
                    .rows = {{1, p->oh, p->ow},
                             {0, (ptrdiff_t)(p->sh * j.d.wp), (ptrdiff_t)p->sw}},
                    .steps = taps(icg, j.d.ps, 1, p, &j.d),
                    .out = {{1, p->oh, p->ow}, {0, (ptrdiff_t)p->ow, 1}}};
  for (j.g = 0; j.g < p->groups; j.g++) {
    pack(j.shared, weight + j.g * ocg * icg * kk, ocg, icg * kk, icg, kk, kk);
    ln_parallel(ln_conv_workers(p), p->n, fwd_images, &j);
  }
}

static void dw_images(void *ctx, size_t lo, size_t hi, int w) {
  const tile_job *j = ctx;
  const ln_conv2d_params *p = j->p;
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  size_t ohw = p->oh * p->ow;
  float *pad = j->ws + (size_t)w * j->per, *tr = pad + icg * j->d.ps, *part = tr + ohw * TC;
  tile_pass t = j->t;
  t.src = pad;
  t.vec = tr;
  memset(part, 0, ocg * icg * kk * sizeof *part);
  for (size_t n = lo; n < hi; n++) {
    ln_conv_pad_planes(pad, j->src + (n * p->ic + j->g * icg) * p->h * p->w, icg, p, &j->d);
    for (size_t b = 0; b < blocks(ocg); b++) {
      /* tr (OH*OW, TC) = the block's output gradient, pixel-major */
      t.nlanes = ocg - b * TC < TC ? ocg - b * TC : TC;
      const float *dd = j->grad + (n * p->oc + j->g * ocg + b * TC) * ohw;
      for (size_t q = 0; q < ohw; q++)
        for (size_t l = 0; l < TC; l++) tr[q * TC + l] = l < t.nlanes ? dd[l * ohw + q] : 0;
      t.dst = part + b * TC * icg * kk;
      run_pass(&t);
    }
  }
}

void ln_conv_tile_dweight(float *dweight, const float *dout, const float *in, float *ws,
                          const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  int workers = ln_conv_workers(p);
  tile_job j = {.p = p, .d = ln_conv_dims_of(p), .src = in, .grad = dout, .ws = ws};
  j.per = dw_worker(p, &j.d);
  j.t = (tile_pass){.nrows = icg * kk, .ds = (ptrdiff_t)(icg * kk), .add = 1,
                    .rows = taps(icg, j.d.ps, 1, p, &j.d),
                    .steps = {{1, p->oh, p->ow},
                              {0, (ptrdiff_t)(p->sh * j.d.wp), (ptrdiff_t)p->sw}},
                    .out = {{1, 1, icg * kk}, {0, 0, 1}}};
  if ((size_t)workers > p->n) workers = (int)p->n;
  for (j.g = 0; j.g < p->groups; j.g++) {
    ln_parallel_fixed(workers, p->n, dw_images, &j);
    /* the workers' partial sums, in worker order */
    size_t m = ocg * icg * kk, at = icg * j.d.ps + p->oh * p->ow * TC;
    float *dw = dweight + j.g * m;
    for (int w = 0; w < workers; w++) {
      const float *part = ws + (size_t)w * j.per + at;
      for (size_t i = 0; i < m; i++) dw[i] += part[i];
    }
  }
}

static void din_images(void *ctx, size_t lo, size_t hi, int w) {
  const tile_job *j = ctx;
  const ln_conv2d_params *p = j->p;
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  size_t m0 = margin(p, &j->d), es = j->d.wide + 2 * m0, hw = p->h * p->w;
  float *e = j->ws + (size_t)w * j->per;
  tile_pass t = j->t;
  /* Input pixel (y, x) is padded position (y+pt, x+pl); it gathers output
   * gradient (y+pt - ky dh, x+pl - kx dw): wide index (y+pt) WP + x+pl less
   * the tap's offset, after the margin m0. */
  t.src = e + m0 + p->pt * j->d.wp + p->pl;
  memset(e, 0, ocg * es * sizeof *e);  /* margins and junk columns stay 0 */
  for (size_t n = lo; n < hi; n++) {
    for (size_t o = 0; o < ocg; o++)
      for (size_t y = 0; y < p->oh; y++)
        memcpy(e + o * es + m0 + y * j->d.wp,
               j->src + ((n * p->oc + j->g * ocg + o) * p->oh + y) * p->ow, p->ow * sizeof *e);
    for (size_t b = 0; b < blocks(icg); b++) {
      t.vec = j->shared + b * ocg * kk * TC;
      t.dst = j->dst + (n * p->ic + j->g * icg + b * TC) * hw;
      t.nlanes = icg - b * TC < TC ? icg - b * TC : TC;
      run_pass(&t);
    }
  }
}

void ln_conv_tile_dinp(float *dinp, const float *dout, const float *weight, float *ws,
                       const ln_conv2d_params *p) {
  size_t icg = p->ic / p->groups, ocg = p->oc / p->groups, kk = p->kh * p->kw;
  tile_job j = {.p = p, .d = ln_conv_dims_of(p), .src = dout, .dst = dinp, .shared = ws,
                .ws = ws + din_shared(p)};
  j.per = din_worker(p, &j.d);
  size_t es = j.d.wide + 2 * margin(p, &j.d);
  j.t = (tile_pass){.nrows = p->h * p->w, .ds = (ptrdiff_t)(p->h * p->w),
                    .rows = {{1, p->h, p->w}, {0, (ptrdiff_t)j.d.wp, 1}},
                    .steps = taps(ocg, es, -1, p, &j.d),
                    .out = {{1, p->h, p->w}, {0, (ptrdiff_t)p->w, 1}}};
  for (j.g = 0; j.g < p->groups; j.g++) {
    pack(j.shared, weight + j.g * ocg * icg * kk, icg, kk, ocg, icg * kk, kk);
    ln_parallel(ln_conv_workers(p), p->n, din_images, &j);
  }
}
