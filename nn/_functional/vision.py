"""nn.functional: interpolate (nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area) and aliases.

Resampling is separable: each spatial axis is a gather (``index_select``) and, for the linear and cubic
modes, a weighted sum of 2 or 4 gathers, so gradients come from the gather's scatter-add and are
differentiable again. Source positions follow PyTorch's CPU kernels, computed in the input's dtype.
``antialias=True`` (bilinear, bicubic) resizes each axis by a weight matmul instead (``_antialias.py``).
"""

from __future__ import annotations

import math
from typing import Any

from autograd import Tensor

from ._antialias import antialias_axis, pixel_scale
from ._cubic import cubic_weights
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d
from .pooling3d import adaptive_avg_pool3d

__all__ = ["interpolate", "pad", "upsample", "upsample_nearest", "upsample_bilinear"]

_NDIM = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}  # the spatial dims each mode needs
_MODES = ("nearest", "nearest-exact", "area", *_NDIM)
_AREA = {1: adaptive_avg_pool1d, 2: adaptive_avg_pool2d, 3: adaptive_avg_pool3d}


def _index(x: Tensor, arr: Any) -> Tensor:
    return Tensor._make(arr.astype(x.backend.xp.int64))


def _along(x: Tensor, axis: int, arr: Any) -> Tensor:
    """A constant 1-d array shaped to broadcast along ``axis`` of ``x``."""
    shape = [1] * x.ndim
    shape[axis] = arr.shape[0]
    return Tensor._make(arr.astype(x._data.dtype).reshape(shape))


def _source(x: Tensor, size: int, out: int, scale: float | None, align_corners: bool, cubic: bool) -> Any:
    """Each output position's real source coordinate on an axis (PyTorch's area_pixel_compute_source_index)."""
    xp = x.backend.xp
    dt = x._data.dtype
    o = xp.arange(out, dtype=dt)
    ratio = pixel_scale(dt, size, out, scale, align_corners)
    if align_corners:
        return o * ratio
    src = ratio * (o + dt.type(0.5)) - dt.type(0.5)
    return src if cubic else xp.maximum(src, dt.type(0))


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
    src = _source(x, size, out, scale, align_corners, cubic=False)
    i0 = xp.minimum(src.astype(xp.int64), size - 1)
    lam1 = xp.clip(src - i0.astype(src.dtype), 0, 1).astype(src.dtype)
    i1 = xp.minimum(i0 + 1, size - 1)
    return x.index_select(axis, _index(x, i0)) * _along(x, axis, 1 - lam1) + x.index_select(
        axis, _index(x, i1)
    ) * _along(x, axis, lam1)


def _cubic_axis(x: Tensor, axis: int, out: int, scale: float | None, align_corners: bool) -> Tensor:
    size = x.shape[axis]
    xp = x.backend.xp
    src = _source(x, size, out, scale, align_corners, cubic=True)
    i0 = xp.floor(src)
    weights = cubic_weights(src - i0)
    i0 = i0.astype(xp.int64)
    y = None
    for k, w in enumerate(weights):  # the 4 taps, clamped to the border as PyTorch does
        tap = x.index_select(axis, _index(x, xp.clip(i0 + (k - 1), 0, size - 1))) * _along(x, axis, w)
        y = tap if y is None else y + tap
    return y


def _mode_error(input: Tensor, mode: str) -> NotImplementedError:
    """PyTorch's error for a mode that does not fit the input's number of dims."""
    need = _NDIM.get(mode)
    if need is not None and input.ndim in (3, 4, 5) and mode != "bicubic":
        return NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {need + 2}D input")
    return NotImplementedError(
        f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the modes: "
        f"nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got {mode})"
    )


def _output_size(input: Tensor, size: Any, scale_factor: Any, recompute: bool | None, mode: str) -> tuple:
    """PyTorch's size / scale_factor rules: the output spatial size and the scales the kernels use (or None)."""
    op = "interpolate"
    dim = input.ndim - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError(f"{op}: only one of size or scale_factor should be defined")
    if size is not None:
        if recompute:
            raise ValueError(f"{op}: recompute_scale_factor is not meaningful with an explicit size.")
        out = [int(size)] * dim if isinstance(size, int) else [int(s) for s in size]
        if len(out) != dim:
            raise ValueError(
                f"{op}: Input and output must have the same number of spatial dimensions, but got input with "
                f"spatial dimensions of {spatial} and output size of {out}. Please provide input tensor in "
                "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format."
            )
        scales = None
    elif scale_factor is not None:
        scales = (
            [float(scale_factor)] * dim
            if isinstance(scale_factor, int | float)
            else [float(s) for s in scale_factor]
        )
        if len(scales) != dim:
            raise ValueError(
                f"{op}: Input and scale_factor must have the same number of spatial dimensions, but got input "
                f"with spatial dimensions of {spatial} and scale_factor of shape {scales}."
            )
        out = [math.floor(s * f) for s, f in zip(spatial, scales)]
        if recompute or mode == "area":
            scales = None
    else:
        raise ValueError(f"{op}: either size or scale_factor should be defined")
    if min(out) < 1:
        raise ValueError(f"{op}: output size {out} must be positive (input spatial size {spatial})")
    return out, scales


def interpolate(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize (N, C, L), (N, C, H, W) or (N, C, D, H, W) input to ``size`` or by ``scale_factor``, as PyTorch's."""
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate: expected a Tensor input, got {type(input).__name__}")
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError(
                "interpolate: align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    else:
        align_corners = bool(align_corners)
    dim = input.ndim - 2
    if mode not in _MODES or dim not in (1, 2, 3) or _NDIM.get(mode, dim) != dim:
        raise _mode_error(input, mode)
    if mode in _NDIM and not input.is_floating_point():
        raise RuntimeError(f"interpolate: {mode} mode needs a floating point input, got {input.dtype}")
    out, scales = _output_size(input, size, scale_factor, recompute_scale_factor, mode)
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError(
            "interpolate: Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D "
            f"tensor as input (got mode {mode!r}, {input.ndim}-D input)"
        )
    if mode == "area":
        return _AREA[dim](input, out)
    y = input
    for i in range(dim):
        axis, sc = 2 + i, (scales[i] if scales else None)
        if antialias:
            y = antialias_axis(y, axis, out[i], sc, align_corners, cubic=mode == "bicubic")
        elif mode == "bicubic":
            y = _cubic_axis(y, axis, out[i], sc, align_corners)
        elif mode in _NDIM:
            y = _linear_axis(y, axis, out[i], sc, align_corners)
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
