/* viewer_bench.c: how long one redraw of a big board takes.
 * 16 histogram tags x 100 snapshots and 4 curves x 1,000,000 points, drawn
 * at 1280x800 with the software renderer the window uses (goal: <= 16 ms).
 * Built and run by scripts/bench/viewer_bench.sh. */
#include "board.h"
#include "draw.h"
#include "text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Median of n redraws, in ms. */
static double time_draw(vw_canvas *c, SDL_Renderer *r, vw_snap *s, vw_view *v, int n) {
  double t[64];
  int i;
  for (i = 0; i < n; i++) {
    double t0 = now();
    vw_draw(c, s, v, NULL);
    SDL_RenderPresent(r);
    t[i] = (now() - t0) * 1e3;
  }
  qsort(t, n, sizeof *t, cmp);
  return t[n / 2];
}

/* Median of n frames as training goes on: a point more on every curve,
 * the window's copy brought up to date, a redraw. */
static double time_live(vw_canvas *c, SDL_Renderer *r, vw_board *b, vw_snap *s,
                        vw_view *v, int n) {
  static const char *curves[4] = {"cost/a", "cost/b", "cost/c", "cost/d"};
  double t[64], step = s->s[0].pts[s->s[0].n - 1].step;
  int i, j;
  for (i = 0; i < n; i++) {
    double t0;
    for (j = 0; j < 4; j++) vw_board_scalar(b, curves[j], step + 1 + i, 1e-3);
    t0 = now();
    vw_snap_sync(s, b);
    vw_draw(c, s, v, NULL);
    SDL_RenderPresent(r);
    t[i] = (now() - t0) * 1e3;
  }
  qsort(t, n, sizeof *t, cmp);
  return t[n / 2];
}

int main(void) {
  vw_board *b = vw_board_new(1 << 20, 100);
  vw_snap *s = vw_snap_new();
  vw_view v;
  SDL_Surface *surf;
  SDL_Renderer *r;
  vw_canvas *c;
  static float x[15000];
  const char *runs[2] = {"no BN", "BN"}, *curves[4] = {"cost/a", "cost/b", "cost/c", "cost/d"};
  char tag[32];
  int k, l, j, i;
  double t0, full, inc;
  srand(1);
  for (k = 0; k < 100; k++)
    for (j = 0; j < 2; j++)
      for (l = 1; l <= 8; l++) {
        for (i = 0; i < 15000; i++) x[i] = (float)(rand() % 2001 - 1000) / (300.0f * l);
        snprintf(tag, sizeof tag, "%s/L%d", runs[j], l);
        vw_board_histogram(b, tag, k * 50, x, 15000, VW_SAT);
      }
  for (i = 0; i < 1000000; i++)
    for (j = 0; j < 4; j++)
      vw_board_scalar(b, curves[j], i, (j + 1) * 100.0 / (i + 1) + (rand() % 100) * 1e-3);
  t0 = now();
  vw_snap_sync(s, b);
  full = (now() - t0) * 1e3;
  vw_board_scalar(b, "cost/a", 1000000, 1);
  t0 = now();
  vw_snap_sync(s, b);
  inc = (now() - t0) * 1e3;
  vw_view_defaults(&v);
  surf = SDL_CreateRGBSurfaceWithFormat(0, v.width, v.height, 32, SDL_PIXELFORMAT_ARGB8888);
  r = SDL_CreateSoftwareRenderer(surf);
  c = vw_canvas_new(r);
  if (!c) { fprintf(stderr, "%s\n", vw_error()); return 1; }
  printf("board: 16 histogram tags x 100 snapshots, 4 curves x 1,000,000 points\n");
  printf("first copy of the board (copy-on-read): %.1f ms; after one new point: %.3f ms\n",
         full, inc);
  printf("redraw 1280x800, bars:                 %.1f ms (median of 15)\n",
         time_draw(c, r, s, &v, 15));
  v.logy = 1;
  printf("redraw, log scale:                     %.1f ms\n", time_draw(c, r, s, &v, 15));
  v.smoothing = 0.9;
  t0 = now();
  vw_draw(c, s, &v, NULL);
  SDL_RenderPresent(r);
  printf("first redraw after turning smoothing on (summaries built): %.1f ms\n",
         (now() - t0) * 1e3);
  printf("redraw, log scale + smoothing 0.9:     %.1f ms\n", time_draw(c, r, s, &v, 15));
  printf("live: one new point a curve, copy + redraw: %.1f ms\n", time_live(c, r, b, s, &v, 15));
  v.smoothing = 0;
  v.logy = 0;
  v.time_mode = 1;
  printf("redraw, heat maps over time:           %.1f ms\n", time_draw(c, r, s, &v, 15));
  vw_canvas_free(c);
  SDL_DestroyRenderer(r);
  SDL_FreeSurface(surf);
  vw_snap_free(s);
  vw_board_release(b);
  return 0;
}
