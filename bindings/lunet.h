/* lunet.h: what the binding files share.
 *
 * One metatable name per userdata type, checked with luaL_checkudata. Each
 * binding file has one opener, l_open_<area>(L), that adds its functions to
 * the module table on top of the stack; luaopen_lunet (lunet.c) calls them
 * all. Core failures are raised with l_raise, which prefixes the Lua-side
 * name of the function ("Linear:forward: input has 5 features, expected 3"). */
#ifndef LN_BINDINGS_H
#define LN_BINDINGS_H

#include <lua.h>
#include <lauxlib.h>
#include "../core/tensor.h"
#include "../core/module.h"

#define L_TENSOR "lunet.Tensor"
#define L_MODULE "lunet.Module"

/* A tensor userdata is just a header; its storage is refcounted. */
ln_tensor *l_checktensor(lua_State *L, int arg);
ln_tensor *l_testtensor(lua_State *L, int arg);
/* Pushes a new empty tensor userdata and returns its header to fill. */
ln_tensor *l_newtensor(lua_State *L);
/* Pushes a tensor that shares src's storage (a view of all of it). */
void l_pushview(lua_State *L, const ln_tensor *src);
/* Views handed out again and again (a module's output and fields, a loss's
 * gradient) are cached in user value 1 of their owner's userdata, keyed by
 * the address of the core tensor they show, and handed out again while
 * their header (storage, offset, sizes, strides) still equals it, as Torch7
 * hands out m.output itself: a steady training loop then makes no garbage.
 * A view the user reshaped in place or closed no longer matches and is
 * replaced. l_pushcached pushes the cached view of src and returns 1, or
 * returns 0 and pushes nothing; it allocates nothing and runs no Lua.
 * l_cacheview records the view on top as src's (it may allocate).
 * l_pushowned pushes the cached view or a new one it caches: for a src
 * that stays valid while a view is allocated (its owner held). */
int l_pushcached(lua_State *L, int owner, const ln_tensor *src);
void l_cacheview(lua_State *L, int owner, const ln_tensor *src);
void l_pushowned(lua_State *L, int owner, const ln_tensor *src);
/* Records the value on top in owner's user value 1 under key (a light
 * userdata), keeping it alive as long as owner: what l_cacheview does. */
void l_keep(lua_State *L, int owner, const void *key);

/* A module userdata holds one reference to an ln_module. The same module is
 * always pushed as the same userdata (a weak cache in the registry).
 * l_pushmodule allocates (which may run a finalizer) before it retains m, so
 * m must not be one a finalizer could free. */
ln_module *l_checkmodule(lua_State *L, int arg);
void l_pushmodule(lua_State *L, ln_module *m);
/* A new module from C: l_newmodule pushes an empty module userdata, made
 * before the module it will own; l_setmodule gives it m (taking over the
 * caller's reference) and returns 1, or raises the core's error as who when
 * m is NULL. */
void l_newmodule(lua_State *L);
int l_setmodule(lua_State *L, ln_module *m, const char *who);

/* A new table with weak keys or values (mode "k" or "v") at registry key
 * key (a C address). */
void l_newweak(lua_State *L, const char *mode, const void *key);

/* Registers metatable `name` with the metamethods meta and the methods
 * table as __methods (for the REPL's completion and help) and, unless meta
 * has its own __index, as __index. Leaves the stack as it was. */
void l_newclass(lua_State *L, const char *name, const luaL_Reg *meta,
                const luaL_Reg *methods);
/* The userdata of metatable tname that method was called on (argument 1).
 * Anything else, most often from a call with `.` instead of `:`, raises an
 * argument error from the format expected, given the type got and method:
 * "loss expected, got %s; call it as loss:%s(...)". Whether the object is
 * closed is for the caller to check. */
void *l_checkself(lua_State *L, const char *tname, const char *expected, const char *method);

/* Raises the core's last error as "<who>: <message>". Never returns. who is
 * the name as the user calls it: "lunet.zeros", "lunet.optim.SGD" for a
 * module function or constructor, "Tensor:view", "Linear:forward" for a
 * method, "Tensor +" for an operator. A core prefix naming who or a part of
 * it ("Linear: ...", "SGD: ...", "view: ...") is dropped, not repeated. */
int l_raise(lua_State *L, const char *who);
/* Option readers. Each reads field `field` of the options table at arg (none
 * or nil: no table, the default), after l_checkoptions has refused unknown
 * keys; a value of the wrong type raises one message format:
 * "<who>: option 'lr' must be a number, got string". Each may run Lua (an
 * __index metamethod), which may close a C object: read every option
 * before fetching the objects a function works on. */
double l_optnumber(lua_State *L, int arg, const char *who, const char *field, double def);
/* Whether the option is given (not nil). */
int l_optgiven(lua_State *L, int arg, const char *field);
/* An integer in lo..hi ("<who>: option 'bins' must be in 2..512, got 1"). */
lua_Integer l_optinteger(lua_State *L, int arg, const char *who, const char *field,
                         lua_Integer def, lua_Integer lo, lua_Integer hi);
int l_optboolean(lua_State *L, int arg, const char *who, const char *field, int def);
/* Pushes the value (the string, or nil when absent) and returns the string
 * or def: it lives as long as the caller leaves it on the stack. */
const char *l_optstring(lua_State *L, int arg, const char *who, const char *field,
                        const char *def);
/* The index in the NULL-terminated choices of a string option, def when
 * absent ("<who>: option 'mode' must be "fan_in" or "fan_out", got "x""). */
int l_optchoice(lua_State *L, int arg, const char *who, const char *field,
                const char *const *choices, int def);
/* A table of n numbers ({0.9, 0.999}) into out[0..n-1], untouched when absent. */
void l_optnumbers(lua_State *L, int arg, const char *who, const char *field, int n,
                  double *out);
/* A tensor option: pushes it and returns its stack index, or 0 (nothing
 * pushed) when absent. Fetch it with l_optlive once every option is read. */
int l_opttensor(lua_State *L, int arg, const char *who, const char *field);
ln_tensor *l_optlive(lua_State *L, int idx, const char *who, const char *field);

/* Raises "<type>: no field 'k'" for the key at index key, listing fields
 * (NULL-terminated) when given: reading a field a lunet object does not
 * have is an error, never a silent nil. */
int l_nofield(lua_State *L, const char *type, int key, const char *const *fields);

/* Pushes "a, b or c" (each in double quotes when quoted) from a
 * NULL-terminated list, and returns it. */
const char *l_pushlist(lua_State *L, const char *const *names, int quoted);
/* Raises "<who>: unknown option 'k' (expected a, b or c)" for a key of the
 * options table at arg that is not in the NULL-terminated known list, so a
 * misspelt option never goes unnoticed. No table (none or nil) is fine. */
void l_checkoptions(lua_State *L, int arg, const char *who, const char *const *known);

/* Options given positionally, in the order of PyTorch's signatures
 * (SGD(net, 0.1, 0.9), StepLR(opt, 30, 0.5)): when the value at first is
 * not an options table (nil, or a table without [1]), the values from
 * first on are the options names[0], names[1], ..., and an options table
 * may follow them; all are replaced by one options table at first. Too
 * many values, or an option given both ways, is an error naming who. */
void l_positional(lua_State *L, int first, const char *who, const char *const *names);

/* The type of the value at idx as a message names it: its metatable's
 * __name ("lunet.Tensor", which is then pushed) or Lua's type name. */
const char *l_typename(lua_State *L, int idx);

/* v as a message shows it: a NaN of either sign becomes the positive one,
 * which C's printf and Lua's %f show as "nan", as PyTorch does (x86's 0/0
 * has its sign bit set and would show as "-nan"). Pass every number that
 * may be NaN through it before formatting. */
double l_msgnum(double v);
/* lua_pushnumber of l_msgnum(v), for every number lunet computes and hands
 * to Lua (an element, a reduction, a loss), so that print(loss) shows
 * "nan" as PyTorch does. */
void l_pushnumber(lua_State *L, double v);

/* Raises "<who>: unexpected argument #k (expected at most max, got n)" when
 * more than max arguments were given (self counts as argument 1), so an
 * extra argument is refused in one message format, never ignored. */
void l_checknargs(lua_State *L, int max, const char *who);

void l_open_tensor(lua_State *L);   /* l_tensor.c: tensors, manual_seed */
void l_open_help(lua_State *L);     /* l_help.c: lunet.help */
void l_open_module(lua_State *L);   /* l_module.c: layers, Sequential */
void l_open_loss(lua_State *L);     /* l_loss.c: MSELoss, CrossEntropyLoss */
void l_open_optim(lua_State *L);    /* l_optim.c: lunet.optim */
void l_open_init(lua_State *L);     /* l_init.c: lunet.init */
void l_open_io(lua_State *L);       /* l_io.c: save, load */
void l_open_board(lua_State *L);    /* l_board.c: Board, viewer */
void l_open_data(lua_State *L);     /* l_data.c: lunet.data */
void l_open_dist(lua_State *L);     /* l_dist.c: lunet.dist */
void l_open_tensor_ops(lua_State *L); /* l_tensor_reduce.c: reductions, mm, cat; after tensor */

#endif
