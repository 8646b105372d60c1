/* loss_point.c: the elementwise losses, in PyTorch's formulas (1.13), each
 * as the loss of one element and its derivative (see loss.h). d = x - t. */
#include "loss.h"

#include <math.h>

static double sign(double d) { return d > 0 ? 1 : d < 0 ? -1 : 0; }

/* MSELoss: d^2. */
static double mse_f(const ln_loss_options *o, double x, double t, double pw) {
  (void)o, (void)pw;
  return (x - t) * (x - t);
}
static double mse_b(const ln_loss_options *o, double x, double t, double pw) {
  (void)o, (void)pw;
  return 2 * (x - t);
}

const ln_loss_kind ln_loss_mse = {
  "MSELoss", {"reduction", NULL}, 0, NULL, mse_f, mse_b, NULL, NULL, NULL
};

/* L1Loss: |d|, gradient sign(d) (0 at d = 0, as torch.sign). */
static double l1_f(const ln_loss_options *o, double x, double t, double pw) {
  (void)o, (void)pw;
  return fabs(x - t);
}
static double l1_b(const ln_loss_options *o, double x, double t, double pw) {
  (void)o, (void)pw;
  return sign(x - t);
}

const ln_loss_kind ln_loss_l1 = {
  "L1Loss", {"reduction", NULL}, 0, NULL, l1_f, l1_b, NULL, NULL, NULL
};

/* SmoothL1Loss: 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta beyond;
 * beta = 0 is L1Loss (PyTorch dispatches to l1_loss there). */
static double sl1_f(const ln_loss_options *o, double x, double t, double pw) {
  (void)pw;
  double z = fabs(x - t), b = o->beta;
  if (b == 0) return z;
  return z < b ? 0.5 * z * z / b : z - 0.5 * b;
}
static double sl1_b(const ln_loss_options *o, double x, double t, double pw) {
  (void)pw;
  double d = x - t, b = o->beta;
  if (b == 0) return sign(d);
  return d <= -b ? -1 : d >= b ? 1 : d / b;
}

const ln_loss_kind ln_loss_smooth_l1 = {
  "SmoothL1Loss", {"reduction", "beta", NULL}, 0, NULL, sl1_f, sl1_b, NULL, NULL, NULL
};

/* HuberLoss: 0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) beyond. */
static double huber_f(const ln_loss_options *o, double x, double t, double pw) {
  (void)pw;
  double z = fabs(x - t), dl = o->delta;
  return z < dl ? 0.5 * z * z : dl * (z - 0.5 * dl);
}
static double huber_b(const ln_loss_options *o, double x, double t, double pw) {
  (void)pw;
  double d = x - t, dl = o->delta;
  return d <= -dl ? -dl : d >= dl ? dl : d;
}

const ln_loss_kind ln_loss_huber = {
  "HuberLoss", {"reduction", "delta", NULL}, 0, NULL, huber_f, huber_b, NULL, NULL, NULL
};

/* BCELoss: -(t log x + (1 - t) log(1 - x)) with each log clamped at -100,
 * so x = 0 or 1 gives a finite cost; the gradient (x - t) / max(x (1 - x),
 * 1e-12), PyTorch's EPSILON. */
static double bce_f(const ln_loss_options *o, double x, double t, double pw) {
  (void)o, (void)pw;
  double lx = fmax(log(x), -100), l1x = fmax(log1p(-x), -100);
  return (t - 1) * l1x - t * lx;
}
static double bce_b(const ln_loss_options *o, double x, double t, double pw) {
  (void)o, (void)pw;
  return (x - t) / fmax((1 - x) * x, 1e-12);
}

/* Probabilities only: a finite input outside [0, 1] is a mistake (logits
 * given to BCELoss); NaN passes, to surface as a NaN cost. */
static int bce_check(const float *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (x[i] < 0 || x[i] > 1)
      return ln_fail("BCELoss: input %g is outside [0, 1] (for logits use BCEWithLogitsLoss)",
                     (double)x[i]);
  return LN_OK;
}

const ln_loss_kind ln_loss_bce = {
  "BCELoss", {"reduction", NULL}, 0, bce_check, bce_f, bce_b, NULL, NULL, NULL
};

/* BCEWithLogitsLoss: (1 - t) x - lw log(sigmoid(x)), lw = 1 + (pw - 1) t,
 * with log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), which neither
 * overflows nor loses the small tail for large |x|. Gradient lw sigmoid(x)
 * - pw t. */
static double bcel_f(const ln_loss_options *o, double x, double t, double pw) {
  (void)o;
  double lw = 1 + (pw - 1) * t, logsig = fmin(x, 0) - log1p(exp(-fabs(x)));
  return (1 - t) * x - lw * logsig;
}
static double bcel_b(const ln_loss_options *o, double x, double t, double pw) {
  (void)o;
  double lw = 1 + (pw - 1) * t, e = exp(-fabs(x));
  double sig = x >= 0 ? 1 / (1 + e) : e / (1 + e);
  return lw * sig - pw * t;
}

const ln_loss_kind ln_loss_bce_logits = {
  "BCEWithLogitsLoss", {"reduction", "pos_weight", NULL}, 0, NULL, bcel_f, bcel_b, NULL, NULL, NULL
};
