/* series.c: block summaries of scalar series (see series.h). */
#include "series.h"

#include <math.h>
#include <stdlib.h>

static void block_build(vw_block *k, const vw_point *p, double w,
                        double *ema, double *wpow) {
  int i, first = 1;
  k->ema = *ema;
  k->wpow = *wpow;
  k->flags = 0;
  k->x0 = INFINITY;
  k->x1 = -INFINITY;
  k->w0 = INFINITY;
  k->w1 = -INFINITY;
  k->f = k->lo = k->hi = k->l = 0;
  k->sf = k->slo = k->shi = k->sl = 0;
  for (i = 0; i < VW_BLOCK; i++) {
    double x = p[i].step, y = p[i].value, ys = 0;
    if (!isfinite(x)) k->flags |= VW_BLK_GAP;
    if (!isfinite(y)) { k->flags |= VW_BLK_GAP; continue; }
    if (x < k->x0) k->x0 = x;
    if (x > k->x1) k->x1 = x;
    if (p[i].wall < k->w0) k->w0 = p[i].wall;
    if (p[i].wall > k->w1) k->w1 = p[i].wall;
    if (w > 0) {
      ys = vw_ema_step(ema, wpow, w, y);
      if (ys <= 0) k->flags |= VW_BLK_SNONPOS;
    }
    if (y <= 0) k->flags |= VW_BLK_NONPOS;
    if (first) {
      k->f = k->lo = k->hi = y;
      k->sf = k->slo = k->shi = ys;
      first = 0;
    } else {
      if (y < k->lo) k->lo = y;
      if (y > k->hi) k->hi = y;
      if (ys < k->slo) k->slo = ys;
      if (ys > k->shi) k->shi = ys;
    }
    k->l = y;
    k->sl = ys;
  }
}

int vw_series_prepare(vw_sseries *r, double w) {
  size_t want = r->nperm / VW_BLOCK;
  if (!r->nblk || r->blk_gen != r->gen || r->blk_w != w) {
    r->nblk = 0;
    r->blk_gen = r->gen;
    r->blk_w = w;
    r->ema = 0;
    r->wpow = 1;
  }
  if (want > r->blk_alloc) {
    size_t na = r->blk_alloc ? 2 * r->blk_alloc : 64;
    vw_block *nb;
    while (na < want) na *= 2;
    nb = realloc(r->blk, na * sizeof *nb);
    if (!nb) return vw_fail("out of memory");
    r->blk = nb;
    r->blk_alloc = na;
  }
  for (; r->nblk < want; r->nblk++)
    block_build(&r->blk[r->nblk], r->pts + r->nblk * VW_BLOCK, w, &r->ema, &r->wpow);
  return 0;
}
