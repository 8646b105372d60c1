/* export.h: the board to files, without any display. */
#ifndef VW_EXPORT_H
#define VW_EXPORT_H

#include "board.h"
#include "draw.h"

/* Draws b as v describes (vw_render) and writes a PNG. */
int vw_save_png(vw_board *b, const char *path, const vw_view *v);
/* Writes every kept scalar point as CSV: tag,step,value (a header line
 * first; tags quoted when they hold a comma or a quote). */
int vw_save_csv(vw_board *b, const char *path);

#endif
