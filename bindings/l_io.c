/* l_io.c: lunet.save(path, value) and lunet.load(path) -> value, for any
 * tree of tables, numbers, strings, booleans, tensors, modules and
 * optimizers, shared references and cycles kept (as torch.save). The walk
 * over Lua values is here; the file, its checksum and the module records
 * are the core's (format in core/serialize.h).
 *
 * Saving first walks the value once in plain Lua (a pre-pass: it finds
 * every module of the tree, so a module that is also inside another one is
 * written as a path into it, and asks each optimizer for its parts); then
 * the core writes the file, calling back twice (counting, writing) into the
 * walk, which runs under lua_pcall so an error never unwinds through the
 * core: no file is left behind and an earlier one is untouched.
 *
 * An optimizer is saved through its Lua API as three parts: opt:type()
 * (the name of its constructor in lunet.optim), the module of each
 * parameter group (opt.param_groups[i].module, walked as any module, so a
 * module also saved elsewhere in the tree is one shared reference) and
 * opt:state_dict() (each group's options, the momentum buffers, moments and
 * step counts). Loading makes it again as lunet.optim[type]({{module = m1,
 * <group 1's options>}, ...}), so it claims the loaded modules' own
 * parameters exactly as the saved one did, then opt:load_state_dict(state). */
#include <string.h>

#include "l_module.h"
#include "l_optim.h"

#define MAXNEST 200   /* tables inside tables, in a saved value */

static const char lunet_key = 'l';  /* registry: the lunet table */

/* ---- writing ---- */

typedef struct vwalk {
  ln_writer *w;     /* NULL in the pre-pass */
  int memo;         /* value (or module light userdata) -> id or path */
  int modules;      /* pre-pass: module light userdata -> true; after: the same */
  int cache;        /* optimizer -> {type, modules, state} */
  int allow_modules;
  lua_Integer next;
} vwalk;

static void put_tag(vwalk *v, int tag) {
  if (v->w) ln_put_u(v->w, (uint64_t)tag, 1);
}

static void check_err(lua_State *L, vwalk *v) {
  if (v->w && v->w->err < 0) luaL_error(L, "%s", ln_error());
}

/* The highest module above m (by first parents) that the saved tree holds
 * as a value of its own; m itself when none. */
static ln_module *top_saved(lua_State *L, vwalk *v, ln_module *m) {
  ln_module *top = m;
  for (ln_module *p = m; p->nparent; ) {
    p = p->parent[0];
    lua_rawgetp(L, v->modules, p);
    if (lua_toboolean(L, -1)) top = p;
    lua_pop(L, 1);
  }
  return top;
}

/* Records memo[d] = {id, path...} for every module d below m. */
static void mark_below(lua_State *L, vwalk *v, ln_module *m, int path) {
  luaL_checkstack(L, 8, "saving");  /* a slot per level of a tree LN_MAXDEPTH deep */
  lua_Integer n = (lua_Integer)luaL_len(L, path);
  for (size_t i = 0; i < m->nchild; i++) {
    lua_createtable(L, (int)n + 1, 0);
    for (lua_Integer k = 1; k <= n; k++) {
      lua_rawgeti(L, path, k);
      lua_rawseti(L, -2, k);
    }
    lua_pushinteger(L, (lua_Integer)i);
    lua_rawseti(L, -2, n + 1);
    int sub = lua_gettop(L);
    lua_pushvalue(L, sub);
    lua_rawsetp(L, v->memo, m->child[i]);
    mark_below(L, v, m->child[i], sub);
    lua_pop(L, 1);
  }
}

/* Writes the positions of a PATH item from its memo entry (at idx). */
static void put_positions(vwalk *v, lua_State *L, int idx) {
  lua_Integer n = (lua_Integer)luaL_len(L, idx);
  if (v->w) ln_put_u(v->w, (uint64_t)(n - 1), 1);
  for (lua_Integer k = 2; k <= n; k++) {
    lua_rawgeti(L, idx, k);
    if (v->w) ln_put_u(v->w, (uint64_t)lua_tointeger(L, -1), 8);
    lua_pop(L, 1);
  }
}

/* A PATH item from its memo entry (at idx): the root by reference, then
 * the positions. */
static void put_path(vwalk *v, lua_State *L, int idx) {
  put_tag(v, LN_V_PATH);
  lua_rawgeti(L, idx, 1);
  put_tag(v, LN_V_REF);
  if (v->w) ln_put_u(v->w, (uint64_t)lua_tointeger(L, -1), 8);
  lua_pop(L, 1);
  put_positions(v, L, idx);
}

/* A memo hit for the value at idx (keyed by key_idx's value, or by p when
 * not NULL): writes the reference and returns 1. */
static int put_seen(lua_State *L, vwalk *v, int idx, const void *p) {
  if (p) lua_rawgetp(L, v->memo, p);
  else {
    lua_pushvalue(L, idx);
    lua_rawget(L, v->memo);
  }
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return 0;
  }
  if (lua_istable(L, -1)) {
    put_path(v, L, lua_gettop(L));
  } else {
    put_tag(v, LN_V_REF);
    if (v->w) ln_put_u(v->w, (uint64_t)lua_tointeger(L, -1), 8);
  }
  lua_pop(L, 1);
  return 1;
}

/* Gives the value at idx (or p) the next id. */
static lua_Integer new_id(lua_State *L, vwalk *v, int idx, const void *p) {
  lua_Integer id = ++v->next;
  lua_pushinteger(L, id);
  if (p) lua_rawsetp(L, v->memo, p);
  else {
    lua_pushvalue(L, idx);
    lua_insert(L, -2);
    lua_rawset(L, v->memo);
  }
  return id;
}

static void walk(lua_State *L, vwalk *v, int idx, int depth);

/* Pushes the result of method name of the optimizer at idx, found in its
 * class (so a missing one is a clear error). */
static void call_method(lua_State *L, int idx, const char *name) {
  if (luaL_getmetafield(L, idx, "__methods") != LUA_TTABLE ||
      lua_getfield(L, -1, name) != LUA_TFUNCTION)
    luaL_error(L, "saving an optimizer needs opt:%s()", name);
  lua_pushvalue(L, idx);
  lua_call(L, 1, 1);
  lua_remove(L, -2);
}

/* The pre-pass: an optimizer's parts {type, modules, state} into the cache
 * (see the top of this file). */
static void optim_parts(lua_State *L, vwalk *v, int idx) {
  const l_optim *u = lua_touserdata(L, idx);
  if (!u->o) luaL_error(L, "lunet.save: %s optimizer has been closed", u->kind->name);
  luaL_checkstack(L, 8, "saving");
  lua_pushvalue(L, idx);
  if (lua_rawget(L, v->cache) != LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  lua_createtable(L, 3, 0);
  int parts = lua_gettop(L);
  call_method(L, idx, "type");
  lua_rawseti(L, parts, 1);
  lua_getfield(L, idx, "param_groups");
  int groups = lua_gettop(L);
  lua_Integer n = (lua_Integer)lua_rawlen(L, groups);
  lua_createtable(L, (int)n, 0);
  for (lua_Integer g = 1; g <= n; g++) {
    lua_rawgeti(L, groups, g);
    lua_getfield(L, -1, "module");
    lua_rawseti(L, groups + 1, g);
    lua_pop(L, 1);
  }
  lua_rawseti(L, parts, 2);
  lua_pop(L, 1);
  call_method(L, idx, "state_dict");
  lua_rawseti(L, parts, 3);
  lua_pushvalue(L, idx);
  lua_pushvalue(L, parts);
  lua_rawset(L, v->cache);
  lua_pop(L, 1);
}

static void walk_optim(lua_State *L, vwalk *v, int idx, int depth) {
  if (!v->allow_modules) luaL_error(L, "an optimizer cannot be a Lua field of a module");
  if (put_seen(L, v, idx, NULL)) return;
  new_id(L, v, idx, NULL);
  put_tag(v, LN_V_OPTIM);
  lua_pushvalue(L, idx);
  lua_rawget(L, v->cache);
  int parts = lua_gettop(L);
  for (int i = 1; i <= 3; i++) {
    lua_rawgeti(L, parts, i);
    walk(L, v, lua_gettop(L), depth + 1);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

static void walk_module(lua_State *L, vwalk *v, int idx, ln_module *m, int depth) {
  if (!v->allow_modules)
    luaL_error(L, "a module cannot be a Lua field of a module (register it with self:child)");
  if (m->ops->wrapper) {  /* DataParallel: saved as the module it wraps */
    l_pushmodule(L, m->child[0]);
    walk(L, v, -1, depth + 1);
    lua_pop(L, 1);
    return;
  }
  if (put_seen(L, v, idx, m)) return;
  ln_module *top = top_saved(L, v, m);
  if (top != m) {  /* written inside top: a PATH of top's record and m's positions */
    put_tag(v, LN_V_PATH);
    l_pushmodule(L, top);
    walk(L, v, lua_gettop(L), depth + 1);
    lua_pop(L, 1);
    if (lua_rawgetp(L, v->memo, m) != LUA_TTABLE)
      luaL_error(L, "a module changed while it was being saved");
    put_positions(v, L, lua_gettop(L));
    lua_pop(L, 1);
    return;
  }
  lua_Integer id = new_id(L, v, idx, m);
  put_tag(v, LN_V_MODULE);
  if (v->w) ln_put_module(v->w, m);
  check_err(L, v);
  lua_createtable(L, 1, 0);
  lua_pushinteger(L, id);
  lua_rawseti(L, -2, 1);
  mark_below(L, v, m, lua_gettop(L));
  lua_pop(L, 1);
}

/* Writes (or, in the pre-pass, visits) the value at idx. */
static void walk(lua_State *L, vwalk *v, int idx, int depth) {
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, 12, "saving");
  if (depth > MAXNEST) luaL_error(L, "values nested more than %d deep", MAXNEST);
  int t = lua_type(L, idx);
  if (t == LUA_TNIL) {
    put_tag(v, LN_V_NIL);
  } else if (t == LUA_TBOOLEAN) {
    put_tag(v, lua_toboolean(L, idx) ? LN_V_TRUE : LN_V_FALSE);
  } else if (t == LUA_TNUMBER && lua_isinteger(L, idx)) {
    put_tag(v, LN_V_INT);
    if (v->w) ln_put_u(v->w, (uint64_t)lua_tointeger(L, idx), 8);
  } else if (t == LUA_TNUMBER) {
    put_tag(v, LN_V_NUM);
    if (v->w) ln_put_f64(v->w, lua_tonumber(L, idx));
  } else if (t == LUA_TSTRING) {
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    put_tag(v, LN_V_STR);
    if (v->w) ln_put_u(v->w, len, 8), ln_put_bytes(v->w, s, len);
  } else if (t == LUA_TTABLE) {
    if (put_seen(L, v, idx, NULL)) return;
    new_id(L, v, idx, NULL);
    put_tag(v, LN_V_TABLE);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      walk(L, v, -2, depth + 1);
      walk(L, v, -1, depth + 1);
      lua_pop(L, 1);
    }
    put_tag(v, LN_V_END);
  } else if (l_testtensor(L, idx)) {
    if (put_seen(L, v, idx, NULL)) return;
    ln_tensor *x = l_testtensor(L, idx);
    if (!x->st) luaL_error(L, "cannot save an empty tensor");
    new_id(L, v, idx, NULL);
    put_tag(v, LN_V_TENSOR);
    if (v->w) ln_put_tensor(v->w, l_testtensor(L, idx));
  } else if (luaL_testudata(L, idx, L_MODULE)) {
    walk_module(L, v, idx, l_checkmodule(L, idx), depth);
  } else if (luaL_testudata(L, idx, L_OPTIM)) {
    walk_optim(L, v, idx, depth);
  } else {
    const char *got = luaL_typename(L, idx);
    if (luaL_getmetafield(L, idx, "__name") == LUA_TSTRING) got = lua_tostring(L, -1);
    luaL_error(L, "cannot save a value of type %s", got);
  }
  check_err(L, v);
}

/* Sets up v's tables on the stack (memo fresh; modules and cache given or
 * new) and walks the value at idx. */
static void run_walk(lua_State *L, vwalk *v, int idx) {
  lua_newtable(L);
  v->memo = lua_gettop(L);
  v->next = 0;
  walk(L, v, idx, 0);
  lua_pop(L, 1);
}

/* The pre-pass's other job: every module of the value, for top_saved. */
static void find_modules(lua_State *L, vwalk *v, int idx, int seen, int depth) {
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, 8, "saving");
  if (depth > MAXNEST) luaL_error(L, "lunet.save: values nested more than %d deep", MAXNEST);
  if (lua_type(L, idx) == LUA_TTABLE) {
    lua_pushvalue(L, idx);
    if (lua_rawget(L, seen) != LUA_TNIL) return (void)lua_pop(L, 1);
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, seen);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      find_modules(L, v, -2, seen, depth + 1);
      find_modules(L, v, -1, seen, depth + 1);
      lua_pop(L, 1);
    }
  } else if (luaL_testudata(L, idx, L_MODULE)) {
    ln_module *m = l_checkmodule(L, idx);
    while (m->ops->wrapper) m = m->child[0];
    lua_pushboolean(L, 1);
    lua_rawsetp(L, v->modules, m);
  } else if (luaL_testudata(L, idx, L_OPTIM)) {
    optim_parts(L, v, idx);
    lua_pushvalue(L, idx);
    lua_rawget(L, v->cache);
    lua_rawgeti(L, -1, 2);
    find_modules(L, v, -1, seen, depth + 1);
    lua_pop(L, 2);
  }
}

void l_write_value(lua_State *L, int idx, ln_writer *w, int modules) {
  idx = lua_absindex(L, idx);
  vwalk v = {w, 0, 0, 0, modules, 0};
  lua_newtable(L);
  v.modules = lua_gettop(L);
  lua_newtable(L);
  v.cache = lua_gettop(L);
  run_walk(L, &v, idx);
  lua_pop(L, 2);
}

/* The value, the modules and the optimizers' parts found by the pre-pass,
 * kept in the registry under &key while the core writes: the body runs in
 * a frame of its own, which sees no stack slot of lunet_save's. */
static int t_body(lua_State *L) {
  ln_writer *w = lua_touserdata(L, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, lua_touserdata(L, 2));
  int t = lua_gettop(L);
  lua_rawgeti(L, t, 1);
  lua_rawgeti(L, t, 2);
  lua_rawgeti(L, t, 3);
  vwalk v = {w, 0, t + 2, t + 3, 1, 0};
  run_walk(L, &v, t + 1);
  return 0;
}

static int save_body(ln_writer *w, void *key) {
  return l_protect(w->ctx, t_body, w, key, NULL, "");
}

static int lunet_save(lua_State *L) {
  char key = 's';  /* its address is this call's registry key */
  luaL_checkstring(L, 1);
  luaL_checkany(L, 2);
  l_checknargs(L, 2, "lunet.save");
  lua_settop(L, 2);
  vwalk v = {NULL, 0, 3, 4, 1, 0};
  lua_newtable(L);  /* 3: modules */
  lua_newtable(L);  /* 4: the optimizers' parts */
  lua_newtable(L);  /* 5: tables seen */
  find_modules(L, &v, 2, 5, 0);
  lua_createtable(L, 3, 0);
  for (int i = 1; i <= 3; i++) {
    lua_pushvalue(L, i == 1 ? 2 : i + 1);
    lua_rawseti(L, -2, i);
  }
  lua_rawsetp(L, LUA_REGISTRYINDEX, &key);
  int rc = ln_save_file(lua_tostring(L, 1), save_body, (void *)&key, L);
  lua_pushnil(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &key);
  if (rc) l_raise(L, "lunet.save");
  return 0;
}

/* ---- reading ---- */

typedef struct vread {
  ln_reader *r;
  int ids;          /* id -> value */
  lua_Integer next;
} vread;

static void rfail(lua_State *L) { luaL_error(L, "%s", ln_error()); }

static uint64_t get_u(lua_State *L, vread *v, int bytes) {
  uint64_t x = 0;
  if (ln_get_u(v->r, &x, bytes)) rfail(L);
  return x;
}

/* Makes an optimizer of kind over the modules (table at mods) with state
 * (at st), through lunet.optim (see the top of this file): group g is
 * {module = mods[g]} with the options of st.param_groups[g] but its ids. */
static void make_optim(lua_State *L, vread *v, int kind, int mods, int st) {
  lua_Integer n = lua_istable(L, mods) ? (lua_Integer)lua_rawlen(L, mods) : 0;
  if (lua_type(L, kind) != LUA_TSTRING || n == 0 || !lua_istable(L, st) ||
      lua_rawgetp(L, LUA_REGISTRYINDEX, &lunet_key) != LUA_TTABLE)
    ln_bad(v->r, "an optimizer's parts"), rfail(L);
  int top = lua_gettop(L);
  lua_getfield(L, -1, "optim");
  if (!lua_istable(L, -1) || lua_getfield(L, -1, lua_tostring(L, kind)) == LUA_TNIL)
    luaL_error(L, "the optimizer lunet.optim.%s is not defined", lua_tostring(L, kind));
  lua_pushstring(L, "param_groups");
  if (lua_rawget(L, st) != LUA_TTABLE || (lua_Integer)lua_rawlen(L, -1) != n)
    ln_bad(v->r, "an optimizer's parameter groups"), rfail(L);
  int pg = lua_gettop(L);
  lua_createtable(L, (int)n, 0);  /* the groups, the constructor's argument */
  for (lua_Integer g = 1; g <= n; g++) {
    lua_newtable(L);
    if (lua_rawgeti(L, pg, g) != LUA_TTABLE) ln_bad(v->r, "an optimizer's group"), rfail(L);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      if (lua_type(L, -2) == LUA_TSTRING && !strcmp(lua_tostring(L, -2), "params")) {
        lua_pop(L, 1);
        continue;
      }
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, -5);
    }
    lua_pop(L, 1);
    lua_rawgeti(L, mods, g);
    lua_setfield(L, -2, "module");
    lua_rawseti(L, -2, g);
  }
  lua_remove(L, pg);
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "load_state_dict");
  lua_pushvalue(L, -2);
  lua_pushvalue(L, st);
  lua_call(L, 2, 0);
  lua_replace(L, top);
  lua_settop(L, top);
}

static void set_id(lua_State *L, vread *v, lua_Integer id) {
  lua_pushvalue(L, -1);
  lua_rawseti(L, v->ids, id);
}

/* Pushes the next value; returns 0 for LN_V_END (pushing nothing). */
static int read_value(lua_State *L, vread *v, int depth) {
  luaL_checkstack(L, 12, "loading");
  if (depth > MAXNEST) luaL_error(L, "load: %s: values nested more than %d deep", v->r->path,
                                  MAXNEST);
  int tag = (int)get_u(L, v, 1);
  uint64_t u;
  double d;
  if (tag == LN_V_NIL) lua_pushnil(L);
  else if (tag == LN_V_FALSE || tag == LN_V_TRUE) lua_pushboolean(L, tag == LN_V_TRUE);
  else if (tag == LN_V_INT) lua_pushinteger(L, (lua_Integer)get_u(L, v, 8));
  else if (tag == LN_V_NUM) {
    if (ln_get_f64(v->r, &d)) rfail(L);
    lua_pushnumber(L, d);
  } else if (tag == LN_V_STR) {
    u = get_u(L, v, 8);
    if (u > ln_left(v->r)) ln_bad(v->r, "a string runs past the end"), rfail(L);
    lua_pushlstring(L, (const char *)v->r->p, (size_t)u);
    v->r->p += u;
  } else if (tag == LN_V_TABLE) {
    lua_newtable(L);
    set_id(L, v, ++v->next);
    while (read_value(L, v, depth + 1)) {
      if (lua_isnil(L, -1) || (lua_isnumber(L, -1) && lua_tonumber(L, -1) != lua_tonumber(L, -1)))
        ln_bad(v->r, "a table key is nil or NaN"), rfail(L);
      if (!read_value(L, v, depth + 1)) ln_bad(v->r, "a table key without a value"), rfail(L);
      lua_rawset(L, -3);
    }
  } else if (tag == LN_V_END) {
    return 0;
  } else if (tag == LN_V_REF) {
    u = get_u(L, v, 8);
    if (u == 0 || u > (uint64_t)v->next || lua_rawgeti(L, v->ids, (lua_Integer)u) == LUA_TNIL)
      ln_bad(v->r, "a reference to nothing"), rfail(L);
  } else if (tag == LN_V_TENSOR) {
    lua_Integer id = ++v->next;
    ln_tensor *t = l_newtensor(L);
    if (ln_get_tensor_new(v->r, t)) rfail(L);
    set_id(L, v, id);
  } else if (tag == LN_V_MODULE) {
    lua_Integer id = ++v->next;
    l_newmodule(L);
    ln_module *m = ln_get_module(v->r, 0);
    if (!m) rfail(L);
    l_setmodule(L, m, "lunet.load");
    set_id(L, v, id);
  } else if (tag == LN_V_PATH) {
    if (!read_value(L, v, depth + 1) || !luaL_testudata(L, -1, L_MODULE))
      ln_bad(v->r, "a path from no module"), rfail(L);
    ln_module *m = l_checkmodule(L, -1);
    uint64_t n = get_u(L, v, 1);
    if (n > LN_MAXDEPTH) ln_bad(v->r, "a path too long"), rfail(L);
    for (uint64_t k = 0; k < n; k++) {
      u = get_u(L, v, 8);
      if (u >= m->nchild) ln_bad(v->r, "a path to no module"), rfail(L);
      m = m->child[u];
    }
    l_pushmodule(L, m);  /* held by the module under it on the stack */
    lua_remove(L, -2);
  } else if (tag == LN_V_OPTIM) {
    lua_Integer id = ++v->next;
    int base = lua_gettop(L);
    for (int i = 0; i < 3; i++)
      if (!read_value(L, v, depth + 1)) ln_bad(v->r, "an optimizer's parts"), rfail(L);
    make_optim(L, v, base + 1, base + 2, base + 3);
    lua_replace(L, base + 1);
    lua_settop(L, base + 1);
    set_id(L, v, id);
  } else {
    ln_bad(v->r, "unknown value tag"), rfail(L);
  }
  return 1;
}

void l_read_value(lua_State *L, ln_reader *r) {
  vread v = {r, 0, 0};
  lua_newtable(L);
  v.ids = lua_gettop(L);
  if (!read_value(L, &v, 0)) ln_bad(r, "a value is missing"), rfail(L);
  lua_remove(L, v.ids);
}

/* The value read goes to the registry under the key (the body runs in a
 * frame of its own). */
static int t_load(lua_State *L) {
  ln_reader *r = lua_touserdata(L, 1);
  if (r->version == 1) {  /* a module record alone */
    l_newmodule(L);
    ln_module *m = ln_get_module(r, 0);
    if (!m) rfail(L);
    l_setmodule(L, m, "lunet.load");
  } else {
    l_read_value(L, r);
  }
  lua_rawsetp(L, LUA_REGISTRYINDEX, lua_touserdata(L, 2));
  return 0;
}

static int load_body(ln_reader *r, void *key) {
  return l_protect(r->ctx, t_load, r, key, NULL, "");
}

static int lunet_load(lua_State *L) {
  char key = 'r';  /* its address is this call's registry key */
  luaL_checkstring(L, 1);
  l_checknargs(L, 1, "lunet.load");
  int rc = ln_load_file(lua_tostring(L, 1), load_body, (void *)&key, L);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &key);
  lua_pushnil(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &key);
  if (rc) l_raise(L, "lunet.load");
  return 1;
}

static const luaL_Reg functions[] = {
  {"save", lunet_save}, {"load", lunet_load},
  {NULL, NULL}
};

void l_open_io(lua_State *L) {
  luaL_setfuncs(L, functions, 0);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &lunet_key);
}
