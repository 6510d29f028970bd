"""Whole training runs on 'cuda' (the stand-in, or a GPU) match the same run on the CPU, and leak no memory."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from devices import device_params

import autograd as A
import nn


@pytest.fixture
def cuda() -> str:
    if "cuda" not in device_params():
        pytest.skip("EMBERGRAD_TEST_DEVICES leaves 'cuda' out")
    return "cuda"


def _cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, stride=2),
        nn.GELU(),
        nn.Flatten(),
        nn.Dropout(0.0),
        nn.Linear(6, 5),
    )


def _mlp() -> nn.Module:
    return nn.Sequential(
        nn.Linear(6, 16), nn.Tanh(), nn.LayerNorm(16), nn.Linear(16, 16), nn.Sigmoid(), nn.Linear(16, 5)
    )


def _data(model: str, n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 1, 8, 8) if model == "cnn" else (n, 6)).astype(np.float32)
    return x, rng.integers(0, 5, size=n)


def train(
    device: str, model: str, opt: str, steps: int, state: dict | None = None
) -> tuple[list, dict, nn.Module]:
    """``steps`` optimizer steps from the same initial weights; returns losses, final weights, the model."""
    A.manual_seed(0)
    m = _cnn() if model == "cnn" else _mlp()
    if state is not None:
        m.load_state_dict(state)
    init = {k: v.detach().cpu().numpy().copy() for k, v in m.state_dict().items()}
    m.to(device)
    if opt == "sgd":
        o = nn.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
    else:
        o = nn.optim.AdamW(m.parameters(), lr=1e-2, weight_decay=1e-2, amsgrad=True)
    xh, yh = _data(model)
    x, y = A.tensor(xh, device=device), A.tensor(yh, device=device)
    losses = []
    for _ in range(steps):
        o.zero_grad()
        loss = nn.functional.cross_entropy(m(x), y, label_smoothing=0.05)
        loss.backward()
        o.step()
        losses.append(loss.item())
    final = {k: v.detach().cpu().numpy() for k, v in m.state_dict().items()}
    return losses, {"init": init, "final": final}, m


@pytest.mark.parametrize("model,opt", [("mlp", "adam"), ("cnn", "sgd")])
def test_training_matches_cpu(cuda, model, opt):
    losses_c, w_c, _ = train("cpu", model, opt, 12)
    losses_g, w_g, m = train(cuda, model, opt, 12, state=None)
    for k in w_c["init"]:
        np.testing.assert_array_equal(
            w_c["init"][k], w_g["init"][k], err_msg=f"init {k}"
        )  # same seed, same init
    assert losses_c[-1] < losses_c[0] * 0.8, losses_c  # it learns
    np.testing.assert_allclose(losses_g, losses_c, rtol=2e-4, atol=2e-5, err_msg="losses")
    for k, v in w_c["final"].items():
        np.testing.assert_allclose(w_g["final"][k], v, rtol=1e-3, atol=1e-4, err_msg=k)
    assert all(p.device == "cuda:0" for p in m.parameters())


def test_memory_pool_stays_flat(cuda):
    """After warm-up, every step frees what it allocated: memory_allocated is the same after each step."""
    A.manual_seed(0)
    m = _cnn().to(cuda)
    o = nn.optim.Adam(m.parameters(), lr=1e-3)
    xh, yh = _data("cnn", 8)
    x, y = A.tensor(xh, device=cuda), A.tensor(yh, device=cuda)
    gc.collect()
    used = []
    for _ in range(25):
        o.zero_grad()
        nn.functional.cross_entropy(m(x), y).backward()
        o.step()
        used.append(A.cuda.memory_allocated())
    assert used[-1] > 0
    assert len(set(used[3:])) == 1, f"memory grows or drifts across steps: {used}"
    A.cuda.reset_peak_memory_stats()
    o.zero_grad(set_to_none=True)
    nn.functional.cross_entropy(m(x), y).backward()
    assert A.cuda.max_memory_allocated() >= A.cuda.memory_allocated()
