"""End-to-end training: an MLP and a small CNN fit scikit-learn's digits, memory stays flat, seeds reproduce.

These are the tests that only pass when the whole stack is right together: layers, losses, autograd,
optimizers, the DataLoader and the device backends. Each runs on every test device.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

import autograd as A
import nn
import nn.functional as F

sklearn_datasets = pytest.importorskip("sklearn.datasets", reason="the digits data ships with scikit-learn")
model_selection = pytest.importorskip("sklearn.model_selection")

_DIGITS: dict = {}


def _digits(images: bool) -> tuple:
    """The bundled 8x8 digits in [0, 1], a fixed stratified 75/25 split (cached: loading costs ~0.1 s)."""
    if not _DIGITS:
        d = sklearn_datasets.load_digits()
        x = (d.data / 16.0).astype(np.float32)
        y = d.target.astype(np.int64)
        _DIGITS["split"] = model_selection.train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    xtr, xte, ytr, yte = _DIGITS["split"]
    if images:
        xtr, xte = xtr.reshape(-1, 1, 8, 8), xte.reshape(-1, 1, 8, 8)
    return xtr, xte, ytr, yte


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 10))


def _cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 10),
    )


def _train(
    make: Callable[[], nn.Module],
    images: bool,
    device: str,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int = 0,
) -> tuple[float, list[float]]:
    """Seed, build ``make()`` on ``device``, train with Adam (cosine LR) on shuffled minibatches;
    return (held-out accuracy, every step's loss)."""
    A.manual_seed(seed)
    xtr, xte, ytr, yte = _digits(images)
    model = make().to(device)
    opt = nn.optim.Adam(model.parameters(), lr=lr)
    sched = nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
    data = nn.data.DataLoader(nn.data.TensorDataset(A.tensor(xtr), A.tensor(ytr)), batch_size, shuffle=True)
    losses = []
    for _ in range(epochs):
        model.train()
        for xb, yb in data:
            loss = F.cross_entropy(model(xb.to(device)), yb.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        sched.step()
    model.eval()
    with A.no_grad():
        pred = model(A.tensor(xte, device=device)).argmax(1)
    acc = float((pred.cpu().numpy() == yte).mean())
    return acc, losses


def _epochs(device: str, cpu: int, standin: int) -> int:
    """The strict CUDA stand-in is slower than plain NumPy, so it gets fewer epochs (same 95% bar)."""
    return standin if device.startswith("cuda") and A.cuda.is_standin() else cpu


def test_mlp_fits_digits(device: str) -> None:
    acc, losses = _train(_mlp, False, device, _epochs(device, 10, 8), lr=1e-2, batch_size=64)
    assert acc > 0.95, f"MLP test accuracy {acc:.4f} on digits ({device}), expected > 0.95"
    assert np.mean(losses[-10:]) < 0.25 * np.mean(losses[:10]), "training loss did not fall"


def test_cnn_fits_digits(device: str) -> None:
    acc, losses = _train(_cnn, True, device, _epochs(device, 6, 4), lr=3e-3, batch_size=32)
    assert acc > 0.95, f"CNN test accuracy {acc:.4f} on digits ({device}), expected > 0.95"
    assert np.mean(losses[-10:]) < 0.25 * np.mean(losses[:10]), "training loss did not fall"


def test_untrained_models_are_at_chance(device: str) -> None:
    """The bar means something: the same models before training score near 10%."""
    for make, images in ((_mlp, False), (_cnn, True)):
        acc, _ = _train(make, images, device, epochs=0, lr=1e-3, batch_size=64)
        assert acc < 0.3, f"untrained {make.__name__} model already scores {acc:.3f}"


def test_seeded_runs_are_reproducible(device: str) -> None:
    """Same seed: identical losses step for step (init, shuffling and dropout all follow manual_seed)."""
    first = _train(_mlp, False, device, 1, lr=1e-2, batch_size=64, seed=123)
    A.randn(100), A.randn(100, device=device)  # consume random numbers: manual_seed must reset them all
    second = _train(_mlp, False, device, 1, lr=1e-2, batch_size=64, seed=123)
    other = _train(_mlp, False, device, 1, lr=1e-2, batch_size=64, seed=7)
    assert first[1] == second[1], "two runs with manual_seed(123) gave different losses"
    assert first[0] == second[0]
    assert first[1] != other[1], "a different seed gave the very same losses: the seed is not used"


def test_memory_stays_flat(device: str) -> None:
    """1000 training steps: live host memory (tracemalloc) at step 1000 is within a small margin of step 200.

    tracemalloc slows every allocation and the stand-in allocates far more than NumPy, so there the host
    window is steps 200 to 500; device memory (the CUDA pool's live bytes) is compared at 200 and 1000.
    """
    A.manual_seed(0)
    xtr, _, ytr, _ = _digits(False)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 10)).to(device)
    opt = nn.optim.Adam(model.parameters(), lr=1e-3)
    sched = nn.optim.lr_scheduler.StepLR(opt, step_size=100, gamma=0.9)
    data = nn.data.DataLoader(nn.data.TensorDataset(A.tensor(xtr), A.tensor(ytr)), 64, shuffle=True)
    on_device = device.startswith("cuda")
    host_end = 500 if on_device and A.cuda.is_standin() else 1000
    host, dev = {}, {}
    step = 0
    tracemalloc.start()
    try:
        while step < 1000:
            for xb, yb in data:
                loss = F.cross_entropy(model(xb.to(device)), yb.to(device))
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                loss.item()
                step += 1
                if step in (200, host_end, 1000):
                    del loss
                    gc.collect()
                    if tracemalloc.is_tracing():
                        host[step] = tracemalloc.get_traced_memory()[0]
                    if step == host_end:
                        tracemalloc.stop()
                    if on_device:
                        dev[step] = A.cuda.memory_allocated(device)
                if step == 1000:
                    break
    finally:
        tracemalloc.stop()
    grown = host[host_end] - host[200]
    # 40 bytes a step: far less than any leaked array (a NumPy array object alone is ~100 bytes)
    assert grown < 40 * (host_end - 200), (
        f"host memory grew by {grown} bytes from step 200 to {host_end}: {host}"
    )
    if on_device:
        assert dev[1000] <= dev[200], f"device memory grew from step 200 to 1000: {dev}"
        assert dev[200] > 0, "memory_allocated reports nothing: the device check would be vacuous"
