/* linear.c: the fully connected layer; all products go through ln_gemm. */
#include "linear.h"
#include "v8.h"

#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Weights of at most this many elements are transposed into l->wt before
 * each forward so the GEMM is NN: OpenBLAS 0.3.21's small-matrix kernels run
 * the seed's 500x30x30 NN product in ~5.5 us against ~7.6 us for NT, and the
 * 900-float transpose costs far less. For large layers the orientations are
 * within a few percent and the copy would cost more than it saves. */
#define WT_MAX 4096

/* r oc for the smallest r making it a multiple of 16 floats (one or more
 * 64-byte vectors): short rows are handled r at a time as one flat loop. */
static size_t block_width(size_t oc) {
  size_t w = oc;
  while (w % 16) w *= 2;
  return w;
}

enum { FLAT_MAX = 1024 };  /* floats of stack for a block of rows */

/* Seeds every row with the bias so the GEMM adds onto it (beta = 1). Rows
 * go in blocks of w (a multiple of 16 floats) holding the bias r times,
 * stored one column of 16 at a time from registers: as a plain loop GCC
 * made it one memcpy call per block (62 for the seed's 500 rows). No bias
 * (b NULL): zeros, which OpenBLAS's beta = 0 would write too. */
static void bias_rows(float *restrict out,      /* (N,OC) */
                      const float *restrict b,  /* (OC) or NULL */
                      size_t n, size_t oc) {
  float pat[FLAT_MAX];
  size_t w = block_width(oc), total = n * oc, nb = total / w;
  if (!b) {
    memset(out, 0, total * sizeof *out);
    return;
  }
  if (w > FLAT_MAX) {
    for (size_t i = 0; i < n; i++) memcpy(out + i * oc, b, oc * sizeof *out);
    return;
  }
  for (size_t j = 0; j < w; j++) pat[j] = b[j % oc];
  for (size_t e0 = 0; e0 < w; e0 += 16) {
    ln_v8 p0 = ln_v8_load(pat + e0), p1 = ln_v8_load(pat + e0 + 8);
    for (size_t blk = 0; blk < nb; blk++) {
      ln_v8_store(out + blk * w + e0, p0);
      ln_v8_store(out + blk * w + e0 + 8, p1);
    }
  }
  for (size_t e = nb * w, j = 0; e + j < total; j++) out[e + j] = pat[j];
}

/* What the kernels can do: block_width(0) would never end, a BLAS size is
 * an int, and a leading dimension of 0 is invalid. */
static int check_sizes(const char *who, size_t n, size_t ic, size_t oc) {
  if (ic == 0 || oc == 0 || ic > INT_MAX || oc > INT_MAX || n > INT_MAX)
    return ln_fail("%s: sizes n=%zu ic=%zu oc=%zu out of range (ic, oc 1..%d, n 0..%d)",
                   who, n, ic, oc, INT_MAX, INT_MAX);
  return LN_OK;
}

int ln_linear_forward(float *out, const float *inp, const float *w, const float *b,
                      size_t n, size_t ic, size_t oc) {
  if (check_sizes("ln_linear_forward", n, ic, oc)) return LN_ERR;
  bias_rows(out, b, n, oc);
  ln_gemm(0, 1, n, oc, ic, 1.0f, inp, ic, w, ic, 1.0f, out, oc);
  return LN_OK;
}

/* ln_linear_forward through a transposed copy of the weight. */
static void forward_wt(float *out,               /* (N,OC) */
                       const float *inp,         /* (N,IC) */
                       const float *restrict w,  /* (OC,IC) */
                       float *restrict wt,       /* (IC,OC), set to W^T */
                       const float *b,           /* (OC) */
                       size_t n, size_t ic, size_t oc) {
  for (size_t o = 0; o < oc; o++)
    for (size_t k = 0; k < ic; k++) wt[k * oc + o] = w[o * ic + k];
  bias_rows(out, b, n, oc);
  ln_gemm(0, 0, n, oc, ic, 1.0f, inp, ic, wt, oc, 1.0f, out, oc);
}

/* db += column sums of dout. A loop over a short row (30) spends its time in
 * remainders, so for small oc the rows are summed r at a time (r oc a
 * multiple of 16 floats) as one flat loop into r oc float partial sums,
 * folded into db at the end. With y given, dout is a ReLU's grad_output and
 * y its input: the summed values are ReLU's gradient (y <= 0 ? 0 : dout),
 * also SET into g, in the same pass (Sequential's Linear + ReLU). Without a
 * bias (db NULL) only g is set. */
static void bias_grad(float *restrict db,          /* (OC) or NULL */
                      const float *restrict dout,  /* (N,OC) */
                      const float *restrict y,     /* (N,OC) or NULL */
                      float *restrict g,           /* (N,OC) when y is given */
                      size_t n, size_t oc) {
  float acc[FLAT_MAX];
  size_t w = block_width(oc), total = n * oc, e = 0;
  if (w > FLAT_MAX) {
    for (size_t i = 0; i < n; i++)
      for (size_t o = 0; o < oc; o++) {
        size_t at = i * oc + o;
        float v = dout[at];
        if (y) g[at] = v = y[at] <= 0 ? 0.0f : v;
        if (db) db[o] += v;
      }
    return;
  }
  for (size_t j = 0; j < w; j++) acc[j] = 0;
  for (; e < total; e += w) {
    size_t len = total - e < w ? total - e : w;
    if (!y) {
      for (size_t j = 0; j < len; j++) acc[j] += dout[e + j];
    } else {
      for (size_t j = 0; j < len; j++) {
        float v = y[e + j] <= 0 ? 0.0f : dout[e + j];
        g[e + j] = v;
        acc[j] += v;
      }
    }
  }
  if (db)
    for (size_t j = 0; j < w; j++) db[j % oc] += acc[j];
}

/* Rows per dW += dout^T in product for small weights: OpenBLAS 0.3.21's
 * small TN kernel takes ~6.0 us for the seed's 30x30 dW over 500 rows in one
 * call but ~5.4 us in chunks of 64 rows (measured from 32 to 500 rows). */
#define DW_ROWS 64

/* ln_linear_backward, with y and g for a ReLU after the layer (bias_grad):
 * dout is then the ReLU's grad_output, and its grad_input g is the layer's. */
static int backward_kernel(float *dinp, float *dw, float *db, const float *dout,
                           const float *y, float *g, const float *colsum, const float *inp,
                           const float *w, size_t n, size_t ic, size_t oc) {
  if (check_sizes("ln_linear_backward", n, ic, oc)) return LN_ERR;
  if (colsum)  /* bias_grad's partial sums, made by whoever wrote dout */
    for (size_t j = 0; j < block_width(oc); j++) db[j % oc] += colsum[j];
  else if (db || y)
    bias_grad(db, dout, y, g, n, oc);
  if (y) dout = g;
  size_t step = ic * oc <= WT_MAX ? DW_ROWS : n;
  for (size_t i = 0; i < n; i += step) {  /* dW += dout^T in */
    size_t rows = n - i < step ? n - i : step;
    ln_gemm(1, 0, oc, ic, rows, 1.0f, dout + i * oc, oc, inp + i * ic, ic, 1.0f, dw, ic);
  }
  /* din = dout W. With beta = 0 OpenBLAS zeroes C with its sgemm_beta, a
   * loop over columns of ic floats (~4 us of the 20 us of the seed's 500x30x30
   * product); a memset of the whole block and beta = 1 is the same sum onto
   * the same zeros, the same bits. */
  if (dinp) {
    memset(dinp, 0, n * ic * sizeof *dinp);
    ln_gemm(0, 0, n, ic, oc, 1.0f, dout, oc, w, ic, 1.0f, dinp, ic);
  }
  return LN_OK;
}

int ln_linear_backward(float *dinp, float *dw, float *db, const float *dout,
                       const float *inp, const float *w, size_t n, size_t ic, size_t oc) {
  return backward_kernel(dinp, dw, db, dout, NULL, NULL, NULL, inp, w, n, ic, oc);
}

/* Checks that in is (*,in) for this layer, as PyTorch's: any leading
 * dimensions, the features last; they are the GEMM's rows. */
static int check_input(const ln_linear *l, const ln_tensor *in) {
  if (in->ndim < 1) return ln_fail("Linear: input is an empty tensor");
  if (in->size[in->ndim - 1] != l->in)
    return ln_fail("Linear: input has %zu features, expected %zu", in->size[in->ndim - 1],
                   l->in);
  return LN_OK;
}

/* The rows of (*,features) t. */
static size_t rows(const ln_tensor *t) { return ln_numel(t) / t->size[t->ndim - 1]; }

static int linear_forward(ln_module *m, const ln_tensor *in) {
  ln_linear *l = (ln_linear *)m;
  if (check_input(l, in)) return LN_ERR;
  /* The GEMM must not read what it writes. */
  if (in->st == m->output.st) return ln_fail("Linear: input shares storage with the output");
  size_t n = rows(in), shape[LN_MAXDIM];
  memcpy(shape, in->size, (size_t)in->ndim * sizeof *shape);
  shape[in->ndim - 1] = l->out;
  if (ln_tensor_resize(&m->output, in->ndim, shape)) return LN_ERR;
  if (!l->wt.st)
    return ln_linear_forward(ln_data(&m->output), ln_data(in), ln_data(&m->param[0]),
                             l->bias ? ln_data(&m->param[1]) : NULL, n, l->in, l->out);
  forward_wt(ln_data(&m->output), ln_data(in), ln_data(&m->param[0]), ln_data(&l->wt),
             l->bias ? ln_data(&m->param[1]) : NULL, n, l->in, l->out);
  return LN_OK;
}

/* The backward; with relu_grad given, dout is the grad_output of a ReLU fed
 * by this layer's output, whose grad_input is SET into relu_grad; with
 * colsum given, the bias gradient's partial sums of dout (see linear.h). */
static int backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout,
                    ln_tensor *relu_grad, const float *colsum) {
  ln_linear *l = (ln_linear *)m;
  if (check_input(l, in)) return LN_ERR;
  if (dout->ndim < 1 || rows(in) != rows(dout) || dout->size[dout->ndim - 1] != l->out)
    return ln_fail("Linear: input has %zu rows but grad_output has %zu", rows(in),
                   dout->ndim ? rows(dout) : 0);
  if (in->st == m->grad_input.st || dout->st == m->grad_input.st)
    return ln_fail("Linear: input or grad_output shares storage with grad_input");
  float *din = NULL, *g = NULL;
  if (!m->skip_grad_input) {
    if (ln_tensor_resize_as(&m->grad_input, in)) return LN_ERR;
    din = ln_data(&m->grad_input);
  } else {
    ln_tensor_free(&m->grad_input);  /* as ln_module_backward: none, not the last one */
  }
  if (relu_grad) {
    if (ln_tensor_resize_as(relu_grad, &m->output)) return LN_ERR;
    g = ln_data(relu_grad);
  }
  return backward_kernel(din, ln_data(&m->grad[0]), l->bias ? ln_data(&m->grad[1]) : NULL,
                         ln_data(dout),
                         g ? ln_data(&m->output) : NULL, g, colsum, ln_data(in),
                         ln_data(&m->param[0]), rows(in), l->in, l->out);
}

static int linear_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  return backward(m, in, dout, NULL, NULL);
}

int ln_linear_backward_relu(ln_module *m, const ln_tensor *in, const ln_tensor *dout,
                            ln_tensor *relu_grad) {
  return backward(m, in, dout, relu_grad, NULL);
}

size_t ln_linear_colsum_width(const ln_module *m) {
  const ln_linear *l = (const ln_linear *)m;
  size_t w = block_width(l->out);
  return l->bias && w <= FLAT_MAX ? w : 0;  /* no bias: no sums to take */
}

int ln_linear_backward_colsum(ln_module *m, const ln_tensor *in, const ln_tensor *dout,
                              const float *colsum) {
  return backward(m, in, dout, NULL, colsum);
}

static void linear_destroy(ln_module *m) { ln_tensor_free(&((ln_linear *)m)->wt); }

static ln_module *linear_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                              ln_rng *rng) {
  (void)child, (void)nchild;
  return ln_linear_new_bias(cfg[0].z, cfg[1].z, cfg[2].b, rng);
}

static int linear_describe(const ln_module *m, char *buf, size_t n) {
  const ln_linear *l = (const ln_linear *)m;
  return snprintf(buf, n, "Linear(%zu -> %zu%s)", l->in, l->out, l->bias ? "" : ", bias=false");
}

static const ln_field linear_fields[] = {
  {"in_features", LN_FIELD_SIZE, offsetof(ln_linear, in), 0},
  {"out_features", LN_FIELD_SIZE, offsetof(ln_linear, out), 0},
  {"bias", LN_FIELD_BOOL, offsetof(ln_linear, bias), 1},
  {NULL, LN_FIELD_SIZE, 0, 0}
};
static const unsigned char linear_since[] = {0, 0, 5};

const ln_module_ops ln_linear_ops = {
  .tag = "Linear", .forward = linear_forward, .backward = linear_backward,
  .destroy = linear_destroy, .fields = linear_fields, .nargs = 2, .since = linear_since,
  .make = linear_make, .describe = linear_describe,
};

ln_module *ln_linear_new(size_t in, size_t out, ln_rng *rng) {
  return ln_linear_new_bias(in, out, 1, rng);
}

ln_module *ln_linear_new_bias(size_t in, size_t out, int bias, ln_rng *rng) {
  size_t wshape[2] = {out, in};
  if (in == 0 || out == 0) {
    ln_fail("Linear: sizes must be positive, got %zu -> %zu", in, out);
    return NULL;
  }
  if (ln_check_shape("Linear", 2, wshape)) return NULL;
  ln_linear *l = ln_malloc(sizeof *l);
  if (!l) {
    ln_fail("Linear: out of memory");
    return NULL;
  }
  ln_module *m = &l->base;
  ln_module_init(m, &ln_linear_ops);
  ln_tensor empty = LN_TENSOR_EMPTY;
  size_t tshape[2] = {in, out};
  l->in = in;
  l->out = out;
  l->bias = bias != 0;
  l->wt = empty;
  if (ln_module_add_param(m, "weight", 2, wshape) < 0 ||
      (bias && ln_module_add_param(m, "bias", 1, &out) < 0) ||
      (in * out <= WT_MAX && ln_tensor_init(&l->wt, 2, tshape))) {
    ln_module_release(m);
    return NULL;
  }
  double bound = 1.0 / sqrt((double)in);
  ln_tensor_rand(&m->param[0], rng, -bound, bound);
  if (bias) ln_tensor_rand(&m->param[1], rng, -bound, bound);
  return m;
}
