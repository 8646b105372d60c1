/* optim.c: the registry of optimizer kinds and what every kind shares:
 * groups, parameters, state, the step loop (see optim.h). */
#include "optim.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "par.h"

/* The registry: one line per kind, whose file defines ln_optim_<name>. */
extern const ln_optim_kind ln_optim_sgd, ln_optim_adam, ln_optim_adamw, ln_optim_rmsprop,
    ln_optim_adagrad;
static const ln_optim_kind *const registry[] = {&ln_optim_sgd, &ln_optim_adam, &ln_optim_adamw,
                                                &ln_optim_rmsprop, &ln_optim_adagrad};

#define NKINDS (sizeof registry / sizeof *registry)

const ln_optim_kind *ln_optim_kind_at(size_t i) { return i < NKINDS ? registry[i] : NULL; }

const ln_optim_kind *ln_optim_find(const char *name) {
  char list[256] = "";
  for (size_t i = 0; i < NKINDS; i++) {
    if (!strcmp(registry[i]->name, name)) return registry[i];
    size_t len = strlen(list);
    snprintf(list + len, sizeof list - len, "%s%s", i == 0 ? "" : i + 1 < NKINDS ? ", " : " or ",
             registry[i]->name);
  }
  ln_fail("unknown optimizer '%s' (expected %s)", name, list);
  return NULL;
}

const ln_optim_option *ln_optim_option_find(const ln_optim_kind *k, const char *name) {
  for (const ln_optim_option *p = k->options; p->name; p++)
    if (!strcmp(p->name, name)) return p;
  return NULL;
}

void ln_optim_defaults(const ln_optim_kind *k, double *hp) {
  memset(hp, 0, LN_OPTIM_MAXHP * sizeof *hp);
  for (const ln_optim_option *p = k->options; p->name; p++) {
    hp[p->slot] = p->def[0];
    if (p->type == LN_HP_PAIR) hp[p->slot + 1] = p->def[1];
  }
}

/* !(v >= 0) also catches NaN. */
int ln_optim_nonneg(const char *what, double v) {
  if (!(v >= 0) || isinf(v)) return ln_fail("invalid %s %g (must be >= 0)", what, v);
  return LN_OK;
}

int ln_optim_check_lr_wd(const double *hp, int lr, int wd) {
  return ln_optim_nonneg("learning rate", hp[lr]) || ln_optim_nonneg("weight_decay", hp[wd])
         ? LN_ERR : LN_OK;
}

/* The kind's check, its message prefixed with the kind's name and, when g
 * is not 0, the group: "SGD: group 2: invalid momentum -1 ...". */
static int check_group(const ln_optim_kind *k, const double *hp, size_t g) {
  if (!k->check(hp)) return LN_OK;
  char msg[256];
  snprintf(msg, sizeof msg, "%s", ln_error());
  if (g) return ln_fail("%s: group %zu: %s", k->name, g, msg);
  return ln_fail("%s: %s", k->name, msg);
}

int ln_optim_has_slot(const ln_optim_kind *k, const double *hp, int s) {
  return k->has_slot ? k->has_slot(hp, s) : 1;
}

int ln_optim_check(const ln_optim_kind *k, const double *hp) { return check_group(k, hp, 0); }

/* Whether p is among the first n parameters of o. */
static int claimed(const ln_optim *o, size_t n, const ln_tensor *p) {
  for (size_t i = 0; i < n; i++)
    if (o->param[i] == p) return 1;
  return 0;
}

/* Appends the parameters of group g's module that no earlier group has. */
static int claim(ln_optim *o, size_t g, ln_tensor **p, ln_tensor **grad, size_t count) {
  ln_optim_group *gr = &o->group[g];
  gr->first = o->n;
  for (size_t j = 0; j < count; j++) {
    if (claimed(o, o->n, p[j])) continue;
    o->param[o->n] = p[j];
    o->grad[o->n++] = grad[j];
  }
  gr->n = o->n - gr->first;
  if (gr->n) return LN_OK;
  if (o->ngroups == 1) return ln_fail("%s: the module has no parameters to optimize",
                                      o->kind->name);
  if (count == 0) return ln_fail("%s: group %zu: the module has no parameters", o->kind->name,
                                 g + 1);
  return ln_fail("%s: group %zu: every parameter of its module is already in an earlier "
                 "group (give the more specific group first)", o->kind->name, g + 1);
}

/* Sizes the arrays for every parameter of every group's module (counting a
 * shared one once per group: an upper bound), then claims them. */
static int gather(ln_optim *o) {
  ln_tensor *probe[1];  /* not NULL: ln_module_parameters offsets into it */
  size_t bound = 0, most = 0;
  for (size_t g = 0; g < o->ngroups; g++) {
    size_t k = ln_module_parameters(o->group[g].module, probe, probe, 0);
    bound += k;
    if (k > most) most = k;
  }
  ln_tensor **p = ln_calloc(most + 1, sizeof *p), **gr = ln_calloc(most + 1, sizeof *gr);
  o->param = ln_calloc(bound + 1, sizeof *o->param);
  o->grad = ln_calloc(bound + 1, sizeof *o->grad);
  int rc = LN_ERR;
  if (!p || !gr || !o->param || !o->grad) {
    ln_fail("%s: out of memory for the optimizer's parameters", o->kind->name);
    goto done;
  }
  for (size_t g = 0; g < o->ngroups; g++) {
    size_t k = ln_module_parameters(o->group[g].module, p, gr, most);
    if (claim(o, g, p, gr, k)) goto done;
  }
  rc = LN_OK;
done:
  ln_free(p);
  ln_free(gr);
  return rc;
}

ln_optim *ln_optim_new(const ln_optim_kind *kind, const ln_optim_group *groups,
                       size_t ngroups) {
  if (!kind) {
    ln_fail("optimizer: no kind given");
    return NULL;
  }
  if (ngroups == 0) {
    ln_fail("%s: no parameter groups given", kind->name);
    return NULL;
  }
  for (size_t g = 0; g < ngroups; g++)
    if (check_group(kind, groups[g].hp, ngroups > 1 ? g + 1 : 0)) return NULL;
  ln_optim *o = ln_calloc(1, sizeof *o);
  if (!o) goto oom;
  o->kind = kind;
  o->group = ln_calloc(ngroups, sizeof *o->group);
  if (!o->group) goto oom;
  for (size_t g = 0; g < ngroups; g++) {
    o->group[g] = groups[g];
    ln_module_retain(groups[g].module);
    o->ngroups++;  /* now freed with o */
  }
  if (gather(o)) {
    ln_optim_free(o);
    return NULL;
  }
  o->numel = ln_calloc(o->n, sizeof *o->numel);
  o->off = ln_calloc(o->n, sizeof *o->off);
  o->ps = ln_calloc(o->n, sizeof *o->ps);
  if (!o->numel || !o->off || !o->ps) goto oom;
  for (size_t i = 0; i < o->n; i++) {
    o->numel[i] = ln_numel(o->param[i]);
    o->off[i] = o->total;
    o->total += o->numel[i];
  }
  size_t count;
  if (ln_mul_size(o->total, (size_t)kind->nslot, &count)) goto oom;
  o->state = ln_calloc(count + 1, sizeof *o->state);
  if (!o->state) goto oom;
  return o;
oom:
  ln_optim_free(o);
  ln_fail("%s: out of memory for the optimizer state", kind->name);
  return NULL;
}

void ln_optim_free(ln_optim *o) {
  if (!o) return;
  for (size_t g = 0; g < o->ngroups; g++) ln_module_release(o->group[g].module);
  ln_free(o->group);
  ln_free(o->param);
  ln_free(o->grad);
  ln_free(o->numel);
  ln_free(o->off);
  ln_free(o->ps);
  ln_free(o->state);
  ln_free(o);
}

int ln_optim_set(ln_optim *o, size_t g, const double *hp) {
  if (g >= o->ngroups) return ln_fail("%s: no group %zu", o->kind->name, g + 1);
  if (check_group(o->kind, hp, o->ngroups > 1 ? g + 1 : 0)) return LN_ERR;
  memcpy(o->group[g].hp, hp, sizeof o->group[g].hp);
  return LN_OK;
}

float *ln_optim_slot(const ln_optim *o, size_t i, int k) {
  return o->state + (size_t)k * o->total + o->off[i];
}

/* Elements of the flat range per worker at least: Adam's update takes
 * ~0.4 ns an element (a step of the Fashion-MNIST MLP, 235k, ~90 us; 1.45x
 * faster on 2 threads), a wake-up a few microseconds. */
#define STEP_GRAIN 32768

/* The updates of elements [lo, hi) of the flat range every parameter's
 * state lies in (parameter i at off[i]), each parameter's share as one
 * update call. The kinds' updates are elementwise, so any split gives the
 * same bits. Each call gets a copy of the parameter's ps (SGD reads
 * has_state, which a share finished first would set); ln_optim_step moves
 * the real one on afterwards. */
static void step_range(void *ctx, size_t lo, size_t hi, int w) {
  (void)w;
  const ln_optim *o = ctx;
  for (size_t g = 0; g < o->ngroups; g++) {
    const ln_optim_group *gr = &o->group[g];
    for (size_t i = gr->first; i < gr->first + gr->n; i++) {
      size_t a = o->off[i], b = a + o->numel[i];
      if (b <= lo || a >= hi) continue;
      size_t from = (lo > a ? lo : a) - a, to = (hi < b ? hi : b) - a;
      float *s[LN_OPTIM_MAXSLOT];
      for (int k = 0; k < o->kind->nslot; k++) s[k] = ln_optim_slot(o, i, k) + from;
      ln_optim_pstate ps = o->ps[i];
      o->kind->update(gr->hp, &ps, (float *)ln_data(o->param[i]) + from,
                      (const float *)ln_data(o->grad[i]) + from, s, to - from);
    }
  }
}

int ln_optim_step(ln_optim *o) {
  const char *name = o->kind->name;
  /* A parameter reshaped behind our back would overrun the state. */
  for (size_t i = 0; i < o->n; i++) {
    if (!o->param[i]->st || ln_numel(o->param[i]) != o->numel[i] ||
        !ln_same_shape(o->param[i], o->grad[i]))
      return ln_fail("%s: parameter %zu changed shape since the optimizer was made",
                     name, i + 1);
  }
  o->steps++;
  for (size_t i = 0; i < o->n; i++) o->ps[i].step++;
  ln_parallel(ln_par_workers(o->total, STEP_GRAIN), o->total, step_range, o);
  /* An update of no elements moves ps on as the whole one would have. */
  for (size_t g = 0; g < o->ngroups; g++) {
    const ln_optim_group *gr = &o->group[g];
    for (size_t i = gr->first; i < gr->first + gr->n; i++) {
      float *s[LN_OPTIM_MAXSLOT];
      for (int k = 0; k < o->kind->nslot; k++) s[k] = ln_optim_slot(o, i, k);
      o->kind->update(gr->hp, &o->ps[i], ln_data(o->param[i]), ln_data(o->grad[i]), s, 0);
    }
  }
  return LN_OK;
}

void ln_optim_zero_grad(ln_optim *o) {
  for (size_t i = 0; i < o->n; i++)
    if (o->grad[i]->st) ln_tensor_fill(o->grad[i], 0);
}
