/* window.c: the viewer thread (see window.h). */
#include "window.h"
#include "input.h"
#include "text.h"

#include <SDL_image.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../core/base.h"
#include "../core/file.h"

#define FRAME_MS 16      /* at most ~60 redraws a second for the user's input */
#define FLASH_MS 2500    /* how long "saved lunet-3.png" stays */
#define MIN_W 480        /* the smallest window: header, one panel, help */
#define MIN_H 320
/* Redraws for new data take at most 1/DUTY of the time: a frame that took
 * d ms waits DUTY * d before the next (the training thread gets the core
 * back), between 1/20 s and 2 s. */
#define DUTY 30
#define DATA_MS_MIN 50
#define DATA_MS_MAX 2000

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
  vw_layout lay;      /* the last frame's, for vw_window_layout */
  char err[512];
};

static int get_flag(vw_window *w, int *flag) {
  int v;
  pthread_mutex_lock(&w->mu);
  v = *flag;
  pthread_mutex_unlock(&w->mu);
  return v;
}

typedef struct state {
  SDL_Window *win;
  SDL_Surface *surf;
  SDL_Renderer *r;
  vw_canvas *c;
  vw_snap *snap;
  vw_layout lay;
  int dirty;
  char help[512];
  char flash[160];
  Uint32 flash_until;   /* 0: no message */
  Uint32 draw_ms;       /* the last frame's cost */
  vw_input in;
  char shown[200];      /* the title as set, less a flash */
} state;

/* Saves surf as lunet-N.png, N the first free number, written as every
 * lunet file is (a temporary file, then renamed). Says how it went in
 * msg. */
static void save_shot(SDL_Surface *surf, char *msg, size_t n) {
  char path[64];
  ln_file out;
  SDL_RWops *rw;
  int i, ok = 0;
  for (i = 1; i < 100000; i++) {
    snprintf(path, sizeof path, "lunet-%d.png", i);
    if (access(path, F_OK) != 0) break;
  }
  if (ln_file_open(&out, "save", path) != 0) {
    snprintf(msg, n, "cannot save %s: %s", path, ln_error());
    return;
  }
  rw = SDL_RWFromFP(out.f, SDL_FALSE);
  if (rw) {
    ok = IMG_SavePNG_RW(surf, rw, 0) == 0;
    SDL_RWclose(rw);
  }
  if (!ok) {
    ln_file_abort(&out);
    snprintf(msg, n, "cannot save %s: %s", path, IMG_GetError());
  } else if (ln_file_commit(&out, "save") != 0) {
    snprintf(msg, n, "cannot save %s: %s", path, ln_error());
  } else {
    snprintf(msg, n, "saved %s", path);
  }
}

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


static void draw(vw_window *w, state *st);

/* Saves the window as it is, less the hover read-out, the drag box and
 * the flash message, and says so for FLASH_MS. */
static void shoot(vw_window *w, state *st) {
  vw_view keep = w->view;
  w->view.hover_x = w->view.hover_y = -1;
  w->view.select.w = 0;
  st->flash_until = 0;
  draw(w, st);
  w->view = keep;
  if (st->surf) {
    char title[200];
    save_shot(st->surf, st->flash, sizeof st->flash);
    snprintf(title, sizeof title, "lunet: %s", st->flash);
    SDL_SetWindowTitle(st->win, title);
    st->flash_until = SDL_GetTicks() + FLASH_MS;
    if (!st->flash_until) st->flash_until = 1;
  }
  st->dirty = 1;
}

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
    if (ev->window.event == SDL_WINDOWEVENT_LEAVE) {
      v->hover_x = v->hover_y = -1;
      st->dirty = 1;
    }
    if (ev->window.event == SDL_WINDOWEVENT_EXPOSED) st->dirty = 1;
    return 0;
  }
  switch (vw_input_event(v, &st->lay, &st->in, ev)) {
  case VW_IN_CLOSE: return 1;
  case VW_IN_SAVE: shoot(w, st); break;   /* what the keys before it asked for */
  case VW_IN_REDRAW: st->dirty = 1; break;
  default: break;
  }
  return 0;
}

/* The title says what the filter lets through (a window list shows it),
 * unless a flash message holds it. */
static void set_title(vw_window *w, state *st) {
  char t[200];
  const vw_layout *o = &st->lay;
  if (st->flash_until) return;
  if (w->view.typing) snprintf(t, sizeof t, "%s \xc2\xb7 typing a filter", w->title);
  else if (w->view.filter[0])
    snprintf(t, sizeof t, "%s \xc2\xb7 filter \"%.40s\": %d of %d tags", w->title,
             w->view.filter, o->tags_match, o->tags_total);
  else snprintf(t, sizeof t, "%s", w->title);
  if (strcmp(t, st->shown) != 0) {
    SDL_SetWindowTitle(st->win, t);
    snprintf(st->shown, sizeof st->shown, "%s", t);
  }
}

static void draw(vw_window *w, state *st) {
  Uint32 t0 = SDL_GetTicks();
  if (!st->surf || !st->r) return;
  vw_snap_sync(st->snap, w->board);
  w->view.width = st->surf->w;
  w->view.height = st->surf->h;
  w->view.status = st->help;
  w->view.flash = st->flash_until ? st->flash : NULL;
  vw_draw(st->c, st->snap, &w->view, &st->lay);
  SDL_RenderPresent(st->r);
  SDL_UpdateWindowSurface(st->win);
  {   /* for the next frame, drawn at once when it changed (typing began) */
    char was[sizeof st->help];
    memcpy(was, st->help, sizeof was);
    vw_key_help(&st->lay, st->help, sizeof st->help);
    st->dirty = strcmp(was, st->help) != 0;
  }
  set_title(w, st);
  pthread_mutex_lock(&w->mu);
  w->frames++;
  w->lay = st->lay;
  pthread_mutex_unlock(&w->mu);
  st->draw_ms = SDL_GetTicks() - t0;
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
  /* The window surface, left alone, is an OpenGL texture; without a GPU
   * that is Mesa's llvmpipe, whose threads take the cores training runs on.
   * The frames are drawn in software anyway: show them with X11's own
   * shared-memory images. */
  SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
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
  SDL_SetWindowMinimumSize(st.win, MIN_W, MIN_H);
  snprintf(st.shown, sizeof st.shown, "%s", w->title);
  SDL_StartTextInput();   /* the filter's characters, as the keyboard layout makes them */
  draw(w, &st);
  started(w, 1, NULL, NULL);
  /* Pacing: a frame is drawn only when something changed. The user's
   * input is answered within FRAME_MS; new data waits DUTY times the last
   * frame's cost, so that drawing never takes much from training. */
  while (!get_flag(w, &w->stop)) {
    SDL_Event ev;
    int quit = 0;
    Uint32 now, gap;
    if (SDL_WaitEventTimeout(&ev, st.dirty ? FRAME_MS : 4 * FRAME_MS)) {
      quit = handle(w, &st, &ev);
      while (!quit && SDL_PollEvent(&ev)) quit = handle(w, &st, &ev);
    }
    if (quit) break;
    now = SDL_GetTicks();
    if (st.flash_until && (Sint32)(now - st.flash_until) >= 0) {
      st.flash_until = 0;
      st.shown[0] = 0;   /* the next frame sets the title again */
      st.dirty = 1;
    }
    gap = DUTY * st.draw_ms;
    gap = gap < DATA_MS_MIN ? DATA_MS_MIN : gap > DATA_MS_MAX ? DATA_MS_MAX : gap;
    if (!st.dirty && vw_board_version(w->board) != seen && now - last >= gap) st.dirty = 1;
    if (st.dirty && now - last >= FRAME_MS) {
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
  vw_snap_free(st.snap);
  if (st.r) SDL_DestroyRenderer(st.r);
  if (st.win) SDL_DestroyWindow(st.win);
  SDL_Quit();
  pthread_mutex_lock(&active_mu);
  active = VW_WIN_NONE;
  pthread_cond_broadcast(&active_cv);
  pthread_mutex_unlock(&active_mu);
  return NULL;
}

/* The X connection is the window thread's; when the server goes away (or
 * resets between two windows) a write to it raises SIGPIPE, whose default
 * action would end the whole training process. The thread, and the threads
 * SDL starts from it, inherit a mask blocking SIGPIPE, so the write only
 * fails; the caller's own mask and handlers are left as they were. */
static int start_thread(vw_window *w) {
  sigset_t pipe, old;
  int rc;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, &old);
  rc = pthread_create(&w->thread, NULL, run, w);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return rc;
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
  if (start_thread(w) != 0) {
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

void vw_window_layout(vw_window *w, vw_layout *out) {
  pthread_mutex_lock(&w->mu);
  *out = w->lay;
  pthread_mutex_unlock(&w->mu);
}

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
