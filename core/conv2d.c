/* conv2d.c: the Conv2d layer over the kernels of conv.h. */
#include "conv2d.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "init.h"

/* Checks in against the layer and sets up c->p for its shape; the
 * workspace grows only when the shape or the thread count changes. */
static int prepare(ln_conv2d *c, const ln_tensor *in) {
  char s[64];
  if (in->ndim != 4)
    return ln_fail("Conv2d: input must be 4-D (N,C,H,W), got %s",
                   ln_shape_str(in, s, sizeof s));
  if (in->size[1] != c->in)
    return ln_fail("Conv2d: input has %zu channels, expected %zu", in->size[1], c->in);
  if (!ln_is_contiguous(in)) return ln_fail("Conv2d: input must be contiguous");
  int threads = ln_get_num_threads();
  if (c->p.n == in->size[0] && c->p.h == in->size[2] && c->p.w == in->size[3] &&
      c->threads == threads)
    return LN_OK;
  ln_conv2d_params p;
  memset(&p, 0, sizeof p);
  p.n = in->size[0], p.ic = c->in, p.h = in->size[2], p.w = in->size[3];
  p.oc = c->out, p.kh = c->k[0], p.kw = c->k[1];
  p.sh = c->stride[0], p.sw = c->stride[1], p.dh = c->dil[0], p.dw = c->dil[1];
  if (c->pad[0] == LN_PAIR_SAME) {  /* the odd one at the bottom and right, as PyTorch */
    size_t th = p.dh * (p.kh - 1), tw = p.dw * (p.kw - 1);
    p.pt = th / 2, p.pb = th - th / 2, p.pl = tw / 2, p.pr = tw - tw / 2;
  } else {
    p.pt = p.pb = c->pad[0], p.pl = p.pr = c->pad[1];
  }
  p.groups = c->groups, p.bias = c->bias;
  if (ln_conv2d_setup("Conv2d", &p)) return LN_ERR;
  size_t need = ln_conv2d_workspace(&p);
  if (need > c->wscap) {
    size_t bytes = 0;
    float *ws = ln_mul_size(need, sizeof *ws, &bytes) ? NULL : ln_malloc(bytes);
    if (!ws) return ln_fail("Conv2d: out of memory for a workspace of %zu floats", need);
    ln_free(c->ws);
    c->ws = ws, c->wscap = need;
  }
  c->p = p, c->threads = threads;
  return LN_OK;
}

static int conv_forward(ln_module *m, const ln_tensor *in) {
  ln_conv2d *c = (ln_conv2d *)m;
  if (prepare(c, in)) return LN_ERR;
  if (in->st == m->output.st) return ln_fail("Conv2d: input shares storage with the output");
  size_t shape[4] = {c->p.n, c->p.oc, c->p.oh, c->p.ow};
  if (ln_tensor_resize(&m->output, 4, shape)) return LN_ERR;
  ln_conv2d_forward(ln_data(&m->output), ln_data(in), ln_data(&m->param[0]),
                    c->bias ? ln_data(&m->param[1]) : NULL, c->ws, &c->p);
  return LN_OK;
}

static int conv_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  ln_conv2d *c = (ln_conv2d *)m;
  if (prepare(c, in)) return LN_ERR;
  size_t shape[4] = {c->p.n, c->p.oc, c->p.oh, c->p.ow};
  if (dout->ndim != 4 || memcmp(dout->size, shape, sizeof shape) || !ln_is_contiguous(dout)) {
    char s[64];
    return ln_fail("Conv2d: grad_output must be contiguous %zux%zux%zux%zu, got %s", shape[0],
                   shape[1], shape[2], shape[3], ln_shape_str(dout, s, sizeof s));
  }
  if (in->st == m->grad_input.st || dout->st == m->grad_input.st)
    return ln_fail("Conv2d: input or grad_output shares storage with grad_input");
  float *din = NULL;
  if (!m->skip_grad_input) {
    if (ln_tensor_resize_as(&m->grad_input, in)) return LN_ERR;
    din = ln_data(&m->grad_input);
  }
  ln_conv2d_backward(din, ln_data(&m->grad[0]), c->bias ? ln_data(&m->grad[1]) : NULL,
                     ln_data(dout), ln_data(in), ln_data(&m->param[0]), c->ws, &c->p);
  return LN_OK;
}

static void conv_destroy(ln_module *m) { ln_free(((ln_conv2d *)m)->ws); }

static ln_module *conv_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                            ln_rng *rng) {
  (void)child, (void)nchild;
  return ln_conv2d_new(cfg[0].z, cfg[1].z, cfg[2].p, cfg[3].p, cfg[4].p, cfg[5].p, cfg[6].z,
                       cfg[7].b, rng);
}

/* As PyTorch's extra_repr: padding, dilation, groups and bias only when
 * not their defaults. */
static int conv_describe(const ln_module *m, char *buf, size_t n) {
  const ln_conv2d *c = (const ln_conv2d *)m;
  char k[48], s[48], p[48], d[48], g[32] = "";
  ln_pair_str(k, sizeof k, c->k, 0);
  ln_pair_str(s, sizeof s, c->stride, 0);
  p[0] = d[0] = 0;
  if (c->pad[0] || c->pad[1]) {
    memcpy(p, ", padding=", 11);
    ln_pair_str(p + 10, sizeof p - 10, c->pad, 0);
  }
  if (c->dil[0] != 1 || c->dil[1] != 1) {
    memcpy(d, ", dilation=", 12);
    ln_pair_str(d + 11, sizeof d - 11, c->dil, 0);
  }
  if (c->groups != 1) snprintf(g, sizeof g, ", groups=%zu", c->groups);
  return snprintf(buf, n, "Conv2d(%zu, %zu, kernel_size=%s, stride=%s%s%s%s%s)", c->in, c->out,
                  k, s, p, d, g, c->bias ? "" : ", bias=false");
}

static const ln_field conv_fields[] = {
  {"in_channels", LN_FIELD_SIZE, offsetof(ln_conv2d, in), 0},
  {"out_channels", LN_FIELD_SIZE, offsetof(ln_conv2d, out), 0},
  {"kernel_size", LN_FIELD_PAIR, offsetof(ln_conv2d, k), 0},
  {"stride", LN_FIELD_PAIR, offsetof(ln_conv2d, stride), 1},
  {"padding", LN_FIELD_PADDING, offsetof(ln_conv2d, pad), 0},
  {"dilation", LN_FIELD_PAIR, offsetof(ln_conv2d, dil), 1},
  {"groups", LN_FIELD_SIZE, offsetof(ln_conv2d, groups), 1},
  {"bias", LN_FIELD_BOOL, offsetof(ln_conv2d, bias), 1},
  {NULL, LN_FIELD_SIZE, 0, 0}
};

const ln_module_ops ln_conv2d_ops = {
  .tag = "Conv2d", .forward = conv_forward, .backward = conv_backward,
  .destroy = conv_destroy, .fields = conv_fields, .nargs = 3, .make = conv_make,
  .describe = conv_describe,
};

/* The configuration's own checks; the input's come at forward. */
static int check_config(size_t in, size_t out, const size_t *k, const size_t *stride,
                        const size_t *pad, const size_t *dil, size_t groups) {
  if (!in || !out) return ln_fail("Conv2d: channels must be positive, got %zu -> %zu", in, out);
  for (int i = 0; i < 2; i++) {
    if (!k[i] || k[i] == LN_PAIR_SAME) return ln_fail("Conv2d: kernel_size must be positive");
    if (!stride[i] || stride[i] == LN_PAIR_SAME)
      return ln_fail("Conv2d: stride must be positive");
    if (!dil[i] || dil[i] == LN_PAIR_SAME) return ln_fail("Conv2d: dilation must be positive");
  }
  if (!groups || in % groups || out % groups)
    return ln_fail("Conv2d: groups (%zu) must divide in_channels (%zu) and out_channels (%zu)",
                   groups, in, out);
  if ((pad[0] == LN_PAIR_SAME) != (pad[1] == LN_PAIR_SAME))
    return ln_fail("Conv2d: padding must be 'same' or two sizes");
  if (pad[0] == LN_PAIR_SAME && (stride[0] != 1 || stride[1] != 1))
    return ln_fail("Conv2d: padding='same' is not supported for strided convolutions");
  /* Far below what any tensor can hold (LN_MAXNUMEL), so products cannot wrap. */
  for (int i = 0; i < 2; i++)
    if (k[i] > 1u << 20 || stride[i] > 1u << 20 || dil[i] > 1u << 20 ||
        (pad[i] != LN_PAIR_SAME && pad[i] > 1u << 20))
      return ln_fail("Conv2d: kernel_size, stride, padding and dilation must be below 2^20");
  return LN_OK;
}

ln_module *ln_conv2d_new(size_t in, size_t out, const size_t *k, const size_t *stride,
                         const size_t *pad, const size_t *dil, size_t groups, int bias,
                         ln_rng *rng) {
  if (check_config(in, out, k, stride, pad, dil, groups)) return NULL;
  size_t wshape[4] = {out, in / groups, k[0], k[1]};
  if (ln_check_shape("Conv2d", 4, wshape)) return NULL;
  ln_conv2d *c = ln_calloc(1, sizeof *c);
  if (!c) {
    ln_fail("Conv2d: out of memory");
    return NULL;
  }
  ln_module *m = &c->base;
  ln_module_init(m, &ln_conv2d_ops);
  c->in = in, c->out = out, c->groups = groups, c->bias = bias != 0;
  memcpy(c->k, k, sizeof c->k);
  memcpy(c->stride, stride, sizeof c->stride);
  memcpy(c->pad, pad, sizeof c->pad);
  memcpy(c->dil, dil, sizeof c->dil);
  if (ln_module_add_param(m, "weight", 4, wshape) < 0 ||
      (c->bias && ln_module_add_param(m, "bias", 1, &out) < 0) ||
      ln_init_kaiming_uniform(&m->param[0], rng, sqrt(5.0), "leaky_relu", 0)) {
    ln_module_release(m);
    return NULL;
  }
  if (c->bias) {
    double bound = 1.0 / sqrt((double)(in / groups * k[0] * k[1]));
    ln_tensor_rand(&m->param[1], rng, -bound, bound);
  }
  return m;
}
