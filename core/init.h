/* init.h: filling weights as torch.nn.init does, from an ln_rng.
 *
 * Fans follow torch.nn.init._calculate_fan_in_and_fan_out: for a weight of
 * shape (out, in, k...) fan_in = in * prod(k), fan_out = out * prod(k); so a
 * 2-D Linear weight (out, in) has fan_in = in, a 4-D conv weight
 * (out, in, kh, kw) has fan_in = in*kh*kw. Tensors of fewer than 2
 * dimensions have no fans (an error, as in PyTorch).
 *
 *   xavier:  std = gain * sqrt(2 / (fan_in + fan_out))
 *   kaiming: std = gain(nonlinearity, a) / sqrt(fan)    (fan_in by default)
 *   uniform variants draw from [-sqrt(3) std, sqrt(3) std). */
#ifndef LN_INIT_H
#define LN_INIT_H

#include "tensor.h"

int ln_init_normal(ln_tensor *t, ln_rng *r, double mean, double std);
int ln_init_uniform(ln_tensor *t, ln_rng *r, double a, double b);
int ln_init_constant(ln_tensor *t, double v);

int ln_init_fans(const ln_tensor *t, size_t *fan_in, size_t *fan_out);
/* torch.nn.init.calculate_gain: "linear", "conv2d", "sigmoid" -> 1,
 * "tanh" -> 5/3, "relu" -> sqrt(2), "leaky_relu" -> sqrt(2 / (1 + a^2)),
 * "selu" -> 3/4. Unknown names fail. */
int ln_init_gain(double *gain, const char *nonlinearity, double a);

int ln_init_xavier_uniform(ln_tensor *t, ln_rng *r, double gain);
int ln_init_xavier_normal(ln_tensor *t, ln_rng *r, double gain);
/* fan_out != 0 selects mode "fan_out". */
int ln_init_kaiming_uniform(ln_tensor *t, ln_rng *r, double a, const char *nonlinearity,
                            int fan_out);
int ln_init_kaiming_normal(ln_tensor *t, ln_rng *r, double a, const char *nonlinearity,
                           int fan_out);

#endif
