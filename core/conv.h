/* conv.h: 2-D convolution kernels on NCHW float32 (PyTorch's F.conv2d).
 *
 *   out[n][o][y][x] = bias[o] + sum over c in o's group, ky, kx of
 *     w[o][c][ky][kx] * in[n][g*ICg + c][y*sh - pt + ky*dh][x*sw - pl + kx*dw]
 *
 * (ICg = IC/groups input channels per group, OCg = OC/groups outputs; o is
 * in group g = o/OCg; taps outside the input read zero.) Padding is given per
 * side: PyTorch's padding=(p, q) is pt = pb = p, pl = pr = q; its
 * padding="same" with an odd total d(k-1) puts the extra row or column at the
 * bottom or right.
 *
 * Two implementations share one contract. The fast path (ln_conv2d_forward,
 * ln_conv2d_backward) needs a workspace of ln_conv2d_workspace() floats that
 * the caller allocates once per shape, so a steady step allocates nothing
 * (its worker threads are started once, on first use, outside ln_malloc).
 * The reference (_ref) is the plain loop above, accumulated in double, for
 * the tests to compare against. The measurements that chose the fast path
 * are in docs/conv_measurements.md. */
#ifndef LN_CONV_H
#define LN_CONV_H

#include <stddef.h>
#include "base.h"

typedef struct ln_conv2d_params {
  size_t n, ic, h, w;      /* input (N,IC,H,W) */
  size_t oc, kh, kw;       /* weight (OC,IC/groups,KH,KW) */
  size_t sh, sw;           /* stride */
  size_t pt, pb, pl, pr;   /* zero padding: top, bottom, left, right */
  size_t dh, dw;           /* dilation (1: dense kernel) */
  size_t groups;
  int bias;                /* nonzero: a bias (OC) is added */
  size_t oh, ow;           /* output (N,OC,OH,OW): set by ln_conv2d_setup */
  size_t workers;          /* threads the direct kernels may use, and the workspace is
                            * sized for: 0 asks setup for ln_get_num_threads() */
} ln_conv2d_params;

/* Checks p and sets p->oh, p->ow (and p->workers when 0). Refuses (ln_fail, message prefixed by
 * `who`) zero sizes, strides or dilations, groups that do not divide IC and
 * OC, a dilated kernel larger than the padded input, and sizes whose tensors
 * would exceed LN_MAXNUMEL. */
int ln_conv2d_setup(const char *who, ln_conv2d_params *p);

/* Floats of workspace the fast path needs for this shape and p->workers
 * (after setup). The kernels use at most min(p->workers, ln_get_num_threads())
 * threads, so a later change of thread count stays within it. */
size_t ln_conv2d_workspace(const ln_conv2d_params *p);

/* SETS out. bias is read only when p->bias. ws: ln_conv2d_workspace(p)
 * floats, contents unspecified before and after. */
void ln_conv2d_forward(float *out,           /* (N,OC,OH,OW) */
                       const float *in,      /* (N,IC,H,W) */
                       const float *weight,  /* (OC,IC/groups,KH,KW) */
                       const float *bias,    /* (OC) or unused */
                       float *ws, const ln_conv2d_params *p);

/* SETS dinp (skipped when NULL); ADDS into dweight and, when p->bias, dbias
 * (dbias may be NULL otherwise). */
void ln_conv2d_backward(float *dinp,          /* (N,IC,H,W) or NULL */
                        float *dweight,       /* (OC,IC/groups,KH,KW) */
                        float *dbias,         /* (OC) or unused */
                        const float *dout,    /* (N,OC,OH,OW) */
                        const float *in,      /* (N,IC,H,W) */
                        const float *weight,  /* (OC,IC/groups,KH,KW) */
                        float *ws, const ln_conv2d_params *p);

/* The reference, same contracts (SETS out and dinp, ADDS into dweight and
 * dbias), no workspace. */
void ln_conv2d_forward_ref(float *out,           /* (N,OC,OH,OW) */
                           const float *in,      /* (N,IC,H,W) */
                           const float *weight,  /* (OC,IC/groups,KH,KW) */
                           const float *bias,    /* (OC) or unused */
                           const ln_conv2d_params *p);
void ln_conv2d_backward_ref(float *dinp,          /* (N,IC,H,W) or NULL */
                            float *dweight,       /* (OC,IC/groups,KH,KW) */
                            float *dbias,         /* (OC) or unused */
                            const float *dout,    /* (N,OC,OH,OW) */
                            const float *in,      /* (N,IC,H,W) */
                            const float *weight,  /* (OC,IC/groups,KH,KW) */
                            const ln_conv2d_params *p);

#endif
