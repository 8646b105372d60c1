"""PyTorch side of the CNN step benchmark (cnn_step.lua is lunet's): the same
reference net, batch, loss and optimizer. Prints `cnn <threads> <seconds per
step> <seconds of the fastest step>` (best of 3 rounds, then the fastest single
step of those rounds).
usage: python3 cnn_step_torch.py [threads] [steps] [batch]"""
import sys
import time

import torch
from torch import nn

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 128
torch.set_num_threads(threads)
torch.manual_seed(1)

net = nn.Sequential(
    nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(3136, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.25),
    nn.Linear(128, 10))
x = torch.rand(batch, 1, 28, 28)
y = torch.arange(batch) % 10
loss_fn = nn.CrossEntropyLoss()
opt = torch.optim.Adam(net.parameters(), lr=1e-3)


def step():
    opt.zero_grad()
    loss = loss_fn(net(x), y)
    loss.backward()
    opt.step()


for _ in range(3):
    step()
best = one = float("inf")
for _ in range(3):
    t0 = time.perf_counter()
    for _ in range(steps):
        t1 = time.perf_counter()
        step()
        one = min(one, time.perf_counter() - t1)
    best = min(best, (time.perf_counter() - t0) / steps)
print("cnn", threads, "%.9f" % best, "%.9f" % one)
