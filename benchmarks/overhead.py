"""Per-op engine overhead: forward + backward of small (4x4) tensors, ours vs PyTorch in one process.

A chain of 32 mixed ops (add, mul, sub, div, tanh, sigmoid, matmul, relu) is run forward, summed and
differentiated; the time per op is the chain's time divided by 32. Single-threaded; the ratio is
what counts (the machine is shared and noisy, so each number is the best of several repeats).
Writes benchmarks/results/overhead.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import timeit

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

N_OPS = 32


def chain(h, w, lib_matmul):
    for _ in range(N_OPS // 8):
        h = h + w
        h = h * w
        h = h - w
        h = h / (w * w + 1)
        h = h.tanh()
        h = h.sigmoid()
        h = lib_matmul(h, w)
        h = h.relu()
    return h


def bench_ours(device: str, number: int, repeat: int) -> float:
    import autograd as A

    x = A.tensor(np.random.rand(4, 4).astype(np.float32), device=device, requires_grad=True)
    w = A.tensor(np.random.rand(4, 4).astype(np.float32), device=device, requires_grad=True)

    def step():
        chain(x, w, A.matmul).sum().backward()
        x.grad = w.grad = None

    step()
    return min(timeit.repeat(step, number=number, repeat=repeat)) / number / N_OPS * 1e6


def bench_numpy_floor(number: int, repeat: int) -> float:
    """The raw NumPy work of the same chain (forward only): the floor no engine can beat."""
    x = np.random.rand(4, 4).astype(np.float32)
    w = np.random.rand(4, 4).astype(np.float32)

    def step():
        h = x
        for _ in range(N_OPS // 8):
            h = h + w
            h = h * w
            h = h - w
            h = h / (w * w + 1)
            h = np.tanh(h)
            h = 1 / (1 + np.exp(-h))
            h = h @ w
            h = np.maximum(h, 0)
        return h.sum()

    return min(timeit.repeat(step, number=number, repeat=repeat)) / number / N_OPS * 1e6


def bench_torch(number: int, repeat: int) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    x = torch.rand(4, 4, requires_grad=True)
    w = torch.rand(4, 4, requires_grad=True)

    def step():
        chain(x, w, torch.matmul).sum().backward()
        x.grad = w.grad = None

    step()
    return min(timeit.repeat(step, number=number, repeat=repeat)) / number / N_OPS * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--number", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    ours = bench_ours(args.device, args.number, args.repeat)
    torch_us = bench_torch(args.number, args.repeat)
    floor = bench_numpy_floor(args.number, args.repeat)
    print(f"{'engine':<22}{'us/op (fwd+bwd)':>18}{'ratio to torch':>16}")
    print(
        f"{'embergrad (' + args.device + ')':<22}{ours:>18.2f}{(ours / torch_us if torch_us else float('nan')):>16.2f}"
    )
    if torch_us:
        print(f"{'torch (cpu)':<22}{torch_us:>18.2f}{1.0:>16.2f}")
    print(f"{'numpy fwd only':<22}{floor:>18.2f}{(floor / torch_us if torch_us else float('nan')):>16.2f}")
    out = {
        "ours_us_per_op": ours,
        "torch_us_per_op": torch_us,
        "numpy_forward_us_per_op": floor,
        "ratio": ours / torch_us if torch_us else None,
        "device": args.device,
        "ops_in_chain": N_OPS,
    }
    os.makedirs(os.path.join(os.path.dirname(__file__), "results"), exist_ok=True)
    with open(os.path.join(os.path.dirname(__file__), "results", "overhead.json"), "w") as f:
        json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
