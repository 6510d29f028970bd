"""Contractions that ``torch`` names separately from matmul: tensordot, vdot and mv. Each checks its
operands with PyTorch's rules and then runs through the differentiable permute/reshape/matmul ops."""

from __future__ import annotations

import math
from typing import Any

from ..tensor import Tensor, _wrap_dim
from . import shape as S
from .base import check_same_device
from .linalg import matmul


def _pair(op: str, a: Any, b: Any) -> None:
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"{op}: expected Tensors, got {type(a).__name__} and {type(b).__name__}")
    check_same_device(op, a, b)


def _dims(a: Tensor, b: Tensor, dims: Any) -> tuple[list[int], list[int]]:
    """The contracted dims of ``a`` and ``b`` from tensordot's ``dims`` (an int, two lists, or a tensor)."""
    if isinstance(dims, Tensor):
        dims = int(dims.item()) if dims.ndim == 0 else dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot: expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot: expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(-dims, 0)), list(range(dims))
    try:
        da, db = dims
    except (TypeError, ValueError):
        raise RuntimeError(
            f"tensordot: dims must be an int or a pair of lists of dims, got {dims!r}"
        ) from None
    da = [da] if isinstance(da, int) else list(da)
    db = [db] if isinstance(db, int) else list(db)
    if len(da) != len(db):
        raise RuntimeError(
            f"tensordot: both dimension lists should have same length, got {len(da)} and {len(db)}"
        )
    return da, db


def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Any = None) -> Tensor:
    """Sum of products over the given dims of ``a`` and ``b`` (``dims=k``: a's last k with b's first k)."""
    _pair("tensordot", a, b)
    if out is not None:
        raise TypeError("tensordot: out= is not supported")
    da, db = _dims(a, b, dims)
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"tensordot: both inputs should have same dtype, got {a.dtype} and {b.dtype}")
    ca = [_wrap_dim(d, a.ndim, "tensordot") for d in da]
    cb = [_wrap_dim(d, b.ndim, "tensordot") for d in db]
    for x, y, ox, oy in zip(ca, cb, da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(
                f"tensordot: contracted dimensions need to match, but first has size {a.shape[x]} in dim {ox} "
                f"and second has size {b.shape[y]} in dim {oy}"
            )
    if len(set(ca)) != len(ca) or len(set(cb)) != len(cb):
        raise RuntimeError(f"tensordot: a dim appears more than once in dims {dims!r}")
    fa = [d for d in range(a.ndim) if d not in ca]
    fb = [d for d in range(b.ndim) if d not in cb]
    k = math.prod(a.shape[d] for d in ca)
    sa = [a.shape[d] for d in fa]
    sb = [b.shape[d] for d in fb]
    a2 = S.reshape(S.permute(a, fa + ca), (math.prod(sa), k))
    b2 = S.reshape(S.permute(b, cb + fb), (k, math.prod(sb)))
    return S.reshape(matmul(a2, b2), tuple(sa + sb))


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """The dot product of two 1-d tensors of one dtype (``conj(input) . other``; no complex dtypes here)."""
    _pair("vdot", input, other)
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"vdot: 1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(
            f"vdot: expected both vectors to have same dtype, but found {input.dtype} and {other.dtype}"
        )
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(
            f"vdot: inconsistent tensor size, expected tensor [{input.shape[0]}] and src [{other.shape[0]}] to "
            f"have the same number of elements, but got {input.shape[0]} and {other.shape[0]} elements "
            "respectively"
        )
    return matmul(input, other)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix (n, m) times vector (m,), giving (n,)."""
    _pair("mv", input, vec)
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"mv: vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    n, m = input.shape
    if vec.shape[0] != m:
        raise RuntimeError(f"mv: size mismatch, got input ({n}), mat ({n}x{m}), vec ({vec.shape[0]})")
    if input._data.dtype != vec._data.dtype:
        raise RuntimeError(
            f"mv: expected the matrix and vector to have the same dtype, but got {input.dtype} and {vec.dtype}"
        )
    return matmul(input, vec)
