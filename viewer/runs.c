/* runs.c: run logs read into a board, and followed as they grow (see
 * runlog.h for the naming of several runs). */
#include "runlog.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct run {
  vw_logreader *r;
  char *label;             /* NULL: the tags are taken as they are */
} run;

struct vw_runs {
  vw_board *b;
  run *run;
  size_t n;
  char *tag;               /* a renamed tag is built here */
  size_t tag_alloc;
  /* the follower */
  pthread_t thread;
  int following, stop, every_ms;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  void (*changed)(void *);
  void *arg;
};

/* The last component of dir ("a" of "out/a/", and of "out/a/.." too, by
 * its real path). */
static char *dir_label(const char *dir) {
  char buf[PATH_MAX];
  const char *d = realpath(dir, buf) ? buf : dir, *p, *end;
  size_t n = strlen(d);
  while (n > 1 && d[n - 1] == '/') n--;
  end = d + n;
  for (p = end; p > d && p[-1] != '/'; p--) {}
  return p == end ? strdup(d) : strndup(p, (size_t)(end - p));
}

/* Labels told apart: a second "a" is "a#2", a third "a#3". From the last
 * one back, so that the ones compared with are not renamed yet. */
static int unique_labels(vw_runs *rs) {
  size_t i, j;
  for (i = rs->n; i-- > 1;) {
    int k = 1;
    for (j = 0; j < i; j++) k += strcmp(rs->run[j].label, rs->run[i].label) == 0;
    if (k > 1) {
      size_t len = strlen(rs->run[i].label) + 16;
      char *l = malloc(len);
      if (!l) return -1;
      snprintf(l, len, "%s#%d", rs->run[i].label, k);
      free(rs->run[i].label);
      rs->run[i].label = l;
    }
  }
  return 0;
}

/* The tag of rec under its run's label (see runlog.h), or rec's own. */
static const char *renamed(vw_runs *rs, const char *label, const vw_logrec *rec) {
  size_t tl = strlen(rec->tag), ll = strlen(label), want = tl + ll + 2;
  const char *cut;
  if (want > rs->tag_alloc) {
    char *nt = realloc(rs->tag, want);
    if (!nt) return NULL;
    rs->tag = nt;
    rs->tag_alloc = want;
  }
  if (rec->type == VW_REC_HIST) {
    /* "BN/L3" -> "a:BN/L3"; "L3" -> "a/L3" */
    snprintf(rs->tag, want, "%s%c%s", label, strchr(rec->tag, '/') ? ':' : '/', rec->tag);
  } else if ((cut = strrchr(rec->tag, '/')) != NULL) {
    /* "cost/BN" -> "cost/a:BN" */
    size_t g = (size_t)(cut - rec->tag);
    snprintf(rs->tag, want, "%.*s/%s:%s", (int)g, rec->tag, label, cut + 1);
  } else {
    snprintf(rs->tag, want, "%s/%s", rec->tag, label);   /* "cost" -> "cost/a" */
  }
  return rs->tag;
}

typedef struct into { vw_runs *rs; const char *label; } into;

static int apply(void *arg, const vw_logrec *rec) {
  into *t = arg;
  const char *tag = rec->tag;
  if (t->label && rec->type != VW_REC_AXIS && !(tag = renamed(t->rs, t->label, rec)))
    return vw_fail("out of memory");
  switch (rec->type) {
  case VW_REC_SCALAR:
    return vw_board_scalar_at(t->rs->b, tag, rec->pt.step, rec->pt.value, rec->wall);
  case VW_REC_HIST: return vw_board_put_hist(t->rs->b, tag, rec->h);
  default: return vw_board_axis(t->rs->b, tag, rec->x, rec->y);
  }
}

long vw_runs_poll(vw_runs *rs) {
  long total = 0;
  size_t i;
  for (i = 0; i < rs->n; i++) {
    into t = {rs, rs->run[i].label};
    long k = vw_logreader_poll(rs->run[i].r, apply, &t);
    if (k < 0) return -1;
    total += k;
  }
  return total;
}

vw_runs *vw_runs_open(const char *const *dirs, size_t n) {
  vw_runs *rs;
  size_t i, caps[2] = {0, 0};
  if (!n) { vw_fail("no run directory given"); return NULL; }
  rs = calloc(1, sizeof *rs);
  if (!rs || !(rs->run = calloc(n, sizeof *rs->run))) {
    free(rs);
    vw_fail("out of memory");
    return NULL;
  }
  rs->n = n;
  for (i = 0; i < n; i++) {
    size_t sc, hc;
    if (!(rs->run[i].r = vw_logreader_open(dirs[i]))) goto fail;
    if (n > 1 && !(rs->run[i].label = dir_label(dirs[i]))) {
      vw_fail("out of memory");
      goto fail;
    }
    vw_logreader_caps(rs->run[i].r, &sc, &hc);
    if (sc > caps[0]) caps[0] = sc;
    if (hc > caps[1]) caps[1] = hc;
  }
  if (n > 1 && unique_labels(rs) < 0) { vw_fail("out of memory"); goto fail; }
  /* a damaged header can still carry caps vw_board_new refuses */
  if (!(rs->b = vw_board_new(caps[0], caps[1]))) goto fail;
  if (vw_runs_poll(rs) < 0) goto fail;
  return rs;
fail:
  {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", vw_error());
    vw_runs_free(rs);
    vw_fail("%s", msg);
  }
  return NULL;
}

vw_board *vw_runs_board(vw_runs *rs) { return rs->b; }

static void *follow(void *arg) {
  vw_runs *rs = arg;
  pthread_mutex_lock(&rs->mu);
  while (!rs->stop) {
    struct timespec dl;
    long k;
    vw_deadline(&dl, rs->every_ms);
    while (!rs->stop && pthread_cond_timedwait(&rs->cv, &rs->mu, &dl) != ETIMEDOUT) {}
    if (rs->stop) break;
    pthread_mutex_unlock(&rs->mu);
    k = vw_runs_poll(rs);
    if (k > 0 && rs->changed) rs->changed(rs->arg);
    pthread_mutex_lock(&rs->mu);
  }
  pthread_mutex_unlock(&rs->mu);
  return NULL;
}

int vw_runs_follow(vw_runs *rs, int every_ms, void (*changed)(void *), void *arg) {
  if (rs->following) return vw_fail("the runs are followed already");
  rs->every_ms = every_ms > 0 ? every_ms : 1;
  rs->changed = changed;
  rs->arg = arg;
  pthread_mutex_init(&rs->mu, NULL);
  vw_cond_init(&rs->cv);
  if (pthread_create(&rs->thread, NULL, follow, rs) != 0) {
    pthread_mutex_destroy(&rs->mu);
    pthread_cond_destroy(&rs->cv);
    return vw_fail("cannot start the thread that follows the runs");
  }
  rs->following = 1;
  return 0;
}

void vw_runs_free(vw_runs *rs) {
  size_t i;
  if (!rs) return;
  if (rs->following) {
    pthread_mutex_lock(&rs->mu);
    rs->stop = 1;
    pthread_cond_signal(&rs->cv);
    pthread_mutex_unlock(&rs->mu);
    pthread_join(rs->thread, NULL);
    pthread_mutex_destroy(&rs->mu);
    pthread_cond_destroy(&rs->cv);
  }
  for (i = 0; i < rs->n; i++) {
    vw_logreader_free(rs->run[i].r);
    free(rs->run[i].label);
  }
  free(rs->run);
  free(rs->tag);
  vw_board_release(rs->b);
  free(rs);
}
