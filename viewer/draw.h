/* draw.h: the one drawing of a board, used by the window and by save_png.
 *
 * Layout (like the seed tutorial's matplotlib figures): a grid of histogram
 * panels, one row per run (the part of the tag before its first '/': "no
 * BN", "BN") and one column per layer (the rest: "L1".."L8"), and under it
 * one panel per scalar group ("train/cost/BN" is group "train/cost", run
 * "BN": a run's name never has a '/') with a curve per run in the run's
 * colour, a legend, ticks and axis titles. A run has the same colour in
 * both. All panels of a column share one x-axis: the span of every snapshot
 * of that column (all runs, all steps), so bars can be compared across runs
 * and over time.
 *
 * Panels keep a minimum size: columns that do not fit across wrap onto more
 * rows, and what does not fit the picture goes onto further pages, with a
 * notice of what is on the others. Nothing is left out without one. */
#ifndef VW_DRAW_H
#define VW_DRAW_H

#include <SDL.h>
#include "board.h"
#include "text.h"

enum { VW_PANELS_ALL, VW_PANELS_HISTOGRAMS, VW_PANELS_SCALARS };
/* How a histogram panel is drawn: bars of one snapshot, a heat map of all
 * of them over steps, or TensorBoard's percentile bands over steps. */
enum { VW_HIST_BARS, VW_HIST_HEAT, VW_HIST_BANDS, VW_HIST_MODES };
/* What the x axis of the curves (and of the bands) is: the step, the
 * seconds since the run's first record, or the wall-clock time. */
enum { VW_X_STEP, VW_X_RELATIVE, VW_X_WALL, VW_X_MODES };

#define VW_MAXGROUPS 256   /* scalar panels that can be set apart in a view */
#define VW_MAXRUNS 256     /* runs that can be hidden */
#define VW_MAXZOOM 64      /* scalar panels that can be zoomed */
#define VW_MAXFILTER 128   /* bytes of a filter pattern, its NUL included */
#define VW_MAXHTAGS 1024   /* histogram panels that can be drawn their own way */

/* A scalar panel's zoomed ranges (drag, wheel); y in the axis's own
 * coordinates (log10 in log scale), kept only while logy is the same. */
typedef struct vw_zoom {
  int on, logy, xaxis;   /* kept only while the x axis mode is the same too */
  double x0, x1, y0, y1;
} vw_zoom;

typedef struct vw_view {
  int width, height;   /* of the picture (vw_render: 0 picks a size that fits
                          the panels drawn); the window's own size */
  int panels;          /* VW_PANELS_*: what to draw */
  int logy;            /* scalar panels in log10 scale */
  double smoothing;    /* 0: raw curves; in (0, 1): TensorBoard's EMA weight,
                          drawn over the faint raw curve */
  int time_mode;       /* VW_HIST_*: how histogram panels are drawn */
  long cursor;         /* which histogram step to show (0-based index into
                          the sorted steps of all tags); < 0: the newest */
  int at_step;         /* when set, show histograms at `step` instead */
  double step;
  int bins;            /* display bins per histogram panel */
  int tag_axis;        /* each histogram panel on its own x-axis (still
                          shared by all its steps) instead of its column's */
  const char *status;  /* optional footer line (the window's key help) */
  const char *flash;   /* optional message over the footer ("saved x.png") */
  int page;            /* which page (0-based; clamped to the last) */
  int robust;          /* scalar y ranges ignore outliers (1st..99th pct) */
  /* per scalar panel (group number, in order of first tag), flipping the
   * global logy / robust; per run (in order of first tag): hidden */
  unsigned char flip_log[VW_MAXGROUPS], flip_robust[VW_MAXGROUPS];
  unsigned char hide[VW_MAXRUNS];
  /* per histogram tag (index in the snapshot), added to time_mode modulo
   * VW_HIST_MODES: that panel's own way of drawing */
  unsigned char hist_turn[VW_MAXHTAGS];
  int xaxis;           /* VW_X_* */
  /* only tags holding this, ignoring case, are laid out ("" all of them) */
  char filter[VW_MAXFILTER];
  int typing;          /* the window: a filter being typed (shown in the header) */
  char typed[VW_MAXFILTER];
  vw_zoom zoom[VW_MAXZOOM];   /* by group number */
  int hover_x, hover_y;       /* the mouse, for the hover read-out; < 0: none */
  SDL_Rect select;            /* a drag being made, drawn as a box; w 0: none */
} vw_view;

void vw_view_defaults(vw_view *v);

#define VW_MAXPANELS 128   /* a page holds at most this many */
#define VW_MAXLEGEND 256

typedef struct vw_panel {
  int kind;              /* VW_SCALAR or VW_HISTOGRAM */
  SDL_Rect plot;         /* the data area */
  double x0, x1, y0, y1; /* data values at the plot's edges (log10 when logy);
                            histograms: y0 = 0 and y1 = the tallest bin */
  int bins;
  int row, col;          /* histograms: grid position */
  long snap;             /* histograms: index of the snapshot drawn, -1 none */
  SDL_Rect ytitle;       /* scalars: the box of the y-axis title */
  int tag;               /* histograms: index in the snapshot's h */
  int group;             /* scalars: group number */
  int logy, robust;      /* scalars: as drawn */
  int mode;              /* histograms: VW_HIST_* as drawn */
  int xaxis;             /* scalars and bands: VW_X_* of x0, x1 */
  int clipped;           /* scalars: log scale with values <= 0 left out */
  int legend_more;       /* scalars: legend entries not listed */
  char title[96];
} vw_panel;

/* A tick label as drawn: its text, the value it stands for, its box. */
typedef struct vw_tick_label {
  int panel;             /* index in vw_layout.panel */
  int vertical;          /* 0: an x-axis label, 1: a y-axis one */
  double value;          /* data value (log10 on a log axis) */
  SDL_Rect box;
  char text[24];
} vw_tick_label;

#define VW_MAXTICKS 2048

typedef struct vw_legend_item {
  SDL_Rect swatch;
  SDL_Rect box;          /* swatch and text: where a click hides the run */
  SDL_Color color;
  int panel, run, hidden;
  char name[64];
} vw_legend_item;

/* Where things were drawn, for tests and for the window's title. */
typedef struct vw_layout {
  int npanels;
  vw_panel panel[VW_MAXPANELS];
  int nlegend;
  vw_legend_item legend[VW_MAXLEGEND];
  int nticks;
  vw_tick_label tick[VW_MAXTICKS];
  long nsteps;           /* distinct histogram steps */
  long cursor;           /* the index shown */
  double step;           /* and its step */
  int page, npages;      /* the page drawn, of how many */
  int hist_tags, hist_drawn;     /* histogram tags, and those on this page */
  int groups, groups_drawn;      /* scalar panels, and those on this page */
  int nruns;
  int tags_total, tags_match;    /* tags with data, and those the filter lets through */
  int typing, filtered;          /* a filter being typed; one applied */
  char notice[192];      /* what is not drawn ("" when everything is) */
  SDL_Rect notice_box;
  SDL_Rect scale_box;    /* heat maps: the colour scale's gradient */
  int hover_panel;       /* the panel under the mouse, -1 none */
  char hover[512];       /* its read-out, lines split by '\n' */
  SDL_Rect hover_box;
} vw_layout;

extern const SDL_Color vw_background;
extern const SDL_Color vw_warn;   /* NaN/Inf notes */
/* The colour of the i-th run (matplotlib's tab10 cycle). */
SDL_Color vw_run_color(int i);

/* Draws s on c's renderer over v->width x v->height. out may be NULL.
 * s is not const: its curves' block summaries (series.h) are brought up to
 * date first, so keep one snapshot across frames. Returns 0, or -1 with
 * vw_error(). */
int vw_draw(vw_canvas *c, vw_snap *s, const vw_view *v, vw_layout *out);
/* The window's key help for a frame laid out as o: only the keys that do
 * something there (no step keys without histogram steps, no page keys on
 * one page), into buf. */
void vw_key_help(const vw_layout *o, char *buf, size_t n);
/* The same drawing on a new ARGB8888 surface, no display needed. A width
 * or height of 0 is chosen from what is drawn: 1280x800 for everything, a
 * histogram grid by its rows and columns, scalar panels by their number. */
SDL_Surface *vw_render(vw_snap *s, const vw_view *v, vw_layout *out);

#endif
