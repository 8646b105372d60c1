/* file.c: temporary file + rename (see file.h). */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base.h"

/* A name no other process or thread is likely to pick: pid, a counter and
 * the clock, mixed; O_EXCL settles the rare collision by trying again. */
static void tmp_name(char *buf, size_t n, const char *path, unsigned attempt) {
  static uint64_t counter;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t x = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^
               ((uint64_t)ts.tv_sec << 20) ^ __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
  x ^= (uint64_t)attempt * 0x9e3779b97f4a7c15ull;
  x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33;
  snprintf(buf, n, "%s.%012llx.tmp", path, (unsigned long long)(x & 0xffffffffffffull));
}

/* "who: " when there is a who, so a message reads "save: m.lnet: ..." or
 * "m.lnet: ...". */
#define WHO(who) (who && *who ? who : ""), (who && *who ? ": " : "")

/* Records the failure: message first (abort frees the names), then err. */
static int failed(ln_file *w, int err, const char *who, const char *path, const char *what,
                  const char *tail) {
  ln_fail("%s%s%s: %s: %s%s", WHO(who), path, what, strerror(err), tail);
  ln_file_abort(w);
  w->err = err;
  return LN_ERR;
}

int ln_file_open(ln_file *w, const char *who, const char *path) {
  memset(w, 0, sizeof *w);
  if (!path || !*path) {
    w->err = ENOENT;
    return ln_fail("%s%sempty file name", WHO(who));
  }
  size_t len = strlen(path), n = len + 32;
  w->tmp = ln_malloc(n);
  w->path = ln_malloc(len + 1);
  if (!w->tmp || !w->path)
    return failed(w, ENOMEM, who, path, "no memory to name a temporary file", "");
  memcpy(w->path, path, len + 1);
  int fd = -1, e = 0;
  for (unsigned attempt = 0; attempt < 100 && fd < 0; attempt++) {
    tmp_name(w->tmp, n, path, attempt);
    fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    e = errno;
    if (fd < 0 && e != EEXIST) break;
  }
  if (fd < 0) {
    ln_free(w->tmp);  /* not ours to remove: nothing was created */
    w->tmp = NULL;
    return failed(w, e, who, path, "cannot create a temporary file beside it", "");
  }
  w->f = fdopen(fd, "wb");
  if (!w->f) {
    e = errno;
    close(fd);
    return failed(w, e, who, path, "cannot open the temporary file", "");
  }
  return LN_OK;
}

int ln_file_commit(ln_file *w, const char *who) {
  int err = w->err;
  /* After an earlier error a second flush most often fails again and says
   * why (ENOSPC); EIO only when it does not. */
  int earlier = ferror(w->f);
  if (!err && fflush(w->f) != 0) err = errno;
  if (!err && earlier) err = EIO;
  if (!err && fsync(fileno(w->f)) != 0) err = errno;
  if (fclose(w->f) != 0 && !err) err = errno;
  w->f = NULL;
  if (!err && rename(w->tmp, w->path) != 0) err = errno;
  if (err)
    return failed(w, err, who, w->path, "write failed", " (any earlier file is unchanged)");
  ln_free(w->tmp);
  ln_free(w->path);
  w->tmp = w->path = NULL;
  return LN_OK;
}

void ln_file_abort(ln_file *w) {
  if (w->f) fclose(w->f);
  if (w->tmp) unlink(w->tmp);
  ln_free(w->tmp);
  ln_free(w->path);
  w->f = NULL;
  w->tmp = w->path = NULL;
}
