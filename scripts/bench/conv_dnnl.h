/* conv_dnnl.h: the oneDNN candidate measured by conv_bench.c (see conv_dnnl.c). */
#ifndef CONV_DNNL_H
#define CONV_DNNL_H

#include "conv.h"

typedef struct dnnl_conv dnnl_conv;

/* any: let oneDNN pick blocked layouts (reorders in and out); impl, when not
 * NULL, receives the names of the three implementations chosen. */
dnnl_conv *dnnl_conv_new(const ln_conv2d_params *p, int any, const char **impl);
/* The contracts of ln_conv2d_forward and ln_conv2d_backward. */
void dnnl_conv_forward(dnnl_conv *c, float *out, const float *in, const float *w,
                       const float *b);
void dnnl_conv_backward(dnnl_conv *c, float *dinp, float *dw, float *db, const float *dout,
                        const float *in, const float *w);

#endif
