/* registry.c: the one table of module kinds, keyed by their stable tags.
 *
 * Saved files name a module's kind by its tag, so a tag never changes once a
 * release has written it. A new kind is one line in `builtin` below; the
 * bindings register the kind of modules written in Lua at start-up. */
#include <string.h>

#include "activation.h"
#include "batchnorm.h"
#include "concat.h"
#include "conv2d.h"
#include "dataparallel.h"
#include "dropout.h"
#include "dropout2d.h"
#include "embedding.h"
#include "flatten.h"
#include "groupnorm.h"
#include "instancenorm.h"
#include "layernorm.h"
#include "linear.h"
#include "pointwise.h"
#include "pool2d.h"
#include "residual.h"
#include "sequential.h"
#include "softmax.h"

static const ln_module_ops *const builtin[] = {
  &ln_linear_ops, &ln_relu_ops, &ln_tanh_ops, &ln_sigmoid_ops, &ln_batchnorm_ops,
  &ln_sequential_ops, &ln_residual_ops, &ln_concat_ops, &ln_identity_ops,
  &ln_leaky_relu_ops,
  &ln_elu_ops,
  &ln_gelu_ops,
  &ln_silu_ops,
  &ln_softplus_ops,
  &ln_softmax_ops,
  &ln_log_softmax_ops,
  &ln_dropout_ops,
  &ln_conv2d_ops,
  &ln_maxpool2d_ops, &ln_avgpool2d_ops, &ln_adaptive_avgpool2d_ops,
  &ln_flatten_ops, &ln_dropout2d_ops,
  &ln_layernorm_ops, &ln_groupnorm_ops, &ln_instancenorm_ops,
  &ln_dataparallel_ops, &ln_embedding_ops,
};

#define NBUILTIN (sizeof builtin / sizeof builtin[0])
#define MAXEXTRA 8

/* Kinds registered from outside the core; set once at start-up. */
static const ln_module_ops *extra[MAXEXTRA];
static size_t nextra;

const ln_module_ops *ln_module_kind(const char *tag) {
  for (size_t i = 0; i < NBUILTIN; i++)
    if (!strcmp(builtin[i]->tag, tag)) return builtin[i];
  for (size_t i = 0; i < nextra; i++)
    if (!strcmp(extra[i]->tag, tag)) return extra[i];
  return NULL;
}

int ln_module_register(const ln_module_ops *ops) {
  const ln_module_ops *had = ln_module_kind(ops->tag);
  if (had == ops) return LN_OK;
  if (had) return ln_fail("register: tag '%s' is already taken", ops->tag);
  if (nextra == MAXEXTRA) return ln_fail("register: no room for '%s'", ops->tag);
  extra[nextra++] = ops;
  return LN_OK;
}
