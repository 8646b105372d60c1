/* module.c: what every module shares: refcounting, named parameters and
 * buffers, children, recursion over trees, fields, describing, cloning. */
#include "module.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void ln_module_init(ln_module *m, const ln_module_ops *ops) {
  memset(m, 0, sizeof *m);
  m->ops = ops;
  snprintf(m->name, sizeof m->name, "%s", ops->tag);
  m->refs = 1;
  m->training = 1;
}

static char *copy_name(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = ln_malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

static int check_name(const ln_module *m, const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n >= LN_MAXNAME || strchr(name, '.'))
    return ln_fail("%s: a name must have 1 to %d characters and no '.', got '%s'", m->name,
                   LN_MAXNAME - 1, name);
  for (int i = 0; i < m->nparam; i++)
    if (!strcmp(m->param_name[i], name))
      return ln_fail("%s: '%s' is already a parameter", m->name, name);
  for (int i = 0; i < m->nbuf; i++)
    if (!strcmp(m->buf_name[i], name))
      return ln_fail("%s: '%s' is already a buffer", m->name, name);
  for (size_t i = 0; i < m->nchild; i++)
    if (m->child_name[i] && !strcmp(m->child_name[i], name))
      return ln_fail("%s: '%s' is already a child", m->name, name);
  return LN_OK;
}

/* Grows the tensor arrays *t (and *g when g) and the name array *names from
 * n to n + 1 entries, the new ones empty. */
static int grow(const ln_module *m, ln_tensor **t, ln_tensor **g, char ***names, int n) {
  size_t k = (size_t)n + 1;
  ln_tensor *nt = ln_realloc(*t, k * sizeof *nt);
  if (nt) *t = nt;
  ln_tensor *ng = g ? ln_realloc(*g, k * sizeof *ng) : NULL;
  if (ng) *g = ng;
  char **nn = ln_realloc(*names, k * sizeof *nn);
  if (nn) *names = nn;
  if (!nt || (g && !ng) || !nn) return ln_fail("%s: out of memory", m->name);
  ln_tensor empty = LN_TENSOR_EMPTY;
  (*t)[n] = empty;
  if (g) (*g)[n] = empty;
  (*names)[n] = NULL;
  return LN_OK;
}

/* Adds a named tensor (and its gradient when g) to the arrays. */
static int add_tensor(ln_module *m, ln_tensor **t, ln_tensor **g, char ***names, int *n,
                      const char *name, int ndim, const size_t *shape) {
  if (check_name(m, name) || grow(m, t, g, names, *n)) return LN_ERR;
  int i = *n;
  (*names)[i] = copy_name(name);
  if (!(*names)[i] || ln_tensor_init(&(*t)[i], ndim, shape) ||
      (g && ln_tensor_init(&(*g)[i], ndim, shape))) {
    ln_free((*names)[i]);
    ln_tensor_free(&(*t)[i]);
    if (g) ln_tensor_free(&(*g)[i]);
    return ln_fail("%s: out of memory for '%s'", m->name, name);
  }
  ln_tensor_fill(&(*t)[i], 0);
  if (g) ln_tensor_fill(&(*g)[i], 0);
  (*n)++;
  return i;
}

int ln_module_add_param(ln_module *m, const char *name, int ndim, const size_t *shape) {
  return add_tensor(m, &m->param, &m->grad, &m->param_name, &m->nparam, name, ndim, shape);
}

int ln_module_add_buffer(ln_module *m, const char *name, int ndim, const size_t *shape) {
  return add_tensor(m, &m->buf, NULL, &m->buf_name, &m->nbuf, name, ndim, shape);
}

void ln_module_retain(ln_module *m) { m->refs++; }

/* Drops parent from c's list of parents. */
static void unlink_parent(ln_module *c, const ln_module *parent) {
  for (size_t j = 0; j < c->nparent; j++)
    if (c->parent[j] == parent) {
      c->parent[j] = c->parent[--c->nparent];
      return;
    }
}

void ln_module_release(ln_module *m) {
  if (!m || --m->refs > 0) return;
  if (m->ops->destroy) m->ops->destroy(m);
  for (size_t i = 0; i < m->nchild; i++) {
    unlink_parent(m->child[i], m);
    ln_module_release(m->child[i]);
    ln_free(m->child_name[i]);
  }
  for (size_t i = 0; i < m->nremoved; i++) ln_module_release(m->removed[i]);
  ln_free(m->child);
  ln_free(m->child_name);
  ln_free(m->removed);
  ln_free(m->parent);
  for (int i = 0; i < m->nparam; i++) {
    ln_tensor_free(&m->param[i]);
    ln_tensor_free(&m->grad[i]);
    ln_free(m->param_name[i]);
  }
  for (int i = 0; i < m->nbuf; i++) {
    ln_tensor_free(&m->buf[i]);
    ln_free(m->buf_name[i]);
  }
  ln_free(m->param), ln_free(m->grad), ln_free(m->param_name);
  ln_free(m->buf), ln_free(m->buf_name);
  ln_tensor_free(&m->output);
  ln_tensor_free(&m->grad_input);
  ln_free(m);
}

/* ---- children ---- */

int ln_module_contains(const ln_module *root, const ln_module *m) {
  if (root == m) return 1;
  for (size_t i = 0; i < root->nchild; i++)
    if (ln_module_contains(root->child[i], m)) return 1;
  return 0;
}

/* 1 when some module of b's tree is in a's tree. */
static int overlaps(const ln_module *a, const ln_module *b) {
  if (ln_module_contains(a, b)) return 1;
  for (size_t i = 0; i < b->nchild; i++)
    if (overlaps(a, b->child[i])) return 1;
  return 0;
}

/* 1 when some module of b's tree is in the tree of a root above m (or of m
 * itself when it has no parent). */
static int overlaps_roots(const ln_module *m, const ln_module *b) {
  if (!m->nparent) return overlaps(m, b);
  for (size_t i = 0; i < m->nparent; i++)
    if (overlaps_roots(m->parent[i], b)) return 1;
  return 0;
}

/* Grows an array of pointers of `size` bytes each to hold one more. */
static int room_for_one(void *pp, size_t n, size_t *cap, size_t size, const char *who) {
  void **p = pp;
  if (n < *cap) return LN_OK;
  size_t c = *cap ? 2 * *cap : 4;
  void *q = ln_realloc(*p, c * size);
  if (!q) return ln_fail("%s: out of memory", who);
  *p = q;
  *cap = c;
  return LN_OK;
}

int ln_module_insert_child(ln_module *m, size_t at, ln_module *child, const char *name) {
  if (at > m->nchild)
    return ln_fail("%s: position %zu out of range (it has %zu children)", m->name, at + 1,
                   m->nchild);
  if (ln_module_contains(child, m))
    return ln_fail("%s: cannot add a module that is or contains this %s (a cycle)", m->name,
                   m->name);
  if (overlaps_roots(m, child))
    return ln_fail("%s: %s is already in this %s (or one holding it); a module can be used "
                   "only once", m->name, child->name, m->name);
  if (name && check_name(m, name)) return LN_ERR;
  /* Every tree is within the limit before this add, so these recursions are
   * bounded; the add then keeps it so. */
  size_t depth = ln_module_level(m) + ln_module_height(child);
  if (depth > LN_MAXDEPTH)
    return ln_fail("%s: modules nest at most %d deep; adding this %s would make a tree %zu "
                   "deep", m->name, LN_MAXDEPTH, child->name, depth);
  size_t cap = m->capchild;
  char *nm = name ? copy_name(name) : NULL;
  if ((name && !nm) ||
      room_for_one(&m->child, m->nchild, &cap, sizeof *m->child, m->name) ||
      room_for_one(&m->child_name, m->nchild, &m->capchild, sizeof *m->child_name,
                   m->name) ||
      room_for_one(&child->parent, child->nparent, &child->capparent, sizeof *child->parent,
                   m->name)) {
    ln_free(nm);
    return name && !nm ? ln_fail("%s: out of memory", m->name) : LN_ERR;
  }
  memmove(m->child + at + 1, m->child + at, (m->nchild - at) * sizeof *m->child);
  memmove(m->child_name + at + 1, m->child_name + at, (m->nchild - at) * sizeof *m->child_name);
  for (size_t i = 0; i < m->nremoved; i++)
    if (m->removed[i] == child) {  /* back in: its reference there is the child's */
      m->removed[i] = m->removed[--m->nremoved];
      ln_module_release(child);
      break;
    }
  ln_module_retain(child);
  m->child[at] = child;
  m->child_name[at] = nm;
  m->nchild++;
  child->parent[child->nparent++] = m;
  return LN_OK;
}

int ln_module_add_child(ln_module *m, ln_module *child, const char *name) {
  return ln_module_insert_child(m, m->nchild, child, name);
}

/* 1 when m's tree has a parameter or a buffer. */
static int has_state(const ln_module *m) {
  if (m->nparam || m->nbuf) return 1;
  for (size_t i = 0; i < m->nchild; i++)
    if (has_state(m->child[i])) return 1;
  return 0;
}

int ln_module_remove_child(ln_module *m, size_t at) {
  if (at >= m->nchild)
    return ln_fail("%s: position %zu out of range (it has %zu children)", m->name, at + 1,
                   m->nchild);
  ln_module **r = ln_realloc(m->removed, (m->nremoved + 1) * sizeof *r);
  if (!r) return ln_fail("%s: out of memory", m->name);
  m->removed = r;
  ln_module *c = m->child[at];
  ln_free(m->child_name[at]);
  memmove(m->child + at, m->child + at + 1, (m->nchild - at - 1) * sizeof *m->child);
  memmove(m->child_name + at, m->child_name + at + 1,
          (m->nchild - at - 1) * sizeof *m->child_name);
  m->nchild--;
  unlink_parent(c, m);
  if (has_state(c)) m->removed[m->nremoved++] = c;  /* the reference moves here */
  else ln_module_release(c);  /* nothing anyone could hold a pointer into */
  return LN_OK;
}

/* ---- using ---- */

/* Layers read their tensors as flat row-major memory: a strided input
 * (a transpose, a narrow of columns, an expand) is passed as a contiguous
 * copy; a contiguous one is passed as it is, with no copy or allocation. */
int ln_module_forward(ln_module *m, const ln_tensor *in) {
  if (!in->st) return ln_fail("%s: input is an empty tensor", m->name);
  if (ln_is_contiguous(in)) return m->ops->forward(m, in);
  ln_tensor c = LN_TENSOR_EMPTY;
  if (ln_tensor_contiguous(&c, in)) return LN_ERR;
  int rc = m->ops->forward(m, &c);
  ln_tensor_free(&c);
  return rc;
}

int ln_module_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  if (!in->st || !dout->st) return ln_fail("%s: backward of an empty tensor", m->name);
  if (!m->output.st) return ln_fail("%s: backward called before forward", m->name);
  if (!ln_same_shape(dout, &m->output)) {
    char a[64], b[64];
    return ln_fail("%s: grad_output has shape %s, expected %s (the output's)", m->name,
                   ln_shape_str(dout, a, sizeof a), ln_shape_str(&m->output, b, sizeof b));
  }
  /* A gradient not asked for is no gradient: the last one's values would
   * read as this pass's (m.grad_input is nil until one is computed). */
  if (m->skip_grad_input) ln_tensor_free(&m->grad_input);
  if (ln_is_contiguous(in) && ln_is_contiguous(dout)) return m->ops->backward(m, in, dout);
  ln_tensor ci = LN_TENSOR_EMPTY, cd = LN_TENSOR_EMPTY;
  int rc = ln_tensor_contiguous(&ci, in) || ln_tensor_contiguous(&cd, dout)
               ? LN_ERR : m->ops->backward(m, &ci, &cd);
  ln_tensor_free(&ci);
  ln_tensor_free(&cd);
  return rc;
}

/* Wraps child i's failure so the message says which child failed:
 * "Sequential: module 2: Linear: input has 5 features, expected 3". */
int ln_module_child_fail(const ln_module *m, size_t i) {
  char msg[400];
  snprintf(msg, sizeof msg, "%s", ln_error());
  if (m->child_name[i]) return ln_fail("%s: %s: %s", m->name, m->child_name[i], msg);
  return ln_fail("%s: module %zu: %s", m->name, i + 1, msg);
}

int ln_module_child_forward(ln_module *m, size_t i, const ln_tensor *in) {
  return ln_module_forward(m->child[i], in) ? ln_module_child_fail(m, i) : LN_OK;
}

int ln_module_child_backward(ln_module *m, size_t i, const ln_tensor *in,
                             const ln_tensor *dout) {
  return ln_module_backward(m->child[i], in, dout) ? ln_module_child_fail(m, i) : LN_OK;
}

void ln_module_zero_grad(ln_module *m) {
  for (int i = 0; i < m->nparam; i++) ln_tensor_fill(&m->grad[i], 0);
  for (size_t i = 0; i < m->nchild; i++) ln_module_zero_grad(m->child[i]);
}

void ln_module_set_training(ln_module *m, int on) {
  m->training = on;
  if (m->ops->set_training) m->ops->set_training(m, on);
  for (size_t i = 0; i < m->nchild; i++) ln_module_set_training(m->child[i], on);
}

/* 1 + the largest f over the n modules of ms (1 when n is 0). */
static size_t one_more(ln_module *const *ms, size_t n, size_t (*f)(const ln_module *)) {
  size_t most = 0;
  for (size_t i = 0; i < n; i++) {
    size_t k = f(ms[i]);
    if (k > most) most = k;
  }
  return most + 1;
}

size_t ln_module_height(const ln_module *m) {
  return one_more(m->child, m->nchild, ln_module_height);
}

size_t ln_module_level(const ln_module *m) {
  return one_more(m->parent, m->nparent, ln_module_level);
}

size_t ln_module_parameters(ln_module *m, ln_tensor **params, ln_tensor **grads,
                            size_t max) {
  size_t n = 0;
  for (int i = 0; i < m->nparam; i++, n++) {
    if (n < max) {
      params[n] = &m->param[i];
      grads[n] = &m->grad[i];
    }
  }
  for (size_t i = 0; i < m->nchild; i++) {
    size_t room = n < max ? max - n : 0;
    n += ln_module_parameters(m->child[i], params + (n < max ? n : 0),
                              grads + (n < max ? n : 0), room);
  }
  return n;
}

/* ---- fields, describing ---- */

ln_value ln_field_get(const ln_module *m, const ln_field *f) {
  static const size_t width[] = {sizeof(size_t), sizeof(int64_t), sizeof(double), sizeof(int),
                                 sizeof(int64_t), 2 * sizeof(size_t), 2 * sizeof(size_t),
                                 sizeof(double), sizeof(ln_dims)};
  ln_value v;
  memset(&v, 0, sizeof v);
  memcpy(&v, (const char *)m + f->offset, width[f->type]);  /* every member starts at v */
  return v;
}

int ln_field_count(const ln_module_ops *ops) {
  int n = 0;
  while (ops->fields && ops->fields[n].name) n++;
  return n;
}

int ln_dims_str(char *buf, size_t n, const ln_dims *d) {
  int len = snprintf(buf, n, "(");
  for (size_t i = 0; i < d->n; i++) {
    size_t at = (size_t)len < n ? (size_t)len : n;
    len += snprintf(buf + at, n - at, "%s%zu", i ? ", " : "", d->d[i]);
  }
  size_t at = (size_t)len < n ? (size_t)len : n;
  return len + snprintf(buf + at, n - at, d->n == 1 ? ",)" : ")");
}

int ln_pair_str(char *buf, size_t n, const size_t *p, int scalar) {
  if (p[0] == LN_PAIR_SAME) return snprintf(buf, n, "same");
  if (scalar && p[0] == p[1]) return snprintf(buf, n, "%zu", p[0]);
  return snprintf(buf, n, "(%zu, %zu)", p[0], p[1]);
}

/* Appends field f's value of m to buf at *len, as snprintf would. */
static void put_field(char *buf, size_t n, int *len, const ln_module *m, const ln_field *f,
                      int named) {
  ln_value v = ln_field_get(m, f);
  size_t at = (size_t)*len < n ? (size_t)*len : n;
  char *p = buf ? buf + at : NULL;
  size_t room = buf ? n - at : 0;
  const char *sep = *len > (int)strlen(m->name) + 1 ? ", " : "";
  const char *nm = named ? f->name : "", *eq = named ? "=" : "";
  if (f->type == LN_FIELD_SIZE) *len += snprintf(p, room, "%s%s%s%zu", sep, nm, eq, v.z);
  else if (f->type == LN_FIELD_INT)
    *len += snprintf(p, room, "%s%s%s%lld", sep, nm, eq, (long long)v.i);
  else if (f->type == LN_FIELD_DOUBLE) *len += snprintf(p, room, "%s%s%s%g", sep, nm, eq, v.d);
  else if (f->type == LN_FIELD_CHOICE)
    *len += snprintf(p, room, "%s%s%s'%s'", sep, nm, eq, m->ops->choices[v.i]);
  else if (f->type == LN_FIELD_BOOL)
    *len += snprintf(p, room, "%s%s%s%s", sep, nm, eq, v.b ? "true" : "false");
  else if (f->type == LN_FIELD_OPTDOUBLE && isnan(v.d))
    *len += snprintf(p, room, "%s%s%sfalse", sep, nm, eq);
  else if (f->type == LN_FIELD_OPTDOUBLE)
    *len += snprintf(p, room, "%s%s%s%g", sep, nm, eq, v.d);
  else if (f->type == LN_FIELD_SHAPE) {
    char s[LN_MAXDIM * 24 + 4];
    ln_dims_str(s, sizeof s, &v.s);
    *len += snprintf(p, room, "%s%s%s%s", sep, nm, eq, s);
  } else {
    char s[64];
    ln_pair_str(s, sizeof s, v.p, 0);
    *len += snprintf(p, room, "%s%s%s%s", sep, nm, eq, s);
  }
}

int ln_module_describe(const ln_module *m, char *buf, size_t n) {
  if (m->ops->describe) return m->ops->describe(m, buf, n);
  int len = snprintf(buf, n, "%s(", m->name);
  for (int i = 0; m->ops->fields && m->ops->fields[i].name; i++)
    put_field(buf, n, &len, m, &m->ops->fields[i], i >= m->ops->nargs);
  size_t at = (size_t)len < n ? (size_t)len : n;
  return len + snprintf(buf ? buf + at : NULL, buf ? n - at : 0, ")");
}

/* ---- cloning ---- */

/* Copies m's parameters and buffers into c, after adding them to c when the
 * kind takes them from elsewhere (dynamic); names and shapes must match. */
static int copy_state(ln_module *c, const ln_module *m) {
  if (m->ops->dynamic) {
    for (int i = 0; i < m->nparam; i++)
      if (ln_module_add_param(c, m->param_name[i], m->param[i].ndim, m->param[i].size) < 0)
        return LN_ERR;
    for (int i = 0; i < m->nbuf; i++)
      if (ln_module_add_buffer(c, m->buf_name[i], m->buf[i].ndim, m->buf[i].size) < 0)
        return LN_ERR;
  }
  if (c->nparam != m->nparam || c->nbuf != m->nbuf)
    return ln_fail("%s: clone: the copy has other parameters", m->name);
  for (int i = 0; i < m->nparam; i++)
    if (ln_tensor_copy(&c->param[i], &m->param[i])) return LN_ERR;
  for (int i = 0; i < m->nbuf; i++)
    if (ln_tensor_copy(&c->buf[i], &m->buf[i])) return LN_ERR;
  return LN_OK;
}

ln_module *ln_module_clone(ln_module *m) {
  ln_module **kids = m->nchild ? ln_calloc(m->nchild, sizeof *kids) : NULL;
  ln_module *c = NULL;
  if (m->nchild && !kids) {
    ln_fail("%s: out of memory", m->name);
    return NULL;
  }
  size_t k = 0;
  for (; k < m->nchild; k++)
    if (!(kids[k] = ln_module_clone(m->child[k]))) goto done;
  if (m->ops->clone) {
    c = m->ops->clone(m, kids, m->nchild);
  } else {
    ln_value cfg[LN_MAXFIELD];
    for (int i = 0; i < ln_field_count(m->ops) && i < LN_MAXFIELD; i++)
      cfg[i] = ln_field_get(m, &m->ops->fields[i]);
    ln_rng scratch;  /* the weights are overwritten: leave the default rng alone */
    ln_rng_seed(&scratch, 0);
    c = m->ops->make(cfg, kids, m->nchild, &scratch);
  }
  if (c && copy_state(c, m)) {
    ln_module_release(c);
    c = NULL;
  }
  if (c) {
    c->training = m->training;
    if (c->ops->set_training) c->ops->set_training(c, c->training);
  }
done:
  for (size_t i = 0; i < k; i++) ln_module_release(kids[i]);
  ln_free(kids);
  return c;
}
