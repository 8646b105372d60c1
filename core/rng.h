/* rng.h: the one random number generator of lunet.
 *
 * Algorithm: xoshiro256** (Blackman and Vigna, 2018) seeded through
 * splitmix64, so a seed gives the same stream on every machine.
 * uniform: the top 53 bits of a draw, scaled to [0, 1).
 * normal: Box-Muller on two uniforms in double precision; both values of a
 * pair are used (the second is kept as a spare). */
#ifndef LN_RNG_H
#define LN_RNG_H

#include <stdint.h>

typedef struct ln_rng {
  uint64_t s[4];
  int has_spare;
  double spare;
} ln_rng;

void ln_rng_seed(ln_rng *r, uint64_t seed);
uint64_t ln_rng_next(ln_rng *r);
double ln_rng_uniform(ln_rng *r);             /* [0, 1) */
double ln_rng_normal(ln_rng *r);              /* mean 0, std 1 */
uint64_t ln_rng_below(ln_rng *r, uint64_t n); /* uniform integer in [0, n), n > 0 */

/* The process-wide generator that lunet.manual_seed seeds (seed 0 at start). */
ln_rng *ln_rng_default(void);

#endif
