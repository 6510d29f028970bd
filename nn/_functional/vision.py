"""nn.functional: interpolate (nearest, nearest-exact, linear, bilinear, area) and the upsample aliases.

Resampling is separable: each spatial axis is a gather (``index_select``) and, for the linear modes, a
blend of two gathers, so gradients come from the gather's scatter-add and are differentiable again.
Source positions follow PyTorch's CPU kernels, computed in the input's dtype.
"""

from __future__ import annotations

import math
from typing import Any

from autograd import Tensor

from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d

__all__ = ["interpolate", "pad", "upsample", "upsample_nearest", "upsample_bilinear"]

_LINEAR = {"linear": 1, "bilinear": 2}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "area")


def _index(x: Tensor, arr: Any) -> Tensor:
    return Tensor._make(arr.astype(x.backend.xp.int64))


def _nearest_axis(x: Tensor, axis: int, out: int, scale: float | None, exact: bool) -> Tensor:
    size = x.shape[axis]
    if out == size and not exact:
        return x
    xp = x.backend.xp
    f32 = xp.float32  # PyTorch computes nearest source positions in float32 for every dtype
    if out == 2 * size and not exact:
        idx = xp.arange(out) // 2
    else:
        s = f32(1.0 / scale) if scale else f32(size) / f32(out)
        o = xp.arange(out, dtype=f32)
        src = xp.floor((o + f32(0.5)) * s) if exact else xp.floor(o * s)
        idx = xp.minimum(src.astype(xp.int64), size - 1)
    return x.index_select(axis, _index(x, idx))


def _linear_axis(x: Tensor, axis: int, out: int, scale: float | None, align_corners: bool) -> Tensor:
    size = x.shape[axis]
    if out == size:
        return x
    xp = x.backend.xp
    dt = x._data.dtype
    o = xp.arange(out, dtype=dt)
    if align_corners:
        ratio = dt.type(size - 1) / dt.type(out - 1) if out > 1 else dt.type(0)
        src = o * ratio
    else:
        ratio = dt.type(1.0 / scale) if scale else dt.type(size) / dt.type(out)
        src = xp.maximum(ratio * (o + dt.type(0.5)) - dt.type(0.5), dt.type(0))
    i0 = xp.minimum(src.astype(xp.int64), size - 1)
    lam1 = xp.clip(src - i0.astype(dt), 0, 1).astype(dt)
    i1 = xp.minimum(i0 + 1, size - 1)
    shape = [1] * x.ndim
    shape[axis] = out
    l1 = Tensor._make(lam1.reshape(shape))
    l0 = Tensor._make((1 - lam1).astype(dt).reshape(shape))
    return x.index_select(axis, _index(x, i0)) * l0 + x.index_select(axis, _index(x, i1)) * l1


def interpolate(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize (N, C, L) or (N, C, H, W) input to ``size`` or by ``scale_factor``, as PyTorch's."""
    op = "interpolate"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(input).__name__}")
    if mode not in _MODES:
        raise ValueError(f"{op}: unsupported mode {mode!r}; supported: {', '.join(_MODES)}")
    if antialias:
        raise ValueError(f"{op}: antialias=True is not supported")
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError(
                f"{op}: align_corners option can only be set with the interpolating modes: linear | bilinear"
            )
    elif align_corners is None:
        align_corners = False
    dim = input.ndim - 2
    if dim not in (1, 2):
        raise ValueError(
            f"{op}: expected a 3-D (N, C, L) or 4-D (N, C, H, W) input, got {input.ndim}-D input of shape "
            f"{tuple(input.shape)}"
        )
    if mode in _LINEAR and _LINEAR[mode] != dim:
        raise ValueError(f"{op}: got {input.ndim}D input, but {mode} mode needs {_LINEAR[mode] + 2}D input")
    spatial = tuple(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError(f"{op}: only one of size or scale_factor should be defined")
    scales: list | None = None
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(f"{op}: recompute_scale_factor is not meaningful with an explicit size")
        out = [int(size)] * dim if isinstance(size, int) else [int(s) for s in size]
        if len(out) != dim:
            raise ValueError(
                f"{op}: input and output must have the same number of spatial dimensions, but got input with "
                f"spatial dimensions of {list(spatial)} and output size of {out}. Please provide input tensor in "
                "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format."
            )
    elif scale_factor is not None:
        scales = (
            [float(scale_factor)] * dim
            if isinstance(scale_factor, int | float)
            else [float(s) for s in scale_factor]
        )
        if len(scales) != dim:
            raise ValueError(
                f"{op}: input and scale_factor must have the same number of spatial dimensions, but got input "
                f"with spatial dimensions of {list(spatial)} and scale_factor of shape {scales}."
            )
        out = [math.floor(s * f) for s, f in zip(spatial, scales)]
        if recompute_scale_factor or mode == "area":
            scales = None
    else:
        raise ValueError(f"{op}: either size or scale_factor should be defined")
    if min(out) < 1:
        raise ValueError(f"{op}: output size {out} must be positive (input spatial size {list(spatial)})")
    if mode == "area":
        return adaptive_avg_pool1d(input, out) if dim == 1 else adaptive_avg_pool2d(input, out)
    y = input
    for i in range(dim):
        axis, sc = 2 + i, (scales[i] if scales else None)
        if mode in _LINEAR:
            y = _linear_axis(y, axis, out[i], sc, bool(align_corners))
        else:
            y = _nearest_axis(y, axis, out[i], sc, mode == "nearest-exact")
    return y


def upsample(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Deprecated alias of ``interpolate`` (as in PyTorch)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Nearest-neighbour upsampling (deprecated alias of ``interpolate(mode='nearest')``)."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Bilinear upsampling with ``align_corners=True`` (deprecated alias, as in PyTorch)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the trailing dims by (left, right) pairs, last dim first, as ``torch.nn.functional.pad``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad: expected input to be a Tensor, got {type(input).__name__}")
    from autograd.ops.shape import pad as _pad

    if mode in ("reflect", "replicate", "circular"):
        _check_nonconstant_pad(input, tuple(pad), mode)
    elif mode == "constant" and value is not None and not isinstance(value, int | float | bool):
        raise TypeError(f"pad: value must be a number, got {type(value).__name__}")
    return _pad(input, pad, mode, value)


def _check_nonconstant_pad(x: Tensor, pad: tuple, mode: str) -> None:
    """PyTorch's rule: k padded dims (k = 1, 2, 3) need a (k + 1)-D or (k + 2)-D input with non-empty dims."""
    k = len(pad) // 2
    if len(pad) % 2 or k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"pad: {mode} padding of size {len(pad)} is not supported for a {x.ndim}-D input of shape "
            f"{tuple(x.shape)}; supported: 2-D or 3-D input with padding size 2, 3-D or 4-D with 4, "
            "4-D or 5-D with 6"
        )
    dims = x.shape[1:] if x.ndim == k + 2 else x.shape
    if mode != "circular" and 0 in dims:
        raise RuntimeError(
            f"pad: {mode} padding expects a {k + 1}-D or {k + 2}-D (batch mode) input with possibly 0 batch "
            f"size and other non-zero dims, got shape {tuple(x.shape)}"
        )
