#!/usr/bin/python3
"""PyTorch's side of scripts/bench/conv_bench.c: the same shapes (convolutions
and the reference net's max pooling) and timing.

usage: /usr/bin/python3 scripts/bench/torch_conv.py THREADS [SHAPE...]
Prints lines "<shape> <threads> torch <forward ms> <backward ms> <backward-weight
ms>": the fastest over repetitions filling at least 0.5 s, after two warm-up
passes. Forward runs under no_grad (lunet's forward records nothing either);
backward is one autograd pass of a retained graph: input (unless it is a net's
first layer), weight and bias gradients; backward-weight the weight and bias
gradients alone ("-" for pooling).
"""
import sys
import time

import torch

MIN_SECONDS, MAX_REPS = 0.5, 200

# name: (batch, in, hw, out, k, pad, groups, input gradient)
SHAPES = {
    "ref_conv1": (128, 1, 28, 32, 3, 1, 1, False),
    "ref_conv2": (128, 32, 14, 64, 3, 1, 1, True),
    "3x3_64x56x56": (32, 64, 56, 64, 3, 1, 1, True),
    "1x1_256x14x14": (32, 256, 14, 256, 1, 0, 1, True),
    "dw3x3_128x28x28": (32, 128, 28, 128, 3, 1, 128, True),
}


def fastest_ms(fn):
    fn()
    fn()
    times, start = [], time.perf_counter()
    while len(times) < MAX_REPS and (len(times) < 3 or time.perf_counter() - start < MIN_SECONDS):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[0]


# name: (batch, channels, hw) of a 2x2 max pooling with indices
POOLS = {"maxpool_ref1": (128, 32, 28), "maxpool_ref2": (128, 64, 14)}


def run_pool(name, threads):
    n, c, hw = POOLS[name]
    x = (torch.rand(n, c, hw, hw) * 2 - 1).requires_grad_(True)
    with torch.no_grad():
        fwd = fastest_ms(lambda: torch.nn.functional.max_pool2d(x, 2, return_indices=True))
    y = torch.nn.functional.max_pool2d(x, 2)
    dy = torch.rand_like(y)
    bwd = fastest_ms(lambda: torch.autograd.grad(y, [x], dy, retain_graph=True))
    print(f"{name} {threads} torch {fwd:.3f} {bwd:.3f} -", flush=True)


def run(name, threads):
    if name in POOLS:
        run_pool(name, threads)
        return
    n, c, hw, oc, k, pad, groups, dinp = SHAPES[name]
    conv = torch.nn.Conv2d(c, oc, k, padding=pad, groups=groups)
    x = torch.rand(n, c, hw, hw) * 2 - 1
    x.requires_grad_(dinp)
    with torch.no_grad():
        fwd = fastest_ms(lambda: conv(x))
    y = conv(x)
    dy = torch.rand_like(y) * 2 - 1
    wrt = ([x] if dinp else []) + [conv.weight, conv.bias]
    bwd = fastest_ms(lambda: torch.autograd.grad(y, wrt, dy, retain_graph=True))
    bw = fastest_ms(lambda: torch.autograd.grad(y, wrt[-2:], dy, retain_graph=True))
    print(f"{name} {threads} torch {fwd:.3f} {bwd:.3f} {bw:.3f}", flush=True)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    torch.set_num_threads(threads)
    for name in sys.argv[2:] or list(SHAPES) + list(POOLS):
        run(name, threads)


if __name__ == "__main__":
    main()
