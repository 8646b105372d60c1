/* serialize.c: the versioned, checksummed model file (format in serialize.h). */
#include "serialize.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "activation.h"
#include "batchnorm.h"
#include "file.h"
#include "linear.h"
#include "sequential.h"

static const unsigned char magic[6] = {'L', 'U', 'N', 'E', 'T', '\0'};
#define HEADER 18   /* magic 6 + version 4 + body length 8 */

/* ---- writing: a first pass only counts bytes, the second writes them ---- */

typedef struct writer {
  FILE *f;      /* NULL: counting pass */
  uint64_t n;   /* bytes so far */
  uLong crc;
  int err;
} writer;

static void put(writer *w, const void *p, size_t len) {
  w->n += len;
  if (!w->f || w->err) return;
  w->crc = crc32_z(w->crc, p, len);
  if (fwrite(p, 1, len, w->f) != len) w->err = errno ? errno : EIO;
}

static void put_u(writer *w, uint64_t v, int bytes) {
  unsigned char b[8] = {0};
  for (int i = 0; i < bytes; i++) b[i] = (unsigned char)(v >> (8 * i));
  put(w, b, (size_t)bytes);
}

static void put_f64(writer *w, double d) {
  uint64_t v = 0;
  memcpy(&v, &d, 8);
  put_u(w, v, 8);
}

static void put_tensor(writer *w, const ln_tensor *t) {
  put_u(w, (uint64_t)t->ndim, 1);
  for (int i = 0; i < t->ndim; i++) put_u(w, t->size[i], 8);
  size_t n = ln_numel(t);
  if (!w->f) {
    w->n += 4 * (uint64_t)n;
    return;
  }
  /* Read in row-major order, so a strided tensor writes its logical contents. */
  float p[1024];
  unsigned char chunk[4096];
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t v;
    if (i % 1024 == 0) ln_tensor_read(t, i, n - i < 1024 ? n - i : 1024, p);
    memcpy(&v, &p[i % 1024], 4);
    for (int j = 0; j < 4; j++) chunk[k++] = (unsigned char)(v >> (8 * j));
    if (k == sizeof chunk) {
      put(w, chunk, k);
      k = 0;
    }
  }
  put(w, chunk, k);
}

static void put_module(writer *w, ln_module *m) {
  size_t len = strlen(m->ops->name);
  put_u(w, len, 1);
  put(w, m->ops->name, len);
  put_u(w, m->training != 0, 1);
  switch (m->ops->kind) {
  case LN_LINEAR: {
    ln_linear *l = (ln_linear *)m;
    put_u(w, l->in, 8);
    put_u(w, l->out, 8);
    break;
  }
  case LN_BATCHNORM: {
    ln_batchnorm *b = (ln_batchnorm *)m;
    put_u(w, b->nfeat, 8);
    put_f64(w, b->eps);
    put_f64(w, b->momentum);
    put_u(w, b->affine != 0, 1);
    break;
  }
  case LN_SEQUENTIAL:
    put_u(w, m->nchild, 8);
    for (size_t i = 0; i < m->nchild; i++) put_module(w, m->child[i]);
    break;
  default: break;
  }
  put_u(w, (uint64_t)m->nparam, 1);
  for (int i = 0; i < m->nparam; i++) put_tensor(w, &m->param[i]);
  put_u(w, (uint64_t)m->nbuf, 1);
  for (int i = 0; i < m->nbuf; i++) put_tensor(w, &m->buf[i]);
}

static int write_file(FILE *f, ln_module *m) {
  writer count = {NULL, 0, 0, 0};
  put_module(&count, m);
  writer w = {f, 0, crc32(0L, Z_NULL, 0), 0};
  put(&w, magic, sizeof magic);
  put_u(&w, LN_FILE_VERSION, 4);
  put_u(&w, count.n, 8);
  put_module(&w, m);
  put_u(&w, (uint32_t)w.crc, 4);
  return w.err;
}

static int empty_params(ln_module *m) {
  for (int i = 0; i < m->nparam; i++)
    if (!m->param[i].st) return 1;
  for (int i = 0; i < m->nbuf; i++)
    if (!m->buf[i].st) return 1;
  for (size_t i = 0; i < m->nchild; i++)
    if (empty_params(m->child[i])) return 1;
  return 0;
}

int ln_save(const char *path, ln_module *m) {
  if (!path || !*path) return ln_fail("save: empty file name");
  /* Never true for a tree ln_sequential_add built; what load refuses is never written. */
  if (ln_module_height(m) > LN_MAXDEPTH)
    return ln_fail("save: %s: modules nested more than %d deep", path, LN_MAXDEPTH);
  if (empty_params(m)) return ln_fail("save: %s: the module has an empty parameter", path);
  ln_file w;
  if (ln_file_open(&w, "save", path)) return LN_ERR;
  w.err = write_file(w.f, m);
  return ln_file_commit(&w, "save");
}

/* ---- reading: the whole file is checked, then parsed from memory ---- */

typedef struct reader {
  const unsigned char *p, *end;
  const char *path;
} reader;

static int bad(reader *r, const char *what) {
  return ln_fail("load: %s: corrupted record (%s)", r->path, what);
}

static int get(reader *r, void *out, size_t len) {
  if ((size_t)(r->end - r->p) < len) return bad(r, "record runs past the end");
  memcpy(out, r->p, len);
  r->p += len;
  return LN_OK;
}

static int get_u(reader *r, uint64_t *v, int bytes) {
  unsigned char b[8] = {0};
  if (get(r, b, (size_t)bytes)) return LN_ERR;
  *v = 0;
  for (int i = 0; i < bytes; i++) *v |= (uint64_t)b[i] << (8 * i);
  return LN_OK;
}

static int get_f64(reader *r, double *d) {
  uint64_t v = 0;
  if (get_u(r, &v, 8)) return LN_ERR;
  memcpy(d, &v, 8);
  return LN_OK;
}

/* Reads a tensor record into t, which the constructor already shaped. */
static int get_tensor(reader *r, ln_tensor *t) {
  uint64_t nd = 0, s = 0;
  if (get_u(r, &nd, 1)) return LN_ERR;
  if ((int)nd != t->ndim) return bad(r, "a tensor has the wrong number of dimensions");
  for (int i = 0; i < t->ndim; i++) {
    if (get_u(r, &s, 8)) return LN_ERR;
    if (s != t->size[i]) return bad(r, "a tensor's shape does not match its layer");
  }
  size_t n = ln_numel(t);
  if ((size_t)(r->end - r->p) / 4 < n) return bad(r, "tensor data runs past the end");
  float *d = ln_data(t);
  for (size_t i = 0; i < n; i++, r->p += 4) {
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
                 (uint32_t)r->p[3] << 24;
    memcpy(&d[i], &v, 4);
  }
  return LN_OK;
}

/* Refuses sizes whose floats could not be in what is left of the file, so a
 * crafted record cannot make the constructor allocate gigabytes. */
static int fits(reader *r, uint64_t a, uint64_t b) {
  uint64_t left = (uint64_t)(r->end - r->p) / 4;
  return a > 0 && b > 0 && a <= left && b <= left && a * b <= left;
}

static ln_module *get_module(reader *r, int depth);

/* A constructor refused the record's config: say which file. */
static ln_module *refused(reader *r) {
  char why[256];
  snprintf(why, sizeof why, "%s", ln_error());
  ln_fail("load: %s: corrupted record (%s)", r->path, why);
  return NULL;
}

static ln_module *make_module(reader *r, const char *name, int depth) {
  uint64_t a = 0, b = 0, c = 0;
  double eps = 0, mom = 0;
  if (!strcmp(name, "ReLU")) return ln_relu_new();
  if (!strcmp(name, "Tanh")) return ln_tanh_new();
  if (!strcmp(name, "Sigmoid")) return ln_sigmoid_new();
  if (!strcmp(name, "Linear")) {
    if (get_u(r, &a, 8) || get_u(r, &b, 8)) return NULL;
    if (!fits(r, a, b)) return bad(r, "Linear sizes larger than the file"), NULL;
    ln_rng scratch; /* the weights are overwritten: leave the default rng alone */
    ln_rng_seed(&scratch, 0);
    ln_module *m = ln_linear_new((size_t)a, (size_t)b, &scratch);
    return m ? m : refused(r);
  }
  if (!strcmp(name, "BatchNorm")) {
    if (get_u(r, &a, 8) || get_f64(r, &eps) || get_f64(r, &mom) || get_u(r, &c, 1))
      return NULL;
    if (!fits(r, a, 1)) return bad(r, "BatchNorm size larger than the file"), NULL;
    ln_module *m = ln_batchnorm_new((size_t)a, eps, mom, c != 0);
    return m ? m : refused(r);
  }
  if (!strcmp(name, "Sequential")) {
    if (get_u(r, &a, 8)) return NULL;
    /* Checked before recursing: a crafted file may nest without end. */
    if (a > 0 && depth >= LN_MAXDEPTH) {
      ln_fail("load: %s: corrupted record (modules nested more than %d deep)", r->path,
              LN_MAXDEPTH);
      return NULL;
    }
    /* Every child record takes at least 4 bytes. */
    if (a > (uint64_t)(r->end - r->p) / 4) return bad(r, "too many children"), NULL;
    ln_module *seq = ln_sequential_new();
    if (!seq) return refused(r);
    for (uint64_t i = 0; i < a; i++) {
      ln_module *ch = get_module(r, depth + 1);
      if (!ch || ln_sequential_add(seq, ch)) {
        if (ch) refused(r);
        ln_module_release(ch);
        ln_module_release(seq);
        return NULL;
      }
      ln_module_release(ch);
    }
    return seq;
  }
  ln_fail("load: %s: unknown module kind '%s'", r->path, name);
  return NULL;
}

static ln_module *get_module(reader *r, int depth) {
  uint64_t len = 0, training = 0, np = 0, nb = 0;
  char name[256];
  if (get_u(r, &len, 1) || get(r, name, (size_t)len)) return NULL;
  name[len] = '\0';
  if (get_u(r, &training, 1)) return NULL;
  ln_module *m = make_module(r, name, depth);
  if (!m) return NULL;
  if (get_u(r, &np, 1)) goto fail;
  if ((int)np != m->nparam) {
    bad(r, "parameter count does not match the layer");
    goto fail;
  }
  for (int i = 0; i < m->nparam; i++)
    if (get_tensor(r, &m->param[i])) goto fail;
  if (get_u(r, &nb, 1)) goto fail;
  if ((int)nb != m->nbuf) {
    bad(r, "buffer count does not match the layer");
    goto fail;
  }
  for (int i = 0; i < m->nbuf; i++)
    if (get_tensor(r, &m->buf[i])) goto fail;
  /* Set this module's flag only: each child carries its own. */
  m->training = training != 0;
  if (m->ops->set_training) m->ops->set_training(m, m->training);
  return m;
fail:
  ln_module_release(m);
  return NULL;
}

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
                        uint64_t *want) {
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
static int read_model(const char *path, unsigned char **data, size_t *len) {
  uint64_t size = 0, want = 0;
  FILE *f = open_regular(path, &size);
  if (!f) return LN_ERR;
  unsigned char h[HEADER], *buf = NULL;
  errno = 0;
  size_t n = read_up_to(f, h, HEADER);
  int rc = ferror(f) ? LN_ERR : check_header(path, h, n, size, &want);
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

ln_module *ln_load(const char *path) {
  unsigned char *d = NULL;
  size_t n = 0;
  if (!path || !*path) return ln_fail("load: empty file name"), NULL;
  if (read_model(path, &d, &n)) return NULL;
  ln_module *m = NULL;
  if (check_crc(path, d, n) == LN_OK) {
    reader r = {d + HEADER, d + n - 4, path};
    m = get_module(&r, 1);
    if (m && r.p != r.end) {
      bad(&r, "bytes left after the model");
      ln_module_release(m);
      m = NULL;
    }
  }
  ln_free(d);
  return m;
}
