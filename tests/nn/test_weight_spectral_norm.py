"""nn.utils.weight_norm / spectral_norm (and their removal): values, gradients, buffers, state dicts."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import HAVE_TORCH

import autograd as A
import nn

if HAVE_TORCH:
    import torch

MODULES = {
    "linear": (lambda lib: lib.nn.Linear(4, 3) if lib is not nn else nn.Linear(4, 3), (5, 4)),
    "conv": (lambda lib: lib.nn.Conv2d(2, 3, 3) if lib is not nn else nn.Conv2d(2, 3, 3), (2, 2, 5, 5)),
    "convT": (
        lambda lib: lib.nn.ConvTranspose2d(2, 3, 3) if lib is not nn else nn.ConvTranspose2d(2, 3, 3),
        (2, 2, 4, 4),
    ),
}


def _ours(kind, device):
    A.manual_seed(0)
    return MODULES[kind][0](nn).double().to(device)


@pytest.mark.parametrize("kind", sorted(MODULES))
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_reparameterizes(device, kind, dim):
    m = _ours(kind, device)
    w0 = m.weight.detach().cpu().numpy()
    nn.utils.weight_norm(m, dim=dim)
    assert sorted(n for n, _ in m.named_parameters()) == ["bias", "weight_g", "weight_v"]
    np.testing.assert_allclose(m.weight.detach().cpu().numpy(), w0, rtol=1e-12)  # same function at the start
    axes = None if dim is None else tuple(i for i in range(w0.ndim) if i != dim)
    np.testing.assert_allclose(
        m.weight_g.detach().cpu().numpy(),
        np.sqrt((w0**2).sum(axis=axes, keepdims=axes is not None)),
        rtol=1e-12,
    )
    x = A.tensor(np.random.default_rng(0).standard_normal(MODULES[kind][1]), device=device)
    m(x).sum().backward()
    assert m.weight_g.grad is not None and m.weight_v.grad is not None
    with A.no_grad():
        m.weight_g.mul_(2)  # the next forward sees the new norms
    m(x)
    np.testing.assert_allclose(m.weight.detach().cpu().numpy(), 2 * w0, rtol=1e-12)
    nn.utils.remove_weight_norm(m)
    assert sorted(n for n, _ in m.named_parameters()) == ["bias", "weight"]
    np.testing.assert_allclose(m.weight.detach().cpu().numpy(), 2 * w0, rtol=1e-12)


@pytest.mark.parametrize("kind", sorted(MODULES))
def test_spectral_norm_bounds_the_largest_singular_value(device, kind):
    m = _ours(kind, device)
    nn.utils.spectral_norm(m, n_power_iterations=200)
    assert sorted(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    x = A.tensor(np.random.default_rng(0).standard_normal(MODULES[kind][1]), device=device)
    m(x)
    w = m.weight.detach().cpu().numpy()
    mat = np.moveaxis(w, 1 if kind == "convT" else 0, 0).reshape(w.shape[1 if kind == "convT" else 0], -1)
    assert abs(np.linalg.svd(mat, compute_uv=False)[0] - 1.0) < 1e-5
    u = m.weight_u.cpu().numpy().copy()
    m.eval()
    m(x)  # no power iteration in eval mode
    np.testing.assert_array_equal(m.weight_u.cpu().numpy(), u)
    nn.utils.remove_spectral_norm(m)
    assert sorted(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(m.weight.detach().cpu().numpy(), w, rtol=1e-9)


@pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is the reference")
@pytest.mark.parametrize("kind", sorted(MODULES))
def test_match_torch(device, kind):
    warnings.filterwarnings("ignore", category=FutureWarning)  # torch deprecates the hook-based weight_norm
    x = np.random.default_rng(0).standard_normal(MODULES[kind][1])
    for wrap_t, wrap_o in (
        (lambda m: torch.nn.utils.weight_norm(m, dim=1), lambda m: nn.utils.weight_norm(m, dim=1)),
        (lambda m: torch.nn.utils.spectral_norm(m, n_power_iterations=2), lambda m: nn.utils.spectral_norm(m, n_power_iterations=2)),
    ):  # fmt: skip
        tm = wrap_t(MODULES[kind][0](torch).double())
        om = wrap_o(_ours(kind, device))
        om.load_state_dict({k: A.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
        topt, oopt = torch.optim.SGD(tm.parameters(), lr=0.1), nn.optim.SGD(om.parameters(), lr=0.1)
        for _ in range(3):  # the power iteration's buffers move with each training step
            to, oo = tm(torch.tensor(x)), om(A.tensor(x, device=device))
            np.testing.assert_allclose(oo.detach().cpu().numpy(), to.detach().numpy(), rtol=1e-9, atol=1e-12)
            topt.zero_grad()
            oopt.zero_grad()
            (to**2).sum().backward()
            (oo**2).sum().backward()
            for (name, p), q in zip(om.named_parameters(), tm.parameters()):
                np.testing.assert_allclose(
                    p.grad.cpu().numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name
                )
            topt.step()
            oopt.step()


def test_errors(device):
    m = nn.Linear(3, 2).to(device)
    with pytest.raises(ValueError, match="weight_norm: Linear has no parameter 'kernel'"):
        nn.utils.weight_norm(m, name="kernel")
    nn.utils.weight_norm(m)
    with pytest.raises(RuntimeError, match="cannot register two weight_norm hooks"):
        nn.utils.weight_norm(m)
    with pytest.raises(
        ValueError, match="remove_spectral_norm: spectral_norm of 'weight' not found in Linear"
    ):
        nn.utils.remove_spectral_norm(m)
    with pytest.raises(ValueError, match="expected n_power_iterations to be non-negative"):
        nn.utils.spectral_norm(nn.Linear(3, 2), n_power_iterations=-1)
