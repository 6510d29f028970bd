"""Writing values into a tensor in place: copy_, fill_ (zero_), the random fills, and storing the result of a
composite op (the in-place forms of ops built from several primitives). Under grad mode they go through
``setitem``/``inplace_apply`` so histories, views and version counters stay right."""

from __future__ import annotations

from typing import Any

from ..generator import use_generator
from ..grad_mode import state as _grad_state
from ..tensor import Tensor, bump_version
from . import device as D
from . import index as I
from .inplace import check_inplace, overwrite


def copy_(self: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (any device, broadcastable) into this tensor; differentiable through ``src``."""
    if not isinstance(src, Tensor):
        from ..creation import tensor

        src = tensor(src)
    if type(src._data) is not type(self._data) or src.device != self.device:
        src = D.to(src, self.device)
    if src._data.dtype != self._data.dtype:
        src = D.to(src, self.dtype)
    try:
        self.backend.xp.broadcast_shapes(src.shape, self.shape)
    except ValueError:
        raise RuntimeError(
            f"copy_: the source of shape {tuple(src.shape)} is not broadcastable to {tuple(self.shape)}"
        ) from None
    if not (_grad_state.enabled and (src.requires_grad or self.requires_grad)):
        _write_into(self, src._data, "copy_")
        bump_version(self)
        return self
    return I.setitem(self, (Ellipsis,), src) or self


def _write_into(self: Tensor, value: Any, op: str) -> None:
    """``self[...] = value`` without graph, with PyTorch's error for memory that is shared by several
    elements (an expanded tensor: read-only here)."""
    try:
        self._data[...] = value
    except ValueError as e:
        if not getattr(self._data.flags, "writeable", True):
            raise RuntimeError(
                f"{op}: unsupported operation: more than one element of the written-to tensor (shape "
                f"{tuple(self.shape)}, e.g. made by expand) refers to a single memory location. Please clone() the "
                "tensor before performing the operation."
            ) from None
        raise RuntimeError(f"{op}: {e} (tensor of shape {tuple(self.shape)}, {self.dtype})") from None


def _assign(self: Tensor, result: Tensor) -> Tensor:
    """Write an out-of-place result back into ``self`` (in-place variants of composite ops)."""
    if _grad_state.enabled and (result.requires_grad or self.requires_grad):
        I.setitem(self, (Ellipsis,), result)
    else:
        self._data[...] = result._data
        bump_version(self)
    return self


def _fill_(self: Tensor, value: Any) -> Tensor:
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"fill_: only supports 0-dimension value tensor but got tensor with {value.ndim} dims"
            )
        if value.requires_grad and _grad_state.enabled:
            return _assign(self, value.expand(self.shape) + 0)
        value = value.item()
    if _grad_state.enabled:
        check_inplace(self, "fill_")
    if _grad_state.enabled and self.requires_grad:
        return _assign(self, self * 0 + value)
    _write_into(self, value, "fill_")
    bump_version(self)
    return self


def _random_(self: Tensor, kind: str, a: Any, b: Any, generator: Any = None) -> Tensor:
    if _grad_state.enabled:
        check_inplace(self, kind + "_")
    be = self.backend
    dev = self.device
    dt = self._data.dtype
    with use_generator(generator, dev, kind + "_"):
        if kind == "uniform":
            vals = be.uniform(self.shape, dt, a, b, device=dev)
        elif kind == "normal":
            vals = be.normal(self.shape, dt, a, b, device=dev)
        else:
            vals = (be.uniform(self.shape, "float32", device=dev) < a).astype(dt)
    return overwrite(self, vals)


def store(op: str, self: Tensor, result: Tensor) -> Tensor:
    """The in-place form of a composite op: ``result`` written into ``self``, which must keep its shape and
    dtype category (PyTorch's checks: no broadcasting self up, no float result into an integer tensor)."""
    from .inplace import _can_cast

    if result.shape != self.shape:
        raise RuntimeError(
            f"{op}: output with shape {list(self.shape)} doesn't match the broadcast shape {list(result.shape)}"
        )
    if result._data.dtype != self._data.dtype:
        if not _can_cast(result._data.dtype, self._data.dtype):
            raise RuntimeError(
                f"{op}: result type {result.dtype} can't be cast to the desired output type {self.dtype}"
            )
        result = D.to(result, self.dtype)
    return _assign(self, result)
