"""Compare devices on your own model: time one training step per device, side by side.

    def build(device):                      # one step of your model on `device`
        model = MyNet().to(device)
        opt = nn.optim.Adam(model.parameters())
        x, y = X.to(device), Y.to(device)
        return nn.benchmark.train_step(model, opt, nn.functional.cross_entropy, x, y)

    print(nn.benchmark.format_table(nn.benchmark.compare_devices(build)))

GPU work is asynchronous, so every clock reading on a CUDA device comes after ``synchronize()``. Times are
wall-clock (what a device comparison is about); each device gets warm-up steps first (kernel compilation,
memory pools) and the best and the median of several timings are reported. On the strict CUDA stand-in
(no GPU, ``EMBERGRAD_CUDA_STANDIN=1``) the 'cuda' row is CPU work in disguise: it is flagged, never a GPU
timing.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

import autograd

__all__ = ["available_devices", "time_step", "compare_devices", "train_step", "format_table"]


def available_devices() -> list[str]:
    """'cpu', then every CUDA device autograd can use (real GPUs, or the stand-in's when it is on)."""
    out = ["cpu"]
    if autograd.cuda.is_available():
        out += [f"cuda:{i}" for i in range(autograd.cuda.device_count())]
    return out


def _device(d: Any) -> Any:
    dev = autograd.device(d) if not isinstance(d, autograd.device) else d
    if dev.type == "cuda" and not autograd.cuda.is_available():
        raise RuntimeError(
            f"benchmark: device {dev} is not available: {autograd.cuda.unavailable_reason()} "
            f"(available: {', '.join(available_devices())})"
        )
    return dev


def time_step(
    step: Callable[[], Any], device: Any = "cpu", steps: int = 10, warmup: int = 2, repeat: int = 5
) -> dict[str, Any]:
    """Time ``step()`` (one training step already placed on ``device``): ``repeat`` timings of ``steps`` calls
    each, after ``warmup`` calls; a CUDA device is synchronized before every clock reading."""
    if steps < 1 or repeat < 1 or warmup < 0:
        raise ValueError(
            f"time_step: steps and repeat must be >= 1 and warmup >= 0, got {steps}, {repeat}, {warmup}"
        )
    dev = _device(device)
    sync = (lambda: autograd.cuda.synchronize(dev)) if dev.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        step()
    sync()
    per_step = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        sync()
        per_step.append((time.perf_counter() - t0) / steps * 1e3)
    return {
        "device": str(dev),
        "best_ms": min(per_step),
        "median_ms": statistics.median(per_step),
        "steps": steps,
        "repeat": repeat,
        "standin": dev.type == "cuda" and autograd.cuda.is_standin(),
    }


def compare_devices(
    build: Callable[[Any], Callable[[], Any]],
    devices: Iterable[Any] | None = None,
    steps: int = 10,
    warmup: int = 2,
    repeat: int = 5,
) -> list[dict[str, Any]]:
    """``build(device)`` returns a zero-argument callable running one step of your model on ``device``; each
    device (default: all available) is timed with ``time_step``. Rows get ``speedup``: the first device's best
    time over this one's (above 1 means faster than the first)."""
    devs = [_device(d) for d in (available_devices() if devices is None else devices)]
    if not devs:
        raise ValueError("compare_devices: no devices to compare")
    rows = []
    for dev in devs:
        step = build(str(dev))
        if not callable(step):
            raise TypeError(
                f"compare_devices: build({str(dev)!r}) must return a zero-argument callable (one step), "
                f"got {type(step).__name__}"
            )
        rows.append(time_step(step, dev, steps, warmup, repeat))
    for r in rows:
        r["speedup"] = rows[0]["best_ms"] / r["best_ms"]
    return rows


def train_step(model: Any, optimizer: Any, loss_fn: Callable[..., Any], *batch: Any) -> Callable[[], float]:
    """The usual step as a callable: zero_grad, ``loss_fn(model(*inputs), target)``, backward, optimizer step.

    ``batch`` is the model's inputs followed by the target (already on the model's device)."""
    if len(batch) < 2:
        raise ValueError("train_step: pass the model's input(s) and then the target")
    *inputs, target = batch

    def step() -> Any:
        optimizer.zero_grad()
        loss = loss_fn(model(*inputs), target)
        loss.backward()
        optimizer.step()
        return loss

    return step


def format_table(rows: list[dict[str, Any]]) -> str:
    """The rows of ``compare_devices`` as a text table."""
    lines = [f"{'device':<10}{'best ms':>10}{'median ms':>11}{'speedup':>9}"]
    for r in rows:
        note = "  (CUDA stand-in on the CPU: not a GPU timing)" if r.get("standin") else ""
        lines.append(
            f"{r['device']:<10}{r['best_ms']:>10.3f}{r['median_ms']:>11.3f}{r.get('speedup', 1.0):>8.2f}x{note}"
        )
    return "\n".join(lines)
