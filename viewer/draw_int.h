/* draw_int.h: what the draw_*.c files share (not part of the viewer API). */
#ifndef VW_DRAW_INT_H
#define VW_DRAW_INT_H

#include <stddef.h>
#include "draw.h"

/* The histogram grid: one row per run and one column per layer, each in
 * order of first tag. Columns wrap into bands of `cpb` columns when they
 * do not fit across; a grid row ("unit") is one run in one band, unit
 * band * nrows + run, and pages take whole units. */
typedef struct grid {
  const char **rows, **cols;
  int nrows, ncols;
  double *lo, *hi;     /* each column's shared axis */
  int *point;          /* ... widened from one value */
  int *row, *col;      /* of each tag of s->h */
  int cpb, nbands;     /* columns per band, bands */
  size_t pre, suf;     /* what every column's name shares (common_ends) */
  int unit0, unit1;    /* the units on this page */
  int cell_w, cell_h;
} grid;

/* The scalar panels: one per group, in order of first tag. */
typedef struct groups {
  const char **name;
  int n;
  int *of;             /* the group of each series of s->s */
  int per, rows;       /* panels a row, rows a page */
  int g0, g1;          /* the groups on this page */
} groups;

typedef struct frame {
  vw_canvas *c;
  SDL_Renderer *r;
  const vw_snap *s;
  const vw_view *v;
  vw_layout *out;
  const char **runs;   /* every run name, in order of first tag */
  int nruns;
  int *srun, *hrun;    /* the run of each series, of each histogram tag */
  size_t run_pre, run_suf;   /* what every run's name shares */
  double *run_t0;      /* each run's first wall time (relative time's 0) */
  grid g;
  groups gr;
} frame;

extern const SDL_Color ink, grey, light;

int run_index(const frame *f, const char *run);
/* Where a point or snapshot of run number `run` goes on an x axis in the
 * view's mode: its step, the seconds since the run's first record, or its
 * wall time. */
double x_of(const frame *f, int run, double step, double wall);
/* The x title of that mode ("step" or `word` in step mode). */
const char *x_title(const frame *f, const char *word);
/* A time on an axis of mode VW_X_RELATIVE ("35 s", "2 min", "1.5 h") or
 * VW_X_WALL (local "12:03:10", "12:03", "Dec 01"), precise to `step`
 * seconds. */
void fmt_time(char *buf, size_t n, double v, double step, int mode);
/* What the histograms' steps are called: the x title that every
 * board:axis given agrees on ("epoch"), else "step". */
const char *step_word(const frame *f);
/* Is run number i hidden (a legend click)? */
int run_hidden(const frame *f, int i);
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
/* The same, cut in the middle: "encoder.bl\u2026attention.out", so that
 * names that differ only at the end (or only at the start) still differ. */
const char *fit_middle(frame *f, int font, const char *s, int w, char *buf, size_t n);
/* The same, cutting first inside s[0, pre) and s[len - suf, len), the
 * parts s shares with its neighbours (common_ends), so that what tells
 * it apart stays: "enc\u2026ock1.attention.output". */
const char *fit_keep(frame *f, int font, const char *s, int w, size_t pre, size_t suf,
                     char *buf, size_t n);
/* The bytes that all of names[0..n) share at the start and at the end
 * (0 and 0 for fewer than two names), on character boundaries. */
void common_ends(const char *const *names, int n, size_t *pre, size_t *suf);
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
  int time;            /* VW_X_RELATIVE or VW_X_WALL: steps and labels of time */
  int brief;           /* wall time: labels without the hour, where room is short */
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

/* The grid and the groups of f->s (draw_page.c), and the pages: which
 * units and groups page f->v->page holds, in which areas; fills the
 * page records of f->out. Returns -1 when out of memory. */
int plan_pages(frame *f, SDL_Rect area, SDL_Rect *hist, SDL_Rect *scal);
/* Does tag hold pat, ignoring ASCII case? ("" is in every tag.) */
int tag_matches(const char *tag, const char *pat);
void free_plan(frame *f);

/* A scalar panel's legend (draw_legend.c). */
#define LEGEND_MAX 64
typedef struct legend_entry {
  int series, run, hidden, w, x, line;
  SDL_Color col;
  char text[128], warn[128];   /* warn: drawn after text, in red */
} legend_entry;
typedef struct legend {
  int n, more, shown, lines, width;   /* width: all entries on one line */
  legend_entry e[LEGEND_MAX];
} legend;
void legend_measure(frame *f, int group, legend *lg);
int legend_layout(frame *f, legend *lg, int w, int max_lines);
void legend_draw(frame *f, const legend *lg, int x, int y, int w, int right, int panel);

/* A heat map's colour scale in colour col over r, 0 to the step's
 * tallest bin from left to right. */
void draw_heat_scale(frame *f, SDL_Rect r, SDL_Color col);
/* The hover read-out and the drag box (draw_hover.c), over the rest. */
void draw_hover(frame *f);
void draw_histograms(frame *f, SDL_Rect area);
/* How histogram tag number tag is drawn (VW_HIST_*): the view's mode
 * turned on by the tag's own hist_turn. */
int hist_mode(const vw_view *v, int tag);
/* A histogram panel as percentile bands over its snapshots' x (draw_bands.c):
 * values pp->y0..y1 up the plot; sets x0, x1 and narrows the plot by the
 * value labels. */
void draw_bands(frame *f, vw_panel *pp, const vw_shist *t, int run, SDL_Color col, int panel);
/* The snapshot of t nearest to x on a bands panel's x axis, or -1. */
long bands_nearest(frame *f, const vw_panel *pp, const vw_shist *t, int run, double x);
void draw_scalars(frame *f, SDL_Rect area);

#endif
