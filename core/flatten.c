/* flatten.c: the Flatten layer, a view of its input. */
#include "flatten.h"

#include <stdio.h>
#include <string.h>

/* A 1-based or negative dimension of an n-dimensional input, 0-based; -1
 * when it is not one. */
static int dim_of(int64_t d, int n) {
  int64_t k = d < 0 ? (int64_t)n + d : d - 1;
  return k >= 0 && k < (int64_t)n ? (int)k : -1;
}

/* The output's shape for input in: its dims s..e (0-based) multiplied. */
static int flat_shape(const ln_flatten *f, const ln_tensor *in, size_t *shape, int *nd) {
  int s = dim_of(f->start, in->ndim), e = dim_of(f->end, in->ndim);
  if (s < 0 || e < 0 || s > e) {
    char buf[64];
    return ln_fail("Flatten: dimensions %lld..%lld do not fit an input of %s", (long long)f->start,
                   (long long)f->end, ln_shape_str(in, buf, sizeof buf));
  }
  int k = 0;
  size_t prod = 1;
  for (int i = 0; i < s; i++) shape[k++] = in->size[i];
  for (int i = s; i <= e; i++) prod *= in->size[i];
  shape[k++] = prod;
  for (int i = e + 1; i < in->ndim; i++) shape[k++] = in->size[i];
  *nd = k;
  return LN_OK;
}

static int flatten_forward(ln_module *m, const ln_tensor *in) {
  size_t shape[LN_MAXDIM];
  int nd;
  if (flat_shape((const ln_flatten *)m, in, shape, &nd)) return LN_ERR;
  return ln_tensor_reshape(&m->output, in, nd, shape);
}

static int flatten_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  size_t shape[LN_MAXDIM];
  int nd;
  if (flat_shape((const ln_flatten *)m, in, shape, &nd)) return LN_ERR;
  if (dout->ndim != nd || memcmp(dout->size, shape, (size_t)nd * sizeof *shape)) {
    char s[64], t[64];
    return ln_fail("Flatten: grad_output %s does not match the input %s",
                   ln_shape_str(dout, s, sizeof s), ln_shape_str(in, t, sizeof t));
  }
  if (m->skip_grad_input) return LN_OK;
  return ln_tensor_reshape(&m->grad_input, dout, in->ndim, in->size);
}

static ln_module *flatten_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                               ln_rng *rng) {
  (void)child, (void)nchild, (void)rng;
  return ln_flatten_new(cfg[0].i, cfg[1].i);
}

static int flatten_describe(const ln_module *m, char *buf, size_t n) {
  const ln_flatten *f = (const ln_flatten *)m;
  if (f->start == 2 && f->end == -1) return snprintf(buf, n, "Flatten()");
  return snprintf(buf, n, "Flatten(start_dim=%lld, end_dim=%lld)", (long long)f->start,
                  (long long)f->end);
}

static const ln_field flatten_fields[] = {
  {"start_dim", LN_FIELD_INT, offsetof(ln_flatten, start), 2},
  {"end_dim", LN_FIELD_INT, offsetof(ln_flatten, end), -1},
  {NULL, LN_FIELD_SIZE, 0, 0}
};
static const unsigned char flatten_since[] = {5, 5};

const ln_module_ops ln_flatten_ops = {
  .tag = "Flatten", .forward = flatten_forward, .backward = flatten_backward,
  .fields = flatten_fields, .since = flatten_since, .make = flatten_make,
  .describe = flatten_describe,
};

ln_module *ln_flatten_new(int64_t start_dim, int64_t end_dim) {
  if (start_dim == 0 || end_dim == 0) {
    ln_fail("Flatten: dimensions are 1-based (or negative from the end), got %lld and %lld",
            (long long)start_dim, (long long)end_dim);
    return NULL;
  }
  ln_flatten *f = ln_malloc(sizeof *f);
  if (!f) {
    ln_fail("Flatten: out of memory");
    return NULL;
  }
  ln_module_init(&f->base, &ln_flatten_ops);
  f->start = start_dim;
  f->end = end_dim;
  return &f->base;
}
