/* test_ticks.c: tick labels, checked on the drawing's own records. Every
 * axis at least 120 px long has three or more distinct labels; no label
 * touches another (of its panel or a neighbour's) or a y-axis title; each
 * label reads as the value it stands for. Stress boards at three sizes. */
#include "board.h"
#include "draw.h"
#include "draw_int.h"
#include "check.h"
#include "pixels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int apart(SDL_Rect a, SDL_Rect b, int gap) {
  return a.x + a.w + gap <= b.x || b.x + b.w + gap <= a.x || a.y + a.h + gap <= b.y ||
         b.y + b.h + gap <= a.y;
}

/* The value a label reads as: "1.5k", "2e-5", "0.6933". */
static double read_label(const char *s) {
  char *end;
  double v = strtod(s, &end);
  switch (*end) {
  case 'k': return v * 1e3;
  case 'M': return v * 1e6;
  case 'G': return v * 1e9;
  case 'T': return v * 1e12;
  default: return v;
  }
}

/* Counts what is wrong in one layout, saying each; one CHECK per layout
 * keeps the total the same from run to run. */
#define NOTE(cond, ...) do {                                         \
    if (!(cond)) {                                                   \
      bad++;                                                         \
      if (bad <= 20) { fprintf(stderr, "  "); fprintf(stderr, __VA_ARGS__); \
                       fputc('\n', stderr); }                        \
    }                                                                \
  } while (0)

static void check_layout(const char *name, const vw_layout *lay, int width, int height,
                         int logy) {
  int i, j, k, bad = 0;
  for (i = 0; i < lay->npanels; i++) {
    const vw_panel *p = &lay->panel[i];
    for (k = 0; k < 2; k++) {
      int n = 0, len = k ? p->plot.h : p->plot.w, distinct = 1;
      const char *seen[64];
      if (k && p->kind == VW_HISTOGRAM) continue;   /* counts have no axis yet */
      for (j = 0; j < lay->nticks; j++) {
        const vw_tick_label *t = &lay->tick[j];
        int m;
        double want, got;
        if (t->panel != i || t->vertical != k) continue;
        for (m = 0; m < n && m < 64; m++) distinct &= strcmp(seen[m], t->text) != 0;
        if (n < 64) seen[n] = t->text;
        n++;
        /* the label reads as its value, to its printed precision */
        want = k && logy && p->kind == VW_SCALAR ? pow(10, t->value) : t->value;
        got = read_label(t->text);
        NOTE(fabs(got - want) <= fabs(want) * (strchr(t->text, 'e') ? 0.06 : 1e-2) + 1e-12,
             "panel %s: label '%s' for %g", p->title, t->text, want);
        NOTE(t->box.x >= 0 && t->box.y >= 0 && t->box.x + t->box.w <= width &&
             t->box.y + t->box.h <= height, "label '%s' off the picture", t->text);
        if (p->kind == VW_SCALAR && k)
          NOTE(apart(t->box, p->ytitle, 2), "%s: y title over label '%s'", p->title, t->text);
      }
      if (len >= 120)
        NOTE(n >= 3, "panel %s, %s axis %d px long: %d tick labels", p->title,
             k ? "y" : "x", len, n);
      NOTE(distinct, "panel %s repeats a %s label", p->title, k ? "y" : "x");
    }
  }
  for (i = 0; i < lay->nticks; i++)
    for (j = i + 1; j < lay->nticks; j++) {
      const vw_tick_label *a = &lay->tick[i], *b = &lay->tick[j];
      NOTE(apart(a->box, b->box, 3), "labels '%s' (panel %d) and '%s' (panel %d) touch",
           a->text, a->panel, b->text, b->panel);
    }
  CHECK(lay->nticks > 0 && bad == 0, "%s: %d tick labels, %d problems", name, lay->nticks,
        bad);
}

static void draw_check(const char *name, vw_board *b, int logy) {
  static const int sizes[][2] = {{1280, 800}, {640, 400}, {480, 320}};
  static vw_layout lay;
  vw_snap *s = vw_snap_new();
  int i;
  CHECK(vw_snap_sync(s, b) >= 0, "sync: %s", vw_error());
  for (i = 0; i < 3; i++) {
    vw_view v;
    SDL_Surface *surf;
    char what[64];
    vw_view_defaults(&v);
    v.width = sizes[i][0];
    v.height = sizes[i][1];
    v.logy = logy;
    surf = vw_render(s, &v, &lay);
    CHECK(surf != NULL, "render: %s", vw_error());
    snprintf(what, sizeof what, "%s at %dx%d%s", name, v.width, v.height,
             logy ? ", log" : "");
    check_layout(what, &lay, v.width, v.height, logy);
    if (surf) SDL_FreeSurface(surf);
  }
  vw_snap_free(s);
}

/* Histograms of std 1 and of std 8 side by side in 8 columns: each gets
 * labels of its own range, not one "0". */
static void test_histograms(void) {
  vw_board *b = vw_board_new(0, 0);
  float x[400];
  char tag[32];
  int l, i, r;
  for (r = 0; r < 2; r++)
    for (l = 1; l <= 8; l++) {
      for (i = 0; i < 400; i++) x[i] = (float)((i % 41 - 20) / 20.0 * (r ? l : 1 + 7 * (l == 8)));
      snprintf(tag, sizeof tag, "%s/L%d", r ? "no BN" : "BN", l);
      vw_board_histogram(b, tag, 0, x, 400, VW_SAT);
    }
  draw_check("histograms", b, 0);
  vw_board_release(b);
}

/* Ranges small for their magnitude ("0.6933 0.6933", "1M 1M"), huge and
 * tiny values, a range inside one decade, many decades. */
static void test_scalars(void) {
  vw_board *b = vw_board_new(0, 0);
  int s;
  for (s = 0; s <= 100; s++) {
    vw_board_scalar(b, "cost/BN", s, 0.6933 + s * 1e-7);
    vw_board_scalar(b, "big/BN", s, 1e6 + s);
    vw_board_scalar(b, "k/BN", s, 999.9 + s * 1e-3);
    vw_board_scalar(b, "decade/BN", s, 2 + 1.0 / (s + 1));
    vw_board_scalar(b, "decades/BN", s, pow(10, s / 10.0 - 3));
    vw_board_scalar(b, "tiny/BN", s, 1e-5 * (1 + s));
    vw_board_scalar(b, "huge/BN", s * 1e300, 1e300 * (s - 50));
    vw_board_scalar(b, "signed/BN", s, s - 50.5);
  }
  draw_check("scalars", b, 0);
  draw_check("scalars", b, 1);
  vw_board_release(b);
}

static void test_formats(void) {
  static const struct { double v, step, maxabs; const char *want; } t[] = {
    {999950, 50, 999950, "999.95k"}, {1e6 + 20, 20, 1e6 + 100, "1.00002M"},
    {0.693305, 5e-6, 0.69332, "0.693305"}, {2.5e-4, 5e-5, 5e-4, "2.5e-4"},
    {-20, 10, 20, "-20"}, {0, 0.1, 1, "0"}, {1e20, 1e20, 5e20, "1e20"},
    {1500, 500, 2000, "1500"}, {12000, 2000, 20000, "12k"},
  };
  char buf[32];
  size_t i;
  for (i = 0; i < sizeof t / sizeof *t; i++) {
    fmt_tick(buf, sizeof buf, t[i].v, t[i].step, t[i].maxabs);
    CHECK(strcmp(buf, t[i].want) == 0, "fmt_tick(%g, step %g): '%s', want '%s'", t[i].v,
          t[i].step, buf, t[i].want);
  }
  fmt_num(buf, sizeof buf, 999950);
  CHECK(strcmp(buf, "1M") == 0, "fmt_num(999950): '%s'", buf);
  fmt_num(buf, sizeof buf, 999.96e9);
  CHECK(strcmp(buf, "1T") == 0, "fmt_num(999.96e9): '%s'", buf);
  fmt_num(buf, sizeof buf, 5e12);
  CHECK(strcmp(buf, "5T") == 0, "fmt_num(5e12): '%s'", buf);
}

/* Long tag names in 14 columns: each title and statistics line stays in
 * its cell (cut with an ellipsis), so the gap between two cells is blank. */
static void test_long_names(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_snap *s = vw_snap_new();
  static vw_layout lay;
  float x[64];
  char tag[64];
  vw_view v;
  SDL_Surface *surf;
  int i, l, inked = 0;
  for (i = 0; i < 64; i++) x[i] = (float)(i - 32) / 8;
  x[0] = NAN;
  for (l = 0; l < 14; l++) {
    snprintf(tag, sizeof tag, "a long run name/encoder.block%d.attention.output", l);
    vw_board_histogram(b, tag, 0, x, 64, VW_SAT);
  }
  vw_snap_sync(s, b);
  vw_view_defaults(&v);
  surf = vw_render(s, &v, &lay);
  CHECK(surf && lay.npanels == 14, "%d panels", lay.npanels);
  for (i = 0; surf && i + 1 < lay.npanels; i++) {
    const SDL_Rect *p = &lay.panel[i].plot;
    int xx, y, gap = p->x + p->w + 2;   /* the cell's last 4 px and the next one's first 2 */
    for (y = p->y - 40; y < p->y; y++)
      for (xx = gap; xx < gap + 6; xx++) inked += pixel(surf, xx, y) != rgb(vw_background);
  }
  CHECK(inked == 0, "%d pixels of text between cells", inked);
  if (surf) SDL_FreeSurface(surf);
  vw_snap_free(s);
  vw_board_release(b);
}

int main(void) {
  test_long_names();
  test_formats();
  test_histograms();
  test_scalars();
  return check_summary();
}
