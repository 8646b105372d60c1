/* test_runlog.c: the run log's format, writer and reader (viewer/runlog.h).
 * Records read back exactly, with their wall time; a log cut at any byte
 * or damaged at its end opens with every complete record before; a reader
 * follows a file that grows a byte at a time; a failed write is reported
 * at the next write and at close; exit() writes the buffered records and a
 * kill -9 leaves a prefix; a reopened board is the same board; several
 * runs are renamed apart; the follower thread takes a growing run in. */
#include "board.h"
#include "runlog.h"
#include "check.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static char root[64];

static const char *dir_of(const char *name) {
  static char buf[8][256];
  static int k;
  char *p = buf[k++ % 8];
  snprintf(p, 256, "%s/%s", root, name);
  return p;
}

static const char *log_of(const char *name) {
  static char buf[4][300];
  static int k;
  char *p = buf[k++ % 4];
  snprintf(p, 300, "%s/%s/%s", root, name, VW_LOG_NAME);
  return p;
}

/* What a reader saw. */
typedef struct seen {
  long n, scalars, hists, axes;
  double wall_min, wall_max;
  int order_ok;            /* steps of "cost/BN" came as 0, 1, 2, ... */
  double next_step;
  int values_ok;
  char last_tag[64];
} seen;

static int note(void *arg, const vw_logrec *r) {
  seen *s = arg;
  s->n++;
  if (s->n == 1 || r->wall < s->wall_min) s->wall_min = r->wall;
  if (s->n == 1 || r->wall > s->wall_max) s->wall_max = r->wall;
  if (r->type == VW_REC_SCALAR) {
    s->scalars++;
    if (!strcmp(r->tag, "cost/BN")) {
      s->order_ok &= r->pt.step == s->next_step;
      s->values_ok &= r->pt.value == 1.0 / (r->pt.step + 1);
      s->next_step++;
    }
  } else if (r->type == VW_REC_HIST) {
    s->hists++;
    s->values_ok &= r->h->n == 100 && r->h->zeros == 10 && r->h->nan == 1;
  } else {
    s->axes++;
    s->values_ok &= !strcmp(r->tag, "cost") && r->x && !strcmp(r->x, "epoch") && !r->y;
  }
  snprintf(s->last_tag, sizeof s->last_tag, "%s", r->tag);
  return 0;
}

static seen read_all(const char *name, int *ok) {
  seen s;
  vw_logreader *r = vw_logreader_open(dir_of(name));
  memset(&s, 0, sizeof s);
  s.order_ok = s.values_ok = 1;
  *ok = r != NULL;
  if (!r) return s;
  if (vw_logreader_poll(r, note, &s) < 0) *ok = 0;
  vw_logreader_free(r);
  return s;
}

static void fill(float *x, long i) {
  int j;
  for (j = 0; j < 100; j++) x[j] = j < 10 ? 0.0f : ((float)((j * 7 + i) % 50) + 0.5f) / 25 - 1;
  x[99] = NAN;
}

/* n scalars "cost/BN" (step i, value 1/(i+1)), a histogram every 10th step,
 * one axis title: n + n/10 + 1 records. */
static void write_run(vw_board *b, long n) {
  float x[100];
  long i;
  for (i = 0; i < n; i++) {
    vw_board_scalar(b, "cost/BN", (double)i, 1.0 / (double)(i + 1));
    if (i % 10 == 0) {
      fill(x, i);
      vw_board_histogram(b, "BN/L1", (double)i, x, 100, VW_SAT);
    }
    if (i == 5) vw_board_axis(b, "cost", "epoch", NULL);
  }
}

static unsigned char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  unsigned char *p;
  long len;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  len = ftell(f);
  rewind(f);
  p = malloc((size_t)len + 1);
  *n = fread(p, 1, (size_t)len, f);
  fclose(f);
  return p;
}

/* DIR name holding bytes [0, n) of p as its log. */
static void put_log(const char *name, const unsigned char *p, size_t n) {
  FILE *f;
  mkdir(dir_of(name), 0777);
  f = fopen(log_of(name), "wb");
  fwrite(p, 1, n, f);
  fclose(f);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void test_roundtrip(void) {
  vw_board *b = vw_board_new(0, 0);
  double t0 = now(), t1;
  seen s;
  int ok;
  CHECK(vw_board_log_to(b, dir_of("a/b/c")) == 0, "%s", vw_error());   /* parents made */
  write_run(b, 1000);
  CHECK(vw_board_log_close(b) == 0, "%s", vw_error());
  t1 = now();
  vw_board_scalar(b, "cost/BN", 1000, 1);   /* after close: memory only */
  vw_board_release(b);
  s = read_all("a/b/c", &ok);
  CHECK(ok, "%s", vw_error());
  CHECK(s.n == 1101 && s.scalars == 1000 && s.hists == 100 && s.axes == 1,
        "%ld records: %ld %ld %ld", s.n, s.scalars, s.hists, s.axes);
  CHECK(s.order_ok && s.values_ok, "order %d values %d", s.order_ok, s.values_ok);
  CHECK(s.wall_min >= t0 - 1e-3 && s.wall_max <= t1 + 1e-3 && s.wall_min <= s.wall_max,
        "wall times %.6f..%.6f outside %.6f..%.6f", s.wall_min, s.wall_max, t0, t1);
  /* an existing log is never written over */
  b = vw_board_new(0, 0);
  CHECK(vw_board_log_to(b, dir_of("a/b/c")) < 0 && strstr(vw_error(), "already holds"),
        "%s", vw_error());
  vw_board_scalar(b, "x", 0, 0);
  CHECK(vw_board_log_to(b, dir_of("fresh")) < 0 && strstr(vw_error(), "empty board"),
        "%s", vw_error());
  vw_board_release(b);
}

/* Cut at every byte of the last two records, and damaged at the end. */
static void test_torn_tail(void) {
  size_t n, i, last = 0, prev = 0, off = 36;
  unsigned char *p = slurp(log_of("a/b/c"), &n);
  seen s;
  int ok;
  CHECK(p != NULL, "no log");
  if (!p) return;
  while (off < n) {   /* the starts of the last two records */
    uint32_t body = p[off] | p[off + 1] << 8 | p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
    prev = last;
    last = off;
    off += 8 + body;
  }
  CHECK(off == n, "records end at %zu, the file at %zu", off, n);
  for (i = prev; i < n; i++) {
    long want = i < last ? 1099 : 1100;
    put_log("cut", p, i);
    s = read_all("cut", &ok);
    CHECK(ok && s.n == want && s.order_ok, "cut at %zu: %d, %ld records", i, ok, s.n);
    unlink(log_of("cut"));
  }
  for (i = last; i < n; i++) {   /* one flipped byte of the last record */
    p[i] ^= 0x20;
    put_log("flip", p, n);
    s = read_all("flip", &ok);
    CHECK(ok && s.n == 1100, "byte %zu flipped: %d, %ld records", i, ok, s.n);
    p[i] ^= 0x20;
  }
  p[prev + 20] ^= 1;   /* a damaged record ends the log there */
  put_log("flip", p, n);
  s = read_all("flip", &ok);
  CHECK(ok && s.n == 1099, "second last damaged: %ld records", s.n);
  /* the header */
  for (i = 0; i < 36; i++) {
    put_log("cut", p, i);
    CHECK(!vw_logreader_open(dir_of("cut")), "a header cut at %zu opened", i);
  }
  p[8] = 2;   /* version 2, with its checksum made good */
  {
    uLong c = crc32(0L, p, 32);
    p[32] = c & 255; p[33] = (c >> 8) & 255; p[34] = (c >> 16) & 255; p[35] = c >> 24;
  }
  put_log("cut", p, n);
  CHECK(!vw_logreader_open(dir_of("cut")) && strstr(vw_error(), "format version 2"), "%s",
        vw_error());
  p[8] = 0;   /* version 0 ... and then a stale checksum */
  put_log("cut", p, n);
  CHECK(!vw_logreader_open(dir_of("cut")) && strstr(vw_error(), "damaged"), "%s", vw_error());
  {
    static const char junk[] = "PK\3\4 not a run log at all, whatever its length";
    put_log("cut", (const unsigned char *)junk, sizeof junk - 1);
  }
  CHECK(!vw_logreader_open(dir_of("cut")) && strstr(vw_error(), "not a lunet run log"), "%s",
        vw_error());
  CHECK(!vw_logreader_open(dir_of("none")) && strstr(vw_error(), "no such directory"), "%s",
        vw_error());
  free(p);
}

/* A reader following a file that grows a byte at a time (then in bigger
 * steps) takes each record once it is complete, never a partial one. */
static void test_follow_growth(void) {
  size_t n, i, step = 1;
  unsigned char *p = slurp(log_of("a/b/c"), &n);
  vw_logreader *r;
  FILE *f;
  seen s;
  long total = 0, bad = 0;
  memset(&s, 0, sizeof s);
  s.order_ok = s.values_ok = 1;
  mkdir(dir_of("grow"), 0777);
  f = fopen(log_of("grow"), "wb");
  fwrite(p, 1, 36, f);
  fflush(f);
  r = vw_logreader_open(dir_of("grow"));
  CHECK(r != NULL, "%s", vw_error());
  for (i = 36; r && i < n; i += step) {
    size_t k;
    long got;
    if (i > 5000) step = 333;
    k = i + step > n ? n - i : step;
    fwrite(p + i, 1, k, f);
    fflush(f);
    got = vw_logreader_poll(r, note, &s);
    if (got < 0) bad++;
    else total += got;
  }
  CHECK(total == 1101 && s.n == 1101 && s.order_ok && s.values_ok && !bad,
        "followed %ld records (%ld), order %d, %ld errors", total, s.n, s.order_ok, bad);
  CHECK(r && vw_logreader_offset(r) == n, "offset %llu of %zu",
        r ? vw_logreader_offset(r) : 0, n);
  CHECK(r && vw_logreader_poll(r, note, &s) == 0, "a poll with nothing new");
  fclose(f);
  vw_logreader_free(r);
  free(p);
}

/* A tag near the longest the log takes makes a record over the reader's
 * chunk; an unknown record type is skipped. */
static void test_big_and_unknown(void) {
  size_t len = VW_LOG_MAXSTR, n;
  char *tag = malloc(len + 2);
  vw_board *b = vw_board_new(0, 0);
  unsigned char *p, *q, rec[17];
  seen s;
  int ok;
  memset(tag, 'x', len + 1);
  tag[len + 1] = 0;
  vw_board_log_to(b, dir_of("big"));
  CHECK(vw_board_scalar(b, tag, 0, 0) < 0 && strstr(vw_error(), "too long"), "%s",
        vw_error());
  tag[len] = 0;
  CHECK(vw_board_scalar(b, tag, 0, 0) == 0, "%s", vw_error());
  CHECK(vw_board_scalar(b, "cost/BN", 0, 1) == 0, "%s", vw_error());
  vw_board_log_close(b);
  vw_board_release(b);
  s = read_all("big", &ok);
  CHECK(ok && s.n == 2 && !strcmp(s.last_tag, "cost/BN"), "%d %ld", ok, s.n);
  /* a record of type 99 (9 bytes of body) before the last one */
  p = slurp(log_of("big"), &n);
  q = malloc(n + sizeof rec);
  memcpy(q, p, n - 45);
  rec[0] = 9; rec[1] = rec[2] = rec[3] = 0;
  rec[8] = 99;
  memset(rec + 9, 0, 8);
  {
    uLong c = crc32(0L, rec + 8, 9);
    rec[4] = c & 255; rec[5] = (c >> 8) & 255; rec[6] = (c >> 16) & 255; rec[7] = c >> 24;
  }
  memcpy(q + n - 45, rec, sizeof rec);
  memcpy(q + n - 45 + sizeof rec, p + n - 45, 45);   /* "cost/BN": 8 + 37 bytes */
  put_log("unknown", q, n + sizeof rec);
  s = read_all("unknown", &ok);
  CHECK(ok && s.n == 2 && !strcmp(s.last_tag, "cost/BN"), "%d %ld", ok, s.n);
  free(p);
  free(q);
  free(tag);
}

/* A full disk, as a file size limit: the next write reports it, as does
 * the close. */
static void test_write_error(void) {
  struct rlimit old, lim;
  vw_board *b = vw_board_new(0, 0);
  long i;
  int rc = 0, found = 0;
  float x[100];
  getrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, SIG_IGN);
  lim = old;
  lim.rlim_cur = 20000;
  vw_board_log_to(b, dir_of("full"));
  setrlimit(RLIMIT_FSIZE, &lim);
  fill(x, 0);
  for (i = 0; i < 100000 && rc == 0; i++) {
    rc = vw_board_histogram(b, "BN/L1", (double)i, x, 100, VW_SAT);
    if (i % 50 == 49) vw_board_log_flush(b);
  }
  found = rc < 0 && strstr(vw_error(), "write failed") && strstr(vw_error(), "File too large");
  CHECK(found, "after %ld writes: %d %s", i, rc, vw_error());
  CHECK(vw_board_scalar(b, "cost/BN", 0, 1) < 0, "a write after the failure was taken");
  CHECK(vw_board_log_close(b) < 0 && strstr(vw_error(), "File too large"), "close: %s",
        vw_error());
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, SIG_DFL);
  CHECK(vw_board_scalar(b, "cost/BN", 0, 1) == 0, "%s", vw_error());   /* memory only now */
  vw_board_release(b);
}

/* exit() without a close writes what was buffered; kill -9 after a flush
 * leaves at least what was flushed, and only whole records. */
static void test_exit_and_kill(void) {
  pid_t pid;
  int st, ok;
  seen s;
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    vw_board *b = vw_board_new(0, 0);
    if (vw_board_log_to(b, dir_of("exit")) < 0) _exit(3);
    write_run(b, 1000);
    exit(0);
  }
  waitpid(pid, &st, 0);
  s = read_all("exit", &ok);
  CHECK(WIFEXITED(st) && ok && s.n == 1101 && s.order_ok, "exit(): %ld records", s.n);
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    vw_board *b = vw_board_new(0, 0);
    long i;
    if (vw_board_log_to(b, dir_of("kill")) < 0) _exit(3);
    write_run(b, 500);
    vw_board_log_flush(b);
    for (i = 500; i < 400000; i++) vw_board_scalar(b, "cost/BN", (double)i, 1.0 / (i + 1));
    raise(SIGKILL);
  }
  waitpid(pid, &st, 0);
  s = read_all("kill", &ok);
  CHECK(WIFSIGNALED(st) && ok && s.scalars >= 500 && s.hists == 50 && s.order_ok &&
        s.values_ok, "kill -9: %d, %ld scalars, order %d", ok, s.scalars, s.order_ok);
}

/* The board read back is the board written: the same kept entries (after
 * thinning) in the same order, the same axis titles. */
static void test_same_board(void) {
  vw_board *b = vw_board_new(16, 4), *c;
  vw_snap *x = vw_snap_new(), *y = vw_snap_new();
  const char *dirs[1];
  vw_runs *rs;
  size_t i;
  int same = 1;
  vw_board_log_to(b, dir_of("same"));
  write_run(b, 777);
  vw_board_scalar(b, "cost/no BN", 3, NAN);
  vw_board_axis(b, "cost", NULL, "loss");
  vw_board_log_close(b);
  dirs[0] = dir_of("same");
  rs = vw_runs_open(dirs, 1);
  CHECK(rs != NULL, "%s", vw_error());
  if (!rs) return;
  c = vw_runs_board(rs);
  vw_snap_sync(x, b);
  vw_snap_sync(y, c);
  same = x->ns == y->ns && x->nh == y->nh && x->nax == y->nax;
  for (i = 0; same && i < x->ns; i++)
    same = !strcmp(x->s[i].tag, y->s[i].tag) && x->s[i].n == y->s[i].n &&
           x->s[i].nperm == y->s[i].nperm && x->s[i].bad == y->s[i].bad &&
           !memcmp(x->s[i].pts, y->s[i].pts, x->s[i].n * sizeof(vw_point));
  for (i = 0; same && i < x->nh; i++)
    same = !strcmp(x->h[i].tag, y->h[i].tag) && x->h[i].n == y->h[i].n &&
           x->h[i].nperm == y->h[i].nperm &&
           !memcmp(x->h[i].h, y->h[i].h, x->h[i].n * sizeof(vw_hist));
  for (i = 0; same && i < x->nax; i++)
    same = !strcmp(x->ax[i].group, y->ax[i].group) && !strcmp(x->ax[i].x, y->ax[i].x) &&
           !strcmp(x->ax[i].y, y->ax[i].y);
  CHECK(same, "the reopened board differs");
  CHECK(x->s[0].n <= 16 && x->h[0].n <= 4, "not thinned: %zu %zu", x->s[0].n, x->h[0].n);
  vw_snap_free(x);
  vw_snap_free(y);
  vw_runs_free(rs);
  vw_board_release(b);
}

static int has_tag(vw_board *b, int kind, const char *tag) {
  size_t n, i;
  char **t = vw_board_tags(b, kind, &n);
  int found = 0;
  for (i = 0; i < n; i++) found |= !strcmp(t[i], tag);
  vw_free_names(t, n);
  return found;
}

/* Several runs: named after their directories, the same name told apart. */
static void test_several(void) {
  const char *names[] = {"x/run", "y/run", "bn"};
  const char *dirs[3];
  vw_runs *rs;
  vw_board *b;
  int i;
  for (i = 0; i < 3; i++) {
    b = vw_board_new(0, 0);
    dirs[i] = dir_of(names[i]);
    vw_board_log_to(b, dirs[i]);
    vw_board_scalar(b, "cost/BN", 0, 1);
    vw_board_scalar(b, "cost", 0, 1);
    vw_board_scalar(b, "train/loss/BN", 0, 1);
    vw_board_put_hist(b, "L1", &(vw_hist){.n = 1, .zeros = 1});
    vw_board_put_hist(b, "BN/L1", &(vw_hist){.n = 1, .zeros = 1});
    vw_board_release(b);
  }
  rs = vw_runs_open(dirs, 3);
  CHECK(rs != NULL, "%s", vw_error());
  if (!rs) return;
  b = vw_runs_board(rs);
  CHECK(has_tag(b, VW_SCALAR, "cost/run:BN") && has_tag(b, VW_SCALAR, "cost/run#2:BN") &&
        has_tag(b, VW_SCALAR, "cost/bn:BN") && has_tag(b, VW_SCALAR, "cost/run") &&
        has_tag(b, VW_SCALAR, "cost/run#2") && has_tag(b, VW_SCALAR, "train/loss/bn:BN"),
        "scalar tags not renamed as documented");
  CHECK(has_tag(b, VW_HISTOGRAM, "run:BN/L1") && has_tag(b, VW_HISTOGRAM, "run#2/L1") &&
        has_tag(b, VW_HISTOGRAM, "bn/L1"), "histogram tags not renamed as documented");
  vw_runs_free(rs);
  rs = vw_runs_open(dirs, 1);   /* one run: its own tags */
  CHECK(rs && has_tag(vw_runs_board(rs), VW_SCALAR, "cost/BN") &&
        has_tag(vw_runs_board(rs), VW_HISTOGRAM, "L1"), "one run renamed");
  vw_runs_free(rs);
  dirs[1] = dir_of("none");
  CHECK(!vw_runs_open(dirs, 2) && strstr(vw_error(), "none: no such directory"), "%s",
        vw_error());
}

/* The follower thread: a run growing in this process is taken into the
 * runs' board, and changed() is called after each poll that added some. */
static pthread_mutex_t fmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fcv = PTHREAD_COND_INITIALIZER;
static int fcalls;

static void changed(void *arg) {
  (void)arg;
  pthread_mutex_lock(&fmu);
  fcalls++;
  pthread_cond_broadcast(&fcv);
  pthread_mutex_unlock(&fmu);
}

static size_t points(vw_board *b) {
  vw_snap *s = vw_snap_new();
  size_t n = 0;
  vw_snap_sync(s, b);
  if (s->ns) n = s->s[0].n;
  vw_snap_free(s);
  return n;
}

static void test_follow_thread(void) {
  vw_board *w = vw_board_new(0, 0);
  const char *dirs[1];
  vw_runs *rs;
  long i;
  int phase, calls = 0;
  vw_board_log_to(w, dir_of("followed"));
  vw_board_scalar(w, "cost/BN", 0, 1);
  vw_board_log_flush(w);
  dirs[0] = dir_of("followed");
  rs = vw_runs_open(dirs, 1);
  CHECK(rs && points(vw_runs_board(rs)) == 1, "%s", vw_error());
  if (!rs) return;
  CHECK(vw_runs_follow(rs, 5, changed, NULL) == 0, "%s", vw_error());
  for (phase = 1; phase <= 3; phase++) {
    struct timespec dl;
    for (i = 0; i < 100; i++) vw_board_scalar(w, "cost/BN", (double)(phase * 100 + i), 1);
    vw_board_log_flush(w);
    /* wait (at most 10 s) for the follower to take them: no sleep decides */
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    pthread_mutex_lock(&fmu);
    while (points(vw_runs_board(rs)) < (size_t)(1 + 100 * phase) &&
           pthread_cond_timedwait(&fcv, &fmu, &dl) == 0) {}
    calls = fcalls;
    pthread_mutex_unlock(&fmu);
    CHECK(points(vw_runs_board(rs)) == (size_t)(1 + 100 * phase), "phase %d: %zu points",
          phase, points(vw_runs_board(rs)));
  }
  CHECK(calls >= 1, "changed() never called");
  vw_runs_free(rs);
  vw_board_release(w);
}

int main(void) {
  char cmd[128];
  snprintf(root, sizeof root, "/tmp/lunet-runlog-XXXXXX");
  if (!mkdtemp(root)) { perror("mkdtemp"); return 1; }
  test_roundtrip();
  test_torn_tail();
  test_follow_growth();
  test_big_and_unknown();
  test_write_error();
  test_exit_and_kill();
  test_same_board();
  test_several();
  test_follow_thread();
  snprintf(cmd, sizeof cmd, "rm -rf %s", root);
  if (!getenv("KEEP") && system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", root);
  return check_summary();
}
