/* rng.c: xoshiro256** seeded by splitmix64 (see rng.h). */
#include "rng.h"

#include <math.h>
#include <string.h>

#include "base.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void ln_rng_seed(ln_rng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
  r->has_spare = 0;
  r->spare = 0;
}

uint64_t ln_rng_next(ln_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double ln_rng_uniform(ln_rng *r) {
  return (double)(ln_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

double ln_rng_normal(ln_rng *r) {
  if (r->has_spare) {
    r->has_spare = 0;
    return r->spare;
  }
  /* 1 - u lies in (0, 1], so the log is finite. */
  double u1 = 1.0 - ln_rng_uniform(r), u2 = ln_rng_uniform(r);
  double rad = sqrt(-2.0 * log(u1)), th = 2.0 * M_PI * u2;
  r->spare = rad * sin(th);
  r->has_spare = 1;
  return rad * cos(th);
}

uint64_t ln_rng_below(ln_rng *r, uint64_t n) {
  /* Rejection keeps every value equally likely. */
  uint64_t limit = (uint64_t)-1 - ((uint64_t)-1 % n);
  uint64_t x;
  do x = ln_rng_next(r); while (x >= limit);
  return x % n;
}

static const char tag[8] = "xoshiro1";

static void put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

void ln_rng_get_state(const ln_rng *r, unsigned char *out) {
  uint64_t spare;
  memset(out, 0, LN_RNG_STATE_BYTES);
  memcpy(out, tag, 8);
  for (int i = 0; i < 4; i++) put64(out + 8 + 8 * i, r->s[i]);
  out[40] = r->has_spare ? 1 : 0;
  memcpy(&spare, &r->spare, sizeof spare);
  put64(out + 48, spare);
}

int ln_rng_set_state(ln_rng *r, const unsigned char *in, size_t n) {
  if (n != LN_RNG_STATE_BYTES)
    return ln_fail("an RNG state is %d bytes, got %zu", LN_RNG_STATE_BYTES, n);
  if (memcmp(in, tag, 8)) return ln_fail("not an RNG state (no \"xoshiro1\" tag)");
  ln_rng next;
  uint64_t any = 0, spare;
  for (int i = 0; i < 4; i++) any |= next.s[i] = get64(in + 8 + 8 * i);
  if (!any) return ln_fail("an all-zero RNG state is invalid");
  for (int i = 41; i < 48; i++)
    if (in[i]) return ln_fail("a bad RNG state (byte %d)", i + 1);
  if (in[40] > 1) return ln_fail("a bad RNG state (has_spare %d)", in[40]);
  next.has_spare = in[40];
  spare = get64(in + 48);
  memcpy(&next.spare, &spare, sizeof spare);
  if (!isfinite(next.spare)) return ln_fail("a bad RNG state (the spare normal is not finite)");
  *r = next;
  return LN_OK;
}

static ln_rng default_rng;
static int default_seeded;

ln_rng *ln_rng_default(void) {
  if (!default_seeded) {
    ln_rng_seed(&default_rng, 0);
    default_seeded = 1;
  }
  return &default_rng;
}
