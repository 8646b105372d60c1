/* l_module_state.c: a module's state by name, and copies of a module:
 * named_parameters, buffers, state_dict, load_state_dict, clone, apply.
 *
 * Names are PyTorch's dotted paths, with Lua's 1-based positions for
 * unnamed children: "1.weight", "2.running_mean", "block.1.bias".
 *
 * Each method first lists the tensors of the tree in C (names and
 * pointers, in a scratch userdata), holding a reference to the root; only
 * then does it make Lua values. A finalizer run meanwhile cannot free a
 * tensor listed: a module of the tree with parameters or buffers stays
 * alive with the root even when removed from it (module.h). */
#include <stdio.h>
#include <string.h>

#include "l_module.h"

/* What a walk lists. */
enum { PARAMS = 1, BUFFERS = 2 };

typedef struct entry {
  ln_tensor *t;
  size_t name;  /* offset of its NUL-terminated name in the names area */
} entry;

typedef struct walk {
  entry *e;       /* NULL: counting pass */
  char *names;
  size_t n, bytes;
  int want;
  char path[LN_MAXDEPTH * (LN_MAXNAME + 12)];
} walk;

static void add(walk *w, size_t plen, const char *name, ln_tensor *t) {
  size_t len = strlen(name);
  if (w->e) {
    w->e[w->n].t = t;
    w->e[w->n].name = w->bytes;
    memcpy(w->names + w->bytes, w->path, plen);
    memcpy(w->names + w->bytes + plen, name, len + 1);
  }
  w->n++;
  w->bytes += plen + len + 1;
}

/* m's tensors then its children's, each child's part of the path being its
 * name or its 1-based position. The tree is at most LN_MAXDEPTH deep. */
static void collect(walk *w, ln_module *m, size_t plen) {
  if (w->want & PARAMS)
    for (int i = 0; i < m->nparam; i++) add(w, plen, m->param_name[i], &m->param[i]);
  if (w->want & BUFFERS)
    for (int i = 0; i < m->nbuf; i++) add(w, plen, m->buf_name[i], &m->buf[i]);
  for (size_t i = 0; i < m->nchild; i++) {
    if (m->ops->wrapper) {  /* DataParallel: its child's names are its own */
      collect(w, m->child[i], plen);
      continue;
    }
    int k = m->child_name[i] ? snprintf(w->path + plen, LN_MAXNAME + 2, "%s.", m->child_name[i])
                             : snprintf(w->path + plen, LN_MAXNAME + 2, "%zu.", i + 1);
    collect(w, m->child[i], plen + (size_t)k);
  }
}

/* Lists u's tensors into a scratch userdata pushed on the stack. */
static walk *list(lua_State *L, l_module *u, const char *method, int want) {
  walk *count = lua_newuserdatauv(L, sizeof *count, 0);
  memset(count, 0, sizeof *count);
  count->want = want;
  collect(count, l_modlive(L, u, method), 0);
  size_t n = count->n, bytes = count->bytes;
  walk *w = lua_newuserdatauv(L, sizeof *w + n * sizeof(entry) + bytes + 1, 0);
  memset(w, 0, sizeof *w);
  w->want = want;
  w->e = (entry *)(w + 1);
  w->names = (char *)(w->e + n);
  collect(w, l_modlive(L, u, method), 0);  /* a finalizer may have changed the tree */
  if (w->n != n || w->bytes != bytes) luaL_error(L, "%s:%s: the module changed", u->kind, method);
  lua_remove(L, -2);
  return w;
}

/* Pushes {name = view, ...} and {name, name, ...} (the order) of w. */
static void pushnamed(lua_State *L, walk *w, int by_name) {
  lua_createtable(L, by_name ? 0 : (int)w->n, by_name ? (int)w->n : 0);
  lua_createtable(L, (int)w->n, 0);
  for (size_t i = 0; i < w->n; i++) {
    const char *name = w->names + w->e[i].name;
    lua_pushstring(L, name);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
    ln_tensor *v = l_newtensor(L);
    ln_tensor_share(v, w->e[i].t);
    if (by_name) lua_setfield(L, -3, name);
    else lua_rawseti(L, -3, (lua_Integer)i + 1);
  }
}

/* Runs a listing method: retains the module while its tensors are listed
 * and pushed. */
static int named(lua_State *L, const char *method, int want, int by_name, int results) {
  l_module *u = l_modself(L, method, 1);
  ln_module *m = u->m;
  ln_module_retain(m);
  walk *w = list(L, u, method, want);
  pushnamed(L, w, by_name);
  ln_module_release(m);  /* u still holds one: this frees nothing */
  if (results == 1) lua_pop(L, 1);
  return results;
}

static int module_named_parameters(lua_State *L) {
  return named(L, "named_parameters", PARAMS, 1, 2);
}
static int module_buffers(lua_State *L) { return named(L, "buffers", BUFFERS, 0, 2); }
/* One result, so that b:load_state_dict(a:state_dict()) reads well. */
static int module_state_dict(lua_State *L) {
  return named(L, "state_dict", PARAMS | BUFFERS, 1, 1);
}

/* The options' strict (true by default). */
static int checkstrict(lua_State *L, int arg, const char *who) {
  static const char *const opts[] = {"strict", NULL};
  l_checkoptions(L, arg, who, opts);
  if (lua_isnoneornil(L, arg)) return 1;
  lua_pushliteral(L, "strict");
  int t = lua_rawget(L, arg), strict = t == LUA_TNIL || lua_toboolean(L, -1);
  if (t != LUA_TNIL && t != LUA_TBOOLEAN)
    luaL_argerror(L, arg, lua_pushfstring(L, "option 'strict' must be a boolean, got %s",
                                          luaL_typename(L, -1)));
  lua_pop(L, 1);
  return strict;
}

/* load_state_dict(sd [, {strict = true}]): every tensor of the module from
 * sd[name], shapes checked; strict also refuses a missing or an unexpected
 * key. Everything is checked before anything is copied. sd is read raw. */
static int module_load_state_dict(lua_State *L) {
  l_module *u = l_modself(L, "load_state_dict", 3);
  char who[LN_MAXNAME + 32];
  snprintf(who, sizeof who, "%s:load_state_dict", u->kind);
  luaL_checktype(L, 2, LUA_TTABLE);
  int strict = checkstrict(L, 3, who);
  lua_settop(L, 3);
  ln_module *m = u->m;
  ln_module_retain(m);
  walk *w = list(L, u, "load_state_dict", PARAMS | BUFFERS);
  lua_createtable(L, 0, (int)w->n);  /* the module's names, for unexpected keys */
  int known = lua_gettop(L), missing = 0;
  luaL_Buffer b;
  for (size_t i = 0; i < w->n; i++) {
    const char *name = w->names + w->e[i].name;
    lua_pushboolean(L, 1);
    lua_setfield(L, known, name);
    lua_pushstring(L, name);
    if (lua_rawget(L, 2) == LUA_TNIL) {
      missing++;
      lua_pop(L, 1);
      continue;
    }
    ln_tensor *t = l_testtensor(L, -1);
    if (!t) {
      ln_module_release(m);
      return luaL_error(L, "%s: '%s' is %s, not a tensor", who, name, luaL_typename(L, -1));
    }
    if (!ln_same_shape(t, w->e[i].t)) {
      char a[64], c[64];
      ln_module_release(m);
      return luaL_error(L, "%s: '%s' has shape %s, expected %s", who, name,
                        ln_shape_str(t, a, sizeof a), ln_shape_str(w->e[i].t, c, sizeof c));
    }
    lua_pop(L, 1);
  }
  if (strict && missing) {
    luaL_buffinit(L, &b);
    for (size_t i = 0, k = 0; i < w->n; i++) {
      const char *name = w->names + w->e[i].name;
      lua_pushstring(L, name);
      if (lua_rawget(L, 2) == LUA_TNIL) {
        lua_pop(L, 1);
        if (k++) luaL_addstring(&b, ", ");
        luaL_addstring(&b, name);
      } else {
        lua_pop(L, 1);
      }
    }
    luaL_pushresult(&b);
    ln_module_release(m);
    return luaL_error(L, "%s: missing keys: %s", who, lua_tostring(L, -1));
  }
  if (strict) {
    lua_pushnil(L);
    while (lua_next(L, 2)) {
      lua_pop(L, 1);
      lua_pushvalue(L, -1);
      if (lua_type(L, -1) != LUA_TSTRING || lua_rawget(L, known) == LUA_TNIL) {
        ln_module_release(m);
        return luaL_error(L, "%s: unexpected key '%s'", who, luaL_tolstring(L, -2, NULL));
      }
      lua_pop(L, 1);
    }
  }
  int rc = LN_OK;
  for (size_t i = 0; i < w->n && rc == LN_OK; i++) {
    lua_pushstring(L, w->names + w->e[i].name);
    if (lua_rawget(L, 2) != LUA_TNIL) rc = ln_tensor_copy(w->e[i].t, l_testtensor(L, -1));
    lua_pop(L, 1);
  }
  ln_module_release(m);
  if (rc) return l_raise(L, who);
  lua_settop(L, 1);
  return 1;
}

/* clone(): a deep copy (parameters, buffers, flags, children). */
static int module_clone(lua_State *L) {
  l_module *u = l_modself(L, "clone", 1);
  l_newmodule(L);
  ln_module *m = l_modlive(L, u, "clone");
  ln_module_retain(m);
  ln_module *c = ln_module_clone(m);
  ln_module_release(m);
  char who[LN_MAXNAME + 32];
  snprintf(who, sizeof who, "%s:clone", u->kind);
  return l_setmodule(L, c, who);
}

/* Pushes the userdata of m's tree into the table on top, children first
 * (PyTorch's order), from position *n on. */
static void pushtree(lua_State *L, ln_module *m, lua_Integer *n) {
  for (size_t i = 0; i < m->nchild; i++) pushtree(L, m->child[i], n);
  l_pushmodule(L, m);
  lua_rawseti(L, -2, ++*n);
}

/* apply(fn): fn(module) for every module of the tree, children first;
 * returns self. The modules are gathered before fn runs (it may change the
 * tree); each one is held by its userdata in the table meanwhile. */
static int module_apply(lua_State *L) {
  l_module *u = l_modself(L, "apply", 2);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  ln_module *m = u->m;
  lua_newtable(L);
  lua_Integer n = 0;
  ln_module_retain(m);  /* pushing may run a finalizer: keep the tree */
  pushtree(L, m, &n);
  ln_module_release(m);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_pushvalue(L, 2);
    lua_rawgeti(L, 3, i);
    lua_call(L, 1, 0);
  }
  lua_settop(L, 1);
  return 1;
}

const luaL_Reg l_module_state_methods[] = {
  {"named_parameters", module_named_parameters}, {"buffers", module_buffers},
  {"state_dict", module_state_dict}, {"load_state_dict", module_load_state_dict},
  {"clone", module_clone}, {"apply", module_apply}, {NULL, NULL}
};
