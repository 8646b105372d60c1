/* softmax.h: Softmax(dim) and LogSoftmax(dim) over one dimension of an input
 * of any number of dimensions, numerically stable (the row's maximum is
 * taken out first; sums in double), as torch.nn.Softmax / LogSoftmax. */
#ifndef LN_SOFTMAX_H
#define LN_SOFTMAX_H

#include "module.h"

/* One field, dim: 1-based, negative from the end (-1: the last); 0 is
 * refused. An input with fewer dimensions than dim names is a forward error. */
extern const ln_module_ops ln_softmax_ops, ln_log_softmax_ops;

ln_module *ln_softmax_new(int64_t dim);
ln_module *ln_log_softmax_new(int64_t dim);

/* The input seen as (outer, len, inner), the softmax taken over len (stride
 * inner). Forward SETS out; backward SETS dinp from the forward's input
 * (y recomputed in double): softmax dx = y (dy - sum(dy y)), log-softmax
 * dx = dy - softmax(x) sum(dy). */
void ln_softmax_forward(float *out,       /* (outer, len, inner) */
                        const float *inp, /* (outer, len, inner) */
                        size_t outer, size_t len, size_t inner, int is_log);
void ln_softmax_backward(float *dinp,       /* (outer, len, inner) */
                         const float *inp,  /* (outer, len, inner) the forward's input */
                         const float *dout, /* (outer, len, inner) */
                         size_t outer, size_t len, size_t inner, int is_log);

#endif
