/* conv_dnnl.c: the oneDNN candidate for the convolution's fast path, kept
 * for the benchmark that compares it with lunet's im2col + OpenBLAS path
 * (scripts/bench/conv_bench.c; docs/conv_measurements.md).
 *
 * Primitives (forward, backward data, backward weights) and their memory
 * objects are created once per shape; a call only points the user memories
 * at the caller's arrays and executes. With `any` the primitives choose
 * their own (blocked) layouts and NCHW arrays are reordered in and out, as
 * PyTorch does through ideep; without it everything is plain NCHW/OIHW. The
 * library's own OpenMP threads follow omp_set_num_threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <oneapi/dnnl/dnnl.h>

#include "conv.h"
#include "conv_dnnl.h"

#define OK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { \
    fprintf(stderr, "oneDNN: %s failed (%d)\n", #x, (int)s_); exit(1); } } while (0)

/* A user array (plain layout) and, when the primitive wants another layout,
 * its internal copy and the reorder between them. */
typedef struct port {
  dnnl_memory_t user, mem;  /* mem == user when no reorder is needed */
  dnnl_primitive_t reorder; /* user -> mem (inputs) or mem -> user (outputs) */
} port;

struct dnnl_conv {
  dnnl_engine_t eng;
  dnnl_stream_t st;
  dnnl_primitive_t fwd, bwd_data, bwd_weights;
  port src, wei, bias, dst;             /* forward */
  port bsrc, bdiff_dst, bwei, bdiff_src; /* backward (data and weights) */
  port diff_wei, diff_bias;
  float *dw_tmp, *db_tmp;               /* oneDNN sets; the contract adds */
  size_t nw, oc;
  int has_bias;
};

static void port_init(port *pt, dnnl_engine_t eng, const dnnl_memory_desc_t *user_md,
                      const dnnl_memory_desc_t *want, int input) {
  OK(dnnl_memory_create(&pt->user, user_md, eng, DNNL_MEMORY_NONE));
  pt->reorder = NULL;
  pt->mem = pt->user;
  if (dnnl_memory_desc_equal(user_md, want)) return;
  OK(dnnl_memory_create(&pt->mem, want, eng, DNNL_MEMORY_ALLOCATE));
  dnnl_primitive_desc_t rpd;
  if (input) OK(dnnl_reorder_primitive_desc_create(&rpd, user_md, eng, want, eng, NULL));
  else OK(dnnl_reorder_primitive_desc_create(&rpd, want, eng, user_md, eng, NULL));
  OK(dnnl_primitive_create(&pt->reorder, rpd));
  dnnl_primitive_desc_destroy(rpd);
}

static void port_run(port *pt, dnnl_stream_t st, const void *data, int input) {
  OK(dnnl_memory_set_data_handle(pt->user, (void *)data));
  if (!pt->reorder) return;
  dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, input ? pt->user : pt->mem},
                          {DNNL_ARG_TO, input ? pt->mem : pt->user}};
  OK(dnnl_primitive_execute(pt->reorder, st, 2, a));
}

static const dnnl_memory_desc_t *q(dnnl_primitive_desc_t pd, dnnl_query_t what) {
  return dnnl_primitive_desc_query_md(pd, what, 0);
}

dnnl_conv *dnnl_conv_new(const ln_conv2d_params *p, int any, const char **impl) {
  dnnl_conv *c = calloc(1, sizeof *c);
  OK(dnnl_engine_create(&c->eng, dnnl_cpu, 0));
  OK(dnnl_stream_create(&c->st, c->eng, dnnl_stream_default_flags));
  size_t g = p->groups;
  dnnl_dims_t sd = {(dnnl_dim_t)p->n, (dnnl_dim_t)p->ic, (dnnl_dim_t)p->h, (dnnl_dim_t)p->w};
  dnnl_dims_t dd = {(dnnl_dim_t)p->n, (dnnl_dim_t)p->oc, (dnnl_dim_t)p->oh,
                    (dnnl_dim_t)p->ow};
  dnnl_dims_t wd = {(dnnl_dim_t)g, (dnnl_dim_t)(p->oc / g), (dnnl_dim_t)(p->ic / g),
                    (dnnl_dim_t)p->kh, (dnnl_dim_t)p->kw};
  dnnl_dims_t wd4 = {(dnnl_dim_t)p->oc, (dnnl_dim_t)p->ic, (dnnl_dim_t)p->kh,
                     (dnnl_dim_t)p->kw};
  dnnl_dims_t bd = {(dnnl_dim_t)p->oc};
  dnnl_dims_t strides = {(dnnl_dim_t)p->sh, (dnnl_dim_t)p->sw};
  dnnl_dims_t dil = {(dnnl_dim_t)p->dh - 1, (dnnl_dim_t)p->dw - 1};
  dnnl_dims_t pl = {(dnnl_dim_t)p->pt, (dnnl_dim_t)p->pl};
  dnnl_dims_t pr = {(dnnl_dim_t)p->pb, (dnnl_dim_t)p->pr};
  dnnl_memory_desc_t src_u, dst_u, wei_u, bias_u, src_a, dst_a, wei_a, bias_a;
  OK(dnnl_memory_desc_init_by_tag(&src_u, 4, sd, dnnl_f32, dnnl_nchw));
  OK(dnnl_memory_desc_init_by_tag(&dst_u, 4, dd, dnnl_f32, dnnl_nchw));
  if (g > 1) OK(dnnl_memory_desc_init_by_tag(&wei_u, 5, wd, dnnl_f32, dnnl_goihw));
  else OK(dnnl_memory_desc_init_by_tag(&wei_u, 4, wd4, dnnl_f32, dnnl_oihw));
  OK(dnnl_memory_desc_init_by_tag(&bias_u, 1, bd, dnnl_f32, dnnl_x));
  dnnl_format_tag_t f = any ? dnnl_format_tag_any : dnnl_nchw;
  OK(dnnl_memory_desc_init_by_tag(&src_a, 4, sd, dnnl_f32, f));
  OK(dnnl_memory_desc_init_by_tag(&dst_a, 4, dd, dnnl_f32, f));
  if (g > 1) OK(dnnl_memory_desc_init_by_tag(&wei_a, 5, wd, dnnl_f32,
                                               any ? dnnl_format_tag_any : dnnl_goihw));
  else OK(dnnl_memory_desc_init_by_tag(&wei_a, 4, wd4, dnnl_f32,
                                         any ? dnnl_format_tag_any : dnnl_oihw));
  bias_a = bias_u;
  c->has_bias = p->bias;
  dnnl_convolution_desc_t fd, bdd, bwd;
  OK(dnnl_dilated_convolution_forward_desc_init(&fd, dnnl_forward_training,
      dnnl_convolution_direct, &src_a, &wei_a, p->bias ? &bias_a : NULL, &dst_a, strides,
      dil, pl, pr));
  dnnl_primitive_desc_t fpd, bdpd, bwpd;
  OK(dnnl_primitive_desc_create(&fpd, &fd, NULL, c->eng, NULL));
  OK(dnnl_dilated_convolution_backward_data_desc_init(&bdd, dnnl_convolution_direct,
      &src_a, &wei_a, &dst_a, strides, dil, pl, pr));
  OK(dnnl_primitive_desc_create(&bdpd, &bdd, NULL, c->eng, fpd));
  OK(dnnl_dilated_convolution_backward_weights_desc_init(&bwd, dnnl_convolution_direct,
      &src_a, &wei_a, p->bias ? &bias_a : NULL, &dst_a, strides, dil, pl, pr));
  OK(dnnl_primitive_desc_create(&bwpd, &bwd, NULL, c->eng, fpd));
  if (impl) {
    static char buf[256];
    const char *a, *b, *d;
    dnnl_primitive_desc_query(fpd, dnnl_query_impl_info_str, 0, &a);
    dnnl_primitive_desc_query(bdpd, dnnl_query_impl_info_str, 0, &b);
    dnnl_primitive_desc_query(bwpd, dnnl_query_impl_info_str, 0, &d);
    snprintf(buf, sizeof buf, "%s / %s / %s", a, b, d);
    *impl = buf;
  }
  OK(dnnl_primitive_create(&c->fwd, fpd));
  OK(dnnl_primitive_create(&c->bwd_data, bdpd));
  OK(dnnl_primitive_create(&c->bwd_weights, bwpd));
  port_init(&c->src, c->eng, &src_u, q(fpd, dnnl_query_src_md), 1);
  port_init(&c->wei, c->eng, &wei_u, q(fpd, dnnl_query_weights_md), 1);
  port_init(&c->bias, c->eng, &bias_u, &bias_u, 1);
  port_init(&c->dst, c->eng, &dst_u, q(fpd, dnnl_query_dst_md), 0);
  port_init(&c->bdiff_dst, c->eng, &dst_u, q(bdpd, dnnl_query_diff_dst_md), 1);
  port_init(&c->bwei, c->eng, &wei_u, q(bdpd, dnnl_query_weights_md), 1);
  port_init(&c->bdiff_src, c->eng, &src_u, q(bdpd, dnnl_query_diff_src_md), 0);
  port_init(&c->bsrc, c->eng, &src_u, q(bwpd, dnnl_query_src_md), 1);
  port_init(&c->diff_wei, c->eng, &wei_u, q(bwpd, dnnl_query_diff_weights_md), 0);
  port_init(&c->diff_bias, c->eng, &bias_u, &bias_u, 0);
  c->nw = p->oc * (p->ic / g) * p->kh * p->kw;
  c->oc = p->oc;
  c->dw_tmp = malloc(c->nw * sizeof *c->dw_tmp);
  c->db_tmp = malloc(c->oc * sizeof *c->db_tmp);
  dnnl_primitive_desc_destroy(fpd);
  dnnl_primitive_desc_destroy(bdpd);
  dnnl_primitive_desc_destroy(bwpd);
  return c;
}

void dnnl_conv_forward(dnnl_conv *c, float *out, const float *in, const float *w,
                       const float *b) {
  port_run(&c->src, c->st, in, 1);
  port_run(&c->wei, c->st, w, 1);
  if (c->has_bias) port_run(&c->bias, c->st, b, 1);
  OK(dnnl_memory_set_data_handle(c->dst.user, out));
  dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, c->src.mem}, {DNNL_ARG_WEIGHTS, c->wei.mem},
                          {DNNL_ARG_DST, c->dst.mem}, {DNNL_ARG_BIAS, c->bias.mem}};
  OK(dnnl_primitive_execute(c->fwd, c->st, c->has_bias ? 4 : 3, a));
  if (c->dst.reorder) {
    dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, c->dst.mem}, {DNNL_ARG_TO, c->dst.user}};
    OK(dnnl_primitive_execute(c->dst.reorder, c->st, 2, r));
  }
  OK(dnnl_stream_wait(c->st));
}

static void out_reorder(port *pt, dnnl_stream_t st) {
  if (!pt->reorder) return;
  dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, pt->mem}, {DNNL_ARG_TO, pt->user}};
  OK(dnnl_primitive_execute(pt->reorder, st, 2, r));
}

void dnnl_conv_backward(dnnl_conv *c, float *dinp, float *dw, float *db, const float *dout,
                        const float *in, const float *w) {
  port_run(&c->bdiff_dst, c->st, dout, 1);
  if (dinp) {
    port_run(&c->bwei, c->st, w, 1);
    OK(dnnl_memory_set_data_handle(c->bdiff_src.user, dinp));
    dnnl_exec_arg_t a[3] = {{DNNL_ARG_DIFF_DST, c->bdiff_dst.mem},
                            {DNNL_ARG_WEIGHTS, c->bwei.mem},
                            {DNNL_ARG_DIFF_SRC, c->bdiff_src.mem}};
    OK(dnnl_primitive_execute(c->bwd_data, c->st, 3, a));
    out_reorder(&c->bdiff_src, c->st);
  }
  port_run(&c->bsrc, c->st, in, 1);
  OK(dnnl_memory_set_data_handle(c->diff_wei.user, c->dw_tmp));
  OK(dnnl_memory_set_data_handle(c->diff_bias.user, c->db_tmp));
  dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, c->bsrc.mem}, {DNNL_ARG_DIFF_DST, c->bdiff_dst.mem},
                          {DNNL_ARG_DIFF_WEIGHTS, c->diff_wei.mem},
                          {DNNL_ARG_DIFF_BIAS, c->diff_bias.mem}};
  OK(dnnl_primitive_execute(c->bwd_weights, c->st, c->has_bias ? 4 : 3, a));
  out_reorder(&c->diff_wei, c->st);
  OK(dnnl_stream_wait(c->st));
  for (size_t i = 0; i < c->nw; i++) dw[i] += c->dw_tmp[i];
  if (c->has_bias)
    for (size_t i = 0; i < c->oc; i++) db[i] += c->db_tmp[i];
}
