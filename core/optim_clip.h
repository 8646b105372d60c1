/* optim_clip.h: gradient clipping as torch.nn.utils' clip_grad_norm_ and
 * clip_grad_value_ (1.13), over a list of gradient tensors. */
#ifndef LN_OPTIM_CLIP_H
#define LN_OPTIM_CLIP_H

#include "tensor.h"

/* The p-norm of all n gradients taken together (p > 0, or INFINITY for the
 * largest magnitude) into *total; when max_norm / (*total + 1e-6) < 1 every
 * gradient is scaled by that factor (a NaN total makes them NaN, as
 * PyTorch's). Fails on max_norm < 0 or NaN, p <= 0 or NaN, a gradient that
 * is not contiguous. Allocates nothing. */
int ln_clip_grad_norm(ln_tensor *const *g, size_t n, double max_norm, double p, double *total);
/* Clamps every element of the n gradients into [-v, v]; fails on v < 0 or
 * NaN. */
int ln_clip_grad_value(ln_tensor *const *g, size_t n, double v);

#endif
