/* sequential.c: chaining children forward and backward, fusing adjacent
 * built-in modules where one pass can do the work of two (see
 * sequential.h). */
#include "sequential.h"

#include "activation.h"
#include "batchnorm.h"

/* On unless a test turns it off to compare (ln_sequential_set_fusion). */
static int fusion = 1;

int ln_sequential_set_fusion(int on) {
  int was = fusion;
  fusion = on != 0;
  return was;
}

/* Whether children i, i+1 are a BatchNorm and a ReLU that can run fused on
 * x, BatchNorm's input: only for what the fused pass covers ((N,C),
 * contiguous), and only where BatchNorm's own checks pass, so a failure
 * is always the unfused chain's, with its message and its state. */
static int bn_relu(const ln_module *m, size_t i, const ln_tensor *x) {
  if (!fusion || i + 1 >= m->nchild) return 0;
  const ln_module *bn = m->child[i], *r = m->child[i + 1];
  return bn->ops == &ln_batchnorm_ops && r->ops == &ln_relu_ops && x->st && x->ndim == 2 &&
         x->size[1] == ((const ln_batchnorm *)bn)->nfeat && ln_is_contiguous(x) &&
         x->st != bn->output.st && x->st != r->output.st;
}

static int seq_forward(ln_module *m, const ln_tensor *in) {
  const ln_tensor *x = in;
  for (size_t i = 0; i < m->nchild; i++) {
    if (bn_relu(m, i, x)) {  /* BatchNorm and ReLU in one pass */
      if (ln_batchnorm_forward_relu(m->child[i], x, &m->child[i + 1]->output))
        return ln_module_child_fail(m, i);
      x = &m->child[++i]->output;
      continue;
    }
    if (ln_module_child_forward(m, i, x)) return LN_ERR;
    x = &m->child[i]->output;
  }
  ln_tensor_share(&m->output, x);
  return LN_OK;
}

/* Whether children i-1, i are a BatchNorm (input x) and a ReLU (grad_output
 * d) whose backward can run fused: as bn_relu, and where the checks of both
 * backwards pass (ln_module_backward's, the ReLU's, BatchNorm's). */
static int bn_relu_back(const ln_module *m, size_t i, const ln_tensor *x,
                        const ln_tensor *d) {
  if (i == 0 || !bn_relu(m, i - 1, x)) return 0;
  const ln_module *bn = m->child[i - 1], *r = m->child[i];
  const ln_tensor *rg = &r->grad_input;
  return d->st && r->output.st && ln_is_contiguous(d) && ln_same_shape(d, &r->output) &&
         ln_same_shape(&bn->output, &r->output) && ln_same_shape(x, &bn->output) &&
         d->st != rg->st && x->st != rg->st && bn->output.st != rg->st &&
         x->st != bn->grad_input.st && rg->st != bn->grad_input.st;
}

/* Only the first child may skip its grad_input: every later one feeds the
 * chain. Skipping leaves this Sequential's grad_input untouched too. */
static int seq_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  const ln_tensor *d = dout;
  for (size_t i = m->nchild; i-- > 0;) {
    const ln_tensor *x = i ? &m->child[i - 1]->output : in;
    m->child[i]->skip_grad_input = i == 0 && m->skip_grad_input;
    const ln_tensor *xb = i > 1 ? &m->child[i - 2]->output : in;
    if (bn_relu_back(m, i, xb, d)) {  /* ReLU's backward inside BatchNorm's */
      ln_module *bn = m->child[--i];
      bn->skip_grad_input = i == 0 && m->skip_grad_input;
      if (ln_batchnorm_backward_relu(bn, xb, d, &m->child[i + 1]->grad_input))
        return ln_module_child_fail(m, i);
      d = &bn->grad_input;
      continue;
    }
    if (ln_module_child_backward(m, i, x, d)) return LN_ERR;
    d = &m->child[i]->grad_input;
  }
  if (!m->skip_grad_input || !m->nchild) ln_tensor_share(&m->grad_input, d);
  return LN_OK;
}

static ln_module *seq_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                           ln_rng *rng) {
  (void)cfg, (void)rng;
  ln_module *m = ln_sequential_new();
  for (size_t i = 0; m && i < nchild; i++)
    if (ln_module_add_child(m, child[i], NULL)) {
      ln_module_release(m);
      return NULL;
    }
  return m;
}

const ln_module_ops ln_sequential_ops = {
  .tag = "Sequential", .forward = seq_forward, .backward = seq_backward,
  .max_children = LN_NOLIMIT, .make = seq_make,
};

ln_module *ln_sequential_new(void) {
  ln_module *m = ln_malloc(sizeof *m);
  if (!m) {
    ln_fail("Sequential: out of memory");
    return NULL;
  }
  ln_module_init(m, &ln_sequential_ops);
  return m;
}

int ln_sequential_add(ln_module *seq, ln_module *child) {
  if (seq->ops != &ln_sequential_ops) return ln_fail("%s: add needs a Sequential", seq->name);
  return ln_module_add_child(seq, child, NULL);
}
