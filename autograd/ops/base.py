"""Shared pieces for op modules: the primitive base class and input helpers."""

from __future__ import annotations

from typing import Any

from ..function import Function
from ..tensor import Tensor


class Primitive(Function):
    """A built-in op: forward on backend arrays, backward with Tensor ops (so differentiable)."""

    _raw = True


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
