/* linear.c: the fully connected layer; all products go through ln_gemm. */
#include "linear.h"

#include <math.h>
#include <string.h>

void ln_linear_forward(float *out, const float *inp, const float *w, const float *b,
                       size_t n, size_t ic, size_t oc) {
  /* Seed every row with the bias so the GEMM adds onto it (beta = 1). */
  for (size_t i = 0; i < n; i++) memcpy(out + i * oc, b, oc * sizeof *out);
  ln_gemm(0, 1, n, oc, ic, 1.0f, inp, ic, w, ic, 1.0f, out, oc);
}

void ln_linear_backward(float *dinp, float *dw, float *db, const float *dout,
                        const float *inp, const float *w, size_t n, size_t ic, size_t oc) {
  ln_gemm(1, 0, oc, ic, n, 1.0f, dout, oc, inp, ic, 1.0f, dw, ic);  /* dW += dout^T in */
  for (size_t i = 0; i < n; i++) {
    const float *row = dout + i * oc;
    for (size_t o = 0; o < oc; o++) db[o] += row[o];
  }
  ln_gemm(0, 0, n, ic, oc, 1.0f, dout, oc, w, ic, 0.0f, dinp, ic);  /* din = dout W */
}

/* Checks that in is (N,in) for this layer. */
static int check_input(const ln_linear *l, const ln_tensor *in) {
  if (in->ndim != 2) {
    char s[64];
    return ln_fail("Linear: input must be 2-D (N,in), got %s", ln_shape_str(in, s, sizeof s));
  }
  if (in->size[1] != l->in)
    return ln_fail("Linear: input has %zu features, expected %zu", in->size[1], l->in);
  return LN_OK;
}

static int linear_forward(ln_module *m, const ln_tensor *in) {
  ln_linear *l = (ln_linear *)m;
  if (check_input(l, in)) return LN_ERR;
  /* The GEMM must not read what it writes. */
  if (in->st == m->output.st) return ln_fail("Linear: input shares storage with the output");
  size_t n = in->size[0], shape[2] = {n, l->out};
  if (ln_tensor_resize(&m->output, 2, shape)) return LN_ERR;
  ln_linear_forward(ln_data(&m->output), ln_data(in), ln_data(&m->param[0]),
                    ln_data(&m->param[1]), n, l->in, l->out);
  return LN_OK;
}

static int linear_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  ln_linear *l = (ln_linear *)m;
  if (check_input(l, in)) return LN_ERR;
  if (in->size[0] != dout->size[0])
    return ln_fail("Linear: input has %zu rows but grad_output has %zu", in->size[0],
                   dout->size[0]);
  if (in->st == m->grad_input.st || dout->st == m->grad_input.st)
    return ln_fail("Linear: input or grad_output shares storage with grad_input");
  if (ln_tensor_resize_as(&m->grad_input, in)) return LN_ERR;
  ln_linear_backward(ln_data(&m->grad_input), ln_data(&m->grad[0]), ln_data(&m->grad[1]),
                     ln_data(dout), ln_data(in), ln_data(&m->param[0]), in->size[0], l->in,
                     l->out);
  return LN_OK;
}

static const ln_module_ops linear_ops = {
  LN_LINEAR, "Linear", linear_forward, linear_backward, NULL, NULL
};

ln_module *ln_linear_new(size_t in, size_t out, ln_rng *rng) {
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
  ln_module_init(m, &linear_ops);
  l->in = in;
  l->out = out;
  m->nparam = 2;
  if (ln_tensor_init(&m->param[0], 2, wshape) || ln_tensor_init(&m->grad[0], 2, wshape) ||
      ln_tensor_init(&m->param[1], 1, &out) || ln_tensor_init(&m->grad[1], 1, &out)) {
    ln_module_release(m);
    return NULL;
  }
  double bound = 1.0 / sqrt((double)in);
  ln_tensor_rand(&m->param[0], rng, -bound, bound);
  ln_tensor_rand(&m->param[1], rng, -bound, bound);
  return m;
}
