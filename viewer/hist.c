/* hist.c: re-binning (see hist.h). */
#include "hist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int vw_hist_span(const vw_hist *h, double *lo, double *hi) {
  uint64_t finite = h->n - h->nan - h->pinf - h->ninf;
  uint64_t nonzero = finite - h->zeros;
  if (!finite) return 0;
  if (nonzero) {
    *lo = h->lo;
    *hi = h->hi;
    if (h->zeros) {
      if (*lo > 0) *lo = 0;
      if (*hi < 0) *hi = 0;
    }
  } else {
    *lo = *hi = 0;
  }
  return 1;
}

static int bin_of(double v, double a, double w, int nb) {
  double u = (v - a) / w;
  if (!(u >= 0)) return 0;
  if (u >= nb) return nb - 1;
  return (int)u;
}

double vw_hist_rebin(const vw_hist *h, double a, double b, int nb, double *out) {
  double w = (b - a) / nb, total = 0, wf;
  int i;
  memset(out, 0, (size_t)nb * sizeof *out);
  if (!(w > 0 && w < INFINITY)) return 0;
  if (h->zeros) {
    out[bin_of(0, a, w, nb)] += (double)h->zeros;
    total += (double)h->zeros;
  }
  if (h->hi <= h->lo) {
    out[bin_of(h->lo, a, w, nb)] += h->fine[0];
    return total + h->fine[0];
  }
  wf = (h->hi - h->lo) / VW_FINE;
  for (i = 0; i < VW_FINE; i++) {
    double c = h->fine[i], u0, u1, u;
    int j, j1;
    if (!c) continue;
    total += c;
    u0 = (h->lo + i * wf - a) / w;
    u1 = (h->lo + (i + 1) * wf - a) / w;
    if (u0 < 0) u0 = 0;
    if (u1 > nb) u1 = nb;
    if (u1 <= u0) {  /* wholly outside [a, b]: clamp to the nearer end */
      out[u0 >= nb ? nb - 1 : 0] += c;
      continue;
    }
    j = (int)u0;
    j1 = (int)ceil(u1) - 1;
    if (j1 >= nb) j1 = nb - 1;
    if (j == j1) { out[j] += c; continue; }
    for (u = u0; j <= j1; j++) {
      double e = j + 1 < u1 ? j + 1 : u1;
      out[j] += c * (e - u) / (u1 - u0);
      u = e;
    }
  }
  return total;
}

const double vw_quant[VW_NQUANT] = {0, 0.0668, 0.1587, 0.3085, 0.5, 0.6915, 0.8413, 0.9332, 1};

/* A piece of the distribution: mass spread evenly over [a, b] (a point
 * when a == b). */
typedef struct piece { double a, b, m; } piece;

/* pieces' output: a fine bin each, the zeros and a bin cut at 0 */
static __thread piece scratch[VW_FINE + 3];

/* The pieces of h in ascending order: the fine bins, the one holding 0
 * cut there so that the zeros go in between. Returns how many. */
static int pieces(const vw_hist *h, piece *p) {
  int n = 0, i, zeros_in = 0;
  double wf = (h->hi - h->lo) / VW_FINE;
#define PUT(x, y, mass) do {                                        \
    if ((mass) > 0) { p[n].a = (x); p[n].b = (y); p[n].m = (mass); n++; } \
  } while (0)
  if (h->zeros && !(h->lo < 0)) { PUT(0, 0, (double)h->zeros); zeros_in = 1; }
  if (h->hi <= h->lo) {   /* all non-zero values equal: bin 0 */
    if (h->zeros && !zeros_in && h->lo >= 0) { PUT(0, 0, (double)h->zeros); zeros_in = 1; }
    PUT(h->lo, h->lo, (double)h->fine[0]);
  } else {
    for (i = 0; i < VW_FINE; i++) {
      double a = h->lo + i * wf, b = i + 1 == VW_FINE ? h->hi : a + wf, c = h->fine[i];
      if (!zeros_in && h->zeros && b > 0) {
        if (a < 0) {   /* split at 0 */
          PUT(a, 0, c * -a / (b - a));
          PUT(0, 0, (double)h->zeros);
          PUT(0, b, c * b / (b - a));
          zeros_in = 1;
          continue;
        }
        PUT(0, 0, (double)h->zeros);
        zeros_in = 1;
      }
      PUT(a, b, c);
    }
  }
  if (h->zeros && !zeros_in) PUT(0, 0, (double)h->zeros);
#undef PUT
  return n;
}

int vw_hist_quantiles(const vw_hist *h, const double *q, int nq, double *out) {
  piece *p = scratch;
  int n = pieces(h, p), i, k = 0;
  double total = 0, below = 0;
  for (i = 0; i < n; i++) total += p[i].m;
  if (!n || !(total > 0)) return 0;
  for (i = 0; i < nq; i++) {
    double want = q[i] * total;
    if (q[i] <= 0) { out[i] = p[0].a; continue; }
    if (q[i] >= 1) { out[i] = p[n - 1].b; continue; }
    /* q ascending is the usual case: the walk goes on from where it was */
    if (k > 0 && below > want) { k = 0; below = 0; }
    while (k + 1 < n && below + p[k].m < want) below += p[k++].m;
    out[i] = p[k].a + (p[k].b - p[k].a) * fmin(1, fmax(0, (want - below) / p[k].m));
  }
  return 1;
}

int vw_hist_moments(const vw_hist *h, double *mean, double *std) {
  int n = pieces(h, scratch), i;
  double total = 0, s = 0, ss = 0, m;
  for (i = 0; i < n; i++) {
    total += scratch[i].m;
    s += scratch[i].m * (scratch[i].a + scratch[i].b) / 2;
  }
  if (!(total > 0)) return 0;
  m = s / total;
  for (i = 0; i < n; i++) {   /* about the mean: no cancellation far from 0 */
    double d = (scratch[i].a + scratch[i].b) / 2 - m, w = scratch[i].b - scratch[i].a;
    ss += scratch[i].m * (d * d + w * w / 12);   /* uniform over the piece */
  }
  *mean = m;
  *std = sqrt(ss / total);
  return 1;
}

int vw_hist_prepare(vw_shist *t) {
  size_t i;
  if (t->quant_gen != t->gen) { t->nquant = 0; t->quant_gen = t->gen; }
  if (t->nperm > t->quant_alloc) {
    size_t na = t->quant_alloc ? 2 * t->quant_alloc : 64;
    double *nq;
    while (na < t->nperm) na *= 2;
    nq = realloc(t->quant, na * VW_NQUANT * sizeof *nq);
    if (!nq) return vw_fail("out of memory");
    t->quant = nq;
    t->quant_alloc = na;
  }
  for (i = t->nquant; i < t->nperm; i++) {
    double *q = t->quant + i * VW_NQUANT;
    if (!vw_hist_quantiles(&t->h[i], vw_quant, VW_NQUANT, q)) q[0] = NAN;
  }
  t->nquant = t->nperm > t->nquant ? t->nperm : t->nquant;
  return 0;
}

int vw_hist_quant_at(const vw_shist *t, size_t i, double *q) {
  if (i < t->nquant && t->quant_gen == t->gen) {
    memcpy(q, t->quant + i * VW_NQUANT, VW_NQUANT * sizeof *q);
    return !isnan(q[0]);
  }
  return vw_hist_quantiles(&t->h[i], vw_quant, VW_NQUANT, q);
}
