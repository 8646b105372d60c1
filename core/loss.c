/* loss.c: the registry of loss kinds, their options, and the two drivers
 * (elementwise and class losses) that apply a kind's formula and its
 * reduction (see loss.h). The formulas are in loss_point.c and
 * loss_class.c. */
#include "loss.h"

#include <math.h>
#include <string.h>

#include "par.h"

static const ln_loss_kind *const registry[] = {
  &ln_loss_mse, &ln_loss_l1, &ln_loss_smooth_l1, &ln_loss_huber, &ln_loss_bce,
  &ln_loss_bce_logits, &ln_loss_cross_entropy, &ln_loss_nll
};
#define NKINDS (sizeof registry / sizeof *registry)

const ln_loss_kind *ln_loss_kind_at(size_t i) { return i < NKINDS ? registry[i] : NULL; }

const ln_loss_kind *ln_loss_find(const char *name) {
  for (size_t i = 0; i < NKINDS; i++)
    if (strcmp(registry[i]->name, name) == 0) return registry[i];
  ln_fail("unknown loss '%s'", name);
  return NULL;
}

int ln_loss_takes(const ln_loss_kind *k, const char *name) {
  for (int i = 0; k->options[i]; i++)
    if (strcmp(k->options[i], name) == 0) return 1;
  return 0;
}

void ln_loss_options_default(ln_loss_options *o) {
  ln_tensor empty = LN_TENSOR_EMPTY;
  o->reduction = LN_REDUCE_MEAN;
  o->beta = o->delta = 1;
  o->smoothing = 0;
  o->has_ignore = 0;
  o->ignore = 0;
  o->weight = o->pos_weight = empty;
}

void ln_loss_init(ln_loss *l, const ln_loss_kind *k) {
  ln_tensor empty = LN_TENSOR_EMPTY;
  l->kind = k;
  ln_loss_options_default(&l->opt);
  l->grad = l->out = empty;
  l->labels = NULL;
  l->caplabels = 0;
  l->stat = NULL;
  l->cache_x = NULL;
  l->cache_n = l->cache_c = l->capcache = 0;
}

/* A weight option: a 1-D tensor, taken only by the kinds that name it. */
static int check_weight(const ln_loss_kind *k, const ln_tensor *w, const char *name) {
  char s[64];
  if (!w->st) return LN_OK;
  if (!ln_loss_takes(k, name)) return ln_fail("%s: takes no %s", k->name, name);
  if (w->ndim != 1)
    return ln_fail("%s: %s must be a 1-D tensor, got %s", k->name, name,
                   ln_shape_str(w, s, sizeof s));
  return LN_OK;
}

int ln_loss_set_options(ln_loss *l, const ln_loss_options *o) {
  const ln_loss_kind *k = l->kind;
  if (o->reduction < LN_REDUCE_MEAN || o->reduction > LN_REDUCE_NONE)
    return ln_fail("%s: invalid reduction %d", k->name, (int)o->reduction);
  if (!(o->beta >= 0) || isinf(o->beta))
    return ln_fail("%s: beta must be a finite number >= 0, got %g", k->name, o->beta);
  if (!(o->delta > 0) || isinf(o->delta))
    return ln_fail("%s: delta must be a finite number > 0, got %g", k->name, o->delta);
  if (!(o->smoothing >= 0 && o->smoothing <= 1))
    return ln_fail("%s: label_smoothing must be in [0, 1], got %g", k->name, o->smoothing);
  if (o->smoothing != 0 && !ln_loss_takes(k, "label_smoothing"))
    return ln_fail("%s: takes no label_smoothing", k->name);
  if (o->has_ignore && !ln_loss_takes(k, "ignore_index"))
    return ln_fail("%s: takes no ignore_index", k->name);
  if (check_weight(k, &o->weight, "weight") || check_weight(k, &o->pos_weight, "pos_weight"))
    return LN_ERR;
  ln_tensor w = LN_TENSOR_EMPTY, pw = LN_TENSOR_EMPTY;
  if ((o->weight.st && ln_tensor_contiguous(&w, &o->weight)) ||
      (o->pos_weight.st && ln_tensor_contiguous(&pw, &o->pos_weight))) {
    ln_tensor_free(&w);
    return LN_ERR;
  }
  ln_tensor_free(&l->opt.weight);
  ln_tensor_free(&l->opt.pos_weight);
  l->opt = *o;
  l->opt.weight = w;
  l->opt.pos_weight = pw;
  return LN_OK;
}

void ln_loss_free(ln_loss *l) {
  ln_tensor_free(&l->grad);
  ln_tensor_free(&l->out);
  ln_tensor_free(&l->opt.weight);
  ln_tensor_free(&l->opt.pos_weight);
  ln_free(l->labels);
  ln_free(l->stat);
  ln_free(l->cache_x);
  l->labels = NULL;
  l->stat = NULL;
  l->cache_x = NULL;
  l->caplabels = l->cache_n = l->cache_c = l->capcache = 0;
}

int ln_loss_reserve_labels(ln_loss *l, size_t n) {
  if (n <= l->caplabels) return LN_OK;
  size_t bytes;
  if (ln_mul_size(n, sizeof *l->labels, &bytes)) return LN_ERR;
  int *p = ln_realloc(l->labels, bytes);
  if (!p) return ln_fail("%s: out of memory for %zu labels", l->kind->name, n);
  l->labels = p;
  l->caplabels = n;
  return LN_OK;
}

/* What one call of a driver works on. out: the "none" losses (forward) or
 * NULL; grad: the gradient (backward) or NULL; l: the loss object whose
 * row stats cache the call may use, or NULL (the shorthands). */
typedef struct job {
  const ln_loss_kind *k;
  const ln_loss_options *o;
  double *cost;
  ln_tensor *out, *grad;
  ln_loss *l;
} job;

/* The elementwise driver's blocks, run by the pool's workers (par.h): at
 * least POINT_BLOCK elements each (a kind's loss of one element, called
 * through a pointer, takes a few nanoseconds), at most POINT_MAXBLOCKS.
 * Forward sums each block in order into a double and then the blocks' sums
 * in order: the cost depends on n alone, not on the thread count, and is
 * the plain sequential sum up to POINT_BLOCK elements. */
#define POINT_BLOCK 16384
#define POINT_MAXBLOCKS 64

typedef struct points {
  const job *j;
  const float *px, *pt, *ppw;  /* (n), (n), (npw) or NULL */
  float *dst;                  /* (n) or NULL */
  size_t n, npw, last, block;
  double scale;                /* backward's */
  double part[POINT_MAXBLOCKS];
} points;

static void point_blocks(void *ctx, size_t lo, size_t hi, int w) {
  (void)w;
  points *p = ctx;
  const ln_loss_kind *k = p->j->k;
  const ln_loss_options *o = p->j->o;
  for (size_t b = lo; b < hi; b++) {
    size_t i0 = b * p->block, i1 = p->n - i0 < p->block ? p->n : i0 + p->block;
    double s = 0;
    for (size_t i = i0; i < i1; i++) {
      double pw = p->ppw ? p->ppw[p->npw == 1 ? 0 : i % p->last] : 1.0;
      if (p->j->grad) {
        p->dst[i] = (float)(p->scale * k->backward(o, p->px[i], p->pt[i], pw));
        continue;
      }
      double v = k->forward(o, p->px[i], p->pt[i], pw);
      if (p->dst) p->dst[i] = (float)v;
      s += v;
    }
    p->part[b] = s;
  }
}

/* The elementwise driver: x and t of one shape, read as flat memory (a
 * strided one becomes a contiguous copy, a contiguous one is shared). */
static int run_points(const job *j, const ln_tensor *x0, const ln_tensor *t0) {
  const ln_loss_kind *k = j->k;
  const ln_loss_options *o = j->o;
  char a[64], b[64];
  if (!x0->st || !t0 || !t0->st)
    return ln_fail("%s: input or target is an empty tensor", k->name);
  if (!ln_same_shape(x0, t0))
    return ln_fail("%s: input %s and target %s differ in shape", k->name,
                   ln_shape_str(x0, a, sizeof a), ln_shape_str(t0, b, sizeof b));
  size_t n = ln_numel(x0), last = x0->size[x0->ndim - 1], npw = 0;
  const float *ppw = NULL;
  if (o->pos_weight.st) {
    npw = ln_numel(&o->pos_weight);
    ppw = ln_data(&o->pos_weight);
    if (npw != 1 && npw != last)
      return ln_fail("%s: pos_weight has %zu elements, the input's last dimension %zu",
                     k->name, npw, last);
  }
  ln_tensor kx = LN_TENSOR_EMPTY, kt = LN_TENSOR_EMPTY;
  int rc = LN_ERR;
  if (ln_tensor_contiguous(&kx, x0) || ln_tensor_contiguous(&kt, t0)) goto done;
  const float *px = ln_data(&kx), *pt = ln_data(&kt);
  if (k->check && k->check(px, n)) goto done;
  float *dst = NULL;
  ln_tensor *buf = j->grad ? j->grad : o->reduction == LN_REDUCE_NONE ? j->out : NULL;
  if (buf) {
    if (ln_tensor_resize_as(buf, x0)) goto done;
    dst = ln_data(buf);
  }
  points p = {j, px, pt, ppw, dst, n, npw, last, POINT_BLOCK, 0, {0}};
  p.scale = o->reduction == LN_REDUCE_MEAN ? 1.0 / (double)n : 1.0;
  if (n > POINT_BLOCK * (size_t)POINT_MAXBLOCKS)
    p.block = (n + POINT_MAXBLOCKS - 1) / POINT_MAXBLOCKS;
  size_t nblocks = (n + p.block - 1) / p.block;
  ln_parallel(ln_par_workers(nblocks, 1), nblocks, point_blocks, &p);
  if (!j->grad) {
    double s = 0;
    for (size_t b = 0; b < nblocks; b++) s += p.part[b];
    *j->cost = o->reduction == LN_REDUCE_MEAN ? s / (double)n : s;
  }
  rc = LN_OK;
done:
  ln_tensor_free(&kx);
  ln_tensor_free(&kt);
  return rc;
}

/* Whether label y counts (it is not the ignored class). */
static int counts(const ln_loss_options *o, int y) { return !(o->has_ignore && y == o->ignore); }

static int check_classes(const job *j, const ln_tensor *x, const int *labels, size_t n) {
  const ln_loss_kind *k = j->k;
  char a[64];
  if (!x->st) return ln_fail("%s: input is an empty tensor", k->name);
  if (x->ndim != 2)
    return ln_fail("%s: input must be 2-D (N,C), got %s", k->name, ln_shape_str(x, a, sizeof a));
  if (n != x->size[0])
    return ln_fail("%s: %zu labels for %zu rows of input", k->name, n, x->size[0]);
  size_t c = x->size[1];
  if (j->o->weight.st && ln_numel(&j->o->weight) != c)
    return ln_fail("%s: weight has %zu elements for %zu classes", k->name,
                   ln_numel(&j->o->weight), c);
  for (size_t i = 0; i < n; i++)
    if (counts(j->o, labels[i]) && (labels[i] < 0 || (size_t)labels[i] >= c))
      return ln_fail("%s: label %d at index %zu is out of range [0, %zu)", k->name,
                     labels[i], i, c);
  return LN_OK;
}

/* Inputs of more elements than this are not copied for the row stats'
 * cache (16 MiB): a backward then computes its stats again. */
#define CACHE_MAX ((size_t)1 << 22)

/* The row stats of px (n,c) for a class kind that has them, or NULL (then
 * computed row by row). Forward computes them into l's cache with a copy of
 * px; backward takes the cache when px has the same shape and bits as that
 * copy (memcmp: any change, NaN payloads included, is seen), else computes
 * and caches them afresh. LN_ERR only when out of memory. */
static int row_stats(const job *j, const float *px, size_t n, size_t c, const double **out) {
  ln_loss *l = j->l;
  size_t numel = n * c;
  *out = NULL;
  if (!j->k->row_stat || !l || numel > CACHE_MAX) return LN_OK;
  if (j->grad && l->cache_n == n && l->cache_c == c &&
      memcmp(l->cache_x, px, numel * sizeof *px) == 0) {
    *out = l->stat;
    return LN_OK;
  }
  if (numel > l->capcache || n > l->capcache) {  /* n <= numel: c >= 1 */
    double *st = ln_realloc(l->stat, numel * sizeof *st);
    if (st) l->stat = st;
    float *cx = st ? ln_realloc(l->cache_x, numel * sizeof *cx) : NULL;
    if (!cx) return ln_fail("%s: out of memory", j->k->name);
    l->cache_x = cx;
    l->capcache = numel;
  }
  for (size_t i = 0; i < n; i++) l->stat[i] = j->k->row_stat(px + i * c, c);
  memcpy(l->cache_x, px, numel * sizeof *px);
  l->cache_n = n;
  l->cache_c = c;
  *out = l->stat;
  return LN_OK;
}

/* Row i's stat: the cached one, or computed now. */
static double stat_of(const job *j, const double *stat, const float *px, size_t i, size_t c) {
  if (stat) return stat[i];
  return j->k->row_stat ? j->k->row_stat(px + i * c, c) : 0;
}

/* The class driver: rows of x (N,C) against labels. "mean" divides by the
 * total weight of the counted labels (their number without weights), as
 * PyTorch: all ignored gives 0/0, a NaN cost and a zero gradient. */
static int run_classes(const job *j, const ln_tensor *x0, const int *labels, size_t n) {
  const ln_loss_kind *k = j->k;
  const ln_loss_options *o = j->o;
  if (check_classes(j, x0, labels, n)) return LN_ERR;
  ln_tensor kx = LN_TENSOR_EMPTY;
  if (ln_tensor_contiguous(&kx, x0)) return LN_ERR;
  size_t c = kx.size[1];
  const float *px = ln_data(&kx), *w = o->weight.st ? ln_data(&o->weight) : NULL;
  double total = 0;
  for (size_t i = 0; i < n; i++)
    if (counts(o, labels[i])) total += w ? w[labels[i]] : 1.0;
  int rc = LN_ERR;
  const double *stat;
  if (row_stats(j, px, n, c, &stat)) goto done;
  if (j->grad) {
    if (ln_tensor_resize_as(j->grad, &kx)) goto done;
    float *pd = ln_data(j->grad);
    double scale = o->reduction == LN_REDUCE_MEAN ? 1.0 / total : 1.0;
    for (size_t i = 0; i < n; i++) {
      if (counts(o, labels[i]))
        k->row_backward(o, px + i * c, c, labels[i], w, stat_of(j, stat, px, i, c), scale,
                        pd + i * c);
      else
        memset(pd + i * c, 0, c * sizeof *pd);
    }
  } else {
    float *dst = NULL;
    if (o->reduction == LN_REDUCE_NONE) {
      if (ln_tensor_resize(j->out, 1, &n)) goto done;
      dst = ln_data(j->out);
    }
    double s = 0;
    for (size_t i = 0; i < n; i++) {
      double v = counts(o, labels[i])
                     ? k->row_forward(o, px + i * c, c, labels[i], w, stat_of(j, stat, px, i, c))
                     : 0;
      if (dst) dst[i] = (float)v;
      s += v;
    }
    *j->cost = o->reduction == LN_REDUCE_MEAN ? s / total : s;
  }
  rc = LN_OK;
done:
  ln_tensor_free(&kx);
  return rc;
}

static int run(const job *j, const ln_tensor *x, const ln_tensor *t, const int *labels,
               size_t n) {
  return j->k->classes ? run_classes(j, x, labels, n) : run_points(j, x, t);
}

int ln_loss_forward(ln_loss *l, double *cost, const ln_tensor *x, const ln_tensor *t,
                    size_t n) {
  job j = {l->kind, &l->opt, cost, &l->out, NULL, l};
  return run(&j, x, t, l->labels, n);
}

int ln_loss_backward(ln_loss *l, const ln_tensor *x, const ln_tensor *t, size_t n) {
  job j = {l->kind, &l->opt, NULL, NULL, &l->grad, l};
  return run(&j, x, t, l->labels, n);
}

/* The shorthands run a kind with the default options (no weights, so
 * nothing to free). */
static int plain(const ln_loss_kind *k, double *cost, ln_tensor *grad, const ln_tensor *x,
                 const ln_tensor *t, const int *labels, size_t n) {
  ln_loss_options o;
  ln_loss_options_default(&o);
  job j = {k, &o, cost, NULL, grad, NULL};
  return run(&j, x, t, labels, n);
}

int ln_mse_forward(double *cost, const ln_tensor *y, const ln_tensor *t) {
  return plain(&ln_loss_mse, cost, NULL, y, t, NULL, 0);
}

int ln_mse_backward(ln_tensor *dy, const ln_tensor *y, const ln_tensor *t) {
  return plain(&ln_loss_mse, NULL, dy, y, t, NULL, 0);
}

int ln_ce_forward(double *cost, const ln_tensor *x, const int *labels, size_t n) {
  return plain(&ln_loss_cross_entropy, cost, NULL, x, NULL, labels, n);
}

int ln_ce_backward(ln_tensor *dx, const ln_tensor *x, const int *labels, size_t n) {
  return plain(&ln_loss_cross_entropy, NULL, dx, x, NULL, labels, n);
}
