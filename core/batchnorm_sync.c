/* batchnorm_sync.c: the reductions of SyncBatchNorm (batchnorm_sync.h).
 *
 * One MPI_Allreduce of 2C+1 doubles per forward and one of 2C per backward.
 * Ranks shift their sums differently (each by its own first value), so the
 * forward's sums go back to sums of x and x^2 before they are added: in
 * double, the variance E[x^2] - mean^2 then loses about mean^2/var units of
 * 2^-53, nothing against float inputs. The buffer's last slot keeps the
 * global count for the backward. */
#include "batchnorm_sync.h"

#include "dist.h"

int ln_batchnorm_set_sync(ln_module *m, int on) {
  ln_batchnorm *bn = (ln_batchnorm *)m;
  if (on && !bn->sync_buf) {
    bn->sync_buf = ln_calloc(2 * bn->nfeat + 1, sizeof *bn->sync_buf);
    if (!bn->sync_buf) return ln_fail("BatchNorm: out of memory");
  }
  bn->sync = on != 0;
  return LN_OK;
}

int ln_batchnorm_sync_stats(ln_batchnorm *bn, double *k, double *s1, double *s2, size_t *cnt) {
  size_t c = bn->nfeat;
  double *r = bn->sync_buf, n = (double)*cnt;
  for (size_t j = 0; j < c; j++) {
    r[j] = s1[j] + n * k[j];
    r[c + j] = s2[j] + k[j] * (2 * s1[j] + n * k[j]);
  }
  r[2 * c] = n;
  if (ln_dist_sum_d(r, 2 * c + 1)) return LN_ERR;
  for (size_t j = 0; j < c; j++) {
    s1[j] = r[j];
    s2[j] = r[c + j];
    k[j] = 0;
  }
  *cnt = (size_t)r[2 * c];
  return LN_OK;
}

int ln_batchnorm_sync_grads(ln_batchnorm *bn, double *sdy, double *sdyx, double *cnt) {
  size_t c = bn->nfeat;
  double *r = bn->sync_buf;
  for (size_t j = 0; j < c; j++) {
    r[j] = sdy[j];
    r[c + j] = sdyx[j];
  }
  if (ln_dist_sum_d(r, 2 * c)) return LN_ERR;
  for (size_t j = 0; j < c; j++) {
    sdy[j] = r[j];
    sdyx[j] = r[c + j];
  }
  *cnt = r[2 * c];
  return LN_OK;
}
