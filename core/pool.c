/* pool.c: max, average and adaptive average pooling (see pool.h).
 *
 * The window bounds follow PyTorch's CPU kernels (aten's cpu_max_pool,
 * cpu_avg_pool, adaptive_avg_pool2d) statement by statement, so edge and
 * ceil_mode windows, divisors, ties and NaN come out the same. Each output
 * row's windows share their row range; the columns of a window are a short
 * contiguous (dilation 1) loop. */
#include "pool.h"

#include <math.h>
#include <string.h>
#include "par.h"
#include "tensor.h"
#include "v8.h"

/* PyTorch's pooling_output_shape: floor or ceil division, and in ceil_mode
 * no window may start in the right padding. */
static int out_size(const char *who, const char *axis, size_t in, size_t k, size_t pad,
                    size_t s, size_t d, int ceil_mode, size_t *out) {
  /* All terms are far below 2^62 after the checks of setup. */
  long long num = (long long)in + 2 * (long long)pad - (long long)d * ((long long)k - 1) - 1
                  + (ceil_mode ? (long long)s - 1 : 0);
  long long o = (num >= 0 ? num / (long long)s : -((-num + (long long)s - 1) / (long long)s))
                + 1;
  if (ceil_mode && o >= 1 && (o - 1) * (long long)s >= (long long)(in + pad)) o--;
  if (o < 1)
    return ln_fail("%s: the %s of the input (%zu) is too small for a window of %zu (dilation "
                   "%zu, padding %zu): no output", who, axis, in, k, d, pad);
  *out = (size_t)o;
  return LN_OK;
}

static int check_input(const char *who, const ln_pool2d_params *p) {
  if (!p->n || !p->c || !p->h || !p->w)
    return ln_fail("%s: sizes must be positive (input %zux%zux%zux%zu)", who, p->n, p->c,
                   p->h, p->w);
  size_t nc, hw, n;
  if (ln_mul_size(p->n, p->c, &nc) || ln_mul_size(p->h, p->w, &hw) ||
      ln_mul_size(nc, hw, &n) || n > LN_MAXNUMEL)
    return ln_fail("%s: the input (%zux%zux%zux%zu) is too large", who, p->n, p->c, p->h,
                   p->w);
  return LN_OK;
}

static int setup(const char *who, ln_pool2d_params *p) {
  if (check_input(who, p)) return LN_ERR;
  if (!p->kh || !p->kw) return ln_fail("%s: kernel size must be positive", who);
  if (!p->sh || !p->sw) return ln_fail("%s: stride must be positive", who);
  if (!p->dh || !p->dw) return ln_fail("%s: dilation must be positive", who);
  if (p->kh > LN_MAXNUMEL || p->kw > LN_MAXNUMEL || p->sh > LN_MAXNUMEL ||
      p->sw > LN_MAXNUMEL || p->dh > LN_MAXNUMEL || p->dw > LN_MAXNUMEL)
    return ln_fail("%s: kernel, stride or dilation too large", who);
  if (p->ph > p->kh / 2 || p->pw > p->kw / 2)
    return ln_fail("%s: padding (%zu, %zu) must be at most half the kernel (%zu, %zu)", who,
                   p->ph, p->pw, p->kh, p->kw);
  if (out_size(who, "height", p->h, p->kh, p->ph, p->sh, p->dh, p->ceil_mode, &p->oh) ||
      out_size(who, "width", p->w, p->kw, p->pw, p->sw, p->dw, p->ceil_mode, &p->ow))
    return LN_ERR;
  return LN_OK;
}

int ln_maxpool2d_setup(const char *who, ln_pool2d_params *p) { return setup(who, p); }

int ln_avgpool2d_setup(const char *who, ln_pool2d_params *p) {
  if (p->dh != 1 || p->dw != 1)
    return ln_fail("%s: average pooling has no dilation (got %zu, %zu)", who, p->dh, p->dw);
  return setup(who, p);
}

int ln_adaptive_avgpool2d_setup(const char *who, ln_pool2d_params *p) {
  if (check_input(who, p)) return LN_ERR;
  if (!p->oh || !p->ow || p->oh > LN_MAXNUMEL || p->ow > LN_MAXNUMEL)
    return ln_fail("%s: output size must be positive (got %zux%zu)", who, p->oh, p->ow);
  size_t nc = p->n * p->c, ohw, n;
  if (ln_mul_size(p->oh, p->ow, &ohw) || ln_mul_size(nc, ohw, &n) || n > LN_MAXNUMEL)
    return ln_fail("%s: the output (%zux%zux%zux%zu) is too large", who, p->n, p->c, p->oh,
                   p->ow);
  return LN_OK;
}

/* ---- max ---- */

/* The window of output o along an axis, as cpu_max_pool: [*lo, *hi) with the
 * start moved past the padding in steps of the dilation. */
static void max_range(size_t o, size_t s, size_t pad, size_t k, size_t d, size_t in,
                      ptrdiff_t *lo, ptrdiff_t *hi) {
  ptrdiff_t a = (ptrdiff_t)(o * s) - (ptrdiff_t)pad, b = a + (ptrdiff_t)((k - 1) * d + 1);
  if (b > (ptrdiff_t)in) b = (ptrdiff_t)in;
  while (a < 0) a += (ptrdiff_t)d;
  *lo = a;
  *hi = b;
}

/* Outputs per block of the interior loop. */
#define MAX_BLOCK 64

/* Output columns [*lo, *hi) whose windows lie inside the input's columns. */
static void interior(const ln_pool2d_params *p, size_t *lo, size_t *hi) {
  size_t span = (p->kw - 1) * p->dw + 1;
  *lo = (p->pw + p->sw - 1) / p->sw;
  *hi = p->w + p->pw >= span ? (p->w + p->pw - span) / p->sw + 1 : 0;
  if (*hi > p->ow) *hi = p->ow;
  if (*lo > *hi) *lo = *hi;
}

/* The window of output (oy, ox) of one plane, scanned as cpu_max_pool:
 * rows then columns, a later value taken when greater or NaN. Branch-free:
 * on random data the comparison is a coin toss. */
static void max_window(float *dst, int32_t *di, const float *src, size_t ox, ptrdiff_t y0,
                       ptrdiff_t y1, const ln_pool2d_params *p) {
  ptrdiff_t x0, x1;
  max_range(ox, p->sw, p->pw, p->kw, p->dw, p->w, &x0, &x1);
  ptrdiff_t bi = y0 * (ptrdiff_t)p->w + x0;
  float best = -INFINITY;
  for (ptrdiff_t y = y0; y < y1; y += (ptrdiff_t)p->dh)
    for (ptrdiff_t x = x0, i = y * (ptrdiff_t)p->w + x0; x < x1;
         x += (ptrdiff_t)p->dw, i += (ptrdiff_t)p->dw) {
      float v = src[i];
      int take = (v > best) | (v != v);
      best = take ? v : best;
      bi = take ? i : bi;
    }
  /* An empty window (possible only with dilation) points nowhere. */
  *dst = best;
  *di = y0 < y1 && x0 < x1 ? (int32_t)bi : -1;
}

/* The plain loop: every window scanned by max_window, one thread. */
void ln_maxpool2d_forward_ref(float *out, int32_t *idx, const float *in,
                              const ln_pool2d_params *p) {
  size_t hw = p->h * p->w, ohw = p->oh * p->ow;
  for (size_t pl = 0; pl < p->n * p->c; pl++)
    for (size_t oy = 0; oy < p->oh; oy++) {
      ptrdiff_t y0, y1;
      max_range(oy, p->sh, p->ph, p->kh, p->dh, p->h, &y0, &y1);
      for (size_t ox = 0; ox < p->ow; ox++)
        max_window(out + pl * ohw + oy * p->ow + ox, idx + pl * ohw + oy * p->ow + ox,
                   in + pl * hw, ox, y0, y1, p);
    }
}

/* 2x2 windows at stride 2 inside the input (no padding, dilation or ceil
 * remainder): an image net's pooling. The four values of a window are
 * compared in scan order as max_window does, eight windows at a time in
 * vectors (the generic loop below ran at ~20 ns an output on the reference
 * net's shapes, its rows of 7 and 14 outputs mostly remainders). */
static int is_2x2(const ln_pool2d_params *p) {
  return p->kh == 2 && p->kw == 2 && p->sh == 2 && p->sw == 2 && !p->ph && !p->pw &&
         p->dh == 1 && p->dw == 1 && 2 * p->oh <= p->h && 2 * p->ow <= p->w;
}

/* Where v comes later in scan order and wins: greater, or NaN. */
static inline ln_v8i wins(ln_v8 v, ln_v8 m) { return (v > m) | (v != v); }
static inline ln_v8 pick(ln_v8i k, ln_v8 v, ln_v8 m) { return (ln_v8)((k & (ln_v8i)v) | (~k & (ln_v8i)m)); }

/* Windows x = 0..n-1 (n <= 8) of the row pair t, b, whose top-left
 * elements are at plane positions at + 2x; reads 16 floats of each row. */
static void max_2x2_vec(float *o, int32_t *oi, const float *t, const float *b, int32_t at,
                        int32_t w, size_t n) {
  const ln_v8i ev = {0, 2, 4, 6, 8, 10, 12, 14}, od = ev + 1;
  ln_v8 t0 = ln_v8_load(t), t1 = ln_v8_load(t + 8), b0 = ln_v8_load(b), b1 = ln_v8_load(b + 8);
  ln_v8 v1 = __builtin_shuffle(t0, t1, od), v2 = __builtin_shuffle(b0, b1, ev);
  ln_v8 v3 = __builtin_shuffle(b0, b1, od), m = __builtin_shuffle(t0, t1, ev);
  ln_v8i i = at + ev, mi = i, k = wins(v1, m);
  m = pick(k, v1, m), mi = (k & (i + 1)) | (~k & mi);
  k = wins(v2, m);
  m = pick(k, v2, m), mi = (k & (i + w)) | (~k & mi);
  k = wins(v3, m);
  m = pick(k, v3, m), mi = (k & (i + w + 1)) | (~k & mi);
  if (n == 8) {
    memcpy(o, &m, sizeof m);
    memcpy(oi, &mi, sizeof mi);
    return;
  }
  for (size_t q = 0; q < n; q++) o[q] = m[q], oi[q] = mi[q];  /* not rep movs: 30 cycles */
}

/* The same one window at a time, branch-free. */
static void max_2x2_one(float *o, int32_t *oi, const float *t, const float *b, int32_t at,
                        int32_t w) {
  float v[4] = {t[0], t[1], b[0], b[1]}, m = v[0];
  int32_t off[4] = {0, 1, w, w + 1}, mi = 0;
  for (int q = 1; q < 4; q++) {
    int k = (v[q] > m) | (v[q] != v[q]);
    m = k ? v[q] : m;
    mi = k ? off[q] : mi;
  }
  *o = m;
  *oi = at + mi;
}

/* One plane; end: the end of the whole input, which the vector loads of
 * the last rows must not pass. */
static void max_2x2_plane(float *restrict dst,      /* (OH,OW) */
                          int32_t *restrict di,     /* (OH,OW) */
                          const float *src,         /* (H,W) */
                          const float *end, const ln_pool2d_params *p) {
  int32_t w = (int32_t)p->w;
  for (size_t oy = 0; oy < p->oh; oy++) {
    const float *t = src + 2 * oy * p->w, *b = t + p->w;
    float *o = dst + oy * p->ow;
    int32_t *oi = di + oy * p->ow, at = (int32_t)(2 * oy) * w;
    for (size_t x = 0; x < p->ow; x += 8) {
      size_t n = p->ow - x < 8 ? p->ow - x : 8;
      if (b + 2 * x + 16 <= end) {
        max_2x2_vec(o + x, oi + x, t + 2 * x, b + 2 * x, at + 2 * (int32_t)x, w, n);
        continue;
      }
      for (size_t q = x; q < x + n; q++)
        max_2x2_one(o + q, oi + q, t + 2 * q, b + 2 * q, at + 2 * (int32_t)q, w);
    }
  }
}

/* Planes [lo, hi) of the input between the workers (par.h). */
typedef struct pool_job {
  float *out;
  int32_t *idx;
  const float *in;
  const ln_pool2d_params *p;
} pool_job;

/* Planes per worker at least: ~64 KiB of input each. */
static size_t plane_grain(const ln_pool2d_params *p) {
  size_t hw = p->h * p->w;
  return hw >= 16384 ? 1 : 16384 / hw;
}

static void max_planes(void *ctx, size_t lo, size_t hi, int wk) {
  (void)wk;
  const pool_job *j = ctx;
  const ln_pool2d_params *p = j->p;
  size_t hw = p->h * p->w, ohw = p->oh * p->ow, xa, xb;
  ptrdiff_t w = (ptrdiff_t)p->w, sw = (ptrdiff_t)p->sw;
  if (is_2x2(p)) {
    for (size_t pl = lo; pl < hi; pl++)
      max_2x2_plane(j->out + pl * ohw, j->idx + pl * ohw, j->in + pl * hw,
                    j->in + p->n * p->c * hw, p);
    return;
  }
  interior(p, &xa, &xb);
  for (size_t pl = lo; pl < hi; pl++) {
    const float *src = j->in + pl * hw;
    for (size_t oy = 0; oy < p->oh; oy++) {
      float *dst = j->out + pl * ohw + oy * p->ow;
      int32_t *di = j->idx + pl * ohw + oy * p->ow;
      ptrdiff_t y0, y1;
      max_range(oy, p->sh, p->ph, p->kh, p->dh, p->h, &y0, &y1);
      for (size_t ox = 0; ox < xa; ox++) max_window(dst + ox, di + ox, src, ox, y0, y1, p);
      /* Interior columns a block at a time, tap by tap in the same order,
       * so the loop over outputs vectorizes. */
      for (size_t o0 = xa; o0 < xb; o0 += MAX_BLOCK) {
        size_t m = xb - o0 < MAX_BLOCK ? xb - o0 : MAX_BLOCK;
        ptrdiff_t x0 = (ptrdiff_t)o0 * sw - (ptrdiff_t)p->pw;
        float best[MAX_BLOCK];
        int32_t bi[MAX_BLOCK];
        for (size_t t = 0; t < m; t++) {
          best[t] = -INFINITY;
          bi[t] = (int32_t)(y0 * w + x0 + (ptrdiff_t)t * sw);
        }
        for (ptrdiff_t y = y0; y < y1; y += (ptrdiff_t)p->dh)
          for (size_t kx = 0; kx < p->kw; kx++) {
            int32_t at = (int32_t)(y * w + x0 + (ptrdiff_t)(kx * p->dw));
            const float *r = src + at;
            for (size_t t = 0; t < m; t++) {
              float v = r[(ptrdiff_t)t * sw];
              int take = (v > best[t]) | (v != v);
              best[t] = take ? v : best[t];
              bi[t] = take ? at + (int32_t)((ptrdiff_t)t * sw) : bi[t];
            }
          }
        memcpy(dst + o0, best, m * sizeof *best);
        memcpy(di + o0, bi, m * sizeof *bi);
      }
      for (size_t ox = xb; ox < p->ow; ox++) max_window(dst + ox, di + ox, src, ox, y0, y1, p);
    }
  }
}


void ln_maxpool2d_forward(float *out, int32_t *idx, const float *in,
                          const ln_pool2d_params *p) {
  pool_job j = {out, idx, in, p};
  size_t planes = p->n * p->c;
  ln_parallel(ln_par_workers(planes, plane_grain(p)), planes, max_planes, &j);
}

/* Windows that cannot overlap (each input in at most one window, padding
 * none): the input gradient is set window by window in one pass. */
static int disjoint(const ln_pool2d_params *p) {
  return (p->kh - 1) * p->dh + 1 <= p->sh && (p->kw - 1) * p->dw + 1 <= p->sw && !p->ph &&
         !p->pw && p->dh == 1 && p->dw == 1;
}

static void max_back_planes(void *ctx, size_t lo, size_t hi, int wk) {
  (void)wk;
  const pool_job *j = ctx;
  const ln_pool2d_params *p = j->p;
  size_t hw = p->h * p->w, ohw = p->oh * p->ow;
  if (!disjoint(p)) {
    memset(j->out + lo * hw, 0, (hi - lo) * hw * sizeof *j->out);
    for (size_t pl = lo; pl < hi; pl++) {
      float *d = j->out + pl * hw;
      const float *g = j->in + pl * ohw;
      const int32_t *di = j->idx + pl * ohw;
      for (size_t k = 0; k < ohw; k++)
        if (di[k] >= 0) d[di[k]] += g[k];
    }
    return;
  }
  /* Row by row of the input: zeros, then each window's maximum. Rows and
   * columns no window covers (floor mode's remainder, strides beyond the
   * kernel) stay zero. */
  for (size_t pl = lo; pl < hi; pl++) {
    float *d = j->out + pl * hw;
    const float *g = j->in + pl * ohw;
    const int32_t *di = j->idx + pl * ohw;
    for (size_t oy = 0; oy <= p->oh; oy++) {
      size_t y0 = oy * p->sh < p->h ? oy * p->sh : p->h;
      size_t y1 = oy < p->oh ? (oy + 1) * p->sh : p->h;
      if (y1 > p->h) y1 = p->h;
      memset(d + y0 * p->w, 0, (y1 - y0) * p->w * sizeof *d);
      if (oy == p->oh) break;
      for (size_t ox = 0; ox < p->ow; ox++) d[di[oy * p->ow + ox]] = g[oy * p->ow + ox];
    }
  }
}

/* Planes split between the workers, as the forward. */
void ln_maxpool2d_backward(float *dinp, const float *dout, const int32_t *idx,
                           const ln_pool2d_params *p) {
  pool_job j = {dinp, (int32_t *)idx, dout, p};  /* idx only read */
  size_t planes = p->n * p->c;
  ln_parallel(ln_par_workers(planes, plane_grain(p)), planes, max_back_planes, &j);
}

/* ---- average and adaptive average ---- */

/* The window of output o along an axis, as cpu_avg_pool: *span is its size
 * inside the padded input (ceil_mode windows clipped to that), [*lo, *hi)
 * its part inside the input. */
static void avg_range(size_t o, size_t s, size_t pad, size_t k, size_t in, ptrdiff_t *lo,
                      ptrdiff_t *hi, ptrdiff_t *span) {
  ptrdiff_t a = (ptrdiff_t)(o * s) - (ptrdiff_t)pad, b = a + (ptrdiff_t)k;
  if (b > (ptrdiff_t)(in + pad)) b = (ptrdiff_t)(in + pad);
  *span = b - a;
  *lo = a < 0 ? 0 : a;
  *hi = b > (ptrdiff_t)in ? (ptrdiff_t)in : b;
}

/* Window of output (oy, ox): rows r[0]..r[1]-1, columns r[2]..r[3]-1 of the
 * input, and its divisor; 0 for a window entirely in the padding. Adaptive:
 * rows floor(oy H / OH) to ceil((oy+1) H / OH), as aten's start_index and
 * end_index. */
static int window(const ln_pool2d_params *p, int adaptive, size_t oy, size_t ox,
                  size_t r[4], float *div) {
  if (adaptive) {
    r[0] = oy * p->h / p->oh, r[1] = ((oy + 1) * p->h + p->oh - 1) / p->oh;
    r[2] = ox * p->w / p->ow, r[3] = ((ox + 1) * p->w + p->ow - 1) / p->ow;
    *div = (float)((r[1] - r[0]) * (r[3] - r[2]));
    return 1;
  }
  ptrdiff_t y0, y1, sy, x0, x1, sx;
  avg_range(oy, p->sh, p->ph, p->kh, p->h, &y0, &y1, &sy);
  avg_range(ox, p->sw, p->pw, p->kw, p->w, &x0, &x1, &sx);
  if (y0 >= y1 || x0 >= x1) return 0;
  r[0] = (size_t)y0, r[1] = (size_t)y1, r[2] = (size_t)x0, r[3] = (size_t)x1;
  *div = (float)(p->divisor ? (ptrdiff_t)p->divisor
                 : p->count_include_pad ? sy * sx : (y1 - y0) * (x1 - x0));
  return 1;
}

static void avg_forward(float *out, const float *in, const ln_pool2d_params *p,
                        int adaptive) {
  size_t hw = p->h * p->w, ohw = p->oh * p->ow, r[4];
  float div;
  for (size_t pl = 0; pl < p->n * p->c; pl++)
    for (size_t oy = 0; oy < p->oh; oy++)
      for (size_t ox = 0; ox < p->ow; ox++) {
        float s = 0;
        if (window(p, adaptive, oy, ox, r, &div)) {
          for (size_t y = r[0]; y < r[1]; y++) {
            const float *row = in + pl * hw + y * p->w;
            float t = 0;
#pragma omp simd reduction(+:t)
            for (size_t x = r[2]; x < r[3]; x++) t += row[x];
            s += t;
          }
          s /= div;
        }
        out[pl * ohw + oy * p->ow + ox] = s;
      }
}

static void avg_backward(float *dinp, const float *dout, const ln_pool2d_params *p,
                         int adaptive) {
  size_t hw = p->h * p->w, ohw = p->oh * p->ow, r[4];
  float div;
  memset(dinp, 0, p->n * p->c * hw * sizeof *dinp);
  for (size_t pl = 0; pl < p->n * p->c; pl++)
    for (size_t oy = 0; oy < p->oh; oy++)
      for (size_t ox = 0; ox < p->ow; ox++) {
        if (!window(p, adaptive, oy, ox, r, &div)) continue;
        float v = dout[pl * ohw + oy * p->ow + ox] / div;
        for (size_t y = r[0]; y < r[1]; y++) {
          float *row = dinp + pl * hw + y * p->w;
          for (size_t x = r[2]; x < r[3]; x++) row[x] += v;
        }
      }
}

void ln_avgpool2d_forward(float *out, const float *in, const ln_pool2d_params *p) {
  avg_forward(out, in, p, 0);
}

void ln_avgpool2d_backward(float *dinp, const float *dout, const ln_pool2d_params *p) {
  avg_backward(dinp, dout, p, 0);
}

void ln_adaptive_avgpool2d_forward(float *out, const float *in, const ln_pool2d_params *p) {
  avg_forward(out, in, p, 1);
}

void ln_adaptive_avgpool2d_backward(float *dinp, const float *dout,
                                    const ln_pool2d_params *p) {
  avg_backward(dinp, dout, p, 1);
}
