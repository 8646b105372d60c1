/* residual.h: y = block(x) + shortcut(x), the shortcut the identity unless
 * given (a ResNet block), and Identity, y = x.
 *
 * Block and shortcut must give outputs of one shape. Backward gives both
 * grad_output; grad_input is the sum of their grad_inputs (grad_output
 * itself for the identity shortcut). */
#ifndef LN_RESIDUAL_H
#define LN_RESIDUAL_H

#include "module.h"

/* Residual: no fields; children "block" and, when given, "shortcut". */
extern const ln_module_ops ln_residual_ops;
/* Identity: no fields, no parameters; output and grad_input are views. */
extern const ln_module_ops ln_identity_ops;

/* shortcut NULL: the identity. Each child gets a reference of its own. */
ln_module *ln_residual_new(ln_module *block, ln_module *shortcut);
ln_module *ln_identity_new(void);

#endif
