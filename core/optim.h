/* optim.h: optimizers over parameter groups, one registered table per kind.
 *
 * A kind (ln_optim_kind) is everything that differs between optimizers: its
 * name, its hyper-parameters (torch.optim's keyword names, defaults, a
 * check), the state it keeps per parameter (named as in PyTorch's
 * state_dict) and its update of one parameter. Each kind lives in its own
 * file (optim_sgd.c, optim_adam.c, with their formulas) and is listed once in
 * the registry of optim.c; nothing else names a kind.
 *
 * An optimizer holds parameter groups, as torch.optim: each group is a
 * module (one reference held) and its own hyper-parameters. Groups claim
 * parameters in order: a group gets the parameters of its module that no
 * earlier group has ({module = net.modules[1]} then {module = net} gives the
 * second group the rest of net), and a group left with none is an error.
 * Parameters are numbered over the groups in that order (as in state_dict).
 * The parameter and gradient tensors are those the modules had when the
 * optimizer was made (as a PyTorch optimizer holds its param list); the
 * state (momentum buffers, moments) is allocated up front, so step()
 * allocates nothing. Hyper-parameters may be changed between steps through
 * ln_optim_set (learning-rate schedules); they are checked there. */
#ifndef LN_OPTIM_H
#define LN_OPTIM_H

#include "module.h"

#define LN_OPTIM_MAXHP 8    /* hyper-parameter slots of a kind */
#define LN_OPTIM_MAXSLOT 4  /* state tensors per parameter */

typedef enum {
  LN_HP_NUMBER,  /* one slot */
  LN_HP_BOOL,    /* one slot, 0 or 1 */
  LN_HP_PAIR     /* two slots, given as {a, b} ("betas") */
} ln_hp_type;

typedef struct ln_optim_option {
  const char *name;   /* torch.optim's keyword: "lr", "betas" (NULL ends a list) */
  ln_hp_type type;
  int slot;           /* its first slot in a group's hp[] */
  int required;       /* no default: the caller must give it (SGD's lr) */
  double def[2];      /* the default (def[1] for a pair's second value) */
} ln_optim_option;

/* What an optimizer keeps per parameter besides its state slots. */
typedef struct ln_optim_pstate {
  long step;      /* updates this parameter has had (Adam's bias correction) */
  int has_state;  /* the slots hold values (PyTorch: the state exists) */
} ln_optim_pstate;

typedef struct ln_optim_kind {
  const char *name;                 /* "SGD": messages, lunet.optim.<name> */
  const ln_optim_option *options;   /* ends with a NULL name */
  int nhp;                          /* slots used in hp[] */
  int nslot;                        /* state tensors per parameter, each its shape */
  const char *slot[LN_OPTIM_MAXSLOT];  /* their names: "momentum_buffer" */
  int saves_step;                   /* the state has "step" (Adam), beside the slots */
  /* Checks a group's hyper-parameters; the message names the value only
   * ("invalid momentum -1 (must be >= 0)"): the caller prefixes who. */
  int (*check)(const double *hp);
  /* One update of one parameter of n elements, ps->step already counting
   * it: p from its gradient g and its state slots s[0..nslot-1]; sets
   * ps->has_state once the slots hold values. Allocates nothing. Element
   * by element: ln_optim_step calls it on pieces of a parameter, on
   * several threads, each with a copy of ps, then once with n = 0 on the
   * real ps. */
  void (*update)(const double *hp, ln_optim_pstate *ps, float *p, const float *g,
                 float *const *s, size_t n);
  /* Whether slot s is part of the state under hp (Adam's max_exp_avg_sq
   * only with amsgrad, as PyTorch's state_dict); NULL: every slot is. The
   * slots are allocated either way, so changing the option is safe. */
  int (*has_slot)(const double *hp, int s);
} ln_optim_kind;

/* For a kind's check: "invalid <what> <v> (must be >= 0)" unless v is a
 * finite number >= 0. */
int ln_optim_nonneg(const char *what, double v);
/* The check every kind shares: lr and weight_decay at slots lr and wd. */
int ln_optim_check_lr_wd(const double *hp, int lr, int wd);

/* k->has_slot(hp, s), or 1 when the kind has none. */
int ln_optim_has_slot(const ln_optim_kind *k, const double *hp, int s);

/* The registered kinds, in order (NULL past the last). */
const ln_optim_kind *ln_optim_kind_at(size_t i);
/* The kind called name, or NULL after ln_fail("unknown optimizer 'x'
 * (expected SGD or Adam)"). */
const ln_optim_kind *ln_optim_find(const char *name);
/* Its option called name, or NULL. */
const ln_optim_option *ln_optim_option_find(const ln_optim_kind *k, const char *name);
/* Fills hp[0..LN_OPTIM_MAXHP-1] with the kind's defaults (0 for a required
 * option and for unused slots). */
void ln_optim_defaults(const ln_optim_kind *k, double *hp);
/* Checks hp; the message is "SGD: invalid ...". */
int ln_optim_check(const ln_optim_kind *k, const double *hp);

typedef struct ln_optim_group {
  ln_module *module;          /* one reference held */
  double hp[LN_OPTIM_MAXHP];
  size_t first, n;            /* its parameters: first .. first + n - 1 */
} ln_optim_group;

typedef struct ln_optim {
  const ln_optim_kind *kind;
  size_t ngroups;
  ln_optim_group *group;
  size_t n;                   /* parameter tensors over all groups */
  ln_tensor **param, **grad;
  size_t *numel;              /* each parameter's element count when created */
  size_t *off;                /* where each parameter's state starts in a slot */
  ln_optim_pstate *ps;
  size_t total;               /* sum of numel */
  float *state;               /* nslot x total: slot k of parameter i at
                               * state + k * total + off[i] */
  long steps;                 /* step() calls on this optimizer */
} ln_optim;

/* groups[i].module and .hp are read (first and n are set in the copy);
 * fails on a kind NULL, bad hyper-parameters (naming the group when there
 * are several), a group without parameters of its own. */
ln_optim *ln_optim_new(const ln_optim_kind *kind, const ln_optim_group *groups,
                       size_t ngroups);
void ln_optim_free(ln_optim *o);
/* Replaces group g's hyper-parameters after checking them. */
int ln_optim_set(ln_optim *o, size_t g, const double *hp);
/* Parameter i's state slot k: numel[i] floats. */
float *ln_optim_slot(const ln_optim *o, size_t i, int k);
/* One update of every parameter from its gradient. */
int ln_optim_step(ln_optim *o);
/* Zeroes the gradients of the optimizer's parameters. */
void ln_optim_zero_grad(ln_optim *o);

#endif
