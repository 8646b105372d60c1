/* draw_int.h: what the draw_*.c files share (not part of the viewer API). */
#ifndef VW_DRAW_INT_H
#define VW_DRAW_INT_H

#include <stddef.h>
#include "draw.h"

#define MAXRUNS 64

typedef struct frame {
  vw_canvas *c;
  SDL_Renderer *r;
  const vw_snap *s;
  const vw_view *v;
  vw_layout *out;
  const char *runs[MAXRUNS];   /* every run name, in order of first tag */
  int nruns;
} frame;

extern const SDL_Color ink, grey, light;

int run_index(const frame *f, const char *run);
void set_color(SDL_Renderer *r, SDL_Color c);
void fill_rect(SDL_Renderer *r, int x, int y, int w, int h);
/* A pixel coordinate from a double: rounded, and clamped to +-1e6 first, so
 * that no value (huge, infinite or NaN, which goes to -1e6) converts out of
 * int's range. */
int to_px(double v);
/* The linear map of data values onto pixels that takes a to pixel from and
 * b to pixel to. Any finite a < b will do: a span b - a past DBL_MAX is
 * taken at half scale, and one too small for its reciprocal maps to from. */
typedef struct pxmap {
  double k, a, s;   /* pixel = from + (v * k - a) * s, a already times k */
  int from;
} pxmap;
void pxmap_init(pxmap *m, double a, double b, int from, int to);
static inline int pxmap_at(const pxmap *m, double v) {
  return to_px(m->from + (v * m->k - m->a) * m->s);
}
/* A short label: 3 significant digits, k/M/G/T suffixes for large values
 * (chosen after rounding: 999950 is "1M"). */
void fmt_num(char *buf, size_t n, double v);
/* Widens a range that is one point, [v, v], by `by` each way, or by more
 * when v is so large that `by` would be lost in rounding. */
void widen_point(double *a, double *b, double by);
/* s, or as much of it as fits in w pixels with an ellipsis after it, in
 * buf (n bytes); cut between UTF-8 characters. Returns buf. */
const char *fit_text(frame *f, int font, const char *s, int w, char *buf, size_t n);
/* Adds a panel to f->out (when there is room) and returns it, or NULL. */
vw_panel *add_panel(frame *f);

/* One axis to label (ticks.c): values a..b (log10 of them when logv) drawn
 * through pixel map m, labels in font; along the axis every label stays
 * within pixels lo..hi, and ticks are at least minsp pixels apart when
 * that still leaves three. */
typedef struct tick_axis {
  const pxmap *m;
  double a, b;
  int logv, vertical, font, lo, hi, minsp;
} tick_axis;
#define MAXTICKS 16
typedef struct ticks {
  int n;
  double v[MAXTICKS];          /* axis coordinates (log10 on a log axis) */
  int px[MAXTICKS], w[MAXTICKS];
  char text[MAXTICKS][24];
} ticks;
/* The finest nice values whose labels fit without touching: three or more
 * whenever three fit at all (a range inside one decade of a log axis is
 * labelled in value steps), each label as precise as the step needs. */
void choose_ticks(frame *f, const tick_axis *ax, ticks *out);
/* A tick label of v for ticks step apart, the largest |value| among them
 * maxabs: enough decimals to tell neighbours apart, k/M/G/T from 1e4,
 * scientific below 1e-3 and from 1e15. */
void fmt_tick(char *buf, size_t n, double v, double step, double maxabs);
/* Draws the labels of t: under the axis at y (horizontal, centred on each
 * tick) or left of it at x (vertical), and records them in f->out for the
 * panel numbered panel. */
void draw_tick_labels(frame *f, const tick_axis *ax, const ticks *t, int at, SDL_Color col,
                      int panel);

void draw_histograms(frame *f, SDL_Rect area);
void draw_scalars(frame *f, SDL_Rect area);

#endif
