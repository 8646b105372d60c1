"""PyTorch side of the Fashion-MNIST benchmark (scripts/fashion_mnist.lua is lunet's).

The same network (784-256-128-10, BatchNorm1d + ReLU, or no BN), Adam, batch
size, shuffled mini-batches and epochs; one thread unless --threads says
otherwise. Prints one line per epoch with its training time and test accuracy
and a last line `test accuracy: 0.xxxx`, in the format of the lunet script.

usage: python3 fashion_mnist_torch.py [--epochs 10] [--batch-size 128] [--lr 0.001]
         [--schedule cosine|none] [--seed 1] [--no-bn] [--threads 1] [--limit N] [--data DIR]
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch


def read_idx(path, limit=0):
    with gzip.open(path, "rb") as f:   # gzip.open reads only gzip; the package ships .gz
        data = f.read()
    ndim = data[3]
    dims = np.frombuffer(data, ">u4", ndim, 4).astype(np.int64)
    values = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)
    return values[:limit] if limit else values


def load(directory, limit):
    def images(name, lim):
        x = read_idx(os.path.join(directory, name), lim)
        return torch.from_numpy(x.reshape(len(x), -1).astype(np.float32) / 255)

    def labels(name, lim):
        return torch.from_numpy(read_idx(os.path.join(directory, name), lim).astype(np.int64))

    return (images("train-images-idx3-ubyte.gz", limit),
            labels("train-labels-idx1-ubyte.gz", limit),
            images("t10k-images-idx3-ubyte.gz", 0), labels("t10k-labels-idx1-ubyte.gz", 0))


def mlp(bn):
    layers, width = [], 784
    for n in (256, 128):
        layers.append(torch.nn.Linear(width, n))
        if bn:
            layers.append(torch.nn.BatchNorm1d(n))
        layers.append(torch.nn.ReLU())
        width = n
    layers.append(torch.nn.Linear(width, 10))
    return torch.nn.Sequential(*layers)


def evaluate(net, x, y):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            correct += (net(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
    return correct / len(x)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--schedule", choices=("cosine", "none"), default="cosine")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-bn", action="store_true")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    train_x, train_y, test_x, test_y = load(a.data, a.limit)
    net = mlp(not a.no_bn)
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, a.epochs) \
        if a.schedule == "cosine" else None
    n = len(train_x)
    print(f"Fashion-MNIST: {n} training, {len(test_x)} test examples; MLP 784-256-128-10 "
          f"{'without' if a.no_bn else 'with'} BN, Adam lr {a.lr:g} ({a.schedule}), "
          f"batch {a.batch_size}, PyTorch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s)")
    test_acc = 0.0
    for epoch in range(1, a.epochs + 1):
        net.train()
        start = time.perf_counter()
        perm = torch.randperm(n)
        loss_sum, correct = 0.0, 0
        for i in range(0, n, a.batch_size):
            idx = perm[i:i + a.batch_size]
            bx, by = train_x[idx], train_y[idx]
            logits = net(bx)
            loss = loss_fn(logits, by)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(by)
            correct += (logits.argmax(1) == by).sum().item()
        elapsed = time.perf_counter() - start
        if sched:
            sched.step()
        test_acc = evaluate(net, test_x, test_y)
        print(f"epoch {epoch}/{a.epochs}  loss {loss_sum / n:.4f}  train acc {correct / n:.4f}  "
              f"test acc {test_acc:.4f}  time {elapsed:.2f} s", flush=True)
    print(f"test accuracy: {test_acc:.4f}")


if __name__ == "__main__":
    main()
