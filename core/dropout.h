/* dropout.h: Dropout(p), as torch.nn.Dropout: in training each element is
 * zeroed with probability p and the others scaled by 1 / (1 - p) (inverted
 * dropout, so evaluation is the identity); any shape. */
#ifndef LN_DROPOUT_H
#define LN_DROPOUT_H

#include "module.h"
#include "rng.h"

/* One option, p (0.5), in [0, 1]. The masks are drawn from
 * ln_rng_default() (which lunet.manual_seed seeds), one uniform per element
 * per training forward: a seeded run is reproducible. p = 0 draws nothing
 * and passes everything, p = 1 draws nothing and zeroes everything. */
extern const ln_module_ops ln_dropout_ops;

ln_module *ln_dropout_new(double p);

/* Fills mask with 0 or 1 / (1 - p): element kept when a uniform draw is
 * below 1 - p. SETS mask. */
void ln_dropout_mask(float *mask /* (n) */, size_t n, double p, ln_rng *rng);

#endif
