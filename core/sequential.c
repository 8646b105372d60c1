/* sequential.c: chaining children forward and backward. */
#include "sequential.h"

#include <stdio.h>

/* Wraps a child's failure so the message says which child failed:
 * "Sequential: module 2: Linear: input has 5 features, expected 3". */
static int child_fail(size_t i) {
  char msg[400];
  snprintf(msg, sizeof msg, "%s", ln_error());
  return ln_fail("Sequential: module %zu: %s", i + 1, msg);
}

static int seq_forward(ln_module *m, const ln_tensor *in) {
  const ln_tensor *x = in;
  for (size_t i = 0; i < m->nchild; i++) {
    if (ln_module_forward(m->child[i], x)) return child_fail(i);
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
    if (ln_module_backward(m->child[i], x, d)) return child_fail(i);
    d = &m->child[i]->grad_input;
  }
  if (!m->skip_grad_input || !m->nchild) ln_tensor_share(&m->grad_input, d);
  return LN_OK;
}

static const ln_module_ops seq_ops = {
  LN_SEQUENTIAL, "Sequential", seq_forward, seq_backward, NULL, NULL
};

ln_module *ln_sequential_new(void) {
  ln_module *m = ln_malloc(sizeof *m);
  if (!m) {
    ln_fail("Sequential: out of memory");
    return NULL;
  }
  ln_module_init(m, &seq_ops);
  return m;
}

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

/* 1 when some module of b's tree is in the tree of a root above seq (or of
 * seq itself when it has no parent). */
static int overlaps_roots(const ln_module *seq, const ln_module *b) {
  if (!seq->nparent) return overlaps(seq, b);
  for (size_t i = 0; i < seq->nparent; i++)
    if (overlaps_roots(seq->parent[i], b)) return 1;
  return 0;
}

/* Grows an array of module pointers to hold one more. */
static int room_for_one(ln_module ***p, size_t n, size_t *cap) {
  if (n < *cap) return LN_OK;
  size_t c = *cap ? 2 * *cap : 4;
  ln_module **q = ln_realloc(*p, c * sizeof *q);
  if (!q) return ln_fail("Sequential: out of memory");
  *p = q;
  *cap = c;
  return LN_OK;
}

int ln_sequential_add(ln_module *seq, ln_module *child) {
  if (seq->ops->kind != LN_SEQUENTIAL)
    return ln_fail("%s: add needs a Sequential", seq->ops->name);
  if (ln_module_contains(child, seq))
    return ln_fail("Sequential: cannot add a module that is or contains this Sequential "
                   "(a cycle)");
  if (overlaps_roots(seq, child))
    return ln_fail("Sequential: %s is already in this Sequential (or one holding it); a "
                   "module can be used only once", child->ops->name);
  /* Every tree is within the limit before this add, so these recursions are
   * bounded; the add then keeps it so. */
  size_t depth = ln_module_level(seq) + ln_module_height(child);
  if (depth > LN_MAXDEPTH)
    return ln_fail("Sequential: modules nest at most %d deep; adding this %s would make "
                   "a tree %zu deep", LN_MAXDEPTH, child->ops->name, depth);
  if (room_for_one(&seq->child, seq->nchild, &seq->capchild) ||
      room_for_one(&child->parent, child->nparent, &child->capparent))
    return LN_ERR;
  ln_module_retain(child);
  seq->child[seq->nchild++] = child;
  child->parent[child->nparent++] = seq;
  return LN_OK;
}
