/* conv2d.h: the 2-D convolution layer on (N,C,H,W) (PyTorch's nn.Conv2d).
 *
 * Weight (out, in/groups, kh, kw) and bias (out). Initialisation as
 * PyTorch's reset_parameters: the weight kaiming uniform with a = sqrt(5)
 * (uniform in +-1/sqrt(fan_in)), the bias uniform in +-1/sqrt(fan_in),
 * fan_in = in/groups * kh * kw, weight first then bias. The kernels are
 * core/conv.h's fast path; its workspace is sized when the input's shape
 * (or the thread count) changes, so a steady step allocates nothing. */
#ifndef LN_CONV2D_H
#define LN_CONV2D_H

#include "conv.h"
#include "module.h"

typedef struct ln_conv2d {
  ln_module base;
  size_t in, out;
  size_t k[2], stride[2], pad[2], dil[2];  /* (h, w); pad LN_PAIR_SAME: "same" */
  size_t groups;
  int bias;
  ln_conv2d_params p;   /* of the last shape set up (p.n 0: none yet) */
  int threads;          /* ln_get_num_threads() when p was set up */
  float *ws;            /* ln_conv2d_workspace(&p) floats */
  size_t wscap;
} ln_conv2d;

/* Fields in_channels, out_channels, kernel_size (positional), stride (1),
 * padding (0, or "same" for stride 1), dilation (1), groups (1), bias
 * (true); params weight, bias (when bias). */
extern const ln_module_ops ln_conv2d_ops;

/* k, stride, pad, dil: (h, w). */
ln_module *ln_conv2d_new(size_t in, size_t out, const size_t *k, const size_t *stride,
                         const size_t *pad, const size_t *dil, size_t groups, int bias,
                         ln_rng *rng);

#endif
