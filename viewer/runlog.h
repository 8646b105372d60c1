/* runlog.h: a board's writes kept on disk (the run log), and read back.
 *
 * A board made with a logdir appends every write to DIR/run.lunetlog as it
 * happens: a scalar point, a histogram snapshot as the board keeps it (the
 * summary of board.h, about 2.2 KB whatever the tensor's size), an axis
 * title, each with the wall time of the write. Replaying the records in
 * order into a board of the same caps rebuilds the same board (the thinning
 * of board.h depends only on the order of the writes), so a reopened run
 * draws pixel for pixel as the original did.
 *
 * The file; integers little-endian, doubles as their IEEE-754 bits:
 *   header, 36 bytes: "LUNETRUN", u32 version (1), u32 header size (36),
 *     u64 scalar cap, u64 histogram cap, u32 CRC-32 of the 32 bytes before
 *   records: u32 body size, u32 CRC-32 (zlib's) of the body, the body:
 *     u8 type, f64 wall time (seconds since 1970), then by type
 *     VW_REC_SCALAR  str tag, f64 step, f64 value
 *     VW_REC_HIST    str tag, f64 step, lo, hi, sat_at,
 *                    u64 n, nan, pinf, ninf, zeros, sat, u32 fine[VW_FINE]
 *     VW_REC_AXIS    str group, u8 has x, str x, u8 has y, str y
 *                    (has 0: the title is left as it was)
 *   str: u32 length, the bytes, a 0 byte.
 * A reader takes the records in order up to the first one that is
 * incomplete or fails its checksum (a torn tail: a writer killed in the
 * middle of a write) and ignores the rest, never an error; a live reader
 * takes up again there when the file grows. A record of an unknown type
 * (from a later lunet) is skipped.
 *
 * Writing never waits on the disk: a record is copied into a memory buffer
 * (under the board's lock, so the log holds the writes in the board's
 * order) and the log's own thread writes the buffer out 100 ms after the
 * first record it holds (at once when 1 MB has gathered), without fsync;
 * the file is fsync'ed once, at close. A kill -9 loses what was still in
 * the buffer (at most the last ~100 ms of writes) and may leave a partial
 * record at the end, which readers ignore; a crash of the machine may also
 * lose what the system had not written yet. exit() (os.exit) writes the
 * buffers out first. Only when the disk falls 64 MB behind does a write
 * wait for it. The first failed write is kept: every later write, flush
 * and the close return it, so a failure is never silent. */
#ifndef VW_RUNLOG_H
#define VW_RUNLOG_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>
#include "board.h"

#define VW_LOG_NAME "run.lunetlog"
#define VW_LOG_VERSION 1
/* The longest tag or title a log takes; a longer one is refused. */
#define VW_LOG_MAXSTR (1u << 20)

enum { VW_REC_SCALAR = 1, VW_REC_HIST = 2, VW_REC_AXIS = 3 };

/* ---- writing ---- */

typedef struct vw_runlog vw_runlog;

/* Creates DIR (and its parents) when missing and DIR/run.lunetlog, which
 * must not exist yet (created exclusively, never through a symlink), and
 * starts the log's thread. NULL with vw_error() on failure. */
vw_runlog *vw_runlog_create(const char *dir, size_t scalar_cap, size_t hist_cap);
/* One write of the board: kind VW_SCALAR with a vw_point, VW_HISTOGRAM with
 * a vw_hist; the record's wall time is the element's. -1 with vw_error()
 * once the log has failed. */
int vw_runlog_put(vw_runlog *w, int kind, const char *tag, const void *elem);
/* x, y as vw_board_axis: NULL leaves a title, "" restores the default. */
int vw_runlog_axis(vw_runlog *w, const char *group, const char *x, const char *y);
/* -1 with vw_error() when a write has failed. */
int vw_runlog_check(vw_runlog *w);
/* Writes what is buffered now (no fsync); -1 with vw_error() on failure. */
int vw_runlog_flush(vw_runlog *w);
/* Writes the rest, fsyncs, closes and frees w; -1 with vw_error() when any
 * write failed (w is freed all the same). */
int vw_runlog_close(vw_runlog *w);

/* ---- reading ---- */

typedef struct vw_logrec {
  int type;              /* VW_REC_* */
  double wall;           /* seconds since 1970 */
  const char *tag;       /* scalars and histograms: the tag; axes: the group */
  vw_point pt;           /* VW_REC_SCALAR */
  const vw_hist *h;      /* VW_REC_HIST */
  const char *x, *y;     /* VW_REC_AXIS: NULL leaves a title */
} vw_logrec;

/* Called on each record in order; returns 0, or -1 to stop with an error. */
typedef int (*vw_logfn)(void *arg, const vw_logrec *rec);

typedef struct vw_logreader vw_logreader;

/* Opens DIR/run.lunetlog and checks its header. NULL with vw_error() for a
 * missing directory or log, a file that is not a run log, a damaged header,
 * or a version this lunet does not read. */
vw_logreader *vw_logreader_open(const char *dir);
void vw_logreader_caps(const vw_logreader *r, size_t *scalar_cap, size_t *hist_cap);
/* Reads the complete records added since the last call (all of them the
 * first time) and passes each to fn. Returns how many, or -1 with
 * vw_error() (a read error, or fn's). Cheap when the file has not grown. */
long vw_logreader_poll(vw_logreader *r, vw_logfn fn, void *arg);
/* Bytes taken so far (the header and every record read). */
unsigned long long vw_logreader_offset(const vw_logreader *r);
void vw_logreader_free(vw_logreader *r);

/* ---- runs: logs read into a board (runs.c) ----
 *
 * One log is read as it was written. With several, each run is named after
 * its directory's last component, so that runs of the same name never
 * merge: in directory "a", the histogram tag "BN/L3" becomes "a:BN/L3" and
 * "L3" becomes "a/L3"; the scalar tag "cost/BN" becomes "cost/a:BN" (the
 * run is after the last '/') and "cost" becomes "cost/a". Axis titles are
 * shared by a group whichever log sets them. Two directories of the same
 * name are told apart as "a", "a#2". */

typedef struct vw_runs vw_runs;

/* Opens the logs of dirs[0..n) and reads them into a new board with the
 * largest caps among them. NULL with vw_error() (naming the directory). */
vw_runs *vw_runs_open(const char *const *dirs, size_t n);
/* The board (owned by r: retain it to keep it past vw_runs_free). */
vw_board *vw_runs_board(vw_runs *r);
/* Reads what the logs gained since; the number of records, or -1. */
long vw_runs_poll(vw_runs *r);
/* From now on a thread polls the logs every every_ms and calls changed(arg)
 * after each poll that added records. Then only that thread polls. */
int vw_runs_follow(vw_runs *r, int every_ms, void (*changed)(void *), void *arg);
/* Stops the thread, closes the logs and drops r's reference to the board. */
void vw_runs_free(vw_runs *r);

/* For the threads of runlog.c and runs.c: a condition variable timed on
 * CLOCK_MONOTONIC, and the deadline ms from now on that clock. */
void vw_cond_init(pthread_cond_t *cv);
void vw_deadline(struct timespec *dl, int ms);

#endif
