"""PyTorch side of the tensor operation benchmark (tensor_ops.lua is
lunet's). Prints one line per operation: `<name> <seconds per call>`, the
best of 20 timed trials of a few milliseconds each, on one thread.

usage: python3 scripts/bench/torch_tensor_ops.py
"""
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(1)

v1, v2 = torch.randn(1000000), torch.randn(1000000)
a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
row = torch.randn(1024)

OPS = [
    ("add 1e6", 15, lambda: v1 + v2),
    ("mul 1e6", 15, lambda: v1 * v2),
    # a temporary and a result: two fresh 4 MB blocks freed together
    ("(a + b) * a 1e6", 10, lambda: (v1 + v2) * v1),
    ("exp 1e6", 5, lambda: v1.exp()),
    ("add row 1024x1024", 15, lambda: a + row),
    # .item(): lunet's all-element reductions return a Lua number.
    ("sum 1e6", 30, lambda: v1.sum().item()),
    ("mean dim 1 1024x1024", 15, lambda: a.mean(0)),
    ("mean dim 2 1024x1024", 15, lambda: a.mean(1)),
    ("max 1e6", 30, lambda: v1.max().item()),
    ("max dim 2 1024x1024", 10, lambda: a.max(1)),
    ("logsumexp dim 2 1024x1024", 5, lambda: a.logsumexp(1)),
    ("mm 1024", 1, lambda: a @ b),
    ("mm transposed 1024", 1, lambda: a.t() @ b),
]

for name, n, f in OPS:
    f()
    best = float("inf")
    for _ in range(20):
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        best = min(best, (time.perf_counter() - t0) / n)
    print(name.replace(" ", "_"), best)
