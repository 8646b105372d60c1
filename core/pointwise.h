/* pointwise.h: elementwise activations with a configuration (any shape):
 * LeakyReLU, ELU, GELU, SiLU, Softplus, each with PyTorch's formulas
 * (torch.nn, 1.13) and its gradient taken from the forward's input. */
#ifndef LN_POINTWISE_H
#define LN_POINTWISE_H

#include "module.h"

/* Options: LeakyReLU negative_slope (0.01), ELU alpha (1), GELU approximate
 * ("none" | "tanh"), Softplus beta (1) and threshold (20); SiLU none. */
extern const ln_module_ops ln_leaky_relu_ops, ln_elu_ops, ln_gelu_ops, ln_silu_ops,
    ln_softplus_ops;

enum { LN_GELU_NONE, LN_GELU_TANH };

ln_module *ln_leaky_relu_new(double negative_slope);
ln_module *ln_elu_new(double alpha);
ln_module *ln_gelu_new(int approximate /* LN_GELU_NONE or LN_GELU_TANH */);
ln_module *ln_silu_new(void);
ln_module *ln_softplus_new(double beta, double threshold);

/* Kernels over n elements, a and b the kind's two numbers (slope; alpha;
 * GELU's form; beta, threshold). Forward SETS out, backward SETS dinp from
 * the forward's input. */
typedef struct ln_pointwise_kernels {
  void (*forward)(float *out,       /* (n) */
                  const float *inp, /* (n) */
                  size_t n, double a, double b);
  void (*backward)(float *dinp,       /* (n) */
                   const float *inp,  /* (n) the forward's input */
                   const float *dout, /* (n) */
                   size_t n, double a, double b);
} ln_pointwise_kernels;

extern const ln_pointwise_kernels ln_leaky_relu_k, ln_elu_k, ln_gelu_k, ln_silu_k,
    ln_softplus_k;

/* v as Python's repr prints a float (1.0, 0.01, 1e-05): the shortest form
 * that reads back, with ".0" when it would look like an integer. */
void ln_pyfloat(char *buf, size_t n, double v);

/* For a backward: LN_OK when in has the shape of m's last output (an
 * elementwise layer's input), else an error naming m. */
int ln_check_last_input(const ln_module *m, const ln_tensor *in);

/* A describe for kinds with one DOUBLE field, named, as PyTorch prints it:
 * "ELU(alpha=1.0)", "Dropout(p=0.5)". */
int ln_describe_one_float(const ln_module *m, char *buf, size_t n);

#endif
