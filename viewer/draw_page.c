/* draw_page.c: what goes where. The runs, the histogram grid and the scalar
 * groups of a snapshot, and the pages: panels keep a minimum size, so a
 * board that holds more than fits is drawn a page at a time, every tag on
 * some page, and the page says what is on the others. */
#include "draw_int.h"
#include "hist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

/* The smallest panels: a histogram's title, statistics line, plot and
 * ticks; a scalar panel's title, legend line, plot and axes. */
#define HMIN_W 150
#define HMIN_H 120
#define SMIN_W 300
#define SMIN_H 170
#define SPLIT 58   /* percent of the height for histograms when both kinds show */

/* The index of name in names[0..*n), appended when new. */
static int slot(const char **names, int *n, const char *name) {
  int i;
  for (i = *n - 1; i >= 0; i--)   /* the newest first: tags come in runs */
    if (strcmp(names[i], name) == 0) return i;
  names[*n] = name;
  return (*n)++;
}

typedef struct seqname { int seq; const char *run; } seqname;

static int cmp_seq(const void *a, const void *b) {
  return ((const seqname *)a)->seq - ((const seqname *)b)->seq;
}

/* Runs ordered by the creation of their first tag, either kind. */
static int collect_runs(frame *f) {
  const vw_snap *s = f->s;
  size_t i, n = s->ns + s->nh;
  seqname *t = malloc((n ? n : 1) * sizeof *t);
  f->runs = malloc((n ? n : 1) * sizeof *f->runs);
  f->srun = malloc((s->ns ? s->ns : 1) * sizeof *f->srun);
  f->hrun = malloc((s->nh ? s->nh : 1) * sizeof *f->hrun);
  if (!t || !f->runs || !f->srun || !f->hrun) { free(t); return -1; }
  for (i = 0; i < s->ns; i++) { t[i].seq = s->s[i].seq; t[i].run = s->s[i].run; }
  for (i = 0; i < s->nh; i++) { t[s->ns + i].seq = s->h[i].seq; t[s->ns + i].run = s->h[i].run; }
  qsort(t, n, sizeof *t, cmp_seq);
  f->nruns = 0;
  for (i = 0; i < n; i++) slot(f->runs, &f->nruns, t[i].run);
  free(t);
  for (i = 0; i < s->ns; i++) f->srun[i] = slot(f->runs, &f->nruns, s->s[i].run);
  for (i = 0; i < s->nh; i++) f->hrun[i] = slot(f->runs, &f->nruns, s->h[i].run);
  /* each run's first record: entry 0 of a tag is its first write, kept */
  f->run_t0 = malloc((size_t)(f->nruns ? f->nruns : 1) * sizeof *f->run_t0);
  if (!f->run_t0) return -1;
  for (i = 0; i < (size_t)f->nruns; i++) f->run_t0[i] = INFINITY;
  for (i = 0; i < s->ns; i++)
    if (s->s[i].n && s->s[i].pts[0].wall < f->run_t0[f->srun[i]])
      f->run_t0[f->srun[i]] = s->s[i].pts[0].wall;
  for (i = 0; i < s->nh; i++)
    if (s->h[i].n && s->h[i].h[0].wall < f->run_t0[f->hrun[i]])
      f->run_t0[f->hrun[i]] = s->h[i].h[0].wall;
  f->out->nruns = f->nruns;
  common_ends(f->runs, f->nruns, &f->run_pre, &f->run_suf);
  return 0;
}

int tag_matches(const char *tag, const char *pat) {
  size_t n = strlen(pat), i;
  const char *t;
  if (!n) return 1;
  for (t = tag; *t; t++) {
    for (i = 0; i < n && t[i] && tolower((unsigned char)t[i]) == tolower((unsigned char)pat[i]);
         i++) {}
    if (i == n) return 1;
  }
  return 0;
}

static int make_grid(frame *f) {
  const vw_snap *s = f->s;
  grid *g = &f->g;
  size_t i, j, n = s->nh ? s->nh : 1;
  int k;
  g->rows = malloc(n * sizeof *g->rows);
  g->cols = malloc(n * sizeof *g->cols);
  g->lo = malloc(n * sizeof *g->lo);
  g->hi = malloc(n * sizeof *g->hi);
  g->row = malloc(n * sizeof *g->row);
  g->col = malloc(n * sizeof *g->col);
  g->point = calloc(n, sizeof *g->point);
  if (!g->rows || !g->cols || !g->lo || !g->hi || !g->row || !g->col || !g->point) return -1;
  for (i = 0; i < n; i++) { g->lo[i] = INFINITY; g->hi[i] = -INFINITY; }
  /* tags are stored in creation order, which is the order rows and
   * columns first appear in */
  for (i = 0; i < s->nh; i++) {
    int c;
    if (!tag_matches(s->h[i].tag, f->v->filter)) {   /* not laid out */
      g->row[i] = g->col[i] = -1;
      continue;
    }
    g->row[i] = slot(g->rows, &g->nrows, s->h[i].run);
    g->col[i] = c = slot(g->cols, &g->ncols, s->h[i].layer);
    for (j = 0; j < s->h[i].n; j++) {
      double lo, hi;
      if (!vw_hist_span(&s->h[i].h[j], &lo, &hi)) continue;
      if (lo < g->lo[c]) g->lo[c] = lo;
      if (hi > g->hi[c]) g->hi[c] = hi;
    }
  }
  common_ends(g->cols, g->ncols, &g->pre, &g->suf);
  for (k = 0; k < g->ncols; k++) {
    if (g->lo[k] > g->hi[k]) { g->lo[k] = -1; g->hi[k] = 1; }
    else if (g->lo[k] == g->hi[k]) { widen_point(&g->lo[k], &g->hi[k], 0.5); g->point[k] = 1; }
  }
  return 0;
}

static int make_groups(frame *f) {
  const vw_snap *s = f->s;
  groups *gr = &f->gr;
  size_t i, n = s->ns ? s->ns : 1;
  gr->name = malloc(n * sizeof *gr->name);
  gr->of = malloc(n * sizeof *gr->of);
  if (!gr->name || !gr->of) return -1;
  for (i = 0; i < s->ns; i++)
    gr->of[i] = tag_matches(s->s[i].tag, f->v->filter) ? slot(gr->name, &gr->n, s->s[i].group)
                                                        : -1;
  return 0;
}

void free_plan(frame *f) {
  free(f->runs);
  free(f->srun);
  free(f->hrun);
  free(f->run_t0);
  free(f->g.rows);
  free(f->g.cols);
  free(f->g.lo);
  free(f->g.hi);
  free(f->g.row);
  free(f->g.col);
  free(f->g.point);
  free(f->gr.name);
  free(f->gr.of);
}

static int imax(int a, int b) { return a > b ? a : b; }
static int imin(int a, int b) { return a < b ? a : b; }

/* What one page holds: units [u0, u1) and groups [g0, g1), and whether
 * both kinds share it (split) or one has the whole area. */
typedef struct pagecut { int u0, u1, g0, g1, split; } pagecut;

typedef struct capacity {
  int units, ugroups;   /* all units, all groups to place */
  int split;            /* whether both kinds may share a page */
  int hs, hf, ss, sf;   /* units / groups a page: split, full */
} capacity;

/* Cuts the board into pages; returns how many, page `want` in *cut (the
 * last when want is past it). */
static int cut_pages(const capacity *c, int want, pagecut *cut) {
  int u = 0, g = 0, n = 0;
  memset(cut, 0, sizeof *cut);
  while (u < c->units || g < c->ugroups || n == 0) {
    pagecut p;
    p.u0 = u;
    p.g0 = g;
    p.split = c->split && u < c->units && g < c->ugroups;
    if (p.split) { u += c->hs; g += c->ss; }
    else if (u < c->units) u += c->hf;
    else g += c->sf;
    p.u1 = imin(u, c->units);
    p.g1 = imin(g, c->ugroups);
    if (n <= want) *cut = p;
    n++;
    if (!c->units && !c->ugroups) break;
  }
  return n;
}

/* Sizes the grid and the groups for area and cuts the pages. */
static int layout(frame *f, SDL_Rect area, int hist, int scal, pagecut *cut,
                  SDL_Rect *harea, SDL_Rect *sarea) {
  grid *g = &f->g;
  groups *gr = &f->gr;
  capacity c;
  SDL_Rect top = area, bottom = area;
  int npages, per_page, rows_need;
  memset(&c, 0, sizeof c);
  /* both kinds on a page when each keeps a panel worth reading; in a
   * small picture they take pages of their own */
  c.split = hist && scal && area.h * SPLIT / 100 >= HMIN_H * 4 / 5 &&
            area.h - area.h * SPLIT / 100 >= 100;
  top.h = c.split ? area.h * SPLIT / 100 : area.h;
  bottom.y = area.y + (c.split ? top.h : 0);
  bottom.h = area.h - (c.split ? top.h : 0);
  if (hist) {
    int fit = imin(imax(1, (area.w - 12) / HMIN_W), VW_MAXPANELS / 2);
    g->cpb = imin(g->ncols, fit);
    g->nbands = (g->ncols + g->cpb - 1) / g->cpb;
    g->cpb = (g->ncols + g->nbands - 1) / g->nbands;   /* bands of equal width */
    c.units = g->nrows * g->nbands;
    /* room for the scalar panels of a page in the layout's records */
    per_page = imax(1, (VW_MAXPANELS - 3 * (c.split ? imax(1, bottom.h / SMIN_H) : 0)) / g->cpb);
    c.hs = imin(imax(1, top.h / HMIN_H), per_page);
    c.hf = imin(imax(1, area.h / HMIN_H), per_page);
  }
  if (scal) {
    gr->per = imin(gr->n, imin(3, imax(1, area.w / SMIN_W)));
    c.ugroups = gr->n;
    c.ss = gr->per * imax(1, bottom.h / SMIN_H);
    c.sf = gr->per * imax(1, area.h / SMIN_H);
  }
  npages = cut_pages(&c, f->v->page < 0 ? 0 : f->v->page, cut);
  *harea = cut->split ? top : area;
  *sarea = cut->split ? bottom : area;
  if (hist) {
    int cap = cut->split ? c.hs : c.hf;
    g->unit0 = cut->u0;
    g->unit1 = cut->u1;
    g->cell_w = (harea->w - 12) / g->cpb;
    g->cell_h = harea->h / imax(1, imin(cap, c.units));
  }
  if (scal) {
    int cap = (cut->split ? c.ss : c.sf) / gr->per;
    rows_need = (gr->n + gr->per - 1) / gr->per;
    gr->g0 = cut->g0;
    gr->g1 = cut->g1;
    gr->rows = imax(1, imin(cap, rows_need));
  }
  return npages;
}

/* "page 2 of 6 · not on this page: 76 histograms, 17 scalar panels". */
static void make_notice(frame *f, int npages) {
  vw_layout *o = f->out;
  int n = 0, off_h = o->hist_tags - o->hist_drawn, off_g = o->groups - o->groups_drawn;
  size_t sz = sizeof o->notice;
  o->notice[0] = 0;
  if (f->v->filter[0])
    n += snprintf(o->notice, sz, "filter \"%.40s\": %d of %d tag%s match%s", f->v->filter,
                  o->tags_match, o->tags_total, o->tags_total == 1 ? "" : "s",
                  o->tags_match == 1 && o->tags_total == 1 ? "es" : "");
  if (npages > 1)
    n += snprintf(o->notice + n, sz - n, "%spage %d of %d", n ? " \xc2\xb7 " : "", o->page + 1,
                  npages);
  if (!off_h && !off_g) return;
  n += snprintf(o->notice + n, sz - n, "%s", n ? " \xc2\xb7 " : "");
  n += snprintf(o->notice + n, sz - n, "not on this page: ");
  if (off_h)
    n += snprintf(o->notice + n, sz - n, "+%d histogram%s%s", off_h, off_h == 1 ? "" : "s",
                  off_g ? ", " : "");
  if (off_g) snprintf(o->notice + n, sz - n, "+%d scalar panel%s", off_g, off_g == 1 ? "" : "s");
}

/* Histogram tags on the page: those with snapshots, in its units. */
static int hist_on_page(const frame *f, int *all) {
  size_t i;
  int n = 0;
  *all = 0;
  for (i = 0; i < f->s->nh; i++) {
    int u = f->g.col[i] / f->g.cpb * f->g.nrows + f->g.row[i];
    if (!f->s->h[i].n || f->g.col[i] < 0) continue;
    ++*all;
    n += u >= f->g.unit0 && u < f->g.unit1;
  }
  return n;
}

int plan_pages(frame *f, SDL_Rect area, SDL_Rect *hist_area, SDL_Rect *scal_area) {
  const vw_snap *s = f->s;
  int hist = s->nh && f->v->panels != VW_PANELS_SCALARS;
  int scal = s->ns && f->v->panels != VW_PANELS_HISTOGRAMS;
  int npages, lh = vw_font_height(f->c, VW_NORMAL) + 4;
  pagecut cut;
  size_t i;
  if (collect_runs(f) < 0 || make_grid(f) < 0 || make_groups(f) < 0) return -1;
  /* what the filter lets through, of the tags that would be drawn */
  f->out->tags_total = f->out->tags_match = 0;
  for (i = 0; hist && i < s->nh; i++) {
    f->out->tags_total += s->h[i].n > 0;
    f->out->tags_match += s->h[i].n > 0 && f->g.col[i] >= 0;
  }
  for (i = 0; scal && i < s->ns; i++) {
    f->out->tags_total++;
    f->out->tags_match += f->gr.of[i] >= 0;
  }
  if (!hist) f->g.nrows = f->g.ncols = 0;
  if (!scal) f->gr.n = 0;
  hist = hist && f->g.ncols;
  scal = scal && f->gr.n;
  npages = layout(f, area, hist, scal, &cut, hist_area, scal_area);
  if (npages > 1 || f->v->filter[0]) {   /* the notice takes a line of its own: cut again */
    area.h -= lh;
    npages = layout(f, area, hist, scal, &cut, hist_area, scal_area);
    f->out->notice_box.x = 0;
    f->out->notice_box.y = area.y + area.h;
    f->out->notice_box.w = area.w;
    f->out->notice_box.h = lh;
  }
  f->out->npages = npages;
  f->out->page = f->v->page < 0 ? 0 : f->v->page >= npages ? npages - 1 : f->v->page;
  if (hist) f->out->hist_drawn = hist_on_page(f, &f->out->hist_tags);
  if (scal) {
    f->out->groups = f->gr.n;
    f->out->groups_drawn = f->gr.g1 - f->gr.g0;
  }
  if (!hist) { f->g.unit0 = f->g.unit1 = 0; hist_area->h = 0; }
  if (!scal) { f->gr.g0 = f->gr.g1 = 0; scal_area->h = 0; }
  make_notice(f, npages);
  return 0;
}
