/* concat.h: Concat(dim, {m1, m2, ...}), every child applied to the input and
 * their outputs concatenated along dim (1-based, as in Lua; Torch7's
 * nn.Concat, an Inception block's channel concat with dim 2).
 *
 * The outputs must agree in every size but dim's. Backward gives each child
 * its slice of grad_output (copied into a buffer of its own, reused while
 * the shapes stay); grad_input is the sum of the children's grad_inputs. */
#ifndef LN_CONCAT_H
#define LN_CONCAT_H

#include "module.h"

typedef struct ln_concat {
  ln_module base;
  int64_t dim;       /* 1-based */
  ln_tensor *slice;  /* (nslice) each child's part of grad_output */
  size_t nslice;     /* the children it was made with */
} ln_concat;

/* Field dim (positional); one child or more, named by their positions. */
extern const ln_module_ops ln_concat_ops;

/* dim in 1..LN_MAXDIM; each child gets a reference of its own. */
ln_module *ln_concat_new(int64_t dim, ln_module *const *child, size_t nchild);

#endif
