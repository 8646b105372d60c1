/* test_par_kernels.c: the kernels split across the pool's workers beyond
 * the layers (those are test_layer_kernels.c's), each against a plain
 * serial reference and on 1 and 2 threads, bit for bit:
 * - every optimizer kind under several options, two groups and parameters
 *   whose flat range the split cuts anywhere, against the kind's update run
 *   on each whole parameter (the step counts and has_state too);
 * - fill, the unary operations and where on contiguous, transposed and
 *   narrowed tensors (the binary operations are test_tensor_fast.c's);
 * - the elementwise losses (MSE, L1, SmoothL1, Huber, BCE, BCEWithLogits
 *   with a pos_weight) under every reduction, forward and backward; the
 *   cost against the double sum of the "none" losses.
 * Sizes are above the kernels' grains, so the 2-thread runs do split. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "linear.h"
#include "loss.h"
#include "optim.h"
#include "sequential.h"
#include "tensor.h"

static ln_rng rng;

static int same_bits(const void *a, const void *b, size_t bytes) { return !memcmp(a, b, bytes); }

static void fill_random(float *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (float)(ln_rng_uniform(&rng) * 2 - 1);
}

/* ---- optimizers ---- */

/* Linear(300,200) then Linear(200,7): 61,607 elements in four parameters. */
static ln_module *two_layers(void) {
  ln_module *seq = ln_sequential_new(), *a = ln_linear_new(300, 200, &rng);
  ln_module *b = ln_linear_new(200, 7, &rng);
  CHECK(seq && a && b && ln_sequential_add(seq, a) == LN_OK && ln_sequential_add(seq, b) == LN_OK,
        "%s", ln_error());
  ln_module_release(a);
  ln_module_release(b);
  return seq;
}

typedef struct opt_case {
  const char *kind;
  const char *names[4];  /* options set (NULL ends) */
  double values[4];
} opt_case;

static void set_hp(const ln_optim_kind *k, double *hp, const opt_case *c, double lr_scale) {
  ln_optim_defaults(k, hp);
  for (int i = 0; i < 4 && c->names[i]; i++) {
    const ln_optim_option *o = ln_optim_option_find(k, c->names[i]);
    CHECK(o != NULL, "%s has no option %s", c->kind, c->names[i]);
    if (o) hp[o->slot] = c->values[i];
  }
  hp[0] *= lr_scale;  /* every kind's lr is slot 0: the groups differ */
}

#define STEPS 3

/* The parameters (then the state slots) after STEPS steps of the case on
 * `threads` threads, the same gradients each time; into out (numel floats
 * per parameter and slot, in order). */
static size_t run_optim(const opt_case *c, int threads, float *out, ln_optim_pstate *ps_out) {
  const ln_optim_kind *k = ln_optim_find(c->kind);
  ln_rng_seed(&rng, 5);
  ln_module *net = two_layers();
  ln_optim_group g[2];
  memset(g, 0, sizeof g);
  g[0].module = net->child[0];
  g[1].module = net;
  set_hp(k, g[0].hp, c, 1);
  set_hp(k, g[1].hp, c, 0.5);
  ln_optim *o = ln_optim_new(k, g, 2);
  CHECK(o != NULL, "%s", ln_error());
  ln_set_num_threads(threads);
  for (int s = 0; s < STEPS; s++) {
    for (size_t i = 0; i < o->n; i++) fill_random(ln_data(o->grad[i]), o->numel[i]);
    CHECK(ln_optim_step(o) == LN_OK, "%s", ln_error());
  }
  ln_set_num_threads(1);
  size_t at = 0;
  for (size_t i = 0; i < o->n; i++, at += o->numel[i - 1])
    memcpy(out + at, ln_data(o->param[i]), o->numel[i] * sizeof *out);
  memcpy(out + at, o->state, (size_t)k->nslot * o->total * sizeof *out);
  memcpy(ps_out, o->ps, o->n * sizeof *ps_out);
  size_t total = at + (size_t)k->nslot * o->total;
  ln_optim_free(o);
  ln_module_release(net);
  return total;
}

/* The same STEPS steps by the kind's update on each whole parameter. */
static void ref_optim(const opt_case *c, float *out, ln_optim_pstate *ps) {
  const ln_optim_kind *k = ln_optim_find(c->kind);
  ln_rng_seed(&rng, 5);
  ln_module *net = two_layers();
  ln_tensor *p[8], *gr[8];
  size_t n = ln_module_parameters(net, p, gr, 8), total = 0, off[8];
  for (size_t i = 0; i < n; i++) off[i] = total, total += ln_numel(p[i]);
  float *state = ln_calloc((size_t)k->nslot * total, sizeof *state);
  double hp[2][LN_OPTIM_MAXHP];
  set_hp(k, hp[0], c, 1);
  set_hp(k, hp[1], c, 0.5);
  memset(ps, 0, n * sizeof *ps);
  for (int s = 0; s < STEPS; s++) {
    for (size_t i = 0; i < n; i++) fill_random(ln_data(gr[i]), ln_numel(p[i]));
    for (size_t i = 0; i < n; i++) {
      float *sl[LN_OPTIM_MAXSLOT];
      for (int j = 0; j < k->nslot; j++) sl[j] = state + (size_t)j * total + off[i];
      ps[i].step++;
      k->update(hp[i < 2 ? 0 : 1], &ps[i], ln_data(p[i]), ln_data(gr[i]), sl, ln_numel(p[i]));
    }
  }
  for (size_t i = 0; i < n; i++) memcpy(out + off[i], ln_data(p[i]), ln_numel(p[i]) * 4);
  memcpy(out + total, state, (size_t)k->nslot * total * sizeof *out);
  ln_free(state);
  ln_module_release(net);
}

static void optimizers(void) {
  static const opt_case cases[] = {
    {"SGD", {"lr", NULL}, {0.1}},
    {"SGD", {"lr", "momentum", "weight_decay", NULL}, {0.1, 0.9, 0.01}},
    {"SGD", {"lr", "momentum", "nesterov", NULL}, {0.1, 0.9, 1}},
    {"SGD", {"lr", "momentum", "dampening", NULL}, {0.1, 0.9, 0.5}},
    {"Adam", {"weight_decay", NULL}, {0.01}},
    {"Adam", {"amsgrad", NULL}, {1}},
    {"AdamW", {"amsgrad", NULL}, {0}},
    {"RMSprop", {"momentum", "centered", NULL}, {0.9, 1}},
    {"RMSprop", {NULL}, {0}},
    {"Adagrad", {"lr_decay", "initial_accumulator_value", NULL}, {0.1, 0.2}},
  };
  size_t cap = 5 * 61607;  /* parameters and up to 4 slots */
  float *r = ln_malloc(cap * sizeof *r), *t1 = ln_malloc(cap * sizeof *t1);
  float *t2 = ln_malloc(cap * sizeof *t2);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const opt_case *c = &cases[i];
    ln_optim_pstate pr[4], p1[4], p2[4];
    memset(r, 0, cap * sizeof *r), memset(t1, 0, cap * sizeof *t1);
    memset(t2, 0, cap * sizeof *t2);
    ref_optim(c, r, pr);
    size_t n = run_optim(c, 1, t1, p1);
    CHECK(run_optim(c, 2, t2, p2) == n, "sizes");
    CHECK(same_bits(r, t1, n * sizeof *r), "%s case %zu: 1 thread differs from the reference",
          c->kind, i);
    CHECK(same_bits(t1, t2, n * sizeof *r), "%s case %zu: 1 and 2 threads differ", c->kind, i);
    for (int j = 0; j < 4; j++)
      CHECK(pr[j].step == p2[j].step && pr[j].has_state == p2[j].has_state &&
            pr[j].step == p1[j].step && pr[j].has_state == p1[j].has_state,
            "%s case %zu: parameter %d's step %ld/%ld, has_state %d/%d", c->kind, i, j,
            p2[j].step, pr[j].step, p2[j].has_state, pr[j].has_state);
  }
  ln_free(r), ln_free(t1), ln_free(t2);
}

/* ---- elementwise ---- */

/* t = a (rows, cols) random tensor in one of three layouts: 0 contiguous,
 * 1 the transpose of a (cols, rows), 2 narrowed from wider rows. */
static void matrix(ln_tensor *t, size_t rows, size_t cols, int layout) {
  size_t size[2] = {layout == 1 ? cols : rows, layout == 1 ? rows : cols + (layout == 2) * 5};
  ln_tensor base = LN_TENSOR_EMPTY;
  CHECK(ln_tensor_init(&base, 2, size) == LN_OK, "%s", ln_error());
  fill_random(ln_data(&base), size[0] * size[1]);
  for (size_t i = 0; i < size[0] * size[1]; i += 97) ln_data(&base)[i] = i % 2 ? NAN : 0;
  if (layout == 1) ln_tensor_transpose(t, &base, 0, 1);
  else ln_tensor_narrow_dim(t, &base, 1, 2 * (layout == 2), cols);
  ln_tensor_free(&base);
}

/* out = op(a) on `threads` threads, read out row-major into v. */
static void unary_on(int threads, const ln_tensor *a, ln_unop op, float *v) {
  ln_tensor out = LN_TENSOR_EMPTY;
  ln_set_num_threads(threads);
  CHECK(ln_tensor_unary(&out, a, op, -0.5, 0.5) == LN_OK, "%s", ln_error());
  ln_set_num_threads(1);
  ln_tensor_read(&out, 0, ln_numel(a), v);
  ln_tensor_free(&out);
}

static void elementwise(void) {
  size_t rows = 1800, cols = 301, n = rows * cols;  /* 542k: split at 2 threads, fill too */
  float *v1 = ln_malloc(n * sizeof *v1), *v2 = ln_malloc(n * sizeof *v2);
  for (int layout = 0; layout < 3; layout++) {
    ln_tensor a = LN_TENSOR_EMPTY, c = LN_TENSOR_EMPTY, out = LN_TENSOR_EMPTY;
    matrix(&a, rows, cols, layout);
    for (int op = LN_U_ABS; op <= LN_U_CLAMP; op++) {
      unary_on(1, &a, (ln_unop)op, v1);
      unary_on(2, &a, (ln_unop)op, v2);
      CHECK(same_bits(v1, v2, n * sizeof *v1), "%s (layout %d): 1 and 2 threads differ",
            ln_unop_name((ln_unop)op), layout);
    }
    /* where(c, a, a^T-ish): the reference is the plain loop over the rows */
    matrix(&c, rows, cols, (layout + 1) % 3);
    ln_set_num_threads(2);
    CHECK(ln_tensor_where(&out, &c, &a, &c) == LN_OK, "%s", ln_error());
    ln_tensor_read(&out, 0, n, v2);
    ln_tensor_fill(&out, 0.25f);
    ln_set_num_threads(1);
    ln_tensor_read(&a, 0, n, v1);
    float *cv = ln_malloc(n * sizeof *cv);
    ln_tensor_read(&c, 0, n, cv);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
      float want = cv[i] != 0 ? v1[i] : cv[i];
      bad += memcmp(&want, &v2[i], sizeof want) != 0;
    }
    CHECK(bad == 0, "where (layout %d) on 2 threads: %zu elements wrong", layout, bad);
    ln_tensor_read(&out, 0, n, v2);
    bad = 0;
    for (size_t i = 0; i < n; i++) bad += v2[i] != 0.25f;
    CHECK(bad == 0, "fill on 2 threads: %zu elements wrong", bad);
    ln_free(cv);
    ln_tensor_free(&a), ln_tensor_free(&c), ln_tensor_free(&out);
  }
  ln_free(v1), ln_free(v2);
}

/* ---- elementwise losses ---- */

/* cost, l.out (reduction none) and l.grad of kind k on `threads` threads. */
static double loss_on(int threads, const ln_loss_kind *k, ln_reduction red, const ln_tensor *x,
                      const ln_tensor *t, const ln_tensor *pw, float *out, float *grad) {
  ln_loss l;
  ln_loss_options o;
  ln_loss_init(&l, k);
  ln_loss_options_default(&o);
  o.reduction = red;
  if (pw) ln_tensor_share(&o.pos_weight, pw);
  CHECK(ln_loss_set_options(&l, &o) == LN_OK, "%s", ln_error());
  ln_tensor_free(&o.pos_weight);
  double cost = NAN;
  size_t n = ln_numel(x);
  ln_set_num_threads(threads);
  CHECK(ln_loss_forward(&l, &cost, x, t, 0) == LN_OK, "%s: %s", k->name, ln_error());
  if (red == LN_REDUCE_NONE) ln_tensor_read(&l.out, 0, n, out);
  CHECK(ln_loss_backward(&l, x, t, 0) == LN_OK, "%s: %s", k->name, ln_error());
  ln_set_num_threads(1);
  ln_tensor_read(&l.grad, 0, n, grad);
  ln_loss_free(&l);
  return cost;
}

static void losses(void) {
  const ln_loss_kind *kinds[] = {&ln_loss_mse, &ln_loss_l1, &ln_loss_smooth_l1, &ln_loss_huber,
                                 &ln_loss_bce, &ln_loss_bce_logits};
  size_t size[2] = {4001, 25}, n = size[0] * size[1], last = size[1];  /* 7 blocks */
  ln_tensor x = LN_TENSOR_EMPTY, t = LN_TENSOR_EMPTY, pw = LN_TENSOR_EMPTY;
  ln_tensor_init(&x, 2, size), ln_tensor_init(&t, 2, size), ln_tensor_init(&pw, 1, &last);
  float *buf[4];
  for (int i = 0; i < 4; i++) buf[i] = ln_malloc(n * sizeof *buf[i]);
  fill_random(ln_data(&pw), last);
  for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
    int prob = kinds[k] == &ln_loss_bce;  /* inputs in [0, 1] */
    fill_random(ln_data(&x), n);
    fill_random(ln_data(&t), n);
    for (size_t i = 0; i < n; i++) {
      if (prob) ln_data(&x)[i] = ln_data(&x)[i] * 0.5f + 0.5f;
      if (prob || kinds[k] == &ln_loss_bce_logits) ln_data(&t)[i] = ln_data(&t)[i] > 0;
    }
    const ln_tensor *w = kinds[k] == &ln_loss_bce_logits ? &pw : NULL;
    for (int red = LN_REDUCE_MEAN; red <= LN_REDUCE_NONE; red++) {
      double c1 = loss_on(1, kinds[k], (ln_reduction)red, &x, &t, w, buf[0], buf[1]);
      double c2 = loss_on(2, kinds[k], (ln_reduction)red, &x, &t, w, buf[2], buf[3]);
      CHECK(same_bits(&c1, &c2, sizeof c1), "%s reduction %d: cost %.17g on 1 thread, %.17g on 2",
            kinds[k]->name, red, c1, c2);
      CHECK(same_bits(buf[1], buf[3], n * sizeof *buf[1]),
            "%s reduction %d: gradients differ on 1 and 2 threads", kinds[k]->name, red);
      if (red != LN_REDUCE_NONE) continue;
      CHECK(same_bits(buf[0], buf[2], n * sizeof *buf[0]),
            "%s: the losses differ on 1 and 2 threads", kinds[k]->name);
      double s = 0;
      for (size_t i = 0; i < n; i++) s += buf[0][i];
      CHECK(fabs(c1 - s) <= 1e-6 * fabs(s), "%s: cost %.9g, the losses sum to %.9g",
            kinds[k]->name, c1, s);
    }
  }
  for (int i = 0; i < 4; i++) ln_free(buf[i]);
  ln_tensor_free(&x), ln_tensor_free(&t), ln_tensor_free(&pw);
}

int main(void) {
  optimizers();
  elementwise();
  losses();
  ln_set_num_threads(1);
  printf("optimizers: 1 and 2 threads the same bits as each parameter's whole update; "
         "unary, where, fill, elementwise losses: 1 and 2 threads the same bits\n");
  return check_summary();
}
