/* test_bands.c: histograms as TensorBoard's percentile bands over steps.
 * The percentiles of a summary are those of its values (to a fine bin);
 * the bands lie where the values are at each step and nowhere else, with
 * the median line in the run's colour; each panel can be drawn its own way
 * (bars, heat map, bands); the axes are labelled; a snapshot with no
 * finite value leaves a red-marked gap; save_png draws them too. */
#include "board.h"
#include "draw.h"
#include "export.h"
#include "hist.h"
#include "input.h"
#include "check.h"
#include "pixels.h"
#include "render.h"

#include <SDL_image.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static vw_layout lay;

static void test_quantiles(void) {
  static float x[1000];
  double q[VW_NQUANT], tol;
  vw_hist h;
  int i;
  for (i = 0; i < 1000; i++) x[i] = (float)(i + 1);   /* 1 .. 1000 */
  vw_hist_build(&h, 0, x, 1000, VW_SAT);
  CHECK(vw_hist_quantiles(&h, vw_quant, VW_NQUANT, q), "no quantiles");
  tol = 999.0 / VW_FINE + 1;   /* a fine bin, and the discreteness */
  CHECK(q[0] == 1 && q[8] == 1000, "min %g max %g", q[0], q[8]);
  for (i = 1; i < 8; i++)
    CHECK(fabs(q[i] - 1000 * vw_quant[i]) <= tol, "q%.4f = %g", vw_quant[i], q[i]);
  /* half exact zeros, half in [1, 2]: the zeros are a point at 0 */
  for (i = 0; i < 1000; i++) x[i] = i < 500 ? 0 : 1 + (float)(i - 500) / 499;
  vw_hist_build(&h, 0, x, 1000, VW_SAT);
  {
    double qq[4] = {0, 0.25, 0.75, 1}, out[4];
    vw_hist_quantiles(&h, qq, 4, out);
    CHECK(out[0] == 0 && out[1] == 0 && fabs(out[2] - 1.5) < 0.01 && out[3] == 2,
          "zeros: %g %g %g %g", out[0], out[1], out[2], out[3]);
  }
  /* negative values, zeros, positive: the zeros sit between */
  for (i = 0; i < 1000; i++)
    x[i] = i < 250 ? -2 + (float)i / 249 : i < 750 ? 0 : 1 + (float)(i - 750) / 249;
  vw_hist_build(&h, 0, x, 1000, VW_SAT);
  {
    double qq[3] = {0.125, 0.5, 0.875}, out[3];
    vw_hist_quantiles(&h, qq, 3, out);
    CHECK(fabs(out[0] + 1.5) < 0.02 && out[1] == 0 && fabs(out[2] - 1.5) < 0.02,
          "signed: %g %g %g", out[0], out[1], out[2]);
  }
  /* NaN only: no quantiles */
  x[0] = NAN;
  vw_hist_build(&h, 0, x, 1, VW_SAT);
  CHECK(!vw_hist_quantiles(&h, vw_quant, VW_NQUANT, q), "NaN has quantiles");
}

/* Values uniform in [s, s + 1] at step s = 0..10 (and L2 the same). */
static vw_board *drifting(int nan_at) {
  vw_board *b = vw_board_new(0, 0);
  static float x[400];
  int s, i;
  for (s = 0; s <= 10; s++) {
    for (i = 0; i < 400; i++) x[i] = s == nan_at ? NAN : s + (float)i / 399;
    vw_board_histogram(b, "A/L1", s, x, 400, VW_SAT);
    vw_board_histogram(b, "A/L2", s, x, 400, VW_SAT);
  }
  return b;
}

static int ypx(const vw_panel *p, double v) {
  double u = (v - p->y0) / (p->y1 - p->y0);
  return (int)lround(p->plot.y + p->plot.h - 1 - u * (p->plot.h - 1));
}
static int xpx(const vw_panel *p, double x) {
  return (int)lround(p->plot.x + (x - p->x0) / (p->x1 - p->x0) * (p->plot.w - 1));
}

static int labels(int panel, int vertical) {
  int i, n = 0;
  for (i = 0; i < lay.nticks; i++)
    n += lay.tick[i].panel == panel && lay.tick[i].vertical == vertical;
  return n;
}

static void test_drawn(void) {
  vw_board *b = drifting(-1);
  vw_view v;
  SDL_Surface *surf;
  const vw_panel *p;
  Uint32 bg = rgb(vw_background), col = rgb(vw_run_color(0));
  vw_view_defaults(&v);
  v.width = 800;
  v.height = 360;
  v.panels = VW_PANELS_HISTOGRAMS;
  v.time_mode = VW_HIST_BANDS;
  v.hist_turn[1] = 1;   /* L2: one past bands, bars */
  surf = render_board(b, &v, &lay);
  CHECK(surf && lay.npanels == 2, "%d panels", lay.npanels);
  if (!surf || lay.npanels != 2) return;
  p = &lay.panel[0];
  CHECK(p->mode == VW_HIST_BANDS && lay.panel[1].mode == VW_HIST_BARS, "modes %d %d", p->mode,
        lay.panel[1].mode);
  CHECK(p->x0 == 0 && p->x1 == 10 && p->y0 <= 0 && p->y1 >= 11, "axes %g..%g, %g..%g", p->x0,
        p->x1, p->y0, p->y1);
  /* at step 1 the values are in [1, 2]: shaded at 1.5, blank at 6; at
   * step 9 shaded at 9.5, blank at 4 */
  CHECK(pixel(surf, xpx(p, 1), ypx(p, 1.5)) != bg && pixel(surf, xpx(p, 1), ypx(p, 6)) == bg,
        "step 1: %06x at 1.5, %06x at 6", pixel(surf, xpx(p, 1), ypx(p, 1.5)),
        pixel(surf, xpx(p, 1), ypx(p, 6)));
  CHECK(pixel(surf, xpx(p, 9), ypx(p, 9.5)) != bg && pixel(surf, xpx(p, 9), ypx(p, 4)) == bg,
        "step 9");
  /* darker inside: the 31..69% band over the min..max one */
  {
    Uint32 in = pixel(surf, xpx(p, 5), ypx(p, 5.5)), out = pixel(surf, xpx(p, 5), ypx(p, 5.03));
    CHECK((in & 0xff) < (out & 0xff) || (in >> 16) < (out >> 16), "inner %06x outer %06x", in,
          out);
  }
  /* the median in the run's colour */
  CHECK(near(surf, xpx(p, 5), ypx(p, 5.5), 2, vw_run_color(0)), "no median line at 5.5");
  CHECK(labels(0, 0) >= 3 && labels(0, 1) >= 3, "labels: %d x, %d y", labels(0, 0), labels(0, 1));
  /* the bars panel has its bars, still along x */
  CHECK(count_in(surf, lay.panel[1].plot, col) > 50, "L2 has no bars");
  SDL_FreeSurface(surf);
  vw_board_release(b);
}

/* A snapshot of NaN only: a gap, marked red at the plot's foot. */
static void test_gap(void) {
  vw_board *b = drifting(5);
  vw_view v;
  SDL_Surface *surf;
  vw_view_defaults(&v);
  v.width = 400;
  v.height = 300;
  v.panels = VW_PANELS_HISTOGRAMS;
  v.time_mode = VW_HIST_BANDS;
  v.cursor = 0;
  surf = render_board(b, &v, &lay);
  CHECK(surf && lay.npanels >= 1, "render");
  if (surf && lay.npanels) {
    const vw_panel *p = &lay.panel[0];
    SDL_Rect foot = {xpx(p, 4.5), p->plot.y + p->plot.h - 4, xpx(p, 5.5) - xpx(p, 4.5), 4};
    Uint32 bg = rgb(vw_background);
    CHECK(count_in(surf, foot, rgb(vw_warn)) > 0, "no red mark at the NaN snapshot");
    CHECK(pixel(surf, xpx(p, 5), ypx(p, 5.5)) == bg, "shaded at the NaN snapshot");
  }
  if (surf) SDL_FreeSurface(surf);
  vw_board_release(b);
}

/* save_png draws bands: its file is the picture vw_render makes. */
static void test_png(void) {
  vw_board *b = drifting(-1);
  char path[] = "/tmp/lunet-bands-XXXXXX";
  int fd = mkstemp(path);
  vw_view v;
  SDL_Surface *img, *want;
  close(fd);
  vw_view_defaults(&v);
  v.width = 500;
  v.height = 300;
  v.time_mode = VW_HIST_BANDS;
  CHECK(vw_save_png(b, path, &v) == 0, "%s", vw_error());
  img = IMG_Load(path);
  want = render_board(b, &v, &lay);
  CHECK(img && want && img->w == 500 && img->h == 300, "png");
  if (img && want) {
    SDL_Surface *conv = SDL_ConvertSurfaceFormat(img, SDL_PIXELFORMAT_ARGB8888, 0);
    int y, same = conv != NULL;
    for (y = 0; same && y < 300; y++)
      same = !memcmp((char *)conv->pixels + y * conv->pitch,
                     (char *)want->pixels + y * want->pitch, 500 * 4);
    CHECK(same, "the PNG differs from the drawing");
    SDL_FreeSurface(conv);
  }
  if (img) SDL_FreeSurface(img);
  if (want) SDL_FreeSurface(want);
  unlink(path);
  vw_board_release(b);
}

/* Hover over bands: the percentiles of the snapshot under the cursor. T
 * turns the panel under the mouse only; t every panel. */
static void test_hover_and_keys(void) {
  vw_board *b = drifting(-1);
  vw_view v;
  vw_input in;
  SDL_Event e;
  SDL_Surface *surf;
  memset(&in, 0, sizeof in);
  vw_view_defaults(&v);
  v.width = 800;
  v.height = 360;
  v.panels = VW_PANELS_HISTOGRAMS;
  v.time_mode = VW_HIST_BANDS;
  surf = render_board(b, &v, &lay);
  if (surf) SDL_FreeSurface(surf);
  CHECK(lay.npanels == 2, "%d panels", lay.npanels);
  if (lay.npanels != 2) return;
  v.hover_x = xpx(&lay.panel[0], 7);
  v.hover_y = lay.panel[0].plot.y + lay.panel[0].plot.h / 2;
  surf = render_board(b, &v, &lay);
  if (surf) SDL_FreeSurface(surf);
  CHECK(lay.hover_panel == 0 && strstr(lay.hover, "median 7.5") && strstr(lay.hover, "step 7") &&
        strstr(lay.hover, "min .. max: 7 .. 8"), "hover '%s'", lay.hover);
  memset(&e, 0, sizeof e);
  e.type = SDL_KEYDOWN;
  e.key.keysym.sym = SDLK_t;
  e.key.keysym.mod = KMOD_LSHIFT;
  CHECK(vw_input_event(&v, &lay, &in, &e) == VW_IN_REDRAW && v.hist_turn[0] == 1 &&
        v.hist_turn[1] == 0 && v.time_mode == VW_HIST_BANDS, "T: turns %d %d, mode %d",
        v.hist_turn[0], v.hist_turn[1], v.time_mode);
  surf = render_board(b, &v, &lay);
  if (surf) SDL_FreeSurface(surf);
  CHECK(lay.panel[0].mode == VW_HIST_BARS && lay.panel[1].mode == VW_HIST_BANDS, "modes %d %d",
        lay.panel[0].mode, lay.panel[1].mode);
  e.key.keysym.mod = 0;
  vw_input_event(&v, &lay, &in, &e);
  surf = render_board(b, &v, &lay);
  if (surf) SDL_FreeSurface(surf);
  CHECK(v.time_mode == VW_HIST_BARS && lay.panel[0].mode == VW_HIST_HEAT &&
        lay.panel[1].mode == VW_HIST_BARS, "t: modes %d %d", lay.panel[0].mode,
        lay.panel[1].mode);
  vw_board_release(b);
}

/* The percentiles cached in a kept snapshot copy follow the board as it
 * grows and thins: a frame from it equals one from a fresh copy. */
static void test_cache(void) {
  vw_board *b = vw_board_new(0, 4);
  vw_snap *kept = vw_snap_new();
  vw_view v;
  static float x[200];
  int s, i, round, same = 1;
  vw_view_defaults(&v);
  v.width = 400;
  v.height = 300;
  v.time_mode = VW_HIST_BANDS;
  for (round = 0, s = 0; round < 4; round++) {
    SDL_Surface *a, *c;
    for (; s < 5 * (round + 1); s++) {
      for (i = 0; i < 200; i++) x[i] = s * 0.3f + (float)i / 199;
      vw_board_histogram(b, "A/L1", s, x, 200, VW_SAT);
    }
    vw_snap_sync(kept, b);
    a = vw_render(kept, &v, &lay);
    c = render_board(b, &v, &lay);
    for (i = 0; a && c && same && i < a->h; i++)
      same = !memcmp((char *)a->pixels + i * a->pitch, (char *)c->pixels + i * c->pitch,
                     (size_t)a->w * 4);
    CHECK(a && c && same, "round %d: the kept copy draws differently", round);
    if (a) SDL_FreeSurface(a);
    if (c) SDL_FreeSurface(c);
  }
  CHECK(kept->nh == 1 && kept->h[0].n <= 4 && kept->h[0].nquant > 0, "not thinned or cached");
  vw_snap_free(kept);
  vw_board_release(b);
}

int main(void) {
  test_quantiles();
  test_drawn();
  test_gap();
  test_png();
  test_hover_and_keys();
  test_cache();
  return check_summary();
}
