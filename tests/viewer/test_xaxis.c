/* test_xaxis.c: the x axis as step, relative time or wall time. A board
 * in memory stamps every write with its wall time, as the run log does, so
 * a live board and its reopened log draw the same picture in every mode;
 * relative time starts each run at 0; time ticks read as times ("35 s",
 * "2 min", "12:03:10"), three or more, distinct and apart. */
#include "board.h"
#include "draw.h"
#include "draw_int.h"
#include "runlog.h"
#include "check.h"
#include "pixels.h"
#include "render.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static vw_layout lay;
/* 2025-12-01 12:03:10 UTC */
#define T0 1764590590.0

static const vw_panel *scalar_panel(void) {
  int i;
  for (i = 0; i < lay.npanels; i++)
    if (lay.panel[i].kind == VW_SCALAR) return &lay.panel[i];
  return NULL;
}

/* The x tick labels of panel p: how many, all matching re, distinct, not
 * touching. */
static int x_labels(const vw_panel *p, const char *re, int *bad) {
  regex_t rx;
  int i, j, n = 0, k = (int)(p - lay.panel);
  *bad = 0;
  regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
  for (i = 0; i < lay.nticks; i++) {
    const vw_tick_label *a = &lay.tick[i];
    if (a->panel != k || a->vertical) continue;
    n++;
    if (regexec(&rx, a->text, 0, NULL, 0) != 0) {
      fprintf(stderr, "label '%s' is not /%s/\n", a->text, re);
      ++*bad;
    }
    for (j = 0; j < i; j++) {
      const vw_tick_label *b = &lay.tick[j];
      if (b->panel != k || b->vertical) continue;
      if (!strcmp(a->text, b->text) || (a->box.x < b->box.x + b->box.w + 2 &&
                                        b->box.x < a->box.x + a->box.w + 2)) ++*bad;
    }
  }
  regfree(&rx);
  return n;
}

static void fill(vw_board *b, const char *run, double t0) {
  char tag[32];
  int i;
  snprintf(tag, sizeof tag, "cost/%s", run);
  for (i = 0; i <= 30; i++) vw_board_scalar_at(b, tag, i * 100, 1.0 / (i + 1), t0 + i * 10);
}

/* The board stamps its own writes with the clock. */
static void test_stamped(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_snap *s = vw_snap_new();
  float x[3] = {1, 2, 3};
  double t0 = vw_wall_now(), t1;
  vw_board_scalar(b, "c", 1, 2);
  vw_board_histogram(b, "h", 1, x, 3, VW_SAT);
  t1 = vw_wall_now();
  vw_snap_sync(s, b);
  CHECK(s->ns == 1 && s->s[0].pts[0].wall >= t0 && s->s[0].pts[0].wall <= t1,
        "scalar wall %.3f not in [%.3f, %.3f]", s->s[0].pts[0].wall, t0, t1);
  CHECK(s->nh == 1 && s->h[0].h[0].wall >= t0 && s->h[0].h[0].wall <= t1,
        "histogram wall %.3f", s->h[0].h[0].wall);
  vw_snap_free(s);
  vw_board_release(b);
}

/* Relative time: each run from 0; labels in seconds or minutes. */
static void test_relative(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_view v;
  SDL_Surface *surf;
  const vw_panel *p;
  int n, bad;
  fill(b, "A", T0);
  fill(b, "B", T0 + 5000);   /* a run started later */
  vw_view_defaults(&v);
  v.width = 800;
  v.height = 500;
  v.xaxis = VW_X_RELATIVE;
  surf = render_board(b, &v, &lay);
  p = scalar_panel();
  CHECK(surf && p && p->xaxis == VW_X_RELATIVE && p->x0 == 0 && p->x1 == 300,
        "relative x %g..%g", p ? p->x0 : -1, p ? p->x1 : -1);
  if (p) {
    n = x_labels(p, "^[0-9.]+ (s|min)$", &bad);
    CHECK(n >= 3 && !bad, "%d relative labels, %d bad", n, bad);
  }
  if (surf) SDL_FreeSurface(surf);
  v.xaxis = VW_X_STEP;
  surf = render_board(b, &v, &lay);
  p = scalar_panel();
  CHECK(surf && p && p->x0 == 0 && p->x1 == 3000, "step x %g..%g", p ? p->x0 : -1,
        p ? p->x1 : -1);
  if (surf) SDL_FreeSurface(surf);
  vw_board_release(b);
}

/* Wall time: clock labels over the runs' span, in local time. */
static void test_wall(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_view v;
  SDL_Surface *surf;
  const vw_panel *p;
  char buf[32];
  int n, bad;
  fill(b, "A", T0);
  vw_view_defaults(&v);
  v.width = 800;
  v.height = 500;
  v.xaxis = VW_X_WALL;
  surf = render_board(b, &v, &lay);
  p = scalar_panel();
  CHECK(surf && p && p->x0 == T0 && p->x1 == T0 + 300, "wall x %.1f..%.1f",
        p ? p->x0 - T0 : -1, p ? p->x1 - T0 : -1);
  if (p) {
    n = x_labels(p, "^[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?$", &bad);
    CHECK(n >= 3 && !bad, "%d wall labels, %d bad", n, bad);
  }
  if (surf) SDL_FreeSurface(surf);
  fmt_time(buf, sizeof buf, T0, 1, VW_X_WALL);
  CHECK(!strcmp(buf, "12:03:10"), "'%s'", buf);
  fmt_time(buf, sizeof buf, T0 - 10, 60, VW_X_WALL);
  CHECK(!strcmp(buf, "12:03"), "'%s'", buf);
  fmt_time(buf, sizeof buf, T0 + 0.24, 0.1, VW_X_WALL);
  CHECK(!strcmp(buf, "12:03:10.2"), "'%s'", buf);
  fmt_time(buf, sizeof buf, 35, 5, VW_X_RELATIVE);
  CHECK(!strcmp(buf, "35 s"), "'%s'", buf);
  fmt_time(buf, sizeof buf, 120, 60, VW_X_RELATIVE);
  CHECK(!strcmp(buf, "2 min"), "'%s'", buf);
  fmt_time(buf, sizeof buf, 5400, 1800, VW_X_RELATIVE);
  CHECK(!strcmp(buf, "90 min"), "'%s'", buf);
  fmt_time(buf, sizeof buf, 5400, 3600, VW_X_RELATIVE);
  CHECK(!strcmp(buf, "2 h") || !strcmp(buf, "1.5 h") || !strcmp(buf, "1 h"), "'%s'", buf);
  vw_board_release(b);
}

static int same_pixels(SDL_Surface *a, SDL_Surface *b) {
  int y;
  if (!a || !b || a->w != b->w || a->h != b->h) return 0;
  for (y = 0; y < a->h; y++)
    if (memcmp((char *)a->pixels + y * a->pitch, (char *)b->pixels + y * b->pitch,
               (size_t)a->w * 4)) return 0;
  return 1;
}

/* A logged board and the same log reopened draw the same in every mode. */
static void test_reopened(void) {
  char dir[64], cmd[96];
  const char *dirs[1];
  vw_board *b = vw_board_new(0, 0);
  vw_runs *rs;
  float x[100];
  int i, mode;
  snprintf(dir, sizeof dir, "/tmp/lunet-xaxis-XXXXXX");
  if (!mkdtemp(dir)) { CHECK(0, "mkdtemp"); return; }
  strcat(dir, "/run");
  CHECK(vw_board_log_to(b, dir) == 0, "%s", vw_error());
  for (i = 0; i < 40; i++) {
    int j;
    for (j = 0; j < 100; j++) x[j] = (float)((j * 7 + i) % 50) / 25 - 1 + i * 0.05f;
    vw_board_scalar(b, "cost/A", i, 1.0 / (i + 1));
    if (i % 4 == 0) vw_board_histogram(b, "A/L1", i, x, 100, VW_SAT);
    usleep(2000);   /* wall times that differ */
  }
  vw_board_log_close(b);
  dirs[0] = dir;
  rs = vw_runs_open(dirs, 1);
  CHECK(rs != NULL, "%s", vw_error());
  for (mode = 0; rs && mode < VW_X_MODES; mode++) {
    vw_view v;
    SDL_Surface *a, *c;
    vw_view_defaults(&v);
    v.width = 640;
    v.height = 480;
    v.xaxis = mode;
    v.time_mode = VW_HIST_BANDS;
    a = render_board(b, &v, &lay);
    c = render_board(vw_runs_board(rs), &v, &lay);
    CHECK(same_pixels(a, c), "x mode %d: the reopened run draws differently", mode);
    if (a) SDL_FreeSurface(a);
    if (c) SDL_FreeSurface(c);
  }
  if (rs) vw_runs_free(rs);
  vw_board_release(b);
  snprintf(cmd, sizeof cmd, "rm -rf %.60s", dir);
  *strrchr(cmd, '/') = 0;
  if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
}

int main(void) {
  setenv("TZ", "UTC", 1);
  tzset();
  test_stamped();
  test_relative();
  test_wall();
  test_reopened();
  return check_summary();
}
