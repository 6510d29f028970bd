"""MaxUnpool1d/2d and LPPool1d/2d against PyTorch: values, gradients, gradchecks, output_size rules, errors."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH, check_op, to_numpy

import autograd as A
import nn
import nn.functional as F

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="needs PyTorch as the reference")

if HAVE_TORCH:
    import torch
    import torch.nn.functional as TF


UNPOOL = [  # (nd, pool kwargs, input shape, output_size)
    (2, {"kernel_size": 2}, (2, 3, 4, 6), None),
    (2, {"kernel_size": 3, "stride": 2, "padding": 1}, (1, 2, 5, 5), None),
    (2, {"kernel_size": 3, "stride": 2, "padding": 1}, (1, 2, 6, 5), (6, 5)),
    (2, {"kernel_size": (2, 3), "stride": (2, 1)}, (2, 5, 4), (1, 2, 5, 4)),
    (1, {"kernel_size": 2}, (2, 3, 6), None),
    (1, {"kernel_size": 3, "stride": 2, "padding": 1}, (3, 8), [8]),
]


@needs_torch
@pytest.mark.parametrize("nd,kw,shape,output_size", UNPOOL, ids=str)
def test_max_unpool_matches_torch(device, nd, kw, shape, output_size):
    x = np.random.default_rng(0).standard_normal(shape)
    pool, unpool = (F.max_pool1d, F.max_unpool1d) if nd == 1 else (F.max_pool2d, F.max_unpool2d)
    tpool, tunpool = (TF.max_pool1d, TF.max_unpool1d) if nd == 1 else (TF.max_pool2d, TF.max_unpool2d)
    y, idx = pool(A.tensor(x, device=device), return_indices=True, **kw)
    ty, tidx = tpool(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(to_numpy(idx), tidx.numpy())  # torch-compatible flat indices
    ukw = {k: v for k, v in kw.items()} | {"output_size": output_size}
    idx_np = tidx.numpy()
    check_op(
        [to_numpy(y).astype(np.float64), idx_np],
        lambda v, i: unpool(v, i, **ukw),
        lambda v, i: tunpool(v, i, **ukw),
        device=device,
        # overlapping windows repeat an index: one value lands there, yet (as torch) each gets its gradient
        gradcheck=all(len(np.unique(r)) == r.size for r in idx_np.reshape(-1, np.prod(idx_np.shape[-nd:]))),
    )
    layer = getattr(nn, f"MaxUnpool{nd}d")(kw["kernel_size"], kw.get("stride"), kw.get("padding", 0))
    tlayer = getattr(torch.nn, f"MaxUnpool{nd}d")(kw["kernel_size"], kw.get("stride"), kw.get("padding", 0))
    assert repr(layer) == repr(tlayer)
    np.testing.assert_allclose(
        to_numpy(layer(y, idx, output_size)), tlayer(ty, tidx, output_size).numpy(), rtol=1e-6
    )


def test_max_unpool_double_backward_and_errors(device):
    x = A.randn(1, 2, 4, 4, dtype=A.float64, device=device)
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    y = y.detach().requires_grad_(True)
    assert A.gradgradcheck(lambda v: F.max_unpool2d(v, idx, 2).pow(2), (y,))
    with pytest.raises(
        ValueError, match=r"max_unpool2d: invalid output_size \(6, 4\) \(dim 0 must be between 2 and 6"
    ):
        F.max_unpool2d(y, idx, 2, output_size=(6, 4))
    with pytest.raises(ValueError, match="max_unpool2d: output_size should be a sequence containing 2 or 4"):
        F.max_unpool2d(y, idx, 2, output_size=(1, 4, 4))
    with pytest.raises(
        RuntimeError, match=r"max_unpool2d: expected indices of the input's shape \(1, 2, 2, 2\)"
    ):
        F.max_unpool2d(y, idx[..., :1], 2)
    with pytest.raises(RuntimeError, match="max_unpool2d: expected indices of dtype int64"):
        F.max_unpool2d(y, idx.float(), 2)
    with pytest.raises(RuntimeError, match="max_unpool1d: found an invalid max index 9 .*size 4"):
        F.max_unpool1d(A.ones(1, 2, device=device), A.tensor([[0, 9]], device=device), 2)
    with pytest.raises(RuntimeError, match=r"max_unpool1d: expected a 2-D \(unbatched\) or 3-D"):
        nn.MaxUnpool1d(2)(y, idx)


LP = [  # (nd, norm_type, kernel, stride, ceil_mode, shape)
    (2, 2.0, 2, None, False, (2, 3, 4, 4)),
    (2, 3, (2, 3), (1, 2), True, (1, 2, 5, 6)),
    (2, 1.5, 3, 2, False, (2, 5, 5)),
    (2, float("inf"), 2, 1, False, (1, 2, 3, 4)),
    (1, 2, 3, None, False, (2, 3, 7)),
    (1, 4.0, 2, 1, True, (3, 5)),
    (1, -float("inf"), 2, 2, True, (1, 2, 5)),
]


@needs_torch
@pytest.mark.parametrize("nd,p,k,s,ceil,shape", LP, ids=str)
def test_lp_pool_matches_torch(device, nd, p, k, s, ceil, shape):
    name = f"lp_pool{nd}d"
    check_op(
        [shape],
        lambda t: getattr(F, name)(t, p, k, s, ceil),
        lambda t: getattr(TF, name)(t, p, k, s, ceil),
        device=device,
        low=0.2,  # fractional powers of negatives are NaN in both libraries
        gc_atol=1e-4,
    )
    layer, tlayer = (
        getattr(nn, f"LPPool{nd}d")(p, k, s, ceil),
        getattr(torch.nn, f"LPPool{nd}d")(p, k, s, ceil),
    )
    assert repr(layer) == repr(tlayer)
    if p in (2, 4.0):  # even powers: negative inputs are fine too
        check_op([shape], layer, tlayer, device=device, low=-2.0, gradcheck=False)


def test_lp_pool_double_backward(device):
    x = A.rand(1, 2, 4, 4, dtype=A.float64, device=device) + 0.5
    x.requires_grad_(True)
    assert A.gradgradcheck(lambda t: F.lp_pool2d(t, 3, 2, 2), (x,))
    assert A.gradgradcheck(lambda t: F.lp_pool1d(t[0], 2, 3, 1, True), (x,))
