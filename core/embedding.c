/* embedding.c: the Embedding layer (embedding.h). */
#include "embedding.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void ln_embedding_forward(float *out, const float *idx, const float *w, size_t n, size_t d) {
  for (size_t i = 0; i < n; i++)
    memcpy(out + i * d, w + ((size_t)idx[i] - 1) * d, d * sizeof *out);
}

void ln_embedding_backward(float *dw, const float *dout, const float *idx, size_t n, size_t d,
                           size_t skip) {
  for (size_t i = 0; i < n; i++) {
    size_t r = (size_t)idx[i];
    if (r == skip) continue;
    float *row = dw + (r - 1) * d;
    const float *g = dout + i * d;
    for (size_t j = 0; j < d; j++) row[j] += g[j];
  }
}

/* Every index a whole number in 1..num: forward and backward both check,
 * backward's input may not be forward's. */
static int check_indices(const ln_embedding *e, const ln_tensor *in) {
  const float *x = ln_data(in);
  for (size_t i = 0, n = ln_numel(in); i < n; i++) {
    double v = x[i];
    if (!(v >= 1 && v <= (double)e->num && v == floor(v)))
      return ln_fail("Embedding: index %g at position %zu is not a row in 1..%zu", v, i + 1,
                     e->num);
  }
  return LN_OK;
}

static int embedding_forward(ln_module *m, const ln_tensor *in) {
  ln_embedding *e = (ln_embedding *)m;
  size_t shape[LN_MAXDIM];
  if (in->ndim >= LN_MAXDIM) return ln_fail("Embedding: input has too many dimensions");
  memcpy(shape, in->size, in->ndim * sizeof *shape);
  shape[in->ndim] = e->dim;
  if (check_indices(e, in) || ln_tensor_resize(&m->output, in->ndim + 1, shape)) return LN_ERR;
  ln_embedding_forward(ln_data(&m->output), ln_data(in), ln_data(&m->param[0]), ln_numel(in),
                       e->dim);
  return LN_OK;
}

static int embedding_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  ln_embedding *e = (ln_embedding *)m;
  if (check_indices(e, in)) return LN_ERR;
  ln_embedding_backward(ln_data(&m->grad[0]), ln_data(dout), ln_data(in), ln_numel(in), e->dim,
                        (size_t)e->padding);
  if (m->skip_grad_input) return LN_OK;
  if (ln_tensor_resize(&m->grad_input, in->ndim, in->size)) return LN_ERR;
  ln_tensor_fill(&m->grad_input, 0);
  return LN_OK;
}

static ln_module *embedding_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                                 ln_rng *rng) {
  (void)child, (void)nchild;
  return ln_embedding_new(cfg[0].z, cfg[1].z, cfg[2].i, rng);
}

static int embedding_describe(const ln_module *m, char *buf, size_t n) {
  const ln_embedding *e = (const ln_embedding *)m;
  if (!e->padding) return snprintf(buf, n, "Embedding(%zu, %zu)", e->num, e->dim);
  return snprintf(buf, n, "Embedding(%zu, %zu, padding_idx=%lld)", e->num, e->dim,
                  (long long)e->padding);
}

static const ln_field embedding_fields[] = {
  {"num_embeddings", LN_FIELD_SIZE, offsetof(ln_embedding, num), 0},
  {"embedding_dim", LN_FIELD_SIZE, offsetof(ln_embedding, dim), 0},
  {"padding_idx", LN_FIELD_INT, offsetof(ln_embedding, padding), 0},
  {NULL, LN_FIELD_SIZE, 0, 0}
};

const ln_module_ops ln_embedding_ops = {
  .tag = "Embedding", .forward = embedding_forward, .backward = embedding_backward,
  .fields = embedding_fields, .nargs = 2, .make = embedding_make,
  .describe = embedding_describe,
};

ln_module *ln_embedding_new(size_t num, size_t dim, int64_t padding_idx, ln_rng *rng) {
  size_t wshape[2] = {num, dim};
  if (num == 0 || dim == 0) {
    ln_fail("Embedding: sizes must be positive, got %zu x %zu", num, dim);
    return NULL;
  }
  if (padding_idx < 0 || (uint64_t)padding_idx > num) {
    ln_fail("Embedding: padding_idx must be a row in 1..%zu (or 0 for none), got %lld", num,
            (long long)padding_idx);
    return NULL;
  }
  if (ln_check_shape("Embedding", 2, wshape)) return NULL;
  ln_embedding *e = ln_malloc(sizeof *e);
  if (!e) {
    ln_fail("Embedding: out of memory");
    return NULL;
  }
  ln_module *m = &e->base;
  ln_module_init(m, &ln_embedding_ops);
  e->num = num;
  e->dim = dim;
  e->padding = padding_idx;
  if (ln_module_add_param(m, "weight", 2, wshape) < 0) {
    ln_module_release(m);
    return NULL;
  }
  ln_tensor_randn(&m->param[0], rng, 0, 1);
  if (padding_idx) memset((float *)ln_data(&m->param[0]) + (padding_idx - 1) * dim, 0,
                          dim * sizeof(float));
  return m;
}
