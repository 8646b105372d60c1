/* base.c: error messages and the counted allocator. */
#include "base.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Per thread, so a viewer or data thread never clobbers the Lua thread's
 * message. __thread is a GCC/Clang extension that C99 lacks. */
static __thread char errbuf[512];
static uint64_t nalloc;

/* printf shows a NaN with its sign bit set (x86's 0/0) as "-nan"; a
 * message says "nan", as PyTorch and Lua's documentation do. */
static void unsign_nan(char *s) {
  char *w = s;
  for (const char *r = s; *r; r++) {
    if (r[0] == '-' && r[1] == 'n' && r[2] == 'a' && r[3] == 'n' &&
        (r == s || !isalnum((unsigned char)r[-1])) && !isalnum((unsigned char)r[4]))
      continue;  /* drop the sign */
    *w++ = *r;
  }
  *w = '\0';
}

int ln_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errbuf, sizeof errbuf, fmt, ap);
  va_end(ap);
  unsign_nan(errbuf);
  return LN_ERR;
}

const char *ln_error(void) { return errbuf; }

void *ln_malloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p) nalloc++;
  return p;
}

void *ln_calloc(size_t count, size_t size) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (p) nalloc++;
  return p;
}

void *ln_realloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (q) nalloc++;
  return q;
}

void ln_free(void *p) { free(p); }

uint64_t ln_alloc_count(void) { return nalloc; }

void ln_alloc_reused(void) { nalloc++; }

int ln_mul_size(size_t a, size_t b, size_t *out) {
  if (a && b > (size_t)-1 / a) return ln_fail("size overflow (%zu x %zu)", a, b);
  *out = a * b;
  return LN_OK;
}
