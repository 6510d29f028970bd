"""Pooling: max/avg (1-d, 2-d) and adaptive pooling against PyTorch over a grid of kernel/stride/padding/
dilation/ceil_mode cases (inputs with ties), indices, gradchecks, memory layouts, modules and errors."""

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


def _ties(shape, seed=0):
    """Random values where a third are exactly 0 (as after a ReLU): windows with tied maxima."""
    x = np.random.default_rng(seed).standard_normal(shape)
    return np.where(x < -0.4, 0.0, x)


MAX2D = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": (2, 3), "stride": 1, "dilation": 2, "padding": 1},
    {"kernel_size": (3, 2), "stride": (2, 1), "dilation": (1, 2), "ceil_mode": True},
]


@needs_torch
@pytest.mark.parametrize("kw", MAX2D, ids=str)
def test_max_pool2d_parity(device, kw):
    x = _ties((2, 3, 9, 10))
    check_op(
        [x], lambda t: F.max_pool2d(t, **kw), lambda t: TF.max_pool2d(t, **kw), device=device, gradcheck=False
    )
    out, idx = F.max_pool2d(A.tensor(x, device=device), return_indices=True, **kw)
    tout, tidx = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(to_numpy(idx), tidx.numpy())
    assert idx.dtype == A.int64


@needs_torch
@pytest.mark.parametrize(
    "kw",
    [
        {"kernel_size": 2},
        {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1, "ceil_mode": True},
        {"kernel_size": 2, "dilation": 3, "stride": 1},
    ],
    ids=str,
)
def test_max_pool1d_parity(device, kw):
    x = _ties((2, 3, 11))
    check_op(
        [x], lambda t: F.max_pool1d(t, **kw), lambda t: TF.max_pool1d(t, **kw), device=device, gradcheck=False
    )
    _, idx = F.max_pool1d(A.tensor(x, device=device), return_indices=True, **kw)
    np.testing.assert_array_equal(
        to_numpy(idx), TF.max_pool1d(torch.tensor(x), return_indices=True, **kw)[1].numpy()
    )


AVG2D = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 0)},
    {"kernel_size": 3, "stride": 2, "padding": 1, "divisor_override": 5},
]


@needs_torch
@pytest.mark.parametrize("kw", AVG2D, ids=str)
def test_avg_pool2d_parity(device, kw):
    check_op(
        [(2, 3, 9, 10)], lambda t: F.avg_pool2d(t, **kw), lambda t: TF.avg_pool2d(t, **kw), device=device
    )


@needs_torch
@pytest.mark.parametrize(
    "kw",
    [
        {"kernel_size": 3},
        {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    ],
    ids=str,
)
def test_avg_pool1d_parity(device, kw):
    check_op([(2, 3, 10)], lambda t: F.avg_pool1d(t, **kw), lambda t: TF.avg_pool1d(t, **kw), device=device)


@needs_torch
@pytest.mark.parametrize("size", [1, (3, 4), (5, 3), (None, 2), 7, (9, 10)], ids=str)
def test_adaptive_pool2d_parity(device, size):
    x = _ties((2, 3, 9, 10))
    check_op(
        [(2, 3, 9, 10)],
        lambda t: F.adaptive_avg_pool2d(t, size),
        lambda t: TF.adaptive_avg_pool2d(t, size),
        device=device,
    )
    check_op(
        [x],
        lambda t: F.adaptive_max_pool2d(t, size),
        lambda t: TF.adaptive_max_pool2d(t, size),
        device=device,
        gradcheck=False,
    )
    _, idx = F.adaptive_max_pool2d(A.tensor(x, device=device), size, return_indices=True)
    np.testing.assert_array_equal(
        to_numpy(idx), TF.adaptive_max_pool2d(torch.tensor(x), size, True)[1].numpy()
    )


@needs_torch
@pytest.mark.parametrize("size", [1, 4, 7])
def test_adaptive_pool1d_parity(device, size):
    x = _ties((2, 3, 10))
    check_op(
        [x],
        lambda t: F.adaptive_avg_pool1d(t, size),
        lambda t: TF.adaptive_avg_pool1d(t, size),
        device=device,
    )
    check_op(
        [x],
        lambda t: F.adaptive_max_pool1d(t, size),
        lambda t: TF.adaptive_max_pool1d(t, size),
        device=device,
        gradcheck=False,
    )


@needs_torch
@pytest.mark.parametrize("layout", ["nhwc", "cnhw"])
def test_pool_memory_layouts(device, layout):
    """Channels-last and channel-major inputs (what convs produce) pool and backprop like NCHW ones."""
    base = _ties((2, 5, 8, 9)).astype(np.float32)
    perm, back = ((0, 2, 3, 1), (0, 3, 1, 2)) if layout == "nhwc" else ((1, 0, 2, 3), (1, 0, 2, 3))
    for fn, tfn in (
        (lambda t: F.max_pool2d(t, 2), lambda t: TF.max_pool2d(t, 2)),
        (
            lambda t: F.max_pool2d(t, 3, 2, 1, ceil_mode=True),
            lambda t: TF.max_pool2d(t, 3, 2, 1, ceil_mode=True),
        ),
        (lambda t: F.avg_pool2d(t, 3, 2, 1), lambda t: TF.avg_pool2d(t, 3, 2, 1)),
    ):
        x = A.tensor(np.ascontiguousarray(base.transpose(perm)), device=device).permute(*back).detach()
        x.requires_grad_(True)
        y = fn(x)
        up = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
        (y * A.tensor(up, device=device)).sum().backward()
        tx = torch.tensor(base, requires_grad=True)
        ty = tfn(tx)
        (ty * torch.tensor(up)).sum().backward()
        np.testing.assert_allclose(to_numpy(y), ty.detach().numpy(), atol=1e-6)
        np.testing.assert_allclose(to_numpy(x.grad), tx.grad.numpy(), atol=1e-5)


def test_pool_known_values_and_gradcheck(device):
    x = A.tensor(
        [[[[1.0, 2.0, 0.0, 0.0], [3.0, 4.0, 0.0, 0.0], [5.0, 5.0, 1.0, 2.0], [5.0, 5.0, 3.0, 3.0]]]],
        device=device,
    )
    x.requires_grad_(True)
    y = F.max_pool2d(x, 2)
    np.testing.assert_array_equal(to_numpy(y)[0, 0], [[4, 0], [5, 3]])
    y.sum().backward()
    # ties go to the first maximum in row-major order, as in PyTorch
    np.testing.assert_array_equal(
        to_numpy(x.grad)[0, 0], [[0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]]
    )
    np.testing.assert_allclose(to_numpy(F.avg_pool2d(x, 2))[0, 0], [[2.5, 0], [5, 2.25]])
    np.testing.assert_allclose(
        to_numpy(F.adaptive_avg_pool2d(x, 1)).ravel(), [x.detach().mean().item()], rtol=1e-6
    )
    rng = np.random.default_rng(0)
    z = A.tensor(rng.standard_normal((1, 2, 5, 5)), device=device, requires_grad=True)
    assert A.gradcheck(lambda t: F.max_pool2d(t, 3, 2, 1, ceil_mode=True), (z,))
    assert A.gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False), (z,))
    assert A.gradcheck(lambda t: F.adaptive_max_pool2d(t, (2, 3)), (z,))
    assert A.gradcheck(lambda t: F.adaptive_avg_pool2d(t, (2, 3)), (z,))
    assert A.gradgradcheck(lambda t: F.max_pool2d(t, 2, 1), (z,))
    assert A.gradgradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1), (z,))


@needs_torch
def test_max_pool_nan_is_the_maximum(device):
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan
    check_op([x], lambda t: F.max_pool2d(t, 2), lambda t: TF.max_pool2d(t, 2), device=device, gradcheck=False)


def test_max_pool_output_modified_in_place(device):
    """The backward keeps its own copy of the output: an in-place ReLU after the pool is safe (as in PyTorch)."""
    x = A.tensor(_ties((1, 2, 4, 4)) - 0.3, device=device, requires_grad=True)
    y = F.max_pool2d(x, 2)
    y2 = y * 1.0
    y.data.zero_()
    y2.sum().backward()
    x2 = A.tensor(to_numpy(x), device=device, requires_grad=True)
    F.max_pool2d(x2, 2).sum().backward()
    np.testing.assert_array_equal(to_numpy(x.grad), to_numpy(x2.grad))


def test_pool_modules(device):
    x = A.randn(2, 3, 8, 8, device=device)
    assert tuple(nn.MaxPool2d(2)(x).shape) == (2, 3, 4, 4)
    out, idx = nn.MaxPool2d(3, 2, 1, return_indices=True)(x)
    assert tuple(out.shape) == (2, 3, 4, 4) and tuple(idx.shape) == (2, 3, 4, 4)
    assert tuple(nn.AvgPool2d(3, 2, 1, ceil_mode=True)(x).shape) == (2, 3, 5, 5)
    assert tuple(nn.AdaptiveAvgPool2d((None, 3))(x).shape) == (2, 3, 8, 3)
    assert tuple(nn.AdaptiveMaxPool2d(3)(x).shape) == (2, 3, 3, 3)
    assert tuple(nn.MaxPool1d(2)(x[0]).shape) == (3, 8, 4)  # unbatched (C, L)
    assert tuple(nn.AvgPool1d(4)(x[0]).shape) == (3, 8, 2)
    assert tuple(nn.AdaptiveAvgPool1d(5)(x[0]).shape) == (3, 8, 5)
    assert tuple(nn.AdaptiveMaxPool1d(5)(x[0]).shape) == (3, 8, 5)
    assert tuple(nn.MaxPool2d(2)(x[0]).shape) == (3, 4, 4)  # unbatched (C, H, W)
    assert (
        repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert repr(nn.AdaptiveAvgPool2d(1)) == "AdaptiveAvgPool2d(output_size=1)"


def test_pool_errors(device):
    x = A.randn(2, 3, 8, 8, device=device)
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(RuntimeError, match="pad should be at most half of kernel size"):
        F.avg_pool2d(x, 3, padding=2)
    with pytest.raises(RuntimeError, match="output size .* is too small"):
        F.max_pool2d(A.randn(1, 1, 2, 2, device=device), 3)
    with pytest.raises(RuntimeError, match=r"max_pool2d: expected a 3-D \(unbatched\) or 4-D .*got 2-D"):
        F.max_pool2d(A.randn(4, 4, device=device), 2)
    with pytest.raises(RuntimeError, match=r"avg_pool1d: expected .*\(N, C, L\)"):
        F.avg_pool1d(x, 2)
    with pytest.raises(RuntimeError, match="output_size must be 2 positive ints"):
        F.adaptive_avg_pool2d(x, (2, 0))
    with pytest.raises(RuntimeError, match="divisor must be a non-zero integer"):
        F.avg_pool2d(x, 2, divisor_override=0)


def test_max_pool_all_inf_windows_pick_a_real_cell(device):
    """A window holding only -inf (and padding) routes its gradient to its first real cell, as PyTorch."""
    x = A.full((1, 1, 3, 3), float("-inf"), device=device, requires_grad=True)
    out, idx = F.max_pool2d(x, 3, stride=1, padding=1, return_indices=True)
    assert idx.tolist() == [[[[0, 0, 1], [0, 0, 1], [3, 3, 4]]]]
    out.sum().backward()
    assert x.grad.tolist() == [[[[4.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]]


def test_max_pool_padding_checked_against_the_plain_kernel(device):
    with pytest.raises(
        RuntimeError, match="pad should be at most half of kernel size, but got pad=2 and kernel_size=3"
    ):
        F.max_pool2d(A.randn(1, 1, 9, 9, device=device), 3, padding=2, dilation=2)
