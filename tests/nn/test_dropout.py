"""Dropout family: inverted scaling, eval identity, channel masks, seeding, gradients, argument checks."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import to_numpy

import autograd as A
import nn
import nn.functional as F


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_statistics_and_scaling(device, p):
    x = A.ones(200, 100, device=device)
    y = to_numpy(F.dropout(x, p))
    kept = y != 0
    assert abs(1 - kept.mean() - p) < 0.02  # ~p of the elements are zeroed
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-6)  # the rest scaled by 1/(1-p)
    assert abs(y.mean() - 1) < 0.05  # so the expectation is kept


def test_dropout_gradient_is_the_mask(device):
    x = A.randn(50, 20, device=device, requires_grad=True)
    y = F.dropout(x, 0.3)
    y.sum().backward()
    mask = to_numpy(y) / to_numpy(x.detach())
    np.testing.assert_allclose(to_numpy(x.grad), mask, rtol=1e-5)
    vals = np.unique(to_numpy(x.grad))
    assert len(vals) == 2 and vals[0] == 0 and abs(vals[1] - 1 / 0.7) < 1e-6


def test_dropout_eval_and_edge_p(device):
    x = A.randn(10, 10, device=device)
    m = nn.Dropout(0.5).to(device)
    assert m.eval()(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert np.all(to_numpy(F.dropout(x, 1.0)) == 0)
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(-0.1)
    assert repr(nn.Dropout2d(0.25)) == "Dropout2d(p=0.25, inplace=False)"


def test_dropout_seeded(device):
    x = A.ones(30, 30, device=device)
    A.manual_seed(123)
    a = to_numpy(F.dropout(x, 0.5))
    b = to_numpy(F.dropout(x, 0.5))
    A.manual_seed(123)
    c = to_numpy(F.dropout(x, 0.5))
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)


def test_dropout_inplace(device):
    x = A.ones(20, 20, device=device)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and x._version == 1 and np.any(to_numpy(x) == 0)
    leaf = A.ones(4, 4, device=device, requires_grad=True)
    z = leaf * 1
    F.dropout(z, 0.5, inplace=True).sum().backward()
    np.testing.assert_allclose(to_numpy(leaf.grad), to_numpy(z.detach()))


@pytest.mark.parametrize(
    "fn,shape,mask_dims",
    [
        (F.dropout2d, (4, 6, 5, 5), 2),
        (F.dropout1d, (4, 6, 7), 2),
        (F.dropout1d, (6, 7), 1),
        (F.dropout3d, (2, 6, 3, 3, 3), 2),
        (F.dropout3d, (6, 3, 3, 3), 1),
    ],
)
def test_channel_dropout_zeroes_whole_channels(device, fn, shape, mask_dims):
    x = A.ones(*shape, device=device, requires_grad=True)
    y = to_numpy(fn(x, 0.5))
    flat = y.reshape(int(np.prod(shape[:mask_dims])), -1)
    per_channel = [set(np.unique(r)) for r in flat]
    assert all(s in ({0.0}, {2.0}) for s in per_channel)  # a channel is dropped or kept as a whole
    assert 0 < sum(s == {0.0} for s in per_channel) < len(per_channel)


def test_dropout2d_module_and_3d_input(device):
    m = nn.Dropout2d(0.5).to(device)
    x = A.ones(3, 4, 5, device=device)
    with pytest.warns(UserWarning, match="3D input"):
        y = to_numpy(m(x))
    assert all(len(np.unique(y[i, j])) == 1 for i in range(3) for j in range(4))  # taken as (N, C, L)
    with pytest.warns(UserWarning, match="3D input"):  # PyTorch warns in eval mode too
        assert m.eval()(x) is x
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        F.dropout1d(A.ones(2, 3, 4, 5, device=device))


def test_alpha_dropout_keeps_mean_and_variance(device):
    x = A.randn(400, 250, device=device)
    y = to_numpy(nn.AlphaDropout(0.2).to(device)(x))
    assert abs(y.mean()) < 0.03 and abs(y.std() - 1) < 0.03
    assert nn.AlphaDropout(0.2).eval()(x) is x
    assert F.alpha_dropout(x, 0.2) is x  # its functional form defaults to training=False, as in PyTorch
