/* init.c: torch.nn.init's fillers (see init.h). */
#include "init.h"

#include <math.h>
#include <string.h>

static int check_tensor(const char *who, const ln_tensor *t) {
  if (!t->st) return ln_fail("%s: the tensor is empty", who);
  return LN_OK;
}

int ln_init_normal(ln_tensor *t, ln_rng *r, double mean, double std) {
  if (check_tensor("init.normal", t)) return LN_ERR;
  if (!(std >= 0) || isinf(std) || !isfinite(mean))
    return ln_fail("init.normal: std must be finite and >= 0 and mean finite, got mean %g std %g",
                   mean, std);
  ln_tensor_randn(t, r, mean, std);
  return LN_OK;
}

int ln_init_uniform(ln_tensor *t, ln_rng *r, double a, double b) {
  if (check_tensor("init.uniform", t)) return LN_ERR;
  if (!isfinite(a) || !isfinite(b) || a > b)
    return ln_fail("init.uniform: expects a finite range a <= b, got [%g, %g)", a, b);
  ln_tensor_rand(t, r, a, b);
  return LN_OK;
}

int ln_init_constant(ln_tensor *t, double v) {
  if (check_tensor("init.constant", t)) return LN_ERR;
  ln_tensor_fill(t, (float)v);
  return LN_OK;
}

static int fans(const char *who, const ln_tensor *t, size_t *fan_in, size_t *fan_out) {
  if (!t->st || t->ndim < 2)
    return ln_fail("%s: fan in and fan out can not be computed for a tensor with fewer "
                   "than 2 dimensions", who);
  size_t rf = 1;
  for (int i = 2; i < t->ndim; i++) rf *= t->size[i];
  *fan_in = t->size[1] * rf;
  *fan_out = t->size[0] * rf;
  return LN_OK;
}

int ln_init_fans(const ln_tensor *t, size_t *fan_in, size_t *fan_out) {
  return fans("init", t, fan_in, fan_out);
}

static int gain_of(const char *who, double *gain, const char *nl, double a) {
  if (!strcmp(nl, "linear") || !strcmp(nl, "conv1d") || !strcmp(nl, "conv2d") ||
      !strcmp(nl, "conv3d") || !strcmp(nl, "sigmoid")) *gain = 1;
  else if (!strcmp(nl, "tanh")) *gain = 5.0 / 3.0;
  else if (!strcmp(nl, "relu")) *gain = sqrt(2.0);
  else if (!strcmp(nl, "leaky_relu")) {
    if (!isfinite(a)) return ln_fail("%s: negative slope %g is not finite", who, a);
    *gain = sqrt(2.0 / (1 + a * a));
  } else if (!strcmp(nl, "selu")) *gain = 0.75;
  else
    return ln_fail("%s: unsupported nonlinearity '%s' (linear, sigmoid, tanh, relu, "
                   "leaky_relu, selu)", who, nl);
  return LN_OK;
}

int ln_init_gain(double *gain, const char *nl, double a) {
  return gain_of("init.calculate_gain", gain, nl, a);
}

static int xavier_std(const char *who, const ln_tensor *t, double gain, double *std) {
  size_t fi = 0, fo = 0;
  if (check_tensor(who, t)) return LN_ERR;
  if (fans(who, t, &fi, &fo)) return LN_ERR;
  if (!isfinite(gain)) return ln_fail("%s: gain %g is not finite", who, gain);
  *std = gain * sqrt(2.0 / (double)(fi + fo));
  return LN_OK;
}

int ln_init_xavier_uniform(ln_tensor *t, ln_rng *r, double gain) {
  double std = 0;
  if (xavier_std("init.xavier_uniform", t, gain, &std)) return LN_ERR;
  double b = sqrt(3.0) * std;
  ln_tensor_rand(t, r, -b, b);
  return LN_OK;
}

int ln_init_xavier_normal(ln_tensor *t, ln_rng *r, double gain) {
  double std = 0;
  if (xavier_std("init.xavier_normal", t, gain, &std)) return LN_ERR;
  ln_tensor_randn(t, r, 0, std);
  return LN_OK;
}

static int kaiming_std(const char *who, const ln_tensor *t, double a, const char *nl,
                       int fan_out, double *std) {
  size_t fi = 0, fo = 0;
  double gain = 1;
  if (check_tensor(who, t)) return LN_ERR;
  if (fans(who, t, &fi, &fo)) return LN_ERR;
  if (gain_of(who, &gain, nl, a)) return LN_ERR;
  *std = gain / sqrt((double)(fan_out ? fo : fi));
  return LN_OK;
}

int ln_init_kaiming_uniform(ln_tensor *t, ln_rng *r, double a, const char *nl, int fan_out) {
  double std = 0;
  if (kaiming_std("init.kaiming_uniform", t, a, nl, fan_out, &std)) return LN_ERR;
  double b = sqrt(3.0) * std;
  ln_tensor_rand(t, r, -b, b);
  return LN_OK;
}

int ln_init_kaiming_normal(ln_tensor *t, ln_rng *r, double a, const char *nl, int fan_out) {
  double std = 0;
  if (kaiming_std("init.kaiming_normal", t, a, nl, fan_out, &std)) return LN_ERR;
  ln_tensor_randn(t, r, 0, std);
  return LN_OK;
}
