/* dropout2d.h: Dropout2d (PyTorch's nn.Dropout2d): in training, each
 * channel of each sample, the whole (H,W) plane, is zeroed with probability
 * p and the others are scaled by 1/(1-p); in evaluation the layer is the
 * identity (its output is the input, shared). The masks are drawn from
 * lunet's generator (ln_rng_default, which lunet.manual_seed seeds), one
 * uniform per (n, c) in row-major order, kept where it is below 1-p.
 * Input (N,C,H,W), or (N,C): planes of one element, plain dropout. The mask
 * buffer grows only when the batch does: a steady step allocates nothing. */
#ifndef LN_DROPOUT2D_H
#define LN_DROPOUT2D_H

#include "module.h"

typedef struct ln_dropout2d {
  ln_module base;
  double p;
  float *scale;    /* (N*C) 0 or 1/(1-p) per plane, from the last forward */
  size_t nscale, capscale;
  /* 1 while output or grad_input is a view of another tensor (evaluation):
   * training must not write through it. */
  int out_shared, gin_shared;
} ln_dropout2d;

/* Field p (positional, 0..1); no parameters. */
extern const ln_module_ops ln_dropout2d_ops;

ln_module *ln_dropout2d_new(double p);

/* SETS out = in * scale[plane] over planes of hw elements. */
void ln_dropout2d_forward(float *out,          /* (N*C,HW) */
                          const float *in,     /* (N*C,HW) */
                          const float *scale,  /* (N*C) */
                          size_t planes, size_t hw);

#endif
