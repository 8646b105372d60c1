/* plant.c: an LD_PRELOAD shim for tests/files/atomic.sh (built there).
 *
 * Temporary names are unique and unpredictable, so a test cannot plant a
 * symlink at one beforehand. This shim does it at the last moment: when the
 * process opens a file whose name starts with $PLANT_PREFIX and ends in
 * ".tmp", it first creates a symlink of that very name to $PLANT_VICTIM,
 * every other time (so a writer that tries a fresh name succeeds), then lets
 * the open go on. A writer that follows symlinks overwrites the victim; one
 * that opens with O_CREAT|O_EXCL|O_NOFOLLOW gets EEXIST and picks another
 * name. Each symlink planted is counted in $PLANT_PREFIX.planted (one byte
 * per symlink). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

static void plant(const char *path) {
  static unsigned calls;
  const char *prefix = getenv("PLANT_PREFIX"), *victim = getenv("PLANT_VICTIM");
  size_t n = strlen(path);
  if (!prefix || !victim || strncmp(path, prefix, strlen(prefix)) || n < 4 ||
      strcmp(path + n - 4, ".tmp") || calls++ % 2)
    return;
  if (symlink(victim, path) != 0) return;
  char log[4096];
  snprintf(log, sizeof log, "%s.planted", prefix);
  int (*real)(const char *, int, ...) = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT,
                                                                                "open");
  int fd = real(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    if (write(fd, "x", 1) != 1) abort();
    close(fd);
  }
}

/* One body for each name the C library may use for open. */
#define SHIM(name)                                                             \
  int name(const char *path, int flags, ...) {                                 \
    static int (*real)(const char *, int, ...);                                \
    mode_t mode = 0;                                                           \
    if (flags & (O_CREAT | O_TMPFILE)) {                                       \
      va_list ap;                                                              \
      va_start(ap, flags);                                                     \
      mode = va_arg(ap, mode_t);                                               \
      va_end(ap);                                                              \
    }                                                                          \
    if (!real) real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #name); \
    plant(path);                                                               \
    return real(path, flags, mode);                                            \
  }
SHIM(open)
SHIM(open64)
