/* module.h: the one C interface behind every layer.
 *
 * A module computes m->output from an input in forward, and in backward
 * computes m->grad_input from (input, grad_output) and ADDS into the
 * gradients of its parameters (zeroing is separate: ln_module_zero_grad), as
 * Torch7's updateGradInput + accGradParameters. Output and gradient buffers
 * belong to the module and are resized only when the batch shape changes, so
 * a steady training step allocates nothing.
 *
 * Modules are refcounted: a Lua userdata and each Sequential holding a module
 * own one reference each. Kind-specific modules embed ln_module as their
 * first member (see linear.h, batchnorm.h, ...). */
#ifndef LN_MODULE_H
#define LN_MODULE_H

#include "tensor.h"

#define LN_MAXPARAM 2   /* weight, bias */
#define LN_MAXBUF 2     /* running_mean, running_var */
/* The one nesting limit: a module tree is at most this many modules deep (a
 * lone layer is 1 deep, Sequential{Linear} 2). ln_sequential_add refuses to
 * build a deeper tree and ln_load to read one, so whatever is built can be
 * saved and loaded, and every recursion over a tree (release, zero_grad,
 * set_training, parameters, printing, saving) is at most this deep. */
#define LN_MAXDEPTH 64

typedef enum {
  LN_LINEAR, LN_RELU, LN_TANH, LN_SIGMOID, LN_BATCHNORM, LN_SEQUENTIAL
} ln_kind;

typedef struct ln_module ln_module;

typedef struct ln_module_ops {
  ln_kind kind;
  const char *name;   /* "Linear": used in messages and in saved files */
  /* in: the input; sets m->output. Errors name the module ("Linear: ..."). */
  int (*forward)(ln_module *m, const ln_tensor *in);
  /* in: the input given to the last forward; dout: shaped like m->output.
   * Sets m->grad_input, adds into m->grad[]. */
  int (*backward)(ln_module *m, const ln_tensor *in, const ln_tensor *dout);
  /* Frees what the kind added beyond the base (NULL when nothing). */
  void (*destroy)(ln_module *m);
  /* Called after the training flag changes (NULL when nothing to do). */
  void (*set_training)(ln_module *m, int on);
} ln_module_ops;

struct ln_module {
  const ln_module_ops *ops;
  int refs;
  int training;                  /* 1 at creation, as in PyTorch */
  /* Set by whoever calls ln_module_backward: 1 when nobody reads grad_input
   * (the network's input needs none, as in PyTorch), so a layer may leave it
   * untouched and save work (Linear skips its dout W GEMM). */
  int skip_grad_input;
  ln_tensor output;              /* shaped like the last forward's result */
  ln_tensor grad_input;          /* shaped like the last backward's input */
  int nparam;
  ln_tensor param[LN_MAXPARAM];  /* weight first, then bias */
  ln_tensor grad[LN_MAXPARAM];   /* same shapes as param */
  int nbuf;
  ln_tensor buf[LN_MAXBUF];      /* state that is not trained (running stats) */
  ln_module **child;             /* Sequential's children, each holding a reference */
  size_t nchild, capchild;
  /* The Sequentials holding this module, no references (a parent removes
   * itself when freed): adding to a nested Sequential must check the trees
   * of its roots, not only its own (see ln_sequential_add). */
  ln_module **parent;
  size_t nparent, capparent;
};

/* Base set-up for a kind's constructor: ops, one reference, training on. */
void ln_module_init(ln_module *m, const ln_module_ops *ops);
void ln_module_retain(ln_module *m);
/* Drops a reference; the last one frees the module (idempotent on NULL). */
void ln_module_release(ln_module *m);

int ln_module_forward(ln_module *m, const ln_tensor *in);
int ln_module_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout);
/* Recursive over Sequential children. */
void ln_module_zero_grad(ln_module *m);
void ln_module_set_training(ln_module *m, int on);

/* The number of modules on the longest path from m down to a leaf (1 for a
 * layer): the depth of m's own tree. */
size_t ln_module_height(const ln_module *m);
/* The number of modules on the longest path from a root of a tree holding m
 * down to m (1 when nothing holds m). */
size_t ln_module_level(const ln_module *m);

/* Parameter and gradient tensors in module order, weight before bias,
 * recursive over children. Fills up to max pointers, returns the count
 * (which may exceed max: call with max 0 to size the arrays). */
size_t ln_module_parameters(ln_module *m, ln_tensor **params, ln_tensor **grads,
                            size_t max);

#endif
