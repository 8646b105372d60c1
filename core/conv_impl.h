/* conv_impl.h: what conv.c, conv_gemm.c and conv_direct.c share; not part
 * of the core's interface (that is conv.h).
 *
 * Both fast kernels read the input through zero-padded planes of
 * HP = H+pt+pb rows of WP = W+pl+pr floats, PS floats apart: the plane plus
 * (KW-1)*DW floats of slack. Tap k = ky*KW + kx of output (y, x) reads the
 * padded plane at (y*SH)*WP + x*SW + ln_conv_tap_off(k). With stride 1 an
 * output plane can be laid "wide", OH rows of WP, so that tap k reads the
 * padded plane at the same index plus the tap's offset: every tap is then
 * one flat loop over OH*WP elements (the columns past OW are junk, dropped at
 * the end; the slack keeps the last row's junk reads inside the buffer). */
#ifndef LN_CONV_IMPL_H
#define LN_CONV_IMPL_H

#include <string.h>
#include "conv.h"
#include "par.h"
#include "v8.h"

typedef struct ln_conv_dims {
  size_t hp, wp, ps, wide;  /* wide: OH*WP floats of a wide output plane */
} ln_conv_dims;

ln_conv_dims ln_conv_dims_of(const ln_conv2d_params *p);
static inline size_t ln_conv_tap_off(size_t k, const ln_conv2d_params *p,
                                     const ln_conv_dims *d) {
  return k / p->kw * p->dh * d->wp + k % p->kw * p->dw;
}
/* pad (ICg, PS) = ICg input planes in (ICg,H,W) inside zeros. */
void ln_conv_pad_planes(float *pad, const float *in, size_t icg, const ln_conv2d_params *p,
                        const ln_conv_dims *d);
/* The interior of the padded planes dpad (ICg, PS) into din (ICg,H,W). */
void ln_conv_unpad_planes(float *din, const float *dpad, size_t icg,
                          const ln_conv2d_params *p, const ln_conv_dims *d);

/* The number of workers (par.h) a kernel may use for p: never more than
 * its workspace was sized for. */
int ln_conv_workers(const ln_conv2d_params *p);

/* im2col + GEMM (conv_gemm.c), for groups of many outputs and taps. */
int ln_conv_gemm_suits(const ln_conv2d_params *p);
size_t ln_conv_gemm_workspace(const ln_conv2d_params *p);
void ln_conv_gemm_forward(float *out, const float *in, const float *weight,
                          const float *bias, float *ws, const ln_conv2d_params *p);
void ln_conv_gemm_backward(float *dinp, float *dweight, const float *dout, const float *in,
                           const float *weight, float *ws, const ln_conv2d_params *p);

/* Register-tiled direct (conv_tile.c), for groups of 16 outputs or more:
 * the forward and the weight gradient, and the input gradient of a stride-1
 * convolution of 16 input channels or more per group. */
int ln_conv_tile_suits(const ln_conv2d_params *p);
int ln_conv_tile_suits_dinp(const ln_conv2d_params *p);
size_t ln_conv_tile_workspace(const ln_conv2d_params *p);
void ln_conv_tile_forward(float *out, const float *in, const float *weight,
                          const float *bias, float *ws, const ln_conv2d_params *p);
/* ADDS into dweight. */
void ln_conv_tile_dweight(float *dweight, const float *dout, const float *in, float *ws,
                          const ln_conv2d_params *p);
/* SETS dinp. */
void ln_conv_tile_dinp(float *dinp, const float *dout, const float *weight, float *ws,
                       const ln_conv2d_params *p);

/* Direct (conv_direct.c), for the rest (depthwise, the first layer). */
size_t ln_conv_direct_workspace(const ln_conv2d_params *p);
void ln_conv_direct_forward(float *out, const float *in, const float *weight,
                            const float *bias, float *ws, const ln_conv2d_params *p);
void ln_conv_direct_backward(float *dinp, float *dweight, const float *dout,
                             const float *in, const float *weight, float *ws,
                             const ln_conv2d_params *p);

#endif
