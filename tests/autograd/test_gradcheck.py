"""The checkers themselves: gradcheck, gradgradcheck and check_op must reject wrong gradients."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH, check_op

import autograd as A


class BadExp(A.Function):
    """exp with a gradient off by a factor of 2."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * 2


class FlatExp(A.Function):
    """exp whose first derivative is right but whose second is not (the backward detaches)."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y.detach()


def _x(device):
    return A.tensor([0.1, -0.4, 0.7], dtype=A.float64, device=device, requires_grad=True)


def test_gradcheck_accepts_right_and_rejects_wrong(device):
    assert A.gradcheck(lambda t: t.exp(), (_x(device),))
    with pytest.raises(A.GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        A.gradcheck(BadExp.apply, (_x(device),))
    assert A.gradcheck(BadExp.apply, (_x(device),), raise_exception=False) is False


def test_gradgradcheck_rejects_wrong_second_derivative(device):
    assert A.gradcheck(FlatExp.apply, (_x(device),))  # first order is right
    assert A.gradgradcheck(lambda t: t.exp(), (_x(device),))
    with pytest.raises(A.GradcheckError):
        A.gradgradcheck(FlatExp.apply, (_x(device),))


def test_gradcheck_noncontiguous_and_multiple_inputs(device):
    base = A.tensor(np.arange(12.0).reshape(3, 4) / 10, dtype=A.float64, device=device)
    x = base.T.detach().requires_grad_()  # a strided input
    w = A.tensor(np.ones((3, 2)), dtype=A.float64, device=device, requires_grad=True)
    assert not x.is_contiguous()
    assert A.gradcheck(lambda a, b: (a @ b).sin(), (x, w))
    assert x.tolist() == base.T.tolist()  # inputs restored after perturbation


def test_gradcheck_warns_on_float32(device):
    x = A.tensor([0.5], device=device, requires_grad=True)
    with pytest.warns(UserWarning, match="not float64"):
        A.gradcheck(lambda t: t * 2, (x,), atol=1e-2, rtol=1e-2)


@pytest.mark.skipif(not HAVE_TORCH, reason="torch reference not installed")
def test_check_op_catches_a_wrong_gradient(device):
    import torch

    with pytest.raises(AssertionError, match="grad of input 0"):
        check_op(
            [(3,)], lambda a: BadExp.apply(a) if isinstance(a, A.Tensor) else torch.exp(a), device=device
        )
    with pytest.raises(AssertionError, match="forward output 0"):
        check_op([(3,)], lambda a: a.exp() * 1.01 if isinstance(a, A.Tensor) else a.exp(), device=device)
