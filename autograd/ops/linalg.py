"""Matrix products: matmul (every PyTorch broadcasting case, 1-d included) and outer."""

from __future__ import annotations

from ..tensor import _BY_TYPE, Tensor
from .base import Primitive, check_same_device


class MatMul(Primitive):
    _saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        n = ctx.needs_input_grad
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:
            return (g * b if n[0] else None), (g * a if n[1] else None)
        if a.ndim == 1:  # (n,) @ (..., n, m) -> (..., m)
            g2 = g.unsqueeze(-2)
            if n[0]:
                ga = (g2 @ b.mT).squeeze(-2)
            if n[1]:
                gb = a.unsqueeze(-1) @ g2
            return ga, gb
        if b.ndim == 1:  # (..., n, m) @ (m,) -> (..., n)
            g2 = g.unsqueeze(-1)
            if n[0]:
                ga = g2 @ b.unsqueeze(-2)
            if n[1]:
                gb = (a.mT @ g2).squeeze(-1)
            return ga, gb
        if n[0]:
            ga = g @ b.mT
        if n[1]:
            gb = a.mT @ g
        return ga, gb

    @staticmethod
    def backward_raw(ctx, g):
        a, b = ctx.inputs
        if a.ndim < 2 or b.ndim < 2:
            return tuple(None if x is None else x._data for x in MatMul.backward(ctx, Tensor._make(g)))
        ad, bd = a._data, b._data
        mm = _BY_TYPE[g.__class__].mm
        ga = mm(g, bd.swapaxes(-1, -2)) if a.requires_grad else None
        gb = mm(ad.swapaxes(-1, -2), g) if b.requires_grad else None
        return ga, gb


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with PyTorch's broadcasting rules (1-d operands included)."""
    if not isinstance(b, Tensor) or not isinstance(a, Tensor):
        raise TypeError(f"matmul: expected Tensors, got {type(a).__name__} and {type(b).__name__}")
    if type(a._data) is not type(b._data):
        check_same_device("matmul", a, b)
    sa, sb = a._data.shape, b._data.shape
    if not sa or not sb:
        raise RuntimeError(
            f"matmul: both arguments need to be at least 1D, but they are {len(sa)}D and {len(sb)}D"
        )
    k_a = sa[-1]
    k_b = sb[-2] if len(sb) > 1 else sb[0]
    if k_a != k_b:
        raise RuntimeError(f"matmul: shapes {tuple(sa)} and {tuple(sb)} are not aligned: {k_a} != {k_b}")
    ba, bb = sa[:-2], sb[:-2]
    for x, y in zip(reversed(ba), reversed(bb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"matmul: batch dimensions of shapes {tuple(sa)} and {tuple(sb)} do not broadcast: "
                f"{tuple(ba)} vs {tuple(bb)}"
            )
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"matmul: expected both arguments to have the same dtype, but got {a.dtype} and {b.dtype}"
        )
    return MatMul.apply(a, b)


def mm(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got {a.ndim}-D and {b.ndim}-D")
    return matmul(a, b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"bmm: expected 3-D tensors with equal batch size, got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    return matmul(a, b)


def outer(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"outer: expected 1-D tensors, got {a.ndim}-D and {b.ndim}-D")
    return a.unsqueeze(1) * b.unsqueeze(0)


def dot(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"dot: 1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    return matmul(a, b)
