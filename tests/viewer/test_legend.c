/* test_legend.c: the scalar panels' legends and y ranges, checked on the
 * drawing's records and pixels. The legend is never over a plot; a series
 * that recovers from NaN shows its newest value and keeps a red mark; a
 * hidden run is not drawn and leaves the y range; outliers can be left
 * out of the range, per panel; log scale says when it leaves values out;
 * a legend too long for its panel ends in "+N more". */
#include "board.h"
#include "draw.h"
#include "check.h"
#include "pixels.h"
#include "render.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static vw_layout lay;

static int overlap(SDL_Rect a, SDL_Rect b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

static SDL_Surface *draw(vw_board *b, vw_view *v) {
  SDL_Surface *surf = render_board(b, v, &lay);
  CHECK(surf != NULL, "render: %s", vw_error());
  return surf;
}

static const vw_legend_item *entry(const char *prefix) {
  int i;
  for (i = 0; i < lay.nlegend; i++)
    if (!strncmp(lay.legend[i].name, prefix, strlen(prefix))) return &lay.legend[i];
  return NULL;
}

/* Outside the plot at every size; BN went NaN at 41..59 and recovered. */
static void test_outside(void) {
  static const int sizes[][2] = {{1280, 800}, {640, 400}, {480, 320}, {400, 300}, {200, 150}};
  vw_board *b = vw_board_new(0, 0);
  int s, k;
  for (s = 1; s <= 100; s++) {
    vw_board_scalar(b, "cost/no BN", s, 100.0 / s);
    vw_board_scalar(b, "cost/BN", s, s > 40 && s < 60 ? NAN : 50.0 / s);
  }
  for (k = 0; k < 5; k++) {
    vw_view v;
    SDL_Surface *surf;
    const vw_legend_item *bn, *nobn;
    int i, bad = 0;
    vw_view_defaults(&v);
    v.width = sizes[k][0];
    v.height = sizes[k][1];
    surf = draw(b, &v);
    if (!surf) continue;
    CHECK(lay.npanels == 1 && lay.panel[0].plot.w > 50 && lay.panel[0].plot.h > 20,
          "%dx%d: %d panels, plot %dx%d", v.width, v.height, lay.npanels,
          lay.panel[0].plot.w, lay.panel[0].plot.h);
    for (i = 0; i < lay.nlegend; i++) bad += overlap(lay.legend[i].box, lay.panel[0].plot);
    CHECK(bad == 0, "%dx%d: %d legend entries over the plot", v.width, v.height, bad);
    bn = entry("BN ");
    nobn = entry("no BN ");
    CHECK(lay.nlegend + lay.panel[0].legend_more == 2 && nobn,
          "%dx%d: %d entries, %d more", v.width, v.height, lay.nlegend,
          lay.panel[0].legend_more);
    if (k < 3)
      CHECK(bn && strstr(bn->name, "BN  0.5") && strstr(bn->name, "NaN/Inf at 41"),
            "%dx%d: BN's entry '%s'", v.width, v.height, bn ? bn->name : "");
    if (k == 2) {   /* the mark at step 41 on the x axis */
      const vw_panel *p = &lay.panel[0];
      SDL_Rect at;
      at.x = p->plot.x + (int)lround((41 - p->x0) / (p->x1 - p->x0) * (p->plot.w - 1)) - 2;
      at.y = p->plot.y + p->plot.h - 8;
      at.w = 5;
      at.h = 8;
      CHECK(count_in(surf, at, rgb(vw_warn)) >= 10, "no NaN mark at step 41");
    }
    SDL_FreeSurface(surf);
  }
  vw_board_release(b);
}

/* Run 1 ("big") diverges; hidden, its curve goes and the range shrinks. */
static void test_hide(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_view v;
  SDL_Surface *surf;
  const vw_legend_item *big;
  int s;
  for (s = 0; s < 100; s++) {
    vw_board_scalar(b, "cost/small", s, 1 + s % 7);
    vw_board_scalar(b, "cost/big", s, exp(s / 5.0));
  }
  vw_view_defaults(&v);
  v.width = 640;
  v.height = 400;
  surf = draw(b, &v);
  CHECK(surf && lay.panel[0].y1 > 1e8, "y1 %g", lay.panel[0].y1);
  CHECK(surf && count_in(surf, lay.panel[0].plot, rgb(vw_run_color(1))) > 50,
        "big not drawn");
  if (surf) SDL_FreeSurface(surf);
  v.hide[1] = 1;
  surf = draw(b, &v);
  big = entry("big ");
  CHECK(surf && lay.panel[0].y1 < 10 && lay.panel[0].y0 > 0, "hidden: y %g..%g",
        lay.panel[0].y0, lay.panel[0].y1);
  CHECK(surf && count_in(surf, lay.panel[0].plot, rgb(vw_run_color(1))) == 0 &&
        count_in(surf, lay.panel[0].plot, rgb(vw_run_color(0))) > 50,
        "hidden: big still drawn, or small not");
  CHECK(big && big->hidden && big->run == 1, "big's entry: %s hidden %d",
        big ? big->name : "", big ? big->hidden : -1);
  if (surf) SDL_FreeSurface(surf);
  vw_board_release(b);
}

/* One spike of 1e6 among values 1..10: a robust range leaves it out, in
 * the panel asked for only. */
static void test_robust(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_view v;
  SDL_Surface *surf;
  int s;
  for (s = 0; s < 500; s++) {
    vw_board_scalar(b, "a/run", s, s == 250 ? 1e6 : 1 + s % 10);
    vw_board_scalar(b, "b/run", s, s == 250 ? 1e6 : 1 + s % 10);
  }
  vw_view_defaults(&v);
  v.width = 960;
  v.height = 400;
  surf = draw(b, &v);
  CHECK(surf && lay.npanels == 2 && lay.panel[0].y1 > 1e5 && !lay.panel[0].robust,
        "plain: y1 %g", lay.panel[0].y1);
  if (surf) SDL_FreeSurface(surf);
  v.flip_robust[1] = 1;
  surf = draw(b, &v);
  CHECK(surf && lay.panel[0].y1 > 1e5 && lay.panel[1].robust && lay.panel[1].y1 < 12 &&
        lay.panel[1].y0 > 0, "panel b robust: a %g, b %g..%g", lay.panel[0].y1,
        lay.panel[1].y0, lay.panel[1].y1);
  if (surf) SDL_FreeSurface(surf);
  v.robust = 1;   /* everywhere, and b flipped back */
  surf = draw(b, &v);
  CHECK(surf && lay.panel[0].y1 < 12 && !lay.panel[1].robust && lay.panel[1].y1 > 1e5,
        "robust, b flipped: a %g, b %g", lay.panel[0].y1, lay.panel[1].y1);
  if (surf) SDL_FreeSurface(surf);
  vw_board_release(b);
}

/* Log scale: a signed series says that its values <= 0 are not shown;
 * one panel can be in log scale alone. */
static void test_log(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_view v;
  SDL_Surface *surf;
  int s;
  for (s = 0; s < 100; s++) {
    vw_board_scalar(b, "signed/run", s, s - 50.5);
    vw_board_scalar(b, "positive/run", s, s + 1);
  }
  vw_view_defaults(&v);
  v.width = 960;
  v.height = 400;
  v.logy = 1;
  surf = draw(b, &v);
  CHECK(surf && lay.panel[0].clipped && !lay.panel[1].clipped, "clipped: %d %d",
        lay.panel[0].clipped, lay.panel[1].clipped);
  CHECK(surf && count_in(surf, lay.panel[0].plot, rgb(vw_warn)) > 40 &&
        count_in(surf, lay.panel[1].plot, rgb(vw_warn)) == 0, "the note is not drawn");
  if (surf) SDL_FreeSurface(surf);
  v.logy = 0;
  v.flip_log[1] = 1;
  surf = draw(b, &v);
  CHECK(surf && !lay.panel[0].logy && lay.panel[1].logy && !lay.panel[0].clipped &&
        lay.panel[1].y1 > 1.9 && lay.panel[1].y1 < 2.2, "one panel in log: %d %d, y1 %g",
        lay.panel[0].logy, lay.panel[1].logy, lay.panel[1].y1);
  if (surf) SDL_FreeSurface(surf);
  vw_board_release(b);
}

/* 40 runs in one panel at 640x400: what does not fit says how many. */
static void test_more(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_view v;
  SDL_Surface *surf;
  char tag[32];
  int r, i, listed = 0;
  for (r = 0; r < 40; r++) {
    snprintf(tag, sizeof tag, "cost/run number %d", r);
    vw_board_scalar(b, tag, 0, r);
    vw_board_scalar(b, tag, 1, r + 1);
  }
  vw_view_defaults(&v);
  v.width = 640;
  v.height = 400;
  surf = draw(b, &v);
  for (i = 0; i < lay.nlegend; i++) listed += lay.legend[i].panel == 0;
  CHECK(surf && lay.panel[0].legend_more > 0 && listed + lay.panel[0].legend_more == 40,
        "%d listed, %d more", listed, lay.panel[0].legend_more);
  CHECK(surf && lay.panel[0].plot.h > 120, "the legend took the plot: %d px",
        lay.panel[0].plot.h);
  {   /* "+N more" in red, above the plot */
    SDL_Rect above = {0, 26, 640, lay.panel[0].plot.y - 26};
    CHECK(surf && count_in(surf, above, rgb(vw_warn)) > 5, "no +N more");
  }
  if (surf) SDL_FreeSurface(surf);
  vw_board_release(b);
}

int main(void) {
  test_outside();
  test_hide();
  test_robust();
  test_log();
  test_more();
  return check_summary();
}
