/* dataparallel.c: a module around a network whose gradients are averaged
 * over the ranks after backward (dataparallel.h). */
#include "dataparallel.h"

#include "dist.h"

static int dp_forward(ln_module *m, const ln_tensor *in) {
  if (ln_module_child_forward(m, 0, in)) return LN_ERR;
  ln_tensor_share(&m->output, &m->child[0]->output);
  return LN_OK;
}

static int dp_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  ln_module *net = m->child[0];
  net->skip_grad_input = m->skip_grad_input;
  if (ln_module_child_backward(m, 0, in, dout)) return LN_ERR;
  if (!m->skip_grad_input) ln_tensor_share(&m->grad_input, &net->grad_input);
  return ln_dataparallel_sync(m);
}

/* Lists the child's gradients into dp->grads, and their data and lengths
 * into dp->part and dp->len, growing the arrays only when the tree has more
 * parameters than before (a steady step lists the same). */
static int list_grads(ln_dataparallel *dp, size_t *count) {
  ln_module *net = dp->base.child[0];
  size_t n = ln_module_parameters(net, NULL, NULL, 0);
  if (n > dp->cap) {
    ln_tensor **g = ln_realloc(dp->grads, n * sizeof *g);
    if (g) dp->grads = g;
    ln_tensor **p = g ? ln_realloc(dp->params, n * sizeof *p) : NULL;
    if (p) dp->params = p;
    float **d = p ? ln_realloc(dp->part, n * sizeof *d) : NULL;
    if (d) dp->part = d;
    size_t *l = d ? ln_realloc(dp->len, n * sizeof *l) : NULL;
    if (l) dp->len = l;
    if (!l) return ln_fail("DataParallel: out of memory");
    dp->cap = n;
  }
  *count = ln_module_parameters(net, dp->params, dp->grads, n);
  for (size_t i = 0; i < *count; i++) {
    dp->len[i] = ln_numel(dp->grads[i]);
    dp->part[i] = dp->len[i] ? ln_data(dp->grads[i]) : NULL;
  }
  return LN_OK;
}

int ln_dataparallel_sync(ln_module *m) {
  ln_dataparallel *dp = (ln_dataparallel *)m;
  if (ln_dist_init()) return LN_ERR;
  int size = ln_dist_size();
  if (size == 1) return LN_OK;
  size_t n = 0;
  if (list_grads(dp, &n)) return LN_ERR;
  return ln_dist_sum_parts(dp->part, dp->len, n, 1.0f / (float)size);
}

static void dp_destroy(ln_module *m) {
  ln_dataparallel *dp = (ln_dataparallel *)m;
  ln_free(dp->grads);
  ln_free(dp->params);
  ln_free(dp->part);
  ln_free(dp->len);
}

static ln_module *wrap(ln_module *child);

/* Loading and cloning wrap the child as it is: a clone or a load may happen
 * on one rank alone, where a broadcast would wait for the others forever. */
static ln_module *dp_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                          ln_rng *rng) {
  (void)cfg, (void)nchild, (void)rng;
  return wrap(child[0]);
}

const ln_module_ops ln_dataparallel_ops = {
  .tag = "DataParallel", .forward = dp_forward, .backward = dp_backward,
  .destroy = dp_destroy, .min_children = 1, .max_children = 1, .make = dp_make,
  .wrapper = 1,
};

/* Every parameter and buffer of the tree at m, from rank 0. */
static int broadcast_tree(ln_module *m) {
  for (int i = 0; i < m->nparam; i++)
    if (ln_dist_broadcast(ln_data(&m->param[i]), ln_numel(&m->param[i]), 0)) return LN_ERR;
  for (int i = 0; i < m->nbuf; i++)
    if (ln_dist_broadcast(ln_data(&m->buf[i]), ln_numel(&m->buf[i]), 0)) return LN_ERR;
  for (size_t i = 0; i < m->nchild; i++)
    if (broadcast_tree(m->child[i])) return LN_ERR;
  return LN_OK;
}

ln_module *ln_dataparallel_new(ln_module *child) {
  if (ln_dist_init() || broadcast_tree(child)) return NULL;
  return wrap(child);
}

static ln_module *wrap(ln_module *child) {
  ln_dataparallel *dp = ln_calloc(1, sizeof *dp);
  if (!dp) {
    ln_fail("DataParallel: out of memory");
    return NULL;
  }
  ln_module *m = &dp->base;
  ln_module_init(m, &ln_dataparallel_ops);
  if (ln_module_add_child(m, child, NULL)) {
    ln_module_release(m);
    return NULL;
  }
  return m;
}
