"""PyTorch side of the step benchmarks (scripts/bench/steps.lua is lunet's).

Prints one line per benchmark: `<name> <seconds per step>`. One thread.
usage: python3 torch_steps.py seed|gemm [steps]
"""
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(1)


def seed_net():
    layers = [torch.nn.BatchNorm1d(1, eps=1e-3, momentum=0.5)]
    width = 1
    for _ in range(7):
        layers += [torch.nn.Linear(width, 30), torch.nn.BatchNorm1d(30, eps=1e-3, momentum=0.5),
                   torch.nn.ReLU()]
        width = 30
    layers.append(torch.nn.Linear(30, 1))
    net = torch.nn.Sequential(*layers)
    x = torch.linspace(-7, 10, 500).view(500, 1)
    y = x * x - 5 + torch.randn(500, 1) * 8
    return net, x, y, torch.nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.001)


def gemm_net():
    sizes = [784, 1024, 1024, 1024]
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.BatchNorm1d(b), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(1024, 10))
    net = torch.nn.Sequential(*layers)
    x = torch.rand(256, 784)
    y = torch.randint(0, 10, (256,))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    return net, x, y, torch.nn.CrossEntropyLoss(), opt


def run(name, steps):
    net, x, y, loss_fn, opt = seed_net() if name == "seed" else gemm_net()

    def step():
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(max(3, steps // 10)):
        step()
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        best = min(best, (time.perf_counter() - t0) / steps)
    print(name, "%.9f" % best)


if __name__ == "__main__":
    run(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200)
