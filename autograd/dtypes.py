"""Tensor dtypes with PyTorch's names; each wraps the NumPy dtype that backends compute in."""

from __future__ import annotations

from typing import Any

import numpy as np


class dtype:  # noqa: N801 - PyTorch's name
    """A tensor element type (``autograd.float32``...)."""

    __slots__ = ("name", "np", "is_floating_point", "itemsize")

    def __init__(self, name: str, np_dtype: Any) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"autograd.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


float16 = half = dtype("float16", np.float16)
float32 = float = dtype("float32", np.float32)
float64 = double = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
uint8 = dtype("uint8", np.uint8)
int16 = short = dtype("int16", np.int16)
int32 = int = dtype("int32", np.int32)
int64 = long = dtype("int64", np.int64)
bool = dtype("bool", np.bool_)  # noqa: A001 - PyTorch's name

_ALL = (float16, float32, float64, int8, uint8, int16, int32, int64, bool)
_FROM_NP: dict[np.dtype, dtype] = {d.np: d for d in _ALL}
_NAMES = {d.name: d for d in _ALL}


def _by_name(name: str) -> dtype:
    return _NAMES[name]


def from_np(np_dtype: Any) -> dtype:
    """Our dtype for a backend array's dtype."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        d = np.dtype(np_dtype)
        if d in _FROM_NP:
            return _FROM_NP[d]
        raise TypeError(f"unsupported dtype {d}; supported: {', '.join(_NAMES)}") from None


def to_np(d: Any) -> np.dtype:
    """The NumPy dtype for ``d`` (an autograd dtype, a NumPy dtype, a name or a Python type)."""
    if type(d) is dtype:
        return d.np
    if d is builtins_float:
        return np.dtype(np.float32)
    if d is builtins_int:
        return np.dtype(np.int64)
    if d is builtins_bool:
        return np.dtype(np.bool_)
    if isinstance(d, str) and d in _NAMES:
        return _NAMES[d].np
    try:
        nd = np.dtype(d)
    except TypeError:
        raise TypeError(f"unknown dtype {d!r}; expected one of {', '.join(_NAMES)}") from None
    if nd not in _FROM_NP:
        raise TypeError(f"unsupported dtype {nd}; supported: {', '.join(_NAMES)}")
    return nd


import builtins as _b  # noqa: E402

builtins_float, builtins_int, builtins_bool = _b.float, _b.int, _b.bool
default_float = np.dtype(np.float32)
