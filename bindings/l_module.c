/* l_module.c: the Module userdata shared by every kind of module, the
 * constructors (one generic constructor per registered kind, reading its
 * positional fields, children and options from the kind's ops table), and
 * the methods that run and edit modules.
 *
 * A Module userdata holds one reference to an ln_module. A weak-valued
 * registry table maps each ln_module (light userdata) to its userdata, so a
 * module reached twice (as `lin` and as `net.modules[1]`) is the same Lua
 * value. Fields (weight, output, ...) are tensor views sharing storage with
 * the core, so writing into them changes the layer. */
#include <stdio.h>
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
  {"InstanceNorm", &ln_instancenorm_ops},
};

static const char cache_key = 'm';  /* its address keys the registry */

static void pushcache(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &cache_key);
}

/* l_modslot: a module userdata owning nothing yet. Making it may run a finalizer (a GC
 * step), so it is made before the C module it will hold is fetched. */
l_module *l_modslot(lua_State *L) {
  l_module *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->m = NULL;
  snprintf(u->kind, sizeof u->kind, "Module");
  luaL_setmetatable(L, L_MODULE);
  return u;
}

/* The slot u on top of the stack takes over a reference to m and becomes
 * m's userdata in the cache. */
static void own(lua_State *L, l_module *u, ln_module *m) {
  u->m = m;
  snprintf(u->kind, sizeof u->kind, "%s", m->name);
  pushcache(L);
  lua_pushvalue(L, -2);
  lua_rawsetp(L, -2, m);
  lua_pop(L, 1);
}

void l_newmodule(lua_State *L) { l_modslot(L); }

int l_setmodule(lua_State *L, ln_module *m, const char *who) {
  if (!m) return l_raise(L, who);
  own(L, lua_touserdata(L, -1), m);
  return 1;
}

/* Replaces the slot u on top by m's userdata: the cached one, or u given a
 * reference of its own. Nothing here runs Lua before m is retained. */
void l_modsettle(lua_State *L, l_module *u, ln_module *m) {
  pushcache(L);
  if (lua_rawgetp(L, -1, m) == LUA_TUSERDATA) {
    lua_replace(L, -3);
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 2);
  ln_module_retain(m);
  own(L, u, m);
}

void l_pushmodule(lua_State *L, ln_module *m) {
  if (!m) {
    lua_pushnil(L);
    return;
  }
  l_modsettle(L, l_modslot(L), m);
}

ln_module *l_checkmodule(lua_State *L, int arg) {
  l_module *u = luaL_testudata(L, arg, L_MODULE);
  if (!u) luaL_typeerror(L, arg, "module");
  if (!u->m) luaL_argerror(L, arg, lua_pushfstring(L, "%s module has been closed", u->kind));
  return u->m;
}

ln_module *l_modlive(lua_State *L, l_module *u, const char *method) {
  if (!u->m) luaL_error(L, "%s:%s: module has been closed", u->kind, method);
  return u->m;
}

l_module *l_modself(lua_State *L, const char *method, int nargs) {
  l_module *u = l_checkself(L, L_MODULE, "module expected, got %s; call it as m:%s(...)",
                            method);
  char who[LN_MAXNAME + 32];
  snprintf(who, sizeof who, "%s:%s", u->kind, method);
  l_modlive(L, u, method);
  l_checknargs(L, nargs, who);
  return u;
}

int l_modraise(lua_State *L, l_module *u, const char *method) {
  char who[LN_MAXNAME + 32];
  snprintf(who, sizeof who, "%s:%s", u->kind, method);
  return l_raise(L, who);
}

/* ---- the generic constructor ---- */

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

/* ---- methods ---- */

/* forward and backward keep a reference to the module while it runs: a
 * module written in Lua may close the userdata meanwhile. */
static int module_forward(lua_State *L) {
  l_module *u = l_modself(L, "forward", 2);
  l_checktensor(L, 2);              /* the argument's type first */
  ln_tensor *y = l_newtensor(L);    /* may run a finalizer: before fetching */
  ln_module *m = l_modlive(L, u, "forward");
  ln_module_retain(m);
  int rc = ln_module_forward(m, l_checktensor(L, 2));
  if (rc == LN_OK) ln_tensor_share(y, &m->output);
  ln_module_release(m);
  if (rc) return l_modraise(L, u, "forward");
  return 1;
}

/* backward(x, dy [, {input_grad=}]): input_grad = false skips the gradient
 * with respect to x (a network's input needs none) and returns nothing. */
static int module_backward(lua_State *L) {
  static const char *const opts[] = {"input_grad", NULL};
  l_module *u = l_modself(L, "backward", 4);
  l_checktensor(L, 2);
  l_checktensor(L, 3);
  int input_grad = 1;
  char who[LN_MAXNAME + 32];
  snprintf(who, sizeof who, "%s:backward", u->kind);
  l_checkoptions(L, 4, who, opts);
  if (!lua_isnoneornil(L, 4)) {
    lua_pushliteral(L, "input_grad");
    int t = lua_rawget(L, 4);
    if (t != LUA_TNIL && t != LUA_TBOOLEAN)
      luaL_argerror(L, 4, lua_pushfstring(L, "option 'input_grad' must be a boolean, got %s",
                                          luaL_typename(L, -1)));
    if (t != LUA_TNIL) input_grad = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  ln_tensor *dx = input_grad ? l_newtensor(L) : NULL;
  ln_module *m = l_modlive(L, u, "backward");
  m->skip_grad_input = !input_grad;
  ln_module_retain(m);
  int rc = ln_module_backward(m, l_checktensor(L, 2), l_checktensor(L, 3));
  if (rc == LN_OK && input_grad) ln_tensor_share(dx, &m->grad_input);
  ln_module_release(m);
  if (rc) return l_modraise(L, u, "backward");
  return input_grad ? 1 : 0;
}

static int module_zero_grad(lua_State *L) {
  ln_module_zero_grad(l_modself(L, "zero_grad", 1)->m);
  return 0;
}

/* train([mode]): mode defaults to true, as PyTorch's train(mode=True). */
static int module_train(lua_State *L) {
  l_module *u = l_modself(L, "train", 2);
  int on = 1;
  if (!lua_isnone(L, 2)) {
    luaL_checktype(L, 2, LUA_TBOOLEAN);
    on = lua_toboolean(L, 2);
  }
  ln_module_set_training(u->m, on);
  lua_settop(L, 1);
  return 1;
}

static int module_evaluate(lua_State *L) {
  ln_module_set_training(l_modself(L, "evaluate", 1)->m, 0);
  lua_settop(L, 1);
  return 1;
}

/* Two tables of views, parameters and gradients. Every view is made before
 * the module is looked at again, so a finalizer run by making it cannot
 * leave us reading a freed module: the tree only grows while u holds it. */
static int module_parameters(lua_State *L) {
  l_module *u = l_modself(L, "parameters", 1);
  ln_tensor *none[1], **p;
  size_t n;
  for (;;) {  /* again when a finalizer grew the tree meanwhile */
    n = ln_module_parameters(u->m, none, none, 0);
    p = lua_newuserdatauv(L, (2 * n + 1) * sizeof *p, 0);  /* scratch */
    if (ln_module_parameters(l_modlive(L, u, "parameters"), p, p + n, n) == n) break;
    lua_pop(L, 1);
  }
  lua_createtable(L, (int)n, 0);
  lua_createtable(L, (int)n, 0);
  int tables = lua_gettop(L) - 1;
  for (size_t k = 0; k < 2; k++)
    for (size_t i = 0; i < n; i++) {
      ln_tensor *v = l_newtensor(L);
      l_modlive(L, u, "parameters");
      ln_tensor_share(v, p[k * n + i]);
      lua_rawseti(L, tables + (int)k, (lua_Integer)i + 1);
    }
  return 2;
}

/* The Sequential a container method was called on. */
static l_module *checkseq(lua_State *L, const char *method, int nargs) {
  l_module *u = l_modself(L, method, nargs);
  if (u->m->ops != &ln_sequential_ops)
    luaL_error(L, "%s:%s: only a Sequential has children to %s", u->kind, method, method);
  return u;
}

/* A 1-based position argument in 1..hi, as a 0-based index. */
static size_t checkpos(lua_State *L, int arg, size_t hi) {
  lua_Integer i = luaL_checkinteger(L, arg);
  luaL_argcheck(L, i >= 1 && (lua_Unsigned)i <= hi, arg,
                lua_pushfstring(L, "position %I out of range 1..%I", i, (lua_Integer)hi));
  return (size_t)i - 1;
}

static int module_add(lua_State *L) {
  l_module *u = l_modself(L, "add", 2);
  ln_module *child = l_checkmodule(L, 2);
  if (u->m->ops != &ln_sequential_ops)
    return luaL_error(L, "%s:add: only a Sequential has children", u->kind);
  if (ln_sequential_add(u->m, child)) return l_raise(L, "Sequential:add");
  lua_settop(L, 1);
  return 1;
}

/* insert(m [, i]): before position i (default: at the end), as Torch7's. */
static int module_insert(lua_State *L) {
  l_module *u = checkseq(L, "insert", 3);
  l_checkmodule(L, 2);
  size_t at = lua_isnoneornil(L, 3) ? u->m->nchild : checkpos(L, 3, u->m->nchild + 1);
  if (ln_module_insert_child(l_modlive(L, u, "insert"), at, l_checkmodule(L, 2), NULL))
    return l_raise(L, "Sequential:insert");
  lua_settop(L, 1);
  return 1;
}

/* remove([i]): takes out child i (default: the last) and returns it. */
static int module_remove(lua_State *L) {
  l_module *u = checkseq(L, "remove", 2);
  if (!u->m->nchild) return luaL_error(L, "Sequential:remove: the Sequential is empty");
  size_t at = lua_isnoneornil(L, 2) ? u->m->nchild - 1 : checkpos(L, 2, u->m->nchild);
  l_pushmodule(L, u->m->child[at]);  /* a reference of its own first */
  ln_module *m = l_modlive(L, u, "remove");
  if (at >= m->nchild || ln_module_remove_child(m, at))
    return l_raise(L, "Sequential:remove");
  return 1;
}

static int module_get(lua_State *L) {
  l_module *u = l_modself(L, "get", 2);
  size_t at = checkpos(L, 2, u->m->nchild);
  l_module *slot = l_modslot(L);
  ln_module *m = l_modlive(L, u, "get");
  if (at >= m->nchild) return luaL_error(L, "%s:get: the module changed", u->kind);
  l_modsettle(L, slot, m->child[at]);
  return 1;
}

static int module_type(lua_State *L) {
  lua_pushstring(L, l_modself(L, "type", 1)->kind);
  return 1;
}

static int module_len(lua_State *L) {
  l_module *u = luaL_checkudata(L, 1, L_MODULE);
  lua_pushinteger(L, (lua_Integer)l_modlive(L, u, "__len")->nchild);
  return 1;
}

/* net(x) is net:forward(x). */
static int module_call(lua_State *L) { return module_forward(L); }

/* ---- printing ---- */

/* Appends n bytes of s at out + len (only counting when out is NULL). */
static size_t put(char *out, size_t len, const char *s, size_t n) {
  if (out) memcpy(out + len, s, n);
  return len + n;
}

static size_t put_spaces(char *out, size_t len, int n) {
  for (int i = 0; i < n; i++) len = put(out, len, " ", 1);
  return len;
}

/* Writes m's description at out + len and returns the new length: a first
 * pass with out NULL counts, so no fixed buffer truncates a deep tree.
 * Children go on their own lines, indented; the tree is at most LN_MAXDEPTH
 * deep, and so is this recursion. */
static size_t describe(char *out, size_t len, const ln_module *m, int indent) {
  char s[256];
  int k = ln_module_describe(m, s, sizeof s);
  size_t n = k < 0 ? 0 : (size_t)k < sizeof s ? (size_t)k : sizeof s - 1;
  if (!m->nchild) return put(out, len, s, n);
  len = put(out, len, s, n && s[n - 1] == ')' ? n - 1 : n);  /* "Concat(2" */
  if (n >= 2 && s[n - 2] != '(') len = put(out, len, ",", 1);
  for (size_t i = 0; i < m->nchild; i++) {
    len = put_spaces(out, put(out, len, "\n", 1), indent + 2);
    if (m->child_name[i]) snprintf(s, sizeof s, "(%s): ", m->child_name[i]);
    else snprintf(s, sizeof s, "(%zu): ", i + 1);
    len = describe(out, put(out, len, s, strlen(s)), m->child[i], indent + 2);
  }
  return put(out, put_spaces(out, put(out, len, "\n", 1), indent), ")", 1);
}

static int module_tostring(lua_State *L) {
  l_module *u = luaL_checkudata(L, 1, L_MODULE);
  for (;;) {
    if (!u->m) {
      lua_pushfstring(L, "%s (closed)", u->kind);
      return 1;
    }
    size_t n = describe(NULL, 0, u->m, 0);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, n);  /* may run a finalizer */
    if (u->m && describe(NULL, 0, u->m, 0) == n) {
      describe(p, 0, u->m, 0);
      luaL_pushresultsize(&b, n);
      return 1;
    }
    lua_settop(L, 1);
  }
}

/* __gc and __close: drop the reference once, and the cache entry if it is
 * still this userdata (a collected one may already have been replaced). */
static int module_close(lua_State *L) {
  l_module *u = luaL_checkudata(L, 1, L_MODULE);
  ln_module *m = u->m;
  if (!m) return 0;
  u->m = NULL;
  pushcache(L);
  if (lua_istable(L, -1)) {
    lua_rawgetp(L, -1, m);
    if (lua_rawequal(L, -1, 1)) {
      lua_pushnil(L);
      lua_rawsetp(L, -3, m);
    }
  }
  lua_settop(L, 1);
  ln_module_release(m);
  return 0;
}

static const luaL_Reg methods[] = {
  {"forward", module_forward}, {"backward", module_backward},
  {"zero_grad", module_zero_grad}, {"train", module_train},
  {"evaluate", module_evaluate}, {"parameters", module_parameters},
  {"add", module_add}, {"insert", module_insert}, {"remove", module_remove},
  {"get", module_get}, {"type", module_type}, {NULL, NULL}
};

static const luaL_Reg metamethods[] = {
  {"__tostring", module_tostring}, {"__newindex", l_module_newindex},
  {"__len", module_len}, {"__call", module_call},
  {"__gc", module_close}, {"__close", module_close}, {NULL, NULL}
};

void l_open_module(lua_State *L) {
  lua_newtable(L);  /* the cache: weak values */
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "v");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &cache_key);

  /* __index: module_index, with the methods table as its upvalue. */
  l_newclass(L, L_MODULE, metamethods, methods);
  luaL_getmetatable(L, L_MODULE);
  lua_getfield(L, -1, "__methods");
  luaL_setfuncs(L, l_module_state_methods, 0);
  luaL_setfuncs(L, l_lmodule_methods, 0);
  lua_pushcclosure(L, l_module_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);

  for (size_t i = 0; i < sizeof constructors / sizeof constructors[0]; i++) {
    lua_pushlightuserdata(L, (void *)constructors[i].ops);
    lua_pushfstring(L, "lunet.%s", constructors[i].name);
    lua_pushcclosure(L, construct, 2);
    lua_setfield(L, -2, constructors[i].name);
  }
  l_open_lmodule(L);
}
