/* module.h: the one C interface behind every layer, and the registry of kinds.
 *
 * A module computes m->output from an input in forward, and in backward
 * computes m->grad_input from (input, grad_output) and ADDS into the
 * gradients of its parameters (zeroing is separate: ln_module_zero_grad), as
 * Torch7's updateGradInput + accGradParameters. Output and gradient buffers
 * belong to the module and are resized only when the batch shape changes, so
 * a steady training step allocates nothing.
 *
 * Everything a kind of module is lives in one ln_module_ops table: its
 * forward and backward, its configuration as named fields (which saving,
 * loading, cloning, printing and the Lua fields and constructor all read),
 * and a constructor from those fields. The table is registered under a
 * stable tag (registry.c); files key on the tag, so a display name can
 * change freely, and a tag nobody registered is an error, never a default.
 *
 * Modules are refcounted: a Lua userdata and each container holding a module
 * own one reference each. Kind-specific modules embed ln_module as their
 * first member (see linear.h, batchnorm.h, ...). */
#ifndef LN_MODULE_H
#define LN_MODULE_H

#include "tensor.h"

/* The one nesting limit: a module tree is at most this many modules deep (a
 * lone layer is 1 deep, Sequential{Linear} 2). Adding a child refuses to
 * build a deeper tree and ln_load to read one, so whatever is built can be
 * saved and loaded, and every recursion over a tree (release, zero_grad,
 * set_training, parameters, printing, saving, cloning) is at most this deep. */
#define LN_MAXDEPTH 64
/* Longest name of a parameter, buffer or child ("weight", "running_mean"). */
#define LN_MAXNAME 64

typedef struct ln_module ln_module;
typedef struct ln_writer ln_writer;  /* serialize.h */
typedef struct ln_reader ln_reader;  /* serialize.h */

/* A named configuration value of a kind: a tensor dimension (SIZE, positive,
 * checked against the file on load), an integer, a number, a number or none
 * (OPTDOUBLE: a double, NaN for none; false in Lua, as PyTorch's None), a
 * boolean (an
 * int holding 0 or 1), a CHOICE (an int64_t: the index of one of the
 * kind's `choices`, a string in Lua, as GELU's approximate = "tanh"), or a
 * pair of sizes (PAIR: size_t[2], (h, w), each may be 0; Lua gives a number
 * or {h, w}), stored at `offset` in the kind's struct. PADDING is a PAIR
 * that may also be "same" (both LN_PAIR_SAME). A PAIR option's default
 * `def` is given to both. A SHAPE is 1 to LN_MAXDIM positive sizes (ln_dims;
 * Lua gives a number or {d1, d2, ...}, as PyTorch's normalized_shape), checked
 * against the file on load as SIZE is; positional only. */
typedef enum {
  LN_FIELD_SIZE, LN_FIELD_INT, LN_FIELD_DOUBLE, LN_FIELD_BOOL, LN_FIELD_CHOICE,
  LN_FIELD_PAIR, LN_FIELD_PADDING, LN_FIELD_OPTDOUBLE, LN_FIELD_SHAPE
} ln_field_type;

typedef struct ln_dims {
  size_t n;              /* 1..LN_MAXDIM */
  size_t d[LN_MAXDIM];   /* 0 past n */
} ln_dims;
#define LN_PAIR_SAME ((size_t)-1)

typedef struct ln_field {
  const char *name;   /* "in_features": the Lua field and option name */
  ln_field_type type;
  size_t offset;      /* offsetof(kind struct, member) */
  double def;         /* the default of an option (fields after the positional ones) */
} ln_field;

/* One configuration value, as a constructor takes it (the field's type says
 * which member). */
typedef union ln_value {
  size_t z;     /* LN_FIELD_SIZE */
  int64_t i;    /* LN_FIELD_INT */
  double d;     /* LN_FIELD_DOUBLE, LN_FIELD_OPTDOUBLE */
  int b;        /* LN_FIELD_BOOL */
  size_t p[2];  /* LN_FIELD_PAIR, LN_FIELD_PADDING */
  ln_dims s;    /* LN_FIELD_SHAPE */
} ln_value;

#define LN_MAXFIELD 8
#define LN_NOLIMIT ((size_t)-1)

typedef struct ln_module_ops {
  const char *tag;    /* stable, registered, keys the file format: "Linear" */
  /* in: the input; sets m->output. Errors name the module ("Linear: ..."). */
  int (*forward)(ln_module *m, const ln_tensor *in);
  /* in: the input given to the last forward; dout: shaped like m->output.
   * Sets m->grad_input, adds into m->grad[]. */
  int (*backward)(ln_module *m, const ln_tensor *in, const ln_tensor *dout);
  /* Frees what the kind added beyond the base (NULL when nothing). */
  void (*destroy)(ln_module *m);
  /* Called after the training flag changes (NULL when nothing to do). */
  void (*set_training)(ln_module *m, int on);

  /* The configuration, in order, ending with a NULL name (or NULL: none).
   * The first nargs are the constructor's positional arguments, the others
   * its options. Saved in this order: SIZE and INT as 8 bytes, DOUBLE and
   * OPTDOUBLE as an IEEE double, BOOL as one byte, a PAIR as two sizes, a
   * SHAPE as its count and its sizes, 8 bytes each. */
  const ln_field *fields;
  int nargs;
  /* Per field, the file version (serialize.h) that added it, or NULL when
   * every field was there from the start: fields are only ever added at the
   * end, an older file holds none of the later ones, and reading it gives
   * them their defaults (BatchNorm's track_running_stats, 3, and sync, 4). */
  const unsigned char *since;
  /* Children given to the constructor: at least min, at most max
   * (LN_NOLIMIT: any number; 0 and 0: a layer). */
  size_t min_children, max_children;
  /* A new module from its configuration (cfg in field order) and children
   * (each gets a reference of the module's own); rng draws initial weights. */
  ln_module *(*make)(const ln_value *cfg, ln_module *const *child, size_t nchild,
                     ln_rng *rng);
  /* Writes what tostring shows for m itself, snprintf-style (children are
   * printed by the caller); NULL: "<tag>(<fields>)". */
  int (*describe)(const ln_module *m, char *buf, size_t n);
  /* The values of the kind's CHOICE field (a kind has at most one), in index
   * order, NULL-terminated; the field's def is the default's index. A value
   * read from a file is checked by make. */
  const char *const *choices;

  /* Kinds whose configuration is more than fields (modules written in Lua)
   * fill these; NULL for the others. save writes the extra configuration;
   * load reads it back and clone copies it, each making a module with the
   * given children and no parameters or buffers: those then come from the
   * file or from m, with their names and shapes (dynamic = 1). */
  int (*save)(ln_module *m, ln_writer *w);
  ln_module *(*load)(ln_reader *r, ln_module *const *child, const char *const *names,
                     size_t nchild);
  ln_module *(*clone)(ln_module *m, ln_module *const *child, size_t nchild);
  int dynamic;
  /* 1: a module around its one child that state dicts and files see as the
   * child itself (DataParallel): no name of its own in paths, and saving
   * writes the child. */
  int wrapper;
} ln_module_ops;

struct ln_module {
  const ln_module_ops *ops;
  char name[LN_MAXNAME];         /* display name: the tag, or a Lua class's name */
  int refs;
  int training;                  /* 1 at creation, as in PyTorch */
  /* Set by whoever calls ln_module_backward: 1 when nobody reads grad_input
   * (the network's input needs none, as in PyTorch), so a layer may leave it
   * untouched and save work (Linear skips its dout W GEMM). */
  int skip_grad_input;
  ln_tensor output;              /* shaped like the last forward's result */
  ln_tensor grad_input;          /* shaped like the last backward's input */
  /* Parameters (weight before bias) with their gradients, and buffers (state
   * that is not trained: running statistics), each named. The arrays grow
   * only while the module is built (constructor, a Lua class's __init,
   * loading, cloning) and never move afterwards, so an optimizer may keep
   * pointers to them. */
  int nparam;
  ln_tensor *param, *grad;
  char **param_name;
  int nbuf;
  ln_tensor *buf;
  char **buf_name;
  /* Children, each holding a reference; a name (a Lua module's "enc",
   * Residual's "block") or NULL for the 1-based position (Sequential). */
  ln_module **child;
  char **child_name;
  size_t nchild, capchild;
  /* Children with parameters or buffers removed from this module: kept
   * alive with it, since an optimizer of the tree may still hold pointers to
   * their parameters (as a PyTorch optimizer keeps its tensors). */
  ln_module **removed;
  size_t nremoved;
  /* The containers holding this module, no references (a parent removes
   * itself when freed): adding to a nested container must check the trees
   * of its roots, not only its own (see ln_module_add_child). */
  ln_module **parent;
  size_t nparent, capparent;
};

/* ---- building ---- */

/* Base set-up for a kind's constructor: ops, name = tag, one reference,
 * training on. */
void ln_module_init(ln_module *m, const ln_module_ops *ops);
/* Adds a zero parameter of that shape with a zero gradient (or a zero
 * buffer) named name; returns its index, or LN_ERR (m unchanged). Only while
 * m is built: see struct ln_module. */
int ln_module_add_param(ln_module *m, const char *name, int ndim, const size_t *shape);
int ln_module_add_buffer(ln_module *m, const char *name, int ndim, const size_t *shape);
/* Appends (at == nchild) or inserts child at position at (0-based), taking a
 * reference of its own, named name (NULL: its position). Fails when child
 * is m or contains it (a cycle), when child (or a module inside it) is
 * already in the tree of m or of any container holding m, or when the tree
 * would be more than LN_MAXDEPTH modules deep. */
int ln_module_insert_child(ln_module *m, size_t at, ln_module *child, const char *name);
int ln_module_add_child(ln_module *m, ln_module *child, const char *name);
/* Takes child at (0-based) out of m; it stays alive with m (see removed). */
int ln_module_remove_child(ln_module *m, size_t at);

void ln_module_retain(ln_module *m);
/* Drops a reference; the last one frees the module (idempotent on NULL). */
void ln_module_release(ln_module *m);

/* ---- using ---- */

int ln_module_forward(ln_module *m, const ln_tensor *in);
int ln_module_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout);
/* Recursive over children. */
void ln_module_zero_grad(ln_module *m);
void ln_module_set_training(ln_module *m, int on);
/* Lets one module run a child: forward or backward of child i, the error
 * wrapped as "<name>: module 2: Linear: ..." (or the child's name). */
int ln_module_child_forward(ln_module *m, size_t i, const ln_tensor *in);
int ln_module_child_backward(ln_module *m, size_t i, const ln_tensor *in,
                             const ln_tensor *dout);
/* Wraps the failure just recorded as child i's, as those two do. */
int ln_module_child_fail(const ln_module *m, size_t i);

/* The number of modules on the longest path from m down to a leaf (1 for a
 * layer): the depth of m's own tree. */
size_t ln_module_height(const ln_module *m);
/* The number of modules on the longest path from a root of a tree holding m
 * down to m (1 when nothing holds m). */
size_t ln_module_level(const ln_module *m);
/* 1 when m is root or anywhere inside root's tree. */
int ln_module_contains(const ln_module *root, const ln_module *m);

/* Parameter and gradient tensors in module order, weight before bias,
 * recursive over children. Fills up to max pointers, returns the count
 * (which may exceed max: call with max 0 to size the arrays). */
size_t ln_module_parameters(ln_module *m, ln_tensor **params, ln_tensor **grads,
                            size_t max);

/* The value of field f of m (f from m->ops->fields). */
ln_value ln_field_get(const ln_module *m, const ln_field *f);
/* The number of fields of a kind. */
int ln_field_count(const ln_module_ops *ops);
/* Writes a PAIR value as PyTorch prints it: "same", "3" when both are equal
 * and `scalar`, else "(3, 3)", snprintf-style. */
int ln_pair_str(char *buf, size_t n, const size_t *p, int scalar);
/* Writes a SHAPE value as PyTorch prints a tuple: "(4,)", "(3, 4)". */
int ln_dims_str(char *buf, size_t n, const ln_dims *d);
/* Writes m's one-line description (its kind's describe, or the generic
 * "<tag>(<fields>)"), snprintf-style. */
int ln_module_describe(const ln_module *m, char *buf, size_t n);

/* A deep copy of m (configuration, parameters, buffers, training flags,
 * children), one reference for the caller; NULL after ln_fail. */
ln_module *ln_module_clone(ln_module *m);

/* ---- the registry (registry.c) ---- */

/* The kind registered under tag, or NULL. */
const ln_module_ops *ln_module_kind(const char *tag);
/* Registers a kind from outside the core (the bindings' Lua modules); a tag
 * already taken by another table is an error. */
int ln_module_register(const ln_module_ops *ops);

#endif
