/* sequential.h: a container that chains its children (PyTorch's nn.Sequential).
 *
 * Forward feeds each child the previous child's output; the Sequential's
 * output is a view of the last child's (no copy). Backward runs the children
 * in reverse, each with the input it saw in forward; grad_input is a view of
 * the first child's. An empty Sequential is the identity: its output is a
 * view of its input and its grad_input a view of grad_output.
 *
 * Adjacent built-in modules may run fused, one pass doing the work of two:
 * a BatchNorm followed by a ReLU on (N,C) input (batchnorm.h), and in
 * backward a Linear followed by a ReLU (linear.h). Every module's
 * output and grad_input are still set, with the same bits as the unfused
 * chain; a chain fusion does not cover (other shapes, strided input, a
 * failing check) runs unfused.
 *
 * A module may appear only once in a tree: a child's output buffer is reused
 * on every call, so one module used twice in a chain would overwrite the
 * output its second use reads, and a cycle would never end. */
#ifndef LN_SEQUENTIAL_H
#define LN_SEQUENTIAL_H

#include "module.h"

/* No fields; any number of children, named by their 1-based positions. */
extern const ln_module_ops ln_sequential_ops;

ln_module *ln_sequential_new(void);
/* Appends child (ln_module_add_child); fails when seq is not a Sequential. */
int ln_sequential_add(ln_module *seq, ln_module *child);

/* Turns the fusion on (the default) or off for every Sequential; returns
 * whether it was on. For the tests that compare the two paths. */
int ln_sequential_set_fusion(int on);

#endif
