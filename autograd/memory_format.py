"""Memory formats (``torch.channels_last`` and friends): the order in which a tensor's elements lie in memory.

A channels-last tensor keeps its logical (N, C, H, W) shape, but its data is laid out as (N, H, W, C), as
PyTorch's ``x.contiguous(memory_format=torch.channels_last)`` does; ``is_contiguous(memory_format=...)`` asks
about that layout. Ops accept any layout; changing it is a copy (``Copy``) with an identity gradient.
"""

from __future__ import annotations

from typing import Any

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


def _check(fmt: Any, op: str) -> None:
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{op}: memory_format must be an autograd.memory_format, got {type(fmt).__name__}")


def _perm(x: Tensor, fmt: memory_format, op: str) -> tuple[int, ...] | None:
    _check(fmt, op)
    if fmt.perm is not None and x.ndim != len(fmt.perm):
        raise RuntimeError(
            f"{op}: required rank {len(fmt.perm)} tensor to use {fmt.name} format, got shape {tuple(x.shape)}"
        )
    return fmt.perm


def is_contiguous(x: Tensor, fmt: memory_format = contiguous_format) -> bool:
    """Whether ``x``'s data is dense in ``fmt``'s order (False for a tensor of another rank)."""
    if fmt is preserve_format:
        raise RuntimeError("is_contiguous: preserve_format is not a valid memory format to check against")
    _check(fmt, "is_contiguous")
    d = x._data
    if fmt.perm is not None:
        if d.ndim != len(fmt.perm):
            return False
        d = d.transpose(fmt.perm)
    return bool(d.flags.c_contiguous)


def contiguous(x: Tensor, fmt: memory_format = contiguous_format) -> Tensor:
    """``x`` itself when already dense in ``fmt``, else a copy laid out that way."""
    if fmt is preserve_format:
        raise RuntimeError("contiguous: preserve_format is not supported by contiguous(); use clone()")
    perm = _perm(x, fmt, "contiguous")
    return x if is_contiguous(x, fmt) else _copy(x, perm or "C")


def clone(x: Tensor, fmt: memory_format = preserve_format) -> Tensor:
    """A copy of ``x``: in its own layout (preserve_format), row-major, or channels-last."""
    perm = _perm(x, fmt, "clone")
    return _copy(x, perm or ("K" if fmt is preserve_format else "C"))


def to_format(x: Tensor, fmt: Any) -> Tensor:
    """``Tensor.to(memory_format=...)``: a relayout when the tensor is not in that format already."""
    return x if fmt is None or fmt is preserve_format else contiguous(x, fmt)


def _copy(x: Tensor, order: Any) -> Tensor:
    from .ops.elementwise import Copy

    return Copy.apply(x, order)
