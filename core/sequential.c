/* sequential.c: chaining children forward and backward. */
#include "sequential.h"

static int seq_forward(ln_module *m, const ln_tensor *in) {
  const ln_tensor *x = in;
  for (size_t i = 0; i < m->nchild; i++) {
    if (ln_module_child_forward(m, i, x)) return LN_ERR;
    x = &m->child[i]->output;
  }
  ln_tensor_share(&m->output, x);
  return LN_OK;
}

/* Only the first child may skip its grad_input: every later one feeds the
 * chain. Skipping leaves this Sequential's grad_input untouched too. */
static int seq_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  const ln_tensor *d = dout;
  for (size_t i = m->nchild; i-- > 0;) {
    const ln_tensor *x = i ? &m->child[i - 1]->output : in;
    m->child[i]->skip_grad_input = i == 0 && m->skip_grad_input;
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
