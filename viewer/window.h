/* window.h: the live window, on a thread of its own.
 *
 * Every SDL call of a window (init, window, events, drawing, quit) happens
 * on that one thread; the caller's thread only starts it, flips a flag to
 * close it and joins it. The window reads the board through its own vw_snap
 * (copy-on-read), so training never waits for drawing. One window at a time
 * per process, since SDL's video subsystem is per process. */
#ifndef VW_WINDOW_H
#define VW_WINDOW_H

#include "board.h"
#include "draw.h"

typedef struct vw_window vw_window;

/* Opens a window on b (taking a reference) and returns once it is shown,
 * or NULL with vw_error() when there is no display or SDL fails. */
vw_window *vw_window_open(vw_board *b, const vw_view *v, const char *title);
int vw_window_is_open(vw_window *w);
/* Blocks until the window is closed (by the user or vw_window_close). */
void vw_window_wait(vw_window *w);
/* Closes the window (if still open) and waits for its thread to end. */
void vw_window_close(vw_window *w);
/* Closes and frees w. */
void vw_window_free(vw_window *w);
/* Frames drawn so far (for tests). */
long vw_window_frames(vw_window *w);
/* A copy of the last frame's layout (for tests: what the mouse points at). */
void vw_window_layout(vw_window *w, vw_layout *out);

#endif
