"""nn.init: distributions (mean/std/bounds), fans and gains, structure (eye, dirac, orthogonal), in-place rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import HAVE_TORCH, to_numpy

import autograd as A
import nn
from nn import init


def _param(shape, device, dtype=A.float32):
    return nn.Parameter(A.empty(shape, device=device, dtype=dtype))


def test_in_place_no_graph_same_object(device):
    p = _param((30, 20), device)
    v = p._version
    for fn in (
        lambda t: init.uniform_(t, -1, 1),
        lambda t: init.normal_(t),
        init.xavier_uniform_,
        init.kaiming_normal_,
        init.orthogonal_,
        init.trunc_normal_,
        init.eye_,
        lambda t: init.constant_(t, 0.5),
    ):
        out = fn(p)
        assert out is p and p.grad_fn is None and p.requires_grad and p.is_leaf
    assert p._version > v
    assert p.device == A.device(device)


def test_uniform_and_normal_statistics(device):
    t = init.uniform_(_param((200, 200), device), -2.0, 3.0)
    x = to_numpy(t)
    assert x.min() >= -2.0 and x.max() < 3.0 and abs(x.mean() - 0.5) < 0.03
    assert abs(x.std() - 5 / math.sqrt(12)) < 0.02
    x = to_numpy(init.normal_(_param((200, 200), device), mean=1.5, std=0.3))
    assert abs(x.mean() - 1.5) < 0.005 and abs(x.std() - 0.3) < 0.005


def test_trunc_normal(device):
    x = to_numpy(init.trunc_normal_(_param((200, 200), device), mean=0.0, std=1.0, a=-1.0, b=1.5))
    assert x.min() >= -1.0 and x.max() <= 1.5
    # truncated N(0,1) on [-1, 1.5]: mean = (phi(-1) - phi(1.5)) / (Phi(1.5) - Phi(-1))
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    Phi = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))
    z = Phi(1.5) - Phi(-1)
    mean = (phi(-1) - phi(1.5)) / z
    var = 1 + (-1 * phi(-1) - 1.5 * phi(1.5)) / z - mean**2
    assert abs(x.mean() - mean) < 0.01 and abs(x.std() - math.sqrt(var)) < 0.01
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(_param((2, 2), device), a=1, b=0)


@pytest.mark.parametrize("shape", [(256, 128), (64, 32, 3, 3)])
def test_xavier(device, shape):
    fan_in = shape[1] * int(np.prod(shape[2:]))
    fan_out = shape[0] * int(np.prod(shape[2:]))
    std = 2.0 * math.sqrt(2.0 / (fan_in + fan_out))
    x = to_numpy(init.xavier_uniform_(_param(shape, device), gain=2.0))
    bound = math.sqrt(3) * std
    assert np.abs(x).max() <= bound and np.abs(x).max() > 0.98 * bound
    assert abs(x.std() - std) < 0.03 * std
    x = to_numpy(init.xavier_normal_(_param(shape, device), gain=2.0))
    assert abs(x.std() - std) < 0.03 * std and abs(x.mean()) < 0.05 * std


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity,a", [("relu", 0), ("leaky_relu", 0.2), ("tanh", 0)])
def test_kaiming(device, mode, nonlinearity, a):
    shape = (96, 48, 3, 3)
    fan = (48 if mode == "fan_in" else 96) * 9
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    x = to_numpy(init.kaiming_uniform_(_param(shape, device), a=a, mode=mode, nonlinearity=nonlinearity))
    assert np.abs(x).max() <= math.sqrt(3) * std and abs(x.std() - std) < 0.03 * std
    x = to_numpy(init.kaiming_normal_(_param(shape, device), a=a, mode=mode, nonlinearity=nonlinearity))
    assert abs(x.std() - std) < 0.03 * std and abs(x.mean()) < 0.05 * std


def test_gains_and_fans():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)
    assert init._calculate_fan_in_and_fan_out(A.empty(8, 4, 3, 3)) == (36, 72)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(A.empty(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(A.empty(3, 3), mode="fan_avg")
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(A.empty(0, 3))


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (8, 2, 3)])
def test_orthogonal(device, shape):
    t = init.orthogonal_(_param(shape, device), gain=1.5)
    q = to_numpy(t).reshape(shape[0], -1).astype(np.float64) / 1.5
    rows, cols = q.shape
    gram = q @ q.T if rows <= cols else q.T @ q
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-5)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(A.empty(3))


def test_orthogonal_is_random(device):
    a = to_numpy(init.orthogonal_(_param((5, 5), device)))
    b = to_numpy(init.orthogonal_(_param((5, 5), device)))
    assert not np.allclose(a, b)


def test_constant_eye_dirac_sparse(device):
    t = _param((3, 4), device)
    assert np.all(to_numpy(init.ones_(t)) == 1) and np.all(to_numpy(init.zeros_(t)) == 0)
    assert np.all(to_numpy(init.constant_(t, 2.5)) == 2.5)
    np.testing.assert_array_equal(to_numpy(init.eye_(t)), np.eye(3, 4))
    w = init.dirac_(_param((4, 2, 3, 3), device), groups=2)
    arr = to_numpy(w)
    want = np.zeros((4, 2, 3, 3))
    want[0, 0, 1, 1] = want[1, 1, 1, 1] = want[2, 0, 1, 1] = want[3, 1, 1, 1] = 1
    np.testing.assert_array_equal(arr, want)
    s = to_numpy(init.sparse_(_param((10, 6), device), sparsity=0.3))
    assert np.all((s == 0).sum(axis=0) >= 3)
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(A.empty(2, 2, 2))


def test_init_seeded(device):
    A.manual_seed(7)
    a = to_numpy(init.kaiming_uniform_(_param((4, 4), device)))
    A.manual_seed(7)
    b = to_numpy(init.kaiming_uniform_(_param((4, 4), device)))
    np.testing.assert_array_equal(a, b)


def test_float16_and_float64(device):
    for dt in (A.float16, A.float64):
        t = init.normal_(_param((100, 100), device, dt), std=2.0)
        assert t.dtype == dt and abs(to_numpy(t).astype(np.float64).std() - 2.0) < 0.05


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_bounds_match_torch():
    import torch

    for shape in [(7, 5), (6, 3, 2, 2)]:
        tt = torch.empty(shape)
        ours = A.empty(shape)
        assert init._calculate_fan_in_and_fan_out(ours) == torch.nn.init._calculate_fan_in_and_fan_out(tt)
        for nl in ("relu", "tanh", "leaky_relu", "selu", "linear"):
            assert init.calculate_gain(nl) == pytest.approx(torch.nn.init.calculate_gain(nl))
