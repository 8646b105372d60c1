/* input.h: what the window's keys, typing and mouse do to its view.
 *
 * Plain functions of the view, the last frame's layout and an SDL event,
 * with no window: the window thread calls them, and tests call them with
 * events they make. */
#ifndef VW_INPUT_H
#define VW_INPUT_H

#include <SDL.h>
#include "draw.h"

/* What the input keeps between events: a drag being made, and whether the
 * text of the '/' that started a filter is still to come (SDL sends the
 * key, then its text). */
typedef struct vw_input {
  int drag, drag_x, drag_y, drag_panel;
  int skip_slash;
} vw_input;

enum { VW_IN_NONE, VW_IN_REDRAW, VW_IN_SAVE, VW_IN_CLOSE };

/* Applies a key, text or mouse event to v (o: the frame the user sees).
 * Returns VW_IN_REDRAW when v changed, VW_IN_SAVE for `s`, VW_IN_CLOSE for
 * q and for Esc with no filter to clear, else VW_IN_NONE. While a filter is
 * typed (`/`), keys type: Enter applies it, Esc drops it and clears the
 * filter, Backspace takes a character back. */
int vw_input_event(vw_view *v, const vw_layout *o, vw_input *in, const SDL_Event *ev);

#endif
