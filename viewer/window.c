/* window.c: the viewer thread (see window.h). */
#include "window.h"
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
  int drag, drag_x, drag_y, drag_panel;
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


static double smooth_next(double s) {
  return s < 0.5 ? 0.6 : s < 0.85 ? 0.9 : s < 0.95 ? 0.99 : 0;
}

/* The panel whose plot holds (x, y), or -1. */
static int panel_at(const vw_layout *o, int x, int y) {
  int i;
  for (i = 0; i < o->npanels; i++) {
    const SDL_Rect *p = &o->panel[i].plot;
    if (x >= p->x && x < p->x + p->w && y >= p->y && y < p->y + p->h) return i;
  }
  return -1;
}

/* The legend entry at (x, y), or -1. */
static int legend_at(const vw_layout *o, int x, int y) {
  int i;
  for (i = 0; i < o->nlegend; i++) {
    const SDL_Rect *r = &o->legend[i].box;
    if (x >= r->x && x < r->x + r->w && y >= r->y && y < r->y + r->h) return i;
  }
  return -1;
}

/* Data coordinates of a pixel of panel p's plot (y in the axis's own). */
static double at_x(const vw_panel *p, int x) {
  return p->x0 + (p->x1 - p->x0) * (x - p->plot.x) / (p->plot.w > 1 ? p->plot.w - 1 : 1);
}
static double at_y(const vw_panel *p, int y) {
  return p->y0 + (p->y1 - p->y0) * (p->plot.y + p->plot.h - 1 - y) /
         (p->plot.h > 1 ? p->plot.h - 1 : 1);
}

/* The zoom of scalar panel i, started from what it shows. */
static vw_zoom *zoom_of(vw_view *v, const vw_panel *p) {
  vw_zoom *z;
  if (p->kind != VW_SCALAR || p->group < 0 || p->group >= VW_MAXZOOM) return NULL;
  z = &v->zoom[p->group];
  z->on = 1;
  z->logy = p->logy;
  z->xaxis = p->xaxis;
  z->x0 = p->x0;
  z->x1 = p->x1;
  z->y0 = p->y0;
  z->y1 = p->y1;
  return z;
}

static void flip_flag(vw_view *v, unsigned char *flags, int *all, const vw_layout *o, int shift) {
  int i = panel_at(o, v->hover_x, v->hover_y);
  if (!shift) { *all = !*all; return; }
  if (i >= 0 && o->panel[i].kind == VW_SCALAR && o->panel[i].group < VW_MAXGROUPS)
    flags[o->panel[i].group] ^= 1;
}

/* t: every histogram panel to the next of bars, heat map, bands; T: the
 * panel under the mouse only. */
static void turn_hist(vw_view *v, const vw_layout *o, int shift) {
  int i = panel_at(o, v->hover_x, v->hover_y), tag;
  if (!shift) { v->time_mode = (v->time_mode + 1) % VW_HIST_MODES; return; }
  if (i < 0 || o->panel[i].kind != VW_HISTOGRAM) return;
  tag = o->panel[i].tag;
  if (tag >= 0 && tag < VW_MAXHTAGS) v->hist_turn[tag] = (v->hist_turn[tag] + 1) % VW_HIST_MODES;
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

static int handle_mouse(vw_window *w, state *st, const SDL_Event *ev) {
  vw_view *v = &w->view;
  const vw_layout *o = &st->lay;
  if (ev->type == SDL_MOUSEMOTION) {
    v->hover_x = ev->motion.x;
    v->hover_y = ev->motion.y;
    if (st->drag) {
      v->select.x = st->drag_x < v->hover_x ? st->drag_x : v->hover_x;
      v->select.y = st->drag_y < v->hover_y ? st->drag_y : v->hover_y;
      v->select.w = abs(v->hover_x - st->drag_x);
      v->select.h = abs(v->hover_y - st->drag_y);
    }
  } else if (ev->type == SDL_MOUSEBUTTONDOWN && ev->button.button == SDL_BUTTON_LEFT) {
    int i = panel_at(o, ev->button.x, ev->button.y);
    /* double-click: back to the whole range (on a legend entry, two clicks) */
    if (ev->button.clicks >= 2 && legend_at(o, ev->button.x, ev->button.y) < 0) {
      if (i >= 0 && o->panel[i].kind == VW_SCALAR && o->panel[i].group < VW_MAXZOOM)
        v->zoom[o->panel[i].group].on = 0;
      else if (i < 0) memset(v->zoom, 0, sizeof v->zoom);
      st->drag = 0;
    } else {
      st->drag = 1;
      st->drag_x = ev->button.x;
      st->drag_y = ev->button.y;
      st->drag_panel = i;
    }
  } else if (ev->type == SDL_MOUSEBUTTONUP && ev->button.button == SDL_BUTTON_LEFT) {
    int dx = abs(ev->button.x - st->drag_x), dy = abs(ev->button.y - st->drag_y), i;
    if (!st->drag) return 0;
    st->drag = 0;
    v->select.w = 0;
    if (dx >= 5 && st->drag_panel >= 0) {   /* a drag: zoom to the box */
      const vw_panel *p = &o->panel[st->drag_panel];
      vw_zoom *z = zoom_of(v, p);
      if (z) {
        double a = at_x(p, st->drag_x), b = at_x(p, ev->button.x);
        z->x0 = a < b ? a : b;
        z->x1 = a < b ? b : a;
        if (dy >= 5) {
          a = at_y(p, st->drag_y);
          b = at_y(p, ev->button.y);
          z->y0 = a < b ? a : b;
          z->y1 = a < b ? b : a;
        }
      }
    } else if (dx < 5 && dy < 5 && (i = legend_at(o, ev->button.x, ev->button.y)) >= 0) {
      int run = o->legend[i].run;   /* a click: a legend entry hides its run */
      if (run >= 0 && run < VW_MAXRUNS) v->hide[run] = !v->hide[run];
    }
  } else if (ev->type == SDL_MOUSEWHEEL && ev->wheel.y != 0) {
    int i = panel_at(o, v->hover_x, v->hover_y);
    vw_zoom *z = i >= 0 ? zoom_of(v, &o->panel[i]) : NULL;
    if (z) {   /* about the step under the cursor */
      double k = ev->wheel.y > 0 ? 0.8 : 1.25, c = at_x(&o->panel[i], v->hover_x);
      z->x0 = c - (c - z->x0) * k;
      z->x1 = c + (z->x1 - c) * k;
    }
  } else {
    return 0;
  }
  st->dirty = 1;
  return 0;
}

/* Returns 1 when the window should close. */
static int handle(vw_window *w, state *st, const SDL_Event *ev) {
  vw_view *v = &w->view;
  int shift;
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
  if (ev->type != SDL_KEYDOWN) return handle_mouse(w, st, ev);
  shift = (ev->key.keysym.mod & KMOD_SHIFT) != 0;
  switch (ev->key.keysym.sym) {
  case SDLK_q: case SDLK_ESCAPE: return 1;
  case SDLK_s:  /* what the keys before it asked for, even in one batch */
    shoot(w, st);
    return 0;
  case SDLK_l: flip_flag(v, v->flip_log, &v->logy, &st->lay, shift); break;
  case SDLK_o: flip_flag(v, v->flip_robust, &v->robust, &st->lay, shift); break;
  case SDLK_t: turn_hist(v, &st->lay, shift); break;
  case SDLK_x: v->tag_axis = !v->tag_axis; break;
  case SDLK_w: v->xaxis = (v->xaxis + 1) % VW_X_MODES; break;
  case SDLK_m: v->smoothing = smooth_next(v->smoothing); break;
  case SDLK_SPACE: v->cursor = -1; break;
  case SDLK_PAGEDOWN: if (st->lay.page + 1 < st->lay.npages) v->page = st->lay.page + 1; break;
  case SDLK_PAGEUP: v->page = st->lay.page > 0 ? st->lay.page - 1 : 0; break;
  case SDLK_HOME: v->page = 0; break;
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
  vw_key_help(&st->lay, st->help, sizeof st->help);   /* for the next frame */
  pthread_mutex_lock(&w->mu);
  w->frames++;
  w->lay = st->lay;
  pthread_mutex_unlock(&w->mu);
  st->dirty = 0;
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
      SDL_SetWindowTitle(st.win, w->title);
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
