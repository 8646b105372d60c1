/* idx.c: IDX files into tensors or byte arrays (see idx.h). */
#include "idx.h"

#include <errno.h>
#include <string.h>
#include <zlib.h>

typedef struct reader {
  gzFile f;
  const char *path;
  int type, esize, ndim;
  size_t size[LN_MAXDIM];
  size_t numel;   /* values to read (after max_rows) */
  size_t total;   /* values the header declares */
  size_t rows;    /* the header's first dimension */
} reader;

static const char *type_name(int type) {
  switch (type) {
  case 0x08: return "u8";
  case 0x09: return "i8";
  case 0x0B: return "i16";
  case 0x0C: return "i32";
  case 0x0D: return "f32";
  case 0x0E: return "f64";
  }
  return NULL;
}

static int type_size(int type) {
  switch (type) {
  case 0x0B: return 2;
  case 0x0C: case 0x0D: return 4;
  case 0x0E: return 8;
  }
  return 1;
}

/* Reads up to n bytes; returns how many (short only at end of file), or
 * -1 after ln_fail on a read error or corrupt gzip data. */
static long read_some(reader *r, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    size_t want = n - got > (1u << 30) ? (1u << 30) : n - got;
    int k = gzread(r->f, (char *)buf + got, (unsigned)want);
    if (k < 0) {
      int err;
      const char *msg = gzerror(r->f, &err);
      if (err == Z_ERRNO) msg = strerror(errno);
      return ln_fail("%s: read error: %s", r->path, msg);
    }
    if (k == 0) {
      /* zlib reports a gzip stream cut short as a soft Z_BUF_ERROR. */
      int err;
      gzerror(r->f, &err);
      if (err == Z_BUF_ERROR)
        return ln_fail("%s: truncated: the gzip stream ends early", r->path);
      break;
    }
    got += (size_t)k;
  }
  return (long)got;
}

static void close_reader(reader *r) {
  if (r->f) gzclose(r->f);
  r->f = NULL;
}

/* Opens the file and parses the header; on failure the file is closed. */
static int open_reader(reader *r, const char *path, size_t max_rows) {
  uint8_t head[4], dims[4 * LN_MAXDIM];
  memset(r, 0, sizeof *r);
  r->path = path;
  errno = 0;
  r->f = gzopen(path, "rb");
  if (!r->f)
    return ln_fail("%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
  gzbuffer(r->f, 1u << 17);
  long k = read_some(r, head, 4);
  if (k < 0) goto fail;
  if (k == 0) { ln_fail("%s: empty file, not an IDX file", path); goto fail; }
  if (k < 4) { ln_fail("%s: truncated IDX header (%ld of 4 magic bytes)", path, k); goto fail; }
  if (head[0] || head[1] || !type_name(head[2])) {
    ln_fail("%s: not an IDX file (magic bytes %02x %02x %02x %02x; expected 00 00 "
            "<type 08/09/0b/0c/0d/0e> <dims>)", path, head[0], head[1], head[2], head[3]);
    goto fail;
  }
  r->type = head[2];
  r->esize = type_size(r->type);
  r->ndim = head[3];
  if (r->ndim < 1 || r->ndim > LN_MAXDIM) {
    ln_fail("%s: IDX file has %d dimensions; lunet supports 1 to %d", path, r->ndim,
            LN_MAXDIM);
    goto fail;
  }
  k = read_some(r, dims, 4 * (size_t)r->ndim);
  if (k < 0) goto fail;
  if (k < 4 * r->ndim) {
    ln_fail("%s: truncated IDX header (%ld of %d dimension bytes)", path, k, 4 * r->ndim);
    goto fail;
  }
  size_t n = 1, bytes;
  for (int i = 0; i < r->ndim; i++) {
    const uint8_t *d = dims + 4 * i;
    r->size[i] = (size_t)d[0] << 24 | (size_t)d[1] << 16 | (size_t)d[2] << 8 | d[3];
    if (r->size[i] == 0) {
      ln_fail("%s: IDX dimension %d is 0 (empty data)", path, i + 1);
      goto fail;
    }
    if (ln_mul_size(n, r->size[i], &n) || n > LN_MAXNUMEL) {
      ln_fail("%s: IDX header declares too many values (size overflow; at most %zu)",
              path, LN_MAXNUMEL);
      goto fail;
    }
  }
  if (ln_mul_size(n, (size_t)r->esize, &bytes)) goto fail;
  r->total = n;
  r->rows = r->size[0];
  if (max_rows && max_rows < r->size[0]) {
    r->numel = n / r->size[0] * max_rows;
    r->size[0] = max_rows;
  } else {
    r->numel = n;
  }
  return LN_OK;
fail:
  close_reader(r);
  return LN_ERR;
}

static int truncated(reader *r, size_t got_bytes) {
  char shape[64];
  ln_tensor tmp = LN_TENSOR_EMPTY;
  tmp.ndim = r->ndim;
  memcpy(tmp.size, r->size, sizeof r->size);
  tmp.size[0] = r->rows;
  return ln_fail("%s: truncated: the header declares %s %s values (%zu bytes of data), "
                 "the file has %zu", r->path, ln_shape_str(&tmp, shape, sizeof shape),
                 type_name(r->type), r->total * (size_t)r->esize, got_bytes);
}

/* After the last value: a full read must be at the end of the file. */
static int check_end(reader *r, size_t max_rows) {
  uint8_t extra;
  if (max_rows) return LN_OK;
  long k = read_some(r, &extra, 1);
  if (k < 0) return LN_ERR;
  if (k > 0)
    return ln_fail("%s: data continues after the %zu values the IDX header declares "
                   "(not an IDX file, or a corrupt one)", r->path, r->total);
  return LN_OK;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* n big-endian values of the reader's type from src into dst. */
static void convert(int type, const uint8_t *src, float *dst, size_t n) {
  for (size_t i = 0; i < n; i++) {
    switch (type) {
    case 0x08: dst[i] = src[i]; break;
    case 0x09: dst[i] = (int8_t)src[i]; break;
    case 0x0B: dst[i] = (int16_t)(uint16_t)(src[2 * i] << 8 | src[2 * i + 1]); break;
    case 0x0C: dst[i] = (float)(int32_t)be32(src + 4 * i); break;
    case 0x0D: {
      uint32_t u = be32(src + 4 * i);
      memcpy(dst + i, &u, 4);
      break;
    }
    case 0x0E: {
      uint64_t u = (uint64_t)be32(src + 8 * i) << 32 | be32(src + 8 * i + 4);
      double d;
      memcpy(&d, &u, 8);
      dst[i] = (float)d;
      break;
    }
    }
  }
}

int ln_idx_read(ln_tensor *t, const char *path, size_t max_rows) {
  reader r;
  uint8_t chunk[1 << 14];
  if (open_reader(&r, path, max_rows)) return LN_ERR;
  ln_tensor out = LN_TENSOR_EMPTY;
  if (ln_tensor_init(&out, r.ndim, r.size)) goto fail;
  float *dst = ln_data(&out);
  size_t per = sizeof chunk / (size_t)r.esize, done = 0;
  while (done < r.numel) {
    size_t n = r.numel - done < per ? r.numel - done : per;
    long k = read_some(&r, chunk, n * (size_t)r.esize);
    if (k < 0) goto fail;
    if ((size_t)k < n * (size_t)r.esize) {
      truncated(&r, done * (size_t)r.esize + (size_t)k);
      goto fail;
    }
    convert(r.type, chunk, dst + done, n);
    done += n;
  }
  if (check_end(&r, max_rows)) goto fail;
  close_reader(&r);
  ln_tensor_free(t);
  *t = out;
  return LN_OK;
fail:
  close_reader(&r);
  ln_tensor_free(&out);
  return LN_ERR;
}

int ln_idx_read_bytes(ln_bytes *b, const char *path, size_t max_rows) {
  reader r;
  if (open_reader(&r, path, max_rows)) return LN_ERR;
  if (r.type != 0x08) {
    ln_fail("%s: IDX values are %s; only u8 files can be kept as bytes", path,
            type_name(r.type));
    close_reader(&r);
    return LN_ERR;
  }
  uint8_t *data = ln_malloc(r.numel);
  if (!data) {
    ln_fail("%s: out of memory for %zu bytes", path, r.numel);
    goto fail;
  }
  long k = read_some(&r, data, r.numel);
  if (k < 0) goto fail;
  if ((size_t)k < r.numel) {
    truncated(&r, (size_t)k);
    goto fail;
  }
  if (check_end(&r, max_rows)) goto fail;
  close_reader(&r);
  ln_bytes_free(b);
  b->data = data;
  b->ndim = r.ndim;
  memcpy(b->size, r.size, sizeof b->size);
  return LN_OK;
fail:
  close_reader(&r);
  ln_free(data);
  return LN_ERR;
}

size_t ln_bytes_numel(const ln_bytes *b) {
  size_t n = b->data ? 1 : 0;
  for (int i = 0; i < b->ndim; i++) n *= b->size[i];
  return n;
}

void ln_bytes_free(ln_bytes *b) {
  ln_free(b->data);
  memset(b, 0, sizeof *b);
}
