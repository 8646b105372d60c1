/* test_board_threads.c: one thread logs at full speed while another draws.
 * Run under ThreadSanitizer by `make tsan`; here it checks that the reader
 * always sees consistent data and that the writer kept going while frames
 * were being drawn (it never waits for a whole frame). */
#include "board.h"
#include "draw.h"
#include "check.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define WRITES 1000000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long progress;   /* writes done, read by the drawing thread */
static long done;

static void *writer(void *arg) {
  vw_board *b = arg;
  float x[600];
  long i;
  int j;
  for (i = 0; i < WRITES; i++) {
    vw_board_scalar(b, "cost/no BN", (double)i, 1000.0 / (double)(i + 1));
    vw_board_scalar(b, "cost/BN", (double)i, 10.0 - (double)i * 1e-5);
    if (i % 50 == 0) {
      for (j = 0; j < 600; j++) x[j] = (float)((j * 7 + i) % 100) / 50 - 1;
      vw_board_histogram(b, i % 100 ? "BN/L1" : "no BN/L1", (double)i, x, 600, VW_SAT);
    }
    if (i % 256 == 0) {
      pthread_mutex_lock(&mu);
      progress = i;
      pthread_mutex_unlock(&mu);
    }
  }
  pthread_mutex_lock(&mu);
  progress = WRITES;
  done = 1;
  pthread_mutex_unlock(&mu);
  return NULL;
}

/* New tags while another thread lists them (board:tags() and a writer on
 * its own thread): the list is a consistent prefix, never empty once a tag
 * exists. */
#define NEWTAGS 2000

static void *tag_writer(void *arg) {
  vw_board *b = arg;
  char tag[32];
  int i;
  for (i = 0; i < NEWTAGS; i++) {
    snprintf(tag, sizeof tag, "t/%d", i);
    vw_board_scalar(b, tag, 0, 1);
  }
  return NULL;
}

static void test_tags_while_writing(void) {
  vw_board *b = vw_board_new(0, 0);
  pthread_t t;
  size_t n = 0;
  int empty = 0;
  vw_board_scalar(b, "first", 0, 1);
  pthread_create(&t, NULL, tag_writer, b);
  while (n < NEWTAGS + 1) {
    char **names = vw_board_tags(b, VW_SCALAR, &n);
    empty += n == 0;
    vw_free_names(names, n);
  }
  pthread_join(t, NULL);
  CHECK(empty == 0, "%d listings came back empty", empty);
  vw_board_release(b);
}

static long get(long *v) {
  long r;
  pthread_mutex_lock(&mu);
  r = *v;
  pthread_mutex_unlock(&mu);
  return r;
}

int main(void) {
  vw_board *b = vw_board_new(4096, 64);
  vw_snap *s = vw_snap_new();
  vw_view v;
  pthread_t t;
  int frames = 0, moved = 0, ordered = 1, fin = 0, failed_syncs = 0;
  size_t i, k;
  vw_view_defaults(&v);
  v.width = 640;
  v.height = 400;
  test_tags_while_writing();
  pthread_create(&t, NULL, writer, b);
  while (!fin) {
    long before, after;
    SDL_Surface *img;
    fin = (int)get(&done);
    before = get(&progress);
    /* counted, not CHECKed: the number of frames varies from run to run */
    failed_syncs += vw_snap_sync(s, b) < 0;
    img = vw_render(s, &v, NULL);
    after = get(&progress);
    if (img) SDL_FreeSurface(img);
    frames++;
    moved += after > before;
    for (k = 0; k < s->ns; k++)
      for (i = 1; i < s->s[k].n; i++) ordered &= s->s[k].pts[i].step > s->s[k].pts[i - 1].step;
  }
  pthread_join(t, NULL);
  vw_snap_sync(s, b);
  CHECK(failed_syncs == 0, "%d of %d syncs failed: %s", failed_syncs, frames, vw_error());
  CHECK(frames >= 2, "only %d frames drawn", frames);
  CHECK(moved >= 1, "the writer never advanced during a frame (%d frames)", frames);
  CHECK(ordered, "a reader saw points out of order");
  CHECK(s->ns == 2 && s->nh == 2, "%zu series, %zu histogram tags", s->ns, s->nh);
  CHECK(s->s[0].n <= 4096 && s->s[0].writes == WRITES, "%zu kept of %llu", s->s[0].n,
        (unsigned long long)s->s[0].writes);
  CHECK(s->s[0].pts[s->s[0].n - 1].step == WRITES - 1, "newest %g",
        s->s[0].pts[s->s[0].n - 1].step);
  CHECK(s->h[0].n <= 64 && s->h[1].n <= 64, "snapshots %zu %zu", s->h[0].n, s->h[1].n);
  printf("%d frames while %d writes; the writer moved during %d of them\n", frames,
         WRITES, moved);
  vw_snap_free(s);
  vw_board_release(b);
  return check_summary();
}
