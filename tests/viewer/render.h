/* render.h: a board drawn headless for the drawing tests. */
#ifndef LUNET_TEST_RENDER_H
#define LUNET_TEST_RENDER_H

#include "board.h"
#include "draw.h"

/* b drawn through a fresh snapshot with view v, its layout in *lay; NULL
 * (and vw_error()) when it cannot be drawn. */
static inline SDL_Surface *render_board(vw_board *b, const vw_view *v, vw_layout *lay) {
  vw_snap *s = vw_snap_new();
  SDL_Surface *surf = NULL;
  if (s && vw_snap_sync(s, b) >= 0) surf = vw_render(s, v, lay);
  vw_snap_free(s);
  return surf;
}

#endif
