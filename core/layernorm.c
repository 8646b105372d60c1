/* layernorm.c: LayerNorm on norm_block.c: one block per sample, the affine
 * per element of the block. */
#include "layernorm.h"

#include <stddef.h>
#include <stdio.h>

typedef struct layernorm {
  ln_norm norm;
  ln_dims shape;  /* normalized_shape */
} layernorm;

/* The input's trailing dims must be normalized_shape. */
static int geom(const ln_norm *nm, const ln_tensor *in, ln_norm_geom *g) {
  const layernorm *ln = (const layernorm *)nm;
  const ln_dims *d = &ln->shape;
  int lead = in->ndim - (int)d->n, ok = lead >= 0;
  for (size_t i = 0; ok && i < d->n; i++) ok = in->size[lead + (int)i] == d->d[i];
  if (!ok) {
    char a[64], b[LN_MAXDIM * 24 + 4];
    ln_dims_str(b, sizeof b, d);
    return ln_fail("LayerNorm: input of shape %s does not end in normalized_shape %s",
                   ln_shape_str(in, a, sizeof a), b);
  }
  size_t len = ln->norm.naff;
  *g = (ln_norm_geom){ln_numel(in) / len, len, 1, len, 1};
  return LN_OK;
}

static ln_module *layernorm_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                                 ln_rng *rng) {
  (void)child, (void)nchild, (void)rng;
  return ln_layernorm_new((int)cfg[0].s.n, cfg[0].s.d, cfg[1].d, cfg[2].b);
}

#define F(name, type, member, def) {name, type, offsetof(layernorm, member), def}
static const ln_field layernorm_fields[] = {
  F("normalized_shape", LN_FIELD_SHAPE, shape, 0), F("eps", LN_FIELD_DOUBLE, norm.eps, 1e-5),
  F("elementwise_affine", LN_FIELD_BOOL, norm.affine, 1), {NULL, LN_FIELD_SIZE, 0, 0}
};

const ln_module_ops ln_layernorm_ops = {
  .tag = "LayerNorm", .forward = ln_norm_forward_op, .backward = ln_norm_backward_op,
  .destroy = ln_norm_destroy, .fields = layernorm_fields, .nargs = 1, .make = layernorm_make,
};

ln_module *ln_layernorm_new(int ndim, const size_t *shape, double eps, int affine) {
  layernorm *ln = ln_calloc(1, sizeof *ln);
  if (!ln) {
    ln_fail("LayerNorm: out of memory");
    return NULL;
  }
  if (ndim >= 1 && ndim <= LN_MAXDIM) {
    ln->shape.n = (size_t)ndim;
    for (int i = 0; i < ndim; i++) ln->shape.d[i] = shape[i];
  }
  if (ln_norm_init(&ln->norm, &ln_layernorm_ops, geom, eps, affine, ndim, shape)) {
    ln_module_release(&ln->norm.base);
    return NULL;
  }
  return &ln->norm.base;
}
