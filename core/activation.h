/* activation.h: elementwise activations (any shape): ReLU, Tanh, Sigmoid. */
#ifndef LN_ACTIVATION_H
#define LN_ACTIVATION_H

#include "module.h"

/* No fields, no parameters. */
extern const ln_module_ops ln_relu_ops, ln_tanh_ops, ln_sigmoid_ops;

ln_module *ln_relu_new(void);
ln_module *ln_tanh_new(void);
ln_module *ln_sigmoid_new(void);

/* Kernels over n elements. Backward SETS dinp; tanh and sigmoid use the
 * forward's output, ReLU the forward's input (the gradient passes where
 * input > 0, as PyTorch's). */
void ln_relu_forward(float *out,        /* (n) */
                     const float *inp,  /* (n) */
                     size_t n);
void ln_relu_backward(float *dinp,       /* (n) */
                      const float *inp,  /* (n) */
                      const float *dout, /* (n) */
                      size_t n);
void ln_tanh_forward(float *out,        /* (n) */
                     const float *inp,  /* (n) */
                     size_t n);
void ln_tanh_backward(float *dinp,       /* (n) */
                      const float *out,  /* (n) the forward's output */
                      const float *dout, /* (n) */
                      size_t n);
void ln_sigmoid_forward(float *out,        /* (n) */
                        const float *inp,  /* (n) */
                        size_t n);
void ln_sigmoid_backward(float *dinp,       /* (n) */
                         const float *out,  /* (n) the forward's output */
                         const float *dout, /* (n) */
                         size_t n);


/* The plain libm versions (tanhf, 1/(1+expf(-x))): several times slower, the
 * tests' reference for the vectorized tanh and sigmoid kernels above. */
void ln_tanh_forward_ref(float *out /* (n) */, const float *inp /* (n) */, size_t n);
void ln_sigmoid_forward_ref(float *out /* (n) */, const float *inp /* (n) */, size_t n);

#endif
