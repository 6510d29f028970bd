"""CPU vs GPU: one training step of each model on every available device, side by side (``nn.benchmark``).

Cases: the MLP (784-512-256-10, b128), the LeNet-style CNN (1x28x28, b64) and the LSTM (in 32, hidden 128,
seq 32, b32) of train_step.py, each with SGD; or your own model with ``--model package.module:build``, where
``build(device)`` returns a zero-argument callable running one step on that device (see nn/benchmark.py).
Wall-clock times, CUDA synchronized before every clock reading; speedup is relative to the first device.
Without a GPU only 'cpu' is timed; ``--standin`` adds the strict CUDA stand-in (a functional check of the
CUDA path, flagged in the table: its times are CPU work). Writes benchmarks/results/devices.json.

    .venv/bin/python benchmarks/devices.py [--cases mlp,cnn,lstm] [--devices cpu,cuda] [--model mod:build]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _results import write_json  # noqa: E402

import autograd  # noqa: E402
import nn  # noqa: E402


def _data(shape_x: tuple, n_classes: int | None, shape_y: tuple | None = None):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape_x).astype(np.float32)
    y = (
        rng.integers(0, n_classes, shape_x[0])
        if n_classes
        else rng.standard_normal(shape_y).astype(np.float32)
    )
    return x, y


def _builder(make_model, x, y, loss_fn, prep=None):
    def build(device):
        autograd.manual_seed(0)
        model = make_model().to(device)
        opt = nn.optim.SGD(model.parameters(), lr=0.01)
        xt, yt = autograd.tensor(x, device=device), autograd.tensor(y, device=device)
        forward = model if prep is None else (lambda inp: prep(model, inp))
        return nn.benchmark.train_step(forward, opt, loss_fn, xt, yt)

    return build


def case_mlp():
    x, y = _data((128, 784), 10)
    make = lambda: nn.Sequential(  # noqa: E731
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    return _builder(make, x, y, nn.functional.cross_entropy)


def case_cnn():
    x, y = _data((64, 1, 28, 28), 10)
    make = lambda: nn.Sequential(  # noqa: E731
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip
    return _builder(make, x, y, nn.functional.cross_entropy)


def case_lstm():
    x, y = _data((32, 32, 32), None, (32, 128))
    last_state = lambda model, inp: model(inp)[1][0][-1]  # noqa: E731  (h_n of the last layer)
    return _builder(lambda: nn.LSTM(32, 128), x, y, nn.functional.mse_loss, last_state)


CASES = {"mlp": case_mlp, "cnn": case_cnn, "lstm": case_lstm}


def _user_build(spec: str):
    mod, _, name = spec.partition(":")
    if not mod or not name:
        raise SystemExit(f"devices: --model wants package.module:function, got {spec!r}")
    build = getattr(importlib.import_module(mod), name, None)
    if not callable(build):
        raise SystemExit(f"devices: {spec!r} is not a function build(device) -> step")
    return build


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="mlp,cnn,lstm", help="comma-separated subset of mlp,cnn,lstm")
    ap.add_argument("--model", default="", help="your own model: package.module:build (replaces --cases)")
    ap.add_argument("--devices", default="", help="comma-separated devices (default: all available)")
    ap.add_argument("--standin", action="store_true", help="without a GPU, time the CUDA stand-in too")
    ap.add_argument("--steps", type=int, default=10, help="steps per timing")
    ap.add_argument("--repeat", type=int, default=5, help="timings per device (best and median reported)")
    args = ap.parse_args()
    if args.standin and not autograd.cuda.is_available():
        from backends import cuda

        cuda.use_standin(True)
    devices = [d.strip() for d in args.devices.split(",") if d.strip()] or None
    builds = (
        {args.model: _user_build(args.model)}
        if args.model
        else {c.strip(): CASES[c.strip()]() for c in args.cases.split(",") if c.strip()}
    )
    out = {"threads": 1, "cases": {}}
    for name, build in builds.items():
        rows = nn.benchmark.compare_devices(build, devices, steps=args.steps, repeat=args.repeat)
        print(f"== {name}")
        print(nn.benchmark.format_table(rows))
        out["cases"][name] = rows
    if not autograd.cuda.is_available():
        print(f"(no GPU here: {autograd.cuda.unavailable_reason()})")
    write_json("devices", out)


if __name__ == "__main__":
    main()
