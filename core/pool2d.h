/* pool2d.h: the pooling layers on (N,C,H,W): MaxPool2d, AvgPool2d and
 * AdaptiveAvgPool2d (PyTorch's), over the kernels of pool.h. No
 * parameters; MaxPool2d keeps the index of each maximum (sized when the
 * input's shape changes) so its backward is exact. */
#ifndef LN_POOL2D_H
#define LN_POOL2D_H

#include <stdint.h>

#include "module.h"
#include "pool.h"

typedef struct ln_pool2d {
  ln_module base;
  size_t k[2], stride[2], pad[2], dil[2];  /* (h, w); AdaptiveAvgPool2d: k is the output */
  int ceil_mode, count_include_pad;
  ln_pool2d_params p;  /* of the last shape set up (p.n 0: none yet) */
  int32_t *idx;        /* MaxPool2d: (N,C,OH,OW) */
  size_t idxcap;
} ln_pool2d;

/* MaxPool2d: kernel_size (positional), stride (the kernel size when absent
 * or 0), padding (0), dilation (1), ceil_mode (false).
 * AvgPool2d: kernel_size, stride, padding, ceil_mode, count_include_pad (true).
 * AdaptiveAvgPool2d: output_size (positional). */
extern const ln_module_ops ln_maxpool2d_ops, ln_avgpool2d_ops, ln_adaptive_avgpool2d_ops;

/* k, stride, pad, dil: (h, w); stride 0: the kernel size. */
ln_module *ln_pool2d_new(const ln_module_ops *ops, const size_t *k, const size_t *stride,
                         const size_t *pad, const size_t *dil, int ceil_mode,
                         int count_include_pad);

#endif
