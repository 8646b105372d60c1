/* rng.h: the one random number generator of lunet.
 *
 * Algorithm: xoshiro256** (Blackman and Vigna, 2018) seeded through
 * splitmix64, so a seed gives the same stream on every machine.
 * uniform: the top 53 bits of a draw, scaled to [0, 1).
 * normal: Box-Muller on two uniforms in double precision; both values of a
 * pair are used (the second is kept as a spare). */
#ifndef LN_RNG_H
#define LN_RNG_H

#include <stddef.h>
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

/* The whole state as LN_RNG_STATE_BYTES bytes, the same on every machine:
 * "xoshiro1", s[0..3] as little-endian 64-bit words, has_spare (a byte,
 * then 7 zero bytes), the spare normal as the little-endian bits of a
 * double. For checkpoints: set_state continues the stream exactly. */
#define LN_RNG_STATE_BYTES 56
void ln_rng_get_state(const ln_rng *r, unsigned char *out);
/* Refuses (ln_fail) anything get_state cannot have made: another length or
 * tag, an all-zero xoshiro state (it would draw zeros forever), a bad flag,
 * a spare that is not finite. r is unchanged then. */
int ln_rng_set_state(ln_rng *r, const unsigned char *in, size_t n);

/* The process-wide generator that lunet.manual_seed seeds (seed 0 at start). */
ln_rng *ln_rng_default(void);

#endif
