/* draw.c: the frame of the picture (header, areas, empty board) and the
 * helpers the panels share. */
#include "draw_int.h"
#include "hist.h"
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

/* Past tab10: hues a golden angle apart, at five lightnesses in turn
 * (hues come back within 8 degrees after 21 and 34 steps, which five
 * lightnesses tell apart), so that no two runs share a colour. */
SDL_Color vw_run_color(int i) {
  SDL_Color c = {0, 0, 0, 255};
  static const double lightness[5] = {0.42, 0.30, 0.55, 0.36, 0.49};
  double h, l, s = 0.7, q, p, t[3];
  int k;
  if (i < 10) return tab10[i < 0 ? 0 : i];
  h = fmod(20 + (i - 10) * 137.50776, 360) / 360;
  l = lightness[(i - 10) % 5];
  q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  p = 2 * l - q;
  t[0] = h + 1.0 / 3;
  t[1] = h;
  t[2] = h - 1.0 / 3;
  for (k = 0; k < 3; k++) {
    double x = t[k] - floor(t[k]), v;
    v = x < 1.0 / 6 ? p + (q - p) * 6 * x : x < 0.5 ? q
      : x < 2.0 / 3 ? p + (q - p) * (2.0 / 3 - x) * 6 : p;
    (&c.r)[k] = (Uint8)lround(v * 255);
  }
  return c;
}

void vw_view_defaults(vw_view *v) {
  memset(v, 0, sizeof *v);
  v->width = 1280;
  v->height = 800;
  v->cursor = -1;
  v->bins = 30;
  v->hover_x = v->hover_y = -1;
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

double x_of(const frame *f, int run, double step, double wall) {
  if (f->v->xaxis == VW_X_WALL) return wall;
  if (f->v->xaxis == VW_X_RELATIVE) return wall - (f->run_t0 ? f->run_t0[run] : 0);
  return step;
}

const char *x_title(const frame *f, const char *word) {
  if (f->v->xaxis == VW_X_WALL) return "wall time";
  if (f->v->xaxis == VW_X_RELATIVE) return "relative time";
  return word;
}

int run_hidden(const frame *f, int i) { return i >= 0 && i < VW_MAXRUNS && f->v->hide[i]; }

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

static int cont(char c) { return ((unsigned char)c & 0xc0) == 0x80; }

/* s with the middle of s[lo, hi) replaced by an ellipsis, as little of it
 * as makes s fit in w pixels, into buf. Returns 1 when it fits. */
static int cut_span(frame *f, int font, const char *s, size_t lo, size_t hi, int w, char *buf,
                    size_t n) {
  size_t len = strlen(s), cut;
  for (cut = 1; cut <= hi - lo; cut++) {
    size_t a = lo + (hi - lo - cut) / 2, b = a + cut;
    while (a > lo && cont(s[a])) a--;
    while (b < hi && cont(s[b])) b++;
    if (a + 3 + (len - b) + 1 > n) continue;
    memcpy(buf, s, a);
    memcpy(buf + a, "\xe2\x80\xa6", 3);   /* U+2026 */
    memcpy(buf + a + 3, s + b, len - b + 1);
    if (vw_text_width(f->c, font, buf) <= w) return 1;
  }
  return 0;
}

const char *fit_middle(frame *f, int font, const char *s, int w, char *buf, size_t n) {
  return fit_keep(f, font, s, w, 0, 0, buf, n);
}

const char *fit_keep(frame *f, int font, const char *s, int w, size_t pre, size_t suf,
                     char *buf, size_t n) {
  size_t len = strlen(s);
  char tmp[256];
  snprintf(buf, n, "%s", s);
  if (vw_text_width(f->c, font, buf) <= w) return buf;
  if (pre + suf > len) pre = suf = 0;
  if (pre > 1 && cut_span(f, font, s, 0, pre, w, buf, n)) return buf;
  if (suf > 1 && len + 4 < sizeof tmp) {
    /* the shared start gone, then part of the shared end */
    size_t k = 0;
    if (pre > 1) { memcpy(tmp, "\xe2\x80\xa6", 3); k = 3; }
    else pre = 0;
    memcpy(tmp + k, s + pre, len - pre + 1);
    if (cut_span(f, font, tmp, k + len - pre - suf, k + len - pre, w, buf, n)) return buf;
  }
  if (cut_span(f, font, s, 0, len, w, buf, n)) return buf;
  buf[0] = 0;
  return buf;
}

void common_ends(const char *const *names, int n, size_t *pre, size_t *suf) {
  size_t p = 0, q = 0, len, m;
  int i;
  *pre = *suf = 0;
  if (n < 2) return;
  len = strlen(names[0]);
  for (p = len, i = 1; i < n; i++) {
    for (m = 0; m < p && names[i][m] == names[0][m]; m++) {}
    p = m;
  }
  while (p > 0 && cont(names[0][p])) p--;
  for (q = len - p, i = 1; i < n; i++) {
    size_t li = strlen(names[i]), room = li - (li < p ? li : p);   /* clear of the start */
    for (m = 0; m < q && m < room && names[i][li - 1 - m] == names[0][len - 1 - m]; m++) {}
    q = m;
  }
  while (q > 0 && cont(names[0][len - q])) q--;
  *pre = p;
  *suf = q;
}

vw_panel *add_panel(frame *f) {
  vw_panel *p;
  if (f->out->npanels >= VW_MAXPANELS) return NULL;
  p = &f->out->panel[f->out->npanels++];
  memset(p, 0, sizeof *p);
  p->snap = -1;
  return p;
}

/* Right to left: the step shown, smoothing, log scale; whatever would
 * run into the title on the left is left out, shortest forms first. */
static void draw_header(frame *f, int h, int hist) {
  char buf[160], num[32], shortb[96];
  const vw_layout *o = f->out;
  const char *title = f->v->width < 360 ? "lunet" : "lunet board";
  int x = f->v->width - 10, left = 10 + vw_text_width(f->c, VW_TITLE, title) + 16;
  vw_text(f->c, VW_TITLE, ink, 10, h / 2, VW_MIDDLE, title);
  /* the filter being typed (with a caret), or the one applied */
  if (f->v->typing || f->v->filter[0]) {
    char fit[160];
    SDL_Color typing = {31, 119, 180, 255};
    snprintf(buf, sizeof buf, f->v->typing ? "filter: %s\xe2\x96\x8f" : "filter: %s",
             f->v->typing ? f->v->typed : f->v->filter);
    left += vw_text(f->c, VW_NORMAL, f->v->typing ? typing : ink, left, h / 2, VW_MIDDLE,
                    fit_text(f, VW_NORMAL, buf, f->v->width / 2 - left, fit, sizeof fit)) + 16;
  }
  if (hist && o->nsteps) {
    const char *w;
    int i, heat = 0;
    for (i = 0; i < o->npanels; i++)
      heat |= o->panel[i].kind == VW_HISTOGRAM && o->panel[i].mode == VW_HIST_HEAT;
    fmt_num(num, sizeof num, o->step);
    snprintf(buf, sizeof buf, "histograms at %s %s (%ld of %ld%s)%s", step_word(f), num,
             o->cursor + 1, o->nsteps, o->cursor + 1 == o->nsteps ? ", newest" : "",
             f->v->time_mode == VW_HIST_HEAT ? ", over time"
             : f->v->time_mode == VW_HIST_BANDS ? ", percentile bands" : "");
    snprintf(shortb, sizeof shortb, "%s %s (%ld/%ld)", step_word(f), num, o->cursor + 1,
             o->nsteps);
    w = x - vw_text_width(f->c, VW_NORMAL, buf) >= left ? buf
      : x - vw_text_width(f->c, VW_NORMAL, shortb) >= left ? shortb : NULL;
    if (w) x -= vw_text(f->c, VW_NORMAL, ink, x, h / 2, VW_RIGHT | VW_MIDDLE, w) + 16;
    /* heat maps: what their colours mean */
    if (w && heat) {
      const char *lo = "count 0", *hi = "step's max";
      int wl = vw_text_width(f->c, VW_SMALL, lo), wh = vw_text_width(f->c, VW_SMALL, hi);
      SDL_Rect r;
      r.w = 48;
      r.h = 8;
      if (x - wh - r.w - wl - 8 >= left) {
        x -= vw_text(f->c, VW_SMALL, grey, x, h / 2, VW_RIGHT | VW_MIDDLE, hi) + 4;
        r.x = x - r.w;
        r.y = h / 2 - r.h / 2;
        draw_heat_scale(f, r, vw_run_color(0));
        f->out->scale_box = r;
        x = r.x - 4;
        x -= vw_text(f->c, VW_SMALL, grey, x, h / 2, VW_RIGHT | VW_MIDDLE, lo) + 16;
      }
    }
  }
  if (f->v->smoothing > 0) {
    snprintf(buf, sizeof buf, "smoothing %.2f", f->v->smoothing);
    if (x - vw_text_width(f->c, VW_NORMAL, buf) >= left)
      x -= vw_text(f->c, VW_NORMAL, grey, x, h / 2, VW_RIGHT | VW_MIDDLE, buf) + 16;
  }
  if (f->v->logy && x - vw_text_width(f->c, VW_NORMAL, "log scale") >= left)
    x -= vw_text(f->c, VW_NORMAL, grey, x, h / 2, VW_RIGHT | VW_MIDDLE, "log scale") + 16;
  if (f->v->robust && x - vw_text_width(f->c, VW_NORMAL, "robust y") >= left)
    vw_text(f->c, VW_NORMAL, grey, x, h / 2, VW_RIGHT | VW_MIDDLE, "robust y");
}

const char *step_word(const frame *f) {
  const char *w = NULL;
  size_t i;
  for (i = 0; i < f->s->nax; i++) {
    const char *x = f->s->ax[i].x;
    if (!x || !*x) continue;
    if (w && strcmp(w, x) != 0) return "step";
    w = x;
  }
  return w ? w : "step";
}

int vw_draw(vw_canvas *c, vw_snap *s, const vw_view *v, vw_layout *out) {
  frame f;
  vw_layout local;
  SDL_Rect area, harea, sarea;
  int head = 26, foot = v->status || v->flash ? 20 : 0, rc = 0;
  double w = v->smoothing > 0 && v->smoothing < 1 ? v->smoothing : 0;
  size_t i;
  for (i = 0; i < s->ns; i++)
    if (vw_series_prepare(&s->s[i], w) < 0) return -1;
  for (i = 0; i < s->nh; i++)   /* the bands' percentiles, when bands are drawn */
    if ((v->time_mode == VW_HIST_BANDS || s->h[i].nquant ||
         hist_mode(v, (int)i) == VW_HIST_BANDS) && vw_hist_prepare(&s->h[i]) < 0) return -1;
  memset(&f, 0, sizeof f);
  f.c = c;
  f.r = vw_canvas_renderer(c);
  f.s = s;
  f.v = v;
  f.out = out ? out : &local;
  memset(f.out, 0, sizeof *f.out);
  f.out->cursor = -1;
  f.out->typing = v->typing;
  f.out->filtered = v->filter[0] != 0;
  SDL_SetRenderDrawBlendMode(f.r, SDL_BLENDMODE_NONE);
  set_color(f.r, vw_background);
  SDL_RenderClear(f.r);
  SDL_SetRenderDrawBlendMode(f.r, SDL_BLENDMODE_BLEND);
  area.x = 0;
  area.y = head;
  area.w = v->width;
  area.h = v->height - head - foot;
  if (plan_pages(&f, area, &harea, &sarea) < 0) {
    rc = vw_fail("out of memory");
  } else if (!harea.h && !sarea.h && f.out->tags_total && v->filter[0]) {
    char msg[192];
    snprintf(msg, sizeof msg, "No tag holds \"%.100s\".", v->filter);
    vw_text(c, VW_TITLE, grey, v->width / 2, v->height / 2 - 12, VW_CENTER | VW_MIDDLE, msg);
    if (v->status)
      vw_text(c, VW_NORMAL, grey, v->width / 2, v->height / 2 + 12, VW_CENTER | VW_MIDDLE,
              "Esc clears the filter, / types another.");
  } else if (!harea.h && !sarea.h) {
    vw_text(c, VW_TITLE, grey, v->width / 2, v->height / 2 - 12, VW_CENTER | VW_MIDDLE,
            v->panels == VW_PANELS_HISTOGRAMS ? "The board has no histograms."
            : v->panels == VW_PANELS_SCALARS ? "The board has no scalars."
            : "The board is empty.");
    vw_text(c, VW_NORMAL, grey, v->width / 2, v->height / 2 + 12,
            VW_CENTER | VW_MIDDLE,
            "Log with board:scalar(tag, step, value) or "
            "board:histogram(tag, step, tensor).");
  } else {
    if (harea.h) draw_histograms(&f, harea);
    if (sarea.h) draw_scalars(&f, sarea);
  }
  draw_header(&f, head, harea.h > 0);
  if (rc == 0) draw_hover(&f);
  if (f.out->notice[0]) {
    const SDL_Rect *b = &f.out->notice_box;
    char fit[192];
    SDL_Color band = {255, 240, 240, 255};
    if (!b->h) {   /* one page, something left out: over the last line */
      f.out->notice_box.x = 0;
      f.out->notice_box.h = vw_font_height(c, VW_NORMAL) + 4;
      f.out->notice_box.y = v->height - foot - b->h;
      f.out->notice_box.w = v->width;
    }
    set_color(f.r, band);
    fill_rect(f.r, b->x, b->y, b->w, b->h);
    vw_text(c, VW_NORMAL, vw_warn, 10, b->y + b->h / 2, VW_MIDDLE,
            fit_text(&f, VW_NORMAL, f.out->notice, b->w - 20, fit, sizeof fit));
  }
  if (v->flash) {
    SDL_Color band = {255, 248, 200, 255};
    set_color(f.r, band);
    fill_rect(f.r, 0, v->height - foot, v->width, foot);
    vw_text(c, VW_NORMAL, ink, 10, v->height - foot / 2, VW_MIDDLE, v->flash);
  } else if (v->status) {
    char fit[512];
    vw_text(c, VW_SMALL, grey, 10, v->height - foot / 2, VW_MIDDLE,
            fit_text(&f, VW_SMALL, v->status, v->width - 20, fit, sizeof fit));
  }
  free_plan(&f);
  vw_canvas_end_frame(c);
  return rc;
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

void vw_key_help(const vw_layout *o, char *buf, size_t sz) {
  int hist = 0, scal = 0, bands = 0, i;
  size_t n = 0;
  for (i = 0; i < o->npanels; i++) {
    hist |= o->panel[i].kind == VW_HISTOGRAM;
    scal |= o->panel[i].kind == VW_SCALAR;
    bands |= o->panel[i].kind == VW_HISTOGRAM && o->panel[i].mode == VW_HIST_BANDS;
  }
#define KEY(s) do {                                                              \
    if (n < sz) n += (size_t)snprintf(buf + n, sz - n, "%s%s", n ? "  \xc2\xb7  " : "", s); \
  } while (0)
  buf[0] = 0;
  if (o->typing) {   /* keys type: only these do something else */
    KEY("typing a filter (part of a tag, any case)");
    KEY("Enter apply");
    KEY("Esc clear");
    KEY("Backspace");
    return;
  }
  if (o->npanels) KEY("s save PNG");
  if (o->tags_total) KEY(o->filtered ? "/ filter  \xc2\xb7  Esc clear it" : "/ filter");
  if (o->npages > 1) KEY("PgUp/PgDn page");
  if (scal) {
    KEY("l/L log (all/panel)");
    KEY("o/O robust y");
    KEY("m smooth");
    KEY("drag/wheel zoom, double-click back");
    KEY("click legend: hide");
  }
  if (hist && o->nsteps > 1) {
    KEY("\xe2\x86\x90/\xe2\x86\x92 step  \xc2\xb7  space newest");
    KEY("t/T bars/heat/bands (all/panel)");
  }
  if (scal || bands) KEY("w x: step/relative/wall");
  if (hist) KEY("x own axes");
  KEY("q close");
#undef KEY
}
