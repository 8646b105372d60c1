/* flatten.h: Flatten, (N, d1, d2, ...) -> (N, d1*d2*...) (PyTorch's
 * nn.Flatten() with its defaults: the batch dimension is kept). The output
 * and grad_input are views sharing storage with the input and grad_output
 * when those are contiguous (copies otherwise): nothing is allocated. */
#ifndef LN_FLATTEN_H
#define LN_FLATTEN_H

#include "module.h"

/* No fields, no parameters. */
extern const ln_module_ops ln_flatten_ops;

ln_module *ln_flatten_new(void);

#endif
