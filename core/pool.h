/* pool.h: 2-D pooling kernels on NCHW float32, PyTorch's definitions.
 *
 * Windows: output (y, x) covers input rows y*sh - ph + ky*dh (ky < kh) and
 * columns likewise, clipped to the input. The output size along an axis is
 *   floor or ceil((in + 2 pad - d (k-1) - 1) / s) + 1
 * (ceil_mode picks ceil), less one when ceil_mode lets the last window start
 * in the right padding or beyond, as PyTorch's pooling_output_shape. Padding
 * may be at most half the kernel.
 *
 * MaxPool2d: the first maximum in scan order (rows, then columns) wins
 * ties; a NaN wins over everything and a later NaN over an earlier one, as
 * PyTorch's CPU kernel; a window of -inf keeps its first element. idx holds
 * each maximum's position inside its input plane (y*W + x), as PyTorch's
 * return_indices, so backward is exact.
 *
 * AvgPool2d (no dilation): the window is clipped to the input padded by ph,
 * pw (and ceil_mode windows to the input itself); the divisor is `divisor`
 * when nonzero (PyTorch's divisor_override), else the padded window's size
 * with count_include_pad, else the number of input elements summed. A window
 * entirely in the padding gives 0.
 *
 * AdaptiveAvgPool2d: output (y, x) averages rows floor(y H / OH) to
 * ceil((y+1) H / OH) - 1 and columns likewise.
 *
 * Forward SETS out; backward SETS dinp (overlapping windows add). Max
 * pooling runs on the worker threads (par.h) when more than one thread is
 * asked for, planes split between them: the same bits on any count. */
#ifndef LN_POOL_H
#define LN_POOL_H

#include <stddef.h>
#include <stdint.h>
#include "base.h"

typedef struct ln_pool2d_params {
  size_t n, c, h, w;        /* input (N,C,H,W) */
  size_t kh, kw, sh, sw;    /* window and stride */
  size_t ph, pw;            /* padding, both sides */
  size_t dh, dw;            /* dilation (max pooling; 1 for average) */
  int ceil_mode;
  int count_include_pad;    /* average pooling */
  size_t divisor;           /* average pooling: 0, or the divisor of every window */
  size_t oh, ow;            /* output (N,C,OH,OW): set by the setups, given for adaptive */
} ln_pool2d_params;

/* Check p and set p->oh, p->ow; failures (ln_fail) are prefixed by `who`:
 * zero sizes, strides or dilations, padding over half the kernel, an output
 * of no element, sizes over LN_MAXNUMEL. The average pooling refuses a
 * dilation other than 1. */
int ln_maxpool2d_setup(const char *who, ln_pool2d_params *p);
int ln_avgpool2d_setup(const char *who, ln_pool2d_params *p);
/* Only n, c, h, w and the output size oh, ow are read. */
int ln_adaptive_avgpool2d_setup(const char *who, ln_pool2d_params *p);

void ln_maxpool2d_forward(float *out,       /* (N,C,OH,OW) */
                          int32_t *idx,     /* (N,C,OH,OW) plane positions */
                          const float *in,  /* (N,C,H,W) */
                          const ln_pool2d_params *p);
/* The plain loop (every window scanned in full, one thread), for the tests
 * to compare the forward above against: the same bits. */
void ln_maxpool2d_forward_ref(float *out,       /* (N,C,OH,OW) */
                              int32_t *idx,     /* (N,C,OH,OW) plane positions */
                              const float *in,  /* (N,C,H,W) */
                              const ln_pool2d_params *p);
void ln_maxpool2d_backward(float *dinp,         /* (N,C,H,W) */
                           const float *dout,   /* (N,C,OH,OW) */
                           const int32_t *idx,  /* (N,C,OH,OW) from the forward */
                           const ln_pool2d_params *p);

void ln_avgpool2d_forward(float *out,       /* (N,C,OH,OW) */
                          const float *in,  /* (N,C,H,W) */
                          const ln_pool2d_params *p);
void ln_avgpool2d_backward(float *dinp,        /* (N,C,H,W) */
                           const float *dout,  /* (N,C,OH,OW) */
                           const ln_pool2d_params *p);

void ln_adaptive_avgpool2d_forward(float *out,       /* (N,C,OH,OW) */
                                   const float *in,  /* (N,C,H,W) */
                                   const ln_pool2d_params *p);
void ln_adaptive_avgpool2d_backward(float *dinp,        /* (N,C,H,W) */
                                    const float *dout,  /* (N,C,OH,OW) */
                                    const ln_pool2d_params *p);

#endif
