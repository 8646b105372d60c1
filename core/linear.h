/* linear.h: the fully connected layer, out = in W^T + b (PyTorch's nn.Linear).
 *
 * Weight (out,in) and bias (out) start uniform in +-1/sqrt(in), drawn from
 * the given generator, weight first then bias, in row-major order: PyTorch's
 * default initialisation. Input (*,in), as PyTorch's: any leading
 * dimensions, flattened into the GEMM's rows; output (*,out). */
#ifndef LN_LINEAR_H
#define LN_LINEAR_H

#include "module.h"

/* ln_module first: the kind's ops (linear.c) read the sizes through it. */
typedef struct ln_linear {
  ln_module base;
  size_t in, out;
  int bias;      /* has the bias parameter (PyTorch's bias=True) */
  ln_tensor wt;  /* (in,out) W^T for the forward of small layers (see linear.c) */
} ln_linear;

/* Fields in_features, out_features (both positional), bias (an option,
 * since file version 5); params weight, and bias when it has one. */
extern const ln_module_ops ln_linear_ops;

ln_module *ln_linear_new(size_t in, size_t out, ln_rng *rng);
/* The same, without the bias when bias is 0 (only the weight is drawn). */
ln_module *ln_linear_new_bias(size_t in, size_t out, int bias, ln_rng *rng);

/* llm.c-style kernels; the module calls them, tests may too. Each checks
 * its sizes first: ic and oc must be 1..INT_MAX (the BLAS's int), n at most
 * INT_MAX (0 rows is nothing to do); otherwise it fails (LN_ERR, ln_error)
 * and touches nothing. Sets out. */
int ln_linear_forward(float *out,        /* (N,OC) */
                       const float *inp,  /* (N,IC) */
                       const float *w,    /* (OC,IC) */
                       const float *b,    /* (OC), or NULL: no bias */
                       size_t n, size_t ic, size_t oc);
/* Sets dinp (skipped when NULL); ADDS into dw and db. Same size checks. */
int ln_linear_backward(float *dinp,       /* (N,IC) */
                        float *dw,         /* (OC,IC) */
                        float *db,         /* (OC), or NULL: no bias */
                        const float *dout, /* (N,OC) */
                        const float *inp,  /* (N,IC) */
                        const float *w,    /* (OC,IC) */
                        size_t n, size_t ic, size_t oc);

/* Sequential's fusion with a following ReLU (sequential.c): dout is the
 * ReLU's grad_output; SETS relu_grad (the ReLU's grad_input, from m->output
 * as the ReLU's input) in the pass of the bias gradient, then does the
 * layer's backward from it. The same bits as the two modules one after the
 * other; the checks and errors of the layer's own backward. */
int ln_linear_backward_relu(ln_module *m, const ln_tensor *in, const ln_tensor *dout,
                            ln_tensor *relu_grad);

/* The width of the bias gradient's partial sums (below, 0: none): rows are
 * summed in blocks of that many floats, colsum[j] = sum over blocks b of
 * dout[b width + j] in float, block after block from 0; db[j % out] then
 * adds colsum[j] for j in order. */
size_t ln_linear_colsum_width(const ln_module *m);
/* The layer's backward with those partial sums of dout given (made by the
 * module that wrote dout, ln_batchnorm_backward_relu): the same bits. */
int ln_linear_backward_colsum(ln_module *m, const ln_tensor *in, const ln_tensor *dout,
                              const float *colsum);

#endif
