/* test_dist_alloc.c: a data-parallel step allocates nothing once warm. The
 * network of test_steady_alloc.c with its BatchNorms synchronized, inside
 * DataParallel, trained with SGD: after three steps, twenty more make no
 * core allocation (the gradient buckets and SyncBatchNorm's buffers are
 * kept). Alone it is a job of one process; tests/dist/dist.sh also runs it
 * under mpirun -np 2, where every step all-reduces. */
#include "check.h"
#include "activation.h"
#include "batchnorm_sync.h"
#include "dataparallel.h"
#include "dist.h"
#include "linear.h"
#include "loss.h"
#include "optim.h"
#include "sequential.h"

#define N 200

static void add(ln_module *seq, ln_module *m) {
  CHECK(m && ln_sequential_add(seq, m) == LN_OK, "add: %s", ln_error());
  ln_module_release(m);
}

static ln_module *sync_bn(size_t c) {
  ln_module *m = ln_batchnorm_new(c, 1e-3, 0.5, 1);
  CHECK(m && ln_batchnorm_set_sync(m, 1) == LN_OK, "sync: %s", ln_error());
  return m;
}

int main(void) {
  CHECK(ln_dist_init() == LN_OK, "init: %s", ln_error());
  ln_rng rng;
  ln_rng_seed(&rng, 1 + (uint64_t)ln_dist_rank());  /* DataParallel makes them rank 0's */
  ln_module *seq = ln_sequential_new();
  add(seq, sync_bn(1));
  for (int i = 0; i < 3; i++) {
    add(seq, ln_linear_new(i ? 30 : 1, 30, &rng));
    add(seq, sync_bn(30));
    add(seq, ln_relu_new());
  }
  add(seq, ln_linear_new(30, 1, &rng));
  ln_module *net = ln_dataparallel_new(seq);
  CHECK(net != NULL, "DataParallel: %s", ln_error());
  ln_module_release(seq);
  if (!net) return check_summary();

  ln_tensor x = LN_TENSOR_EMPTY, t = LN_TENSOR_EMPTY;
  size_t shape[2] = {N, 1};
  CHECK(ln_tensor_init(&x, 2, shape) == LN_OK && ln_tensor_init(&t, 2, shape) == LN_OK,
        "%s", ln_error());
  for (size_t i = 0; i < N; i++) {  /* each rank its own rows */
    double v = ln_rng_normal(&rng) * 3;
    ln_data(&x)[i] = (float)v;
    ln_data(&t)[i] = (float)(v * v - 5);
  }
  ln_loss mse;
  ln_loss_init(&mse, &ln_loss_mse);
  const ln_optim_kind *sgd = ln_optim_find("SGD");
  ln_optim_group g = {net, {0}, 0, 0};
  ln_optim_defaults(sgd, g.hp);
  g.hp[ln_optim_option_find(sgd, "lr")->slot] = 0.01;
  g.hp[ln_optim_option_find(sgd, "momentum")->slot] = 0.9;
  ln_optim *opt = ln_optim_new(sgd, &g, 1);
  CHECK(opt != NULL, "%s", ln_error());
  if (!opt) return check_summary();

  uint64_t before = 0;
  int ok = 1;
  for (int i = 0; i < 23 && ok; i++) {
    double cost;
    if (i == 3) before = ln_alloc_count();
    ln_optim_zero_grad(opt);
    ok = !ln_module_forward(net, &x) && !ln_mse_forward(&cost, &net->output, &t) &&
         !ln_mse_backward(&mse.grad, &net->output, &t) &&
         !ln_module_backward(net, &x, &mse.grad) && !ln_optim_step(opt);
  }
  CHECK(ok, "step: %s", ln_error());
  uint64_t made = ln_alloc_count() - before;
  CHECK(made == 0, "20 steady data-parallel steps made %llu allocations",
        (unsigned long long)made);
  printf("rank %d of %d: %llu allocations in 20 steady steps\n", ln_dist_rank() + 1,
         ln_dist_size(), (unsigned long long)made);

  ln_optim_free(opt);
  ln_module_release(net);
  ln_tensor_free(&x);
  ln_tensor_free(&t);
  ln_loss_free(&mse);
  ln_dist_finalize();
  return check_summary();
}
