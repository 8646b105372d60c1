/* sequential.c: chaining children forward and backward, fusing adjacent
 * built-in modules where one pass can do the work of two (see
 * sequential.h). */
#include "sequential.h"

#include "activation.h"
#include "batchnorm.h"
#include "linear.h"

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

/* Whether children i-1, i are a ReLU (grad_output d) after a module p of
 * input x whose backward can take ReLU's in its first pass: where the checks
 * of ln_module_backward and the ReLU's backward pass, and no buffer written
 * is one read. */
static int relu_back(const ln_module *m, size_t i, const ln_tensor *x, const ln_tensor *d) {
  if (!fusion || i == 0) return 0;
  const ln_module *p = m->child[i - 1], *r = m->child[i];
  const ln_tensor *rg = &r->grad_input;
  return r->ops == &ln_relu_ops && x->st && x->ndim == 2 && ln_is_contiguous(x) && d->st &&
         r->output.st && ln_is_contiguous(d) && ln_same_shape(d, &r->output) &&
         ln_same_shape(&p->output, &r->output) && d->st != rg->st && x->st != rg->st &&
         p->output.st != rg->st && x->st != p->grad_input.st && rg->st != p->grad_input.st;
}

/* BatchNorm (with its own checks, as bn_relu) or Linear (its input's
 * width and rows) before the ReLU at i. */
static int bn_relu_back(const ln_module *m, size_t i, const ln_tensor *x, const ln_tensor *d) {
  return relu_back(m, i, x, d) && bn_relu(m, i - 1, x) &&
         ln_same_shape(x, &m->child[i - 1]->output);
}

static int linear_relu_back(const ln_module *m, size_t i, const ln_tensor *x,
                            const ln_tensor *d) {
  if (!relu_back(m, i, x, d) || m->child[i - 1]->ops != &ln_linear_ops) return 0;
  const ln_linear *l = (const ln_linear *)m->child[i - 1];
  return x->size[1] == l->in && x->size[0] == d->size[0];
}

/* Whether the Linear at i (input x) can take its bias gradient's partial
 * sums from the fused BatchNorm + ReLU after it (w: their width, 0 when
 * the BatchNorm cannot give them): where the layer's own backward checks
 * pass and no buffer written is one read. */
static int linear_colsum(const ln_module *m, size_t i, const ln_tensor *x, size_t w) {
  if (!w || m->child[i]->ops != &ln_linear_ops) return 0;
  const ln_module *lin = m->child[i], *bn = m->child[i + 1];
  return ln_linear_colsum_width(lin) == w && x->st && x->ndim == 2 && ln_is_contiguous(x) &&
         x->size[1] == ((const ln_linear *)lin)->in && x->size[0] == lin->output.size[0] &&
         x->st != lin->grad_input.st && bn->grad_input.st &&
         bn->grad_input.st != lin->grad_input.st;
}

/* Only the first child may skip its grad_input: every later one feeds the
 * chain. Skipping leaves this Sequential's grad_input untouched too. A ReLU
 * after a BatchNorm or a Linear runs inside that module's backward, and a
 * Linear before such a BatchNorm takes its bias gradient from it. */
static int seq_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  const ln_tensor *d = dout;
  float colsum[1024];  /* (w) the partial sums, w <= ln_linear_colsum_width's limit */
  for (size_t i = m->nchild; i-- > 0;) {
    const ln_tensor *x = i ? &m->child[i - 1]->output : in;
    m->child[i]->skip_grad_input = i == 0 && m->skip_grad_input;
    const ln_tensor *xp = i > 1 ? &m->child[i - 2]->output : in;
    int bn = bn_relu_back(m, i, xp, d), lin = !bn && linear_relu_back(m, i, xp, d);
    if (bn || lin) {
      ln_module *p = m->child[--i];
      ln_tensor *rg = &m->child[i + 1]->grad_input;
      const ln_tensor *xq = i > 1 ? &m->child[i - 2]->output : in;  /* a Linear's input */
      size_t w = bn && i ? ln_batchnorm_colsum_width(p, xp->size[0]) : 0;
      int sums = w && w <= sizeof colsum / sizeof *colsum && linear_colsum(m, i - 1, xq, w);
      p->skip_grad_input = i == 0 && m->skip_grad_input;
      if (bn ? ln_batchnorm_backward_relu(p, xp, d, rg, sums ? colsum : NULL)
             : ln_linear_backward_relu(p, xp, d, rg))
        return ln_module_child_fail(m, i);
      d = &p->grad_input;
      if (sums) {  /* the Linear before, its bias gradient from colsum */
        ln_module *l = m->child[--i];
        l->skip_grad_input = i == 0 && m->skip_grad_input;
        if (ln_linear_backward_colsum(l, xq, d, colsum)) return ln_module_child_fail(m, i);
        d = &l->grad_input;
      }
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
