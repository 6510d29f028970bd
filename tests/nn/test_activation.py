"""Activations, functional and modules: values and gradients against PyTorch, gradcheck, kinks, in-place, softmax."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from helpers import HAVE_TORCH, check_op, to_numpy

import autograd as A
import nn
import nn.functional as F

if HAVE_TORCH:
    import torch
    import torch.nn.functional as tF
else:  # pragma: no cover - depends on the environment
    torch = tF = None

# name -> (builder taking the functional namespace, low, high, shape)
ACTIVATIONS = {
    "relu": (lambda f: f.relu, -2, 2, (3, 5)),
    "relu6": (lambda f: f.relu6, -2, 8, (3, 5)),
    "leaky_relu": (lambda f: lambda x: f.leaky_relu(x, 0.2), -2, 2, (3, 5)),
    "elu": (lambda f: lambda x: f.elu(x, alpha=0.7), -3, 3, (3, 5)),
    "selu": (lambda f: f.selu, -3, 3, (3, 5)),
    "celu": (lambda f: lambda x: f.celu(x, alpha=1.3), -3, 3, (3, 5)),
    "gelu": (lambda f: f.gelu, -3, 3, (3, 5)),
    "gelu_tanh": (lambda f: lambda x: f.gelu(x, approximate="tanh"), -3, 3, (3, 5)),
    "silu": (lambda f: f.silu, -3, 3, (3, 5)),
    "mish": (lambda f: f.mish, -3, 3, (3, 5)),
    "sigmoid": (lambda f: f.sigmoid, -3, 3, (3, 5)),
    "tanh": (lambda f: f.tanh, -3, 3, (3, 5)),
    "hardtanh": (lambda f: lambda x: f.hardtanh(x, -0.5, 1.5), -2, 2, (3, 5)),
    "hardsigmoid": (lambda f: f.hardsigmoid, -5, 5, (3, 5)),
    "hardswish": (lambda f: f.hardswish, -5, 5, (3, 5)),
    "softplus": (lambda f: f.softplus, -3, 3, (3, 5)),
    "softplus_beta": (lambda f: lambda x: f.softplus(x, beta=2.0, threshold=3.0), -3, 3, (3, 5)),
    "softsign": (lambda f: f.softsign, -3, 3, (3, 5)),
    "logsigmoid": (lambda f: f.logsigmoid, -3, 3, (3, 5)),
    "threshold": (lambda f: lambda x: f.threshold(x, 0.3, -2.0), -2, 2, (3, 5)),
    "tanhshrink": (lambda f: f.tanhshrink, -3, 3, (3, 5)),
    "softshrink": (lambda f: lambda x: f.softshrink(x, 0.4), -2, 2, (3, 5)),
    "hardshrink": (lambda f: lambda x: f.hardshrink(x, 0.4), -2, 2, (3, 5)),
    "glu": (lambda f: lambda x: f.glu(x, 1), -2, 2, (3, 6)),
    "softmax": (lambda f: lambda x: f.softmax(x, dim=1), -3, 3, (3, 5)),
    "softmax0": (lambda f: lambda x: f.softmax(x, dim=0), -3, 3, (3, 5)),
    "log_softmax": (lambda f: lambda x: f.log_softmax(x, dim=-1), -3, 3, (3, 5)),
    "softmin": (lambda f: lambda x: f.softmin(x, dim=1), -3, 3, (3, 5)),
}


def _ref(build):
    return build(tF) if HAVE_TORCH else None


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_functional_matches_torch(device, name):
    build, lo, hi, shape = ACTIVATIONS[name]
    check_op([shape], build(F), _ref(build), device=device, low=lo, high=hi)
    check_op([shape], build(F), _ref(build), device=device, low=lo, high=hi, noncontig=True, gradcheck=False)
    if name != "glu":
        check_op([(0, 2)], build(F), _ref(build), device=device, low=lo, high=hi)


def test_softmax_nd_dims(device):
    for dim in (0, 1, 2, -1):
        build = lambda f, d=dim: lambda x: f.log_softmax(x, d) * f.softmax(x, d)  # noqa: E731
        check_op([(2, 3, 4)], build(F), _ref(build), device=device, gradcheck=dim == 1)


# module name -> (constructor args, input shape, low, high)
MODULES = {
    "ReLU": ((), (2, 3, 4), -2, 2),
    "ReLU6": ((), (2, 3, 4), -2, 8),
    "LeakyReLU": ((0.1,), (2, 3, 4), -2, 2),
    "ELU": ((0.5,), (2, 3, 4), -3, 3),
    "SELU": ((), (2, 3, 4), -3, 3),
    "CELU": ((2.0,), (2, 3, 4), -3, 3),
    "GELU": (("tanh",), (2, 3, 4), -3, 3),
    "SiLU": ((), (2, 3, 4), -3, 3),
    "Mish": ((), (2, 3, 4), -3, 3),
    "Sigmoid": ((), (2, 3, 4), -3, 3),
    "Tanh": ((), (2, 3, 4), -3, 3),
    "Hardtanh": ((-2.0, 2.0), (2, 3, 4), -3, 3),
    "Hardsigmoid": ((), (2, 3, 4), -5, 5),
    "Hardswish": ((), (2, 3, 4), -5, 5),
    "Softplus": ((2.0, 5.0), (2, 3, 4), -3, 3),
    "Softsign": ((), (2, 3, 4), -3, 3),
    "LogSigmoid": ((), (2, 3, 4), -3, 3),
    "Threshold": ((0.1, 20.0), (2, 3, 4), -2, 2),
    "Tanhshrink": ((), (2, 3, 4), -3, 3),
    "Softshrink": ((0.3,), (2, 3, 4), -2, 2),
    "Hardshrink": ((0.3,), (2, 3, 4), -2, 2),
    "GLU": ((1,), (2, 4, 3), -2, 2),
    "Softmax": ((1,), (2, 3, 4), -3, 3),
    "LogSoftmax": ((-1,), (2, 3, 4), -3, 3),
    "Softmin": ((0,), (2, 3, 4), -3, 3),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_match_torch(device, name):
    args, shape, lo, hi = MODULES[name]
    ours = getattr(nn, name)(*args)
    ref = getattr(torch.nn, name)(*args) if HAVE_TORCH else None
    check_op([shape], ours, ref, device=device, low=lo, high=hi, gradcheck=False)
    if HAVE_TORCH:
        assert repr(ours) == repr(ref)


def test_prelu_module_and_weight_grad(device):
    m = nn.PReLU(3, init=0.1).to(device)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert m.weight.shape == (3,) and np.allclose(to_numpy(m.weight), 0.1)
    rng = np.random.default_rng(0)
    w = rng.uniform(-1, 1, 3).astype(np.float32)
    x = rng.uniform(-2, 2, (2, 3, 4)).astype(np.float32)
    with A.no_grad():
        m.weight.copy_(A.tensor(w, device=device))
    xt = A.tensor(x, device=device, requires_grad=True)
    out = m(xt)
    want = np.where(x > 0, x, w[None, :, None] * x)
    assert np.allclose(to_numpy(out), want, atol=1e-6)
    out.sum().backward()
    assert np.allclose(to_numpy(m.weight.grad), np.where(x > 0, 0, x).sum(axis=(0, 2)), atol=1e-5)
    assert np.allclose(to_numpy(xt.grad), np.where(x > 0, 1, w[None, :, None]), atol=1e-6)
    # one shared slope; a 1-D input has one channel
    check_op([(2, 3, 4), (1,)], F.prelu, tF.prelu if HAVE_TORCH else None, device=device)
    check_op([(5,), (1,)], F.prelu, tF.prelu if HAVE_TORCH else None, device=device)
    check_op([(2, 3, 4), (3,)], F.prelu, tF.prelu if HAVE_TORCH else None, device=device)
    with pytest.raises(RuntimeError, match=r"prelu: .*4 parameters.*channel size 3"):
        F.prelu(A.randn(2, 3, 4, device=device), A.ones(4, device=device))


def test_known_values_without_torch(device):
    x = A.tensor([-1.0, 0.0, 1.0, 7.0], device=device)
    close = lambda t, v: np.allclose(to_numpy(t), v, atol=1e-6)  # noqa: E731
    assert close(F.relu6(x), [0, 0, 1, 6])
    assert close(F.hardtanh(x), [-1, 0, 1, 1])
    assert close(F.gelu(x)[2], 0.8413447460685429)
    assert close(F.gelu(x, approximate="tanh")[2], 0.8411919906082768)
    assert close(F.elu(x)[0], math.exp(-1) - 1)
    assert close(F.selu(x)[2], 1.0507009873554805)
    assert close(F.softplus(x)[1], math.log(2))
    assert close(F.logsigmoid(x)[1], -math.log(2))
    assert close(F.silu(x)[2], 1 / (1 + math.exp(-1)))
    assert close(F.mish(x)[2], math.tanh(math.log1p(math.e)))
    assert close(F.hardswish(x)[2], 4 / 6)
    assert close(F.hardsigmoid(x), [2 / 6, 0.5, 4 / 6, 1])
    assert close(F.softsign(x)[0], -0.5)
    assert close(F.leaky_relu(x, 0.1)[0], -0.1)
    assert close(F.threshold(x, 0.5, 9.0), [9, 9, 1, 7])
    s = F.softmax(A.tensor([[1.0, 2.0, 3.0]], device=device), dim=1)
    e = np.exp([1.0, 2.0, 3.0])
    assert close(s, [e / e.sum()])
    assert close(F.log_softmax(A.tensor([[1.0, 2.0, 3.0]], device=device), dim=1), [np.log(e / e.sum())])


# gradients exactly at the kinks follow PyTorch's conventions
KINKS = [
    (lambda x: F.relu(x), [0.0], [0.0]),
    (lambda x: F.relu6(x), [0.0, 6.0], [0.0, 0.0]),
    (lambda x: F.hardtanh(x), [-1.0, 1.0], [0.0, 0.0]),
    (lambda x: F.leaky_relu(x, 0.1), [0.0], [0.1]),
    (lambda x: F.elu(x, 0.5), [0.0], [0.5]),
    (lambda x: F.hardsigmoid(x), [-3.0, 3.0], [0.0, 0.0]),
    (lambda x: F.hardswish(x), [-3.0, 3.0], [0.0, 1.0]),
    (lambda x: F.celu(x, 0.5), [0.0], [1.0]),
    (lambda x: F.selu(x), [0.0], [1.0507009873554805 * 1.6732632423543772]),
    (lambda x: F.threshold(x, 1.0, 0.0), [1.0], [0.0]),
    (lambda x: F.softshrink(x, 0.5), [0.5, -0.5], [0.0, 0.0]),
    (lambda x: F.hardshrink(x, 0.5), [0.5], [0.0]),
]


@pytest.mark.parametrize("case", range(len(KINKS)))
def test_gradient_at_kinks(device, case):
    fn, xs, want = KINKS[case]
    x = A.tensor(xs, device=device, requires_grad=True)
    fn(x).sum().backward()
    assert np.allclose(to_numpy(x.grad), want), (to_numpy(x.grad), want)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_extreme_inputs_are_finite(device, name):
    build, *_ = ACTIVATIONS[name]
    vals = [-1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4, 3.0]
    x = A.tensor([vals, vals[::-1]], device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = build(F)(x)
        y.sum().backward()
    assert bool(y.isfinite().all()) and bool(x.grad.isfinite().all())
    if HAVE_TORCH:
        xt = torch.tensor([vals, vals[::-1]], requires_grad=True)
        yt = build(tF)(xt)
        yt.sum().backward()
        assert np.allclose(to_numpy(y), to_numpy(yt), rtol=1e-5, atol=1e-5)
        assert np.allclose(to_numpy(x.grad), to_numpy(xt.grad), rtol=1e-4, atol=1e-5)


def test_softmax_extreme_logits(device):
    x = A.tensor(
        [[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e30, 0.0, -1e30]], device=device, requires_grad=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ls = F.log_softmax(x, dim=1)
        s = F.softmax(x, dim=1)
        (ls[:, 1].sum() + s[:, 0].sum()).backward()
    assert bool(s.isfinite().all()) and bool(x.grad.isfinite().all())
    assert np.allclose(to_numpy(s).sum(1), 1)
    assert np.allclose(to_numpy(ls)[0], [0, -2e4, -1e4])


def test_softmax_double_backward(device):
    x = A.tensor(np.random.default_rng(0).standard_normal((3, 4)), device=device, requires_grad=True)
    for dim in (0, 1):
        assert A.gradgradcheck(lambda t, d=dim: F.softmax(t, dim=d), (x,))
        assert A.gradgradcheck(lambda t, d=dim: F.log_softmax(t, dim=d), (x,))
    assert A.gradgradcheck(lambda t: F.softmin(t, dim=1), (x,))


def test_softmax_dims_dtype_and_errors(device):
    x = A.randn(2, 3, device=device)
    assert F.softmax(x, 1, dtype=A.float64).dtype == A.float64
    assert F.log_softmax(x.double(), -1).dtype == A.float64
    s0 = F.softmax(A.tensor(2.0, device=device), 0)
    assert s0.shape == () and s0.item() == 1.0
    assert F.log_softmax(A.tensor(2.0, device=device), -1).item() == 0.0
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        legacy = F.softmax(x)
    assert np.allclose(to_numpy(legacy), to_numpy(F.softmax(x, 1)))
    with pytest.warns(UserWarning, match="log_softmax"):
        assert np.allclose(to_numpy(F.log_softmax(A.randn(2, 3, 4, device=device))).shape, (2, 3, 4))
    with pytest.raises(IndexError, match="softmax: dimension out of range"):
        F.softmax(x, 2)
    with pytest.raises(RuntimeError, match="softmax: expected a floating-point input, got .*int64"):
        F.softmax(A.tensor([1, 2], device=device), 0)
    with pytest.raises(ValueError, match="gelu: approximate"):
        F.gelu(x, approximate="exact")
    with pytest.raises(ValueError, match="hardtanh"):
        F.hardtanh(x, 1.0, -1.0)
    with pytest.raises(TypeError, match="relu: expected an autograd.Tensor"):
        F.relu(np.ones(3))


INPLACE = {
    "relu": (lambda f: lambda x: f.relu(x, inplace=True), lambda f: f.relu),
    "relu6": (lambda f: lambda x: f.relu6(x, inplace=True), lambda f: f.relu6),
    "elu": (lambda f: lambda x: f.elu(x, 0.5, inplace=True), lambda f: lambda x: f.elu(x, 0.5)),
    "leaky_relu": (lambda f: lambda x: f.leaky_relu(x, 0.2, True), lambda f: lambda x: f.leaky_relu(x, 0.2)),
    "hardtanh": (lambda f: lambda x: f.hardtanh(x, inplace=True), lambda f: f.hardtanh),
    "silu": (lambda f: lambda x: f.silu(x, inplace=True), lambda f: f.silu),
    "hardswish": (lambda f: lambda x: f.hardswish(x, inplace=True), lambda f: f.hardswish),
    "threshold": (
        lambda f: lambda x: f.threshold(x, 0.1, 5.0, True),
        lambda f: lambda x: f.threshold(x, 0.1, 5.0),
    ),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace(device, name):
    inplace, outofplace = INPLACE[name]
    rng = np.random.default_rng(1)
    a = rng.uniform(-4, 4, (3, 4)).astype(np.float32)
    # without grad: the same memory is overwritten and its version bumped
    x = A.tensor(a, device=device)
    v = x._version
    y = inplace(F)(x)
    assert y is x and x._version > v
    assert np.allclose(to_numpy(x), to_numpy(outofplace(F)(A.tensor(a, device=device))), atol=1e-6)
    # with grad on a non-leaf: the result is x itself, and gradients flow through the in-place op
    leaf = A.tensor(a, device=device, requires_grad=True)
    h = leaf * 2.0
    out = inplace(F)(h)
    assert out is h
    (out * out).sum().backward()
    leaf2 = A.tensor(a, device=device, requires_grad=True)
    o2 = outofplace(F)(leaf2 * 2.0)
    (o2 * o2).sum().backward()
    assert np.allclose(to_numpy(leaf.grad), to_numpy(leaf2.grad), atol=1e-5)
    # a leaf that requires grad cannot be modified in place
    with pytest.raises(RuntimeError, match="in-place"):
        inplace(F)(A.tensor(a, device=device, requires_grad=True))


def test_inplace_module_and_saved_tensor_check(device):
    leaf = A.randn(3, 4, device=device, requires_grad=True)
    act = nn.ReLU(inplace=True)
    out = act(leaf * 1.0) + nn.ELU(inplace=True)(leaf * 1.0)
    out.sum().backward()
    want = (to_numpy(leaf) > 0) * 1.0 + np.where(to_numpy(leaf) > 0, 1.0, np.exp(to_numpy(leaf)))
    assert np.allclose(to_numpy(leaf.grad), want, atol=1e-5)
    # exp saves its output for backward: overwriting it in place must be caught, as in PyTorch
    leaf.grad = None
    h = leaf.exp()
    F.elu(h, inplace=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        (h * leaf).sum().backward()
