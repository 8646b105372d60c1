/* hist.h: re-binning histogram snapshots onto a shared axis for drawing. */
#ifndef VW_HIST_H
#define VW_HIST_H

#include "board.h"

/* The span of h's finite values, 0 included when it has exact zeros.
 * Returns 0 when h has no finite value (lo/hi untouched). */
int vw_hist_span(const vw_hist *h, double *lo, double *hi);
/* out[0..nb) = counts of h's finite values in nb equal bins over [a, b]
 * (values outside go to the end bins). Each fine bin is spread over the
 * display bins it overlaps in proportion; exact zeros and a snapshot whose
 * values are all equal are point masses. Returns the total placed. */
double vw_hist_rebin(const vw_hist *h, double a, double b, int nb, double *out);

/* TensorBoard's distribution percentiles: the normal's -inf, -1.5, -1,
 * -0.5, 0, 0.5, 1, 1.5, +inf sigma (0, 6.68, ..., 100 %). */
#define VW_NQUANT 9
extern const double vw_quant[VW_NQUANT];
/* out[i] = the q[i]-quantile (q in [0, 1]) of h's finite values, each fine
 * bin taken as spread evenly over its width and the exact zeros as a point
 * at 0: q = 0 is the minimum, 1 the maximum. Returns 0 when h has no finite
 * value (out untouched). */
int vw_hist_quantiles(const vw_hist *h, const double *q, int nq, double *out);
/* Brings t's cache of percentiles (vw_quant, VW_NQUANT a snapshot, NaN
 * for a snapshot of no finite value) up to its permanent snapshots,
 * computing only the new ones; a thinned tag starts over. Returns 0, or -1
 * with vw_error() when out of memory. */
int vw_hist_prepare(vw_shist *t);
/* The percentiles of t's snapshot i into q: from the cache when it holds
 * them. Returns 0 when the snapshot has no finite value. */
int vw_hist_quant_at(const vw_shist *t, size_t i, double *q);

/* The mean and standard deviation of h's finite values, taken the same
 * way (exact to within a fine bin's width, 1/VW_FINE of the range).
 * Returns 0 when h has no finite value. */
int vw_hist_moments(const vw_hist *h, double *mean, double *std);

#endif
