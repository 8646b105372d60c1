/* pointwise.c: LeakyReLU, ELU, GELU, SiLU and Softplus share one driver;
 * each is two kernels and two numbers of configuration.
 *
 * The kernels compute in double from the float input: one libm call per
 * element either way, and double keeps the forms that cancel in float
 * (1 + erf(x) for x << 0, 1 + tanh(u) for u << 0) accurate, so the outputs
 * are within an ulp or two of the exact values, PyTorch's float kernels
 * within a few. NaN passes through, forward and backward. */
#include "pointwise.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- kernels ---- */

static void leaky_forward(float *out, const float *inp, size_t n, double a, double b) {
  (void)b;
  float s = (float)a;
  for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0 ? inp[i] : inp[i] * s;
}

static void leaky_backward(float *dinp, const float *inp, const float *dout, size_t n,
                           double a, double b) {
  (void)b;
  float s = (float)a;
  for (size_t i = 0; i < n; i++) dinp[i] = inp[i] > 0 ? dout[i] : dout[i] * s;
}

/* ELU: x for x > 0, alpha (e^x - 1) otherwise. */
static void elu_forward(float *out, const float *inp, size_t n, double a, double b) {
  (void)b;
  for (size_t i = 0; i < n; i++) {
    double x = inp[i];
    out[i] = (float)(x > 0 ? x : a * expm1(x));
  }
}

static void elu_backward(float *dinp, const float *inp, const float *dout, size_t n,
                         double a, double b) {
  (void)b;
  for (size_t i = 0; i < n; i++) {
    double x = inp[i];
    dinp[i] = x > 0 ? dout[i] : (float)(dout[i] * a * exp(x));
  }
}

/* GELU, a = LN_GELU_NONE: x Phi(x) with Phi(x) = erfc(-x / sqrt 2) / 2 (erfc
 * keeps the tail for x << 0). a = LN_GELU_TANH: x (1 + tanh u) / 2 with
 * u = sqrt(2/pi) (x + 0.044715 x^3), written x s with s = sigmoid(2u), the
 * same number without the cancellation; 1 - tanh^2 u = 4 s (1 - s). */
#define GELU_BETA 0.7978845608028654 /* sqrt(2 / pi) */
#define GELU_KAPPA 0.044715
#define INV_SQRT_2PI 0.3989422804014327

static void gelu_forward(float *out, const float *inp, size_t n, double a, double b) {
  (void)b;
  if (a == LN_GELU_TANH) {
    for (size_t i = 0; i < n; i++) {
      double x = inp[i], u = GELU_BETA * (x + GELU_KAPPA * x * x * x);
      out[i] = (float)(x / (1 + exp(-2 * u)));
    }
    return;
  }
  for (size_t i = 0; i < n; i++) {
    double x = inp[i];
    out[i] = (float)(0.5 * x * erfc(-x * M_SQRT1_2));
  }
}

static void gelu_backward(float *dinp, const float *inp, const float *dout, size_t n,
                          double a, double b) {
  (void)b;
  if (a == LN_GELU_TANH) {
    for (size_t i = 0; i < n; i++) {
      double x = inp[i], u = GELU_BETA * (x + GELU_KAPPA * x * x * x);
      double s = 1 / (1 + exp(-2 * u)), d = s * (1 - s);
      /* d is 0 far out, where the polynomial may be huge: no 0 * inf */
      double slope = d > 0 ? 2 * x * d * GELU_BETA * (1 + 3 * GELU_KAPPA * x * x) : 0;
      dinp[i] = (float)(dout[i] * (s + slope));
    }
    return;
  }
  for (size_t i = 0; i < n; i++) {
    double x = inp[i];
    double cdf = 0.5 * erfc(-x * M_SQRT1_2), pdf = INV_SQRT_2PI * exp(-0.5 * x * x);
    dinp[i] = (float)(dout[i] * (cdf + x * pdf));
  }
}

/* SiLU: x sigmoid(x); its derivative s (1 + x (1 - s)). */
static void silu_forward(float *out, const float *inp, size_t n, double a, double b) {
  (void)a, (void)b;
  for (size_t i = 0; i < n; i++) {
    double x = inp[i];
    out[i] = (float)(x / (1 + exp(-x)));
  }
}

static void silu_backward(float *dinp, const float *inp, const float *dout, size_t n,
                          double a, double b) {
  (void)a, (void)b;
  for (size_t i = 0; i < n; i++) {
    double x = inp[i], s = 1 / (1 + exp(-x));
    dinp[i] = (float)(dout[i] * s * (1 + x * (1 - s)));
  }
}

/* Softplus: log(1 + e^(beta x)) / beta, x itself where beta x > threshold
 * (PyTorch's linear tail); its derivative sigmoid(beta x), 1 in the tail. */
static void softplus_forward(float *out, const float *inp, size_t n, double a, double b) {
  for (size_t i = 0; i < n; i++) {
    double x = inp[i], z = x * a;
    out[i] = z > b ? inp[i] : (float)(log1p(exp(z)) / a);
  }
}

static void softplus_backward(float *dinp, const float *inp, const float *dout, size_t n,
                              double a, double b) {
  for (size_t i = 0; i < n; i++) {
    double z = (double)inp[i] * a;
    dinp[i] = z > b ? dout[i] : (float)(dout[i] / (1 + exp(-z)));
  }
}

const ln_pointwise_kernels ln_leaky_relu_k = {leaky_forward, leaky_backward};
const ln_pointwise_kernels ln_elu_k = {elu_forward, elu_backward};
const ln_pointwise_kernels ln_gelu_k = {gelu_forward, gelu_backward};
const ln_pointwise_kernels ln_silu_k = {silu_forward, silu_backward};
const ln_pointwise_kernels ln_softplus_k = {softplus_forward, softplus_backward};

/* ---- the modules ---- */

typedef struct pointwise {
  ln_module base;
  const ln_pointwise_kernels *k;
  double a, b;       /* the kind's numbers (see pointwise.h) */
  int64_t form;      /* GELU's approximate: a CHOICE field */
} pointwise;

static int pw_forward(ln_module *m, const ln_tensor *in) {
  pointwise *p = (pointwise *)m;
  if (ln_tensor_resize_as(&m->output, in)) return LN_ERR;
  double a = m->ops == &ln_gelu_ops ? (double)p->form : p->a;
  p->k->forward(ln_data(&m->output), ln_data(in), ln_numel(in), a, p->b);
  return LN_OK;
}

int ln_check_last_input(const ln_module *m, const ln_tensor *in) {
  if (ln_same_shape(in, &m->output)) return LN_OK;
  char s1[64], s2[64];
  return ln_fail("%s: input has shape %s, but the last forward gave %s", m->name,
                 ln_shape_str(in, s1, sizeof s1), ln_shape_str(&m->output, s2, sizeof s2));
}

static int pw_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  pointwise *p = (pointwise *)m;
  if (ln_check_last_input(m, in) || ln_tensor_resize_as(&m->grad_input, in)) return LN_ERR;
  double a = m->ops == &ln_gelu_ops ? (double)p->form : p->a;
  p->k->backward(ln_data(&m->grad_input), ln_data(in), ln_data(dout), ln_numel(in), a, p->b);
  return LN_OK;
}

static ln_module *pw_new(const ln_module_ops *ops, const ln_pointwise_kernels *k, double a,
                         double b, int64_t form) {
  pointwise *p = ln_malloc(sizeof *p);
  if (!p) {
    ln_fail("%s: out of memory", ops->tag);
    return NULL;
  }
  ln_module_init(&p->base, ops);
  p->k = k;
  p->a = a;
  p->b = b;
  p->form = form;
  return &p->base;
}

static int check_finite(const char *who, const char *what, double v) {
  if (isfinite(v)) return LN_OK;
  return ln_fail("%s: %s must be a finite number, got %g", who, what, v);
}

ln_module *ln_leaky_relu_new(double slope) {
  if (check_finite("LeakyReLU", "negative_slope", slope)) return NULL;
  return pw_new(&ln_leaky_relu_ops, &ln_leaky_relu_k, slope, 0, 0);
}

ln_module *ln_elu_new(double alpha) {
  if (check_finite("ELU", "alpha", alpha)) return NULL;
  return pw_new(&ln_elu_ops, &ln_elu_k, alpha, 0, 0);
}

ln_module *ln_gelu_new(int approximate) {
  if (approximate != LN_GELU_NONE && approximate != LN_GELU_TANH) {
    ln_fail("GELU: approximate must be 'none' or 'tanh' (got choice %d)", approximate);
    return NULL;
  }
  return pw_new(&ln_gelu_ops, &ln_gelu_k, 0, 0, approximate);
}

ln_module *ln_silu_new(void) { return pw_new(&ln_silu_ops, &ln_silu_k, 0, 0, 0); }

ln_module *ln_softplus_new(double beta, double threshold) {
  if (check_finite("Softplus", "beta", beta) || check_finite("Softplus", "threshold", threshold))
    return NULL;
  if (beta == 0) {
    ln_fail("Softplus: beta must not be 0");
    return NULL;
  }
  return pw_new(&ln_softplus_ops, &ln_softplus_k, beta, threshold, 0);
}

static ln_module *leaky_make(const ln_value *c, ln_module *const *ch, size_t n, ln_rng *r) {
  (void)ch, (void)n, (void)r;
  return ln_leaky_relu_new(c[0].d);
}
static ln_module *elu_make(const ln_value *c, ln_module *const *ch, size_t n, ln_rng *r) {
  (void)ch, (void)n, (void)r;
  return ln_elu_new(c[0].d);
}
static ln_module *gelu_make(const ln_value *c, ln_module *const *ch, size_t n, ln_rng *r) {
  (void)ch, (void)n, (void)r;
  return ln_gelu_new(c[0].i == LN_GELU_NONE || c[0].i == LN_GELU_TANH ? (int)c[0].i : -1);
}
static ln_module *silu_make(const ln_value *c, ln_module *const *ch, size_t n, ln_rng *r) {
  (void)c, (void)ch, (void)n, (void)r;
  return ln_silu_new();
}
static ln_module *softplus_make(const ln_value *c, ln_module *const *ch, size_t n,
                                ln_rng *r) {
  (void)ch, (void)n, (void)r;
  return ln_softplus_new(c[0].d, c[1].d);
}

static const ln_field leaky_fields[] = {
  {"negative_slope", LN_FIELD_DOUBLE, offsetof(pointwise, a), 0.01},
  {NULL, LN_FIELD_SIZE, 0, 0}
};
static const ln_field elu_fields[] = {
  {"alpha", LN_FIELD_DOUBLE, offsetof(pointwise, a), 1},
  {NULL, LN_FIELD_SIZE, 0, 0}
};
static const ln_field gelu_fields[] = {
  {"approximate", LN_FIELD_CHOICE, offsetof(pointwise, form), LN_GELU_NONE},
  {NULL, LN_FIELD_SIZE, 0, 0}
};
static const ln_field softplus_fields[] = {
  {"beta", LN_FIELD_DOUBLE, offsetof(pointwise, a), 1},
  {"threshold", LN_FIELD_DOUBLE, offsetof(pointwise, b), 20},
  {NULL, LN_FIELD_SIZE, 0, 0}
};
static const char *const gelu_choices[] = {"none", "tanh", NULL};

void ln_pyfloat(char *buf, size_t n, double v) {
  int prec = 1;
  do snprintf(buf, n, "%.*g", prec, v);
  while (prec++ < 17 && strtod(buf, NULL) != v);
  if (isfinite(v) && !strpbrk(buf, ".e")) snprintf(buf + strlen(buf), n - strlen(buf), ".0");
}

int ln_describe_one_float(const ln_module *m, char *buf, size_t n) {
  char num[40];
  ln_pyfloat(num, sizeof num, ln_field_get(m, &m->ops->fields[0]).d);
  return snprintf(buf, n, "%s(%s=%s)", m->name, m->ops->fields[0].name, num);
}

const ln_module_ops ln_leaky_relu_ops = {
  .tag = "LeakyReLU", .forward = pw_forward, .backward = pw_backward,
  .fields = leaky_fields, .make = leaky_make, .describe = ln_describe_one_float,
};
const ln_module_ops ln_elu_ops = {
  .tag = "ELU", .forward = pw_forward, .backward = pw_backward,
  .fields = elu_fields, .make = elu_make, .describe = ln_describe_one_float,
};
const ln_module_ops ln_gelu_ops = {
  .tag = "GELU", .forward = pw_forward, .backward = pw_backward,
  .fields = gelu_fields, .make = gelu_make, .choices = gelu_choices,
};
const ln_module_ops ln_silu_ops = {
  .tag = "SiLU", .forward = pw_forward, .backward = pw_backward, .make = silu_make,
};
const ln_module_ops ln_softplus_ops = {
  .tag = "Softplus", .forward = pw_forward, .backward = pw_backward,
  .fields = softplus_fields, .make = softplus_make,
};
