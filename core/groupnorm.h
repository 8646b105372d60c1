/* groupnorm.h: GroupNorm(num_groups, num_channels), as torch.nn.GroupNorm:
 * an (N,C,*) input's channels are split into num_groups groups of C/G
 * consecutive channels, each (sample, group) normalized with its own mean
 * and biased variance; then, when affine, y = weight[c] xhat + bias[c] per
 * channel (init 1 and 0). The same in training and evaluation; no buffers.
 * The kernel is norm_block.h's. */
#ifndef LN_GROUPNORM_H
#define LN_GROUPNORM_H

#include "norm_block.h"

/* Fields num_groups, num_channels (positional), eps (1e-5), affine (true). */
extern const ln_module_ops ln_groupnorm_ops;

/* num_groups must divide num_channels; eps finite and > 0. */
ln_module *ln_groupnorm_new(size_t num_groups, size_t num_channels, double eps, int affine);

#endif
