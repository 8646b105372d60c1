/* test_draw.c: the board and the drawing, headless, checked pixel by pixel. */
#include "board.h"
#include "draw.h"
#include "export.h"
#include "hist.h"
#include "check.h"
#include "pixels.h"

#include <SDL_image.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Pixels of colour c in column x from the bottom of the plot up, unbroken. */
static int bar_height(SDL_Surface *s, const SDL_Rect *p, int x, SDL_Color c) {
  int y, h = 0;
  for (y = p->y + p->h - 1; y >= p->y; y--) {
    if (pixel(s, x, y) != rgb(c)) break;
    h++;
  }
  return h;
}

static SDL_Surface *draw(vw_board *b, vw_view *v, vw_layout *lay) {
  vw_snap *s = vw_snap_new();
  SDL_Surface *surf;
  CHECK(vw_snap_sync(s, b) >= 0, "sync: %s", vw_error());
  surf = vw_render(s, v, lay);
  CHECK(surf != NULL, "render: %s", vw_error());
  vw_snap_free(s);
  return surf;
}

static void test_bars(void) {
  vw_board *b = vw_board_new(0, 0);
  float x[175];
  int i, j, h[10];
  vw_view v;
  vw_layout lay;
  SDL_Surface *s;
  const vw_panel *p;
  for (i = 0; i < 100; i++) x[i] = -0.9f;
  for (i = 100; i < 150; i++) x[i] = 0.1f;
  for (i = 150; i < 175; i++) x[i] = 0.9f;
  CHECK(vw_board_histogram(b, "A/L1", 0, x, 175, VW_SAT) == 0, "%s", vw_error());
  vw_view_defaults(&v);
  v.width = 800;
  v.height = 600;
  v.bins = 10;
  s = draw(b, &v, &lay);
  CHECK(lay.npanels == 1, "%d panels", lay.npanels);
  p = &lay.panel[0];
  CHECK(p->kind == VW_HISTOGRAM, "kind %d", p->kind);
  CHECK_CLOSE(p->x0, -0.9, 1e-6);
  CHECK_CLOSE(p->x1, 0.9, 1e-6);
  CHECK_CLOSE(p->y1, 100, 1e-9);
  for (j = 0; j < 10; j++) {
    int cx = p->plot.x + (2 * j + 1) * p->plot.w / 20;
    h[j] = bar_height(s, &p->plot, cx, vw_run_color(0));
  }
  CHECK(abs(h[0] - p->plot.h) <= 1, "bar 0 is %d px, plot %d", h[0], p->plot.h);
  CHECK(abs(h[5] - p->plot.h / 2) <= 1, "bar 5 (50 of 100) is %d px of %d", h[5], p->plot.h);
  CHECK(abs(h[9] - p->plot.h / 4) <= 1, "bar 9 (25 of 100) is %d px of %d", h[9], p->plot.h);
  for (j = 1; j < 9; j++)
    if (j != 5) CHECK(h[j] == 0, "bar %d should be empty, is %d px", j, h[j]);
  CHECK(h[9] > 20, "plot too small to tell: %d", h[9]);
  SDL_FreeSurface(s);
  vw_board_release(b);
}

static void test_curves(void) {
  vw_board *b = vw_board_new(0, 0);
  int i;
  vw_view v;
  vw_layout lay;
  SDL_Surface *s;
  const vw_panel *p;
  SDL_Color ca = vw_run_color(0), cb = vw_run_color(1);
  for (i = 0; i <= 100; i++) {
    vw_board_scalar(b, "cost/a", i, i);
    vw_board_scalar(b, "cost/b", i, 100 - i);
  }
  vw_view_defaults(&v);
  v.width = 900;
  v.height = 500;
  s = draw(b, &v, &lay);
  CHECK(lay.npanels == 1 && lay.panel[0].kind == VW_SCALAR, "%d panels", lay.npanels);
  p = &lay.panel[0];
  CHECK(p->x0 == 0 && p->x1 == 100, "x range %g..%g", p->x0, p->x1);
  CHECK(p->y0 < 0 && p->y1 > 100, "y range %g..%g", p->y0, p->y1);
  CHECK(lay.nlegend == 2, "%d legend items", lay.nlegend);
  if (lay.nlegend == 2) {
    CHECK(rgb(lay.legend[0].color) == rgb(ca) && strncmp(lay.legend[0].name, "a ", 2) == 0,
          "legend 0 is %s", lay.legend[0].name);
    CHECK(rgb(lay.legend[1].color) == rgb(cb) && strncmp(lay.legend[1].name, "b ", 2) == 0,
          "legend 1 is %s", lay.legend[1].name);
    for (i = 0; i < 2; i++) {
      const SDL_Rect *w = &lay.legend[i].swatch;
      CHECK(pixel(s, w->x + w->w / 2, w->y + 1) == rgb(lay.legend[i].color),
            "swatch %d pixel %06x", i, pixel(s, w->x + w->w / 2, w->y + 1));
    }
  }
  /* at step 20: a is at 20 and b at 80, each in its own colour only */
  {
    double sx = (p->plot.w - 1) / (p->x1 - p->x0), sy = (p->plot.h - 1) / (p->y1 - p->y0);
    int x = p->plot.x + (int)lround(20 * sx);
    int ya = p->plot.y + p->plot.h - 1 - (int)lround((20 - p->y0) * sy);
    int yb = p->plot.y + p->plot.h - 1 - (int)lround((80 - p->y0) * sy);
    CHECK(near(s, x, ya, 2, ca), "curve a missing at (%d,%d)", x, ya);
    CHECK(near(s, x, yb, 2, cb), "curve b missing at (%d,%d)", x, yb);
    CHECK(!near(s, x, ya, 2, cb), "curve b drawn where a is");
    CHECK(!near(s, x, yb, 2, ca), "curve a drawn where b is");
  }
  SDL_FreeSurface(s);
  /* log scale: the axis is in decades */
  v.logy = 1;
  s = draw(b, &v, &lay);
  CHECK(lay.panel[0].y1 > 1.9 && lay.panel[0].y1 < 2.2, "log y1 %g", lay.panel[0].y1);
  SDL_FreeSurface(s);
  vw_board_release(b);
}

static void test_empty(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_view v;
  vw_layout lay;
  SDL_Surface *s;
  long bg = 0, ink = 0;
  int x, y;
  vw_view_defaults(&v);
  s = draw(b, &v, &lay);
  CHECK(lay.npanels == 0, "%d panels", lay.npanels);
  for (y = 0; y < s->h; y++)
    for (x = 0; x < s->w; x++) {
      if (pixel(s, x, y) == rgb(vw_background)) bg++;
      else ink++;
    }
  CHECK(bg > (long)s->w * s->h * 95 / 100, "background %ld of %d", bg, s->w * s->h);
  CHECK(ink > 200, "the empty-board message is missing (%ld pixels)", ink);
  SDL_FreeSurface(s);
  vw_board_release(b);
}

static int count_color(SDL_Surface *s, int x0, int y0, int w, int h, Uint32 c) {
  int x, y, n = 0;
  for (y = y0; y < y0 + h && y < s->h; y++)
    for (x = x0; x < x0 + w && x < s->w; x++) n += pixel(s, x, y) == c;
  return n;
}

static void test_nonfinite(void) {
  vw_board *b = vw_board_new(0, 0);
  float x[21], bad[4] = {NAN, NAN, INFINITY, -INFINITY};
  vw_hist h;
  vw_view v;
  vw_layout lay;
  SDL_Surface *s;
  const vw_panel *p;
  int i, reds;
  for (i = 0; i < 3; i++) x[i] = NAN;
  x[3] = INFINITY;
  x[4] = INFINITY;
  x[5] = -INFINITY;
  for (i = 6; i < 16; i++) x[i] = 1;
  for (i = 16; i < 21; i++) x[i] = 2;
  vw_hist_build(&h, 0, x, 21, VW_SAT);
  CHECK(h.nan == 3 && h.pinf == 2 && h.ninf == 1, "nan %llu +inf %llu -inf %llu",
        (unsigned long long)h.nan, (unsigned long long)h.pinf, (unsigned long long)h.ninf);
  CHECK(h.lo == 1 && h.hi == 2 && h.sat == 15, "lo %g hi %g sat %llu", h.lo, h.hi,
        (unsigned long long)h.sat);
  vw_board_histogram(b, "run/L1", 0, x, 21, VW_SAT);
  vw_board_histogram(b, "run/L2", 0, bad, 4, VW_SAT);
  vw_board_scalar(b, "cost/run", 0, 1);
  vw_board_scalar(b, "cost/run", 1, NAN);
  vw_board_scalar(b, "cost/run", 2, INFINITY);
  vw_view_defaults(&v);
  v.bins = 10;
  s = draw(b, &v, &lay);
  CHECK(lay.npanels == 3, "%d panels", lay.npanels);
  p = &lay.panel[0];
  CHECK(p->y1 == 10, "tallest bin %g, want 10 (NaN/Inf not binned)", p->y1);
  /* the NaN/Inf counts are written in the warning colour above the plot */
  reds = count_color(s, p->plot.x, p->plot.y - 30, p->plot.w, 30, rgb(vw_warn));
  CHECK(reds > 10, "no NaN/Inf note over panel 0 (%d red pixels)", reds);
  reds = count_color(s, lay.panel[1].plot.x, lay.panel[1].plot.y, lay.panel[1].plot.w,
                     lay.panel[1].plot.h, rgb(vw_warn));
  CHECK(reds > 10, "no 'no finite values' note in panel 1 (%d)", reds);
  CHECK(lay.nlegend == 1 && strstr(lay.legend[0].name, "NaN/Inf from step 1"),
        "legend: %s", lay.nlegend ? lay.legend[0].name : "");
  SDL_FreeSurface(s);
  vw_board_release(b);
}

static void test_shared_axis(void) {
  vw_board *b = vw_board_new(0, 0);
  float x[2] = {-1, 1}, y[2] = {0.5f, 3}, z[2] = {10, 20};
  vw_view v;
  vw_layout lay;
  SDL_Surface *s;
  vw_board_histogram(b, "no BN/L1", 0, x, 2, VW_SAT);
  vw_board_histogram(b, "BN/L1", 0, y, 2, VW_SAT);
  vw_board_histogram(b, "BN/L1", 5, z, 2, VW_SAT);
  vw_board_histogram(b, "BN/L2", 5, z, 2, VW_SAT);
  vw_view_defaults(&v);
  s = draw(b, &v, &lay);
  CHECK(lay.npanels == 3, "%d panels", lay.npanels);
  CHECK(lay.panel[0].x0 == -1 && lay.panel[0].x1 == 20, "L1 no BN axis %g..%g",
        lay.panel[0].x0, lay.panel[0].x1);
  CHECK(lay.panel[1].x0 == -1 && lay.panel[1].x1 == 20, "L1 BN axis %g..%g",
        lay.panel[1].x0, lay.panel[1].x1);
  CHECK(lay.panel[1].row == 1 && lay.panel[1].col == 0 && lay.panel[2].col == 1,
        "grid positions");
  CHECK(lay.nsteps == 2 && lay.step == 5, "steps %ld, shown %g", lay.nsteps, lay.step);
  SDL_FreeSurface(s);
  v.tag_axis = 1;
  v.cursor = 0;
  s = draw(b, &v, &lay);
  CHECK(lay.panel[0].x0 == -1 && lay.panel[0].x1 == 1, "own axis %g..%g",
        lay.panel[0].x0, lay.panel[0].x1);
  CHECK(lay.step == 0 && lay.panel[2].snap == -1, "cursor 0: step %g", lay.step);
  SDL_FreeSurface(s);
  v.time_mode = 1;
  s = draw(b, &v, &lay);
  CHECK(lay.panel[1].y0 == 0 && lay.panel[1].y1 == 5, "heat map steps %g..%g",
        lay.panel[1].y0, lay.panel[1].y1);
  SDL_FreeSurface(s);
  vw_board_release(b);
}

static void test_rebin(void) {
  float x[1000];
  double out[7], total = 0;
  vw_hist h;
  int i;
  for (i = 0; i < 1000; i++) x[i] = i % 10 == 0 ? 0 : sinf((float)i) * 3;
  vw_hist_build(&h, 0, x, 1000, VW_SAT);
  CHECK(h.zeros == 100, "zeros %llu", (unsigned long long)h.zeros);
  CHECK_CLOSE(vw_hist_rebin(&h, -5, 5, 7, out), 1000, 1e-9);
  for (i = 0; i < 7; i++) total += out[i];
  CHECK_CLOSE(total, 1000, 1e-9);
  CHECK(out[3] >= 100, "the zeros are in the middle bin: %g", out[3]);
}

/* Caps hold; entries stay evenly spread; the newest write is always kept. */
static void test_caps(void) {
  vw_board *b = vw_board_new(8, 4);
  vw_snap *s = vw_snap_new();
  float x[3] = {1, 2, 3};
  size_t i;
  int ok = 1;
  for (i = 0; i < 1000; i++) vw_board_scalar(b, "c", (double)i, (double)i * 2);
  for (i = 0; i < 50; i++) vw_board_histogram(b, "h", (double)i, x, 3, VW_SAT);
  vw_snap_sync(s, b);
  CHECK(s->ns == 1 && s->s[0].n <= 8, "%zu points kept", s->ns ? s->s[0].n : 0);
  CHECK(s->s[0].pts[0].step == 0 && s->s[0].pts[s->s[0].n - 1].step == 999,
        "first %g last %g", s->s[0].pts[0].step, s->s[0].pts[s->s[0].n - 1].step);
  for (i = 1; i < s->s[0].nperm; i++)
    ok &= s->s[0].pts[i].step - s->s[0].pts[i - 1].step == s->s[0].pts[1].step;
  CHECK(ok, "kept points are not evenly spaced");
  CHECK(s->nh == 1 && s->h[0].n <= 4 && s->h[0].h[s->h[0].n - 1].step == 49,
        "%zu snapshots, last %g", s->h[0].n, s->h[0].h[s->h[0].n - 1].step);
  /* the incremental copy matches a fresh one after more writes */
  for (i = 1000; i < 1100; i++) vw_board_scalar(b, "c", (double)i, (double)i * 2);
  vw_snap_sync(s, b);
  {
    vw_snap *t = vw_snap_new();
    vw_snap_sync(t, b);
    CHECK(t->s[0].n == s->s[0].n &&
          memcmp(t->s[0].pts, s->s[0].pts, t->s[0].n * sizeof(vw_point)) == 0,
          "incremental copy differs");
    vw_snap_free(t);
  }
  vw_snap_free(s);
  vw_board_release(b);
  CHECK(vw_board_new(2, 10) == NULL && strstr(vw_error(), "at least 4"), "%s", vw_error());
}

/* In a directory of its own, whatever the build directory is. */
static void test_files(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_view v;
  char dir[] = "/tmp/lunet-test-draw-XXXXXX", png[64], csv[64], line[128];
  FILE *fp;
  SDL_Surface *img;
  CHECK(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
  snprintf(png, sizeof png, "%s/test_draw.png", dir);
  snprintf(csv, sizeof csv, "%s/test_draw.csv", dir);
  vw_board_scalar(b, "cost/a,b", 1, 0.5);
  vw_view_defaults(&v);
  v.width = 320;
  v.height = 200;
  CHECK(vw_save_png(b, png, &v) == 0, "%s", vw_error());
  img = IMG_Load(png);
  CHECK(img && img->w == 320 && img->h == 200, "PNG read back: %s", IMG_GetError());
  if (img) SDL_FreeSurface(img);
  CHECK(vw_save_png(b, "/nonexistent/dir/x.png", &v) < 0 &&
        strstr(vw_error(), "cannot write /nonexistent/dir/x.png"), "%s", vw_error());
  CHECK(vw_save_csv(b, csv) == 0, "%s", vw_error());
  fp = fopen(csv, "r");
  CHECK(fp && fgets(line, sizeof line, fp) && strcmp(line, "tag,step,value\n") == 0,
        "header");
  CHECK(fp && fgets(line, sizeof line, fp) && strcmp(line, "\"cost/a,b\",1,0.5\n") == 0,
        "row: %s", line);
  if (fp) fclose(fp);
  remove(png);
  remove(csv);
  CHECK(rmdir(dir) == 0, "%s left behind: %s", dir, strerror(errno));
  vw_board_release(b);
}

/* panels picks what is drawn; axis titles reach the reader's copy. */
static void test_panels_axis(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_snap *sn = vw_snap_new();
  float x[4] = {1, 2, 3, 4};
  const vw_axis *a;
  vw_view v;
  vw_layout lay;
  int i, k, kinds[3][2];
  uint64_t ver;
  vw_board_histogram(b, "A/L1", 0, x, 4, VW_SAT);
  vw_board_histogram(b, "A/L2", 0, x, 4, VW_SAT);
  vw_board_scalar(b, "cost/A", 0, 1);
  vw_view_defaults(&v);
  v.width = v.height = 0;
  for (k = 0; k < 3; k++) {
    SDL_Surface *s;
    v.panels = k;
    s = draw(b, &v, &lay);
    kinds[k][0] = kinds[k][1] = 0;
    for (i = 0; i < lay.npanels; i++) kinds[k][lay.panel[i].kind == VW_SCALAR]++;
    if (k == VW_PANELS_HISTOGRAMS)
      CHECK(s && s->w == 480 && s->h == 240, "histograms picture %dx%d", s ? s->w : 0,
            s ? s->h : 0);
    if (s) SDL_FreeSurface(s);
  }
  CHECK(kinds[VW_PANELS_ALL][0] == 2 && kinds[VW_PANELS_ALL][1] == 1, "all");
  CHECK(kinds[VW_PANELS_HISTOGRAMS][0] == 2 && kinds[VW_PANELS_HISTOGRAMS][1] == 0,
        "histograms only: %d, %d", kinds[1][0], kinds[1][1]);
  CHECK(kinds[VW_PANELS_SCALARS][0] == 0 && kinds[VW_PANELS_SCALARS][1] == 1,
        "scalars only: %d, %d", kinds[2][0], kinds[2][1]);

  ver = vw_board_version(b);
  CHECK(vw_board_axis(b, "cost", "setting", "log10 cost") == 0, "%s", vw_error());
  CHECK(vw_board_version(b) > ver, "a title change redraws");
  vw_snap_sync(sn, b);
  a = vw_snap_axis(sn, "cost");
  CHECK(a && a->x && !strcmp(a->x, "setting") && a->y && !strcmp(a->y, "log10 cost"),
        "titles copied");
  vw_board_axis(b, "cost", NULL, "");   /* x kept, y back to the default */
  vw_snap_sync(sn, b);
  a = vw_snap_axis(sn, "cost");
  CHECK(a && a->x && !strcmp(a->x, "setting") && !a->y, "NULL keeps, \"\" resets");
  CHECK(vw_snap_axis(sn, "other") == NULL, "no titles for other groups");
  vw_snap_free(sn);
  vw_board_release(b);
}

/* A constant series or a single step far from 0 (a timestamp in ns):
 * widening a point range by a fixed amount is lost in rounding there, and
 * the axes must still have a width, and the curve be drawn. */
static void test_far_ranges(void) {
  vw_board *b = vw_board_new(0, 0);
  float x[3] = {1e20f, 1e20f, 1e20f};
  vw_view v;
  vw_layout lay;
  SDL_Surface *s;
  int i;
  for (i = 0; i < 10; i++) vw_board_scalar(b, "big/run", i, 1e17);
  vw_board_scalar(b, "late/run", 1.7e18, 3);
  vw_board_histogram(b, "run/L1", 0, x, 3, VW_SAT);
  vw_view_defaults(&v);
  s = draw(b, &v, &lay);
  CHECK(lay.npanels == 3, "%d panels", lay.npanels);
  for (i = 0; i < lay.npanels; i++) {
    const vw_panel *p = &lay.panel[i];
    if (p->kind == VW_SCALAR) {
      CHECK(p->x0 < p->x1 && p->y0 < p->y1, "%s: x %g..%g y %g..%g", p->title, p->x0,
            p->x1, p->y0, p->y1);
      CHECK(s && count_color(s, p->plot.x, p->plot.y, p->plot.w, p->plot.h,
                             rgb(vw_run_color(0))) > 0, "%s: no curve", p->title);
    } else {
      CHECK(p->x0 < p->x1 && p->y1 == 3, "%s: x %g..%g tallest %g", p->title, p->x0,
            p->x1, p->y1);
    }
  }
  if (s) SDL_FreeSurface(s);
  vw_board_release(b);
}

/* Steps and values near +-DBL_MAX: spans past DBL_MAX, which once made the
 * pixel maps NaN (float-to-int overflow, an empty plot). Each curve must
 * still run from corner to corner of its plot. */
static void test_huge_ranges(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_view v;
  vw_layout lay;
  SDL_Surface *s;
  int i;
  vw_board_scalar(b, "steps/a", -1e308, 1);
  vw_board_scalar(b, "steps/a", 1e308, 2);
  vw_board_scalar(b, "values/a", 1, -1.7e308);
  vw_board_scalar(b, "values/a", 2, 1.7e308);
  vw_board_scalar(b, "both/a", -DBL_MAX, -DBL_MAX);
  vw_board_scalar(b, "both/a", DBL_MAX, DBL_MAX);
  vw_view_defaults(&v);
  v.width = 960;
  v.height = 400;
  s = draw(b, &v, &lay);
  CHECK(lay.npanels == 3, "%d panels", lay.npanels);
  for (i = 0; s && i < lay.npanels; i++) {
    const vw_panel *p = &lay.panel[i];
    SDL_Color c = vw_run_color(0);
    int n = count_color(s, p->plot.x, p->plot.y, p->plot.w, p->plot.h, rgb(c));
    CHECK(isfinite(p->x0) && isfinite(p->x1) && p->x0 < p->x1 && isfinite(p->y0) &&
          isfinite(p->y1) && p->y0 < p->y1, "%s: x %g..%g y %g..%g", p->title, p->x0,
          p->x1, p->y0, p->y1);
    CHECK(n > p->plot.w, "%s: %d curve pixels in a plot %d wide", p->title, n, p->plot.w);
    /* the left end in the lowest tenth, the right end in the highest */
    CHECK(count_color(s, p->plot.x, p->plot.y + p->plot.h * 9 / 10, 3, p->plot.h / 10,
                      rgb(c)) > 0 &&
          count_color(s, p->plot.x + p->plot.w - 3, p->plot.y, 3, p->plot.h / 10,
                      rgb(c)) > 0,
          "%s: the curve does not run from bottom left to top right", p->title);
  }
  if (s) SDL_FreeSurface(s);
  v.logy = 1;   /* and in log scale, the positive values over 600 decades */
  vw_board_scalar(b, "values/a", 3, 5e-324);
  s = draw(b, &v, &lay);
  CHECK(s && lay.npanels == 3, "log scale: %d panels", lay.npanels);
  if (s) SDL_FreeSurface(s);
  vw_board_release(b);
}

int main(void) {
  test_rebin();
  test_far_ranges();
  test_huge_ranges();
  test_caps();
  test_bars();
  test_curves();
  test_empty();
  test_nonfinite();
  test_shared_axis();
  test_files();
  test_panels_axis();
  return check_summary();
}
