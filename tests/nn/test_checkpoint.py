"""nn.utils.checkpoint: recomputation in backward gives the same gradients, dropout masks replayed."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as A
import nn
from nn.utils.checkpoint import checkpoint, checkpoint_sequential

F = nn.functional


def _model(device):
    A.manual_seed(0)
    return (
        nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 2))
        .double()
        .to(device)
    )


def _grads(m, x):
    return [p.grad.cpu().numpy().copy() for p in m.parameters()] + [x.grad.cpu().numpy().copy()]


def test_same_gradients_as_without_checkpoint(device):
    m = _model(device)
    xn = np.random.default_rng(0).standard_normal((5, 4))
    x = A.tensor(xn, dtype=A.float64, device=device, requires_grad=True)
    (m(x) ** 2).sum().backward()
    want = _grads(m, x)
    for p in m.parameters():
        p.grad = None
    x = A.tensor(xn, dtype=A.float64, device=device, requires_grad=True)
    out = checkpoint(m, x)
    assert out.requires_grad and out.grad_fn is not None
    (out**2).sum().backward()
    for a, b in zip(_grads(m, x), want):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    x = A.tensor(xn, dtype=A.float64, device=device, requires_grad=True)
    for p in m.parameters():
        p.grad = None
    (checkpoint_sequential(m, 2, x) ** 2).sum().backward()
    for a, b in zip(_grads(m, x), want):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_dropout_mask_is_replayed(device):
    w = A.tensor(1.5, dtype=A.float64, device=device, requires_grad=True)
    x = A.tensor(
        np.random.default_rng(1).standard_normal(200), dtype=A.float64, device=device, requires_grad=True
    )
    out = checkpoint(lambda t, scale: F.dropout(t, 0.5, training=True) * w * scale, x, 2.0)
    out.sum().backward()
    o = out.detach().cpu().numpy()
    assert 50 < (o == 0).sum() < 150  # dropout did drop
    np.testing.assert_allclose(
        w.grad.item(), o.sum() / 1.5, rtol=1e-12
    )  # the recomputation used the same mask
    np.testing.assert_allclose(x.grad.cpu().numpy(), (o != 0) * 2 * 1.5 * 2.0, rtol=1e-12)


def test_passthrough_and_errors(device):
    m = _model(device)
    x = A.randn(2, 4, dtype=A.float64, device=device)
    with A.no_grad():
        assert checkpoint(m, x).grad_fn is None
    with pytest.raises(TypeError, match="checkpoint: expected a callable first"):
        checkpoint(3, x)
    with pytest.raises(ValueError, match="segments must be >= 1"):
        checkpoint_sequential(m, 0, x)
