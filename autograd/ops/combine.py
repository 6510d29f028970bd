"""Combining tensors, as ``torch`` does: stacking (dstack, column_stack, block_diag), raising dims
(atleast_1d/2d/3d), grids and products of index sets (meshgrid, cartesian_prod, combinations) and
broadcasting (broadcast_shapes, broadcast_tensors).

All are built from differentiable shape ops (reshape, expand, cat, pad, index_select), so gradients
and every device come for free.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

from ..tensor import Tensor
from . import shape as S
from .base import check_same_device


def _tensor_list(op: str, tensors: Any) -> list[Tensor]:
    """The tensors of ``f(a, b)`` or ``f([a, b])``, checked."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tensors[0]
    out = list(tensors)
    for i, t in enumerate(out):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected Tensors, but argument {i} is {type(t).__name__}")
    return out


def _atleast(op: str, nd: int, tensors: tuple) -> Any:
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    out = []
    for t in _tensor_list(op, tensors):
        if t.ndim < nd:
            if t.ndim == 0:
                shape = (1,) * nd
            elif t.ndim == 1:
                shape = (1, t.shape[0], 1)[:nd]
            else:
                shape = tuple(t.shape) + (1,)
            t = S.reshape(t, shape)
        out.append(t)
    return out[0] if single else tuple(out)


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least 1 dim (0-d becomes shape (1,)); one tensor in, one out, else a tuple."""
    return _atleast("atleast_1d", 1, tensors)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least 2 dims: 0-d -> (1, 1), (n,) -> (1, n)."""
    return _atleast("atleast_2d", 2, tensors)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least 3 dims: 0-d -> (1, 1, 1), (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    return _atleast("atleast_3d", 3, tensors)


def _nonempty(op: str, tensors: Any) -> list[Tensor]:
    tensors = _tensor_list(op, (tensors,))
    if not tensors:
        raise RuntimeError(f"{op}: expects a non-empty TensorList")
    return tensors


def dstack(tensors: Any) -> Tensor:
    """Stack along a third dim (depth): every tensor made at least 3-d, then concatenated on dim 2."""
    return S.cat(list(atleast_3d(_nonempty("dstack", tensors))), 2)


def column_stack(tensors: Any) -> Tensor:
    """Stack 0-d/1-d tensors as columns (and 2-d ones as they are) side by side."""
    ts = _nonempty("column_stack", tensors)
    return S.cat([S.reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in ts], 1)


def block_diag(*tensors: Tensor) -> Tensor:
    """A block-diagonal matrix of the given (0-d, 1-d or 2-d) blocks; dtypes promote as in ``cat``."""
    from ..creation import empty, result_type

    ts = _tensor_list("block_diag", tensors)
    for i, t in enumerate(ts):
        if t.ndim > 2:
            raise RuntimeError(
                f"block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has {t.ndim} dimensions"
            )
    if not ts:
        return empty(1, 0)
    check_same_device("block_diag", *ts)
    dt = result_type(*ts)
    blocks = [S.reshape(t, (1, 1) if t.ndim == 0 else (1, t.shape[0])) if t.ndim < 2 else t for t in ts]
    blocks = [b if b.dtype == dt else b.to(dt) for b in blocks]
    cols = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        rows.append(S.pad(b, (left, cols - left - b.shape[1])))
        left += b.shape[1]
    return S.cat(rows, 0)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 0-d/1-d tensors: 'ij' (matrix) or 'xy' (Cartesian: first two dims swapped)."""
    ts = _tensor_list("meshgrid", tensors)
    if indexing is None:
        warnings.warn(
            "meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not ts:
        raise RuntimeError("meshgrid: expects a non-empty TensorList")
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(
                f"meshgrid: Expected 0D or 1D tensor in the tensor list but got: {tuple(t.shape)}"
            )
        if t.dtype != ts[0].dtype:
            raise RuntimeError(
                f"meshgrid: expects all tensors to have the same dtype, got {ts[0].dtype} and {t.dtype}"
            )
    check_same_device("meshgrid", *ts)
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    out = []
    for i, t in enumerate(ts):
        view = (1,) * i + (shape[i],) + (1,) * (len(ts) - i - 1)
        out.append(S.expand(S.reshape(t, view), shape))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def _vector(op: str, t: Tensor) -> Tensor:
    if t.ndim != 1:
        raise RuntimeError(f"{op}: Expect a 1D vector, but got shape {list(t.shape)}")
    return t


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every tuple of one element from each 1-d tensor, as rows (like ``itertools.product``)."""
    ts = [_vector("cartesian_prod", t) for t in _tensor_list("cartesian_prod", tensors)]
    if len(ts) == 1:
        return ts[0]
    return S.stack([S.reshape(g, (-1,)) for g in meshgrid(ts, indexing="ij")], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """Length-``r`` combinations of a 1-d tensor's elements, as rows (like ``itertools.combinations``)."""
    from ..creation import tensor
    from .index import index_select

    x = _vector("combinations", input)
    if r < 0:
        raise RuntimeError(f"combinations: Expect a non-negative number, but got {r}")
    if r == 0:
        return tensor([], dtype=x.dtype, device=x.device)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = [i for c in pick(range(x.shape[0]), r) for i in c]
    sel = index_select(x, 0, tensor(idx, dtype="int64", device=x.device))
    return S.reshape(sel, (len(idx) // r, r))


def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    """The shape that tensors of these shapes (ints count as 1-d shapes) broadcast to."""
    result: list[int] = []
    for i, s in enumerate(shapes):
        s = (s,) if isinstance(s, int) else tuple(s)
        if any(d < 0 for d in s):
            raise ValueError("broadcast_shapes: Attempting to broadcast a dimension with negative length!")
        if len(s) > len(result):
            result = [1] * (len(s) - len(result)) + result
        for k in range(1, len(s) + 1):
            if result[-k] == 1:
                result[-k] = s[-k]
            elif s[-k] != 1 and s[-k] != result[-k]:
                raise RuntimeError(
                    f"broadcast_shapes: Attempting to broadcast a dimension of length {s[-k]} at {-k}! "
                    f"Mismatching argument at index {i} had {s}; but expected shape should be broadcastable "
                    f"to {result}"
                )
    return tuple(result)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded (as views) to their common broadcast shape."""
    ts = _tensor_list("broadcast_tensors", tensors)
    check_same_device("broadcast_tensors", *ts)
    shape: tuple = ()
    for t in ts:
        n = max(len(shape), t.ndim)
        a, b = (1,) * (n - len(shape)) + tuple(shape), (1,) * (n - t.ndim) + tuple(t.shape)
        for d, (x, y) in enumerate(zip(a, b)):
            if x != y and x != 1 and y != 1:
                raise RuntimeError(
                    f"broadcast_tensors: The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                    f"non-singleton dimension {d}"
                )
        shape = tuple(y if x == 1 else x for x, y in zip(a, b))
    return tuple(t if tuple(t.shape) == shape else S.expand(t, shape) for t in ts)
