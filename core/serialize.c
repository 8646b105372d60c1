/* serialize.c: tensor and module records (format in serialize.h), written
 * and read through each kind's ops table: no code here knows a kind. */
#include "serialize.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* ---- writing ---- */

void ln_put_bytes(ln_writer *w, const void *p, size_t len) {
  if (w->err || len == 0) return;  /* zlib's crc32 of NULL is its initial value */
  w->n += len;
  if (!w->f) return;
  w->crc = crc32_z(w->crc, p, len);
  if (fwrite(p, 1, len, w->f) != len) w->err = errno ? errno : EIO;
}

void ln_put_u(ln_writer *w, uint64_t v, int bytes) {
  unsigned char b[8] = {0};
  for (int i = 0; i < bytes; i++) b[i] = (unsigned char)(v >> (8 * i));
  ln_put_bytes(w, b, (size_t)bytes);
}

void ln_put_f64(ln_writer *w, double d) {
  uint64_t v = 0;
  memcpy(&v, &d, 8);
  ln_put_u(w, v, 8);
}

void ln_put_name(ln_writer *w, const char *s) {
  size_t len = s ? strlen(s) : 0;
  if (len > 255) len = 255;
  ln_put_u(w, len, 1);
  ln_put_bytes(w, s, len);
}

void ln_put_tensor(ln_writer *w, const ln_tensor *t) {
  ln_put_u(w, (uint64_t)t->ndim, 1);
  for (int i = 0; i < t->ndim; i++) ln_put_u(w, t->size[i], 8);
  size_t n = ln_numel(t);
  if (!w->f) {
    if (!w->err) w->n += 4 * (uint64_t)n;
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
      ln_put_bytes(w, chunk, k);
      k = 0;
    }
  }
  ln_put_bytes(w, chunk, k);
}

/* BOOL as one byte; SIZE, INT and DOUBLE as the 8 bytes of their bits; a
 * PAIR as two 8-byte sizes; a SHAPE as its count and sizes, 8 bytes each. */
static void put_field(ln_writer *w, const ln_module *m, const ln_field *f) {
  ln_value v = ln_field_get(m, f);
  uint64_t bits = 0;
  if (f->type == LN_FIELD_BOOL) {
    ln_put_u(w, v.b != 0, 1);
    return;
  }
  if (f->type == LN_FIELD_SHAPE) {
    ln_put_u(w, (uint64_t)v.s.n, 8);
    for (size_t i = 0; i < v.s.n; i++) ln_put_u(w, (uint64_t)v.s.d[i], 8);
    return;
  }
  if (f->type == LN_FIELD_PAIR || f->type == LN_FIELD_PADDING) {
    ln_put_u(w, (uint64_t)v.p[0], 8);
    ln_put_u(w, (uint64_t)v.p[1], 8);
    return;
  }
  memcpy(&bits, &v, 8);
  ln_put_u(w, bits, 8);
}

static void put_tensors(ln_writer *w, int n, const ln_tensor *t, char *const *names) {
  ln_put_u(w, (uint64_t)n, 4);
  for (int i = 0; i < n; i++) {
    ln_put_name(w, names[i]);
    ln_put_tensor(w, &t[i]);
  }
}

static void put_module(ln_writer *w, ln_module *m) {
  ln_put_name(w, m->ops->tag);
  ln_put_u(w, m->training != 0, 1);
  ln_put_u(w, m->nchild, 8);
  for (size_t i = 0; i < m->nchild; i++) {
    ln_put_name(w, m->child_name[i]);
    put_module(w, m->child[i]);
  }
  for (int i = 0; m->ops->fields && m->ops->fields[i].name; i++)
    put_field(w, m, &m->ops->fields[i]);
  if (m->ops->save && !w->err && m->ops->save(m, w)) w->err = -1;
  put_tensors(w, m->nparam, m->param, m->param_name);
  put_tensors(w, m->nbuf, m->buf, m->buf_name);
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

void ln_put_module(ln_writer *w, ln_module *m) {
  if (w->err) return;
  /* Never true for a tree ln_module_add_child built; what load refuses is never written. */
  if (ln_module_height(m) > LN_MAXDEPTH) {
    ln_fail("modules nested more than %d deep", LN_MAXDEPTH);
    w->err = -1;
  } else if (empty_params(m)) {
    ln_fail("the module has an empty parameter");
    w->err = -1;
  } else {
    put_module(w, m);
  }
}

/* ---- reading ---- */

int ln_bad(ln_reader *r, const char *what) {
  return ln_fail("load: %s: corrupted record (%s)", r->path, what);
}

size_t ln_left(const ln_reader *r) { return (size_t)(r->end - r->p); }

int ln_get_bytes(ln_reader *r, void *out, size_t len) {
  if (ln_left(r) < len) return ln_bad(r, "record runs past the end");
  memcpy(out, r->p, len);
  r->p += len;
  return LN_OK;
}

int ln_get_u(ln_reader *r, uint64_t *v, int bytes) {
  unsigned char b[8] = {0};
  if (ln_get_bytes(r, b, (size_t)bytes)) return LN_ERR;
  *v = 0;
  for (int i = 0; i < bytes; i++) *v |= (uint64_t)b[i] << (8 * i);
  return LN_OK;
}

int ln_get_f64(ln_reader *r, double *d) {
  uint64_t v = 0;
  if (ln_get_u(r, &v, 8)) return LN_ERR;
  memcpy(d, &v, 8);
  return LN_OK;
}

int ln_get_name(ln_reader *r, char *buf) {
  uint64_t len = 0;
  if (ln_get_u(r, &len, 1) || ln_get_bytes(r, buf, (size_t)len)) return LN_ERR;
  buf[len] = '\0';
  return LN_OK;
}

static int get_data(ln_reader *r, ln_tensor *t) {
  size_t n = ln_numel(t);
  if (ln_left(r) / 4 < n) return ln_bad(r, "tensor data runs past the end");
  float *d = ln_data(t);
  for (size_t i = 0; i < n; i++, r->p += 4) {
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
                 (uint32_t)r->p[3] << 24;
    memcpy(&d[i], &v, 4);
  }
  return LN_OK;
}

int ln_get_tensor(ln_reader *r, ln_tensor *t) {
  uint64_t nd = 0, s = 0;
  if (ln_get_u(r, &nd, 1)) return LN_ERR;
  if ((int)nd != t->ndim) return ln_bad(r, "a tensor has the wrong number of dimensions");
  for (int i = 0; i < t->ndim; i++) {
    if (ln_get_u(r, &s, 8)) return LN_ERR;
    if (s != t->size[i]) return ln_bad(r, "a tensor's shape does not match its layer");
  }
  return get_data(r, t);
}

/* Reads a tensor record's shape, refusing one whose floats could not be in
 * what is left of the file, so a crafted record cannot make us allocate
 * gigabytes. */
static int get_shape(ln_reader *r, int *ndim, size_t *shape) {
  uint64_t nd = 0, s = 0, total = 1;
  if (ln_get_u(r, &nd, 1)) return LN_ERR;
  if (nd < 1 || nd > LN_MAXDIM) return ln_bad(r, "a tensor has a bad number of dimensions");
  for (uint64_t i = 0; i < nd; i++) {
    if (ln_get_u(r, &s, 8)) return LN_ERR;
    if (s == 0 || s > ln_left(r) / 4 || total * s > ln_left(r) / 4)
      return ln_bad(r, "a tensor larger than the file");
    total *= s;
    shape[i] = (size_t)s;
  }
  *ndim = (int)nd;
  return LN_OK;
}

int ln_get_tensor_new(ln_reader *r, ln_tensor *t) {
  size_t shape[LN_MAXDIM];
  int nd = 0;
  if (get_shape(r, &nd, shape) || ln_tensor_init(t, nd, shape)) return LN_ERR;
  if (get_data(r, t)) {
    ln_tensor_free(t);
    return LN_ERR;
  }
  return LN_OK;
}

/* A constructor refused the record's config: say which file. */
static ln_module *refused(ln_reader *r) {
  char why[512];
  snprintf(why, sizeof why, "%s", ln_error());
  ln_bad(r, why);
  return NULL;
}

/* The default of option f, as the constructor would take it. */
static ln_value field_default(const ln_field *f) {
  ln_value v;
  memset(&v, 0, sizeof v);
  if (f->type == LN_FIELD_BOOL) v.b = f->def != 0;
  else if (f->type == LN_FIELD_DOUBLE || f->type == LN_FIELD_OPTDOUBLE) v.d = f->def;
  else if (f->type == LN_FIELD_INT || f->type == LN_FIELD_CHOICE) v.i = (int64_t)f->def;
  else v.z = (size_t)f->def;
  return v;
}

/* A SIZE (or a SHAPE's size) u: positive, and with *prod, the product of
 * the sizes so far, fitting in what is left of the file. */
static int check_size(ln_reader *r, const ln_module_ops *ops, uint64_t u, uint64_t *prod) {
  uint64_t left = ln_left(r) / 4;
  if (u == 0 || u > left || *prod * u > left) {
    char what[128];
    snprintf(what, sizeof what, "%s sizes larger than the file", ops->tag);
    return ln_bad(r, what);
  }
  *prod *= u;
  return LN_OK;
}

/* Reads the fields of ops into cfg. SIZE fields size tensors, so their
 * product must fit in what is left of the file. A file holds the fields
 * the kind had in its format version (module.h, since). */
static int get_fields(ln_reader *r, const ln_module_ops *ops, ln_value *cfg) {
  uint64_t prod = 1;
  int nsaved = ln_field_count(ops);  /* those the kind had when the file was written */
  while (ops->since && nsaved > 0 && ops->since[nsaved - 1] > r->version) nsaved--;
  for (int i = 0; ops->fields && ops->fields[i].name; i++) {
    uint64_t u = 0, u2 = 0;
    ln_field_type type = ops->fields[i].type;
    int bytes = type == LN_FIELD_BOOL ? 1 : 8;
    cfg[i] = field_default(&ops->fields[i]);
    if (i >= nsaved) continue;
    if (ln_get_u(r, &u, bytes)) return LN_ERR;
    memset(&cfg[i], 0, sizeof cfg[i]);
    if (type == LN_FIELD_PAIR || type == LN_FIELD_PADDING) {
      if (ln_get_u(r, &u2, 8)) return LN_ERR;  /* the kind's make checks the values */
      cfg[i].p[0] = (size_t)u, cfg[i].p[1] = (size_t)u2;
      continue;
    }
    if (type == LN_FIELD_SHAPE) {
      if (u < 1 || u > LN_MAXDIM) return ln_bad(r, "a shape has a bad number of dimensions");
      cfg[i].s.n = (size_t)u;
      for (size_t k = 0; k < cfg[i].s.n; k++) {
        if (ln_get_u(r, &u2, 8) || check_size(r, ops, u2, &prod)) return LN_ERR;
        cfg[i].s.d[k] = (size_t)u2;
      }
      continue;
    }
    if (bytes == 1) cfg[i].b = u != 0;
    else memcpy(&cfg[i], &u, 8);  /* the bits of z, i or d */
    if (type == LN_FIELD_SIZE && check_size(r, ops, u, &prod)) return LN_ERR;
  }
  return LN_OK;
}

/* Parameters (param 1) or buffers (0) of m: into the tensors the kind made,
 * names and shapes checked, or, for a dynamic kind, added as the file says. */
static int get_tensors(ln_reader *r, ln_module *m, int param) {
  uint64_t n = 0;
  char name[256];
  const char *what = param ? "parameter" : "buffer";
  if (ln_get_u(r, &n, r->version == 1 ? 1 : 4)) return LN_ERR;
  if (m->ops->dynamic) {
    if (n > ln_left(r) / 4) return ln_bad(r, "too many tensors");
    for (uint64_t i = 0; i < n; i++) {
      size_t shape[LN_MAXDIM];
      int nd = 0, k;
      if (ln_get_name(r, name) || get_shape(r, &nd, shape)) return LN_ERR;
      k = param ? ln_module_add_param(m, name, nd, shape)
                : ln_module_add_buffer(m, name, nd, shape);
      if (k < 0) return refused(r), LN_ERR;
      if (get_data(r, param ? &m->param[k] : &m->buf[k])) return LN_ERR;
    }
    return LN_OK;
  }
  int have = param ? m->nparam : m->nbuf;
  if ((int64_t)n != have) {
    char msg[64];
    snprintf(msg, sizeof msg, "%s count does not match the layer", what);
    return ln_bad(r, msg);
  }
  for (int i = 0; i < have; i++) {
    if (r->version >= 2 && ln_get_name(r, name)) return LN_ERR;
    if (r->version >= 2 && strcmp(name, param ? m->param_name[i] : m->buf_name[i])) {
      char msg[640];
      snprintf(msg, sizeof msg, "%s has no %s '%s'", m->name, what, name);
      return ln_bad(r, msg);
    }
    if (ln_get_tensor(r, param ? &m->param[i] : &m->buf[i])) return LN_ERR;
  }
  return LN_OK;
}

/* Reads n child records into kids and names (arrays of n, zeroed). */
static int get_children(ln_reader *r, uint64_t n, ln_module **kids, char **names,
                        int depth) {
  char name[256];
  for (uint64_t i = 0; i < n; i++) {
    name[0] = '\0';
    if (r->version >= 2 && ln_get_name(r, name)) return LN_ERR;
    if (name[0]) {
      size_t len = strlen(name) + 1;
      if (!(names[i] = ln_malloc(len))) return ln_fail("load: out of memory");
      memcpy(names[i], name, len);
    }
    if (!(kids[i] = ln_get_module(r, depth + 1))) return LN_ERR;
  }
  return LN_OK;
}

/* The kind's module from its children and configuration. */
static ln_module *make(ln_reader *r, const ln_module_ops *ops, ln_module **kids,
                       char **names, size_t n) {
  if (ops->load)  /* its message names the file */
    return ops->load(r, kids, (const char *const *)names, n);
  ln_value cfg[LN_MAXFIELD];
  if (get_fields(r, ops, cfg)) return NULL;
  ln_rng scratch;  /* the weights are overwritten: leave the default rng alone */
  ln_rng_seed(&scratch, 0);
  ln_module *m = ops->make(cfg, kids, n, &scratch);
  return m ? m : refused(r);
}

ln_module *ln_get_module(ln_reader *r, int depth) {
  uint64_t training = 0, n = 0;
  char tag[256];
  if (ln_get_name(r, tag) || ln_get_u(r, &training, 1)) return NULL;
  const ln_module_ops *ops = ln_module_kind(tag);
  if (!ops) return ln_fail("load: %s: unknown module kind '%s'", r->path, tag), NULL;
  if ((r->version >= 2 || ops->max_children) && ln_get_u(r, &n, 8)) return NULL;
  /* Checked before recursing: a crafted file may nest without end. */
  if (n > 0 && depth + 1 >= LN_MAXDEPTH) {
    ln_fail("load: %s: corrupted record (modules nested more than %d deep)", r->path,
            LN_MAXDEPTH);
    return NULL;
  }
  /* Every child record takes at least 4 bytes. */
  if (n > ln_left(r) / 4) return ln_bad(r, "too many children"), NULL;
  if (n < ops->min_children || n > ops->max_children) {
    char msg[320];
    snprintf(msg, sizeof msg, "%s with %llu children", tag, (unsigned long long)n);
    return ln_bad(r, msg), NULL;
  }
  ln_module **kids = n ? ln_calloc((size_t)n, sizeof *kids) : NULL, *m = NULL;
  char **names = n ? ln_calloc((size_t)n, sizeof *names) : NULL;
  if (n && (!kids || !names)) ln_fail("load: out of memory");
  else if (get_children(r, n, kids, names, depth) == LN_OK)
    m = make(r, ops, kids, names, (size_t)n);
  for (size_t i = 0; i < (size_t)n && kids && names; i++) {
    ln_module_release(kids[i]);
    ln_free(names[i]);
  }
  ln_free(kids);
  ln_free(names);
  if (!m) return NULL;
  if (get_tensors(r, m, 1) || get_tensors(r, m, 0)) {
    ln_module_release(m);
    return NULL;
  }
  /* Set this module's flag only: each child carries its own. */
  m->training = training != 0;
  if (m->ops->set_training) m->ops->set_training(m, m->training);
  return m;
}
