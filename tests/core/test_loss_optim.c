/* test_loss_optim.c: losses (finite-difference gradients, stability, errors),
 * optimizers (PyTorch's formulas worked by hand on one scalar, bad
 * hyper-parameters, no allocation in step) and initialisers (fans, bounds,
 * spreads). PyTorch's own numbers are checked in tests/spec/loss_optim_spec.lua. */
#include <stdarg.h>
#include <string.h>

#include "check.h"
#include "init.h"
#include "linear.h"
#include "loss.h"
#include "optim.h"
#include "activation.h"
#include "sequential.h"

static ln_rng rng;

static ln_tensor make(size_t a, size_t b, double lo, double hi) {
  ln_tensor t = LN_TENSOR_EMPTY;
  size_t size[2] = {a, b};
  if (ln_tensor_init(&t, b ? 2 : 1, size)) fprintf(stderr, "init: %s\n", ln_error());
  ln_tensor_rand(&t, &rng, lo, hi);
  return t;
}

static int has(const char *msg, const char *part) { return strstr(msg, part) != NULL; }

/* Central differences of cost(y) against the analytic gradient g, normwise. */
static double fd_check(double (*cost)(const ln_tensor *, const void *), ln_tensor *y,
                       const void *target, const ln_tensor *g) {
  float *p = ln_data(y);
  const float *pg = ln_data(g);
  double maxdiff = 0, maxg = 0, h = 1e-2;
  for (size_t i = 0; i < ln_numel(y); i++) {
    float keep = p[i];
    p[i] = (float)(keep + h);
    double hi = cost(y, target);
    p[i] = (float)(keep - h);
    double lo = cost(y, target);
    p[i] = keep;
    /* The step actually taken in float, not the h asked for. */
    double num = (hi - lo) / ((double)(float)(keep + h) - (double)(float)(keep - h));
    if (fabs(num - pg[i]) > maxdiff) maxdiff = fabs(num - pg[i]);
    if (fabs(pg[i]) > maxg) maxg = fabs(pg[i]);
  }
  return maxdiff / (maxg > 0 ? maxg : 1);
}

static double mse_cost(const ln_tensor *y, const void *t) {
  double c = NAN;
  if (ln_mse_forward(&c, y, t)) fprintf(stderr, "mse: %s\n", ln_error());
  return c;
}

static const int *ce_labels;
static double ce_cost(const ln_tensor *x, const void *unused) {
  (void)unused;
  double c = NAN;
  if (ln_ce_forward(&c, x, ce_labels, x->size[0])) fprintf(stderr, "ce: %s\n", ln_error());
  return c;
}

static void test_mse(void) {
  ln_tensor y = make(6, 3, -2, 2), t = make(6, 3, -2, 2), dy = LN_TENSOR_EMPTY;
  double c = 0, want = 0;
  for (size_t i = 0; i < 18; i++) {
    double d = (double)ln_data(&y)[i] - ln_data(&t)[i];
    want += d * d / 18;
  }
  CHECK(ln_mse_forward(&c, &y, &t) == LN_OK, "%s", ln_error());
  CHECK_CLOSE(c, want, 1e-12);
  CHECK(ln_mse_backward(&dy, &y, &t) == LN_OK, "%s", ln_error());
  CHECK(ln_same_shape(&dy, &y), "dy shaped like y");
  CHECK_CLOSE(ln_data(&dy)[4], 2 * ((double)ln_data(&y)[4] - ln_data(&t)[4]) / 18, 1e-6);
  double rel = fd_check(mse_cost, &y, &t, &dy);
  CHECK(rel < 1e-3, "MSE gradient vs differences: %g", rel);

  /* Shape mismatch names the loss and both shapes. */
  ln_tensor a = make(500, 1, 0, 1), b = make(500, 2, 0, 1);
  CHECK(ln_mse_forward(&c, &a, &b) == LN_ERR, "mismatch accepted");
  CHECK(has(ln_error(), "MSELoss: input 500x1 and target 500x2 differ in shape"), "%s",
        ln_error());
  CHECK(ln_mse_backward(&dy, &a, &b) == LN_ERR, "mismatch accepted in backward");

  /* NaN is returned, not hidden. */
  ln_data(&y)[0] = NAN;
  CHECK(ln_mse_forward(&c, &y, &t) == LN_OK && isnan(c), "got %g", c);
  ln_tensor_free(&y), ln_tensor_free(&t), ln_tensor_free(&dy);
  ln_tensor_free(&a), ln_tensor_free(&b);
}

static void test_ce(void) {
  ln_tensor x = make(7, 5, -3, 3), dx = LN_TENSOR_EMPTY;
  int labels[7] = {0, 4, 2, 2, 1, 3, 0};
  double c = 0, want = 0;
  for (int i = 0; i < 7; i++) {
    const float *row = ln_data(&x) + 5 * i;
    double s = 0;
    for (int j = 0; j < 5; j++) s += exp(row[j]);
    want += (log(s) - row[labels[i]]) / 7;
  }
  CHECK(ln_ce_forward(&c, &x, labels, 7) == LN_OK, "%s", ln_error());
  CHECK_CLOSE(c, want, 1e-9);
  CHECK(ln_ce_backward(&dx, &x, labels, 7) == LN_OK, "%s", ln_error());
  double rowsum = 0;
  for (int j = 0; j < 5; j++) rowsum += ln_data(&dx)[5 + j];
  CHECK(fabs(rowsum) < 1e-7, "a gradient row sums to 0: %g", rowsum);
  ce_labels = labels;
  double rel = fd_check(ce_cost, &x, NULL, &dx);
  CHECK(rel < 1e-3, "CE gradient vs differences: %g", rel);

  /* Logits whose exp overflows float and double: still exact. */
  ln_tensor big = make(2, 3, 0, 0), dbig = LN_TENSOR_EMPTY;
  float v[6] = {1000, -1000, 999, -800, -800, -800};
  memcpy(ln_data(&big), v, sizeof v);
  int bl[2] = {2, 1};
  CHECK(ln_ce_forward(&c, &big, bl, 2) == LN_OK, "%s", ln_error());
  want = ((1000 + log(1 + exp(-1.0))) - 999 + log(3.0)) / 2;
  CHECK_CLOSE(c, want, 1e-9);
  CHECK(ln_ce_backward(&dbig, &big, bl, 2) == LN_OK, "%s", ln_error());
  CHECK(isfinite(ln_data(&dbig)[0]) && isfinite(ln_data(&dbig)[5]), "finite gradient");
  CHECK_CLOSE(ln_data(&dbig)[0], 1 / (1 + exp(-1.0)) / 2, 1e-6);

  /* Errors name the loss. */
  int badl[7] = {0, 5, 0, 0, 0, 0, 0};
  CHECK(ln_ce_forward(&c, &x, badl, 7) == LN_ERR, "label 5 of 5 classes accepted");
  CHECK(has(ln_error(), "CrossEntropyLoss: label 5 at index 1 is out of range"), "%s",
        ln_error());
  badl[1] = -1;
  CHECK(ln_ce_backward(&dx, &x, badl, 7) == LN_ERR, "label -1 accepted");
  CHECK(ln_ce_forward(&c, &x, labels, 6) == LN_ERR, "6 labels for 7 rows accepted");
  CHECK(has(ln_error(), "CrossEntropyLoss: 6 labels for 7 rows"), "%s", ln_error());
  ln_tensor flat = make(7, 0, 0, 1);
  CHECK(ln_ce_forward(&c, &flat, labels, 7) == LN_ERR, "1-D logits accepted");
  CHECK(has(ln_error(), "must be 2-D"), "%s", ln_error());

  /* The loss object's label buffer grows once, then is reused. */
  ln_loss l;
  ln_loss_init(&l, &ln_loss_cross_entropy);
  CHECK(ln_loss_reserve_labels(&l, 100) == LN_OK, "%s", ln_error());
  uint64_t before = ln_alloc_count();
  CHECK(ln_loss_reserve_labels(&l, 50) == LN_OK && ln_loss_reserve_labels(&l, 100) == LN_OK,
        "reserve");
  CHECK(ln_ce_backward(&l.grad, &x, labels, 7) == LN_OK, "%s", ln_error());
  uint64_t mid = ln_alloc_count();
  CHECK(ln_ce_backward(&l.grad, &x, labels, 7) == LN_OK, "%s", ln_error());
  CHECK(ln_alloc_count() == mid, "second backward allocated");
  CHECK(mid - before <= 2, "first backward allocated %llu times",
        (unsigned long long)(mid - before));
  ln_loss_free(&l);
  ln_loss_free(&l);
  ln_tensor_free(&x), ln_tensor_free(&dx), ln_tensor_free(&big), ln_tensor_free(&dbig);
  ln_tensor_free(&flat);
}

/* A Linear(1,1) is two scalars, weight p and bias q; both get gradient g. */
static ln_module *scalar_net(double p, double q) {
  ln_module *m = ln_linear_new(1, 1, &rng);
  ln_data(&m->param[0])[0] = (float)p;
  ln_data(&m->param[1])[0] = (float)q;
  return m;
}

static void set_grads(ln_module *m, double g) {
  ln_data(&m->grad[0])[0] = (float)g;
  ln_data(&m->grad[1])[0] = (float)g;
}

static void steps(ln_optim *o, ln_module *m, int n) {
  for (int i = 0; i < n; i++) {
    set_grads(m, 0.5);
    CHECK(ln_optim_step(o) == LN_OK, "%s", ln_error());
  }
}

/* One group of module m: the kind's defaults, then the named settings
 * ("lr", 0.1, "momentum", 0.9, NULL); "beta2" is the second slot of betas. */
static ln_optim_group group_of(const ln_optim_kind *k, ln_module *m, ...) {
  ln_optim_group g;
  memset(&g, 0, sizeof g);
  g.module = m;
  ln_optim_defaults(k, g.hp);
  va_list ap;
  va_start(ap, m);
  for (const char *name; (name = va_arg(ap, const char *));) {
    double v = va_arg(ap, double);
    int second = !strcmp(name, "beta2");
    const ln_optim_option *o =
        ln_optim_option_find(k, second || !strcmp(name, "beta1") ? "betas" : name);
    CHECK(o != NULL, "no option %s", name);
    if (o) g.hp[o->slot + second] = v;
  }
  va_end(ap);
  return g;
}

#define SGD (ln_optim_find("SGD"))
#define ADAM (ln_optim_find("Adam"))

static ln_optim *one(const ln_optim_kind *k, ln_optim_group g) { return ln_optim_new(k, &g, 1); }

static void test_sgd(void) {
  ln_module *m = scalar_net(1, 0);
  ln_optim *o = one(SGD, group_of(SGD, m, "lr", 0.1, "momentum", 0.9, "weight_decay", 0.1,
                                  NULL));
  CHECK(o != NULL, "%s", ln_error());
  CHECK(m->refs == 2, "optimizer holds a reference: %d", m->refs);
  /* d = 0.5 + 0.1 p; buf1 = d1; buf2 = 0.9 buf1 + d2. By hand:
   * p1 = 1 - 0.1*0.6 = 0.94; d2 = 0.594, buf2 = 1.134, p2 = 0.8266. */
  steps(o, m, 1);
  CHECK_CLOSE(ln_data(&m->param[0])[0], 0.94, 1e-6);
  CHECK_CLOSE(ln_data(&m->param[1])[0], -0.05, 1e-6);
  uint64_t before = ln_alloc_count();
  steps(o, m, 1);
  CHECK(ln_alloc_count() == before, "SGD step allocated");
  CHECK_CLOSE(ln_data(&m->param[0])[0], 0.8266, 1e-6);
  ln_optim_free(o);
  CHECK(m->refs == 1, "reference released: %d", m->refs);

  /* Nesterov: d = g + 0.9 buf. p1 = 1 - 0.1*(0.5 + 0.45) = 0.905;
   * buf2 = 0.45 + 0.5 = 0.95, p2 = 0.905 - 0.1*(0.5 + 0.855) = 0.7695. */
  ln_data(&m->param[0])[0] = 1;
  o = one(SGD, group_of(SGD, m, "lr", 0.1, "momentum", 0.9, "nesterov", 1.0, NULL));
  steps(o, m, 2);
  CHECK_CLOSE(ln_data(&m->param[0])[0], 0.7695, 1e-6);
  ln_optim_free(o);

  /* Dampening 0.5: buf2 = 0.9*0.5 + 0.5*0.5 = 0.7; p2 = 1 - 0.05 - 0.07 = 0.88. */
  ln_data(&m->param[0])[0] = 1;
  o = one(SGD, group_of(SGD, m, "lr", 0.1, "momentum", 0.9, "dampening", 0.5, NULL));
  steps(o, m, 2);
  CHECK_CLOSE(ln_data(&m->param[0])[0], 0.88, 1e-6);
  ln_optim_free(o);
  ln_module_release(m);
}

static void test_adam(void) {
  /* A constant gradient moves Adam by exactly lr per step (m/sqrt(v) = 1
   * after bias correction, eps aside). */
  ln_module *m = scalar_net(1, 0);
  ln_optim *o = one(ADAM, group_of(ADAM, m, "lr", 0.1, NULL));
  CHECK(o != NULL, "%s", ln_error());
  steps(o, m, 1);
  CHECK_CLOSE(ln_data(&m->param[0])[0], 0.9, 1e-6);
  uint64_t before = ln_alloc_count();
  steps(o, m, 2);
  CHECK(ln_alloc_count() == before, "Adam step allocated");
  CHECK_CLOSE(ln_data(&m->param[0])[0], 0.7, 1e-6);
  CHECK(o->ps[0].step == 3 && o->ps[1].step == 3 && o->steps == 3, "step counts");
  ln_optim_free(o);

  /* Weight decay adds wd*p to g: g1 = 0.5 + 0.5*1 = 1, step 1 still moves
   * lr; g2 = 0.5 + 0.45 = 0.95: m = 0.09 + 0.095 = 0.185 (bc1 0.19 -> 0.97368),
   * v = 0.000999 + 0.0009025 = 0.0019015 (bc2 0.001999 -> 0.951225...). */
  ln_data(&m->param[0])[0] = 1;
  o = one(ADAM, group_of(ADAM, m, "lr", 0.1, "weight_decay", 0.5, NULL));
  steps(o, m, 2);
  double mh = 0.185 / 0.19, vh = 0.0019015 / 0.001999;
  CHECK_CLOSE(ln_data(&m->param[0])[0], 0.9 - 0.1 * mh / (sqrt(vh) + 1e-8), 1e-6);
  ln_optim_free(o);
  ln_module_release(m);
}

static void test_optim_errors(void) {
  ln_module *m = scalar_net(1, 0);
  CHECK(one(SGD, group_of(SGD, m, "lr", -0.1, NULL)) == NULL, "negative lr accepted");
  CHECK(has(ln_error(), "SGD: invalid learning rate -0.1"), "%s", ln_error());
  CHECK(one(SGD, group_of(SGD, m, "lr", NAN, NULL)) == NULL, "NaN lr accepted");
  CHECK(one(SGD, group_of(SGD, m, "lr", 0.1, "momentum", -0.5, NULL)) == NULL,
        "negative momentum accepted");
  CHECK(has(ln_error(), "momentum"), "%s", ln_error());
  CHECK(one(SGD, group_of(SGD, m, "lr", 0.1, "nesterov", 1.0, NULL)) == NULL,
        "nesterov without momentum accepted");
  CHECK(one(ADAM, group_of(ADAM, m, "beta1", 1.0, NULL)) == NULL, "beta1 = 1 accepted");
  CHECK(has(ln_error(), "Adam: invalid beta1 1"), "%s", ln_error());
  CHECK(one(ADAM, group_of(ADAM, m, "beta2", -0.1, NULL)) == NULL, "beta2 < 0 accepted");
  CHECK(one(ADAM, group_of(ADAM, m, "weight_decay", -1.0, NULL)) == NULL,
        "negative weight decay accepted");
  ln_optim *o = one(ADAM, group_of(ADAM, m, NULL));
  ln_optim_group g = group_of(ADAM, m, "lr", -1.0, NULL);
  CHECK(ln_optim_set(o, 0, g.hp) == LN_ERR && o->group[0].hp[0] == 1e-3, "set kept a bad lr");
  g = group_of(ADAM, m, "lr", 0.5, NULL);
  CHECK(ln_optim_set(o, 0, g.hp) == LN_OK && o->group[0].hp[0] == 0.5, "set refused a good lr");
  CHECK(ln_optim_set(o, 1, g.hp) == LN_ERR && has(ln_error(), "Adam: no group 2"), "%s",
        ln_error());
  ln_optim_free(o);
  CHECK(m->refs == 1, "failed constructors left references: %d", m->refs);

  /* The registry: an unknown kind is an error, never a default. */
  CHECK(ln_optim_find("Adamax") == NULL, "an unknown kind was found");
  CHECK(has(ln_error(),
            "unknown optimizer 'Adamax' (expected SGD, Adam, AdamW, RMSprop or Adagrad)"),
        "%s", ln_error());
  CHECK(ln_optim_new(NULL, &g, 1) == NULL, "no kind accepted");
  size_t nk = 0;
  while (ln_optim_kind_at(nk)) nk++;
  CHECK(nk == 5, "%zu kinds registered", nk);
  for (size_t i = 0; i < nk; i++) {
    const ln_optim_kind *k = ln_optim_kind_at(i);
    CHECK(ln_optim_find(k->name) == k, "%s not found by name", k->name);
    CHECK(k->nhp <= LN_OPTIM_MAXHP && k->nslot <= LN_OPTIM_MAXSLOT, "%s too big", k->name);
  }
  ln_module *relu = ln_relu_new();
  g.module = relu;
  CHECK(ln_optim_new(ADAM, &g, 1) == NULL && has(ln_error(), "no parameters to optimize"),
        "%s", ln_error());
  ln_module_release(relu);
  ln_module_release(m);
}

/* Groups: each its own hyper-parameters; a later group gets the rest of
 * its module; a group left with nothing is an error. */
static void test_groups(void) {
  ln_module *net = ln_sequential_new(), *a = scalar_net(1, 1), *b = scalar_net(1, 1);
  CHECK(ln_sequential_add(net, a) == LN_OK && ln_sequential_add(net, b) == LN_OK, "%s",
        ln_error());
  ln_optim_group gs[2] = {group_of(SGD, a, "lr", 0.1, NULL), group_of(SGD, net, "lr", 0.01,
                                                                      NULL)};
  ln_optim *o = ln_optim_new(SGD, gs, 2);
  CHECK(o && o->n == 4 && o->group[0].n == 2 && o->group[1].first == 2 && o->group[1].n == 2,
        "the second group holds the rest");
  if (o) {
    CHECK(o->param[0] == &a->param[0] && o->param[2] == &b->param[0], "order");
    set_grads(a, 1);
    set_grads(b, 1);
    CHECK(ln_optim_step(o) == LN_OK, "%s", ln_error());
    CHECK_CLOSE(ln_data(&a->param[0])[0], 0.9, 1e-6);
    CHECK_CLOSE(ln_data(&b->param[0])[0], 0.99, 1e-6);
    ln_optim_zero_grad(o);
    CHECK(ln_data(&a->grad[0])[0] == 0 && ln_data(&b->grad[1])[0] == 0, "zero_grad");
    CHECK(a->refs == 3 && net->refs == 2, "a reference per group: %d %d", a->refs, net->refs);
  }
  ln_optim_free(o);
  CHECK(a->refs == 2 && net->refs == 1, "references released: %d %d", a->refs, net->refs);
  gs[0].module = net, gs[1].module = a;
  CHECK(ln_optim_new(SGD, gs, 2) == NULL, "a group without parameters of its own");
  CHECK(has(ln_error(), "SGD: group 2: every parameter of its module is already in an "
            "earlier group"), "%s", ln_error());
  gs[1] = group_of(SGD, b, "lr", 0.1, "momentum", -1.0, NULL);
  CHECK(ln_optim_new(SGD, gs, 2) == NULL && has(ln_error(), "SGD: group 2: invalid momentum"),
        "%s", ln_error());
  CHECK(a->refs == 2 && net->refs == 1, "failed constructors left references");
  ln_module_release(a);
  ln_module_release(b);
  ln_module_release(net);
}

/* The state of a run: k steps, the state copied out, k more steps; a fresh
 * optimizer over a copy of the weights given the copied state does the same
 * k more steps bit for bit. */
static void resume(const ln_optim_kind *k, ln_optim_group g, const char *what) {
  ln_module *m = ln_linear_new(3, 2, &rng), *m2 = ln_linear_new(3, 2, &rng);
  ln_optim_group g2 = g;
  g.module = m, g2.module = m2;
  ln_optim *o = one(k, g), *o2 = NULL;
  CHECK(o != NULL, "%s", ln_error());
  if (!o) goto done;
  for (int step = 0; step < 6; step++) {
    for (int i = 0; i < 2; i++) {
      ln_tensor_rand(&m->grad[i], &rng, -1, 1);
      ln_tensor_copy(&m2->grad[i], &m->grad[i]);
    }
    if (step == 3) {  /* the copy: weights, then state */
      for (int i = 0; i < 2; i++) ln_tensor_copy(&m2->param[i], &m->param[i]);
      o2 = one(k, g2);
      CHECK(o2 != NULL, "%s", ln_error());
      if (!o2) goto done;
      memcpy(o2->ps, o->ps, o->n * sizeof *o->ps);
      for (size_t i = 0; i < o->n; i++)
        for (int s = 0; s < k->nslot; s++)
          memcpy(ln_optim_slot(o2, i, s), ln_optim_slot(o, i, s), o->numel[i] * sizeof(float));
    }
    CHECK(ln_optim_step(o) == LN_OK, "%s", ln_error());
    if (o2) CHECK(ln_optim_step(o2) == LN_OK, "%s", ln_error());
  }
  for (int i = 0; i < 2; i++)
    CHECK(!memcmp(ln_data(&m->param[i]), ln_data(&m2->param[i]),
                  ln_numel(&m->param[i]) * sizeof(float)), "%s: parameter %d differs", what,
          i + 1);
done:
  ln_optim_free(o);
  ln_optim_free(o2);
  ln_module_release(m);
  ln_module_release(m2);
}

static void test_resume(void) {
  resume(SGD, group_of(SGD, NULL, "lr", 0.1, "momentum", 0.9, NULL), "SGD momentum");
  resume(SGD, group_of(SGD, NULL, "lr", 0.1, "momentum", 0.9, "nesterov", 1.0,
                       "weight_decay", 0.01, NULL), "SGD nesterov");
  resume(ADAM, group_of(ADAM, NULL, "lr", 0.01, "weight_decay", 0.1, NULL), "Adam");
}

/* The RNG's state: the stream continues exactly; a bad state is refused
 * and leaves the generator as it was. */
static void test_rng_state(void) {
  ln_rng r, r2;
  unsigned char s[LN_RNG_STATE_BYTES], bad[LN_RNG_STATE_BYTES];
  ln_rng_seed(&r, 5);
  ln_rng_normal(&r);  /* a spare is pending */
  ln_rng_get_state(&r, s);
  ln_rng_seed(&r2, 6);
  CHECK(ln_rng_set_state(&r2, s, sizeof s) == LN_OK, "%s", ln_error());
  int same = 1;
  for (int i = 0; i < 100; i++) same &= ln_rng_normal(&r) == ln_rng_normal(&r2);
  CHECK(same, "the streams differ after set_state");
  ln_rng_get_state(&r2, s);
  memcpy(bad, s, sizeof s);
  memset(bad + 8, 0, 32);
  CHECK(ln_rng_set_state(&r2, bad, sizeof bad) == LN_ERR && has(ln_error(), "all-zero"),
        "%s", ln_error());
  CHECK(ln_rng_set_state(&r2, s, sizeof s - 1) == LN_ERR && has(ln_error(), "56 bytes"),
        "%s", ln_error());
  memcpy(bad, s, sizeof s);
  bad[0] = 'X';
  CHECK(ln_rng_set_state(&r2, bad, sizeof bad) == LN_ERR, "a bad tag accepted");
  memcpy(bad, s, sizeof s);
  memset(bad + 48, 0xff, 8);  /* a NaN spare */
  CHECK(ln_rng_set_state(&r2, bad, sizeof bad) == LN_ERR, "a NaN spare accepted");
  unsigned char now[LN_RNG_STATE_BYTES];
  ln_rng_get_state(&r2, now);
  CHECK(!memcmp(now, s, sizeof s), "a refused state changed the generator");
}

static void test_init(void) {
  size_t fi = 0, fo = 0, s4[4] = {8, 3, 5, 5}, s2[2] = {400, 300};
  ln_tensor w = LN_TENSOR_EMPTY, c = LN_TENSOR_EMPTY, v = make(10, 0, 0, 1);
  ln_tensor_init(&w, 2, s2);
  ln_tensor_init(&c, 4, s4);
  CHECK(ln_init_fans(&w, &fi, &fo) == LN_OK && fi == 300 && fo == 400, "2-D fans %zu %zu",
        fi, fo);
  CHECK(ln_init_fans(&c, &fi, &fo) == LN_OK && fi == 75 && fo == 200, "4-D fans %zu %zu",
        fi, fo);
  CHECK(ln_init_fans(&v, &fi, &fo) == LN_ERR, "1-D fans accepted");
  CHECK(ln_init_xavier_uniform(&v, &rng, 1) == LN_ERR, "1-D xavier accepted");

  double b = sqrt(6.0 / 300);  /* kaiming relu, fan_in 300: sqrt(3) * sqrt(2/300) */
  CHECK(ln_init_kaiming_uniform(&w, &rng, 0, "relu", 0) == LN_OK, "%s", ln_error());
  CHECK(ln_tensor_max(&w) <= b && ln_tensor_min(&w) >= -b, "outside +-%g", b);
  CHECK(ln_tensor_max(&w) > 0.99 * b, "max %g far below the bound", ln_tensor_max(&w));
  CHECK_CLOSE(ln_tensor_std(&w), sqrt(2.0 / 300), 0.02);
  CHECK(ln_init_kaiming_normal(&w, &rng, 0, "relu", 1) == LN_OK, "%s", ln_error());
  CHECK_CLOSE(ln_tensor_std(&w), sqrt(2.0 / 400), 0.02);
  CHECK(ln_init_kaiming_normal(&w, &rng, 0, "swish", 0) == LN_ERR, "unknown nonlinearity");
  CHECK(has(ln_error(), "init.kaiming_normal: unsupported nonlinearity 'swish'"), "%s",
        ln_error());
  CHECK(ln_init_xavier_normal(&w, &rng, 2) == LN_OK, "%s", ln_error());
  CHECK_CLOSE(ln_tensor_std(&w), 2 * sqrt(2.0 / 700), 0.02);
  CHECK(ln_init_xavier_uniform(&c, &rng, 1) == LN_OK, "%s", ln_error());
  b = sqrt(6.0 / 275);
  CHECK(ln_tensor_max(&c) <= b && ln_tensor_min(&c) >= -b, "4-D xavier outside +-%g", b);
  double g = 0;
  CHECK(ln_init_gain(&g, "leaky_relu", 0.2) == LN_OK, "%s", ln_error());
  CHECK_CLOSE(g, sqrt(2 / 1.04), 1e-12);
  CHECK(ln_init_gain(&g, "tanh", 0) == LN_OK && fabs(g - 5.0 / 3) < 1e-12, "tanh gain");

  CHECK(ln_init_normal(&w, &rng, 3, 0.5) == LN_OK, "%s", ln_error());
  CHECK_CLOSE(ln_tensor_mean(&w), 3, 0.01);
  CHECK_CLOSE(ln_tensor_std(&w), 0.5, 0.02);
  CHECK(ln_init_normal(&w, &rng, 0, -1) == LN_ERR, "negative std accepted");
  CHECK(ln_init_uniform(&w, &rng, -2, 5) == LN_OK, "%s", ln_error());
  CHECK(ln_tensor_min(&w) >= -2 && ln_tensor_max(&w) < 5, "uniform range");
  CHECK_CLOSE(ln_tensor_mean(&w), 1.5, 0.02);
  CHECK(ln_init_uniform(&w, &rng, 1, 0) == LN_ERR, "a > b accepted");
  CHECK(ln_init_constant(&w, 0.25) == LN_OK && ln_tensor_min(&w) == 0.25 &&
        ln_tensor_max(&w) == 0.25, "constant");
  ln_tensor_free(&w), ln_tensor_free(&c), ln_tensor_free(&v);
}

int main(void) {
  ln_rng_seed(&rng, 42);
  test_mse();
  test_ce();
  test_sgd();
  test_adam();
  test_optim_errors();
  test_groups();
  test_resume();
  test_rng_state();
  test_init();
  return check_summary();
}
