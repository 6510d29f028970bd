"""Padding layers (PyTorch's): Zero/Constant/Reflection/Replication/CircularPad 1d, 2d and 3d over ``F.pad``."""

from __future__ import annotations

from typing import Any

from autograd import Tensor

from .._functional.vision import pad
from ..module import Module

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
]


def _widths(name: str, padding: Any, n: int) -> tuple:
    """An int pads every side; a sequence is used as given (PyTorch's ``_ntuple``: left, right per dim)."""
    if isinstance(padding, int):
        return (padding,) * n
    if isinstance(padding, tuple | list) and all(isinstance(p, int) for p in padding):
        return tuple(padding)
    raise TypeError(f"{name}: padding must be an int or a sequence of {n} ints, got {padding!r}")


class _PadNd(Module):
    mode = "constant"
    nd = 1

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _widths(type(self).__name__, padding, 2 * self.nd)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value`` by (left, right)."""


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value`` by (left, right, top, bottom)."""

    nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with ``value`` by (left, right, top, bottom, front, back)."""

    nd = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dims with zeros."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pad the last dim with its reflection (the edge value is not repeated)."""

    mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Pad the last two dims with their reflection."""

    nd = 2


class ReflectionPad3d(ReflectionPad1d):
    """Pad the last three dims with their reflection."""

    nd = 3


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating its edge values."""

    mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Pad the last two dims by repeating their edge values."""

    nd = 2


class ReplicationPad3d(ReplicationPad1d):
    """Pad the last three dims by repeating their edge values."""

    nd = 3


class _CircularPadNd(_PadNd):
    mode = "circular"

    def forward(self, input: Tensor) -> Tensor:
        if isinstance(input, Tensor) and input.ndim not in (self.nd + 1, self.nd + 2):
            raise ValueError(
                f"{type(self).__name__}: expected {self.nd + 1}D or {self.nd + 2}D input "
                f"(got {input.ndim}D input of shape {tuple(input.shape)})"
            )
        return super().forward(input)


class CircularPad1d(_CircularPadNd):
    """Pad the last dim by wrapping around: the end pads the start and the start pads the end."""


class CircularPad2d(_CircularPadNd):
    """Pad the last two dims by wrapping around."""

    nd = 2


class CircularPad3d(_CircularPadNd):
    """Pad the last three dims by wrapping around."""

    nd = 3
