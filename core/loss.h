/* loss.h: the cost functions, MSE and softmax cross-entropy.
 *
 * Free functions in llm.c style compute a cost (accumulated in double) and
 * its gradient with respect to the network's output. An ln_loss object keeps
 * the buffers a binding needs between calls (the gradient it hands out and
 * the 0-based labels of cross-entropy), resized only when shapes change, so
 * a steady training step allocates nothing.
 *
 * A NaN or Inf cost is returned as it is: hiding it would hide a diverging
 * run. Shape mismatches are errors naming the loss. */
#ifndef LN_LOSS_H
#define LN_LOSS_H

#include "tensor.h"

typedef enum { LN_MSE, LN_CROSS_ENTROPY } ln_loss_kind;

typedef struct ln_loss {
  ln_loss_kind kind;
  ln_tensor grad;     /* backward's result, shaped like the input */
  int *labels;        /* cross-entropy: 0-based classes, room for caplabels */
  size_t caplabels;
} ln_loss;

/* "MSELoss" or "CrossEntropyLoss". */
const char *ln_loss_name(ln_loss_kind kind);

/* mean over all elements of (y - t)^2. */
int ln_mse_forward(double *cost, const ln_tensor *y /* any shape */,
                   const ln_tensor *t /* same shape as y */);
/* dy = 2 (y - t) / numel; dy is resized to y's shape. */
int ln_mse_backward(ln_tensor *dy /* like y */, const ln_tensor *y, const ln_tensor *t);

/* mean over the N rows of logsumexp(x_i) - x_i[label_i]. labels are 0-based
 * classes, n of them (n must be N). */
int ln_ce_forward(double *cost, const ln_tensor *x /* (N,C) */,
                  const int *labels /* (N) */, size_t n);
/* dx = (softmax(x) - onehot(label)) / N; dx is resized to (N,C). */
int ln_ce_backward(ln_tensor *dx /* (N,C) */, const ln_tensor *x /* (N,C) */,
                   const int *labels /* (N) */, size_t n);

void ln_loss_init(ln_loss *l, ln_loss_kind kind);
/* Frees the buffers; safe to call twice. */
void ln_loss_free(ln_loss *l);
/* Makes room for n labels in l->labels (grows only). */
int ln_loss_reserve_labels(ln_loss *l, size_t n);

#endif
