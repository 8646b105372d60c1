/* l_optim.h: what the optimizer binding files (l_optim.c, l_optim_state.c)
 * share. */
#ifndef L_OPTIM_H
#define L_OPTIM_H

#include "lunet.h"
#include "../core/optim.h"

#define L_OPTIM "lunet.Optim"

typedef struct l_optim {
  ln_optim *o;                 /* NULL once closed */
  const ln_optim_kind *kind;   /* kept for messages once closed */
} l_optim;

/* The live optimizer a method was called on, with at most nargs arguments
 * (self included); "SGD:step: optimizer has been closed" otherwise. */
l_optim *l_optim_self(lua_State *L, const char *method, int nargs);
/* u's optimizer again (after anything that may have run Lua), or
 * "SGD<sep><name>: optimizer has been closed". */
ln_optim *l_optim_live(lua_State *L, l_optim *u, const char *sep, const char *name);
/* The kind's option names into names (NULL-terminated), then the extra
 * names given (a NULL-terminated list, or NULL); returns names. */
const char **l_optim_names(const ln_optim_kind *k, const char **names, const char *const *extra);
/* Reads the kind's options present in the table at arg (none or nil: none)
 * into hp; returns a bit per option given (bit i for options[i]). */
unsigned l_optim_readhp(lua_State *L, int arg, const char *who, const ln_optim_kind *k,
                        double *hp);
/* Pushes option op's value in hp: a number, a boolean or {a, b}. */
void l_optim_pushhp(lua_State *L, const ln_optim_option *op, const double *hp);

/* lunet.clip_grad_norm, lunet.clip_grad_value into the table at the top
 * (l_clip.c); l_open_optim calls it. */
void l_open_clip(lua_State *L);
/* lunet.optim.lr_scheduler into the table at the top (l_sched.c). */
void l_open_sched(lua_State *L);

/* In an __index(obj, key) with methods in the metatable's __methods:
 * pushes the method called key and returns 1, or leaves the stack at its 2
 * arguments and returns 0. */
int l_index_method(lua_State *L);

int l_optim_state_dict(lua_State *L);       /* l_optim_state.c */
int l_optim_load_state_dict(lua_State *L);

#endif
