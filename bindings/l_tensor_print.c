/* l_tensor_print.c: tensors as text, in Torch7's manner: rows of aligned
 * numbers, then the type and shape. Big tensors are summarised as numpy
 * does: the first and last EDGE rows, columns and slices, with "..." between. */
#include <math.h>
#include <stdio.h>

#include "lunet.h"

#define EDGE 3        /* rows/columns kept at each end of a summarised axis */
#define SUMMARY 1000  /* tensors with more elements than this are summarised */

typedef struct fmt {
  char spec[16];
  int width;
} fmt;

static int shown(size_t i, size_t n, int summarise) {
  return !summarise || n <= 2 * EDGE || i < EDGE || i >= n - EDGE;
}

/* One format for every number shown: integers plainly, moderate values in
 * fixed point, the rest in scientific notation. */
static fmt choose_format(const ln_tensor *t) {
  const float *p = ln_data(t);
  size_t n = ln_numel(t);
  double big = 0;
  int ints = 1, special = 0;
  for (size_t i = 0; i < n; i++) {
    double v = p[i];
    if (!isfinite(v)) {
      special = 1;
      continue;
    }
    if (fabs(v) > big) big = fabs(v);
    if (v != floor(v)) ints = 0;
  }
  fmt f;
  if (ints && big < 1e9) {
    int digits = big < 1 ? 1 : (int)floor(log10(big)) + 1;
    f.width = digits + 2;
    snprintf(f.spec, sizeof f.spec, "%%%d.0f", f.width);
  } else if (big >= 1e-3 && big < 1e5) {
    int digits = big < 1 ? 1 : (int)floor(log10(big)) + 1;
    f.width = digits + 7;
    snprintf(f.spec, sizeof f.spec, "%%%d.4f", f.width);
  } else {
    f.width = 12;
    snprintf(f.spec, sizeof f.spec, "%%%d.4e", f.width);
  }
  if (special && f.width < 5) f.width = 5;
  return f;
}

static void addnum(luaL_Buffer *b, const fmt *f, float v) {
  char s[64];
  if (isfinite(v)) snprintf(s, sizeof s, f->spec, (double)v);
  else snprintf(s, sizeof s, "%*s", f->width, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
  luaL_addstring(b, s);
}

/* wrap: numbers per line before a new line (1-D tensors), 0 for never. */
static void addrow(luaL_Buffer *b, const fmt *f, const float *p, size_t n, int summarise,
                   size_t wrap) {
  size_t on_line = 0;
  for (size_t j = 0; j < n; j++) {
    if (!shown(j, n, summarise)) {
      if (j == EDGE) luaL_addstring(b, "  ...");
      continue;
    }
    if (wrap && on_line == wrap) {
      luaL_addchar(b, '\n');
      on_line = 0;
    }
    luaL_addchar(b, ' ');
    addnum(b, f, p[j]);
    on_line++;
  }
  luaL_addchar(b, '\n');
}

static void addmatrix(luaL_Buffer *b, const fmt *f, const float *p, size_t rows, size_t cols,
                      int summarise) {
  for (size_t i = 0; i < rows; i++) {
    if (!shown(i, rows, summarise)) {
      if (i == EDGE) luaL_addstring(b, " ...\n");
      continue;
    }
    addrow(b, f, p + i * cols, cols, summarise, 0);
  }
}

void l_tensor_format(luaL_Buffer *b, const ln_tensor *t) {
  const float *p = ln_data(t);
  int summarise = ln_numel(t) > SUMMARY;
  fmt f = choose_format(t);
  char s[96];
  if (t->ndim == 1) {
    addrow(b, &f, p, t->size[0], summarise, (size_t)(80 / (f.width + 1)));
  } else if (t->ndim == 2) {
    addmatrix(b, &f, p, t->size[0], t->size[1], summarise);
  } else {
    /* Leading dimensions become slice headers: (i,j,.,.) = */
    size_t rows = t->size[t->ndim - 2], cols = t->size[t->ndim - 1];
    size_t nslice = ln_numel(t) / (rows * cols);
    for (size_t k = 0; k < nslice; k++) {
      if (!shown(k, nslice, summarise)) {
        if (k == EDGE) luaL_addstring(b, "...\n\n");
        continue;
      }
      if (t->ndim == 3) snprintf(s, sizeof s, "(%zu,.,.) =\n", k + 1);
      else snprintf(s, sizeof s, "(%zu,%zu,.,.) =\n", k / t->size[1] + 1, k % t->size[1] + 1);
      luaL_addstring(b, s);
      addmatrix(b, &f, p + k * rows * cols, rows, cols, summarise);
      luaL_addchar(b, '\n');
    }
  }
  char shape[64];
  snprintf(s, sizeof s, "[lunet.Tensor of size %s]", ln_shape_str(t, shape, sizeof shape));
  luaL_addstring(b, s);
}
