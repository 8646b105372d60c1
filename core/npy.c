/* npy.c: NumPy .npy files (format in npy.h). */
#include "npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file.h"

static const char magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
#define MAXHEADER 65536  /* longer headers are not something NumPy writes */

/* ---- saving ---- */

int ln_npy_save(const char *path, const ln_tensor *t) {
  if (!t->st) return ln_fail("save_npy: the tensor is empty");
  char dict[256], shape[200];
  size_t used = 0;
  for (int i = 0; i < t->ndim; i++)
    used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%zu", i ? ", " : "",
                             t->size[i]);
  if (t->ndim == 1) snprintf(shape + used, sizeof shape - used, ",");
  int len = snprintf(dict, sizeof dict,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shape);
  /* Spaces and '\n' up to a multiple of 64 bytes, counting the 10 before. */
  size_t hlen = (size_t)len + 1, pad = (64 - (10 + hlen) % 64) % 64;
  hlen += pad;
  unsigned char head[10];
  memcpy(head, magic, 6);
  head[6] = 1;
  head[7] = 0;
  head[8] = (unsigned char)(hlen & 0xff);
  head[9] = (unsigned char)(hlen >> 8);
  ln_file w;
  if (ln_file_open(&w, "save_npy", path)) return LN_ERR;
  fwrite(head, 1, 10, w.f);
  fwrite(dict, 1, (size_t)len, w.f);
  for (size_t i = 0; i < pad; i++) fputc(' ', w.f);
  fputc('\n', w.f);
  /* Little-endian whatever the host, a chunk at a time in row-major order. */
  float chunk[1024];
  unsigned char bytes[4096];
  size_t n = ln_numel(t);
  for (size_t first = 0; first < n; first += 1024) {
    size_t k = n - first < 1024 ? n - first : 1024;
    ln_tensor_read(t, first, k, chunk);
    for (size_t i = 0; i < k; i++) {
      uint32_t u;
      memcpy(&u, &chunk[i], 4);
      for (int b = 0; b < 4; b++) bytes[4 * i + (size_t)b] = (unsigned char)(u >> (8 * b));
    }
    fwrite(bytes, 1, 4 * k, w.f);
  }
  return ln_file_commit(&w, "save_npy");
}

/* ---- loading ---- */

typedef struct header {
  char order;      /* '<' or '>' ('|' for one byte) */
  char kind;       /* 'f', 'i', 'u', 'b' */
  int bytes;       /* per element */
  int fortran;
  int ndim;        /* -1 until shape is read */
  size_t size[LN_MAXDIM];
} header;

typedef struct parser {
  const char *p, *end, *path;
} parser;

static void skip_space(parser *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n')) s->p++;
}

static int expect(parser *s, char c) {
  skip_space(s);
  if (s->p >= s->end || *s->p != c)
    return ln_fail("load_npy: %s: malformed header (expected '%c')", s->path, c);
  s->p++;
  return LN_OK;
}

/* A quoted string into buf. */
static int string(parser *s, char *buf, size_t n) {
  skip_space(s);
  if (s->p >= s->end || (*s->p != '\'' && *s->p != '"'))
    return ln_fail("load_npy: %s: malformed header (expected a string)", s->path);
  char q = *s->p++;
  size_t k = 0;
  while (s->p < s->end && *s->p != q) {
    if (k + 1 >= n) return ln_fail("load_npy: %s: malformed header (long string)", s->path);
    buf[k++] = *s->p++;
  }
  buf[k] = '\0';
  return expect(s, q);
}

static int descr(parser *s, header *h) {
  char d[32];
  if (string(s, d, sizeof d)) return LN_ERR;
  char *end;
  long bytes = strtol(d + 2, &end, 10);
  h->order = d[0] == '=' ? '<' : d[0];  /* '=' is native: little-endian hosts */
  h->kind = d[0] ? d[1] : 0;
  h->bytes = (int)bytes;
  int ok = strchr("<>|", h->order) && *end == '\0' && end != d + 2 &&
           ((h->kind == 'f' && (bytes == 4 || bytes == 8)) ||
            ((h->kind == 'i' || h->kind == 'u') &&
             (bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8)) ||
            (h->kind == 'b' && bytes == 1));
  if (!ok)
    return ln_fail("load_npy: %s: unsupported element type '%s' (float32/64, int8..64, uint8..64"
                   " or bool)", s->path, d);
  return LN_OK;
}

static int shape(parser *s, header *h) {
  if (expect(s, '(')) return LN_ERR;
  h->ndim = 0;
  size_t n = 1;
  for (;;) {
    skip_space(s);
    if (s->p < s->end && *s->p == ')') break;
    if (h->ndim == LN_MAXDIM)
      return ln_fail("load_npy: %s: more than %d dimensions", s->path, LN_MAXDIM);
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s->p, &end, 10);
    if (end == s->p || errno || *s->p == '-')
      return ln_fail("load_npy: %s: malformed shape in the header", s->path);
    s->p = end;
    if (v == 0) return ln_fail("load_npy: %s: the array has no elements", s->path);
    if (v > LN_MAXNUMEL || ln_mul_size(n, (size_t)v, &n) || n > LN_MAXNUMEL)
      return ln_fail("load_npy: %s: too many elements (more than %zu)", s->path, LN_MAXNUMEL);
    h->size[h->ndim++] = (size_t)v;
    skip_space(s);
    if (s->p < s->end && *s->p == ',') s->p++;
  }
  s->p++;
  return LN_OK;
}

static int parse(parser *s, header *h) {
  int seen[3] = {0, 0, 0};
  h->ndim = -1;
  if (expect(s, '{')) return LN_ERR;
  for (;;) {
    skip_space(s);
    if (s->p < s->end && *s->p == '}') break;
    char key[32];
    if (string(s, key, sizeof key) || expect(s, ':')) return LN_ERR;
    skip_space(s);
    int rc;
    if (strcmp(key, "descr") == 0) {
      rc = descr(s, h);
      seen[0] = 1;
    } else if (strcmp(key, "fortran_order") == 0) {
      size_t left = (size_t)(s->end - s->p);
      h->fortran = left >= 4 && strncmp(s->p, "True", 4) == 0;
      rc = h->fortran || (left >= 5 && strncmp(s->p, "False", 5) == 0) ? LN_OK
           : ln_fail("load_npy: %s: malformed fortran_order in the header", s->path);
      s->p += h->fortran ? 4 : 5;
      seen[1] = 1;
    } else if (strcmp(key, "shape") == 0) {
      rc = shape(s, h);
      seen[2] = 1;
    } else {
      rc = ln_fail("load_npy: %s: unknown header key '%s'", s->path, key);
    }
    if (rc) return LN_ERR;
    skip_space(s);
    if (s->p < s->end && *s->p == ',') s->p++;
  }
  if (!seen[0] || !seen[1] || !seen[2])
    return ln_fail("load_npy: %s: the header lacks descr, fortran_order or shape", s->path);
  if (h->fortran)
    return ln_fail("load_npy: %s: the array is in Fortran (column-major) order; save"
                   " numpy.ascontiguousarray(a) instead", s->path);
  return LN_OK;
}

/* One element of the file as a float. */
static float element(const unsigned char *b, const header *h) {
  unsigned char x[8];
  for (int i = 0; i < h->bytes; i++) x[i] = h->order == '>' ? b[h->bytes - 1 - i] : b[i];
  uint64_t u = 0;
  for (int i = 0; i < h->bytes; i++) u |= (uint64_t)x[i] << (8 * i);
  if (h->kind == 'b') return u != 0;
  if (h->kind == 'f' && h->bytes == 4) {
    uint32_t v = (uint32_t)u;
    float f;
    memcpy(&f, &v, 4);
    return f;
  }
  if (h->kind == 'f') {
    double d;
    memcpy(&d, &u, 8);
    return (float)d;
  }
  if (h->kind == 'u') return (float)u;
  /* Sign-extend from the element's width. */
  int shift = 64 - 8 * h->bytes;
  return (float)((int64_t)(u << shift) >> shift);
}

static int load(FILE *f, ln_tensor *t, const char *path) {
  unsigned char pre[12];
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, magic, 6) != 0)
    return ln_fail("load_npy: %s is not a .npy file (no \\x93NUMPY magic)", path);
  int major = pre[6];
  if (major < 1 || major > 3)
    return ln_fail("load_npy: %s: unsupported .npy version %d.%d", path, major, pre[7]);
  size_t hlen = pre[8] | (size_t)pre[9] << 8, start = 10;
  if (major > 1) {
    if (fread(pre + 10, 1, 2, f) != 2) return ln_fail("load_npy: %s: truncated header", path);
    hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    start = 12;
  }
  if (hlen > MAXHEADER)
    return ln_fail("load_npy: %s: header of %zu bytes is too long", path, hlen);
  char *text = ln_malloc(hlen + 1);
  if (!text) return ln_fail("load_npy: out of memory");
  header h = {0};
  parser s = {text, text + hlen, path};
  int rc = fread(text, 1, hlen, f) == hlen ? LN_OK
                                           : ln_fail("load_npy: %s: truncated header", path);
  if (rc == LN_OK) rc = parse(&s, &h);
  ln_free(text);
  if (rc) return LN_ERR;
  size_t n = 1, one = 1;
  for (int i = 0; i < h.ndim; i++) n *= h.size[i];
  struct stat st;
  size_t want = start + hlen + n * (size_t)h.bytes;
  if (fstat(fileno(f), &st) != 0 || (uint64_t)st.st_size != (uint64_t)want)
    return ln_fail("load_npy: %s: the header's shape needs %zu bytes of data, the file has %lld",
                   path, n * (size_t)h.bytes, (long long)st.st_size - (long long)(start + hlen));
  ln_tensor r = LN_TENSOR_EMPTY;
  if (h.ndim == 0 ? ln_tensor_resize(&r, 1, &one) : ln_tensor_resize(&r, h.ndim, h.size))
    return LN_ERR;
  float *p = ln_data(&r);
  unsigned char buf[8192];
  size_t per = sizeof buf / (size_t)h.bytes;
  for (size_t first = 0; first < n && rc == LN_OK; first += per) {
    size_t k = n - first < per ? n - first : per;
    if (fread(buf, (size_t)h.bytes, k, f) != k) {
      rc = ln_fail("load_npy: %s: read error", path);
      break;
    }
    for (size_t i = 0; i < k; i++) p[first + i] = element(buf + i * (size_t)h.bytes, &h);
  }
  if (rc == LN_OK) {
    ln_tensor_free(t);
    *t = r;
  } else {
    ln_tensor_free(&r);
  }
  return rc;
}

int ln_npy_load(ln_tensor *t, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return ln_fail("load_npy: cannot open %s: %s", path, strerror(errno));
  int rc = load(f, t, path);
  fclose(f);
  return rc;
}
