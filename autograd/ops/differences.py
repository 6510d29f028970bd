"""Finite differences and integration along a dim: diff, trapezoid (composed ops, so differentiable)."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .base import normalize_dims


def diff(x: Tensor, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
    """The n-th forward difference along ``dim`` (bool tensors: logical xor), after prepend/append."""
    if x.ndim == 0:
        raise RuntimeError("diff: expects input to be at least one-dimensional")
    if not isinstance(n, int) or n < 0:
        raise RuntimeError(f"diff: order must be non-negative but got {n}")
    (ax,) = normalize_dims(dim, x.ndim, "diff")
    parts = []
    for name, t in (("prepend", prepend), (None, x), ("append", append)):
        if t is None:
            continue
        if name is not None:
            if not isinstance(t, Tensor):
                raise TypeError(f"diff: {name} must be a Tensor, got {type(t).__name__}")
            want = tuple(s for i, s in enumerate(x.shape) if i != ax)
            got = tuple(s for i, s in enumerate(t.shape) if i != ax) if t.ndim == x.ndim else None
            if got != want:
                raise RuntimeError(
                    f"diff: {name} of shape {tuple(t.shape)} must match the input's shape {tuple(x.shape)} "
                    f"except along dim {ax}"
                )
        parts.append(t)
    out = Tensor.cat(parts, ax) if len(parts) > 1 else x
    is_bool = out._data.dtype.kind == "b"
    for _ in range(n):
        m = out.shape[ax]
        if m == 0:
            break
        hi, lo = out.narrow(ax, 1, m - 1), out.narrow(ax, 0, m - 1)
        out = hi.logical_xor(lo) if is_bool else hi - lo
    return out


def trapezoid(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """Trapezoidal rule along ``dim`` with sample points ``x`` (1-d or y's shape) or a spacing ``dx``."""
    if x is not None and dx is not None:
        raise TypeError("trapezoid: pass either x or dx, not both")
    if y.ndim == 0:
        raise IndexError("trapezoid: the input needs at least one dimension")
    (ax,) = normalize_dims(dim, y.ndim, "trapezoid")
    n = y.shape[ax]
    if n == 0:
        return (y.sum(ax) * 0).to(y.dtype) if y.is_floating_point() else y.sum(ax).float() * 0
    pairs = y.narrow(ax, 1, n - 1) + y.narrow(ax, 0, n - 1)
    if x is None:
        width = 1 if dx is None else dx
        return pairs.sum(ax) * (width / 2)
    if isinstance(x, Tensor):
        if x.ndim == 1:
            if x.shape[0] != n:
                raise RuntimeError(
                    f"trapezoid: there must be one `x` value for each sample point: x has {x.shape[0]}, "
                    f"y has {n} along dim {ax}"
                )
            steps = diff(x).reshape((1,) * ax + (n - 1,) + (1,) * (y.ndim - ax - 1))
        else:
            steps = diff(x, dim=ax)
        return (pairs * steps).sum(ax) / 2
    raise TypeError(f"trapezoid: x must be a Tensor (use dx= for a spacing), got {type(x).__name__}")


trapz = trapezoid
