/* board.c: the writer side of the board (see board.h for the scheme). */
#include "board.h"
#include "runlog.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static __thread char err_buf[512];

const char *vw_error(void) { return err_buf; }

int vw_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err_buf, sizeof err_buf, fmt, ap);
  va_end(ap);
  return -1;
}

/* A capped array that thins itself: entry j holds write number j*stride;
 * prov marks a last entry that is only the newest write, not a kept one. */
typedef struct deci {
  char *data;
  size_t n, alloc, esz, stride;
  uint64_t writes, gen;
  int prov;
} deci;

typedef struct wtag {
  char *tag;
  int seq;
  deci d;
  double bad_step;
  int bad;
} wtag;

struct vw_board {
  pthread_mutex_t mu;
  int refs;
  size_t cap[2];
  wtag *tags[2];
  size_t ntags[2], alloc[2];
  int seq;
  uint64_t version;
  vw_axis *ax;             /* axis titles by scalar group */
  size_t nax, ax_alloc;
  uint64_t ax_gen;         /* bumped when a title changes */
  vw_runlog *log;          /* the run log every write goes to, or NULL */
};

static void free_axes(vw_axis *ax, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    free(ax[i].group);
    free(ax[i].x);
    free(ax[i].y);
  }
  free(ax);
}

vw_board *vw_board_new(size_t scalar_cap, size_t hist_cap) {
  vw_board *b;
  if (!scalar_cap) scalar_cap = VW_SCALAR_CAP;
  if (!hist_cap) hist_cap = VW_HIST_CAP;
  if (scalar_cap < 4 || hist_cap < 4) {
    vw_fail("caps must be at least 4 (got %zu and %zu)", scalar_cap, hist_cap);
    return NULL;
  }
  b = calloc(1, sizeof *b);
  if (!b) { vw_fail("out of memory"); return NULL; }
  pthread_mutex_init(&b->mu, NULL);
  b->refs = 1;
  b->cap[VW_SCALAR] = scalar_cap;
  b->cap[VW_HISTOGRAM] = hist_cap;
  return b;
}

void vw_board_retain(vw_board *b) {
  pthread_mutex_lock(&b->mu);
  b->refs++;
  pthread_mutex_unlock(&b->mu);
}

void vw_board_release(vw_board *b) {
  int left, k;
  size_t i;
  if (!b) return;
  pthread_mutex_lock(&b->mu);
  left = --b->refs;
  pthread_mutex_unlock(&b->mu);
  if (left) return;
  if (b->log) vw_runlog_close(b->log);   /* a caller that wants its error closes first */
  for (k = 0; k < 2; k++) {
    for (i = 0; i < b->ntags[k]; i++) {
      free(b->tags[k][i].tag);
      free(b->tags[k][i].d.data);
    }
    free(b->tags[k]);
  }
  free_axes(b->ax, b->nax);
  pthread_mutex_destroy(&b->mu);
  free(b);
}

uint64_t vw_board_version(vw_board *b) {
  uint64_t v;
  pthread_mutex_lock(&b->mu);
  v = b->version;
  pthread_mutex_unlock(&b->mu);
  return v;
}

/* Called with the lock held. */
static wtag *find_tag(vw_board *b, int kind, const char *tag, size_t esz) {
  size_t i;
  wtag *t;
  for (i = 0; i < b->ntags[kind]; i++)
    if (strcmp(b->tags[kind][i].tag, tag) == 0) return &b->tags[kind][i];
  if (b->ntags[kind] == b->alloc[kind]) {
    size_t na = b->alloc[kind] ? 2 * b->alloc[kind] : 8;
    wtag *nt = realloc(b->tags[kind], na * sizeof *nt);
    if (!nt) return NULL;
    b->tags[kind] = nt;
    b->alloc[kind] = na;
  }
  t = &b->tags[kind][b->ntags[kind]];
  memset(t, 0, sizeof *t);
  t->tag = strdup(tag);
  if (!t->tag) return NULL;
  t->seq = b->seq++;
  t->d.esz = esz;
  t->d.stride = 1;
  b->ntags[kind]++;
  return t;
}

static int deci_push(deci *d, size_t cap, const void *elem) {
  uint64_t k = d->writes;
  if (d->prov) { d->n--; d->prov = 0; }
  if (d->n == cap) {
    /* Keep entries 0, 2, 4, ...: they hold writes 0, 2s, 4s, ... */
    size_t j;
    for (j = 2; j < d->n; j += 2)
      memcpy(d->data + (j / 2) * d->esz, d->data + j * d->esz, d->esz);
    d->n = (d->n + 1) / 2;
    d->stride *= 2;
    d->gen++;
  }
  if (d->n == d->alloc) {
    size_t na = d->alloc ? 2 * d->alloc : 64;
    char *nd;
    if (na > cap) na = cap;
    nd = realloc(d->data, na * d->esz);
    if (!nd) return -1;
    d->data = nd;
    d->alloc = na;
  }
  memcpy(d->data + d->n * d->esz, elem, d->esz);
  d->n++;
  d->prov = (k % d->stride) != 0;
  d->writes++;
  return 0;
}

/* A write the log cannot take is refused before the board takes it. */
static int log_refuses(vw_runlog *w, const char *tag) {
  if (strlen(tag) > VW_LOG_MAXSTR)
    return vw_fail("tag too long for the run log (%zu bytes)", strlen(tag));
  return vw_runlog_check(w);
}

static int push(vw_board *b, int kind, const char *tag, const void *elem,
                size_t esz, double bad_step, int bad) {
  wtag *t;
  int rc = 0;
  pthread_mutex_lock(&b->mu);
  /* a failed log refuses the write, so the board never runs far ahead of it */
  if (b->log && log_refuses(b->log, tag) < 0) {
    pthread_mutex_unlock(&b->mu);
    return -1;
  }
  t = find_tag(b, kind, tag, esz);
  if (!t || deci_push(&t->d, b->cap[kind], elem) < 0) rc = vw_fail("out of memory");
  else {
    if (bad && !t->bad) { t->bad = 1; t->bad_step = bad_step; }
    b->version++;
    /* under the lock: the log holds the writes in the board's order */
    if (b->log) rc = vw_runlog_put(b->log, kind, tag, elem);
  }
  pthread_mutex_unlock(&b->mu);
  return rc;
}

double vw_wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int vw_board_scalar_at(vw_board *b, const char *tag, double step, double value, double wall) {
  vw_point p;
  p.step = step;
  p.value = value;
  p.wall = wall;
  return push(b, VW_SCALAR, tag, &p, sizeof p, step, !isfinite(value));
}

int vw_board_scalar(vw_board *b, const char *tag, double step, double value) {
  return vw_board_scalar_at(b, tag, step, value, vw_wall_now());
}

/* Counts and range of x in one pass without branches, so that it
 * vectorizes: every histogram is summarized on the training thread, and
 * this pass is most of what logging one costs. NaN fails every comparison,
 * so it is neither kept nor counted as zero. */
static void count_pass(vw_hist *h, const float *x, size_t n, float *lo, float *hi) {
  uint64_t zeros = 0, nan = 0, pinf = 0, ninf = 0, sat = 0;
  float l = INFINITY, u = -INFINITY;
  double sat_at = h->sat_at;
  size_t i;
#pragma omp simd reduction(+ : zeros, nan, pinf, ninf, sat) reduction(min : l) \
  reduction(max : u)
  for (i = 0; i < n; i++) {
    float v = x[i], a = fabsf(v);
    int keep = (a <= FLT_MAX) & (v != 0);  /* finite and non-zero */
    zeros += v == 0;
    nan += v != v;
    pinf += v == INFINITY;
    ninf += v == -INFINITY;
    sat += keep & ((double)a > sat_at);
    float lv = keep ? v : INFINITY, uv = keep ? v : -INFINITY;
    l = lv < l ? lv : l;
    u = uv > u ? uv : u;
  }
  h->zeros = zeros;
  h->nan = nan;
  h->pinf = pinf;
  h->ninf = ninf;
  h->sat = sat;
  *lo = l;
  *hi = u;
}

void vw_hist_build(vw_hist *h, double step, const float *x, size_t n, double sat_at) {
  size_t i;
  float lo, hi;
  double scale;
  memset(h, 0, sizeof *h);
  h->step = step;
  h->n = n;
  h->sat_at = sat_at;
  count_pass(h, x, n, &lo, &hi);
  if (lo > hi) { h->lo = h->hi = 0; return; }
  h->lo = lo;
  h->hi = hi;
  /* All equal values land in bin 0; drawing treats lo == hi as a point. */
  scale = hi > lo ? VW_FINE / ((double)hi - lo) : 0;
  for (i = 0; i < n; i++) {
    float v = x[i];
    long j;
    if (v == 0 || !isfinite(v)) continue;
    j = (long)((v - (double)lo) * scale);
    if (j >= VW_FINE) j = VW_FINE - 1;
    h->fine[j]++;
  }
}

int vw_board_put_hist(vw_board *b, const char *tag, const vw_hist *h) {
  return push(b, VW_HISTOGRAM, tag, h, sizeof *h, h->step, 0);
}

int vw_board_histogram(vw_board *b, const char *tag, double step,
                       const float *x, size_t n, double sat_at) {
  vw_hist *h = malloc(sizeof *h);
  int rc;
  if (!h) return vw_fail("out of memory");
  vw_hist_build(h, step, x, n, sat_at);
  h->wall = vw_wall_now();
  rc = vw_board_put_hist(b, tag, h);
  free(h);
  return rc;
}

/* NULL stays NULL (keep the title), "" too (the default); else a copy. */
static int dup_title(const char *t, char **out) {
  *out = NULL;
  if (!t || !*t) return 0;
  *out = strdup(t);
  return *out ? 0 : -1;
}

/* Called with the lock held: the entry of group, added when new. */
static vw_axis *find_axis(vw_board *b, const char *group) {
  size_t i;
  vw_axis *a;
  for (i = 0; i < b->nax; i++)
    if (strcmp(b->ax[i].group, group) == 0) return &b->ax[i];
  if (b->nax == b->ax_alloc) {
    size_t na = b->ax_alloc ? 2 * b->ax_alloc : 4;
    vw_axis *nx = realloc(b->ax, na * sizeof *nx);
    if (!nx) return NULL;
    b->ax = nx;
    b->ax_alloc = na;
  }
  a = &b->ax[b->nax];
  memset(a, 0, sizeof *a);
  if (!(a->group = strdup(group))) return NULL;
  b->nax++;
  return a;
}

int vw_board_axis(vw_board *b, const char *group, const char *xlabel, const char *ylabel) {
  char *x, *y;
  vw_axis *a = NULL;
  int bad = dup_title(xlabel, &x) | dup_title(ylabel, &y), rc = 0;
  if (!bad) {
    pthread_mutex_lock(&b->mu);
    if (b->log && log_refuses(b->log, group) < 0) rc = -1;
    else if ((a = find_axis(b, group)) != NULL) {
      if (xlabel) { free(a->x); a->x = x; x = NULL; }
      if (ylabel) { free(a->y); a->y = y; y = NULL; }
      b->ax_gen++;
      b->version++;
      if (b->log) rc = vw_runlog_axis(b->log, group, xlabel, ylabel);
    }
    pthread_mutex_unlock(&b->mu);
  }
  free(x);
  free(y);
  if (rc < 0) return rc;
  return a ? 0 : vw_fail("out of memory");
}

/* ---- the run log ---- */

int vw_board_log_to(vw_board *b, const char *dir) {
  vw_runlog *w;
  int fresh;
  pthread_mutex_lock(&b->mu);
  fresh = !b->log && !b->version;
  pthread_mutex_unlock(&b->mu);
  if (!fresh) return vw_fail("a run log starts with an empty board");
  if (!(w = vw_runlog_create(dir, b->cap[VW_SCALAR], b->cap[VW_HISTOGRAM]))) return -1;
  pthread_mutex_lock(&b->mu);
  b->log = w;
  pthread_mutex_unlock(&b->mu);
  return 0;
}

/* The log is only flushed and closed by the thread that writes, so it is
 * not closed under these calls. */
int vw_board_log_flush(vw_board *b) {
  vw_runlog *w;
  pthread_mutex_lock(&b->mu);
  w = b->log;
  pthread_mutex_unlock(&b->mu);
  return w ? vw_runlog_flush(w) : 0;
}

int vw_board_log_close(vw_board *b) {
  vw_runlog *w;
  pthread_mutex_lock(&b->mu);
  w = b->log;
  b->log = NULL;
  pthread_mutex_unlock(&b->mu);
  return w ? vw_runlog_close(w) : 0;
}

char **vw_board_tags(vw_board *b, int kind, size_t *n) {
  char **names = NULL;
  size_t i, k = 0, want;
  pthread_mutex_lock(&b->mu);
  want = b->ntags[kind];   /* a writer may add tags once the lock is gone */
  if (want) names = malloc(want * sizeof *names);
  if (names)
    for (k = 0; k < want; k++) {
      names[k] = strdup(b->tags[kind][k].tag);
      if (!names[k]) break;
    }
  pthread_mutex_unlock(&b->mu);
  if (names && k < want) {
    for (i = 0; i < k; i++) free(names[i]);
    free(names);
    names = NULL;
    k = 0;
  }
  *n = k;
  return names;
}

void vw_free_names(char **names, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* ---- the reader's copy ---- */

vw_snap *vw_snap_new(void) { return calloc(1, sizeof(vw_snap)); }

void vw_snap_free(vw_snap *s) {
  size_t i;
  if (!s) return;
  for (i = 0; i < s->ns; i++) {
    free(s->s[i].tag);
    free(s->s[i].pts);
    free(s->s[i].blk);
  }
  for (i = 0; i < s->nh; i++) {
    free(s->h[i].tag);
    free(s->h[i].h);
    free(s->h[i].quant);
  }
  free(s->s);
  free(s->h);
  free_axes(s->ax, s->nax);
  free(s);
}

/* "run/layer" -> two strings in one buffer: tag\0first\0second. No '/'
 * gives first = "" (scalars: group; histograms: run) and second = tag.
 * One rule for the run's name: it has no '/'. A histogram tag is
 * run/layer, cut at its first '/'; a scalar tag is group/run, cut at its
 * last (last: "train/loss/BN" is run "BN" of group "train/loss"). */
static char *split_tag(const char *tag, int last, char **first, char **second) {
  size_t len = strlen(tag);
  char *buf = malloc(3 * len + 4), *slash;
  if (!buf) return NULL;
  memcpy(buf, tag, len + 1);
  *first = buf + len + 1;
  slash = last ? strrchr(tag, '/') : strchr(tag, '/');
  if (slash) {
    size_t a = (size_t)(slash - tag);
    memcpy(*first, tag, a);
    (*first)[a] = 0;
    *second = *first + a + 1;
    strcpy(*second, slash + 1);
  } else {
    (*first)[0] = 0;
    *second = *first + 1;
    strcpy(*second, tag);
  }
  return buf;
}

/* Copies entries [from, d->n) of d into *dst (grown as needed). */
static int copy_tail(void **dst, size_t *alloc, const deci *d, size_t from) {
  if (d->n > *alloc) {
    size_t na = *alloc ? *alloc : 64;
    void *nd;
    while (na < d->n) na *= 2;
    nd = realloc(*dst, na * d->esz);
    if (!nd) return -1;
    *dst = nd;
    *alloc = na;
  }
  if (d->n > from)
    memcpy((char *)*dst + from * d->esz, d->data + from * d->esz,
           (d->n - from) * d->esz);
  return 0;
}

static int grow_tags(void **arr, size_t have, size_t want, size_t esz) {
  void *na;
  if (want <= have) return 0;
  na = realloc(*arr, want * esz);
  if (!na) return -1;
  memset((char *)na + have * esz, 0, (want - have) * esz);
  *arr = na;
  return 0;
}

static void reset_stats(vw_sseries *r) {
  r->nstat = 0;
  r->xmin = r->ymin = r->ypos = INFINITY;
  r->xmax = r->ymax = -INFINITY;
}

/* Extends the axis ranges over the entries that became permanent. */
static void update_stats(vw_sseries *r) {
  size_t i;
  for (i = r->nstat; i < r->nperm; i++) {
    double x = r->pts[i].step, y = r->pts[i].value;
    if (x < r->xmin) r->xmin = x;
    if (x > r->xmax) r->xmax = x;
    if (!isfinite(y)) continue;
    if (y < r->ymin) r->ymin = y;
    if (y > r->ymax) r->ymax = y;
    if (y > 0 && y < r->ypos) r->ypos = y;
  }
  r->nstat = r->nperm;
}

static int sync_series(vw_snap *s, vw_board *b) {
  size_t i, n = b->ntags[VW_SCALAR];
  if (grow_tags((void **)&s->s, s->ns, n, sizeof *s->s) < 0) return -1;
  for (i = 0; i < n; i++) {
    const wtag *t = &b->tags[VW_SCALAR][i];
    vw_sseries *r = &s->s[i];
    size_t from = r->nperm;
    if (!r->tag) {
      r->tag = split_tag(t->tag, 1, &r->group, &r->run);
      if (!r->tag) return -1;
      r->seq = t->seq;
      s->ns = i + 1;
      reset_stats(r);
    }
    if (r->gen != t->d.gen) { from = 0; r->gen = t->d.gen; reset_stats(r); }
    if (from > t->d.n) from = 0;
    if (copy_tail((void **)&r->pts, &r->alloc, &t->d, from) < 0) return -1;
    r->n = t->d.n;
    r->nperm = t->d.n - (size_t)t->d.prov;
    r->bad = t->bad;
    r->bad_step = t->bad_step;
    r->writes = t->d.writes;
  }
  return 0;
}

static int sync_hists(vw_snap *s, vw_board *b) {
  size_t i, n = b->ntags[VW_HISTOGRAM];
  if (grow_tags((void **)&s->h, s->nh, n, sizeof *s->h) < 0) return -1;
  for (i = 0; i < n; i++) {
    const wtag *t = &b->tags[VW_HISTOGRAM][i];
    vw_shist *r = &s->h[i];
    size_t from = r->nperm;
    if (!r->tag) {
      r->tag = split_tag(t->tag, 0, &r->run, &r->layer);
      if (!r->tag) return -1;
      r->seq = t->seq;
      s->nh = i + 1;
    }
    if (r->gen != t->d.gen) { from = 0; r->gen = t->d.gen; }
    if (from > t->d.n) from = 0;
    if (copy_tail((void **)&r->h, &r->alloc, &t->d, from) < 0) return -1;
    r->n = t->d.n;
    r->nperm = t->d.n - (size_t)t->d.prov;
  }
  return 0;
}

/* A fresh copy of every title; the old one stays when memory runs out. */
static int sync_axes(vw_snap *s, vw_board *b) {
  vw_axis *ax;
  size_t i;
  int bad = 0;
  if (s->ax_gen == b->ax_gen) return 0;
  ax = calloc(b->nax ? b->nax : 1, sizeof *ax);
  if (!ax) return -1;
  for (i = 0; i < b->nax; i++) {
    const vw_axis *a = &b->ax[i];
    ax[i].group = strdup(a->group);
    ax[i].x = a->x ? strdup(a->x) : NULL;
    ax[i].y = a->y ? strdup(a->y) : NULL;
    bad |= !ax[i].group || (a->x && !ax[i].x) || (a->y && !ax[i].y);
  }
  if (bad) { free_axes(ax, b->nax); return -1; }
  free_axes(s->ax, s->nax);
  s->ax = ax;
  s->nax = b->nax;
  s->ax_gen = b->ax_gen;
  return 0;
}

const vw_axis *vw_snap_axis(const vw_snap *s, const char *group) {
  size_t i;
  for (i = 0; i < s->nax; i++)
    if (strcmp(s->ax[i].group, group) == 0) return &s->ax[i];
  return NULL;
}

int vw_snap_sync(vw_snap *s, vw_board *b) {
  int rc = 0;
  size_t i;
  pthread_mutex_lock(&b->mu);
  if (s->version == b->version && s->version) {
    pthread_mutex_unlock(&b->mu);
    return 0;
  }
  if (sync_series(s, b) < 0 || sync_hists(s, b) < 0 || sync_axes(s, b) < 0) rc = -1;
  else {
    s->version = b->version;
    rc = 1;
  }
  pthread_mutex_unlock(&b->mu);
  if (rc < 0) return vw_fail("out of memory");
  /* outside the lock: this is the reader's own copy */
  for (i = 0; i < s->ns; i++) update_stats(&s->s[i]);
  return rc;
}
