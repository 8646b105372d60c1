/* instancenorm.c: InstanceNorm on norm_block.c: one block per (sample,
 * channel), the affine per channel; the running statistics, when tracked,
 * are the per-block statistics averaged over the batch (as PyTorch, which
 * runs batch_norm on the input seen as (1, N C, S)). */
#include "instancenorm.h"

#include <math.h>
#include <stddef.h>

typedef struct instancenorm {
  ln_norm norm;
  size_t nfeat;
  double momentum;
  int track;  /* track_running_stats: buf[0] running_mean, buf[1] running_var */
} instancenorm;

static int geom(const ln_norm *nm, const ln_tensor *in, ln_norm_geom *g) {
  const instancenorm *in_ = (const instancenorm *)nm;
  char str[64];
  if (in->ndim < 2 || in->ndim > 4)
    return ln_fail("InstanceNorm: input must be (N,C,H,W), (N,C,L) or (C,L), got %s",
                   ln_shape_str(in, str, sizeof str));
  int cd = in->ndim == 2 ? 0 : 1;  /* the channel dim */
  if (in->size[cd] != in_->nfeat)
    return ln_fail("InstanceNorm: input has %zu channels, expected %zu", in->size[cd],
                   in_->nfeat);
  size_t s = in->size[in->ndim - 1] * (in->ndim == 4 ? in->size[2] : 1);
  *g = (ln_norm_geom){ln_numel(in) / s, s, s, 1, in_->nfeat};
  return LN_OK;
}

static int instancenorm_forward(ln_module *m, const ln_tensor *in) {
  instancenorm *n = (instancenorm *)m;
  ln_norm_geom g;
  if (geom(&n->norm, in, &g)) return LN_ERR;
  int running = n->track && !m->training;
  if (!running && g.len < 2) {
    char str[64];
    return ln_fail("InstanceNorm: needs more than one value per channel, got input %s",
                   ln_shape_str(in, str, sizeof str));
  }
  const float *rm = running ? ln_data(&m->buf[0]) : NULL;
  const float *rv = running ? ln_data(&m->buf[1]) : NULL;
  if (ln_norm_run_forward(&n->norm, in, &g, rm, rv)) return LN_ERR;
  if (!n->track || !m->training) return LN_OK;
  /* The update, from this batch's per-block statistics. */
  size_t c = n->nfeat, nb = g.nb / c;
  const double *mean = n->norm.stats, *var = mean + 2 * n->norm.cap;
  float *rmw = ln_data(&m->buf[0]), *rvw = ln_data(&m->buf[1]);
  double mom = n->momentum, unbias = (double)g.len / (double)(g.len - 1);
  for (size_t j = 0; j < c; j++) {
    double sm = 0, sv = 0;
    for (size_t b = 0; b < nb; b++) {
      sm += mean[b * c + j];
      sv += var[b * c + j];
    }
    rmw[j] = (float)((1 - mom) * rmw[j] + mom * sm / (double)nb);
    rvw[j] = (float)((1 - mom) * rvw[j] + mom * sv / (double)nb * unbias);
  }
  return LN_OK;
}

static ln_module *instancenorm_make(const ln_value *cfg, ln_module *const *child,
                                    size_t nchild, ln_rng *rng) {
  (void)child, (void)nchild, (void)rng;
  return ln_instancenorm_new(cfg[0].z, cfg[1].d, cfg[2].d, cfg[3].b, cfg[4].b);
}

#define F(name, type, member, def) {name, type, offsetof(instancenorm, member), def}
static const ln_field instancenorm_fields[] = {
  F("num_features", LN_FIELD_SIZE, nfeat, 0), F("eps", LN_FIELD_DOUBLE, norm.eps, 1e-5),
  F("momentum", LN_FIELD_DOUBLE, momentum, 0.1), F("affine", LN_FIELD_BOOL, norm.affine, 0),
  F("track_running_stats", LN_FIELD_BOOL, track, 0), {NULL, LN_FIELD_SIZE, 0, 0}
};

const ln_module_ops ln_instancenorm_ops = {
  .tag = "InstanceNorm", .forward = instancenorm_forward, .backward = ln_norm_backward_op,
  .destroy = ln_norm_destroy, .fields = instancenorm_fields, .nargs = 1,
  .make = instancenorm_make,
};

ln_module *ln_instancenorm_new(size_t num_features, double eps, double momentum, int affine,
                               int track_running_stats) {
  if (num_features == 0) {
    ln_fail("InstanceNorm: num_features must be positive");
    return NULL;
  }
  if (!(momentum >= 0 && momentum <= 1)) {
    ln_fail("InstanceNorm: momentum must be in [0, 1], got %g", momentum);
    return NULL;
  }
  instancenorm *n = ln_calloc(1, sizeof *n);
  if (!n) {
    ln_fail("InstanceNorm: out of memory");
    return NULL;
  }
  n->nfeat = num_features;
  n->momentum = momentum;
  n->track = track_running_stats != 0;
  ln_module *m = &n->norm.base;
  size_t c = num_features;
  if (ln_norm_init(&n->norm, &ln_instancenorm_ops, geom, eps, affine, 1, &c) ||
      (n->track && (ln_module_add_buffer(m, "running_mean", 1, &c) < 0 ||
                    ln_module_add_buffer(m, "running_var", 1, &c) < 0))) {
    ln_module_release(m);
    return NULL;
  }
  if (n->track) ln_tensor_fill(&m->buf[1], 1);
  return m;
}
