"""Per-op engine overhead: forward + backward of small (4x4) tensors, ours vs PyTorch in one process.

A chain of 32 mixed ops (add, mul, sub, div, tanh, sigmoid, matmul, relu) is run forward, summed and
differentiated; the time per op is the chain's time divided by 32. Single-threaded; the ratio is
what counts (the machine is shared and noisy, so the engines are timed alternately, in process CPU time,
and each number is the best of the repeats).
Writes benchmarks/results/overhead.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _results import write_json  # noqa: E402

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


def bench_ours(device: str) -> Callable[[], None]:
    import autograd as A

    x = A.tensor(np.random.rand(4, 4).astype(np.float32), device=device, requires_grad=True)
    w = A.tensor(np.random.rand(4, 4).astype(np.float32), device=device, requires_grad=True)

    def step():
        chain(x, w, A.matmul).sum().backward()
        x.grad = w.grad = None

    return step


def bench_numpy_floor() -> Callable[[], object]:
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

    return step


def bench_torch() -> Callable[[], None] | None:
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

    return step


def _per_op_us(step: Callable[[], object], number: int) -> float:
    """Process CPU time per op of ``number`` steps (CPU time leaves out the time other processes hold the
    core on a shared machine; everything here runs single-threaded)."""
    c0 = time.process_time()
    for _ in range(number):
        step()
    return (time.process_time() - c0) / number / N_OPS * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--number", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=11)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    steps = {"ours": bench_ours(args.device), "torch": bench_torch(), "floor": bench_numpy_floor()}
    steps = {k: f for k, f in steps.items() if f is not None}
    for f in steps.values():  # warm-up
        f()
    best = dict.fromkeys(steps, float("inf"))
    for _ in range(args.repeat):  # alternate, so every column sees the same machine load; the best counts
        for k, f in steps.items():
            best[k] = min(best[k], _per_op_us(f, args.number))
    ours, torch_us, floor = best["ours"], best.get("torch"), best["floor"]
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
    write_json("overhead", out)


if __name__ == "__main__":
    main()
