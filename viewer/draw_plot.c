/* draw_plot.c: scalar panels, one per group ("cost" of "cost/BN"), with a
 * curve per run, axes, ticks, titles and a legend. A curve of a million
 * points is drawn as at most four vertices per pixel column (first, min,
 * max, last), taken from block summaries where a block fits in a column. */
#include "draw_int.h"
#include "series.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RIGHT 24   /* the margin right of a plot, where its last x label may reach */

typedef struct axes {
  SDL_Rect p;
  double x0, x1, y0, y1;
  int logy;
  pxmap mx, my;   /* steps to columns, values (log10 in log scale) to rows */
} axes;

typedef struct poly {
  SDL_Point *pt;
  int n, cap, thick;
  SDL_Renderer *r;
  SDL_Color color;
} poly;

static void poly_flush(poly *q) {
  int i;
  set_color(q->r, q->color);
  if (q->n >= 2) {
    SDL_RenderDrawLines(q->r, q->pt, q->n);
    if (q->thick) {
      for (i = 0; i < q->n; i++) q->pt[i].y++;
      SDL_RenderDrawLines(q->r, q->pt, q->n);
      for (i = 0; i < q->n; i++) q->pt[i].y--;
    }
  } else if (q->n == 1) {  /* a point between gaps: a visible dot */
    fill_rect(q->r, q->pt[0].x - 2, q->pt[0].y - 2, 5, 5);
  }
  q->n = 0;
}

static void poly_add(poly *q, int x, int y) {
  if (q->n == q->cap) {  /* keep the line joined across the flush */
    SDL_Point last = q->pt[q->n - 1];
    poly_flush(q);
    q->pt[q->n++] = last;
  }
  q->pt[q->n].x = x;
  q->pt[q->n].y = y;
  q->n++;
}

/* Column aggregation: one pixel column's first, min, max and last value,
 * mapped to pixels only when the column is done (log10 is monotonic, so
 * it can wait too). */
typedef struct colagg {
  int x, on;
  double first, lo, hi, last;
} colagg;

static int ymap(const axes *a, double v) {
  return pxmap_at(&a->my, a->logy ? log10(v) : v);
}

static void col_emit(poly *q, colagg *c, const axes *a) {
  int f, lo, hi, l;
  if (!c->on) return;
  f = ymap(a, c->first);
  lo = ymap(a, c->lo);
  hi = ymap(a, c->hi);
  l = ymap(a, c->last);
  poly_add(q, c->x, f);
  if (lo != f) poly_add(q, c->x, lo);
  if (hi != lo) poly_add(q, c->x, hi);
  if (l != hi) poly_add(q, c->x, l);
  c->on = 0;
}

static void poly_init(poly *q, frame *f, SDL_Point *buf, int cap, int thick,
                      SDL_Color c) {
  q->pt = buf;
  q->n = 0;
  q->cap = cap;
  q->thick = thick;
  q->r = f->r;
  q->color = c;
}

/* Adds values first..last (min lo, max hi) at pixel column px. */
static void col_add(poly *q, colagg *c, const axes *a, int px,
                    double first, double lo, double hi, double last) {
  if (c->on && c->x == px) {
    if (lo < c->lo) c->lo = lo;
    if (hi > c->hi) c->hi = hi;
    c->last = last;
    return;
  }
  col_emit(q, c, a);
  c->on = 1;
  c->x = px;
  c->first = first;
  c->lo = lo;
  c->hi = hi;
  c->last = last;
}

static void col_gap(poly *q, colagg *c, const axes *a) {
  col_emit(q, c, a);
  poly_flush(q);
}

/* One curve being drawn: the raw line and, when smoothing, the smooth one. */
typedef struct curve {
  const axes *a;
  double w;
  int sm;
  int xmode;        /* VW_X_* */
  double t0;        /* subtracted from wall times (relative time) */
  poly q, qs;
  colagg c, cs;
} curve;

static int px_of(const curve *cv, double x) { return pxmap_at(&cv->a->mx, x); }

static double pt_x(const curve *cv, const vw_point *p) {
  return cv->xmode == VW_X_STEP ? p->step : p->wall - cv->t0;
}

/* Points [i0, i1) one by one, the moving average starting from (ema, wpow).
 * A non-finite value breaks both lines; in log scale a value <= 0 breaks
 * its own line (the average still takes it in, as TensorBoard's does). */
static void curve_points(curve *cv, const vw_point *pt, size_t i0, size_t i1,
                         double ema, double wpow) {
  const axes *a = cv->a;
  size_t i;
  for (i = i0; i < i1; i++) {
    double y = pt[i].value, ys;
    int px;
    if (!isfinite(y)) {
      col_gap(&cv->q, &cv->c, a);
      if (cv->sm) col_gap(&cv->qs, &cv->cs, a);
      continue;
    }
    px = px_of(cv, pt_x(cv, &pt[i]));
    if (a->logy && y <= 0) col_gap(&cv->q, &cv->c, a);
    else col_add(&cv->q, &cv->c, a, px, y, y, y, y);
    if (!cv->sm) continue;
    ys = vw_ema_step(&ema, &wpow, cv->w, y);
    if (a->logy && ys <= 0) col_gap(&cv->qs, &cv->cs, a);
    else col_add(&cv->qs, &cv->cs, a, px, ys, ys, ys, ys);
  }
}

/* The raw curve, and with smoothing TensorBoard's debiased moving average
 * too: the raw line faint, the smooth one solid. A block of points that
 * falls in one pixel column is added from its summary (series.h), so a
 * redraw costs a pass over the blocks, not over every point. */
static void draw_curve(frame *f, const axes *a, const vw_sseries *s, int run, int sm,
                       SDL_Color col, SDL_Point *buf, int cap) {
  curve cv;
  SDL_Color faint = col;
  size_t b, nb = s->nblk;
  int bad = VW_BLK_GAP | (a->logy ? VW_BLK_NONPOS | VW_BLK_SNONPOS : 0);
  faint.a = 70;
  memset(&cv, 0, sizeof cv);
  cv.a = a;
  cv.sm = sm;
  cv.w = s->blk_w;
  cv.xmode = f->v->xaxis;
  cv.t0 = cv.xmode == VW_X_RELATIVE ? f->run_t0[run] : 0;
  poly_init(&cv.q, f, buf, cap / 2, !sm, sm ? faint : col);
  poly_init(&cv.qs, f, buf + cap / 2, cap / 2, 1, col);
  for (b = 0; b < nb; b++) {
    const vw_block *k = &s->blk[b];
    double k0 = cv.xmode == VW_X_STEP ? k->x0 : k->w0 - cv.t0;
    double k1 = cv.xmode == VW_X_STEP ? k->x1 : k->w1 - cv.t0;
    int px;
    if (!(k->flags & bad) && (px = px_of(&cv, k0)) == px_of(&cv, k1)) {
      col_add(&cv.q, &cv.c, a, px, k->f, k->lo, k->hi, k->l);
      if (sm) col_add(&cv.qs, &cv.cs, a, px, k->sf, k->slo, k->shi, k->sl);
    } else {
      curve_points(&cv, s->pts, b * VW_BLOCK, (b + 1) * VW_BLOCK, k->ema, k->wpow);
    }
  }
  curve_points(&cv, s->pts, nb * VW_BLOCK, s->n, s->ema, s->wpow);
  col_gap(&cv.q, &cv.c, a);
  if (sm) col_gap(&cv.qs, &cv.cs, a);
}

static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The 1st and 99th percentiles of the visible values of group gi (log10
 * of the positive ones in log scale), from up to 1024 points of each
 * series spread evenly over it. Returns 0 when there are too few. */
static int robust_range(frame *f, int gi, int logy, double *lo, double *hi) {
  size_t i, j, n = 0, cap = 0;
  double *v;
  for (i = 0; i < f->s->ns; i++)
    if (f->gr.of[i] == gi && !run_hidden(f, f->srun[i])) cap += 1025;
  if (!cap || !(v = malloc(cap * sizeof *v))) return 0;
  for (i = 0; i < f->s->ns; i++) {
    const vw_sseries *s = &f->s->s[i];
    size_t stride = s->n / 1024 + 1;
    if (f->gr.of[i] != gi || run_hidden(f, f->srun[i])) continue;
    for (j = 0; j < s->n; j += stride) {
      double y = s->pts[j].value;
      if (!isfinite(y) || (logy && y <= 0)) continue;
      v[n++] = logy ? log10(y) : y;
    }
  }
  if (n >= 8) {
    qsort(v, n, sizeof *v, cmp_dbl);
    *lo = v[n / 100];
    *hi = v[n - 1 - n / 100];
  }
  free(v);
  return n >= 8;
}

static void axes_range(frame *f, axes *a, int gi, int robust, int *clipped) {
  size_t i;
  double ymin = INFINITY, ymax = -INFINITY, ypos = INFINITY, pad, lo, hi;
  a->x0 = INFINITY;
  a->x1 = -INFINITY;
  for (i = 0; i < f->s->ns; i++) {
    const vw_sseries *s = &f->s->s[i];
    if (f->gr.of[i] != gi || run_hidden(f, f->srun[i])) continue;
    if (f->v->xaxis != VW_X_STEP && s->n) {
      /* wall times grow with the writes: the first point and the last */
      double w0 = x_of(f, f->srun[i], 0, s->pts[0].wall);
      double w1 = x_of(f, f->srun[i], 0, s->pts[s->n - 1].wall);
      if (w0 < a->x0) a->x0 = w0;
      if (w1 > a->x1) a->x1 = w1;
    } else {
      if (s->xmin < a->x0) a->x0 = s->xmin;
      if (s->xmax > a->x1) a->x1 = s->xmax;
    }
    if (s->ymin < ymin) ymin = s->ymin;
    if (s->ymax > ymax) ymax = s->ymax;
    if (s->ypos < ypos) ypos = s->ypos;
    if (s->n > s->nstat) {  /* the newest point, not in the stats yet */
      const vw_point *p = &s->pts[s->n - 1];
      if (f->v->xaxis == VW_X_STEP && p->step < a->x0) a->x0 = p->step;
      if (f->v->xaxis == VW_X_STEP && p->step > a->x1) a->x1 = p->step;
      if (isfinite(p->value)) {
        if (p->value < ymin) ymin = p->value;
        if (p->value > ymax) ymax = p->value;
        if (p->value > 0 && p->value < ypos) ypos = p->value;
      }
    }
  }
  if (!(a->x0 <= a->x1)) { a->x0 = 0; a->x1 = 1; }
  if (a->x0 == a->x1) widen_point(&a->x0, &a->x1, 1);
  *clipped = a->logy && ymin <= 0;
  if (a->logy) {
    if (ypos == INFINITY) { ymin = 0; ymax = 1; }
    else { ymin = log10(ypos); ymax = log10(ymax); }
  } else if (ymin > ymax) {
    ymin = 0;
    ymax = 1;
  }
  if (robust && robust_range(f, gi, a->logy, &lo, &hi)) { ymin = lo; ymax = hi; }
  if (ymin == ymax) widen_point(&ymin, &ymax, 0.5);
  pad = (ymax * 0.5 - ymin * 0.5) * 0.1;   /* 5% each way; halves cannot overflow */
  a->y0 = fmax(ymin - pad, -DBL_MAX);
  a->y1 = fmin(ymax + pad, DBL_MAX);
  if (gi < VW_MAXZOOM && f->v->zoom[gi].on) {
    const vw_zoom *z = &f->v->zoom[gi];
    if (z->xaxis == f->v->xaxis && z->x0 < z->x1) { a->x0 = z->x0; a->x1 = z->x1; }
    if (z->logy == a->logy && z->y0 < z->y1) { a->y0 = z->y0; a->y1 = z->y1; }
  }
}

/* The y ticks first: their widest label sets the left margin, and the y
 * title goes left of it. */
static void y_ticks(frame *f, const axes *a, tick_axis *ax, ticks *t) {
  memset(ax, 0, sizeof *ax);
  ax->m = &a->my;
  ax->a = a->y0;
  ax->b = a->y1;
  ax->logv = a->logy;
  ax->vertical = 1;
  ax->font = VW_SMALL;
  ax->lo = a->p.y - 6;
  ax->hi = a->p.y + a->p.h + 6;
  ax->minsp = 40;
  choose_ticks(f, ax, t);
}

static void draw_axes(frame *f, const axes *a, const tick_axis *yax, const ticks *yt,
                      int ytitle_x, const char *xtitle, const char *ytitle, int panel) {
  tick_axis xax;
  ticks xt;
  int i;
  const SDL_Rect *p = &a->p;
  memset(&xax, 0, sizeof xax);
  xax.m = &a->mx;
  xax.a = a->x0;
  xax.b = a->x1;
  xax.font = VW_SMALL;
  xax.lo = p->x - 30;   /* into the margins, clear of the y labels */
  xax.hi = p->x + p->w + RIGHT;
  xax.minsp = 80;
  xax.time = f->v->xaxis;
  choose_ticks(f, &xax, &xt);
  for (i = 0; i < xt.n; i++) {
    set_color(f->r, light);
    SDL_RenderDrawLine(f->r, xt.px[i], p->y, xt.px[i], p->y + p->h - 1);
    set_color(f->r, ink);
    SDL_RenderDrawLine(f->r, xt.px[i], p->y + p->h, xt.px[i], p->y + p->h + 3);
  }
  draw_tick_labels(f, &xax, &xt, p->y + p->h + 5, ink, panel);
  for (i = 0; i < yt->n; i++) {
    set_color(f->r, light);
    SDL_RenderDrawLine(f->r, p->x, yt->px[i], p->x + p->w - 1, yt->px[i]);
    set_color(f->r, ink);
    SDL_RenderDrawLine(f->r, p->x - 4, yt->px[i], p->x - 1, yt->px[i]);
  }
  draw_tick_labels(f, yax, yt, p->x - 6, ink, panel);
  set_color(f->r, ink);
  SDL_RenderDrawLine(f->r, p->x - 1, p->y, p->x - 1, p->y + p->h);
  SDL_RenderDrawLine(f->r, p->x - 1, p->y + p->h, p->x + p->w - 1, p->y + p->h);
  vw_text(f->c, VW_NORMAL, ink, p->x + p->w / 2, p->y + p->h + 20, VW_CENTER, xtitle);
  vw_text(f->c, VW_NORMAL, ink, ytitle_x, p->y + p->h / 2,
          VW_CENTER | VW_MIDDLE | VW_VERTICAL, ytitle);
}

/* The box of a title drawn upwards, centred on (x, y). */
static SDL_Rect vertical_box(frame *f, int x, int y, const char *s) {
  SDL_Rect r;
  r.w = vw_font_height(f->c, VW_NORMAL);
  r.h = vw_text_width(f->c, VW_NORMAL, s);
  r.x = x - r.w / 2;
  r.y = y - r.h / 2;
  return r;
}

/* Red ticks over the x axis where a series first went NaN/Inf. */
static void nan_marks(frame *f, const axes *a, int gi) {
  size_t i;
  set_color(f->r, vw_warn);
  for (i = 0; i < f->s->ns; i++) {
    const vw_sseries *s = &f->s->s[i];
    int x;
    double at = s->bad_step;
    if (f->gr.of[i] != gi || !s->bad || run_hidden(f, f->srun[i])) continue;
    if (f->v->xaxis != VW_X_STEP) {   /* the time of the first bad point kept */
      size_t k;
      for (k = 0; k < s->n && isfinite(s->pts[k].value); k++) {}
      if (k == s->n) continue;
      at = x_of(f, f->srun[i], 0, s->pts[k].wall);
    }
    x = pxmap_at(&a->mx, at);
    if (x < a->p.x || x >= a->p.x + a->p.w) continue;
    fill_rect(f->r, x - 1, a->p.y + a->p.h - 7, 3, 7);
  }
}

/* A note on a white ground at the plot's bottom left. */
static void plot_note(frame *f, const axes *a, const char *msg) {
  int w = vw_text_width(f->c, VW_SMALL, msg), h = vw_font_height(f->c, VW_SMALL);
  SDL_Color box = {255, 255, 255, 230};
  set_color(f->r, box);
  fill_rect(f->r, a->p.x + 2, a->p.y + a->p.h - h - 10, w + 6, h + 2);
  vw_text(f->c, VW_SMALL, vw_warn, a->p.x + 5, a->p.y + a->p.h - 9, VW_BOTTOM, msg);
}

static int flip(const unsigned char *flags, int gi) { return gi < VW_MAXGROUPS && flags[gi]; }

static void draw_group(frame *f, int gi, SDL_Rect cell, SDL_Point *buf, int cap) {
  const char *group = f->gr.name[gi];
  axes a;
  vw_panel tmp, *pp;
  size_t i;
  char ytitle[160], fit[160];
  const char *name = *group ? group : "scalars";
  const vw_axis *ax = vw_snap_axis(f->s, group);
  double sm = f->v->smoothing;
  tick_axis yax;
  ticks yt;
  legend lg;
  int panel = f->out->npanels, left, lh = vw_font_height(f->c, VW_NORMAL);
  int title_x = cell.x + 4 + lh / 2, top = 26, inline_legend, clipped;
  int robust = f->v->robust ^ flip(f->v->flip_robust, gi);
  pp = add_panel(f);
  if (!pp) { pp = &tmp; panel = -1; memset(pp, 0, sizeof *pp); }
  pp->kind = VW_SCALAR;
  pp->group = gi;
  pp->tag = -1;
  snprintf(pp->title, sizeof pp->title, "%s", name);
  a.logy = f->v->logy ^ flip(f->v->flip_log, gi);
  /* the legend: on the title's line when both fit, else lines of its own
   * under the title, as many as leave the plot half the cell */
  legend_measure(f, gi, &lg);
  inline_legend = vw_text_width(f->c, VW_TITLE, name) + 24 + lg.width + lg.more * 60 <=
                  cell.w - 56 - RIGHT;
  if (inline_legend) legend_layout(f, &lg, cell.w, 1);
  else top += lh * legend_layout(f, &lg, cell.w - 16 - RIGHT,
                                 cell.h > 140 ? (cell.h / 2 - 70) / lh + 1 : 1);
  a.p.y = cell.y + top;
  a.p.h = cell.h - top - 44;
  if (cell.w < 100 || a.p.h < 12) {   /* no room for a plot: the title says it is here */
    vw_text(f->c, VW_NORMAL, ink, cell.x + cell.w / 2, cell.y + 4, VW_CENTER,
            fit_text(f, VW_NORMAL, name, cell.w - 8, fit, sizeof fit));
    return;
  }
  axes_range(f, &a, gi, robust, &clipped);
  pxmap_init(&a.my, a.y0, a.y1, a.p.y + a.p.h - 1, a.p.y);
  y_ticks(f, &a, &yax, &yt);
  /* left margin: tick marks, the widest label, the y title */
  left = 0;
  for (i = 0; i < (size_t)yt.n; i++)
    if (yt.w[i] > left) left = yt.w[i];
  left += 6 + 6 + lh + 4;
  if (left < 40) left = 40;
  if (left > cell.w / 2) left = cell.w / 2;
  a.p.x = cell.x + left;
  a.p.w = cell.w - left - RIGHT;
  pxmap_init(&a.mx, a.x0, a.x1, a.p.x, a.p.x + a.p.w - 1);
  {
    char full[160];
    snprintf(full, sizeof full, "%s%s", ax && ax->y ? ax->y : name,
             a.logy && robust ? " (log, robust)" : a.logy ? " (log scale)"
             : robust ? " (robust)" : "");
    fit_text(f, VW_NORMAL, full, a.p.h, ytitle, sizeof ytitle);
  }
  if (inline_legend) {
    vw_text(f->c, VW_TITLE, ink, a.p.x, cell.y + 4, 0, name);
    legend_draw(f, &lg, cell.x, cell.y + 6, cell.w - RIGHT, 1, panel);
  } else {
    vw_text(f->c, VW_TITLE, ink, a.p.x + a.p.w / 2, cell.y + 4, VW_CENTER,
            fit_text(f, VW_TITLE, name, a.p.w, fit, sizeof fit));
    legend_draw(f, &lg, cell.x + 8, cell.y + 26, cell.w - 16 - RIGHT, 0, panel);
  }
  draw_axes(f, &a, &yax, &yt, title_x, x_title(f, ax && ax->x ? ax->x : "step"), ytitle,
            panel);
  SDL_RenderSetClipRect(f->r, &a.p);
  for (i = 0; i < f->s->ns; i++) {
    const vw_sseries *s = &f->s->s[i];
    if (f->gr.of[i] != gi || run_hidden(f, f->srun[i])) continue;
    draw_curve(f, &a, s, f->srun[i], sm > 0 && sm < 1, vw_run_color(f->srun[i]), buf, cap);
  }
  SDL_RenderSetClipRect(f->r, NULL);
  nan_marks(f, &a, gi);
  if (clipped) plot_note(f, &a, "values \xe2\x89\xa4 0 not shown (log scale)");
  pp->plot = a.p;
  pp->x0 = a.x0;
  pp->x1 = a.x1;
  pp->y0 = a.y0;
  pp->y1 = a.y1;
  pp->logy = a.logy;
  pp->xaxis = f->v->xaxis;
  pp->robust = robust;
  pp->clipped = clipped;
  pp->legend_more = lg.n - lg.shown + lg.more;
  pp->ytitle = vertical_box(f, title_x, a.p.y + a.p.h / 2, ytitle);
}

void draw_scalars(frame *f, SDL_Rect area) {
  const groups *gr = &f->gr;
  int g, cap;
  SDL_Point *buf;
  cap = 8 * area.w + 128;   /* two polylines, four vertices a column */
  buf = malloc((size_t)cap * sizeof *buf);
  if (!buf) return;
  for (g = gr->g0; g < gr->g1; g++) {
    SDL_Rect cell;
    int k = g - gr->g0;
    cell.w = area.w / gr->per;
    cell.h = area.h / gr->rows;
    cell.x = area.x + (k % gr->per) * cell.w;
    cell.y = area.y + (k / gr->per) * cell.h;
    draw_group(f, g, cell, buf, cap);
  }
  free(buf);
}
