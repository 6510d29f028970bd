"""Moving tensors between devices and dtypes: ``.to()`` and its differentiable transfer."""

from __future__ import annotations

from typing import Any

import backends

from .. import dtypes
from ..tensor import Tensor
from .base import Primitive
from .elementwise import Cast


class ToDevice(Primitive):
    """A copy to another device; its gradient is copied back."""

    @staticmethod
    def forward(ctx, a, device):
        src = ctx.backend(a)
        ctx.src_device = src.device_of(a)
        dst = backends.get(device)
        if src is dst and device.type == "cpu":
            return a.copy()
        host = src.to_host(a)
        return dst.from_host(host, device)

    @staticmethod
    def backward(ctx, g):
        return ToDevice.apply(g, ctx.src_device), None


def _parse_to(args: tuple, kwargs: dict) -> tuple[Any, Any, bool]:
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, dtypes.dtype) or a in (float, int, bool):
            dtype = a
        elif isinstance(a, str | backends.Device | int):
            if isinstance(a, str) and a in dtypes._NAMES:
                dtype = a
            else:
                device = a
        elif a is None:
            continue
        else:
            try:
                dtype = dtypes.to_np(a)
            except TypeError:
                raise TypeError(f"to: received an invalid combination of arguments: {a!r}") from None
    return device, dtype, copy


def to(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``x.to(device)``, ``x.to(dtype)``, ``x.to(other)`` or ``x.to(device, dtype)``; returns x when nothing changes.
    ``memory_format=autograd.channels_last`` also lays the data out channels-last."""
    fmt = kwargs.pop("memory_format", None)
    device, dtype, copy = _parse_to(args, kwargs)
    out = x
    if device is not None:
        dev = backends.as_device(device)
        if dev.type == "cuda" and dev.index is None:
            dev = backends.Device("cuda", 0)
        if out.device != dev or type(backends.get(dev)) is not type(out.backend):
            out = ToDevice.apply(out, dev)
            copy = False
    if dtype is not None:
        npd = dtypes.to_np(dtype)
        if out._data.dtype != npd:
            # integer/bool results are not differentiable: no graph, as in PyTorch
            out = Cast.apply(out if npd.kind == "f" else out.detach(), npd)
            copy = False
    if copy:
        out = out.clone()
    if fmt is not None:
        from ..memory_format import to_format

        out = to_format(out, fmt)
    return out
