"""nn.utils: gradient clipping and parameter vectors, vs torch.nn.utils and known values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import HAVE_TORCH, to_numpy

import autograd as A
import nn
from nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)

if HAVE_TORCH:
    import torch

SHAPES = [(3, 4), (5,), (2, 1, 3)]


def _params(device, lib="ours", with_none=True, scale=1.0):
    rng = np.random.default_rng(0)
    vals = [rng.normal(size=s) for s in SHAPES]
    grads = [rng.normal(size=s) * scale for s in SHAPES]
    if lib == "ours":
        ps = [nn.Parameter(A.tensor(v, dtype=A.float32, device=device)) for v in vals]
        for p, g in zip(ps, grads):
            p.grad = A.tensor(g, dtype=A.float32, device=device)
        extra = nn.Parameter(A.ones(2, device=device))
    else:
        ps = [torch.nn.Parameter(torch.tensor(v, dtype=torch.float32)) for v in vals]
        for p, g in zip(ps, grads):
            p.grad = torch.tensor(g, dtype=torch.float32)
        extra = torch.nn.Parameter(torch.ones(2))
    return ps + [extra] if with_none else ps


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0, 0.5, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, device):
    ours, ref = _params(device), _params(device, "torch")
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(ref, max_norm, norm_type=norm_type)
    assert isinstance(total, A.Tensor) and total.shape == () and total.device == A.device(device)
    np.testing.assert_allclose(to_numpy(total), t_total.numpy(), rtol=1e-5)
    for p, tp in zip(ours, ref):
        if tp.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(to_numpy(p.grad), tp.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("clip", [0.1, 0.7, 10.0])
def test_clip_grad_value_matches_torch(clip, device):
    ours, ref = _params(device), _params(device, "torch")
    assert clip_grad_value_(ours, clip) is None
    torch.nn.utils.clip_grad_value_(ref, clip)
    for p, tp in zip(ours, ref):
        if tp.grad is not None:
            np.testing.assert_array_equal(to_numpy(p.grad), tp.grad.numpy())


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_parameters_to_vector_matches_torch(device):
    ours, ref = _params(device, with_none=False), _params(device, "torch", with_none=False)
    v, tv = parameters_to_vector(ours), torch.nn.utils.parameters_to_vector(ref)
    np.testing.assert_array_equal(to_numpy(v), tv.detach().numpy())


def test_clip_grad_norm_known_values(device):
    p = nn.Parameter(A.zeros(2, device=device))
    q = nn.Parameter(A.zeros(1, device=device))
    p.grad = A.tensor([3.0, 0.0], device=device)
    q.grad = A.tensor([4.0], device=device)
    total = clip_grad_norm_([p, q], max_norm=1.0)
    assert float(total) == pytest.approx(5.0)
    coef = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(to_numpy(p.grad), [3 * coef, 0.0], rtol=1e-6)
    np.testing.assert_allclose(to_numpy(q.grad), [4 * coef], rtol=1e-6)
    # below the limit: unchanged; a single tensor is accepted
    p.grad = A.tensor([0.3, 0.4], device=device)
    assert float(clip_grad_norm_(p, max_norm=1.0)) == pytest.approx(0.5)
    np.testing.assert_allclose(to_numpy(p.grad), [0.3, 0.4], rtol=1e-6)
    # inf norm: the largest absolute entry
    p.grad = A.tensor([-7.0, 2.0], device=device)
    assert float(clip_grad_norm_(p, 3.5, norm_type=float("inf"))) == 7.0
    np.testing.assert_allclose(to_numpy(p.grad), [-3.5, 1.0], rtol=1e-6)
    # no gradients at all: norm 0
    assert float(clip_grad_norm_([nn.Parameter(A.ones(2, device=device))], 1.0)) == 0.0


def test_clip_grad_norm_nonfinite(device):
    p = nn.Parameter(A.zeros(2, device=device))
    p.grad = A.tensor([float("inf"), 1.0], device=device)
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert to_numpy(p.grad)[1] == 1.0  # the error leaves the grads alone
    total = clip_grad_norm_([p], 1.0, foreach=True)
    assert math.isinf(float(total))
    p.grad = A.tensor([float("nan"), 1.0], device=device)
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_get_total_norm_and_clip_with_norm(device):
    grads = [A.tensor([3.0], device=device), A.tensor([4.0, 12.0], device=device)]
    assert float(get_total_norm(grads)) == pytest.approx(13.0)
    assert float(get_total_norm(grads, norm_type=1)) == pytest.approx(19.0)
    p = nn.Parameter(A.zeros(2, device=device))
    p.grad = A.tensor([6.0, 8.0], device=device)
    clip_grads_with_norm_([p], 5.0, A.tensor(10.0, device=device))
    np.testing.assert_allclose(to_numpy(p.grad), [3.0, 4.0], rtol=1e-6)


def test_clip_grad_value_known_values(device):
    p = nn.Parameter(A.zeros(4, device=device))
    p.grad = A.tensor([-2.0, -0.5, 0.5, 3.0], device=device)
    v = p.grad._version
    clip_grad_value_([p, nn.Parameter(A.ones(1, device=device))], 1.0)
    assert to_numpy(p.grad).tolist() == [-1.0, -0.5, 0.5, 1.0]
    assert p.grad._version > v


def test_parameters_vector_round_trip(device):
    ps = [
        nn.Parameter(A.tensor(np.arange(6.0).reshape(2, 3), device=device)),
        nn.Parameter(A.ones(2, device=device)),
    ]
    v = parameters_to_vector(ps)
    assert v.shape == (8,) and to_numpy(v).tolist() == [0, 1, 2, 3, 4, 5, 1, 1]
    # differentiable, like torch.cat
    (v * A.arange(8.0, device=device)).sum().backward()
    assert to_numpy(ps[0].grad).tolist() == [[0, 1, 2], [3, 4, 5]] and to_numpy(ps[1].grad).tolist() == [6, 7]
    new = A.arange(10.0, 18.0, device=device)
    vector_to_parameters(new, ps)
    assert ps[0].shape == (2, 3) and to_numpy(ps[0]).tolist() == [[10, 11, 12], [13, 14, 15]]
    assert to_numpy(ps[1]).tolist() == [16, 17] and ps[1].requires_grad


def test_vector_to_parameters_errors(device):
    ps = [nn.Parameter(A.ones(2, 3, device=device)), nn.Parameter(A.ones(2, device=device))]
    with pytest.raises(
        ValueError, match=r"vec has 7 elements but the parameters hold 8 \(shapes \(2, 3\), \(2,\)\)"
    ):
        vector_to_parameters(A.zeros(7, device=device), ps)
    with pytest.raises(ValueError, match="vec has 9 elements"):
        vector_to_parameters(A.zeros(9, device=device), ps)
    with pytest.raises(TypeError, match="expected a Tensor"):
        vector_to_parameters([0.0] * 8, ps)
    with pytest.raises(ValueError, match="1-D"):
        vector_to_parameters(A.zeros(2, 4, device=device), ps)
