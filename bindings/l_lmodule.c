/* l_lmodule.c: modules written in Lua.
 *
 *   local Scale = lunet.Module("Scale")
 *   function Scale:__init(n) self:parameter("weight", lunet.ones(n)) end
 *   function Scale:forward(x) return x * self.weight end
 *   function Scale:backward(x, dy)
 *     self.grad.weight:add_((dy * x):sum(1)); return dy * self.weight
 *   end
 *   local m = Scale(3)
 *
 * An instance is a Module userdata like any other: its ln_module's ops
 * (l_lmodule_ops, registered under the tag "Lua") call back into Lua, so the
 * core never calls Lua itself. Each callback runs under lua_pcall on the
 * main thread of the state that made the module: an error in the Lua code
 * comes back to the core as its error with the Lua message, and never
 * unwinds through core frames.
 *
 * The module keeps its Lua fields (self.x = ...) in a table and its class
 * in registry references. Parameters and buffers live in the core, named
 * (self.weight, self.grad.weight are views); they are registered only in
 * __init, so their arrays never move once an optimizer may hold them.
 * Saving writes the class's name and the Lua fields (as a value, l_io.c);
 * loading finds the class by name among those lunet.Module defined in this
 * Lua state. */
#include <stdio.h>
#include <string.h>

#include "l_module.h"

typedef struct l_lmod {
  ln_module base;
  lua_State *L;    /* the main thread of the state that made it */
  int self_ref;    /* registry: the table of its Lua fields */
  int class_ref;   /* registry: its class */
  int building;    /* in __init: parameters and buffers may be added */
} l_lmod;

static const char classes_key = 'c';  /* registry: class name -> class */

int l_protect(lua_State *L, lua_CFunction f, void *a, void *b, void *c, const char *prefix) {
  if (!L) return ln_fail("%sa module written in Lua needs its Lua state", prefix);
  if (!lua_checkstack(L, 8)) return ln_fail("%sLua stack overflow", prefix);
  int top = lua_gettop(L);
  lua_pushcfunction(L, f);
  lua_pushlightuserdata(L, a);
  lua_pushlightuserdata(L, b);
  lua_pushlightuserdata(L, c);
  int rc = lua_pcall(L, 3, 0, 0);
  if (rc != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    ln_fail("%s%s", prefix, msg ? msg : "(an error that is not a string)");
  }
  lua_settop(L, top);
  return rc == LUA_OK ? LN_OK : LN_ERR;
}

static void pushref(lua_State *L, int ref) { lua_rawgeti(L, LUA_REGISTRYINDEX, ref); }

/* Pushes the function k of m's class, or raises. */
static void pushmethod(lua_State *L, l_lmod *lm, const char *k) {
  pushref(L, lm->class_ref);
  lua_getfield(L, -1, k);
  if (!lua_isfunction(L, -1)) luaL_error(L, "%s has no %s method", lm->base.name, k);
  lua_remove(L, -2);
}

/* ---- the ops ---- */

/* The arguments are the module's cached views of them (l_pushowned): a
 * steady loop through a Lua module makes no garbage of its own. */
static int t_forward(lua_State *L) {
  l_lmod *lm = lua_touserdata(L, 1);
  const ln_tensor *in = lua_touserdata(L, 2);
  pushmethod(L, lm, "forward");
  l_pushmodule(L, &lm->base);
  l_pushowned(L, -1, in);
  lua_call(L, 2, 1);
  ln_tensor *y = l_testtensor(L, -1);
  if (!y || !y->st)
    return luaL_error(L, "forward must return a tensor, got %s", luaL_typename(L, -1));
  ln_tensor_share(&lm->base.output, y);
  return 0;
}

static int t_backward(lua_State *L) {
  l_lmod *lm = lua_touserdata(L, 1);
  const ln_tensor *in = lua_touserdata(L, 2), *dout = lua_touserdata(L, 3);
  pushmethod(L, lm, "backward");
  l_pushmodule(L, &lm->base);
  l_pushowned(L, -1, in);
  l_pushowned(L, -2, dout);
  lua_call(L, 3, 1);
  if (lm->base.skip_grad_input) return 0;
  ln_tensor *dx = l_testtensor(L, -1);
  if (!dx || !dx->st)
    return luaL_error(L, "backward must return a tensor (the gradient of the input), got %s",
                      luaL_typename(L, -1));
  if (!ln_same_shape(dx, in)) {
    char a[64], b[64];
    return luaL_error(L, "backward returned %s, but the input is %s",
                      ln_shape_str(dx, a, sizeof a), ln_shape_str(in, b, sizeof b));
  }
  ln_tensor_share(&lm->base.grad_input, dx);
  return 0;
}

static int lm_forward(ln_module *m, const ln_tensor *in) {
  char prefix[LN_MAXNAME + 4];
  snprintf(prefix, sizeof prefix, "%s: ", m->name);
  return l_protect(((l_lmod *)m)->L, t_forward, m, (void *)in, NULL, prefix);
}

static int lm_backward(ln_module *m, const ln_tensor *in, const ln_tensor *dout) {
  char prefix[LN_MAXNAME + 4];
  snprintf(prefix, sizeof prefix, "%s: ", m->name);
  return l_protect(((l_lmod *)m)->L, t_backward, m, (void *)in, (void *)dout, prefix);
}

/* Only registry slots to give back: luaL_unref runs no Lua. */
static void lm_destroy(ln_module *m) {
  l_lmod *lm = (l_lmod *)m;
  if (!lm->L) return;
  luaL_unref(lm->L, LUA_REGISTRYINDEX, lm->self_ref);
  luaL_unref(lm->L, LUA_REGISTRYINDEX, lm->class_ref);
}

static int t_save(lua_State *L) {
  l_lmod *lm = lua_touserdata(L, 1);
  ln_writer *w = lua_touserdata(L, 2);
  ln_put_name(w, lm->base.name);
  pushref(L, lm->self_ref);
  l_write_value(L, lua_gettop(L), w, 0);
  return 0;
}

static int lm_save(ln_module *m, ln_writer *w) {
  char prefix[LN_MAXNAME + 4];
  snprintf(prefix, sizeof prefix, "%s: ", m->name);
  return l_protect(((l_lmod *)m)->L, t_save, m, w, NULL, prefix);
}

/* A new module of the class and fields table on top of L's stack (both
 * popped), with one reference for the caller. */
static ln_module *make(lua_State *L) {
  l_lmod *lm = ln_calloc(1, sizeof *lm);
  if (!lm) luaL_error(L, "out of memory");
  lua_getfield(L, -2, "__name");
  const char *name = lua_tostring(L, -1);
  lua_pop(L, 1);
  ln_module_init(&lm->base, &l_lmodule_ops);
  snprintf(lm->base.name, sizeof lm->base.name, "%s", name ? name : "Module");
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  lm->L = lua_tothread(L, -1);
  lua_pop(L, 1);
  lm->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lm->class_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return &lm->base;
}

/* Gives m the children, each under its name; releases m on failure. */
static ln_module *adopt(ln_module *m, ln_module *const *child, const char *const *names,
                        size_t n) {
  for (size_t i = 0; i < n; i++)
    if (ln_module_add_child(m, child[i], names[i])) {
      ln_module_release(m);
      return NULL;
    }
  return m;
}

typedef struct load_args {
  ln_module *const *child;
  const char *const *names;
  size_t n;
  ln_module *m;
} load_args;

static int t_load(lua_State *L) {
  ln_reader *r = lua_touserdata(L, 1);
  load_args *a = lua_touserdata(L, 2);
  char name[256];
  if (ln_get_name(r, name)) return luaL_error(L, "%s", ln_error());
  lua_rawgetp(L, LUA_REGISTRYINDEX, &classes_key);
  if (lua_getfield(L, -1, name) != LUA_TTABLE)
    return luaL_error(L, "the module class '%s' is not defined (define it with "
                      "lunet.Module(\"%s\") before loading)", name, name);
  l_read_value(L, r);
  if (!lua_istable(L, -1)) return luaL_error(L, "%s: its fields are not a table", name);
  ln_module *m = make(L);
  if (!(a->m = adopt(m, a->child, a->names, a->n))) return luaL_error(L, "%s", ln_error());
  return 0;
}

static ln_module *lm_load(ln_reader *r, ln_module *const *child, const char *const *names,
                          size_t n) {
  char prefix[300];
  snprintf(prefix, sizeof prefix, "load: %s: ", r->path);
  load_args a = {child, names, n, NULL};
  if (l_protect(r->ctx, t_load, r, &a, NULL, prefix)) {
    ln_module_release(a.m);
    return NULL;
  }
  return a.m;
}

/* Pushes a deep copy of the value at idx: tables copied (shared tables and
 * cycles kept, through the memo table at memo), tensors cloned, anything
 * else as it is. */
static void deepcopy(lua_State *L, int idx, int memo, int depth) {
  idx = lua_absindex(L, idx);
  ln_tensor *t = l_testtensor(L, idx);
  if (t) {
    ln_tensor *c = l_newtensor(L);
    if (t->st && ln_tensor_clone(c, l_checktensor(L, idx))) l_raise(L, "clone");
    return;
  }
  if (lua_type(L, idx) != LUA_TTABLE) {
    lua_pushvalue(L, idx);
    return;
  }
  lua_pushvalue(L, idx);
  if (lua_rawget(L, memo) != LUA_TNIL) return;
  lua_pop(L, 1);
  if (depth > 200) luaL_error(L, "clone: tables nested more than 200 deep");
  lua_newtable(L);
  lua_pushvalue(L, idx);
  lua_pushvalue(L, -2);
  lua_rawset(L, memo);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    deepcopy(L, -2, memo, depth + 1);
    deepcopy(L, -2, memo, depth + 1);
    lua_rawset(L, -5);
    lua_pop(L, 1);
  }
}

static int t_clone(lua_State *L) {
  l_lmod *lm = lua_touserdata(L, 1);
  load_args *a = lua_touserdata(L, 2);
  pushref(L, lm->class_ref);
  lua_newtable(L);
  pushref(L, lm->self_ref);
  deepcopy(L, -1, lua_gettop(L) - 1, 0);
  lua_remove(L, -2);
  lua_remove(L, -2);
  ln_module *m = make(L);
  if (!(a->m = adopt(m, a->child, a->names, a->n))) return luaL_error(L, "%s", ln_error());
  return 0;
}

static ln_module *lm_clone(ln_module *m, ln_module *const *child, size_t n) {
  char prefix[LN_MAXNAME + 12];
  snprintf(prefix, sizeof prefix, "%s: clone: ", m->name);
  load_args a = {child, (const char *const *)m->child_name, n, NULL};
  if (l_protect(((l_lmod *)m)->L, t_clone, m, &a, NULL, prefix)) {
    ln_module_release(a.m);
    return NULL;
  }
  return a.m;
}

const ln_module_ops l_lmodule_ops = {
  .tag = "Lua", .forward = lm_forward, .backward = lm_backward, .destroy = lm_destroy,
  .max_children = LN_NOLIMIT, .save = lm_save, .load = lm_load, .clone = lm_clone,
  .dynamic = 1,
};

/* ---- fields ---- */

int l_lmodule_index(lua_State *L, ln_module *m, const char *k) {
  l_lmod *lm = (l_lmod *)m;
  pushref(L, lm->self_ref);
  if (lua_getfield(L, -1, k) != LUA_TNIL) {
    lua_remove(L, -2);
    return 1;
  }
  lua_pop(L, 2);
  pushref(L, lm->class_ref);
  if (lua_getfield(L, -1, k) != LUA_TNIL) {
    lua_remove(L, -2);
    return 1;
  }
  lua_pop(L, 2);
  return 0;
}

/* 1 when k names a parameter, buffer or child of m. */
static int owned(const ln_module *m, const char *k) {
  for (int i = 0; i < m->nparam; i++)
    if (!strcmp(k, m->param_name[i])) return 1;
  for (int i = 0; i < m->nbuf; i++)
    if (!strcmp(k, m->buf_name[i])) return 1;
  for (size_t i = 0; i < m->nchild; i++)
    if (m->child_name[i] && !strcmp(k, m->child_name[i])) return 1;
  return 0;
}

/* The child of m named k, or NULL. */
static ln_module *child_named(const ln_module *m, const char *k) {
  for (size_t i = 0; i < m->nchild; i++)
    if (m->child_name[i] && !strcmp(k, m->child_name[i])) return m->child[i];
  return NULL;
}

/* self.k = v. A module assigned to a new field becomes the child k, as
 * self:child(k, v) (and as PyTorch's attribute assignment registers it):
 * kept as a plain Lua field it would be neither trained nor saved.
 * Assigning a child to its own name again changes nothing. */
int l_lmodule_newindex(lua_State *L, ln_module *m, const char *k, int idx) {
  idx = lua_absindex(L, idx);
  l_module *v = luaL_testudata(L, idx, L_MODULE);
  if (v && v->m && child_named(m, k) == v->m) return 1;
  if (l_module_reserved(L, k) || owned(m, k)) return 0;
  if (v) {
    char who[2 * LN_MAXNAME + 8];
    snprintf(who, sizeof who, "%s.%s", m->name, k);
    if (!v->m) return luaL_error(L, "%s: %s module has been closed", who, v->kind);
    pushref(L, ((l_lmod *)m)->self_ref);
    int taken = lua_getfield(L, -1, k) != LUA_TNIL;
    lua_pop(L, 2);
    if (taken)
      return luaL_error(L, "%s: a module cannot replace the Lua field '%s' (register it under "
                        "a new name)", who, k);
    if (ln_module_add_child(m, v->m, k)) return l_raise(L, who);
    return 1;
  }
  pushref(L, ((l_lmod *)m)->self_ref);
  lua_pushvalue(L, idx);
  lua_setfield(L, -2, k);
  lua_pop(L, 1);
  return 1;
}

/* ---- methods: parameter, buffer, child ---- */

/* self:parameter(name, t), self:buffer(name, t), self:child(name, m). */
static int reg(lua_State *L, const char *method) {
  l_module *u = l_modself(L, method, 3);
  const char *k = luaL_checkstring(L, 2);
  int is_child = method[0] == 'c';
  if (is_child) l_checkmodule(L, 3);
  else l_checktensor(L, 3);
  ln_module *m = l_modlive(L, u, method);
  if (m->ops != &l_lmodule_ops)
    return luaL_error(L, "%s:%s: only a module written in Lua (lunet.Module) has this method",
                      u->kind, method);
  l_lmod *lm = (l_lmod *)m;
  if (!is_child && !lm->building)
    return luaL_error(L, "%s:%s: parameters and buffers are registered in __init", u->kind,
                      method);
  if (l_module_reserved(L, k))
    return luaL_error(L, "%s:%s: '%s' is a method or field of every module", u->kind, method,
                      k);
  pushref(L, lm->self_ref);
  if (lua_getfield(L, -1, k) != LUA_TNIL)
    return luaL_error(L, "%s:%s: '%s' is already a field", u->kind, method, k);
  lua_pop(L, 2);
  char who[LN_MAXNAME + 32];
  snprintf(who, sizeof who, "%s:%s", u->kind, method);
  if (is_child) {
    if (ln_module_add_child(m, l_checkmodule(L, 3), k)) return l_raise(L, who);
    lua_settop(L, 3);
    return 1;
  }
  ln_tensor *t = l_checktensor(L, 3);
  if (!t->st) return luaL_argerror(L, 3, "empty tensor");
  int p = method[0] == 'p';
  int i = p ? ln_module_add_param(m, k, t->ndim, t->size)
            : ln_module_add_buffer(m, k, t->ndim, t->size);
  if (i < 0) return l_raise(L, who);
  ln_tensor *dst = p ? &m->param[i] : &m->buf[i];
  /* Shared when it can be: the caller's tensor is the parameter. */
  if (ln_is_contiguous(t)) ln_tensor_share(dst, t);
  else if (ln_tensor_copy(dst, t)) return l_raise(L, who);
  l_pushview(L, dst);
  return 1;
}

static int lmodule_parameter(lua_State *L) { return reg(L, "parameter"); }
static int lmodule_buffer(lua_State *L) { return reg(L, "buffer"); }
static int lmodule_child(lua_State *L) { return reg(L, "child"); }

const luaL_Reg l_lmodule_methods[] = {
  {"parameter", lmodule_parameter}, {"buffer", lmodule_buffer}, {"child", lmodule_child},
  {NULL, NULL}
};

/* ---- classes ---- */

/* Class(...): a new instance; __init(self, ...) runs with parameters and
 * buffers open to registration. */
static int class_call(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int nargs = lua_gettop(L) - 1;
  lua_getfield(L, 1, "__name");
  char who[LN_MAXNAME + 8];
  snprintf(who, sizeof who, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "Module");
  lua_pop(L, 1);
  l_newmodule(L);  /* the userdata first */
  lua_pushvalue(L, 1);
  lua_newtable(L);
  l_setmodule(L, make(L), who);
  int self = lua_gettop(L);
  l_lmod *lm = (l_lmod *)l_checkmodule(L, self);
  if (lua_getfield(L, 1, "__init") == LUA_TNIL) {
    lua_pop(L, 1);
    if (nargs) return luaL_error(L, "%s: takes no arguments (it has no __init)", who);
    return 1;
  }
  lua_pushvalue(L, self);
  for (int i = 2; i <= nargs + 1; i++) lua_pushvalue(L, i);
  lm->building = 1;
  int rc = lua_pcall(L, nargs + 1, 0, 0);
  lm->building = 0;  /* the userdata keeps lm alive */
  if (rc != LUA_OK) return lua_error(L);
  lua_settop(L, self);
  return 1;
}

static int class_tostring(lua_State *L) {
  lua_getfield(L, 1, "__name");
  lua_pushfstring(L, "module class %s", lua_tostring(L, -1));
  return 1;
}

/* lunet.Module(name): a new class, found by that name when a saved
 * instance is loaded. Defining a name again replaces the class for later
 * loads; instances made before keep theirs. */
static int lunet_Module(lua_State *L) {
  size_t len;
  luaL_checktype(L, 1, LUA_TSTRING);  /* not a number turned into one */
  const char *name = lua_tolstring(L, 1, &len);
  l_checknargs(L, 1, "lunet.Module");
  luaL_argcheck(L, len > 0 && len < LN_MAXNAME && strlen(name) == len, 1,
                lua_pushfstring(L, "a class name has 1 to %d characters", LN_MAXNAME - 1));
  lua_createtable(L, 0, 4);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "__name");
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, class_call);
  lua_setfield(L, -2, "__call");
  lua_pushcfunction(L, class_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_setmetatable(L, -2);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &classes_key);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
  return 1;
}

void l_open_lmodule(lua_State *L) {
  lua_newtable(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &classes_key);
  if (ln_module_register(&l_lmodule_ops)) l_raise(L, "lunet");
  lua_pushcfunction(L, lunet_Module);
  lua_setfield(L, -2, "Module");
}
