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

#endif
