/* test_series.c: curves drawn from block summaries (series.h): the smoothed
 * values are TensorBoard's debiased moving average, the summaries draw
 * exactly what a pass over every point draws, and a snapshot kept across
 * frames (new points, a thinned tag, a new smoothing weight) draws exactly
 * what a fresh one does. */
#include "board.h"
#include "draw.h"
#include "series.h"
#include "check.h"
#include "pixels.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int px_at(const vw_panel *p, double step) {
  return p->plot.x + (int)floor((step - p->x0) * (p->plot.w - 1) / (p->x1 - p->x0) + 0.5);
}

static int py_at(const vw_panel *p, double v) {
  return (int)floor(p->plot.y + p->plot.h - 1 - (v - p->y0) * (p->plot.h - 1) /
                    (p->y1 - p->y0) + 0.5);
}

static int equal(SDL_Surface *x, SDL_Surface *y) {
  int same = x && y, row;
  for (row = 0; same && row < x->h; row++)
    same = memcmp((char *)x->pixels + row * x->pitch, (char *)y->pixels + row * y->pitch,
                  (size_t)x->w * 4) == 0;
  return same;
}

/* s drawn again with every block marked unsummarizable (prepare keeps the
 * blocks as they are when nothing changed): every point one by one. */
static SDL_Surface *render_point_by_point(vw_snap *s, const vw_view *v) {
  size_t i, k;
  for (i = 0; i < s->ns; i++)
    for (k = 0; k < s->s[i].nblk; k++) s->s[i].blk[k].flags |= VW_BLK_GAP;
  return vw_render(s, v, NULL);
}

/* A step from 10 to 20 at step 100000 of 200000, smoothed with 0.999: the
 * solid line starts at 10 (debiased; without it, 3.9 at step 500) and
 * follows the average after the step, the raw line faint at 20. */
static void test_smoothed_values(void) {
  vw_board *b = vw_board_new(1 << 18, 0);
  vw_snap *s = vw_snap_new();
  vw_view v;
  vw_layout lay;
  SDL_Surface *img;
  SDL_Color solid = vw_run_color(0);
  double ema = 0, wpow = 1, ys[200000];
  const double checks[4] = {500, 100400, 101000, 103000};
  const vw_panel *p;
  int i;
  for (i = 0; i < 200000; i++) {
    double y = (i < 100000 ? 10 : 20) + (i % 7 == 3 ? 0.5 : 0) - (i % 11 == 5 ? 0.5 : 0);
    vw_board_scalar(b, "cost/a", i, y);
    ys[i] = vw_ema_step(&ema, &wpow, 0.999, y);
  }
  CHECK(fabs(ys[500] - 10) < 0.1 && ys[101000] > 15 && ys[101000] < 17,
        "EMA %g %g", ys[500], ys[101000]);
  vw_view_defaults(&v);
  v.width = 1000;
  v.height = 600;
  v.smoothing = 0.999;
  vw_snap_sync(s, b);
  img = vw_render(s, &v, &lay);
  CHECK(img && lay.npanels == 1, "render: %s", vw_error());
  CHECK(s->s[0].nblk == 200000 / VW_BLOCK, "%zu blocks", s->s[0].nblk);
  if (img && lay.npanels == 1) {
    p = &lay.panel[0];
    CHECK(p->plot.h > 300, "plot %d px high", p->plot.h);
    for (i = 0; i < 4; i++) {
      int x = px_at(p, checks[i]);
      CHECK(near(img, x, py_at(p, ys[(int)checks[i]]), 1, solid),
            "no smoothed line at step %g (value %g, y %d)", checks[i],
            ys[(int)checks[i]], py_at(p, ys[(int)checks[i]]));
    }
    CHECK(!near(img, px_at(p, 500), py_at(p, 10 * (1 - pow(0.999, 501))), 3, solid),
          "the average is not debiased");
    CHECK(!near(img, px_at(p, 103000), py_at(p, 20), 2, solid) &&
          pixel(img, px_at(p, 150000), py_at(p, 20)) != rgb(vw_background),
          "the raw line should be faint and there");
  }
  if (img) {
    SDL_Surface *all = render_point_by_point(s, &v);
    CHECK(equal(img, all), "block summaries draw differently from every point");
    if (all) SDL_FreeSurface(all);
    SDL_FreeSurface(img);
  }
  vw_snap_free(s);
  vw_board_release(b);
}

/* The kept snapshot draws what a fresh one does, and what a pass over
 * every point does. */
static void check_pictures(vw_snap *kept, vw_board *b, const vw_view *v, int chunk) {
  vw_snap *fresh = vw_snap_new();
  SDL_Surface *x, *y, *z;
  vw_snap_sync(kept, b);
  vw_snap_sync(fresh, b);
  x = vw_render(kept, v, NULL);
  y = vw_render(fresh, v, NULL);
  z = render_point_by_point(fresh, v);
  CHECK(equal(x, y), "chunk %d (smoothing %g, log %d): the kept snapshot draws "
        "differently from a fresh one", chunk, v->smoothing, v->logy);
  CHECK(equal(y, z), "chunk %d (smoothing %g, log %d): block summaries draw "
        "differently from every point", chunk, v->smoothing, v->logy);
  if (x) SDL_FreeSurface(x);
  if (y) SDL_FreeSurface(y);
  if (z) SDL_FreeSurface(z);
  vw_snap_free(fresh);
}

/* Noisy curves with NaN gaps and values <= 0, written in chunks into a tag
 * that thins itself at 65536 points; the window's snapshot, kept across
 * frames, changes smoothing and scale on the way. */
static void test_kept_snapshot(void) {
  vw_board *b = vw_board_new(1 << 16, 0);
  vw_snap *kept = vw_snap_new();
  vw_view v;
  const double weights[4] = {0.9, 0.6, 0, 0.99};
  unsigned r = 12345;
  int i = 0, chunk, thinned = 0;
  uint64_t gen0 = 0;
  vw_view_defaults(&v);
  v.width = 500;
  v.height = 400;
  for (chunk = 0; chunk < 12; chunk++) {
    int end = i + 15000 + chunk * 7000;
    for (; i < end; i++) {
      double y;
      r = r * 1103515245u + 12345u;
      y = 1.0 / (1 + i * 1e-3) + (r >> 16) % 1000 * 1e-4 - (i % 50000 < 3000 ? 0.5 : 0);
      vw_board_scalar(b, "cost/a", i, i % 30001 == 7 ? NAN : y);
      vw_board_scalar(b, "cost/b", i, 2 * y);
    }
    v.smoothing = weights[chunk / 2 % 4];  /* the same weight across a thinning */
    v.logy = chunk % 3 != 0;
    check_pictures(kept, b, &v, chunk);
    if (chunk == 0) gen0 = kept->s[0].gen;
    thinned = kept->s[0].gen != gen0;
  }
  CHECK(thinned && kept->s[0].nblk > 16, "the test should thin the tag (%d) and use blocks "
        "(%zu)", thinned, kept->s[0].nblk);
  vw_snap_free(kept);
  vw_board_release(b);
}

int main(void) {
  test_smoothed_values();
  test_kept_snapshot();
  return check_summary();
}
