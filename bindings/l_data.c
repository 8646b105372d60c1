/* l_data.c: lunet.data (IDX files, Fashion-MNIST, mini-batches), lunet.accuracy.
 *
 * Images may be kept as bytes (a lunet.data.Bytes userdata: u8 values and a
 * scale) so that Fashion-MNIST takes 55 MB instead of 220 MB as floats; the
 * batch iterator converts rows to float as it copies them, as torchvision's
 * ToTensor does per sample. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lunet.h"
#include "../core/dist.h"
#include "../core/idx.h"
#include "../core/par.h"
#include "../core/rng.h"
#include "../core/tensor_reduce.h"

#define L_BYTES "lunet.data.Bytes"
#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"

typedef struct l_bytes {
  ln_bytes b;
  float scale;   /* value of element i: b.data[i] * scale */
} l_bytes;

/* A row count option: 0 (the default) for all. */
static size_t opt_count(lua_State *L, int arg, const char *who, const char *field) {
  return (size_t)l_optinteger(L, arg, who, field, 0, 0, (lua_Integer)LN_MAXNUMEL);
}

/* ---- Bytes ---- */

static l_bytes *bytes_new(lua_State *L) {
  l_bytes *u = lua_newuserdatauv(L, sizeof *u, 0);
  memset(u, 0, sizeof *u);
  u->scale = 1;
  luaL_setmetatable(L, L_BYTES);
  return u;
}

static l_bytes *bytes_check(lua_State *L, int arg) {
  l_bytes *u = luaL_checkudata(L, arg, L_BYTES);
  if (!u->b.data) luaL_argerror(L, arg, "bytes have been freed");
  return u;
}

static int bytes_dim(lua_State *L) {
  l_checknargs(L, 1, "Bytes:dim");
  lua_pushinteger(L, bytes_check(L, 1)->b.ndim);
  return 1;
}

static int bytes_size(lua_State *L) {
  l_checknargs(L, 2, "Bytes:size");
  l_bytes *u = bytes_check(L, 1);
  if (!lua_isnoneornil(L, 2)) {
    lua_Integer d = luaL_checkinteger(L, 2);
    luaL_argcheck(L, d >= 1 && d <= u->b.ndim, 2, "dimension out of range");
    lua_pushinteger(L, (lua_Integer)u->b.size[d - 1]);
    return 1;
  }
  lua_createtable(L, u->b.ndim, 0);
  for (int i = 0; i < u->b.ndim; i++) {
    lua_pushinteger(L, (lua_Integer)u->b.size[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int bytes_numel(lua_State *L) {
  l_checknargs(L, 1, "Bytes:numel");
  lua_pushinteger(L, (lua_Integer)ln_bytes_numel(&bytes_check(L, 1)->b));
  return 1;
}

static int bytes_len(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)bytes_check(L, 1)->b.size[0]);
  return 1;
}

/* A float tensor of the values times the scale. */
static int bytes_float(lua_State *L) {
  l_checknargs(L, 1, "Bytes:float");
  bytes_check(L, 1);
  ln_tensor *t = l_newtensor(L);  /* may run a finalizer: check the bytes after it */
  l_bytes *u = bytes_check(L, 1);
  if (ln_tensor_init(t, u->b.ndim, u->b.size)) l_raise(L, "Bytes:float");
  float *p = ln_data(t);
  size_t n = ln_bytes_numel(&u->b);
  for (size_t i = 0; i < n; i++) p[i] = u->b.data[i] * u->scale;
  return 1;
}

/* Argument 2, the dimension: only 1, the rows, is supported. */
static void check_rows_dim(lua_State *L, const char *who) {
  lua_Integer d = luaL_checkinteger(L, 2);
  if (d != 1) luaL_error(L, "%s: only dimension 1 (the rows) is supported, got %d", who, (int)d);
}

/* Bytes:index_select(1, idx): a new Bytes of the rows idx names (a 1-D
 * tensor of 1-based row numbers), so a data set splits without floats. */
static int bytes_index_select(lua_State *L) {
  const char *who = "Bytes:index_select";
  l_checknargs(L, 3, who);
  check_rows_dim(L, who);
  l_checktensor(L, 3);
  bytes_check(L, 1);
  l_bytes *out = bytes_new(L);  /* may run a finalizer: check the arguments after it */
  l_bytes *u = bytes_check(L, 1);
  size_t n, *ks = ln_read_indices(who, 1, l_checktensor(L, 3), u->b.size[0], 0, &n);
  if (!ks) l_raise(L, who);
  size_t rowlen = ln_bytes_numel(&u->b) / u->b.size[0];
  if (n > LN_MAXNUMEL / rowlen) {
    ln_free(ks);
    return luaL_error(L, "%s: %d rows of %d values are too many", who, (int)n, (int)rowlen);
  }
  out->b.data = ln_malloc(n * rowlen);
  if (!out->b.data) {
    ln_free(ks);
    return luaL_error(L, "%s: out of memory", who);
  }
  for (size_t i = 0; i < n; i++)
    memcpy(out->b.data + i * rowlen, u->b.data + ks[i] * rowlen, rowlen);
  ln_free(ks);
  out->b.ndim = u->b.ndim;
  memcpy(out->b.size, u->b.size, sizeof out->b.size);
  out->b.size[0] = n;
  out->scale = u->scale;
  return 1;
}

/* Bytes:mean(1) and Bytes:std(1) (unbiased, as Tensor:std): over the rows,
 * in double, without a float copy of the whole; a float tensor of the shape
 * of one row (a number for 1-D bytes, as Tensor:mean(1)). */
static int bytes_moments(lua_State *L, const char *who, int want_std) {
  l_checknargs(L, 2, who);
  check_rows_dim(L, who);
  bytes_check(L, 1);
  ln_tensor *t = l_newtensor(L);  /* may run a finalizer: check the bytes after it */
  l_bytes *u = bytes_check(L, 1);
  size_t rows = u->b.size[0], rowlen = ln_bytes_numel(&u->b) / rows, one = 1;
  int ndim = u->b.ndim > 1 ? u->b.ndim - 1 : 1;
  if (ln_tensor_init(t, ndim, u->b.ndim > 1 ? u->b.size + 1 : &one)) l_raise(L, who);
  double *acc = ln_calloc(2 * rowlen, sizeof *acc), *mean = acc + rowlen;
  if (!acc) return luaL_error(L, "%s: out of memory", who);
  const uint8_t *p = u->b.data;
  for (size_t r = 0; r < rows; r++)
    for (size_t j = 0; j < rowlen; j++) acc[j] += p[r * rowlen + j];
  for (size_t j = 0; j < rowlen; j++) mean[j] = acc[j] / (double)rows;
  if (want_std) {   /* a second pass around the mean: no cancellation */
    memset(acc, 0, rowlen * sizeof *acc);
    for (size_t r = 0; r < rows; r++)
      for (size_t j = 0; j < rowlen; j++) {
        double d = p[r * rowlen + j] - mean[j];
        acc[j] += d * d;
      }
    for (size_t j = 0; j < rowlen; j++) mean[j] = sqrt(acc[j] / ((double)rows - 1));
  }
  float *o = ln_data(t);
  for (size_t j = 0; j < rowlen; j++) o[j] = (float)(mean[j] * u->scale);
  if (u->b.ndim == 1) lua_pushnumber(L, mean[0] * u->scale);
  ln_free(acc);
  return 1;
}

static int bytes_mean(lua_State *L) { return bytes_moments(L, "Bytes:mean", 0); }
static int bytes_std(lua_State *L) { return bytes_moments(L, "Bytes:std", 1); }

static int bytes_tostring(lua_State *L) {
  l_bytes *u = luaL_checkudata(L, 1, L_BYTES);
  ln_tensor shape = LN_TENSOR_EMPTY;
  char buf[64];
  shape.ndim = u->b.data ? u->b.ndim : 0;
  memcpy(shape.size, u->b.size, sizeof shape.size);
  char scale[32];
  snprintf(scale, sizeof scale, "%g", l_msgnum(u->scale));
  lua_pushfstring(L, "lunet.data.Bytes (%s u8, scale %s)", ln_shape_str(&shape, buf, sizeof buf),
                  scale);
  return 1;
}

static int bytes_gc(lua_State *L) {
  ln_bytes_free(&((l_bytes *)luaL_checkudata(L, 1, L_BYTES))->b);
  return 0;
}

/* ---- IDX and Fashion-MNIST ---- */

static const char *const idx_options[] = {"limit", "bytes", NULL};

/* lunet.data.idx(path [, {limit = rows, bytes = false}]) */
static int data_idx(lua_State *L) {
  l_checknargs(L, 2, "lunet.data.idx");
  const char *path = luaL_checkstring(L, 1);
  l_checkoptions(L, 2, "lunet.data.idx", idx_options);
  size_t limit = opt_count(L, 2, "lunet.data.idx", "limit");
  if (l_optboolean(L, 2, "lunet.data.idx", "bytes", 0)) {
    if (ln_idx_read_bytes(&bytes_new(L)->b, path, limit)) l_raise(L, "lunet.data.idx");
  } else if (ln_idx_read(l_newtensor(L), path, limit)) {
    l_raise(L, "lunet.data.idx");
  }
  return 1;
}

/* Pushes dir/name.gz or dir/name, whichever exists, else raises the
 * install hint. */
static const char *find_file(lua_State *L, const char *dir, const char *name) {
  const char *ext[] = {".gz", ""};
  for (int i = 0; i < 2; i++) {
    const char *p = lua_pushfstring(L, "%s/%s%s", dir, name, ext[i]);
    FILE *f = fopen(p, "rb");
    if (f) {
      fclose(f);
      return p;
    }
    lua_pop(L, 1);
  }
  luaL_error(L, "lunet.data.fashion_mnist: %s/%s.gz not found: install the data set with "
             "`sudo apt-get install dataset-fashion-mnist` (Debian), or pass the directory "
             "holding the four IDX files", dir, name);
  return NULL;
}

/* Images (N,H,W) as (N,H*W) in [0,1]: bytes or floats. Leaves it on the stack. */
static size_t push_images(lua_State *L, const char *path, size_t limit, int as_bytes) {
  const char *who = "lunet.data.fashion_mnist";
  if (as_bytes) {
    l_bytes *u = bytes_new(L);
    if (ln_idx_read_bytes(&u->b, path, limit)) l_raise(L, who);
    if (u->b.ndim != 3)
      luaL_error(L, "%s: %s: expected 3-D images, got %d-D", who, path, u->b.ndim);
    u->b.ndim = 2;
    u->b.size[1] *= u->b.size[2];
    u->scale = 1.0f / 255;
    return u->b.size[0];
  }
  ln_tensor *t = l_newtensor(L);
  if (ln_idx_read(t, path, limit)) l_raise(L, who);
  if (t->ndim != 3) luaL_error(L, "%s: %s: expected 3-D images, got %d-D", who, path, t->ndim);
  size_t flat[2] = {t->size[0], t->size[1] * t->size[2]};  /* a view: no copy */
  if (ln_tensor_view(t, t, 2, flat)) l_raise(L, who);
  float *p = ln_data(t);
  for (size_t i = 0, n = ln_numel(t); i < n; i++) p[i] *= 1.0f / 255;
  return t->size[0];
}

/* Labels 0..9 as 1..10. Leaves the tensor on the stack. */
static void push_labels(lua_State *L, const char *path, size_t limit, size_t nimages) {
  const char *who = "lunet.data.fashion_mnist";
  ln_tensor *t = l_newtensor(L);
  if (ln_idx_read(t, path, limit)) l_raise(L, who);
  if (t->ndim != 1 || t->size[0] != nimages)
    luaL_error(L, "%s: %s: expected %d labels, one per image", who, path, (int)nimages);
  float *p = ln_data(t);
  for (size_t i = 0; i < t->size[0]; i++) {
    if (!(p[i] >= 0 && p[i] <= 9))
      luaL_error(L, "%s: %s: label %d is %f, outside 0..9", who, path, (int)i + 1,
                 l_msgnum(p[i]));
    p[i] += 1;
  }
}

static const char *const fmnist_options[] = {"limit", "test_limit", "bytes", NULL};

/* lunet.data.fashion_mnist([dir] [, {limit =, test_limit =, bytes = false}]) */
static int data_fashion_mnist(lua_State *L) {
  const char *who = "lunet.data.fashion_mnist";
  if (lua_istable(L, 1)) {   /* fashion_mnist{...}: options without a directory */
    l_checknargs(L, 1, who);
    lua_pushnil(L);
    lua_insert(L, 1);
  }
  l_checknargs(L, 2, who);
  const char *dir = luaL_optstring(L, 1, FMNIST_DIR);
  lua_settop(L, 2);
  l_checkoptions(L, 2, who, fmnist_options);
  size_t limit = opt_count(L, 2, who, "limit"), test_limit = opt_count(L, 2, who, "test_limit");
  int as_bytes = l_optboolean(L, 2, who, "bytes", 0);
  static const char *const names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                       "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  for (int i = 0; i < 4; i++) find_file(L, dir, names[i]);   /* stack 3..6: the paths */
  lua_createtable(L, 0, 4);
  size_t n = push_images(L, lua_tostring(L, 3), limit, as_bytes);
  lua_setfield(L, -2, "train_x");
  push_labels(L, lua_tostring(L, 4), limit, n);
  lua_setfield(L, -2, "train_y");
  n = push_images(L, lua_tostring(L, 5), test_limit, as_bytes);
  lua_setfield(L, -2, "test_x");
  push_labels(L, lua_tostring(L, 6), test_limit, n);
  lua_setfield(L, -2, "test_y");
  return 1;
}

/* ---- mini-batches ---- */

/* A row source: a tensor or bytes, seen as rows of the first dimension. */
typedef struct source {
  const float *f;
  const uint8_t *b;
  float scale;
  int ndim;
  size_t size[LN_MAXDIM];
  size_t rows, rowlen;
} source;

/* Fills s from the value at idx; 0 when it is not a live tensor or bytes. */
static int to_source(lua_State *L, int idx, source *s) {
  const ln_tensor *t = l_testtensor(L, idx);
  l_bytes *u = luaL_testudata(L, idx, L_BYTES);
  memset(s, 0, sizeof *s);
  if (t && t->st && ln_is_contiguous(t)) {  /* data_batches made it contiguous */
    s->f = ln_data(t);
    s->ndim = t->ndim;
    memcpy(s->size, t->size, sizeof s->size);
  } else if (u && u->b.data) {
    s->b = u->b.data;
    s->scale = u->scale;
    s->ndim = u->b.ndim;
    memcpy(s->size, u->b.size, sizeof s->size);
  } else {
    return 0;
  }
  s->rows = s->size[0];
  s->rowlen = 1;
  for (int i = 1; i < s->ndim; i++) s->rowlen *= s->size[i];
  return 1;
}

static void get_source(lua_State *L, int arg, source *s) {
  if (!to_source(L, arg, s))
    luaL_argexpected(L, 0, arg, "tensor or lunet.data.Bytes (not freed)");
}

/* The per-epoch state: the order of the rows and where we are in it. */
typedef struct batcher {
  size_t rows;        /* of x and y */
  size_t n, pos, bs;  /* n: the rows of this epoch (this rank's share) */
  int drop_last, has_y;
  uint32_t order[];   /* n row indices (rows <= LN_MAXNUMEL < 2^32) */
} batcher;

/* A byte row converts in a loop GCC vectorizes: the length and scale in
 * locals, the pointers restrict (a uint8_t store may alias anything, so
 * through s-> every element reloaded them: 0.75 ns an element). */
static void byte_row(float *restrict dst, const uint8_t *restrict src, size_t len, float scale) {
  for (size_t j = 0; j < len; j++) dst[j] = src[j] * scale;
}

/* The rows are scattered over the set (shuffled): each row's cache lines
 * are asked for AHEAD rows before it is read. */
#define AHEAD 4

static void copy_rows(const source *s, const uint32_t *rows, size_t n, float *dst) {
  size_t len = s->rowlen;
  for (size_t i = 0; i < n; i++, dst += len) {
    size_t r = rows[i];
    if (s->f) {
      memcpy(dst, s->f + r * len, len * sizeof *dst);
      continue;
    }
    if (i + AHEAD < n)
      for (size_t j = 0; j < len; j += 64) __builtin_prefetch(s->b + rows[i + AHEAD] * len + j);
    byte_row(dst, s->b + r * len, len, s->scale);
  }
}

typedef struct copy_job {
  const source *s;
  const uint32_t *rows;
  float *dst;
} copy_job;

static void copy_share(void *ctx, size_t lo, size_t hi, int w) {
  (void)w;
  const copy_job *j = ctx;
  copy_rows(j->s, j->rows + lo, hi - lo, j->dst + lo * j->s->rowlen);
}

/* Elements a worker copies at least: a row of bytes gathered from the
 * shuffled set and converted takes ~0.3 ns an element with the prefetch (a
 * Fashion-MNIST batch of 128 rows ~30 us, was ~65 us without), and a share
 * should be well above a wake-up (5-20 us on the shared two-core machine):
 * that batch is not split, one of 256 rows or more is. */
#define COPY_GRAIN 65536

/* copy_rows split by rows across the pool's workers (par.h). */
static void copy_batch(const source *s, const uint32_t *rows, size_t n, float *dst) {
  copy_job j = {s, rows, dst};
  size_t grain = s->rowlen ? (COPY_GRAIN + s->rowlen - 1) / s->rowlen : n + 1;
  ln_parallel(ln_par_workers(n, grain), n, copy_share, &j);
}

/* A (bs, rest of src's shape) buffer tensor, pushed. */
static void push_buffer(lua_State *L, const source *s, size_t bs) {
  size_t size[LN_MAXDIM];
  memcpy(size, s->size, sizeof size);
  size[0] = bs;
  if (ln_tensor_init(l_newtensor(L), s->ndim, size)) l_raise(L, "lunet.data.batches");
}

/* The iterator. Upvalues: 1 batcher, 2 x, 3 y, 4 bx, 5 by. */
static int batches_next(lua_State *L) {
  batcher *st = lua_touserdata(L, lua_upvalueindex(1));
  if (st->pos >= st->n) return 0;
  size_t k = st->n - st->pos < st->bs ? st->n - st->pos : st->bs;
  if (k < st->bs && st->drop_last) {
    st->pos = st->n;
    return 0;
  }
  int nout = st->has_y ? 2 : 1;
  for (int i = 0; i < nout; i++) {
    source s;
    if (!to_source(L, lua_upvalueindex(2 + i), &s) || s.rows != st->rows)
      return luaL_error(L, "lunet.data.batches: %s was freed or changed during iteration",
                        i ? "y" : "x");
    ln_tensor *buf = lua_touserdata(L, lua_upvalueindex(4 + i));
    if (!buf->st || ln_numel(buf) < k * s.rowlen)
      return luaL_error(L, "lunet.data.batches: a batch buffer was freed");
    copy_batch(&s, st->order + st->pos, k, ln_data(buf));
    if (k < st->bs) {
      /* The last, partial batch: a view of the first k rows (once per epoch). */
      if (ln_tensor_narrow(l_newtensor(L), buf, 0, k)) l_raise(L, "lunet.data.batches");
    } else {
      lua_pushvalue(L, lua_upvalueindex(4 + i));
    }
  }
  st->pos += k;
  return nout;
}

static const char *const batches_options[] = {"shuffle", "drop_last", "shard", NULL};

/* Keeps this rank's share of the epoch's order (n rows) in order[0..m), as
 * PyTorch's DistributedSampler: the order padded to m R rows by wrapping
 * around to its start, rank r taking rows r, r + R, r + 2R, ... order has
 * room for n + m. The ranks must have drawn the same order (the same seed
 * and the same draws since): a checksum compared over the ranks says so. */
static void shard(lua_State *L, uint32_t *order, size_t n, size_t *m, const char *who) {
  if (ln_dist_init()) l_raise(L, who);
  size_t r = (size_t)ln_dist_rank(), R = (size_t)ln_dist_size(), k = (n + R - 1) / R;
  uint32_t h = 2166136261u;  /* FNV-1a over the order */
  for (size_t i = 0; i < n; i++) h = (h ^ order[i]) * 16777619u;
  float sum[2] = {(float)(h >> 8), -(float)(h >> 8)};  /* 24 bits: exact in a float */
  if (ln_dist_all_reduce(sum, 2, LN_DIST_MAX)) l_raise(L, who);
  if (sum[0] != (float)(h >> 8) || sum[1] != -(float)(h >> 8))
    luaL_error(L, "%s: the ranks shuffled differently (seed every rank alike, with "
               "lunet.manual_seed, and draw the same random numbers on each)", who);
  for (size_t i = 0; i < k; i++) order[n + i] = order[(r + R * i) % n];
  memmove(order, order + n, k * sizeof *order);
  *m = k;
}

/* lunet.data.batches(x, y, batch_size [, {shuffle = true, drop_last = false}])
 * -> an iterator over one epoch: for bx, by in ... (y may be nil: for bx in ...).
 * The order is drawn when it is called, from the generator manual_seed seeds.
 * Every batch is copied into the same two buffers, so a batch is overwritten
 * by the next one (clone it to keep it); the last, partial batch is a view of
 * their first rows. */
static int data_batches(lua_State *L) {
  const char *who = "lunet.data.batches";
  source x, y;
  /* The options first: their metamethods may run Lua that closes x or y,
   * which are checked after. */
  l_checknargs(L, 4, who);
  lua_Integer bs = luaL_checkinteger(L, 3);
  luaL_argcheck(L, bs >= 1, 3, "batch size must be >= 1");
  l_checkoptions(L, 4, who, batches_options);
  int shuffle = l_optboolean(L, 4, who, "shuffle", 1);
  int drop_last = l_optboolean(L, 4, who, "drop_last", 0);
  int sharded = l_optboolean(L, 4, who, "shard", 0);
  for (int i = 1; i <= 2; i++) {  /* a strided tensor is copied once, here */
    ln_tensor *t = l_testtensor(L, i);
    if (t && t->st && !ln_is_contiguous(t)) {
      if (ln_tensor_clone(l_newtensor(L), t)) l_raise(L, who);
      lua_replace(L, i);
    }
  }
  get_source(L, 1, &x);
  int has_y = !lua_isnil(L, 2);
  if (has_y) {
    get_source(L, 2, &y);
    if (y.rows != x.rows)
      return luaL_error(L, "%s: x has %d rows but y has %d", who, (int)x.rows, (int)y.rows);
  }
  size_t n = x.rows, b = (size_t)bs < n ? (size_t)bs : n;

  size_t room = sharded ? n + n : n;  /* a share needs at most n more */
  batcher *st = lua_newuserdatauv(L, sizeof *st + room * sizeof st->order[0], 0);
  st->rows = st->n = n;
  st->pos = 0;
  st->bs = (size_t)bs;
  st->drop_last = drop_last;
  st->has_y = has_y;
  for (size_t i = 0; i < n; i++) st->order[i] = (uint32_t)i;
  if (shuffle) {   /* Fisher-Yates with lunet's seeded generator */
    ln_rng *r = ln_rng_default();
    for (size_t i = n - 1; i > 0; i--) {
      size_t j = (size_t)ln_rng_below(r, (uint64_t)i + 1);
      uint32_t tmp = st->order[i];
      st->order[i] = st->order[j];
      st->order[j] = tmp;
    }
  }
  if (sharded && n) {
    shard(L, st->order, n, &st->n, who);
    b = st->bs < st->n ? st->bs : st->n;
  }
  /* A batch size above n gives buffers of n rows and one partial batch. */
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  push_buffer(L, &x, b);
  if (has_y) push_buffer(L, &y, b);
  else lua_pushnil(L);
  lua_pushcclosure(L, batches_next, 5);
  return 1;
}

/* ---- accuracy ---- */

/* lunet.accuracy(logits (N,C) or predictions (N), labels (N) of 1..C)
 * -> fraction correct, number correct */
static int lunet_accuracy(lua_State *L) {
  l_checknargs(L, 2, "lunet.accuracy");
  ln_tensor *a = l_checktensor(L, 1), *lab = l_checktensor(L, 2);
  size_t n = a->size[0];
  luaL_argcheck(L, a->ndim <= 2, 1, "expected logits (N,C) or predictions (N)");
  if (ln_numel(lab) != n)
    return luaL_error(L, "lunet.accuracy: %d rows but %d labels", (int)n, (int)ln_numel(lab));
  ln_tensor ka = LN_TENSOR_EMPTY, ky = LN_TENSOR_EMPTY;  /* flat copies of strided input */
  if (ln_tensor_contiguous(&ka, a) || ln_tensor_contiguous(&ky, lab)) {
    ln_tensor_free(&ka);
    l_raise(L, "lunet.accuracy");
  }
  const float *p = ln_data(&ka), *y = ln_data(&ky);
  size_t c = a->ndim == 2 ? a->size[1] : 1, correct = 0;
  for (size_t i = 0; a->ndim == 2 && i < n; i++)   /* as CrossEntropyLoss refuses them */
    if (!(y[i] >= 1 && y[i] <= (double)c && y[i] == floor(y[i]))) {
      char bad[32];
      snprintf(bad, sizeof bad, isnan(y[i]) ? "nan" : "%.9g", y[i]);
      ln_tensor_free(&ka);
      ln_tensor_free(&ky);
      return luaL_error(L, "lunet.accuracy: label %s at row %d is not a class in 1..%d", bad,
                        (int)i + 1, (int)c);
    }
  for (size_t i = 0; i < n; i++) {
    /* The 1-based class, exact in double past 2^24; a row holding a NaN
     * predicts nothing (argmax would name the NaN's column). */
    double pred;
    if (a->ndim == 2) {
      size_t k = ln_argmax(p + i * c, c);
      pred = isnan(p[i * c + k]) ? NAN : (double)k + 1;
    } else {
      pred = p[i];
    }
    correct += pred == (double)y[i];
  }
  ln_tensor_free(&ka);
  ln_tensor_free(&ky);
  lua_pushnumber(L, (double)correct / (double)n);
  lua_pushinteger(L, (lua_Integer)correct);
  return 2;
}

static const luaL_Reg data_functions[] = {
  {"idx", data_idx}, {"fashion_mnist", data_fashion_mnist}, {"batches", data_batches},
  {NULL, NULL}
};

static const luaL_Reg bytes_methods[] = {
  {"dim", bytes_dim}, {"size", bytes_size}, {"numel", bytes_numel}, {"float", bytes_float},
  {"index_select", bytes_index_select}, {"mean", bytes_mean}, {"std", bytes_std},
  {NULL, NULL}
};

static const luaL_Reg bytes_metamethods[] = {
  {"__len", bytes_len}, {"__tostring", bytes_tostring}, {"__gc", bytes_gc},
  {"__close", bytes_gc},
  {NULL, NULL}
};

void l_open_data(lua_State *L) {
  l_newclass(L, L_BYTES, bytes_metamethods, bytes_methods);
  luaL_newlib(L, data_functions);
  lua_setfield(L, -2, "data");
  lua_pushcfunction(L, lunet_accuracy);
  lua_setfield(L, -2, "accuracy");
}
