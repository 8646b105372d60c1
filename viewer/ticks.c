/* ticks.c: which values an axis labels, and how (see draw_int.h).
 *
 * Candidate sets run from fine to coarse: steps of 1, 2, 5 x 10^e on a
 * linear axis; on a log axis every mantissa 1..9, then 1, 2, 5, then every
 * k decades, and, for a range inside one decade, linear steps in value
 * space. The finest set that keeps its ticks `minsp` pixels apart and whose
 * labels fit is drawn; when that leaves fewer than three, the finest set of
 * three or more whose labels fit, however dense. A label is formatted to
 * its set's step, so neighbouring labels always differ. */
#include "draw_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { LIN, MANT9, MANT3, DECADES };

static void time_label(char *buf, size_t n, double v, double step, int mode, int brief);

/* The exponent e of a step m x 10^e, m in {1, 2, 5}; clamped before it
 * is converted, as a decade below the subnormals gives a step of 0. */
static int step_exp(double step) {
  double e = floor(log10(step) + 1e-9);
  return e > -400 ? (e < 400 ? (int)e : 400) : -400;   /* -400 for NaN too */
}

/* "2.5e-4", "1e20": no "+", no leading zeros in the exponent, and no
 * trailing ones in the mantissa (which never makes two values read alike). */
static void fmt_sci(char *buf, size_t n, double v, int digits) {
  char m[32];
  int e = (int)floor(log10(fabs(v)) + 1e-12), k;
  double mant = v / pow(10, e);
  if (fabs(mant) >= 10 - 0.5 * pow(10, -digits)) { mant /= 10; e++; }
  k = snprintf(m, sizeof m, "%.*f", digits, mant);
  if (strchr(m, '.')) {
    while (k > 0 && m[k - 1] == '0') m[--k] = 0;
    if (k > 0 && m[k - 1] == '.') m[--k] = 0;
  }
  snprintf(buf, n, "%se%d", m, e);
}

void fmt_tick(char *buf, size_t n, double v, double step, double maxabs) {
  static const char suffix[] = " kMGT";
  int e = step_exp(step), s, d;
  if (!isfinite(v)) { fmt_num(buf, n, v); return; }
  if (v == 0 || fabs(v) < step * 1e-9) { snprintf(buf, n, "0"); return; }
  if (maxabs >= 1e15 || maxabs < 1e-3) {
    d = (int)floor(log10(fabs(v)) + 1e-12) - e;
    fmt_sci(buf, n, v, d < 0 ? 0 : d > 12 ? 12 : d);
    return;
  }
  s = maxabs >= 1e4 ? (int)floor(log10(maxabs) + 1e-12) / 3 : 0;
  d = 3 * s - e;
  if (d < 0) d = 0;
  if (s) snprintf(buf, n, "%.*f%c", d, v / pow(10, 3 * s), suffix[s]);
  else snprintf(buf, n, "%.*f", d, v);
}

/* The values of one candidate set in [a, b] (log10 bounds on a log axis),
 * as axis coordinates. LIN steps by k in value space, even on a log axis;
 * the others are log-axis sets. Returns how many, or -1 past MAXTICKS. */
static int gen(int kind, double k, int logv, double a, double b, double *v) {
  int n = 0, i;
  if (kind == LIN) {
    double va = logv ? pow(10, a) : a, vb = logv ? pow(10, b) : b, t0 = ceil(va / k);
    long j;
    for (j = 0;; j++) {
      double t = (t0 + (double)j) * k;
      if (!(t - vb <= k * 1e-9)) break;   /* not t <= vb + slack: it may overflow */
      if (fabs(t) < k * 1e-9) t = 0;
      if (logv && t <= 0) continue;
      if (n == MAXTICKS) return -1;
      v[n++] = logv ? log10(t) : t;
    }
  } else if (kind == DECADES) {
    double j;
    for (j = ceil(a / k) * k; j <= b + 1e-9; j += k) {
      if (n == MAXTICKS) return -1;
      v[n++] = j;
    }
  } else {
    static const double m9[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, m3[] = {1, 2, 5};
    const double *m = kind == MANT9 ? m9 : m3;
    int nm = kind == MANT9 ? 9 : 3;
    double e;
    if (b - a > MAXTICKS) return -1;
    for (e = floor(a); e <= b; e++)
      for (i = 0; i < nm; i++) {
        double t = e + log10(m[i]);
        if (t < a - 1e-9 || t > b + 1e-9) continue;
        if (n == MAXTICKS) return -1;
        v[n++] = t;
      }
  }
  return n;
}

/* Labels and pixel positions for the values in t, dropping those whose
 * label would leave [lo, hi] along the axis; whether the rest fit: not
 * touching, and minsp apart. */
static int place(frame *f, const tick_axis *ax, ticks *t, double step, int minsp) {
  int i, n = 0, fh = vw_font_height(f->c, ax->font);
  double maxabs = 0;
  for (i = 0; i < t->n; i++) {
    double x = ax->logv ? pow(10, t->v[i]) : t->v[i];
    if (fabs(x) > maxabs && isfinite(x)) maxabs = fabs(x);
  }
  for (i = 0; i < t->n; i++) {
    double x = ax->logv ? pow(10, t->v[i]) : t->v[i];
    /* a log set's labels each to their own decade */
    double st = step > 0 ? step : pow(10, floor(t->v[i] + 1e-9));
    int ext, px = pxmap_at(ax->m, t->v[i]);
    if (!isfinite(x)) continue;   /* a mantissa past DBL_MAX on a log axis */
    if (ax->time) time_label(t->text[n], sizeof t->text[n], x, st, ax->time, ax->brief);
    else fmt_tick(t->text[n], sizeof t->text[n], x, st, step > 0 ? maxabs : fabs(x));
    t->w[n] = vw_text_width(f->c, ax->font, t->text[n]);
    ext = ax->vertical ? fh : t->w[n];
    if (px - ext / 2 < ax->lo || px + (ext + 1) / 2 > ax->hi) continue;
    if (n > 0) {
      int d = abs(px - t->px[n - 1]);
      int need = ax->vertical ? fh + 2 : (t->w[n] + t->w[n - 1] + 1) / 2 + 8;
      if (d < need || d < minsp) return 0;
    }
    t->v[n] = t->v[i];
    t->px[n++] = px;
  }
  t->n = n;
  return n > 0;
}

/* Tries each candidate set from fine to coarse (lin: the linear ones on a
 * log axis) for one with at least `least` ticks whose labels fit: with
 * minsp, the finest (the densest that is not too dense); without, the
 * coarsest (the least crowded of those dense enough). Into out, if any. */
static int pick(frame *f, const tick_axis *ax, int minsp, int least, int lin, ticks *out) {
  static const double ladder[] = {1, 2, 5};
  double a = ax->a, b = ax->b, vb;
  ticks t;
  int e, m, found = 0;
#define TRY(step) do {                                                         \
    if (t.n >= least && place(f, ax, &t, (step), minsp) && t.n >= least) {     \
      *out = t;                                                                \
      found = 1;                                                               \
      if (minsp) return 1;                                                     \
    }                                                                          \
  } while (0)
  if (ax->logv && !lin) {
    t.n = gen(MANT9, 0, 1, a, b, t.v);
    TRY(0);
    t.n = gen(MANT3, 0, 1, a, b, t.v);
    TRY(0);
    for (e = 0; e < 4; e++)
      for (m = 0; m < 3; m++) {
        t.n = gen(DECADES, ladder[m] * pow(10, e), 1, a, b, t.v);
        TRY(0);
      }
    return found;
  }
  /* steps from the finest that gives at most MAXTICKS ticks; the span at
   * half scale, as it may pass DBL_MAX */
  vb = ax->logv ? (pow(10, b) - pow(10, a)) / (MAXTICKS - 1)
                : (b * 0.5 - a * 0.5) / (MAXTICKS - 1) * 2;
  if (!(vb > 0) || !isfinite(vb)) return 0;
  for (e = (int)floor(log10(vb)); e < 309; e++)
    for (m = 0; m < 3; m++) {
      double k = ladder[m] * pow(10, e);
      if (k < vb || !isfinite(k)) continue;
      t.n = gen(LIN, k, ax->logv, a, b, t.v);
      if (t.n < 0) continue;
      if (t.n < least) return found;   /* coarser steps give fewer still */
      TRY(k);
    }
  return found;
#undef TRY
}

/* Time steps, fine to coarse: 1-2-5 below a second, then the clock's own
 * divisions (15 s, 30 s, 1 min, ..., 6 h, 12 h, a day, a week). */
static const double time_steps[] = {
  1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300,
  600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000,
  31536000
};

/* The seconds to add to a wall time for the local clock's (a day's ticks
 * fall at local midnight). */
static double local_offset(double t) {
  time_t tt = (time_t)t;
  struct tm lt, ut;
  if (!localtime_r(&tt, &lt) || !gmtime_r(&tt, &ut)) return 0;
  lt.tm_isdst = ut.tm_isdst = 0;
  return difftime(mktime(&lt), mktime(&ut));
}

/* As pick, over time steps: ticks at whole multiples of a step (of the
 * local clock in wall time). */
static int pick_time(frame *f, const tick_axis *ax, int minsp, int least, ticks *out) {
  double off = ax->time == VW_X_WALL && ax->b - ax->a >= 3600 ? local_offset(ax->a) : 0;
  ticks t;
  size_t k;
  int i, found = 0;
  for (k = 0; k < sizeof time_steps / sizeof *time_steps; k++) {
    double st = time_steps[k];
    t.n = gen(LIN, st, 0, ax->a + off, ax->b + off, t.v);
    if (t.n < 0) continue;
    if (t.n < least) return found;
    for (i = 0; i < t.n; i++) t.v[i] -= off;
    if (place(f, ax, &t, st, minsp) && t.n >= least) {
      *out = t;
      found = 1;
      if (minsp) return 1;
    }
  }
  return found;
}

/* fmt_time, brief: wall times under a minute apart without the hour
 * ("03:10.25"). */
static void time_label(char *buf, size_t n, double v, double step, int mode, int brief) {
  if (!isfinite(v)) { fmt_num(buf, n, v); return; }
  if (mode == VW_X_WALL) {
    int d = step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3;
    /* rounded to d decimals in whole units, so that no label reads
     * 0.719999 as .719: 1e9 s at 1e-3 is far inside double's integers */
    long long p10 = d == 0 ? 1 : d == 1 ? 10 : d == 2 ? 100 : 1000, r = llround(v * p10);
    time_t tt = (time_t)(r / p10 - (r % p10 < 0));
    long long frac = r - (long long)tt * p10;
    struct tm lt;
    size_t k;
    if (!localtime_r(&tt, &lt)) { fmt_num(buf, n, v); return; }
    if (step >= 86400) strftime(buf, n, "%b %d", &lt);
    else if (step >= 60) strftime(buf, n, "%H:%M", &lt);
    else {
      k = strftime(buf, n, brief ? "%M:%S" : "%H:%M:%S", &lt);
      if (d && k < n) snprintf(buf + k, n - k, ".%0*lld", d, frac);
    }
  } else {
    /* the unit of the step: "90 s" every 30 s, "2 min" every minute */
    double unit = step >= 3600 ? 3600 : step >= 60 ? 60 : 1, u = step / unit;
    int d = u >= 1 ? 0 : u >= 0.1 ? 1 : u >= 0.01 ? 2 : 3;
    const char *name = unit == 3600 ? "h" : unit == 60 ? "min" : "s";
    if (fabs(v) < step * 1e-9) v = 0;
    snprintf(buf, n, "%.*f %s", d, v / unit, name);
  }
}

void fmt_time(char *buf, size_t n, double v, double step, int mode) {
  time_label(buf, n, v, step, mode, 0);
}

void choose_ticks(frame *f, const tick_axis *ax, ticks *out) {
  int least;
  out->n = 0;
  if (!(ax->a < ax->b) || !isfinite(ax->a) || !isfinite(ax->b)) return;
  if (ax->time) {   /* the hour left out before fewer labels */
    tick_axis brief = *ax;
    brief.brief = 1;
    for (least = 3; least >= 1; least -= 2)
      if (pick_time(f, ax, ax->minsp, least, out) || pick_time(f, ax, 0, least, out) ||
          pick_time(f, &brief, brief.minsp, least, out) || pick_time(f, &brief, 0, least, out))
        return;
    return;
  }
  /* dense enough first, then any that fits; three labels, then fewer */
  for (least = 3; least >= 1; least -= 2) {
    if (pick(f, ax, ax->minsp, least, 0, out)) return;
    if (ax->logv && pick(f, ax, ax->minsp, least, 1, out)) return;
    if (pick(f, ax, 0, least, 0, out)) return;
    if (ax->logv && pick(f, ax, 0, least, 1, out)) return;
  }
}

void draw_tick_labels(frame *f, const tick_axis *ax, const ticks *t, int at, SDL_Color col,
                      int panel) {
  int i, fh = vw_font_height(f->c, ax->font);
  for (i = 0; i < t->n; i++) {
    SDL_Rect box;
    if (ax->vertical) {
      vw_text(f->c, ax->font, col, at, t->px[i], VW_RIGHT | VW_MIDDLE, t->text[i]);
      box.x = at - t->w[i];
      box.y = t->px[i] - fh / 2;
    } else {
      vw_text(f->c, ax->font, col, t->px[i], at, VW_CENTER, t->text[i]);
      box.x = t->px[i] - t->w[i] / 2;
      box.y = at;
    }
    box.w = t->w[i];
    box.h = fh;
    if (f->out->nticks < VW_MAXTICKS) {
      vw_tick_label *l = &f->out->tick[f->out->nticks++];
      l->panel = panel;
      l->vertical = ax->vertical;
      l->value = t->v[i];
      l->box = box;
      snprintf(l->text, sizeof l->text, "%s", t->text[i]);
    }
  }
}
