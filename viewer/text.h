/* text.h: a drawing target (an SDL renderer) with fonts and a cache of
 * rendered strings. Every call on one canvas must come from one thread. */
#ifndef VW_TEXT_H
#define VW_TEXT_H

#include <SDL.h>

#define VW_FONT_ENV "LUNET_FONT"
#define VW_FONT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

enum { VW_SMALL, VW_NORMAL, VW_TITLE, VW_NFONTS };
/* Anchor of the point given to vw_text. */
enum { VW_LEFT = 0, VW_CENTER = 1, VW_RIGHT = 2, VW_TOP = 0, VW_MIDDLE = 4,
       VW_BOTTOM = 8, VW_VERTICAL = 16 };

typedef struct vw_canvas vw_canvas;

/* Opens the fonts (DejaVu Sans, or $LUNET_FONT). NULL and vw_error() when
 * they cannot be opened. */
vw_canvas *vw_canvas_new(SDL_Renderer *r);
void vw_canvas_free(vw_canvas *c);
SDL_Renderer *vw_canvas_renderer(vw_canvas *c);
/* Points the canvas at another renderer (a resized window): drops the cache,
 * so call it while the old renderer still exists (it owns those textures). */
void vw_canvas_set_renderer(vw_canvas *c, SDL_Renderer *r);

/* Draws s with the anchor at (x, y); VW_VERTICAL turns it to read upwards.
 * Returns the text's width in pixels. */
int vw_text(vw_canvas *c, int font, SDL_Color col, int x, int y, int anchor,
            const char *s);
int vw_text_width(vw_canvas *c, int font, const char *s);
int vw_font_height(vw_canvas *c, int font);
/* Called after each frame: keeps the cache bounded. */
void vw_canvas_end_frame(vw_canvas *c);

#endif
