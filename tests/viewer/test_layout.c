/* test_layout.c: a layout that scales, checked on the drawing's own records
 * and its pixels. Every tag is drawn on some page, and each page says what
 * is on the others; panels keep their size and never overlap; more runs
 * than tab10 has colours still get colours of their own; a scalar tag's run
 * is its last part, the colour of that run's histograms. */
#include "board.h"
#include "draw.h"
#include "draw_int.h"
#include "check.h"
#include "pixels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static vw_layout lay;

static int overlap(SDL_Rect a, SDL_Rect b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/* 100 histogram tags (one run, layers 1..100) and 20 scalar groups, page
 * by page: each tag on exactly one page, with bars; the notice names
 * exactly what is off the page. */
static void check_pages(vw_snap *s, int width, int height) {
  int seen_h[100] = {0}, seen_g[20] = {0}, page, npages = 1, bad = 0, i, j;
  for (page = 0; page < npages; page++) {
    vw_view v;
    SDL_Surface *surf;
    int nh = 0, ng = 0;
    vw_view_defaults(&v);
    v.width = width;
    v.height = height;
    v.page = page;
    surf = vw_render(s, &v, &lay);
    CHECK(surf != NULL, "render: %s", vw_error());
    if (!surf) return;
    npages = lay.npages;
    CHECK(lay.page == page, "%dx%d: page %d drawn as %d", width, height, page, lay.page);
    for (i = 0; i < lay.npanels; i++) {
      const vw_panel *p = &lay.panel[i];
      if (p->kind == VW_HISTOGRAM) {
        nh++;
        if (p->tag >= 0 && p->tag < 100) seen_h[p->tag]++;
        /* a plot big enough to read, with bars in it */
        if (p->plot.w < 100 || p->plot.h < 40 ||
            count_in(surf, p->plot, rgb(vw_run_color(0))) < 50) bad++;
      } else {
        ng++;
        if (p->group >= 0 && p->group < 20) seen_g[p->group]++;
        if (p->plot.w < 150 || p->plot.h < 40) bad++;
      }
      if (p->plot.x < 0 || p->plot.y < 26 || p->plot.x + p->plot.w > width ||
          p->plot.y + p->plot.h > height) bad++;
      for (j = 0; j < i; j++) bad += overlap(p->plot, lay.panel[j].plot);
    }
    CHECK(bad == 0, "%dx%d page %d: %d panels too small, empty, off or overlapping", width,
          height, page, bad);
    CHECK(nh == lay.hist_drawn && ng == lay.groups_drawn && lay.hist_tags == 100 &&
          lay.groups == 20, "%dx%d page %d: %d/%d of %d histograms, %d/%d of %d groups",
          width, height, page, nh, lay.hist_drawn, lay.hist_tags, ng, lay.groups_drawn,
          lay.groups);
    {
      char want[64];
      snprintf(want, sizeof want, "+%d histogram", 100 - nh);
      CHECK(npages > 1 && strstr(lay.notice, "page ") &&
            (nh == 100 || strstr(lay.notice, want)),
            "%dx%d page %d: notice '%s' (want '%s')", width, height, page, lay.notice, want);
      snprintf(want, sizeof want, "+%d scalar panel", 20 - ng);
      CHECK(ng == 20 || strstr(lay.notice, want), "%dx%d page %d: notice '%s' (want '%s')",
            width, height, page, lay.notice, want);
    }
    /* the notice is on the picture, in the warning colour */
    CHECK(count_in(surf, lay.notice_box, rgb(vw_warn)) > 50 &&
          lay.notice_box.y + lay.notice_box.h <= height,
          "%dx%d page %d: notice not drawn", width, height, page);
    SDL_FreeSurface(surf);
  }
  for (i = 0, bad = 0; i < 100; i++) bad += seen_h[i] != 1;
  for (i = 0; i < 20; i++) bad += seen_g[i] != 1;
  CHECK(bad == 0, "%dx%d: %d tags not drawn exactly once over %d pages", width, height,
        bad, npages);
  CHECK(npages < 40, "%dx%d: %d pages", width, height, npages);
  {   /* a page past the end is the last one */
    vw_view v;
    SDL_Surface *surf;
    vw_view_defaults(&v);
    v.width = width;
    v.height = height;
    v.page = 1000;
    surf = vw_render(s, &v, &lay);
    CHECK(surf && lay.page == npages - 1, "page 1000 drawn as %d of %d", lay.page, npages);
    if (surf) SDL_FreeSurface(surf);
  }
}

static void test_pages(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_snap *s = vw_snap_new();
  float x[200];
  char tag[32];
  int l, i, g;
  for (l = 1; l <= 100; l++) {
    for (i = 0; i < 200; i++) x[i] = (float)(sin(i * 1.7) * l);
    snprintf(tag, sizeof tag, "run/layer%d", l);
    vw_board_histogram(b, tag, 10, x, 200, VW_SAT);
  }
  for (g = 1; g <= 20; g++)
    for (i = 0; i < 50; i++) {
      snprintf(tag, sizeof tag, "group%d/run", g);
      vw_board_scalar(b, tag, i, sin(i / 10.0 + g));
    }
  vw_snap_sync(s, b);
  check_pages(s, 1280, 800);
  check_pages(s, 640, 400);
  vw_snap_free(s);
  vw_board_release(b);
}

/* A board that fits is one page, with no notice. */
static void test_one_page(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_snap *s = vw_snap_new();
  float x[4] = {1, 2, 3, 4};
  vw_view v;
  SDL_Surface *surf;
  vw_board_histogram(b, "A/L1", 0, x, 4, VW_SAT);
  vw_board_histogram(b, "B/L1", 0, x, 4, VW_SAT);
  vw_board_scalar(b, "cost/A", 0, 1);
  vw_snap_sync(s, b);
  vw_view_defaults(&v);
  surf = vw_render(s, &v, &lay);
  CHECK(surf && lay.npages == 1 && !lay.notice[0] && lay.npanels == 3,
        "%d pages, notice '%s', %d panels", lay.npages, lay.notice, lay.npanels);
  /* the two rows fill the histogram area, as before pages */
  CHECK(lay.panel[0].plot.h > 150, "histogram plot %d px high", lay.panel[0].plot.h);
  if (surf) SDL_FreeSurface(surf);
  vw_snap_free(s);
  vw_board_release(b);
}

/* 64 runs: 64 colours, no two alike (tab10 first). */
static void test_colors(void) {
  int i, j, close = 0;
  for (i = 0; i < 64; i++)
    for (j = 0; j < i; j++) {
      SDL_Color a = vw_run_color(i), c = vw_run_color(j);
      int d = abs(a.r - c.r) + abs(a.g - c.g) + abs(a.b - c.b);
      if (d < 24) {
        close++;
        fprintf(stderr, "  runs %d and %d: %d,%d,%d and %d,%d,%d\n", i, j, a.r, a.g, a.b,
                c.r, c.g, c.b);
      }
    }
  CHECK(close == 0, "%d pairs of run colours are alike", close);
  CHECK(rgb(vw_run_color(1)) == 0xff7f0e, "tab10 first: %06x", rgb(vw_run_color(1)));
}

/* "train/loss/R1" is run R1 of group "train/loss": its curve has the
 * colour of R1's histograms, whatever order the tags came in. */
static void test_run_names(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_snap *s = vw_snap_new();
  float x[4] = {1, 2, 3, 4};
  vw_view v;
  SDL_Surface *surf;
  char tag[32];
  int r, i, hist = -1, leg = -1;
  for (r = 0; r < 12; r++) {
    snprintf(tag, sizeof tag, "R%d/L1", r);
    vw_board_histogram(b, tag, 0, x, 4, VW_SAT);
  }
  for (r = 11; r >= 0; r--) {
    snprintf(tag, sizeof tag, "train/loss/R%d", r);
    vw_board_scalar(b, tag, 0, r);
    vw_board_scalar(b, tag, 1, r + 1);
  }
  vw_snap_sync(s, b);
  CHECK(s->ns == 12 && !strcmp(s->s[0].group, "train/loss") && !strcmp(s->s[0].run, "R11"),
        "group '%s' run '%s'", s->ns ? s->s[0].group : "", s->ns ? s->s[0].run : "");
  vw_view_defaults(&v);
  surf = vw_render(s, &v, &lay);
  CHECK(surf && lay.nruns == 12, "%d runs", lay.nruns);
  for (i = 0; i < lay.npanels; i++)
    if (lay.panel[i].kind == VW_HISTOGRAM && lay.panel[i].tag == 1) hist = i;
  for (i = 0; i < lay.nlegend; i++)
    if (!strncmp(lay.legend[i].name, "R1 ", 3)) leg = i;
  CHECK(hist >= 0 && leg >= 0, "R1's panel %d, legend entry %d", hist, leg);
  if (surf && hist >= 0 && leg >= 0) {
    SDL_Color c = vw_run_color(1);
    CHECK(rgb(lay.legend[leg].color) == rgb(c) &&
          count_in(surf, lay.panel[hist].plot, rgb(c)) > 50,
          "R1's legend %06x, bars %d px of %06x", rgb(lay.legend[leg].color),
          count_in(surf, lay.panel[hist].plot, rgb(c)), rgb(c));
  }
  if (surf) SDL_FreeSurface(surf);
  vw_snap_free(s);
  vw_board_release(b);
}

/* Titles cut in the middle keep what tells them apart. */
static void test_fit_middle(void) {
  SDL_Surface *surf = SDL_CreateRGBSurfaceWithFormat(0, 64, 64, 32, SDL_PIXELFORMAT_ARGB8888);
  SDL_Renderer *r = SDL_CreateSoftwareRenderer(surf);
  vw_canvas *c = vw_canvas_new(r);
  frame f;
  char a[96], b[96];
  CHECK(c != NULL, "canvas: %s", vw_error());
  if (!c) return;
  memset(&f, 0, sizeof f);
  f.c = c;
  {
    const char *names[2] = {"encoder.block1.attention.output", "encoder.block2.attention.output"};
    size_t pre, suf;
    common_ends(names, 2, &pre, &suf);
    CHECK(pre == 13 && suf == 17, "common ends %zu, %zu", pre, suf);
    fit_keep(&f, VW_NORMAL, names[0], 120, pre, suf, a, sizeof a);
    fit_keep(&f, VW_NORMAL, names[1], 120, pre, suf, b, sizeof b);
    CHECK(strstr(a, "1.") && strstr(b, "2.") && vw_text_width(c, VW_NORMAL, a) <= 120,
          "'%s' '%s'", a, b);
    names[1] = "encoder";   /* a name that is all prefix */
    common_ends(names, 2, &pre, &suf);
    CHECK(pre == 7 && suf == 0, "common ends %zu, %zu", pre, suf);
  }
  fit_middle(&f, VW_NORMAL, "a_very_long_layer_name_conv_block_1", 120, a, sizeof a);
  fit_middle(&f, VW_NORMAL, "a_very_long_layer_name_conv_block_2", 120, b, sizeof b);
  CHECK(strcmp(a, b) != 0 && strstr(a, "\xe2\x80\xa6") && vw_text_width(c, VW_NORMAL, a) <= 120
        && !strncmp(a, "a_very", 6), "'%s' '%s'", a, b);
  fit_middle(&f, VW_NORMAL, "short", 120, a, sizeof a);
  CHECK(!strcmp(a, "short"), "'%s'", a);
  vw_canvas_free(c);
  SDL_DestroyRenderer(r);
  SDL_FreeSurface(surf);
}

/* The key help names only keys that do something on the board drawn. */
static void test_key_help(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_snap *s = vw_snap_new();
  float x[4] = {1, 2, 3, 4};
  char help[512];
  vw_view v;
  SDL_Surface *surf;
  vw_board_scalar(b, "cost/A", 0, 1);
  vw_snap_sync(s, b);
  vw_view_defaults(&v);
  surf = vw_render(s, &v, &lay);
  vw_key_help(&lay, help, sizeof help);
  CHECK(surf && strstr(help, "log") && strstr(help, "zoom") &&
        !strstr(help, "\xe2\x86\x92 step") && !strstr(help, "bands") &&
        !strstr(help, "page") && strstr(help, "q close") && strstr(help, "w x:"),
        "scalars only: '%s'", help);
  if (surf) SDL_FreeSurface(surf);
  vw_board_histogram(b, "A/L1", 0, x, 4, VW_SAT);
  vw_board_histogram(b, "A/L1", 5, x, 4, VW_SAT);
  vw_snap_sync(s, b);
  v.panels = VW_PANELS_HISTOGRAMS;
  surf = vw_render(s, &v, &lay);
  vw_key_help(&lay, help, sizeof help);
  CHECK(surf && !strstr(help, "log") && !strstr(help, "smooth") && strstr(help, "step") &&
        strstr(help, "bars/heat/bands") && !strstr(help, "w x:"), "histograms: '%s'", help);
  if (surf) SDL_FreeSurface(surf);
  /* bands have a step or time axis: the x axis key comes back */
  v.time_mode = VW_HIST_BANDS;
  surf = vw_render(s, &v, &lay);
  vw_key_help(&lay, help, sizeof help);
  CHECK(surf && strstr(help, "w x:"), "bands: '%s'", help);
  if (surf) SDL_FreeSurface(surf);
  vw_snap_free(s);
  vw_board_release(b);
}

/* Small pictures: every panel keeps a plot, and the header's parts keep
 * apart (at 400x300 they ran into each other). */
static void test_small(void) {
  static const int sizes[][2] = {{480, 320}, {400, 300}, {200, 150}};
  vw_board *b = vw_board_new(0, 0);
  vw_snap *s = vw_snap_new();
  float x[64];
  int i, k;
  for (i = 0; i < 64; i++) x[i] = (float)(i - 32);
  vw_board_histogram(b, "no BN/L1", 10, x, 64, VW_SAT);
  vw_board_histogram(b, "BN/L1", 10, x, 64, VW_SAT);
  for (i = 0; i < 100; i++) {
    vw_board_scalar(b, "cost/no BN", i, 100.0 / (i + 1));
    vw_board_scalar(b, "cost/BN", i, 50.0 / (i + 1));
  }
  vw_snap_sync(s, b);
  for (k = 0; k < 3; k++) {
    vw_view v;
    SDL_Surface *surf;
    int xx, y, end = -1, gap = 0, bad = 0;
    vw_view_defaults(&v);
    v.width = sizes[k][0];
    v.height = sizes[k][1];
    v.smoothing = 0.6;
    v.logy = 1;
    surf = vw_render(s, &v, &lay);
    if (!surf) continue;
    for (i = 0; i < lay.npanels; i++)
      bad += lay.panel[i].plot.w < 20 || lay.panel[i].plot.h < 12;
    CHECK(lay.npanels >= 1 && bad == 0, "%dx%d: %d panels, %d without a plot", v.width,
          v.height, lay.npanels, bad);
    CHECK(lay.hist_drawn + lay.groups_drawn == 0 || lay.npages == 1 || lay.notice[0],
          "%dx%d: off-page panels without a notice", v.width, v.height);
    /* the header: the title ("lunet board", ~85 px from x = 10), then 12
     * blank columns: what is right of it keeps clear */
    for (xx = 10; xx < v.width && gap < 12; xx++) {
      int ink = 0;
      for (y = 0; y < 26; y++) ink |= pixel(surf, xx, y) != rgb(vw_background);
      gap = ink ? 0 : gap + 1;
      end = xx;
    }
    gap = end - 12 > 110 ? end - 12 : 0;
    CHECK(gap == 0, "%dx%d: the header is inked up to x = %d", v.width, v.height, gap);
    SDL_FreeSurface(surf);
  }
  vw_snap_free(s);
  vw_board_release(b);
}

int main(void) {
  test_key_help();
  test_small();
  test_fit_middle();
  test_colors();
  test_run_names();
  test_one_page();
  test_pages();
  return check_summary();
}
