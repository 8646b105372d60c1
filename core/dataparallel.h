/* dataparallel.h: data-parallel training of one module over the ranks of
 * an MPI job (dist.h).
 *
 * DataParallel holds one child, the network, and runs it: forward and
 * backward are the child's. When it is made, the child's parameters and
 * buffers are set to rank 0's on every rank; after each backward, the
 * gradients of the child's parameters are replaced by their mean over the
 * ranks, summed as one array whatever the number of tensors
 * (ln_dist_sum_parts: in shared memory when the ranks share a machine,
 * else MPI_Allreduce on buckets of 1M floats). With rank i's loss the mean
 * over its own batch of B, the mean of the ranks' gradients is the
 * gradient of the mean loss over the N B samples, so N ranks take the
 * steps of one process with batch N B.
 *
 * The lists of gradients and the sum's buffer are kept between steps: a
 * steady step allocates nothing. A wrapper (ops->wrapper): state dicts and
 * files name and hold the child alone, so a checkpoint loads as the bare
 * network on any number of ranks. */
#ifndef LN_DATAPARALLEL_H
#define LN_DATAPARALLEL_H

#include "module.h"

typedef struct ln_dataparallel {
  ln_module base;
  ln_tensor **grads;  /* (cap) the child tree's gradients at the last sync */
  ln_tensor **params; /* (cap) their parameters (unused but for the listing) */
  float **part;       /* (cap) the gradients' data */
  size_t *len;        /* (cap) and sizes */
  size_t cap;
} ln_dataparallel;

/* No fields; one child. */
extern const ln_module_ops ln_dataparallel_ops;

/* Wraps child (a reference of its own) after broadcasting its parameters
 * and buffers from rank 0 (a collective: every rank calls it). A clone or a
 * loaded DataParallel wraps its child as it is. */
ln_module *ln_dataparallel_new(ln_module *child);
/* Sets every gradient of m's child to its mean over the ranks. */
int ln_dataparallel_sync(ln_module *m);

#endif
