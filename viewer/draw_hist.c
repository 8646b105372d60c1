/* draw_hist.c: the grid of histogram panels (rows = runs, columns = layers),
 * as bars at one step or as heat maps over all steps. */
#include "draw_int.h"
#include "hist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXBINS 512

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Sorted distinct steps of every snapshot; the cursor picks one. */
static void pick_step(frame *f) {
  const vw_snap *s = f->s;
  size_t i, j, n = 0, total = 0;
  double *steps;
  for (i = 0; i < s->nh; i++) total += s->h[i].n;
  steps = malloc((total ? total : 1) * sizeof *steps);
  if (!steps) return;
  for (i = 0; i < s->nh; i++)
    for (j = 0; j < s->h[i].n; j++) steps[n++] = s->h[i].h[j].step;
  qsort(steps, n, sizeof *steps, cmp_double);
  for (i = j = 0; i < n; i++)
    if (j == 0 || steps[i] != steps[j - 1]) steps[j++] = steps[i];
  f->out->nsteps = (long)j;
  if (j) {
    long c = f->v->cursor;
    if (f->v->at_step) {  /* the newest step at or before the one asked */
      for (c = 0; c + 1 < (long)j && steps[c + 1] <= f->v->step; c++) {}
    }
    if (c < 0 || c >= (long)j) c = (long)j - 1;
    f->out->cursor = c;
    f->out->step = steps[c];
  }
  free(steps);
}

/* The newest snapshot of t at or before step, or -1. */
static long snap_at(const vw_shist *t, double step) {
  long i;
  for (i = (long)t->n - 1; i >= 0; i--)
    if (t->h[i].step <= step) return i;
  return -1;
}

/* The span of every snapshot of t, widened when empty or a point;
 * returns 1 for a point. */
static int tag_span(const vw_shist *t, double *a, double *b) {
  size_t j;
  *a = INFINITY;
  *b = -INFINITY;
  for (j = 0; j < t->n; j++) {
    double lo, hi;
    if (!vw_hist_span(&t->h[j], &lo, &hi)) continue;
    if (lo < *a) *a = lo;
    if (hi > *b) *b = hi;
  }
  if (*a > *b) { *a = -1; *b = 1; }
  else if (*a == *b) { widen_point(a, b, 0.5); return 1; }
  return 0;
}

static void pct(char *buf, size_t n, uint64_t part, uint64_t whole) {
  double p = whole ? 100.0 * (double)part / (double)whole : 0;
  snprintf(buf, n, p > 0 && p < 10 ? "%.1f%%" : "%.0f%%", p);
}

/* Labels stay within 4 px of their plot, clear of the next panel's. */
static void draw_ticks(frame *f, const SDL_Rect *p, double a, double b, int panel) {
  tick_axis ax;
  ticks t;
  pxmap m;
  int i;
  pxmap_init(&m, a, b, p->x, p->x + p->w - 1);
  memset(&ax, 0, sizeof ax);
  ax.m = &m;
  ax.a = a;
  ax.b = b;
  ax.font = VW_SMALL;
  ax.lo = p->x - 4;
  ax.hi = p->x + p->w + 4;
  ax.minsp = 45;
  choose_ticks(f, &ax, &t);
  set_color(f->r, grey);
  for (i = 0; i < t.n; i++)
    SDL_RenderDrawLine(f->r, t.px[i], p->y + p->h, t.px[i], p->y + p->h + 2);
  draw_tick_labels(f, &ax, &t, p->y + p->h + 3, grey, panel);
}

static void draw_bars(frame *f, vw_panel *pp, const vw_hist *h, double a, double b,
                      SDL_Color col) {
  double cnt[MAXBINS], maxc = 0;
  const SDL_Rect *p = &pp->plot;
  int j, nb = pp->bins;
  vw_hist_rebin(h, a, b, nb, cnt);
  for (j = 0; j < nb; j++)
    if (cnt[j] > maxc) maxc = cnt[j];
  pp->y0 = 0;
  pp->y1 = maxc;
  if (maxc <= 0) {
    vw_text(f->c, VW_SMALL, vw_warn, p->x + p->w / 2, p->y + p->h / 2,
            VW_CENTER | VW_MIDDLE, "no finite values");
    return;
  }
  set_color(f->r, col);
  for (j = 0; j < nb; j++) {
    int x0 = p->x + j * p->w / nb, x1 = p->x + (j + 1) * p->w / nb;
    int hgt = (int)lround(cnt[j] / maxc * p->h);
    if (cnt[j] > 0 && hgt < 1) hgt = 1;
    if (x1 - x0 > 3) x1--;   /* a gap between bars when there is room */
    fill_rect(f->r, x0, p->y + p->h - hgt, x1 - x0, hgt);
  }
}

/* How a heat map's intensity reads: q = sqrt(count / the step's tallest
 * bin), from white to the run's colour. */
static Uint32 heat_px(SDL_Color col, double q) {
  Uint8 cr = (Uint8)lround(255 - q * (255 - col.r));
  Uint8 cg = (Uint8)lround(255 - q * (255 - col.g));
  Uint8 cb = (Uint8)lround(255 - q * (255 - col.b));
  return 0xff000000u | (Uint32)cr << 16 | (Uint32)cg << 8 | cb;
}

void draw_heat_scale(frame *f, SDL_Rect r, SDL_Color col) {
  int x;
  for (x = 0; x < r.w; x++) {
    Uint32 c = heat_px(col, r.w > 1 ? (double)x / (r.w - 1) : 1);
    SDL_Color k = {(Uint8)(c >> 16), (Uint8)(c >> 8), (Uint8)c, 255};
    set_color(f->r, k);
    SDL_RenderDrawLine(f->r, r.x + x, r.y, r.x + x, r.y + r.h - 1);
  }
  set_color(f->r, light);
  SDL_RenderDrawRect(f->r, &r);
}

/* Step labels at the left of a heat map, each on a white ground so that
 * it reads on any colour (and the cursor line passes under it): as many
 * as fit 28 px apart, at snapshots spread evenly, first and last among
 * them; recorded as the panel's vertical tick labels. In the time modes
 * of the x axis (`w`) they are the snapshots' times, as the curves' x
 * axis shows them ("35 s", "12:03:10"), to the labels' spacing. */
static void heat_labels(frame *f, const vw_panel *pp, const vw_shist *t, int run, int panel) {
  const SDL_Rect *p = &pp->plot;
  int fh = vw_font_height(f->c, VW_SMALL), k, n = p->h / 28 + 1, timed = f->v->xaxis != VW_X_STEP;
  SDL_Color box = {255, 255, 255, 215};
  double first, spacing;
  if (n > (int)t->n) n = (int)t->n;
  if (n > 8) n = 8;
  first = x_of(f, run, t->h[0].step, t->h[0].wall);
  spacing = n > 1 ? (x_of(f, run, t->h[t->n - 1].step, t->h[t->n - 1].wall) - first) / (n - 1) : 1;
  for (k = 0; k < n; k++) {
    size_t i = n > 1 ? (size_t)k * (t->n - 1) / (size_t)(n - 1) : t->n - 1;
    int y = p->y + (int)((i + 0.5) * p->h / (double)t->n), w;
    char num[32], buf[48];
    SDL_Rect r;
    if (timed)
      fmt_time(num, sizeof num, x_of(f, run, t->h[i].step, t->h[i].wall), spacing, f->v->xaxis);
    else
      fmt_num(num, sizeof num, t->h[i].step);
    snprintf(buf, sizeof buf, k == 0 && !timed ? "%.16s %s" : "%.0s%s", step_word(f), num);
    w = vw_text_width(f->c, VW_SMALL, buf);
    r.x = p->x + 1;
    r.y = y - fh / 2;
    if (r.y < p->y + 1) r.y = p->y + 1;
    if (r.y + fh > p->y + p->h - 1) r.y = p->y + p->h - 1 - fh;
    r.w = w + 4;
    r.h = fh;
    set_color(f->r, box);
    fill_rect(f->r, r.x, r.y, r.w, r.h);
    vw_text(f->c, VW_SMALL, ink, r.x + 2, r.y, 0, buf);
    if (panel >= 0 && f->out->nticks < VW_MAXTICKS) {
      vw_tick_label *l = &f->out->tick[f->out->nticks++];
      l->panel = panel;
      l->vertical = 1;
      l->value = t->h[i].step;
      l->box = r;
      snprintf(l->text, sizeof l->text, "%.23s", buf);
    }
  }
}

/* One row per snapshot (oldest at the top), each normalized to its own
 * tallest bin so every step's shape is visible. A snapshot with no finite
 * value is a pale red row, one with some NaN/Inf has a red mark at the
 * right edge. */
static void draw_heat(frame *f, vw_panel *pp, const vw_shist *t, int run, double a, double b,
                      SDL_Color col, int panel) {
  const SDL_Rect *p = &pp->plot;
  int nb = pp->bins, rows = (int)t->n < p->h ? (int)t->n : p->h, r, j;
  double cnt[MAXBINS];
  SDL_Surface *img;
  SDL_Texture *tex;
  if (rows <= 0) return;
  img = SDL_CreateRGBSurfaceWithFormat(0, nb + 1, rows, 32, SDL_PIXELFORMAT_ARGB8888);
  if (!img) return;
  for (r = 0; r < rows; r++) {
    size_t k = (size_t)r * t->n / (size_t)rows;
    const vw_hist *h = &t->h[k];
    Uint32 *px = (Uint32 *)((char *)img->pixels + r * img->pitch);
    double maxc = 0;
    vw_hist_rebin(h, a, b, nb, cnt);
    for (j = 0; j < nb; j++)
      if (cnt[j] > maxc) maxc = cnt[j];
    for (j = 0; j < nb; j++)
      px[j] = maxc > 0 ? heat_px(col, sqrt(cnt[j] / maxc)) : 0xffffd0d8u;
    /* the last column: the NaN/Inf mark, drawn apart below */
    px[nb] = h->nan || h->pinf || h->ninf ? 0xff000000u | 0xb00020 : 0;
  }
  tex = SDL_CreateTextureFromSurface(f->r, img);
  if (tex) {
    SDL_Rect src = {0, 0, nb, rows}, mark = {nb, 0, 1, rows}, dst = *p;
    SDL_RenderCopy(f->r, tex, &src, p);
    SDL_SetTextureBlendMode(tex, SDL_BLENDMODE_BLEND);
    dst.x = p->x + p->w - 3;
    dst.w = 3;
    SDL_RenderCopy(f->r, tex, &mark, &dst);
    SDL_DestroyTexture(tex);
  }
  SDL_FreeSurface(img);
  pp->y0 = t->h[0].step;
  pp->y1 = t->h[t->n - 1].step;
  if (pp->snap >= 0 && t->n > 1) {
    int y = p->y + (int)((pp->snap + 0.5) * p->h / (double)t->n);
    set_color(f->r, ink);
    SDL_RenderDrawLine(f->r, p->x, y, p->x + p->w - 1, y);
  }
  heat_labels(f, pp, t, run, panel);
}

int hist_mode(const vw_view *v, int tag) {
  int turn = tag >= 0 && tag < VW_MAXHTAGS ? v->hist_turn[tag] : 0;
  return ((v->time_mode % VW_HIST_MODES) + turn) % VW_HIST_MODES;
}

/* Bands: values up the y axis, over the range the bars have along x. */
static void as_bands(frame *f, vw_panel *pp, const vw_shist *t, int tag, int panel) {
  pp->y0 = pp->x0;
  pp->y1 = pp->x1;
  draw_bands(f, pp, t, f->hrun[tag], vw_run_color(f->hrun[tag]), panel);
}

static void draw_panel(frame *f, int tag, SDL_Rect cell) {
  const grid *g = &f->g;
  const vw_shist *t = &f->s->h[tag];
  int row = g->row[tag], col = g->col[tag];
  vw_panel tmp, *pp = add_panel(f);
  const vw_hist *h;
  SDL_Color rc = vw_run_color(f->hrun[tag]);
  int lh = vw_font_height(f->c, VW_SMALL), th = vw_font_height(f->c, VW_NORMAL);
  char title[96], buf[160], z[16], sat[16], num[32], fit[160];
  int tw = cell.w - 9 - 4;   /* text inside the cell, clear of the next one */
  int panel = pp ? (int)(pp - f->out->panel) : -1, point;
  if (!pp) pp = &tmp;
  pp->kind = VW_HISTOGRAM;
  pp->tag = tag;
  pp->group = -1;
  pp->row = row;
  pp->col = col;
  pp->bins = f->v->bins < 2 ? 2 : f->v->bins > MAXBINS ? MAXBINS : f->v->bins;
  pp->x0 = g->lo[col];
  pp->x1 = g->hi[col];
  point = g->point[col];
  if (f->v->tag_axis) point = tag_span(t, &pp->x0, &pp->x1);
  /* an axis widened from one value: an odd number of bins puts that
   * value at the middle of a bin, so its bar is centred on it */
  if (point && !(pp->bins & 1)) pp->bins += pp->bins < MAXBINS ? 1 : -1;
  pp->snap = snap_at(t, f->out->step);
  pp->plot.x = cell.x + 6;
  pp->plot.y = cell.y + th + 2 * lh + 4;
  pp->plot.w = cell.w - 12;
  pp->plot.h = cell.h - (pp->plot.y - cell.y) - lh - 6;
  if (*t->run) snprintf(title, sizeof title, "%s \xc2\xb7 %s", t->run, t->layer);
  else snprintf(title, sizeof title, "%s", t->layer);
  snprintf(pp->title, sizeof pp->title, "%s", title);
  buf[0] = 0;   /* the step of an older snapshot, kept whole */
  if (pp->snap >= 0 && t->h[pp->snap].step != f->out->step) {
    fmt_num(num, sizeof num, t->h[pp->snap].step);
    snprintf(buf, sizeof buf, " @%s", num);
  }
  tw -= vw_text_width(f->c, VW_NORMAL, buf);
  /* too long: the layer alone, which tells the columns apart (the colour
   * and the row tell the run), cut in the middle if need be */
  if (vw_text_width(f->c, VW_NORMAL, title) > tw)
    fit_keep(f, VW_NORMAL, t->layer, tw, g->pre, g->suf, title, sizeof title);
  snprintf(fit, sizeof fit, "%s%s", title, buf);
  set_color(f->r, rc);
  fill_rect(f->r, cell.x + 2, cell.y + 3, 4, th - 4);
  vw_text(f->c, VW_NORMAL, ink, cell.x + 9, cell.y, 0, fit);
  tw = cell.w - 9 - 4;
  if (pp->plot.w < 8 || pp->plot.h < 8) return;
  pp->mode = hist_mode(f->v, tag);
  set_color(f->r, light);
  SDL_RenderDrawRect(f->r, &pp->plot);
  if (pp->mode != VW_HIST_BANDS) draw_ticks(f, &pp->plot, pp->x0, pp->x1, panel);
  if (pp->snap < 0 && pp->mode == VW_HIST_BANDS) {   /* bands need no snapshot of the step */
    as_bands(f, pp, t, tag, panel);
    return;
  }
  if (pp->snap < 0) {
    vw_text(f->c, VW_SMALL, grey, pp->plot.x + pp->plot.w / 2,
            pp->plot.y + pp->plot.h / 2, VW_CENTER | VW_MIDDLE, "no data yet");
    return;
  }
  h = &t->h[pp->snap];
  pct(z, sizeof z, h->zeros, h->n);
  pct(sat, sizeof sat, h->sat, h->n);
  fmt_num(num, sizeof num, h->sat_at);
  snprintf(buf, sizeof buf, "0: %s  |x|>%s: %s", z, num[0] == '0' ? num + 1 : num, sat);
  vw_text(f->c, VW_SMALL, grey, cell.x + 9, cell.y + th, 0,
          fit_text(f, VW_SMALL, buf, tw, fit, sizeof fit));
  if (h->nan || h->pinf || h->ninf) {
    int n = 0;
    buf[0] = 0;
    if (h->nan) n += snprintf(buf + n, sizeof buf - n, "NaN %llu ", (unsigned long long)h->nan);
    if (h->pinf) n += snprintf(buf + n, sizeof buf - n, "+Inf %llu ", (unsigned long long)h->pinf);
    if (h->ninf) snprintf(buf + n, sizeof buf - n, "-Inf %llu", (unsigned long long)h->ninf);
    vw_text(f->c, VW_SMALL, vw_warn, cell.x + 9, cell.y + th + lh, 0,
            fit_text(f, VW_SMALL, buf, tw, fit, sizeof fit));
  }
  if (pp->mode == VW_HIST_BANDS) {
    as_bands(f, pp, t, tag, panel);
    return;
  }
  if (pp->mode == VW_HIST_HEAT) draw_heat(f, pp, t, f->hrun[tag], pp->x0, pp->x1, rc, panel);
  else draw_bars(f, pp, h, pp->x0, pp->x1, rc);
  /* the zero line, where dead units pile up */
  if (pp->x0 < 0 && pp->x1 > 0) {
    pxmap m;
    int x;
    pxmap_init(&m, pp->x0, pp->x1, pp->plot.x, pp->plot.x + pp->plot.w - 1);
    x = pxmap_at(&m, 0);
    SDL_Color zc = {0, 0, 0, 60};
    set_color(f->r, zc);
    SDL_RenderDrawLine(f->r, x, pp->plot.y, x, pp->plot.y + pp->plot.h - 1);
  }
  set_color(f->r, grey);
  SDL_RenderDrawLine(f->r, pp->plot.x, pp->plot.y + pp->plot.h,
                     pp->plot.x + pp->plot.w - 1, pp->plot.y + pp->plot.h);
}

void draw_histograms(frame *f, SDL_Rect area) {
  const grid *g = &f->g;
  size_t i;
  pick_step(f);
  area.x += 6;
  for (i = 0; i < f->s->nh; i++) {
    const vw_shist *t = &f->s->h[i];
    int band = g->col[i] / g->cpb, u = band * g->nrows + g->row[i];
    SDL_Rect cell;
    if (g->col[i] < 0 || u < g->unit0 || u >= g->unit1 || !t->n) continue;
    cell.x = area.x + (g->col[i] - band * g->cpb) * g->cell_w;
    cell.y = area.y + (u - g->unit0) * g->cell_h;
    cell.w = g->cell_w;
    cell.h = g->cell_h;
    draw_panel(f, (int)i, cell);
  }
}
