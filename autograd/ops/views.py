"""Strided views of a tensor's memory (as_strided, unfold, diagonal, select) and its layout (stride, offset).

A strided view reads the memory of the tensor that owns it (its base) with its own element shape, strides
and offset, as PyTorch's views of a storage do. Its backward scatter-adds the gradient into a buffer the
size of that memory (elements read twice accumulate) and reads the input's elements back from it.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor, _wrap_dim
from .base import Primitive, register_view, view_base
from .index import GetItem, IndexAdd, getitem
from .inplace import _root_array


def _positions(xp: Any, shape: tuple, strides: tuple, offset: int) -> Any:
    """Storage positions (in elements) of every element of a strided layout, an int64 array of ``shape``."""
    pos = xp.asarray(offset, dtype=xp.int64)
    for n, s in zip(shape, strides):
        pos = pos[..., None] + xp.arange(n, dtype=xp.int64) * s
    return pos


class StridedView(Primitive):
    """A view of ``flat`` (the owner's memory as a 1-d array) with ``geom`` = (shape, strides, offset).

    ``grad``: (shape, strides, offset) of the same elements in a ``size``-long gradient buffer, and the
    input's own layout in it (None: the buffer is the input in C order, as unfold/diagonal use, which
    stays right for inputs that read one element twice, like an ``expand``)."""

    @staticmethod
    def forward(ctx, a, flat, geom, grad):
        return ctx.backend(a).strided_view(flat, *geom)

    @staticmethod
    def backward(ctx, g):
        a, _, _, (geom, geom_in, size) = ctx.inputs
        xp = g.backend.xp
        buf = IndexAdd.apply(g, (_positions(xp, *geom),), (size,))
        if geom_in is None:
            return buf.reshape(a.shape), None, None, None
        return GetItem.apply(buf, (_positions(xp, *geom_in),)), None, None, None


class Diagonal(StridedView):
    pass


class Unfold(StridedView):
    pass


class AsStridedView(StridedView):
    @classmethod
    def name(cls) -> str:
        return "AsStridedBackward"


def _c_strides(shape: tuple) -> tuple:
    out, n = [], 1
    for s in reversed(shape):
        out.append(n)
        n *= s
    return tuple(reversed(out))


def _storage(x: Tensor, op: str) -> tuple:
    """(the owner's memory as a 1-d array, x's element strides, x's offset in it in elements)."""
    root = view_base(x)
    root = x if root is None else root
    r = root._data
    if not (r.flags.c_contiguous or r.flags.f_contiguous):
        r = _root_array(r)  # the memory block it lies in (e.g. a tensor detached from a view)
    if r.flags.c_contiguous:
        flat = r.reshape(-1)
    elif r.flags.f_contiguous:
        flat = r.T.reshape(-1)
    else:
        raise RuntimeError(
            f"{op}: the memory of the tensor of shape {tuple(root.shape)} that this one views is not contiguous; "
            "call .contiguous() first"
        )
    be = x.backend
    item = r.itemsize
    strides = tuple(s // item for s in x._data.strides)
    offset = (be.data_ptr(x._data) - be.data_ptr(flat)) // item if x._data.size else 0
    return flat, strides, offset


def stride(x: Tensor, dim: int | None = None) -> Any:
    """Element strides of x's layout (from the backend array's byte strides), as ``torch.Tensor.stride``."""
    item = x._data.itemsize
    st = [s // item for s in x._data.strides]
    for d in range(x.ndim - 1, -1, -1):
        if st[d] == 0 and x.shape[d] == 1:  # NumPy's new axes: PyTorch gives them the next dim's extent
            st[d] = st[d + 1] * x.shape[d + 1] if d + 1 < x.ndim else 1
    st = tuple(st)
    return st if dim is None else st[_wrap_dim(dim, x.ndim, "stride")]


def storage_offset(x: Tensor) -> int:
    """Elements from the start of the owning tensor's memory to x's first element (0 for non-views)."""
    if view_base(x) is None and (x._data.flags.c_contiguous or x._data.flags.f_contiguous):
        return 0
    return _storage(x, "storage_offset")[2]


def _strided(cls: Any, x: Tensor, flat: Any, geom: tuple, grad: tuple) -> Tensor:
    return register_view(cls.apply(x, flat, geom, grad), x)


def as_strided(x: Tensor, size: Any, stride: Any, storage_offset: int | None = None) -> Tensor:
    """A view of x's memory (its base's, for a view) with the given element sizes, strides and offset."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(
            f"as_strided: mismatch in length of strides and shape: size {list(size)}, stride {list(stride)}"
        )
    if any(s < 0 for s in stride):
        raise RuntimeError(
            f"as_strided: Negative strides are not supported at the moment, got strides: {list(stride)}"
        )
    if any(n < 0 for n in size):
        raise RuntimeError(f"as_strided: negative size in {list(size)}")
    flat, st_in, off_in = _storage(x, "as_strided")
    offset = off_in if storage_offset is None else int(storage_offset)
    if offset < 0:
        raise RuntimeError(f"as_strided: storage offset must be non-negative, got {offset}")
    n = 1
    for s in size:
        n *= s
    need = offset + 1 + sum((s - 1) * st for s, st in zip(size, stride)) if n else offset
    if need > flat.size:
        raise RuntimeError(
            f"as_strided: sizes {list(size)}, strides {list(stride)} and storage offset {offset} need "
            f"{need} elements of memory, but the tensor's memory holds {flat.size} (dtype {x.dtype})"
        )
    grad = ((size, stride, offset), (x.shape, st_in, off_in), flat.size)
    return _strided(AsStridedView, x, flat, (size, stride, offset), grad)


def unfold(x: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Sliding windows of ``size`` every ``step`` along ``dimension``, in a new last dim: a view."""
    d = _wrap_dim(dimension, max(x.ndim, 1), "unfold")
    n = x.shape[d] if x.ndim else 1
    if size < 0 or size > n:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    flat, st, off = _storage(x, "unfold")
    if x.ndim == 0:
        return _strided(Unfold, x, flat, ((size,), (1,), off), (((size,), (1,), 0), None, 1))
    shape = x.shape
    out_shape = shape[:d] + ((n - size) // step + 1,) + shape[d + 1 :] + (size,)
    out_st = st[:d] + (st[d] * step,) + st[d + 1 :] + (st[d],)
    cs = _c_strides(shape)
    grad_st = cs[:d] + (cs[d] * step,) + cs[d + 1 :] + (cs[d],)
    return _strided(Unfold, x, flat, (out_shape, out_st, off), ((out_shape, grad_st, 0), None, x.numel()))


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the (dim1, dim2) planes as a new last dim: a view, as in PyTorch."""
    d1, d2 = _wrap_dim(dim1, x.ndim, "diagonal"), _wrap_dim(dim2, x.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal: diagonal dimensions cannot be identical {dim1}, {dim2}")
    n, m = x.shape[d1], x.shape[d2]
    length = max(0, min(n, m - offset) if offset >= 0 else min(n + offset, m))
    flat, st, off = _storage(x, "diagonal")
    keep = [i for i in range(x.ndim) if i not in (d1, d2)]
    shape = tuple(x.shape[i] for i in keep) + (length,)

    def layout(st: tuple, off: int) -> tuple:
        start = off + (offset * st[d2] if offset >= 0 else -offset * st[d1]) if length else off
        return shape, tuple(st[i] for i in keep) + (st[d1] + st[d2],), start

    return _strided(Diagonal, x, flat, layout(st, off), (layout(_c_strides(x.shape), 0), None, x.numel()))


def select(x: Tensor, dim: int, index: int) -> Tensor:
    """``x`` indexed by ``index`` along ``dim`` (that dim removed): a view."""
    if x.ndim == 0:
        raise IndexError("select: select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, x.ndim, "select")
    n = x.shape[d]
    i = int(index)
    if not -n <= i < n:
        raise IndexError(
            f"select: index {i} out of range for tensor of size {list(x.shape)} at dimension {d}"
        )
    return getitem(x, (slice(None),) * d + (i % n,))
