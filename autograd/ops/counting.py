"""Counting ops without gradients: bincount, histc, unique_consecutive."""

from __future__ import annotations

import math
from typing import Any

from ..tensor import Tensor


def bincount(x: Tensor, weights: Any = None, minlength: int = 0) -> Tensor:
    """Occurrences of each value of a 1-d non-negative int tensor (summed ``weights`` if given)."""
    xp = x.backend.xp
    if x.ndim != 1 or x._data.dtype.kind not in "iub":
        raise RuntimeError(
            f"bincount: only supports 1-d non-negative integral inputs, got shape {tuple(x.shape)} and "
            f"dtype {x.dtype}"
        )
    if not isinstance(minlength, int) or minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    d = x._data.astype("int64")
    if d.size and int(d.min()) < 0:
        raise RuntimeError("bincount: only supports 1-d non-negative integral inputs, found a negative value")
    if weights is None:
        return Tensor._make(xp.bincount(d, minlength=minlength).astype("int64"))
    if not isinstance(weights, Tensor) or tuple(weights.shape) != tuple(x.shape):
        got = tuple(weights.shape) if isinstance(weights, Tensor) else type(weights).__name__
        raise RuntimeError(
            f"bincount: weights should be 1-d and have the same length as input {tuple(x.shape)}, got {got}"
        )
    if type(weights._data) is not type(d) or weights.device != x.device:
        raise RuntimeError(f"bincount: weights are on {weights.device} but the input is on {x.device}")
    w = weights._data
    out_dtype = w.dtype if w.dtype.kind == "f" else "float64"
    return Tensor._make(xp.bincount(d, weights=w.astype("float64"), minlength=minlength).astype(out_dtype))


def histc(input: Tensor, bins: int = 100, min: Any = 0, max: Any = 0) -> Tensor:  # noqa: A002
    """Histogram of ``bins`` equal bins over [min, max] (the data's range when min == max)."""
    x = input
    xp = x.backend.xp
    if not x.is_floating_point():
        raise RuntimeError(f"histc: expected a floating point tensor, got {x.dtype}")
    if not isinstance(bins, int) or bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, but got {bins}")
    d = x._data.reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and d.size:  # the data's range (NaN or inf in the data make it non-finite, as PyTorch)
        lo, hi = float(d.min()), float(d.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"histc: range of [{lo}, {hi}] is not finite")
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"histc: max must be larger than min, got min={min} and max={max}")
    inside = d[(d >= lo) & (d <= hi)]
    b = ((inside - lo) * bins / (hi - lo)).astype("int64")
    b = xp.minimum(b, bins - 1)  # the right edge belongs to the last bin
    return Tensor._make(xp.bincount(b, minlength=bins)[:bins].astype(x._data.dtype))


def unique_consecutive(
    x: Tensor, return_inverse: bool = False, return_counts: bool = False, dim: Any = None
) -> Any:
    """Collapse runs of equal consecutive elements (or slices along ``dim``)."""
    xp = x.backend.xp
    d = x._data
    if dim is None:
        flat = d.reshape(-1)
        n = flat.shape[0]
        change = flat[1:] != flat[:-1]
    else:
        from .base import normalize_dims

        if x.ndim == 0:
            raise IndexError(f"unique_consecutive: dim {dim} is out of range for a 0-d tensor")
        (ax,) = normalize_dims(dim, x.ndim, "unique_consecutive")
        rows = xp.moveaxis(d, ax, 0)
        n = rows.shape[0]
        rows = rows.reshape(n, -1)
        change = (rows[1:] != rows[:-1]).any(axis=1) if rows.shape[1] else xp.zeros(max(n - 1, 0), dtype=bool)
    start = xp.concatenate([xp.ones(min(n, 1), dtype=bool), change])
    keep = xp.nonzero(start)[0]
    values = flat[keep] if dim is None else xp.take(d, keep, axis=ax)
    out = [Tensor._make(xp.ascontiguousarray(values))]
    if return_inverse:
        inv = xp.cumsum(start.astype("int64")) - 1
        out.append(Tensor._make(inv.reshape(d.shape if dim is None else (n,))))
    if return_counts:
        ends = xp.concatenate([keep[1:], xp.asarray([n], dtype=keep.dtype)])
        out.append(Tensor._make((ends - keep).astype("int64")))
    return out[0] if len(out) == 1 else tuple(out)
