/* groupnorm.c: GroupNorm on norm_block.c: one block per (sample, group), of
 * C/G channels of S values each, the affine per channel. */
#include "groupnorm.h"

#include <stddef.h>

typedef struct groupnorm {
  ln_norm norm;
  size_t groups, channels;
} groupnorm;

static int geom(const ln_norm *nm, const ln_tensor *in, ln_norm_geom *g) {
  const groupnorm *gn = (const groupnorm *)nm;
  char str[64];
  if (in->ndim < 2)
    return ln_fail("GroupNorm: input must be (N,C,*), got %s", ln_shape_str(in, str, sizeof str));
  if (in->size[1] != gn->channels)
    return ln_fail("GroupNorm: input has %zu channels, expected %zu", in->size[1], gn->channels);
  size_t s = ln_numel(in) / (in->size[0] * in->size[1]), per = gn->channels / gn->groups;
  *g = (ln_norm_geom){in->size[0] * gn->groups, per * s, s, per, gn->groups};
  return LN_OK;
}

static ln_module *groupnorm_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                                 ln_rng *rng) {
  (void)child, (void)nchild, (void)rng;
  return ln_groupnorm_new(cfg[0].z, cfg[1].z, cfg[2].d, cfg[3].b);
}

#define F(name, type, member, def) {name, type, offsetof(groupnorm, member), def}
static const ln_field groupnorm_fields[] = {
  F("num_groups", LN_FIELD_SIZE, groups, 0), F("num_channels", LN_FIELD_SIZE, channels, 0),
  F("eps", LN_FIELD_DOUBLE, norm.eps, 1e-5), F("affine", LN_FIELD_BOOL, norm.affine, 1),
  {NULL, LN_FIELD_SIZE, 0, 0}
};

const ln_module_ops ln_groupnorm_ops = {
  .tag = "GroupNorm", .forward = ln_norm_forward_op, .backward = ln_norm_backward_op,
  .destroy = ln_norm_destroy, .fields = groupnorm_fields, .nargs = 2, .make = groupnorm_make,
};

ln_module *ln_groupnorm_new(size_t num_groups, size_t num_channels, double eps, int affine) {
  if (num_groups == 0 || num_channels == 0) {
    ln_fail("GroupNorm: num_groups and num_channels must be positive");
    return NULL;
  }
  if (num_channels % num_groups) {
    ln_fail("GroupNorm: num_groups (%zu) must divide num_channels (%zu)", num_groups,
            num_channels);
    return NULL;
  }
  groupnorm *gn = ln_calloc(1, sizeof *gn);
  if (!gn) {
    ln_fail("GroupNorm: out of memory");
    return NULL;
  }
  gn->groups = num_groups;
  gn->channels = num_channels;
  if (ln_norm_init(&gn->norm, &ln_groupnorm_ops, geom, eps, affine, 1, &num_channels)) {
    ln_module_release(&gn->norm.base);
    return NULL;
  }
  return &gn->norm.base;
}
