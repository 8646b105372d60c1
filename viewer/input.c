/* input.c: the window's keys, typing and mouse on its view (input.h). */
#include "input.h"

#include <stdlib.h>
#include <string.h>

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

static int mouse(vw_view *v, const vw_layout *o, vw_input *st, const SDL_Event *ev) {
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
    if (!st->drag) return VW_IN_NONE;
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
    return VW_IN_NONE;
  }
  return VW_IN_REDRAW;
}

/* Typing a filter: keys type into v->typed. */
static int typing(vw_view *v, vw_input *in, const SDL_Event *ev) {
  size_t n = strlen(v->typed);
  if (ev->type == SDL_TEXTINPUT) {
    const char *t = ev->text.text;
    size_t k = strlen(t);
    if (in->skip_slash && !strcmp(t, "/")) { in->skip_slash = 0; return VW_IN_NONE; }
    in->skip_slash = 0;
    if (n + k >= sizeof v->typed) return VW_IN_NONE;
    memcpy(v->typed + n, t, k + 1);
    return VW_IN_REDRAW;
  }
  if (ev->type != SDL_KEYDOWN) return VW_IN_NONE;
  switch (ev->key.keysym.sym) {
  case SDLK_RETURN: case SDLK_KP_ENTER:
    memcpy(v->filter, v->typed, n + 1);
    v->typing = 0;
    v->page = 0;
    break;
  case SDLK_ESCAPE:
    v->typing = 0;
    v->typed[0] = v->filter[0] = 0;
    break;
  case SDLK_BACKSPACE:   /* a whole UTF-8 character */
    while (n > 0 && ((unsigned char)v->typed[n - 1] & 0xc0) == 0x80) n--;
    if (n > 0) n--;
    v->typed[n] = 0;
    break;
  default: return VW_IN_NONE;   /* its text comes as SDL_TEXTINPUT */
  }
  return VW_IN_REDRAW;
}

int vw_input_event(vw_view *v, const vw_layout *o, vw_input *in, const SDL_Event *ev) {
  int shift;
  if (v->typing) return typing(v, in, ev);
  if (ev->type == SDL_TEXTINPUT) return VW_IN_NONE;
  if (ev->type != SDL_KEYDOWN) return mouse(v, o, in, ev);
  shift = (ev->key.keysym.mod & KMOD_SHIFT) != 0;
  switch (ev->key.keysym.sym) {
  case SDLK_q: return VW_IN_CLOSE;
  case SDLK_ESCAPE:   /* a filter first, then the window */
    if (!v->filter[0]) return VW_IN_CLOSE;
    v->filter[0] = 0;
    break;
  case SDLK_SLASH: case SDLK_KP_DIVIDE:
    v->typing = 1;
    v->typed[0] = 0;
    in->skip_slash = 1;
    break;
  case SDLK_s: return VW_IN_SAVE;
  case SDLK_l: flip_flag(v, v->flip_log, &v->logy, o, shift); break;
  case SDLK_o: flip_flag(v, v->flip_robust, &v->robust, o, shift); break;
  case SDLK_t: turn_hist(v, o, shift); break;
  case SDLK_x: v->tag_axis = !v->tag_axis; break;
  case SDLK_w: v->xaxis = (v->xaxis + 1) % VW_X_MODES; break;
  case SDLK_m: v->smoothing = smooth_next(v->smoothing); break;
  case SDLK_SPACE: v->cursor = -1; break;
  case SDLK_PAGEDOWN: if (o->page + 1 < o->npages) v->page = o->page + 1; break;
  case SDLK_PAGEUP: v->page = o->page > 0 ? o->page - 1 : 0; break;
  case SDLK_HOME: v->page = 0; break;
  case SDLK_LEFT:
    if (v->cursor < 0) v->cursor = o->cursor;
    if (v->cursor > 0) v->cursor--;
    break;
  case SDLK_RIGHT:
    if (v->cursor >= 0 && v->cursor + 1 < o->nsteps) v->cursor++;
    break;
  default: return VW_IN_NONE;
  }
  return VW_IN_REDRAW;
}
