/* test_heat.c: heat maps and constant bars, checked on the drawing's
 * records and pixels. A heat map has a colour scale, step labels (more
 * than two) that read on any colour and that the cursor line does not
 * cross, and NaN snapshots that are not white rows; a histogram of one
 * value has its bar centred on that value. */
#include "board.h"
#include "draw.h"
#include "check.h"
#include "pixels.h"
#include "render.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static vw_layout lay;

static SDL_Surface *draw(vw_board *b, vw_view *v) {
  SDL_Surface *surf = render_board(b, v, &lay);
  CHECK(surf != NULL, "render: %s", vw_error());
  return surf;
}

static int light_px(Uint32 c) {
  return ((c >> 16 & 255) + (c >> 8 & 255) + (c & 255)) > 3 * 200;
}

static void test_heat(void) {
  vw_board *b = vw_board_new(0, 0);
  float x[300];
  vw_view v;
  SDL_Surface *s;
  const vw_panel *p;
  int step, i, n = 0, lightbg = 1, crossed = 0;
  const char *texts[16];
  for (step = 1; step <= 60; step++) {
    for (i = 0; i < 300; i++) x[i] = step == 30 ? NAN : (float)((i % 30) * 0.1 * step);
    vw_board_histogram(b, "BN/L1", step * 10, x, 300, VW_SAT);
  }
  vw_view_defaults(&v);
  v.width = 600;
  v.height = 400;
  v.panels = VW_PANELS_HISTOGRAMS;
  v.time_mode = 1;
  v.cursor = 0;   /* the cursor on the first snapshot, where a label is */
  s = draw(b, &v);
  if (!s) return;
  p = &lay.panel[0];
  for (i = 0; i < lay.nticks; i++) {
    const vw_tick_label *t = &lay.tick[i];
    int xx, y, j;
    if (!t->vertical || t->panel != 0) continue;
    for (j = 0; j < n && j < 16; j++) CHECK(strcmp(texts[j], t->text) != 0, "twice: %s", t->text);
    if (n < 16) texts[n] = t->text;
    n++;
    /* a white ground under the text, and no full-width dark line through it */
    for (y = t->box.y; y < t->box.y + t->box.h; y++) {
      int dark = 0;
      for (xx = t->box.x; xx < t->box.x + t->box.w; xx++) dark += !light_px(pixel(s, xx, y));
      lightbg &= pixel(s, t->box.x, y) == 0xffffff || light_px(pixel(s, t->box.x, y));
      crossed += dark == t->box.w;
    }
  }
  CHECK(n >= 3, "%d step labels on a %d px heat map", n, p->plot.h);
  CHECK(lightbg && crossed == 0, "labels: light ground %d, lines through %d", lightbg, crossed);
  /* the NaN snapshot (the 30th of 60) is a pale red row, not white */
  {
    int y = p->plot.y + (int)((29 + 0.5) * p->plot.h / 60.0);
    Uint32 c = pixel(s, p->plot.x + p->plot.w / 2, y);
    CHECK(c == 0xffd0d8, "NaN row at y %d is %06x", y, c);
    CHECK(pixel(s, p->plot.x + p->plot.w - 2, y) == rgb(vw_warn), "no NaN mark at the edge");
  }
  /* the colour scale: white to the run's colour */
  {
    const SDL_Rect *r = &lay.scale_box;
    Uint32 end = pixel(s, r->x + r->w - 2, r->y + r->h / 2);
    SDL_Color c = vw_run_color(0);
    CHECK(r->w > 20 && light_px(pixel(s, r->x + 1, r->y + r->h / 2)) &&
          abs((int)(end >> 16 & 255) - c.r) + abs((int)(end >> 8 & 255) - c.g) +
          abs((int)(end & 255) - c.b) < 16, "colour scale at %d,%d %dx%d ends in %06x",
          r->x, r->y, r->w, r->h, end);
  }
  SDL_FreeSurface(s);
  vw_board_release(b);
}

/* In the x axis' time modes a heat map's labels are the snapshots' times:
 * relative to the run's first record, then wall clock times. */
static void test_heat_time(void) {
  vw_board *b = vw_board_new(0, 0);
  float x[30];
  vw_view v;
  int k, i, mode;
  for (i = 0; i < 30; i++) x[i] = (float)i;
  for (k = 0; k < 60; k++) {
    vw_hist h;
    vw_hist_build(&h, k * 10, x, 30, VW_SAT);
    h.wall = 1.7e9 + 30.0 * k;   /* a snapshot every 30 s */
    CHECK(vw_board_put_hist(b, "BN/L1", &h) == 0, "put: %s", vw_error());
  }
  vw_view_defaults(&v);
  v.width = 600;
  v.height = 400;
  v.panels = VW_PANELS_HISTOGRAMS;
  v.time_mode = 1;
  for (mode = VW_X_STEP; mode <= VW_X_WALL; mode++) {
    const char *first = NULL, *last = NULL;
    int n = 0, timed = 1;
    SDL_Surface *s;
    v.xaxis = mode;
    s = draw(b, &v);
    if (!s) continue;
    for (i = 0; i < lay.nticks; i++) {
      const vw_tick_label *t = &lay.tick[i];
      if (!t->vertical || t->panel != 0) continue;
      if (!first) first = t->text;
      last = t->text;
      n++;
      if (mode == VW_X_RELATIVE) timed &= strstr(t->text, " min") != NULL;
      if (mode == VW_X_WALL) timed &= strchr(t->text, ':') != NULL;
    }
    CHECK(n >= 3 && first && last, "mode %d: %d labels", mode, n);
    if (!first) continue;
    if (mode == VW_X_STEP) CHECK(strcmp(first, "step 0") == 0, "step mode: '%s'", first);
    if (mode == VW_X_RELATIVE)
      CHECK(timed && strcmp(first, "0 min") == 0 && strcmp(last, "30 min") == 0,
            "relative time: '%s' .. '%s'", first, last);
    if (mode == VW_X_WALL) CHECK(timed && strcmp(first, last) != 0, "wall time: '%s' .. '%s'",
                                 first, last);
    SDL_FreeSurface(s);
  }
  vw_board_release(b);
}

/* Every value 3: the bar is centred on 3, at any bin count. */
static void test_constant(void) {
  vw_board *b = vw_board_new(0, 0);
  float x[50];
  int i, bins;
  for (i = 0; i < 50; i++) x[i] = 3;
  vw_board_histogram(b, "run/const", 0, x, 50, VW_SAT);
  for (bins = 10; bins <= 31; bins += 21) {
    vw_view v;
    SDL_Surface *s;
    const vw_panel *p;
    int x0 = -1, x1 = -1, xx, y, at;
    vw_view_defaults(&v);
    v.width = 600;
    v.height = 300;
    v.bins = bins;
    s = draw(b, &v);
    if (!s) continue;
    p = &lay.panel[0];
    y = p->plot.y + p->plot.h - 2;
    for (xx = p->plot.x; xx < p->plot.x + p->plot.w; xx++)
      if (pixel(s, xx, y) == rgb(vw_run_color(0))) { if (x0 < 0) x0 = xx; x1 = xx; }
    at = p->plot.x + (int)lround((3 - p->x0) / (p->x1 - p->x0) * (p->plot.w - 1));
    CHECK(x0 >= 0 && abs((x0 + x1 + 1) / 2 - at) <= 1, "%d bins: bar %d..%d, 3 is at %d",
          bins, x0, x1, at);
    SDL_FreeSurface(s);
  }
  vw_board_release(b);
}

int main(void) {
  test_heat();
  test_heat_time();
  test_constant();
  return check_summary();
}
