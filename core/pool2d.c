/* pool2d.c: MaxPool2d, AvgPool2d and AdaptiveAvgPool2d: one struct, one
 * forward and backward choosing the kernel by kind. */
#include "pool2d.h"

#include <stdio.h>
#include <string.h>

static int is_max(const ln_module *m) { return m->ops == &ln_maxpool2d_ops; }
static int is_adaptive(const ln_module *m) { return m->ops == &ln_adaptive_avgpool2d_ops; }

/* Checks in and sets up q->p for its shape; MaxPool2d's indices grow only
 * when the shape changes. */
static int prepare(ln_pool2d *q, const ln_tensor *in) {
  const char *who = q->base.ops->tag;
  char s[64];
  if (in->ndim != 4)
    return ln_fail("%s: input must be 4-D (N,C,H,W), got %s", who,
                   ln_shape_str(in, s, sizeof s));
  if (!ln_is_contiguous(in)) return ln_fail("%s: input must be contiguous", who);
  if (q->p.n == in->size[0] && q->p.c == in->size[1] && q->p.h == in->size[2] &&
      q->p.w == in->size[3])
    return LN_OK;
  ln_pool2d_params p;
  memset(&p, 0, sizeof p);
  p.n = in->size[0], p.c = in->size[1], p.h = in->size[2], p.w = in->size[3];
  p.kh = q->k[0], p.kw = q->k[1], p.sh = q->stride[0], p.sw = q->stride[1];
  p.ph = q->pad[0], p.pw = q->pad[1], p.dh = q->dil[0], p.dw = q->dil[1];
  p.ceil_mode = q->ceil_mode, p.count_include_pad = q->count_include_pad;
  int rc;
  if (is_adaptive(&q->base)) {
    p.oh = q->k[0], p.ow = q->k[1];
    rc = ln_adaptive_avgpool2d_setup(who, &p);
  } else {
    rc = is_max(&q->base) ? ln_maxpool2d_setup(who, &p) : ln_avgpool2d_setup(who, &p);
  }
  if (rc) return LN_ERR;
  size_t need = p.n * p.c * p.oh * p.ow;  /* within LN_MAXNUMEL: setup checked */
  if (is_max(&q->base) && need > q->idxcap) {
    int32_t *idx = ln_malloc(need * sizeof *idx);
    if (!idx) return ln_fail("%s: out of memory", who);
    ln_free(q->idx);
    q->idx = idx, q->idxcap = need;
  }
  q->p = p;
  return LN_OK;
}

static int pool_forward(ln_module *m, const ln_tensor *in) {
  ln_pool2d *q = (ln_pool2d *)m;
  if (prepare(q, in)) return LN_ERR;
  if (in->st == m->output.st) return ln_fail("%s: input shares storage with the output", m->name);
  size_t shape[4] = {q->p.n, q->p.c, q->p.oh, q->p.ow};
  if (ln_tensor_resize(&m->output, 4, shape)) return LN_ERR;
  float *out = ln_data(&m->output);
  if (is_max(m)) ln_maxpool2d_forward(out, q->idx, ln_data(in), &q->p);
  else if (is_adaptive(m)) ln_adaptive_avgpool2d_forward(out, ln_data(in), &q->p);
  else ln_avgpool2d_forward(out, ln_data(in), &q->p);
  return LN_OK;
}

static int pool_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  ln_pool2d *q = (ln_pool2d *)m;
  const ln_pool2d_params old = q->p;
  if (prepare(q, in)) return LN_ERR;
  /* MaxPool2d's indices are the last forward's: backward needs that shape. */
  if (is_max(m) && memcmp(&old, &q->p, sizeof old))
    return ln_fail("MaxPool2d: backward of an input shaped unlike the last forward's");
  size_t shape[4] = {q->p.n, q->p.c, q->p.oh, q->p.ow};
  if (dout->ndim != 4 || memcmp(dout->size, shape, sizeof shape) || !ln_is_contiguous(dout)) {
    char s[64];
    return ln_fail("%s: grad_output must be contiguous %zux%zux%zux%zu, got %s", m->name,
                   shape[0], shape[1], shape[2], shape[3], ln_shape_str(dout, s, sizeof s));
  }
  if (m->skip_grad_input) return LN_OK;
  if (in->st == m->grad_input.st || dout->st == m->grad_input.st)
    return ln_fail("%s: input or grad_output shares storage with grad_input", m->name);
  if (ln_tensor_resize_as(&m->grad_input, in)) return LN_ERR;
  float *din = ln_data(&m->grad_input);
  if (is_max(m)) ln_maxpool2d_backward(din, ln_data(dout), q->idx, &q->p);
  else if (is_adaptive(m)) ln_adaptive_avgpool2d_backward(din, ln_data(dout), &q->p);
  else ln_avgpool2d_backward(din, ln_data(dout), &q->p);
  return LN_OK;
}

static void pool_destroy(ln_module *m) { ln_free(((ln_pool2d *)m)->idx); }

static const size_t one[2] = {1, 1}, zero[2] = {0, 0};

static ln_module *maxpool_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                               ln_rng *rng) {
  (void)child, (void)nchild, (void)rng;
  return ln_pool2d_new(&ln_maxpool2d_ops, cfg[0].p, cfg[1].p, cfg[2].p, cfg[3].p, cfg[4].b, 0);
}

static ln_module *avgpool_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                               ln_rng *rng) {
  (void)child, (void)nchild, (void)rng;
  return ln_pool2d_new(&ln_avgpool2d_ops, cfg[0].p, cfg[1].p, cfg[2].p, one, cfg[3].b,
                       cfg[4].b);
}

static ln_module *adaptive_make(const ln_value *cfg, ln_module *const *child, size_t nchild,
                                ln_rng *rng) {
  (void)child, (void)nchild, (void)rng;
  return ln_pool2d_new(&ln_adaptive_avgpool2d_ops, cfg[0].p, one, zero, one, 0, 0);
}

/* As PyTorch prints them (a square window as one number), booleans as Lua's. */
static int pool_describe(const ln_module *m, char *buf, size_t n) {
  const ln_pool2d *q = (const ln_pool2d *)m;
  char k[48], s[48], p[48], d[48];
  ln_pair_str(k, sizeof k, q->k, 1);
  if (is_adaptive(m)) return snprintf(buf, n, "AdaptiveAvgPool2d(output_size=%s)", k);
  ln_pair_str(s, sizeof s, q->stride, 1);
  ln_pair_str(p, sizeof p, q->pad, 1);
  ln_pair_str(d, sizeof d, q->dil, 1);
  if (is_max(m))
    return snprintf(buf, n, "MaxPool2d(kernel_size=%s, stride=%s, padding=%s, dilation=%s, "
                    "ceil_mode=%s)", k, s, p, d, q->ceil_mode ? "true" : "false");
  return snprintf(buf, n, "AvgPool2d(kernel_size=%s, stride=%s, padding=%s%s%s)", k, s, p,
                  q->ceil_mode ? ", ceil_mode=true" : "",
                  q->count_include_pad ? "" : ", count_include_pad=false");
}

#define F(name, type, member, def) {name, type, offsetof(ln_pool2d, member), def}
static const ln_field maxpool_fields[] = {
  F("kernel_size", LN_FIELD_PAIR, k, 0), F("stride", LN_FIELD_PAIR, stride, 0),
  F("padding", LN_FIELD_PAIR, pad, 0), F("dilation", LN_FIELD_PAIR, dil, 1),
  F("ceil_mode", LN_FIELD_BOOL, ceil_mode, 0), {NULL, LN_FIELD_SIZE, 0, 0}
};
static const ln_field avgpool_fields[] = {
  F("kernel_size", LN_FIELD_PAIR, k, 0), F("stride", LN_FIELD_PAIR, stride, 0),
  F("padding", LN_FIELD_PAIR, pad, 0), F("ceil_mode", LN_FIELD_BOOL, ceil_mode, 0),
  F("count_include_pad", LN_FIELD_BOOL, count_include_pad, 1), {NULL, LN_FIELD_SIZE, 0, 0}
};
static const ln_field adaptive_fields[] = {
  F("output_size", LN_FIELD_PAIR, k, 0), {NULL, LN_FIELD_SIZE, 0, 0}
};
#undef F

const ln_module_ops ln_maxpool2d_ops = {
  .tag = "MaxPool2d", .forward = pool_forward, .backward = pool_backward,
  .destroy = pool_destroy, .fields = maxpool_fields, .nargs = 1, .make = maxpool_make,
  .describe = pool_describe,
};
const ln_module_ops ln_avgpool2d_ops = {
  .tag = "AvgPool2d", .forward = pool_forward, .backward = pool_backward,
  .destroy = pool_destroy, .fields = avgpool_fields, .nargs = 1, .make = avgpool_make,
  .describe = pool_describe,
};
const ln_module_ops ln_adaptive_avgpool2d_ops = {
  .tag = "AdaptiveAvgPool2d", .forward = pool_forward, .backward = pool_backward,
  .destroy = pool_destroy, .fields = adaptive_fields, .nargs = 1, .make = adaptive_make,
  .describe = pool_describe,
};

/* The configuration's own checks (pool.h's setup checks them again with
 * the input); sizes are kept far below what a tensor can hold. */
static int check_config(const char *who, const size_t *k, const size_t *stride,
                        const size_t *pad, const size_t *dil) {
  const char *what = strcmp(who, "AdaptiveAvgPool2d") ? "kernel_size" : "output_size";
  for (int i = 0; i < 2; i++) {
    if (!k[i] || k[i] > 1u << 20) return ln_fail("%s: %s must be 1..2^20", who, what);
    if (stride[i] > 1u << 20) return ln_fail("%s: stride must be 1..2^20", who);
    if (!dil[i] || dil[i] > 1u << 20) return ln_fail("%s: dilation must be 1..2^20", who);
    if (pad[i] > k[i] / 2)
      return ln_fail("%s: padding (%zu) must be at most half the kernel size (%zu)", who,
                     pad[i], k[i]);
  }
  return LN_OK;
}

ln_module *ln_pool2d_new(const ln_module_ops *ops, const size_t *k, const size_t *stride,
                         const size_t *pad, const size_t *dil, int ceil_mode,
                         int count_include_pad) {
  if (check_config(ops->tag, k, stride, pad, dil)) return NULL;
  ln_pool2d *q = ln_calloc(1, sizeof *q);
  if (!q) {
    ln_fail("%s: out of memory", ops->tag);
    return NULL;
  }
  ln_module_init(&q->base, ops);
  memcpy(q->k, k, sizeof q->k);
  for (int i = 0; i < 2; i++) q->stride[i] = stride[i] ? stride[i] : k[i];
  memcpy(q->pad, pad, sizeof q->pad);
  memcpy(q->dil, dil, sizeof q->dil);
  q->ceil_mode = ceil_mode != 0, q->count_include_pad = count_include_pad != 0;
  return &q->base;
}
