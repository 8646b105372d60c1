/* sequential.h: a container that chains its children (PyTorch's nn.Sequential).
 *
 * Forward feeds each child the previous child's output; the Sequential's
 * output is a view of the last child's (no copy). Backward runs the children
 * in reverse, each with the input it saw in forward; grad_input is a view of
 * the first child's. An empty Sequential is the identity: its output is a
 * view of its input and its grad_input a view of grad_output.
 *
 * A module may appear only once in a tree: a child's output buffer is reused
 * on every call, so one module used twice in a chain would overwrite the
 * output its second use reads, and a cycle would never end. */
#ifndef LN_SEQUENTIAL_H
#define LN_SEQUENTIAL_H

#include "module.h"

ln_module *ln_sequential_new(void);
/* Appends child, taking a reference of its own. Fails when seq is not a
 * Sequential, when child is seq or contains it (a cycle), or when child
 * (or a module inside it) is already in the tree of seq or of any
 * Sequential holding seq, or when the tree would be more than LN_MAXDEPTH
 * modules deep. */
int ln_sequential_add(ln_module *seq, ln_module *child);
/* 1 when m is root or anywhere inside root's tree. */
int ln_module_contains(const ln_module *root, const ln_module *m);

#endif
