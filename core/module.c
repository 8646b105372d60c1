/* module.c: what every module shares (refcounting, recursion over children). */
#include "module.h"

#include <string.h>

void ln_module_init(ln_module *m, const ln_module_ops *ops) {
  memset(m, 0, sizeof *m);
  m->ops = ops;
  m->refs = 1;
  m->training = 1;
}

void ln_module_retain(ln_module *m) { m->refs++; }

void ln_module_release(ln_module *m) {
  if (!m || --m->refs > 0) return;
  if (m->ops->destroy) m->ops->destroy(m);
  for (size_t i = 0; i < m->nchild; i++) {
    ln_module *c = m->child[i];
    for (size_t j = 0; j < c->nparent; j++)
      if (c->parent[j] == m) {
        c->parent[j] = c->parent[--c->nparent];
        break;
      }
    ln_module_release(c);
  }
  ln_free(m->child);
  ln_free(m->parent);
  for (int i = 0; i < m->nparam; i++) {
    ln_tensor_free(&m->param[i]);
    ln_tensor_free(&m->grad[i]);
  }
  for (int i = 0; i < m->nbuf; i++) ln_tensor_free(&m->buf[i]);
  ln_tensor_free(&m->output);
  ln_tensor_free(&m->grad_input);
  ln_free(m);
}

/* Layers read their tensors as flat row-major memory: a strided input
 * (a transpose, a narrow of columns, an expand) is passed as a contiguous
 * copy; a contiguous one is passed as it is, with no copy or allocation. */
int ln_module_forward(ln_module *m, const ln_tensor *in) {
  if (!in->st) return ln_fail("%s: input is an empty tensor", m->ops->name);
  if (ln_is_contiguous(in)) return m->ops->forward(m, in);
  ln_tensor c = LN_TENSOR_EMPTY;
  if (ln_tensor_contiguous(&c, in)) return LN_ERR;
  int rc = m->ops->forward(m, &c);
  ln_tensor_free(&c);
  return rc;
}

int ln_module_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  if (!in->st || !dout->st) return ln_fail("%s: backward of an empty tensor", m->ops->name);
  if (!m->output.st) return ln_fail("%s: backward called before forward", m->ops->name);
  if (!ln_same_shape(dout, &m->output)) {
    char a[64], b[64];
    return ln_fail("%s: grad_output has shape %s, expected %s (the output's)", m->ops->name,
                   ln_shape_str(dout, a, sizeof a), ln_shape_str(&m->output, b, sizeof b));
  }
  if (ln_is_contiguous(in) && ln_is_contiguous(dout)) return m->ops->backward(m, in, dout);
  ln_tensor ci = LN_TENSOR_EMPTY, cd = LN_TENSOR_EMPTY;
  int rc = ln_tensor_contiguous(&ci, in) || ln_tensor_contiguous(&cd, dout)
               ? LN_ERR : m->ops->backward(m, &ci, &cd);
  ln_tensor_free(&ci);
  ln_tensor_free(&cd);
  return rc;
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
