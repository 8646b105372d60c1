/* loss.h: the cost functions, one registered table per kind.
 *
 * A kind (ln_loss_kind) is everything that differs between losses: its name,
 * the options it takes (PyTorch's keyword names) and its formula, forward and
 * backward. Elementwise kinds (MSE, L1, SmoothL1, Huber, BCE, BCEWithLogits,
 * loss_point.c) compare an input with a target of its shape element by
 * element; class kinds (CrossEntropy, NLL, loss_class.c) score the rows of an
 * (N,C) input against N 0-based class labels. Each kind is listed once in the
 * registry of loss.c; nothing else names a kind.
 *
 * The reduction is PyTorch's: "mean" over the elements (over the weights of
 * the targets for a weighted or ignoring class loss), "sum", or "none" (the
 * per-element, or per-row, losses in l->out). Costs are accumulated in
 * double. backward gives the gradient of the reduced cost ("none": of the sum
 * of the losses) with respect to the input, in l->grad.
 *
 * An ln_loss object keeps its options and the buffers a binding needs between
 * calls (the gradient, the "none" losses, the labels of a class loss),
 * resized only when shapes change, so a steady training step allocates
 * nothing. A NaN or Inf cost is returned as it is: hiding it would hide a
 * diverging run. Shape mismatches are errors naming the loss. */
#ifndef LN_LOSS_H
#define LN_LOSS_H

#include "tensor.h"

#define LN_LOSS_MAXOPT 6  /* option names of a kind, reduction included */

typedef enum { LN_REDUCE_MEAN, LN_REDUCE_SUM, LN_REDUCE_NONE } ln_reduction;

typedef struct ln_loss_options {
  ln_reduction reduction;
  double beta;            /* SmoothL1Loss (>= 0) */
  double delta;           /* HuberLoss (> 0) */
  double smoothing;       /* CrossEntropyLoss's label_smoothing, in [0, 1] */
  int has_ignore;         /* ignore: labels equal to it count for nothing */
  int ignore;             /* 0-based; may lie outside 0..C-1 */
  ln_tensor weight;       /* (C) class weights, or empty (all 1) */
  ln_tensor pos_weight;   /* (K) or (1): BCEWithLogits's positive weight along
                           * the input's last dimension of size K; or empty */
} ln_loss_options;

/* The options with PyTorch's defaults: mean, beta = delta = 1, no smoothing,
 * no ignored class, no weights. */
void ln_loss_options_default(ln_loss_options *o);

typedef struct ln_loss_kind {
  const char *name;       /* "MSELoss": messages, lunet.<name> */
  /* The option names it takes, "reduction" first, NULL-terminated. */
  const char *options[LN_LOSS_MAXOPT + 1];
  int classes;            /* 1: (N,C) input and N labels; 0: elementwise */
  /* Optional: refuses inputs outside the kind's domain (BCE's [0, 1]);
   * x (n), flat. */
  int (*check)(const float *x, size_t n);
  /* Elementwise: the loss of input x against target t, pw the element's
   * positive weight (1 when none), and its derivative in x. */
  double (*forward)(const ln_loss_options *o, double x, double t, double pw);
  double (*backward)(const ln_loss_options *o, double x, double t, double pw);
  /* Class kinds: the weighted loss of row x (C) of class y (never ignored),
   * w the class weights (C) or NULL; and row_backward SETS dx (C) to scale
   * times its gradient. stat is row_stat(x, C) (0 when the kind has none). */
  double (*row_forward)(const ln_loss_options *o, const float *x, size_t c, int y,
                        const float *w, double stat);
  void (*row_backward)(const ln_loss_options *o, const float *x, size_t c, int y,
                       const float *w, double stat, double scale, float *dx);
  /* Optional: what both need of a row and depends on x alone
   * (CrossEntropyLoss's logsumexp), computed once per row in forward and
   * kept for a backward on the same input (ln_loss's cache). */
  double (*row_stat)(const float *x, size_t c);
} ln_loss_kind;

/* The registered kinds, in order (NULL past the last). */
const ln_loss_kind *ln_loss_kind_at(size_t i);
/* The kind called name ("BCELoss"), or NULL after ln_fail. */
const ln_loss_kind *ln_loss_find(const char *name);
/* Whether kind k takes the option called name. */
int ln_loss_takes(const ln_loss_kind *k, const char *name);

typedef struct ln_loss {
  const ln_loss_kind *kind;
  ln_loss_options opt;
  ln_tensor grad;     /* backward's result, shaped like the input */
  ln_tensor out;      /* forward's losses under reduction "none" */
  int *labels;        /* class kinds: 0-based classes, room for caplabels */
  size_t caplabels;
  /* A class kind's row_stat of every row of the last forward's input, and a
   * copy of that input: backward uses the stats only when its input has the
   * same shape and bits (a changed or other input is detected, never
   * trusted), so the cache can only save work, never change a gradient. */
  double *stat;       /* (cache_n) */
  float *cache_x;     /* (cache_n, cache_c) */
  size_t cache_n, cache_c, capcache;
} ln_loss;

/* An empty loss of kind k with the default options. */
void ln_loss_init(ln_loss *l, const ln_loss_kind *k);
/* Checks o against the kind (an option it does not take must be at its
 * default; values in range, weights 1-D) and takes it over: l shares o's
 * weight tensors (contiguous copies when they are strided). o is left to
 * the caller to free. */
int ln_loss_set_options(ln_loss *l, const ln_loss_options *o);
/* Frees the buffers and weights; safe to call twice. */
void ln_loss_free(ln_loss *l);
/* Makes room for n labels in l->labels (grows only). */
int ln_loss_reserve_labels(ln_loss *l, size_t n);

/* The cost of input x against the target: an elementwise kind reads t (x's
 * shape), a class kind the n labels of l->labels (t unused, n rows of x).
 * Reduction "none" fills l->out (x's shape, or (N)) and sets *cost to its
 * sum. */
int ln_loss_forward(ln_loss *l, double *cost, const ln_tensor *x, const ln_tensor *t,
                    size_t n);
/* l->grad = the gradient of the cost with respect to x (x's shape). */
int ln_loss_backward(ln_loss *l, const ln_tensor *x, const ln_tensor *t, size_t n);

/* Shorthands with the default options (no ln_loss object): the mean
 * squared error and the mean softmax cross-entropy of labels (0-based, n of
 * them: n must be N). The backwards resize dy/dx to the input's shape. */
int ln_mse_forward(double *cost, const ln_tensor *y /* any shape */,
                   const ln_tensor *t /* same shape as y */);
int ln_mse_backward(ln_tensor *dy /* like y */, const ln_tensor *y, const ln_tensor *t);
int ln_ce_forward(double *cost, const ln_tensor *x /* (N,C) */,
                  const int *labels /* (N) */, size_t n);
int ln_ce_backward(ln_tensor *dx /* (N,C) */, const ln_tensor *x /* (N,C) */,
                   const int *labels /* (N) */, size_t n);

/* The registered kinds, for code that wants one by its C name. */
extern const ln_loss_kind ln_loss_mse, ln_loss_l1, ln_loss_smooth_l1, ln_loss_huber,
    ln_loss_bce, ln_loss_bce_logits, ln_loss_cross_entropy, ln_loss_nll;

#endif
