/* draw_hover.c: what the mouse shows. Over a scalar plot: a line at the
 * step under the cursor and every visible run's value there (the nearest
 * point); over a histogram: the bin under the cursor, its range and its
 * count (in a heat map, of the snapshot under the cursor). The read-out is
 * a box by the cursor, kept inside the picture, and recorded in the layout. */
#include "draw_int.h"
#include "hist.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAXBINS 512

/* The index of the point of s (of run number run) nearest to x on the
 * view's x axis (steps, and wall times, ascending). */
static size_t nearest(const frame *f, const vw_sseries *s, int run, double x) {
  size_t lo = 0, hi = s->n;
#define X(i) x_of(f, run, s->pts[i].step, s->pts[i].wall)
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (X(mid) < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo == s->n) return s->n - 1;
  if (lo > 0 && x - X(lo - 1) < X(lo) - x) return lo - 1;
  return lo;
#undef X
}

static double data_x(const vw_panel *p, int x) {
  return p->x0 + (p->x1 - p->x0) * (x - p->plot.x) / (p->plot.w > 1 ? p->plot.w - 1 : 1);
}

/* Lines of the read-out, with the colour of each swatch (alpha 0: none). */
typedef struct readout {
  int n;
  char line[24][128];
  SDL_Color sw[24];
} readout;

static void add_line(readout *r, SDL_Color sw, const char *s) {
  if (r->n == 24) return;
  snprintf(r->line[r->n], sizeof r->line[r->n], "%s", s);
  r->sw[r->n++] = sw;
}

static void scalar_readout(frame *f, const vw_panel *p, readout *r) {
  SDL_Color none = {0, 0, 0, 0};
  double step = data_x(p, f->v->hover_x);
  char num[32], buf[128];
  size_t i;
  int shown = 0, more = 0;
  if (p->xaxis != VW_X_STEP) fmt_time(num, sizeof num, step, 1, p->xaxis);
  else fmt_num(num, sizeof num, step);
  snprintf(buf, sizeof buf, "%.20s %s", p->xaxis != VW_X_STEP ? x_title(f, "") : step_word(f),
           num);
  add_line(r, none, buf);
  for (i = 0; i < f->s->ns; i++) {
    const vw_sseries *s = &f->s->s[i];
    size_t k;
    char at[32];
    if (f->gr.of[i] != p->group || run_hidden(f, f->srun[i]) || !s->n) continue;
    if (shown == 22) { more++; continue; }
    k = nearest(f, s, f->srun[i], step);
    fmt_num(num, sizeof num, s->pts[k].value);
    fmt_num(at, sizeof at, s->pts[k].step);
    snprintf(buf, sizeof buf, "%.40s  %s  (@%s)", *s->run ? s->run : s->tag, num, at);
    add_line(r, vw_run_color(f->srun[i]), buf);
    shown++;
  }
  if (more) {
    snprintf(buf, sizeof buf, "+%d more", more);
    add_line(r, none, buf);
  }
  /* the step's line */
  set_color(f->r, grey);
  SDL_RenderDrawLine(f->r, f->v->hover_x, p->plot.y, f->v->hover_x, p->plot.y + p->plot.h - 1);
}

/* Bands: the snapshot nearest the cursor, its median and percentiles. */
static void bands_readout(frame *f, const vw_panel *p, readout *r) {
  SDL_Color none = {0, 0, 0, 0};
  const vw_shist *t = &f->s->h[p->tag];
  int run = f->hrun[p->tag];
  long k = bands_nearest(f, p, t, run, data_x(p, f->v->hover_x));
  double q[VW_NQUANT];
  char a[32], b[32], buf[128];
  if (k < 0) return;
  if (!vw_hist_quantiles(&t->h[k], vw_quant, VW_NQUANT, q)) {
    add_line(r, vw_run_color(run), "no finite values");
  } else {
    static const int pair[3][2] = {{3, 5}, {2, 6}, {1, 7}};
    static const char *const name[3] = {"31-69%", "16-84%", "7-93%"};
    int i;
    fmt_num(a, sizeof a, q[4]);
    snprintf(buf, sizeof buf, "median %s", a);
    add_line(r, vw_run_color(run), buf);
    for (i = 0; i < 3; i++) {
      fmt_num(a, sizeof a, q[pair[i][0]]);
      fmt_num(b, sizeof b, q[pair[i][1]]);
      snprintf(buf, sizeof buf, "%s: %s .. %s", name[i], a, b);
      add_line(r, none, buf);
    }
    fmt_num(a, sizeof a, q[0]);
    fmt_num(b, sizeof b, q[8]);
    snprintf(buf, sizeof buf, "min .. max: %s .. %s", a, b);
    add_line(r, none, buf);
  }
  fmt_num(a, sizeof a, t->h[k].step);
  snprintf(buf, sizeof buf, "%.30s \xc2\xb7 %.20s %s", t->tag, step_word(f), a);
  add_line(r, none, buf);
}

static void hist_readout(frame *f, const vw_panel *p, readout *r) {
  SDL_Color none = {0, 0, 0, 0};
  const vw_shist *t = &f->s->h[p->tag];
  const vw_hist *h;
  double cnt[MAXBINS], w = (p->x1 - p->x0) / p->bins, lo;
  char a[32], b[32], c[32], buf[128];
  int bin = (int)((f->v->hover_x - p->plot.x) * (double)p->bins / p->plot.w);
  long k = p->snap;
  if (p->mode == VW_HIST_BANDS) { bands_readout(f, p, r); return; }
  if (p->mode == VW_HIST_HEAT && t->n)   /* the snapshot of the row under the cursor */
    k = (long)((f->v->hover_y - p->plot.y) * (double)t->n / p->plot.h);
  if (k < 0 || k >= (long)t->n || bin < 0 || bin >= p->bins || p->bins > MAXBINS) return;
  h = &t->h[k];
  vw_hist_rebin(h, p->x0, p->x1, p->bins, cnt);
  lo = p->x0 + bin * w;
  fmt_num(a, sizeof a, lo);
  fmt_num(b, sizeof b, lo + w);
  fmt_num(c, sizeof c, cnt[bin]);
  snprintf(buf, sizeof buf, "[%s, %s): %s of %llu", a, b, c, (unsigned long long)h->n);
  add_line(r, vw_run_color(f->hrun[p->tag]), buf);
  fmt_num(a, sizeof a, h->step);
  snprintf(buf, sizeof buf, "%.30s \xc2\xb7 %.20s %s", t->tag, step_word(f), a);
  add_line(r, none, buf);
}

void draw_hover(frame *f) {
  const vw_view *v = f->v;
  vw_layout *o = f->out;
  readout r;
  int i, lh = vw_font_height(f->c, VW_SMALL) + 2, w = 0, x, y;
  SDL_Color box = {255, 255, 255, 240};
  o->hover_panel = -1;
  if (v->select.w > 0 && v->select.h > 0) {   /* the drag box */
    SDL_Color sel = {31, 119, 180, 40};
    set_color(f->r, sel);
    SDL_RenderFillRect(f->r, &v->select);
    set_color(f->r, grey);
    SDL_RenderDrawRect(f->r, &v->select);
  }
  if (v->hover_x < 0 || v->hover_y < 0) return;
  for (i = 0; i < o->npanels; i++) {
    const SDL_Rect *p = &o->panel[i].plot;
    if (v->hover_x >= p->x && v->hover_x < p->x + p->w && v->hover_y >= p->y &&
        v->hover_y < p->y + p->h) break;
  }
  if (i == o->npanels) return;
  r.n = 0;
  if (o->panel[i].kind == VW_SCALAR) scalar_readout(f, &o->panel[i], &r);
  else hist_readout(f, &o->panel[i], &r);
  if (!r.n) return;
  o->hover_panel = i;
  for (i = 0; i < r.n; i++) {
    int lw = vw_text_width(f->c, VW_SMALL, r.line[i]) + (r.sw[i].a ? 16 : 0);
    if (lw > w) w = lw;
  }
  o->hover_box.w = w + 12;
  o->hover_box.h = r.n * lh + 8;
  x = v->hover_x + 14;
  y = v->hover_y + 14;
  if (x + o->hover_box.w > v->width) x = v->hover_x - 14 - o->hover_box.w;
  if (y + o->hover_box.h > v->height) y = v->height - o->hover_box.h;
  o->hover_box.x = x < 0 ? 0 : x;
  o->hover_box.y = y < 0 ? 0 : y;
  set_color(f->r, box);
  SDL_RenderFillRect(f->r, &o->hover_box);
  set_color(f->r, grey);
  SDL_RenderDrawRect(f->r, &o->hover_box);
  o->hover[0] = 0;
  for (i = 0; i < r.n; i++) {
    int ly = o->hover_box.y + 4 + i * lh, lx = o->hover_box.x + 6;
    size_t len = strlen(o->hover);
    if (r.sw[i].a) {
      set_color(f->r, r.sw[i]);
      fill_rect(f->r, lx, ly + lh / 2 - 2, 12, 4);
      lx += 16;
    }
    vw_text(f->c, VW_SMALL, ink, lx, ly, 0, r.line[i]);
    snprintf(o->hover + len, sizeof o->hover - len, "%s%s", i ? "\n" : "", r.line[i]);
  }
}
