/* savefile.c: the file around a body: header, checksum, the atomic write
 * and the bounded read (format in serialize.h). */
#include "serialize.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "file.h"

static const unsigned char magic[6] = {'L', 'U', 'N', 'E', 'T', '\0'};
#define HEADER 18   /* magic 6 + version 4 + body length 8 */

/* A body's failure as "save: <path>: <why>", the temporary file removed. */
static int failed(const char *path, ln_file *f) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s", ln_error());
  if (f) ln_file_abort(f);
  return ln_fail("save: %s: %s", path, msg);
}

int ln_save_file(const char *path, int (*body)(ln_writer *w, void *ud), void *ud, void *ctx) {
  if (!path || !*path) return ln_fail("save: empty file name");
  ln_writer count = {NULL, 0, 0, 0, ctx};
  if (body(&count, ud) || count.err) return failed(path, NULL);
  ln_file f;
  if (ln_file_open(&f, "save", path)) return LN_ERR;
  ln_writer w = {f.f, 0, crc32(0L, Z_NULL, 0), 0, ctx};
  ln_put_bytes(&w, magic, sizeof magic);
  ln_put_u(&w, LN_FILE_VERSION, 4);
  ln_put_u(&w, count.n, 8);
  int rc = body(&w, ud);
  if (rc == LN_OK && w.err == 0 && w.n != HEADER + count.n)
    rc = ln_fail("the value changed while it was being saved");
  if (rc || w.err < 0) return failed(path, &f);
  ln_put_u(&w, (uint32_t)w.crc, 4);
  f.err = w.err;
  return ln_file_commit(&f, "save");
}

static int module_body(ln_writer *w, void *m) {
  ln_put_u(w, LN_V_MODULE, 1);
  ln_put_module(w, m);
  return w->err < 0 ? LN_ERR : LN_OK;
}

int ln_save(const char *path, ln_module *m) {
  return ln_save_file(path, module_body, m, NULL);
}

/* ---- reading: the whole file is checked, then parsed from memory ---- */

static uint64_t le(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* Reads up to n bytes; returns how many (short only at the end or on error). */
static size_t read_up_to(FILE *f, unsigned char *p, size_t n) {
  size_t got = 0, k;
  while (got < n && (k = fread(p + got, 1, n - got, f)) > 0) got += k;
  return got;
}

/* Opens path without blocking (a FIFO would wait for a writer) and refuses
 * anything but a regular file: /dev/zero never ends, a directory is no model. */
static FILE *open_regular(const char *path, uint64_t *size) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return ln_fail("load: %s: cannot open: %s", path, strerror(errno)), NULL;
  struct stat st;
  const char *why = NULL;
  if (fstat(fd, &st) != 0) why = strerror(errno);
  else if (S_ISDIR(st.st_mode)) why = "is a directory";
  else if (!S_ISREG(st.st_mode)) why = "not a regular file";
  FILE *f = why ? NULL : fdopen(fd, "rb");
  if (!f) {
    if (!why) why = strerror(errno);
    close(fd);
    return ln_fail("load: %s: cannot load: %s", path, why), NULL;
  }
  *size = (uint64_t)st.st_size;
  return f;
}

/* The header, before anything else is read: magic, version, and a body
 * length that the file's size matches. Sets *want to the whole file's size
 * (header, body, checksum). */
static int check_header(const char *path, const unsigned char *h, size_t n, uint64_t size,
                        uint64_t *want, unsigned *ver) {
  if (n == 0) return ln_fail("load: %s: file is empty", path);
  size_t k = n < sizeof magic ? n : sizeof magic;
  if (memcmp(h, magic, k) != 0)
    return ln_fail("load: %s: not a lunet model file (bad magic)", path);
  if (n < HEADER) return ln_fail("load: %s: truncated (%zu bytes, header incomplete)", path, n);
  uint64_t version = le(h + 6, 4), body = le(h + 10, 8);
  if (version > LN_FILE_VERSION)
    return ln_fail("load: %s: format version %llu is newer than this lunet reads (%u)",
                   path, (unsigned long long)version, LN_FILE_VERSION);
  if (version == 0) return ln_fail("load: %s: invalid format version 0", path);
  *ver = (unsigned)version;
  /* body + HEADER + 4 would wrap for a length near 2^64. */
  if (body > SIZE_MAX - HEADER - 4 || body > UINT64_MAX - HEADER - 4)
    return ln_fail("load: %s: the header declares a body of %llu bytes, more than any file "
                   "(file corrupted)", path, (unsigned long long)body);
  *want = HEADER + body + 4;
  if (size < *want)
    return ln_fail("load: %s: truncated (%llu bytes, expected %llu)", path,
                   (unsigned long long)size, (unsigned long long)*want);
  if (size > *want)
    return ln_fail("load: %s: %llu bytes of trailing data (file corrupted)", path,
                   (unsigned long long)(size - *want));
  return LN_OK;
}

/* Reads the whole file into *data: the header first, then exactly as many
 * bytes as it declares, so a large file that is not a model is never read
 * and a file growing meanwhile is caught, not read on. */
static int read_model(const char *path, unsigned char **data, size_t *len, unsigned *ver) {
  uint64_t size = 0, want = 0;
  FILE *f = open_regular(path, &size);
  if (!f) return LN_ERR;
  unsigned char h[HEADER], *buf = NULL;
  errno = 0;
  size_t n = read_up_to(f, h, HEADER);
  int rc = ferror(f) ? LN_ERR : check_header(path, h, n, size, &want, ver);
  if (rc == LN_OK && !(buf = ln_malloc((size_t)want)))
    rc = ln_fail("load: %s: out of memory for %llu bytes", path, (unsigned long long)want);
  if (rc == LN_OK) {
    memcpy(buf, h, HEADER);
    n = HEADER + read_up_to(f, buf + HEADER, (size_t)want - HEADER);
    if (!ferror(f) && n < want)
      rc = ln_fail("load: %s: truncated while reading (%zu bytes, expected %llu)", path, n,
                   (unsigned long long)want);
    else if (!ferror(f) && fgetc(f) != EOF)
      rc = ln_fail("load: %s: trailing data appeared while reading (file corrupted)", path);
  }
  if (ferror(f))
    rc = ln_fail("load: %s: read error: %s", path, strerror(errno ? errno : EIO));
  fclose(f);
  if (rc != LN_OK) {
    ln_free(buf);
    return LN_ERR;
  }
  *data = buf;
  *len = (size_t)want;
  return LN_OK;
}

/* The checksum of everything before it. */
static int check_crc(const char *path, const unsigned char *d, size_t n) {
  uLong crc = crc32_z(crc32(0L, Z_NULL, 0), d, n - 4);
  if ((uint32_t)crc != (uint32_t)le(d + n - 4, 4))
    return ln_fail("load: %s: checksum mismatch (file corrupted)", path);
  return LN_OK;
}

int ln_load_file(const char *path, int (*body)(ln_reader *r, void *ud), void *ud, void *ctx) {
  unsigned char *d = NULL;
  size_t n = 0;
  unsigned version = 0;
  if (!path || !*path) return ln_fail("load: empty file name");
  if (read_model(path, &d, &n, &version)) return LN_ERR;
  int rc = check_crc(path, d, n);
  if (rc == LN_OK) {
    ln_reader r = {d + HEADER, d + n - 4, path, version, ctx};
    rc = body(&r, ud);
    if (rc == LN_OK && r.p != r.end) rc = ln_bad(&r, "bytes left after the value");
  }
  ln_free(d);
  return rc;
}

/* What a version 2 file holds, for a message. */
static const char *holds(unsigned tag) {
  return tag == LN_V_TABLE ? "a table" : tag == LN_V_TENSOR ? "a tensor"
         : tag == LN_V_OPTIM ? "an optimizer" : "a value";
}

static int module_value(ln_reader *r, void *out) {
  ln_module **m = out;
  uint64_t tag = LN_V_MODULE;
  if (r->version >= 2 && ln_get_u(r, &tag, 1)) return LN_ERR;
  if (tag != LN_V_MODULE)
    return ln_fail("load: %s: holds %s, not a module (lunet.load reads it from Lua)",
                   r->path, holds((unsigned)tag));
  *m = ln_get_module(r, 0);
  return *m ? LN_OK : LN_ERR;
}

ln_module *ln_load(const char *path) {
  ln_module *m = NULL;
  if (ln_load_file(path, module_value, &m, NULL) == LN_OK) return m;
  ln_module_release(m);
  return NULL;
}
