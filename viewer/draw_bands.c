/* draw_bands.c: a histogram panel as TensorBoard's distributions: over the
 * steps (or the time) of its snapshots, shaded bands between the
 * percentiles of vw_quant (min..max, 7..93, 16..84, 31..69 %), darker
 * towards the middle, and the median as a line. Between two snapshots the
 * percentiles are interpolated linearly; a snapshot with no finite value
 * leaves a gap, marked red under the plot. */
#include "draw_int.h"
#include "hist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bsnap {
  double x;                 /* on the x axis */
  double q[VW_NQUANT];
  int ok;                   /* has finite values */
} bsnap;

static int cmp_x(const void *a, const void *b) {
  double x = ((const bsnap *)a)->x, y = ((const bsnap *)b)->x;
  return x < y ? -1 : x > y;
}

/* Tick labels of one axis of the plot p: under it (x) or left of it (y). */
static void band_ticks(frame *f, const SDL_Rect *p, const pxmap *m, double a, double b,
                       int vertical, int time, int panel, ticks *t, int draw) {
  tick_axis ax;
  int i;
  memset(&ax, 0, sizeof ax);
  ax.m = m;
  ax.a = a;
  ax.b = b;
  ax.font = VW_SMALL;
  ax.vertical = vertical;
  ax.time = time;
  ax.lo = vertical ? p->y - 2 : p->x - 4;
  ax.hi = vertical ? p->y + p->h + 2 : p->x + p->w + 4;
  ax.minsp = vertical ? 28 : 45;
  choose_ticks(f, &ax, t);
  if (!draw) return;
  set_color(f->r, grey);
  for (i = 0; i < t->n; i++) {
    if (vertical) SDL_RenderDrawLine(f->r, p->x - 3, t->px[i], p->x - 1, t->px[i]);
    else SDL_RenderDrawLine(f->r, t->px[i], p->y + p->h, t->px[i], p->y + p->h + 2);
  }
  draw_tick_labels(f, &ax, t, vertical ? p->x - 4 : p->y + p->h + 3, grey, panel);
}

/* The snapshots of t on the x axis, sorted; NULL when out of memory. */
static bsnap *band_snaps(frame *f, const vw_shist *t, int run) {
  bsnap *bs = malloc((t->n ? t->n : 1) * sizeof *bs);
  size_t i;
  if (!bs) return NULL;
  for (i = 0; i < t->n; i++) {
    bs[i].x = x_of(f, run, t->h[i].step, t->h[i].wall);
    bs[i].ok = vw_hist_quant_at(t, i, bs[i].q);
  }
  qsort(bs, t->n, sizeof *bs, cmp_x);
  return bs;
}

/* The median's line over a run of columns. */
static void draw_median(frame *f, const SDL_Point *pt, int n, SDL_Color col) {
  set_color(f->r, col);
  if (n > 1) SDL_RenderDrawLines(f->r, pt, n);
  else SDL_RenderDrawPoint(f->r, pt[0].x, pt[0].y);
}

void draw_bands(frame *f, vw_panel *pp, const vw_shist *t, int run, SDL_Color col,
                int panel) {
  SDL_Rect *p = &pp->plot;
  bsnap *bs = band_snaps(f, t, run);
  pxmap mx, my;
  ticks yt, xt;
  int i, j, r, left = 0, c, k = 0, nmed = 0;
  SDL_Surface *img = NULL;
  SDL_Texture *tex;
  SDL_Point *med = NULL;
  Uint32 shade[VW_NQUANT / 2 + 1];
  size_t n = t->n;
  double x0, x1;
  if (!bs || !n) { free(bs); return; }
  x0 = bs[0].x;
  x1 = bs[n - 1].x;
  if (!(x0 < x1)) widen_point(&x0, &x1, f->v->xaxis == VW_X_STEP ? 0.5 : 1);
  /* the value labels first: their width is the plot's left margin */
  pxmap_init(&my, pp->y0, pp->y1, p->y + p->h - 1, p->y);
  band_ticks(f, p, &my, pp->y0, pp->y1, 1, 0, panel, &yt, 0);
  for (i = 0; i < yt.n; i++)
    if (yt.w[i] > left) left = yt.w[i];
  if (left + 6 < p->w / 3) {
    p->x += left + 6;
    p->w -= left + 6;
  }
  set_color(f->r, vw_background);
  fill_rect(f->r, p->x, p->y, p->w, p->h);
  set_color(f->r, light);
  SDL_RenderDrawRect(f->r, p);
  pxmap_init(&mx, x0, x1, p->x, p->x + p->w - 1);
  band_ticks(f, p, &my, pp->y0, pp->y1, 1, 0, panel, &yt, 1);
  band_ticks(f, p, &mx, x0, x1, 0, f->v->xaxis, panel, &xt, 1);
  pp->x0 = x0;
  pp->x1 = x1;
  pp->xaxis = f->v->xaxis;
  /* the bands as one image: a pixel's shade is how many bands cover it */
  img = SDL_CreateRGBSurfaceWithFormat(0, p->w, p->h, 32, SDL_PIXELFORMAT_ARGB8888);
  med = malloc((size_t)p->w * sizeof *med);
  if (!img || !med) goto done;
  for (j = 0; j <= VW_NQUANT / 2; j++) {
    double keep = pow(1 - 56 / 255.0, j);   /* of white, under j bands */
    Uint8 cr = (Uint8)lround(255 - (255 - col.r) * (1 - keep));
    Uint8 cg = (Uint8)lround(255 - (255 - col.g) * (1 - keep));
    Uint8 cb = (Uint8)lround(255 - (255 - col.b) * (1 - keep));
    shade[j] = 0xff000000u | (Uint32)cr << 16 | (Uint32)cg << 8 | cb;
  }
  for (r = 0; r < p->h; r++) {
    Uint32 *row = (Uint32 *)((char *)img->pixels + r * img->pitch);
    for (c = 0; c < p->w; c++) row[c] = shade[0];
  }
  for (c = 0; c < p->w; c++) {
    double x = x0 + (x1 - x0) * c / (p->w > 1 ? p->w - 1 : 1), u, q[VW_NQUANT];
    const bsnap *a, *b;
    int band;
    while (k + 1 < (int)n && bs[k + 1].x <= x) k++;
    a = &bs[k];
    b = k + 1 < (int)n ? &bs[k + 1] : a;
    if (x < a->x) b = a;   /* left of the first snapshot (a widened point) */
    if (!a->ok || !b->ok) {   /* a gap: the median's line breaks */
      if (nmed) draw_median(f, med, nmed, col);
      nmed = 0;
      continue;
    }
    u = b->x > a->x ? (x - a->x) / (b->x - a->x) : 0;
    for (j = 0; j < VW_NQUANT; j++) q[j] = a->q[j] + (b->q[j] - a->q[j]) * u;
    /* outermost band first: each inner one adds a shade */
    for (band = 0; band < VW_NQUANT / 2; band++) {
      int ylo = pxmap_at(&my, q[band]) - p->y, yhi = pxmap_at(&my, q[VW_NQUANT - 1 - band]) - p->y;
      if (yhi < 0) yhi = 0;
      if (ylo > p->h - 1) ylo = p->h - 1;
      for (r = yhi; r <= ylo; r++) {
        Uint32 *px = (Uint32 *)((char *)img->pixels + r * img->pitch) + c;
        if (*px == shade[band]) *px = shade[band + 1];
      }
    }
    med[nmed].x = p->x + c;
    med[nmed++].y = pxmap_at(&my, q[VW_NQUANT / 2]);
  }
  tex = SDL_CreateTextureFromSurface(f->r, img);
  if (tex) {
    SDL_RenderCopy(f->r, tex, NULL, p);
    SDL_DestroyTexture(tex);
  }
  set_color(f->r, light);
  SDL_RenderDrawRect(f->r, p);
  SDL_RenderSetClipRect(f->r, p);
  if (nmed) draw_median(f, med, nmed, col);
  /* snapshots with no finite value: a red mark at the foot */
  set_color(f->r, vw_warn);
  for (k = 0; k < (int)n; k++)
    if (!bs[k].ok) fill_rect(f->r, pxmap_at(&mx, bs[k].x) - 1, p->y + p->h - 5, 3, 5);
  /* the zero line and the snapshot the bars would show */
  if (pp->y0 < 0 && pp->y1 > 0) {
    SDL_Color zc = {0, 0, 0, 60};
    int y = pxmap_at(&my, 0);
    set_color(f->r, zc);
    SDL_RenderDrawLine(f->r, p->x, y, p->x + p->w - 1, y);
  }
  if (pp->snap >= 0 && n > 1) {
    const vw_hist *h = &t->h[pp->snap];
    SDL_Color cur = {34, 34, 34, 110};
    int x = pxmap_at(&mx, x_of(f, run, h->step, h->wall));
    set_color(f->r, cur);
    SDL_RenderDrawLine(f->r, x, p->y, x, p->y + p->h - 1);
  }
  SDL_RenderSetClipRect(f->r, NULL);
done:
  if (img) SDL_FreeSurface(img);
  free(med);
  free(bs);
}

/* The snapshot of t nearest to x on panel pp's axis, or -1. */
long bands_nearest(frame *f, const vw_panel *pp, const vw_shist *t, int run, double x) {
  long best = -1;
  double d = INFINITY;
  size_t i;
  (void)pp;
  for (i = 0; i < t->n; i++) {
    double e = fabs(x_of(f, run, t->h[i].step, t->h[i].wall) - x);
    if (e < d) { d = e; best = (long)i; }
  }
  return best;
}
