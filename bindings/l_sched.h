/* l_sched.h: what the learning-rate scheduler files (l_sched.c,
 * l_sched_state.c) share. */
#ifndef L_SCHED_H
#define L_SCHED_H

#include "l_optim.h"

#define L_SCHED "lunet.LRScheduler"
#define SCHED_MAXMILESTONES 256

typedef enum { SK_STEP, SK_MULTISTEP, SK_EXPONENTIAL, SK_COSINE, SK_LINEAR, SK_ONECYCLE,
               SK_PLATEAU } sched_id;

/* The option slots of every kind, in one numbering. */
enum { O_STEP_SIZE, O_GAMMA, O_T_MAX, O_ETA_MIN, O_START, O_END, O_TOTAL_ITERS,
       O_TOTAL_STEPS, O_EPOCHS, O_STEPS_PER_EPOCH, O_PCT, O_ANNEAL, O_CYCLE_MOM, O_BASE_MOM,
       O_MAX_MOM, O_DIV, O_FINAL_DIV, O_THREE, O_MODE, O_FACTOR, O_PATIENCE, O_THRESHOLD,
       O_THRESHOLD_MODE, O_COOLDOWN, O_EPS, O_NSLOT };

typedef enum {
  OT_NUM, OT_INT, OT_BOOL, OT_CHOICE,
  OT_MILESTONES,  /* a list of integers (s->milestones) */
  OT_GROUP        /* a number, or one per parameter group (the per-group array) */
} sched_otype;

typedef struct sched_opt {
  const char *name;              /* PyTorch's keyword (NULL ends a list) */
  sched_otype type;
  int slot;
  int required;
  double def;                    /* -1 for an integer left out: "None" */
  const char *const *choices;    /* OT_CHOICE */
} sched_opt;

typedef struct sched_kind {
  const char *name;              /* "StepLR" */
  sched_id id;
  const sched_opt *options;
} sched_kind;

/* The userdata: this struct and then three arrays of ngroups doubles (the
 * base lrs, the last lrs, the per-group option), so the whole of it may be
 * copied with memcpy. Its user value 1 is the optimizer. */
typedef struct sched {
  const sched_kind *k;
  size_t ng;
  double opt[O_NSLOT];
  size_t nmilestones;
  long milestones[SCHED_MAXMILESTONES];
  long last_epoch, step_count;
  double best;                   /* ReduceLROnPlateau */
  long num_bad_epochs, cooldown_counter;
} sched;

#define SCHED_BASE 0
#define SCHED_LAST 1
#define SCHED_GROUP 2
/* Array which (SCHED_BASE, ...) of s: ng doubles. */
double *sched_arr(sched *s, int which);
size_t sched_size(size_t ng);

/* s's optimizer, live, or "<who>: optimizer has been closed". */
ln_optim *sched_optim(lua_State *L, int self, const char *who);
/* Reads the kind's options from the table at arg into s (its kind and ng
 * set) and checks them; raises "<who>: ..." on a bad one. */
void sched_read_options(lua_State *L, int arg, const char *who, sched *s);
/* The kind's option names and then extra (NULL-terminated) into names. */
const char **sched_names(const sched_kind *k, const char **names, const char *const *extra);
/* Pushes option op's value in s. */
void sched_push_option(lua_State *L, sched *s, const sched_opt *op);

int l_sched_state_dict(lua_State *L);       /* l_sched_state.c */
int l_sched_load_state_dict(lua_State *L);

#endif
