"""Placing values into sorted boundaries and bins: searchsorted, bucketize and histogram (no gradients,
as in PyTorch). Run on the tensor's backend, so they work on every device."""

from __future__ import annotations

from typing import Any, NamedTuple

from ..tensor import Tensor
from .base import check_same_device


class HistogramResult(NamedTuple):
    hist: Tensor
    bin_edges: Tensor


def _side(right: bool, side: str | None) -> str:
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"searchsorted: side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError(
                "searchsorted: side and right can't be set to opposites, got side of left while right was True"
            )
        return side
    return "right" if right else "left"


def searchsorted(
    sorted_sequence: Tensor,
    values: Any,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    """Indices where ``values`` would be inserted into the innermost dim of ``sorted_sequence`` to keep it
    sorted ('left': first such place, 'right' or ``right=True``: last). Boundaries are 1-d, or share the
    values' leading dims."""
    seq = sorted_sequence
    if not isinstance(seq, Tensor):
        raise TypeError(f"searchsorted: sorted_sequence must be a Tensor, got {type(seq).__name__}")
    how = _side(right, side)
    xp = seq.backend.xp
    scalar = not isinstance(values, Tensor)
    if scalar:
        if not isinstance(values, int | float | bool):
            raise TypeError(f"searchsorted: values must be a Tensor or a number, got {type(values).__name__}")
        if seq.ndim != 1:
            raise RuntimeError(
                "searchsorted: input value can be a scalar only when boundaries tensor dimension is 1, but we "
                f"got boundaries tensor dim({seq.ndim})"
            )
        vals = xp.asarray([values])
    else:
        check_same_device("searchsorted", seq, values)
        if seq.ndim != 1 and (seq.ndim != values.ndim or seq.shape[:-1] != values.shape[:-1]):
            raise RuntimeError(
                "searchsorted: boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries "
                f"tensor and input value tensor must match, but we got boundaries tensor {list(seq.shape)} and "
                f"input value tensor {list(values.shape)}"
            )
        vals = values._data
    s = seq._data
    if sorter is not None:
        if not isinstance(sorter, Tensor) or sorter._data.dtype.kind not in "iu":
            got = sorter.dtype if isinstance(sorter, Tensor) else type(sorter).__name__
            raise RuntimeError(f"searchsorted: sorter must be a tensor of long dtype but got dtype {got}")
        if sorter.shape != seq.shape:
            raise RuntimeError(
                f"searchsorted: boundary and sorter must have the same size, but got boundary tensor "
                f"{list(seq.shape)} and got sorter tensor {list(sorter.shape)}"
            )
        check_same_device("searchsorted", seq, sorter)
        s = xp.take_along_axis(s, sorter._data.astype("int64"), axis=-1)
    if s.ndim <= 1:
        out = xp.searchsorted(s.reshape(-1), vals.reshape(-1), side=how).reshape(vals.shape)
    else:
        rows, vrows = s.reshape(-1, s.shape[-1]), vals.reshape(-1, vals.shape[-1])
        out = (
            xp.stack([xp.searchsorted(r, v, side=how) for r, v in zip(rows, vrows)])
            if rows.shape[0]
            else vrows
        )
        out = out.reshape(vals.shape)
    out = out.astype("int32" if out_int32 else "int64")
    return Tensor._make(out.reshape(()) if scalar else out)


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each input value among 1-d sorted ``boundaries``: i with boundaries[i-1] < x <=
    boundaries[i] (``right=True``: boundaries[i-1] <= x < boundaries[i])."""
    if not isinstance(boundaries, Tensor) or boundaries.ndim != 1:
        nd = boundaries.ndim if isinstance(boundaries, Tensor) else type(boundaries).__name__
        raise RuntimeError(f"bucketize: boundaries tensor must be 1 dimension, but got dim({nd})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def histogram(
    input: Tensor,
    bins: Any,
    *,
    range: Any = None,  # noqa: A002 - PyTorch's argument name
    weight: Tensor | None = None,
    density: bool = False,
) -> HistogramResult:
    """Counts (or summed ``weight``) of the elements in each bin: ``bins`` equal bins over ``range`` (the data's
    range by default), or the given increasing edges. The last bin includes its right edge."""
    from ..creation import linspace

    x = input
    if x._data.dtype.kind != "f":
        raise NotImplementedError(
            f'histogram: "histogram" not implemented for {x.dtype!r} (needs a float tensor)'
        )
    xp = x.backend.xp
    d = x._data.reshape(-1)
    if isinstance(bins, Tensor):
        if bins.ndim != 1 or bins.shape[0] < 2:
            raise RuntimeError(
                f"histogram: bins tensor should have one dimension and at least 2 elements, got {list(bins.shape)}"
            )
        if bins._data.dtype != x._data.dtype:
            raise RuntimeError(
                f"histogram: input tensor and bins tensors should have the same dtype, got {x.dtype} and {bins.dtype}"
            )
        check_same_device("histogram", x, bins)
        edges = bins._data
    else:
        if not isinstance(bins, int) or bins <= 0:
            raise RuntimeError(f"histogram: bins must be > 0, but got {bins}")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif d.size:
            lo, hi = float(d.min()), float(d.max())
        else:
            lo, hi = 0.0, 1.0
        if lo > hi:
            raise RuntimeError(f"histogram: min should not exceed max, but got min {lo} max {hi}")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = linspace(lo, hi, bins + 1, dtype=x.dtype, device=x.device)._data
    nb = edges.shape[0] - 1
    if weight is not None:
        if not isinstance(weight, Tensor) or weight.shape != x.shape:
            got = list(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
            raise RuntimeError(
                f"histogram: if weight tensor is provided it should have the same shape as the input tensor, but "
                f"got input with shape {list(x.shape)} and weight with shape {got}"
            )
        if weight._data.dtype != x._data.dtype:
            raise RuntimeError(
                f"histogram: if weight tensor is provided, input tensor and weight tensor should have the same "
                f"dtype, but got input({x.dtype}), and weight({weight.dtype})"
            )
        check_same_device("histogram", x, weight)
    inside = (d >= edges[0]) & (d <= edges[-1])
    pos = xp.minimum(xp.searchsorted(edges, d[inside], side="right") - 1, nb - 1)
    w = None if weight is None else weight._data.reshape(-1)[inside].astype("float64")
    hist = xp.bincount(pos, weights=w, minlength=nb)[:nb].astype(x._data.dtype)
    if density:
        widths = edges[1:] - edges[:-1]
        with x.backend.errstate():
            hist = hist / (hist.sum() * widths)
    return HistogramResult(Tensor._make(hist), Tensor._make(edges.copy()))
