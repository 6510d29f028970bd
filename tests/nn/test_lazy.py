"""Lazy modules: shapes inferred from the first input, then the plain class, as torch.nn.Lazy*."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from helpers import HAVE_TORCH, to_numpy

import autograd as A
import nn

CASES = [
    # (lazy factory, torch lazy factory name + args, input shape, plain class)
    (lambda: nn.LazyLinear(5), ("LazyLinear", (5,), {}), (3, 7), nn.Linear),
    (lambda: nn.LazyLinear(4, bias=False), ("LazyLinear", (4,), {"bias": False}), (2, 3, 6), nn.Linear),
    (lambda: nn.LazyConv1d(4, 3), ("LazyConv1d", (4, 3), {}), (2, 6, 9), nn.Conv1d),
    (lambda: nn.LazyConv2d(6, 3, padding=1, groups=2), ("LazyConv2d", (6, 3), {"padding": 1, "groups": 2}),
     (2, 4, 7, 7), nn.Conv2d),
    (lambda: nn.LazyConv2d(3, 2), ("LazyConv2d", (3, 2), {}), (5, 6, 6), nn.Conv2d),  # unbatched
    (lambda: nn.LazyConv3d(2, 2), ("LazyConv3d", (2, 2), {}), (1, 3, 4, 4, 4), nn.Conv3d),
    (lambda: nn.LazyConvTranspose1d(3, 3, stride=2), ("LazyConvTranspose1d", (3, 3), {"stride": 2}), (2, 4, 5),
     nn.ConvTranspose1d),
    (lambda: nn.LazyConvTranspose2d(4, 3, groups=2), ("LazyConvTranspose2d", (4, 3), {"groups": 2}),
     (2, 6, 5, 5), nn.ConvTranspose2d),
    (lambda: nn.LazyConvTranspose3d(2, 2), ("LazyConvTranspose3d", (2, 2), {}), (1, 3, 3, 3, 3),
     nn.ConvTranspose3d),
    (lambda: nn.LazyBatchNorm1d(), ("LazyBatchNorm1d", (), {}), (8, 5), nn.BatchNorm1d),
    (lambda: nn.LazyBatchNorm2d(momentum=None), ("LazyBatchNorm2d", (), {"momentum": None}), (4, 3, 5, 5),
     nn.BatchNorm2d),
    (lambda: nn.LazyBatchNorm3d(affine=False), ("LazyBatchNorm3d", (), {"affine": False}), (2, 3, 2, 3, 3),
     nn.BatchNorm3d),
    (lambda: nn.LazyInstanceNorm1d(affine=True), ("LazyInstanceNorm1d", (), {"affine": True}), (2, 4, 9),
     nn.InstanceNorm1d),
    (lambda: nn.LazyInstanceNorm2d(), ("LazyInstanceNorm2d", (), {}), (2, 3, 6, 6), nn.InstanceNorm2d),
    (lambda: nn.LazyInstanceNorm2d(affine=False, track_running_stats=False),
     ("LazyInstanceNorm2d", (), {"affine": False, "track_running_stats": False}), (2, 3, 6, 6), nn.InstanceNorm2d),
    (lambda: nn.LazyInstanceNorm3d(track_running_stats=True), ("LazyInstanceNorm3d", (), {"track_running_stats": True}),
     (2, 3, 3, 3, 3), nn.InstanceNorm3d),
]  # fmt: skip


@pytest.mark.filterwarnings("ignore:input's size at dim=1 does not match num_features")
@pytest.mark.parametrize("make,tspec,shape,plain", CASES, ids=[c[1][0] + str(i) for i, c in enumerate(CASES)])
def test_lazy_module_matches_torch(device, make, tspec, shape, plain):
    m = make().to(device)
    assert m.has_uninitialized_params() or isinstance(m, nn.modules.norm._InstanceNorm)
    assert all(str(t.device).startswith(device) for t in (*m.parameters(), *m.buffers()))
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    out = m(A.tensor(x, device=device))
    assert type(m) is plain and not hasattr(m, "_initialize_hook")
    assert all(type(p) is nn.Parameter for p in m.parameters())
    assert all(str(p.device).startswith(device) for p in m.parameters())
    if HAVE_TORCH:
        import torch

        name, args, kw = tspec
        tm = getattr(torch.nn, name)(*args, **kw)
        tm(torch.tensor(x))
        sd = m.state_dict()
        tsd = tm.state_dict()
        assert list(sd) == list(tsd)
        assert {k: tuple(v.shape) for k, v in sd.items()} == {k: tuple(v.shape) for k, v in tsd.items()}
        for attr in ("in_features", "in_channels", "num_features"):
            if getattr(tm, attr, 0):  # (torch leaves num_features 0 when there is nothing to materialize)
                assert getattr(m, attr) == getattr(tm, attr)
        # same weights give the same outputs
        m.load_state_dict({k: A.tensor(v.numpy(), device=device) for k, v in tsd.items()})
        m.eval(), tm.eval()
        np.testing.assert_allclose(
            to_numpy(m(A.tensor(x, device=device))),
            tm(torch.tensor(x)).detach().numpy(),
            rtol=1e-4,
            atol=1e-5,
        )
    else:
        assert out.shape[0] == shape[0]


def test_lazy_linear_init_and_training(device):
    A.manual_seed(0)
    m = nn.Sequential(nn.LazyLinear(64), nn.ReLU(), nn.LazyLinear(1)).to(device)
    opt = nn.optim.SGD(m.parameters(), lr=0.05)  # made before the parameters have shapes, as torch allows
    x = A.randn(32, 10, device=device)
    y = x.sum(1, keepdim=True)
    m(x)
    w = to_numpy(m[0].weight)
    bound = 1 / math.sqrt(10)  # Linear's init with the inferred fan_in
    assert w.shape == (64, 10) and np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    first = None
    for _ in range(60):
        opt.zero_grad()
        loss = ((m(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 0.2 * first


def test_uninitialized_parameter_behaviour():
    m = nn.LazyLinear(3)
    p = m.weight
    assert isinstance(p, nn.UninitializedParameter) and isinstance(p, nn.Parameter) and p.requires_grad
    assert repr(p) == "<UninitializedParameter>"
    for access in (lambda: p.shape, lambda: p.numel(), lambda: p.size(), lambda: p.dim()):
        with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
            access()
    assert "LazyLinear(in_features=0, out_features=3, bias=True)" in repr(m)
    c = copy.deepcopy(m)
    assert isinstance(c.weight, nn.UninitializedParameter) and c.weight is not p
    c(A.ones(2, 4))
    assert c.weight.shape == (3, 4) and isinstance(m.weight, nn.UninitializedParameter)
    p.materialize((2, 5))
    assert type(p) is nn.Parameter and p.shape == (2, 5)
    b = nn.UninitializedBuffer()
    b.materialize((4,), dtype=A.float64)
    assert type(b) is A.Tensor and b.dtype == A.float64


def test_lazy_instance_norm_unbatched_reads_dim0():
    m = nn.LazyInstanceNorm2d()
    out = m(A.randn(3, 5, 5))  # (C, H, W): channels in dim 0 (torch reads dim 1 here and then fails)
    assert m.num_features == 3 and m.weight.shape == (3,) and out.shape == (3, 5, 5)


def test_lazy_load_state_dict_materializes():
    src = nn.Conv2d(5, 4, 3)
    m = nn.LazyConv2d(4, 3)
    m.load_state_dict(src.state_dict())
    assert m.weight.shape == (4, 5, 3, 3) and m.in_channels == 5
    np.testing.assert_array_equal(to_numpy(m.weight), to_numpy(src.weight))
    out = m(A.ones(1, 5, 6, 6))
    assert type(m) is nn.Conv2d and out.shape == (1, 4, 4, 4)
    np.testing.assert_array_equal(to_numpy(m.weight), to_numpy(src.weight))  # not re-initialised
    bn = nn.LazyBatchNorm1d()
    bn.load_state_dict(nn.BatchNorm1d(7).state_dict())
    assert bn.num_features == 7 and bn.running_mean.shape == (7,)


def test_lazy_errors():
    with pytest.raises(ValueError, match=r"LazyConv2d: expected 3D \(unbatched\) or 4D \(batched\) input"):
        nn.LazyConv2d(4, 3)(A.ones(2, 3))
    with pytest.raises(ValueError, match="in_channels=3 must be divisible by groups=2"):
        nn.LazyConv2d(4, 3, groups=2)(A.ones(1, 3, 5, 5))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.LazyBatchNorm2d()(A.ones(2, 3))
    with pytest.raises(RuntimeError, match="LazyLinear: input must have at least 1 dimension"):
        nn.LazyLinear(2)(A.tensor(1.0))
    m = nn.LazyLinear(2)
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        nn.Linear(3, 2).load_state_dict({"weight": A.ones(2, 5), "bias": A.ones(2)})
    m(A.ones(1, 3))
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        m.load_state_dict({"weight": A.ones(2, 5), "bias": A.ones(2)})
