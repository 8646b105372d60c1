/* window.c: the viewer thread (see window.h). */
#include "window.h"
#include "text.h"

#include <SDL_image.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FRAME_MS 16   /* at most ~60 redraws a second */

static pthread_mutex_t active_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t active_cv = PTHREAD_COND_INITIALIZER;
/* A window thread exists and has not finished SDL_Quit: SHOWN, or CLOSING
 * once its window reports closed, so that a script that saw it close can
 * open the next one (which waits for SDL_Quit) instead of failing. */
enum { VW_WIN_NONE, VW_WIN_SHOWN, VW_WIN_CLOSING };
static int active;

struct vw_window {
  vw_board *board;
  vw_view view;
  char title[128];
  pthread_t thread;
  int joined;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int started;        /* 1 shown, -1 failed */
  int open;
  int stop;
  long frames;
  char err[512];
};

static const char *help =
  "s save PNG  \xc2\xb7  l log scale  \xc2\xb7  \xe2\x86\x90/\xe2\x86\x92 step  \xc2\xb7  "
  "space newest  \xc2\xb7  t over time  \xc2\xb7  x axes per panel  \xc2\xb7  "
  "m smoothing  \xc2\xb7  q close";

static int get_flag(vw_window *w, int *flag) {
  int v;
  pthread_mutex_lock(&w->mu);
  v = *flag;
  pthread_mutex_unlock(&w->mu);
  return v;
}

/* Saves the window's pixels as lunet-N.png, N the first free number. */
static void save_shot(SDL_Window *win, SDL_Surface *surf) {
  char path[64], title[160];
  int i;
  for (i = 1; i < 100000; i++) {
    snprintf(path, sizeof path, "lunet-%d.png", i);
    if (access(path, F_OK) != 0) break;
  }
  if (IMG_SavePNG(surf, path) == 0) snprintf(title, sizeof title, "lunet: saved %s", path);
  else snprintf(title, sizeof title, "lunet: cannot save %s: %s", path, IMG_GetError());
  SDL_SetWindowTitle(win, title);
}

typedef struct state {
  SDL_Window *win;
  SDL_Surface *surf;
  SDL_Renderer *r;
  vw_canvas *c;
  vw_snap *snap;
  vw_layout lay;
  int dirty;
} state;

static int attach_surface(state *st) {
  SDL_Renderer *r;
  st->surf = SDL_GetWindowSurface(st->win);
  if (!st->surf) return -1;
  r = SDL_CreateSoftwareRenderer(st->surf);
  if (!r) return -1;
  /* The cache's textures go first: SDL_DestroyRenderer frees them too. */
  if (st->c) vw_canvas_set_renderer(st->c, r);
  if (st->r) SDL_DestroyRenderer(st->r);
  st->r = r;
  return 0;
}

static double smooth_next(double s) {
  return s < 0.5 ? 0.6 : s < 0.85 ? 0.9 : s < 0.95 ? 0.99 : 0;
}

static void draw(vw_window *w, state *st);

/* Returns 1 when the window should close. */
static int handle(vw_window *w, state *st, const SDL_Event *ev) {
  vw_view *v = &w->view;
  if (ev->type == SDL_QUIT) return 1;
  if (ev->type == SDL_WINDOWEVENT) {
    if (ev->window.event == SDL_WINDOWEVENT_CLOSE) return 1;
    if (ev->window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
      attach_surface(st);
      st->dirty = 1;
    }
    if (ev->window.event == SDL_WINDOWEVENT_EXPOSED) st->dirty = 1;
    return 0;
  }
  if (ev->type != SDL_KEYDOWN) return 0;
  switch (ev->key.keysym.sym) {
  case SDLK_q: case SDLK_ESCAPE: return 1;
  case SDLK_s:  /* what the keys before it asked for, even in one batch */
    if (st->dirty) draw(w, st);
    if (st->surf) save_shot(st->win, st->surf);
    return 0;
  case SDLK_l: v->logy = !v->logy; break;
  case SDLK_t: v->time_mode = !v->time_mode; break;
  case SDLK_x: v->tag_axis = !v->tag_axis; break;
  case SDLK_m: v->smoothing = smooth_next(v->smoothing); break;
  case SDLK_SPACE: v->cursor = -1; break;
  case SDLK_LEFT:
    if (v->cursor < 0) v->cursor = st->lay.cursor;
    if (v->cursor > 0) v->cursor--;
    break;
  case SDLK_RIGHT:
    if (v->cursor >= 0 && v->cursor + 1 < st->lay.nsteps) v->cursor++;
    break;
  default: return 0;
  }
  st->dirty = 1;
  return 0;
}

static void draw(vw_window *w, state *st) {
  if (!st->surf || !st->r) return;
  vw_snap_sync(st->snap, w->board);
  w->view.width = st->surf->w;
  w->view.height = st->surf->h;
  w->view.status = help;
  vw_draw(st->c, st->snap, &w->view, &st->lay);
  SDL_RenderPresent(st->r);
  SDL_UpdateWindowSurface(st->win);
  pthread_mutex_lock(&w->mu);
  w->frames++;
  pthread_mutex_unlock(&w->mu);
  st->dirty = 0;
}

static void started(vw_window *w, int ok, const char *fmt, const char *sdl) {
  pthread_mutex_lock(&w->mu);
  if (!ok) snprintf(w->err, sizeof w->err, fmt, sdl);
  w->started = ok ? 1 : -1;
  w->open = ok;
  pthread_cond_broadcast(&w->cond);
  pthread_mutex_unlock(&w->mu);
}

/* An X server whose last client leaves resets itself (Xvfb does unless run
 * with -noreset), dropping connections that arrive meanwhile: the window
 * that just closed may have been that last client, and the next window
 * would fail with "x11 not available". Such a drop (reset by peer, would
 * block, or end of file during the handshake: no errno) is retried for up
 * to ~1.5 s; a display that is not there (refused, no socket) fails at once. */
static int init_video(void) {
  int i;
  for (i = 0;; i++) {
    errno = 0;
    if (SDL_Init(SDL_INIT_VIDEO) == 0) return 0;
    if (i == 11 || !(errno == 0 || errno == EAGAIN || errno == ECONNRESET || errno == EPIPE))
      return -1;
    SDL_Delay(i < 6 ? 5u << i : 250u);
  }
}

static void *run(void *arg) {
  vw_window *w = arg;
  state st;
  uint64_t seen = 0;
  Uint32 last = 0;
  const char *drv = getenv("SDL_VIDEODRIVER"), *name;
  memset(&st, 0, sizeof st);
  /* Drawing yields to training: on a small machine the scheduler would
   * otherwise share the training thread's core with this one. Linux gives
   * each thread its own nice value; a failure only costs speed. */
  (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
  /* Ctrl-C must still stop the script, not become a window event. */
  SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
  /* Left alone, SDL falls back to its invisible "offscreen" driver when X11
   * fails: with no Wayland display, ask for X11 only. */
  if (!drv && !getenv("WAYLAND_DISPLAY")) SDL_SetHint(SDL_HINT_VIDEODRIVER, "x11");
  if (init_video() != 0) {
    started(w, 0, "cannot open a window (SDL: %s); use board:save_png(path) "
            "to draw without a display", SDL_GetError());
    goto quit;
  }
  name = SDL_GetCurrentVideoDriver();
  if (!drv && name && (!strcmp(name, "offscreen") || !strcmp(name, "dummy"))) {
    started(w, 0, "cannot open a window (SDL found no display, only its '%s' "
            "driver); use board:save_png(path) to draw without a display", name);
    goto quit;
  }
  st.win = SDL_CreateWindow(w->title, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
                            w->view.width, w->view.height, SDL_WINDOW_RESIZABLE);
  st.snap = vw_snap_new();
  if (!st.win || attach_surface(&st) < 0 || !st.snap) {
    started(w, 0, "cannot open a window (SDL: %s); use board:save_png(path) "
            "to draw without a display", SDL_GetError());
    goto quit;
  }
  st.c = vw_canvas_new(st.r);
  if (!st.c) {
    started(w, 0, "%s", vw_error());
    goto quit;
  }
  draw(w, &st);
  started(w, 1, NULL, NULL);
  while (!get_flag(w, &w->stop)) {
    SDL_Event ev;
    int quit = 0;
    if (SDL_WaitEventTimeout(&ev, FRAME_MS)) {
      quit = handle(w, &st, &ev);
      while (!quit && SDL_PollEvent(&ev)) quit = handle(w, &st, &ev);
    }
    if (quit) break;
    if (vw_board_version(w->board) != seen) st.dirty = 1;
    if (st.dirty && SDL_GetTicks() - last >= FRAME_MS) {
      seen = vw_board_version(w->board);
      draw(w, &st);
      last = SDL_GetTicks();
    }
  }
quit:
  pthread_mutex_lock(&active_mu);
  active = VW_WIN_CLOSING;
  pthread_mutex_unlock(&active_mu);
  pthread_mutex_lock(&w->mu);
  w->open = 0;
  pthread_cond_broadcast(&w->cond);
  pthread_mutex_unlock(&w->mu);
  vw_canvas_free(st.c);
  if (st.r) SDL_DestroyRenderer(st.r);
  if (st.win) SDL_DestroyWindow(st.win);
  vw_snap_free(st.snap);
  SDL_Quit();
  pthread_mutex_lock(&active_mu);
  active = VW_WIN_NONE;
  pthread_cond_broadcast(&active_cv);
  pthread_mutex_unlock(&active_mu);
  return NULL;
}

vw_window *vw_window_open(vw_board *b, const vw_view *v, const char *title) {
  vw_window *w;
  const char *drv = getenv("SDL_VIDEODRIVER");
  if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY") && !(drv && *drv)) {
    vw_fail("no display (neither DISPLAY nor WAYLAND_DISPLAY is set); use "
            "board:save_png(path) to draw without a window");
    return NULL;
  }
  w = calloc(1, sizeof *w);
  if (!w) { vw_fail("out of memory"); return NULL; }
  pthread_mutex_lock(&active_mu);
  while (active == VW_WIN_CLOSING) pthread_cond_wait(&active_cv, &active_mu);
  if (active) {
    pthread_mutex_unlock(&active_mu);
    free(w);
    vw_fail("a viewer window is already open; close it first");
    return NULL;
  }
  active = VW_WIN_SHOWN;
  pthread_mutex_unlock(&active_mu);
  w->board = b;
  w->view = *v;
  snprintf(w->title, sizeof w->title, "%s", title ? title : "lunet");
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->cond, NULL);
  vw_board_retain(b);
  if (pthread_create(&w->thread, NULL, run, w) != 0) {
    pthread_mutex_lock(&active_mu);
    active = VW_WIN_NONE;
    pthread_cond_broadcast(&active_cv);
    pthread_mutex_unlock(&active_mu);
    w->joined = 1;
    vw_window_free(w);
    vw_fail("cannot start the viewer thread");
    return NULL;
  }
  pthread_mutex_lock(&w->mu);
  while (!w->started) pthread_cond_wait(&w->cond, &w->mu);
  pthread_mutex_unlock(&w->mu);
  if (w->started < 0) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", w->err);
    vw_window_free(w);
    vw_fail("%s", msg);
    return NULL;
  }
  return w;
}

int vw_window_is_open(vw_window *w) { return get_flag(w, &w->open); }

long vw_window_frames(vw_window *w) {
  long n;
  pthread_mutex_lock(&w->mu);
  n = w->frames;
  pthread_mutex_unlock(&w->mu);
  return n;
}

void vw_window_wait(vw_window *w) {
  pthread_mutex_lock(&w->mu);
  while (w->open) pthread_cond_wait(&w->cond, &w->mu);
  pthread_mutex_unlock(&w->mu);
}

void vw_window_close(vw_window *w) {
  pthread_mutex_lock(&w->mu);
  w->stop = 1;
  pthread_mutex_unlock(&w->mu);
  if (!w->joined) {
    pthread_join(w->thread, NULL);
    w->joined = 1;
  }
}

void vw_window_free(vw_window *w) {
  if (!w) return;
  vw_window_close(w);
  vw_board_release(w->board);
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cond);
  free(w);
}
