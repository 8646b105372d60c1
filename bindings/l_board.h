/* l_board.h: what l_board.c (the Board userdata) shares with l_watch.c
 * (board:watch). */
#ifndef L_BOARD_H
#define L_BOARD_H

#include "lunet.h"
#include "../viewer/board.h"

#define L_BOARD "lunet.Board"

/* The vw_board of the Board userdata at idx, NULL once it is closed. */
vw_board *l_board_get(lua_State *L, int idx);
/* A histogram snapshot of t (any layout) under tag; LN_ERR with ln_error()
 * set when t could not be flattened or the board refused the write. Runs no
 * Lua. */
int l_board_tensor_hist(vw_board *b, const char *tag, double step, const ln_tensor *t,
                        double sat);

/* board:watch and board:unwatch (l_watch.c), added to the Board's methods,
 * and the Watch class with its table of watched modules. */
extern const luaL_Reg l_watch_methods[];
void l_open_watch(lua_State *L);

#endif
