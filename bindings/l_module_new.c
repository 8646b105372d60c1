/* l_module_new.c: the Lua constructors of the built-in modules, one
 * generic constructor per registered kind reading its positional fields,
 * children and options from the kind's ops table (core/module.h). */
#include <math.h>
#include <string.h>

#include "l_module.h"
#include "../core/activation.h"
#include "../core/batchnorm.h"
#include "../core/concat.h"
#include "../core/conv2d.h"
#include "../core/dropout.h"
#include "../core/dropout2d.h"
#include "../core/flatten.h"
#include "../core/groupnorm.h"
#include "../core/instancenorm.h"
#include "../core/layernorm.h"
#include "../core/linear.h"
#include "../core/pointwise.h"
#include "../core/embedding.h"
#include "../core/pool2d.h"
#include "../core/residual.h"
#include "../core/sequential.h"
#include "../core/softmax.h"

/* The Lua constructors: one line per kind (the name in lunet, its ops). */
static const struct { const char *name; const ln_module_ops *ops; } constructors[] = {
  {"Linear", &ln_linear_ops}, {"ReLU", &ln_relu_ops}, {"Tanh", &ln_tanh_ops},
  {"Sigmoid", &ln_sigmoid_ops}, {"BatchNorm", &ln_batchnorm_ops},
  {"Sequential", &ln_sequential_ops}, {"Residual", &ln_residual_ops},
  {"Concat", &ln_concat_ops}, {"Identity", &ln_identity_ops},
  {"LeakyReLU", &ln_leaky_relu_ops},
  {"ELU", &ln_elu_ops},
  {"GELU", &ln_gelu_ops},
  {"SiLU", &ln_silu_ops},
  {"Softplus", &ln_softplus_ops},
  {"Softmax", &ln_softmax_ops},
  {"LogSoftmax", &ln_log_softmax_ops},
  {"Dropout", &ln_dropout_ops},
  {"Conv2d", &ln_conv2d_ops},
  {"MaxPool2d", &ln_maxpool2d_ops},
  {"AvgPool2d", &ln_avgpool2d_ops},
  {"AdaptiveAvgPool2d", &ln_adaptive_avgpool2d_ops},
  {"Flatten", &ln_flatten_ops},
  {"Dropout2d", &ln_dropout2d_ops},
  {"LayerNorm", &ln_layernorm_ops}, {"GroupNorm", &ln_groupnorm_ops},
  {"InstanceNorm", &ln_instancenorm_ops}, {"Embedding", &ln_embedding_ops},
};

/* The PAIR (or PADDING) value at index idx: a non-negative integer, {h, w}
 * or (PADDING) "same"; NULL when it is none of these, else its message.
 * Raw reads of {h, w}: no metamethod runs. */
static const char *topair(lua_State *L, int idx, const ln_field *f, size_t *p) {
  int ok = 0;
  idx = lua_absindex(L, idx);
  if (f->type == LN_FIELD_PADDING && lua_type(L, idx) == LUA_TSTRING) {
    if (strcmp(lua_tostring(L, idx), "same")) return "a string other than 'same'";
    p[0] = p[1] = LN_PAIR_SAME;
    return NULL;
  }
  if (lua_type(L, idx) == LUA_TNUMBER) {
    lua_Integer n = lua_tointegerx(L, idx, &ok);
    if (!ok || n < 0) return "a number that is not a non-negative integer";
    p[0] = p[1] = (size_t)n;
    return NULL;
  }
  if (lua_type(L, idx) != LUA_TTABLE) return luaL_typename(L, idx);
  if (lua_rawlen(L, idx) != 2) return "a table that is not {h, w}";
  for (int k = 0; k < 2; k++) {
    lua_rawgeti(L, idx, k + 1);
    lua_Integer n = lua_tointegerx(L, -1, &ok);
    lua_pop(L, 1);
    if (!ok || n < 0) return "a table that is not {h, w} of non-negative integers";
    p[k] = (size_t)n;
  }
  return NULL;
}

/* The SHAPE value at index idx: a positive integer or a table of 1 to
 * LN_MAXDIM positive integers; NULL, or what it is instead. Raw reads. */
static const char *toshape(lua_State *L, int idx, ln_dims *d) {
  int ok = 0;
  idx = lua_absindex(L, idx);
  memset(d, 0, sizeof *d);
  if (lua_type(L, idx) == LUA_TNUMBER) {
    lua_Integer n = lua_tointegerx(L, idx, &ok);
    if (!ok || n < 1) return "a number that is not a positive integer";
    d->n = 1, d->d[0] = (size_t)n;
    return NULL;
  }
  if (lua_type(L, idx) != LUA_TTABLE) return luaL_typename(L, idx);
  size_t len = lua_rawlen(L, idx);
  if (len < 1 || len > LN_MAXDIM) return "a table that is not a list of 1 to 8 sizes";
  for (size_t k = 0; k < len; k++) {
    lua_rawgeti(L, idx, (lua_Integer)k + 1);
    lua_Integer n = lua_tointegerx(L, -1, &ok);
    lua_pop(L, 1);
    if (!ok || n < 1) return "a table that is not a list of positive integers";
    d->d[k] = (size_t)n;
  }
  d->n = len;
  return NULL;
}

static const char *pair_want(const ln_field *f) {
  return f->type == LN_FIELD_PADDING ? "an integer, {h, w} or 'same'" : "an integer or {h, w}";
}

/* A positional field's argument. */
static ln_value checkfield(lua_State *L, int arg, const ln_module_ops *ops,
                           const ln_field *f) {
  ln_value v;
  memset(&v, 0, sizeof v);
  if (f->type == LN_FIELD_PAIR || f->type == LN_FIELD_PADDING) {
    const char *bad = topair(L, arg, f, v.p);
    if (bad)
      luaL_argerror(L, arg, lua_pushfstring(L, "%s must be %s, got %s", f->name, pair_want(f),
                                            bad));
  } else if (f->type == LN_FIELD_SHAPE) {
    const char *bad = toshape(L, arg, &v.s);
    if (bad)
      luaL_argerror(L, arg, lua_pushfstring(L, "%s must be a positive integer or a list of "
                                            "them, got %s", f->name, bad));
  } else if (f->type == LN_FIELD_OPTDOUBLE) {
    if (lua_type(L, arg) == LUA_TBOOLEAN && !lua_toboolean(L, arg)) v.d = NAN;
    else if (lua_type(L, arg) == LUA_TNUMBER) v.d = lua_tonumber(L, arg);
    else luaL_typeerror(L, arg, "number or false");
  } else if (f->type == LN_FIELD_SIZE) {
    lua_Integer n = luaL_checkinteger(L, arg);
    luaL_argcheck(L, n > 0, arg, "size must be positive");
    v.z = (size_t)n;
  } else if (f->type == LN_FIELD_INT) {
    v.i = (int64_t)luaL_checkinteger(L, arg);
  } else if (f->type == LN_FIELD_DOUBLE) {
    v.d = luaL_checknumber(L, arg);
  } else if (f->type == LN_FIELD_CHOICE) {
    v.i = luaL_checkoption(L, arg, NULL, ops->choices);
  } else {
    luaL_checktype(L, arg, LUA_TBOOLEAN);
    v.b = lua_toboolean(L, arg);
  }
  return v;
}

/* An option's value on top of the stack (the options table is argument arg). */
static ln_value optfield(lua_State *L, int arg, const ln_module_ops *ops, const ln_field *f) {
  static const char *const want[] = {"a positive integer", "an integer", "a number",
                                     "a boolean", "a string", "", "", "a number or false",
                                     "a positive integer or a list of them"};
  ln_value v;
  memset(&v, 0, sizeof v);
  int ok = 0;
  if (f->type == LN_FIELD_PAIR || f->type == LN_FIELD_PADDING) {
    const char *bad = topair(L, -1, f, v.p);
    if (bad)
      luaL_argerror(L, arg, lua_pushfstring(L, "option '%s' must be %s, got %s", f->name,
                                            pair_want(f), bad));
    return v;
  }
  if (f->type == LN_FIELD_CHOICE) {
    ok = lua_type(L, -1) == LUA_TSTRING;
    for (int k = 0; ok && ops->choices[k]; k++)
      if (!strcmp(ops->choices[k], lua_tostring(L, -1))) return v.i = k, v;
    if (ok) {
      luaL_Buffer b;  /* "option 'approximate' must be 'none' or 'tanh', got 'x'" */
      luaL_buffinit(L, &b);
      lua_pushfstring(L, "option '%s' must be ", f->name);
      luaL_addvalue(&b);
      for (int k = 0; ops->choices[k]; k++) {
        lua_pushfstring(L, "%s'%s'", k ? ops->choices[k + 1] ? ", " : " or " : "",
                        ops->choices[k]);
        luaL_addvalue(&b);
      }
      lua_pushfstring(L, ", got '%s'", lua_tostring(L, -2));
      luaL_addvalue(&b);
      luaL_pushresult(&b);
      luaL_argerror(L, arg, lua_tostring(L, -1));
    }
  } else if (f->type == LN_FIELD_BOOL) {
    ok = lua_type(L, -1) == LUA_TBOOLEAN;
    v.b = lua_toboolean(L, -1);
  } else if (f->type == LN_FIELD_DOUBLE) {
    ok = lua_type(L, -1) == LUA_TNUMBER;
    v.d = lua_tonumber(L, -1);
  } else if (f->type == LN_FIELD_OPTDOUBLE) {  /* false: PyTorch's None */
    ok = lua_type(L, -1) == LUA_TNUMBER || (lua_type(L, -1) == LUA_TBOOLEAN &&
                                             !lua_toboolean(L, -1));
    v.d = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : NAN;
  } else if (f->type == LN_FIELD_SHAPE) {
    ok = toshape(L, -1, &v.s) == NULL;
  } else {
    lua_Integer n = lua_tointegerx(L, -1, &ok);
    ok = ok && (f->type == LN_FIELD_INT || n > 0);
    if (f->type == LN_FIELD_INT) v.i = (int64_t)n;
    else v.z = (size_t)n;
  }
  if (!ok)
    luaL_argerror(L, arg, lua_pushfstring(L, "option '%s' must be %s, got %s", f->name,
                                          want[f->type], luaL_typename(L, -1)));
  return v;
}

/* Reads the options table at arg into cfg[first...] (defaults first); the
 * fields before first were given as arguments. Raw reads: no metamethod
 * runs. */
static void readoptions(lua_State *L, int arg, const ln_module_ops *ops, ln_value *cfg,
                        int first, const char *who) {
  const char *names[LN_MAXFIELD + 1];
  int n = 0;
  for (int i = first; ops->fields[i].name; i++) {
    const ln_field *f = &ops->fields[i];
    memset(&cfg[i], 0, sizeof cfg[i]);
    if (f->type == LN_FIELD_BOOL) cfg[i].b = f->def != 0;
    else if (f->type == LN_FIELD_DOUBLE || f->type == LN_FIELD_OPTDOUBLE) cfg[i].d = f->def;
    else if (f->type == LN_FIELD_INT || f->type == LN_FIELD_CHOICE) cfg[i].i = (int64_t)f->def;
    else if (f->type == LN_FIELD_SIZE) cfg[i].z = (size_t)f->def;
    else cfg[i].p[0] = cfg[i].p[1] = (size_t)f->def;
    names[n++] = f->name;
  }
  names[n] = NULL;
  l_checkoptions(L, arg, who, names);
  if (lua_isnoneornil(L, arg)) return;
  for (int i = first; ops->fields[i].name; i++) {
    lua_pushstring(L, ops->fields[i].name);  /* raw: no metamethod runs */
    if (lua_rawget(L, arg) != LUA_TNIL) cfg[i] = optfield(L, arg, ops, &ops->fields[i]);
    lua_pop(L, 1);
  }
}

/* The module at index idx for a constructor's argument arg (element i of a
 * list when list), or an argument error. */
static ln_module *checkchild(lua_State *L, int idx, int arg, lua_Integer i, int list) {
  l_module *u = luaL_testudata(L, idx, L_MODULE);
  if (u && u->m) return u->m;
  const char *got = u ? "a closed module" : luaL_typename(L, idx);
  if (!u && luaL_getmetafield(L, idx, "__name") == LUA_TSTRING) got = lua_tostring(L, -1);
  if (list)
    luaL_argerror(L, arg, lua_pushfstring(L, "element %I is not a module (got %s)", i, got));
  if (u) luaL_argerror(L, arg, lua_pushfstring(L, "%s module has been closed", u->kind));
  luaL_typeerror(L, arg, "module");
  return NULL;
}

/* The modules a constructor has read so far, each with a reference, let go
 * by its __gc if the constructor raises. */
typedef struct holder {
  size_t n;
  ln_module *m[1];
} holder;

static void releaseall(holder *h) {
  while (h->n) ln_module_release(h->m[--h->n]);
}

static int holder_gc(lua_State *L) {
  releaseall(lua_touserdata(L, 1));
  return 0;
}

static holder *newholder(lua_State *L, size_t n) {
  holder *h = lua_newuserdatauv(L, sizeof *h + n * sizeof h->m[0], 0);
  h->n = 0;
  if (luaL_newmetatable(L, "lunet.ModuleHolder")) {
    lua_pushcfunction(L, holder_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return h;
}

/* lunet.<Kind>(positional fields..., [modules... | {modules}], [options]).
 * Upvalues: the kind's ops (light userdata) and "lunet.<Kind>". Every
 * argument is converted first (a list's __len and __index may run Lua);
 * each child is checked and retained as it is read, so closing its userdata
 * later cannot free it before the container holds it. */
static int construct(lua_State *L) {
  const ln_module_ops *ops = lua_touserdata(L, lua_upvalueindex(1));
  const char *who = lua_tostring(L, lua_upvalueindex(2));
  int nf = ln_field_count(ops), arg = 1, top = lua_gettop(L);
  ln_value cfg[LN_MAXFIELD];
  for (; arg <= ops->nargs; arg++) cfg[arg - 1] = checkfield(L, arg, ops, &ops->fields[arg - 1]);
  /* Options may also come as arguments, in field order, as PyTorch's and
   * Torch7's signatures allow: LeakyReLU(0.2), Dropout(0.5), ELU(1.0). */
  while (arg - 1 < nf && arg <= top && (lua_type(L, arg) == LUA_TNUMBER ||
         lua_type(L, arg) == LUA_TBOOLEAN || lua_type(L, arg) == LUA_TSTRING)) {
    cfg[arg - 1] = checkfield(L, arg, ops, &ops->fields[arg - 1]);
    arg++;
  }
  int opts = nf >= arg;  /* an options table may follow, for the fields left */
  if (opts) {
    l_checknargs(L, arg, who);
    readoptions(L, arg, ops, cfg, arg - 1, who);
  }
  if (!ops->max_children) {
    l_checknargs(L, opts ? arg : arg - 1, who);
    l_newmodule(L);
    return l_setmodule(L, ops->make(cfg, NULL, 0, ln_rng_default()), who);
  }
  int list = arg <= top && lua_type(L, arg) == LUA_TTABLE;
  if (list) l_checknargs(L, arg, who);
  else if (ops->max_children != LN_NOLIMIT)  /* Residual(block, shortcut, extra) */
    l_checknargs(L, arg - 1 + (int)ops->max_children, who);
  lua_Integer n = list ? luaL_len(L, arg) : top - arg + 1;
  if ((size_t)n < ops->min_children || (size_t)n > ops->max_children) {
    if (ops->max_children == LN_NOLIMIT)
      return luaL_error(L, "%s: needs at least %d modules, got %d", who,
                        (int)ops->min_children, (int)n);
    return luaL_error(L, "%s: needs %d to %d modules, got %d", who, (int)ops->min_children,
                      (int)ops->max_children, (int)n);
  }
  holder *h = newholder(L, (size_t)n);
  for (lua_Integer i = 1; i <= n; i++) {
    if (list) lua_geti(L, arg, i);
    else lua_pushvalue(L, arg + (int)i - 1);
    ln_module *c = checkchild(L, -1, list ? arg : arg + (int)i - 1, i, list);
    ln_module_retain(c);  /* held from here: a later __index may close its userdata */
    h->m[h->n++] = c;
    lua_pop(L, 1);
  }
  l_newmodule(L);
  ln_module *m = ops->make(cfg, h->m, h->n, ln_rng_default());
  releaseall(h);
  return l_setmodule(L, m, who);
}

/* Sets lunet.<Kind> for every built-in kind in the table on top. */
void l_open_constructors(lua_State *L) {
  for (size_t i = 0; i < sizeof constructors / sizeof constructors[0]; i++) {
    lua_pushlightuserdata(L, (void *)constructors[i].ops);
    lua_pushfstring(L, "lunet.%s", constructors[i].name);
    lua_pushcclosure(L, construct, 2);
    lua_setfield(L, -2, constructors[i].name);
  }
}
