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
/* Writes a line per histogram snapshot as CSV: tag, step, wall (seconds
 * since 1970), count (every value), finite, mean, std, min, max (of the
 * finite values, 0 included when there are zeros), zeros, nan, pinf, ninf,
 * saturated, saturation (the |x| it counts above), and the percentiles
 * p0, p6.68, p15.87, p30.85, p50, p69.15, p84.13, p93.32, p100 (hist.h);
 * the statistics of a snapshot without finite values are empty. */
int vw_save_hist_csv(vw_board *b, const char *path);
/* Writes the board as JSON (the schema is in docs/api.md, Board:save_json):
 * every kept scalar point with its wall time, every histogram snapshot's
 * summary as in vw_save_hist_csv, and the axis titles. */
int vw_save_json(vw_board *b, const char *path);

#endif
