"""PyTorch side of the elementwise and reduction benchmark (ew_bench.lua is
lunet's, and runs this one). One thread.

Prints one line per case: `<case> <shape> <seconds per call>`, shape being
`n` (1e6 contiguous elements) or `T` (a transposed 1024x1024 view).
usage: python3 torch_ew.py [case ...]
"""
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(1)

# The same cases, in the same order, as ew_bench.lua; a is randn, p is
# positive (log, sqrt), b is a second randn operand, m a mask. Comparisons give and
# masks are PyTorch's bool tensors (lunet's are 0/1 floats).
CASES = [
    ("abs", lambda a, p, b, m: a.abs()),
    ("neg", lambda a, p, b, m: a.neg()),
    ("exp", lambda a, p, b, m: a.exp()),
    ("log", lambda a, p, b, m: p.log()),
    ("log1p", lambda a, p, b, m: p.log1p()),
    ("sqrt", lambda a, p, b, m: p.sqrt()),
    ("rsqrt", lambda a, p, b, m: p.rsqrt()),
    ("sign", lambda a, p, b, m: a.sign()),
    ("floor", lambda a, p, b, m: a.floor()),
    ("ceil", lambda a, p, b, m: a.ceil()),
    ("round", lambda a, p, b, m: a.round()),
    ("sin", lambda a, p, b, m: a.sin()),
    ("cos", lambda a, p, b, m: a.cos()),
    ("tanh", lambda a, p, b, m: a.tanh()),
    ("sigmoid", lambda a, p, b, m: a.sigmoid()),
    ("relu", lambda a, p, b, m: a.relu()),
    ("clamp", lambda a, p, b, m: a.clamp(-1, 1)),
    ("isnan", lambda a, p, b, m: a.isnan()),
    ("abs_", lambda a, p, b, m: a.abs_()),
    ("neg_", lambda a, p, b, m: a.neg_()),
    ("clamp_", lambda a, p, b, m: a.clamp_(-3, 3)),
    ("add", lambda a, p, b, m: a + b),
    ("sub", lambda a, p, b, m: a - b),
    ("mul", lambda a, p, b, m: a * b),
    ("div", lambda a, p, b, m: a / p),
    ("add_number", lambda a, p, b, m: a + 2),
    ("mul_number", lambda a, p, b, m: a * 2),
    ("pow2", lambda a, p, b, m: a.pow(2)),
    ("pow_half", lambda a, p, b, m: p.pow(0.5)),
    ("pow_tensor", lambda a, p, b, m: p.pow(b)),
    ("maximum", lambda a, p, b, m: torch.maximum(a, b)),
    ("minimum", lambda a, p, b, m: torch.minimum(a, b)),
    ("eq", lambda a, p, b, m: a == b),
    ("lt", lambda a, p, b, m: a < b),
    ("add_", lambda a, p, b, m: a.add_(b)),
    ("mul_", lambda a, p, b, m: a.mul_(1.0)),
    ("where", lambda a, p, b, m: torch.where(m, a, b)),
    ("masked_fill", lambda a, p, b, m: a.masked_fill(m, 0.0)),
    ("clone", lambda a, p, b, m: a.clone()),
    ("contiguous", lambda a, p, b, m: a.contiguous()),
    ("fill", lambda a, p, b, m: a.fill_(1.5)),
    ("sum", lambda a, p, b, m: a.sum()),
    ("mean", lambda a, p, b, m: a.mean()),
    ("max", lambda a, p, b, m: a.max()),
    ("min", lambda a, p, b, m: a.min()),
    ("std", lambda a, p, b, m: a.std()),
]


def inputs(shape):
    """Fresh operands for a case: 1e6 contiguous, or transposed 1024x1024."""
    if shape == "n":
        make = lambda: torch.randn(1000000)
    else:
        make = lambda: torch.randn(1024, 1024).t()
    a, b = make(), make()
    p = make().abs_().add_(0.01)
    m = make() > 0  # bool, PyTorch's own mask type
    return a, p, b, m


def seconds(f, args):
    """Best time per call over 9 trials of k calls, k giving ~10 ms a trial."""
    f(*args)
    t0 = time.perf_counter()
    f(*args)
    once = max(time.perf_counter() - t0, 1e-6)
    k = max(3, int(0.01 / once))
    best = float("inf")
    for _ in range(9):
        t0 = time.perf_counter()
        for _ in range(k):
            f(*args)
        best = min(best, (time.perf_counter() - t0) / k)
    return best


def main():
    want = set(sys.argv[1:])
    for shape in ("n", "T"):
        for name, f in CASES:
            if want and name not in want:
                continue
            print(name, shape, "%.9f" % seconds(f, inputs(shape)), flush=True)


main()
