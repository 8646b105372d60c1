/* text.c: fonts and a cache of string textures.
 *
 * FreeType's library object is shared by every font SDL_ttf opens and is not
 * thread-safe while faces are created or destroyed, so opening and closing
 * fonts is serialized by one mutex; rendering with distinct fonts from
 * distinct threads (a window and a save_png) is safe. TTF_Init runs once. */
#include "text.h"
#include "board.h"

#include <SDL_ttf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CACHE 1024   /* slots; flushed when 3/4 full */

static const int font_px[VW_NFONTS] = {11, 12, 14};
static pthread_mutex_t font_mu = PTHREAD_MUTEX_INITIALIZER;
static int ttf_ready;

typedef struct entry {
  char *s;
  int font;
  Uint32 rgba;
  SDL_Texture *tex;
  int w, h;
} entry;

struct vw_canvas {
  SDL_Renderer *r;
  TTF_Font *font[VW_NFONTS];
  entry cache[CACHE];
  int used;
};

vw_canvas *vw_canvas_new(SDL_Renderer *r) {
  vw_canvas *c = calloc(1, sizeof *c);
  const char *path = getenv(VW_FONT_ENV);
  int i, ok = 1;
  if (!c) { vw_fail("out of memory"); return NULL; }
  if (!path || !*path) path = VW_FONT_PATH;
  pthread_mutex_lock(&font_mu);
  if (!ttf_ready && TTF_Init() == 0) ttf_ready = 1;
  if (!ttf_ready) {
    vw_fail("cannot start SDL_ttf: %s", TTF_GetError());
    ok = 0;
  }
  for (i = 0; ok && i < VW_NFONTS; i++) {
    c->font[i] = TTF_OpenFont(path, font_px[i]);
    if (!c->font[i]) {
      vw_fail("cannot open font %s (install fonts-dejavu-core or set %s): %s",
              path, VW_FONT_ENV, TTF_GetError());
      ok = 0;
    }
  }
  pthread_mutex_unlock(&font_mu);
  c->r = r;
  if (!ok) { vw_canvas_free(c); return NULL; }
  return c;
}

static void flush(vw_canvas *c) {
  int i;
  for (i = 0; i < CACHE; i++)
    if (c->cache[i].s) {
      free(c->cache[i].s);
      SDL_DestroyTexture(c->cache[i].tex);
      c->cache[i].s = NULL;
    }
  c->used = 0;
}

void vw_canvas_free(vw_canvas *c) {
  int i;
  if (!c) return;
  flush(c);
  pthread_mutex_lock(&font_mu);
  for (i = 0; i < VW_NFONTS; i++)
    if (c->font[i]) TTF_CloseFont(c->font[i]);
  pthread_mutex_unlock(&font_mu);
  free(c);
}

SDL_Renderer *vw_canvas_renderer(vw_canvas *c) { return c->r; }

void vw_canvas_set_renderer(vw_canvas *c, SDL_Renderer *r) {
  flush(c);
  c->r = r;
}

static unsigned hash(const char *s, int font, Uint32 rgba) {
  unsigned h = 2166136261u ^ (unsigned)font ^ rgba * 16777619u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

/* The cached texture of s, rendering it on a miss. NULL for "" or on error. */
static entry *lookup(vw_canvas *c, int font, SDL_Color col, const char *s) {
  Uint32 rgba = (Uint32)col.r << 24 | (Uint32)col.g << 16 | col.b << 8 | col.a;
  unsigned i = hash(s, font, rgba) % CACHE;
  entry *e;
  SDL_Surface *surf;
  if (!*s) return NULL;
  if (c->used >= CACHE - 1) flush(c);
  for (;; i = (i + 1) % CACHE) {
    e = &c->cache[i];
    if (!e->s) break;
    if (e->font == font && e->rgba == rgba && strcmp(e->s, s) == 0) return e;
  }
  surf = TTF_RenderUTF8_Blended(c->font[font], s, col);
  if (!surf) return NULL;
  e->tex = SDL_CreateTextureFromSurface(c->r, surf);
  e->w = surf->w;
  e->h = surf->h;
  SDL_FreeSurface(surf);
  if (!e->tex) return NULL;
  e->s = strdup(s);
  if (!e->s) { SDL_DestroyTexture(e->tex); return NULL; }
  e->font = font;
  e->rgba = rgba;
  c->used++;
  return e;
}

int vw_text(vw_canvas *c, int font, SDL_Color col, int x, int y, int anchor,
            const char *s) {
  entry *e = lookup(c, font, col, s);
  SDL_Rect d;
  int w, h;
  if (!e) return 0;
  if (anchor & VW_VERTICAL) { w = e->h; h = e->w; }
  else { w = e->w; h = e->h; }
  d.x = anchor & VW_CENTER ? x - w / 2 : anchor & VW_RIGHT ? x - w : x;
  d.y = anchor & VW_MIDDLE ? y - h / 2 : anchor & VW_BOTTOM ? y - h : y;
  if (anchor & VW_VERTICAL) {
    /* Rotating about the centre: the unrotated box shares that centre. */
    SDL_Rect u;
    u.w = e->w;
    u.h = e->h;
    u.x = d.x + w / 2 - u.w / 2;
    u.y = d.y + h / 2 - u.h / 2;
    SDL_RenderCopyEx(c->r, e->tex, NULL, &u, -90, NULL, SDL_FLIP_NONE);
  } else {
    d.w = w;
    d.h = h;
    SDL_RenderCopy(c->r, e->tex, NULL, &d);
  }
  return e->w;
}

int vw_text_width(vw_canvas *c, int font, const char *s) {
  int w = 0;
  if (*s) TTF_SizeUTF8(c->font[font], s, &w, NULL);
  return w;
}

int vw_font_height(vw_canvas *c, int font) { return TTF_FontHeight(c->font[font]); }

void vw_canvas_end_frame(vw_canvas *c) {
  if (c->used > CACHE * 3 / 4) flush(c);
}
