/* runlog.c: the run log's format, its writer and its reader (see runlog.h). */
#include "runlog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define HEADER 36
#define FLUSH_MS 100               /* a record waits at most this for the disk */
#define HIGH ((size_t)1 << 20)     /* ... or until this much has gathered */
#define LIMIT ((size_t)64 << 20)   /* past this, a write waits for the disk */
#define MAXREC (VW_LOG_MAXSTR * 3 + 64 + 4 * VW_FINE)   /* a longer one is damage */
#define CHUNK ((size_t)1 << 20)    /* a reader reads this much at a time */

static const char magic[8] = {'L', 'U', 'N', 'E', 'T', 'R', 'U', 'N'};

/* ---- encoding ---- */

static unsigned char *put_u32(unsigned char *p, uint32_t v) {
  int i;
  for (i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
  return p + 4;
}

static unsigned char *put_u64(unsigned char *p, uint64_t v) {
  int i;
  for (i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
  return p + 8;
}

static unsigned char *put_f64(unsigned char *p, double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return put_u64(p, u);
}

static unsigned char *put_str(unsigned char *p, const char *s, size_t n) {
  p = put_u32(p, (uint32_t)n);
  memcpy(p, s, n);
  p[n] = 0;
  return p + n + 1;
}

static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t crc(const unsigned char *p, size_t n) {
  return (uint32_t)crc32_z(crc32(0L, Z_NULL, 0), p, n);
}

/* A cursor over a record's body; any read past its end sets bad. */
typedef struct cur { const unsigned char *p, *end; int bad; } cur;

static uint64_t get_u(cur *c, int bytes) {
  uint64_t v = 0;
  int i;
  if (c->bad || c->end - c->p < bytes) { c->bad = 1; return 0; }
  for (i = 0; i < bytes; i++) v |= (uint64_t)c->p[i] << (8 * i);
  c->p += bytes;
  return v;
}

static double get_f64(cur *c) {
  uint64_t u = get_u(c, 8);
  double d;
  memcpy(&d, &u, 8);
  return d;
}

/* A string in place: its 0 byte ends it, and no other 0 byte is in it. */
static const char *get_str(cur *c) {
  size_t n = (size_t)get_u(c, 4);
  const char *s = (const char *)c->p;
  if (c->bad || (size_t)(c->end - c->p) < n + 1 || c->p[n] != 0 || memchr(s, 0, n)) {
    c->bad = 1;
    return NULL;
  }
  c->p += n + 1;
  return s;
}

void vw_cond_init(pthread_cond_t *cv) {
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(cv, &ca);
  pthread_condattr_destroy(&ca);
}

void vw_deadline(struct timespec *dl, int ms) {
  clock_gettime(CLOCK_MONOTONIC, dl);
  dl->tv_sec += ms / 1000;
  dl->tv_nsec += (ms % 1000) * 1000000L;
  if (dl->tv_nsec >= 1000000000L) { dl->tv_sec++; dl->tv_nsec -= 1000000000L; }
}

/* ---- writing ---- */

struct vw_runlog {
  pthread_mutex_t mu;      /* buf, n, cap, err, stop */
  pthread_mutex_t io;      /* held across a swap and its write: keeps the order */
  pthread_cond_t cv;       /* wakes the thread: first data, HIGH reached, stop */
  pthread_t thread;
  int fd, stop, err;       /* err: the errno of the first failure (atomic) */
  unsigned char *buf, *out;   /* records gathering; records being written */
  size_t n, cap, out_cap;
  vw_runlog *next;         /* in the list that exit() flushes */
  char path[];
};

static pthread_mutex_t open_mu = PTHREAD_MUTEX_INITIALIZER;
static vw_runlog *open_logs;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static int log_fail(const vw_runlog *w, int err) {
  return vw_fail("run log %s: write failed: %s (the board's writes since are not on disk)",
                 w->path, strerror(err));
}

static int write_all(int fd, const unsigned char *p, size_t n) {
  while (n) {
    ssize_t k = write(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return k < 0 ? errno : EIO;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

/* Writes out what has gathered. Returns the log's error (0: none). */
static int drain(vw_runlog *w) {
  unsigned char *t;
  size_t n, c;
  int err;
  pthread_mutex_lock(&w->io);
  pthread_mutex_lock(&w->mu);
  t = w->out; w->out = w->buf; w->buf = t;
  c = w->out_cap; w->out_cap = w->cap; w->cap = c;
  n = w->n;
  w->n = 0;
  err = w->err;
  pthread_mutex_unlock(&w->mu);
  if (!err && n) err = write_all(w->fd, w->out, n);
  if (err) {
    pthread_mutex_lock(&w->mu);
    if (!w->err) __atomic_store_n(&w->err, err, __ATOMIC_RELEASE);
    err = w->err;
    pthread_mutex_unlock(&w->mu);
  }
  pthread_mutex_unlock(&w->io);
  return err;
}

static void drain_all_at_exit(void) {
  vw_runlog *w;
  pthread_mutex_lock(&open_mu);
  for (w = open_logs; w; w = w->next) drain(w);
  pthread_mutex_unlock(&open_mu);
}

static void register_exit(void) { atexit(drain_all_at_exit); }

static void *writer(void *arg) {
  vw_runlog *w = arg;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    struct timespec dl;
    while (!w->stop && w->n == 0) pthread_cond_wait(&w->cv, &w->mu);
    if (w->stop) break;
    /* let records gather: one write per FLUSH_MS, not one per record */
    vw_deadline(&dl, FLUSH_MS);
    while (!w->stop && w->n < HIGH)
      if (pthread_cond_timedwait(&w->cv, &w->mu, &dl) == ETIMEDOUT) break;
    pthread_mutex_unlock(&w->mu);
    drain(w);
    pthread_mutex_lock(&w->mu);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

/* mkdir -p: every missing component of dir, then dir must be a directory. */
static int make_dirs(const char *dir) {
  char *p = strdup(dir), *s;
  struct stat st;
  int e = 0;
  if (!p) return vw_fail("out of memory");
  for (s = p + 1; *s; s++)
    if (*s == '/') {
      *s = 0;
      if (mkdir(p, 0777) != 0 && errno != EEXIST) e = errno;
      *s = '/';
      if (e) break;
    }
  if (!e && mkdir(p, 0777) != 0 && errno != EEXIST) e = errno;
  free(p);
  if (!e && stat(dir, &st) != 0) e = errno;
  if (e) return vw_fail("cannot create the directory %s: %s", dir, strerror(e));
  if (!S_ISDIR(st.st_mode)) return vw_fail("%s is not a directory", dir);
  return 0;
}

static void header(unsigned char *h, size_t scap, size_t hcap) {
  unsigned char *p = h + 8;
  memcpy(h, magic, 8);
  p = put_u32(p, VW_LOG_VERSION);
  p = put_u32(p, HEADER);
  p = put_u64(p, scap);
  p = put_u64(p, hcap);
  put_u32(p, crc(h, 32));
}

vw_runlog *vw_runlog_create(const char *dir, size_t scalar_cap, size_t hist_cap) {
  size_t len = strlen(dir) + sizeof VW_LOG_NAME + 1;
  unsigned char h[HEADER];
  vw_runlog *w;
  int e;
  if (!*dir) { vw_fail("logdir must not be empty"); return NULL; }
  if (make_dirs(dir) < 0) return NULL;
  w = calloc(1, sizeof *w + len);
  if (!w) { vw_fail("out of memory"); return NULL; }
  snprintf(w->path, len, "%s/%s", dir, VW_LOG_NAME);
  w->fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0666);
  if (w->fd < 0) {
    e = errno;
    if (e == EEXIST)
      vw_fail("%s already holds a run log (%s): read it with lunet.Board.open, or log "
              "to another directory", dir, VW_LOG_NAME);
    else vw_fail("cannot create the run log %s: %s", w->path, strerror(e));
    free(w);
    return NULL;
  }
  header(h, scalar_cap, hist_cap);
  if ((e = write_all(w->fd, h, HEADER)) != 0) {
    vw_fail("cannot write the run log %s: %s", w->path, strerror(e));
    close(w->fd);
    unlink(w->path);
    free(w);
    return NULL;
  }
  pthread_mutex_init(&w->mu, NULL);
  pthread_mutex_init(&w->io, NULL);
  vw_cond_init(&w->cv);
  if (pthread_create(&w->thread, NULL, writer, w) != 0) {
    vw_fail("cannot start the run log's thread");
    close(w->fd);
    unlink(w->path);
    pthread_mutex_destroy(&w->mu);
    pthread_mutex_destroy(&w->io);
    pthread_cond_destroy(&w->cv);
    free(w);
    return NULL;
  }
  pthread_once(&exit_once, register_exit);
  pthread_mutex_lock(&open_mu);
  w->next = open_logs;
  open_logs = w;
  pthread_mutex_unlock(&open_mu);
  return w;
}

/* Room for a record of body size `body` at the end of the buffer, with the
 * lock held; *rec points at it. 0, or the errno to keep. */
static int reserve(vw_runlog *w, size_t body, unsigned char **rec) {
  size_t want = w->n + 8 + body;
  if (want > w->cap) {
    size_t nc = w->cap ? w->cap : 65536;
    unsigned char *nb;
    while (nc < want) nc *= 2;
    nb = realloc(w->buf, nc);
    if (!nb) return ENOMEM;
    w->buf = nb;
    w->cap = nc;
  }
  *rec = w->buf + w->n;
  return 0;
}

/* Seals the record at rec (its size and checksum) and wakes the thread when
 * it has to write; the lock is held and released here. */
static int seal(vw_runlog *w, unsigned char *rec, size_t body) {
  size_t was = w->n;
  int full;
  put_u32(rec, (uint32_t)body);
  put_u32(rec + 4, crc(rec + 8, body));
  w->n += 8 + body;
  if (was == 0 || (was < HIGH && w->n >= HIGH)) pthread_cond_signal(&w->cv);
  full = w->n >= LIMIT;
  pthread_mutex_unlock(&w->mu);
  if (full && drain(w)) return vw_runlog_check(w);
  return 0;
}

/* Takes the lock and starts a record: its type and wall time. Returns where
 * the fields go, or NULL (unlocked) once the log has failed. */
static unsigned char *begin(vw_runlog *w, int type, double wall, size_t body,
                            unsigned char **rec) {
  int e;
  pthread_mutex_lock(&w->mu);
  e = w->err ? w->err : reserve(w, body, rec);
  if (e) {
    if (!w->err) __atomic_store_n(&w->err, e, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&w->mu);
    log_fail(w, e);
    return NULL;
  }
  (*rec)[8] = (unsigned char)type;
  return put_f64(*rec + 9, wall);
}

int vw_runlog_put(vw_runlog *w, int kind, const char *tag, const void *elem) {
  size_t tl = strlen(tag);
  size_t body = 9 + 5 + tl + (kind == VW_SCALAR ? 16 : 80 + 4 * (size_t)VW_FINE);
  unsigned char *rec, *p;
  int i;
  if (tl > VW_LOG_MAXSTR) return vw_fail("tag too long for the run log (%zu bytes)", tl);
  /* the write's own time, so that a reopened run has the board's */
  p = begin(w, kind == VW_SCALAR ? VW_REC_SCALAR : VW_REC_HIST,
            kind == VW_SCALAR ? ((const vw_point *)elem)->wall : ((const vw_hist *)elem)->wall,
            body, &rec);
  if (!p) return -1;
  p = put_str(p, tag, tl);
  if (kind == VW_SCALAR) {
    const vw_point *pt = elem;
    p = put_f64(put_f64(p, pt->step), pt->value);
  } else {
    const vw_hist *h = elem;
    p = put_f64(put_f64(put_f64(put_f64(p, h->step), h->lo), h->hi), h->sat_at);
    p = put_u64(put_u64(put_u64(p, h->n), h->nan), h->pinf);
    p = put_u64(put_u64(put_u64(p, h->ninf), h->zeros), h->sat);
    for (i = 0; i < VW_FINE; i++) p = put_u32(p, h->fine[i]);
  }
  return seal(w, rec, body);
}

int vw_runlog_axis(vw_runlog *w, const char *group, const char *x, const char *y) {
  size_t gl = strlen(group), xl = x ? strlen(x) : 0, yl = y ? strlen(y) : 0;
  size_t body = 9 + 5 + gl + 6 + xl + 6 + yl;
  unsigned char *rec, *p;
  if (gl > VW_LOG_MAXSTR || xl > VW_LOG_MAXSTR || yl > VW_LOG_MAXSTR)
    return vw_fail("axis title too long for the run log");
  if (!(p = begin(w, VW_REC_AXIS, vw_wall_now(), body, &rec))) return -1;
  p = put_str(p, group, gl);
  *p++ = x != NULL;
  p = put_str(p, x ? x : "", xl);
  *p++ = y != NULL;
  put_str(p, y ? y : "", yl);
  return seal(w, rec, body);
}

/* err is set once, under mu, atomically: read without the lock on every write */
int vw_runlog_check(vw_runlog *w) {
  int e = __atomic_load_n(&w->err, __ATOMIC_ACQUIRE);
  return e ? log_fail(w, e) : 0;
}

int vw_runlog_flush(vw_runlog *w) { return drain(w) ? vw_runlog_check(w) : 0; }

int vw_runlog_close(vw_runlog *w) {
  vw_runlog **pp;
  int e;
  pthread_mutex_lock(&w->mu);
  w->stop = 1;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
  pthread_join(w->thread, NULL);
  pthread_mutex_lock(&open_mu);
  for (pp = &open_logs; *pp; pp = &(*pp)->next)
    if (*pp == w) { *pp = w->next; break; }
  pthread_mutex_unlock(&open_mu);
  e = drain(w);
  /* a file system that cannot fsync (EINVAL) has nothing more to do */
  if (!e && fsync(w->fd) != 0 && errno != EINVAL) e = errno;
  if (close(w->fd) != 0 && !e && errno != EINTR) e = errno;
  if (e) log_fail(w, e);
  pthread_mutex_destroy(&w->mu);
  pthread_mutex_destroy(&w->io);
  pthread_cond_destroy(&w->cv);
  free(w->buf);
  free(w->out);
  free(w);
  return e ? -1 : 0;
}

/* ---- reading ---- */

struct vw_logreader {
  int fd;
  size_t cap[2];
  uint64_t pos;            /* the offset of the next record */
  uint64_t seen;           /* the file's size at the last poll */
  unsigned char *buf;
  size_t alloc;
  vw_hist h;
  char path[];
};

/* Opens with O_NONBLOCK so that a FIFO in the log's place fails at once. */
static int open_log(const char *dir, const char *path) {
  struct stat st;
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), e = errno;
  if (fd < 0) {
    if (e != ENOENT && e != ENOTDIR) return vw_fail("cannot read %s: %s", path, strerror(e));
    if (stat(dir, &st) != 0) return vw_fail("%s: no such directory", dir);
    if (!S_ISDIR(st.st_mode)) return vw_fail("%s is not a directory", dir);
    return vw_fail("%s holds no run log (no %s in it)", dir, VW_LOG_NAME);
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return vw_fail("%s is not a regular file", path);
  }
  return fd;
}

static ssize_t read_at(int fd, unsigned char *p, size_t n, uint64_t off) {
  size_t got = 0;
  while (got < n) {
    ssize_t k = pread(fd, p + got, n - got, (off_t)(off + got));
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return -1;
    if (k == 0) break;
    got += (size_t)k;
  }
  return (ssize_t)got;
}

vw_logreader *vw_logreader_open(const char *dir) {
  size_t len = strlen(dir) + sizeof VW_LOG_NAME + 1;
  vw_logreader *r = calloc(1, sizeof *r + len);
  unsigned char h[HEADER];
  ssize_t got;
  uint32_t version;
  cur c;
  if (!r) { vw_fail("out of memory"); return NULL; }
  memset(h, 0, sizeof h);
  snprintf(r->path, len, "%s/%s", dir, VW_LOG_NAME);
  if ((r->fd = open_log(dir, r->path)) < 0) { free(r); return NULL; }
  got = read_at(r->fd, h, HEADER, 0);
  c.p = h + 8;
  c.end = h + HEADER;
  c.bad = 0;
  version = (uint32_t)get_u(&c, 4);
  if (got < 0) vw_fail("cannot read %s: %s", r->path, strerror(errno));
  else if (got < 8 || memcmp(h, magic, 8) != 0)
    vw_fail("%s is not a lunet run log", r->path);
  else if (got < HEADER) vw_fail("%s: the run log's header is cut short", r->path);
  else if (get_u(&c, 4) != HEADER || crc(h, 32) != get32(h + 32))
    vw_fail("%s: the run log's header is damaged", r->path);
  else if (version != VW_LOG_VERSION)
    vw_fail("%s is a run log of format version %u; this lunet reads version %d", r->path,
            (unsigned)version, VW_LOG_VERSION);
  else {
    r->cap[VW_SCALAR] = (size_t)get_u(&c, 8);
    r->cap[VW_HISTOGRAM] = (size_t)get_u(&c, 8);
    r->pos = HEADER;
    return r;
  }
  vw_logreader_free(r);
  return NULL;
}

void vw_logreader_caps(const vw_logreader *r, size_t *scalar_cap, size_t *hist_cap) {
  *scalar_cap = r->cap[VW_SCALAR];
  *hist_cap = r->cap[VW_HISTOGRAM];
}

unsigned long long vw_logreader_offset(const vw_logreader *r) { return r->pos; }

void vw_logreader_free(vw_logreader *r) {
  if (!r) return;
  if (r->fd >= 0) close(r->fd);
  free(r->buf);
  free(r);
}

/* Decodes a body whose checksum held. 1: rec is filled, 0: an unknown
 * type (skipped), -1: malformed. */
static int decode(vw_logreader *r, const unsigned char *body, size_t n, vw_logrec *rec) {
  cur c = {body, body + n, 0};
  int i;
  memset(rec, 0, sizeof *rec);
  rec->type = (int)get_u(&c, 1);
  rec->wall = get_f64(&c);
  if (rec->type < VW_REC_SCALAR || rec->type > VW_REC_AXIS) return c.bad ? -1 : 0;
  rec->tag = get_str(&c);
  if (rec->type == VW_REC_SCALAR) {
    rec->pt.step = get_f64(&c);
    rec->pt.value = get_f64(&c);
    rec->pt.wall = rec->wall;
  } else if (rec->type == VW_REC_HIST) {
    vw_hist *h = &r->h;
    h->step = get_f64(&c);
    h->wall = rec->wall;
    h->lo = get_f64(&c);
    h->hi = get_f64(&c);
    h->sat_at = get_f64(&c);
    h->n = get_u(&c, 8);
    h->nan = get_u(&c, 8);
    h->pinf = get_u(&c, 8);
    h->ninf = get_u(&c, 8);
    h->zeros = get_u(&c, 8);
    h->sat = get_u(&c, 8);
    for (i = 0; i < VW_FINE; i++) h->fine[i] = (uint32_t)get_u(&c, 4);
    rec->h = h;
  } else {
    int hx = (int)get_u(&c, 1);
    const char *x = get_str(&c);
    int hy = (int)get_u(&c, 1);
    const char *y = get_str(&c);
    rec->x = hx ? x : NULL;
    rec->y = hy ? y : NULL;
  }
  return c.bad || c.p != c.end ? -1 : 1;
}

/* Takes the complete records of buf[0, got), which starts at r->pos,
 * counting them in *n. Sets *stop at a damaged record (the log ends there)
 * and *need to the size of a record longer than got. Returns the bytes
 * taken, or -1 when fn failed. */
static long long take(vw_logreader *r, size_t got, vw_logfn fn, void *arg, long *n,
                      int *stop, size_t *need) {
  size_t off = 0;
  while (got - off >= 8) {
    cur c = {r->buf + off, r->buf + got, 0};
    size_t body = (size_t)get_u(&c, 4);
    uint32_t sum = (uint32_t)get_u(&c, 4);
    vw_logrec rec;
    int k;
    if (body < 9 || body > MAXREC) { *stop = 1; break; }
    if (got - off - 8 < body) { *need = 8 + body; break; }
    if (crc(r->buf + off + 8, body) != sum) { *stop = 1; break; }
    k = decode(r, r->buf + off + 8, body, &rec);
    if (k < 0) { *stop = 1; break; }
    if (k > 0 && fn(arg, &rec) < 0) return -1;
    *n += k;
    off += 8 + body;
  }
  return (long long)off;
}

long vw_logreader_poll(vw_logreader *r, vw_logfn fn, void *arg) {
  struct stat st;
  uint64_t size;
  long n = 0;
  int stop = 0;
  if (fstat(r->fd, &st) != 0) return vw_fail("cannot read %s: %s", r->path, strerror(errno));
  size = (uint64_t)st.st_size;
  if (size == r->seen) return 0;
  r->seen = size;
  while (!stop && size > r->pos && size - r->pos >= 8) {
    size_t left = (size_t)(size - r->pos), want = left > CHUNK ? CHUNK : left, need = 0;
    long long took;
    ssize_t got;
    for (;;) {   /* a record longer than CHUNK is read whole */
      if (want > r->alloc) {
        unsigned char *nb = realloc(r->buf, want);
        if (!nb) return vw_fail("out of memory");
        r->buf = nb;
        r->alloc = want;
      }
      got = read_at(r->fd, r->buf, want, r->pos);
      if (got < 0) return vw_fail("cannot read %s: %s", r->path, strerror(errno));
      need = 0;
      took = take(r, (size_t)got, fn, arg, &n, &stop, &need);
      if (took < 0) return -1;
      if (took > 0 || !need || need > left || need <= (size_t)got) break;
      want = need;
    }
    r->pos += (uint64_t)took;
    if (took == 0) break;   /* damaged, incomplete, or the file shrank */
  }
  return n;
}
