/* instancenorm.h: InstanceNorm(num_features), as torch.nn.InstanceNorm1d
 * and 2d: each (sample, channel) of an (N,C,H,W) or (N,C,L) input (or of an
 * unbatched (C,L) one) is normalized over its H W (or L) values with its own
 * mean and biased variance; then, when affine, y = weight[c] xhat + bias[c]
 * (init 1 and 0). With track_running_stats, training also updates
 *   running_mean = (1-m) running_mean + m mean_n(mean)
 *   running_var  = (1-m) running_var  + m mean_n(unbiased var)
 * (buffers, init 0 and 1) and evaluation normalizes with them; without it
 * (the default) evaluation uses the input's statistics too. The kernel is
 * norm_block.h's. */
#ifndef LN_INSTANCENORM_H
#define LN_INSTANCENORM_H

#include "norm_block.h"

/* Fields num_features (positional), eps (1e-5), momentum (0.1), affine
 * (false), track_running_stats (false). */
extern const ln_module_ops ln_instancenorm_ops;

/* eps finite and > 0, momentum in [0, 1]. */
ln_module *ln_instancenorm_new(size_t num_features, double eps, double momentum, int affine,
                               int track_running_stats);

#endif
