/* concat.c: children side by side, outputs concatenated along one dim. */
#include "concat.h"

#include <stddef.h>

/* The output shape of m's children's outputs concatenated along d (0-based):
 * sets shape and ndim, or fails naming the child that disagrees. */
static int cat_shape(const ln_module *m, int d, size_t *shape, int *ndim) {
  const ln_tensor *t0 = &m->child[0]->output;
  char s0[64], s1[64];
  if (d >= t0->ndim)
    return ln_fail("Concat: dim %d but module 1 gives %s", d + 1, ln_shape_str(t0, s0, sizeof s0));
  *ndim = t0->ndim;
  for (int k = 0; k < t0->ndim; k++) shape[k] = t0->size[k];
  for (size_t i = 1; i < m->nchild; i++) {
    const ln_tensor *t = &m->child[i]->output;
    int ok = t->ndim == t0->ndim;
    for (int k = 0; ok && k < t0->ndim; k++) ok = k == d || t->size[k] == t0->size[k];
    if (!ok)
      return ln_fail("Concat: module 1 gives %s but module %zu gives %s (only dim %d may "
                     "differ)", ln_shape_str(t0, s0, sizeof s0), i + 1,
                     ln_shape_str(t, s1, sizeof s1), d + 1);
    shape[d] += t->size[d];
  }
  return LN_OK;
}

static int concat_forward(ln_module *m, const ln_tensor *in) {
  ln_concat *c = (ln_concat *)m;
  int d = (int)c->dim - 1, ndim = 0;
  size_t shape[LN_MAXDIM], at = 0;
  if (in->st == m->output.st) return ln_fail("Concat: input shares storage with the output");
  for (size_t i = 0; i < m->nchild; i++)
    if (ln_module_child_forward(m, i, in)) return LN_ERR;
  if (cat_shape(m, d, shape, &ndim) || ln_tensor_resize(&m->output, ndim, shape))
    return LN_ERR;
  for (size_t i = 0; i < m->nchild; i++) {
    const ln_tensor *t = &m->child[i]->output;
    ln_tensor part = LN_TENSOR_EMPTY;
    int rc = ln_tensor_narrow_dim(&part, &m->output, d, at, t->size[d]) ||
             ln_tensor_copy(&part, t);
    ln_tensor_free(&part);
    if (rc) return LN_ERR;
    at += t->size[d];
  }
  return LN_OK;
}

static int concat_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  ln_concat *c = (ln_concat *)m;
  int d = (int)c->dim - 1;
  size_t at = 0;
  if (m->nchild != c->nslice) return ln_fail("Concat: its children changed since it was made");
  if (in->st == m->grad_input.st || dout->st == m->grad_input.st)
    return ln_fail("Concat: input or grad_output shares storage with grad_input");
  for (size_t i = 0; i < m->nchild; i++) {
    const ln_tensor *t = &m->child[i]->output;
    ln_tensor part = LN_TENSOR_EMPTY;
    int rc = ln_tensor_narrow_dim(&part, dout, d, at, t->size[d]) ||
             ln_tensor_resize_as(&c->slice[i], &part) || ln_tensor_copy(&c->slice[i], &part);
    ln_tensor_free(&part);
    at += t->size[d];
    m->child[i]->skip_grad_input = m->skip_grad_input;
    if (rc || ln_module_child_backward(m, i, in, &c->slice[i])) return LN_ERR;
  }
  if (m->skip_grad_input) return LN_OK;
  for (size_t i = 0; i < m->nchild; i++)
    if (!ln_same_shape(&m->child[i]->grad_input, in))
      return ln_fail("Concat: module %zu's grad_input is not shaped like the input", i + 1);
  if (ln_tensor_resize_as(&m->grad_input, in) ||
      ln_tensor_copy(&m->grad_input, &m->child[0]->grad_input))
    return LN_ERR;
  for (size_t i = 1; i < m->nchild; i++)
    if (ln_tensor_binop(&m->grad_input, &m->grad_input, &m->child[i]->grad_input, LN_ADD))
      return LN_ERR;
  return LN_OK;
}

static void concat_destroy(ln_module *m) {
  ln_concat *c = (ln_concat *)m;
  for (size_t i = 0; i < c->nslice; i++) ln_tensor_free(&c->slice[i]);
  ln_free(c->slice);
}

static ln_module *concat_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                              ln_rng *rng) {
  (void)rng;
  return ln_concat_new(cfg[0].i, child, nchild);
}

static const ln_field concat_fields[] = {
  {"dim", LN_FIELD_INT, offsetof(ln_concat, dim), 0},
  {NULL, LN_FIELD_SIZE, 0, 0}
};

const ln_module_ops ln_concat_ops = {
  .tag = "Concat", .forward = concat_forward, .backward = concat_backward,
  .destroy = concat_destroy, .fields = concat_fields, .nargs = 1, .min_children = 1,
  .max_children = LN_NOLIMIT, .make = concat_make,
};

ln_module *ln_concat_new(int64_t dim, ln_module *const *child, size_t nchild) {
  if (dim < 1 || dim > LN_MAXDIM) {
    ln_fail("Concat: dim must be in 1..%d, got %lld", LN_MAXDIM, (long long)dim);
    return NULL;
  }
  if (nchild == 0) {
    ln_fail("Concat: needs at least one module");
    return NULL;
  }
  ln_concat *c = ln_calloc(1, sizeof *c);
  if (!c) {
    ln_fail("Concat: out of memory");
    return NULL;
  }
  ln_module *m = &c->base;
  ln_module_init(m, &ln_concat_ops);
  c->dim = dim;
  ln_tensor empty = LN_TENSOR_EMPTY;
  if (!(c->slice = ln_malloc(nchild * sizeof *c->slice))) {
    ln_module_release(m);
    ln_fail("Concat: out of memory");
    return NULL;
  }
  for (size_t i = 0; i < nchild; i++) c->slice[i] = empty;
  c->nslice = nchild;
  for (size_t i = 0; i < nchild; i++)
    if (ln_module_add_child(m, child[i], NULL)) {
      ln_module_release(m);
      return NULL;
    }
  return m;
}
