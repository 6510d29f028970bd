"""3-d convolution and pooling: conv3d/conv_transpose3d, max/avg/adaptive pool3d and their modules (plus
InstanceNorm3d) against PyTorch in float64 (values, input/weight/bias grads, argmax indices), float64
gradchecks, state_dict loading, unbatched inputs and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import HAVE_TORCH, to_numpy

import autograd as A
import nn
import nn.functional as F

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="needs PyTorch as the reference")

if HAVE_TORCH:
    import torch
    import torch.nn.functional as TF

TOL = 1e-10  # float64 on both sides: only summation order differs


def _ties(shape, seed=0):
    """Random values where a third are exactly 0 (as after a ReLU): windows with tied maxima."""
    x = np.random.default_rng(seed).standard_normal(shape)
    return np.where(x < -0.4, 0.0, x)


def _parity(arrays, fn, tfn, device, tol=TOL):
    """Run ``fn`` on our float64 tensors and ``tfn`` on torch's; compare the output and every input grad.

    Returns the largest absolute difference seen (value or gradient)."""
    ours = [A.tensor(a, device=device, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, ty = fn(*ours), tfn(*theirs)
    assert tuple(y.shape) == tuple(ty.shape), f"shape {tuple(y.shape)} != torch {tuple(ty.shape)}"
    worst = float(np.abs(to_numpy(y) - ty.detach().numpy()).max(initial=0))
    assert worst <= tol, f"forward: max abs diff {worst:.3g}"
    up = np.random.default_rng(7).standard_normal(tuple(ty.shape))
    (y * A.tensor(up, device=device)).sum().backward()
    (ty * torch.tensor(up)).sum().backward()
    for i, (o, t) in enumerate(zip(ours, theirs)):
        assert o.grad is not None, f"grad of input {i}: ours is None"
        err = float(np.abs(to_numpy(o.grad) - t.grad.numpy()).max(initial=0))
        assert err <= tol, f"grad of input {i}: max abs diff {err:.3g}"
        worst = max(worst, err)
    return worst


# ---- conv3d / conv_transpose3d -----------------------------------------------------------------------------
CONV3D = [
    ((2, 3, 5, 6, 4), (4, 3, 2, 3, 3), {}),
    (
        (2, 4, 7, 6, 5),
        (6, 2, 3, 2, 3),
        {"stride": (2, 1, 2), "padding": (1, 0, 2), "dilation": (2, 1, 1), "groups": 2},
    ),
    ((2, 3, 5, 6, 5), (3, 1, 3, 3, 2), {"groups": 3, "padding": "same", "dilation": (2, 1, 1)}),  # depthwise
    ((1, 2, 4, 5, 6), (3, 2, 2, 2, 2), {"padding": "same"}),  # even kernel: the extra pad goes after
    ((2, 2, 5, 7, 6), (4, 2, 3, 3, 3), {"padding": "valid", "stride": 3}),
    ((2, 4, 3, 4, 5), (4, 4, 1, 1, 1), {"stride": (1, 2, 1)}),
    ((3, 5, 6, 5), (2, 3, 3, 3, 3), {"padding": 1}),  # unbatched (C, D, H, W)
]


@needs_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on its own padded copy
@pytest.mark.parametrize("xs,ws,kw", CONV3D, ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_conv3d_parity(device, xs, ws, kw, bias):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(xs), rng.standard_normal(ws)] + (
        [rng.standard_normal(ws[0])] if bias else []
    )
    _parity(
        arrays,
        lambda x, w, *b: F.conv3d(x, w, b[0] if b else None, **kw),
        lambda x, w, *b: TF.conv3d(x, w, b[0] if b else None, **kw),
        device,
    )


CONV_T3D = [
    ((2, 3, 3, 4, 3), (3, 2, 3, 2, 3), {}),
    (
        (2, 4, 3, 4, 3),
        (4, 3, 3, 2, 3),
        {
            "stride": (2, 3, 1),
            "padding": (1, 0, 1),
            "output_padding": (1, 2, 0),
            "groups": 2,
            "dilation": (2, 1, 1),
        },
    ),
    ((2, 4, 3, 3, 2), (4, 1, 4, 2, 2), {"stride": 3, "padding": 2, "output_padding": 2, "groups": 4}),
    ((1, 2, 2, 3, 3), (2, 3, 2, 3, 2), {"stride": 2, "padding": (2, 1, 0), "dilation": (3, 1, 2)}),
    ((3, 2, 3, 3), (3, 2, 2, 2, 2), {"stride": 2}),  # unbatched
]


@needs_torch
@pytest.mark.parametrize("xs,ws,kw", CONV_T3D, ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose3d_parity(device, xs, ws, kw, bias):
    rng = np.random.default_rng(1)
    out_c = ws[1] * kw.get("groups", 1)
    arrays = [rng.standard_normal(xs), rng.standard_normal(ws)] + (
        [rng.standard_normal(out_c)] if bias else []
    )
    _parity(
        arrays,
        lambda x, w, *b: F.conv_transpose3d(x, w, b[0] if b else None, **kw),
        lambda x, w, *b: TF.conv_transpose3d(x, w, b[0] if b else None, **kw),
        device,
    )


def test_conv3d_gradcheck_and_double_backward(device):
    rng = np.random.default_rng(2)
    x = A.tensor(rng.standard_normal((1, 2, 3, 3, 4)), device=device, requires_grad=True)
    w = A.tensor(rng.standard_normal((2, 1, 2, 2, 2)), device=device, requires_grad=True)
    b = A.tensor(rng.standard_normal(2), device=device, requires_grad=True)
    kw = {"stride": (2, 1, 2), "padding": 1, "groups": 2}
    assert A.gradcheck(lambda x, w, b: F.conv3d(x, w, b, **kw), (x, w, b))
    assert A.gradgradcheck(lambda x, w: F.conv3d(x, w, dilation=(1, 2, 1), groups=2), (x, w))
    wt = A.tensor(rng.standard_normal((2, 1, 2, 2, 2)), device=device, requires_grad=True)
    kt = {"stride": 2, "padding": (1, 0, 1), "output_padding": (1, 0, 1), "groups": 2}
    assert A.gradcheck(lambda x, w, b: F.conv_transpose3d(x, w, b, **kt), (x, wt, b))


def test_conv3d_known_values(device):
    # an all-ones 2x2x2 kernel sums each window
    x = A.arange(27.0, device=device).reshape(1, 1, 3, 3, 3)
    y = F.conv3d(x, A.ones(1, 1, 2, 2, 2, device=device), A.tensor([0.5], device=device))
    want = np.array(
        [
            sum(i + 9 * a + 3 * b + c for a in (0, 1) for b in (0, 1) for c in (0, 1))
            for i in (0, 1, 3, 4, 9, 10, 12, 13)
        ]
    )
    np.testing.assert_allclose(to_numpy(y).ravel(), want + 0.5)
    # a transposed conv of a one-hot input stamps the kernel at the scaled position
    onehot = np.zeros((1, 1, 2, 2, 2), dtype=np.float32)
    onehot[0, 0, 1, 0, 1] = 1.0
    z = A.tensor(onehot, device=device)
    k = A.arange(8.0, device=device).reshape(1, 1, 2, 2, 2)
    out = to_numpy(F.conv_transpose3d(z, k, stride=2))
    assert out.shape == (1, 1, 4, 4, 4)
    np.testing.assert_array_equal(out[0, 0, 2:4, 0:2, 2:4], np.arange(8.0).reshape(2, 2, 2))
    assert out.sum() == 28.0


# ---- pooling ------------------------------------------------------------------------------------------------
MAX3D = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {
        "kernel_size": (2, 3, 2),
        "stride": (1, 2, 2),
        "padding": (1, 1, 0),
        "dilation": (2, 1, 2),
        "ceil_mode": True,
    },
    {"kernel_size": (1, 2, 2), "stride": (1, 2, 1)},
]


@needs_torch
@pytest.mark.parametrize("kw", MAX3D, ids=str)
@pytest.mark.parametrize("shape", [(2, 2, 7, 6, 5), (2, 5, 6, 7)], ids=str)  # odd sizes; unbatched
def test_max_pool3d_parity(device, kw, shape):
    x = _ties(shape)
    _parity([x], lambda t: F.max_pool3d(t, **kw), lambda t: TF.max_pool3d(t, **kw), device)
    out, idx = F.max_pool3d(A.tensor(x, device=device), return_indices=True, **kw)
    tout, tidx = TF.max_pool3d(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(to_numpy(idx), tidx.numpy())
    assert idx.dtype == A.int64


AVG3D = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": True},
    {"kernel_size": (3, 2, 3), "stride": (2, 1, 2), "padding": (1, 1, 0), "divisor_override": 5},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "divisor_override": 4},
]


@needs_torch
@pytest.mark.parametrize("kw", AVG3D, ids=str)
@pytest.mark.parametrize("shape", [(2, 2, 7, 6, 5), (2, 5, 6, 7)], ids=str)
def test_avg_pool3d_parity(device, kw, shape):
    x = np.random.default_rng(3).standard_normal(shape)
    _parity([x], lambda t: F.avg_pool3d(t, **kw), lambda t: TF.avg_pool3d(t, **kw), device)


@needs_torch
@pytest.mark.parametrize("size", [1, (3, 4, 2), (5, None, 3), 7, (7, 6, 5), (2, 1, 4)], ids=str)
def test_adaptive_pool3d_parity(device, size):
    x = _ties((2, 2, 7, 6, 5))
    _parity([x], lambda t: F.adaptive_avg_pool3d(t, size), lambda t: TF.adaptive_avg_pool3d(t, size), device)
    _parity([x], lambda t: F.adaptive_max_pool3d(t, size), lambda t: TF.adaptive_max_pool3d(t, size), device)
    _, idx = F.adaptive_max_pool3d(A.tensor(x, device=device), size, return_indices=True)
    np.testing.assert_array_equal(
        to_numpy(idx), TF.adaptive_max_pool3d(torch.tensor(x), size, True)[1].numpy()
    )


@needs_torch
def test_adaptive_pool3d_unbatched(device):
    x = _ties((3, 5, 4, 7))
    _parity(
        [x],
        lambda t: F.adaptive_avg_pool3d(t, (2, 3, 3)),
        lambda t: TF.adaptive_avg_pool3d(t, (2, 3, 3)),
        device,
    )
    _parity(
        [x],
        lambda t: F.adaptive_max_pool3d(t, (4, 3, 2)),
        lambda t: TF.adaptive_max_pool3d(t, (4, 3, 2)),
        device,
    )
    _, idx = F.adaptive_max_pool3d(A.tensor(x, device=device), (4, 3, 2), return_indices=True)
    np.testing.assert_array_equal(
        to_numpy(idx), TF.adaptive_max_pool3d(torch.tensor(x), (4, 3, 2), True)[1].numpy()
    )


def test_pool3d_gradcheck(device):
    rng = np.random.default_rng(4)
    z = A.tensor(rng.standard_normal((1, 2, 4, 3, 5)), device=device, requires_grad=True)
    assert A.gradcheck(lambda t: F.max_pool3d(t, 2, 1, 1, ceil_mode=True), (z,))
    assert A.gradcheck(lambda t: F.avg_pool3d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False), (z,))
    assert A.gradcheck(lambda t: F.adaptive_max_pool3d(t, (3, 2, 2)), (z,))
    assert A.gradcheck(lambda t: F.adaptive_avg_pool3d(t, (3, 2, 4)), (z,))
    assert A.gradgradcheck(lambda t: F.avg_pool3d(t, 2, 1, divisor_override=3), (z,))
    assert A.gradgradcheck(lambda t: F.max_pool3d(t, 2, 1), (z,))


def test_pool3d_known_values(device):
    x = A.arange(8.0, device=device).reshape(1, 1, 2, 2, 2)
    x.requires_grad_(True)
    y = F.max_pool3d(x, 2)
    assert to_numpy(y).ravel().tolist() == [7.0]
    y.sum().backward()
    assert to_numpy(x.grad).ravel().tolist() == [0.0] * 7 + [1.0]
    assert to_numpy(F.avg_pool3d(x, 2)).ravel().tolist() == [3.5]
    # ties: the first maximum in (d, h, w) order takes the gradient and the index, as in PyTorch
    t = A.zeros(1, 1, 2, 2, 2, device=device, requires_grad=True)
    out, idx = F.max_pool3d(t, 2, return_indices=True)
    out.sum().backward()
    assert to_numpy(idx).ravel().tolist() == [0] and to_numpy(t.grad).ravel().tolist() == [1.0] + [0.0] * 7


# ---- modules ------------------------------------------------------------------------------------------------
def _load_torch_state(ours, theirs, device):
    """Load torch's state_dict into ours one to one (strict: names and shapes must match)."""
    ours.load_state_dict({k: A.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    ours.to(device)


@needs_torch
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv3d_module_padding_modes(device, mode):
    kw = {"stride": (1, 2, 1), "padding": (1, 2, 1), "padding_mode": mode, "groups": 2}
    theirs = torch.nn.Conv3d(4, 2, (3, 2, 2), **kw).double()
    ours = nn.Conv3d(4, 2, (3, 2, 2), **kw).double()
    _load_torch_state(ours, theirs, device)
    x = np.random.default_rng(5).standard_normal((2, 4, 4, 5, 4))
    _parity([x], ours, theirs, device)
    assert to_numpy(ours.weight.grad).shape == (2, 2, 3, 2, 2)
    theirs.zero_grad()
    ours.zero_grad()
    _parity([x[0]], ours, theirs, device)  # unbatched


@needs_torch
def test_conv3d_module_same_padding_and_grads(device):
    theirs = torch.nn.Conv3d(2, 3, 3, padding="same", dilation=(1, 2, 1), padding_mode="reflect").double()
    ours = nn.Conv3d(2, 3, 3, padding="same", dilation=(1, 2, 1), padding_mode="reflect").double()
    _load_torch_state(ours, theirs, device)
    x = np.random.default_rng(6).standard_normal((2, 2, 4, 6, 5))
    _parity([x], ours, theirs, device)
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(to_numpy(p.grad), tp.grad.numpy(), atol=TOL, err_msg=name)


@needs_torch
def test_conv_transpose3d_module_and_output_size(device):
    theirs = torch.nn.ConvTranspose3d(4, 2, 3, stride=2, padding=1, groups=2).double()
    ours = nn.ConvTranspose3d(4, 2, 3, stride=2, padding=1, groups=2).double()
    _load_torch_state(ours, theirs, device)
    x = np.random.default_rng(7).standard_normal((2, 4, 3, 2, 3))
    _parity([x], ours, theirs, device)
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(to_numpy(p.grad), tp.grad.numpy(), atol=TOL)
    for size in [(6, 4, 5), (5, 3, 6), (2, 2, 6, 4, 6)]:
        _parity(
            [x],
            lambda t, s=size: ours(t, output_size=s),
            lambda t, s=size: theirs(t, output_size=s),
            device,
        )
    with pytest.raises(ValueError, match="valid sizes range"):
        ours(A.tensor(x, device=device), output_size=(8, 4, 5))
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose3d(2, 2, 3, padding_mode="reflect")


@needs_torch
def test_pool3d_modules_same_as_torch(device):
    x = _ties((2, 3, 5, 6, 7))
    for ours, theirs in (
        (nn.MaxPool3d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool3d(3, 2, 1, ceil_mode=True)),
        (
            nn.AvgPool3d(2, (1, 2, 2), 1, count_include_pad=False),
            torch.nn.AvgPool3d(2, (1, 2, 2), 1, count_include_pad=False),
        ),
        (nn.AvgPool3d(3, 2, divisor_override=2), torch.nn.AvgPool3d(3, 2, divisor_override=2)),
        (nn.AdaptiveAvgPool3d((2, None, 3)), torch.nn.AdaptiveAvgPool3d((2, None, 3))),
        (nn.AdaptiveMaxPool3d(3), torch.nn.AdaptiveMaxPool3d(3)),
    ):
        _parity([x], ours, theirs, device)
        _parity([x[1]], ours, theirs, device)  # unbatched
    out, idx = nn.MaxPool3d(2, return_indices=True)(A.tensor(x, device=device))
    tout, tidx = torch.nn.MaxPool3d(2, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(to_numpy(idx), tidx.numpy())
    out, idx = nn.AdaptiveMaxPool3d((2, 3, 4), return_indices=True)(A.tensor(x, device=device))
    np.testing.assert_array_equal(
        to_numpy(idx), torch.nn.AdaptiveMaxPool3d((2, 3, 4), True)(torch.tensor(x))[1].numpy()
    )
    assert (
        repr(nn.MaxPool3d(2)) == "MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert repr(nn.AdaptiveAvgPool3d(1)) == "AdaptiveAvgPool3d(output_size=1)"


@needs_torch
@pytest.mark.parametrize(
    "kw,shape",
    [
        ({"affine": True, "track_running_stats": True}, (2, 3, 3, 4, 5)),
        ({}, (2, 3, 3, 4, 5)),
        ({"affine": True}, (3, 2, 4, 3)),
    ],
    ids=str,
)
def test_instance_norm3d_parity(device, kw, shape):
    theirs = torch.nn.InstanceNorm3d(3, **kw).double()
    ours = nn.InstanceNorm3d(3, **kw).double()
    if kw.get("affine"):
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            theirs.bias.uniform_(-0.5, 0.5)
    _load_torch_state(ours, theirs, device)
    x = np.random.default_rng(8).standard_normal(shape)
    _parity([x], ours, theirs, device)
    for name, buf in theirs.state_dict().items():
        np.testing.assert_allclose(to_numpy(ours.state_dict()[name]), buf.numpy(), atol=TOL, err_msg=name)
    ours.eval()
    theirs.eval()
    _parity([x], ours, theirs, device)


def test_conv3d_module_shapes_init_repr(device):
    A.manual_seed(0)
    m = nn.Conv3d(4, 6, (3, 2, 2), stride=2, padding=1, groups=2, device=device)
    assert tuple(m.weight.shape) == (6, 2, 3, 2, 2) and tuple(m.bias.shape) == (6,)
    bound = 1 / math.sqrt(2 * 12)
    assert bound / 2 < float(m.weight.abs().max().item()) <= bound + 1e-6
    assert float(m.bias.abs().max().item()) <= bound + 1e-6
    assert repr(m).startswith(
        "Conv3d(4, 6, kernel_size=(3, 2, 2), stride=(2, 2, 2), padding=(1, 1, 1), groups=2)"
    )
    t = nn.ConvTranspose3d(4, 6, 2, groups=2, bias=False)
    assert tuple(t.weight.shape) == (4, 3, 2, 2, 2) and t.bias is None
    assert repr(t).startswith(
        "ConvTranspose3d(4, 6, kernel_size=(2, 2, 2), stride=(1, 1, 1), groups=2, bias=False)"
    )
    assert tuple(m(A.randn(2, 4, 5, 6, 7, device=device)).shape) == (2, 6, 3, 4, 4)
    e = m(A.randn(0, 4, 5, 6, 7, device=device))  # empty batch
    assert tuple(e.shape) == (0, 6, 3, 4, 4)
    assert {n for n, _ in m.named_parameters()} == {"weight", "bias"}


# ---- errors --------------------------------------------------------------------------------------------------
def test_conv3d_pool3d_errors(device):
    x = A.randn(2, 4, 5, 5, 5, device=device)
    w = A.randn(6, 3, 3, 3, 3, device=device)
    with pytest.raises(
        RuntimeError, match=r"conv3d: expected input of shape \(N, C, D, H, W\) with C=3.*\(2, 4, 5, 5, 5\)"
    ):
        F.conv3d(x, w)
    with pytest.raises(RuntimeError, match=r"conv3d: expected a 4-D \(unbatched\) or 5-D .*got 3-D"):
        F.conv3d(A.randn(3, 5, 5, device=device), w)
    with pytest.raises(RuntimeError, match="conv3d: expected a 5-D weight"):
        F.conv3d(x, A.randn(6, 4, 3, 3, device=device))
    with pytest.raises(RuntimeError, match="conv3d: .*Kernel size can't be greater than actual input size"):
        F.conv3d(A.randn(1, 3, 2, 5, 5, device=device), w)
    with pytest.raises(ValueError, match="conv3d: padding='same' is not supported for strided"):
        F.conv3d(A.randn(1, 3, 5, 5, 5, device=device), w, padding="same", stride=(2, 1, 1))
    with pytest.raises(RuntimeError, match=r"conv3d: expected a bias of shape \(6,\)"):
        F.conv3d(A.randn(1, 3, 5, 5, 5, device=device), w, A.randn(5, device=device))
    with pytest.raises(RuntimeError, match="conv3d: .*same dtype"):
        F.conv3d(A.randn(1, 3, 5, 5, 5, device=device, dtype=A.float64), w)
    with pytest.raises(RuntimeError, match=r"conv_transpose3d: expected input .* with C=3"):
        F.conv_transpose3d(x, A.randn(3, 2, 3, 3, 3, device=device))
    with pytest.raises(RuntimeError, match="conv_transpose3d: output padding must be smaller"):
        F.conv_transpose3d(
            A.randn(1, 3, 2, 2, 2, device=device),
            A.randn(3, 2, 3, 3, 3, device=device),
            output_padding=(1, 0, 0),
        )
    with pytest.raises(ValueError, match="Conv3d: in_channels=3 must be divisible by groups=2"):
        nn.Conv3d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="Conv3d: kernel_size must be an int or a tuple of 3 ints"):
        nn.Conv3d(3, 4, (3, 3))
    with pytest.raises(RuntimeError, match="max_pool3d: pad should be at most half of kernel size"):
        F.max_pool3d(x, 3, padding=2, dilation=2)  # torch checks the undilated kernel in 3-d
    with pytest.raises(RuntimeError, match="avg_pool3d: pad should be at most half of kernel size"):
        F.avg_pool3d(x, 2, padding=(0, 2, 0))
    with pytest.raises(
        RuntimeError,
        match=r"max_pool3d: given input size \(1, 2, 2, 2\), the calculated output size .* too small",
    ):
        F.max_pool3d(A.randn(1, 1, 2, 2, 2, device=device), 3)
    with pytest.raises(
        RuntimeError, match=r"avg_pool3d: expected a 4-D \(unbatched\) or 5-D .*\(N, C, D, H, W\)"
    ):
        F.avg_pool3d(A.randn(4, 4, 4, device=device), 2)
    with pytest.raises(RuntimeError, match="avg_pool3d: divisor must be a non-zero integer"):
        F.avg_pool3d(x, 2, divisor_override=0)
    with pytest.raises(RuntimeError, match="adaptive_avg_pool3d: output_size must be 3 positive ints"):
        F.adaptive_avg_pool3d(x, (2, 0, 2))
    with pytest.raises(RuntimeError, match="adaptive_max_pool3d: output_size must be 3 positive ints"):
        F.adaptive_max_pool3d(x, (2, 2))
    with pytest.raises(ValueError, match=r"InstanceNorm3d: expected 4D \(unbatched\) or 5D"):
        nn.InstanceNorm3d(4)(A.randn(2, 4, 5, 5, 5, 5, device=device))
    with pytest.raises(ValueError, match="InstanceNorm3d: expected input with 3 channels"):
        nn.InstanceNorm3d(3)(x)
