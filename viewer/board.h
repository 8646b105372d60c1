/* board.h: the shared in-process buffer that training writes and the viewer
 * reads.
 *
 * Two kinds of tags: scalar series ("cost/BN": step, value) and histogram
 * snapshots ("BN/L3": step, a summary of a float array). Writers take the
 * board's mutex only for an O(1) append (a histogram is summarized before
 * the lock; with a run log, the record is copied into the log's buffer under
 * it too, see runlog.h); readers copy what changed into their own vw_snap
 * under the same short lock and draw from that copy, so no lock is ever
 * held while drawing.
 *
 * Memory is bounded: each tag keeps at most `cap` entries. When a tag is
 * full, every other entry is dropped and from then on only every 2nd write
 * is kept (then every 4th, ...), so the kept entries stay evenly spread over
 * the whole run. The newest write is always visible: a write that falls
 * between kept ones sits at the end "provisionally" until the next write
 * replaces it.
 *
 * A histogram snapshot keeps exact counts of NaN, +Inf, -Inf, exact zeros and
 * |x| > 0.97, and the finite non-zero values in VW_FINE equal bins over the
 * snapshot's own [min, max]. Drawing re-bins them onto an axis shared by a
 * whole column of panels (see hist.h): positions are resolved to 1/VW_FINE
 * of a snapshot's range, totals stay exact. */
#ifndef VW_BOARD_H
#define VW_BOARD_H

#include <stddef.h>
#include <stdint.h>

#define VW_FINE 512
#define VW_SCALAR_CAP 100000
#define VW_HIST_CAP 500

typedef struct vw_board vw_board;

/* wall: seconds since 1970 when the point was written (a reopened run's
 * points keep the time of the original write). */
typedef struct vw_point { double step, value, wall; } vw_point;

typedef struct vw_hist {
  double step;
  double wall;           /* seconds since 1970 when written, as vw_point's */
  double lo, hi;         /* min and max of the finite non-zero values */
  uint64_t n;            /* every value, NaN and Inf included */
  uint64_t nan, pinf, ninf, zeros, sat;   /* sat: finite |x| > sat_at */
  double sat_at;         /* 0.97 unless asked otherwise */
  uint32_t fine[VW_FINE];  /* finite non-zero values over [lo, hi] */
} vw_hist;

/* The message of the last failure on this thread. */
const char *vw_error(void);
int vw_fail(const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 1, 2)))
#endif
  ;

/* caps of 0 take the defaults; others must be >= 4. NULL on failure. */
vw_board *vw_board_new(size_t scalar_cap, size_t hist_cap);
/* The board is refcounted: a Lua userdata and an open window each hold one. */
void vw_board_retain(vw_board *b);
void vw_board_release(vw_board *b);

/* The wall clock: seconds since 1970, what writes are stamped with. */
double vw_wall_now(void);

/* Stamped with the wall time now. */
int vw_board_scalar(vw_board *b, const char *tag, double step, double value);
/* The same with a given wall time (a run log's, when reopened). */
int vw_board_scalar_at(vw_board *b, const char *tag, double step, double value, double wall);
#define VW_SAT 0.97
/* sat_at: the |x| above which a value counts as saturated (VW_SAT). */
int vw_board_histogram(vw_board *b, const char *tag, double step,
                       const float *x, size_t n, double sat_at);
/* Appends a summary made by vw_hist_build (a run log's, when reopened),
 * with the wall time it holds; vw_board_histogram stamps it now. */
int vw_board_put_hist(vw_board *b, const char *tag, const vw_hist *h);
/* Summarizes x into h (no lock, no allocation). */
void vw_hist_build(vw_hist *h, double step, const float *x, size_t n, double sat_at);

/* The axis titles of a scalar group ("cost" of "cost/BN"), as matplotlib's
 * ax.set(xlabel=, ylabel=): NULL leaves a title as it was, "" restores the
 * default ("step" under the plot, the group's name beside it). */
int vw_board_axis(vw_board *b, const char *group, const char *xlabel, const char *ylabel);

/* The run log (runlog.h): from now on every write of b, and its axis
 * titles, also go to DIR/run.lunetlog, created here. b must have had no
 * write yet. Once the log has failed, every write returns its error. */
int vw_board_log_to(vw_board *b, const char *dir);
/* Writes the log's buffered records out now (no fsync), or its error. */
int vw_board_log_flush(vw_board *b);
/* Flushes, fsyncs and closes the log, detaching it: later writes stay in
 * memory. -1 with vw_error() when any write of the log failed. Flush and
 * close only from the thread that writes. */
int vw_board_log_close(vw_board *b);

/* Bumped by every write: a reader redraws when it changed. */
uint64_t vw_board_version(vw_board *b);

enum { VW_SCALAR, VW_HISTOGRAM };
/* A malloc'ed array of malloc'ed tag names of one kind, in creation order;
 * free with vw_free_names. NULL with *n = 0 when there are none. */
char **vw_board_tags(vw_board *b, int kind, size_t *n);
void vw_free_names(char **names, size_t n);

/* The reader's copy. Entries [0, nperm) never change until gen changes. */
typedef struct vw_sseries {
  char *tag, *group, *run;   /* "cost/BN": group "cost", run "BN" */
  int seq;                   /* creation order among all tags */
  vw_point *pts;
  size_t n, nperm, alloc;
  uint64_t gen;
  double bad_step;           /* first step with a NaN/Inf value ... */
  int bad;                   /* ... when bad is set */
  uint64_t writes;
  /* over the finite values of [0, nstat): ranges for the axes */
  size_t nstat;
  double xmin, xmax, ymin, ymax, ypos;   /* ypos: the smallest value > 0 */
  /* drawing caches (series.h): summaries of [0, nblk * VW_BLOCK) */
  struct vw_block *blk;
  size_t nblk, blk_alloc;
  uint64_t blk_gen;
  double blk_w, ema, wpow;   /* smoothing weight; EMA state after the blocks */
} vw_sseries;

typedef struct vw_shist {
  char *tag, *run, *layer;   /* "BN/L3": run "BN", layer "L3" */
  int seq;
  vw_hist *h;
  size_t n, nperm, alloc;
  uint64_t gen;
  /* drawing cache (hist.h): the percentiles of snapshots [0, nquant) */
  double *quant;
  size_t nquant, quant_alloc;
  uint64_t quant_gen;
} vw_shist;

typedef struct vw_axis {
  char *group, *x, *y;       /* x, y: NULL for the default title */
} vw_axis;

typedef struct vw_snap {
  vw_sseries *s;
  size_t ns;
  vw_shist *h;
  size_t nh;
  vw_axis *ax;
  size_t nax;
  uint64_t version, ax_gen;
} vw_snap;

vw_snap *vw_snap_new(void);
void vw_snap_free(vw_snap *s);
/* Brings s up to date with b, copying only what changed since the last sync
 * (everything after a tag was thinned). Returns 1 when something changed,
 * 0 when not, -1 when out of memory (s stays usable). */
int vw_snap_sync(vw_snap *s, vw_board *b);
/* The axis titles of group in s, or NULL when it has none. */
const vw_axis *vw_snap_axis(const vw_snap *s, const char *group);

#endif
