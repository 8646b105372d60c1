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
/* Up to maxn "nice" values (1, 2, 5 x 10^k apart) inside [a, b], for any
 * finite a < b (none otherwise). */
int nice_ticks(double a, double b, int maxn, double *ticks);
/* A short label: 3 significant digits, k/M suffixes for large values. */
void fmt_num(char *buf, size_t n, double v);
/* Widens a range that is one point, [v, v], by `by` each way, or by more
 * when v is so large that `by` would be lost in rounding. */
void widen_point(double *a, double *b, double by);
/* Adds a panel to f->out (when there is room) and returns it, or NULL. */
vw_panel *add_panel(frame *f);

void draw_histograms(frame *f, SDL_Rect area);
void draw_scalars(frame *f, SDL_Rect area);

#endif
