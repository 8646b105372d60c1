/* softmax.c: Softmax and LogSoftmax, one module struct and one pair of
 * kernels (log selects the form). */
#include "softmax.h"

#include "pointwise.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>

/* The row's maximum and sum of e^(x - max), the sum in double. A NaN is
 * skipped by the maximum but makes the sum NaN, so the row comes out NaN. */
static void row_stats(const float *x /* (len) stride inner */, size_t len, size_t inner,
                      double *max, double *sum) {
  float m = -INFINITY;
  for (size_t k = 0; k < len; k++)
    if (x[k * inner] > m) m = x[k * inner];
  double s = 0;
  for (size_t k = 0; k < len; k++) s += exp((double)x[k * inner] - m);
  *max = m;
  *sum = s;
}

void ln_softmax_forward(float *out, const float *inp, size_t outer, size_t len,
                        size_t inner, int is_log) {
  for (size_t o = 0; o < outer; o++)
    for (size_t j = 0; j < inner; j++) {
      const float *x = inp + o * len * inner + j;
      float *y = out + o * len * inner + j;
      double max, sum;
      row_stats(x, len, inner, &max, &sum);
      double lse = max + log(sum);
      for (size_t k = 0; k < len; k++) {
        double v = (double)x[k * inner];
        y[k * inner] = (float)(is_log ? v - lse : exp(v - max) / sum);
      }
    }
}

/* The softmax is recomputed from the input in double rather than read from
 * the float output: dy - sum(dy y) cancels where dy is near its weighted
 * mean, and the float y's rounding would then show in dx. */
void ln_softmax_backward(float *dinp, const float *inp, const float *dout, size_t outer,
                         size_t len, size_t inner, int is_log) {
  for (size_t o = 0; o < outer; o++)
    for (size_t j = 0; j < inner; j++) {
      size_t at = o * len * inner + j;
      const float *x = inp + at, *dy = dout + at;
      float *dx = dinp + at;
      double max, sum, s = 0;
      row_stats(x, len, inner, &max, &sum);
      for (size_t k = 0; k < len; k++) {
        size_t i = k * inner;
        s += is_log ? dy[i] : dy[i] * (exp((double)x[i] - max) / sum);
      }
      for (size_t k = 0; k < len; k++) {
        size_t i = k * inner;
        double y = exp((double)x[i] - max) / sum;
        dx[i] = (float)(is_log ? dy[i] - y * s : y * (dy[i] - s));
      }
    }
}

typedef struct softmax {
  ln_module base;
  int64_t dim;   /* as given: 1-based, or negative from the end */
} softmax;

/* The input's sizes as (outer, len, inner) around dim, or LN_ERR. */
static int split(const ln_module *m, const ln_tensor *t, size_t *outer, size_t *len,
                 size_t *inner) {
  int64_t dim = ((const softmax *)m)->dim, nd = t->ndim;
  int64_t d = dim > 0 ? dim - 1 : nd + dim;
  if (d < 0 || d >= nd)
    return ln_fail("%s: dim %lld is out of range for a %d-D input (expected %d to %d, "
                   "not 0)", m->name, (long long)dim, t->ndim, -t->ndim, t->ndim);
  *outer = *inner = 1;
  for (int64_t i = 0; i < nd; i++) {
    if (i < d) *outer *= t->size[i];
    if (i > d) *inner *= t->size[i];
  }
  *len = t->size[d];
  return LN_OK;
}

static int sm_forward(ln_module *m, const ln_tensor *in) {
  size_t outer = 1, len = 1, inner = 1;
  if (split(m, in, &outer, &len, &inner) || ln_tensor_resize_as(&m->output, in)) return LN_ERR;
  ln_softmax_forward(ln_data(&m->output), ln_data(in), outer, len, inner,
                     m->ops == &ln_log_softmax_ops);
  return LN_OK;
}

static int sm_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  size_t outer = 1, len = 1, inner = 1;
  if (ln_check_last_input(m, in) || split(m, in, &outer, &len, &inner) ||
      ln_tensor_resize_as(&m->grad_input, in))
    return LN_ERR;
  ln_softmax_backward(ln_data(&m->grad_input), ln_data(in), ln_data(dout), outer, len,
                      inner, m->ops == &ln_log_softmax_ops);
  return LN_OK;
}

static ln_module *sm_new(const ln_module_ops *ops, int64_t dim) {
  if (dim == 0) {
    ln_fail("%s: dim is 1-based (-1 is the last): 0 is no dimension", ops->tag);
    return NULL;
  }
  if (dim > LN_MAXDIM || dim < -LN_MAXDIM) {
    ln_fail("%s: dim %lld is out of range (a tensor has at most %d dimensions)", ops->tag,
            (long long)dim, LN_MAXDIM);
    return NULL;
  }
  softmax *s = ln_malloc(sizeof *s);
  if (!s) {
    ln_fail("%s: out of memory", ops->tag);
    return NULL;
  }
  ln_module_init(&s->base, ops);
  s->dim = dim;
  return &s->base;
}

ln_module *ln_softmax_new(int64_t dim) { return sm_new(&ln_softmax_ops, dim); }
ln_module *ln_log_softmax_new(int64_t dim) { return sm_new(&ln_log_softmax_ops, dim); }

static ln_module *softmax_make(const ln_value *c, ln_module *const *ch, size_t n, ln_rng *r) {
  (void)ch, (void)n, (void)r;
  return ln_softmax_new(c[0].i);
}
static ln_module *log_softmax_make(const ln_value *c, ln_module *const *ch, size_t n,
                                   ln_rng *r) {
  (void)ch, (void)n, (void)r;
  return ln_log_softmax_new(c[0].i);
}

/* "Softmax(dim=2)", as PyTorch names it (its dim 0-based, ours 1-based). */
static int sm_describe(const ln_module *m, char *buf, size_t n) {
  return snprintf(buf, n, "%s(dim=%lld)", m->name, (long long)((const softmax *)m)->dim);
}

static const ln_field sm_fields[] = {
  {"dim", LN_FIELD_INT, offsetof(softmax, dim), 0},
  {NULL, LN_FIELD_SIZE, 0, 0}
};

const ln_module_ops ln_softmax_ops = {
  .tag = "Softmax", .forward = sm_forward, .backward = sm_backward, .fields = sm_fields,
  .nargs = 1, .make = softmax_make, .describe = sm_describe,
};
const ln_module_ops ln_log_softmax_ops = {
  .tag = "LogSoftmax", .forward = sm_forward, .backward = sm_backward, .fields = sm_fields,
  .nargs = 1, .make = log_softmax_make, .describe = sm_describe,
};
