/* hist.c: re-binning (see hist.h). */
#include "hist.h"

#include <math.h>
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
