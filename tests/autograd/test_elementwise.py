"""Elementwise ops: values and gradients against the reference, with broadcasting and strided inputs."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import check_op

import autograd as A

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "maximum": lambda a, b: a.maximum(b),
    "minimum": lambda a, b: a.minimum(b),
}
BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((5,), ()), ((0, 3), (3,))]


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", BROADCAST, ids=str)
def test_binary(device, name, shapes):
    fn = BINARY[name]
    check_op(shapes, fn, device=device, low=0.5, high=2.0)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_noncontiguous(device, name):
    check_op([(3, 4), (3, 4)], BINARY[name], device=device, low=0.5, high=2.0, noncontig=True)


def test_pow(device):
    check_op([(3, 4)], lambda a: a**3, device=device)
    check_op([(3, 4)], lambda a: a**2.5, device=device, low=0.5, high=2)
    check_op([(3, 4), (3, 4)], lambda a, b: a**b, device=device, low=0.5, high=2)
    check_op([(3, 4)], lambda a: 2**a, device=device)


def test_reflected_scalars(device):
    check_op([(3,)], lambda a: 2 - a, device=device)
    check_op([(3,)], lambda a: 2 / a, device=device, low=0.5)
    check_op([(3,)], lambda a: 2 * a + 1, device=device)


UNARY = {
    "exp": (lambda a: a.exp(), -2, 2),
    "log": (lambda a: a.log(), 0.1, 3),
    "log1p": (lambda a: a.log1p(), -0.5, 3),
    "expm1": (lambda a: a.expm1(), -2, 2),
    "sqrt": (lambda a: a.sqrt(), 0.1, 3),
    "rsqrt": (lambda a: a.rsqrt(), 0.1, 3),
    "sin": (lambda a: a.sin(), -3, 3),
    "cos": (lambda a: a.cos(), -3, 3),
    "tan": (lambda a: a.tan(), -1, 1),
    "tanh": (lambda a: a.tanh(), -3, 3),
    "sigmoid": (lambda a: a.sigmoid(), -5, 5),
    "relu": (lambda a: a.relu(), -2, 2),
    "abs": (lambda a: a.abs(), -2, 2),
    "neg": (lambda a: -a, -2, 2),
    "reciprocal": (lambda a: a.reciprocal(), 0.5, 2),
    "erf": (lambda a: a.erf(), -2, 2),
    "softplus": (
        lambda a: A.softplus(a) if isinstance(a, A.Tensor) else __import__("torch").nn.functional.softplus(a),
        -3,
        3,
    ),
    "square": (lambda a: a.square(), -2, 2),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(device, name):
    fn, lo, hi = UNARY[name]
    check_op([(3, 5)], fn, device=device, low=lo, high=hi)
    check_op([(0, 2)], fn, device=device, low=lo, high=hi)


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round", "trunc"])
def test_piecewise_constant(device, name):
    check_op([(3, 4)], lambda a: getattr(a, name)(), device=device, gradcheck=False)


def test_clamp_where_lerp(device):
    check_op([(4, 5)], lambda a: a.clamp(-0.5, 0.7), device=device)
    check_op([(4, 5)], lambda a: a.clamp(min=0.1), device=device)
    check_op([(4, 5), (4, 5)], lambda a, b: a.lerp(b, 0.3), device=device)
    check_op(
        [(4, 5), (5,)],
        lambda a, b: (
            A.where(a > 0, a, b) if isinstance(a, A.Tensor) else __import__("torch").where(a > 0, a, b)
        ),
        device=device,
    )


def test_remainder(device):
    check_op([(3, 4)], lambda a: a % 0.7, device=device, gradcheck=False)


def test_stable_at_extremes(device):
    import warnings

    x = A.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = x.sigmoid()
        sp = A.softplus(x)
        lse = x.logsumexp(0)
        (s.sum() + sp.sum() + lse).backward()
    np.testing.assert_allclose(s.detach().cpu().numpy(), [0, 0, 0.5, 1, 1], atol=1e-7)
    np.testing.assert_allclose(sp.detach().cpu().numpy(), [0, np.exp(-50.0), np.log(2), 50, 1e4], rtol=1e-6)
    np.testing.assert_allclose(lse.item(), 1e4, rtol=1e-7)
    assert np.all(np.isfinite(x.grad.cpu().numpy()))


def test_comparisons_have_no_graph(device):
    a = A.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    for r in (a > 2, a >= 2, a < 2, a <= 2, a == 2, a != 2):
        assert r.dtype == A.bool and not r.requires_grad
    assert (a > 1).logical_and(a < 3).tolist() == [False, True, False]
    assert (~(a > 1)).tolist() == [True, False, False]
