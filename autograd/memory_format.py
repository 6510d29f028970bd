"""Memory formats (``torch.channels_last`` and friends): the order in which a tensor's elements lie in memory.

A channels-last tensor keeps its logical (N, C, H, W) shape, but its data is laid out as (N, H, W, C), as
PyTorch's ``x.contiguous(memory_format=torch.channels_last)`` does; ``is_contiguous(memory_format=...)`` asks
about that layout. Ops accept any layout; changing it is a copy with an identity gradient.
"""

from __future__ import annotations

from typing import Any

from .ops.base import Primitive
from .tensor import Tensor

__all__ = ["memory_format", "contiguous_format", "channels_last", "channels_last_3d", "preserve_format"]


class memory_format:  # noqa: N801 - torch's name
    """A memory layout (compare by identity, as torch's)."""

    __slots__ = ("name", "perm")

    def __init__(self, name: str, perm: tuple[int, ...] | None) -> None:
        self.name, self.perm = name, perm  # perm: the dims in memory order (None: row-major / keep)

    def __repr__(self) -> str:
        return f"autograd.{self.name}"


contiguous_format = memory_format("contiguous_format", None)
preserve_format = memory_format("preserve_format", None)
channels_last = memory_format("channels_last", (0, 2, 3, 1))
channels_last_3d = memory_format("channels_last_3d", (0, 2, 3, 4, 1))


class _Relayout(Primitive):
    """The same values with the dims stored in ``perm`` order (a copy); identity gradient."""

    @staticmethod
    def forward(ctx, a, perm):
        xp = ctx.backend(a).xp
        inv = tuple(sorted(range(len(perm)), key=perm.__getitem__))
        return xp.ascontiguousarray(a.transpose(perm)).transpose(inv)

    @staticmethod
    def backward(ctx, g):
        return g, None

    @staticmethod
    def backward_raw(ctx, g):
        return g, None


def _perm(x: Tensor, fmt: Any, op: str) -> tuple[int, ...] | None:
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{op}: memory_format must be an autograd.memory_format, got {type(fmt).__name__}")
    if fmt.perm is not None and x.ndim != len(fmt.perm):
        raise RuntimeError(
            f"{op}: required rank {len(fmt.perm)} tensor to use {fmt.name} format, got shape {tuple(x.shape)}"
        )
    return fmt.perm


def is_contiguous(x: Tensor, memory_format: memory_format = contiguous_format) -> bool:
    """Whether ``x``'s data is dense in ``memory_format``'s order (False for a tensor of another rank)."""
    if memory_format is preserve_format:
        raise RuntimeError("is_contiguous: preserve_format is not a valid memory format to check against")
    if not isinstance(memory_format, globals()["memory_format"]):
        raise TypeError(
            f"is_contiguous: memory_format must be an autograd.memory_format, got {memory_format!r}"
        )
    d, perm = x._data, memory_format.perm
    if perm is not None:
        if d.ndim != len(perm):
            return False
        d = d.transpose(perm)
    return bool(d.flags.c_contiguous)


def contiguous(x: Tensor, memory_format: memory_format = contiguous_format) -> Tensor:
    """``x`` itself when already dense in ``memory_format``, else a copy laid out that way."""
    if memory_format is preserve_format:
        raise RuntimeError("contiguous: preserve_format is not supported by contiguous(); use clone()")
    perm = _perm(x, memory_format, "contiguous")
    if is_contiguous(x, memory_format):
        return x
    return _Relayout.apply(x, perm) if perm is not None else _copy(x, "C")


def clone(x: Tensor, memory_format: memory_format = preserve_format) -> Tensor:
    """A copy of ``x``: in its own layout (preserve_format), row-major, or channels-last."""
    perm = _perm(x, memory_format, "clone")
    if perm is not None:
        return _Relayout.apply(x, perm)
    return _copy(x, "K" if memory_format is preserve_format else "C")


def to_format(x: Tensor, memory_format: Any) -> Tensor:
    """``Tensor.to(memory_format=...)``: a relayout when the tensor is not in that format already."""
    if memory_format is None or memory_format is preserve_format:
        return x
    return contiguous(x, memory_format)


def _copy(x: Tensor, order: str) -> Tensor:
    from .ops.elementwise import Copy

    return Copy.apply(x, order)
