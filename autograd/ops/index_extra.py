"""More indexing ops: index_add/copy/fill/put, scatter_reduce, masked_scatter, take, put and the *_scatter ops.

Most are compositions of the differentiable primitives in ops/index.py (gradients for free); scatter_reduce
has its own primitive whose backward follows PyTorch's rules, written with Tensor ops.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor, _wrap_dim
from .base import Primitive, check_same_device
from .index import Gather, IndexPut, Scatter, ScatterAdd, _check_index, masked_fill, raw_key


def _same_dtype(op: str, x: Tensor, src: Tensor, what: str = "source") -> None:
    if src._data.dtype != x._data.dtype:
        raise RuntimeError(f"{op}: self ({x.dtype}) and {what} ({src.dtype}) must have the same scalar type")


def _index_1d(op: str, x: Tensor, dim: int, index: Any, negative: bool = False) -> tuple[int, Any]:
    """Check a 1-d index along ``dim``; returns (axis, raw index array with negatives wrapped)."""
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"{op}: Expected dtype int32/int64 for index but got: {getattr(index, 'dtype', type(index).__name__)}"
        )
    check_same_device(op, x, index)
    if index.ndim > 1:
        raise IndexError(f"{op}: index should have at most 1 dimension, got shape {tuple(index.shape)}")
    axis = _wrap_dim(dim, max(x.ndim, 1), op)
    n = x.shape[axis] if x.ndim else 1
    idx = index._data.reshape(-1)
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        low = -n if negative else 0
        if lo < low or hi >= n:
            bad = hi if hi >= n else lo
            raise IndexError(
                f"{op}: index {bad} is out of bounds for dimension {axis} with size {n} "
                f"(valid range [{low}, {n - 1}])"
            )
        if negative and lo < 0:
            idx = idx % n
    return axis, idx


def _along(x: Tensor, axis: int, idx: Any, shape: tuple) -> Tensor:
    """The 1-d index ``idx`` along ``axis``, broadcast to ``shape`` (for gather/scatter)."""
    xp = x.backend.xp
    view = [1] * len(shape)
    view[axis] = idx.size
    return Tensor._make(xp.broadcast_to(idx.astype(xp.int64).reshape(view), shape))


def _source_like(op: str, x: Tensor, axis: int, idx: Any, source: Tensor) -> None:
    want = list(x.shape)
    if want:
        want[axis] = idx.size
    if source.ndim == 0 and x.ndim <= 1 and idx.size == 1:
        return
    if list(source.shape) != want:
        raise RuntimeError(
            f"{op}: source tensor shape must match self tensor shape, excluding the specified dimension. "
            f"Got self.shape = {list(x.shape)} source.shape = {list(source.shape)}, index of length {idx.size}"
        )


def index_add(x: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """``x`` with ``alpha * source`` added at ``index`` along ``dim`` (repeated indices accumulate)."""
    axis, idx = _index_1d("index_add", x, dim, index)
    check_same_device("index_add", x, source)
    _same_dtype("index_add", x, source)
    _source_like("index_add", x, axis, idx, source)
    if x.ndim == 0:
        return x + (source.reshape(()) * alpha if alpha != 1 else source.reshape(()))
    src = source * alpha if alpha != 1 else source
    return ScatterAdd.apply(x, axis, _along(x, axis, idx, source.shape)._data, src)


def index_copy(x: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """``x`` with the slices at ``index`` along ``dim`` replaced by ``source``'s."""
    axis, idx = _index_1d("index_copy", x, dim, index)
    check_same_device("index_copy", x, source)
    _same_dtype("index_copy", x, source)
    _source_like("index_copy", x, axis, idx, source)
    if x.ndim == 0:
        return source.reshape(()) + x * 0
    return Scatter.apply(x, axis, _along(x, axis, idx, source.shape)._data, source)


def index_fill(x: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """``x`` with the slices at ``index`` along ``dim`` set to ``value`` (a scalar or 0-d tensor)."""
    axis, idx = _index_1d("index_fill", x, dim, index, negative=True)
    xp = x.backend.xp
    m = xp.zeros(x.shape[axis] if x.ndim else 1, dtype=bool)
    m[idx] = True
    m = m.reshape([-1 if d == axis else 1 for d in range(x.ndim)]) if x.ndim else m.reshape(())
    return masked_fill(x, Tensor._make(xp.broadcast_to(m, x.shape)), value)


def _put_key(op: str, x: Tensor, indices: Any) -> tuple:
    if not isinstance(indices, tuple | list) or not all(isinstance(i, Tensor) or i is None for i in indices):
        raise TypeError(f"{op}: indices must be a tuple of tensors, got {type(indices).__name__}")
    if len(indices) > x.ndim:
        raise IndexError(f"{op}: too many indices ({len(indices)}) for a tensor of shape {tuple(x.shape)}")
    key = raw_key(x, tuple(slice(None) if i is None else i for i in indices))
    for d, k in enumerate(key):
        if hasattr(k, "dtype") and k.dtype.kind in "iu" and k.size:
            n = x.shape[d]
            lo, hi = int(k.min()), int(k.max())
            if lo < -n or hi >= n:
                raise IndexError(
                    f"{op}: index {hi if hi >= n else lo} is out of bounds for dimension {d} with size {n} "
                    f"(valid range [{-n}, {n - 1}])"
                )
    return key


def _values(op: str, x: Tensor, values: Any) -> Any:
    if isinstance(values, Tensor):
        check_same_device(op, x, values)
        _same_dtype(op, x, values, "values")
        return values
    from ..creation import tensor

    return tensor(values, dtype=x.dtype, device=x.device)


def index_put(x: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """``x`` with ``values`` written (or added, ``accumulate``) at ``x[indices]``."""
    key = _put_key("index_put", x, indices)
    v = _values("index_put", x, values)
    try:
        return IndexPut.apply(x, key, v, bool(accumulate))
    except (ValueError, IndexError) as e:
        raise RuntimeError(
            f"index_put: values of shape {tuple(v.shape)} cannot be put into the indexed part of a tensor of "
            f"shape {tuple(x.shape)}: {e}"
        ) from None


def index_put_(x: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    from .inplace import inplace_apply

    key = _put_key("index_put_", x, indices)
    v = _values("index_put_", x, values)
    return inplace_apply(x, IndexPut, key, v, bool(accumulate), fast=_put_fast)


def _put_fast(d: Any, key: tuple, v: Any, accumulate: bool) -> None:
    from ..tensor import _BY_TYPE

    if accumulate:
        _BY_TYPE[type(d)].scatter_add(d, key, v)
    else:
        d[key] = v


# ---- scatter_reduce ------------------------------------------------------------------------------------

_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _combine_rounds(b: Any, flat: Any, pos: Any, vals: Any, fn: Any) -> None:
    """``flat[p] = fn(flat[p], v)`` for every (p, v), repeated positions applied one round at a time (no
    ufunc.at needed: CuPy has no multiply.at; each round writes distinct positions)."""
    xp = b.xp
    order = xp.argsort(pos)
    sp, sv = pos[order], vals[order]
    rank = xp.arange(sp.size) - xp.searchsorted(sp, sp)
    rounds = int(rank.max()) + 1 if sp.size else 0
    for r in range(rounds):
        sel = rank == r
        p = sp[sel]
        flat[p] = fn(flat[p], sv[sel])


class ScatterReduce(Primitive):
    """``a`` with ``src`` reduced into it at ``index`` along ``axis`` (``include_self``: a's values join)."""

    _saved_inputs = (0,)
    _saves_output = True

    @staticmethod
    def forward(ctx, a, axis, index, src, reduce, include_self):
        b = ctx.backend(a)
        xp = b.xp
        src = src if src.shape == index.shape else src[tuple(slice(0, n) for n in index.shape)]
        out = a.copy()  # C order (both NumPy's and CuPy's default)
        pos = xp.zeros(index.shape, dtype=xp.int64)
        step = 1
        for d in range(a.ndim - 1, -1, -1):  # C-order flat positions of the scattered-to elements
            i = (
                index
                if d == axis
                else xp.arange(index.shape[d]).reshape([-1 if e == d else 1 for e in range(a.ndim)])
            )
            pos = pos + i.astype(xp.int64) * step
            step *= a.shape[d]
        pos = pos.reshape(-1)
        vals = src.reshape(-1)
        flat = out.reshape(-1)
        if not include_self:
            ident = {"sum": 0, "mean": 0, "prod": 1}
            if reduce in ident:
                flat[pos] = ident[reduce]
            else:
                flat[pos] = (
                    vals.max() if reduce == "amin" else vals.min()
                )  # any value the reduce will replace
        if reduce in ("sum", "mean"):
            b.scatter_add(flat, (pos,), vals)
            if reduce == "mean":
                cnt = xp.zeros(flat.size, dtype=flat.dtype)
                b.scatter_add(cnt, (pos,), xp.ones(pos.size, dtype=flat.dtype))
                cnt = cnt + (1 if include_self else 0)
                cnt[cnt == 0] = 1
                flat[...] = flat / cnt if flat.dtype.kind == "f" else flat // cnt
        else:
            fn = {"prod": xp.multiply, "amax": xp.maximum, "amin": xp.minimum}[reduce]
            _combine_rounds(b, flat, pos, vals, fn)
        return out

    @staticmethod
    def backward(ctx, g):
        a, axis, index, src, reduce, include_self = ctx.inputs
        full = src.shape == index.shape
        s = src if full else src[tuple(slice(0, n) for n in index.shape)]
        result = ctx.output()
        ga = gs = None
        if reduce == "sum":
            ga, gs = g, Gather.apply(g, axis, index)
        elif reduce == "mean":
            n = ScatterAdd.apply(
                g.new_ones(g.shape) if include_self else g.new_zeros(g.shape), axis, index, 1.0
            )
            n = masked_fill(n, n == 0, 1.0)
            ga = g / n
            gs = Gather.apply(g, axis, index) / Gather.apply(n, axis, index)
        elif reduce == "prod":
            masked_a = masked_fill(a, a == 0, 1.0)
            ga = g * ScatterReduce.apply(masked_a, axis, index, s, "prod", include_self) / masked_a
            s_zero = s == 0
            zeros = ScatterAdd.apply(g.new_zeros(g.shape), axis, index, s_zero.to(g.dtype))
            single = s_zero.logical_and(Gather.apply(zeros, axis, index) == 1)
            masked_s_res = ScatterReduce.apply(
                a, axis, index, masked_fill(s, single, 1.0), "prod", include_self
            )
            from ..methods import where

            gs = where(
                single,
                Gather.apply(g * masked_s_res, axis, index),
                Gather.apply(g * result, axis, index) / masked_fill(s, s_zero, 1.0),
            )
        else:
            value = Gather.apply(result, axis, index)
            a_is = (a == result).to(g.dtype)  # as torch: counted even when include_self=False
            s_is = (s == value).to(g.dtype)
            share = g / ScatterAdd.apply(a_is, axis, index, s_is)
            ga = a_is * share
            gs = s_is * Gather.apply(share, axis, index)
        if not include_self:
            ga = Scatter.apply(ga, axis, index, 0.0)
        if gs is not None and not full:
            gs = IndexPut.apply(src.new_zeros(src.shape), tuple(slice(0, n) for n in index.shape), gs)
        return ga, None, None, gs, None, None


def scatter_reduce(
    x: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """Reduce ``src`` into ``x`` at ``index`` along ``dim`` with sum, prod, mean, amax or amin."""
    if reduce not in _REDUCES:
        raise RuntimeError(f"scatter_reduce: reduce argument must be one of {list(_REDUCES)}, got {reduce!r}")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce: src must be a Tensor, got {type(src).__name__}")
    axis = _check_index("scatter_reduce", x, dim, index, src)
    if index._data.size and int(index._data.min()) < 0:
        raise RuntimeError(
            f"scatter_reduce: index {int(index._data.min())} is out of bounds for dimension {axis} with size "
            f"{x.shape[axis] if x.ndim else 1} (valid range [0, {(x.shape[axis] if x.ndim else 1) - 1}])"
        )
    return ScatterReduce.apply(x, axis, index._data, src, reduce, bool(include_self))


def scatter(
    x: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None, reduce: Any = None
) -> Tensor:
    """``Tensor.scatter``: reduce=None (write), 'add' (accumulate) or 'multiply'."""
    from . import index as I

    if reduce != "multiply":
        return I.scatter(x, dim, index, src, value=value, reduce=reduce)
    s = value if src is None else src
    if not isinstance(s, Tensor):
        if s is None:
            raise TypeError("scatter: expected a src tensor or a value")
        s = Tensor._make(x.backend.xp.full(index.shape, s, dtype=x._data.dtype))
    return scatter_reduce(x, dim, index, s, "prod")


# ---- masks, flat indices, *_scatter ---------------------------------------------------------------------


def masked_scatter(x: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """``x`` with the elements where ``mask`` holds replaced, in order, by the first elements of ``source``."""
    if not isinstance(mask, Tensor) or mask._data.dtype.kind != "b":
        raise RuntimeError(f"masked_scatter: expected a bool mask, got {getattr(mask, 'dtype', type(mask))}")
    check_same_device("masked_scatter", x, mask, source)
    _same_dtype("masked_scatter", x, source)
    xp = x.backend.xp
    try:
        shape = tuple(xp.broadcast_shapes(x.shape, mask.shape))
    except ValueError:
        raise RuntimeError(
            f"masked_scatter: mask of shape {tuple(mask.shape)} is not broadcastable to {tuple(x.shape)}"
        ) from None
    xb = x if x.shape == shape else x.expand(shape)
    pos = xp.flatnonzero(xp.broadcast_to(mask._data, shape))
    k = int(pos.size)
    if source.numel() < k:
        raise RuntimeError(
            f"masked_scatter: number of elements of source ({source.numel()}) < number of ones in mask ({k})"
        )
    vals = source.reshape(-1)[:k]
    return IndexPut.apply(xb.reshape(-1), (pos,), vals, False).reshape(shape)


def _flat_index(op: str, x: Tensor, index: Tensor) -> Any:
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"{op}: expected a long tensor of indices, got {getattr(index, 'dtype', type(index))}"
        )
    check_same_device(op, x, index)
    n = x.numel()
    i = index._data
    if i.size:
        lo, hi = int(i.min()), int(i.max())
        if lo < -n or hi >= n:
            raise IndexError(
                f"{op}: out of range: tried to access index {hi if hi >= n else lo} on a tensor of {n} elements "
                f"(valid range [{-n}, {n - 1}])"
            )
    return i % n if i.size and n else i


def take(x: Tensor, index: Tensor) -> Tensor:
    """Elements of ``x`` viewed as 1-d, at ``index`` (result has index's shape)."""
    i = _flat_index("take", x, index)
    return x.reshape(-1)[Tensor._make(i)]


def put(x: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """``x`` (as 1-d) with ``source`` written (or added) at ``index``."""
    i = _flat_index("put", x, index)
    check_same_device("put", x, source)
    _same_dtype("put", x, source)
    if source.numel() != index.numel():
        raise RuntimeError(
            f"put: expected source and index to have the same number of elements, got {source.numel()} and "
            f"{index.numel()}"
        )
    flat = IndexPut.apply(x.reshape(-1), (i.reshape(-1),), source.reshape(-1), bool(accumulate))
    return flat.reshape(x.shape)


def take_along_dim(x: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """``gather`` along ``dim`` after broadcasting ``x`` and ``indices`` on the other dims (None: flat)."""
    if not isinstance(indices, Tensor) or indices._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"take_along_dim: dtype of indices should be long, got {getattr(indices, 'dtype', type(indices))}"
        )
    if dim is None:
        return take(x, indices.reshape(-1))
    if x.ndim != indices.ndim:
        raise RuntimeError(
            f"take_along_dim: input and indices should have the same number of dimensions, but got {x.ndim} "
            f"dimensions for input, and {indices.ndim} dimensions for indices"
        )
    axis = _wrap_dim(dim, x.ndim, "take_along_dim")
    xp = x.backend.xp
    try:
        xs = list(
            xp.broadcast_shapes(
                tuple(1 if d == axis else n for d, n in enumerate(x.shape)),
                tuple(1 if d == axis else n for d, n in enumerate(indices.shape)),
            )
        )
    except ValueError:
        raise RuntimeError(
            f"take_along_dim: shapes {tuple(x.shape)} and {tuple(indices.shape)} are not broadcastable "
            f"apart from dim {axis}"
        ) from None
    x_shape, i_shape = list(xs), list(xs)
    x_shape[axis], i_shape[axis] = x.shape[axis], indices.shape[axis]
    xb = x if list(x.shape) == x_shape else x.expand(x_shape)
    n = x.shape[axis]
    i = indices._data
    if i.size and (int(i.min()) < -n or int(i.max()) >= n):
        raise IndexError(f"take_along_dim: index out of range for dimension {axis} with size {n}")
    i = xp.broadcast_to(i % n if n else i, i_shape)
    return Gather.apply(xb, axis, i)


def _slice_src(op: str, x: Tensor, key: tuple, src: Tensor) -> Tensor:
    check_same_device(op, x, src)
    _same_dtype(op, x, src, "src")
    want = x._data[key].shape
    if tuple(src.shape) != tuple(want):
        raise RuntimeError(
            f"{op}: expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
            f"slice size = {list(want)}"
        )
    return IndexPut.apply(x, key, src, False)


def select_scatter(x: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """A copy of ``x`` with ``src`` written at ``x.select(dim, index)``."""
    d = _wrap_dim(dim, x.ndim, "select_scatter")
    n = x.shape[d]
    if not -n <= index < n:
        raise IndexError(
            f"select_scatter: index {index} out of range for tensor of size {list(x.shape)} at dimension {d}"
        )
    return _slice_src("select_scatter", x, (slice(None),) * d + (index % n,), src)


def slice_scatter(
    x: Tensor, src: Tensor, dim: int = 0, start: int | None = None, end: int | None = None, step: int = 1
) -> Tensor:
    """A copy of ``x`` with ``src`` written at ``x[start:end:step]`` along ``dim``."""
    d = _wrap_dim(dim, x.ndim, "slice_scatter")
    if step <= 0:
        raise RuntimeError(f"slice_scatter: slice step must be positive, got {step}")
    return _slice_src("slice_scatter", x, (slice(None),) * d + (slice(start, end, step),), src)


def _diag_key(x: Tensor, offset: int, length: int) -> tuple:
    xp = x.backend.xp
    rows = xp.arange(length, dtype=xp.int64) + max(0, -offset)
    cols = xp.arange(length, dtype=xp.int64) + max(0, offset)
    return (Ellipsis, rows, cols)


def diagonal_scatter(x: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A copy of ``x`` with ``src`` written at ``x.diagonal(offset, dim1, dim2)``."""
    d1, d2 = _wrap_dim(dim1, x.ndim, "diagonal_scatter"), _wrap_dim(dim2, x.ndim, "diagonal_scatter")
    if d1 == d2:
        raise RuntimeError(f"diagonal_scatter: diagonal dimensions cannot be identical {dim1}, {dim2}")
    xm = x.movedim((d1, d2), (-2, -1))
    n, m = xm.shape[-2], xm.shape[-1]
    length = max(0, min(n, m - offset) if offset >= 0 else min(n + offset, m))
    out = _slice_src("diagonal_scatter", xm, _diag_key(x, offset, length), src)
    return out.movedim((-2, -1), (d1, d2))


def diag_embed(x: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Tensors whose (dim1, dim2) diagonals (at ``offset``) hold x's last dim; zeros elsewhere."""
    nd = x.ndim + 1
    d1, d2 = _wrap_dim(dim1, nd, "diag_embed"), _wrap_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diag_embed: diagonal dimensions cannot be identical {dim1}, {dim2}")
    if x.ndim == 0:
        raise RuntimeError("diag_embed: expected a tensor with at least 1 dimension")
    k = x.shape[-1]
    m = k + abs(offset)
    z = x.new_zeros(tuple(x.shape[:-1]) + (m, m))
    out = IndexPut.apply(z, _diag_key(x, offset, k), x, False)
    return out.movedim((-2, -1), (d1, d2))


def scatter_reduce_(
    x: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """In-place ``scatter_reduce`` (backward reads x's old values: inplace_apply keeps a copy)."""
    from .inplace import inplace_apply

    scatter_reduce(x, dim, index, src, reduce, include_self=include_self)  # the checks, on a throwaway result
    axis = _wrap_dim(dim, max(x.ndim, 1), "scatter_reduce_")
    return inplace_apply(x, ScatterReduce, axis, index._data, src, reduce, bool(include_self))
