/* l_module.h: what the module binding files (l_module.c, l_module_state.c,
 * l_lmodule.c) share: the Module userdata and its checks. */
#ifndef L_MODULE_H
#define L_MODULE_H

#include "lunet.h"
#include "../core/serialize.h"

typedef struct l_module {
  ln_module *m;             /* NULL once closed, and before its module is made */
  char kind[LN_MAXNAME];    /* m->name, kept for messages once closed */
} l_module;

/* u's module, or "Linear:forward: module has been closed". Called again
 * after anything that may have run Lua (a metamethod, a finalizer). */
ln_module *l_modlive(lua_State *L, l_module *u, const char *method);
/* The live module userdata a method was called on, with at most nargs
 * arguments (self included). */
l_module *l_modself(lua_State *L, const char *method, int nargs);
/* Raises the core's error as "<Kind>:<method>: <message>". */
int l_modraise(lua_State *L, l_module *u, const char *method);

/* A module userdata owning nothing yet (made before the module it will
 * hold is fetched: making it may run a finalizer); l_modsettle replaces
 * the slot u on top by m's userdata (the cached one, or u given a
 * reference of its own). */
l_module *l_modslot(lua_State *L);
void l_modsettle(lua_State *L, l_module *u, ln_module *m);

/* Sets lunet.<Kind> for every built-in kind in the table on top
 * (l_module_new.c). */
void l_open_constructors(lua_State *L);

/* __index (the methods table as upvalue 1) and __newindex of modules
 * (l_module_fields.c). */
int l_module_index(lua_State *L);
int l_module_newindex(lua_State *L);

/* Methods of l_module_state.c and l_lmodule.c, added to every module's. */
extern const luaL_Reg l_module_state_methods[];
extern const luaL_Reg l_lmodule_methods[];

/* Modules written in Lua (l_lmodule.c). */
extern const ln_module_ops l_lmodule_ops;
/* Pushes field k of the Lua module m (its Lua fields, then its class's);
 * returns 0 when it has none. */
int l_lmodule_index(lua_State *L, ln_module *m, const char *k);
/* self.k = value at idx for a Lua module; returns 0 when k may not be set. */
int l_lmodule_newindex(lua_State *L, ln_module *m, const char *k, int idx);
void l_open_lmodule(lua_State *L);

/* Runs f(a, b, c) (as light userdata) under lua_pcall on L: a Lua error
 * becomes the core's error "<prefix><message>" (LN_ERR), so a callback from
 * the core never unwinds through core frames. */
int l_protect(lua_State *L, lua_CFunction f, void *a, void *b, void *c, const char *prefix);

/* The value stream (l_io.c, format in core/serialize.h). Both raise Lua
 * errors: call them under l_protect when the core called you. l_write_value
 * writes the value at idx (modules allowed only when modules is 1: the Lua
 * fields of a module hold none); l_read_value pushes the value read. */
void l_write_value(lua_State *L, int idx, ln_writer *w, int modules);
void l_read_value(lua_State *L, ln_reader *r);

/* Called by backward once the module m of the userdata at index net has run
 * it: counts a step of the watch on that userdata, if any, and takes its
 * snapshots on the steps it logs (l_watch.c). Runs no Lua and raises
 * nothing: LN_ERR with ln_error() set when the board refused a write. */
int l_watch_step(lua_State *L, int net, ln_module *m);

/* 1 when k names a method or a field every module has (not settable). */
int l_module_reserved(lua_State *L, const char *k);
/* Pushes m.modules of the module userdata at ud: the live list of its
 * children (l_module_list.c). */
void l_pushmodules(lua_State *L, int ud);

#endif
