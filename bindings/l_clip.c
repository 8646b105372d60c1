/* l_clip.c: lunet.clip_grad_norm and lunet.clip_grad_value, as
 * torch.nn.utils' clip_grad_norm_ and clip_grad_value_ over every gradient
 * of a module (core/optim_clip.h).
 *
 *   net:backward(x, dy)
 *   local norm = lunet.clip_grad_norm(net, 1.0)   -- the norm before clipping
 *   opt:step() */
#include <math.h>

#include "l_optim.h"
#include "../core/optim_clip.h"

#define NSTACK 64  /* gradients held on the C stack; more go in a userdata */

/* The gradients of the module at argument 1 into a list (on stack, or in a
 * userdata pushed for a larger one); returns their count. The numbers are
 * read before this is called, and the module is fetched again after the
 * allocation (which may run a finalizer). */
static size_t gradients(lua_State *L, ln_tensor **stack, ln_tensor ***g) {
  ln_tensor *probe[1];
  size_t n = ln_module_parameters(l_checkmodule(L, 1), probe, probe, 0);
  ln_tensor **p = stack;
  *g = stack + NSTACK;
  if (n > NSTACK) {
    p = lua_newuserdatauv(L, 2 * n * sizeof *p, 0);
    *g = p + n;
  }
  size_t cap = n > NSTACK ? n : NSTACK;
  size_t k = ln_module_parameters(l_checkmodule(L, 1), p, *g, cap);
  return k < cap ? k : cap;
}

/* lunet.clip_grad_norm(net, max_norm [, norm_type]) */
static int clip_grad_norm(lua_State *L) {
  const char *who = "lunet.clip_grad_norm";
  l_checkmodule(L, 1);
  double max_norm = luaL_checknumber(L, 2), p = luaL_optnumber(L, 3, 2);
  l_checknargs(L, 3, who);
  ln_tensor *stack[2 * NSTACK], **g;
  size_t n = gradients(L, stack, &g);
  double total;
  if (ln_clip_grad_norm(g, n, max_norm, p, &total)) l_raise(L, who);
  l_pushnumber(L, total);
  return 1;
}

/* lunet.clip_grad_value(net, v) */
static int clip_grad_value(lua_State *L) {
  const char *who = "lunet.clip_grad_value";
  l_checkmodule(L, 1);
  double v = luaL_checknumber(L, 2);
  l_checknargs(L, 2, who);
  ln_tensor *stack[2 * NSTACK], **g;
  size_t n = gradients(L, stack, &g);
  if (ln_clip_grad_value(g, n, v)) l_raise(L, who);
  return 0;
}

void l_open_clip(lua_State *L) {
  lua_pushcfunction(L, clip_grad_norm);
  lua_setfield(L, -2, "clip_grad_norm");
  lua_pushcfunction(L, clip_grad_value);
  lua_setfield(L, -2, "clip_grad_value");
}
