/* series.h: what a scalar curve is drawn from, so that a redraw of a
 * million-point curve does not touch every point.
 *
 * The permanent points of a series ([0, nperm), which never change until
 * the tag is thinned) are cut into blocks of VW_BLOCK points, each
 * summarized once: its step range, the first/min/max/last of the raw values
 * and of the smoothed ones, and the moving average's state at its start.
 * A block whose steps all fall in one pixel column is drawn from its
 * summary; any other block is redrawn point by point from its saved state,
 * so the picture is exactly the one a pass over every point would give. */
#ifndef VW_SERIES_H
#define VW_SERIES_H

#include "board.h"

#define VW_BLOCK 64

enum {
  VW_BLK_GAP = 1,      /* a non-finite step or value: never summarized */
  VW_BLK_NONPOS = 2,   /* a raw value <= 0 (a gap in log scale) */
  VW_BLK_SNONPOS = 4   /* a smoothed value <= 0 */
};

typedef struct vw_block {
  double x0, x1;            /* smallest and largest step */
  double w0, w1;            /* smallest and largest wall time */
  double f, lo, hi, l;      /* raw values: first, min, max, last */
  double sf, slo, shi, sl;  /* smoothed values, when smoothing */
  double ema, wpow;         /* the moving average's state before the block */
  int flags;
} vw_block;

/* TensorBoard's debiased exponential moving average with weight w: takes
 * the next finite value y and returns its smoothed value. Non-finite values
 * are skipped (they are gaps); state starts at ema = 0, wpow = 1. */
static inline double vw_ema_step(double *ema, double *wpow, double w, double y) {
  *ema = *ema * w + (1 - w) * y;
  if (*wpow > 1e-12) {  /* the debiasing term soon vanishes */
    *wpow *= w;
    return *ema / (1 - *wpow);
  }
  return *ema;
}

/* Brings r's blocks up to date for smoothing weight w (0: none), computing
 * only blocks that are new since the last call; a new weight or a thinned
 * tag starts over. Afterwards r->ema/r->wpow is the state after the last
 * block. Returns 0, or -1 with vw_error() when out of memory. */
int vw_series_prepare(vw_sseries *r, double w);

#endif
