"""Convolutions: conv1d/conv2d/conv_transpose and unfold/fold against PyTorch (values, input/weight/bias grads),
float64 gradchecks, memory layouts, the chunked and no-``as_strided`` kernel paths, modules and errors."""

from __future__ import annotations

import math

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

# (input shape, weight shape, kwargs): stride/padding/dilation/groups, both column layouts (C <= 3 per group
# is channel-major, more is channels-last), depthwise, 1x1, 'same'/'valid', unbatched
CONV2D = [
    ((2, 3, 7, 8), (4, 3, 3, 3), {}),
    ((2, 1, 9, 8), (5, 1, 3, 2), {"stride": 2, "padding": 1}),
    ((2, 6, 9, 8), (4, 3, 3, 3), {"groups": 2, "dilation": 2, "padding": (1, 2)}),
    ((2, 4, 7, 9), (8, 1, 3, 3), {"groups": 4, "padding": "same"}),
    ((2, 5, 7, 9), (6, 5, 2, 4), {"padding": "same", "dilation": (2, 1)}),
    ((2, 5, 7, 9), (6, 5, 3, 3), {"padding": "valid", "stride": (2, 3)}),
    ((2, 8, 6, 6), (4, 8, 1, 1), {"stride": 2}),
    ((3, 2, 6, 5), (4, 2, 3, 3), {"stride": 3, "padding": 2, "dilation": 2}),
    ((2, 8, 8, 8), (8, 4, 3, 3), {"groups": 2, "stride": 2, "padding": 1}),
    ((4, 7, 7), (3, 4, 3, 3), {"padding": 1}),
]


def _conv_case(fn, tfn, xs, ws, kw, bias, device, transposed=False, **opts):
    out_c = ws[1] * kw.get("groups", 1) if transposed else ws[0]
    shapes = [xs, ws] + ([(out_c,)] if bias else [])
    check_op(
        shapes,
        lambda x, w, *b: fn(x, w, b[0] if b else None, **kw),
        lambda x, w, *b: tfn(x, w, b[0] if b else None, **kw),
        device=device,
        atol=1e-4,
        grad_atol=1e-3,
        **opts,
    )


@needs_torch
@pytest.mark.parametrize("xs,ws,kw", CONV2D, ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_parity(device, xs, ws, kw, bias):
    if len(xs) == 3 and "groups" in kw:
        pytest.skip("covered batched")
    _conv_case(F.conv2d, TF.conv2d, xs, ws, kw, bias, device)


@needs_torch
@pytest.mark.parametrize(
    "xs,ws,kw",
    [
        ((2, 3, 11), (4, 3, 3), {}),
        ((2, 4, 11), (6, 2, 3), {"groups": 2, "stride": 2, "padding": 1, "dilation": 2}),
        ((2, 4, 10), (4, 4, 4), {"padding": "same"}),
        ((3, 9), (2, 3, 2), {"stride": 3}),
    ],
    ids=str,
)
def test_conv1d_parity(device, xs, ws, kw):
    _conv_case(F.conv1d, TF.conv1d, xs, ws, kw, True, device)


@needs_torch
@pytest.mark.parametrize(
    "xs,ws,kw",
    [
        ((2, 3, 5, 4), (3, 2, 3, 3), {}),
        ((2, 3, 5, 4), (3, 2, 3, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
        (
            (2, 4, 4, 5),
            (4, 3, 3, 2),
            {"stride": (2, 3), "groups": 2, "dilation": 2, "output_padding": (1, 0)},
        ),
        ((2, 6, 3, 3), (6, 1, 4, 4), {"stride": 2, "padding": 1, "groups": 6}),
        ((4, 3, 3), (4, 2, 2, 2), {"stride": 2}),
    ],
    ids=str,
)
def test_conv_transpose2d_parity(device, xs, ws, kw):
    _conv_case(F.conv_transpose2d, TF.conv_transpose2d, xs, ws, kw, True, device, transposed=True)


@needs_torch
def test_conv_transpose1d_parity(device):
    kw = {"stride": 2, "padding": 1, "output_padding": 1, "dilation": 2}
    _conv_case(
        F.conv_transpose1d, TF.conv_transpose1d, (2, 3, 6), (3, 4, 3), kw, True, device, transposed=True
    )


@pytest.mark.parametrize(
    "xs,ws,kw",
    [
        ((1, 2, 4, 4), (2, 2, 2, 2), {"stride": 2, "padding": 1}),
        ((2, 2, 4, 3), (2, 1, 3, 2), {"groups": 2, "dilation": (1, 2), "padding": (1, 2)}),
    ],
    ids=str,
)
def test_conv2d_gradcheck_and_double_backward(device, xs, ws, kw):
    rng = np.random.default_rng(1)
    x = A.tensor(rng.standard_normal(xs), device=device, requires_grad=True)
    w = A.tensor(rng.standard_normal(ws), device=device, requires_grad=True)
    b = A.tensor(rng.standard_normal(ws[0]), device=device, requires_grad=True)
    assert A.gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), (x, w, b))
    wt = A.tensor(
        rng.standard_normal((xs[1], 2 // kw.get("groups", 1)) + ws[2:]), device=device, requires_grad=True
    )
    kt = dict(kw, output_padding=1) if kw.get("stride", 1) > 1 else kw
    assert A.gradcheck(lambda x, w: F.conv_transpose2d(x, w, **kt), (x, wt))
    # double backward (conv, its input grad and its weight grad are each other's gradients) on a tiny case
    xs2, ws2 = (
        A.tensor(rng.standard_normal((1, 2, 3, 3)), device=device, requires_grad=True),
        w[:, :1, :2, :2],
    )
    ws2 = ws2.detach().requires_grad_(True)
    assert A.gradgradcheck(
        lambda x, w: F.conv2d(x[:, : w.shape[1] * kw.get("groups", 1)], w, **kw), (xs2, ws2)
    )


def test_conv2d_known_values(device):
    # an all-ones 2x2 kernel sums each window; bias adds
    x = A.arange(16.0, device=device).reshape(1, 1, 4, 4)
    w = A.ones(1, 1, 2, 2, device=device)
    y = F.conv2d(x, w, A.tensor([0.5], device=device), stride=2)
    np.testing.assert_allclose(to_numpy(y)[0, 0], [[10.5, 18.5], [42.5, 50.5]])
    y1 = F.conv1d(A.tensor([[[1.0, 2.0, 3.0, 4.0]]], device=device), A.tensor([[[1.0, -1.0]]], device=device))
    np.testing.assert_allclose(to_numpy(y1), [[[-1.0, -1.0, -1.0]]])


@needs_torch
@pytest.mark.parametrize("layout", ["nhwc", "cnhw", "strided"])
def test_conv2d_memory_layouts(device, layout):
    """Channels-last, channel-major and sliced inputs give the same values and grads as contiguous NCHW."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal((2, 6, 7, 8)).astype(np.float32)
    w = rng.standard_normal((4, 6, 3, 3)).astype(np.float32)
    if layout == "nhwc":
        arr = np.ascontiguousarray(base.transpose(0, 2, 3, 1))
        x = A.tensor(arr, device=device).permute(0, 3, 1, 2)
    elif layout == "cnhw":
        arr = np.ascontiguousarray(base.transpose(1, 0, 2, 3))
        x = A.tensor(arr, device=device).permute(1, 0, 2, 3)
    else:
        big = np.zeros((2, 6, 7, 16), np.float32)
        big[..., ::2] = base
        x = A.tensor(big, device=device)[..., ::2]
    x = x.detach().requires_grad_(True)
    aw = A.tensor(w, device=device, requires_grad=True)
    y = F.conv2d(x, aw, padding=1)
    (y * y).sum().backward()
    tx, tw = torch.tensor(base, requires_grad=True), torch.tensor(w, requires_grad=True)
    ty = TF.conv2d(tx, tw, padding=1)
    (ty * ty).sum().backward()
    np.testing.assert_allclose(to_numpy(y), ty.detach().numpy(), atol=1e-4)
    np.testing.assert_allclose(to_numpy(x.grad), tx.grad.numpy(), atol=1e-3, rtol=1e-4)
    np.testing.assert_allclose(to_numpy(aw.grad), tw.grad.numpy(), atol=1e-3, rtol=1e-4)


def _backend(device):
    return A.zeros(1, device=device).backend


@needs_torch
@pytest.mark.parametrize("path", ["chunked", "no_as_strided"])
def test_conv_kernel_paths(device, path, monkeypatch):
    """Small chunks (many GEMM blocks) and array modules without as_strided give the same results."""
    be = _backend(device)
    if path == "chunked":
        monkeypatch.setattr(be, "conv_chunk_bytes", 64, raising=False)
    else:
        monkeypatch.setattr(be, "as_strided", lambda a, shape, strides: None, raising=False)
    for xs, ws, kw in (CONV2D[0], CONV2D[1], CONV2D[2], CONV2D[8]):
        _conv_case(F.conv2d, TF.conv2d, (5,) + xs[1:], ws, kw, True, device, gradcheck=False)
    _conv_case(
        F.conv_transpose2d, TF.conv_transpose2d, (3, 4, 4, 5), (4, 3, 3, 2), {"stride": 2}, True, device, True
    )
    check_op(
        [(3, 2, 6, 5)],
        lambda x: F.unfold(x, (2, 3), padding=1, stride=(1, 2)),
        lambda x: TF.unfold(x, (2, 3), padding=1, stride=(1, 2)),
        device=device,
        gradcheck=False,
    )


@needs_torch
@pytest.mark.parametrize(
    "kw",
    [
        {"kernel_size": 2},
        {"kernel_size": (2, 3), "dilation": (2, 1), "padding": 1, "stride": (1, 2)},
        {"kernel_size": 3, "stride": 2, "padding": 1},
    ],
    ids=str,
)
def test_unfold_fold_parity(device, kw):
    check_op([(2, 3, 6, 7)], lambda x: F.unfold(x, **kw), lambda x: TF.unfold(x, **kw), device=device)
    cols = TF.unfold(torch.zeros(2, 3, 6, 7), **kw)
    check_op(
        [tuple(cols.shape)],
        lambda c: F.fold(c, (6, 7), **kw),
        lambda c: TF.fold(c, (6, 7), **kw),
        device=device,
    )


def test_unfold_fold_gradcheck(device):
    rng = np.random.default_rng(0)
    x = A.tensor(rng.standard_normal((1, 2, 3, 4)), device=device, requires_grad=True)
    assert A.gradcheck(lambda x: F.unfold(x, 2, padding=1), (x,))
    c = A.tensor(rng.standard_normal((1, 8, 6)), device=device, requires_grad=True)
    assert A.gradgradcheck(lambda c: F.fold(c, (3, 4), 2, stride=1), (c,))
    # fold(unfold(x)) counts how many blocks cover each pixel
    ones = A.ones(1, 1, 3, 3, device=device)
    np.testing.assert_allclose(
        to_numpy(F.fold(F.unfold(ones, 2), (3, 3), 2))[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    )


# ---- modules -----------------------------------------------------------------------------------------------
def _copy_params(ours, theirs):
    for p, t in zip(ours.parameters(), theirs.parameters()):
        p._data[...] = p.backend.asarray(t.detach().numpy())


@needs_torch
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv2d_module_padding_modes(device, mode):
    ours = nn.Conv2d(3, 4, (3, 2), stride=(1, 2), padding=(1, 2), padding_mode=mode, device=device)
    theirs = torch.nn.Conv2d(3, 4, (3, 2), stride=(1, 2), padding=(1, 2), padding_mode=mode)
    _copy_params(ours, theirs)
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 7)).astype(np.float32)
    check_op([x], lambda t: ours(t), lambda t: theirs(t), device=device, gradcheck=False, atol=1e-4)


@needs_torch
def test_conv_modules_same_as_torch(device):
    rng = np.random.default_rng(0)
    for ours, theirs, shape in (
        (
            nn.Conv1d(3, 4, 3, padding="same", padding_mode="reflect"),
            torch.nn.Conv1d(3, 4, 3, padding="same", padding_mode="reflect"),
            (2, 3, 9),
        ),
        (
            nn.ConvTranspose2d(3, 4, 3, 2, 1, 1, groups=1),
            torch.nn.ConvTranspose2d(3, 4, 3, 2, 1, 1),
            (2, 3, 4, 5),
        ),
        (
            nn.ConvTranspose1d(4, 2, 3, 2, groups=2, bias=False),
            torch.nn.ConvTranspose1d(4, 2, 3, 2, groups=2, bias=False),
            (2, 4, 5),
        ),
    ):
        ours.to(device)
        _copy_params(ours, theirs)
        x = rng.standard_normal(shape).astype(np.float32)
        check_op(
            [x], lambda t, m=ours: m(t), lambda t, m=theirs: m(t), device=device, gradcheck=False, atol=1e-4
        )
    # output_size picks the output_padding
    up, tup = (
        nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1).to(device),
        torch.nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1),
    )
    _copy_params(up, tup)
    x = rng.standard_normal((1, 2, 4, 4)).astype(np.float32)
    y = up(A.tensor(x, device=device), output_size=(8, 8))
    ty = tup(torch.tensor(x), output_size=(8, 8))
    np.testing.assert_allclose(to_numpy(y), ty.detach().numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="valid sizes range"):
        up(A.tensor(x, device=device), output_size=(10, 10))


def test_conv_module_shapes_init_repr(device):
    A.manual_seed(0)
    m = nn.Conv2d(4, 8, 3, stride=2, padding=1, groups=2, bias=True, device=device)
    assert tuple(m.weight.shape) == (8, 2, 3, 3) and tuple(m.bias.shape) == (8,)
    bound = 1 / math.sqrt(2 * 9)
    assert float(m.weight.abs().max().item()) <= bound + 1e-6
    assert float(m.bias.abs().max().item()) <= bound + 1e-6
    assert float(m.weight.abs().max().item()) > bound / 2  # really spread over the range
    assert repr(m).startswith("Conv2d(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), groups=2")
    t = nn.ConvTranspose2d(4, 6, 2, groups=2, bias=False)
    assert tuple(t.weight.shape) == (4, 3, 2, 2) and t.bias is None
    assert "bias=False" in repr(t)
    y = m(A.randn(2, 4, 9, 9, device=device))
    assert tuple(y.shape) == (2, 8, 5, 5)
    assert {n for n, _ in m.named_parameters()} == {"weight", "bias"}


def test_fold_unfold_modules(device):
    x = A.randn(2, 3, 5, 6, device=device)
    cols = nn.Unfold(2, stride=1)(x)
    assert tuple(cols.shape) == (2, 12, 20)
    back = nn.Fold((5, 6), 2)(cols)
    assert tuple(back.shape) == (2, 3, 5, 6)
    assert "kernel_size=2" in repr(nn.Fold((5, 6), 2))


# ---- errors --------------------------------------------------------------------------------------------------
def test_conv_errors(device):
    x = A.randn(2, 4, 8, 8, device=device)
    w = A.randn(6, 3, 3, 3, device=device)
    with pytest.raises(
        RuntimeError, match=r"conv2d: expected input of shape \(N, C, H, W\) with C=3.*\(2, 4, 8, 8\)"
    ):
        F.conv2d(x, w)
    with pytest.raises(RuntimeError, match=r"conv2d: expected a 3-D \(unbatched\) or 4-D .*got 2-D"):
        F.conv2d(A.randn(3, 8, device=device), w)
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input size"):
        F.conv2d(A.randn(1, 3, 2, 2, device=device), w)
    with pytest.raises(RuntimeError, match="divisible by groups"):
        F.conv2d(A.randn(1, 6, 5, 5, device=device), A.randn(5, 3, 3, 3, device=device), groups=2)
    with pytest.raises(ValueError, match="not supported for strided"):
        F.conv2d(A.randn(1, 3, 5, 5, device=device), w, padding="same", stride=2)
    with pytest.raises(RuntimeError, match="same dtype"):
        F.conv2d(A.randn(1, 3, 5, 5, device=device, dtype=A.float64), w)
    with pytest.raises(RuntimeError, match=r"bias of shape \(6,\)"):
        F.conv2d(A.randn(1, 3, 5, 5, device=device), w, A.randn(5, device=device))
    with pytest.raises(RuntimeError, match="conv1d: expected input of shape"):
        F.conv1d(A.randn(2, 4, 8, device=device), A.randn(3, 2, 3, device=device))
    with pytest.raises(RuntimeError, match=r"conv_transpose2d: expected input .* with C=3"):
        F.conv_transpose2d(x, A.randn(3, 2, 3, 3, device=device))
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        F.conv_transpose2d(
            A.randn(1, 3, 4, 4, device=device), A.randn(3, 2, 3, 3, device=device), output_padding=1
        )
    with pytest.raises(ValueError, match="in_channels=3 must be divisible by groups=2"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(RuntimeError, match=r"fold: expected an input of shape \(N, C\*4, 12\)"):
        F.fold(A.randn(1, 8, 11, device=device), (4, 5), 2)


def test_conv_retain_graph_second_backward(device):
    """The column matrix is freed after the first backward; a retained graph's second pass rebuilds it."""
    x = A.randn(2, 3, 6, 6, device=device, requires_grad=True)
    w = A.randn(4, 3, 3, 3, device=device, requires_grad=True)
    y = F.conv2d(x, w, padding=1).square().sum()
    y.backward(retain_graph=True)
    gw, gx = to_numpy(w.grad).copy(), to_numpy(x.grad).copy()
    y.backward()
    np.testing.assert_allclose(to_numpy(w.grad), 2 * gw, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_numpy(x.grad), 2 * gx, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("c", [1, 3, 5])
def test_conv_pool_empty_batch(device, c):
    x = A.randn(0, c, 8, 8, device=device, requires_grad=True)
    w = A.randn(4, c, 3, 3, device=device, requires_grad=True)
    y = F.max_pool2d(F.conv2d(x, w, padding=1), 2)
    assert tuple(y.shape) == (0, 4, 4, 4)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, c, 8, 8) and float(w.grad.abs().sum().item()) == 0.0
