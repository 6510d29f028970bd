"""Antialiased resizing along one axis (``interpolate(..., antialias=True)``), as PyTorch's ``*_aa`` kernels.

When shrinking, the triangle (bilinear) or cubic (a = -0.5) filter is stretched by the scale so every input
pixel contributes; the per-output weights are normalized to sum to 1. The resize is a matmul with the
(out, in) weight matrix, so gradients (and double gradients) come from matmul.
"""

from __future__ import annotations

from typing import Any

from autograd import Tensor

from ._cubic import cubic_far, cubic_near


def _filter(xp: Any, s: Any, cubic: bool) -> Any:
    s = xp.abs(s)
    if not cubic:
        return xp.maximum(1 - s, 0)
    a = -0.5  # PIL's (and PyTorch's antialias) bicubic coefficient
    return xp.where(s < 1, cubic_near(s, a), xp.where(s < 2, cubic_far(s, a), 0)).astype(s.dtype)


def pixel_scale(dt: Any, size: int, out: int, scale: float | None, align_corners: bool) -> Any:
    """Input pixels per output pixel in dtype ``dt`` (PyTorch's area_pixel_compute_scale)."""
    if align_corners:
        return dt.type(size - 1) / dt.type(out - 1) if out > 1 else dt.type(0)
    return dt.type(1.0 / scale) if scale else dt.type(size) / dt.type(out)


def antialias_weights(
    x: Tensor, size: int, out: int, scale: float | None, align_corners: bool, cubic: bool
) -> Any:
    """The (out, size) weight matrix of an antialiased resize of one axis."""
    xp = x.backend.xp
    dt = x._data.dtype
    s = pixel_scale(dt, size, out, scale, align_corners)
    half = dt.type(2.0 if cubic else 1.0)  # half the filter's width
    support, inv = (half * s, dt.type(1) / s) if s >= 1 else (half, dt.type(1))
    center = s * (xp.arange(out, dtype=dt) + dt.type(0.5))
    lo = xp.maximum(xp.trunc(center - support + dt.type(0.5)), 0)[:, None]
    hi = xp.minimum(xp.trunc(center + support + dt.type(0.5)), size)[:, None]
    j = xp.arange(size, dtype=dt)[None, :]
    w = _filter(xp, (j - center[:, None] + dt.type(0.5)) * inv, cubic) * ((j >= lo) & (j < hi))
    total = w.sum(axis=1, keepdims=True)
    return xp.where(total != 0, w / xp.where(total != 0, total, 1), 0).astype(dt)


def antialias_axis(
    x: Tensor, axis: int, out: int, scale: float | None, align_corners: bool, cubic: bool
) -> Tensor:
    """Resize ``axis`` of ``x`` to ``out`` with the antialiasing filter (an axis of unchanged size is kept)."""
    if out == x.shape[axis]:
        return x
    w = Tensor._make(antialias_weights(x, x.shape[axis], out, scale, align_corners, cubic).T.copy())
    return (x.transpose(axis, -1) @ w).transpose(axis, -1)
