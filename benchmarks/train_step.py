"""Training-step speed, ours vs PyTorch: forward + backward + SGD update, single-threaded, in one process.

Cases: an MLP (784-512-256-10, batch 128), a LeNet-style CNN on 1x28x28 (batch 64) and an LSTM
(input 32, hidden 128, seq 32, batch 32, loss on the last hidden state). Both libraries start from the
same weights (the first losses are recorded and agree); ours and torch's steps are timed in interleaved
rounds (every other round in reverse order) and each number is the best of the repeats, in process CPU time
(the machine is shared and noisy: the ratio is what counts; wall-clock ratios are recorded too). The ratio
of those minima is the headline; ``paired`` is the median of the per-round ratios, which cancels changes of
machine load between rounds. The MLP case also times a hand-written NumPy step on the
same BLAS (columns numpy, np/torch, ours/np): the floor our engine could reach. ``--memory`` also runs ~2000 MLP steps and checks that
resident memory stays flat; ``--profile cnn`` shows where our step spends its time.
Writes benchmarks/results/train_step.json.

    .venv/bin/python benchmarks/train_step.py [--cases mlp,cnn,lstm] [--memory] [--profile cnn]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_v] = "1"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _results import write_json  # noqa: E402

TARGETS = {"mlp": 0.95, "cnn": 2.0, "lstm": 1.5}
LR = 0.01


class Skip(Exception):
    """A piece this case needs is missing (reported, not fatal)."""


def _need(mod, name: str, what: str):
    obj = getattr(mod, name, None)
    if obj is None:
        raise Skip(f"{what} is not available yet")
    return obj


# ---- our side ---------------------------------------------------------------------------------------------
def _our_loss(logits, target):
    import nn

    F = nn.functional
    if hasattr(F, "cross_entropy"):
        return F.cross_entropy(logits, target)
    # log-softmax/nll composite while F.cross_entropy is missing
    z = logits - logits.amax(1, keepdim=True).detach()
    logp = z - z.exp().sum(1, keepdim=True).log()
    return -logp.gather(1, target.reshape(-1, 1)).mean()


def _our_step_fn(model, params, loss_fn):
    import autograd
    import nn

    sgd = getattr(getattr(nn, "optim", None), "SGD", None)
    opt = sgd(params, lr=LR) if sgd is not None else None

    def step():
        if opt is not None:
            opt.zero_grad()
        else:
            for p in params:
                p.grad = None
        loss = loss_fn()
        loss.backward()
        if opt is not None:
            opt.step()
        else:  # plain SGD while nn.optim.SGD is missing
            with autograd.no_grad():
                for p in params:
                    p -= LR * p.grad
        return loss

    return step


def _copy_weights(ours, theirs) -> None:
    """Give our parameters torch's initial values (same model, same start)."""
    for p, t in zip(ours, theirs):
        src = t.detach().numpy()
        if tuple(p.shape) != tuple(src.shape):
            raise Skip(f"parameter shapes differ: ours {tuple(p.shape)} vs torch {tuple(src.shape)}")
        p._data[...] = p.backend.asarray(src)


# ---- the cases --------------------------------------------------------------------------------------------
def case_mlp(rng):
    import torch

    import autograd
    import nn

    x = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    Lin, Seq, ReLU = (
        _need(nn, "Linear", "nn.Linear"),
        _need(nn, "Sequential", "nn.Sequential"),
        _need(nn, "ReLU", "nn.ReLU"),
    )
    ours = Seq(Lin(784, 512), ReLU(), Lin(512, 256), ReLU(), Lin(256, 10))
    tm = torch.nn.Sequential(
        torch.nn.Linear(784, 512),
        torch.nn.ReLU(),
        torch.nn.Linear(512, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 10),
    )
    ostep, tstep = _pair(ours, tm, x, y, autograd, torch)
    return ostep, tstep, _numpy_mlp_step([t.detach().numpy().copy() for t in tm.parameters()], x, y)


def _numpy_mlp_step(params: list, x: np.ndarray, y: np.ndarray):
    """Hand-written NumPy MLP step (forward, backward, SGD), the floor our engine is measured against.

    Activations are kept transposed, (features, batch) C-contiguous, so every GEMM gets the operand layout
    OpenBLAS runs fastest here (``W @ x.T`` beats ``x @ W.T`` for the first layer); weight grads come out
    C-contiguous like the weights, and the update is one in-place scale and one in-place add per parameter.
    """
    w1, b1, w2, b2, w3, b3 = params
    c1, c2, c3 = b1[:, None], b2[:, None], b3[:, None]
    xt, n = x.T, x.shape[0]
    rows = np.arange(n)

    def step():
        z1 = w1 @ xt
        z1 += c1
        np.maximum(z1, 0, out=z1)
        z2 = w2 @ z1
        z2 += c2
        np.maximum(z2, 0, out=z2)
        z3 = w3 @ z2
        z3 += c3
        z3 -= z3.max(0)
        np.exp(z3, out=z3)
        s = z3.sum(0)
        loss = np.log(s).mean() - np.log(z3[y, rows]).mean()
        z3 *= (1.0 / n) / s  # softmax / n: the gradient of the mean loss ...
        z3[y, rows] -= 1.0 / n  # ... minus one_hot / n
        grads = [z3 @ z2.T, z3.sum(1)]
        g2 = w3.T @ z3
        g2 *= z2 > 0
        grads[:0] = [g2 @ z1.T, g2.sum(1)]
        g1 = w2.T @ g2
        g1 *= z1 > 0
        grads[:0] = [g1 @ x, g1.sum(1)]
        for p, g in zip(params, grads):
            g *= -LR
            p += g
        return loss

    return step


def case_cnn(rng):
    import torch

    import autograd
    import nn

    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    Seq = _need(nn, "Sequential", "nn.Sequential")
    Lin, ReLU, Flat = (
        _need(nn, "Linear", "nn.Linear"),
        _need(nn, "ReLU", "nn.ReLU"),
        _need(nn, "Flatten", "nn.Flatten"),
    )
    ours = Seq(
        nn.Conv2d(1, 6, 5), ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), ReLU(), nn.MaxPool2d(2),
        Flat(), Lin(256, 120), ReLU(), Lin(120, 84), ReLU(), Lin(84, 10),
    )  # fmt: skip
    T = torch.nn
    tm = T.Sequential(
        T.Conv2d(1, 6, 5), T.ReLU(), T.MaxPool2d(2),
        T.Conv2d(6, 16, 5), T.ReLU(), T.MaxPool2d(2),
        T.Flatten(), T.Linear(256, 120), T.ReLU(), T.Linear(120, 84), T.ReLU(), T.Linear(84, 10),
    )  # fmt: skip
    return _pair(ours, tm, x, y, autograd, torch)


def _pair(ours, tm, x, y, autograd, torch):
    params = list(ours.parameters())
    _copy_weights(params, list(tm.parameters()))
    ax, ay = autograd.tensor(x), autograd.tensor(y)
    tx, ty = torch.tensor(x), torch.tensor(y)
    ostep = _our_step_fn(ours, params, lambda: _our_loss(ours(ax), ay))
    topt = torch.optim.SGD(tm.parameters(), lr=LR)

    def tstep():
        topt.zero_grad()
        loss = torch.nn.functional.cross_entropy(tm(tx), ty)
        loss.backward()
        topt.step()
        return loss

    return ostep, tstep


def case_lstm(rng):
    import torch

    import autograd
    import nn

    seq, batch, inp, hid = 32, 32, 32, 128
    x = rng.standard_normal((seq, batch, inp)).astype(np.float32)
    target = rng.standard_normal((batch, hid)).astype(np.float32)
    ours = _need(nn, "LSTM", "nn.LSTM")(inp, hid)
    tm = torch.nn.LSTM(inp, hid)
    params = list(ours.parameters())
    _copy_weights(params, list(tm.parameters()))
    ax, at = autograd.tensor(x), autograd.tensor(target)
    tx, tt = torch.tensor(x), torch.tensor(target)

    def our_loss():
        _, (h, _) = ours(ax)
        d = h[-1] - at
        return (d * d).mean()

    ostep = _our_step_fn(ours, params, our_loss)
    topt = torch.optim.SGD(tm.parameters(), lr=LR)

    def tstep():
        topt.zero_grad()
        _, (h, _) = tm(tx)
        loss = ((h[-1] - tt) ** 2).mean()
        loss.backward()
        topt.step()
        return loss

    return ostep, tstep


CASES = {"mlp": case_mlp, "cnn": case_cnn, "lstm": case_lstm}


# ---- timing -------------------------------------------------------------------------------------------------
def _time(step, number: int) -> tuple[float, float]:
    """(CPU ms, wall ms) per step. CPU time is the headline: on a shared machine it does not count the
    time other processes hold the core (both libraries run single-threaded, so CPU time is their work)."""
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(number):
        step()
    return (time.process_time() - c0) / number * 1e3, (time.perf_counter() - w0) / number * 1e3


def bench(name: str, number: int, repeat: int) -> dict:
    rng = np.random.default_rng(0)
    try:
        ostep, tstep, *rest = CASES[name](rng)
        nstep = rest[0] if rest else None
        first = (float(ostep().item()), float(tstep().item()))  # warm-up; the first losses agree
        nfirst = float(nstep()) if nstep is not None else None
    except Skip as e:
        return {"case": name, "skipped": str(e)}
    except Exception as e:  # noqa: BLE001 - a broken piece of someone else's layer must not stop the table
        return {"case": name, "skipped": f"{type(e).__name__}: {e}"}
    ours, theirs, floor = [], [], []
    runs = [(ours, ostep), (theirs, tstep)] + ([(floor, nstep)] if nstep is not None else [])
    for i in range(repeat):  # interleaved, so all see the same machine load; every other round in reverse
        for times, step in runs if i % 2 == 0 else runs[::-1]:  # order, so none always runs first
            times.append(_time(step, number))
    o, t = min(c for c, _ in ours), min(c for c, _ in theirs)
    # the median of the per-round ratios: each pair ran back to back, so a change of machine load between
    # rounds cancels out (the ratio of the minima compares moments that may be far apart)
    paired = statistics.median(a / b for (a, _), (b, _) in zip(ours, theirs))
    ow, tw = min(w for _, w in ours), min(w for _, w in theirs)
    extra = {}
    if nstep is not None:  # the hand-written NumPy floor: what our engine could reach on the same BLAS
        n = min(c for c, _ in floor)
        extra = {
            "numpy_ms": n,
            "numpy_wall_ms": min(w for _, w in floor),
            "numpy_ratio": n / t,
            "ours_over_numpy": o / n,
            "first_loss_numpy": nfirst,
        }
    return {
        "case": name,
        "ours_ms": o,
        "torch_ms": t,
        "ratio": o / t,
        "paired_ratio": paired,
        "ours_wall_ms": ow,
        "torch_wall_ms": tw,
        "wall_ratio": ow / tw,
        "target": TARGETS[name],
        "meets_target": o / t <= TARGETS[name],
        "first_loss_ours": first[0],
        "first_loss_torch": first[1],
        **extra,
    }


def profile(name: str, steps: int = 30, top: int = 15) -> None:
    """Print where our training step spends its time (cProfile, by own time) for one case."""
    import cProfile
    import pstats

    ostep = CASES[name](np.random.default_rng(0))[0]
    for _ in range(3):
        ostep()
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    for _ in range(steps):
        ostep()
    prof.disable()
    print(f"\n--- {name}: our step, {steps} steps, by own CPU time ---")
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # not Linux: the peak is the best we have
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_check(steps: int, tolerance_mb: float = 8.0) -> dict:
    """Run MLP steps; resident memory after warm-up and at the end must stay within ``tolerance_mb``."""
    try:
        ostep = case_mlp(np.random.default_rng(0))[0]
    except Skip as e:
        return {"skipped": str(e)}
    warm = max(steps // 10, 50)
    tracemalloc.start()  # before the warm-up, so the live grads and buffers are in the baseline too
    for _ in range(warm):
        ostep()
    gc.collect()
    rss0 = _rss_mb()
    traced0 = tracemalloc.get_traced_memory()[0]
    for _ in range(steps - warm):
        ostep()
    gc.collect()
    rss1, traced1 = _rss_mb(), tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    growth = rss1 - rss0
    return {
        "steps": steps,
        "rss_after_warmup_mb": rss0,
        "rss_end_mb": rss1,
        "rss_growth_mb": growth,
        "traced_growth_mb": (traced1 - traced0) / 2**20,
        "flat": growth < tolerance_mb and (traced1 - traced0) / 2**20 < tolerance_mb,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="mlp,cnn,lstm", help="comma-separated subset of mlp,cnn,lstm")
    ap.add_argument("--number", type=int, default=5, help="steps per timing")
    ap.add_argument(
        "--repeat",
        type=int,
        default=40,
        help="timings per case (the best counts: more repeats, steadier minima)",
    )
    ap.add_argument("--memory", action="store_true", help="also check that RSS stays flat over MLP steps")
    ap.add_argument("--memory-steps", type=int, default=2000)
    ap.add_argument("--profile", default="", help="comma-separated cases to profile (our side) after timing")
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("train_step: PyTorch is not installed; nothing to compare against")
        return
    torch.set_num_threads(1)
    rows = [bench(c.strip(), args.number, args.repeat) for c in args.cases.split(",") if c.strip()]
    print(
        f"{'case':<6}{'ours ms':>10}{'torch ms':>10}{'ratio':>8}{'target':>8}  ok   (CPU time; wall ratio)"
        f"{'paired':>8}{'numpy ms':>10}{'np/torch':>9}{'ours/np':>8}"
    )
    for r in rows:
        if "skipped" in r:
            print(f"{r['case']:<6}  skipped: {r['skipped']}")
            continue
        ok = "yes" if r["meets_target"] else "NO"
        print(
            f"{r['case']:<6}{r['ours_ms']:>10.2f}{r['torch_ms']:>10.2f}{r['ratio']:>8.2f}{r['target']:>8.2f}  {ok:<4}"
            f" ({r['wall_ratio']:.2f}){'':>17}{r['paired_ratio']:>8.2f}"
            + (
                f"{r['numpy_ms']:>10.2f}{r['numpy_ratio']:>9.2f}{r['ours_over_numpy']:>8.2f}"
                if "numpy_ms" in r
                else ""
            )
        )
    out = {"threads": 1, "number": args.number, "repeat": args.repeat, "cases": rows}
    if args.memory:
        mem = memory_check(args.memory_steps)
        out["memory"] = mem
        if "skipped" in mem:
            print(f"memory: skipped: {mem['skipped']}")
        else:
            print(
                f"memory: {mem['steps']} MLP steps, RSS {mem['rss_after_warmup_mb']:.1f} -> {mem['rss_end_mb']:.1f} MB "
                f"(traced growth {mem['traced_growth_mb']:.2f} MB): {'flat' if mem['flat'] else 'GROWING'}"
            )
    for c in filter(None, (c.strip() for c in args.profile.split(","))):
        profile(c)
    write_json("train_step", out)


if __name__ == "__main__":
    main()
