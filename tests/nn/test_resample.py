"""Resampling: interpolate's bicubic, trilinear, 5-D nearest/area and antialias modes, affine_grid and
grid_sample (every mode, padding mode and align_corners) against PyTorch, known values, gradchecks, errors."""

from __future__ import annotations

import warnings

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

SIZES_2D = [
    {"scale_factor": 2},
    {"size": (7, 5)},
    {"scale_factor": (1.7, 0.6)},
    {"size": (3, 11)},
    {"scale_factor": 1.05},  # same size, but the scale still moves the samples
    {"size": 1},
]
SIZES_3D = [
    {"scale_factor": (1.5, 0.7, 2)},
    {"size": (3, 8, 1)},
    {"scale_factor": 2, "recompute_scale_factor": True},
]


def _interp(**kw):
    return (lambda x: F.interpolate(x, **kw)), (lambda x: TF.interpolate(x, **kw))


@needs_torch
@pytest.mark.parametrize("kw", SIZES_2D, ids=str)
@pytest.mark.parametrize("ac", [False, True], ids=str)
def test_interpolate_bicubic_parity(device, kw, ac):
    same_size = kw.get("scale_factor") == 1.05 and not ac
    # PyTorch's bicubic backward copies the gradient through when the size is unchanged, even though the
    # scale moved the samples (its own gradcheck fails there); ours is the true gradient: gradcheck it
    check_op(
        [(2, 3, 6, 8)], *_interp(mode="bicubic", align_corners=ac, **kw), device=device, grad=not same_size
    )
    if same_size:
        x = A.tensor(
            np.random.default_rng(0).standard_normal((1, 1, 4, 5)), device=device, requires_grad=True
        )
        assert A.gradcheck(lambda t: F.interpolate(t, mode="bicubic", **kw), (x,))


@needs_torch
@pytest.mark.parametrize("kw", SIZES_3D, ids=str)
@pytest.mark.parametrize(
    "mode,ac",
    [("trilinear", False), ("trilinear", True), ("nearest", None), ("nearest-exact", None), ("area", None)],
    ids=str,
)
def test_interpolate_5d_parity(device, kw, mode, ac):
    check_op([(2, 2, 4, 5, 3)], *_interp(mode=mode, align_corners=ac, **kw), device=device)


@needs_torch
@pytest.mark.parametrize("kw", [{"size": (3, 4)}, {"scale_factor": (0.45, 1.6)}, {"size": (1, 3)}], ids=str)
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("ac", [False, True], ids=str)
def test_interpolate_antialias_parity(device, kw, mode, ac):
    check_op([(2, 2, 9, 7)], *_interp(mode=mode, align_corners=ac, antialias=True, **kw), device=device)


@needs_torch
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_interpolate_antialias_width_one(device, mode):
    # PyTorch's CPU antialias kernel mis-resizes H when the output width is 1 (every row gets the first
    # value); the true result is the two separable passes, which PyTorch gets right one at a time
    x = np.random.default_rng(0).standard_normal((1, 2, 9, 7)).astype(np.float32)
    y = F.interpolate(A.tensor(x, device=device), size=(6, 1), mode=mode, antialias=True)
    t = TF.interpolate(torch.tensor(x), size=(6, 7), mode=mode, antialias=True)
    t = TF.interpolate(t, size=(6, 1), mode=mode, antialias=True)
    np.testing.assert_allclose(to_numpy(y), t.numpy(), atol=1e-5)


def test_interpolate_new_modes_gradgradcheck(device):
    rng = np.random.default_rng(0)
    x = A.tensor(rng.standard_normal((1, 2, 3, 4)), device=device, requires_grad=True)
    assert A.gradgradcheck(lambda t: F.interpolate(t, size=(5, 3), mode="bicubic"), (x,))
    assert A.gradgradcheck(lambda t: F.interpolate(t, size=(2, 5), mode="bicubic", align_corners=True), (x,))
    assert A.gradgradcheck(lambda t: F.interpolate(t, size=(2, 2), mode="bilinear", antialias=True), (x,))
    z = A.tensor(rng.standard_normal((1, 1, 2, 3, 2)), device=device, requires_grad=True)
    assert A.gradgradcheck(lambda t: F.interpolate(t, scale_factor=1.5, mode="trilinear"), (z,))


def test_interpolate_bicubic_known_values(device):
    # a linear ramp stays a ramp under cubic convolution away from the clamped border
    x = A.arange(8.0, device=device).reshape(1, 1, 1, 8)
    y = to_numpy(F.interpolate(x, size=(1, 15), mode="bicubic", align_corners=True))[0, 0, 0]
    np.testing.assert_allclose(y[2:-2], np.arange(2, 13) / 2, atol=1e-5)
    # halfway between 0 and 1 with neighbours 0 and 0: weights (-0.09375, 0.59375, 0.59375, -0.09375)
    x = A.tensor([[[[0.0, 0.0, 1.0, 0.0]]]], device=device)
    y = to_numpy(F.interpolate(x, size=(1, 7), mode="bicubic", align_corners=True))[0, 0, 0]
    np.testing.assert_allclose(y[3], 0.59375, atol=1e-6)


@needs_torch
def test_upsample_modules_new_modes(device):
    x4 = np.random.default_rng(0).standard_normal((1, 2, 4, 5)).astype(np.float32)
    x5 = np.random.default_rng(1).standard_normal((1, 2, 3, 4, 2)).astype(np.float32)
    for x, kw in (
        (x4, {"scale_factor": 2, "mode": "bicubic"}),
        (x4, {"size": (3, 7), "mode": "bicubic", "align_corners": True}),
        (x5, {"scale_factor": (2, 1.5, 3), "mode": "trilinear"}),
        (x5, {"size": (2, 5, 4), "mode": "nearest"}),
    ):
        ours, theirs = nn.Upsample(**kw), torch.nn.Upsample(**kw)
        check_op([x], lambda t, m=ours: m(t), lambda t, m=theirs: m(t), device=device, gradcheck=False)
        assert repr(ours) == repr(theirs)


def test_interpolate_mode_errors(device):
    x4, x5 = A.randn(1, 2, 4, 4, device=device), A.randn(1, 2, 3, 4, 4, device=device)
    with pytest.raises(NotImplementedError, match="Got 4D input, but trilinear mode needs 5D input"):
        F.interpolate(x4, scale_factor=2, mode="trilinear")
    with pytest.raises(NotImplementedError, match="Got 5D input, but bilinear mode needs 4D input"):
        F.interpolate(x5, scale_factor=2, mode="bilinear")
    with pytest.raises(NotImplementedError, match="Got 5D input, but linear mode needs 3D input"):
        F.interpolate(x5, scale_factor=2, mode="linear")
    with pytest.raises(
        NotImplementedError, match=r"Only 3D, 4D and 5D input Tensors supported \(got 5D\).*bicubic"
    ):
        F.interpolate(x5, scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="Anti-alias option is restricted to bilinear and bicubic"):
        F.interpolate(x4, scale_factor=2, mode="nearest", antialias=True)
    with pytest.raises(ValueError, match="align_corners option can only be set .* bicubic | trilinear"):
        F.interpolate(x5, scale_factor=2, mode="area", align_corners=False)
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        F.interpolate(x5, size=(2, 3), mode="trilinear")
    with pytest.raises(RuntimeError, match="bicubic mode needs a floating point input, got autograd.int64"):
        F.interpolate(A.zeros(1, 1, 2, 2, dtype=A.int64, device=device), scale_factor=2, mode="bicubic")


@needs_torch
@pytest.mark.filterwarnings("ignore:Since version 1.3.0, affine_grid behavior has changed for unit-size")
@pytest.mark.parametrize("ac", [False, True], ids=str)
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 2, 3, 1, 4)], ids=str)
def test_affine_grid_parity(device, ac, size):
    k = len(size) - 2
    check_op(
        [(size[0], k, k + 1)],
        lambda t: F.affine_grid(t, size, align_corners=ac),
        lambda t: TF.affine_grid(t, size, align_corners=ac),
        device=device,
    )


def test_grid_sample_identity_and_known_values(device):
    rng = np.random.default_rng(0)
    x = A.tensor(rng.standard_normal((2, 3, 4, 5)).astype(np.float32), device=device)
    theta = A.tensor(np.tile(np.eye(2, 3, dtype=np.float32), (2, 1, 1)), device=device)
    for ac in (False, True):
        grid = F.affine_grid(theta, (2, 3, 4, 5), align_corners=ac)
        for mode in ("bilinear", "nearest", "bicubic"):
            y = F.grid_sample(x, grid, mode=mode, align_corners=ac)
            np.testing.assert_allclose(to_numpy(y), to_numpy(x), atol=1e-5, err_msg=f"{mode} ac={ac}")
    # one point between four pixels (bilinear), beyond the border (zeros / border / reflection padding)
    x = A.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], device=device)
    g = A.tensor([[[[0.0, 0.0], [3.0, -1.0]]]], device=device)
    for pad, far in (("zeros", 0.0), ("border", 2.0), ("reflection", 1.0)):
        y = to_numpy(F.grid_sample(x, g, padding_mode=pad, align_corners=True))[0, 0, 0]
        np.testing.assert_allclose(y, [2.5, far], atol=1e-6, err_msg=pad)


GRID_CASES = [(m, p, ac) for m in ("bilinear", "nearest", "bicubic") for p in ("zeros", "border", "reflection")
              for ac in (False, True)]  # fmt: skip


@needs_torch
@pytest.mark.parametrize("mode,pad,ac", GRID_CASES, ids=str)
def test_grid_sample_2d_parity(device, mode, pad, ac):
    # big enough to skip check_op's float64 gradcheck (slow): test_grid_sample_gradgradcheck does that
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4, 5))
    far = 2.5 if pad == "reflection" else 1.3
    g = rng.uniform(-far, far, (2, 5, 4, 2))
    kw = {"mode": mode, "padding_mode": pad, "align_corners": ac}
    check_op(
        [x, g],
        lambda t, u: F.grid_sample(t, u, **kw),
        lambda t, u: TF.grid_sample(t, u, **kw),
        device=device,
        noncontig=ac,
    )


@needs_torch
@pytest.mark.parametrize("mode,pad,ac", [c for c in GRID_CASES if c[0] != "bicubic"], ids=str)
def test_grid_sample_3d_parity(device, mode, pad, ac):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 2, 3, 4, 5))
    g = rng.uniform(-1.4, 1.4, (2, 2, 3, 2, 3))
    kw = {"mode": mode, "padding_mode": pad, "align_corners": ac}
    check_op(
        [x, g], lambda t, u: F.grid_sample(t, u, **kw), lambda t, u: TF.grid_sample(t, u, **kw), device=device
    )


def test_grid_sample_gradgradcheck(device):
    rng = np.random.default_rng(3)
    x = A.tensor(rng.standard_normal((1, 2, 3, 4)), device=device, requires_grad=True)
    g = A.tensor(rng.uniform(-1.2, 1.2, (1, 2, 2, 2)), device=device, requires_grad=True)
    for kw in ({"padding_mode": "zeros"}, {"padding_mode": "reflection", "align_corners": True}):
        assert A.gradgradcheck(lambda t, u, kw=kw: F.grid_sample(t, u, **kw), (x, g)), kw
    assert A.gradgradcheck(lambda t, u: F.grid_sample(t, u, mode="bicubic"), (x, g))
    assert A.gradcheck(lambda t, u: F.grid_sample(t, u, mode="nearest", padding_mode="border"), (x, g))
    x5 = A.tensor(rng.standard_normal((1, 1, 2, 2, 3)), device=device, requires_grad=True)
    g5 = A.tensor(rng.uniform(-1.5, 1.5, (1, 1, 2, 2, 3)), device=device, requires_grad=True)
    assert A.gradcheck(lambda t, u: F.grid_sample(t, u, padding_mode="reflection"), (x5, g5))
    theta = A.tensor(rng.standard_normal((1, 2, 3)) * 0.5, device=device, requires_grad=True)
    assert A.gradgradcheck(
        lambda th: F.grid_sample(x, F.affine_grid(th, (1, 2, 3, 2)), padding_mode="border"), (theta,)
    )


def test_grid_sample_and_affine_grid_errors(device):
    x, g = A.randn(1, 2, 3, 4, device=device), A.randn(1, 3, 3, 2, device=device)
    with pytest.raises(
        ValueError, match="expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: 'area'"
    ):
        F.grid_sample(x, g, mode="area")
    with pytest.raises(ValueError, match="expected padding_mode to be 'zeros', 'border', or 'reflection'"):
        F.grid_sample(x, g, padding_mode="circular")
    with pytest.raises(RuntimeError, match="expected 4D or 5D input and grid with same number of dimensions"):
        F.grid_sample(x, A.randn(1, 3, 3, 2, 3, device=device))
    with pytest.raises(RuntimeError, match="expected grid and input to have same batch size"):
        F.grid_sample(x, A.randn(2, 3, 3, 2, device=device))
    with pytest.raises(RuntimeError, match="expected grid to have size 2 in last dimension"):
        F.grid_sample(x, A.randn(1, 3, 3, 3, device=device))
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D input"):
        F.grid_sample(
            A.randn(1, 2, 3, 4, 5, device=device), A.randn(1, 2, 2, 2, 3, device=device), mode="bicubic"
        )
    with pytest.raises(RuntimeError, match="expected input and grid to have the same floating point dtype"):
        F.grid_sample(x, g.double())
    with pytest.raises(RuntimeError, match="non-empty spatial dimensions.*dimension 3 being empty"):
        F.grid_sample(A.randn(1, 2, 3, 0, device=device), g)
    theta = A.randn(2, 2, 3, device=device)
    with pytest.raises(ValueError, match="Expected theta to have floating point type"):
        F.affine_grid(A.zeros(2, 2, 3, dtype=A.int64, device=device), (2, 1, 3, 3))
    with pytest.raises(ValueError, match=r"Expected a batch of 3D affine matrices of shape Nx3x4 for size"):
        F.affine_grid(theta, (2, 1, 3, 3, 3))
    with pytest.raises(NotImplementedError, match="affine_grid only supports 4D and 5D sizes"):
        F.affine_grid(theta, (2, 1, 3))
    with pytest.raises(RuntimeError, match="theta holds 2 matrices but size asks for a batch of 3"):
        F.affine_grid(theta, (3, 1, 4, 4))
    with pytest.raises(ValueError, match="Expected non-zero, positive output size"):
        F.affine_grid(theta, (2, 1, 0, 3))


@needs_torch
def test_resample_empty_and_nonfinite(device):
    # empty batch / channels / output grid, as PyTorch
    for xs, gs in (((0, 2, 3, 4), (0, 2, 2, 2)), ((2, 0, 3, 4), (2, 2, 2, 2)), ((2, 3, 3, 4), (2, 0, 2, 2))):
        for mode in ("bilinear", "nearest", "bicubic"):
            y = F.grid_sample(A.zeros(*xs, device=device), A.zeros(*gs, device=device), mode=mode)
            assert (
                y.shape
                == TF.grid_sample(torch.zeros(xs), torch.zeros(gs), mode=mode, align_corners=False).shape
            )
    for mode, x in (("bicubic", A.zeros(0, 2, 3, 4, device=device)), ("trilinear", A.zeros(0, 2, 3, 4, 2))):
        assert F.interpolate(x.to(device), scale_factor=2, mode=mode).shape[0] == 0
    # NaN / inf points: no warning, nothing read with zeros padding, the border's pixel with border padding
    x = np.random.default_rng(4).standard_normal((1, 1, 3, 4)).astype(np.float32)
    g = np.array([[[[np.nan, 0], [np.inf, 0], [-np.inf, 0.3], [0.2, 0]]]], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for mode in ("bilinear", "nearest"):
            y = F.grid_sample(A.tensor(x, device=device), A.tensor(g, device=device), mode=mode)
            np.testing.assert_array_equal(to_numpy(y)[0, 0, 0, :3], 0)
            y = F.grid_sample(
                A.tensor(x, device=device), A.tensor(g, device=device), mode=mode, padding_mode="border"
            )
            t = TF.grid_sample(
                torch.tensor(x), torch.tensor(g), mode=mode, padding_mode="border", align_corners=False
            )
            np.testing.assert_allclose(to_numpy(y), t.numpy(), atol=1e-6)
