"""Shared plumbing for the examples: command line, device check, the digits data, evaluation.

Each example imports this module (it sits next to them), so the scripts stay about the model and
the training loop. Data always ships with an installed package; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np

import autograd
import nn
import nn.functional as F


def parser(description: str, epochs: int, **extra: Any) -> argparse.ArgumentParser:
    """The common options (``--device``, ``--epochs``, ``--seed``, ``--batch-size``, ``--lr``)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    p.add_argument(
        "--epochs", type=int, default=epochs, help=f"passes over the training set (default: {epochs})"
    )
    p.add_argument("--seed", type=int, default=0, help="seed for autograd.manual_seed (default: 0)")
    for name, (typ, default, help_) in extra.items():
        if typ is bool:  # an on/off flag
            p.add_argument("--" + name.replace("_", "-"), action="store_true", help=help_)
            continue
        p.add_argument(
            "--" + name.replace("_", "-"), type=typ, default=default, help=f"{help_} (default: {default})"
        )
    return p


def run_cli(main: Any, description: str, epochs: int, **extra: Any) -> Any:
    """Parse the command line, then call ``main(**options)``; a missing device or dataset exits with its reason."""
    args = parser(description, epochs, **extra).parse_args()
    try:
        return main(**vars(args))
    except MissingResource as e:
        sys.exit(f"error: {e}")


class MissingResource(RuntimeError):
    """A device or dataset the example needs is not available here; the message says how to get it."""


def check_device(device: str) -> str:
    """``device`` if usable, else MissingResource saying why (e.g. no GPU, or CuPy missing)."""
    if str(device).startswith("cuda") and not autograd.cuda.is_available():
        raise MissingResource(
            f"--device {device}: CUDA is not available: {autograd.cuda.unavailable_reason()}. "
            "Use --device cpu, or set EMBERGRAD_CUDA_STANDIN=1 to run the CUDA code path on the CPU stand-in."
        )
    if not (device == "cpu" or str(device).startswith("cuda")):
        raise MissingResource(f"--device: expected 'cpu' or 'cuda', got {device!r}")
    return device


def digits(images: bool = False, test_size: float = 0.25, seed: int = 0) -> tuple:
    """scikit-learn's bundled 8x8 digits, scaled to [0, 1], as a stratified (Xtr, Xte, ytr, yte) split.

    ``images=True`` gives (N, 1, 8, 8) arrays instead of (N, 64).
    """
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as e:
        raise MissingResource(
            f"scikit-learn is needed for its bundled digits dataset ({e}); "
            "install it with `pip install 'embergrad[examples]'`"
        ) from e
    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    if images:
        x = x.reshape(-1, 1, 8, 8)
    y = d.target.astype(np.int64)
    return tuple(train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y))


def loader(x: np.ndarray, y: np.ndarray | None, batch_size: int, shuffle: bool = True) -> nn.data.DataLoader:
    """A DataLoader over CPU tensors built from numpy arrays (batches move to the device in the loop)."""
    tensors = [autograd.tensor(x)] + ([] if y is None else [autograd.tensor(y)])
    return nn.data.DataLoader(nn.data.TensorDataset(*tensors), batch_size=batch_size, shuffle=shuffle)


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray, device: str, batch_size: int = 512) -> float:
    """Fraction of ``x`` that ``model`` (in eval mode, no graph) classifies as ``y``."""
    was_training = model.training
    model.eval()
    correct = 0
    with autograd.no_grad():
        for i in range(0, len(x), batch_size):
            xb = autograd.tensor(x[i : i + batch_size]).to(device)
            yb = autograd.tensor(y[i : i + batch_size]).to(device)
            correct += int((model(xb).argmax(1) == yb).sum().item())
    model.train(was_training)
    return correct / len(x)


class Clock:
    """Seconds since creation, synchronizing CUDA first so GPU times are real."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.t0 = time.perf_counter()

    def __call__(self) -> float:
        if str(self.device).startswith("cuda"):
            autograd.cuda.synchronize()
        return time.perf_counter() - self.t0


def train_classifier(
    model: nn.Module,
    opt: Any,
    data: nn.data.DataLoader,
    xte: np.ndarray,
    yte: np.ndarray,
    device: str,
    epochs: int,
    sched: Any = None,
    sched_per_batch: bool = False,
    clip: float | None = None,
    verbose: bool = True,
    on_epoch: Any = None,
) -> float:
    """Cross-entropy training for ``epochs``, printing loss and test accuracy per epoch; returns the last accuracy.

    ``sched`` steps once per epoch, or after every optimizer step with ``sched_per_batch``; ``clip`` clips the grad norm;
    ``on_epoch(epoch)`` is called after each epoch's evaluation.
    """
    clock = Clock(device)
    acc = 0.0
    for epoch in range(epochs):
        model.train()
        total, seen = 0.0, 0
        for xb, yb in data:
            xb, yb = xb.to(device), yb.to(device)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            if sched is not None and sched_per_batch:
                sched.step()
            total += loss.item() * len(yb)
            seen += len(yb)
        if sched is not None and not sched_per_batch:
            sched.step()
        acc = accuracy(model, xte, yte, device)
        if verbose:
            print(
                f"epoch {epoch + 1:3d}/{epochs}  loss {total / seen:.4f}  test acc {acc:.4f}  {clock():6.2f}s"
            )
        if on_epoch is not None:
            on_epoch(epoch)
    return acc
