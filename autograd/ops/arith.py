"""Arithmetic with PyTorch's operand rules: second operands (scalars stay weak, a CPU 0-d tensor acts as a
scalar), result-dtype promotion, and the ops whose options or dtype rules need more than one primitive
(div's rounding modes, floor_divide, fmod, clamp, where)."""

from __future__ import annotations

from typing import Any

from .. import dtypes
from ..tensor import Tensor
from . import device as D
from . import elementwise as E
from .inplace import inplace_apply

_SCALARS = (int, float, bool)


def _other(op: str, a: Tensor, b: Any) -> Any:
    """Validate/convert the second operand of a binary op (scalars stay weak, as in PyTorch)."""
    if type(b) is Tensor or isinstance(b, Tensor):
        if type(b._data) is not type(a._data) or (a.is_cuda and a.device != b.device):
            if b._data.ndim == 0 and b.device.type == "cpu" and not b.requires_grad:
                return b.item()  # a CPU 0-d tensor acts as a scalar, as in PyTorch
            raise RuntimeError(
                f"{op}: expected all tensors to be on the same device, but found at least two devices, "
                f"{a.device} and {b.device}"
            )
        return b
    if isinstance(b, _SCALARS):
        return b
    from ..creation import tensor

    try:
        return tensor(b, device=a.device)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: unsupported operand type {type(b).__name__} for a Tensor") from None


def _promote(op: str, a: Any, b: Any) -> tuple:
    """Cast the operands to PyTorch's result dtype (``int64 + float32 -> float32``; true division of ints
    gives the default float); Python scalars stay weak."""
    from ..creation import result_type

    target = result_type(a, b).np
    if op == "truediv" and target.kind in "biu":
        target = dtypes.default_float
    a = D.to(a, target) if isinstance(a, Tensor) and a._data.dtype != target else a
    b = D.to(b, target) if isinstance(b, Tensor) and b._data.dtype != target else b
    return a, b


def _div(a: Tensor, b: Any, rounding_mode: Any) -> Tensor:
    if rounding_mode is None:
        return a / b
    if rounding_mode == "floor":
        return floor_divide(a, b)
    if rounding_mode == "trunc":
        pa, pb = _promote("div", a, b)
        if pa._data.dtype.kind == "f":
            return (pa / pb).trunc()
        xp = pa.backend.xp  # integers: truncated true division, in the promoted integer dtype
        return Tensor._make(xp.trunc(xp.true_divide(pa._data, _raw(pb))).astype(pa._data.dtype))
    raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")


def _raw(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def floor_divide(a: Any, b: Any, _rev: bool = False) -> Tensor:
    """Floor division; not differentiable (like PyTorch's)."""
    if _rev:
        a, b = b, a
    ref = a if isinstance(a, Tensor) else b
    a, b = _promote("floor_divide", a, b)  # PyTorch's result dtype (int64 // float32 -> float32)
    xp = ref.backend.xp
    return Tensor._make(xp.asarray(xp.floor_divide(_raw(a), _raw(b))))


def _fmod(self: Tensor, other: Any) -> Tensor:
    """C's fmod (the remainder takes the dividend's sign); integers stay integers, as in PyTorch."""
    a, b = _promote("fmod", self, _other("fmod", self, other))
    if a._data.dtype.kind in "biu" and (not isinstance(b, Tensor) or b._data.dtype.kind in "biu"):
        return Tensor._make(a.backend.xp.fmod(a._data, _raw(b)))
    return a - (a / b).trunc() * b  # differentiable: d/da = 1, d/db = -trunc(a / b)


def logical_not(x: Tensor) -> Tensor:
    return Tensor._make(x.backend.xp.logical_not(x._data))


def clamp(self: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = self
        if min is not None:
            out = out.maximum(min)
        if max is not None:
            out = out.minimum(max)
        return out
    if self._data.dtype.kind in "biu" and (isinstance(min, float) or isinstance(max, float)):
        self = D.to(
            self, dtypes.default_float
        )  # an integer tensor clamped to a float bound is float (PyTorch)
    return E.Clamp.apply(self, min, max)


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    if min is None and max is None:
        raise RuntimeError("clamp_: at least one of 'min' or 'max' must not be None")
    return inplace_apply(self, E.Clamp, min, max, fast=lambda d, lo, hi: d.clip(lo, hi, out=d))


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Elements of ``a`` where ``cond`` holds, else of ``b`` (broadcasting; scalars allowed)."""
    if not isinstance(cond, Tensor):
        raise TypeError(f"where: condition must be a bool Tensor, got {type(cond).__name__}")
    if cond._data.dtype.kind != "b":
        raise RuntimeError(
            f"where: expected condition to be a boolean tensor, but got a tensor with dtype {cond.dtype}"
        )
    ref = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else cond
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a._data.dtype != b._data.dtype:
        from ..creation import result_type

        dt = result_type(a, b)
        a, b = a.to(dt), b.to(dt)
    xp = ref.backend.xp
    if not isinstance(a, Tensor) and isinstance(b, Tensor):
        a = xp.asarray(a, dtype=b._data.dtype)
    if not isinstance(b, Tensor) and isinstance(a, Tensor):
        b = xp.asarray(b, dtype=a._data.dtype)
    from .base import check_same_device

    check_same_device("where", cond, a, b)
    return E.Where.apply(cond, a, b)
