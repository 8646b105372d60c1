/* layernorm.h: LayerNorm(normalized_shape), as torch.nn.LayerNorm: each
 * sample is normalized over its trailing dimensions, which must equal
 * normalized_shape, with its own mean and biased variance; then, when
 * elementwise_affine, y = weight * xhat + bias elementwise (weight and bias
 * shaped normalized_shape, init 1 and 0). The same in training and
 * evaluation; no buffers. The kernel is norm_block.h's. */
#ifndef LN_LAYERNORM_H
#define LN_LAYERNORM_H

#include "norm_block.h"

/* Fields normalized_shape (positional, a SHAPE), eps (1e-5),
 * elementwise_affine (true). */
extern const ln_module_ops ln_layernorm_ops;

/* eps finite and > 0. */
ln_module *ln_layernorm_new(int ndim, const size_t *shape, double eps, int affine);

#endif
