/* flatten.h: Flatten([start_dim [, end_dim]]), as PyTorch's nn.Flatten:
 * dimensions start_dim..end_dim (1-based, negative from the end; 2 and -1
 * by default: everything but the batch dimension) become one. The output
 * and grad_input are views sharing storage with the input and grad_output
 * when those are contiguous (copies otherwise): nothing is allocated. */
#ifndef LN_FLATTEN_H
#define LN_FLATTEN_H

#include "module.h"

typedef struct ln_flatten {
  ln_module base;
  int64_t start, end;  /* as given: 1-based, or negative from the end */
} ln_flatten;

/* Fields start_dim, end_dim (options, since file version 5); no parameters. */
extern const ln_module_ops ln_flatten_ops;

ln_module *ln_flatten_new(int64_t start_dim, int64_t end_dim);

#endif
