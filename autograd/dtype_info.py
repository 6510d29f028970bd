"""Facts about dtypes, as ``torch`` gives them: ``finfo``/``iinfo`` limits, ``promote_types``/``can_cast``
rules, and the default float dtype that Python floats (and ``zeros``, ``rand``...) create."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from . import dtypes

_KIND_ORDER = "biuf"  # bool < integers < floats: PyTorch's categories


def _as_dtype(op: str, d: Any) -> dtypes.dtype:
    """Our dtype for ``d`` (an autograd dtype or a Python type), with an error naming the op."""
    if isinstance(d, dtypes.dtype):
        return d
    if d in (builtins.float, builtins.int, builtins.bool):
        return dtypes.from_np(np.dtype({builtins.float: np.float64, builtins.int: np.int64}.get(d, np.bool_)))
    raise TypeError(f"{op}: expected a dtype (e.g. autograd.float32), got {d!r}")


def _category(d: dtypes.dtype) -> int:
    return 0 if d.np.kind == "b" else 1 if d.np.kind in "iu" else 2


class finfo:  # noqa: N801 - PyTorch's name
    """Machine limits of a floating dtype: ``bits``, ``eps``, ``max``, ``min``, ``tiny``/``smallest_normal``,
    ``resolution`` and ``dtype`` (its name), like ``torch.finfo``."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type: Any = None) -> None:  # noqa: A002 - PyTorch's argument name
        d = get_default_dtype() if type is None else _as_dtype("finfo", type)
        if d.np.kind != "f":
            raise TypeError(
                f"finfo: requires a floating point input type, got {d!r}; use autograd.iinfo to handle {d!r}"
            )
        fi = np.finfo(d.np)
        self.bits = int(fi.bits)
        self.eps = builtins.float(fi.eps)
        self.max = builtins.float(fi.max)
        self.min = builtins.float(fi.min)
        self.tiny = self.smallest_normal = builtins.float(fi.smallest_normal)
        self.resolution = 10.0 ** -int(fi.precision)  # a Python float (NumPy's is in the dtype: 0.0010004)
        self.dtype = d.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
            f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo:  # noqa: N801 - PyTorch's name
    """Limits of an integer dtype: ``bits``, ``max``, ``min`` and ``dtype`` (its name), like ``torch.iinfo``."""

    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type: Any) -> None:  # noqa: A002 - PyTorch's argument name
        d = _as_dtype("iinfo", type)
        if d.np.kind == "b":
            raise TypeError(f"iinfo: {d!r} is not supported by autograd.iinfo")
        if d.np.kind not in "iu":
            raise TypeError(
                f"iinfo: requires an integer input type, got {d!r}; use autograd.finfo to handle {d!r}"
            )
        ii = np.iinfo(d.np)
        self.bits, self.max, self.min, self.dtype = int(ii.bits), int(ii.max), int(ii.min), d.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def promote_types(type1: Any, type2: Any) -> dtypes.dtype:
    """The smallest dtype both can be converted to without leaving the higher category (bool < int < float):
    ``promote_types(int64, float16)`` is float16, ``promote_types(uint8, int8)`` is int16."""
    a, b = _as_dtype("promote_types", type1), _as_dtype("promote_types", type2)
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    return dtypes.from_np(np.promote_types(a.np, b.np))


def can_cast(from_: Any, to: Any) -> bool:
    """Whether PyTorch's casting rules allow ``from_ -> to`` (never into a lower category: float -> int,
    int -> bool are refused; narrowing within a category is allowed)."""
    a, b = _as_dtype("can_cast", from_), _as_dtype("can_cast", to)
    return _category(a) <= _category(b)


def set_default_dtype(d: Any) -> None:
    """Make ``d`` (a floating dtype) what Python floats, ``tensor([1.0])``, ``zeros``, ``rand``... create."""
    if not isinstance(d, dtypes.dtype):
        raise TypeError(
            f"set_default_dtype: invalid dtype object {d!r}: only floating-point types are supported as "
            "the default type"
        )
    if not d.is_floating_point:
        raise TypeError(
            f"set_default_dtype: only floating-point types are supported as the default type, got {d!r}"
        )
    dtypes.default_float = d.np


def get_default_dtype() -> dtypes.dtype:
    """The dtype Python floats create (float32 unless ``set_default_dtype`` changed it)."""
    return dtypes.from_np(dtypes.default_float)
