/* test_window.c: the live window on SDL's dummy driver (no display needed).
 *
 * A resize must hand the text cache over before the old renderer goes:
 * SDL_DestroyRenderer frees the renderer's textures, so destroying them
 * again from the cache is a use-after-free. SDL itself only reads the freed
 * texture (no sanitizer sees into it), so this file wraps the three SDL
 * calls involved (the viewer's objects are linked into it and call these)
 * and counts textures destroyed after their renderer. */
#define _GNU_SOURCE
#include "board.h"
#include "draw.h"
#include "window.h"
#include "check.h"

#include <SDL.h>
#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXTEX 8192

static pthread_mutex_t tex_mu = PTHREAD_MUTEX_INITIALIZER;
static struct { SDL_Texture *t; SDL_Renderer *r; } live[MAXTEX];
static int nlive, late_destroys;

SDL_Texture *SDL_CreateTextureFromSurface(SDL_Renderer *r, SDL_Surface *s) {
  SDL_Texture *(*real)(SDL_Renderer *, SDL_Surface *) =
    (SDL_Texture *(*)(SDL_Renderer *, SDL_Surface *))dlsym(RTLD_NEXT, __func__);
  SDL_Texture *t = real(r, s);
  pthread_mutex_lock(&tex_mu);
  if (t && nlive < MAXTEX) { live[nlive].t = t; live[nlive].r = r; nlive++; }
  pthread_mutex_unlock(&tex_mu);
  return t;
}

/* Forgets t; returns 0 when it was not a live texture. */
static int forget_tex(SDL_Texture *t) {
  int i, found = 0;
  pthread_mutex_lock(&tex_mu);
  for (i = 0; i < nlive; i++)
    if (live[i].t == t) { live[i] = live[--nlive]; found = 1; break; }
  pthread_mutex_unlock(&tex_mu);
  return found;
}

void SDL_DestroyTexture(SDL_Texture *t) {
  void (*real)(SDL_Texture *) = (void (*)(SDL_Texture *))dlsym(RTLD_NEXT, __func__);
  if (!forget_tex(t)) {
    pthread_mutex_lock(&tex_mu);
    late_destroys++;
    pthread_mutex_unlock(&tex_mu);
    return;   /* already freed: passing it on would read freed memory */
  }
  real(t);
}

/* SDL frees r's remaining textures with it. */
void SDL_DestroyRenderer(SDL_Renderer *r) {
  void (*real)(SDL_Renderer *) = (void (*)(SDL_Renderer *))dlsym(RTLD_NEXT, __func__);
  int i;
  pthread_mutex_lock(&tex_mu);
  for (i = 0; i < nlive; i++)
    if (live[i].r == r) live[i--] = live[--nlive];
  pthread_mutex_unlock(&tex_mu);
  real(r);
}

/* Polls until the window has drawn more than `after` frames, for at most
 * 10 s: whether the window thread got there, not a timing assumption. */
static int frames_past(vw_window *w, long after) {
  struct timespec nap = {0, 5000000};
  int i;
  for (i = 0; i < 2000; i++) {
    if (vw_window_frames(w) > after) return 1;
    nanosleep(&nap, NULL);
  }
  return 0;
}

static void push_resize(void) {
  SDL_Event ev;
  SDL_zero(ev);
  ev.type = SDL_WINDOWEVENT;
  ev.window.event = SDL_WINDOWEVENT_SIZE_CHANGED;
  SDL_PushEvent(&ev);   /* thread-safe: the window thread handles it */
}

/* Whether thread tid of this process blocks SIGPIPE (its SigBlk line). */
static int blocks_sigpipe(const char *tid) {
  char path[300], line[256];
  unsigned long long mask = 0;
  FILE *f;
  snprintf(path, sizeof path, "/proc/self/task/%s/status", tid);
  f = fopen(path, "r");
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "SigBlk: %llx", &mask) == 1) break;
  fclose(f);
  return (mask >> (SIGPIPE - 1)) & 1;
}

/* The threads of this process that block SIGPIPE (bit 1) and that do not
 * (bit 0), by thread id; -1 past the end. */
#define MAXTID 256
static void thread_masks(long tid[MAXTID], int blocked[MAXTID]) {
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  int n = 0;
  while (d && (e = readdir(d)) && n < MAXTID - 1)
    if (e->d_name[0] != '.') {
      tid[n] = atol(e->d_name);
      blocked[n++] = blocks_sigpipe(e->d_name);
    }
  if (d) closedir(d);
  tid[n] = -1;
}

/* A write to a lost X connection (a server that resets between windows)
 * raises SIGPIPE on the window thread: it must fail there, not end the
 * process. The threads the window started block it; the caller's keeps
 * the mask it had (others, such as OpenBLAS's, set their own as they
 * start). Returns how many threads the window started. */
static int check_sigpipe_masks(const long *tid0, const int *blocked0) {
  long tid[MAXTID];
  int blocked[MAXTID], i, j, started = 0;
  thread_masks(tid, blocked);
  for (i = 0; tid[i] >= 0; i++) {
    for (j = 0; tid0[j] >= 0 && tid0[j] != tid[i]; j++) {}
    if (tid0[j] >= 0) {
      CHECK(tid[i] != getpid() || blocked[i] == blocked0[j], "the caller's SIGPIPE mask changed");
    } else {
      CHECK(blocked[i] == 1, "window thread %ld does not block SIGPIPE", tid[i]);
      started++;
    }
  }
  return started;
}

int main(void) {
  vw_board *b = vw_board_new(0, 0);
  vw_view v;
  vw_window *w;
  long tid0[MAXTID];
  int blocked0[MAXTID], i;
  setenv("SDL_VIDEODRIVER", "dummy", 1);
  thread_masks(tid0, blocked0);
  vw_view_defaults(&v);
  v.width = 320;
  v.height = 240;
  for (i = 1; i <= 50; i++) vw_board_scalar(b, "cost/a", i, 1.0 / i);
  w = vw_window_open(b, &v, "test");
  CHECK(w != NULL, "open: %s", vw_error());
  if (!w) { vw_board_release(b); return check_summary(); }
  CHECK(frames_past(w, 0), "no first frame");
  CHECK(check_sigpipe_masks(tid0, blocked0) >= 1, "no window thread found");
  for (i = 0; i < 3; i++) {
    long f = vw_window_frames(w);
    push_resize();
    CHECK(frames_past(w, f), "no frame after resize %d", i);
  }
  CHECK(vw_window_is_open(w), "the window closed by itself");
  {   /* pacing: nothing new, no frame; new data all the time, a few frames a
       * second at most, each after DUTY times its own cost (>= 50 ms) */
    struct timespec t0, t1, quiet = {0, 300000000};
    long f0 = vw_window_frames(w), f1;
    double dt;
    nanosleep(&quiet, NULL);
    CHECK(vw_window_frames(w) - f0 <= 1, "%ld frames with nothing new", vw_window_frames(w) - f0);
    f0 = vw_window_frames(w);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    i = 51;
    do {
      vw_board_scalar(b, "cost/a", i, 1.0 / i);
      i++;
      clock_gettime(CLOCK_MONOTONIC, &t1);
      dt = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    } while (dt < 1.0);
    f1 = vw_window_frames(w);
    CHECK(f1 > f0 && f1 - f0 <= (long)(dt * 20) + 2, "%ld frames in %.2f s of writes",
          f1 - f0, dt);
  }
  /* Closed by the user (q): a script that saw it close may open the next
   * one at once, while the old thread is still shutting SDL down. */
  {
    SDL_Event ev;
    vw_window *w2;
    SDL_zero(ev);
    ev.type = SDL_QUIT;
    SDL_PushEvent(&ev);
    vw_window_wait(w);
    CHECK(!vw_window_is_open(w), "still open after the quit event");
    w2 = vw_window_open(b, &v, "test 2");
    CHECK(w2 != NULL, "reopen right after a close: %s", vw_error());
    CHECK(!w2 || frames_past(w2, 0), "no first frame in the second window");
    vw_window_free(w2);
  }
  vw_window_free(w);
  CHECK(late_destroys == 0, "%d textures destroyed after their renderer", late_destroys);
  vw_board_release(b);
  return check_summary();
}
