/* base.h: error reporting and the counted allocator shared by the whole core.
 *
 * Core functions never abort, exit or call Lua. A failing function returns a
 * status (-1, or NULL for constructors) after recording a message with
 * ln_fail(); the caller (the Lua bindings) reads it with ln_error() and raises
 * it. Every heap allocation of the core goes through ln_malloc/ln_calloc/
 * ln_realloc so a test can count them (ln_alloc_count) and prove that a
 * steady training step allocates nothing. */
#ifndef LN_BASE_H
#define LN_BASE_H

#include <stddef.h>
#include <stdint.h>

#define LN_OK 0
#define LN_ERR (-1)

/* Records a printf-style message and returns LN_ERR. */
int ln_fail(const char *fmt, ...)
#ifdef __GNUC__
  __attribute__((format(printf, 1, 2)))
#endif
  ;
/* The message of the last failure on this thread. */
const char *ln_error(void);

void *ln_malloc(size_t n);
void *ln_calloc(size_t count, size_t size);
void *ln_realloc(void *p, size_t n);
void ln_free(void *p);
/* Number of successful ln_malloc/ln_calloc/ln_realloc calls so far, and
 * of blocks handed out again by a cache of freed ones (ln_alloc_reused):
 * taking a block from a cache is an allocation all the same. */
uint64_t ln_alloc_count(void);
void ln_alloc_reused(void);

/* a*b, or fails (returns LN_ERR, *out untouched) on size_t overflow. */
int ln_mul_size(size_t a, size_t b, size_t *out);

#endif
