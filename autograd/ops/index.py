"""Indexing primitives: getitem (scatter-add backward), index_put, gather/scatter, and ops built on them."""

from __future__ import annotations

from typing import Any

from ..tensor import _BY_TYPE, Tensor, _wrap_dim
from .base import Primitive, check_same_device, register_view


def _is_advanced(key: tuple) -> bool:
    return any(not isinstance(k, int | slice | type(None) | type(Ellipsis)) for k in key)


def raw_key(x: Tensor, key: Any) -> tuple:
    """Turn an index (ints, slices, None, Ellipsis, Tensors, lists) into a backend-array index tuple."""
    if not isinstance(key, tuple):
        key = (key,)
    xp = x.backend.xp
    out = []
    for k in key:
        if isinstance(k, Tensor):
            if type(k._data) is not type(x._data) or k.device != x.device:
                if k.device.type != "cpu":
                    raise RuntimeError(
                        f"index: indices are on {k.device} but the indexed tensor is on {x.device}; "
                        "move the indices to the same device"
                    )
                k = k.to(x.device)  # CPU indices are moved to the tensor's device, as in PyTorch
            if k._data.dtype.kind not in "biu":
                raise IndexError(
                    f"index: tensors used as indices must be long, int or bool tensors, got {k.dtype}"
                )
            out.append(k._data)
        elif isinstance(k, list | tuple):
            arr = xp.asarray(k)
            if arr.dtype.kind not in "biu" and arr.size:
                raise IndexError(f"index: lists used as indices must hold ints or bools, got {k!r}")
            out.append(arr.astype("int64") if arr.size == 0 else arr)
        elif isinstance(k, int | slice | type(None) | type(Ellipsis)):
            out.append(k)
        elif hasattr(k, "__index__"):
            out.append(int(k))
        else:
            out.append(xp.asarray(k))
    return tuple(out)


class GetItem(Primitive):
    @staticmethod
    def forward(ctx, a, key):
        ctx.in_shape, ctx.dtype = a.shape, a.dtype
        try:
            r = a[key]
        except IndexError as e:
            raise IndexError(f"index: {e} (tensor of shape {a.shape})") from None
        # NumPy gives a scalar copy for a full integer index; with a trailing Ellipsis it is a 0-d view, as in
        # PyTorch (x[0] on a 1-d tensor shares x's memory)
        return r if r.__class__ in _BY_TYPE else a[key + (Ellipsis,)]

    @staticmethod
    def backward(ctx, g):
        return IndexAdd.apply(g, ctx.inputs[1], ctx.in_shape), None

    @staticmethod
    def backward_raw(ctx, g):
        from .reduce import as_array

        return IndexAdd.forward(ctx, as_array(g), ctx.inputs[1], ctx.in_shape), None


class IndexAdd(Primitive):
    """zeros(shape) with ``g`` added at ``key`` (repeated indices accumulate): getitem's backward."""

    @staticmethod
    def forward(ctx, g, key, shape):
        b = ctx.backend(g)
        z = b.xp.zeros(shape, dtype=g.dtype)
        if _is_advanced(key):
            b.scatter_add(z, key, g)
        else:
            z[key] = g
        return z

    @staticmethod
    def backward(ctx, gg):
        return GetItem.apply(gg, ctx.inputs[1]), None, None


class IndexPut(Primitive):
    """``out = a.clone(); out[key] = v`` (the out-of-place form of ``__setitem__``)."""

    op = "index_put"

    @staticmethod
    def forward(ctx, a, key, v, accumulate=False):
        out = a.copy()
        if accumulate:
            ctx.backend(a).scatter_add(out, key, v)
        else:
            out[key] = v
        return out

    @staticmethod
    def backward(ctx, g):
        # accumulate is optional: this backward itself applies IndexPut(g, key, 0.0)
        a, key, v, *rest = ctx.inputs
        accumulate = rest[0] if rest else False
        n = ctx.needs_input_grad
        ga = gv = None
        if n[0]:
            ga = g if accumulate else IndexPut.apply(g, key, 0.0)
        if n[2]:
            gv = GetItem.apply(g, key)
            if gv.shape != v.shape:
                from .reduce import sum_to

                gv = sum_to(gv, v.shape)
        return (ga, None, gv) + (None,) * len(rest)


class Gather(Primitive):
    @staticmethod
    def forward(ctx, a, axis, index):
        ctx.in_shape = a.shape
        # PyTorch reads only the leading block of ``a`` that ``index`` covers on the other dims
        block = tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(index.shape))
        return ctx.backend(a).take_along_axis(a[block], index, axis)

    @staticmethod
    def backward(ctx, g):
        _, axis, index = ctx.inputs
        z = Tensor._make(g.backend.xp.zeros(ctx.in_shape, dtype=g._data.dtype))
        return ScatterAdd.apply(z, axis, index, g), None, None


def _src_block(src: Any, index: Any) -> Any:
    """The part of ``src`` that ``index`` covers (PyTorch allows a larger ``src``)."""
    if src.shape == index.shape:
        return src
    return src[tuple(slice(0, n) for n in index.shape)]


def _src_grad(g: Tensor, src: Tensor, index: Tensor) -> Tensor:
    """The gradient for ``src``: zero outside the block that ``index`` covers."""
    if src.shape == index.shape:
        return g
    return IndexAdd.apply(g, tuple(slice(0, n) for n in index.shape), src.shape)


def _scatter_src(b: Any, a: Any, index: Any, src: Any) -> Any:
    """The raw ``src`` of a scatter as an array of ``index``'s shape (its leading block, or a broadcast scalar)."""
    if hasattr(src, "shape") and src.ndim == index.ndim:
        src = _src_block(src, index)
    if not hasattr(src, "shape") or src.shape != index.shape:
        src = b.xp.broadcast_to(b.xp.asarray(src, dtype=a.dtype), index.shape)
    return src


class Scatter(Primitive):
    """Out-of-place ``scatter``: a copy of ``a`` with ``src`` written at ``index`` along ``axis``."""

    @staticmethod
    def forward(ctx, a, axis, index, src):
        out = a.copy()
        b = ctx.backend(a)
        b.put_along_axis(out, index, _scatter_src(b, a, index, src), axis)
        return out

    @staticmethod
    def backward(ctx, g):
        _, axis, index, src = ctx.inputs
        n = ctx.needs_input_grad
        ga = Scatter.apply(g, axis, index, 0.0) if n[0] else None
        gs = _src_grad(Gather.apply(g, axis, index), src, index) if n[3] else None
        return ga, None, None, gs


class ScatterAdd(Primitive):
    @staticmethod
    def forward(ctx, a, axis, index, src):
        out = a.copy()
        b = ctx.backend(a)
        b.put_along_axis_add(out, index, _scatter_src(b, a, index, src), axis)
        return out

    @staticmethod
    def backward(ctx, g):
        _, axis, index, src = ctx.inputs
        n = ctx.needs_input_grad
        gs = _src_grad(Gather.apply(g, axis, index), src, index) if n[3] else None
        return (g if n[0] else None), None, None, gs


class KeepWhere(Primitive):
    """``x`` where a constant bool mask is True, else 0 (tril/triu): unlike a 0/1 product, inf and nan
    outside the mask become 0, as in PyTorch."""

    @staticmethod
    def forward(ctx, a, mask):
        xp = ctx.backend_xp(a)
        return xp.where(mask, a, xp.zeros((), dtype=a.dtype))

    @staticmethod
    def backward(ctx, g):
        return KeepWhere.apply(g, ctx.inputs[1]), None


class MaskMul(Primitive):
    """``x * mask`` for a constant 0/1 mask array (tril, triu, dropout-like masking)."""

    @staticmethod
    def forward(ctx, a, mask):
        return a * mask

    @staticmethod
    def backward(ctx, g):
        return MaskMul.apply(g, ctx.inputs[1]), None


# ---- functions ----------------------------------------------------------------------------------


def getitem(x: Tensor, key: Any) -> Tensor:
    k = raw_key(x, key)
    out = GetItem.apply(x, k)
    if out._data.base is not None and not _is_advanced(k):
        register_view(out, x)  # a basic index gives a view of x's memory
    return out


def setitem(x: Tensor, key: Any, value: Any) -> None:
    """``x[key] = value`` in place; differentiable through both ``x`` and ``value``."""
    from .inplace import inplace_apply

    k = raw_key(x, key)
    if not isinstance(value, Tensor | int | float | bool):
        from ..creation import tensor

        value = tensor(value, dtype=x.dtype, device=x.device)  # lists and host arrays
    if isinstance(value, Tensor):
        if type(value._data) is not type(x._data) or value.device != x.device:
            if value.device.type == "cpu" and value.ndim == 0 and not value.requires_grad:
                value = value.item()  # a CPU scalar tensor acts as a Python scalar, as in PyTorch
            else:
                raise RuntimeError(
                    f"index_put_: value is on {value.device} but the tensor is on {x.device}; "
                    "move it with .to(device) first"
                )
    if isinstance(value, Tensor) and value._data.dtype != x._data.dtype:
        value = value.to(x.dtype)
    inplace_apply(x, IndexPut, k, value, False, fast=_put)


def _put(d: Any, key: tuple, v: Any, accumulate: bool) -> None:
    try:
        d[key] = v
    except IndexError as e:
        raise IndexError(f"index_put_: {e} (tensor of shape {d.shape})") from None


def _check_index(op: str, x: Tensor, dim: int, index: Tensor, src: Any = None) -> int:
    check_same_device(op, x, index, src)
    axis = _wrap_dim(dim, x.ndim, op)
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"{op}: expected index to be an int64 tensor, got {getattr(index, 'dtype', type(index))}"
        )
    if index.ndim != x.ndim and not (x.ndim == 0 and index.ndim <= 1):
        raise RuntimeError(
            f"{op}: index tensor must have the same number of dimensions as input tensor "
            f"(index {tuple(index.shape)}, input {tuple(x.shape)})"
        )
    for d, (n, m) in enumerate(zip(index.shape, x.shape)):
        if d != axis and n > m:
            raise RuntimeError(
                f"{op}: expected index {tuple(index.shape)} to be no larger than input {tuple(x.shape)} "
                f"apart from dimension {axis}"
            )
    if isinstance(src, Tensor):
        if src.ndim != index.ndim or any(n > m for n, m in zip(index.shape, src.shape)):
            raise RuntimeError(
                f"{op}: expected index {tuple(index.shape)} to be no larger than src {tuple(src.shape)} "
                "with the same number of dimensions"
            )
        if src._data.dtype != x._data.dtype:
            raise RuntimeError(
                f"{op}: expected self.dtype to be equal to src.dtype ({x.dtype} vs {src.dtype})"
            )
    if index._data.size:
        lo, hi = int(index._data.min()), int(index._data.max())
        if lo < -x.shape[axis] or hi >= x.shape[axis]:
            raise RuntimeError(
                f"{op}: index {hi if hi >= x.shape[axis] else lo} is out of bounds for dimension {axis} "
                f"with size {x.shape[axis]}"
            )
    return axis


def gather(x: Tensor, dim: int, index: Tensor) -> Tensor:
    axis = _check_index("gather", x, dim, index)
    return Gather.apply(x, axis, index)


def scatter(
    x: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None, reduce: Any = None
) -> Tensor:
    """Out-of-place ``Tensor.scatter``; ``reduce='add'`` accumulates like ``scatter_add``."""
    s = value if src is None else src
    if s is None:
        raise TypeError("scatter: expected a src tensor or a value")
    axis = _check_index("scatter", x, dim, index, s)
    if reduce is None:
        return Scatter.apply(x, axis, index, s)
    if reduce == "add":
        return ScatterAdd.apply(x, axis, index, s)
    raise RuntimeError(f"scatter: reduce argument must be None or 'add', got {reduce!r}")


def scatter_add(x: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    axis = _check_index("scatter_add", x, dim, index, src)
    return ScatterAdd.apply(x, axis, index, src)


def index_select(x: Tensor, dim: int, index: Tensor) -> Tensor:
    check_same_device("index_select", x, index)
    axis = _wrap_dim(dim, x.ndim, "index_select")
    if not isinstance(index, Tensor) or index.ndim > 1 or index._data.dtype.kind not in "iu":
        raise IndexError("index_select: index must be a 1-D int64 tensor")
    if index._data.size and (
        int(index._data.max()) >= x.shape[axis] or int(index._data.min()) < -x.shape[axis]
    ):
        raise IndexError(f"index_select: index out of range for dimension {axis} with size {x.shape[axis]}")
    return getitem(x, (slice(None),) * axis + (index,))


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    from .elementwise import Where

    if isinstance(mask, Tensor):
        if mask._data.dtype.kind != "b":
            raise RuntimeError(f"masked_fill: expected a bool mask, got {mask.dtype}")
        check_same_device("masked_fill", x, mask, value)
        m = mask._data
    else:
        m = x.backend.xp.asarray(mask, dtype=bool)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"masked_fill: only supports a 0-dimensional value tensor, got shape {value.shape}"
            )
        if not value.requires_grad:
            value = value.item()
    out = Where.apply(m, value, x) if isinstance(value, Tensor) else Where.apply(m, _scalar(x, value), x)
    if out.shape != x.shape:
        raise RuntimeError(
            f"masked_fill: mask of shape {tuple(m.shape)} is not broadcastable to {tuple(x.shape)}"
        )
    return out


def _scalar(x: Tensor, value: Any) -> Any:
    """A Python scalar as an array of x's dtype, so where() keeps x's dtype."""
    return x.backend.xp.asarray(value, dtype=x._data.dtype)


def one_hot(x: Tensor, num_classes: int = -1) -> Tensor:
    if x._data.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot: one_hot is only applicable to index tensor (int64), got {x.dtype}")
    xp = x.backend.xp
    if x._data.size and int(x._data.min()) < 0:
        raise RuntimeError("one_hot: class values must be non-negative")
    if num_classes == -1:
        num_classes = int(x._data.max()) + 1 if x._data.size else 0
    elif x._data.size and int(x._data.max()) >= num_classes:
        raise RuntimeError(f"one_hot: class values must be smaller than num_classes ({num_classes})")
    out = (x._data[..., None] == xp.arange(num_classes)).astype("int64")
    return Tensor._make(out)


def _tri(x: Tensor, diagonal: int, upper: bool) -> Tensor:
    if x.ndim < 2:
        raise RuntimeError(f"{'triu' if upper else 'tril'}: input tensor must have at least 2 dimensions")
    xp = x.backend.xp
    r, c = x.shape[-2:]
    m = (xp.triu if upper else xp.tril)(xp.ones((r, c), dtype=bool), diagonal)
    return KeepWhere.apply(x, m)


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    return _tri(x, diagonal, False)


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    return _tri(x, diagonal, True)


def gather_pad(x: Tensor, widths: list, mode: str) -> Tensor:
    """reflect/replicate/circular padding as an index gather per axis (so backward scatter-adds)."""
    xp = x.backend.xp
    out = x
    for ax, (b, e) in enumerate(widths):
        if not b and not e:
            continue
        n = out.shape[ax]
        idx = xp.arange(-b, n + e)
        if mode == "replicate":
            idx = xp.clip(idx, 0, n - 1)
        elif mode == "circular":
            # as PyTorch: negative widths crop first, then the cropped span wraps around
            lo, m = max(-b, 0), n - max(-b, 0) - max(-e, 0)
            if b > m or e > m or m < 0:
                raise RuntimeError(
                    f"pad: circular padding ({b}, {e}) cannot be larger than the size {n} on dim {ax} "
                    "(padding value causes wrapping around more than once)"
                )
            idx = lo + xp.arange(-max(b, 0), m + max(e, 0)) % max(m, 1)
        else:
            if b >= n or e >= n:
                raise RuntimeError(
                    f"pad: reflect padding ({b}, {e}) must be smaller than the input size {n} on dim {ax}"
                )
            period = 2 * (n - 1) if n > 1 else 1
            idx = xp.abs(idx) % period
            idx = xp.where(idx >= n, period - idx, idx)
        out = getitem(out, (slice(None),) * ax + (Tensor._make(idx),))
    return out
