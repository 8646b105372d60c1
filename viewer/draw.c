/* draw.c: the frame of the picture (header, areas, empty board) and the
 * helpers the panels share. */
#include "draw_int.h"
#include "series.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const SDL_Color vw_background = {255, 255, 255, 255};
const SDL_Color ink = {34, 34, 34, 255};
const SDL_Color grey = {110, 110, 110, 255};
const SDL_Color light = {228, 228, 228, 255};
const SDL_Color vw_warn = {176, 0, 32, 255};

static const SDL_Color tab10[10] = {
  {31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255},
  {214, 39, 40, 255}, {148, 103, 189, 255}, {140, 86, 75, 255},
  {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255},
  {23, 190, 207, 255},
};

SDL_Color vw_run_color(int i) { return tab10[(i < 0 ? 0 : i) % 10]; }

void vw_view_defaults(vw_view *v) {
  memset(v, 0, sizeof *v);
  v->width = 1280;
  v->height = 800;
  v->cursor = -1;
  v->bins = 30;
}

void set_color(SDL_Renderer *r, SDL_Color c) {
  SDL_SetRenderDrawColor(r, c.r, c.g, c.b, c.a);
}

void fill_rect(SDL_Renderer *r, int x, int y, int w, int h) {
  SDL_Rect q;
  if (w <= 0 || h <= 0) return;
  q.x = x;
  q.y = y;
  q.w = w;
  q.h = h;
  SDL_RenderFillRect(r, &q);
}

int run_index(const frame *f, const char *run) {
  int i;
  for (i = 0; i < f->nruns; i++)
    if (strcmp(f->runs[i], run) == 0) return i;
  return 0;
}

int to_px(double v) {
  if (!(v > -1e6)) return -1000000;
  if (v > 1e6) return 1000000;
  return (int)floor(v + 0.5);
}

/* Half scale when b - a overflows: b / 2 - a / 2 cannot. */
static double span_scale(double a, double b) { return isfinite(b - a) ? 1 : 0.5; }

void pxmap_init(pxmap *m, double a, double b, int from, int to) {
  m->k = span_scale(a, b);
  m->a = a * m->k;
  m->s = (to - from) / (b * m->k - m->a);
  if (!isfinite(m->s)) m->s = 0;
  m->from = from;
}

void fmt_num(char *buf, size_t n, double v) {
  char r[32];
  double a;
  /* the suffix of the value as rounded: 999950 is "1M", not "1e+03k" */
  snprintf(r, sizeof r, "%.3g", v);
  a = fabs(strtod(r, NULL));
  if (a < 1e4) a = fabs(v);
  if (isnan(v)) snprintf(buf, n, "NaN");
  else if (isinf(v)) snprintf(buf, n, v > 0 ? "+Inf" : "-Inf");
  else if (a >= 1e15 || (a < 1e-3 && a > 0)) snprintf(buf, n, "%.2g", v);
  else if (a >= 1e12) snprintf(buf, n, "%.3gT", v / 1e12);
  else if (a >= 1e9) snprintf(buf, n, "%.3gG", v / 1e9);
  else if (a >= 1e6) snprintf(buf, n, "%.3gM", v / 1e6);
  else if (a >= 1e4) snprintf(buf, n, "%.3gk", v / 1e3);
  else snprintf(buf, n, "%.4g", v);
}

void widen_point(double *a, double *b, double by) {
  double d = fabs(*a) * 1e-9;   /* far above double's 1e-16 rounding */
  if (d < by) d = by;
  *a -= d;
  *b += d;
}

const char *fit_text(frame *f, int font, const char *s, int w, char *buf, size_t n) {
  size_t k;
  snprintf(buf, n, "%s", s);
  if (vw_text_width(f->c, font, buf) <= w) return buf;
  for (k = strlen(buf); k > 0;) {
    do k--; while (k > 0 && ((unsigned char)buf[k] & 0xc0) == 0x80);
    if (k + 4 > n) continue;
    memcpy(buf + k, "\xe2\x80\xa6", 4);   /* U+2026, with the NUL */
    if (vw_text_width(f->c, font, buf) <= w) return buf;
  }
  buf[0] = 0;
  return buf;
}

vw_panel *add_panel(frame *f) {
  vw_panel *p;
  if (f->out->npanels >= VW_MAXPANELS) return NULL;
  p = &f->out->panel[f->out->npanels++];
  memset(p, 0, sizeof *p);
  p->snap = -1;
  return p;
}

/* Runs ordered by the creation of their first tag, either kind. */
static void collect_runs(frame *f) {
  const vw_snap *s = f->s;
  size_t i, j, total = s->ns + s->nh;
  f->nruns = 0;
  for (i = 0; i < total; i++) {
    /* pick the i-th tag in creation order: seq values are unique */
    int best = -1;
    const char *run = NULL;
    for (j = 0; j < s->ns; j++)
      if (s->s[j].seq == (int)i) { best = 1; run = s->s[j].run; }
    for (j = 0; j < s->nh && best < 0; j++)
      if (s->h[j].seq == (int)i) { best = 1; run = s->h[j].run; }
    if (!run) continue;
    for (j = 0; j < (size_t)f->nruns; j++)
      if (strcmp(f->runs[j], run) == 0) break;
    if (j == (size_t)f->nruns && f->nruns < MAXRUNS) f->runs[f->nruns++] = run;
  }
}

static void draw_header(frame *f, int h, int hist) {
  char buf[160], num[32];
  const vw_layout *o = f->out;
  int x = f->v->width - 10;
  vw_text(f->c, VW_TITLE, ink, 10, h / 2, VW_MIDDLE, "lunet board");
  if (hist && o->nsteps) {
    fmt_num(num, sizeof num, o->step);
    snprintf(buf, sizeof buf, "histograms at step %s (%ld of %ld%s)%s", num,
             o->cursor + 1, o->nsteps, f->v->cursor < 0 ? ", newest" : "",
             f->v->time_mode ? ", over time" : "");
    x -= vw_text(f->c, VW_NORMAL, ink, x, h / 2, VW_RIGHT | VW_MIDDLE, buf) + 16;
  }
  if (f->v->smoothing > 0) {
    snprintf(buf, sizeof buf, "smoothing %.2f", f->v->smoothing);
    x -= vw_text(f->c, VW_NORMAL, grey, x, h / 2, VW_RIGHT | VW_MIDDLE, buf) + 16;
  }
  if (f->v->logy) vw_text(f->c, VW_NORMAL, grey, x, h / 2, VW_RIGHT | VW_MIDDLE, "log scale");
}

int vw_draw(vw_canvas *c, vw_snap *s, const vw_view *v, vw_layout *out) {
  frame f;
  vw_layout local;
  SDL_Rect area;
  int head = 26, foot = v->status ? 20 : 0;
  int hist = s->nh && v->panels != VW_PANELS_SCALARS;
  int scal = s->ns && v->panels != VW_PANELS_HISTOGRAMS;
  double w = v->smoothing > 0 && v->smoothing < 1 ? v->smoothing : 0;
  size_t i;
  for (i = 0; i < s->ns; i++)
    if (vw_series_prepare(&s->s[i], w) < 0) return -1;
  memset(&f, 0, sizeof f);
  f.c = c;
  f.r = vw_canvas_renderer(c);
  f.s = s;
  f.v = v;
  f.out = out ? out : &local;
  memset(f.out, 0, sizeof *f.out);
  f.out->cursor = -1;
  collect_runs(&f);
  SDL_SetRenderDrawBlendMode(f.r, SDL_BLENDMODE_NONE);
  set_color(f.r, vw_background);
  SDL_RenderClear(f.r);
  SDL_SetRenderDrawBlendMode(f.r, SDL_BLENDMODE_BLEND);
  area.x = 0;
  area.y = head;
  area.w = v->width;
  area.h = v->height - head - foot;
  if (!hist && !scal) {
    vw_text(c, VW_TITLE, grey, v->width / 2, v->height / 2 - 12, VW_CENTER | VW_MIDDLE,
            v->panels == VW_PANELS_HISTOGRAMS ? "The board has no histograms."
            : v->panels == VW_PANELS_SCALARS ? "The board has no scalars."
            : "The board is empty.");
    vw_text(c, VW_NORMAL, grey, v->width / 2, v->height / 2 + 12,
            VW_CENTER | VW_MIDDLE,
            "Log with board:scalar(tag, step, value) or "
            "board:histogram(tag, step, tensor).");
  } else if (hist && scal) {
    SDL_Rect top = area, bottom = area;
    top.h = area.h * 58 / 100;
    bottom.y = area.y + top.h;
    bottom.h = area.h - top.h;
    draw_histograms(&f, top);
    draw_scalars(&f, bottom);
  } else if (hist) {
    draw_histograms(&f, area);
  } else {
    draw_scalars(&f, area);
  }
  draw_header(&f, head, hist);
  if (v->status)
    vw_text(c, VW_SMALL, grey, 10, v->height - foot / 2, VW_MIDDLE, v->status);
  vw_canvas_end_frame(c);
  return 0;
}

/* How many distinct names: the i-th at base + i * stride. */
static int count_names(const void *base, size_t n, size_t stride, size_t off) {
  size_t i, j;
  int k = 0;
#define NAME(i) (*(char *const *)((const char *)base + (i) * stride + off))
  for (i = 0; i < n; i++) {
    for (j = 0; j < i && strcmp(NAME(i), NAME(j)); j++) {}
    k += j == i;
  }
#undef NAME
  return k;
}

static int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Sizes for vw_render's width or height of 0: a histogram panel about
 * 180x200, a scalar panel 640x400, up to three of them a row. */
static void auto_size(const vw_snap *s, vw_view *v) {
  int w = 1280, h = 800;
  if (v->panels == VW_PANELS_HISTOGRAMS && s->nh) {
    int rows = count_names(s->h, s->nh, sizeof *s->h, offsetof(vw_shist, run));
    int cols = count_names(s->h, s->nh, sizeof *s->h, offsetof(vw_shist, layer));
    w = clamp(180 * cols + 12, 480, 2400);
    h = clamp(26 + 200 * rows, 240, 2400);
  } else if (v->panels == VW_PANELS_SCALARS && s->ns) {
    int ng = count_names(s->s, s->ns, sizeof *s->s, offsetof(vw_sseries, group));
    int per = ng < 3 ? ng : 3;
    w = 640 * per;
    h = clamp(26 + 400 * ((ng + per - 1) / per), 240, 2400);
  } else if (v->panels != VW_PANELS_ALL) {
    w = 640;
    h = 400;
  }
  if (!v->width) v->width = w;
  if (!v->height) v->height = h;
}

SDL_Surface *vw_render(vw_snap *s, const vw_view *view, vw_layout *out) {
  SDL_Surface *surf;
  SDL_Renderer *r;
  vw_canvas *c;
  vw_view sized = *view, *v = &sized;
  auto_size(s, v);
  if (v->width < 64 || v->height < 64 || v->width > 16384 || v->height > 16384) {
    vw_fail("picture size %dx%d is out of range (64..16384)", v->width, v->height);
    return NULL;
  }
  surf = SDL_CreateRGBSurfaceWithFormat(0, v->width, v->height, 32,
                                        SDL_PIXELFORMAT_ARGB8888);
  if (!surf) { vw_fail("cannot make a surface: %s", SDL_GetError()); return NULL; }
  r = SDL_CreateSoftwareRenderer(surf);
  if (!r) {
    vw_fail("cannot make a software renderer: %s", SDL_GetError());
    SDL_FreeSurface(surf);
    return NULL;
  }
  c = vw_canvas_new(r);
  if (!c) {
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(surf);
    return NULL;
  }
  if (vw_draw(c, s, v, out) < 0) {
    SDL_FreeSurface(surf);
    surf = NULL;
  } else {
    SDL_RenderPresent(r);
  }
  vw_canvas_free(c);
  SDL_DestroyRenderer(r);
  return surf;
}
