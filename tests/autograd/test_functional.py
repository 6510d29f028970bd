"""autograd.functional (vjp, jvp, jacobian, hessian, vhp, hvp): analytic references, and torch where installed."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH

import autograd as A
from autograd import functional as AF

if HAVE_TORCH:
    import torch
    from torch.autograd import functional as TF

RNG = np.random.default_rng(0)
M = RNG.standard_normal((2, 3))
Q = RNG.standard_normal((3, 3))
X = RNG.standard_normal(3)


def _t(a, device):
    return A.tensor(a, dtype=A.float64, device=device)


def _np(x):
    if isinstance(x, tuple | list):
        return [_np(e) for e in x]
    return x.detach().cpu().numpy()


def test_jacobian_and_hessian_analytic(device):
    m, q, x = _t(M, device), _t(Q, device), _t(X, device)
    np.testing.assert_allclose(
        _np(AF.jacobian(lambda a: m @ a, x)), M, rtol=1e-12
    )  # a linear map is its matrix
    np.testing.assert_allclose(_np(AF.hessian(lambda a: a @ (q @ a), x)), Q + Q.T, rtol=1e-12)
    jx, jm = AF.jacobian(lambda a, b: b @ a, (x, m))
    assert jx.shape == (2, 3) and jm.shape == (2, 2, 3)
    np.testing.assert_allclose(_np(jm)[1, 1], X, rtol=1e-12)
    np.testing.assert_allclose(_np(jm)[1, 0], 0.0)
    assert x.grad is None and m.grad is None  # the caller's tensors are not touched


def test_products_analytic(device):
    q, x, v = _t(Q, device), _t(X, device), _t(X[::-1].copy(), device)
    f = lambda a: a @ (q @ a)  # noqa: E731
    out, g = AF.vjp(f, x)
    np.testing.assert_allclose(_np(out), X @ Q @ X, rtol=1e-12)
    np.testing.assert_allclose(_np(g), (Q + Q.T) @ X, rtol=1e-12)
    _, jv = AF.jvp(lambda a: q @ a, x, v)
    np.testing.assert_allclose(_np(jv), Q @ X[::-1], rtol=1e-12)
    _, hv = AF.hvp(f, x, v)
    _, vh = AF.vhp(f, x, v)
    np.testing.assert_allclose(_np(hv), (Q + Q.T) @ X[::-1], rtol=1e-12)
    np.testing.assert_allclose(_np(vh), _np(hv), rtol=1e-12)


def test_create_graph_and_strict(device):
    x = _t(X, device).requires_grad_()
    (j,) = (AF.jacobian(lambda a: a**3, x, create_graph=True),)
    assert j.requires_grad
    j.trace().backward()  # d/dx sum(3 x^2) = 6 x
    np.testing.assert_allclose(_np(x.grad), 6 * X, rtol=1e-12)
    jx, jy = AF.jacobian(lambda a, b: a * 2, (x.detach(), _t(X, device)))
    assert not _np(jy).any()  # independent input: zeros
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.jacobian(lambda a, b: a * 2, (x.detach(), _t(X, device)), strict=True)
    with pytest.raises(RuntimeError, match="must return a single-element Tensor"):
        AF.hessian(lambda a: a * 2, x.detach())
    with pytest.raises(TypeError, match="jacobian: entry 0 of the inputs must be a Tensor, got float"):
        AF.jacobian(lambda a: a, [1.0])
    with pytest.raises(
        RuntimeError, match=r"vjp: entry 0 of v \(one per output\) has shape \(2,\), expected \(3,\)"
    ):
        AF.vjp(lambda a: a * 2, x.detach(), _t(np.ones(2), device))


def test_forward_mode_jacobian(device):
    # one Jacobian-vector product per input element; the same blocks as reverse mode, zeros for an unused
    # input, an empty input, create_graph, and PyTorch's restrictions (vectorize=True, no strict)
    m, x = _t(M, device), _t(X, device)
    f = lambda a, b, c: ((b @ a).sin(), a.exp() * c.sum())  # noqa: E731
    args = (x, m, _t(np.zeros((0, 2)), device))
    rev = AF.jacobian(f, args)
    fwd = AF.jacobian(f, args, vectorize=True, strategy="forward-mode")
    for i in range(2):
        for j in range(3):
            assert fwd[i][j].shape == rev[i][j].shape
            np.testing.assert_allclose(_np(fwd[i][j]), _np(rev[i][j]), rtol=1e-12, atol=1e-15)
    unused = AF.jacobian(lambda a, b: a * 2, (x, m), vectorize=True, strategy="forward-mode")[1]
    assert unused.shape == (3, 2, 3) and not _np(unused).any()
    xg = _t(X, device).requires_grad_()
    j = AF.jacobian(lambda a: a**3, xg, create_graph=True, vectorize=True, strategy="forward-mode")
    assert j.requires_grad
    j.trace().backward()
    np.testing.assert_allclose(_np(xg.grad), 6 * X, rtol=1e-12)
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        AF.jacobian(f, args, strategy="forward-mode")
    with pytest.raises(RuntimeError, match='`strict=True` and `strategy="forward-mode"`'):
        AF.jacobian(f, args, strict=True, vectorize=True, strategy="forward-mode")
    with pytest.raises(ValueError, match="expected strategy"):
        AF.jacobian(f, args, strategy="sideways")


@pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is the reference")
@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")  # torch's vectorize
def test_match_torch(device):
    x, y, v3, v2 = X, M, X[::-1].copy(), RNG.standard_normal(2)
    f2 = lambda a, b: (b @ a).tanh()  # noqa: E731
    f3 = lambda a, b: ((a * b).sum(1), a.exp())  # noqa: E731
    g = lambda a, b: (a.sin().sum() * (b @ a)).sum()  # noqa: E731
    T, O = torch.tensor, (lambda a: _t(a, device))  # noqa: E731
    cases = [
        (lambda F, W: F.vjp(f2, (W(x), W(y)), W(v2))),
        (lambda F, W: F.jvp(f2, (W(x), W(y)), (W(v3), W(y * 0.5)))),
        (lambda F, W: F.jacobian(f2, (W(x), W(y)))),
        (lambda F, W: F.jacobian(f3, (W(x), W(y)))),
        (lambda F, W: F.jacobian(f3, (W(x), W(y)), vectorize=True, strategy="forward-mode")),
        (lambda F, W: F.jacobian(lambda a: a.sin() * a.sum(), W(x), vectorize=True, strategy="forward-mode")),
        (lambda F, W: F.hessian(g, (W(x), W(y)))),
        (lambda F, W: F.hessian(g, (W(x), W(y)), vectorize=True, outer_jacobian_strategy="forward-mode")),
        (lambda F, W: F.hvp(lambda a: (a.sin() * a).sum(), W(x), W(v3))),
        (lambda F, W: F.vhp(g, (W(x), W(y)), (W(v3), W(y)))),
    ]

    def same(a, b, where):
        if isinstance(a, tuple | list):
            assert isinstance(b, tuple | list) and len(a) == len(b), where
            for n, (x_, y_) in enumerate(zip(a, b)):
                same(x_, y_, f"{where}[{n}]")
        else:
            np.testing.assert_allclose(_np(b), a.detach().numpy(), rtol=1e-10, atol=1e-13, err_msg=where)

    for k, case in enumerate(cases):
        same(case(TF, T), case(AF, O), f"case {k}")
