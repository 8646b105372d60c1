/* test_steady_alloc.c: the seed's BN network (input BN; 7 x (Linear 30, BN,
 * ReLU); Linear 1) trained full batch on 500 samples with MSE and SGD: after
 * the first steps have sized every buffer, further steps (forward, cost,
 * cost gradient, zero_grad, backward, optimizer step) allocate nothing; nor
 * do they with every optimizer kind, nor with the normalization layers
 * (GroupNorm, InstanceNorm, LayerNorm, BatchNorm's other options). */
#include "check.h"
#include "activation.h"
#include "batchnorm.h"
#include "groupnorm.h"
#include "instancenorm.h"
#include "layernorm.h"
#include "linear.h"
#include "loss.h"
#include "optim.h"
#include "sequential.h"

#define N 500

static void add(ln_module *seq, ln_module *m) {
  CHECK(m && ln_sequential_add(seq, m) == LN_OK, "add: %s", ln_error());
  ln_module_release(m);
}

static ln_module *seed_net(ln_rng *rng) {
  ln_module *net = ln_sequential_new();
  add(net, ln_batchnorm_new(1, 1e-3, 0.5, 1));
  for (int i = 0; i < 7; i++) {
    add(net, ln_linear_new(i ? 30 : 1, 30, rng));
    add(net, ln_batchnorm_new(30, 1e-3, 0.5, 1));
    add(net, ln_relu_new());
  }
  add(net, ln_linear_new(30, 1, rng));
  return net;
}

/* One full training step; returns the cost (NaN on error). */
static double step(ln_module *net, ln_optim *opt, ln_loss *mse, const ln_tensor *x,
                   const ln_tensor *t) {
  double cost = NAN;
  if (ln_module_forward(net, x) || ln_mse_forward(&cost, &net->output, t) ||
      ln_mse_backward(&mse->grad, &net->output, t)) {
    fprintf(stderr, "step: %s\n", ln_error());
    return NAN;
  }
  ln_optim_zero_grad(opt);
  if (ln_module_backward(net, x, &mse->grad) || ln_optim_step(opt)) {
    fprintf(stderr, "step: %s\n", ln_error());
    return NAN;
  }
  return cost;
}

/* The normalization layers on (8,6,4,4) input, trained to a random target
 * with SGD, then evaluated: steady steps allocate nothing. */
static void norm_steps(ln_rng *rng, const ln_optim_kind *sgd, ln_loss *mse) {
  size_t shape[4] = {8, 6, 4, 4}, hw[2] = {4, 4};
  ln_module *net = ln_sequential_new();
  add(net, ln_groupnorm_new(3, 6, 1e-5, 1));
  add(net, ln_instancenorm_new(6, 1e-5, 0.1, 1, 1));
  add(net, ln_layernorm_new(2, hw, 1e-5, 1));
  add(net, ln_batchnorm_new(6, 1e-5, NAN, 1));
  add(net, ln_batchnorm_new_track(6, 1e-5, 0.1, 1, 0));
  add(net, ln_instancenorm_new(6, 1e-5, 0.1, 0, 0));
  ln_tensor x = LN_TENSOR_EMPTY, t = LN_TENSOR_EMPTY;
  CHECK(ln_tensor_init(&x, 4, shape) == LN_OK && ln_tensor_init(&t, 4, shape) == LN_OK,
        "%s", ln_error());
  ln_tensor_randn(&x, rng, 1, 3);
  ln_tensor_randn(&t, rng, 0, 1);
  ln_optim_group g = {net, {0}, 0, 0};
  ln_optim_defaults(sgd, g.hp);
  g.hp[ln_optim_option_find(sgd, "lr")->slot] = 0.01;
  ln_optim *opt = ln_optim_new(sgd, &g, 1);
  CHECK(opt != NULL, "%s", ln_error());
  for (int i = 0; opt && i < 3; i++) step(net, opt, mse, &x, &t);
  uint64_t before = ln_alloc_count();
  double last = NAN;
  for (int i = 0; opt && i < 10; i++) last = step(net, opt, mse, &x, &t);
  ln_module_set_training(net, 0);
  for (int i = 0; i < 3; i++) CHECK(ln_module_forward(net, &x) == LN_OK, "%s", ln_error());
  uint64_t after = ln_alloc_count();
  CHECK(isfinite(last), "normalization net: cost %g", last);
  CHECK(after == before, "normalization net: 10 steady steps made %llu allocations",
        (unsigned long long)(after - before));
  ln_optim_free(opt);
  ln_module_release(net);
  ln_tensor_free(&x), ln_tensor_free(&t);
}

int main(void) {
  ln_rng rng;
  ln_rng_seed(&rng, 1);
  ln_module *net = seed_net(&rng);
  ln_tensor lin = LN_TENSOR_EMPTY, x = LN_TENSOR_EMPTY, t = LN_TENSOR_EMPTY;
  size_t shape[2] = {N, 1};
  CHECK(ln_tensor_linspace(&lin, -7, 10, N) == LN_OK, "%s", ln_error());
  CHECK(ln_tensor_view(&x, &lin, 2, shape) == LN_OK, "%s", ln_error());
  CHECK(ln_tensor_init(&t, 2, shape) == LN_OK, "%s", ln_error());
  for (size_t i = 0; i < N; i++) {
    double v = ln_data(&x)[i];
    ln_data(&t)[i] = (float)(v * v - 5 + 8 * ln_rng_normal(&rng));
  }
  ln_loss mse;
  ln_loss_init(&mse, &ln_loss_mse);
  const ln_optim_kind *sgd = ln_optim_find("SGD");
  ln_optim_group g = {net, {0}, 0, 0};
  ln_optim_defaults(sgd, g.hp);
  g.hp[ln_optim_option_find(sgd, "lr")->slot] = 0.01;
  g.hp[ln_optim_option_find(sgd, "momentum")->slot] = 0.9;
  g.hp[ln_optim_option_find(sgd, "weight_decay")->slot] = 1e-4;
  ln_optim *opt = ln_optim_new(sgd, &g, 1);
  CHECK(opt != NULL, "%s", ln_error());
  if (!opt) return check_summary();

  double first = 0, last = 0;
  for (int i = 0; i < 3; i++) {
    double c = step(net, opt, &mse, &x, &t);
    if (i == 0) first = c;
  }
  uint64_t before = ln_alloc_count();
  for (int i = 0; i < 20; i++) last = step(net, opt, &mse, &x, &t);
  uint64_t after = ln_alloc_count();
  CHECK(after == before, "20 steady steps made %llu allocations",
        (unsigned long long)(after - before));
  CHECK(isfinite(first) && isfinite(last), "costs %g %g", first, last);
  CHECK(last < first, "cost did not fall: %g -> %g", first, last);
  printf("cost %.4g -> %.4g over 23 steps; %llu allocations in the last 20\n", first, last,
         (unsigned long long)(after - before));

  ln_optim_free(opt);

  /* Every other kind, its optional state slots in use, steps without
   * allocating either. */
  for (size_t k = 1; ln_optim_kind_at(k); k++) {
    const ln_optim_kind *kind = ln_optim_kind_at(k);
    static const char *const on[] = {"amsgrad", "momentum", "centered", "lr_decay"};
    ln_optim_defaults(kind, g.hp);
    for (size_t j = 0; j < sizeof on / sizeof *on; j++) {
      const ln_optim_option *op = ln_optim_option_find(kind, on[j]);
      if (op) g.hp[op->slot] = op->type == LN_HP_BOOL ? 1 : 0.5;
    }
    ln_optim *o = ln_optim_new(kind, &g, 1);
    CHECK(o != NULL, "%s: %s", kind->name, ln_error());
    if (!o) continue;
    step(net, o, &mse, &x, &t);
    before = ln_alloc_count();
    for (int i = 0; i < 5; i++) CHECK(!isnan(step(net, o, &mse, &x, &t)), "%s", kind->name);
    after = ln_alloc_count();
    CHECK(after == before, "%s: 5 steady steps made %llu allocations", kind->name,
          (unsigned long long)(after - before));
    ln_optim_free(o);
  }
  norm_steps(&rng, sgd, &mse);
  ln_loss_free(&mse);
  ln_module_release(net);
  ln_tensor_free(&lin), ln_tensor_free(&x), ln_tensor_free(&t);
  return check_summary();
}
