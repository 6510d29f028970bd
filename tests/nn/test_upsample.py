"""Interpolation: F.interpolate (nearest, nearest-exact, linear, bilinear with/without align_corners, area) and
the Upsample modules against PyTorch, known values, gradchecks and errors."""

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

SIZES = [
    {"scale_factor": 2},
    {"size": (7, 5)},
    {"scale_factor": (1.7, 0.6)},
    {"size": (3, 11)},
    {"scale_factor": 3, "recompute_scale_factor": True},
    {"size": 1},
]
MODES = [("nearest", None), ("nearest-exact", None), ("bilinear", False), ("bilinear", True), ("area", None)]


@needs_torch
@pytest.mark.parametrize("kw", SIZES, ids=str)
@pytest.mark.parametrize("mode,ac", MODES, ids=str)
def test_interpolate_2d_parity(device, kw, mode, ac):
    check_op(
        [(2, 3, 6, 8)],
        lambda x: F.interpolate(x, mode=mode, align_corners=ac, **kw),
        lambda x: TF.interpolate(x, mode=mode, align_corners=ac, **kw),
        device=device,
    )


@needs_torch
@pytest.mark.parametrize("kw", [{"scale_factor": 2.5}, {"size": 4}, {"size": 13}], ids=str)
@pytest.mark.parametrize(
    "mode,ac", [("nearest", None), ("linear", False), ("linear", True), ("area", None)], ids=str
)
def test_interpolate_1d_parity(device, kw, mode, ac):
    check_op(
        [(2, 3, 7)],
        lambda x: F.interpolate(x, mode=mode, align_corners=ac, **kw),
        lambda x: TF.interpolate(x, mode=mode, align_corners=ac, **kw),
        device=device,
    )


def test_interpolate_known_values_and_gradcheck(device):
    x = A.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], device=device)
    np.testing.assert_array_equal(
        to_numpy(F.interpolate(x, scale_factor=2))[0, 0],
        [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]],
    )
    y = to_numpy(F.interpolate(x, size=3, mode="bilinear", align_corners=True))[0, 0]
    np.testing.assert_allclose(y, [[1, 1.5, 2], [2, 2.5, 3], [3, 3.5, 4]])
    rng = np.random.default_rng(0)
    z = A.tensor(rng.standard_normal((1, 2, 3, 4)), device=device, requires_grad=True)
    assert A.gradcheck(lambda t: F.interpolate(t, size=(5, 3), mode="bilinear"), (z,))
    assert A.gradcheck(lambda t: F.interpolate(t, scale_factor=1.5, mode="nearest"), (z,))
    assert A.gradgradcheck(lambda t: F.interpolate(t, size=(4, 6), mode="bilinear", align_corners=True), (z,))


@needs_torch
def test_upsample_modules(device):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    for ours, theirs in (
        (nn.Upsample(scale_factor=2, mode="bilinear"), torch.nn.Upsample(scale_factor=2, mode="bilinear")),
        (nn.Upsample(size=(6, 7)), torch.nn.Upsample(size=(6, 7))),
        (nn.UpsamplingNearest2d(scale_factor=3), torch.nn.UpsamplingNearest2d(scale_factor=3)),
        (nn.UpsamplingBilinear2d(size=(5, 9)), torch.nn.UpsamplingBilinear2d(size=(5, 9))),
    ):
        check_op([x], lambda t, m=ours: m(t), lambda t, m=theirs: m(t), device=device, gradcheck=False)
        assert repr(ours) == repr(theirs)


def test_interpolate_errors(device):
    x = A.randn(1, 2, 4, 4, device=device)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="Got 3D input, but bilinear mode needs 4D input"):
        F.interpolate(A.randn(1, 2, 4, device=device), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        F.interpolate(x, size=(2, 3, 4))
    with pytest.raises(NotImplementedError, match=r"Only 3D, 4D and 5D input .*\(got cubic\)"):
        F.interpolate(x, scale_factor=2, mode="cubic")
    with pytest.raises(NotImplementedError, match=r"Only 3D, 4D and 5D input Tensors supported \(got 1D\)"):
        F.interpolate(A.randn(4, device=device), scale_factor=2)
