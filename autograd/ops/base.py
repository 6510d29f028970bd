"""Shared pieces for op modules: the primitive base class and input helpers."""

from __future__ import annotations

from typing import Any
from weakref import ref as _ref

from ..function import Function
from ..tensor import Tensor


class Primitive(Function):
    """A built-in op: forward on backend arrays, backward with Tensor ops (so differentiable)."""

    _raw = True


# ---- views: tensors sharing another tensor's memory (their in-place semantics live in ops/inplace.py) ----


class _Views(list):
    """Weak references to a base's views; dead ones are dropped when the list has doubled."""

    __slots__ = ("limit",)


def view_base(t: Tensor) -> Tensor | None:
    """The tensor owning the memory ``t`` is a view of, or None when ``t`` is not a view."""
    ex = t._extra
    return ex.get("view") if ex else None


def register_view(out: Tensor, x: Tensor) -> Tensor:
    """Record that ``out`` (a new tensor) is a view of ``x``'s memory; it shares x's version counter."""
    if out is x:
        return out
    out._vc = x._vc
    ex = x._extra
    root = x if ex is None or "view" not in ex else ex["view"]  # views of views point at the owner
    oe = out._extra
    if oe is None:
        out._extra = {"view": root}
    elif "view" in oe:
        return out
    else:
        oe["view"] = root
    re = root._extra
    if re is None:
        re = root._extra = {}
    views = re.get("views")
    if views is None:
        views = re["views"] = _Views()
        views.limit = 16
    views.append(_ref(out))
    if len(views) > views.limit:
        views[:] = [r for r in views if r() is not None]
        views.limit = max(16, 2 * len(views))
    return out


def raw_of(x: Any) -> Any:
    """A tensor's backend array, or a Python scalar as is."""
    return x._data if isinstance(x, Tensor) else x


def wants(x: Any) -> bool:
    """Does this input need a gradient?"""
    return isinstance(x, Tensor) and x.requires_grad


def backend_of(x: Tensor) -> Any:
    return x.backend


def xp_of(x: Tensor) -> Any:
    return x.backend.xp


def const(like: Tensor, arr: Any) -> Tensor:
    """Wrap an array computed from ``like``'s backend as a constant (no graph)."""
    return Tensor._make(arr)


def check_same_device(op: str, *tensors: Any) -> None:
    """Raise a clear error when tensors live on different devices."""
    first = None
    for t in tensors:
        if isinstance(t, Tensor):
            if first is None:
                first = t
            elif type(t._data) is not type(first._data) or t.device != first.device:
                raise RuntimeError(
                    f"{op}: expected all tensors to be on the same device, but found at least two devices, "
                    f"{first.device} and {t.device}"
                )


def shapes(*xs: Any) -> str:
    return " and ".join(str(tuple(x.shape)) if isinstance(x, Tensor) else repr(x) for x in xs)


def as_tensor_like(x: Any, like: Tensor) -> Any:
    """Python scalars stay scalars (weakly typed, as in PyTorch); arrays/lists become tensors."""
    if isinstance(x, Tensor) or isinstance(x, int | float | bool):
        return x
    from ..creation import tensor

    return tensor(x, device=like.device)


def normalize_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """``dim`` (None, int or sequence) as a sorted tuple of non-negative axes."""
    if dim is None:
        return None
    if isinstance(dim, int):
        dim = (dim,)
    n = max(ndim, 1)
    out = []
    for d in dim:
        if not -n <= d < n:
            raise IndexError(
                f"{op}: dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
            )
        out.append(d % n if ndim else 0)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{op}: dim {tuple(dim)} appears multiple times in the list of dims")
    return tuple(sorted(out))
