/* draw_legend.c: a scalar panel's legend, outside its plot: on the title's
 * line when it fits there, else in lines of its own between the title and
 * the plot (never over the data). Each entry: the run's colour, its name,
 * its newest value, and in red the step it first went NaN/Inf, which stays
 * after the series recovers. A hidden run (clicked in the window) is drawn
 * hollow and grey. Entries that do not fit the lines allowed end in
 * "+N more". */
#include "draw_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SWATCH 18
#define GAP 14

/* The entries of group gi, measured. */
void legend_measure(frame *f, int gi, legend *lg) {
  size_t i;
  memset(lg, 0, sizeof *lg);
  for (i = 0; i < f->s->ns; i++) {
    const vw_sseries *s = &f->s->s[i];
    legend_entry *e;
    char num[32], name[80];
    double last;
    if (f->gr.of[i] != gi) continue;
    if (lg->n == LEGEND_MAX) { lg->more++; continue; }
    e = &lg->e[lg->n++];
    e->series = (int)i;
    e->run = f->srun[i];
    e->hidden = run_hidden(f, e->run);
    e->col = vw_run_color(e->run);
    last = s->n ? s->pts[s->n - 1].value : 0;
    fit_keep(f, VW_NORMAL, *s->run ? s->run : s->tag, 160, f->run_pre, f->run_suf, name,
             sizeof name);
    fmt_num(num, sizeof num, last);
    e->warn[0] = 0;
    if (s->bad) {
      char at[32];
      fmt_num(at, sizeof at, s->bad_step);
      if (isfinite(last)) {   /* recovered: the newest value, the mark stays */
        snprintf(e->text, sizeof e->text, "%s  %s", name, num);
        snprintf(e->warn, sizeof e->warn, " NaN/Inf at %s", at);
      } else {
        snprintf(e->text, sizeof e->text, "%s", name);
        snprintf(e->warn, sizeof e->warn, "  %s (NaN/Inf from %.16s %s)", num, step_word(f), at);
      }
    } else {
      snprintf(e->text, sizeof e->text, "%s  %s", name, s->n ? num : "");
    }
    e->w = SWATCH + 5 + vw_text_width(f->c, VW_NORMAL, e->text) +
           vw_text_width(f->c, VW_NORMAL, e->warn);
    lg->width += e->w + (lg->n > 1 ? GAP : 0);
  }
}

static int more_width(frame *f, int n) {
  char buf[32];
  snprintf(buf, sizeof buf, "+%d more", n);
  return vw_text_width(f->c, VW_NORMAL, buf);
}

/* Places the entries in lines of width w, at most max_lines of them;
 * returns the lines used. */
int legend_layout(frame *f, legend *lg, int w, int max_lines) {
  int i, x = 0, line = 0;
  lg->shown = 0;
  for (i = 0; i < lg->n; i++) {
    legend_entry *e = &lg->e[i];
    int rest = lg->n - i - 1 + lg->more;   /* after this one */
    int need = e->w + (rest && line == max_lines - 1 ? GAP + more_width(f, rest) : 0);
    if (x > 0 && x + need > w) { line++; x = 0; }
    if (line >= max_lines) break;
    e->x = x;
    e->line = line;
    x += e->w + GAP;
    lg->shown++;
  }
  lg->lines = lg->n ? (line < max_lines ? line + 1 : max_lines) : 0;
  return lg->lines;
}

/* Draws the laid-out entries from (x, y), a line lh high, right-aligned
 * to x + w when right is set (one line only); records them for panel. */
void legend_draw(frame *f, const legend *lg, int x, int y, int w, int right, int panel) {
  int i, lh = vw_font_height(f->c, VW_NORMAL), more = lg->n - lg->shown + lg->more;
  int x0 = right ? x + w - lg->width : x, endx = x0;
  for (i = 0; i < lg->shown; i++) {
    const legend_entry *e = &lg->e[i];
    int ex = x0 + e->x, cy = y + e->line * lh + lh / 2, tx = ex + SWATCH + 5;
    SDL_Color tc = e->hidden ? grey : ink;
    if (e->hidden) {   /* hollow: the run is not drawn */
      SDL_Rect r = {ex, cy - 3, SWATCH, 7};
      set_color(f->r, e->col);
      SDL_RenderDrawRect(f->r, &r);
    } else {
      set_color(f->r, e->col);
      fill_rect(f->r, ex, cy - 1, SWATCH, 3);
    }
    tx += vw_text(f->c, VW_NORMAL, tc, tx, cy, VW_MIDDLE, e->text);
    if (e->warn[0]) vw_text(f->c, VW_NORMAL, vw_warn, tx, cy, VW_MIDDLE, e->warn);
    if (e->line == lg->lines - 1 && ex + e->w > endx) endx = ex + e->w;
    if (f->out->nlegend < VW_MAXLEGEND) {
      vw_legend_item *it = &f->out->legend[f->out->nlegend++];
      it->swatch.x = ex;
      it->swatch.y = cy - 1;
      it->swatch.w = SWATCH;
      it->swatch.h = 3;
      it->box.x = ex - 2;
      it->box.y = cy - lh / 2;
      it->box.w = e->w + 4;
      it->box.h = lh;
      it->color = e->col;
      it->panel = panel;
      it->run = e->run;
      it->hidden = e->hidden;
      snprintf(it->name, sizeof it->name, "%s%s", e->text, e->warn);
    }
  }
  if (more > 0) {
    char buf[32];
    snprintf(buf, sizeof buf, "+%d more", more);
    vw_text(f->c, VW_NORMAL, vw_warn, endx + GAP, y + (lg->lines - 1) * lh + lh / 2,
            VW_MIDDLE, buf);
  }
}
