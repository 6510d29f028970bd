"""User-defined autograd.Function, written exactly as for PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as A


class MyExp(A.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class ScaleBy(A.Function):
    """Two tensor inputs and one non-tensor one; records needs_input_grad."""

    seen_needs = None

    @staticmethod
    def forward(ctx, x, w, k):
        ctx.save_for_backward(x, w)
        ctx.k = k
        ScaleBy.seen_needs = ctx.needs_input_grad
        return x * w * k

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        gx = grad * w * ctx.k if ctx.needs_input_grad[0] else None
        gw = grad * x * ctx.k if ctx.needs_input_grad[1] else None
        return gx, gw, None


def test_custom_function_forward_backward(device):
    x = A.tensor([0.0, 1.0], dtype=A.float64, device=device, requires_grad=True)
    y = MyExp.apply(x)
    assert y.grad_fn is not None and "MyExp" in y.grad_fn.name()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), [1.0, np.e])
    assert A.gradcheck(
        MyExp.apply, (A.tensor([0.3, -0.2], dtype=A.float64, device=device, requires_grad=True),)
    )


def test_custom_function_double_backward(device):
    # its backward is made of differentiable ops, so create_graph gives second derivatives
    x = A.tensor([0.5], dtype=A.float64, device=device, requires_grad=True)
    (g,) = A.grad(MyExp.apply(x).sum(), x, create_graph=True)
    (gg,) = A.grad(g.sum(), x)
    np.testing.assert_allclose(gg.item(), np.exp(0.5))


def test_needs_input_grad_and_non_tensor_args(device):
    x = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    w = A.tensor([3.0, 4.0], device=device)
    y = ScaleBy.apply(x, w, 2.0)
    assert ScaleBy.seen_needs == (True, False, False)
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 8.0] and w.grad is None


def test_no_graph_when_nothing_requires_grad(device):
    y = MyExp.apply(A.zeros(2, device=device))
    assert y.grad_fn is None and not y.requires_grad
    with A.no_grad():
        y = MyExp.apply(A.zeros(2, device=device, requires_grad=True))
    assert y.grad_fn is None


class AddOneInPlace(A.Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad


def test_mark_dirty(device):
    x = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    a = x * 2
    v = a._version
    b = AddOneInPlace.apply(a)
    assert b is a and a.tolist() == [3.0, 5.0] and a._version > v
    assert "AddOneInPlace" in a.grad_fn.name()
    (b * b).sum().backward()
    assert x.grad.tolist() == [12.0, 20.0]


class SortWithIndices(A.Function):
    @staticmethod
    def forward(ctx, x):
        idx = A.tensor(np.argsort(x.detach().cpu().numpy()), device=x.device)
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(idx)
        return x[idx], idx

    @staticmethod
    def backward(ctx, g, g_idx):
        (idx,) = ctx.saved_tensors
        out = A.zeros_like(g)
        out[idx] = g
        return out


def test_mark_non_differentiable(device):
    x = A.tensor([3.0, 1.0, 2.0], device=device, requires_grad=True)
    vals, idx = SortWithIndices.apply(x)
    assert vals.requires_grad and not idx.requires_grad
    assert vals.tolist() == [1.0, 2.0, 3.0] and idx.tolist() == [1, 2, 0]
    (vals * A.tensor([1.0, 10.0, 100.0], device=device)).sum().backward()
    assert x.grad.tolist() == [100.0, 1.0, 10.0]


class TwoOutputs(A.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g1, g2):
        TwoOutputs.got = (g1, g2)
        return g1 * 2 + g2 * 3


def test_unused_output_gets_zero_gradient(device):
    x = A.tensor([1.0], device=device, requires_grad=True)
    a, b = TwoOutputs.apply(x)
    a.sum().backward()
    assert TwoOutputs.got[1] is not None and TwoOutputs.got[1].tolist() == [0.0]
    assert x.grad.tolist() == [2.0]


class NoMaterialize(A.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g1, g2):
        NoMaterialize.got = g2
        return g1 * 2


def test_set_materialize_grads_false(device):
    x = A.tensor([1.0], device=device, requires_grad=True)
    a, _ = NoMaterialize.apply(x)
    a.sum().backward()
    assert NoMaterialize.got is None and x.grad.tolist() == [2.0]


class FusedCube(A.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    @A.once_differentiable
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


def test_once_differentiable(device):
    x = A.tensor([2.0], device=device, requires_grad=True)
    FusedCube.apply(x).sum().backward()
    assert x.grad.tolist() == [12.0]
    (g,) = A.grad(FusedCube.apply(x).sum(), x, create_graph=True)
    assert g.tolist() == [12.0]
    with pytest.raises(
        RuntimeError,
        match="FusedCubeBackward: trying to differentiate twice a function that was marked with @once_differentiable",
    ):
        g.sum().backward()


def test_saved_tensor_modified_in_place(device):
    x = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    a = x * 1
    y = ScaleBy.apply(a, A.ones(2, device=device), 1.0)
    a.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[ScaleByBackward\]"):
        y.sum().backward()


def test_saved_tensors_freed_after_backward(device):
    x = A.tensor([1.0], device=device, requires_grad=True)
    y = MyExp.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    y = MyExp.apply(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 3 * np.e, rtol=1e-6)


class WrongCount(A.Function):
    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, g):
        return g


def test_wrong_number_of_gradients(device):
    x = A.ones(1, device=device, requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match="function WrongCountBackward returned an incorrect number of gradients \\(expected 2, got 1\\)",
    ):
        WrongCount.apply(x, x).sum().backward()


class BadShape(A.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        return A.ones(5, device=g.device)


def test_gradient_of_wrong_shape(device):
    x = A.ones(2, device=device, requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match=r"BadShapeBackward returned a gradient of shape \(5,\) for an input of shape \(2,\)",
    ):
        BadShape.apply(x).sum().backward()


def test_create_graph_without_retain_graph(device):
    x = A.tensor([0.5, 1.0], dtype=A.float64, device=device, requires_grad=True)
    (g,) = A.grad(MyExp.apply(x).sum(), x, create_graph=True, retain_graph=False)
    assert g.shape == (2,)
    np.testing.assert_allclose(g.tolist(), np.exp([0.5, 1.0]))
