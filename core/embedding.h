/* embedding.h: Embedding(num_embeddings, embedding_dim, {padding_idx}), as
 * torch.nn.Embedding (Torch7's nn.LookupTable): a table of num_embeddings
 * rows of embedding_dim, looked up by index. The input holds 1-based
 * indices (whole numbers in 1..num_embeddings, stored as floats) of any
 * shape; the output has that shape and a last dimension of embedding_dim.
 * The weight starts N(0, 1), as PyTorch's; the row padding_idx (1-based;
 * 0, the default, for none) starts at zeros and gets no gradient. The
 * indices get no gradient either: grad_input is zeros of the input's shape. */
#ifndef LN_EMBEDDING_H
#define LN_EMBEDDING_H

#include "module.h"

typedef struct ln_embedding {
  ln_module base;
  size_t num, dim;
  int64_t padding;  /* 1-based row, 0 for none */
} ln_embedding;

/* Fields num_embeddings, embedding_dim (positional), padding_idx; param weight. */
extern const ln_module_ops ln_embedding_ops;

ln_module *ln_embedding_new(size_t num, size_t dim, int64_t padding_idx, ln_rng *rng);

/* llm.c-style kernels over n indices idx (1-based rows, already checked
 * to be whole numbers in range). Sets out. */
void ln_embedding_forward(float *out,         /* (n,D) */
                          const float *idx,   /* (n) */
                          const float *w,     /* (num,D) */
                          size_t n, size_t d);
/* ADDS into dw, row by row in the order of idx (PyTorch's index_add order),
 * skipping the 1-based row skip (0: none). */
void ln_embedding_backward(float *dw,          /* (num,D) */
                           const float *dout,  /* (n,D) */
                           const float *idx,   /* (n) */
                           size_t n, size_t d, size_t skip);

#endif
