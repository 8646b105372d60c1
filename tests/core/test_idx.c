/* test_idx.c: the IDX reader on files written here, every error path included
 * (run under ASan by `make asan`, so a leak or overrun on a path shows). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "idx.h"

static char dir[] = "/tmp/lunet_idx_XXXXXX";

static const char *path(const char *name) {
  static char buf[256];
  snprintf(buf, sizeof buf, "%s/%s", dir, name);
  return buf;
}

static const char *write_file(const char *name, const void *data, size_t n, int gz) {
  const char *p = path(name);
  if (gz) {
    gzFile f = gzopen(p, "wb");
    gzwrite(f, data, (unsigned)n);
    gzclose(f);
  } else {
    FILE *f = fopen(p, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
  }
  return p;
}

/* 2x3 u8 and 3 big-endian i16 values. */
static const unsigned char u8file[] = {0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3,
                                       0, 1, 2, 127, 128, 255};
static const unsigned char i16file[] = {0, 0, 0x0B, 1, 0, 0, 0, 3, 0xFF, 0xFE, 0x01, 0x2C,
                                        0x7F, 0xFF};

static int fails_with(const char *p, const char *what) {
  ln_tensor t = LN_TENSOR_EMPTY;
  int rc = ln_idx_read(&t, p, 0);
  int ok = rc == LN_ERR && t.st == NULL && strstr(ln_error(), what) != NULL;
  if (!ok) fprintf(stderr, "  %s: got '%s'\n", p, rc ? ln_error() : "success");
  ln_tensor_free(&t);
  return ok;
}

int main(void) {
  if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
  for (int gz = 0; gz < 2; gz++) {
    ln_tensor t = LN_TENSOR_EMPTY;
    CHECK(ln_idx_read(&t, write_file(gz ? "a.gz" : "a", u8file, sizeof u8file, gz), 0) == 0,
          "%s", ln_error());
    CHECK(t.ndim == 2 && t.size[0] == 2 && t.size[1] == 3, "shape %dD", t.ndim);
    CHECK(ln_data(&t)[3] == 127 && ln_data(&t)[5] == 255, "values");
    ln_tensor_free(&t);
  }
  ln_tensor t = LN_TENSOR_EMPTY;
  CHECK(ln_idx_read(&t, write_file("b", i16file, sizeof i16file, 0), 0) == 0, "%s", ln_error());
  CHECK(ln_data(&t)[0] == -2 && ln_data(&t)[1] == 300 && ln_data(&t)[2] == 32767, "i16");
  CHECK(ln_idx_read(&t, path("a"), 1) == 0 && t.size[0] == 1 && ln_numel(&t) == 3, "limit");
  ln_tensor_free(&t);

  ln_bytes b = {0};
  CHECK(ln_idx_read_bytes(&b, path("a.gz"), 0) == 0 && ln_bytes_numel(&b) == 6 &&
        b.data[5] == 255, "bytes");
  CHECK(ln_idx_read_bytes(&b, path("b"), 0) == LN_ERR && b.data[5] == 255,
        "an i16 file is refused as bytes and b is untouched");
  ln_bytes_free(&b);
  ln_bytes_free(&b);
  CHECK(b.data == NULL, "freed twice");

  CHECK(fails_with(path("none"), "cannot open"), "missing");
  CHECK(fails_with(write_file("c", u8file, sizeof u8file - 1, 0), "truncated"), "short");
  CHECK(fails_with(write_file("c.gz", u8file, sizeof u8file - 1, 1), "truncated"), "short gz");
  CHECK(fails_with(write_file("d", u8file, 7, 0), "truncated IDX header"), "header");
  CHECK(fails_with(write_file("e", "\x89PNG\r\n\x1a\n", 8, 0), "not an IDX file"), "magic");
  unsigned char bad[sizeof u8file];
  memcpy(bad, u8file, sizeof bad);
  bad[2] = 0x0A;
  CHECK(fails_with(write_file("f", bad, sizeof bad, 0), "not an IDX file"), "type code");
  bad[2] = 0x08, bad[3] = 9;
  CHECK(fails_with(write_file("g", bad, sizeof bad, 0), "9 dimensions"), "ndim");
  static const unsigned char huge[] = {0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255,
                                       255, 255, 255, 255};
  CHECK(fails_with(write_file("h", huge, sizeof huge, 0), "size overflow"), "overflow");

  for (const char *n[] = {"a", "a.gz", "b", "c", "c.gz", "d", "e", "f", "g", "h", NULL},
       **p = n; *p; p++)
    unlink(path(*p));
  rmdir(dir);
  return check_summary();
}
