/* l_tensor_print.c: tensors as text, in Torch7's manner: rows of aligned
 * numbers, slices of more than two dimensions under a "(i,j,.,.) =" header,
 * then the type and shape. Big tensors are summarised as PyTorch does: the
 * first and last EDGE rows, columns and slices, with "..." between. Values
 * are read through the strides, so views print as they are. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lunet.h"

#define EDGE 3        /* rows/columns/slices kept at each end of a summarised axis */
#define SUMMARY 1000  /* tensors with more elements than this are summarised */

typedef struct fmt {
  char spec[16];
  int width;
} fmt;

/* A tensor as slices of matrices: the slice index runs over the leading
 * dimensions (all but the last two), rows and columns over the last two (a
 * 1-D tensor is one row). */
typedef struct layout {
  const ln_tensor *t;
  int lead;               /* leading dimensions */
  size_t rows, cols;
  ptrdiff_t rs, cs;
  int summarise;
} layout;

/* The shown index after i (n when none): a summarised axis jumps from its
 * first EDGE to its last EDGE. */
static size_t next_shown(size_t i, size_t n, int summarise) {
  return summarise && n > 2 * EDGE && i + 1 == EDGE ? n - EDGE : i + 1;
}

/* Moves idx to the next shown slice (an odometer over the leading
 * dimensions); 0 after the last. *jumped is set when slices were skipped. */
static int next_slice(const layout *l, size_t *idx, int *jumped) {
  for (int d = l->lead - 1; d >= 0; d--) {
    size_t n = l->t->size[d], k = next_shown(idx[d], n, l->summarise);
    if (k > idx[d] + 1) *jumped = 1;
    if (k < n) {
      idx[d] = k;
      return 1;
    }
    idx[d] = 0;
  }
  return 0;
}

static const float *slice_at(const layout *l, const size_t *idx) {
  const float *p = ln_data(l->t);
  for (int d = 0; d < l->lead; d++) p += (ptrdiff_t)idx[d] * l->t->stride[d];
  return p;
}

/* Visits every shown element: f(v, ctx). */
static void each_shown(const layout *l, void (*f)(float, void *), void *ctx) {
  size_t idx[LN_MAXDIM] = {0};
  int jumped;
  do {
    const float *p = slice_at(l, idx);
    for (size_t i = 0; i < l->rows; i = next_shown(i, l->rows, l->summarise))
      for (size_t j = 0; j < l->cols; j = next_shown(j, l->cols, l->summarise))
        f(p[(ptrdiff_t)i * l->rs + (ptrdiff_t)j * l->cs], ctx);
  } while (next_slice(l, idx, &jumped));
}

typedef struct stats {
  double lo, hi;  /* smallest and largest nonzero finite magnitude */
  int ints, any;
} stats;

static void gather(float v, void *ctx) {
  stats *s = ctx;
  if (!isfinite(v) || v == 0) return;
  double a = fabs(v);
  if (!s->any || a < s->lo) s->lo = a;
  if (!s->any || a > s->hi) s->hi = a;
  s->any = 1;
  if (v != floorf(v)) s->ints = 0;
}

static int format_num(char *s, size_t n, const fmt *f, float v) {
  if (isfinite(v)) return snprintf(s, n, f->spec, f->width, (double)v);
  return snprintf(s, n, "%*s", f->width, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
}

static void widest(float v, void *ctx) {
  fmt *f = ctx;
  char s[64];
  int w = f->width;
  f->width = 0;
  int len = format_num(s, sizeof s, f, v);
  f->width = len > w ? len : w;
}

/* One format for every number shown, chosen as PyTorch does from the
 * nonzero finite magnitudes: integers plainly (up to 1e8), other values in
 * fixed point with 4 decimals unless they span more than 1000x, exceed 1e8
 * or go below 1e-4, which switch to scientific notation. */
static fmt choose_format(const layout *l) {
  stats s = {0, 0, 1, 0};
  each_shown(l, gather, &s);
  fmt f;
  if (s.ints && s.hi <= 1e8) strcpy(f.spec, "%*.0f");
  else if (!s.ints && s.hi / s.lo <= 1000 && s.hi <= 1e8 && s.lo >= 1e-4) strcpy(f.spec, "%*.4f");
  else strcpy(f.spec, "%*.4e");
  f.width = 1;
  each_shown(l, widest, &f);
  return f;
}

static void addnum(luaL_Buffer *b, const fmt *f, float v) {
  char s[64];
  format_num(s, sizeof s, f, v);
  luaL_addstring(b, s);
}

/* wrap: numbers per line before a new line (1-D tensors), 0 for never. */
static void addrow(luaL_Buffer *b, const layout *l, const fmt *f, const float *p, size_t wrap) {
  size_t on_line = 0, n = l->cols;
  for (size_t j = 0; j < n; j = next_shown(j, n, l->summarise)) {
    if (j > EDGE && j == n - EDGE && l->summarise && n > 2 * EDGE) luaL_addstring(b, "  ...");
    if (wrap && on_line == wrap) {
      luaL_addchar(b, '\n');
      on_line = 0;
    }
    luaL_addchar(b, ' ');
    addnum(b, f, p[(ptrdiff_t)j * l->cs]);
    on_line++;
  }
  luaL_addchar(b, '\n');
}

static void addmatrix(luaL_Buffer *b, const layout *l, const fmt *f, const float *p) {
  size_t n = l->rows;
  for (size_t i = 0; i < n; i = next_shown(i, n, l->summarise)) {
    if (i > EDGE && i == n - EDGE && l->summarise && n > 2 * EDGE) luaL_addstring(b, " ...\n");
    addrow(b, l, f, p + (ptrdiff_t)i * l->rs, 0);
  }
}

/* "(i,j,.,.) =" for the slice at idx, 1-based. */
static void addheader(luaL_Buffer *b, const layout *l, const size_t *idx) {
  char s[32];
  luaL_addchar(b, '(');
  for (int d = 0; d < l->lead; d++) {
    snprintf(s, sizeof s, "%zu,", idx[d] + 1);
    luaL_addstring(b, s);
  }
  luaL_addstring(b, ".,.) =\n");
}

void l_tensor_format(luaL_Buffer *b, const ln_tensor *t) {
  layout l = {t, t->ndim > 2 ? t->ndim - 2 : 0, 1, t->size[t->ndim - 1], 0,
              t->stride[t->ndim - 1], ln_numel(t) > SUMMARY};
  if (t->ndim >= 2) {
    l.rows = t->size[t->ndim - 2];
    l.rs = t->stride[t->ndim - 2];
  }
  fmt f = choose_format(&l);
  if (t->ndim == 1) {
    addrow(b, &l, &f, ln_data(t), (size_t)(80 / (f.width + 1)));
  } else if (t->ndim == 2) {
    addmatrix(b, &l, &f, ln_data(t));
  } else {
    size_t idx[LN_MAXDIM] = {0};
    int jumped = 0;
    do {
      if (jumped) luaL_addstring(b, "...\n\n");
      jumped = 0;
      addheader(b, &l, idx);
      addmatrix(b, &l, &f, slice_at(&l, idx));
      luaL_addchar(b, '\n');
    } while (next_slice(&l, idx, &jumped));
  }
  char shape[160], s[200];
  snprintf(s, sizeof s, "[lunet.Tensor of size %s]", ln_shape_str(t, shape, sizeof shape));
  luaL_addstring(b, s);
}
