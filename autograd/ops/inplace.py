"""In-place ops, and what they do to the autograd history of every alias of the memory they write.

An in-place op runs the out-of-place op on a shell of the old value and writes the result into the same
memory. Views (basic indexing, reshape/view, transpose/permute, squeeze/unsqueeze, narrow/split/chunk,
expand...) share that memory, so a write through one alias changes the history of all of them, as in
PyTorch:

- written through a view: the base's history becomes ``CopySlices`` (its old history outside the view's
  region, the op's result inside it);
- every live view of the written memory is then re-derived from the base's new history (``AsStrided``);
- nodes recorded before the write keep reading the old histories (``record_history``/``history_at``).

A view remembers its base (the tensor that owns the memory: views of views point at the same one) and
the base keeps weak references to its views (``register_view`` in ops/base.py). Which elements a view
covers is computed from the arrays' memory layout when a write needs it, so every view op works without
a replay function of its own.
"""

from __future__ import annotations

import weakref
from typing import Any

from ..function import _shell, history_at  # noqa: F401  (history_at: this module's counterpart)
from ..grad_mode import state as _grad_state
from ..tensor import _BY_TYPE, Tensor, bump_version
from .base import Primitive, view_base
from .index import GetItem, IndexAdd, MaskMul, setitem
from .reduce import as_array

# ---- views -----------------------------------------------------------------------------------------------


def _root_array(a: Any) -> Any:
    while a.base is not None:
        a = a.base
    return a


def index_map(base: Any, view: Any) -> Any:
    """Flat (C-order) positions in array ``base`` of the elements of ``view``, an array into base's memory.

    Computed from byte offsets: a C-contiguous base maps offsets to positions by division; any other
    layout by a sorted lookup of its own offsets. Returns an int64 array of the view's shape.
    """
    be = _BY_TYPE[type(base)]
    xp = be.xp
    item = base.itemsize

    def offsets(a: Any, start: int) -> Any:
        off = xp.asarray(start, dtype=xp.int64)
        for n, st in zip(a.shape, a.strides):
            off = off[..., None] + xp.arange(n, dtype=xp.int64) * st
        return off

    ov = offsets(view, be.data_ptr(view) - be.data_ptr(base))
    if base.flags.c_contiguous:
        return xp.asarray(ov // item)
    ob = offsets(base, 0).reshape(-1)
    order = xp.argsort(ob)
    return xp.asarray(order[xp.searchsorted(ob[order], ov)])


def _inside(view: Any, root: Any) -> bool:
    """Does ``view`` point into ``root``'s memory? (CuPy's ``as_strided`` arrays have no ``.base`` chain.)"""
    be = _BY_TYPE[type(root)]
    lo = be.data_ptr(root)
    return lo <= be.data_ptr(_root_array(view)) < lo + max(root.nbytes, 1)


def _overlaps(view: Any) -> bool:
    """May a view reach one memory element twice (a stride of 0, as ``expand`` makes, or overlapping windows,
    as ``unfold``/``as_strided`` make)? Dims sorted by stride must each step past all the smaller ones."""
    reach = 0
    for st, n in sorted((abs(st), n) for n, st in zip(view.shape, view.strides) if n > 1):
        if st <= reach:
            return True
        reach += (n - 1) * st
    return False


class CopySlices(Primitive):
    """A base after an in-place write through one of its views: the base's old value outside the view's
    region (``idx``: flat positions in the base), the op's result ``src`` inside it."""

    @classmethod
    def name(cls) -> str:
        return "CopySlices"

    @staticmethod
    def forward(ctx, base, src, idx, current):
        return current  # the memory already holds the result

    @staticmethod
    def backward(ctx, g):
        base, src, idx, _ = ctx.inputs
        gb = gs = None
        if base.requires_grad:
            mask = g.backend.xp.ones(g._data.size, dtype=g._data.dtype)
            mask[idx.reshape(-1)] = 0
            gb = MaskMul.apply(g, mask.reshape(g.shape))
        if src.requires_grad:
            gs = GetItem.apply(g.reshape(-1), (idx,))
        return gb, gs, None, None

    @staticmethod
    def backward_raw(ctx, g):
        base, src, idx, _ = ctx.inputs
        g = _BY_TYPE[type(idx)].xp.ascontiguousarray(g)
        gb = gs = None
        if base.requires_grad:
            gb = g.copy()
            gb.reshape(-1)[idx.reshape(-1)] = 0
        if src.requires_grad:
            gs = g.reshape(-1)[idx]
        return gb, gs, None, None


class AsStrided(Primitive):
    """A view re-derived from its base's current history after an in-place write to their memory
    (``idx``: the view's flat positions in the base)."""

    @staticmethod
    def forward(ctx, base, idx, current):
        ctx.base_shape = base.shape
        return current  # the view's own array

    @staticmethod
    def backward(ctx, g):
        _, idx, _ = ctx.inputs
        n = 1
        for s in ctx.base_shape:
            n *= s
        return IndexAdd.apply(g, (idx,), (n,)).reshape(ctx.base_shape), None, None

    @staticmethod
    def backward_raw(ctx, g):
        _, idx, view = ctx.inputs
        be = _BY_TYPE[type(idx)]
        g = as_array(g)
        n = 1
        for s in ctx.base_shape:
            n *= s
        z = be.xp.zeros(n, dtype=g.dtype)
        if _overlaps(view):
            be.scatter_add(z, (idx,), g)
        else:
            z[idx] = g
        return z.reshape(ctx.base_shape), None, None


def _refresh_views(base: Tensor, written: Tensor | None = None, idx: Any = None) -> None:
    """Re-derive every live view of ``base`` from base's current history (after a write to its memory)."""
    ex = base._extra
    views = ex.get("views") if ex else None
    if not views or not base.requires_grad:
        return
    shell = _shell(base)
    root = _root_array(base._data)
    for ref in list(views):
        w = ref()
        if w is None:
            continue
        if _root_array(w._data) is not root and not _inside(w._data, root):
            # base.data or w.data was rebound: no longer a view
            views.remove(ref)
            continue
        wi = idx if w is written else index_map(base._data, w._data)
        node = AsStrided.apply(shell, wi, w._data).grad_fn
        record_history(w, node.seq)
        w.grad_fn, w.requires_grad, w._oi = node, True, 0


def check_inplace(x: Tensor, op: str) -> None:
    """PyTorch's refusals for an in-place write under grad mode (call only when grad mode is on)."""
    base = view_base(x)
    if base is None:
        if x.requires_grad and x.grad_fn is None:
            raise RuntimeError(
                f"{op}: a leaf Variable that requires grad (shape {tuple(x.shape)}) is being used in an "
                "in-place operation; wrap it in `with autograd.no_grad():` or use the out-of-place op"
            )
    elif base.requires_grad:
        if base.grad_fn is None:
            raise RuntimeError(
                f"{op}: a view of a leaf Variable that requires grad (view of shape {tuple(x.shape)}, leaf of "
                f"shape {tuple(base.shape)}) is being used in an in-place operation; wrap it in "
                "`with autograd.no_grad():` or write into a copy"
            )
        if not x.requires_grad:
            raise RuntimeError(
                f"{op}: a view was created in no_grad mode and is being modified in place with grad mode "
                f"enabled (view of shape {tuple(x.shape)}); create the view with grad mode on, or write "
                "under no_grad"
            )


def commit_inplace(x: Tensor, res: Tensor) -> Tensor:
    """``x``'s memory now holds ``res``'s value (computed from a shell of x's old value): give x, its base
    and every view of their memory the history that produces it. Returns x."""
    node = res.grad_fn
    if node is None:
        return x
    if view_base(x) is None:
        record_history(x, node.seq)
        x.grad_fn, x.requires_grad, x._oi = node, True, res._oi
        if type(node)._saves_output:  # the output the node saved is x's memory now
            node._out = weakref.ref(x)
            node._outv = x._vc[0]
    rebase_aliases(x, res)
    return x


def rebase_aliases(x: Tensor, res: Tensor) -> None:
    """After a write into ``x`` whose new value is ``res`` (x's own history already updated when x is not a
    view): a view's base gets a ``CopySlices`` history, and all views of the memory are re-derived."""
    base = view_base(x)
    if base is None:
        _refresh_views(x)
        return
    idx = index_map(base._data, x._data)
    cs = CopySlices.apply(_shell(base), res, idx, base._data).grad_fn
    record_history(base, cs.seq)
    base.grad_fn, base.requires_grad, base._oi = cs, True, 0
    _refresh_views(base, x, idx)


# ---- in-place ops ----------------------------------------------------------------------------------------


def overwrite(x: Tensor, values: Any) -> Tensor:
    """Fill ``x`` with the backend array ``values`` (random fills and the like, after ``check_inplace``): under
    grad mode a tensor with history gets a write whose gradient to its old value is zero, as in PyTorch."""
    if _grad_state.enabled and x.requires_grad:
        setitem(x, (Ellipsis,), Tensor._make(values))
    else:
        x._data[...] = values
        bump_version(x)
    return x


def inplace_apply(x: Tensor, cls: Any, *args: Any, fast: Any = None) -> Tensor:
    """Apply primitive ``cls`` to ``(x, *args)`` and store the result in ``x``; bumps x's version."""
    if 0 in x._data.strides and any(st == 0 and n > 1 for n, st in zip(x._data.shape, x._data.strides)):
        raise RuntimeError(
            f"{cls.op_name()}_: unsupported operation: more than one element of the written-to tensor (shape "
            f"{tuple(x.shape)}, e.g. made by expand) refers to a single memory location. Please clone() the tensor "
            "before performing the operation."
        )
    needs = False
    if _grad_state.enabled:
        check_inplace(x, cls.op_name() + "_")
        needs = x.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)
    if not needs:
        raw = [a._data if isinstance(a, Tensor) else a for a in args]
        if fast is not None:
            try:
                fast(x._data, *raw)
            except (ValueError, TypeError) as e:
                # shape and casting failures are RuntimeErrors in PyTorch (NumPy's own subclasses can't be
                # rebuilt from a message anyway); a bad operand type stays a TypeError
                kind = TypeError if type(e) is TypeError else RuntimeError
                raise kind(f"{cls.op_name()}_: {e} (tensor of shape {tuple(x.shape)}, {x.dtype})") from None
        else:
            _write(x, cls.forward(cls.__new__(cls), x._data, *raw), cls)
        bump_version(x)
        return x
    old = _shell(x)
    if 0 in cls._saved_inputs:
        old._data = x._data.copy()
        old._vc = [0]
    res = cls.apply(old, *args)
    _write(x, res._data, cls)
    bump_version(x)
    return commit_inplace(x, res)


def record_history(x: Tensor, boundary: int) -> None:
    """Remember x's history before an in-place op: nodes recorded before ``boundary`` consumed the old x.

    The engine reads a node's input history through ``history_at`` so gradients flow along the graph as it
    was when each node was recorded (PyTorch's edges), not as it is at backward time.
    """
    x._ext().setdefault("history", []).append((boundary, x.grad_fn, x._oi, x.requires_grad))


def _write(x: Tensor, value: Any, cls: Any) -> None:
    if value.shape != x._data.shape:
        raise RuntimeError(
            f"{cls.op_name()}_: output with shape {tuple(x._data.shape)} doesn't match the broadcast shape "
            f"{tuple(value.shape)}"
        )
    if value.dtype != x._data.dtype and not _can_cast(value.dtype, x._data.dtype):
        raise RuntimeError(
            f"{cls.op_name()}_: result type {value.dtype} can't be cast to the desired output type "
            f"{x._data.dtype}"
        )
    x._data[...] = value


def _can_cast(src: Any, dst: Any) -> bool:
    # PyTorch refuses float -> int in place but allows same-kind narrowing (float64 -> float32)
    order = "biuf"
    return (
        order.index(src.kind) <= order.index(dst.kind) if src.kind in order and dst.kind in order else False
    )
