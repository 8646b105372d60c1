/* residual.c: Residual (a block plus a shortcut) and Identity. */
#include "residual.h"

static int check_same(const ln_tensor *a, const ln_tensor *b) {
  if (ln_same_shape(a, b)) return LN_OK;
  char sa[64], sb[64];
  return ln_fail("Residual: the block gives %s but the shortcut gives %s",
                 ln_shape_str(a, sa, sizeof sa), ln_shape_str(b, sb, sizeof sb));
}

static int res_forward(ln_module *m, const ln_tensor *in) {
  if (in->st == m->output.st) return ln_fail("Residual: input shares storage with the output");
  if (ln_module_child_forward(m, 0, in)) return LN_ERR;
  if (m->nchild == 2 && ln_module_child_forward(m, 1, in)) return LN_ERR;
  const ln_tensor *a = &m->child[0]->output, *b = m->nchild == 2 ? &m->child[1]->output : in;
  if (check_same(a, b)) return LN_ERR;
  /* The children's outputs are their own buffers, never this one. */
  return ln_tensor_binop(&m->output, a, b, LN_ADD);
}

static int res_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  if (in->st == m->grad_input.st || dout->st == m->grad_input.st)
    return ln_fail("Residual: input or grad_output shares storage with grad_input");
  for (size_t i = 0; i < m->nchild; i++) {
    m->child[i]->skip_grad_input = m->skip_grad_input;
    if (ln_module_child_backward(m, i, in, dout)) return LN_ERR;
  }
  if (m->skip_grad_input) return LN_OK;
  const ln_tensor *a = &m->child[0]->grad_input;
  const ln_tensor *b = m->nchild == 2 ? &m->child[1]->grad_input : dout;
  if (!ln_same_shape(a, in) || !ln_same_shape(b, in))
    return ln_fail("Residual: a child's grad_input is not shaped like the input");
  return ln_tensor_binop(&m->grad_input, a, b, LN_ADD);
}

static ln_module *res_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                           ln_rng *rng) {
  (void)cfg, (void)rng;
  return ln_residual_new(child[0], nchild == 2 ? child[1] : NULL);
}

const ln_module_ops ln_residual_ops = {
  .tag = "Residual", .forward = res_forward, .backward = res_backward,
  .min_children = 1, .max_children = 2, .make = res_make,
};

ln_module *ln_residual_new(ln_module *block, ln_module *shortcut) {
  ln_module *m = ln_malloc(sizeof *m);
  if (!m) {
    ln_fail("Residual: out of memory");
    return NULL;
  }
  ln_module_init(m, &ln_residual_ops);
  if (ln_module_add_child(m, block, "block") ||
      (shortcut && ln_module_add_child(m, shortcut, "shortcut"))) {
    ln_module_release(m);
    return NULL;
  }
  return m;
}

static int id_forward(ln_module *m, const ln_tensor *in) {
  ln_tensor_share(&m->output, in);
  return LN_OK;
}

static int id_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  (void)in;
  if (!m->skip_grad_input) ln_tensor_share(&m->grad_input, dout);
  return LN_OK;
}

static ln_module *id_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                          ln_rng *rng) {
  (void)cfg, (void)child, (void)nchild, (void)rng;
  return ln_identity_new();
}

const ln_module_ops ln_identity_ops = {
  .tag = "Identity", .forward = id_forward, .backward = id_backward, .make = id_make,
};

ln_module *ln_identity_new(void) {
  ln_module *m = ln_malloc(sizeof *m);
  if (!m) {
    ln_fail("Identity: out of memory");
    return NULL;
  }
  ln_module_init(m, &ln_identity_ops);
  return m;
}
