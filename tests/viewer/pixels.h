/* pixels.h: reading a rendered surface back in the drawing tests. */
#ifndef LUNET_TEST_PIXELS_H
#define LUNET_TEST_PIXELS_H

#include <SDL.h>

/* The 0xRRGGBB at (x, y) of a 32-bit surface, alpha dropped. */
static inline Uint32 pixel(SDL_Surface *s, int x, int y) {
  return ((Uint32 *)((char *)s->pixels + y * s->pitch))[x] & 0xffffff;
}

static inline Uint32 rgb(SDL_Color c) {
  return (Uint32)c.r << 16 | (Uint32)c.g << 8 | c.b;
}

/* Does a pixel of colour c lie within r pixels of (x, y)? */
static inline int near(SDL_Surface *s, int x, int y, int r, SDL_Color c) {
  int dx, dy;
  for (dy = -r; dy <= r; dy++)
    for (dx = -r; dx <= r; dx++) {
      int px = x + dx, py = y + dy;
      if (px < 0 || py < 0 || px >= s->w || py >= s->h) continue;
      if (pixel(s, px, py) == rgb(c)) return 1;
    }
  return 0;
}

/* Pixels of colour c in r (clipped to the surface). */
static inline int count_in(SDL_Surface *s, SDL_Rect r, Uint32 c) {
  int x, y, n = 0;
  for (y = r.y < 0 ? 0 : r.y; y < r.y + r.h && y < s->h; y++)
    for (x = r.x < 0 ? 0 : r.x; x < r.x + r.w && x < s->w; x++) n += pixel(s, x, y) == c;
  return n;
}

#endif
