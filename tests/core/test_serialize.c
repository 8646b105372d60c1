/* test_serialize.c: ln_save/ln_load round trip of a Sequential with every
 * kind of layer (parameters, running statistics, configs, training flags,
 * evaluation outputs bit for bit), and each bad file: missing, empty,
 * truncated, corrupted, foreign, future version, trailing bytes, a header
 * length near 2^64, files that are no regular file (/dev/zero, a FIFO, a
 * directory), a 3 GB file that is no model (never read past its header),
 * nesting at and past the one depth limit, and a failed save that must leave
 * the earlier file intact. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "activation.h"
#include "batchnorm.h"
#include "linear.h"
#include "sequential.h"
#include "serialize.h"

static char dir[] = "/tmp/lunet_serialize_XXXXXX";
static char path[256];

static int has(const char *msg, const char *part) { return strstr(msg, part) != NULL; }

static ln_module *build(ln_rng *rng) {
  ln_module *seq = ln_sequential_new(), *inner = ln_sequential_new();
  ln_module *ms[] = {ln_linear_new(3, 4, rng), ln_batchnorm_new(4, 1e-3, 0.5, 1),
                     ln_relu_new(), inner, ln_linear_new(4, 2, rng),
                     ln_batchnorm_new(2, 1e-5, 0.1, 0)};
  ln_module *in[] = {ln_tanh_new(), ln_sigmoid_new()};
  for (int i = 0; i < 2; i++) {
    ln_sequential_add(inner, in[i]);
    ln_module_release(in[i]);
  }
  for (int i = 0; i < 6; i++) {
    ln_sequential_add(seq, ms[i]);
    ln_module_release(ms[i]);
  }
  return seq;
}

static int same_tensor(const ln_tensor *a, const ln_tensor *b) {
  return ln_same_shape(a, b) && !memcmp(ln_data(a), ln_data(b), 4 * ln_numel(a));
}

/* Same kinds, configs, flags, parameters and buffers, recursively. */
static int same_module(ln_module *a, ln_module *b) {
  if (a->ops != b->ops || a->training != b->training || a->nparam != b->nparam ||
      a->nbuf != b->nbuf || a->nchild != b->nchild)
    return 0;
  for (int i = 0; i < a->nparam; i++)
    if (!same_tensor(&a->param[i], &b->param[i])) return 0;
  for (int i = 0; i < a->nbuf; i++)
    if (!same_tensor(&a->buf[i], &b->buf[i])) return 0;
  if (a->ops == &ln_batchnorm_ops) {
    ln_batchnorm *x = (ln_batchnorm *)a, *y = (ln_batchnorm *)b;
    if (x->eps != y->eps || x->momentum != y->momentum || x->affine != y->affine) return 0;
  }
  for (size_t i = 0; i < a->nchild; i++)
    if (!same_module(a->child[i], b->child[i])) return 0;
  return 1;
}

static void write_bytes(const char *p, const void *d, size_t n) {
  FILE *f = fopen(p, "wb");
  if (f) {
    fwrite(d, 1, n, f);
    fclose(f);
  }
}

static unsigned char *read_bytes(const char *p, size_t *n) {
  FILE *f = fopen(p, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *d = malloc(*n ? *n : 1);
  if (fread(d, 1, *n, f) != *n) *n = 0;
  fclose(f);
  return d;
}

/* Writes d (n bytes) as a bad file and expects load to fail with `part`. */
static void expect_bad(const char *what, const void *d, size_t n, const char *part) {
  char p[300];
  snprintf(p, sizeof p, "%s/bad.lnet", dir);
  write_bytes(p, d, n);
  ln_module *m = ln_load(p);
  CHECK(m == NULL, "%s file loaded", what);
  CHECK(has(ln_error(), part) && has(ln_error(), "load: ") && has(ln_error(), p),
        "%s: '%s' lacks '%s'", what, ln_error(), part);
  ln_module_release(m);
}

/* Files in dir whose name ends in ".tmp": what a save may leave behind. */
static int count_tmp(void) {
  DIR *d = opendir(dir);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));) {
    size_t k = strlen(e->d_name);
    n += k > 4 && !strcmp(e->d_name + k - 4, ".tmp");
  }
  if (d) closedir(d);
  return n;
}

static void test_round_trip(void) {
  ln_rng rng;
  ln_rng_seed(&rng, 3);
  ln_module *net = build(&rng);
  size_t xs[2] = {16, 3};
  ln_tensor x = LN_TENSOR_EMPTY, y = LN_TENSOR_EMPTY;
  ln_tensor_init(&x, 2, xs);
  ln_tensor_randn(&x, &rng, 0, 2);
  /* Training forwards move the running statistics away from 0/1. */
  for (int i = 0; i < 3; i++) CHECK(ln_module_forward(net, &x) == LN_OK, "%s", ln_error());
  ln_module_set_training(net, 0);
  net->child[2]->training = 1;  /* a mixed flag must survive too */
  CHECK(ln_save(path, net) == LN_OK, "%s", ln_error());
  CHECK(count_tmp() == 0, "a temporary file was left behind");

  ln_module *back = ln_load(path);
  CHECK(back != NULL, "%s", ln_error());
  if (!back) return;
  CHECK(back->refs == 1, "loaded module has %d references", back->refs);
  CHECK(same_module(net, back), "loaded module differs");
  CHECK(ln_module_forward(net, &x) == LN_OK && ln_tensor_clone(&y, &net->output) == LN_OK,
        "%s", ln_error());
  CHECK(ln_module_forward(back, &x) == LN_OK, "%s", ln_error());
  CHECK(same_tensor(&y, &back->output), "evaluation outputs differ");
  ln_linear *l = (ln_linear *)back->child[4];
  CHECK(l->in == 4 && l->out == 2, "Linear config %zu %zu", l->in, l->out);

  /* Saving the loaded module gives the same bytes. */
  char p2[300];
  snprintf(p2, sizeof p2, "%s/again.lnet", dir);
  CHECK(ln_save(p2, back) == LN_OK, "%s", ln_error());
  size_t n1 = 0, n2 = 0;
  unsigned char *a = read_bytes(path, &n1), *b = read_bytes(p2, &n2);
  CHECK(n1 > 0 && n1 == n2 && !memcmp(a, b, n1), "re-saved file differs");
  free(a), free(b);

  /* A single layer round-trips too. */
  CHECK(ln_save(p2, net->child[0]) == LN_OK, "%s", ln_error());
  ln_module *lin = ln_load(p2);
  CHECK(lin && same_module(lin, net->child[0]), "single Linear");
  ln_module_release(lin);
  ln_module_release(back);
  ln_module_release(net);
  ln_tensor_free(&x), ln_tensor_free(&y);
}

static void test_bad_files(void) {
  size_t n = 0;
  unsigned char *good = read_bytes(path, &n);
  CHECK(good && n > 100, "the saved file is %zu bytes", n);
  if (!good || n <= 100) return;
  char missing[300];
  snprintf(missing, sizeof missing, "%s/nope.lnet", dir);
  CHECK(ln_load(missing) == NULL && has(ln_error(), "cannot open: No such file"), "%s",
        ln_error());
  CHECK(ln_load(dir) == NULL && has(ln_error(), dir), "a directory: %s", ln_error());

  expect_bad("empty", good, 0, "file is empty");
  expect_bad("3-byte", good, 3, "truncated");
  expect_bad("header-only", good, 18, "truncated");
  expect_bad("half", good, n / 2, "truncated");
  expect_bad("one short", good, n - 1, "truncated");
  expect_bad("foreign", "PK\3\4 this is a zip file, not a model", 37,
             "not a lunet model file (bad magic)");
  expect_bad("text", "hello", 5, "bad magic");

  unsigned char *d = malloc(n + 8);
  memcpy(d, good, n);
  d[n / 2] ^= 0x10;
  expect_bad("flipped bit", d, n, "checksum mismatch (file corrupted)");
  memcpy(d, good, n);
  d[n - 1] ^= 0xff;
  expect_bad("bad checksum", d, n, "checksum mismatch");
  memcpy(d, good, n);
  d[6] = 6;  /* version 6 */
  expect_bad("future", d, n, "format version 6 is newer than this lunet reads (5)");
  memcpy(d, good, n);
  memcpy(d + n, "garbage!", 8);
  expect_bad("trailing", d, n + 8, "trailing data");
  free(d);
  free(good);
}

/* Records that pass the checksum but make no sense (a crafted or buggy
 * writer): the parser still refuses them. */
static void fix_crc(unsigned char *d, size_t n) {
  uint32_t c = (uint32_t)crc32(crc32(0L, Z_NULL, 0), d, (uInt)(n - 4));
  for (int i = 0; i < 4; i++) d[n - 4 + i] = (unsigned char)(c >> (8 * i));
}

static unsigned char *find(unsigned char *d, size_t n, const char *s) {
  size_t k = strlen(s);
  for (size_t i = 0; i + k <= n; i++)
    if (!memcmp(d + i, s, k)) return d + i;
  return NULL;
}

static void test_bad_records(void) {
  size_t n = 0;
  unsigned char *good = read_bytes(path, &n), *d = malloc(n);
  if (!good || !d) return;
  memcpy(d, good, n);
  unsigned char *lin = find(d, n, "Linear");
  CHECK(lin != NULL, "no Linear record");
  if (!lin) return;
  lin[5] = 'z';
  fix_crc(d, n);
  expect_bad("unknown kind", d, n, "unknown module kind 'Lineaz'");
  memcpy(d, good, n);
  lin[15] = 4;  /* "Linear", training u8, children u64, then in u64: 3 -> 4 */
  fix_crc(d, n);
  expect_bad("in 4 with a 4x3 weight", d, n, "shape does not match its layer");
  memcpy(d, good, n);
  unsigned char *bn = find(d, n, "BatchNorm");
  double eps = -1;
  memcpy(bn + 9 + 1 + 8 + 8, &eps, 8);  /* name, training, children, nfeat, then eps */
  fix_crc(d, n);
  expect_bad("negative eps", d, n, "corrupted record (BatchNorm");
  memcpy(d, good, n);
  lin[15 + 4] = 0x40;  /* in = 2^32 + 3: more floats than the file holds */
  fix_crc(d, n);
  expect_bad("huge Linear", d, n, "Linear sizes larger than the file");
  free(d);
  free(good);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Loads p expecting failure with `part`; returns the allocations it made. */
static uint64_t refused(const char *p, const char *part) {
  uint64_t before = ln_alloc_count();
  ln_module *m = ln_load(p);
  uint64_t made = ln_alloc_count() - before;
  CHECK(m == NULL && has(ln_error(), part), "%s: '%s' lacks '%s'", p, ln_error(), part);
  ln_module_release(m);
  return made;
}

/* Nothing that is not a regular file is read: /dev/zero would never end, a
 * FIFO would block in open, and a large foreign file stops at its header. */
static void test_not_models(void) {
  double t0 = now();
  CHECK(refused("/dev/zero", "load: /dev/zero: cannot load: not a regular file") == 0,
        "/dev/zero: allocated");
  char p[300];
  snprintf(p, sizeof p, "%s/fifo", dir);
  CHECK(mkfifo(p, 0600) == 0, "mkfifo");
  CHECK(refused(p, "not a regular file") == 0, "a FIFO: allocated");
  unlink(p);
  CHECK(refused(dir, "is a directory") == 0, "a directory: allocated");

  /* 3 GB, sparse: reading it whole would take seconds and 3 GB. */
  snprintf(p, sizeof p, "%s/big.bin", dir);
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  CHECK(fd >= 0 && write(fd, "GIF89a not a model", 18) == 18 &&
        ftruncate(fd, (off_t)3 << 30) == 0, "making a 3 GB file");
  close(fd);
  CHECK(refused(p, "not a lunet model file (bad magic)") == 0, "3 GB foreign: allocated");
  /* The same size behind a model's header that declares a small body. */
  size_t n = 0;
  unsigned char *good = read_bytes(path, &n);
  fd = open(p, O_WRONLY);
  CHECK(fd >= 0 && good && write(fd, good, n) == (ssize_t)n, "writing a header");
  close(fd);
  CHECK(refused(p, "bytes of trailing data (file corrupted)") == 0, "3 GB model: allocated");
  unlink(p);
  CHECK(now() - t0 < 5, "refusing took %.1f s", now() - t0);

  /* A body length near 2^64: HEADER + body + 4 must not wrap in a check or
   * in the message. */
  unsigned char *d = malloc(n);
  memcpy(d, good, n);
  memset(d + 10, 0xff, 8);
  expect_bad("2^64-1 body", d, n, "the header declares a body of 18446744073709551615 bytes");
  for (int i = 0; i < 8; i++) d[10 + i] = (unsigned char)((UINT64_MAX - 18 + 1) >> (8 * i));
  expect_bad("2^64-18 body", d, n, "declares a body of 18446744073709551598 bytes");
  free(d);
  free(good);
}

/* A version 1 file of `levels` Sequentials, each holding the next, around
 * one ReLU. */
static unsigned char *nested_file(size_t levels, size_t *len) {
  static const unsigned char seq[] = {10, 'S', 'e', 'q', 'u', 'e', 'n', 't', 'i', 'a', 'l',
                                      1, 1, 0, 0, 0, 0, 0, 0, 0};
  static const unsigned char relu[] = {4, 'R', 'e', 'L', 'U', 1, 0, 0};
  size_t body = levels * (sizeof seq + 2) + sizeof relu;
  *len = 18 + body + 4;
  unsigned char *d = malloc(*len), *p = d;
  memcpy(p, "LUNET\0\1\0\0\0", 10);
  for (int i = 0; i < 8; i++) p[10 + i] = (unsigned char)((uint64_t)body >> (8 * i));
  p += 18;
  for (size_t i = 0; i < levels; i++, p += sizeof seq) memcpy(p, seq, sizeof seq);
  memcpy(p, relu, sizeof relu);
  p += sizeof relu;
  memset(p, 0, 2 * levels);  /* each Sequential's parameter and buffer counts */
  fix_crc(d, *len);
  return d;
}

/* Load reads exactly the depths add builds and save writes. */
static void test_nesting(void) {
  char p[300];
  snprintf(p, sizeof p, "%s/deep.lnet", dir);
  size_t n = 0;
  unsigned char *d = nested_file(LN_MAXDEPTH - 1, &n);
  write_bytes(p, d, n);
  free(d);
  ln_module *m = ln_load(p);
  CHECK(m && ln_module_height(m) == LN_MAXDEPTH, "%s", m ? "wrong depth" : ln_error());
  /* It saves (as version 2) and loads back at the same depth. */
  CHECK(m && ln_save(p, m) == LN_OK, "%s", ln_error());
  ln_module *again = ln_load(p);
  CHECK(again && ln_module_height(again) == LN_MAXDEPTH, "%s",
        again ? "wrong depth again" : ln_error());
  ln_module_release(again);
  ln_module_release(m);
  size_t levels[] = {LN_MAXDEPTH, LN_MAXDEPTH + 1, 100000};
  for (int i = 0; i < 3; i++) {
    d = nested_file(levels[i], &n);
    write_bytes(p, d, n);
    free(d);
    char part[64];
    snprintf(part, sizeof part, "modules nested more than %d deep", LN_MAXDEPTH);
    refused(p, part);
  }
}

static void test_failed_save(void) {
  size_t n0 = 0, n1 = 0;
  unsigned char *before = read_bytes(path, &n0);
  ln_rng rng;
  ln_rng_seed(&rng, 9);
  ln_module *other = ln_linear_new(2, 2, &rng);
  /* A target whose name is near NAME_MAX leaves no room for the temporary
   * file's suffix, so the save fails even for root. The earlier file under
   * that name must survive it. */
  char longp[600], base[251];
  memset(base, 'm', 250);
  base[250] = 0;
  snprintf(longp, sizeof longp, "%s/%s", dir, base);
  write_bytes(longp, "an earlier file", 15);
  size_t l0 = 0, l1 = 0;
  unsigned char *lbefore = read_bytes(longp, &l0);
  ln_module *big = ln_linear_new(3, 3, &rng);
  CHECK(ln_save(longp, big) == LN_ERR, "save without room for a temporary name succeeded");
  CHECK(has(ln_error(), "save: ") && has(ln_error(), longp), "%s", ln_error());
  unsigned char *lafter = read_bytes(longp, &l1);
  CHECK(l0 > 0 && l0 == l1 && !memcmp(lbefore, lafter, l0), "the earlier file changed");
  free(lbefore);
  free(lafter);
  unlink(longp);
  ln_module_release(big);
  unsigned char *after = read_bytes(path, &n1);
  CHECK(n0 > 0 && n0 == n1 && !memcmp(before, after, n0), "the earlier file changed");
  ln_module *m = ln_load(path);
  CHECK(m != NULL && m->ops == &ln_sequential_ops, "earlier file no longer loads");
  ln_module_release(m);

  char nodir[300];
  snprintf(nodir, sizeof nodir, "%s/no/such/dir/m.lnet", dir);
  CHECK(ln_save(nodir, other) == LN_ERR && has(ln_error(), "No such file"), "%s",
        ln_error());
  ln_module_release(other);
  free(before), free(after);
}

int main(void) {
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(path, sizeof path, "%s/model.lnet", dir);
  test_round_trip();
  test_bad_files();
  test_bad_records();
  test_not_models();
  test_nesting();
  test_failed_save();
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return check_summary();
}
